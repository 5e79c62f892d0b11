// safetensors reader (validate everything, then hand out views into the mmap) and writer
// (sorted, 8-byte aligned header, CRC-32C of the data region in __metadata__). The format
// and every rule checked here are described in docs/formats/safetensors.md.
#include "denser/encode/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <utility>

#include "denser/common/error.h"

namespace denser {
namespace {

using nlohmann::json;

constexpr std::pair<const char*, DType> kDTypes[] = {
    {"F32", DType::kF32}, {"F16", DType::kF16}, {"BF16", DType::kBF16},
    {"I64", DType::kI64}, {"I32", DType::kI32}, {"U8", DType::kU8},
};
constexpr const char* kExpectedDTypes = "one of F32, F16, BF16, I64, I32, U8";
constexpr const char* kMetadataKey = "__metadata__";

uint64_t read_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string hex32(uint32_t v) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s(8, '0');
  for (int i = 7; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = kDigits[v & 0xf];
  return s;
}

/// out = a * b; true when that overflows uint64.
bool mul_overflows(uint64_t a, uint64_t b, uint64_t& out) { return __builtin_mul_overflow(a, b, &out); }

/// Parses the header JSON; rejects a repeated top-level name, which nlohmann would
/// otherwise resolve silently by keeping the last value.
json parse_header(const std::string& path, const char* begin, const char* end) {
  std::set<std::string> seen;
  std::string duplicate;
  json::parser_callback_t on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && parsed.is_string()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!seen.insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  json header;
  try {
    header = json::parse(begin, end, on_event);
  } catch (const json::exception& e) {
    DENSER_THROW(ErrorCode::kCorrupt, path, ": header is not valid JSON (expected a JSON object in bytes 8..",
                 8 + (end - begin), "): ", e.what());
  }
  DENSER_CHECK(duplicate.empty(), ErrorCode::kCorrupt, path, ": tensor '", duplicate,
               "': name appears twice in the header (expected unique names)");
  DENSER_CHECK(header.is_object(), ErrorCode::kCorrupt, path, ": header is a JSON ", header.type_name(),
               " (expected an object of tensors)");
  return header;
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const json& value) {
  DENSER_CHECK(value.is_object(), ErrorCode::kCorrupt, path, ": __metadata__ is a JSON ", value.type_name(),
               " (expected an object of strings)");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, item] : value.items()) {
    DENSER_CHECK(item.is_string(), ErrorCode::kCorrupt, path, ": __metadata__ '", key, "' is a JSON ", item.type_name(),
                 " (expected a string)");
    metadata.emplace(key, item.get<std::string>());
  }
  return metadata;
}

DType parse_dtype(const std::string& where, const json& entry) {
  const auto it = entry.find("dtype");
  DENSER_CHECK(it != entry.end(), ErrorCode::kCorrupt, where, "no \"dtype\" (expected ", kExpectedDTypes, ")");
  DENSER_CHECK(it->is_string(), ErrorCode::kCorrupt, where, "\"dtype\" is a JSON ", it->type_name(), " (expected ",
               kExpectedDTypes, ")");
  const auto& name = it->get_ref<const std::string&>();
  for (const auto& [text, dtype] : kDTypes) {
    if (name == text) return dtype;
  }
  DENSER_THROW(ErrorCode::kUnsupported, where, "unsupported dtype '", name, "' (expected ", kExpectedDTypes, ")");
}

/// Reads a JSON array of unsigned integers named key (each <= INT64_MAX).
std::vector<uint64_t> parse_uints(const std::string& where, const json& entry, const char* key) {
  const auto it = entry.find(key);
  DENSER_CHECK(it != entry.end(), ErrorCode::kCorrupt, where, "no \"", key,
               "\" (expected an array of non-negative integers)");
  DENSER_CHECK(it->is_array(), ErrorCode::kCorrupt, where, "\"", key, "\" is a JSON ", it->type_name(),
               " (expected an array of non-negative integers)");
  std::vector<uint64_t> values;
  for (const auto& v : *it) {
    DENSER_CHECK(v.is_number_unsigned() && v.get<uint64_t>() <= uint64_t{std::numeric_limits<int64_t>::max()},
                 ErrorCode::kCorrupt, where, "\"", key, "\" holds ", v.dump(), " (expected non-negative integers)");
    values.push_back(v.get<uint64_t>());
  }
  return values;
}

