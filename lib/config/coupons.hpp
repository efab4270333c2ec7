// The `coupons:` section of the configuration: how coupon codes are made (locally with an HMAC
// check, or by the merchant's coupon service) and the rules a campaign picks from.
// config/replenishd.yaml documents every key; lib/coupon/ uses these.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/reader.hpp"

namespace replenish::config {

/// One coupon rule ("coupons.rules.<name>").
struct CouponRule {
  enum class Kind { kAmountOff, kPercentOff };
  enum class Scope { kCategory, kSku };
  enum class Source { kLocal, kService };

  std::string name;
  Kind kind = Kind::kAmountOff;
  double value = 0;      ///< amount_off: yuan off; percent_off: percent off (10 = 9折), 1-99
  double threshold = 0;  ///< minimum spend in yuan; 0 = none
  int validity_days = 7;
  Scope scope = Scope::kCategory;
  std::vector<std::string> skus;    ///< scope sku: the SKUs it applies to
  std::int64_t budget_per_day = 0;  ///< codes per merchant-local day; 0 = unlimited
  std::int64_t budget_total = 0;    ///< 0 = unlimited
  Source source = Source::kLocal;
};

const char* to_string(CouponRule::Kind kind);
const char* to_string(CouponRule::Scope scope);
const char* to_string(CouponRule::Source source);

/// The merchant's coupon service ("coupons.service").
struct CouponServiceConfig {
  std::string url;     ///< http(s) URL the requests are POSTed to
  std::string secret;  ///< signs requests like the webhook channel (never logged)
  int timeout_ms = 3000;
  bool allow_http = false;  ///< plain http allowed (a gateway on loopback)
  std::string ca_file;      ///< https: CA bundle instead of the system's
};

struct CouponsConfig {
  std::string secret;              ///< HMAC key of locally generated codes (never logged)
  std::string code_prefix = "RP";  ///< 1-6 characters A-Z, 0-9 (upper-cased)
  std::optional<CouponServiceConfig> service;
  std::map<std::string, CouponRule> rules;  ///< by name

  const CouponRule* rule(const std::string& name) const;
};

/// Reads the `coupons` mapping; issues name their key path. Relative files are taken from
/// `base_dir`.
void read_coupons(Reader r, CouponsConfig& out, const std::string& base_dir);

}  // namespace replenish::config
