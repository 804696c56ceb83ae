#include "gunzip.hpp"
#include "http/server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace ke::http {
namespace {

using test::gunzip;

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  bool has_header(const std::string& name) const { return headers.contains(name); }
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Status line and headers, without the blank line that ends them.
HttpResponse parse_head(std::string_view head) {
  HttpResponse response;
  const size_t status_line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, status_line_end);
  // civetweb answers requests it could not parse with HTTP/1.0.
  if (!(status_line.starts_with("HTTP/1.1 ") || status_line.starts_with("HTTP/1.0 ")) ||
      status_line.size() < 12) {
    throw std::runtime_error("bad status line: " + std::string(status_line));
  }
  response.status = std::stoi(std::string(status_line.substr(9, 3)));
  head.remove_prefix(status_line_end == std::string_view::npos ? head.size() : status_line_end + 2);
  while (!head.empty()) {
    const size_t line_end = head.find("\r\n");
    const std::string_view line = head.substr(0, line_end);
    head.remove_prefix(line_end == std::string_view::npos ? head.size() : line_end + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      throw std::runtime_error("bad header: " + std::string(line));
    std::string_view value = line.substr(colon + 1);
    while (value.starts_with(' ')) value.remove_prefix(1);
    response.headers[lower(std::string(line.substr(0, colon)))] = std::string(value);
  }
  return response;
}

// A raw HTTP/1.1 client connection to 127.0.0.1.
class Connection {
 public:
  explicit Connection(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    // Turns a server that never answers into a test failure rather than a hang.
    const timeval receive_timeout{.tv_sec = 10, .tv_usec = 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &receive_timeout, sizeof(receive_timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      const std::string reason = std::strerror(errno);
      close(fd_);
      throw std::runtime_error("connect: " + reason);
    }
  }
  ~Connection() { close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void send_bytes(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent <= 0) throw std::runtime_error("send: " + std::string(std::strerror(errno)));
      bytes.remove_prefix(static_cast<size_t>(sent));
    }
  }

  // One response, its body framed by Content-Length (a response to HEAD has none).
  HttpResponse read_response(bool to_head_request) {
    size_t head_end;
    while ((head_end = received_.find("\r\n\r\n")) == std::string::npos) {
      if (!receive_more()) throw std::runtime_error("connection ended inside the headers");
    }
    HttpResponse response = parse_head(std::string_view(received_).substr(0, head_end));
    received_.erase(0, head_end + 4);
    const size_t body_length = to_head_request ? 0 : std::stoul(response.header("content-length"));
    while (received_.size() < body_length) {
      if (!receive_more()) throw std::runtime_error("connection ended inside the body");
    }
    response.body = received_.substr(0, body_length);
    received_.erase(0, body_length);
    return response;
  }

  // Everything not yet consumed, up to the server closing the connection.
  std::string read_until_closed() {
    while (receive_more()) {
    }
    return std::exchange(received_, "");
  }

 private:
  // False when the server closed the connection (or reset it: what arrived before still counts).
  bool receive_more() {
    char chunk[16384];
    const ssize_t received = recv(fd_, chunk, sizeof(chunk), 0);
    if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      throw std::runtime_error("timed out waiting for the server");
    }
    if (received <= 0) return false;
    received_.append(chunk, static_cast<size_t>(received));
    return true;
  }

  int fd_;
  std::string received_;
};

std::string request_text(std::string_view method, std::string_view target,
                         std::string_view extra_headers = "") {
  return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         std::string(extra_headers) + "\r\n";
}

HttpResponse exchange(int port, std::string_view method, std::string_view target,
                      std::string_view extra_headers = "") {
  Connection connection(port);
  connection.send_bytes(request_text(method, target, extra_headers));
  return connection.read_response(method == "HEAD");
}

// Inflates one complete gzip member.

constexpr std::string_view kLandingPage =
    "<html><body><a href=\"/metrics\">Metrics</a></body></html>";
constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string metrics_page() {
  std::string page;
  for (int cpu = 0; cpu < 64; ++cpu) {
    page += "kernel_softirq_total{cpu=\"" + std::to_string(cpu) + "\",type=\"NET_RX\"} 12345\n";
  }
  return page;
}

