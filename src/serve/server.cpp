#include "denser/serve/server.h"

#include <httplib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "denser/common/error.h"
#include "denser/common/log.h"
#include "denser/common/timer.h"
#include "denser/common/utf8.h"
#include "denser/data/collection.h"
#include "denser/data/readers.h"
#include "http_json.h"
#include "search_request.h"
#include "web_page.h"

namespace denser {

std::string_view web_page() { return serve_internal::kIndexHtml; }

// ------------------------------------------------------------------ DocumentStore

std::shared_ptr<DocumentStore> DocumentStore::load(const std::string& collection_dir) {
  auto store = std::make_shared<DocumentStore>();
  auto reader = Collection::open(collection_dir).documents();
  Document doc;
  while (reader->next(doc)) store->add(std::move(doc.id), std::move(doc.title), std::move(doc.text));
  return store;
}

void DocumentStore::add(std::string id, std::string title, std::string text) {
  docs_.insert_or_assign(std::move(id), Entry{std::move(title), std::move(text)});
}

const DocumentStore::Entry* DocumentStore::find(std::string_view id) const {
  auto it = docs_.find(std::string(id));
  return it == docs_.end() ? nullptr : &it->second;
}

// ------------------------------------------------------------------ server

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using serve_internal::check_bearer;
using serve_internal::configure_sockets;
using serve_internal::reject;
using serve_internal::send_error;
using serve_internal::send_json;
using BadRequest = serve_internal::BadRequest;

// s with whitespace runs folded to one space; when that is longer than `limit` bytes, its
// first `limit` bytes cut back to a character boundary, then "...".
std::string snippet(std::string_view s, size_t limit) {
  std::string out;
  out.reserve(std::min(s.size(), limit + 1));
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' '), space = false;
    out.push_back(c);
    if (out.size() > limit) break;  // one byte past the limit: the snippet is cut
  }
  if (out.size() <= limit) return out;
  out.resize(utf8::character_boundary_before(out, limit));
  return out + "...";
}

// Latency histogram and counters for /metrics (Prometheus text format).
class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0};

  void record(const std::string& route, int status, double seconds) {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_[{route, status}]++;
    Histogram& h = latency_[route];
    for (size_t i = 0; i < kBuckets.size(); ++i)
      if (seconds <= kBuckets[i]) h.counts[i]++;
    h.count++;
    h.sum += seconds;
  }

  std::string render(const Retriever& retriever, size_t in_flight) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string out;
    auto line = [&](const std::string& s) { out += s, out += '\n'; };
    line("# HELP denser_requests_total HTTP requests by route and status.");
    line("# TYPE denser_requests_total counter");
    for (const auto& [key, n] : requests_)
      line("denser_requests_total{route=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"} " +
           std::to_string(n));
    line("# HELP denser_request_errors_total Requests answered with a 4xx or 5xx status.");
    line("# TYPE denser_request_errors_total counter");
    uint64_t client = 0, server = 0;
    for (const auto& [key, n] : requests_) {
      if (key.second >= 500) {
        server += n;
      } else if (key.second >= 400) {
        client += n;
      }
    }
    line("denser_request_errors_total{class=\"4xx\"} " + std::to_string(client));
    line("denser_request_errors_total{class=\"5xx\"} " + std::to_string(server));
    line("# HELP denser_request_duration_seconds Request latency by route.");
    line("# TYPE denser_request_duration_seconds histogram");
    for (const auto& [route, h] : latency_) {
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        char le[32];
        std::snprintf(le, sizeof le, "%g", kBuckets[i]);
        line("denser_request_duration_seconds_bucket{route=\"" + route + "\",le=\"" + le + "\"} " +
             std::to_string(h.counts[i]));
      }
      line("denser_request_duration_seconds_bucket{route=\"" + route + "\",le=\"+Inf\"} " + std::to_string(h.count));
      char sum[64];
      std::snprintf(sum, sizeof sum, "%.6f", h.sum);
      line("denser_request_duration_seconds_sum{route=\"" + route + "\"} " + sum);
      line("denser_request_duration_seconds_count{route=\"" + route + "\"} " + std::to_string(h.count));
    }
    line("# HELP denser_requests_in_flight Requests being handled now.");
    line("# TYPE denser_requests_in_flight gauge");
    line("denser_requests_in_flight " + std::to_string(in_flight));
    line("# HELP denser_encode_batches_total Query-encoder forward calls (micro-batches).");
    line("# TYPE denser_encode_batches_total counter");
    line("denser_encode_batches_total " + std::to_string(retriever.encode_batches()));
    line("# HELP denser_encoded_queries_total Queries encoded, over all micro-batches.");
    line("# TYPE denser_encoded_queries_total counter");
    line("denser_encoded_queries_total " + std::to_string(retriever.encoded_queries()));
    line("# HELP denser_documents Documents in the index.");
    line("# TYPE denser_documents gauge");
    line("denser_documents " + std::to_string(retriever.num_docs()));
    return out;
  }

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
};

}  // namespace

