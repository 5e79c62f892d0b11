// The Debian packages collection: the Translation-en parser on a fixture, the seeded
// split, and the properties of the built collection (hand-counted on the fixture).
#include "denser/data/debian_packages.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "data_test_util.h"
#include "denser/common/io.h"
#include "denser/data/collection.h"

namespace {

using denser::DebianCollection;
using denser::DebianSplitOptions;
using denser::PackageDescription;
using denser_test::TempDir;
using denser_test::testdata;
using denser_test::throws_error_with;

std::vector<PackageDescription> sample() { return denser::read_translation_file(testdata("Translation-en-sample")); }

const PackageDescription& find(const std::vector<PackageDescription>& entries, const std::string& package) {
  auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.package == package; });
  EXPECT_NE(it, entries.end()) << package;
  return *it;
}

TEST(TranslationEn, ParsesStanzasAndNormalizesDescriptions) {
  denser::ReadStats stats;
  auto entries = denser::read_translation_file(testdata("Translation-en-sample"), {}, &stats);
  ASSERT_EQ(entries.size(), 20u);
  EXPECT_EQ(stats.num_records, 20u);
  EXPECT_EQ(entries[0].package, "alpha");
  EXPECT_EQ(entries[0].synopsis, "Alpha text editor");
  EXPECT_EQ(entries[0].description, "Alpha is a small editor. It edits text.");
  // Paragraphs on their own lines, " ." twice is one break, indented lines joined.
  EXPECT_EQ(find(entries, "beta").description,
            "Beta serves files over the network.\nIt supports: * item one * item two\nLast paragraph.");
  EXPECT_EQ(find(entries, "beta-common").synopsis, "beta network daemon.");
  EXPECT_EQ(find(entries, "delta").description, "");
  EXPECT_EQ(find(entries, "gamma").description, find(entries, "gamma-dev").description);
  EXPECT_EQ(find(entries, "nu").synopsis, "Caf\xC3\xA9 menu planner");
  EXPECT_EQ(entries.back().package, "xi");
}

TEST(TranslationEn, CompressedListsGoThroughAptHelper) {
  if (!std::filesystem::exists("/usr/lib/apt/apt-helper")) GTEST_SKIP() << "apt-helper not installed";
  TempDir dir("translation_gz");
  std::string gz = dir.path("x_main_i18n_Translation-en.gz");
  ASSERT_EQ(std::system(("gzip -c '" + testdata("Translation-en-sample") + "' > '" + gz + "'").c_str()), 0);
  auto direct = sample();
  auto piped = denser::read_translation_file(gz);
  ASSERT_EQ(piped.size(), direct.size());
  for (size_t i = 0; i < direct.size(); ++i) {
    EXPECT_EQ(piped[i].package, direct[i].package);
    EXPECT_EQ(piped[i].synopsis, direct[i].synopsis);
    EXPECT_EQ(piped[i].description, direct[i].description);
  }
  // A malformed stanza in a compressed list names the decompressed line.
  std::string bad_plain = dir.write("bad", "Package: a\nDescription-en: s\nno colon here\n");
  std::string bad_gz = dir.path("bad.gz");
  ASSERT_EQ(std::system(("gzip -c '" + bad_plain + "' > '" + bad_gz + "'").c_str()), 0);
  EXPECT_TRUE(throws_error_with([&] { denser::read_translation_file(bad_gz); }, {bad_gz + ":3: "}));
}

