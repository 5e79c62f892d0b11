#pragma once
// Private helpers of the serve module's two servers (SearchServer, ShardServer): JSON
// answers, JSON errors, request rejection, bearer-token checks, socket settings, binding and
// the background listener thread.
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "denser/common/error.h"
#include "denser/common/log.h"
#include "bad_request.h"

namespace denser::serve_internal {

inline void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  // Replace invalid UTF-8 (for example in echoed doc text) instead of throwing mid-response.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

/// {"error": {"status", "code", "message", "field"}}: code is the error category's name
/// (error_code_name), field the request field at fault (left out when there is none).
inline void send_error(httplib::Response& res, int status, const std::string& message, const char* code = nullptr,
                       const std::string& field = "") {
  nlohmann::json error = {{"status", status}, {"message", message}};
  if (code != nullptr) error["code"] = code;
  if (!field.empty()) error["field"] = field;
  send_json(res, status, {{"error", std::move(error)}});
}

/// Answers the exception being handled (call inside a catch block): an HTTP-level refusal
/// with its own status; a denser::Error with its category's status, code and field; out
/// of memory as 503; anything else as 500, logged. `who` prefixes the log line.
inline void send_current_exception(const httplib::Request& req, httplib::Response& res, const char* who) {
  try {
    throw;
  } catch (const BadRequest& e) {
    send_error(res, e.status, e.message);
  } catch (const Error& e) {
    const int status = http_status(e.code());
    if (status >= 500)
      DENSER_LOG_WARN(who, ": ", req.method, " ", req.path, ": ", error_code_name(e.code()), ": ", e.what());
    send_error(res, status, e.what(), error_code_name(e.code()), e.field());
  } catch (const std::bad_alloc&) {
    DENSER_LOG_WARN(who, ": ", req.method, " ", req.path, ": out of memory");
    send_error(res, 503, "out of memory; retry later or with a smaller request",
               error_code_name(ErrorCode::kUnavailable));
  } catch (const std::exception& e) {
    DENSER_LOG_WARN(who, ": ", req.method, " ", req.path, ": internal error: ", e.what());
    send_error(res, 500, std::string("internal error: ") + e.what(), error_code_name(ErrorCode::kInternal));
  }
}

/// Why the request's body framing is ambiguous (both Content-Length and Transfer-Encoding,
/// or several Content-Length values that differ), or nullptr when it is not.
inline const char* ambiguous_framing(const httplib::Request& req) {
  const size_t lengths = req.get_header_value_count("Content-Length");
  if (lengths > 0 && req.has_header("Transfer-Encoding"))
    return "the request has both Content-Length and Transfer-Encoding";
  for (size_t i = 1; i < lengths; ++i)
    if (req.get_header_value("Content-Length", i) != req.get_header_value("Content-Length", 0))
      return "the request has Content-Length headers that disagree";
  return nullptr;
}

/// Stops reading from the connection that carried `req` (found among the process's sockets
/// by its two endpoints): httplib then ends the keep-alive loop after writing the response
/// instead of parsing whatever follows as the next request. For requests whose framing
/// cannot be trusted; a no-op when the socket is not found.
inline void stop_reading_connection(const httplib::Request& req) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    sockaddr_storage local{}, peer{};
    socklen_t local_len = sizeof local, peer_len = sizeof peer;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) continue;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    auto port_of = [](const sockaddr_storage& a) {
      if (a.ss_family == AF_INET) return int(ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port));
      if (a.ss_family == AF_INET6) return int(ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port));
      return -1;
    };
    if (port_of(local) == req.local_port && port_of(peer) == req.remote_port) {
      // Discard what already arrived (bounded): closing a socket with unread bytes sends a
      // reset, which can destroy the response before the client reads it.
      char sink[4096];
      for (size_t drained = 0; drained < (1u << 20);) {
        ssize_t n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n <= 0) break;
        drained += static_cast<size_t>(n);
      }
      ::shutdown(fd, SHUT_RD);
      return;
    }
  }
}

/// Constant-time comparison of the presented and expected tokens.
inline bool same_token(std::string_view given, std::string_view expected) {
  size_t diff = given.size() ^ expected.size();
  for (size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i]) ^ static_cast<unsigned char>(expected[i < expected.size() ? i : 0]);
  return diff == 0 && !expected.empty();
}

/// Rejects with 401 unless the request carries "Authorization: Bearer <token>" (no token: open).
inline void check_bearer(const httplib::Request& req, httplib::Response& res, const std::string& token) {
  if (token.empty()) return;
  const std::string auth = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (auth.compare(0, prefix.size(), prefix) != 0 || !same_token(std::string_view(auth).substr(prefix.size()), token)) {
    res.set_header("WWW-Authenticate", "Bearer");
    reject(401, "missing or wrong bearer token (send \"Authorization: Bearer <token>\")");
  }
}

/// Socket settings for both servers: no Nagle (headers and body are separate writes, and
/// with the client's delayed ACK each response waited ~40 ms), and SO_REUSEADDR only
/// (httplib's default also sets SO_REUSEPORT, which lets a second server bind the same port
/// silently and take half of the connections).
inline void configure_sockets(httplib::Server& http) {
  http.set_tcp_nodelay(true);
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof yes);
  });
}

/// Binds host:port (port 0: any free port); returns the bound port. `who` prefixes errors.
inline int bind_listener(httplib::Server& http, const std::string& host, int port, const char* who) {
  DENSER_CHECK(port >= 0 && port <= 65535, ErrorCode::kInvalidArgument, who, ": port ", port, " is out of range");
  const int bound = port == 0 ? http.bind_to_any_port(host) : (http.bind_to_port(host, port) ? port : -1);
  DENSER_CHECK(bound > 0, ErrorCode::kUnavailable, who, ": cannot listen on ", host, ":", port,
               " (address in use, a privileged port, or not an address of this machine)");
  return bound;
}

/// Serves a bound server on `thread`; returns once it accepts connections, or throws when
/// the listener ended before it ever did (it used to wait for that forever).
inline void listen_in_background(httplib::Server& http, std::thread& thread) {
  auto ended = std::make_shared<std::atomic<bool>>(false);
  thread = std::thread([&http, ended] {
    http.listen_after_bind();
    ended->store(true);
  });
  while (!http.is_running()) {
    if (ended->load()) {
      thread.join();
      DENSER_THROW(ErrorCode::kUnavailable, "serve: the listener stopped before it accepted connections");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

/// Stops the server and joins its background thread, if it has one.
inline void stop_listener(httplib::Server& http, std::thread& thread) {
  http.stop();
  if (thread.joinable()) thread.join();
}

}  // namespace denser::serve_internal
