#include "notify/http.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>

#include "notify/utf8.hpp"

namespace replenish::notify {
namespace {

bool fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool ipv6_char(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
}

}  // namespace

std::string HttpUrl::host_header() const {
  const std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const int default_port = tls() ? 443 : 80;
  return port == default_port ? name : fmt::format("{}:{}", name, port);
}

std::string HttpUrl::redacted() const {
  const auto query = target.find('?');
  const std::string path = query == std::string::npos ? target : target.substr(0, query) + "?…";
  return scheme + "://" + host_header() + path;
}

std::optional<HttpUrl> parse_http_url(std::string_view text, std::string* error) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      fail(error, "must not contain spaces or control characters");
      return std::nullopt;
    }
  }
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) {
    fail(error, "expected an absolute URL, http://… or https://…");
    return std::nullopt;
  }
  HttpUrl url;
  url.scheme = std::string(text.substr(0, sep));
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (url.scheme != "http" && url.scheme != "https") {
    fail(error, "unsupported scheme '" + url.scheme + "' (use http or https)");
    return std::nullopt;
  }
  const std::string_view rest = text.substr(sep + 3);
  const auto authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view remainder = rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    fail(error, "must not contain user:password@ (put credentials in headers)");
    return std::nullopt;
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      fail(error, "missing ']' after the IPv6 address");
      return std::nullopt;
    }
    url.host = std::string(authority.substr(1, close - 1));
    if (url.host.empty() || !std::all_of(url.host.begin(), url.host.end(), ipv6_char)) {
      fail(error, "invalid IPv6 address '" + url.host + "'");
      return std::nullopt;
    }
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      fail(error, "unexpected text after the IPv6 address");
      return std::nullopt;
    }
    if (!after.empty()) port_text = after.substr(1);
    if (!after.empty() && port_text.empty()) {
      fail(error, "empty port");
      return std::nullopt;
    }
  } else {
    const auto colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.find(':') != std::string_view::npos) {
        fail(error, "an IPv6 address needs brackets, e.g. http://[::1]:8080/");
        return std::nullopt;
      }
      if (port_text.empty()) {
        fail(error, "empty port");
        return std::nullopt;
      }
    }
    if (url.host.empty()) {
      fail(error, "has no host");
      return std::nullopt;
    }
    if (!std::all_of(url.host.begin(), url.host.end(), host_char)) {
      fail(error, "invalid host '" + url.host + "'");
      return std::nullopt;
    }
  }
  url.port = url.tls() ? 443 : 80;
  if (!port_text.empty()) {
    int port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      fail(error, "port must be a number from 1 to 65535, got '" + std::string(port_text) + "'");
      return std::nullopt;
    }
    url.port = port;
  }
  if (remainder.find('#') != std::string_view::npos) {
    fail(error, "must not contain a fragment (#…)");
    return std::nullopt;
  }
  if (remainder.empty()) {
    url.target = "/";
  } else if (remainder.front() == '?') {
    url.target = "/" + std::string(remainder);
  } else {
    url.target = std::string(remainder);
  }
  return url;
}

/// One plain-HTTP keep-alive connection: a blocking TCP socket whose sends and receives time out
/// (SO_SNDTIMEO, SO_RCVTIMEO), read and written by Beast as a SyncReadStream/SyncWriteStream.
class PlainConnection {
 public:
  /// Connects to url's host and port within `timeout`; nullptr and `error` on failure.
  static std::unique_ptr<PlainConnection> open(const HttpUrl& url,
                                               std::chrono::milliseconds timeout,
                                               httplib::Error& error);
  explicit PlainConnection(int fd) : fd_(fd) {}
  ~PlainConnection() { ::close(fd_); }
  PlainConnection(const PlainConnection&) = delete;
  PlainConnection& operator=(const PlainConnection&) = delete;

