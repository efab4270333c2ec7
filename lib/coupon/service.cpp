#include "coupon/service.hpp"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/time.hpp"
#include "coupon/logging.hpp"
#include "notify/logging.hpp"
#include "notify/signing.hpp"

namespace replenish::coupon {
namespace {

constexpr std::size_t kMaxCodeChars = 64;

bool usable_code(const std::string& code) {
  if (code.empty() || code.size() > kMaxCodeChars) return false;
  for (const char c : code) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/// A number rendered without a trailing ".0" when it is whole (5, 8.5).
nlohmann::json number(double v) {
  if (v == static_cast<double>(static_cast<std::int64_t>(v))) {
    return static_cast<std::int64_t>(v);
  }
  return v;
}

}  // namespace

ServiceClient::ServiceClient(const config::CouponServiceConfig& config, const core::Clock& clock)
    : secret_(config.secret), clock_(clock), logger_(logger()) {
  std::string why;
  auto url = notify::parse_http_url(config.url, &why);
  if (!url) throw std::invalid_argument("coupons.service.url: " + why);
  pool_ = std::make_unique<notify::HttpClientPool>(
      std::move(*url),
      notify::HttpClientOptions{std::chrono::milliseconds(config.timeout_ms), /*verify_tls=*/true,
                                config.ca_file, /*max_idle=*/4});
}

std::string ServiceClient::body(const ServiceRequest& r) {
  nlohmann::ordered_json j;
  j["user_id"] = r.user_id;
  j["category"] = r.category;
  j["rule"] = r.rule->name;
  j["kind"] = config::to_string(r.rule->kind);
  j["value"] = number(r.rule->value);
  j["threshold"] = number(r.rule->threshold);
  j["validity_days"] = r.rule->validity_days;
  j["scope"] = config::to_string(r.rule->scope);
  if (r.rule->scope == config::CouponRule::Scope::kSku) j["skus"] = r.rule->skus;
  j["reminder_key"] = r.reminder_key;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

ServiceAnswer ServiceClient::request(const ServiceRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  const std::string payload = body(request);
  const auto headers =
      notify::signed_headers(secret_, clock_.now(), request.reminder_key + "-coupon", payload);
  auto result = pool_->post(headers, payload, "application/json");
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  ServiceAnswer answer;
  int status = 0;
  if (!result) {
    answer.outcome = notify::transport_failure(result.error());
  } else if (status = result->status; status < 200 || status > 299) {
    answer.outcome = notify::http_failure(*result);
  } else {
    const auto json = nlohmann::json::parse(result->body, nullptr, false);
    const auto code = json.is_object() ? json.find("code") : json.end();
    if (!json.is_object() || code == json.end() || !code->is_string() ||
        !usable_code(code->get<std::string>())) {
      answer.outcome = notify::Outcome::permanent(
          fmt::format("HTTP {} without a usable code (1-64 printable characters): {}", status,
                      notify::body_excerpt(result->body)));
    } else {
      answer.code = code->get<std::string>();
      answer.outcome = notify::Outcome::delivered("", fmt::format("HTTP {}", status));
      if (const auto e = json.find("expires_at"); e != json.end() && !e->is_null()) {
        std::optional<core::EpochSeconds> at;
        std::string why = "expected epoch seconds or ISO-8601";
        if (e->is_number_integer()) {
          at = e->get<core::EpochSeconds>();
        } else if (e->is_string()) {
          at = core::parse_timestamp(e->get<std::string>(), &why);
        }
        if (!at || *at <= 0) {
          answer.code.clear();
          answer.outcome = notify::Outcome::permanent("expires_at: " + why);
        } else {
          answer.expires_at = *at;
        }
      }
    }
  }
  if (answer.outcome.kind == notify::Outcome::Kind::kDelivered) {
    logger_->info("event=coupon_service_ok reminder={} rule={} status={} ms={}",
                  request.reminder_key, request.rule->name, status, ms);
  } else {
    logger_->warn(
        "event=coupon_service_failed reminder={} rule={} outcome={} status={} ms={} "
        "detail={}",
        request.reminder_key, request.rule->name, notify::to_string(answer.outcome.kind), status,
        ms, notify::quote_text(answer.outcome.detail));
  }
  return answer;
}

}  // namespace replenish::coupon
