#pragma once
// The flags that open a Retriever (model, vector index, BM25 index, PRF vectors) and pick a
// retrieval mode, shared by `denser search` and `denser serve`.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "denser/search/retriever.h"
#include "option_flags.h"

namespace denser::cli {

struct RetrieverArgs {
  std::string model, index, bm25, embeddings;
  int threads = 0;
  int batch_size = 32;
  int max_length = 0;
  std::string precision = "fp32";  // 0 = the model's own limit
  std::string device = "cpu";
  /// The retrieval options' flags (retrieval_option_table), when the command has them.
  std::shared_ptr<OptionFlags<RetrievalOptions>> retrieval;
};

/// Adds --model, --index, --bm25, --embeddings, --threads, --batch-size, --max-length,
/// --device; with_modes also adds a flag for every retrieval option but k (--mode,
/// --fusion, --alpha, --rrf-k, --fusion-depth, --prf, --prf-depth, ...), from the table.
void add_retriever_options(CLI::App* cmd, RetrieverArgs& args, bool with_modes);
/// Opens what the flags name; `who` prefixes error messages ("search", "serve").
std::unique_ptr<Retriever> open_retriever(const RetrieverArgs& args, const std::string& who);
/// The RetrievalOptions the flags ask for; without --mode, hybrid when both sides were
/// opened, else the side that was.
RetrievalOptions retrieval_options(const RetrieverArgs& args, const Retriever& retriever, size_t k);

}  // namespace denser::cli
