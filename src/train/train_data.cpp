#include "train_data.h"

#include <algorithm>
#include <random>

#include "denser/common/error.h"
#include "denser/common/log.h"
#include "denser/data/collection.h"
#include "denser/encode/corpus_encoding.h"

namespace denser::train_internal {

bool TrainingData::is_positive(uint32_t query, uint32_t doc) const {
  const auto& p = positives[query];
  return std::binary_search(p.begin(), p.end(), doc);
}

namespace {

EvalSplit read_split(const Collection& collection, const std::string& split) {
  EvalSplit out;
  out.name = split;
  out.queries = collection.queries(split);
  out.qrels = collection.qrels(split);
  return out;
}

}  // namespace

TrainingData load_training_data(const TrainOptions& options) {
  const Collection collection = Collection::open(options.collection);
  TrainingData data;
  std::unordered_map<std::string, uint32_t> doc_index;
  {
    auto reader = collection.documents();
    Document doc;
    while (reader->next(doc)) {
      DENSER_CHECK(doc_index.emplace(doc.id, static_cast<uint32_t>(data.doc_ids.size())).second, ErrorCode::kCorrupt,
                   reader->where(), ": document id \"", doc.id, "\" appears twice in the corpus");
      data.doc_ids.push_back(doc.id);
      data.doc_texts.push_back(document_text(doc, options.with_titles));
    }
  }
  DENSER_CHECK(data.num_docs() >= 2, ErrorCode::kInvalidArgument, options.collection,
               ": the corpus needs at least 2 documents to train on");
  const std::vector<std::string> splits = collection.splits();
  auto has_split = [&](const std::string& s) { return std::find(splits.begin(), splits.end(), s) != splits.end(); };
  DENSER_CHECK(has_split(options.train_split), ErrorCode::kNotFound, options.collection, ": no \"", options.train_split,
               "\" split to train on (", collection.qrels_path(options.train_split), ")");

  const Qrels train_qrels = collection.qrels(options.train_split);
  std::vector<Query> train_queries = collection.queries(options.train_split);
  std::vector<Query> held_out;
  const bool dev_in_collection = !options.dev_split.empty() && has_split(options.dev_split);
  if (!dev_in_collection && options.dev_holdout > 0) {
    // No dev split: hold out training queries, chosen by a fixed shuffle (not the run's seed,
    // so that every run of an ablation selects on the same queries).
    std::vector<size_t> order(train_queries.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::mt19937_64 rng(0x5eed);
    std::shuffle(order.begin(), order.end(), rng);
    const size_t n = std::min<size_t>(static_cast<size_t>(options.dev_holdout), train_queries.size() / 5);
    std::vector<bool> hold(train_queries.size(), false);
    for (size_t i = 0; i < n; ++i) hold[order[i]] = true;
    std::vector<Query> kept;
    for (size_t i = 0; i < train_queries.size(); ++i) (hold[i] ? held_out : kept).push_back(train_queries[i]);
    train_queries = std::move(kept);
    data.dev.name = options.train_split + " (held out)";
    data.dev.queries = held_out;
    for (const Query& q : held_out) data.dev.qrels.judgments[q.id] = train_qrels.judgments.at(q.id);
  } else if (dev_in_collection) {
    data.dev = read_split(collection, options.dev_split);
  }
  for (const Query& q : train_queries) {
    auto it = train_qrels.judgments.find(q.id);
    if (it == train_qrels.judgments.end()) continue;
    std::vector<uint32_t> pos;
    for (const auto& [doc, grade] : it->second) {
      if (grade <= 0) continue;
      auto d = doc_index.find(doc);
      DENSER_CHECK(d != doc_index.end(), ErrorCode::kCorrupt, collection.qrels_path(options.train_split), ": query ",
                   q.id, " judges document \"", doc, "\" which is not in the corpus");
      pos.push_back(d->second);
    }
    if (pos.empty()) continue;
    std::sort(pos.begin(), pos.end());
    data.query_ids.push_back(q.id);
    data.query_texts.push_back(q.text);
    data.positives.push_back(std::move(pos));
  }
  DENSER_CHECK(!data.query_texts.empty(), ErrorCode::kInvalidArgument, collection.qrels_path(options.train_split),
               ": no training query has a relevant document");
  if (!options.test_split.empty()) data.test = read_split(collection, options.test_split);
  DENSER_LOG_INFO("training data: ", data.num_docs(), " documents, ", data.num_queries(), " training queries, ",
                  data.dev.queries.size(), " dev queries (", data.dev.name, ")");
  return data;
}

}  // namespace denser::train_internal
