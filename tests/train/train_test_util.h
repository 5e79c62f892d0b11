#pragma once
// A small synthetic BEIR collection for training tests. Document d is about topic d % 20
// and subtopic d / 20 ("topicT subS" plus filler words); its query names the same two in
// the query's own vocabulary ("askT wantS"), so no query word occurs in any document: an
// untrained model ranks at random, and a trained one must have learned which query words
// go with which document words. Every (topic, subtopic) pair is one document, and the
// test queries' pairs never occur in training, though each word does.
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace denser_test {

struct SyntheticCollection {
  std::string dir;
  size_t num_docs = 0;
};

inline std::string word(const char* prefix, size_t i) { return std::string(prefix) + std::to_string(i); }

/// Writes corpus.jsonl, queries.jsonl and qrels/{train,dev,test}.tsv under dir.
inline SyntheticCollection make_synthetic_collection(const std::string& dir, size_t num_docs = 400, uint64_t seed = 7) {
  namespace fs = std::filesystem;
  fs::remove_all(dir);
  fs::create_directories(dir + "/qrels");
  std::mt19937_64 rng(seed);
  std::ofstream corpus(dir + "/corpus.jsonl"), queries(dir + "/queries.jsonl");
  std::ofstream train(dir + "/qrels/train.tsv"), dev(dir + "/qrels/dev.tsv"), test(dir + "/qrels/test.tsv");
  for (auto* q : {&train, &dev, &test}) *q << "query-id\tcorpus-id\tscore\n";
  const size_t topics = 20;
  for (size_t d = 0; d < num_docs; ++d) {
    const size_t topic = d % topics, sub = d / topics;
    std::string text = word("topic", topic) + " " + word("sub", sub);
    for (int i = 0; i < 6; ++i) text += " " + word("filler", rng() % 50);
    corpus << "{\"_id\": \"d" << d << "\", \"title\": \"\", \"text\": \"" << text << "\"}\n";
    queries << "{\"_id\": \"q" << d << "\", \"text\": \"" << word("ask", topic) << " " << word("want", sub) << "\"}\n";
    const size_t bucket = (d * 7 + d / topics) % 10;  // spreads the held-out pairs over topics and subtopics
    std::ofstream& split = bucket == 8 ? dev : (bucket == 9 ? test : train);
    split << "q" << d << "\td" << d << "\t1\n";
  }
  return {dir, num_docs};
}

}  // namespace denser_test