TEST(TranslationEn, MalformedStanzasNameFileAndLine) {
  struct Case {
    std::string text;
    int line;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {"Package: a\nDescription-en: s\n long\nno colon here\n", 4, "expected \"Field: value\""},
      {" continuation first\nPackage: a\nDescription-en: s\n", 1, "continuation line before any field"},
      {"Package: a\nPackage: b\nDescription-en: s\n", 2, "a second Package field"},
      {"Package: a\nDescription-en: s\nDescription-en: t\n", 3, "a second Description-en field"},
      {"Description-en: s\n long\n", 1, "stanza without a Package field"},
      {"Package: a\nDescription-md5: 1\n", 1, "has no Description-en synopsis"},
      {"Package: a\nDescription-en:\n long only\n", 1, "has no Description-en synopsis"},
      {"Package: a\nDescription-en: caf\xE9\n", 2, "invalid UTF-8 at byte 20"},
  };
  TempDir dir("translation_bad");
  for (const auto& c : cases) {
    std::string path = dir.write("Translation-en", c.text + "\nPackage: ok\nDescription-en: fine\n long\n");
    EXPECT_TRUE(throws_error_with([&] { denser::read_translation_file(path); },
                                  {path + ":" + std::to_string(c.line) + ": ", c.fragment}))
        << c.text;
    denser::ReadStats stats;
    auto entries = denser::read_translation_file(path, {true}, &stats);
    ASSERT_EQ(entries.size(), 1u) << c.text;
    EXPECT_EQ(entries[0].package, "ok");
    EXPECT_EQ(stats.num_skipped, 1u);
  }
}

TEST(TranslationEn, FindsOnlyEnglishListsInAnyCompression) {
  TempDir dir("lists");
  for (const char* name :
       {"b_main_i18n_Translation-en", "a_main_i18n_Translation-en.lz4", "c_i18n_Translation-en_GB.xz",
        "c_i18n_Translation-de.gz", "a_binary-amd64_Packages.lz4", "a_main_i18n_Translation-en.diff_Index"})
    dir.write(name, "");
  EXPECT_EQ(
      denser::find_translation_files(dir.path()),
      (std::vector<std::string>{dir.path("a_main_i18n_Translation-en.lz4"), dir.path("b_main_i18n_Translation-en")}));
}

TEST(DebianSplit, NormalizeSynopsis) {
  EXPECT_EQ(denser::normalize_synopsis("  Beta  Network\tdaemon.. "), "beta network daemon");
  EXPECT_EQ(denser::normalize_synopsis("Beta network daemon"), "beta network daemon");
  EXPECT_EQ(denser::normalize_synopsis("C++ library (v2.0)"), "c++ library (v2.0)");
}

TEST(DebianSplit, UniformBelowStaysInRange) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(denser::uniform_below(rng, 1), 0u);
  const uint64_t big = (uint64_t{1} << 63) + 12345;  // rejects almost half of the draws
  for (int i = 0; i < 1000; ++i) EXPECT_LT(denser::uniform_below(rng, big), big);
  EXPECT_TRUE(throws_error_with([&] { denser::uniform_below(rng, 0); }, {"bound"}));
}

TEST(DebianSplit, PermutationMatchesTheDefinition) {
  // n = 2: the single step swaps p[1] with p[r % 2] for the generator's first output r
  // (2^64 mod 2 = 0, so nothing is rejected): [1, 0] exactly when r is even.
  for (uint64_t seed = 0; seed < 100; ++seed) {
    uint64_t r = std::mt19937_64(seed)();
    auto p = denser::seeded_permutation(2, seed);
    EXPECT_EQ(p, (r % 2 == 0 ? std::vector<size_t>{1, 0} : std::vector<size_t>{0, 1})) << seed;
  }
  auto p = denser::seeded_permutation(1000, 99);
  EXPECT_EQ(p, denser::seeded_permutation(1000, 99));
  EXPECT_NE(p, denser::seeded_permutation(1000, 100));
  std::vector<size_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_TRUE(denser::seeded_permutation(0, 1).empty());
}

TEST(DebianSplit, PermutationsOfThreeAreUniform) {
  std::map<std::vector<size_t>, int> counts;
  const int kTrials = 6000;
  for (int seed = 0; seed < kTrials; ++seed) ++counts[denser::seeded_permutation(3, seed)];
  ASSERT_EQ(counts.size(), 6u);
  // Each of the 6 orders has probability 1/6: 1000 expected, sd ~29; allow 5 sd.
  for (const auto& [perm, n] : counts) EXPECT_NEAR(n, 1000, 150);
}

