// The library and `denser eval` against outputs of the real trec_eval, byte for byte.
// Cases are listed in tests/testdata/eval/cases.tsv; README.md there says how the
// reference outputs were produced.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "denser/common/io.h"
#include "denser/data/readers.h"
#include "denser/eval/metrics.h"
#include "support/command.h"

namespace denser {
namespace {

const std::string kDir = std::string(DENSER_TESTDATA_DIR) + "/eval/";

struct ParityCase {
  std::string expected;
  std::string qrels;
  std::string run;
  std::vector<std::string> args;
};

// Shown by gtest for a failing case instead of the struct's bytes.
void PrintTo(const ParityCase& c, std::ostream* os) { *os << c.expected; }

std::vector<std::string> split_spaces(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

std::vector<ParityCase> read_cases() {
  std::vector<ParityCase> cases;
  std::ifstream in(kDir + "cases.tsv");
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string field; std::getline(fields, field, '\t');) f.push_back(field);
    if (f.size() < 3) continue;
    cases.push_back({f[0], f[1], f[2], split_spaces(f.size() > 3 ? f[3] : "")});
  }
  return cases;
}

using denser_test::CommandResult;
using denser_test::run_command;

std::string quote(const std::string& s) { return "'" + s + "'"; }

std::string eval_command(const std::string& qrels, const std::string& run, const std::vector<std::string>& args) {
  std::string cmd = quote(DENSER_BINARY) + " --quiet eval --qrels " + quote(qrels) + " --run " + quote(run);
  for (const std::string& a : args) cmd += " " + quote(a);
  return cmd;
}

// The first differing line, so a failure says where rather than dumping two files.
std::string first_difference(const std::string& expected, const std::string& actual) {
  std::istringstream e(expected), a(actual);
  std::string le, la;
  for (int line = 1;; ++line) {
    bool he = static_cast<bool>(std::getline(e, le));
    bool ha = static_cast<bool>(std::getline(a, la));
    if (!he && !ha) return "identical lines (difference in final newline)";
    if (he != ha || le != la)
      return "line " + std::to_string(line) + ": expected \"" + (he ? le : "<end>") + "\", got \"" +
             (ha ? la : "<end>") + "\"";
  }
}

class TrecEvalParity : public testing::TestWithParam<ParityCase> {};

TEST_P(TrecEvalParity, LibraryMatchesTrecEval) {
  const ParityCase& c = GetParam();
  std::vector<std::string> measures;
  bool per_query = false;
  EvalOptions options;
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (c.args[i] == "-q") per_query = true;
    if (c.args[i] == "-m" && i + 1 < c.args.size()) measures.push_back(c.args[++i]);
    if (c.args[i] == "-l" && i + 1 < c.args.size()) options.relevance_level = std::stoi(c.args[++i]);
  }
  Qrels qrels = read_qrels(kDir + c.qrels);
  denser::Run run = read_trec_run(kDir + c.run);
  EvalResult result =
      evaluate(qrels, run, measures.empty() ? MeasureSet::defaults() : MeasureSet::parse(measures), options);
  std::string expected = read_file(kDir + c.expected);
  std::string actual = format_trec_eval(result, per_query);
  EXPECT_EQ(actual, expected) << c.expected << ": " << first_difference(expected, actual);
}

TEST_P(TrecEvalParity, CliMatchesTrecEval) {
  const ParityCase& c = GetParam();
  CommandResult r = run_command(eval_command(kDir + c.qrels, kDir + c.run, c.args));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string expected = read_file(kDir + c.expected);
  EXPECT_EQ(r.output, expected) << c.expected << ": " << first_difference(expected, r.output);
}

std::string case_name(const testing::TestParamInfo<ParityCase>& info) {
  std::string name = info.param.expected.substr(0, info.param.expected.find(".trec_eval"));
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TrecEvalParity, testing::ValuesIn(read_cases()), case_name);

TEST(TrecEvalParityManifest, ListsEveryFixture) {
  // Guards against a manifest that silently fails to load (and so tests nothing).
  EXPECT_GE(read_cases().size(), 15u);
}

// ---- CLI errors: a message naming the file (and line), the category's exit status ----

// Runs `denser eval` on ties.qrels and `run`, expecting exit status `status` (README's
// table: 2 invalid argument, 3 not found, 4 corrupt) and every needle in the messages.
void expect_cli_error(const std::string& run, const std::vector<std::string>& args, int status,
                      const std::vector<std::string>& needles) {
  CommandResult r = run_command(eval_command(kDir + "ties.qrels", kDir + run, args) + " 2>&1");
  EXPECT_EQ(r.exit_code, status) << r.output;
  for (const std::string& needle : needles) EXPECT_NE(r.output.find(needle), std::string::npos) << r.output;
}

TEST(EvalCli, MissingFileIsAnErrorNamingIt) {
  expect_cli_error("no-such-file.run", {}, 3, {"denser: error:", "no-such-file.run"});
}

TEST(EvalCli, MalformedRunLineIsAnErrorNamingFileAndLine) {
  expect_cli_error("malformed.run", {}, 4, {"malformed.run:3"});
}

TEST(EvalCli, DuplicateDocumentIsAnErrorAsInTrecEval) {
  // trec_eval stops with "duplicate docs d1"; denser names the line of the repeat.
  expect_cli_error("duplicate.run", {}, 4, {"duplicate.run:3", "d1"});
}

TEST(EvalCli, UnknownMeasureListsTheSupportedOnes) {
  expect_cli_error("ties.run", {"-m", "bpref"}, 2, {"bpref", "recip_rank", "ndcg_cut"});
}

TEST(EvalCli, NoQueriesInCommonIsAnError) {
  // trec_eval: "No queries with both results and relevance info".
  expect_cli_error("beir.run", {}, 2, {"no query is both in the run"});
}

}  // namespace
}  // namespace denser
