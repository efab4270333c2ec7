#include "plan/segments.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace replenish::plan {

bool Segments::has(const std::string& segment) const {
  return segment == "default" || segment == lifecycle || (segment == "high_value" && high_value);
}

std::string Segments::to_string() const {
  return high_value ? lifecycle + "+high_value" : lifecycle;
}

Segments segments_of(const SegmentInput& in, const config::SegmentsConfig& config) {
  Segments s;
  if (in.lapsed) {
    s.lifecycle = "lapsed";
  } else if (in.purchases > 0 && in.now > in.hi) {
    s.lifecycle = "at_risk";
  } else if (in.purchases <= 1) {
    s.lifecycle = "new";
  } else if (in.purchases >= config.loyal_min_purchases) {
    s.lifecycle = "loyal";
  } else {
    s.lifecycle = "regular";
  }
  s.high_value = in.high_value_spend && in.spend > 0 && in.spend >= *in.high_value_spend;
  return s;
}

std::optional<double> high_value_threshold(std::vector<double> spends, double quantile) {
  spends.erase(std::remove_if(spends.begin(), spends.end(),
                              [](double v) { return !(v > 0) || !std::isfinite(v); }),
               spends.end());
  if (spends.empty()) return std::nullopt;
  std::sort(spends.begin(), spends.end(), std::greater<>());
  const double top = std::ceil((1.0 - quantile) * static_cast<double>(spends.size()) - 1e-9);
  const auto k =
      std::clamp<std::size_t>(static_cast<std::size_t>(std::max(1.0, top)), 1, spends.size());
  return spends[k - 1];
}

bool in_holdout(const std::string& salt, const std::string& user_id, double share) {
  if (share <= 0) return false;
  std::string material = salt;
  material += '\x1f';
  material += user_id;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(material.data(), material.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | digest[i];
  // v / 2^64 < share, without the rounding of a double near 1.
  return static_cast<long double>(v) < static_cast<long double>(share) * 18446744073709551616.0L;
}

const config::CampaignConfig* campaign_for(const config::Config& config,
                                           const std::string& category) {
  for (const auto& c : config.campaigns) {
    if (c.categories.empty() ||
        std::find(c.categories.begin(), c.categories.end(), category) != c.categories.end()) {
      return &c;
    }
  }
  return nullptr;
}

const config::CampaignConfig* campaign_named(const config::Config& config,
                                             const std::string& name) {
  for (const auto& c : config.campaigns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

RuleChoice choose_rule(const config::CampaignConfig& campaign, const Segments& segments) {
  for (const auto& rule : campaign.rules) {
    if (segments.has(rule.segment)) {
      return RuleChoice{&rule, rule.segment == "default" ? segments.lifecycle : rule.segment};
    }
  }
  return RuleChoice{};
}

}  // namespace replenish::plan
