#include "notify/http.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
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

HttpClientPool::HttpClientPool(HttpUrl url, HttpClientOptions options)
    : url_(std::move(url)), options_(std::move(options)) {}

HttpClientPool::~HttpClientPool() = default;

std::unique_ptr<httplib::ClientImpl> HttpClientPool::open() const {
  std::unique_ptr<httplib::ClientImpl> client;
  if (url_.tls()) {
    auto tls = std::make_unique<httplib::SSLClient>(url_.host, url_.port);
    tls->enable_server_certificate_verification(options_.verify_tls);
    if (!options_.ca_file.empty()) tls->set_ca_cert_path(options_.ca_file);
    client = std::move(tls);
  } else {
    client = std::make_unique<httplib::ClientImpl>(url_.host, url_.port);
  }
  // Without TCP_NODELAY every keep-alive request waits ~40 ms for a delayed ACK.
  client->set_tcp_nodelay(true);
  client->set_keep_alive(true);
  client->set_follow_location(false);
  client->set_connection_timeout(options_.timeout);
  client->set_read_timeout(options_.timeout);
  client->set_write_timeout(options_.timeout);
  return client;
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
  return idle_.size();
}

httplib::Result HttpClientPool::post(const httplib::Headers& headers, const std::string& body,
                                     const std::string& content_type) {
  return post(url_.target, headers, body, content_type);
}

httplib::Result HttpClientPool::post(const std::string& target, const httplib::Headers& headers,
                                     const std::string& body, const std::string& content_type) {
  httplib::Headers all = headers;
  all.emplace("Host", url_.host_header());
  auto client = checkout();
  auto result = client->Post(target, all, body, content_type);
  if (result) checkin(std::move(client));
  return result;
}

httplib::Result HttpClientPool::get(const std::string& target, const httplib::Headers& headers) {
  httplib::Headers all = headers;
  all.emplace("Host", url_.host_header());
  auto client = checkout();
  auto result = client->Get(target, all);
  if (result) checkin(std::move(client));
  return result;
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
