// Fine-tuning a pretrained sentence-transformers model: a few steps from the packaged
// all-MiniLM-L6-v2 on a small SciFact sample, then the round trip: sentence-transformers
// loads the directory denser wrote and gives the same vectors as denser does, and those
// vectors are the fine-tuned model's (they moved away from the pretrained ones).
// Skips, saying how to install, without ../shared, the model or the oracle venv.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "denser/common/memory.h"
#include "denser/data/collection.h"
#include "denser/encode/encoder.h"
#include "denser/encode/model_store.h"
#include "denser/train/train.h"
#include "support/command.h"
#include "support/oracle_setup.h"

namespace denser {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class FineTuneRoundTrip : public denser_test::OracleTest {
 protected:
  FineTuneRoundTrip() : OracleTest("denser_finetune_") {}

  // A BEIR collection of 40 SciFact training queries, their relevant documents and other
  // documents up to 160 in all.
  std::string write_sample() {
    fs::create_directories(tmp_ / "sample" / "qrels");
    const Collection scifact = Collection::open(scifact_);
    const Qrels qrels = scifact.qrels("train");
    std::set<std::string> wanted;
    std::ofstream queries(tmp_ / "sample" / "queries.jsonl"), judged(tmp_ / "sample" / "qrels" / "train.tsv");
    judged << "query-id\tcorpus-id\tscore\n";
    size_t taken = 0;
    for (const Query& q : scifact.queries("train")) {
      auto it = qrels.judgments.find(q.id);
      if (it == qrels.judgments.end() || taken == 40) continue;
      ++taken;
      queries << json{{"_id", q.id}, {"text", q.text}}.dump() << "\n";
      for (const auto& [doc, grade] : it->second) {
        judged << q.id << "\t" << doc << "\t" << grade << "\n";
        wanted.insert(doc);
      }
    }
    std::ofstream corpus(tmp_ / "sample" / "corpus.jsonl");
    auto reader = scifact.documents();
    Document d;
    size_t written = 0, others = 0;
    while (reader->next(d)) {
      const bool relevant = wanted.count(d.id) > 0;
      if (!relevant && written + (wanted.size() - (written - others)) >= 160) continue;
      if (!relevant) ++others;
      ++written;
      corpus << json{{"_id", d.id}, {"title", d.title}, {"text", d.text}}.dump() << "\n";
    }
    for (const Query& q : scifact.queries("train"))
      if (texts_.size() < 24) texts_.push_back(q.text);
    return (tmp_ / "sample").string();
  }

  static std::vector<double> cosines(const std::vector<float>& a, const std::vector<float>& b, size_t dim) {
    std::vector<double> out;
    for (size_t i = 0; i + dim <= a.size() && i + dim <= b.size(); i += dim) {
      double dot = 0, na = 0, nb = 0;
      for (size_t d = 0; d < dim; ++d) dot += a[i + d] * b[i + d], na += a[i + d] * a[i + d], nb += b[i + d] * b[i + d];
      out.push_back(dot / std::sqrt(na * nb));
    }
    return out;
  }

  std::vector<std::string> texts_;
};

TEST_F(FineTuneRoundTrip, SentenceTransformersLoadsTheFineTunedModel) {
  TrainOptions o;
  o.collection = write_sample();
  o.encoder = "transformer";
  o.init_model = model_dir_;
  o.negatives = "random";
  o.steps = 4;
  o.batch_size = 8;
  o.learning_rate = 1e-4;  // large enough for four steps to move the vectors measurably
  o.dev_holdout = 5;
  o.doc_max_length = 128;
  o.train_precision = "bf16";  // the autocast path; the model written stays float32
  o.checkpoint_every = 0;
  o.threads = 2;
  const std::string out = (tmp_ / "model").string();
  const TrainSummary summary = train_dual_encoder(o, out, false);
  EXPECT_EQ(summary.steps, 4);
  for (const char* f : {"modules.json", "config.json", "model.safetensors", "1_Pooling/config.json", "2_Normalize"})
    EXPECT_TRUE(fs::exists(fs::path(out) / f)) << "missing " << f << " in the sentence-transformers layout";
  const json config = json::parse(std::ifstream(fs::path(out) / "training" / "train_config.json"));
  EXPECT_DOUBLE_EQ(config.at("temperature").get<double>(), 0.05) << "a normalized model trains with cosine / 0.05";
  EXPECT_DOUBLE_EQ(config.at("learning_rate").get<double>(), 1e-4);

  auto tuned = load_encoder(out);
  ASSERT_EQ(tuned->similarity(), "cosine");
  const size_t dim = static_cast<size_t>(tuned->dim());
  std::vector<std::string_view> views(texts_.begin(), texts_.end());
  std::vector<float> ours(texts_.size() * dim), pretrained(texts_.size() * dim);
  tuned->encode_queries(views, ours);
  load_encoder(model_dir_)->encode_queries(views, pretrained);

  const std::vector<float> theirs = run_oracle(out, texts_, "finetuned").vectors;
  ASSERT_EQ(theirs.size(), ours.size());
  double worst = 1.0, moved = 1.0;
  for (double c : cosines(ours, theirs, dim)) worst = std::min(worst, c);
  for (double c : cosines(ours, pretrained, dim)) moved = std::min(moved, c);
  EXPECT_GE(worst, 0.99999) << "sentence-transformers reads the fine-tuned model differently";
  EXPECT_LT(moved, 0.9999) << "the fine-tuned vectors equal the pretrained ones: nothing was trained or saved";
  std::printf(
      "[ round trip ] %zu queries: lowest cosine denser/sentence-transformers %.8f; to the pretrained model %.6f\n",
      texts_.size(), worst, moved);
}

}  // namespace
}  // namespace denser
