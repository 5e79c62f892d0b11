#include "cli/retriever_args.h"

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
  cmd->add_option("--max-length", args.max_length, "Subword tokens per query, special tokens included (0 = the model's own: max_seq_length, else 64)")
      ->capture_default_str();
  cmd->add_option("--precision", args.precision, "Query encoding's matrix products: fp32 or bf16")
      ->check(CLI::IsMember({"fp32", "bf16"}))
      ->capture_default_str();
  cmd->add_option("--device", args.device, "cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  if (!with_modes) return;
  cmd->add_option("--mode", args.mode, "dense, bm25 or hybrid (default: hybrid when both sides are given)")
      ->check(CLI::IsMember({"dense", "bm25", "hybrid"}));
  cmd->add_option("--fusion", args.fusion, "Hybrid fusion: rrf (reciprocal rank) or linear (normalized scores)")
      ->check(CLI::IsMember({"rrf", "linear"}))
      ->capture_default_str();
  cmd->add_option("--alpha", args.alpha, "Linear fusion: weight of the dense score (BM25 gets 1 - alpha)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--rrf-k", args.rrf_k, "Reciprocal rank fusion constant")->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--fusion-depth", args.fusion_depth, "Candidates per side before fusion")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--prf", args.prf, "Dense pseudo relevance feedback: none, average or rocchio (needs --embeddings)")
      ->check(CLI::IsMember({"none", "average", "rocchio"}))
      ->capture_default_str();
  cmd->add_option("--prf-depth", args.prf_depth, "Feedback documents (the top of the first dense search)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--prf-alpha", args.prf_alpha, "Rocchio: weight of the query vector")->capture_default_str();
  cmd->add_option("--prf-beta", args.prf_beta, "Rocchio: weight of the feedback documents' mean")
      ->capture_default_str();
  cmd->add_option("--ef-search", args.ef_search, "HNSW candidate list size (0 = the index's default)")
      ->capture_default_str();
  cmd->add_option("--nprobe", args.nprobe, "IVF lists visited per query (0 = the index's default)")
      ->capture_default_str();
}

std::unique_ptr<Retriever> open_retriever(const RetrieverArgs& args, const std::string& who) {
  DENSER_CHECK(args.model.empty() == args.index.empty(), who,
               ": --model and --index go together (the dense side needs both)");
  DENSER_CHECK(!args.index.empty() || !args.bm25.empty(), who, ": give --model and --index, --bm25, or all three");
  DENSER_CHECK(args.embeddings.empty() || !args.index.empty(), who, ": --embeddings (PRF) needs the dense side");
  DENSER_CHECK(args.batch_size > 0, who, ": --batch-size must be positive");
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
  if (args.mode.empty()) {
    options.mode = retriever.has_dense() && retriever.has_bm25()
                       ? RetrievalMode::kHybrid
                       : (retriever.has_dense() ? RetrievalMode::kDense : RetrievalMode::kBm25);
  } else {
    options.mode = parse_retrieval_mode(args.mode);
  }
  options.fusion = parse_fusion_method(args.fusion);
  options.alpha = args.alpha;
  options.rrf_k = args.rrf_k;
  options.fusion_depth = args.fusion_depth;
  options.k = k;
  options.prf.method = parse_prf_method(args.prf);
  options.prf.depth = args.prf_depth;
  options.prf.alpha = args.prf_alpha;
  options.prf.beta = args.prf_beta;
  options.vector_params = VectorSearchParams{args.ef_search, args.nprobe};
  return options;
}

}  // namespace denser::cli
