// safetensors: half/bfloat16 conversions against independent oracles (GCC's _Float16,
// a double-precision nearest search, numpy), write/read round trips, a file written by
// Python from the published spec, hostile headers, truncations and bit flips.
#include "denser/encode/safetensors.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "data/data_test_util.h"

namespace denser {
namespace {

using denser_test::TempDir;
using denser_test::throws_error_with;

// ---- conversions -------------------------------------------------------------------

TEST(HalfConversion, EveryHalfSurvivesARoundTripThroughFloat) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const auto bits = static_cast<uint16_t>(h);
    ASSERT_EQ(float_to_half(half_to_float(bits)), bits) << "half 0x" << std::hex << h;
  }
}

#ifdef __FLT16_MAX__
TEST(HalfConversion, HalfToFloatMatchesCompilerFloat16ForEveryValue) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const auto oracle = static_cast<float>(std::bit_cast<_Float16>(static_cast<uint16_t>(h)));
    const float ours = half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(oracle)) {
      ASSERT_TRUE(std::isnan(ours)) << std::hex << h;
    } else {
      ASSERT_EQ(std::bit_cast<uint32_t>(ours), std::bit_cast<uint32_t>(oracle)) << std::hex << h;
    }
  }
}

TEST(HalfConversion, FloatToHalfMatchesCompilerFloat16) {
  // Every 997th float32 bit pattern (4.3 M values over all exponents), plus each half's
  // neighbourhood: the exact midpoints to its successor (ties) and one float ulp around them.
  std::vector<float> inputs;
  for (uint64_t bits = 0; bits < (uint64_t{1} << 32); bits += 997)
    inputs.push_back(std::bit_cast<float>(uint32_t(bits)));
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    const double lo = half_to_float(static_cast<uint16_t>(h));
    const double hi = h + 1 == 0x7c00 ? 65536.0 : half_to_float(static_cast<uint16_t>(h + 1));
    const auto mid = static_cast<float>((lo + hi) / 2);  // exact in float
    for (float f : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f)}) {
      inputs.push_back(f);
      inputs.push_back(-f);
    }
  }
  for (float f : inputs) {
    const auto oracle = std::bit_cast<uint16_t>(static_cast<_Float16>(f));
    const uint16_t ours = float_to_half(f);
    if (std::isnan(f)) {
      ASSERT_TRUE((ours & 0x7c00) == 0x7c00 && (ours & 0x3ff) != 0) << f;
      ASSERT_EQ(ours & 0x8000, oracle & 0x8000);
    } else {
      ASSERT_EQ(ours, oracle) << "float bits 0x" << std::hex << std::bit_cast<uint32_t>(f);
    }
  }
}
#endif

TEST(HalfConversion, HandWorkedValues) {
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);             // largest finite
  EXPECT_EQ(float_to_half(65519.99f), 0x7bff);            // below the midpoint to 65536
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);             // the midpoint ties to "even" infinity
  EXPECT_EQ(float_to_half(1.0f + 0x1p-11f), 0x3c00);      // tie, 0x3c00 is even
  EXPECT_EQ(float_to_half(1.0f + 3 * 0x1p-11f), 0x3c02);  // tie, rounds up to even
  EXPECT_EQ(float_to_half(0x1p-24f), 0x0001);             // smallest subnormal
  EXPECT_EQ(float_to_half(0x1p-25f), 0x0000);             // tie between 0 and 1 unit: 0
  EXPECT_EQ(float_to_half(0x1.8p-25f), 0x0001);
  EXPECT_EQ(float_to_half(0x1p-14f), 0x0400);      // smallest normal
  EXPECT_EQ(float_to_half(0x1.ff8p-15f), 0x03ff);  // largest subnormal
  EXPECT_EQ(float_to_half(0x1.ffcp-15f), 0x0400);  // ... + half a unit: tie to even
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(half_to_float(0x0001), 0x1p-24f);
  EXPECT_EQ(half_to_float(0x3555), 0.333251953125f);
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::nanf("")))));
  // A NaN whose payload sits only in the low bits must not become infinity.
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::bit_cast<float>(0x7f800001u)))));
}

