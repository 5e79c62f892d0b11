// The search service over real HTTP on loopback: the API, then malformed and hostile
// requests (each must get its 4xx and a JSON error while the server keeps serving), the
// bearer token, and the web page in headless Chromium.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <functional>
#include <sstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <thread>

#include "denser/common/error.h"
#include "denser/serve/server.h"
#include "serve/retriever_fixture.h"

namespace denser {
namespace {

using json = nlohmann::json;
using testing_fixture::make_test_search;
using testing_fixture::TempDir;

// Sends raw bytes on a fresh connection; returns all the server sent until it closed the
// connection (closed = true) or stayed silent for two seconds (closed = false).
struct RawExchange {
  std::string response;
  bool closed = false;
};
RawExchange raw_exchange(int port, const std::string& request) {
  RawExchange out;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early on a huge request
    sent += static_cast<size_t>(n);
  }
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) {
      out.closed = true;
      break;
    }
    if (n < 0) break;  // timeout: still open
    out.response.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

class ServeTest : public ::testing::Test {
 protected:
  void start(const std::string& token = "", bool both_sides = true,
             const std::function<void(ServerOptions&)>& adjust = {}) {
    search_ = make_test_search(dir_.path, true, both_sides, both_sides);
    ServerOptions options;
    options.port = 0;
    options.http_threads = 4;
    options.token = token;
    options.limits.max_body_bytes = 16 * 1024;
    options.limits.max_query_bytes = 512;
    options.limits.max_batch = 8;
    options.limits.max_k = 100;
    if (adjust) adjust(options);
    server_ = std::make_unique<SearchServer>(search_.retriever, search_.store, options);
    port_ = server_->start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(30, 0);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  // POST /search with a raw body; checks the status and that the body is a JSON error.
  json post(const std::string& body, int status, const std::string& content_type = "application/json") {
    auto res = client_->Post("/search", body, content_type);
    EXPECT_TRUE(res) << "no response for " << body.substr(0, 80);
    if (!res) return {};
    EXPECT_EQ(res->status, status) << body.substr(0, 80) << " -> " << res->body;
    json parsed = json::parse(res->body, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << res->body;
    if (status >= 400) {
      EXPECT_EQ(parsed["error"]["status"], status) << res->body;
      EXPECT_FALSE(parsed["error"]["message"].get<std::string>().empty());
    }
    return parsed;
  }
  json get(const std::string& path, int status) {
    auto res = client_->Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, status) << path << " -> " << res->body;
    json parsed = json::parse(res->body, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << path << ": " << res->body;
    return parsed;
  }
  void expect_alive() {
    auto res = client_->Get("/health");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
  }

  TempDir dir_{"denser-serve-test"};
  testing_fixture::TestSearch search_;
  std::unique_ptr<SearchServer> server_;
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
};

TEST_F(ServeTest, HealthSearchDocMetricsAndPage) {
  start();
  json health = get("/health", 200);
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["docs"], 50);
  EXPECT_EQ(health["modes"], json({"dense", "bm25", "hybrid"}));
  EXPECT_EQ(health["prf"], true);
  EXPECT_EQ(health["default_fusion"], "rrf");  // what a request without "fusion" gets
  EXPECT_EQ(health["default_alpha"], 0.5);

  json r = post(R"({"query": "ancient warfare", "k": 3})", 200);
  EXPECT_EQ(r["mode"], "hybrid");
  ASSERT_EQ(r["results"].size(), 1u);
  const json& hits = r["results"][0]["hits"];
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0]["rank"], 1);
  EXPECT_EQ(hits[0]["id"].get<std::string>().substr(0, 2), "t0");
  EXPECT_TRUE(hits[0]["title"].get<std::string>().rfind("Title of t0", 0) == 0);
  EXPECT_FALSE(hits[0]["snippet"].get<std::string>().empty());
  for (const char* stage : {"encode", "dense", "bm25", "fusion", "total"})
    EXPECT_TRUE(r["results"][0]["timing_ms"].contains(stage)) << stage;

