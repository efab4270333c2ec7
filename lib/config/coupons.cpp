#include "config/coupons.hpp"

#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace replenish::config {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMinSecretBytes = 16;

std::string resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

/// The secret in `file` without trailing white space; records an issue at `key` when the file
/// cannot be read or holds fewer than 16 bytes.
std::string read_secret(Reader& r, const std::string& key, const std::string& file,
                        const std::string& base_dir) {
  const std::string path = resolve(base_dir, file);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    r.error(key, "cannot read '" + path + "'");
    return {};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string secret = ss.str();
  while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back()))) {
    secret.pop_back();
  }
  if (secret.size() < kMinSecretBytes) {
    r.error(key, "the secret in '" + path + "' must be at least 16 bytes");
    return {};
  }
  return secret;
}

bool given(const Reader& r, const std::string& key) {
  return r.node().IsMap() && static_cast<bool>(r.node()[key]);
}

void read_service(Reader s, CouponServiceConfig& out, const std::string& base_dir) {
  out.url = s.req_string("url");
  out.allow_http = given(s, "allow_http") ? s.get_bool("allow_http", false) : false;
  static const std::regex kUrl(R"((https?)://[^\s/?#@]+(/[^\s#]*)?)", std::regex::icase);
  std::smatch m;
  if (!out.url.empty()) {
    if (!std::regex_match(out.url, m, kUrl)) {
      s.error("url", "expected an http or https URL, got '" + out.url + "'");
    } else if (!out.allow_http && m[1].str().size() == 4) {
      s.error("url", "must be https (set allow_http: true for a gateway on this machine)");
    }
  }
  const auto file = s.opt_string("secret_file");
  if (file) {
    out.secret = read_secret(s, "secret_file", *file, base_dir);
  } else {
    s.error("secret_file", "is required: the service verifies the requests' signatures with it");
  }
  if (given(s, "timeout_ms")) {
    out.timeout_ms = static_cast<int>(s.get_int("timeout_ms", out.timeout_ms, 1, 300000));
  }
  if (given(s, "ca_file")) {
    out.ca_file = resolve(base_dir, s.get_string("ca_file", ""));
    if (!std::ifstream(out.ca_file)) s.error("ca_file", "cannot read '" + out.ca_file + "'");
    if (out.url.rfind("https://", 0) != 0) s.error("ca_file", "only applies to https URLs");
  }
  s.finish();
}

void read_rule(Reader r, CouponRule& rule) {
  const std::string kind = r.req_string("kind");
  if (kind == "amount_off") {
    rule.kind = CouponRule::Kind::kAmountOff;
  } else if (kind == "percent_off") {
    rule.kind = CouponRule::Kind::kPercentOff;
  } else if (!kind.empty()) {
    r.error("kind", "must be amount_off or percent_off, got '" + kind + "'");
  }
  if (!given(r, "value")) {
    r.error("value", "is required (yuan off, or percent off)");
  } else if (rule.kind == CouponRule::Kind::kPercentOff) {
    rule.value = static_cast<double>(r.get_int("value", 10, 1, 99));
  } else {
    rule.value = r.get_double("value", 5, 0.01, 100000);
    if (std::abs(rule.value * 100 - std::round(rule.value * 100)) > 1e-6) {
      r.error("value", "at most two decimals (fen)");
    }
  }
  if (given(r, "threshold")) rule.threshold = r.get_double("threshold", 0, 0, 1000000);
  if (rule.kind == CouponRule::Kind::kAmountOff && rule.threshold > 0 &&
      rule.threshold <= rule.value) {
    r.error("threshold", "must be larger than value (or 0 for none)");
  }
  if (given(r, "validity_days")) {
    rule.validity_days = static_cast<int>(r.get_int("validity_days", 7, 1, 366));
  }
  const std::string scope = given(r, "scope") ? r.get_string("scope", "category") : "category";
  if (scope == "category") {
    rule.scope = CouponRule::Scope::kCategory;
  } else if (scope == "sku") {
    rule.scope = CouponRule::Scope::kSku;
  } else {
    r.error("scope", "must be category or sku, got '" + scope + "'");
  }
  if (given(r, "skus")) rule.skus = r.get_strings("skus");
  if (rule.scope == CouponRule::Scope::kSku && rule.skus.empty()) {
    r.error("skus", "scope sku needs at least one SKU");
  } else if (rule.scope == CouponRule::Scope::kCategory && !rule.skus.empty()) {
    r.error("skus", "only applies to scope sku");
  }
  if (given(r, "budget_per_day")) {
    rule.budget_per_day = r.get_int("budget_per_day", 0, 0, 100000000);
  }
  if (given(r, "budget_total")) rule.budget_total = r.get_int("budget_total", 0, 0, 1000000000);
  const std::string source = given(r, "source") ? r.get_string("source", "local") : "local";
  if (source == "local") {
    rule.source = CouponRule::Source::kLocal;
  } else if (source == "service") {
    rule.source = CouponRule::Source::kService;
  } else {
    r.error("source", "must be local or service, got '" + source + "'");
  }
  r.finish();
}

}  // namespace

const char* to_string(CouponRule::Kind kind) {
  return kind == CouponRule::Kind::kPercentOff ? "percent_off" : "amount_off";
}

const char* to_string(CouponRule::Scope scope) {
  return scope == CouponRule::Scope::kSku ? "sku" : "category";
}

const char* to_string(CouponRule::Source source) {
  return source == CouponRule::Source::kService ? "service" : "local";
}

const CouponRule* CouponsConfig::rule(const std::string& name) const {
  const auto it = rules.find(name);
  return it == rules.end() ? nullptr : &it->second;
}

void read_coupons(Reader r, CouponsConfig& out, const std::string& base_dir) {
  if (given(r, "code_prefix")) {
    std::string prefix = r.get_string("code_prefix", out.code_prefix);
    static const std::regex kPrefix("[A-Za-z0-9]{1,6}");
    if (!std::regex_match(prefix, kPrefix)) {
      r.error("code_prefix", "use 1-6 characters A-Z and 0-9, got '" + prefix + "'");
    }
    for (auto& c : prefix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.code_prefix = prefix;
  }
  if (given(r, "secret_file")) {
    out.secret = read_secret(r, "secret_file", r.get_string("secret_file", ""), base_dir);
  }
  if (given(r, "service")) {
    CouponServiceConfig service;
    read_service(r.child("service"), service, base_dir);
    out.service = std::move(service);
  }
  static const std::regex kName("[a-z0-9_]{1,64}");
  bool needs_secret = false;
  for (auto& [name, rr] : r.entries("rules")) {
    CouponRule rule;
    rule.name = name;
    if (!std::regex_match(name, kName)) rr.error("", "rule names use 1-64 characters a-z, 0-9, _");
    read_rule(rr, rule);
    if (rule.source == CouponRule::Source::kLocal) needs_secret = true;
    if (rule.source == CouponRule::Source::kService && !given(r, "service")) {
      rr.error("source", "is service, but coupons.service is not configured");
    }
    out.rules.emplace(name, std::move(rule));
  }
  if (needs_secret && !given(r, "secret_file")) {
    r.error("secret_file", "is required for rules with source local: it signs the codes");
  }
  r.finish();
}

}  // namespace replenish::config