DebianCollection build(uint64_t seed, std::vector<PackageDescription> entries = sample()) {
  return denser::build_debian_collection(std::move(entries), DebianSplitOptions{seed, 3, 3});
}

std::set<std::string> judged_docs(const DebianCollection& c, const std::string& qid) {
  for (const auto& [split, qrels] : c.qrels) {
    auto it = qrels.judgments.find(qid);
    if (it == qrels.judgments.end()) continue;
    std::set<std::string> docs;
    for (const auto& [doc, grade] : it->second) docs.insert(doc);
    return docs;
  }
  return {};
}

TEST(DebianCollection, CountsOnTheFixture) {
  DebianCollection c = build(7);
  // Hand counts: 20 stanzas, 17 names (alpha, epsilon, omega listed twice), delta has no
  // long description, gamma and gamma-dev share one; 14 distinct normalized synopses.
  EXPECT_EQ(c.counts.num_entries, 20u);
  EXPECT_EQ(c.counts.num_packages, 17u);
  EXPECT_EQ(c.counts.num_duplicate_entries, 3u);
  EXPECT_EQ(c.counts.num_without_description, 1u);
  EXPECT_EQ(c.counts.num_documents, 15u);
  EXPECT_EQ(c.queries.size(), 14u);
  EXPECT_EQ(c.counts.num_queries, (std::map<std::string, uint64_t>{{"dev", 3}, {"test", 3}, {"train", 8}}));
  uint64_t judgments = 0;
  for (const auto& [split, n] : c.counts.num_judgments) judgments += n;
  EXPECT_EQ(judgments, 16u);
}

TEST(DebianCollection, GroupsDocumentsAndSynopses) {
  DebianCollection c = build(7);
  std::map<std::string, size_t> doc_index;
  for (size_t i = 0; i < c.documents.size(); ++i) {
    doc_index[c.documents[i].id] = i;
    EXPECT_EQ(c.documents[i].title, "");  // the synopsis is the query, never in the document
    if (i > 0) {
      EXPECT_LT(c.documents[i - 1].id, c.documents[i].id);
    }
  }
  EXPECT_EQ(doc_index.count("gamma-dev"), 0u);
  EXPECT_EQ(c.document_packages[doc_index.at("gamma")], (std::vector<std::string>{"gamma", "gamma-dev"}));
  EXPECT_EQ(c.documents[doc_index.at("epsilon")].text, "Epsilon is a game, JIT build.");  // smallest entry
  EXPECT_EQ(c.documents[doc_index.at("omega")].text, "Omega does things.");  // the entry with a description
  EXPECT_EQ(doc_index.count("delta"), 0u);
  std::map<std::string, size_t> query_index;
  for (size_t i = 0; i < c.queries.size(); ++i) query_index[c.queries[i].id] = i;
  EXPECT_EQ(c.queries[query_index.at("q-alpha")].text, "Alpha text editor");
  EXPECT_EQ(c.query_packages[query_index.at("q-alpha")], (std::vector<std::string>{"alpha", "xi"}));
  EXPECT_EQ(judged_docs(c, "q-alpha"), (std::set<std::string>{"alpha", "xi"}));
  EXPECT_EQ(judged_docs(c, "q-beta"), (std::set<std::string>{"beta", "beta-common"}));
  EXPECT_EQ(judged_docs(c, "q-gamma"), (std::set<std::string>{"gamma"}));
  EXPECT_EQ(judged_docs(c, "q-gamma-dev"), (std::set<std::string>{"gamma"}));
  EXPECT_EQ(query_index.count("q-xi"), 0u);
  EXPECT_EQ(query_index.count("q-beta-common"), 0u);
}