struct Range {
  uint64_t begin;
  uint64_t end;
  const std::string* name;
};

/// Hugging Face's rule: sorted by offset, the ranges tile [0, data_size) exactly.
void check_ranges(const std::string& path, std::vector<Range> ranges, uint64_t data_size) {
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  uint64_t expected = 0;
  for (const auto& r : ranges) {
    DENSER_CHECK(r.begin >= expected, ErrorCode::kCorrupt, path, ": tensor '", *r.name, "': data_offsets [", r.begin,
                 ", ", r.end, "] overlap the previous tensor (expected to start at ", expected, ")");
    DENSER_CHECK(r.begin == expected, ErrorCode::kCorrupt, path, ": tensor '", *r.name, "': data_offsets [", r.begin,
                 ", ", r.end, "] leave a gap of ", r.begin - expected, " bytes (expected to start at ", expected, ")");
    expected = r.end;
  }
  DENSER_CHECK(expected == data_size, ErrorCode::kCorrupt, path, ": the tensors cover ", expected, " bytes of the ",
               data_size, "-byte data region (expected no trailing bytes)");
}

/// `"denser.crc32c":"` as it appears in the compact JSON the writer produces; the 8 hex
/// digits of the checksum follow it.
std::string crc_pattern() { return str('"', kSafeTensorsCrcKey, "\":\""); }

/// The CRC-32C covers the whole file with the checksum's own 8 digits read as '0', so a
/// flipped bit anywhere (length, header, data) is caught, not only in the data region.
uint32_t file_crc(const uint8_t* bytes, size_t size, size_t digits_at) {
  static const char kZeros[8] = {'0', '0', '0', '0', '0', '0', '0', '0'};
  uint32_t crc = crc32c(bytes, digits_at);
  crc = crc32c(kZeros, sizeof(kZeros), crc);
  return crc32c(bytes + digits_at + 8, size - digits_at - 8, crc);
}

void verify_crc(const std::string& path, const std::string& stored, const uint8_t* bytes, size_t size,
                std::string_view header) {
  const bool well_formed = stored.size() == 8 && stored.find_first_not_of("0123456789abcdef") == std::string::npos;
  DENSER_CHECK(well_formed, ErrorCode::kCorrupt, path, ": __metadata__ '", kSafeTensorsCrcKey, "' is '", stored,
               "' (expected 8 lowercase hex digits)");
  const std::string pattern = crc_pattern();
  const size_t at = header.find(pattern);
  DENSER_CHECK(at != std::string_view::npos && header.find(pattern, at + 1) == std::string_view::npos,
               ErrorCode::kCorrupt, path, ": __metadata__ '", kSafeTensorsCrcKey,
               "' is not written exactly once in compact form ", "(expected a header written by denser)");
  const size_t digits_at = 8 + at + pattern.size();  // file offset of the 8 hex digits
  const std::string computed = hex32(file_crc(bytes, size, digits_at));
  DENSER_CHECK(computed == stored, ErrorCode::kCorrupt, path, ": checksum mismatch (stored ", stored, ", computed ",
               computed, "): the file is corrupt");
}

