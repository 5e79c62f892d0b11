#include "denser/common/io.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "denser/common/error.h"

namespace denser {
namespace {

// Slicing-by-8 tables for the reflected Castagnoli polynomial.
struct Crc32cTables {
  std::array<std::array<uint32_t, 256>, 8> t{};
  Crc32cTables() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
};

const Crc32cTables& crc_tables() {
  static const Crc32cTables tables;
  return tables;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

uint32_t crc32c(const void* data, size_t n, uint32_t crc) {
  const auto& t = crc_tables().t;
  const auto* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    word ^= crc;
    crc = t[7][word & 0xFF] ^ t[6][(word >> 8) & 0xFF] ^ t[5][(word >> 16) & 0xFF] ^ t[4][(word >> 24) & 0xFF] ^
          t[3][(word >> 32) & 0xFF] ^ t[2][(word >> 40) & 0xFF] ^ t[1][(word >> 48) & 0xFF] ^ t[0][word >> 56];
    p += 8;
    n -= 8;
  }
  while (n--) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
  return ~crc;
}

// ---------------------------------------------------------------- AtomicFileWriter

namespace {

// Temporaries "<path>.tmp.<pid>" left by writers that were killed (kill -9, a crash): the
// process is gone from this machine and the file has not changed for a minute (a writer
// on another host sharing the file system keeps its file fresh). Removed before a new
// writer of the same path starts, so kills do not pile up partial files.
void remove_stale_temporaries(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string prefix = target.filename().string() + ".tmp.";
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.find_first_not_of("0123456789") != std::string::npos || pid_text.size() > 9) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code time_ec;
    const auto modified = fs::last_write_time(it->path(), time_ec);
    if (time_ec || fs::file_time_type::clock::now() - modified < std::chrono::minutes(1)) continue;
    std::error_code remove_ec;
    fs::remove(it->path(), remove_ec);
  }
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::string path) : path_(std::move(path)) {
  remove_stale_temporaries(path_);
  tmp_path_ = str(path_, ".tmp.", ::getpid());
  file_ = std::fopen(tmp_path_.c_str(), "wb");
  DENSER_CHECK(file_ != nullptr, ErrorCode::kUnavailable, tmp_path_, ": cannot create file: ", errno_text());
}

AtomicFileWriter::~AtomicFileWriter() {
  if (file_ != nullptr) std::fclose(file_);
  if (!committed_) ::unlink(tmp_path_.c_str());
}

void AtomicFileWriter::write(const void* data, size_t n) {
  DENSER_CHECK(file_ != nullptr && !committed_, ErrorCode::kInternal, path_, ": write after commit");
  if (n == 0) return;
  DENSER_CHECK(std::fwrite(data, 1, n, file_) == n, ErrorCode::kUnavailable, tmp_path_,
               ": write failed: ", errno_text());
  crc_ = crc32c(data, n, crc_);
  bytes_ += n;
}

void AtomicFileWriter::commit() {
  DENSER_CHECK(file_ != nullptr && !committed_, ErrorCode::kInternal, path_, ": commit called twice");
  DENSER_CHECK(std::fflush(file_) == 0, ErrorCode::kUnavailable, tmp_path_, ": flush failed: ", errno_text());
  DENSER_CHECK(::fsync(::fileno(file_)) == 0, ErrorCode::kUnavailable, tmp_path_, ": fsync failed: ", errno_text());
  std::FILE* f = file_;
  file_ = nullptr;
  DENSER_CHECK(std::fclose(f) == 0, ErrorCode::kUnavailable, tmp_path_, ": close failed: ", errno_text());
  DENSER_CHECK(::rename(tmp_path_.c_str(), path_.c_str()) == 0, ErrorCode::kUnavailable, path_, ": cannot rename ",
               tmp_path_, " into place: ", errno_text());
  committed_ = true;
  // Make the rename itself durable.
  fsync_directory(std::filesystem::path(path_).parent_path().string());
}

void fsync_directory(const std::string& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// ---------------------------------------------------------------- MappedFile

MappedFile MappedFile::open(const std::string& path) {
  MappedFile m;
  m.path_ = path;
  int fd = ::open(path.c_str(), O_RDONLY);
  DENSER_CHECK(fd >= 0, ErrorCode::kNotFound, path, ": cannot open: ", errno_text());
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    DENSER_THROW(ErrorCode::kUnavailable, path, ": cannot stat: ", errno_text());
  }
  m.size_ = static_cast<size_t>(st.st_size);
  if (m.size_ > 0) {
    void* p = ::mmap(nullptr, m.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      DENSER_THROW(ErrorCode::kUnavailable, path, ": cannot mmap: ", errno_text());
    }
    m.data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return m;
}

MappedFile::MappedFile(MappedFile&& other) noexcept { *this = std::move(other); }

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
    path_ = std::move(other.path_);
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

// ---------------------------------------------------------------- LineReader

namespace {
// A line longer than this is not a record of any format denser reads: an error, not an
// ever-doubling buffer.
constexpr size_t kMaxLineBytes = size_t{256} << 20;
}  // namespace

LineReader::LineReader(std::string path) : path_(std::move(path)) {
  file_ = std::fopen(path_.c_str(), "rb");
  DENSER_CHECK(file_ != nullptr, ErrorCode::kNotFound, path_, ": cannot open: ", errno_text());
  // 1 MiB, or less for a small file (many small files are read, in tests and fuzzing).
  struct stat st {};
  size_t initial = size_t{1} << 20;
  if (::fstat(::fileno(file_), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0)
    initial = std::clamp<size_t>(static_cast<size_t>(st.st_size) + 1, 4096, initial);
  buffer_.resize(initial);
}

LineReader::~LineReader() {
  if (file_ != nullptr) std::fclose(file_);
}

bool LineReader::refill() {
  if (eof_) return false;
  if (pos_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (end_ == buffer_.size()) {
    DENSER_CHECK(buffer_.size() < kMaxLineBytes, ErrorCode::kTooLarge, path_, ":", line_number_ + 1,
                 ": line longer than ", kMaxLineBytes >> 20, " MiB (not a text record)");
    buffer_.resize(buffer_.size() * 2);
  }
  size_t got = std::fread(buffer_.data() + end_, 1, buffer_.size() - end_, file_);
  DENSER_CHECK(!std::ferror(file_), ErrorCode::kUnavailable, path_, ": read error: ", errno_text());
  if (got == 0) eof_ = true;
  end_ += got;
  return got > 0;
}

bool LineReader::next(std::string& line) {
  size_t scanned = pos_;
  for (;;) {
    const char* start = buffer_.data() + scanned;
    const void* nl = std::memchr(start, '\n', end_ - scanned);
    if (nl != nullptr) {
      size_t nl_pos = static_cast<size_t>(static_cast<const char*>(nl) - buffer_.data());
      size_t len = nl_pos - pos_;
      bytes_read_ += len + 1;
      if (len > 0 && buffer_[pos_ + len - 1] == '\r') --len;
      line.assign(buffer_.data() + pos_, len);
      pos_ = nl_pos + 1;
      ++line_number_;
      return true;
    }
    size_t consumed = end_ - pos_;
    if (!refill()) {
      if (end_ == pos_) return false;
      // Last line without a trailing newline.
      size_t len = end_ - pos_;
      bytes_read_ += len;
      if (buffer_[end_ - 1] == '\r') --len;
      line.assign(buffer_.data() + pos_, len);
      pos_ = end_;
      ++line_number_;
      return true;
    }
    scanned = pos_ + consumed;
  }
}

std::string LineReader::where() const { return str(path_, ":", line_number_); }

// ---------------------------------------------------------------- helpers

std::string read_file(const std::string& path) {
  MappedFile m = MappedFile::open(path);
  return std::string(m.view());
}

void write_file_atomic(const std::string& path, std::string_view contents) {
  AtomicFileWriter w(path);
  w.write(contents);
  w.commit();
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

uint64_t file_size(const std::string& path) {
  struct stat st {};
  DENSER_CHECK(::stat(path.c_str(), &st) == 0, ErrorCode::kNotFound, path, ": cannot stat: ", errno_text());
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace denser
