#include "notify/channels/wechat_template.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "notify/logging.hpp"
#include "notify/options.hpp"
#include "notify/utf8.hpp"

namespace replenish::notify {
namespace {

constexpr const char* kSendPath = "/cgi-bin/message/template/send";

bool field_name_ok(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool starts_with_http(std::string_view text) {
  const auto lower_prefix = [&](std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
    }
    return true;
  };
  return lower_prefix("http://") || lower_prefix("https://");
}

std::string lower_without_spaces(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

const nlohmann::json* find_key(const nlohmann::json& object, std::string_view key) {
  for (const auto& [name, value] : object.items()) {
    if (name.size() == key.size() &&
        std::equal(name.begin(), name.end(), key.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return &value;
    }
  }
  return nullptr;
}

}  // namespace

bool is_user_blocked(const Outcome& outcome) {
  return outcome.kind == Outcome::Kind::kPermanent &&
         std::string_view(outcome.detail).substr(0, kUserBlockedPrefix.size()) ==
             kUserBlockedPrefix;
}

WechatTemplateChannel::WechatTemplateChannel(std::string name, Options options,
                                             std::shared_ptr<AccessTokenCache> tokens)
    : name_(std::move(name)),
      options_(std::move(options)),
      logger_(logger()),
      api_(std::move(tokens)) {}

std::optional<std::string> WechatTemplateChannel::body(const Message& message,
                                                       const std::string& openid,
                                                       std::string& error) const {
  const Templates& texts = *options_.texts;
  nlohmann::ordered_json body;
  body["touser"] = openid;
  body["template_id"] = options_.template_id;
  if (options_.url) {
    auto url = render_text(texts, "url", message.vars, /*for_link=*/true, error);
    if (!url) return std::nullopt;
    body["url"] = *url;
  }
  if (!options_.miniprogram_appid.empty()) {
    nlohmann::ordered_json miniprogram{{"appid", options_.miniprogram_appid}};
    if (options_.pagepath) {
      auto page =
          render_text(texts, "miniprogram.pagepath", message.vars, /*for_link=*/true, error);
      if (!page) return std::nullopt;
      miniprogram["pagepath"] = *page;
    }
    body["miniprogram"] = std::move(miniprogram);
  }
  body["client_msg_id"] = message.key;
  // WeChat forbids coupons in a template message's text: whatever the field texts say (the
  // config check flags coupon variables in them), the coupon reaches them empty and travels
  // only in the landing link above.
  nlohmann::json field_vars = message.vars;
  if (field_vars.is_object()) {
    for (const char* name : {"coupon_code", "coupon_value", "coupon_expiry"}) {
      if (field_vars.contains(name)) field_vars[name] = "";
    }
  }
  nlohmann::ordered_json data = nlohmann::ordered_json::object();
  for (const auto& field : options_.fields) {
    auto text = render_text(texts, "fields." + field, field_vars, /*for_link=*/false, error);
    if (!text) return std::nullopt;
    data[field] = {{"value", utf8::truncate(clean_field_value(*text), kTemplateFieldMaxChars)}};
  }
  body["data"] = std::move(data);
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Outcome WechatTemplateChannel::outcome_of(const WechatReply& reply, const Message& message) const {
  namespace code = wechat_errcode;
  if (reply.failure) return *reply.failure;
  if (reply.errcode == code::kOk) {
    return Outcome::delivered(reply.msgid.empty() ? message.key : reply.msgid, "ok");
  }
  const std::string detail = errcode_detail(reply.errcode, reply.errmsg);
  if (is_token_errcode(reply.errcode)) {
    return Outcome::retryable(detail + " (a fresh access token was rejected too)");
  }
  if (auto retryable = retryable_errcode(reply.errcode, reply.errmsg)) return *retryable;
  if (reply.errcode == code::kUserNotFollowing || reply.errcode == code::kUserBlacklisted ||
      reply.errcode == code::kUserRefused) {
    return Outcome::permanent(std::string(kUserBlockedPrefix) + detail);
  }
  return Outcome::permanent(detail);
}

Outcome WechatTemplateChannel::send(const Message& message) {
  const auto started = std::chrono::steady_clock::now();
  const std::string& openid = openid_for(message, api_.appid());
  if (openid.empty()) {
    logger_->info("event=message_skipped channel={} reminder={} reason=no_openid", name_,
                  message.key);
    return Outcome::skipped("no openid");
  }
  std::string error;
  const auto payload = body(message, openid, error);
  WechatReply reply;
  Outcome outcome;
  if (!payload) {
    outcome = Outcome::permanent("cannot render " + error);
  } else {
    reply = api_.post(kSendPath, *payload);
    outcome = outcome_of(reply, message);
  }
  outcome.detail = redact(std::move(outcome.detail), openid);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  if (outcome.kind == Outcome::Kind::kDelivered) {
    logger_->info("event=message_sent channel={} reminder={} openid={} msgid={} sends={} ms={}",
                  name_, message.key, hashed_id(openid), outcome.provider_id, reply.sends, ms);
  } else {
    logger_->warn(
        "event=message_failed channel={} reminder={} openid={} outcome={} errcode={} sends={} "
        "ms={} detail={}",
        name_, message.key, hashed_id(openid), to_string(outcome.kind), reply.errcode, reply.sends,
        ms, quote_text(outcome.detail));
  }
  return outcome;
}

const char* to_string(TemplateReceipt::Status status) {
  switch (status) {
    case TemplateReceipt::Status::kDelivered:
      return "delivered";
    case TemplateReceipt::Status::kUserBlock:
      return "user_block";
    case TemplateReceipt::Status::kSystemFailed:
      return "system_failed";
    case TemplateReceipt::Status::kOther:
      return "other";
  }
  return "other";
}

std::optional<TemplateReceipt> parse_template_receipt(const nlohmann::json& event,
                                                      std::string* error) {
  const auto fail = [&](std::string why) -> std::optional<TemplateReceipt> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  if (!event.is_object()) return fail("expected a JSON object");
  if (const auto* name = find_key(event, "Event")) {
    if (!name->is_string() || name->get<std::string>() != "TEMPLATESENDJOBFINISH") {
      return fail("not a TEMPLATESENDJOBFINISH event");
    }
  }
  TemplateReceipt receipt;
  const auto* msgid = find_key(event, "MsgID");
  if (msgid && msgid->is_number_integer()) {
    receipt.msgid = msgid->dump();
  } else if (msgid && msgid->is_string() && !msgid->get_ref<const std::string&>().empty()) {
    receipt.msgid = msgid->get<std::string>();
  } else {
    return fail("MsgID is missing or not a number or string");
  }
  const auto* status = find_key(event, "Status");
  if (!status || !status->is_string()) return fail("Status is missing or not a string");
  receipt.raw = status->get<std::string>();
  const std::string folded = lower_without_spaces(receipt.raw);
  if (folded == "success") {
    receipt.status = TemplateReceipt::Status::kDelivered;
  } else if (folded == "failed:userblock") {
    receipt.status = TemplateReceipt::Status::kUserBlock;
  } else if (folded == "failed:systemfailed") {
    receipt.status = TemplateReceipt::Status::kSystemFailed;
  }
  return receipt;
}

std::unique_ptr<Channel> make_wechat_template_channel(const std::string& name,
                                                      config::Reader& options,
                                                      const ChannelContext& context) {
  bool ok = true;
  const auto bad = [&](const std::string& key, const std::string& why) {
    options.error(key, why);
    ok = false;
  };
  auto account = read_wechat_account(name, options, context);
  if (!account) ok = false;

  WechatTemplateChannel::Options o;
  o.template_id = options.req_string("template_id");
  if (o.template_id.empty()) ok = false;

  TemplateTexts texts;
  if (!options.has("fields")) {
    bad("fields",
        "is required: WeChat field name → text, e.g. thing1: \"{{category_name}}即将用完\"");
  }
  const auto field_texts = options.get_string_map("fields");
  if (options.has("fields") && field_texts.empty() && options.node()["fields"].IsMap()) {
    bad("fields", "must name at least one field");
  }
  for (const auto& [field, text] : field_texts) {
    if (!field_name_ok(field)) {
      bad("fields." + field, "is not a WeChat field name (letters, digits and _)");
      continue;
    }
    const std::size_t fixed = utf8::length(utf8::strip_line_breaks(literal_text(text)));
    if (fixed > kTemplateFieldMaxChars) {
      bad("fields." + field,
          fmt::format("its fixed text alone has {} characters; WeChat shows at most {}", fixed,
                      kTemplateFieldMaxChars));
    }
    o.fields.push_back(field);
    texts["fields." + field] = text;
  }

  if (given(options, "url")) {
    const std::string url = options.get_string("url", "");
    if (!starts_with_http(url)) bad("url", "must start with http:// or https://");
    o.url = true;
    texts["url"] = url;
  }
  if (given(options, "miniprogram")) {
    config::Reader miniprogram = options.child("miniprogram");
    o.miniprogram_appid = miniprogram.req_string("appid");
    if (o.miniprogram_appid.empty()) ok = false;
    if (given(miniprogram, "pagepath")) {
      o.pagepath = true;
      texts["miniprogram.pagepath"] = miniprogram.get_string("pagepath", "");
    }
    miniprogram.finish();
  }

  o.texts = compile_texts(options, texts);
  if (!o.texts) ok = false;
  if (!ok) return nullptr;
  return std::make_unique<WechatTemplateChannel>(
      name, std::move(o), shared_access_token_cache(*account, wall_clock(context)));
}

}  // namespace replenish::notify
