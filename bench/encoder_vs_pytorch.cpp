// Side by side: denser's transformer encoder against the same BERT architecture written in
// PyTorch Python (bench/python/bert_peer.py, Debian's python3-torch), same weights, same
// threads, same token batches. Measures corpus encoding throughput (docs/s, inference) and
// one training step (queries + positive documents with in-batch negatives, NLL over dot
// products, backward, AdamW) in seconds, and reports denser / Python ratios as one JSON
// object. Tokenization is done once here and is outside both timings; the batches go to
// the peer as JSON. Before timing, both sides must agree: first batch's embeddings (max abs
// difference) and the loss before and after one AdamW step without dropout.
//   bench_encoder_vs_pytorch --preset small --threads 2 --batch 32 --docs 512
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/memory.h"
#include "denser/common/io.h"
#include "denser/data/readers.h"
#include "denser/encode/transformer.h"
#include "denser/text/wordpiece.h"
#include "encode/onednn_route.h"
#include "encode/torch_threads.h"
#include "encode/transformer_encoder.h"
#include "denser/common/timer.h"

namespace {

using denser::encode_internal::TransformerEncoder;
using Clock = std::chrono::steady_clock;
using denser::seconds_since;

struct Args {
  std::string preset = "tiny";
  int threads = 2;
  int batch = 32;
  size_t docs = 512;
  int max_length = 256;
  int query_max_length = 64;
  int steps = 5;
  int warmup_steps = 1;
  int repeats = 3;
  double lr = 2e-5;
  double weight_decay = 0.01;
  std::string shared = "../shared";
  std::string python = "/usr/bin/python3";
  std::string peer = "bench/python/bert_peer.py";
  std::string work_dir;
  double tolerance = 1e-4;
  bool no_onednn = false;
  bool peer_tuned_malloc = false;  // give the Python peer denser's malloc settings too
  bool tuned_malloc = false;       // whether denser's side runs with them (set in main)
};

/// A padded batch: (batch, seq) int64 ids and attention mask.
struct Padded {
  torch::Tensor ids, mask;
};
struct TrainBatch {
  Padded queries, documents;
};

/// Tokenizes all texts, orders them by length (as Encoder::encode_documents does, so little
/// of each batch is padding) and cuts batches trimmed to their longest row.
std::vector<Padded> encode_batches(const TransformerEncoder& enc, const std::vector<std::string>& texts, int max_length,
                                   int batch) {
  std::vector<std::string_view> views(texts.begin(), texts.end());
  auto all = enc.tokenize(views, static_cast<size_t>(max_length));
  torch::Tensor lengths = all.attention_mask.sum(1).contiguous();
  std::vector<int64_t> len(lengths.data_ptr<int64_t>(), lengths.data_ptr<int64_t>() + lengths.numel());
  std::vector<int64_t> order(len.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return len[a] < len[b]; });
  std::vector<Padded> out;
  for (size_t start = 0; start < order.size(); start += static_cast<size_t>(batch)) {
    size_t end = std::min(order.size(), start + static_cast<size_t>(batch));
    std::vector<int64_t> slice(order.begin() + static_cast<long>(start), order.begin() + static_cast<long>(end));
    int64_t longest = len[slice.back()];
    torch::Tensor idx = torch::tensor(slice, torch::kLong);
    out.push_back({all.ids.index_select(0, idx).slice(1, 0, longest).contiguous(),
                   all.attention_mask.index_select(0, idx).slice(1, 0, longest).contiguous()});
  }
  return out;
}

