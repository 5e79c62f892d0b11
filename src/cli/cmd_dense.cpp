// `denser model init`, `denser encode` and `denser search`: thin wrappers over the encode
// and index modules (dense retrieval end to end).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commands.h"
#include "retriever_args.h"
#include "snippets.h"
#include "denser/common/error.h"
#include "denser/data/collection.h"
#include "denser/data/readers.h"
#include "denser/encode/corpus_encoding.h"
#include "denser/encode/encoder.h"
#include "denser/encode/model_config.h"
#include "denser/encode/safetensors.h"
#include "denser/encode/transformer.h"
#include "denser/index/embeddings.h"
#include "denser/index/vector_index.h"
#include "denser/search/retriever.h"
#include "denser/text/tokenizer.h"
#include "denser/text/wordpiece.h"
#include "denser/common/timer.h"

namespace denser::cli {
namespace {

// ---------------------------------------------------------------- model init

struct InitArgs {
  std::string preset = "tiny";
  std::string vocab;
  std::string tokenizer_dir;
  std::string model_type = "bert";
  std::string pooling = "cls";
  bool ance_head = false;
  int64_t dim = 0;
  uint64_t seed = 0;
  std::string out;
};

// create_transformer_encoder() builds WordPiece tokenizers only. For a byte-level BPE
// tokenizer the network is created over a stand-in vocabulary of the same size (with
// [PAD] at the BPE pad id, as RoBERTa's positions need), and the tokenizer files are
// swapped for the BPE ones after saving.
std::vector<std::string> stand_in_vocab(const SubwordTokenizer& tok) {
  DENSER_CHECK(tok.pad_id() >= 0, ErrorCode::kInvalidArgument, "model init: the tokenizer has no padding token");
  const size_t n = tok.vocab_size();
  std::vector<std::string> vocab(n);
  for (size_t i = 0; i < n; ++i) vocab[i] = "[unused" + std::to_string(i) + "]";
  vocab[static_cast<size_t>(tok.pad_id())] = "[PAD]";
  size_t next = 0;
  for (const char* special : {"[UNK]", "[CLS]", "[SEP]"}) {
    while (next < n && vocab[next] == "[PAD]") ++next;
    DENSER_CHECK(next < n, ErrorCode::kInvalidArgument, "model init: the tokenizer's vocabulary is too small (", n,
                 " ids)");
    vocab[next++] = special;
  }
  return vocab;
}

uint64_t count_parameters(const std::string& dir) {
  const SafeTensorsFile file = SafeTensorsFile::open(dir + "/model.safetensors");
  uint64_t total = 0;
  for (const auto& [name, tensor] : file.tensors()) total += static_cast<uint64_t>(tensor.num_elements());
  return total;
}

void run_init(const InitArgs& args) {
  DENSER_CHECK(args.vocab.empty() != args.tokenizer_dir.empty(), ErrorCode::kInvalidArgument,
               "model init: give exactly one of --vocab and --tokenizer-dir");
  DENSER_CHECK(args.dim == 0 || args.ance_head, ErrorCode::kInvalidArgument,
               "model init: --dim sets the ANCE head's output; add --ance-head");
  std::unique_ptr<SubwordTokenizer> bpe;
  std::vector<std::string> vocab;
  if (!args.vocab.empty()) {
    vocab = load_vocab_txt(args.vocab);
  } else {
    auto tok = load_tokenizer(args.tokenizer_dir);
    if (tok->kind() == "wordpiece") {
      vocab = load_vocab_txt(args.tokenizer_dir + "/vocab.txt");
    } else {
      vocab = stand_in_vocab(*tok);
      bpe = std::move(tok);
    }
  }
  ModelConfig config = ModelConfig::preset(args.preset, args.model_type, static_cast<int64_t>(vocab.size()));
  config.pooling = args.pooling;
  config.ance_head = args.ance_head;
  config.output_dim = args.dim;
  const auto pad = std::find(vocab.begin(), vocab.end(), "[PAD]");
  DENSER_CHECK(pad != vocab.end(), ErrorCode::kInvalidArgument, "model init: the vocabulary has no [PAD] token");
  config.pad_token_id = pad - vocab.begin();
  std::filesystem::create_directories(args.out);
  create_transformer_encoder(config, std::move(vocab), {}, args.seed)->save(args.out);
  if (bpe) {
    std::filesystem::remove(args.out + "/vocab.txt");
    bpe->save(args.out);
  }
  // Reloading checks that the directory is complete and gives the fingerprint that
  // `denser encode` will record.
  const auto encoder = load_encoder(args.out);
  std::printf("model %s: %s %s, %lld layers, hidden %lld, dim %d, pooling %s%s\n", args.out.c_str(),
              args.preset.c_str(), config.model_type.c_str(), static_cast<long long>(config.num_hidden_layers),
              static_cast<long long>(config.hidden_size), encoder->dim(), config.pooling.c_str(),
              config.ance_head ? ", ANCE head" : "");
  std::printf("parameters:  %llu\n", static_cast<unsigned long long>(count_parameters(args.out)));
  std::printf("fingerprint: %s\n", encoder->fingerprint().c_str());
}

void register_init(CLI::App& app) {
  auto args = std::make_shared<InitArgs>();
  CLI::App* model = app.add_subcommand("model", "Create, list and install dense encoder models");
  model->require_subcommand(1);
  CLI::App* cmd = model->add_subcommand("init", "Write a randomly initialised transformer encoder model directory");
  cmd->add_option("--preset", args->preset, "Architecture size: tiny, small or base")
      ->check(CLI::IsMember({"tiny", "small", "base"}))
      ->capture_default_str();
  cmd->add_option("--vocab", args->vocab, "WordPiece vocab.txt (one token per line, id order)");
  cmd->add_option("--tokenizer-dir", args->tokenizer_dir,
                  "Directory with vocab.txt (WordPiece) or vocab.json + merges.txt (byte-level BPE)");
  cmd->add_option("--model-type", args->model_type, "Architecture family: bert or roberta")
      ->check(CLI::IsMember({"bert", "roberta"}))
      ->capture_default_str();
  cmd->add_option("--pooling", args->pooling, "Pooling: cls (first token) or mean (over real tokens)")
      ->check(CLI::IsMember({"cls", "mean"}))
      ->capture_default_str();
  cmd->add_flag("--ance-head", args->ance_head, "Add ANCE's Linear + LayerNorm head after pooling");
  cmd->add_option("--dim", args->dim, "Output dimension of the ANCE head (0 = hidden size)")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed of the initialisation")->capture_default_str();
  cmd->add_option("--out", args->out, "Model directory to write")->required();
  cmd->callback([args] { run_init(*args); });
}

// ---------------------------------------------------------------- encode

struct EncodeArgs {
  std::string model;
  std::string collection;
  std::string out;
  int batch_size = 32;
  int threads = 0;
  bool fp16 = false;
  int max_length = 0;  // 0 = the model's own limit
  std::string device = "cpu";
  std::string precision = "fp32";
  bool no_titles = false;
  bool lenient = false;
  std::string queries;  // a split: encode its queries instead of the corpus
};

/// `denser encode --queries SPLIT`: the split's queries, as the encoder encodes queries for
/// search, one row per query id in the split's order.
void encode_split_queries(Encoder& encoder, const Collection& collection, const EncodeArgs& args,
                          EmbeddingsWriter& writer) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<Query> queries = collection.queries(args.queries);
  const size_t batch = static_cast<size_t>(args.batch_size);
  const size_t dim = static_cast<size_t>(encoder.dim());
  std::vector<float> rows;
  std::vector<std::string_view> texts;
  std::vector<std::string> ids;
  for (size_t begin = 0; begin < queries.size(); begin += batch) {
    const size_t end = std::min(queries.size(), begin + batch);
    texts.clear();
    ids.clear();
    for (size_t i = begin; i < end; ++i) {
      texts.push_back(queries[i].text);
      ids.push_back(queries[i].id);
    }
    rows.assign(texts.size() * dim, 0.0f);
    encoder.encode_queries(texts, rows);
    writer.append(ids, rows);
  }
  writer.finish();
  std::printf("encoded %zu queries of split %s into %s (dim %zu) in %.2f s\n", queries.size(), args.queries.c_str(),
              args.out.c_str(), dim, seconds_since(start));
}

void run_encode(const EncodeArgs& args) {
  DENSER_CHECK(args.batch_size > 0, ErrorCode::kInvalidArgument, "encode: --batch-size must be positive");
  EncodeOptions options;
  options.batch_size = args.batch_size;
  options.num_threads = args.threads;
  options.device = args.device;
  options.document_max_length = args.max_length;
  options.precision = args.precision;
  const auto encoder = load_encoder(args.model, options);
  const Collection collection = Collection::open(args.collection, ReadOptions{args.lenient});
  EmbeddingsWriter writer(args.out, static_cast<uint32_t>(encoder->dim()),
                          args.fp16 ? EmbeddingDType::kF16 : EmbeddingDType::kF32, encoder->fingerprint());
  if (!args.queries.empty()) {
    encode_split_queries(*encoder, collection, args, writer);
    return;
  }
  auto reader = collection.documents();
  CorpusEncodeOptions corpus_options;
  corpus_options.batch_size = static_cast<size_t>(args.batch_size);
  corpus_options.with_titles = !args.no_titles;
  const CorpusEncodeStats stats = encode_corpus(*encoder, *reader, writer, corpus_options);
  writer.finish();
  std::printf("encoded %llu documents into %s (dim %d, %s) in %.2f s (%.1f docs/s)\n",
              static_cast<unsigned long long>(stats.documents), args.out.c_str(), encoder->dim(),
              args.fp16 ? "f16" : "f32", stats.seconds, stats.docs_per_second);
  std::printf("model fingerprint: %s (similarity %s)\n", encoder->fingerprint().c_str(), encoder->similarity().c_str());
}

void register_encode(CLI::App& app) {
  auto args = std::make_shared<EncodeArgs>();
  CLI::App* cmd = app.add_subcommand("encode", "Encode a collection's documents into an embeddings file");
  cmd->add_option("--model", args->model,
                  "Model directory (denser, Hugging Face or sentence-transformers) or an installed model's name")
      ->required();
  cmd->add_option("--collection", args->collection, "Collection directory (BEIR, MS MARCO or SMART layout)")
      ->required();
  cmd->add_option("--out", args->out, "Embeddings file to write (replaced atomically)")->required();
  cmd->add_option("--batch-size", args->batch_size, "Documents per forward pass")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Intra-op threads of the encoder (0 = all cores)")->capture_default_str();
  cmd->add_flag("--fp16", args->fp16, "Store the vectors as float16 (half the size)");
  cmd->add_option(
         "--max-length", args->max_length,
         "Subword tokens per document, special tokens included (0 = the model's own: max_seq_length, else 512)")
      ->capture_default_str();
  cmd->add_option("--device", args->device, "cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--precision", args->precision,
                  "Matrix products: fp32, or bf16 (bfloat16 inputs, float32 sums; fast with AVX512-BF16 / AMX)")
      ->check(CLI::IsMember({"fp32", "bf16"}))
      ->capture_default_str();
  cmd->add_flag("--no-titles", args->no_titles, "Encode the text alone (default: title, a space, the text)");
  cmd->add_flag("--lenient", args->lenient, "Skip and count malformed corpus records instead of failing");
  cmd->add_option("--queries", args->queries,
                  "Encode this split's queries (as queries, ids from the collection) instead of the corpus");
  cmd->callback([args] { run_encode(*args); });
}

// ---------------------------------------------------------------- search

struct SearchArgs {
  RetrieverArgs retriever;
  std::string collection;
  std::string split = "test";
  std::string run;
  std::string query;
  std::string tag;
  size_t k = 1000;
  bool k_given = false;
};

void print_stage(const char* name, double ms, bool& first) {
  if (ms < 0) return;
  std::printf("%s%s %.2f ms", first ? "" : ", ", name, ms);
  first = false;
}

void run_adhoc(const SearchArgs& args, Retriever& retriever, const RetrievalOptions& options) {
  const std::vector<std::string> query{args.query};
  const RetrievalResult result = retriever.search(query, options).at(0);
  std::unordered_map<std::string, std::string> snippets;
  if (!args.collection.empty()) {
    std::vector<std::string> ids;
    for (const RetrievedHit& hit : result.hits) ids.push_back(hit.doc_id);
    snippets = load_snippets(args.collection, ids, 100);
  }
  std::printf("%zu results for \"%s\" (%s; ", result.hits.size(), args.query.c_str(),
              retrieval_mode_name(options.mode));
  bool first = true;
  print_stage("encode", result.times.encode_ms, first);
  print_stage("dense", result.times.dense_ms, first);
  print_stage("prf", result.times.prf_ms, first);
  print_stage("bm25", result.times.bm25_ms, first);
  print_stage("fusion", result.times.fusion_ms, first);
  print_stage("total", result.times.total_ms, first);
  std::printf(")\n");
  int rank = 0;
  for (const RetrievedHit& hit : result.hits) {
    std::printf("%3d  %10.5f  %s", ++rank, hit.score, hit.doc_id.c_str());
    if (auto it = snippets.find(hit.doc_id); it != snippets.end()) std::printf("  %s", it->second.c_str());
    std::printf("\n");
  }
}

void run_split(const SearchArgs& args, Retriever& retriever, const RetrievalOptions& options) {
  DENSER_CHECK(!args.collection.empty() && !args.run.empty(), ErrorCode::kInvalidArgument,
               "search: --collection and --run are required unless --query is given");
  const std::vector<Query> queries = Collection::open(args.collection).queries(args.split);
  std::string tag = args.tag;
  if (tag.empty()) {
    tag = std::string("denser-") + retrieval_mode_name(options.mode);
    if (options.mode == RetrievalMode::kHybrid) tag += std::string("-") + fusion_method_name(options.fusion);
    if (options.prf.method != PrfMethod::kNone) tag += std::string("-prf-") + prf_method_name(options.prf.method);
  }
  const auto start = std::chrono::steady_clock::now();
  const Run run = retrieve_run(retriever, queries, options, tag, static_cast<size_t>(args.retriever.batch_size));
  const double seconds = seconds_since(start);
  write_trec_run(args.run, run);
  std::printf("searched %zu queries (split %s, mode %s, k %zu) in %.3f s: %.1f queries/s\n", queries.size(),
              args.split.c_str(), retrieval_mode_name(options.mode), options.k, seconds,
              seconds > 0 ? queries.size() / seconds : 0.0);
  std::printf("run written to %s\n", args.run.c_str());
}

void register_search(CLI::App& app) {
  auto args = std::make_shared<SearchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "search", "Search a collection: dense (--model --index), BM25 (--bm25) or hybrid (all three), optional PRF");
  add_retriever_options(cmd, args->retriever, true);
  cmd->add_option("--collection", args->collection,
                  "Collection directory holding the queries (with --query: for result snippets)");
  cmd->add_option("--split", args->split, "Query split (queries judged in it)")->capture_default_str();
  cmd->add_option("--run", args->run, "TREC run file to write");
  cmd->add_option("--query", args->query, "Search one query typed here and print the top-k instead of a run");
  CLI::Option* k = cmd->add_option("--k", args->k, "Results per query (with --query: default 10)");
  k->capture_default_str();
  cmd->add_option("--tag", args->tag, "Run tag (last column of the run; default from the mode)");
  cmd->callback([args, k] {
    args->k_given = k->count() > 0;
    DENSER_CHECK(args->k > 0, ErrorCode::kInvalidArgument, "search: --k must be positive");
    std::unique_ptr<Retriever> retriever = open_retriever(args->retriever, "search");
    const size_t top = args->query.empty() || args->k_given ? args->k : 10;
    const RetrievalOptions options = retrieval_options(args->retriever, *retriever, top);
    if (args->query.empty()) {
      run_split(*args, *retriever, options);
    } else {
      run_adhoc(*args, *retriever, options);
    }
  });
}

}  // namespace

void register_dense_commands(CLI::App& app) {
  register_init(app);
  register_encode(app);
  register_search(app);
}

}  // namespace denser::cli
