#include "denser/common/io.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "denser/common/error.h"
#include "denser/common/parallel.h"

namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  fs::path dir = fs::temp_directory_path() / ("denser_io_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

TEST(Crc32c, KnownVectors) {
  // Check value from the CRC catalogue for CRC-32C ("123456789").
  EXPECT_EQ(denser::crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(denser::crc32c("", 0), 0u);
  // Incremental equals one-shot.
  std::string s(1000, 'x');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 31);
  uint32_t part = denser::crc32c(s.data(), 333);
  EXPECT_EQ(denser::crc32c(s.data() + 333, s.size() - 333, part), denser::crc32c(s.data(), s.size()));
}

TEST(AtomicFileWriter, CommitReplacesAndAbortLeavesOriginal) {
  fs::path p = temp_dir() / "atomic.bin";
  denser::write_file_atomic(p.string(), "first");
  EXPECT_EQ(denser::read_file(p.string()), "first");
  {
    denser::AtomicFileWriter w(p.string());
    w.write("second, unfinished");
    // destroyed without commit: the original stays, no temporary is left behind
  }
  EXPECT_EQ(denser::read_file(p.string()), "first");
  for (const auto& e : fs::directory_iterator(p.parent_path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  denser::AtomicFileWriter w(p.string());
  w.write("third");
  EXPECT_EQ(w.crc(), denser::crc32c("third", 5));
  w.commit();
  EXPECT_EQ(denser::read_file(p.string()), "third");
}

TEST(AtomicFileWriter, TemporariesOfKilledWritersAreRemoved) {
  // A writer killed with -9 leaves "<path>.tmp.<pid>"; the next writer of the path removes
  // it once that process is gone and the file is a minute old. Live writers' files stay.
  const fs::path dir = temp_dir() / "stale";
  fs::create_directories(dir);
  const fs::path p = dir / "out.emb";
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);  // a pid that no longer runs
  const fs::path dead_old = dir / ("out.emb.tmp." + std::to_string(child));
  const fs::path live = dir / ("out.emb.tmp." + std::to_string(::getppid()));
  const fs::path other = dir / ("other.emb.tmp." + std::to_string(child));
  for (const fs::path& f : {dead_old, live, other}) {
    denser::write_file_atomic(f.string(), "partial");
    fs::last_write_time(f, fs::file_time_type::clock::now() - std::chrono::minutes(5));
  }
  {
    denser::AtomicFileWriter w(p.string());
    w.write("x");
    w.commit();
  }
  EXPECT_FALSE(fs::exists(dead_old)) << "a dead writer's temporary was left";
  EXPECT_TRUE(fs::exists(live)) << "a live process's temporary was removed";
  EXPECT_TRUE(fs::exists(other)) << "another path's temporary was removed";
  // A fresh temporary of a dead pid stays (it may belong to a writer on another host).
  const fs::path dead_fresh = dir / ("out.emb.tmp." + std::to_string(child));
  denser::write_file_atomic(dead_fresh.string(), "partial");
  denser::write_file_atomic(p.string(), "y");
  EXPECT_TRUE(fs::exists(dead_fresh));
  fs::remove_all(dir);
}

TEST(AtomicFileWriter, UnwritableDirectoryIsAClearError) {
  try {
    denser::AtomicFileWriter w("/nonexistent-dir/x.bin");
    FAIL() << "expected an error";
  } catch (const denser::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.bin"), std::string::npos) << e.what();
  }
}

TEST(LineReader, LinesNumbersAndEndings) {
  fs::path p = temp_dir() / "lines.txt";
  {
    std::ofstream out(p, std::ios::binary);
    out << "a\r\nbb\n\nlast";
  }
  denser::LineReader r(p.string());
  std::string line;
  ASSERT_TRUE(r.next(line));
  EXPECT_EQ(line, "a");
  ASSERT_TRUE(r.next(line));
  EXPECT_EQ(line, "bb");
  ASSERT_TRUE(r.next(line));
  EXPECT_EQ(line, "");
  ASSERT_TRUE(r.next(line));
  EXPECT_EQ(line, "last");
  EXPECT_EQ(r.line_number(), 4u);
  EXPECT_EQ(r.where(), p.string() + ":4");
  EXPECT_FALSE(r.next(line));
}

TEST(LineReader, LinesLongerThanTheBuffer) {
  fs::path p = temp_dir() / "long.txt";
  std::string big(3 << 20, 'z');
  {
    std::ofstream out(p, std::ios::binary);
    out << "x\n" << big << "\ny\n";
  }
  denser::LineReader r(p.string());
  std::string line;
  ASSERT_TRUE(r.next(line));
  ASSERT_TRUE(r.next(line));
  EXPECT_EQ(line.size(), big.size());
  ASSERT_TRUE(r.next(line));
  EXPECT_EQ(line, "y");
  EXPECT_FALSE(r.next(line));
}

TEST(MappedFile, MissingFileNamesThePath) { EXPECT_THROW(denser::MappedFile::open("/no/such/file"), denser::Error); }

TEST(ParallelFor, CoversEveryIndexOnceAndRethrows) {
  std::vector<std::atomic<int>> hits(10007);
  denser::parallel_for(hits.size(), 4, 100, [&](size_t b, size_t e, int) {
    for (size_t i = b; i < e; ++i) hits[i]++;
  });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  EXPECT_THROW(denser::parallel_for(1000, 2, 10,
                                    [](size_t b, size_t, int) {
                                      if (b == 500) DENSER_THROW(denser::ErrorCode::kInternal, "boom");
                                    }),
               denser::Error);
}

}  // namespace