/// Nearest bfloat16 by brute force in double: the two candidates around f, ties to even.
uint16_t nearest_bfloat16(float f) {
  const auto below = static_cast<uint16_t>(std::bit_cast<uint32_t>(f) >> 16);  // truncation toward zero
  const auto above = static_cast<uint16_t>(below + 1);
  const double d_below = std::fabs(double(f) - double(bfloat16_to_float(below)));
  const double upper = (above & 0x7f80) == 0x7f80 && (above & 0x7f) == 0
                           ? std::ldexp(1.0, 128) * (f < 0 ? -1 : 1)  // the first value past the largest finite
                           : double(bfloat16_to_float(above));
  const double d_above = std::fabs(double(f) - upper);
  if (d_below != d_above) return d_below < d_above ? below : above;
  return (below & 1) == 0 ? below : above;
}

TEST(BFloat16Conversion, EveryValueRoundTripsAndRoundingMatchesBruteForce) {
  for (uint32_t b = 0; b < 65536; ++b) {
    ASSERT_EQ(float_to_bfloat16(bfloat16_to_float(static_cast<uint16_t>(b))), b) << std::hex << b;
  }
  for (uint64_t bits = 0; bits < (uint64_t{1} << 32); bits += 991) {
    const float f = std::bit_cast<float>(uint32_t(bits));
    if (std::isnan(f) || std::isinf(f)) continue;
    ASSERT_EQ(float_to_bfloat16(f), nearest_bfloat16(f)) << std::hex << bits;
  }
  EXPECT_EQ(float_to_bfloat16(1.0f), 0x3f80);
  EXPECT_EQ(float_to_bfloat16(1.0f + 0x1p-8f), 0x3f80);                     // tie to even
  EXPECT_EQ(float_to_bfloat16(1.0f + 3 * 0x1p-8f), 0x3f82);                 // tie to even, upward
  EXPECT_EQ(float_to_bfloat16(std::numeric_limits<float>::max()), 0x7f80);  // rounds to infinity
  EXPECT_TRUE(std::isnan(bfloat16_to_float(float_to_bfloat16(std::bit_cast<float>(0x7f800001u)))));
}

// ---- round trips ---------------------------------------------------------------------

std::string slurp(const std::string& path) { return read_file(path); }
void spit(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

/// A file of the given header text and data bytes, built by hand from the spec.
std::string hand_built(const std::string& header, const std::string& data, uint64_t length_field) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[size_t(i)] = static_cast<char>(length_field >> (8 * i));
  return out + header + data;
}
std::string hand_built(const std::string& header, const std::string& data) {
  return hand_built(header, data, header.size());
}

