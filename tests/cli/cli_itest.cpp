// End-to-end checks of CLI paths that span modules: eval against a collection's own
// judgments (SMART codes mapped to grades), tokenize, vocab train, top-level errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "denser/common/io.h"
#include "denser/sparse/bm25_index.h"
#include "denser/text/wordpiece.h"
#include "support/command.h"

namespace {

using denser_test::contains;
using denser_test::run_denser;

const std::string kTestdata = DENSER_TESTDATA_DIR;

std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("denser_cli_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(CliEval, JudgmentsFromASmartCollection) {
  // tinyqrel: query 1 -> doc 1 code 1 (grade 4), doc 3 code -1 (grade 0); query 2 -> doc 3
  // code 2 (grade 3). The run puts the non-relevant doc 3 first for query 1 (reciprocal
  // rank 1/2) and the relevant doc 3 first for query 2 (1): mean 0.75. MAP is the same.
  const std::string dir = temp_dir("eval");
  const std::string run = dir + "/tiny.run";
  denser::write_file_atomic(run, "1 Q0 3 1 2.0 t\n1 Q0 1 2 1.0 t\n2 Q0 3 1 5.0 t\n2 Q0 1 2 1.0 t\n");
  auto r = run_denser("eval --collection " + kTestdata + "/data/smart_tiny --split test --run " + run +
                      " -m recip_rank -m map -m num_rel");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            "num_rel               \tall\t2\n"
            "map                   \tall\t0.7500\n"
            "recip_rank            \tall\t0.7500\n");
}

TEST(CliEval, NeedsExactlyOneSourceOfJudgments) {
  auto r = run_denser("eval --run /dev/null");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "--qrels FILE or --collection DIR")) << r.output;
  r = run_denser("eval --run /dev/null --qrels a --collection b");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "excludes")) << r.output;
}

TEST(CliTokenize, Bm25TermsAndWordPieces) {
  auto r = run_denser("tokenize --bm25 \"The runners' shoes were RUNNING\"");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "runner\nshoe\nwere\nrun\n");
  const std::string dir = temp_dir("tokenize");
  denser::write_file_atomic(dir + "/vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nun\n##aff\n##able\n");
  r = run_denser("tokenize --vocab " + dir + "/vocab.txt unaffable");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "5\tun\n6\t##aff\n7\t##able\n");
  r = run_denser("tokenize text");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "--vocab")) << r.output;
}

