// The exporter's HTTP endpoint: landing page, metrics, health and readiness, served by civetweb.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

struct mg_connection;
struct mg_context;

namespace ke::http {

struct Response {
  int status = 200;
  std::string content_type;
  std::string body;
};

// Called on civetweb's worker threads, possibly concurrently, so they must be thread-safe.
// An exception thrown by any of them becomes a 500 response carrying its text.
struct Handlers {
  // Called for GET/HEAD on the telemetry path with the request's Accept header ("" if none).
  // Returns the uncompressed page; the server gzips it when the client's Accept-Encoding allows.
  std::function<Response(std::string_view accept)> metrics;
  std::function<std::string()> landing_page;  // HTML for "/"
  std::function<bool()> ready;                // /-/ready: 200 "Ready" or 503 "Not ready"
};

class Server {
 public:
  // listen_address: ":9477" (all IPv4 interfaces), "127.0.0.1:9477", "0.0.0.0:0" (port 0 = pick
  // a free one). Serving starts before the constructor returns. Throws std::runtime_error naming
  // the address and civetweb's reason when it cannot listen.
  Server(const std::string& listen_address, std::string telemetry_path, Handlers handlers);
  // Stops civetweb, waiting for requests in progress. Takes up to 2 s: civetweb 1.15's accept
  // loop only notices the stop between its 2 s poll() timeouts.
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;  // the port actually bound

 private:
  struct ContextStopper {
    void operator()(mg_context* context) const;
  };

  static int handle_request(mg_connection* connection);
  static int log_message(const mg_connection* connection, const char* message);

  const std::string telemetry_path_;
  const Handlers handlers_;
  std::mutex log_mutex_;
  // civetweb's first complaint: if start fails, the reason (its later messages only restate it).
  std::string first_log_message_;
  int port_ = 0;
  // Last, so civetweb stops before the handlers it calls are destroyed.
  std::unique_ptr<mg_context, ContextStopper> context_;
};

}  // namespace ke::http
