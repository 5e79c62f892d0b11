// `denser serve`: the search service and web page over a Retriever.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "commands.h"
#include "retriever_args.h"
#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/index/vector_index.h"
#include "denser/serve/server.h"
#include "denser/serve/shard_server.h"

namespace denser::cli {
namespace {

struct ServeArgs {
  RetrieverArgs retriever;
  std::string collection;
  std::string train_log;
  std::string host = "127.0.0.1";
  int port = 8080;
  int http_threads = 8;
  std::string token_file;
  ServerLimits limits;
};

// SIGINT and SIGTERM stop a server cleanly. The handler does only what is
// async-signal-safe: it writes a byte to a pipe. A watcher thread reads the byte and stops
// the server from ordinary code.
int g_signal_pipe[2] = {-1, -1};

extern "C" void on_signal(int) {
  const char byte = 1;
  const ssize_t written = ::write(g_signal_pipe[1], &byte, 1);
  (void)written;
}

// Installed before the server's address is printed, so that a signal sent as soon as a
// client sees the address already stops the server cleanly.
template <typename Server>
class StopOnSignal {
 public:
  explicit StopOnSignal(Server& server) {
    DENSER_CHECK(::pipe2(g_signal_pipe, O_CLOEXEC) == 0, ErrorCode::kUnavailable,
                 "serve: cannot create the signal pipe: ", std::strerror(errno));
    watcher_ = std::thread([&server] {
      char byte = 0;
      while (::read(g_signal_pipe[0], &byte, 1) < 0 && errno == EINTR) {}
      server.stop();
    });
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopOnSignal() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
    on_signal(0);  // wakes the watcher when the server stopped for another reason
    watcher_.join();
    ::close(g_signal_pipe[0]);
    ::close(g_signal_pipe[1]);
    g_signal_pipe[0] = g_signal_pipe[1] = -1;
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  std::thread watcher_;
  struct sigaction old_int_ {
  }, old_term_{};
};

// The bearer token: --token-file, else $DENSER_SERVE_TOKEN, else none (a token on the
// command line would show in ps).
std::string read_token(const std::string& token_file, const char* env_name) {
  std::string token;
  if (!token_file.empty()) {
    token = read_file(token_file);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
    DENSER_CHECK(!token.empty(), ErrorCode::kInvalidArgument, "serve: token file ", token_file, " is empty");
  } else if (const char* env = std::getenv(env_name); env != nullptr) {
    token = env;
  }
  for (char c : token)
    DENSER_CHECK(c > ' ' && c < 127, ErrorCode::kInvalidArgument,
                 "serve: the bearer token must be printable ASCII without spaces");
  return token;
}

// --host, --port and --http-threads, shared by serve and serve-shard.
void add_listen_options(CLI::App* cmd, std::string& host, int& port, int& http_threads) {
  cmd->add_option("--host", host, "Address to listen on (loopback by default)")->capture_default_str();
  cmd->add_option("--port", port, "Port (0 = any free port, printed at start)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--http-threads", http_threads, "Request-handling threads")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

void register_serve_shard(CLI::App& app) {
  struct Args {
    std::string index, host = "127.0.0.1", token_file;
    int port = 9001, http_threads = 4;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "serve-shard", "Serve one shard of a sharded vector index to a front (manifest entry {\"url\": ...})");
  cmd->add_option("--index", args->index, "The shard's vector index file")->required();
  add_listen_options(cmd, args->host, args->port, args->http_threads);
  cmd->add_option("--token-file", args->token_file,
                  "File holding a bearer token the front must send (also: $DENSER_SHARD_TOKEN)");
  cmd->callback([args] {
    ShardServerOptions options;
    options.host = args->host;
    options.port = args->port;
    options.http_threads = args->http_threads;
    options.token = read_token(args->token_file, "DENSER_SHARD_TOKEN");
    std::shared_ptr<const VectorIndex> index = VectorIndex::open(args->index);
    ShardServer server(index, options);
    const int port = server.bind();
    StopOnSignal<ShardServer> stop_on_signal(server);
    std::printf("denser serve-shard: http://%s:%d/  (%llu vectors of %s, model %s)\n", args->host.c_str(), port,
                static_cast<unsigned long long>(index->num_vectors()), args->index.c_str(),
                index->fingerprint().c_str());
    std::fflush(stdout);
    server.serve();
  });
}

}  // namespace

void register_serve_command(CLI::App& app) {
  register_serve_shard(app);
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve search over HTTP: JSON API, Prometheus metrics and a web page");
  add_retriever_options(cmd, args->retriever, true);
  cmd->add_option("--collection", args->collection,
                  "Collection directory: titles and snippets in results, GET /doc/{id}");
  cmd->add_option("--train-log", args->train_log, "A training log (log.jsonl) for the page's training curves");
  add_listen_options(cmd, args->host, args->port, args->http_threads);
  cmd->add_option("--token-file", args->token_file,
                  "File holding a bearer token every API call must send (also: $DENSER_SERVE_TOKEN)");
  cmd->add_option("--max-body", args->limits.max_body_bytes, "Largest request body in bytes")->capture_default_str();
  cmd->add_option("--max-k", args->limits.max_k, "Largest k a request may ask for")->capture_default_str();
  cmd->add_option("--max-query-bytes", args->limits.max_query_bytes, "Longest query in UTF-8 bytes")
      ->capture_default_str();
  cmd->add_option("--max-batch", args->limits.max_batch, "Most queries in one request")->capture_default_str();
  cmd->add_option("--max-header-bytes", args->limits.max_header_bytes, "Largest request headers, all together (431)")
      ->capture_default_str();
  cmd->add_option("--read-timeout", args->limits.read_timeout_s, "Seconds a client may stay silent mid-request")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("--write-timeout", args->limits.write_timeout_s, "Seconds a client may take to read its answer")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("--keep-alive-timeout", args->limits.keep_alive_timeout_s,
                  "Seconds an idle kept-alive connection stays open")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("--keep-alive-max", args->limits.keep_alive_max_requests, "Requests per connection before it closes")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->callback([args] {
    ServerOptions options;
    options.host = args->host;
    options.port = args->port;
    options.http_threads = args->http_threads;
    options.token = read_token(args->token_file, "DENSER_SERVE_TOKEN");
    options.limits = args->limits;
    options.train_log = args->train_log;
    std::shared_ptr<Retriever> retriever = open_retriever(args->retriever, "serve");
    options.defaults = retrieval_options(args->retriever, *retriever, 10);
    std::shared_ptr<const DocumentStore> docs;
    if (!args->collection.empty()) docs = DocumentStore::load(args->collection);
    // The server's micro-batches are a few queries: let them share one pass over a Flat
    // index. A FAISS setting of the whole process, so the command that owns the process
    // sets it, not the SearchServer a library user may embed beside other searches.
    set_exhaustive_batch_threshold(2);
    SearchServer server(retriever, docs, options);
    int port = server.bind();
    StopOnSignal<SearchServer> stop_on_signal(server);
    std::string modes;
    for (RetrievalMode m : retriever->modes()) modes += std::string(modes.empty() ? "" : ", ") + retrieval_mode_name(m);
    std::printf("denser serve: http://%s:%d/  (%llu documents; modes %s%s%s)\n", args->host.c_str(), port,
                static_cast<unsigned long long>(retriever->num_docs()), modes.c_str(),
                retriever->has_prf() ? "; PRF" : "", options.token.empty() ? "" : "; bearer token required");
    std::fflush(stdout);
    server.serve();
    std::printf("denser serve: stopped\n");
  });
}

}  // namespace denser::cli