struct SearchServer::Impl {
  std::shared_ptr<Retriever> retriever;
  std::shared_ptr<const DocumentStore> docs;
  ServerOptions options;
  httplib::Server http;
  Metrics metrics;
  std::atomic<size_t> in_flight{0};
  int bound_port = -1;
  std::thread thread;

  // install_routes() runs the five below, in this order.
  void install_routes();
  void configure_connections();      // limits, timeouts, sockets, worker threads
  void guard_framing_and_headers();  // ambiguous framing (400 + close), header bytes (431)
  void add_api_routes();
  void add_method_guards();   // 405 with Allow on known routes
  void add_error_handlers();  // JSON bodies for httplib's own errors, 500 on exceptions
  json search(const httplib::Request& req);
  json training_log() const;
  // Runs handler with error mapping and metrics under `route`.
  template <typename Fn>
  void guarded(const std::string& route, const httplib::Request& req, httplib::Response& res, Fn&& handler);
};

template <typename Fn>
void SearchServer::Impl::guarded(const std::string& route, const httplib::Request& req, httplib::Response& res,
                                 Fn&& handler) {
  auto start = Clock::now();
  in_flight.fetch_add(1);
  try {
    if (route != "/health" && route != "/") check_bearer(req, res, options.token);
    handler();
  } catch (...) {
    serve_internal::send_current_exception(req, res, "serve");
  }
  in_flight.fetch_sub(1);
  metrics.record(route, res.status, seconds_since(start));
}

json SearchServer::Impl::search(const httplib::Request& req) {
  std::vector<std::string> queries;
  const RetrievalOptions opts = serve_internal::parse_search_body(req.body, options.limits, options.defaults,
                                                                  {retriever->modes(), retriever->has_prf()}, queries);
  std::vector<RetrievalResult> results = retriever->search(queries, opts);
  json out = {{"mode", retrieval_mode_name(opts.mode)}, {"results", json::array()}};
  for (size_t i = 0; i < results.size(); ++i) {
    json hits = json::array();
    uint32_t rank = 0;
    for (const RetrievedHit& hit : results[i].hits) {
      json h = {{"rank", ++rank}, {"id", hit.doc_id}, {"score", hit.score}};
      if (hit.dense_rank) h["dense_rank"] = hit.dense_rank;
      if (hit.bm25_rank) h["bm25_rank"] = hit.bm25_rank;
      if (docs) {
        if (const DocumentStore::Entry* e = docs->find(hit.doc_id)) {
          h["title"] = e->title;
          h["snippet"] = snippet(e->text, options.snippet_chars);
        }
      }
      hits.push_back(std::move(h));
    }
    json timing = json::object();
    const StageTimes& t = results[i].times;
    auto add = [&](const char* name, double ms) {
      if (ms >= 0) timing[name] = std::round(ms * 1000) / 1000;
    };
    add("encode", t.encode_ms), add("dense", t.dense_ms), add("prf", t.prf_ms), add("bm25", t.bm25_ms);
    add("fusion", t.fusion_ms), add("total", t.total_ms);
    out["results"].push_back({{"query", queries[i]}, {"hits", std::move(hits)}, {"timing_ms", std::move(timing)}});
  }
  return out;
}