/// (query, positive document) pairs from SciFact's test qrels, in query id order, cycled
/// to fill `count` batches of `batch` pairs.
std::vector<TrainBatch> train_batches(const TransformerEncoder& enc, const Args& args, int count) {
  std::string dir = args.shared + "/datasets/scifact";
  std::map<std::string, std::string> docs, queries;
  auto reader = denser::open_beir_corpus(dir + "/corpus.jsonl");
  for (denser::Document d; reader->next(d);) docs[d.id] = d.title + " " + d.text;
  for (auto& q : denser::read_beir_queries(dir + "/queries.jsonl")) queries[q.id] = q.text;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (auto& [qid, judged] : denser::read_beir_qrels(dir + "/qrels/test.tsv").judgments)
    for (auto& [docid, grade] : judged)
      if (grade > 0 && queries.count(qid) && docs.count(docid)) {
        pairs.emplace_back(queries[qid], docs[docid]);
        break;
      }
  DENSER_CHECK(!pairs.empty(), denser::ErrorCode::kNotFound, dir, ": no judged (query, document) pairs");
  std::vector<TrainBatch> out;
  size_t next = 0;
  for (int s = 0; s < count; ++s) {
    std::vector<std::string_view> q, d;
    for (int b = 0; b < args.batch; ++b, next = (next + 1) % pairs.size()) {
      q.push_back(pairs[next].first);
      d.push_back(pairs[next].second);
    }
    auto tq = enc.tokenize(q, static_cast<size_t>(args.query_max_length));
    auto td = enc.tokenize(d, static_cast<size_t>(args.max_length));
    out.push_back({{tq.ids, tq.attention_mask}, {td.ids, td.attention_mask}});
  }
  return out;
}

nlohmann::json rows(const torch::Tensor& t) {
  nlohmann::json out = nlohmann::json::array();
  auto a = t.accessor<int64_t, 2>();
  for (int64_t i = 0; i < t.size(0); ++i) {
    std::vector<int64_t> row(&a[i][0], &a[i][0] + t.size(1));
    out.push_back(row);
  }
  return out;
}

void write_request(const std::string& path, const Args& args, const std::vector<Padded>& encode,
                   const std::vector<TrainBatch>& train) {
  nlohmann::json j = {{"threads", args.threads},
                      {"lr", args.lr},
                      {"weight_decay", args.weight_decay},
                      {"warmup_steps", args.warmup_steps},
                      {"repeats", args.repeats}};
  j["encode"] = nlohmann::json::array();
  for (auto& b : encode) j["encode"].push_back({{"ids", rows(b.ids)}, {"mask", rows(b.mask)}});
  j["train"] = nlohmann::json::array();
  for (auto& b : train)
    j["train"].push_back({{"q_ids", rows(b.queries.ids)},
                          {"q_mask", rows(b.queries.mask)},
                          {"d_ids", rows(b.documents.ids)},
                          {"d_mask", rows(b.documents.mask)}});
  denser::write_file_atomic(path, j.dump());
}

torch::Tensor forward(TransformerEncoder& enc, const Padded& b, bool query) {
  return enc.net()->forward(b.ids, torch::zeros_like(b.ids), b.mask, query);
}

struct EncodeResult {
  torch::Tensor first;                   // the first batch's embeddings
  double cold_seconds = 0, seconds = 0;  // first pass (shape-specific set-up included), best later pass
  std::vector<double> passes;            // every pass, first included
  size_t docs = 0;
};

/// Eval mode under InferenceMode, as Encoder::encode_documents runs the network. 1 + repeats
/// passes over the batches: the first pays one-time costs per batch shape (oneDNN primitive
/// creation, allocator growth); the fastest later pass is the steady state (the least
/// disturbed by other work on a shared machine).
EncodeResult denser_encode(TransformerEncoder& enc, const std::vector<Padded>& batches, int repeats) {
  EncodeResult r;
  enc.net()->eval();
  torch::InferenceMode inference;
  for (auto& b : batches) r.docs += static_cast<size_t>(b.ids.size(0));
  for (int pass = 0; pass <= repeats; ++pass) {
    auto start = Clock::now();
    for (auto& b : batches) {
      torch::Tensor vectors = forward(enc, b, false);
      if (pass == 0 && &b == &batches[0]) r.first = vectors.clone();
    }
    double t = seconds_since(start);
    r.passes.push_back(t);
    if (pass == 0)
      r.cold_seconds = t;
    else if (pass == 1 || t < r.seconds)
      r.seconds = t;
  }
  return r;
}