/// Validates one tensor entry against the data region [data, data + data_size); sets begin
/// to its offset there.
TensorView parse_entry(const std::string& path, const std::string& name, const json& entry, const uint8_t* data,
                       uint64_t data_size, uint64_t& begin) {
  const std::string where = str(path, ": tensor '", name, "': ");
  DENSER_CHECK(entry.is_object(), ErrorCode::kCorrupt, where, "entry is a JSON ", entry.type_name(),
               " (expected an object with dtype, shape, data_offsets)");
  TensorView view;
  view.name = name;
  view.dtype = parse_dtype(where, entry);
  uint64_t num_bytes = dtype_size(view.dtype);
  for (uint64_t d : parse_uints(where, entry, "shape")) {
    DENSER_CHECK(!mul_overflows(num_bytes, d, num_bytes) && num_bytes <= data_size, ErrorCode::kCorrupt, where,
                 "shape ", entry.at("shape").dump(), " needs more bytes than the ", data_size,
                 "-byte data region holds");
    view.shape.push_back(static_cast<int64_t>(d));
  }
  const auto offsets = parse_uints(where, entry, "data_offsets");
  DENSER_CHECK(offsets.size() == 2, ErrorCode::kCorrupt, where, "data_offsets has ", offsets.size(),
               " values (expected [begin, end])");
  begin = offsets[0];
  const uint64_t end = offsets[1];
  DENSER_CHECK(begin <= end && end <= data_size, ErrorCode::kCorrupt, where, "data_offsets [", begin, ", ", end,
               "] (expected 0 <= begin <= end <= ", data_size, ", the data region's size)");
  DENSER_CHECK(end - begin == num_bytes, ErrorCode::kCorrupt, where, "data_offsets [", begin, ", ", end, "] hold ",
               end - begin, " bytes (expected ", num_bytes, " for ", dtype_name(view.dtype), " shape ",
               entry.at("shape").dump(), ")");
  view.data = data + begin;
  view.num_bytes = static_cast<size_t>(num_bytes);
  return view;
}

}  // namespace

const char* dtype_name(DType dtype) {
  for (const auto& [text, d] : kDTypes) {
    if (d == dtype) return text;
  }
  return "?";
}

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 4;
    case DType::kF16: return 2;
    case DType::kBF16: return 2;
    case DType::kI64: return 8;
    case DType::kI32: return 4;
    case DType::kU8: return 1;
  }
  return 0;
}

int64_t TensorView::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;  // validated at open(): no overflow, no negatives
  return n;
}

std::vector<float> TensorView::to_float() const {
  const auto n = static_cast<size_t>(num_elements());
  std::vector<float> out(n);
  switch (dtype) {
    case DType::kF32:
      if (n > 0) std::memcpy(out.data(), data, n * sizeof(float));
      break;
    case DType::kF16:
    case DType::kBF16:
      for (size_t i = 0; i < n; ++i) {
        const auto bits = static_cast<uint16_t>(data[2 * i] | (data[2 * i + 1] << 8));
        out[i] = dtype == DType::kF16 ? half_to_float(bits) : bfloat16_to_float(bits);
      }
      break;
    default:
      DENSER_THROW(ErrorCode::kUnsupported, "tensor '", name, "': dtype ", dtype_name(dtype),
                   " cannot be converted to float (expected F32, F16 or BF16)");
  }
  return out;
}

SafeTensorsFile SafeTensorsFile::open(const std::string& path) {
  SafeTensorsFile f;
  f.file_ = MappedFile::open(path);
  const uint8_t* bytes = f.file_.data();
  const uint64_t size = f.file_.size();
  DENSER_CHECK(size >= 8, ErrorCode::kCorrupt, path, ": truncated: ", size,
               " bytes (expected at least the 8-byte header length)");
  const uint64_t header_size = read_le64(bytes);
  DENSER_CHECK(header_size <= kSafeTensorsMaxHeaderBytes, ErrorCode::kCorrupt, path, ": header length ", header_size,
               " is too large (expected at most ", kSafeTensorsMaxHeaderBytes, " bytes)");
  DENSER_CHECK(header_size <= size - 8, ErrorCode::kCorrupt, path, ": truncated: header length ", header_size,
               " but only ", size - 8, " bytes follow the length field");
  DENSER_CHECK(header_size >= 2 && bytes[8] == '{', ErrorCode::kCorrupt, path,
               ": header does not start with '{' at byte 8 (expected a JSON object)");
  const auto* text = reinterpret_cast<const char*>(bytes + 8);
  const json header = parse_header(path, text, text + header_size);

  const uint64_t data_start = 8 + header_size;
  const uint64_t data_size = size - data_start;
  std::vector<Range> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == kMetadataKey) {
      f.metadata_ = parse_metadata(path, entry);
      continue;
    }
    uint64_t begin = 0;
    TensorView view = parse_entry(path, name, entry, bytes + data_start, data_size, begin);
    const uint64_t end = begin + view.num_bytes;
    const auto it = f.tensors_.emplace(name, std::move(view)).first;
    ranges.push_back({begin, end, &it->first});
  }
  check_ranges(path, std::move(ranges), data_size);
  // Two keys, so that one flipped bit cannot silently remove the checksum: a file that
  // names its checksum algorithm must carry the checksum, and the checksum covers both.
  if (const auto it = f.metadata_.find(kSafeTensorsChecksumKey); it != f.metadata_.end()) {
    DENSER_CHECK(it->second == "crc32c", ErrorCode::kCorrupt, path, ": __metadata__ '", kSafeTensorsChecksumKey,
                 "' is '", it->second, "' (expected crc32c)");
    DENSER_CHECK(f.metadata_.count(kSafeTensorsCrcKey) != 0, ErrorCode::kCorrupt, path, ": __metadata__ '",
                 kSafeTensorsCrcKey, "' is missing although '", kSafeTensorsChecksumKey,
                 "' is set: the file is corrupt");
  }
  if (const auto it = f.metadata_.find(kSafeTensorsCrcKey); it != f.metadata_.end()) {
    verify_crc(path, it->second, bytes, static_cast<size_t>(size), {text, static_cast<size_t>(header_size)});
  }
  return f;
}