json SearchServer::Impl::training_log() const {
  if (options.train_log.empty()) return {{"available", false}};
  std::ifstream in(options.train_log);
  if (!in) return {{"available", false}, {"path", options.train_log}, {"message", "cannot read the log"}};
  json records = json::array();
  std::string line;
  size_t skipped = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      records.push_back(json::parse(line));
    } catch (const json::exception&) {  // parse errors, and numbers beyond double
      ++skipped;                        // a line being written right now, or damage: the rest still plots
    }
  }
  return {
      {"available", true}, {"path", options.train_log}, {"records", std::move(records)}, {"skipped_lines", skipped}};
}

void SearchServer::Impl::install_routes() {
  configure_connections();
  guard_framing_and_headers();
  add_api_routes();
  add_method_guards();
  add_error_handlers();
}

void SearchServer::Impl::configure_connections() {
  const ServerLimits& limits = options.limits;
  http.set_payload_max_length(limits.max_body_bytes);
  http.set_read_timeout(limits.read_timeout_s, 0);
  http.set_write_timeout(limits.write_timeout_s, 0);
  http.set_keep_alive_timeout(limits.keep_alive_timeout_s);
  http.set_keep_alive_max_count(limits.keep_alive_max_requests);
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which lets a second
  // server bind the same port silently and take half of the connections.
  configure_sockets(http);
  const int threads = std::max(1, options.http_threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
}

void SearchServer::Impl::guard_framing_and_headers() {
  // Framing a proxy and this server could read differently (RFC 9112 section 6.3): both
  // Content-Length and Transfer-Encoding, or Content-Length headers that disagree. The
  // request-smuggling hazard: 400 before any body is read, and the connection closed.
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (const char* problem = serve_internal::ambiguous_framing(req)) {
      send_error(res, 400, problem);
      res.set_header("Connection", "close");
      metrics.record("other", 400, 0);
      return httplib::Server::HandlerResponse::Handled;
    }
    size_t header_bytes = 0;
    for (const auto& [name, value] : req.headers) header_bytes += name.size() + value.size() + 4;
    if (header_bytes > options.limits.max_header_bytes) {
      send_error(res, 431,
                 "the request headers hold " + std::to_string(header_bytes) + " bytes, above the limit of " +
                     std::to_string(options.limits.max_header_bytes));
      metrics.record("other", 431, 0);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // httplib calls the logger once the response is written: only then can the connection
  // stop reading (earlier, httplib takes the shut socket for a dead one and writes nothing),
  // which ends it instead of parsing the rest of the bytes as another request.
  http.set_logger([](const httplib::Request& req, const httplib::Response&) {
    if (serve_internal::ambiguous_framing(req) != nullptr) serve_internal::stop_reading_connection(req);
  });
}

void SearchServer::Impl::add_api_routes() {
  http.Get("/", [this](const httplib::Request& req, httplib::Response& res) {
    guarded("/", req, res, [&] { res.set_content(std::string(web_page()), "text/html; charset=utf-8"); });
  });
  http.Get("/health", [this](const httplib::Request& req, httplib::Response& res) {
    guarded("/health", req, res, [&] {
      json modes = json::array();
      for (RetrievalMode m : retriever->modes()) modes.push_back(retrieval_mode_name(m));
      send_json(res, 200,
                {{"status", "ok"},
                 {"docs", retriever->num_docs()},
                 {"modes", modes},
                 {"prf", retriever->has_prf()},
                 {"model", retriever->model_fingerprint()},
                 {"model_name", retriever->model_name()},
                 {"default_mode", retrieval_mode_name(options.defaults.mode)},
                 {"default_fusion", fusion_method_name(options.defaults.fusion)},
                 {"default_alpha", options.defaults.alpha},
                 {"documents_loaded", docs ? docs->size() : 0}});
    });
  });
  http.Post("/search", [this](const httplib::Request& req, httplib::Response& res) {
    guarded("/search", req, res, [&] { send_json(res, 200, search(req)); });
  });
  http.Get(R"(/doc/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    guarded("/doc", req, res, [&] {
      const std::string id = req.matches[1];
      DENSER_CHECK(docs, ErrorCode::kNotFound, "documents are not loaded (start the server with --collection)");
      const DocumentStore::Entry* e = docs->find(id);
      DENSER_CHECK(e != nullptr, ErrorCode::kNotFound, "no document with id \"", id, "\"");
      send_json(res, 200, {{"id", id}, {"title", e->title}, {"text", e->text}});
    });
  });
  http.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    guarded("/metrics", req, res, [&] {
      res.set_content(metrics.render(*retriever, in_flight.load()), "text/plain; version=0.0.4; charset=utf-8");
    });
  });
  http.Get("/api/training", [this](const httplib::Request& req, httplib::Response& res) {
    guarded("/api/training", req, res, [&] { send_json(res, 200, training_log()); });
  });
}