torch::Tensor batch_loss(TransformerEncoder& enc, const TrainBatch& b) {
  torch::Tensor q = forward(enc, b.queries, true), d = forward(enc, b.documents, false);
  // Row i's positive is document i; the other documents of the batch are its negatives.
  return torch::nn::functional::cross_entropy(q.matmul(d.t()), torch::arange(q.size(0), torch::kLong));
}

double train_step(TransformerEncoder& enc, torch::optim::AdamW& opt, const TrainBatch& b) {
  torch::Tensor loss = batch_loss(enc, b);
  opt.zero_grad();
  loss.backward();
  opt.step();
  return loss.item<double>();
}

struct TrainResult {
  std::vector<double> check;              // loss before and after one step without dropout
  double mean_step = 0, median_step = 0;  // seconds
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

TrainResult denser_train(TransformerEncoder& enc, const std::vector<TrainBatch>& batches, const Args& args) {
  TrainResult r;
  torch::optim::AdamW opt(enc.net()->parameters(), torch::optim::AdamWOptions(args.lr).weight_decay(args.weight_decay));
  enc.net()->eval();
  r.check.push_back(train_step(enc, opt, batches[0]));
  {
    torch::NoGradGuard no_grad;
    r.check.push_back(batch_loss(enc, batches[0]).item<double>());
  }
  enc.net()->train();
  for (int s = 0; s < args.warmup_steps; ++s) train_step(enc, opt, batches[static_cast<size_t>(s) % batches.size()]);
  std::vector<double> times;
  for (size_t s = static_cast<size_t>(args.warmup_steps); s < batches.size(); ++s) {
    auto start = Clock::now();
    train_step(enc, opt, batches[s]);
    times.push_back(seconds_since(start));
  }
  r.mean_step = std::accumulate(times.begin(), times.end(), 0.0) / static_cast<double>(times.size());
  r.median_step = median(times);
  enc.net()->eval();
  return r;
}

nlohmann::json run_peer(const Args& args, const std::string& model_dir, const std::string& request,
                        const std::string& embeddings) {
  // The same settings denser::tune_allocator_for_tensors() makes, through glibc's variables.
  std::string env = args.peer_tuned_malloc ? "MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1073741824 " : "";
  // OpenBLAS keeps its own thread pool, which torch.set_num_threads does not limit.
  env += "OPENBLAS_NUM_THREADS=" + std::to_string(args.threads) + " ";
  std::string cmd =
      env + "'" + args.python + "' '" + args.peer + "' '" + model_dir + "' '" + request + "' '" + embeddings + "'";
  FILE* pipe = popen(cmd.c_str(), "r");
  DENSER_CHECK(pipe, denser::ErrorCode::kUnavailable, "cannot start the Python peer: ", cmd);
  std::string text;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
  int status = pclose(pipe);
  DENSER_CHECK(status == 0, denser::ErrorCode::kUnavailable, "the Python peer failed (status ", status, "): ", cmd);
  return nlohmann::json::parse(text);
}

double max_abs_diff(const torch::Tensor& mine, const std::string& peer_file) {
  std::string raw = denser::read_file(peer_file);
  DENSER_CHECK(raw.size() == static_cast<size_t>(mine.numel()) * sizeof(float), denser::ErrorCode::kCorrupt, peer_file,
               ": ", raw.size(), " bytes, expected ", mine.numel(), " float32 values");
  std::vector<float> theirs(static_cast<size_t>(mine.numel()));
  std::memcpy(theirs.data(), raw.data(), raw.size());
  torch::Tensor t = torch::from_blob(theirs.data(), mine.sizes(), torch::kFloat32);
  return (mine.to(torch::kFloat32) - t).abs().max().item<double>();
}

std::string first_line(const std::string& path, const std::string& prefix) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) {
      auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  return "";
}

nlohmann::json machine() {
  char date[32];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::string load;
  std::getline(std::ifstream("/proc/loadavg"), load);
  return {{"cpu", first_line("/proc/cpuinfo", "model name")},
          {"cores", std::thread::hardware_concurrency()},
          {"date", date},
          {"loadavg", load}};
}