TEST(SafeTensors, RoundTripOfEveryDTypeWithMetadata) {
  TempDir dir("safetensors");
  const std::vector<float> f32 = {1.5f, -2.25f, 3e-8f, 65504.0f, 0.1f, -0.0f};
  std::vector<uint16_t> f16, bf16;
  for (float v : f32) {
    f16.push_back(float_to_half(v));
    bf16.push_back(float_to_bfloat16(v));
  }
  const std::vector<int64_t> i64 = {-1, std::numeric_limits<int64_t>::max(), 7};
  const std::vector<int32_t> i32 = {-5, 12};
  const std::vector<uint8_t> u8 = {0, 255, 9};
  const std::string path = dir.path("model.safetensors");
  // Deliberately unsorted: the writer sorts by name.
  write_safetensors(path,
                    {{"z.f32", DType::kF32, {2, 3}, f32.data()},
                     {"a.f16", DType::kF16, {6}, f16.data()},
                     {"m.bf16", DType::kBF16, {3, 2}, bf16.data()},
                     {"i64", DType::kI64, {3}, i64.data()},
                     {"i32", DType::kI32, {1, 2}, i32.data()},
                     {"u8", DType::kU8, {3}, u8.data()},
                     {"scalar", DType::kF32, {}, f32.data()},
                     {"empty", DType::kF32, {0, 4}, nullptr}},
                    {{"format", "pt"}});
  const std::string bytes = slurp(path);
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data(), 8);
  EXPECT_EQ((8 + header_size) % 8, 0u) << "data region must start 8-byte aligned";

  const SafeTensorsFile file = SafeTensorsFile::open(path);
  EXPECT_EQ(file.tensors().size(), 8u);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  EXPECT_EQ(file.metadata().at(kSafeTensorsCrcKey).size(), 8u);
  EXPECT_EQ(file.get("z.f32").to_float(), f32);
  EXPECT_EQ(file.get("z.f32").shape, (std::vector<int64_t>{2, 3}));
  const auto half_back = file.get("a.f16").to_float();
  const auto bf16_back = file.get("m.bf16").to_float();
  for (size_t i = 0; i < f32.size(); ++i) {
    EXPECT_EQ(half_back[i], half_to_float(f16[i]));
    EXPECT_NEAR(half_back[i], f32[i], std::fabs(f32[i]) * 0x1p-11f + 0x1p-24f);
    EXPECT_EQ(bf16_back[i], bfloat16_to_float(bf16[i]));
    EXPECT_NEAR(bf16_back[i], f32[i], std::fabs(f32[i]) * 0x1p-8f);
  }
  const TensorView& t64 = file.get("i64");
  ASSERT_EQ(t64.num_bytes, 24u);
  EXPECT_EQ(std::memcmp(t64.data, i64.data(), 24), 0);
  EXPECT_EQ(std::memcmp(file.get("i32").data, i32.data(), 8), 0);
  EXPECT_EQ(std::memcmp(file.get("u8").data, u8.data(), 3), 0);
  EXPECT_EQ(file.get("scalar").num_elements(), 1);
  EXPECT_EQ(file.get("scalar").to_float(), std::vector<float>{1.5f});
  EXPECT_EQ(file.get("empty").num_elements(), 0);
  EXPECT_EQ(file.find("missing"), nullptr);
  EXPECT_TRUE(throws_error_with([&] { file.get("missing"); }, {path, "'missing' not found", "a.f16"}));
  EXPECT_TRUE(throws_error_with([&] { file.get("u8").to_float(); }, {"'u8'", "U8", "expected F32, F16 or BF16"}));
  // Sorted by name in the data region, too: a.f16's bytes come first.
  EXPECT_LT(file.get("a.f16").data, file.get("z.f32").data);
}

TEST(SafeTensors, EmptyFileRoundTrips) {
  TempDir dir("safetensors");
  const std::string path = dir.path("empty.safetensors");
  write_safetensors(path, {});
  const SafeTensorsFile file = SafeTensorsFile::open(path);
  EXPECT_TRUE(file.tensors().empty());
  EXPECT_EQ(file.metadata().size(), 2u);  // the checksum and its algorithm
}

TEST(SafeTensors, WriterRejectsBadInput) {
  TempDir dir("safetensors");
  const float x = 1;
  const std::string path = dir.path("bad.safetensors");
  EXPECT_TRUE(throws_error_with(
      [&] {
        write_safetensors(path, {{"a", DType::kF32, {1}, &x}, {"a", DType::kF32, {1}, &x}});
      },
      {"'a'", "twice"}));
  EXPECT_TRUE(throws_error_with(
      [&] {
        write_safetensors(path, {{"a", DType::kF32, {-1}, &x}});
      },
      {"'a'", "dimension -1"}));
  EXPECT_TRUE(throws_error_with(
      [&] {
        write_safetensors(path, {{"__metadata__", DType::kF32, {1}, &x}});
      },
      {"reserved"}));
  EXPECT_TRUE(throws_error_with([&] { write_safetensors(path, {{"a", DType::kF32, {2}, nullptr}}); }, {"no data"}));
  EXPECT_FALSE(file_exists(path));
}

// ---- a file written from the spec by another program ----------------------------------