  /// False when the server closed the idle connection (or sent something unasked).
  bool idle_and_open() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
  }

  template <typename MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    iovec iov[16];
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = to_iovec(buffers, iov);
    for (;;) {
      const ssize_t n = ::recvmsg(fd_, &msg, 0);
      if (n > 0) {
        ec = {};
        return static_cast<std::size_t>(n);
      }
      if (n == 0) {
        ec = boost::asio::error::eof;  // what Beast expects of a stream the peer closed
        return 0;
      }
      if (errno == EINTR) continue;
      ec = errno == EAGAIN || errno == EWOULDBLOCK
               ? boost::system::error_code(boost::asio::error::timed_out)
               : boost::system::error_code(errno, boost::system::system_category());
      return 0;
    }
  }

  template <typename ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers, boost::system::error_code& ec) {
    iovec iov[16];
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = to_iovec(buffers, iov);
    for (;;) {
      const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
      if (n >= 0) {
        ec = {};
        return static_cast<std::size_t>(n);
      }
      if (errno == EINTR) continue;
      ec = errno == EAGAIN || errno == EWOULDBLOCK
               ? boost::system::error_code(boost::asio::error::timed_out)
               : boost::system::error_code(errno, boost::system::system_category());
      return 0;
    }
  }

  template <typename Buffers>
  std::size_t read_some(const Buffers& buffers) {
    boost::system::error_code ec;
    const auto n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  template <typename Buffers>
  std::size_t write_some(const Buffers& buffers) {
    boost::system::error_code ec;
    const auto n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  boost::beast::flat_buffer buffer;  ///< bytes read past the last response

 private:
  template <typename Buffers>
  static std::size_t to_iovec(const Buffers& buffers, iovec (&iov)[16]) {
    std::size_t count = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && count < 16; ++it) {
      const auto b = *it;
      if (b.size() == 0) continue;
      iov[count].iov_base = const_cast<void*>(static_cast<const void*>(b.data()));
      iov[count].iov_len = b.size();
      ++count;
    }
    return count;
  }

  int fd_;
};

namespace {

timeval to_timeval(std::chrono::milliseconds t) {
  return timeval{static_cast<time_t>(t.count() / 1000),
                 static_cast<suseconds_t>((t.count() % 1000) * 1000)};
}

}  // namespace

std::unique_ptr<PlainConnection> PlainConnection::open(const HttpUrl& url,
                                                       std::chrono::milliseconds timeout,
                                                       httplib::Error& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url.port);
  error = httplib::Error::Connection;
  if (::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found) != 0 || !found) {
    return nullptr;
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  for (const addrinfo* a = found; a; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    auto connection = std::make_unique<PlainConnection>(fd);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) continue;
      pollfd p{fd, POLLOUT, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
      if (ready == 0) {
        error = httplib::Error::ConnectionTimeout;
        continue;
      }
      int so_error = 0;
      socklen_t len = sizeof so_error;
      if (ready < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 ||
          so_error != 0) {
        continue;
      }
    }
    // Blocking from here on, every send and receive bounded by the timeout.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const timeval tv = to_timeval(timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    error = httplib::Error::Success;
    return connection;
  }
  return nullptr;
}

HttpClientPool::HttpClientPool(HttpUrl url, HttpClientOptions options)
    : url_(std::move(url)), options_(std::move(options)) {}

HttpClientPool::~HttpClientPool() = default;

std::unique_ptr<httplib::ClientImpl> HttpClientPool::open() const {
  auto tls = std::make_unique<httplib::SSLClient>(url_.host, url_.port);
  tls->enable_server_certificate_verification(options_.verify_tls);
  if (!options_.ca_file.empty()) tls->set_ca_cert_path(options_.ca_file);
  // Without TCP_NODELAY every keep-alive request waits ~40 ms for a delayed ACK.
  tls->set_tcp_nodelay(true);
  tls->set_keep_alive(true);
  tls->set_follow_location(false);
  tls->set_connection_timeout(options_.timeout);
  tls->set_read_timeout(options_.timeout);
  tls->set_write_timeout(options_.timeout);
  return tls;
}

std::unique_ptr<httplib::ClientImpl> HttpClientPool::checkout() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      auto client = std::move(idle_.back());
      idle_.pop_back();
      return client;
    }
  }
  return open();
}

void HttpClientPool::checkin(std::unique_ptr<httplib::ClientImpl> client) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.size() < options_.max_idle) idle_.push_back(std::move(client));
}

std::size_t HttpClientPool::idle() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return idle_.size() + idle_plain_.size();
}

httplib::Result HttpClientPool::post(const httplib::Headers& headers, const std::string& body,
                                     const std::string& content_type) {
  return exchange("POST", url_.target, headers, &body, content_type);
}

httplib::Result HttpClientPool::post(const std::string& target, const httplib::Headers& headers,
                                     const std::string& body, const std::string& content_type) {
  return exchange("POST", target, headers, &body, content_type);
}

