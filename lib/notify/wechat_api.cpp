#include "notify/wechat_api.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "notify/logging.hpp"
#include "notify/options.hpp"
#include "notify/utf8.hpp"

namespace replenish::notify {
namespace {

constexpr std::int64_t kDefaultTimeoutMs = 5000;
constexpr std::int64_t kDailyQuotaHintSeconds = 3600;
constexpr std::int64_t kMinuteQuotaHintSeconds = 60;

bool printable_ascii_word(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string path_prefix(const HttpUrl& url) {
  std::string prefix = url.target.substr(0, url.target.find('?'));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return prefix;
}

}  // namespace

std::optional<AccessTokenOptions> read_wechat_account(const std::string& name,
                                                      config::Reader& options,
                                                      const ChannelContext& context) {
  bool ok = true;
  const auto bad = [&](const std::string& key, const std::string& why) {
    options.error(key, why);
    ok = false;
  };
  AccessTokenOptions o;

  o.appid = options.req_string("appid");
  if (o.appid.empty()) {
    ok = false;
  } else if (!printable_ascii_word(o.appid)) {
    bad("appid", "must not contain spaces, control or non-ASCII characters");
  }

  const std::string base_url =
      given(options, "base_url") ? options.get_string("base_url", kWechatBaseUrl) : kWechatBaseUrl;
  std::string why;
  if (auto parsed = parse_http_url(base_url, &why)) {
    o.base_url = std::move(*parsed);
    if (o.base_url.target.find('?') != std::string::npos) {
      bad("base_url", "must not have a query (the channel adds the API paths)");
    }
  } else {
    bad("base_url", why);
  }

  const bool has_endpoint = given(options, "token_endpoint");
  if (has_endpoint) {
    const std::string endpoint = options.get_string("token_endpoint", "stable_token");
    if (endpoint == "stable_token") {
      o.endpoint = TokenEndpoint::kStable;
    } else if (endpoint == "token") {
      o.endpoint = TokenEndpoint::kToken;
    } else {
      bad("token_endpoint", "must be stable_token or token, got '" + endpoint + "'");
    }
  }
  if (given(options, "access_token_url")) {
    const std::string url = options.get_string("access_token_url", "");
    if (auto parsed = parse_http_url(url, &why)) {
      o.access_token_url = std::move(*parsed);
      o.endpoint = TokenEndpoint::kGateway;
    } else {
      bad("access_token_url", why);
    }
    if (has_endpoint) bad("access_token_url", "give either access_token_url or token_endpoint");
  }
  const bool gateway = given(options, "access_token_url");

  const bool has_secret = given(options, "secret");
  const bool has_secret_file = given(options, "secret_file");
  if (gateway && (has_secret || has_secret_file)) {
    bad(has_secret ? "secret" : "secret_file",
        "is not used with access_token_url: the gateway holds the AppSecret");
  } else if (has_secret && has_secret_file) {
    bad("secret", "give either secret or secret_file, not both");
  } else if (has_secret) {
    o.secret = options.get_string("secret", "");
    if (o.secret.empty()) bad("secret", "must not be empty");
  } else if (has_secret_file) {
    const std::string path = resolve_path(context.base_dir, options.get_string("secret_file", ""));
    if (auto text = read_text_file(path)) {
      o.secret = trim_trailing_space(std::move(*text));
      if (o.secret.empty()) bad("secret_file", "'" + path + "' is empty");
    } else {
      bad("secret_file", "cannot read '" + path + "'");
    }
  } else if (!gateway) {
    bad("secret", "is required (or secret_file, or access_token_url): the AppSecret");
  }
  if (!o.secret.empty() && !printable_ascii_word(o.secret)) {
    bad(has_secret ? "secret" : "secret_file",
        "the AppSecret must not contain spaces, control or non-ASCII characters");
  }

  o.http.timeout = std::chrono::milliseconds(
      given(options, "timeout_ms") ? options.get_int("timeout_ms", kDefaultTimeoutMs, 1, 300000)
                                   : kDefaultTimeoutMs);
  o.http.verify_tls = given(options, "verify_tls") ? options.get_bool("verify_tls", true) : true;
  if (given(options, "ca_file")) {
    o.http.ca_file = resolve_path(context.base_dir, options.get_string("ca_file", ""));
    const bool any_tls = o.base_url.tls() || (gateway && o.access_token_url.tls());
    if (!o.base_url.scheme.empty() && !any_tls) {
      bad("ca_file", "only applies to https URLs");
    } else if (!read_text_file(o.http.ca_file)) {
      bad("ca_file", "cannot read '" + o.http.ca_file + "'");
    }
  }
  if (!ok) return std::nullopt;
  if (o.base_url.tls() && !o.http.verify_tls) {
    logger()->warn("event=tls_verification_disabled channel={} url={}", name,
                   o.base_url.redacted());
  }
  return o;
}

bool is_token_errcode(std::int64_t errcode) {
  return errcode == wechat_errcode::kInvalidCredential ||
         errcode == wechat_errcode::kInvalidAccessToken ||
         errcode == wechat_errcode::kAccessTokenExpired;
}

std::string errcode_detail(std::int64_t errcode, std::string_view errmsg) {
  const std::string excerpt = body_excerpt(errmsg);
  return excerpt.empty() ? fmt::format("errcode {}", errcode)
                         : fmt::format("errcode {}: {}", errcode, excerpt);
}

std::optional<Outcome> retryable_errcode(std::int64_t errcode, std::string_view errmsg) {
  switch (errcode) {
    case wechat_errcode::kDailyQuota:
      return Outcome::retryable(errcode_detail(errcode, errmsg), kDailyQuotaHintSeconds);
    case wechat_errcode::kMinuteQuota:
      return Outcome::retryable(errcode_detail(errcode, errmsg), kMinuteQuotaHintSeconds);
    case wechat_errcode::kSystemBusy:
    case wechat_errcode::kTooManyToUser:
      return Outcome::retryable(errcode_detail(errcode, errmsg));
    default:
      return std::nullopt;
  }
}

WechatApi::WechatApi(std::shared_ptr<AccessTokenCache> tokens)
    : tokens_(std::move(tokens)),
      prefix_(path_prefix(tokens_->options().base_url)),
      pool_(tokens_->options().base_url, tokens_->options().http) {}

WechatReply WechatApi::post_once(const std::string& path, const std::string& body,
                                 const std::string& token) {
  WechatReply reply;
  const httplib::Headers headers{{"User-Agent", "replenish/" REPLENISH_VERSION}};
  auto result = pool_.post(prefix_ + path + "?access_token=" + url_encode(token), headers, body,
                           "application/json");
  if (!result) {
    reply.failure = transport_failure(result.error());
    return reply;
  }
  if (result->status < 200 || result->status > 299) {
    Outcome failure = http_failure(*result);
    failure.detail = redact(std::move(failure.detail), token);
    reply.failure = std::move(failure);
    return reply;
  }
  const auto json = nlohmann::json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    reply.failure =
        Outcome::retryable("not a WeChat answer: " + redact(body_excerpt(result->body), token));
    return reply;
  }
  if (const auto errcode = json.find("errcode");
      errcode != json.end() && errcode->is_number_integer()) {
    reply.errcode = errcode->get<std::int64_t>();
  }
  if (const auto errmsg = json.find("errmsg"); errmsg != json.end() && errmsg->is_string()) {
    reply.errmsg = redact(errmsg->get<std::string>(), token);
  }
  if (const auto msgid = json.find("msgid"); msgid != json.end()) {
    if (msgid->is_number_integer()) reply.msgid = msgid->dump();
    if (msgid->is_string()) reply.msgid = msgid->get<std::string>();
  }
  return reply;
}

WechatReply WechatApi::post(const std::string& path, const std::string& body) {
  WechatReply reply;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    const TokenResult token = tokens_->get();
    if (!token.ok()) {
      reply = WechatReply{};
      reply.failure = token.failure;
      reply.sends = attempt - 1;
      return reply;
    }
    reply = post_once(path, body, token.token);
    reply.sends = attempt;
    if (reply.failure || !is_token_errcode(reply.errcode)) return reply;
    tokens_->invalidate(token.token);
  }
  return reply;
}

