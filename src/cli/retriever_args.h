#pragma once
// The flags that open a Retriever (model, vector index, BM25 index, PRF vectors) and pick a
// retrieval mode, shared by `denser search` and `denser serve`.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "denser/search/retriever.h"

namespace denser::cli {

struct RetrieverArgs {
  std::string model, index, bm25, embeddings;
  int threads = 0;
  int batch_size = 32;
  int max_length = 0;
  std::string precision = "fp32";  // 0 = the model's own limit
  std::string device = "cpu";
  // Retrieval options.
  std::string mode;  // empty: hybrid when both sides are given, else the one given
  std::string fusion = "rrf";
  double alpha = 0.5;
  double rrf_k = 60;
  size_t fusion_depth = 1000;
  std::string prf = "none";
  size_t prf_depth = 3;
  float prf_alpha = 0.4f, prf_beta = 0.6f;
  int ef_search = 0;
  int nprobe = 0;
};

/// Adds --model, --index, --bm25, --embeddings, --threads, --batch-size, --max-length,
/// --device; with_modes also adds --mode, --fusion, --alpha, --rrf-k, --fusion-depth,
/// --prf, --prf-depth, --prf-alpha, --prf-beta, --ef-search, --nprobe.
void add_retriever_options(CLI::App* cmd, RetrieverArgs& args, bool with_modes);
/// Opens what the flags name; `who` prefixes error messages ("search", "serve").
std::unique_ptr<Retriever> open_retriever(const RetrieverArgs& args, const std::string& who);
/// The RetrievalOptions the flags ask for (the mode resolved against what was opened).
RetrievalOptions retrieval_options(const RetrieverArgs& args, const Retriever& retriever, size_t k);

}  // namespace denser::cli