  json batch = post(R"({"queries": ["linux kernel", "orchard apple"], "mode": "dense", "k": 2,
                        "prf": {"method": "rocchio", "depth": 2}})",
                    200);
  ASSERT_EQ(batch["results"].size(), 2u);
  EXPECT_EQ(batch["results"][1]["hits"][0]["id"].get<std::string>().substr(0, 2), "t2");
  EXPECT_TRUE(batch["results"][0]["timing_ms"].contains("prf"));
  json linear = post(R"({"query": "galaxy", "mode": "hybrid", "fusion": "linear", "alpha": 0.3})", 200);
  EXPECT_EQ(linear["results"][0]["hits"].size(), 10u);

  json doc = get("/doc/t1-d4", 200);
  EXPECT_EQ(doc["title"], "Title of t1-d4");
  get("/doc/t1-d4%20", 404);

  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("denser_requests_total{route=\"/search\",status=\"200\"} 3"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("denser_request_duration_seconds_bucket{route=\"/search\",le=\"+Inf\"} 3"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("denser_encoded_queries_total 4"), std::string::npos);  // 1 + 2 + 1

  auto page = client_->Get("/?token=x");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("<title>denser"), std::string::npos);
  EXPECT_EQ(page->body, std::string(web_page()));
  EXPECT_EQ(get("/api/training", 200)["available"], false);
}

TEST_F(ServeTest, MalformedAndHostileRequestsGetTheirFourHundredsAndTheServerKeepsServing) {
  start();
  // Bodies that are not a search request.
  post("{", 400);                  // 1 truncated JSON
  post("not json at all", 400);    // 2
  post("[1, 2, 3]", 400);          // 3 an array, not an object
  post("\"ancient\"", 400);        // 4 a bare string
  post("", 400);                   // 5 empty body
  post(R"({"query": NaN})", 400);  // 6 not JSON numbers
  // Wrong types and values.
  post(R"({"query": 42})", 400);                                             // 7
  post(R"({"query": "a", "queries": ["b"]})", 400);                          // 8 both
  post(R"({"k": 3})", 400);                                                  // 9 neither
  post(R"({"query": "a", "k": 100000000000})", 413);                         // 10 huge k: above --max-k
  post(R"({"query": "a", "k": -5})", 400);                                   // 11
  post(R"({"query": "a", "k": 2.5})", 400);                                  // 12
  post(R"({"query": "a", "k": "10"})", 400);                                 // 13
  post(R"({"query": "a", "mode": "sparse"})", 400);                          // 14 unknown mode
  post(R"({"query": "a", "mode": 1})", 400);                                 // 15
  post(R"({"query": "a", "alpha": 2})", 400);                                // 16 out of range
  post(R"({"query": "a", "fusion": "max"})", 400);                           // 17
  post(R"({"query": "a", "prf": "rm3"})", 400);                              // 18
  post(R"({"query": "a", "prf": {"method": "average", "depth": 0}})", 400);  // 19
  post(R"({"query": "a", "mode": "bm25", "prf": "rocchio"})", 422);          // 20 PRF without a dense side
  post(R"({"query": "a", "limit": 5})", 400);                                // 21 unknown field (a typo)
  post(R"({"query": "   "})", 400);                                          // 22 empty query
  post(R"({"queries": []})", 400);                                           // 23
  post(R"({"queries": ["a", 7]})", 400);                                     // 24
  // Every client error names its category and the field at fault.
  struct Named {
    const char* body;
    int status;
    const char* code;
    const char* field;
  };
  for (const Named& n :
       {Named{R"({"query": "a", "alpha": 2})", 400, "invalid_argument", "alpha"},
        Named{R"({"query": "a", "k": "10"})", 400, "invalid_argument", "k"},
        Named{R"({"query": "a", "mode": "sparse"})", 400, "invalid_argument", "mode"},
        Named{R"({"query": "a", "prf": {"method": "average", "depth": 0}})", 400, "invalid_argument", "prf.depth"},
        Named{R"({"query": "a", "limit": 5})", 400, "invalid_argument", "limit"},
        Named{R"({"queries": ["a", "  "]})", 400, "invalid_argument", "queries[1]"},
        Named{R"({"query": "a", "k": 101})", 413, "too_large", "k"},
        Named{R"({"query": "a", "mode": "bm25", "prf": "average"})", 422, "unsupported", "prf"}}) {
    json e = post(n.body, n.status)["error"];
    EXPECT_EQ(e["code"], n.code) << n.body;
    EXPECT_EQ(e["field"], n.field) << n.body;
  }
  // Limits.
  post(R"({"queries": ["a","b","c","d","e","f","g","h","i"]})", 413);  // 25 batch above 8
  post(json{{"query", std::string(600, 'x')}}.dump(), 413);            // 26 query above 512 bytes
  post(json{{"query", std::string(20000, 'x')}}.dump(), 413);          // 27 body above 16 KiB
  post(std::string("{\"query\": \"caf\xC3\xA9 \xFF\xFE\"}"), 400);     // 28 invalid UTF-8
  post(std::string(5000, '[') + std::string(5000, ']'), 400);          // 29 deep nesting
  // Routes, methods and paths.
  get("/nope", 404);                                // 30
  get("/doc/no-such-doc", 404);                     // 31
  get("/doc/../../../../etc/passwd", 404);          // 32 path tricks
  get("/doc/%2e%2e%2f%2e%2e%2fetc%2fpasswd", 404);  // 33
  get("/../../etc/passwd", 404);                    // 34
  auto wrong_method = client_->Get("/search");      // 35
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->get_header_value("Allow"), "POST");
  auto del = client_->Delete("/search");  // 36
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  auto options = client_->Options("/search");  // 36b OPTIONS: 405 with Allow
  ASSERT_TRUE(options);
  EXPECT_EQ(options->status, 405);
  EXPECT_EQ(options->get_header_value("Allow"), "POST");
  post(R"({"query": "a", "k": 1e999})", 400);  // 36c a number beyond double
  expect_alive();

  // 37 garbage on the socket instead of HTTP.
  RawExchange garbage = raw_exchange(port_, "\x16\x03\x01 NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(garbage.response.substr(0, 12), "HTTP/1.1 400") << garbage.response;
  expect_alive();

  // The errors were counted as 4xx; nothing was a 5xx.
  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("denser_request_errors_total{class=\"5xx\"} 0"), std::string::npos) << metrics->body;
  EXPECT_EQ(metrics->body.find("denser_request_errors_total{class=\"4xx\"} 0\n"), std::string::npos);
  // And the server still answers real searches.
  json r = post(R"({"query": "compiler grammar", "k": 1})", 200);
  EXPECT_EQ(r["results"][0]["hits"][0]["id"].get<std::string>().substr(0, 2), "t4");
}

