// Side by side: denser encoding a corpus with a pretrained sentence-transformers model
// against what users run for the same job: sentence-transformers itself (PyTorch), and the
// model exported to ONNX under onnxruntime, float32 and dynamic int8
// (bench/python/st_peer.py, in the oracle venv). Same texts, same max length, batch and
// threads. Before any figure is reported the vectors are checked: every peer's vector must
// have cosine >= --min-cosine with denser's (fp32), or the run fails.
// Also measures the reachable matrix-product speed of this machine (oneDNN inner product on
// the FFN's shapes) and the encoder's achieved GFLOP/s against it. Prints one JSON object.
//   bench_encoder_vs_st --model all-MiniLM-L6-v2 --collection ../shared/datasets/scifact \
//       --docs 512 --max-length 256 --threads 2
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/memory.h"
#include "denser/common/parallel.h"
#include "denser/data/collection.h"
#include "denser/encode/corpus_encoding.h"
#include "denser/encode/encoder.h"
#include "denser/encode/model_config.h"
#include "denser/encode/model_store.h"
#include "denser/text/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

struct Args {
  std::string model = "all-MiniLM-L6-v2";
  std::string collection;
  size_t docs = 512;
  int max_length = 256;
  int batch = 32;
  int threads = 2;
  int repeats = 2;
  std::string precision = "fp32,bf16";
  std::string python = ".venv/bin/python";
  std::string peer = "bench/python/st_peer.py";
  std::string backends = "st,onnx,onnx-int8";
  std::string work_dir = "out/bench/encoder-vs-st";
  double min_cosine = 0.9999;
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Multiply-adds x 2 of one BERT forward pass over sequences of the given lengths.
double encoder_flops(const denser::ModelConfig& c, const std::vector<size_t>& lengths) {
  const double h = static_cast<double>(c.hidden_size), inter = static_cast<double>(c.intermediate_size);
  double flops = 0;
  for (size_t len : lengths) {
    const double l = static_cast<double>(len);
    flops += static_cast<double>(c.num_hidden_layers) * (2 * l * (4 * h * h + 2 * h * inter) + 4 * l * l * h);
  }
  return flops;
}

// The reachable GFLOP/s of a float32 matrix product y = x w^T + b on the encoder's largest
// shape, on exactly `threads` cores, through each library the encoder can call: oneDNN's
// inner product ("onednn") and libtorch's addmm on the system BLAS ("blas", OpenBLAS here).
nlohmann::json gemm_gflops(int64_t rows, int64_t in, int64_t out, int threads) {
  at::set_num_threads(threads);
  denser::set_blas_threads(threads);
  torch::InferenceMode guard;
  torch::Tensor x = torch::randn({rows, in}), w = torch::randn({out, in}), b = torch::zeros({out});
  auto rate = [&](const std::function<torch::Tensor()>& once) {
    once();
    const int iters = 20;
    auto start = Clock::now();
    for (int i = 0; i < iters; ++i) once();
    return 2.0 * static_cast<double>(rows * in * out) * iters / seconds_since(start) / 1e9;
  };
  const double onednn = rate([&] { return at::mkldnn_linear(x.to_mkldnn(), w.to_mkldnn(), b).to_dense(); });
  const double blas = rate([&] { return torch::addmm(b, x, w.t()); });
  return {{"onednn", onednn}, {"blas", blas}, {"best", std::max(onednn, blas)}};
}

std::vector<float> read_floats(const std::string& path) {
  const std::string raw = denser::read_file(path);
  std::vector<float> v(raw.size() / sizeof(float));
  std::memcpy(v.data(), raw.data(), v.size() * sizeof(float));
  return v;
}

double min_cosine(const std::vector<float>& a, const std::vector<float>& b, size_t dim) {
  DENSER_CHECK(a.size() == b.size(), denser::ErrorCode::kCorrupt, "vector counts differ: ", a.size(), " vs ", b.size());
  double worst = 1.0;
  for (size_t i = 0; i < a.size() / dim; ++i) {
    double dot = 0, na = 0, nb = 0;
    for (size_t d = 0; d < dim; ++d) {
      dot += double{a[i * dim + d]} * b[i * dim + d];
      na += double{a[i * dim + d]} * a[i * dim + d];
      nb += double{b[i * dim + d]} * b[i * dim + d];
    }
    worst = std::min(worst, dot / std::sqrt(na * nb));
  }
  return worst;
}

nlohmann::json run(const Args& args) {
  fs::create_directories(args.work_dir);
  const std::string model_dir = denser::resolve_model_dir(args.model);
  const denser::Collection collection = denser::Collection::open(args.collection);
  std::vector<std::string> texts;
  {
    auto reader = collection.documents();
    denser::Document doc;
    while (texts.size() < args.docs && reader->next(doc)) texts.push_back(denser::document_text(doc, true));
  }
  const std::string texts_path = args.work_dir + "/texts.jsonl";
  {
    std::ofstream f(texts_path);
    for (const auto& t : texts) f << nlohmann::json(t).dump() << "\n";
  }
  const auto tokenizer = denser::load_tokenizer(model_dir);
  std::vector<size_t> lengths;
  size_t tokens = 0;
  for (const auto& t : texts) {
    lengths.push_back(tokenizer->encode_single(t, static_cast<size_t>(args.max_length)).size());
    tokens += lengths.back();
  }
  const denser::ModelConfig config = denser::ModelConfig::load_dir(model_dir);

  // denser at each precision asked for; the first is the reference for the peers' checks.
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<std::string> precisions;
  for (size_t start = 0, end; start < args.precision.size(); start = end + 1) {
    end = args.precision.find(',', start);
    if (end == std::string::npos) end = args.precision.size();
    precisions.push_back(args.precision.substr(start, end - start));
  }
  DENSER_CHECK(!precisions.empty() && precisions[0] == "fp32", denser::ErrorCode::kInvalidArgument,
               "--precision must start with fp32 (the reference)");
  const double flops = encoder_flops(config, lengths);
  nlohmann::json mine;
  std::vector<float> ours;
  size_t dim = 0;
  for (const std::string& precision : precisions) {
    denser::EncodeOptions options;
    options.batch_size = args.batch;
    options.num_threads = args.threads;
    options.document_max_length = args.max_length;
    options.precision = precision;
    auto encoder = denser::load_encoder(model_dir, options);
    dim = static_cast<size_t>(encoder->dim());
    std::vector<float> vectors(texts.size() * dim);
    encoder->encode_documents(views, vectors);  // warm-up, and the vectors checked below
    std::vector<double> seconds;
    for (int r = 0; r < args.repeats; ++r) {
      auto start = Clock::now();
      encoder->encode_documents(views, vectors);
      seconds.push_back(seconds_since(start));
    }
    const double best = *std::min_element(seconds.begin(), seconds.end());
    if (ours.empty()) ours = vectors;
    mine[precision] = {{"seconds", seconds},
                       {"best_seconds", best},
                       {"docs_per_s", texts.size() / best},
                       {"tokens_per_s", tokens / best},
                       {"gflops_achieved", flops / best / 1e9},
                       {"min_cosine_vs_fp32", min_cosine(ours, vectors, dim)}};
  }
  const nlohmann::json gemm = gemm_gflops(args.batch * 128, config.hidden_size, config.intermediate_size, args.threads);
  const double peak = gemm["best"].get<double>();

  nlohmann::json backends = nlohmann::json::array();
  for (size_t start = 0, end; start < args.backends.size(); start = end + 1) {
    end = args.backends.find(',', start);
    if (end == std::string::npos) end = args.backends.size();
    backends.push_back(args.backends.substr(start, end - start));
  }
  const nlohmann::json request = {
      {"model", model_dir},        {"texts", texts_path},           {"batch_size", args.batch},
      {"threads", args.threads},   {"max_length", args.max_length}, {"backends", backends},
      {"work_dir", args.work_dir}, {"repeats", args.repeats}};
  const std::string request_path = args.work_dir + "/request.json";
  denser::write_file_atomic(request_path, request.dump());
  const std::string cmd = "'" + args.python + "' '" + args.peer + "' '" + request_path + "'";
  FILE* pipe = popen(cmd.c_str(), "r");
  DENSER_CHECK(pipe, denser::ErrorCode::kUnavailable, "cannot start the peer: ", cmd);
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  DENSER_CHECK(pclose(pipe) == 0, denser::ErrorCode::kUnavailable, "the peer failed: ", cmd);
  const nlohmann::json peer = nlohmann::json::parse(out);

  nlohmann::json report = {
      {"model", args.model},     {"collection", args.collection},      {"docs", texts.size()},
      {"tokens", tokens},        {"max_length", args.max_length},      {"batch", args.batch},
      {"threads", args.threads}, {"gemm_gflops_reachable_fp32", peak}, {"gemm_gflops_fp32", gemm},
      {"denser", mine},
  };
  for (auto& [precision, r] : report["denser"].items())
    r["fraction_of_reachable_fp32"] = r["gflops_achieved"].get<double>() / peak;
  for (const auto& [name, r] : peer.items()) {
    if (r.contains("error")) {
      report["peers"][name] = r;
      continue;
    }
    const std::vector<double> s = r["seconds"];
    const double peer_best = *std::min_element(s.begin(), s.end());
    const double cosine = min_cosine(ours, read_floats(args.work_dir + "/" + name + ".f32"), dim);
    report["peers"][name] = {{"seconds", s},
                             {"docs_per_s", texts.size() / peer_best},
                             {"tokens_per_s", tokens / peer_best},
                             {"min_cosine_vs_denser_fp32", cosine}};
    for (const auto& [precision, r2] : mine.items())
      report["peers"][name]["denser_" + precision + "_speedup"] = peer_best / r2["best_seconds"].get<double>();
    if (name != "onnx-int8")
      DENSER_CHECK(cosine >= args.min_cosine, denser::ErrorCode::kInternal, "peer ", name,
                   " disagrees with denser: lowest cosine ", cosine);
  }
  return report;
}

}  // namespace