std::shared_ptr<const Templates> compile_texts(config::Reader& options,
                                               const TemplateTexts& texts) {
  try {
    return std::make_shared<const Templates>(texts);
  } catch (const config::ConfigError& e) {
    static const std::string kPrefix = "templates.";
    for (const auto& issue : e.issues()) {
      const bool prefixed = issue.path.rfind(kPrefix, 0) == 0;
      options.error(prefixed ? issue.path.substr(kPrefix.size()) : issue.path, issue.message);
    }
    return nullptr;
  }
}

std::optional<std::string> render_text(const Templates& texts, const std::string& name,
                                       const nlohmann::json& vars, bool for_link,
                                       std::string& error) {
  if (!vars.is_object()) {
    error = name + ": the message has no template variables";
    return std::nullopt;
  }
  for (const auto& variable : texts.variables(name)) {
    if (!vars.contains(variable)) {
      error = name + ": variable '" + variable + "' has no value";
      return std::nullopt;
    }
  }
  try {
    if (!for_link) return texts.render(name, vars);
    nlohmann::json encoded = vars;
    for (auto& [key, value] : encoded.items()) {
      if (value.is_string()) value = url_encode(value.get_ref<const std::string&>());
    }
    return texts.render(name, encoded);
  } catch (const std::invalid_argument& e) {
    error = name + ": " + e.what();
    return std::nullopt;
  }
}

std::string literal_text(std::string_view text) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto open = text.find("{{", at);
    if (open == std::string_view::npos) break;
    out += text.substr(at, open - at);
    const bool triple = text.substr(open, 3) == "{{{";
    const auto close = text.find(triple ? "}}}" : "}}", open + 2);
    if (close == std::string_view::npos) return out;
    at = close + (triple ? 3 : 2);
  }
  if (at < text.size()) out += text.substr(at);
  return out;
}

std::string clean_field_value(std::string_view value) {
  const std::string stripped = utf8::strip_line_breaks(value);
  std::string out;
  out.reserve(stripped.size());
  for (std::size_t i = 0; i < stripped.size(); ++i) {
    const auto c = static_cast<unsigned char>(stripped[i]);
    if (c == '\t') {
      out += ' ';
    } else if (c < 0x20 || c == 0x7f) {
      continue;
    } else if (c == 0xC2 && i + 1 < stripped.size() &&
               static_cast<unsigned char>(stripped[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(stripped[i + 1]) <= 0x9F) {
      ++i;  // a C1 control character, U+0080..U+009F
    } else {
      out += stripped[i];
    }
  }
  return out;
}

const std::string& openid_for(const Message& message, const std::string& appid) {
  const auto it = message.openids.find(appid);
  return it != message.openids.end() && !it->second.empty() ? it->second : message.openid;
}

std::string redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
    text.replace(at, secret.size(), "…");
  }
  return text;
}

}  // namespace replenish::notify