TEST_F(ServeTest, AmbiguousFramingIsRejectedAndTheConnectionClosed) {
  start();
  const std::string body = R"({"query": "compiler grammar", "k": 1})";
  const std::string smuggled = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  auto expect_400_closed = [&](const std::string& what, const std::string& request) {
    RawExchange r = raw_exchange(port_, request);
    EXPECT_EQ(r.response.substr(0, 12), "HTTP/1.1 400") << what << ": " << r.response;
    EXPECT_TRUE(r.closed) << what << ": the connection stayed open";
    // One response only: nothing behind the body was served as a second request.
    EXPECT_EQ(r.response.find("HTTP/1.1", 1), std::string::npos) << what << ": " << r.response;
    size_t json_at = r.response.find("\r\n\r\n");
    if (json_at != std::string::npos) {
      json parsed = json::parse(r.response.substr(json_at + 4), nullptr, false);
      EXPECT_EQ(parsed["error"]["status"], 400) << what << ": " << r.response;
    }
  };
  // Content-Length and Transfer-Encoding together (a request-smuggling vector).
  expect_400_closed("CL+TE",
                    "POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
                        smuggled);
  expect_400_closed("TE+CL",
                    "POST /search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                    "Content-Length: 40\r\n\r\n0\r\n\r\n" +
                        smuggled);
  // Two Content-Length headers that disagree.
  expect_400_closed("CL+CL",
                    "POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Content-Length: " +
                        std::to_string(body.size()) + "\r\nContent-Length: 3\r\n\r\n" + body + smuggled);
  // Invalid chunking: a chunk size that is not hexadecimal.
  RawExchange bad_chunk = raw_exchange(port_,
                                       "POST /search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                       "Content-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
  EXPECT_EQ(bad_chunk.response.substr(0, 12), "HTTP/1.1 400") << bad_chunk.response;
  // A header above httplib's 8 KiB line limit.
  RawExchange huge_header =
      raw_exchange(port_, "GET /health HTTP/1.1\r\nHost: x\r\nX-Junk: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
  EXPECT_EQ(huge_header.response.substr(0, 10), "HTTP/1.1 4") << huge_header.response.substr(0, 200);
  // A valid chunked body is fine.
  std::ostringstream chunked;
  chunked << "POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
          << "Transfer-Encoding: chunked\r\n\r\n"
          << std::hex << body.size() << "\r\n"
          << body << "\r\n0\r\n\r\n";
  RawExchange ok = raw_exchange(port_, chunked.str());
  EXPECT_EQ(ok.response.substr(0, 12), "HTTP/1.1 200") << ok.response;
  expect_alive();
  // The answers name no file of the server and carry no stack trace.
  for (const std::string& path : {std::string("/nope"), std::string("/doc/%00")}) {
    auto res = client_->Get(path.c_str());
    ASSERT_TRUE(res);
    EXPECT_EQ(res->body.find(".cpp"), std::string::npos) << res->body;
    EXPECT_EQ(res->body.find(DENSER_SOURCE_DIR), std::string::npos) << res->body;
  }
}

// Slow and idle clients: connections that send nothing, or half a request, hold a worker
// only until the read timeout; then a normal request is served again.
TEST_F(ServeTest, IdleAndSlowClientsAreDroppedAfterTheReadTimeout) {
  start("", true, [](ServerOptions& o) {
    o.http_threads = 2;
    o.limits.read_timeout_s = 1;
    o.limits.keep_alive_timeout_s = 1;
    o.limits.max_header_bytes = 2048;
  });
  std::vector<int> sockets;
  for (int i = 0; i < 4; ++i) {  // twice the workers: two idle, two halfway through a request
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    if (i % 2 == 1) {
      const char partial[] = "POST /search HTTP/1.1\r\nHost: x\r\nX-Slow: ";
      ASSERT_GT(::send(fd, partial, sizeof partial - 1, MSG_NOSIGNAL), 0);
    }
    sockets.push_back(fd);
  }
  const auto begin = std::chrono::steady_clock::now();
  auto res = client_->Get("/health");
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_LT(waited, 8.0) << "the idle connections held the workers";
  for (int fd : sockets) ::close(fd);
  // Headers above --max-header-bytes: 431 with the JSON error.
  httplib::Headers big{{"X-Big", std::string(3000, 'a')}};
  auto too_big = client_->Get("/health", big);
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 431);
  EXPECT_EQ(json::parse(too_big->body)["error"]["status"], 431);
  expect_alive();
}

// Open descriptors and resident memory of this process (the server runs in it).
size_t open_fds() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}
size_t rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}

