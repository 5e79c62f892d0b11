#pragma once
// The search service: a JSON API over a Retriever, Prometheus metrics, and the web page
// (embedded in the binary), on cpp-httplib's thread pool.
//
//   POST /search        {"query": str | "queries": [str], "k", "mode", "fusion", "alpha", "prf"}
//   GET  /doc/{id}      {"id", "title", "text"}
//   GET  /health        {"status": "ok", "docs", "modes", "prf", "model"}
//   GET  /metrics       Prometheus text format
//   GET  /api/training  the training log (--train-log) as JSON records
//   GET  /              the web page
// Every rejected request gets a 4xx and {"error": {"status", "message"}}. docs/serve.md
// documents the API and the limits.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "denser/search/retriever.h"

namespace denser {

/// Titles and texts of a collection's documents, in memory, for /doc and snippets.
class DocumentStore {
 public:
  struct Entry {
    std::string title, text;
  };
  /// Reads the collection's corpus (any layout Collection::open reads).
  static std::shared_ptr<DocumentStore> load(const std::string& collection_dir);
  void add(std::string id, std::string title, std::string text);
  const Entry* find(std::string_view id) const;
  size_t size() const { return docs_.size(); }

 private:
  std::unordered_map<std::string, Entry> docs_;
};

struct ServerLimits {
  size_t max_body_bytes = 64 * 1024;  // larger bodies get 413
  size_t max_k = 1000;
  size_t max_query_bytes = 2048;  // per query, UTF-8 bytes
  size_t max_batch = 64;          // queries per request
  size_t max_prf_depth = 100;
  size_t max_header_bytes = 16 * 1024;    // all request headers together; more gets 431
  int read_timeout_s = 5;                 // a client silent this long mid-request is dropped
  int write_timeout_s = 5;                // a client not reading its answer this long is dropped
  int keep_alive_timeout_s = 5;           // an idle kept-alive connection is closed after this
  size_t keep_alive_max_requests = 1000;  // requests per connection before it is closed
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see SearchServer::port())
  int http_threads = 8;
  /// When not empty, every route except / and /health needs "Authorization: Bearer <token>".
  std::string token;
  ServerLimits limits;
  /// A training log (log.jsonl) for the page's training curves; may be empty.
  std::string train_log;
  size_t snippet_chars = 240;
  /// Retrieval defaults for requests that omit them (mode is resolved per retriever).
  RetrievalOptions defaults;
};

/// One server. bind() then serve() (blocking), or start() for a background thread; stop()
/// from any thread. Thread-safe handlers; the retriever batches concurrent queries.
class SearchServer {
 public:
  SearchServer(std::shared_ptr<Retriever> retriever, std::shared_ptr<const DocumentStore> docs, ServerOptions options);
  ~SearchServer();
  SearchServer(const SearchServer&) = delete;
  SearchServer& operator=(const SearchServer&) = delete;

  /// Binds the listening socket; throws an Error naming host and port when it cannot.
  /// Returns the bound port.
  int bind();
  /// Serves until stop(); bind() first.
  void serve();
  /// bind() and serve() on a background thread; returns the port once listening.
  int start();
  void stop();
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The embedded web page (index.html).
std::string_view web_page();

}  // namespace denser
