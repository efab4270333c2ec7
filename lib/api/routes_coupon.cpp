// POST /v1/events/coupon: the shop reports a coupon redeemed outside an order feed.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "api/problem.hpp"
#include "api/server.hpp"
#include "core/time.hpp"

namespace replenish::api {
namespace {

using nlohmann::json;

std::shared_ptr<spdlog::logger> logger() {
  static auto log = [] {
    auto l = spdlog::get("api");
    return l ? l : spdlog::default_logger()->clone("api");
  }();
  return log;
}

json coupon_json(const store::CouponRecord& c) {
  json j{{"code", c.code},
         {"rule", c.rule},
         {"user_id", c.user_id},
         {"category", c.category},
         {"expires_at", core::format_utc(c.expires_at)}};
  j["redeemed_at"] = c.redeemed_at ? json(core::format_utc(*c.redeemed_at)) : json(nullptr);
  j["redeemed_order"] = c.redeemed_at ? json(c.redeemed_order) : json(nullptr);
  return j;
}

}  // namespace

void Server::post_coupon_event(const httplib::Request& req, httplib::Response& res) {
  const auto body = json::parse(req.body, nullptr, false);
  const char* expected = R"(expected {"code": "...", "order_id": "...", "redeemed_at": ts})";
  if (!body.is_object()) {
    problem(res, 400, "Bad Request", expected);
    return;
  }
  for (const auto& item : body.items()) {
    const std::string& key = item.key();
    if (key != "code" && key != "order_id" && key != "redeemed_at") {
      problem(res, 400, "Bad Request", "unknown field '" + key + "' (code, order_id, redeemed_at)");
      return;
    }
  }
  for (const char* key : {"code", "order_id"}) {
    const auto it = body.find(key);
    if (it == body.end() || !it->is_string() || it->get<std::string>().empty() ||
        it->get<std::string>().size() > 256) {
      problem(res, 400, "Bad Request", fmt::format("{}: a string of 1-256 characters", key));
      return;
    }
  }
  core::EpochSeconds at = services_.clock->now();
  if (const auto it = body.find("redeemed_at"); it != body.end() && !it->is_null()) {
    std::string why = "expected epoch seconds or ISO-8601 with an offset";
    std::optional<core::EpochSeconds> parsed;
    if (it->is_number_integer()) {
      parsed = it->get<core::EpochSeconds>();
    } else if (it->is_string()) {
      parsed = core::parse_timestamp(it->get<std::string>(), &why);
    }
    if (!parsed || *parsed < core::kMinTime || *parsed > core::kMaxTime) {
      problem(res, 400, "Bad Request", "redeemed_at: " + why);
      return;
    }
    at = *parsed;
  }
  const std::string code = body["code"].get<std::string>();
  const std::string order = body["order_id"].get<std::string>();
  const auto result = services_.store->redeem_coupon(code, order, at);
  switch (result.status) {
    case store::RedeemStatus::kUnknown:
      problem(res, 404, "Not Found", "no coupon with this code was issued");
      return;
    case store::RedeemStatus::kAlreadyRedeemed:
      problem(res, 409, "Conflict",
              fmt::format("the coupon was already redeemed at {} by order {}",
                          core::format_utc(result.coupon.redeemed_at.value_or(0)),
                          result.coupon.redeemed_order),
              {{"reason", "already_redeemed"}, {"coupon", coupon_json(result.coupon)}});
      return;
    case store::RedeemStatus::kExpired:
      problem(res, 409, "Conflict",
              fmt::format("the coupon expired at {}", core::format_utc(result.coupon.expires_at)),
              {{"reason", "expired"}, {"coupon", coupon_json(result.coupon)}});
      return;
    case store::RedeemStatus::kRedeemed:
      break;
  }
  logger()->info("event=coupon_redeemed rule={} via=api", result.coupon.rule);
  json_response(res, 200, {{"status", "redeemed"}, {"coupon", coupon_json(result.coupon)}});
}

}  // namespace replenish::api