TEST(SafeTensors, ReadsAFileWrittenByPythonFromTheSpec) {
  const char* python = "/usr/bin/python3";
  if (std::system((std::string(python) + " -c 'import numpy' 2>/dev/null").c_str()) != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with numpy not available";
  }
  TempDir dir("safetensors");
  const std::string path = dir.path("py.safetensors");
  // Hugging Face's layout, written with json.dumps' default spacing, keys in insertion
  // order (not sorted) and numpy's own float16 rounding as an independent oracle.
  const std::string script = R"PY(
import json, struct, sys
import numpy as np
rng = np.random.default_rng(7)
src = rng.integers(0, 2**32, size=100000, dtype=np.uint64).astype(np.uint32).view(np.float32)
src = np.concatenate([src, np.array([65504, 65520, 2**-25, 3 * 2**-25, 1 + 2**-11], np.float32)])
with np.errstate(all="ignore"):
    half = src.astype(np.float16)
ids = np.arange(-3, 4, dtype=np.int64)
tensors = [("src", "F32", src), ("half", "F16", half), ("ids", "I64", ids)]
header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
for name, dtype, array in tensors:
    blob = array.astype(array.dtype.newbyteorder("<")).tobytes()
    header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
    blobs.append(blob)
    offset += len(blob)
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
)PY";
  spit(dir.path("write.py"), script);
  ASSERT_EQ(std::system((std::string(python) + " " + dir.path("write.py") + " " + path).c_str()), 0);

  const SafeTensorsFile file = SafeTensorsFile::open(path);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  EXPECT_EQ(file.metadata().count(kSafeTensorsCrcKey), 0u);  // structurally validated only
  const std::vector<float> src = file.get("src").to_float();
  const TensorView& half = file.get("half");
  ASSERT_EQ(src.size(), 100005u);
  ASSERT_EQ(half.shape, std::vector<int64_t>{100005});
  for (size_t i = 0; i < src.size(); ++i) {
    const auto numpy_bits = static_cast<uint16_t>(half.data[2 * i] | (half.data[2 * i + 1] << 8));
    if (std::isnan(src[i])) {
      ASSERT_TRUE(std::isnan(half_to_float(numpy_bits)));
      continue;
    }
    ASSERT_EQ(float_to_half(src[i]), numpy_bits) << "value " << src[i];
  }
  const TensorView& ids = file.get("ids");
  ASSERT_EQ(ids.dtype, DType::kI64);
  for (int64_t i = 0; i < 7; ++i) {
    int64_t v;
    std::memcpy(&v, ids.data + 8 * i, 8);
    EXPECT_EQ(v, i - 3);
  }
}

TEST(SafeTensors, PythonReadsADenserFileByTheSpec) {
  const char* python = "/usr/bin/python3";
  if (std::system((std::string(python) + " -c 'import numpy' 2>/dev/null").c_str()) != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with numpy not available";
  }
  TempDir dir("safetensors");
  const std::string path = dir.path("denser.safetensors");
  const std::vector<float> w = {1.0f, -0.5f, 3.25f, 1e-3f, 7.0f, -8.0f};
  std::vector<uint16_t> h;
  for (float v : w) h.push_back(float_to_half(v));
  write_safetensors(path, {{"w", DType::kF32, {3, 2}, w.data()}, {"b.h", DType::kF16, {6}, h.data()}},
                    {{"format", "pt"}});
  // The checks Hugging Face's loader makes, plus the values through numpy's own decoders.
  const std::string script = R"PY(
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
assert (8 + n) % 8 == 0, "data region not 8-byte aligned"
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
assert header["__metadata__"]["format"] == "pt"
spans = sorted(v["data_offsets"] for k, v in header.items() if k != "__metadata__")
assert spans[0][0] == 0 and spans[-1][1] == len(data)
assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
def get(name, dtype):
    b, e = header[name]["data_offsets"]
    return np.frombuffer(data[b:e], dtype=dtype).reshape(header[name]["shape"])
w = get("w", "<f4")
assert w.shape == (3, 2) and w.tolist() == [[1.0, -0.5], [3.25, np.float32(1e-3)], [7.0, -8.0]], w
assert header["b.h"]["dtype"] == "F16"
assert (get("b.h", "<f2") == w.reshape(-1).astype(np.float16)).all()
)PY";
  spit(dir.path("read.py"), script);
  EXPECT_EQ(std::system((std::string(python) + " " + dir.path("read.py") + " " + path).c_str()), 0);
}

