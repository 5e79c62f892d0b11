#include "denser/serve/shard_server.h"

#include <httplib.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "denser/common/error.h"
#include "denser/common/log.h"
#include "denser/index/sharded_index.h"
#include "http_json.h"

namespace denser {
namespace {

using json = nlohmann::json;
using serve_internal::BadRequest;
using serve_internal::reject;
using serve_internal::send_error;
using serve_internal::send_json;

size_t bounded_int(const json& body, const char* name, size_t fallback, size_t lo, size_t hi) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_number_integer() || (it->is_number_integer() && !it->is_number_unsigned() && it->get<int64_t>() < 0))
    serve_internal::reject_field(ErrorCode::kInvalidArgument, name,
                                 std::string("\"") + name + "\" must be a non-negative integer");
  const uint64_t v = it->get<uint64_t>();
  if (v < lo || v > hi)
    serve_internal::reject_field(v > hi && hi > 1 ? ErrorCode::kTooLarge : ErrorCode::kInvalidArgument, name,
                                 std::string("\"") + name + "\" is " + std::to_string(v) + ", outside [" +
                                     std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<size_t>(v);
}

// ---------------------------------------------------------------- the client side

// A shard served by another process: every call is an HTTP request to it.
class RemoteVectorIndex final : public VectorIndex {
 public:
  RemoteVectorIndex(const std::string& url, std::string token, int timeout_s) : url_(url), token_(std::move(token)) {
    static const std::regex pattern(R"(^http://([^/:]+)(?::(\d+))?/?$)");
    std::smatch m;
    DENSER_CHECK(std::regex_match(url, m, pattern), ErrorCode::kInvalidArgument, "shard URL \"", url,
                 "\" is not of the form http://host:port");
    host_ = m[1];
    port_ = m[2].matched ? std::stoi(m[2]) : 80;
    timeout_s_ = timeout_s;
    const json info = get("/shard/info");
    try {
      DENSER_CHECK(info.at("dim").is_number_unsigned() && info.at("dim").get<uint64_t>() <= 65536,
                   ErrorCode::kUnavailable, "shard ", url_, ": \"dim\" is not a dimension: ", info.at("dim").dump());
      DENSER_CHECK(info.at("vectors").is_number_unsigned(), ErrorCode::kUnavailable, "shard ", url_,
                   ": \"vectors\" is not a count");
      dim_ = info.at("dim").get<uint32_t>();
      metric_ = parse_vector_metric(info.at("metric").get<std::string>());
      factory_ = info.at("factory").get<std::string>();
      fingerprint_ = info.at("model_fingerprint").get<std::string>();
      ids_ = get("/shard/ids").get<std::vector<std::string>>();
      DENSER_CHECK(ids_.size() == info.at("vectors").get<uint64_t>(), ErrorCode::kUnavailable, "shard ", url_,
                   " lists ", ids_.size(), " ids for ", info.at("vectors").get<uint64_t>(), " vectors");
    } catch (const json::exception& e) {
      DENSER_THROW(ErrorCode::kUnavailable, "shard ", url_,
                   ": unexpected /shard/info or /shard/ids answer: ", e.what());
    }
  }

  bool needs_training() const override { return false; }
  void train(size_t, std::span<const float>, int) override {
    DENSER_THROW(ErrorCode::kUnsupported, "shard ", url_, " is remote: build it there");
  }
  void add(std::span<const std::string>, std::span<const float>, int) override {
    DENSER_THROW(ErrorCode::kUnsupported, "shard ", url_, " is remote: build it there");
  }
  void save(const std::string&) const override {
    DENSER_THROW(ErrorCode::kUnsupported, "shard ", url_, " is remote: it is saved there");
  }

