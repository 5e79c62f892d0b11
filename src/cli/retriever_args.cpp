#include "retriever_args.h"

#include <filesystem>

#include "denser/common/error.h"
#include "denser/encode/encoder.h"
#include "denser/encode/model_store.h"
#include "denser/index/embeddings.h"
#include "denser/index/vector_index.h"
#include "denser/sparse/bm25_index.h"

namespace denser::cli {

void add_retriever_options(CLI::App* cmd, RetrieverArgs& args, bool with_modes) {
  cmd->add_option("--model", args.model, "Model directory that encoded the indexed corpus (the dense side)");
  cmd->add_option("--index", args.index, "Vector index written by `denser index dense` (the dense side)");
  cmd->add_option("--bm25", args.bm25, "BM25 index written by `denser index bm25` (the sparse side)");
  cmd->add_option("--embeddings", args.embeddings,
                  "The corpus embeddings file the vector index was built from (document vectors for PRF)");
  cmd->add_option("--threads", args.threads, "Encoder and FAISS threads (0 = all cores)")->capture_default_str();
  cmd->add_option("--batch-size", args.batch_size, "Queries per forward pass")->capture_default_str();
  cmd->add_option("--max-length", args.max_length,
                  "Subword tokens per query, special tokens included (0 = the model's own: max_seq_length, else 64)")
      ->capture_default_str();
  cmd->add_option("--precision", args.precision, "Query encoding's matrix products: fp32 or bf16")
      ->check(CLI::IsMember({"fp32", "bf16"}))
      ->capture_default_str();
  cmd->add_option("--device", args.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  if (with_modes)
    args.retrieval = std::make_shared<OptionFlags<RetrievalOptions>>(cmd, retrieval_option_table(), RetrievalOptions{},
                                                                     std::set<std::string>{"k"});
}

std::unique_ptr<Retriever> open_retriever(const RetrieverArgs& args, const std::string& who) {
  DENSER_CHECK(args.model.empty() == args.index.empty(), ErrorCode::kInvalidArgument, who,
               ": --model and --index go together (the dense side needs both)");
  DENSER_CHECK(!args.index.empty() || !args.bm25.empty(), ErrorCode::kInvalidArgument, who,
               ": give --model and --index, --bm25, or all three");
  DENSER_CHECK(args.embeddings.empty() || !args.index.empty(), ErrorCode::kInvalidArgument, who,
               ": --embeddings (PRF) needs the dense side");
  DENSER_CHECK(args.batch_size > 0, ErrorCode::kInvalidArgument, who, ": --batch-size must be positive");
  RetrieverParts parts;
  parts.threads = args.threads;
  if (!args.index.empty()) {
    EncodeOptions options;
    options.batch_size = args.batch_size;
    options.num_threads = args.threads;
    options.device = args.device;
    options.query_max_length = args.max_length;
    options.precision = args.precision;
    parts.index = VectorIndex::open(args.index);
    parts.encoder = load_encoder(args.model, options);
    std::filesystem::path dir = std::filesystem::path(resolve_model_dir(args.model)).lexically_normal();
    if (dir.filename().empty()) dir = dir.parent_path();  // a path with a trailing slash
    parts.model_name = dir.filename().string();
  }
  if (!args.bm25.empty()) parts.bm25 = std::make_shared<const Bm25Index>(Bm25Index::open(args.bm25));
  if (!args.embeddings.empty())
    parts.embeddings = std::make_shared<const Embeddings>(Embeddings::open(args.embeddings));
  return std::make_unique<Retriever>(std::move(parts));
}

RetrievalOptions retrieval_options(const RetrieverArgs& args, const Retriever& retriever, size_t k) {
  RetrievalOptions options;
  if (args.retrieval) args.retrieval->apply(options);
  if (!args.retrieval || !args.retrieval->given("mode")) {
    options.mode = retriever.has_dense() && retriever.has_bm25()
                       ? RetrievalMode::kHybrid
                       : (retriever.has_dense() ? RetrievalMode::kDense : RetrievalMode::kBm25);
  }
  options.k = k;
  return options;
}

}  // namespace denser::cli
