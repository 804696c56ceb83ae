#include "http/server.hpp"

#include <civetweb.h>

#include <charconv>
#include <exception>
#include <stdexcept>
#include <utility>
#include <vector>

#include "http/gzip.hpp"

namespace ke::http {
namespace {

constexpr const char* kPlainText = "text/plain; charset=utf-8";
constexpr const char* kHtml = "text/html; charset=utf-8";

using ExtraHeaders = std::vector<std::pair<const char*, const char*>>;

// mg_init_library is reference counted but not thread-safe, so it runs once per process, from a
// function-local static; mg_start2 would otherwise do a racy "legacy" initialisation per server.
class CivetwebLibrary {
 public:
  CivetwebLibrary() { mg_init_library(0); }
  ~CivetwebLibrary() { mg_exit_library(); }
  CivetwebLibrary(const CivetwebLibrary&) = delete;
  CivetwebLibrary& operator=(const CivetwebLibrary&) = delete;
};

void ensure_civetweb_initialised() {
  static const CivetwebLibrary library;
}

// "host:port" or ":port" to civetweb's listening_ports syntax, which spells "all IPv4
// interfaces" as a bare port and gives ',' and port suffixes ('s', 'r') special meanings.
std::string civetweb_listening_port(const std::string& listen_address) {
  const size_t colon = listen_address.rfind(':');
  const std::string_view host = std::string_view(listen_address).substr(0, colon);
  const std::string_view port = colon == std::string::npos
                                    ? std::string_view()
                                    : std::string_view(listen_address).substr(colon + 1);
  unsigned port_number = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (colon == std::string::npos || port.empty() || error != std::errc() ||
      end != port.data() + port.size() || port_number > 65535 ||
      host.find(',') != std::string_view::npos) {
    throw std::runtime_error("http: invalid listen address \"" + listen_address +
                             "\": expected host:port or :port");
  }
  return host.empty() ? std::string(port) : listen_address;
}

std::string_view header_or_empty(const mg_connection* connection, const char* name) {
  const char* value = mg_get_header(connection, name);
  return value == nullptr ? std::string_view() : std::string_view(value);
}

void send_response(mg_connection* connection, const Response& response,
                   const ExtraHeaders& extra_headers, bool is_head) {
  const std::string content_length = std::to_string(response.body.size());
  mg_response_header_start(connection, response.status);
  mg_response_header_add(connection, "Content-Type",
                         response.content_type.empty() ? kPlainText : response.content_type.c_str(),
                         -1);
  mg_response_header_add(connection, "Content-Length", content_length.c_str(), -1);
  for (const auto& [name, value] : extra_headers) {
    mg_response_header_add(connection, name, value, -1);
  }
  mg_response_header_send(connection);
  // A failed write means the client went away; civetweb closes the connection itself.
  if (!is_head && !response.body.empty()) {
    mg_write(connection, response.body.data(), response.body.size());
  }
}

}  // namespace

void Server::ContextStopper::operator()(mg_context* context) const {
  mg_stop(context);
}

Server::Server(const std::string& listen_address, std::string telemetry_path, Handlers handlers)
    : telemetry_path_(std::move(telemetry_path)), handlers_(std::move(handlers)) {
  ensure_civetweb_initialised();
  const std::string listening_port = civetweb_listening_port(listen_address);
  // No document_root: civetweb serves no files, only what handle_request answers.
  // clang-format off
  const char* options[] = {
      "listening_ports",    listening_port.c_str(),
      "num_threads",        "4",      // scrapes are rare; a few threads suffice
      "request_timeout_ms", "10000",  // bounds slow or stalled clients
      "enable_keep_alive",  "yes",    // Prometheus reuses its connection
      "tcp_nodelay",        "1",      // headers and body are two writes: no Nagle stall between
      nullptr};
  // clang-format on
  // begin_request rather than mg_set_request_handler: it is in place before civetweb starts
  // listening, so no early request can see civetweb's own 404.
  mg_callbacks callbacks{};
  callbacks.begin_request = &Server::handle_request;
  callbacks.log_message = &Server::log_message;
  mg_init_data init{&callbacks, this, options};
  char error_text[256] = "";
  mg_error_data error{nullptr, error_text, sizeof(error_text)};
  context_.reset(mg_start2(&init, &error));
  if (!context_) {
    // mg_start2 only says "Failed to setup server ports"; the bind error went to the log.
    const std::lock_guard lock(log_mutex_);
    throw std::runtime_error("http: cannot listen on " + listen_address + ": " +
                             (first_log_message_.empty() ? error_text : first_log_message_));
  }
  mg_server_port bound{};
  if (mg_get_server_ports(context_.get(), 1, &bound) != 1) {
    throw std::runtime_error("http: civetweb reports no listening port for " + listen_address);
  }
  port_ = bound.port;
}

Server::~Server() = default;

int Server::port() const {
  return port_;
}

int Server::handle_request(mg_connection* connection) {
  const auto& server = *static_cast<const Server*>(mg_get_user_data(mg_get_context(connection)));
  const mg_request_info& request = *mg_get_request_info(connection);
  // civetweb has already split off the query string, URL-decoded and removed dot segments.
  const std::string_view path = request.local_uri;
  const std::string_view method = request.request_method;
  const bool is_head = method == "HEAD";
  const bool is_known_path =
      path == server.telemetry_path_ || path == "/" || path == "/-/healthy" || path == "/-/ready";

  Response response;
  ExtraHeaders extra_headers;
  if (!is_known_path) {
    response = {404, kPlainText, "Not Found"};
  } else if (method != "GET" && !is_head) {
    response = {405, kPlainText, "Method Not Allowed"};
    extra_headers.emplace_back("Allow", "GET, HEAD");
  } else {
    // Exceptions must not unwind into civetweb's C code.
    try {
      if (path == server.telemetry_path_) {
        response = server.handlers_.metrics(header_or_empty(connection, "Accept"));
        extra_headers.emplace_back("Vary", "Accept-Encoding");
        if (accepts_gzip(header_or_empty(connection, "Accept-Encoding"))) {
          response.body = gzip_compress(response.body);
          extra_headers.emplace_back("Content-Encoding", "gzip");
        }
      } else if (path == "/") {
        response = {200, kHtml, server.handlers_.landing_page()};
      } else if (path == "/-/healthy") {
        response = {200, kPlainText, "Healthy"};
      } else if (server.handlers_.ready()) {
        response = {200, kPlainText, "Ready"};
      } else {
        response = {503, kPlainText, "Not ready"};
      }
    } catch (const std::exception& e) {
      response = {500, kPlainText, e.what()};
      extra_headers.clear();
    } catch (...) {
      response = {500, kPlainText, "unknown error"};
      extra_headers.clear();
    }
  }
  send_response(connection, response, extra_headers, is_head);
  return response.status;  // > 0: handled; civetweb discards any unread request body
}

int Server::log_message(const mg_connection* connection, const char* message) {
  auto* server = static_cast<Server*>(mg_get_user_data(mg_get_context(connection)));
  if (server != nullptr) {
    const std::lock_guard lock(server->log_mutex_);
    if (server->first_log_message_.empty()) server->first_log_message_ = message;
  }
  return 1;  // nonzero: civetweb writes nothing itself
}

}  // namespace ke::http