// ---- hostile input -----------------------------------------------------------------------

struct HostileCase {
  const char* what;
  std::string header;
  size_t data_bytes;
  std::vector<std::string> fragments;  // the message must contain each
};

/// Success when fn throws denser::Error whose message contains every fragment and prefix.
template <typename Fn>
::testing::AssertionResult error_contains(Fn&& fn, const std::vector<std::string>& fragments,
                                          const std::string& prefix) {
  try {
    fn();
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.rfind(prefix, 0) != 0) return ::testing::AssertionFailure() << "\"" << message << "\" lacks the prefix";
    for (const auto& f : fragments) {
      if (message.find(f) == std::string::npos)
        return ::testing::AssertionFailure() << "\"" << message << "\" lacks " << f;
    }
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no denser::Error thrown";
}

TEST(SafeTensors, RejectsHostileHeaders) {
  const std::string f32x2 = R"("dtype":"F32","shape":[2])";
  const std::vector<HostileCase> cases = {
      {"not JSON", R"({"a":)", 0, {"not valid JSON"}},
      {"top-level array", R"([1,2])", 0, {"expected a JSON object"}},
      {"entry not an object", R"({"a":[1]})", 0, {"tensor 'a'", "expected an object"}},
      {"unknown dtype",
       R"({"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})",
       8,
       {"tensor 'w'", "'F64'", "F32, F16, BF16"}},
      {"dtype not a string", R"({"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})", 4, {"tensor 'w'", "dtype"}},
      {"missing dtype", R"({"w":{"shape":[1],"data_offsets":[0,4]}})", 4, {"tensor 'w'", "no \"dtype\""}},
      {"negative dim", R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4, {"tensor 'w'", "non-negative"}},
      {"fractional dim", R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4, {"tensor 'w'", "1.5"}},
      {"shape overflows",
       R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}})",
       4,
       {"tensor 'w'", "needs more bytes"}},
      {"negative offset",
       R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})",
       4,
       {"tensor 'w'", "non-negative"}},
      {"three offsets",
       R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})",
       4,
       {"tensor 'w'", "[begin, end]"}},
      {"end before begin",
       R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})",
       4,
       {"tensor 'w'", "begin <= end"}},
      {"offsets beyond the file",
       R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,1000]}})",
       8,
       {"tensor 'w'", "<= 8"}},
      {"size does not match shape",
       R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
       16,
       {"tensor 'w'", "expected 12"}},
      {"overlap",
       R"({"a":{)" + f32x2 + R"(,"data_offsets":[0,8]},"b":{)" + f32x2 + R"(,"data_offsets":[4,12]}})",
       12,
       {"tensor 'b'", "overlap"}},
      {"gap",
       R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
       12,
       {"tensor 'b'", "gap of 4"}},
      {"trailing bytes", R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8, {"cover 4 bytes"}},
      {"duplicate name",
       R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
       2,
       {"tensor 'a'", "twice"}},
      {"metadata not strings", R"({"__metadata__":{"k":1}})", 0, {"__metadata__ 'k'", "expected a string"}},
      {"metadata not an object", R"({"__metadata__":"x"})", 0, {"__metadata__", "expected an object"}},
      {"bad checksum text", R"({"__metadata__":{"denser.crc32c":"xyz"}})", 0, {"8 lowercase hex"}},
      {"wrong checksum", R"({"__metadata__":{"denser.crc32c":"00000000"}})", 0, {"checksum mismatch"}},
      {"checksum named but absent",
       R"({"__metadata__":{"denser.checksum":"crc32c"}})",
       0,
       {"'denser.crc32c' is missing"}},
      {"unknown checksum", R"({"__metadata__":{"denser.checksum":"md5"}})", 0, {"'md5'", "expected crc32c"}},
      {"empty header", "", 0, {"does not start with '{'"}},
  };
  TempDir dir("safetensors");
  const std::string path = dir.path("hostile.safetensors");
  for (const auto& c : cases) {
    spit(path, hand_built(c.header, std::string(c.data_bytes, '\x01')));
    EXPECT_TRUE(error_contains([&] { SafeTensorsFile::open(path); }, c.fragments, path + ": ")) << c.what;
  }
  const std::string valid = R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
  spit(path, hand_built(valid, "x", uint64_t{1} << 40));
  EXPECT_TRUE(throws_error_with([&] { SafeTensorsFile::open(path); }, {"too large"}));
  spit(path, hand_built(valid, "x", valid.size() + 2));
  EXPECT_TRUE(throws_error_with([&] { SafeTensorsFile::open(path); }, {"truncated", "only"}));
  spit(path, hand_built(valid, "x"));  // the same bytes with the right length are fine
  EXPECT_EQ(SafeTensorsFile::open(path).get("a").data[0], 'x');
}