httplib::Result HttpClientPool::get(const std::string& target, const httplib::Headers& headers) {
  return exchange("GET", target, headers, nullptr, "");
}

httplib::Result HttpClientPool::exchange(const std::string& method, const std::string& target,
                                         const httplib::Headers& headers, const std::string* body,
                                         const std::string& content_type) {
  if (!url_.tls()) return exchange_plain(method, target, headers, body, content_type);
  httplib::Headers all = headers;
  all.emplace("Host", url_.host_header());
  auto client = checkout();
  auto result = body ? client->Post(target, all, *body, content_type) : client->Get(target, all);
  if (result) checkin(std::move(client));
  return result;
}

httplib::Result HttpClientPool::exchange_plain(const std::string& method, const std::string& target,
                                               const httplib::Headers& headers,
                                               const std::string* body,
                                               const std::string& content_type) {
  namespace http = boost::beast::http;
  std::unique_ptr<PlainConnection> connection;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    while (!idle_plain_.empty() && !connection) {
      connection = std::move(idle_plain_.back());
      idle_plain_.pop_back();
      if (!connection->idle_and_open()) connection.reset();
    }
  }
  if (!connection) {
    httplib::Error error = httplib::Error::Success;
    connection = PlainConnection::open(url_, options_.timeout, error);
    if (!connection) return httplib::Result(nullptr, error);
  }

  http::request<http::string_body> request{method == "GET" ? http::verb::get : http::verb::post,
                                           target, 11};
  request.set(http::field::host, url_.host_header());
  if (headers.find("User-Agent") == headers.end()) {
    request.set(http::field::user_agent, "replenish/" REPLENISH_VERSION);
  }
  for (const auto& [name, value] : headers) request.insert(name, value);
  if (body) {
    request.set(http::field::content_type, content_type);
    request.body() = *body;
  }
  request.prepare_payload();
  boost::system::error_code ec;
  http::write(*connection, request, ec);
  if (ec) return httplib::Result(nullptr, httplib::Error::Write);

  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(*connection, connection->buffer, parser, ec);
  if (ec) return httplib::Result(nullptr, httplib::Error::Read);
  auto& message = parser.get();
  auto response = std::make_unique<httplib::Response>();
  response->version = "HTTP/1.1";
  response->status = static_cast<int>(message.result_int());
  response->reason = std::string(message.reason());
  for (const auto& field : message) {
    response->headers.emplace(std::string(field.name_string()), std::string(field.value()));
  }
  response->body = std::move(message.body());
  if (message.keep_alive()) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (idle_plain_.size() < options_.max_idle) idle_plain_.push_back(std::move(connection));
  }
  return httplib::Result(std::move(response), httplib::Error::Success);
}

std::string url_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

std::optional<std::int64_t> parse_retry_after(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty() || value.size() > 9) return std::nullopt;
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || end != value.data() + value.size() || seconds < 0) return std::nullopt;
  return seconds;
}

std::string body_excerpt(std::string_view body, std::size_t max_chars) {
  if (!utf8::valid(body)) return fmt::format("({} bytes, not UTF-8)", body.size());
  return utf8::truncate(utf8::strip_line_breaks(body, " "), max_chars);
}

Outcome transport_failure(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return Outcome::retryable("cannot connect");
    case httplib::Error::ConnectionTimeout:
      return Outcome::retryable("connect timed out");
    case httplib::Error::Read:
      return Outcome::retryable("no response (timed out or connection closed)");
    case httplib::Error::Write:
      return Outcome::retryable("sending the request failed");
    case httplib::Error::SSLConnection:
      return Outcome::retryable("TLS handshake failed");
    case httplib::Error::SSLServerVerification:
      return Outcome::retryable("TLS certificate verification failed");
    case httplib::Error::SSLLoadingCerts:
      return Outcome::retryable("cannot load CA certificates");
    default:
      return Outcome::retryable("request failed: " + httplib::to_string(error));
  }
}

Outcome http_failure(const httplib::Response& response) {
  const std::string excerpt = body_excerpt(response.body);
  std::string detail = fmt::format("HTTP {}", response.status);
  if (!excerpt.empty()) detail += ": " + excerpt;
  const int status = response.status;
  if (status == 408 || status == 429 || (status >= 500 && status <= 599)) {
    return Outcome::retryable(std::move(detail),
                              parse_retry_after(response.get_header_value("Retry-After")));
  }
  return Outcome::permanent(std::move(detail));
}

}  // namespace replenish::notify