const TensorView* SafeTensorsFile::find(const std::string& name) const {
  const auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

const TensorView& SafeTensorsFile::get(const std::string& name) const {
  const TensorView* view = find(name);
  if (view == nullptr) {
    std::string names;
    for (const auto& [n, v] : tensors_) {
      if (names.size() > 200) {
        names += ", ...";
        break;
      }
      names += names.empty() ? n : ", " + n;
    }
    DENSER_THROW(ErrorCode::kNotFound, path(), ": tensor '", name, "' not found (the file has ", tensors_.size(),
                 " tensors: ", names, ")");
  }
  return *view;
}

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<const TensorToWrite*> sorted;
  for (const auto& t : tensors) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->name < b->name; });

  json header = json::object();
  std::vector<uint64_t> sizes;
  uint64_t offset = 0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const TensorToWrite& t = *sorted[i];
    const std::string where = str(path, ": tensor '", t.name, "': ");
    DENSER_CHECK(!t.name.empty() && t.name != kMetadataKey, ErrorCode::kInvalidArgument, where,
                 "reserved or empty name (expected a tensor name)");
    DENSER_CHECK(i == 0 || sorted[i - 1]->name != t.name, ErrorCode::kInvalidArgument, where,
                 "name given twice (expected unique names)");
    uint64_t num_bytes = dtype_size(t.dtype);
    for (int64_t d : t.shape) {
      DENSER_CHECK(d >= 0 && !mul_overflows(num_bytes, static_cast<uint64_t>(d), num_bytes),
                   ErrorCode::kInvalidArgument, where, "bad dimension ", d,
                   " (expected non-negative dims whose product fits in memory)");
    }
    DENSER_CHECK(num_bytes == 0 || t.data != nullptr, ErrorCode::kInvalidArgument, where, "no data for ", num_bytes,
                 " bytes");
    header[t.name] = {
        {"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + num_bytes}}};
    sizes.push_back(num_bytes);
    offset += num_bytes;
  }
  json meta(metadata);
  meta[kSafeTensorsChecksumKey] = "crc32c";
  meta[kSafeTensorsCrcKey] = "00000000";  // placeholder, patched once the CRC is known
  header[kMetadataKey] = std::move(meta);

  std::string head(8, '\0');
  head += header.dump();
  head.append((8 - head.size() % 8) % 8, ' ');  // the data region starts 8-byte aligned
  for (size_t i = 0; i < 8; ++i) head[i] = static_cast<char>((head.size() - 8) >> (8 * i));
  const std::string pattern = crc_pattern();
  const size_t digits_at = head.find(pattern) + pattern.size();
  // Zeros at digits_at are exactly what file_crc() reads there, so one pass suffices.
  uint32_t crc = crc32c(head.data(), head.size());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sizes[i] > 0) crc = crc32c(sorted[i]->data, static_cast<size_t>(sizes[i]), crc);
  }
  head.replace(digits_at, 8, hex32(crc));

  AtomicFileWriter out(path);
  out.write(head);
  for (size_t i = 0; i < sorted.size(); ++i) out.write(sorted[i]->data, static_cast<size_t>(sizes[i]));
  out.commit();
}

}  // namespace denser