std::vector<std::string> first_documents(const Args& args) {
  std::vector<std::string> texts;
  auto reader = denser::open_beir_corpus(args.shared + "/datasets/scifact/corpus.jsonl");
  for (denser::Document d; texts.size() < args.docs && reader->next(d);) texts.push_back(d.title + " " + d.text);
  return texts;
}

/// denser's public path end to end (tokenization, length sorting, padding, forward).
double end_to_end_docs_per_s(denser::Encoder& enc, const std::vector<std::string>& texts) {
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<float> out(texts.size() * static_cast<size_t>(enc.dim()));
  auto start = Clock::now();
  enc.encode_documents(views, out);
  return static_cast<double>(texts.size()) / seconds_since(start);
}

/// Docs/s of both sides: best pass, median pass and first pass, with ratios (denser / Python).
nlohmann::json encode_report(const EncodeResult& mine, const nlohmann::json& peer, double end_to_end) {
  double docs = static_cast<double>(mine.docs);
  std::vector<double> theirs = peer["encode_pass_seconds"];
  double denser_best = docs / mine.seconds, python_best = docs / *std::min_element(theirs.begin() + 1, theirs.end());
  double denser_median = docs / median({mine.passes.begin() + 1, mine.passes.end()});
  double python_median = docs / median({theirs.begin() + 1, theirs.end()});
  double denser_cold = docs / mine.cold_seconds, python_cold = docs / theirs[0];
  return {{"denser_docs_per_s", denser_best},
          {"python_docs_per_s", python_best},
          {"ratio", denser_best / python_best},
          {"denser_median_docs_per_s", denser_median},
          {"python_median_docs_per_s", python_median},
          {"median_ratio", denser_median / python_median},
          {"denser_first_pass_docs_per_s", denser_cold},
          {"python_first_pass_docs_per_s", python_cold},
          {"first_pass_ratio", denser_cold / python_cold},
          {"denser_end_to_end_docs_per_s", end_to_end},
          {"denser_pass_seconds", mine.passes},
          {"python_pass_seconds", theirs}};
}