TEST(CliVocab, TrainsAVocabularyThatCoversTheCorpus) {
  const std::string dir = temp_dir("vocab");
  auto r = run_denser("vocab train --collection " + kTestdata + "/sparse/mini --size 200 --min-frequency 1 --out " +
                      dir + "/vocab.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "documents: 8")) << r.output;
  auto tokens = denser::load_vocab_txt(dir + "/vocab.txt");
  ASSERT_GE(tokens.size(), 5u);
  EXPECT_EQ(tokens[0], "[PAD]");
  EXPECT_EQ(tokens[1], "[UNK]");
  EXPECT_LE(tokens.size(), 200u);
}

TEST(CliBm25Query, RanksLikeTheLibraryAndShowsSnippets) {
  const std::string dir = temp_dir("query");
  const std::string mini = kTestdata + "/sparse/mini";
  auto r = run_denser("bm25 index --collection " + mini + " --index " + dir + "/mini.bm25");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_denser("bm25 query --index " + dir + "/mini.bm25 --collection " + mini + " --k 2 sleep memory students");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // doc6 ("Memory ... sleep; students who sleep") and doc4 both hold all three terms; the
  // CLI must list exactly the library's order, each with its snippet.
  denser::Bm25Index index = denser::Bm25Index::open(dir + "/mini.bm25");
  denser::Bm25SearchOptions options;
  options.k = 2;
  auto result = index.search("sleep memory students", options);
  ASSERT_EQ(result.hits.size(), 2u);
  EXPECT_EQ(index.doc_id(result.hits[0].doc), "doc6");
  EXPECT_EQ(index.doc_id(result.hits[1].doc), "doc4");
  EXPECT_TRUE(contains(r.output, "2 results for \"sleep memory students\"")) << r.output;
  const size_t first = r.output.find("  1  ");
  const size_t second = r.output.find("  2  ");
  ASSERT_NE(first, std::string::npos) << r.output;
  ASSERT_NE(second, std::string::npos) << r.output;
  EXPECT_TRUE(contains(r.output.substr(first, second - first), "doc6  Memory | Memory improves after sleep"))
      << r.output;
  EXPECT_TRUE(contains(r.output.substr(second), "doc4  Sleep deprivation impairs memory")) << r.output;
}

TEST(CliTopLevel, UnknownCommandAndMissingFilesFailCleanly) {
  auto r = run_denser("no-such-command");
  EXPECT_NE(r.exit_code, 0);
  r = run_denser("data stats --collection /no/such/dir");
  EXPECT_EQ(r.exit_code, 3);  // not found
  EXPECT_TRUE(contains(r.output, "denser: error: ")) << r.output;
  EXPECT_TRUE(contains(r.output, "/no/such/dir")) << r.output;
  r = run_denser("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, std::string("denser ") + DENSER_VERSION)) << r.output;
}

// README's table of exit codes: one command per category.
TEST(CliExitCodes, EachErrorCategoryHasItsCode) {
  const std::string dir = temp_dir("exit_codes");
  const std::string mini = kTestdata + "/sparse/mini";
  // A flag CLI11 rejects, and a value outside an option's declared range: 2.
  EXPECT_EQ(run_denser("search --no-such-flag").exit_code, 2);
  auto r = run_denser("search --bm25 x --alpha 2 --query q");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "\"--alpha\" must be in [0, 1], got 2")) << r.output;
  r = run_denser("search --bm25 x --mode sideways --query q");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "one of dense, bm25, hybrid")) << r.output;
  // A missing file: 3.
  r = run_denser("bm25 query --index " + dir + "/none.bm25 --k 2 sleep");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  // A damaged index: 4.
  ASSERT_EQ(run_denser("bm25 index --collection " + mini + " --index " + dir + "/mini.bm25").exit_code, 0);
  {
    std::fstream f(dir + "/mini.bm25", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f.write("XXXX", 4);
  }
  r = run_denser("bm25 query --index " + dir + "/mini.bm25 --k 2 sleep");
  EXPECT_EQ(r.exit_code, 4) << r.output;
  // A write the file system refuses: 5.
  r = run_denser("bm25 index --collection " + mini + " --index /proc/denser-cannot-write/x.bm25");
  EXPECT_EQ(r.exit_code, 5) << r.output;
  // A mode whose side was not opened: 6.
  ASSERT_EQ(run_denser("bm25 index --collection " + mini + " --index " + dir + "/good.bm25").exit_code, 0);
  r = run_denser("search --bm25 " + dir + "/good.bm25 --mode dense --query sleep");
  EXPECT_EQ(r.exit_code, 6) << r.output;
}

// docs/options.md holds exactly what `denser options --markdown` prints between its markers.
TEST(CliOptions, DocsTablesAreGenerated) {
  auto r = run_denser("options --markdown");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string doc = denser::read_file(std::string(DENSER_TESTS_DIR) + "/../docs/options.md");
  const std::string begin = "<!-- options:begin (generated by `denser options --markdown`) -->\n";
  const size_t b = doc.find(begin), e = doc.find("<!-- options:end -->");
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(doc.substr(b + begin.size(), e - b - begin.size()), r.output)
      << "docs/options.md is out of date: run scripts/update-docs.sh";
  EXPECT_TRUE(contains(r.output, "| `alpha` | `--alpha` | number | `0.5` | in [0, 1] |")) << r.output;
  EXPECT_TRUE(contains(r.output, "| `learning_rate` | `--lr` |")) << r.output;
}

}  // namespace