TEST(DebianCollection, SampleKeepsEveryJudgedTestAndDevDocument) {
  const DebianCollection full = build(7);
  auto entries = sample();
  DebianSplitOptions options;
  options.seed = 7;
  options.num_dev = 3;
  options.num_test = 3;
  options.max_documents = 10;
  const DebianCollection c = denser::build_debian_collection(entries, options);
  EXPECT_EQ(c.counts.num_documents_before_sampling, 15u);
  ASSERT_EQ(c.documents.size(), 10u);
  EXPECT_EQ(c.counts.num_documents, 10u);
  std::set<std::string> ids;
  for (size_t i = 0; i < c.documents.size(); ++i) {
    ids.insert(c.documents[i].id);
    if (i > 0) {
      EXPECT_LT(c.documents[i - 1].id, c.documents[i].id);
    }
  }
  // Dev and test are whole: the same queries and judgments as without sampling.
  for (const char* split : {"dev", "test"}) {
    EXPECT_EQ(c.qrels.at(split).judgments, full.qrels.at(split).judgments) << split;
    for (const auto& [q, docs] : c.qrels.at(split).judgments)
      for (const auto& [d, grade] : docs) EXPECT_EQ(ids.count(d), 1u) << split << " " << q << " " << d;
  }
  // Training queries judge only kept documents, and none is left without a judgment.
  size_t train = 0;
  for (const auto& [q, docs] : c.qrels.at("train").judgments) {
    EXPECT_FALSE(docs.empty()) << q;
    for (const auto& [d, grade] : docs) EXPECT_EQ(ids.count(d), 1u) << q << " " << d;
    ++train;
  }
  EXPECT_EQ(c.counts.num_queries.at("train"), train);
  EXPECT_LE(train, full.counts.num_queries.at("train"));
  EXPECT_EQ(c.queries.size(), c.query_splits.size());
  EXPECT_EQ(c.queries.size(), train + 6);
  // Deterministic for the seed.
  const DebianCollection again = denser::build_debian_collection(sample(), options);
  ASSERT_EQ(again.documents.size(), c.documents.size());
  for (size_t i = 0; i < c.documents.size(); ++i) EXPECT_EQ(again.documents[i].id, c.documents[i].id);
}

TEST(DebianCollection, SplitsAreDisjointAndNoTestSynopsisIsInTrain) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    DebianCollection c = build(seed);
    std::map<std::string, std::set<std::string>> synopses;  // split -> normalized synopses
    for (size_t i = 0; i < c.queries.size(); ++i) {
      const std::string& split = c.query_splits[i];
      EXPECT_EQ(c.qrels.at(split).judgments.count(c.queries[i].id), 1u);
      EXPECT_TRUE(synopses[split].insert(denser::normalize_synopsis(c.queries[i].text)).second);
    }
    // Every package's synopsis, not only the query text, must stay in its query's split.
    for (size_t i = 0; i < c.queries.size(); ++i) {
      for (size_t j = i + 1; j < c.queries.size(); ++j) {
        EXPECT_NE(denser::normalize_synopsis(c.queries[i].text), denser::normalize_synopsis(c.queries[j].text));
      }
    }
    for (const auto& s : synopses["test"]) {
      EXPECT_EQ(synopses["train"].count(s), 0u) << s;
      EXPECT_EQ(synopses["dev"].count(s), 0u) << s;
    }
    EXPECT_EQ(synopses["test"].size(), 3u);
    EXPECT_EQ(synopses["dev"].size(), 3u);
  }
}

TEST(DebianCollection, DeterministicForASeedWhateverTheEntryOrder) {
  auto entries = sample();
  DebianCollection a = build(11, entries);
  std::reverse(entries.begin(), entries.end());
  DebianCollection b = build(11, entries);
  EXPECT_EQ(a.query_splits, b.query_splits);
  ASSERT_EQ(a.documents.size(), b.documents.size());
  for (size_t i = 0; i < a.documents.size(); ++i) EXPECT_EQ(a.documents[i].text, b.documents[i].text);
  bool some_seed_differs = false;
  for (uint64_t seed = 12; seed < 17; ++seed) some_seed_differs |= build(seed).query_splits != a.query_splits;
  EXPECT_TRUE(some_seed_differs);
  EXPECT_TRUE(throws_error_with(
      [&] {
        denser::build_debian_collection(sample(), DebianSplitOptions{1, 10, 10});
      },
      {"only 14 distinct synopses", "20"}));
}