int main(int argc, char** argv) {
  denser::tune_allocator_for_tensors();
  CLI::App app{"denser against sentence-transformers and onnxruntime: corpus encoding throughput"};
  Args args;
  app.add_option("--model", args.model, "Model directory or installed model name")->capture_default_str();
  app.add_option("--collection", args.collection, "Collection whose first --docs documents are encoded")->required();
  app.add_option("--docs", args.docs, "Documents")->capture_default_str();
  app.add_option("--max-length", args.max_length, "Subword tokens per document")->capture_default_str();
  app.add_option("--batch", args.batch, "Documents per forward pass")->capture_default_str();
  app.add_option("--threads", args.threads, "Threads, both sides")->capture_default_str();
  app.add_option("--repeats", args.repeats, "Timed passes after one warm-up (best is reported)")->capture_default_str();
  app.add_option("--precision", args.precision, "denser's precisions, comma-separated, fp32 first")
      ->capture_default_str();
  app.add_option("--python", args.python, "Python of the oracle venv")->capture_default_str();
  app.add_option("--peer", args.peer, "The peer script")->capture_default_str();
  app.add_option("--backends", args.backends, "Peers: st, onnx, onnx-int8 (comma-separated)")->capture_default_str();
  app.add_option("--work-dir", args.work_dir, "Scratch directory")->capture_default_str();
  app.add_option("--min-cosine", args.min_cosine, "Agreement required of the fp32 peers")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    std::printf("%s\n", run(args).dump(2).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_encoder_vs_st: %s\n", e.what());
    return 1;
  }
  return 0;
}