// The leak check: thousands of searches and bad requests, over kept-alive and fresh
// connections from several threads. Afterwards, once idle connections have timed out, the
// process holds the same descriptors and about the same memory as before.
TEST_F(ServeTest, NoDescriptorOrMemoryGrowthUnderLoad) {
  start("", true, [](ServerOptions& o) { o.limits.keep_alive_timeout_s = 1; });
  auto load = [&](int requests_per_thread) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        httplib::Client kept("127.0.0.1", port_);
        for (int i = 0; i < requests_per_thread; ++i) {
          const std::string body = R"({"query": "compiler grammar )" + std::to_string(i % 50) + R"(", "k": 5})";
          if (i % 10 == 9) {
            httplib::Client fresh("127.0.0.1", port_);  // a new connection each time
            fresh.Post("/search", "{bad json", "application/json");
          } else {
            auto r = kept.Post("/search", body, "application/json");
            if (!r || r->status != 200) ADD_FAILURE() << "thread " << t << " request " << i;
          }
        }
      });
    for (auto& th : threads) th.join();
  };
  load(100);  // warm-up: thread pools, caches, allocator arenas
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const size_t fds_before = open_fds(), rss_before = rss_kib();
  load(1000);                                                    // 4,000 requests
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // idle: kept-alive connections close
  const size_t fds_after = open_fds(), rss_after = rss_kib();
  EXPECT_EQ(fds_after, fds_before) << "open descriptors grew";
  EXPECT_LT(rss_after, rss_before + 16 * 1024)
      << "resident memory grew from " << rss_before << " to " << rss_after << " KiB";
  std::printf("[ leak ] 4,000 requests: descriptors %zu -> %zu, RSS %zu -> %zu KiB\n", fds_before, fds_after,
              rss_before, rss_after);
}