nlohmann::json run(const Args& args) {
  nlohmann::json load_before = machine()["loadavg"];
  auto tokens = denser::load_vocab_txt(args.shared + "/vocab/bert-base-uncased/vocab.txt");
  auto config = denser::ModelConfig::preset(args.preset, "bert", static_cast<int64_t>(tokens.size()));
  denser::EncodeOptions options;
  options.batch_size = args.batch;
  options.num_threads = args.threads;
  options.document_max_length = args.max_length;
  options.query_max_length = args.query_max_length;
  auto encoder = denser::create_transformer_encoder(config, tokens, options, 1);
  auto& enc = dynamic_cast<TransformerEncoder&>(*encoder);
  std::string work = args.work_dir.empty() ? "/tmp/denser-bench-encoder-" + args.preset : args.work_dir;
  enc.save(work + "/model");
  denser::encode_internal::set_torch_threads(args.threads);

  auto texts = first_documents(args);
  auto encode = encode_batches(enc, texts, args.max_length, args.batch);
  auto train = train_batches(enc, args, args.warmup_steps + args.steps);
  write_request(work + "/batches.json", args, encode, train);

  EncodeResult mine = denser_encode(enc, encode, args.repeats);
  double end_to_end = end_to_end_docs_per_s(enc, texts);
  TrainResult mine_train = denser_train(enc, train, args);
  nlohmann::json peer = run_peer(args, work + "/model", work + "/batches.json", work + "/peer_first_batch.f32");

  double diff = max_abs_diff(mine.first, work + "/peer_first_batch.f32");
  DENSER_CHECK(diff <= args.tolerance, denser::ErrorCode::kInternal, "denser and PyTorch embeddings differ by ", diff,
               " on the first batch");
  std::vector<double> peer_check = peer["check_losses"];
  for (size_t i = 0; i < 2; ++i)
    DENSER_CHECK(std::abs(peer_check[i] - mine_train.check[i]) <= 1e-3, denser::ErrorCode::kInternal, "check loss ", i,
                 " differs: denser ", mine_train.check[i], " PyTorch ", peer_check[i]);

  nlohmann::json m = machine();
  m["loadavg_before"] = load_before;
  return {{"config",
           {{"preset", args.preset},
            {"threads", args.threads},
            {"batch", args.batch},
            {"max_length", args.max_length},
            {"query_max_length", args.query_max_length},
            {"docs", texts.size()},
            {"train_steps", args.steps},
            {"warmup_steps", args.warmup_steps},
            {"encode_repeats", args.repeats},
            {"timing", "encode: best timed pass; train: median step"}}},
          {"encode", encode_report(mine, peer, end_to_end)},
          {"train",
           {{"denser_s_per_step", mine_train.median_step},
            {"python_s_per_step", peer["train_median_step"]},
            {"ratio", peer["train_median_step"].get<double>() / mine_train.median_step},
            {"denser_mean_s_per_step", mine_train.mean_step},
            {"python_mean_s_per_step", peer["train_mean_step"]}}},
          {"checks",
           {{"first_batch_max_abs_diff", diff}, {"denser_losses", mine_train.check}, {"python_losses", peer_check}}},
          {"engines",
           {{"denser", args.no_onednn ? "libtorch C++, plain libtorch throughout"
                                      : "libtorch C++; inference matmuls through oneDNN, training on plain libtorch"},
            {"python", "torch " + peer["torch_version"].get<std::string>() + ", default CPU path"},
            {"denser_malloc", args.tuned_malloc ? "tuned (no mmap blocks, 1 GiB trim threshold)" : "glibc defaults"},
            {"python_malloc",
             args.peer_tuned_malloc ? "tuned through MALLOC_MMAP_MAX_/MALLOC_TRIM_THRESHOLD_" : "glibc defaults"}}},
          {"machine", m}};
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  args.tuned_malloc = denser::tune_allocator_for_tensors();
  CLI::App app{"denser's transformer encoder against the same BERT in PyTorch Python: encoding and training"};
  app.add_option("--preset", args.preset, "Model preset: tiny, small or base (random weights)");
  app.add_option("--threads", args.threads, "Intra-op threads on both sides");
  app.add_option("--batch", args.batch, "Texts per batch (encoding) and pairs per training step");
  app.add_option("--docs", args.docs, "SciFact documents to encode (the first N)");
  app.add_option("--max-length", args.max_length, "Subword tokens per document");
  app.add_option("--query-max-length", args.query_max_length, "Subword tokens per query (training)");
  app.add_option("--steps", args.steps, "Timed training steps");
  app.add_option("--warmup-steps", args.warmup_steps, "Untimed training steps before them");
  app.add_option("--repeats", args.repeats, "Timed encoding passes after the first (the fastest counts)");
  app.add_option("--lr", args.lr, "AdamW learning rate");
  app.add_option("--weight-decay", args.weight_decay, "AdamW weight decay");
  app.add_option("--shared", args.shared, "The shared directory (datasets/scifact, vocab/bert-base-uncased)");
  app.add_option("--python", args.python, "Python interpreter that has torch");
  app.add_option("--peer", args.peer, "Path of bench/python/bert_peer.py");
  app.add_option("--work-dir", args.work_dir,
                 "Where the model and batches go (default /tmp/denser-bench-encoder-PRESET)");
  app.add_option("--tolerance", args.tolerance, "Largest allowed embedding difference on the first batch");
  app.add_flag("--peer-tuned-malloc", args.peer_tuned_malloc,
               "Run the Python peer with denser's malloc settings (glibc environment variables)");
  app.add_flag("--no-onednn", args.no_onednn, "Run denser's inference on plain libtorch too (no oneDNN route)");
  CLI11_PARSE(app, argc, argv);
  if (args.no_onednn) denser::encode_internal::set_use_onednn(false);
  try {
    DENSER_CHECK(args.batch > 0 && args.docs > 0 && args.steps > 0 && args.threads > 0 && args.repeats > 0,
                 denser::ErrorCode::kInvalidArgument,
                 "--batch, --docs, --steps, --repeats and --threads must be positive");
    std::printf("%s\n", run(args).dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_encoder_vs_pytorch: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
