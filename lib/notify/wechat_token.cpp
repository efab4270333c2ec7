#include "notify/wechat_token.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "notify/logging.hpp"
#include "notify/wechat_api.hpp"

namespace replenish::notify {
namespace {

constexpr core::EpochSeconds kMinRefreshMarginSeconds = 300;  // WeChat renews in the last 5 min
constexpr core::EpochSeconds kFailurePauseSeconds = 5;
constexpr core::EpochSeconds kForceRefreshSpacingSeconds = 30;

/// Seconds before expiry at which a token of `lifetime` seconds is refreshed.
core::EpochSeconds refresh_margin(core::EpochSeconds lifetime) {
  return std::min(std::max(kMinRefreshMarginSeconds, lifetime / 10), lifetime / 2);
}

std::string path_prefix(const HttpUrl& url) {
  std::string prefix = url.target.substr(0, url.target.find('?'));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return prefix;
}

Outcome token_failure(const Outcome& outcome, const AccessTokenOptions& options) {
  std::string detail = "access token: " + outcome.detail;
  if (!options.secret.empty()) {
    detail = redact(redact(std::move(detail), options.secret), url_encode(options.secret));
  }
  return Outcome::retryable(std::move(detail), outcome.retry_after_seconds);
}

bool same_url(const HttpUrl& a, const HttpUrl& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port && a.target == b.target;
}

bool same_settings(const AccessTokenOptions& a, const AccessTokenOptions& b) {
  return a.secret == b.secret && a.endpoint == b.endpoint &&
         same_url(a.access_token_url, b.access_token_url) && a.http.timeout == b.http.timeout &&
         a.http.verify_tls == b.http.verify_tls && a.http.ca_file == b.http.ca_file;
}

}  // namespace

const char* to_string(TokenEndpoint endpoint) {
  switch (endpoint) {
    case TokenEndpoint::kStable:
      return "stable_token";
    case TokenEndpoint::kToken:
      return "token";
    case TokenEndpoint::kGateway:
      return "access_token_url";
  }
  return "unknown";
}

AccessTokenCache::AccessTokenCache(AccessTokenOptions options, const core::Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      prefix_(path_prefix(options_.base_url)),
      logger_(logger()),
      pool_(options_.base_url, options_.http) {
  if (options_.endpoint == TokenEndpoint::kGateway) {
    gateway_pool_ = std::make_unique<HttpClientPool>(options_.access_token_url, options_.http);
  }
}

std::uint64_t AccessTokenCache::requests() const {
  return requests_.load();
}

AccessTokenCache::Fetched AccessTokenCache::fetch(bool force_refresh) {
  ++requests_;
  const httplib::Headers headers{{"User-Agent", "replenish/" REPLENISH_VERSION}};
  switch (options_.endpoint) {
    case TokenEndpoint::kStable: {
      const nlohmann::ordered_json body{{"grant_type", "client_credential"},
                                        {"appid", options_.appid},
                                        {"secret", options_.secret},
                                        {"force_refresh", force_refresh}};
      return parse_answer(
          pool_.post(prefix_ + "/cgi-bin/stable_token", headers, body.dump(), "application/json"));
    }
    case TokenEndpoint::kToken:
      return parse_answer(pool_.get(prefix_ + "/cgi-bin/token?grant_type=client_credential&appid=" +
                                        url_encode(options_.appid) +
                                        "&secret=" + url_encode(options_.secret),
                                    headers));
    case TokenEndpoint::kGateway:
      return parse_answer(gateway_pool_->get(options_.access_token_url.target, headers));
  }
  return {};
}

AccessTokenCache::Fetched AccessTokenCache::parse_answer(const httplib::Result& result) {
  Fetched out;
  if (!result) {
    out.failure = token_failure(transport_failure(result.error()), options_);
    return out;
  }
  if (result->status < 200 || result->status > 299) {
    out.failure = token_failure(http_failure(*result), options_);
    return out;
  }
  const auto json = nlohmann::json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    out.failure = token_failure(
        Outcome::retryable("not a JSON object: " + body_excerpt(result->body)), options_);
    return out;
  }
  const auto errcode = json.find("errcode");
  if (errcode != json.end() && errcode->is_number_integer() && errcode->get<std::int64_t>() != 0) {
    const auto code = errcode->get<std::int64_t>();
    const auto errmsg = json.value("errmsg", std::string());
    const auto quota = retryable_errcode(code, errmsg);
    out.failure =
        token_failure(quota ? *quota : Outcome::retryable(errcode_detail(code, errmsg)), options_);
    return out;
  }
  const auto token = json.find("access_token");
  const auto expires_in = json.find("expires_in");
  if (token == json.end() || !token->is_string() || token->get_ref<const std::string&>().empty() ||
      expires_in == json.end() || !expires_in->is_number_integer() ||
      expires_in->get<std::int64_t>() <= 0) {
    out.failure = token_failure(
        Outcome::retryable("the answer lacks a non-empty access_token and a positive expires_in"),
        options_);
    return out;
  }
  out.token = token->get<std::string>();
  out.expires_in = expires_in->get<std::int64_t>();
  return out;
}

TokenResult AccessTokenCache::get() {
  std::unique_lock<std::mutex> lock(mutex_);
  core::EpochSeconds now = clock_.now();
  const auto usable = [&] { return !token_.empty() && now < expires_at_; };
  // Fresh enough, or being refreshed (or its refresh failed a moment ago): serve the current one.
  if (usable() && (now < refresh_at_ || refreshing_ || now < retry_not_before_)) {
    return {token_, {}};
  }
  if (refreshing_) {
    // No usable token: wait for the refresh in flight and share its result.
    const std::uint64_t generation = generation_;
    refreshed_.wait(lock, [&] { return generation_ != generation; });
    now = clock_.now();
    if (usable()) return {token_, {}};
    return {{}, last_failure_};
  }
  if (!usable() && now < retry_not_before_) return {{}, last_failure_};

  refreshing_ = true;
  const std::string rejected = rejected_;
  const bool may_force = options_.endpoint == TokenEndpoint::kStable && !rejected.empty() &&
                         (!forced_ever_ || now - last_forced_ >= kForceRefreshSpacingSeconds);
  lock.unlock();

  Fetched fetched = fetch(/*force_refresh=*/false);
  bool forced = false;
  if (may_force && fetched.token == rejected) {
    // WeChat still holds the token it has just rejected: ask for a new one.
    fetched = fetch(/*force_refresh=*/true);
    forced = true;
  }

  lock.lock();
  now = clock_.now();
  refreshing_ = false;
  ++generation_;
  if (forced) {
    last_forced_ = now;
    forced_ever_ = true;
  }
  TokenResult result;
  const bool ok = !fetched.token.empty();
  if (ok) {
    token_ = fetched.token;
    expires_at_ = now + fetched.expires_in;
    refresh_at_ = expires_at_ - refresh_margin(fetched.expires_in);
    if (token_ != rejected_) rejected_.clear();
    retry_not_before_ = 0;
    last_failure_ = {};
    result = {token_, {}};
  } else {
    last_failure_ = fetched.failure;
    retry_not_before_ = now + kFailurePauseSeconds;
    result = usable() ? TokenResult{token_, {}} : TokenResult{{}, last_failure_};
  }
  const bool kept_old = !ok && result.ok();
  lock.unlock();
  refreshed_.notify_all();

  if (ok) {
    logger_->info("event=wechat_token_refreshed appid={} endpoint={} expires_in={} forced={}",
                  options_.appid, to_string(options_.endpoint), fetched.expires_in, forced);
  } else {
    logger_->error("event=wechat_token_failed appid={} endpoint={} kept_valid_token={} detail={}",
                   options_.appid, to_string(options_.endpoint), kept_old,
                   quote_text(fetched.failure.detail));
  }
  return result;
}

void AccessTokenCache::invalidate(const std::string& token) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (token.empty() || token != token_) return;
    rejected_ = token_;
    token_.clear();
    expires_at_ = 0;
    refresh_at_ = 0;
    retry_not_before_ = 0;
  }
  logger_->warn("event=wechat_token_rejected appid={} endpoint={}", options_.appid,
                to_string(options_.endpoint));
}

std::shared_ptr<AccessTokenCache> shared_access_token_cache(const AccessTokenOptions& options,
                                                            const core::Clock& clock) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<AccessTokenCache>> caches;  // guarded by mutex
  const HttpUrl& base = options.base_url;
  const std::string key =
      base.scheme + "://" + base.host_header() + path_prefix(base) + " " + options.appid;
  const std::lock_guard<std::mutex> lock(mutex);
  for (auto it = caches.begin(); it != caches.end();) {
    it = it->second.expired() ? caches.erase(it) : std::next(it);
  }
  if (auto existing = caches[key].lock()) {
    if (&existing->clock() == &clock && same_settings(existing->options(), options)) {
      return existing;
    }
  }
  auto created = std::make_shared<AccessTokenCache>(options, clock);
  caches[key] = created;
  return created;
}

}  // namespace replenish::notify