// One server for the whole suite: civetweb 1.15 takes up to 2 s to stop (its accept loop polls
// in 2 s quanta), so a server per test would make the suite slow.
class HttpServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Handlers handlers;
    handlers.metrics = [](std::string_view accept) {
      {
        const std::lock_guard lock(mutex_);
        last_accept_ = accept;
      }
      if (metrics_throw_) throw std::runtime_error("collector exploded");
      return Response{
          .status = 200, .content_type = std::string(kMetricsContentType), .body = metrics_page()};
    };
    handlers.landing_page = [] { return std::string(kLandingPage); };
    handlers.ready = [] { return ready_.load(); };
    server_ = std::make_unique<Server>("127.0.0.1:0", "/metrics", std::move(handlers));
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    ready_ = true;
    metrics_throw_ = false;
  }

  static int port() { return server_->port(); }

  static std::string last_accept() {
    const std::lock_guard lock(mutex_);
    return last_accept_;
  }

  static inline std::atomic<bool> ready_{true};
  static inline std::atomic<bool> metrics_throw_{false};
  static inline std::mutex mutex_;
  static inline std::string last_accept_;
  static inline std::unique_ptr<Server> server_;
};

TEST_F(HttpServerTest, PortZeroBindsARealPort) {
  EXPECT_GT(port(), 0);
  EXPECT_LE(port(), 65535);
}

TEST_F(HttpServerTest, ServesTheLandingPage) {
  const HttpResponse response = exchange(port(), "GET", "/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(response.header("content-length"), std::to_string(kLandingPage.size()));
  EXPECT_EQ(response.body, kLandingPage);
}

TEST_F(HttpServerTest, PassesMetricsBodyAndContentTypeThrough) {
  const HttpResponse response = exchange(port(), "GET", "/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("content-type"), kMetricsContentType);
  EXPECT_EQ(response.header("vary"), "Accept-Encoding");
  EXPECT_FALSE(response.has_header("content-encoding"));
  EXPECT_EQ(response.body, metrics_page());
}

TEST_F(HttpServerTest, PassesTheAcceptHeaderToTheMetricsHandler) {
  const std::string accept = "application/openmetrics-text;version=1.0.0;q=0.9,text/plain;q=0.5";
  exchange(port(), "GET", "/metrics", "Accept: " + accept + "\r\n");
  EXPECT_EQ(last_accept(), accept);

  exchange(port(), "GET", "/metrics");
  EXPECT_EQ(last_accept(), "");
}

TEST_F(HttpServerTest, GzipsMetricsWhenTheClientAcceptsIt) {
  const HttpResponse response = exchange(port(), "GET", "/metrics", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("content-encoding"), "gzip");
  EXPECT_EQ(response.header("vary"), "Accept-Encoding");
  EXPECT_EQ(response.header("content-type"), kMetricsContentType);
  EXPECT_EQ(response.header("content-length"), std::to_string(response.body.size()));
  EXPECT_LT(response.body.size(), metrics_page().size());
  EXPECT_EQ(gunzip(response.body), metrics_page());
}

TEST_F(HttpServerTest, DoesNotGzipWhenTheClientRefusesIt) {
  const HttpResponse response =
      exchange(port(), "GET", "/metrics", "Accept-Encoding: gzip;q=0, identity\r\n");
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.has_header("content-encoding"));
  EXPECT_EQ(response.body, metrics_page());
}

TEST_F(HttpServerTest, IgnoresTheQueryStringForRouting) {
  const HttpResponse response = exchange(port(), "GET", "/metrics?collect[]=softirq");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, metrics_page());
}

TEST_F(HttpServerTest, HeadSendsHeadersWithoutABody) {
  for (const char* target : {"/", "/metrics", "/-/healthy", "/-/ready", "/nope"}) {
    SCOPED_TRACE(target);
    const HttpResponse get = exchange(port(), "GET", target);
    Connection connection(port());
    connection.send_bytes(request_text("HEAD", target, "Connection: close\r\n"));
    const HttpResponse head = connection.read_response(/*to_head_request=*/true);
    EXPECT_EQ(head.status, get.status);
    EXPECT_EQ(head.header("content-type"), get.header("content-type"));
    EXPECT_EQ(head.header("content-length"), std::to_string(get.body.size()));
    EXPECT_EQ(connection.read_until_closed(), "");
  }
}

TEST_F(HttpServerTest, ServesSeveralRequestsOnOneConnection) {
  Connection connection(port());
  for (int i = 0; i < 3; ++i) {
    connection.send_bytes(request_text("HEAD", "/metrics"));
    EXPECT_EQ(connection.read_response(/*to_head_request=*/true).status, 200);
    connection.send_bytes(request_text("GET", "/"));
    EXPECT_EQ(connection.read_response(/*to_head_request=*/false).body, kLandingPage);
  }
}

TEST_F(HttpServerTest, UnknownPathsAreNotFound) {
  for (const char* target : {"/metricsx", "/metrics/", "/metrics/extra", "/index.html", "/-/"}) {
    SCOPED_TRACE(target);
    const HttpResponse response = exchange(port(), "GET", target);
    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(response.header("content-type"), "text/plain; charset=utf-8");
    EXPECT_EQ(response.header("content-length"), std::to_string(response.body.size()));
  }
}

