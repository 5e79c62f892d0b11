#pragma once
// A small synthetic collection with both retrieval sides, for the search and serve tests:
// five topics of ten documents each; a random n-gram encoder (wide initialization, so its
// dot products follow word overlap), a Flat index, BM25 and the PRF vectors.
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "denser/data/types.h"
#include "denser/encode/encoder.h"
#include "denser/encode/ngram.h"
#include "denser/index/embeddings.h"
#include "denser/index/vector_index.h"
#include "denser/search/retriever.h"
#include "denser/serve/server.h"
#include "denser/sparse/bm25_builder.h"
#include "denser/sparse/bm25_index.h"

namespace denser::testing_fixture {

inline const std::vector<std::vector<std::string>>& topics() {
  static const std::vector<std::vector<std::string>> t = {
      {"ancient", "warfare", "strategy", "game", "empire", "soldiers"},
      {"kernel", "driver", "module", "linux", "firmware", "device"},
      {"orchard", "apple", "harvest", "fruit", "trees", "cider"},
      {"galaxy", "telescope", "astronomy", "stars", "planet", "orbit"},
      {"compiler", "parser", "syntax", "grammar", "tokens", "bytecode"}};
  return t;
}

struct TestSearch {
  std::vector<Document> documents;
  std::shared_ptr<Retriever> retriever;
  std::shared_ptr<DocumentStore> store;
};

/// with_dense / with_bm25 / with_prf choose the sides; dir receives the embeddings file.
inline TestSearch make_test_search(const std::filesystem::path& dir, bool with_dense = true, bool with_bm25 = true,
                                   bool with_prf = true) {
  TestSearch out;
  std::mt19937 rng(7);
  static const std::vector<std::string> filler = {"the", "system", "simple", "data", "new", "tool", "free", "open"};
  for (size_t t = 0; t < topics().size(); ++t) {
    for (int i = 0; i < 10; ++i) {
      std::string text;
      for (int w = 0; w < 8; ++w) {
        text += topics()[t][rng() % topics()[t].size()] + " ";
        text += filler[rng() % filler.size()] + " ";
      }
      std::string id = "t" + std::to_string(t) + "-d" + std::to_string(i);
      out.documents.push_back(Document{id, "Title of " + id, text});
    }
  }
  out.store = std::make_shared<DocumentStore>();
  for (const Document& d : out.documents) out.store->add(d.id, d.title, d.text);

  RetrieverParts parts;
  parts.threads = 1;
  if (with_dense) {
    NgramConfig config;
    config.num_buckets = 1 << 12;
    config.embedding_dim = 64;
    config.bigrams = false;
    config.initializer_range = 0.5;
    EncodeOptions options;
    options.num_threads = 1;
    parts.encoder = create_ngram_encoder(config, options, 3);
    std::vector<std::string_view> texts;
    std::vector<std::string> ids;
    for (const Document& d : out.documents) texts.emplace_back(d.text), ids.push_back(d.id);
    const size_t dim = static_cast<size_t>(parts.encoder->dim());
    std::vector<float> x(texts.size() * dim);
    parts.encoder->encode_documents(texts, x);
    parts.index = VectorIndex::create(VectorIndexOptions{static_cast<uint32_t>(dim), "Flat",
                                                         VectorMetric::kInnerProduct, parts.encoder->fingerprint()});
    parts.index->add(ids, x, 1);
    if (with_prf) {
      const std::string path = (dir / "docs.emb").string();
      EmbeddingsWriter writer(path, static_cast<uint32_t>(dim), EmbeddingDType::kF32, parts.encoder->fingerprint());
      writer.append(ids, x);
      writer.finish();
      parts.embeddings = std::make_shared<const Embeddings>(Embeddings::open(path));
    }
  }
  if (with_bm25) {
    Bm25IndexBuilder builder;
    builder.add(out.documents);
    parts.bm25 = std::make_shared<const Bm25Index>(builder.build());
  }
  out.retriever = std::make_shared<Retriever>(std::move(parts));
  return out;
}

/// A fresh empty directory under the system temp dir, removed by the destructor.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name) {
    path = std::filesystem::temp_directory_path() /
           (name + "-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace denser::testing_fixture