/// A small denser-written file with every dtype family, for truncation and bit-flip sweeps.
std::string small_file(const TempDir& dir) {
  const std::string path = dir.path("small.safetensors");
  const std::vector<float> w = {0.5f, -1.0f, 2.0f, 8.0f};
  const std::vector<uint16_t> h = {float_to_half(0.25f), float_to_half(-3.0f)};
  const std::vector<int64_t> n = {42};
  write_safetensors(
      path,
      {{"w", DType::kF32, {2, 2}, w.data()}, {"h", DType::kF16, {2}, h.data()}, {"n", DType::kI64, {1}, n.data()}});
  return path;
}

TEST(SafeTensors, EveryTruncationIsRejected) {
  TempDir dir("safetensors");
  const std::string bytes = slurp(small_file(dir));
  const std::string path = dir.path("cut.safetensors");
  for (size_t len = 0; len < bytes.size(); ++len) {
    spit(path, bytes.substr(0, len));
    EXPECT_THROW(SafeTensorsFile::open(path), Error) << "prefix of " << len << " bytes";
  }
}

TEST(SafeTensors, EveryBitFlipInADenserFileIsRejected) {
  TempDir dir("safetensors");
  const std::string bytes = slurp(small_file(dir));
  const std::string path = dir.path("flipped.safetensors");
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit : {0, 5, 7}) {  // low, middle and high bits of every byte
      std::string copy = bytes;
      copy[i] = static_cast<char>(copy[i] ^ (1 << bit));
      spit(path, copy);
      EXPECT_THROW(SafeTensorsFile::open(path), Error) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(SafeTensors, BitFlipsInAFileWithoutChecksumNeverCrash) {
  TempDir dir("safetensors");
  const std::string header =
      R"({"b":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  const std::string bytes = hand_built(header, std::string("\x80\x3f\x00\x40\x00\x00\x80\x3f", 8));
  const std::string path = dir.path("plain.safetensors");
  int accepted = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string copy = bytes;
    copy[i] = static_cast<char>(copy[i] ^ 0x5a);
    spit(path, copy);
    try {
      const SafeTensorsFile file = SafeTensorsFile::open(path);
      for (const auto& [name, view] : file.tensors()) {
        if (view.dtype == DType::kF32 || view.dtype == DType::kBF16 || view.dtype == DType::kF16) view.to_float();
      }
      ++accepted;
    } catch (const Error&) {}
  }
  // Flips in the 8 data bytes cannot be detected without a checksum; the rest change the
  // structure and are caught.
  EXPECT_GE(accepted, 8);
  EXPECT_LT(accepted, static_cast<int>(bytes.size()));
}

}  // namespace
}  // namespace denser
