#pragma once
// Everything a training run reads from the collection, held in memory: the corpus texts
// (the refresher re-encodes them at every refresh), the training queries with their
// positive documents, and the dev (and test) queries with their judgments.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "denser/data/types.h"
#include "denser/train/train.h"

namespace denser::train_internal {

/// Queries of one split with judgments, for evaluation.
struct EvalSplit {
  std::string name;
  std::vector<Query> queries;
  Qrels qrels;
};

struct TrainingData {
  std::vector<std::string> doc_ids;      // corpus order
  std::vector<std::string> doc_texts;    // what the document tower reads ("title text")
  std::vector<std::string> query_texts;  // training queries
  std::vector<std::string> query_ids;
  std::vector<std::vector<uint32_t>> positives;  // per training query, sorted doc indices
  EvalSplit dev;
  EvalSplit test;  // empty when options.test_split is empty

  size_t num_docs() const { return doc_ids.size(); }
  size_t num_queries() const { return query_texts.size(); }
  bool is_positive(uint32_t query, uint32_t doc) const;
};

/// Reads options.collection: the corpus, the train split's queries that have at least one
/// relevant (grade > 0) document, the dev split (or dev_holdout training queries, taken
/// deterministically from the end of a seeded shuffle, when the collection has no dev
/// split), and the test split when asked. Throws denser::Error naming what is missing.
TrainingData load_training_data(const TrainOptions& options);

}  // namespace denser::train_internal
