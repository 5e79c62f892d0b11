#pragma once
// File primitives shared by every on-disk format: atomic writes (temp file, fsync,
// rename), read-only memory maps, a streaming line reader that knows its line number,
// and a CRC-32C checksum.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace denser {

/// CRC-32C (Castagnoli) of data, continuing from crc (0 to start). ~1 GB/s, software.
uint32_t crc32c(const void* data, size_t n, uint32_t crc = 0);

/// Writes a file atomically: bytes go to a temporary file beside `path`; commit() flushes,
/// fsyncs and renames it over `path`. Destroyed without commit(), the temporary is removed
/// and `path` is untouched. Keeps a running CRC-32C of everything written. Not thread-safe.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::string path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, size_t n);
  void write(std::string_view s) { write(s.data(), s.size()); }
  template <typename T>
  void write_pod(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    write(&value, sizeof(T));
  }
  uint64_t bytes_written() const { return bytes_; }
  uint32_t crc() const { return crc_; }
  const std::string& path() const { return path_; }
  void commit();

 private:
  std::string path_;
  std::string tmp_path_;
  std::FILE* file_ = nullptr;
  uint64_t bytes_ = 0;
  uint32_t crc_ = 0;
  bool committed_ = false;
};

/// A read-only memory map of a whole file. Movable, not copyable; unmaps on destruction.
class MappedFile {
 public:
  MappedFile() = default;
  /// Throws denser::Error naming the path when the file cannot be opened or mapped.
  static MappedFile open(const std::string& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

/// Streams a text file line by line in constant memory. Lines lose their "\n" / "\r\n".
class LineReader {
 public:
  /// Throws denser::Error when the file cannot be opened.
  explicit LineReader(std::string path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  /// Reads the next line into `line`; false at end of file.
  bool next(std::string& line);
  /// 1-based number of the line last returned by next().
  uint64_t line_number() const { return line_number_; }
  const std::string& path() const { return path_; }
  /// "path:line" of the line last returned, for error messages.
  std::string where() const;
  /// Bytes consumed so far (for progress reporting).
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  bool refill();
  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<char> buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t line_number_ = 0;
  uint64_t bytes_read_ = 0;
  bool eof_ = false;
};

/// Reads a whole (small) file; throws denser::Error naming the path on failure.
std::string read_file(const std::string& path);
/// Writes a whole file atomically.
void write_file_atomic(const std::string& path, std::string_view contents);
bool file_exists(const std::string& path);
/// fsyncs a directory, so that renames and creations inside it are durable (best effort:
/// a directory that cannot be opened is ignored).
void fsync_directory(const std::string& dir);
uint64_t file_size(const std::string& path);

}  // namespace denser
