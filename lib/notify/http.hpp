// HTTP transport for the channels that POST to a gateway (webhook; later the WeChat gateways):
// URL parsing, a pool of keep-alive clients that concurrent senders share, and the mapping of
// transport failures and HTTP statuses onto an Outcome. Message formats live in the channels.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notify/channel.hpp"

namespace replenish::notify {

/// An absolute http or https URL, split for cpp-httplib.
struct HttpUrl {
  std::string scheme;        ///< "http" or "https" (lower case)
  std::string host;          ///< name or address; an IPv6 address without brackets
  int port = 0;              ///< explicit, or 80 / 443
  std::string target = "/";  ///< path and query, always starting with '/'

  bool tls() const { return scheme == "https"; }
  /// The Host header: "shop.example", "shop.example:8443", "[::1]:8080".
  std::string host_header() const;
  /// For logs: scheme://host[:port]/path with any query replaced by "?…" (queries carry tokens).
  std::string redacted() const;
};

/// Parses "http[s]://host[:port][/path][?query]". Rejects other schemes, user:password@,
/// fragments, spaces and control characters, bad ports. On failure returns nullopt and sets
/// `error` (when given) to the reason.
std::optional<HttpUrl> parse_http_url(std::string_view text, std::string* error = nullptr);

struct HttpClientOptions {
  std::chrono::milliseconds timeout{5000};  ///< connect, and each wait to send or receive
  bool verify_tls = true;                   ///< https: check the certificate chain and host name
  std::string ca_file;                      ///< https: CA bundle (PEM) instead of the system's
  std::size_t max_idle = 8;                 ///< idle keep-alive connections kept for reuse
};

class PlainConnection;

/// Keep-alive connections for one origin. A connection serves one exchange at a time, so each
/// request takes one from the pool (or opens a new one) and gives it back when the exchange
/// completed; a connection whose request failed, or that the server asked to close, is closed
/// rather than reused, and an idle one the server has closed is not reused. Every connection
/// has TCP_NODELAY on: without it each keep-alive request stalls ~40 ms on delayed ACKs.
///
/// https goes through cpp-httplib's SSLClient. Plain http, the hot path of a gateway on the
/// same network, goes through Boost.Beast's serializer and parser over a blocking socket with
/// send and receive timeouts (SO_SNDTIMEO, SO_RCVTIMEO): one sendmsg per request and usually
/// one recvmsg per response, where cpp-httplib needs two sends and four polls.
class HttpClientPool {
 public:
  HttpClientPool(HttpUrl url, HttpClientOptions options);
  ~HttpClientPool();
  HttpClientPool(const HttpClientPool&) = delete;
  HttpClientPool& operator=(const HttpClientPool&) = delete;

  const HttpUrl& url() const { return url_; }

  /// POSTs `body` to the URL's target. Safe to call from several threads at once.
  httplib::Result post(const httplib::Headers& headers, const std::string& body,
                       const std::string& content_type);
  /// POSTs `body` to `target` (path and query) on the same origin.
  httplib::Result post(const std::string& target, const httplib::Headers& headers,
                       const std::string& body, const std::string& content_type);
  /// GETs `target` (path and query) on the same origin.
  httplib::Result get(const std::string& target, const httplib::Headers& headers);

  /// Idle connections in the pool now.
  std::size_t idle() const;

 private:
  httplib::Result exchange(const std::string& method, const std::string& target,
                           const httplib::Headers& headers, const std::string* body,
                           const std::string& content_type);
  httplib::Result exchange_plain(const std::string& method, const std::string& target,
                                 const httplib::Headers& headers, const std::string* body,
                                 const std::string& content_type);
  std::unique_ptr<httplib::ClientImpl> checkout();
  void checkin(std::unique_ptr<httplib::ClientImpl> client);
  std::unique_ptr<httplib::ClientImpl> open() const;

  const HttpUrl url_;
  const HttpClientOptions options_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<httplib::ClientImpl>> idle_;    // https; guarded by mutex_
  std::vector<std::unique_ptr<PlainConnection>> idle_plain_;  // http; guarded by mutex_
};

/// Percent-encodes everything but RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), for a
/// query parameter value or a path segment.
std::string url_encode(std::string_view text);

/// A Retry-After header given in seconds ("120"); nullopt for an HTTP-date or anything else.
std::optional<std::int64_t> parse_retry_after(std::string_view value);

/// A single-line excerpt of a response body for an Outcome's detail: line breaks become spaces,
/// at most `max_chars` characters; a body that is not UTF-8 is described by its size.
std::string body_excerpt(std::string_view body, std::size_t max_chars = 120);

/// A request that got no HTTP response (refused, reset, timed out, TLS failure): retryable.
Outcome transport_failure(httplib::Error error);

/// A non-2xx HTTP response: 408, 429 and 5xx are retryable (with the Retry-After hint), every
/// other status is permanent. The detail is "HTTP <status>: <body excerpt>".
Outcome http_failure(const httplib::Response& response);

}  // namespace replenish::notify