  VectorSearchResults search(size_t nq, std::span<const float> q, size_t k, const VectorSearchParams& params,
                             int) const override {
    const auto start = std::chrono::steady_clock::now();
    DENSER_CHECK(q.size() == nq * dim_, ErrorCode::kInvalidArgument, "shard ", url_, ": ", q.size(),
                 " query values for ", nq, " queries of dim ", dim_);
    json vectors = json::array();
    for (size_t i = 0; i < nq; ++i)
      vectors.push_back(std::vector<float>(q.begin() + i * dim_, q.begin() + (i + 1) * dim_));
    json body = {{"k", k}, {"vectors", std::move(vectors)}, {"ef_search", params.ef_search}, {"nprobe", params.nprobe}};
    const json answer = post("/shard/search", body);
    VectorSearchResults out;
    out.stats.num_queries = nq;
    try {
      const json& hits = answer.at("hits");
      DENSER_CHECK(hits.is_array() && hits.size() == nq, ErrorCode::kUnavailable, "shard ", url_, " answered ",
                   hits.size(), " hit lists for ", nq, " queries");
      for (const json& list : hits) {
        std::vector<VectorHit>& mine = out.hits.emplace_back();
        for (const json& h : list) {
          // Checked before converting: a float for "row", or a score beyond float, would
          // be an out-of-range conversion.
          const json &score = h.at("score"), &row = h.at("row");
          DENSER_CHECK(score.is_number() && std::abs(score.get<double>()) <= std::numeric_limits<float>::max() &&
                           row.is_number_unsigned(),
                       ErrorCode::kUnavailable, "shard ", url_, ": a hit with score ", score.dump(), " and row ",
                       row.dump());
          mine.push_back(VectorHit{h.at("id").get<std::string>(), score.get<float>(), row.get<uint64_t>()});
        }
      }
    } catch (const json::exception& e) {
      DENSER_THROW(ErrorCode::kUnavailable, "shard ", url_, ": unexpected /shard/search answer: ", e.what());
    }
    out.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  }

  uint64_t num_vectors() const override { return ids_.size(); }
  uint32_t dim() const override { return dim_; }
  VectorMetric metric() const override { return metric_; }
  const std::string& factory() const override { return factory_; }
  const std::string& fingerprint() const override { return fingerprint_; }
  const std::vector<std::string>& doc_ids() const override { return ids_; }
  uint64_t memory_bytes() const override { return 0; }
  std::string describe() const override { return "remote shard " + url_ + " (" + factory_ + ")"; }

 private:
  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>(host_, port_);
    c->set_connection_timeout(timeout_s_, 0);
    c->set_read_timeout(timeout_s_, 0);
    c->set_write_timeout(timeout_s_, 0);
    if (!token_.empty()) c->set_bearer_token_auth(token_);
    return c;
  }
  json parse(const httplib::Result& res, const std::string& route) const {
    DENSER_CHECK(res, ErrorCode::kUnavailable, "shard ", url_, route, ": no answer (", httplib::to_string(res.error()),
                 ")");
    DENSER_CHECK(res->status == 200, ErrorCode::kUnavailable, "shard ", url_, route, ": HTTP ", res->status, ": ",
                 res->body.substr(0, 300));
    json j = json::parse(res->body, nullptr, false);
    DENSER_CHECK(!j.is_discarded(), ErrorCode::kUnavailable, "shard ", url_, route, ": the answer is not JSON");
    return j;
  }
  json get(const std::string& route) const { return parse(client()->Get(route.c_str()), route); }
  json post(const std::string& route, const json& body) const {
    return parse(client()->Post(route.c_str(), body.dump(), "application/json"), route);
  }

  std::string url_, token_, host_;
  int port_ = 80, timeout_s_ = 30;
  uint32_t dim_ = 0;
  VectorMetric metric_ = VectorMetric::kInnerProduct;
  std::string factory_, fingerprint_;
  std::vector<std::string> ids_;
};

}  // namespace

void enable_remote_shards(const std::string& token, int timeout_s) {
  std::string t = token;
  if (t.empty())
    if (const char* env = std::getenv("DENSER_SHARD_TOKEN"); env != nullptr) t = env;
  set_remote_shard_opener([t, timeout_s](const std::string& url) -> std::unique_ptr<VectorIndex> {
    return std::make_unique<RemoteVectorIndex>(url, t, timeout_s);
  });
}

// ---------------------------------------------------------------- the server side

struct ShardServer::Impl {
  std::shared_ptr<const VectorIndex> index;
  ShardServerOptions options;
  httplib::Server http;
  int port = -1;
  std::thread thread;

  template <typename Fn>
  void guarded(const httplib::Request& req, httplib::Response& res, bool open, Fn&& handler) {
    try {
      if (!open) serve_internal::check_bearer(req, res, options.token);
      handler();
    } catch (...) {
      serve_internal::send_current_exception(req, res, "serve-shard");
    }
  }

