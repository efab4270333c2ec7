// WeChat access tokens: obtained with the account's AppID and AppSecret, valid for about two
// hours, and limited (the stable_token API allows 10,000 calls a minute and 500,000 a day, its
// forced refresh 20 a day). One AccessTokenCache per (base_url, appid) is shared by every channel
// instance of that account and by all concurrent sends.
//
// How a token is obtained (AccessTokenOptions::endpoint):
//   stable (default)  POST {base_url}/cgi-bin/stable_token
//                     {"grant_type":"client_credential","appid":…,"secret":…,"force_refresh":false}
//                     In this normal mode WeChat hands out the current token until its last five
//                     minutes, then a new one; other services of the same account are unaffected.
//   token             GET {base_url}/cgi-bin/token?grant_type=client_credential&appid=…&secret=…
//                     Every call issues a new token (the previous one lives five more minutes).
//   gateway           GET access_token_url: the merchant's gateway keeps the account's token and
//                     answers {"access_token": "…", "expires_in": 7200}; no secret here.
// Every answer carries "access_token" and "expires_in" (seconds), or "errcode" and "errmsg".
//
// Cache rules:
//   - A token is refreshed when less than max(5 minutes, 10% of its lifetime) remain (at most half
//     its lifetime). Until it expires the old token keeps serving while one caller refreshes.
//   - Exactly one refresh is in flight at a time. Callers without a usable token wait for it and
//     share its result, token or failure: a gateway that is down sees one request, not a
//     stampede; after a failure callers fail fast for 5 seconds before the next attempt.
//   - invalidate(token) after WeChat rejected it (errcode 40001, 40014, 42001) drops it when it
//     is still the cached one, so the next get() refreshes. A stable_token refresh then asks in
//     normal mode first and forces a refresh ("force_refresh": true) only when WeChat hands back
//     the very token it just rejected, and not within 30 seconds of the last forced one (WeChat
//     ignores faster ones and allows 20 a day).
//   - A failure to obtain a token is a retryable Outcome (detail "access token: …"): it is an
//     outage of the account (down, rate limited, wrong secret, server IP not whitelisted), not a
//     property of the message. Quotas give a hint: 45009 → 3600 s, 45011 → 60 s.
// Secrets and tokens are never logged; the appid is.
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "notify/channel.hpp"
#include "notify/http.hpp"

namespace replenish::notify {

enum class TokenEndpoint { kStable, kToken, kGateway };

const char* to_string(TokenEndpoint endpoint);

struct AccessTokenOptions {
  HttpUrl base_url;  ///< WeChat's API origin (and path prefix), or a gateway that speaks its API
  std::string appid;
  std::string secret;  ///< AppSecret (never logged); unused with kGateway
  TokenEndpoint endpoint = TokenEndpoint::kStable;
  HttpUrl access_token_url;  ///< kGateway: answers {"access_token", "expires_in"}
  HttpClientOptions http;
};

/// A token, or why none could be had (always kRetryable).
struct TokenResult {
  std::string token;
  Outcome failure;
  bool ok() const { return !token.empty(); }
};

class AccessTokenCache {
 public:
  /// `clock` gives the wall-clock time for expiry; it must outlive the cache.
  AccessTokenCache(AccessTokenOptions options, const core::Clock& clock);
  AccessTokenCache(const AccessTokenCache&) = delete;
  AccessTokenCache& operator=(const AccessTokenCache&) = delete;

  /// A usable token, fetching or refreshing it as described above. Safe to call from several
  /// threads at once; blocks at most for one token request.
  TokenResult get();

  /// WeChat rejected `token`: drop it if it is still the cached one (a no-op otherwise: another
  /// caller has already replaced it).
  void invalidate(const std::string& token);

  /// Token requests made so far.
  std::uint64_t requests() const;

  const AccessTokenOptions& options() const { return options_; }
  const core::Clock& clock() const { return clock_; }

 private:
  struct Fetched {
    std::string token;
    std::int64_t expires_in = 0;
    Outcome failure;
  };
  Fetched fetch(bool force_refresh);
  Fetched parse_answer(const httplib::Result& result);

  const AccessTokenOptions options_;
  const core::Clock& clock_;
  const std::string prefix_;  // base_url's path without the trailing '/'
  std::shared_ptr<spdlog::logger> logger_;
  HttpClientPool pool_;                           // base_url's origin
  std::unique_ptr<HttpClientPool> gateway_pool_;  // access_token_url's origin (kGateway)

  mutable std::mutex mutex_;
  std::condition_variable refreshed_;
  // Guarded by mutex_.
  std::string token_;
  core::EpochSeconds expires_at_ = 0;
  core::EpochSeconds refresh_at_ = 0;
  core::EpochSeconds retry_not_before_ = 0;  // after a failed refresh
  core::EpochSeconds last_forced_ = 0;
  bool forced_ever_ = false;
  std::string rejected_;  // the token WeChat rejected last, until a different one is cached
  bool refreshing_ = false;
  std::uint64_t generation_ = 0;  // completed refreshes
  Outcome last_failure_;
  std::atomic<std::uint64_t> requests_{0};
};

/// The cache of (base_url, appid), shared while any channel holds it. A new cache replaces it
/// when the other settings differ (secret, endpoint, gateway, TLS, timeout, clock), e.g. after a
/// reload changed the secret; channels built before keep theirs.
std::shared_ptr<AccessTokenCache> shared_access_token_cache(const AccessTokenOptions& options,
                                                            const core::Clock& clock);

}  // namespace replenish::notify