TEST(DebianCollection, WrittenCollectionReadsBackAsBeir) {
  TempDir dir("debian_out");
  TempDir lists("debian_lists");
  // The same list twice (plain and, when apt-helper exists, compressed): every entry is a duplicate.
  std::string plain = lists.write("x_main_i18n_Translation-en", denser::read_file(testdata("Translation-en-sample")));
  size_t copies = 1;
  if (std::filesystem::exists("/usr/lib/apt/apt-helper")) {
    std::string gz = lists.path("y_main_i18n_Translation-en.gz");
    ASSERT_EQ(std::system(("gzip -c '" + plain + "' > '" + gz + "'").c_str()), 0);
    copies = 2;
  }
  denser::DebianPackagesOptions options;
  options.out_dir = dir.path("out");
  options.lists_dir = lists.path();
  options.split = DebianSplitOptions{5, 3, 3};
  auto summary = denser::make_debian_packages_collection(options);
  EXPECT_EQ(summary.sources.size(), copies);
  EXPECT_EQ(summary.counts.num_entries, 20u * copies);
  EXPECT_EQ(summary.counts.num_duplicate_entries, 20u * copies - 17u);
  EXPECT_EQ(summary.counts.num_documents, 15u);

  denser::Collection c = denser::Collection::open(options.out_dir);
  EXPECT_EQ(c.layout(), denser::CollectionLayout::kBeir);
  EXPECT_EQ(c.splits(), (std::vector<std::string>{"dev", "test", "train"}));
  EXPECT_EQ(c.num_documents(), 15u);
  EXPECT_EQ(c.queries("test").size(), 3u);
  EXPECT_EQ(c.queries("train").size(), 8u);
  EXPECT_EQ(c.qrels("train").num_judgments() + c.qrels("dev").num_judgments() + c.qrels("test").num_judgments(), 16u);
  auto meta = nlohmann::json::parse(denser::read_file(options.out_dir + "/collection.json"));
  EXPECT_EQ(meta["counts"]["documents"], 15);
  EXPECT_EQ(meta["seed"], 5);
  std::string corpus = denser::read_file(options.out_dir + "/corpus.jsonl");
  EXPECT_EQ(meta["files"]["corpus.jsonl"]["crc32c"], denser::crc32c(corpus.data(), corpus.size()));
  EXPECT_EQ(meta["files"]["corpus.jsonl"]["bytes"], corpus.size());
  std::string test = denser::read_file(options.out_dir + "/qrels/test.tsv");
  EXPECT_EQ(meta["files"]["qrels"]["test.tsv"]["crc32c"], denser::crc32c(test.data(), test.size()));
  // Rebuilding with the same seed gives the same bytes.
  denser::make_debian_packages_collection(options);
  EXPECT_EQ(denser::read_file(options.out_dir + "/corpus.jsonl"), corpus);
  EXPECT_EQ(denser::read_file(options.out_dir + "/qrels/test.tsv"), test);
}

TEST(DebianCollection, ListsDirectoryWithoutEnglishListsIsAnError) {
  TempDir lists("debian_empty");
  lists.write("x_main_binary-amd64_Packages", "");
  denser::DebianPackagesOptions options;
  options.out_dir = lists.path("out");
  options.lists_dir = lists.path();
  EXPECT_TRUE(throws_error_with([&] { denser::make_debian_packages_collection(options); },
                                {lists.path(), "no *_i18n_Translation-en* lists"}));
}

}  // namespace
