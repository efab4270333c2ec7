#include "coupon/issuer.hpp"

#include <fmt/format.h>

#include <cmath>

#include "coupon/codes.hpp"
#include "coupon/logging.hpp"

namespace replenish::coupon {
namespace {

using Status = IssueResult::Status;

/// 5 → "5", 8.5 → "8.5", 12.25 → "12.25".
std::string plain_number(double v) {
  std::string s = fmt::format("{:.2f}", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

constexpr int kCodeAttempts = 3;

}  // namespace

const char* to_string(IssueResult::Status status) {
  switch (status) {
    case Status::kIssued:
      return "issued";
    case Status::kReused:
      return "reused";
    case Status::kBudgetExhausted:
      return "budget_exhausted";
    case Status::kLiveCouponExists:
      return "live_coupon_exists";
    case Status::kRetryableError:
      return "retryable_error";
    case Status::kPermanentError:
      return "permanent_error";
  }
  return "permanent_error";
}

std::string value_text(const config::CouponRule& rule) {
  const std::string threshold = plain_number(rule.threshold);
  if (rule.kind == config::CouponRule::Kind::kPercentOff) {
    // 10 % off is "9折", 15 % off "8.5折": the share paid, in tenths.
    const std::string zhe = plain_number((100.0 - rule.value) / 10.0) + "折";
    return rule.threshold > 0 ? "满" + threshold + "享" + zhe : zhe;
  }
  const std::string amount = plain_number(rule.value);
  return rule.threshold > 0 ? "满" + threshold + "减" + amount + "元" : amount + "元";
}

nlohmann::json Coupon::template_vars() const {
  return {{"coupon_code", code}, {"coupon_value", value_text}, {"coupon_expiry", expiry_date}};
}

Issuer::Issuer(std::shared_ptr<const config::Config> config, store::Store& store,
               const core::Clock& wall_clock)
    : config_(std::move(config)),
      store_(store),
      tz_(core::TimeZone::locate(config_->merchant.timezone)) {
  if (config_->coupons.service) {
    service_ = std::make_unique<ServiceClient>(*config_->coupons.service, wall_clock);
  }
}

Coupon Issuer::to_coupon(const store::CouponRecord& r) const {
  return Coupon{r.code, r.rule, r.value_text, r.expires_at,
                tz_.local_date(r.expires_at - 1).to_string()};
}

IssueResult Issuer::issue(const std::string& rule_name, const IssueRequest& request,
                          core::EpochSeconds now, core::EpochSeconds day_start,
                          core::EpochSeconds day_end) {
  IssueResult out;
  const config::CouponRule* rule = config_->coupons.rule(rule_name);
  if (!rule) {
    out.detail = "unknown coupon rule '" + rule_name + "'";
    return out;
  }
  const store::CouponLimits limits{rule->budget_per_day, rule->budget_total, day_start, day_end};
  store::CouponRecord candidate;
  candidate.rule = rule->name;
  candidate.user_id = request.user_id;
  candidate.category = request.category;
  candidate.reminder_id = request.reminder_id;
  candidate.source = config::to_string(rule->source);
  candidate.value_text = value_text(*rule);
  candidate.issued_at = now;
  // Valid through the end of the merchant-local day validity_days - 1 days after today.
  candidate.expires_at = tz_.at_local(tz_.local_day(now) + rule->validity_days, 0);

  const auto finish = [&](const store::CouponIssue& done) {
    switch (done.decision) {
      case store::CouponDecision::kIssued:
        out.status = Status::kIssued;
        break;
      case store::CouponDecision::kReused:
        out.status = Status::kReused;
        break;
      case store::CouponDecision::kBudgetExhausted:
        out.status = Status::kBudgetExhausted;
        out.detail = fmt::format("rule {} has no budget left (per day {}, total {})", rule->name,
                                 rule->budget_per_day, rule->budget_total);
        break;
      case store::CouponDecision::kLiveCouponExists:
        out.status = Status::kLiveCouponExists;
        out.detail = "the user has a live coupon in this category";
        break;
      case store::CouponDecision::kCodeTaken:
        out.status = Status::kPermanentError;
        out.detail = "the code is already in the ledger for another reminder";
        break;
    }
    if (done.decision != store::CouponDecision::kBudgetExhausted &&
        done.decision != store::CouponDecision::kCodeTaken) {
      out.coupon = to_coupon(done.coupon);
    }
    logger()->info("event=coupon_issue status={} rule={} reminder={} source={}",
                   to_string(out.status), rule->name, request.reminder_id, candidate.source);
    return out;
  };

  if (rule->source == config::CouponRule::Source::kLocal) {
    if (config_->coupons.secret.empty()) {
      out.detail = "coupons.secret_file is not configured";
      return out;
    }
    store::CouponIssue done;
    for (int attempt = 0; attempt < kCodeAttempts; ++attempt) {
      candidate.code = generate_code(config_->coupons.secret, config_->coupons.code_prefix);
      done = store_.issue_coupon(candidate, limits);
      if (done.decision != store::CouponDecision::kCodeTaken) break;
    }
    return finish(done);
  }

  if (!service_) {
    out.detail = "rule " + rule->name + " has source service, but coupons.service is not set";
    return out;
  }
  const auto checked = store_.check_coupon(candidate, limits);
  if (checked.decision != store::CouponDecision::kIssued) return finish(checked);
  const auto answer = service_->request(
      ServiceRequest{request.user_id, request.category, request.reminder_key, rule});
  switch (answer.outcome.kind) {
    case notify::Outcome::Kind::kDelivered:
      break;
    case notify::Outcome::Kind::kRetryable:
      out.status = Status::kRetryableError;
      out.detail = "coupon service: " + answer.outcome.detail;
      out.retry_after_seconds = answer.outcome.retry_after_seconds;
      return out;
    default:
      out.status = Status::kPermanentError;
      out.detail = "coupon service: " + answer.outcome.detail;
      return out;
  }
  candidate.code = answer.code;
  if (answer.expires_at > 0) candidate.expires_at = answer.expires_at;
  const auto done = store_.issue_coupon(candidate, limits);
  if (done.decision == store::CouponDecision::kBudgetExhausted ||
      done.decision == store::CouponDecision::kLiveCouponExists) {
    logger()->warn("event=coupon_service_code_unused rule={} reminder={} reason={}", rule->name,
                   request.reminder_id,
                   done.decision == store::CouponDecision::kBudgetExhausted ? "budget_exhausted"
                                                                            : "live_coupon_exists");
  }
  return finish(done);
}

}  // namespace replenish::coupon