TEST_F(ServeTest, BearerTokenGuardsEveryApiRouteButHealthAndThePage) {
  start("s3cret-token");
  post(R"({"query": "galaxy"})", 401);
  get("/doc/t0-d0", 401);
  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 401);
  EXPECT_EQ(metrics->get_header_value("WWW-Authenticate"), "Bearer");
  httplib::Headers wrong = {{"Authorization", "Bearer s3cret-tokeN"}};
  auto bad = client_->Post("/search", wrong, R"({"query": "galaxy"})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  httplib::Headers right = {{"Authorization", "Bearer s3cret-token"}};
  auto good = client_->Post("/search", right, R"({"query": "galaxy"})", "application/json");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200);
  get("/health", 200);
  auto page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
}

TEST_F(ServeTest, ModesTheServerLacksAreRejected) {
  start("", false);  // dense only, no PRF vectors
  get("/health", 200);
  post(R"({"query": "galaxy", "mode": "bm25"})", 422);
  post(R"({"query": "galaxy", "mode": "hybrid"})", 422);
  post(R"({"query": "galaxy", "prf": "average"})", 422);
  json r = post(R"({"query": "galaxy"})", 200);
  EXPECT_EQ(r["mode"], "dense");
}

TEST_F(ServeTest, TrainingLogIsServedAsRecordsSkippingDamagedLines) {
  const std::string log = (dir_.path / "log.jsonl").string();
  {
    std::FILE* f = std::fopen(log.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(
        "{\"event\":\"step\",\"step\":10,\"loss\":1.5}\n{\"event\":\"refresh\",\"step\":20,\"dev_mrr10\":0.3}\n"
        "{\"event\":\"step\",\"loss\":1e999}\n"  // beyond double: skipped, not a 500
        "{\"event\":\"step\",\"st",
        f);
    std::fclose(f);
  }
  search_ = make_test_search(dir_.path);
  ServerOptions options;
  options.port = 0;
  options.train_log = log;
  server_ = std::make_unique<SearchServer>(search_.retriever, search_.store, options);
  port_ = server_->start();
  client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  json t = get("/api/training", 200);
  EXPECT_EQ(t["available"], true);
  ASSERT_EQ(t["records"].size(), 2u);
  EXPECT_EQ(t["records"][1]["dev_mrr10"], 0.3);
  EXPECT_EQ(t["skipped_lines"], 2);
}

TEST_F(ServeTest, BindingAPortInUseIsAClearError) {
  start();
  auto other = make_test_search(dir_.path, false, true, false);
  ServerOptions options;
  options.port = port_;
  SearchServer second(other.retriever, nullptr, options);
  try {
    second.bind();
    FAIL() << "bound a port already in use";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(port_)), std::string::npos) << e.what();
  }
}

// The web page in headless Chromium: type a query, see results (tests/serve/browser_test.py).
TEST_F(ServeTest, BrowserTypesAQueryAndSeesResults) {
  if (std::system("test -x /usr/bin/chromium && test -x /usr/bin/chromedriver") != 0)
    GTEST_SKIP() << "chromium / chromedriver are not installed (apt-get install chromium chromium-driver)";
  start();
  const std::string cmd = std::string("timeout 120 python3 ") + DENSER_SOURCE_DIR +
                          "/tests/serve/browser_test.py http://127.0.0.1:" + std::to_string(port_) +
                          "/ --query 'ancient warfare' --expect-mode hybrid";
  int status = std::system(cmd.c_str());
  ASSERT_NE(status, -1);
  int code = WEXITSTATUS(status);
  if (code == 77) GTEST_SKIP() << "browser test skipped itself";
  EXPECT_EQ(code, 0) << cmd;
}

}  // namespace
}  // namespace denser