  json search(const std::string& text) const {
    json body = json::parse(text, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      serve_internal::reject_field(ErrorCode::kInvalidArgument, "", "the body must be a JSON object");
    for (const auto& item : body.items())
      if (item.key() != "k" && item.key() != "vectors" && item.key() != "ef_search" && item.key() != "nprobe")
        serve_internal::reject_field(ErrorCode::kInvalidArgument, item.key(), "unknown field \"" + item.key() + "\"");
    const size_t k = bounded_int(body, "k", 10, 1, options.max_k);
    VectorSearchParams params{static_cast<int>(bounded_int(body, "ef_search", 0, 0, 1 << 20)),
                              static_cast<int>(bounded_int(body, "nprobe", 0, 0, 1 << 20))};
    auto it = body.find("vectors");
    if (it == body.end() || !it->is_array() || it->empty())
      serve_internal::reject_field(ErrorCode::kInvalidArgument, "vectors", "\"vectors\" must be a non-empty array");
    if (it->size() > options.max_batch)
      serve_internal::reject_field(
          ErrorCode::kTooLarge, "vectors",
          "\"vectors\" holds " + std::to_string(it->size()) + " queries, above " + std::to_string(options.max_batch));
    const size_t dim = index->dim();
    std::vector<float> q;
    q.reserve(it->size() * dim);
    for (const json& v : *it) {
      if (!v.is_array() || v.size() != dim)
        serve_internal::reject_field(ErrorCode::kInvalidArgument, "vectors",
                                     "every vector must be an array of " + std::to_string(dim) + " numbers");
      for (const json& x : v) {
        if (!x.is_number())
          serve_internal::reject_field(ErrorCode::kInvalidArgument, "vectors", "vector values must be numbers");
        q.push_back(x.get<float>());
      }
    }
    const VectorSearchResults results = index->search(it->size(), q, k, params, 1);
    json hits = json::array();
    for (const auto& list : results.hits) {
      json l = json::array();
      for (const VectorHit& h : list) l.push_back({{"id", h.doc_id}, {"score", h.score}, {"row", h.row}});
      hits.push_back(std::move(l));
    }
    return {{"hits", std::move(hits)}};
  }
};

ShardServer::ShardServer(std::shared_ptr<const VectorIndex> index, ShardServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  DENSER_CHECK(index, ErrorCode::kInvalidArgument, "serve-shard: no index");
  impl_->index = std::move(index);
  impl_->options = std::move(options);
  Impl& s = *impl_;
  serve_internal::configure_sockets(s.http);
  s.http.set_payload_max_length(s.options.max_body_bytes);
  const int threads = std::max(1, s.options.http_threads);
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.http.Get("/health", [&s](const httplib::Request& req, httplib::Response& res) {
    s.guarded(req, res, true, [&] { send_json(res, 200, {{"status", "ok"}, {"vectors", s.index->num_vectors()}}); });
  });
  s.http.Get("/shard/info", [&s](const httplib::Request& req, httplib::Response& res) {
    s.guarded(req, res, false, [&] {
      send_json(res, 200,
                {{"dim", s.index->dim()},
                 {"metric", vector_metric_name(s.index->metric())},
                 {"factory", s.index->factory()},
                 {"model_fingerprint", s.index->fingerprint()},
                 {"vectors", s.index->num_vectors()}});
    });
  });
  s.http.Get("/shard/ids", [&s](const httplib::Request& req, httplib::Response& res) {
    s.guarded(req, res, false, [&] { send_json(res, 200, s.index->doc_ids()); });
  });
  s.http.Post("/shard/search", [&s](const httplib::Request& req, httplib::Response& res) {
    s.guarded(req, res, false, [&] { send_json(res, 200, s.search(req.body)); });
  });
  s.http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.body.empty())
      send_error(
          res, res.status,
          res.status == 404 ? "no route " + req.method + " " + req.path : "HTTP error " + std::to_string(res.status));
  });
}

ShardServer::~ShardServer() { stop(); }

int ShardServer::bind() {
  impl_->port = serve_internal::bind_listener(impl_->http, impl_->options.host, impl_->options.port, "serve-shard");
  return impl_->port;
}

void ShardServer::serve() {
  DENSER_CHECK(impl_->port > 0, ErrorCode::kInternal, "serve-shard: bind() first");
  impl_->http.listen_after_bind();
}

int ShardServer::start() {
  const int port = bind();
  serve_internal::listen_in_background(impl_->http, impl_->thread);
  return port;
}

void ShardServer::stop() {
  if (impl_) serve_internal::stop_listener(impl_->http, impl_->thread);
}

}  // namespace denser
