// Writers on a full disk and a read-only directory (docs/reliability.md, "Nothing is lost"):
// one clear error line naming the file, the previous output intact byte for byte, no
// temporary left behind. The full disk is RLIMIT_FSIZE (works anywhere) and, where the
// test may mount file systems (root), a real 1 MiB tmpfs, also remounted read-only.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "denser/common/io.h"
#include "support/command.h"

namespace denser {
namespace {

namespace fs = std::filesystem;
using denser_test::CommandResult;
using denser_test::contains;
using denser_test::run_command;
using denser_test::run_denser;

const std::string kScifact = std::string(DENSER_SHARED_DIR) + "/datasets/scifact";
const std::string kTiny = std::string(DENSER_TESTDATA_DIR) + "/data/beir_tiny";

// `denser args` with the file size limit (KiB) and SIGXFSZ ignored, so that writes past
// the limit fail with EFBIG as on a full disk.
CommandResult run_limited(const std::string& args, int limit_kib) {
  return run_command("(trap '' XFSZ; ulimit -f " + std::to_string(limit_kib) + "; " + std::string(DENSER_BINARY) +
                     " --quiet " + args + ") 2>&1");
}

bool has_temporaries(const std::string& dir) {
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().find(".tmp") != std::string::npos) return true;
  return false;
}

class DiskFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kScifact + "/corpus.jsonl")) GTEST_SKIP() << "needs ../shared/datasets/scifact";
    dir_ = (fs::temp_directory_path() / ("denser-disk-faults-" + std::to_string(::getpid()))).string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (mounted_) ::umount(mount_.c_str());
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // The writer fails with one "denser: error:" line that names `out`'s directory and what
  // happened, and leaves `out` as it was.
  void expect_failed_cleanly(const CommandResult& r, const std::string& out, const std::string& previous,
                             const std::string& what) {
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "denser: error: ")) << r.output;
    EXPECT_TRUE(contains(r.output, fs::path(out).parent_path().string())) << r.output;
    EXPECT_TRUE(contains(r.output, what)) << r.output;
    EXPECT_LE(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_TRUE(read_file(out) == previous) << out << " changed";
    EXPECT_FALSE(has_temporaries(fs::path(out).parent_path().string()));
  }

  std::string dir_, mount_;
  bool mounted_ = false;
};

TEST_F(DiskFaults, FileSizeLimitFailsEachWriterCleanly) {
  const std::string vocab = std::string(DENSER_SHARED_DIR) + "/vocab/bert-base-uncased/vocab.txt";
  const std::string model = dir_ + "/model";
  ASSERT_EQ(run_denser("--quiet model init --preset tiny --vocab " + vocab + " --seed 3 --out " + model).exit_code, 0);
  struct Writer {
    std::string name, small_args, big_args, out;
  };
  const std::string bm25 = dir_ + "/x.bm25", emb = dir_ + "/x.emb", hnsw = dir_ + "/x.hnsw";
  ASSERT_EQ(run_denser("--quiet encode --model " + model + " --collection " + kScifact + " --out " + dir_ +
                       "/big.emb --max-length 16")
                .exit_code,
            0);
  const std::vector<Writer> writers = {
      {"bm25 index", "bm25 index --collection " + kTiny + " --index " + bm25,
       "bm25 index --collection " + kScifact + " --index " + bm25, bm25},
      {"encode", "encode --model " + model + " --collection " + kTiny + " --out " + emb,
       "encode --model " + model + " --collection " + kScifact + " --max-length 16 --out " + emb, emb},
      {"index dense", "index dense --embeddings " + emb + " --factory Flat --out " + hnsw,
       "index dense --embeddings " + dir_ + "/big.emb --factory HNSW16 --out " + hnsw, hnsw},
  };
  for (const Writer& w : writers) {
    ASSERT_EQ(run_denser("--quiet " + w.small_args).exit_code, 0) << w.name;
    const std::string previous = read_file(w.out);
    SCOPED_TRACE(w.name);
    expect_failed_cleanly(run_limited(w.big_args, 256), w.out, previous, "File too large");
  }
}

TEST_F(DiskFaults, FullAndReadOnlyFileSystems) {
  mount_ = dir_ + "/mnt";
  fs::create_directories(mount_);
  if (::geteuid() != 0 || ::mount("tmpfs", mount_.c_str(), "tmpfs", 0, "size=1m") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root); the file size limit test covers a full disk";
  mounted_ = true;
  const std::string out = mount_ + "/x.bm25";
  ASSERT_EQ(run_denser("--quiet bm25 index --collection " + kTiny + " --index " + out).exit_code, 0);
  const std::string previous = read_file(out);
  {
    SCOPED_TRACE("full");
    expect_failed_cleanly(run_denser("--quiet bm25 index --collection " + kScifact + " --index " + out), out, previous,
                          "No space left on device");
  }
  ASSERT_EQ(::mount("tmpfs", mount_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, "size=1m"), 0);
  {
    SCOPED_TRACE("read-only");
    expect_failed_cleanly(run_denser("--quiet bm25 index --collection " + kTiny + " --index " + out), out, previous,
                          "Read-only file system");
  }
}

}  // namespace
}  // namespace denser