TEST_F(HttpServerTest, OtherMethodsAreNotAllowed) {
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    for (const char* target : {"/", "/metrics", "/-/healthy", "/-/ready"}) {
      SCOPED_TRACE(std::string(method) + " " + target);
      Connection connection(port());
      connection.send_bytes(request_text(method, target, "Content-Length: 5\r\n") + "hello");
      const HttpResponse response = connection.read_response(/*to_head_request=*/false);
      EXPECT_EQ(response.status, 405);
      EXPECT_EQ(response.header("allow"), "GET, HEAD");
      EXPECT_EQ(response.header("content-type"), "text/plain; charset=utf-8");
      EXPECT_EQ(response.header("content-length"), std::to_string(response.body.size()));
      // The unread request body is skipped, so the connection stays usable.
      connection.send_bytes(request_text("GET", "/-/healthy"));
      EXPECT_EQ(connection.read_response(/*to_head_request=*/false).status, 200);
    }
  }
}

TEST_F(HttpServerTest, ReportsHealthy) {
  const HttpResponse response = exchange(port(), "GET", "/-/healthy");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "Healthy");
}

TEST_F(HttpServerTest, ReportsReadiness) {
  HttpResponse response = exchange(port(), "GET", "/-/ready");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "Ready");

  ready_ = false;
  response = exchange(port(), "GET", "/-/ready");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "Not ready");
}

TEST_F(HttpServerTest, AnswersAThrowingHandlerWith500AndKeepsServing) {
  metrics_throw_ = true;
  const HttpResponse failed = exchange(port(), "GET", "/metrics", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_FALSE(failed.has_header("content-encoding"));
  EXPECT_EQ(failed.body, "collector exploded");

  metrics_throw_ = false;
  const HttpResponse next = exchange(port(), "GET", "/metrics");
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, metrics_page());
}

TEST_F(HttpServerTest, RejectsAGarbageRequestLine) {
  Connection connection(port());
  connection.send_bytes("GARBAGE\r\n\r\n");
  const std::string answer = connection.read_until_closed();
  const HttpResponse response = parse_head(answer.substr(0, answer.find("\r\n\r\n")));
  EXPECT_GE(response.status, 400);
  EXPECT_LT(response.status, 500);
}

TEST_F(HttpServerTest, RejectsAnOverlongHeader) {
  Connection connection(port());
  connection.send_bytes(
      request_text("GET", "/", "X-Filler: " + std::string(64 * 1024, 'a') + "\r\n"));
  const std::string answer = connection.read_until_closed();
  const HttpResponse response = parse_head(answer.substr(0, answer.find("\r\n\r\n")));
  EXPECT_GE(response.status, 400);
  EXPECT_LT(response.status, 500);
}

TEST_F(HttpServerTest, ThrowsWhenTheAddressIsInUse) {
  const std::string address = "127.0.0.1:" + std::to_string(port());
  try {
    Server second(address, "/metrics", Handlers{});
    FAIL() << "a second server listened on " << address;
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(address), std::string::npos) << message;
    EXPECT_NE(message.find("Address already in use"), std::string::npos) << message;
  }
}

TEST(HttpServer, ThrowsOnAMalformedListenAddress) {
  for (const char* address : {"", "9477", "127.0.0.1", "127.0.0.1:", "127.0.0.1:http",
                              "127.0.0.1:65536", "127.0.0.1:9477s", "a,b:9477"}) {
    SCOPED_TRACE(address);
    EXPECT_THROW(Server(address, "/metrics", Handlers{}), std::runtime_error);
  }
}

TEST(HttpServer, ListensOnAllInterfacesForABarePort) {
  Handlers handlers;
  handlers.metrics = [](std::string_view) {
    return Response{.status = 200, .content_type = "text/plain", .body = "up 1\n"};
  };
  Server server(":0", "/probe", std::move(handlers));
  ASSERT_GT(server.port(), 0);
  const HttpResponse response = exchange(server.port(), "GET", "/probe");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "up 1\n");
}

TEST(HttpServer, StopsWhileAClientHoldsAnIdleConnection) {
  auto server = std::make_unique<Server>("127.0.0.1:0", "/metrics", Handlers{});
  Connection connection(server->port());
  connection.send_bytes(request_text("GET", "/-/healthy"));
  EXPECT_EQ(connection.read_response(/*to_head_request=*/false).status, 200);
  server.reset();
  EXPECT_EQ(connection.read_until_closed(), "");
}

}  // namespace
}  // namespace ke::http