// Known routes with the wrong method: 405 with Allow.
void SearchServer::Impl::add_method_guards() {
  auto not_allowed = [this](const std::string& route, const std::string& allow) {
    return [this, route, allow](const httplib::Request& req, httplib::Response& res) {
      guarded(route, req, res, [&] {
        res.set_header("Allow", allow);
        reject(405, "method " + req.method + " is not allowed on " + route + " (use " + allow + ")");
      });
    };
  };
  http.Get("/search", not_allowed("/search", "POST"));
  http.Put("/search", not_allowed("/search", "POST"));
  http.Delete("/search", not_allowed("/search", "POST"));
  http.Post("/health", not_allowed("/health", "GET"));
  http.Post("/metrics", not_allowed("/metrics", "GET"));
  http.Post(R"(/doc/(.*))", not_allowed("/doc", "GET"));
  http.Options("/search", not_allowed("/search", "POST"));
  http.Options("/health", not_allowed("/health", "GET"));
  http.Options("/metrics", not_allowed("/metrics", "GET"));
  http.Options(R"(/doc/(.*))", not_allowed("/doc", "GET"));
}

// Unrouted paths, oversized bodies and other protocol errors httplib answers itself:
// give them the JSON error body too.
void SearchServer::Impl::add_error_handlers() {
  http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string message;
    switch (res.status) {
      case 404: message = "no route " + req.method + " " + req.path; break;
      case 413:
        message = "the body is larger than the limit of " + std::to_string(options.limits.max_body_bytes) + " bytes";
        break;
      case 400: message = "malformed HTTP request"; break;
      default: message = "HTTP error " + std::to_string(res.status);
    }
    send_error(res, res.status, message);
    if (res.status == 404 || res.status == 413 || res.status == 400) metrics.record("other", res.status, 0);
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
    std::string what = "internal error";
    try {
      if (error) std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what += std::string(": ") + e.what();
    } catch (...) {}
    send_error(res, 500, what);
  });
}

SearchServer::SearchServer(std::shared_ptr<Retriever> retriever, std::shared_ptr<const DocumentStore> docs,
                           ServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  DENSER_CHECK(retriever, ErrorCode::kInvalidArgument, "serve: no retriever");
  impl_->retriever = std::move(retriever);
  impl_->docs = std::move(docs);
  impl_->options = std::move(options);
  auto modes = impl_->retriever->modes();
  if (std::find(modes.begin(), modes.end(), impl_->options.defaults.mode) == modes.end())
    impl_->options.defaults.mode = modes.back();  // hybrid when both sides exist
  impl_->install_routes();
}

SearchServer::~SearchServer() { stop(); }

int SearchServer::bind() {
  impl_->bound_port = serve_internal::bind_listener(impl_->http, impl_->options.host, impl_->options.port, "serve");
  return impl_->bound_port;
}

void SearchServer::serve() {
  DENSER_CHECK(impl_->bound_port > 0, ErrorCode::kInternal, "serve: bind() first");
  impl_->http.listen_after_bind();
}

int SearchServer::start() {
  const int port = bind();
  serve_internal::listen_in_background(impl_->http, impl_->thread);
  return port;
}

void SearchServer::stop() {
  if (impl_) serve_internal::stop_listener(impl_->http, impl_->thread);
}

int SearchServer::port() const { return impl_->bound_port; }

}  // namespace denser
