#include "notify/channels/webhook.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "core/time.hpp"
#include "notify/logging.hpp"
#include "notify/options.hpp"

namespace replenish::notify {
namespace {

constexpr std::size_t kMinSecretBytes = 16;
constexpr std::size_t kMaxProviderIdChars = 128;
constexpr std::int64_t kDefaultTimeoutMs = 5000;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// RFC 9110 token characters.
bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// Provider id from a 2xx response: its JSON "id" (string or number), else the key.
std::string provider_id(const std::string& body, const std::string& key) {
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_object() && json.contains("id")) {
    const auto& id = json["id"];
    if (id.is_string() && !id.get_ref<const std::string&>().empty()) {
      return id.get<std::string>().substr(0, kMaxProviderIdChars);
    }
    if (id.is_number_integer()) return id.dump();
  }
  return key;
}

}  // namespace

WebhookChannel::WebhookChannel(std::string name, Options options, const core::Clock& clock)
    : name_(std::move(name)),
      secret_(std::move(options.secret)),
      headers_(std::move(options.headers)),
      clock_(clock),
      logger_(logger()),
      pool_(options.url, HttpClientOptions{options.timeout, options.verify_tls, options.ca_file,
                                           /*max_idle=*/64}) {}

std::string WebhookChannel::body(const Message& message) {
  nlohmann::ordered_json body;
  body["id"] = message.key;
  body["reminder_id"] = message.reminder_id;
  body["user_id"] = message.user_id;
  body["category"] = message.category;
  body["kind"] = message.kind;
  body["due_at"] = core::format_utc(message.due_at);
  body["text"] = message.text;
  body["vars"] = message.vars.is_null() ? nlohmann::ordered_json::object()
                                        : nlohmann::ordered_json(message.vars);
  if (!message.openid.empty()) body["openid"] = message.openid;
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Outcome WebhookChannel::send(const Message& message) {
  const auto started = std::chrono::steady_clock::now();
  const std::string payload = body(message);
  const std::int64_t timestamp = clock_.now();
  httplib::Headers headers = signed_headers(secret_, timestamp, message.key, payload);
  for (const auto& [header, value] : headers_) headers.emplace(header, value);

  auto result = pool_.post(headers, payload, "application/json");
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  Outcome outcome;
  int status = 0;
  if (!result) {
    outcome = transport_failure(result.error());
  } else {
    status = result->status;
    outcome = status >= 200 && status <= 299
                  ? Outcome::delivered(provider_id(result->body, message.key),
                                       fmt::format("HTTP {}", status))
                  : http_failure(*result);
  }
  if (outcome.kind == Outcome::Kind::kDelivered) {
    logger_->info("event=message_sent channel={} reminder={} status={} ms={}", name_, message.key,
                  status, ms);
  } else {
    logger_->warn(
        "event=message_failed channel={} reminder={} outcome={} status={} ms={} detail={}", name_,
        message.key, to_string(outcome.kind), status, ms, quote_text(outcome.detail));
  }
  return outcome;
}

std::unique_ptr<Channel> make_webhook_channel(const std::string& name, config::Reader& options,
                                              const ChannelContext& context) {
  bool ok = true;
  const auto bad = [&](const std::string& key, const std::string& why) {
    options.error(key, why);
    ok = false;
  };
  WebhookChannel::Options o;

  const std::string url = options.req_string("url");
  if (url.empty()) {
    ok = false;
  } else {
    std::string why;
    if (auto parsed = parse_http_url(url, &why)) {
      o.url = std::move(*parsed);
    } else {
      bad("url", why);
    }
  }

  const bool has_secret = given(options, "secret");
  const bool has_secret_file = given(options, "secret_file");
  if (has_secret && has_secret_file) {
    bad("secret", "give either secret or secret_file, not both");
  } else if (has_secret) {
    o.secret = options.get_string("secret", "");
    if (o.secret.size() < kMinSecretBytes) bad("secret", "must be at least 16 bytes");
  } else if (has_secret_file) {
    const std::string path = resolve_path(context.base_dir, options.get_string("secret_file", ""));
    if (auto text = read_text_file(path)) {
      o.secret = trim_trailing_space(std::move(*text));
      if (o.secret.size() < kMinSecretBytes) {
        bad("secret_file", "the secret in '" + path + "' must be at least 16 bytes");
      }
    } else {
      bad("secret_file", "cannot read '" + path + "'");
    }
  } else {
    bad("secret",
        "is required (or secret_file): receivers verify the HMAC-SHA256 signature with it");
  }

  o.timeout = std::chrono::milliseconds(
      given(options, "timeout_ms") ? options.get_int("timeout_ms", kDefaultTimeoutMs, 1, 300000)
                                   : kDefaultTimeoutMs);
  o.verify_tls = given(options, "verify_tls") ? options.get_bool("verify_tls", true) : true;
  if (given(options, "ca_file")) {
    o.ca_file = resolve_path(context.base_dir, options.get_string("ca_file", ""));
    if (!o.url.scheme.empty() && !o.url.tls()) {
      bad("ca_file", "only applies to https URLs");
    } else if (!read_text_file(o.ca_file)) {
      bad("ca_file", "cannot read '" + o.ca_file + "'");
    }
  }

  if (given(options, "headers")) {
    static const std::set<std::string> kReserved{
        "host",       "content-type", "content-length", "transfer-encoding",
        "connection", "user-agent",   "idempotency-key"};
    for (auto& [header, value] : options.get_string_map("headers")) {
      const std::string key = "headers." + header;
      const std::string folded = lower(header);
      if (header.empty() || !std::all_of(header.begin(), header.end(), token_char)) {
        bad(key, "is not a valid header name");
      } else if (kReserved.count(folded) || folded.rfind("x-replenish-", 0) == 0) {
        bad(key, "is set by the channel and cannot be configured");
      } else if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
        bad(key, "must not contain line breaks");
      } else {
        o.headers.emplace_back(header, value);
      }
    }
  }

  if (!ok) return nullptr;
  if (o.url.tls() && !o.verify_tls) {
    logger()->warn("event=tls_verification_disabled channel={} url={}", name, o.url.redacted());
  }
  return std::make_unique<WebhookChannel>(name, std::move(o), wall_clock(context));
}

}  // namespace replenish::notify
