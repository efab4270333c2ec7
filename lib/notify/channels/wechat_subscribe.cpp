#include "notify/channels/wechat_subscribe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <utility>

#include "notify/logging.hpp"
#include "notify/options.hpp"
#include "notify/utf8.hpp"

namespace replenish::notify {
namespace {

constexpr const char* kSendPath = "/cgi-bin/message/subscribe/send";
constexpr std::size_t kThingMaxChars = 20;

constexpr std::array<std::pair<FieldType, const char*>, 12> kTypeNames{{
    {FieldType::kThing, "thing"},
    {FieldType::kCharacterString, "character_string"},
    {FieldType::kNumber, "number"},
    {FieldType::kLetter, "letter"},
    {FieldType::kSymbol, "symbol"},
    {FieldType::kPhrase, "phrase"},
    {FieldType::kName, "name"},
    {FieldType::kAmount, "amount"},
    {FieldType::kTime, "time"},
    {FieldType::kDate, "date"},
    {FieldType::kPhoneNumber, "phone_number"},
    {FieldType::kCarNumber, "car_number"},
}};

// --- characters ------------------------------------------------------------------------------

/// Code points of well-formed UTF-8.
std::u32string decode(std::string_view text) {
  std::u32string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    const int extra = b < 0x80 ? 0 : b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
    char32_t cp = extra == 0 ? b : extra == 1 ? (b & 0x1F) : extra == 2 ? (b & 0x0F) : (b & 0x07);
    for (int k = 1; k <= extra && i + static_cast<std::size_t>(k) < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]) & 0x3F);
    }
    out += cp;
    i += static_cast<std::size_t>(extra) + 1;
  }
  return out;
}

std::string encode(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

std::string encode(const std::u32string& text) {
  std::string out;
  for (const char32_t cp : text) out += encode(cp);
  return out;
}

bool is_han(char32_t c) {
  return (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3134F);
}

bool is_digit(char32_t c) {
  return c >= U'0' && c <= U'9';
}

bool is_letter(char32_t c) {
  return (c >= U'A' && c <= U'Z') || (c >= U'a' && c <= U'z');
}

/// A common sign that is not a Chinese character, letter or digit: ASCII punctuation and space,
/// Latin-1 signs, general punctuation, currency, letterlike, arrows, maths and other symbols,
/// CJK punctuation and full-width signs.
bool is_symbol(char32_t c) {
  if (c < 0x80) return (c >= 0x20 && c < 0x7f) && !is_digit(c) && !is_letter(c);
  return (c >= 0xA1 && c <= 0xBF) || c == 0xD7 || c == 0xF7 || (c >= 0x2010 && c <= 0x2BFF) ||
         (c >= 0x3000 && c <= 0x303F) || (c >= 0xFE30 && c <= 0xFE4F) ||
         (c >= 0xFF01 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20) ||
         (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65) ||
         (c >= 0xFFE0 && c <= 0xFFEE);
}

bool is_currency(char32_t c) {
  return c == U'¥' || c == U'￥' || c == U'$' || c == U'€' || c == U'£' || c == U'₩' || c == U'₹' ||
         c == U'₽' || c == U'฿';
}

bool is_time_char(char32_t c) {
  return is_digit(c) || c == U'年' || c == U'月' || c == U'日' || c == U':' || c == U'-' ||
         c == U'/' || c == U'.' || c == U'~' || c == U'～' || c == U' ';
}

/// Characters a value of `type` may hold, and how to say so.
struct Charset {
  bool (*allows)(char32_t);
  const char* description;
};

Charset charset(FieldType type) {
  switch (type) {
    case FieldType::kThing:
      return {[](char32_t) { return true; }, "any characters"};
    case FieldType::kCharacterString:
      return {[](char32_t c) { return is_digit(c) || is_letter(c) || is_symbol(c); },
              "digits, letters and symbols only"};
    case FieldType::kNumber:
      return {[](char32_t c) { return is_digit(c) || c == U'.'; },
              "digits and a decimal point only"};
    case FieldType::kLetter:
      return {is_letter, "letters only"};
    case FieldType::kSymbol:
      return {is_symbol, "symbols only"};
    case FieldType::kPhrase:
      return {is_han, "Chinese characters only"};
    case FieldType::kName:
      return {[](char32_t c) { return is_han(c) || is_letter(c) || is_symbol(c); },
              "Chinese characters, letters and symbols only"};
    case FieldType::kAmount:
      return {[](char32_t c) { return is_digit(c) || c == U'.' || c == U'元' || is_currency(c); },
              "a currency symbol, digits, a decimal point and 元 only"};
    case FieldType::kTime:
    case FieldType::kDate:
      return {is_time_char, "digits, 年月日, spaces and : - / . ~ only"};
    case FieldType::kPhoneNumber:
      return {[](char32_t c) { return is_digit(c) || is_symbol(c); }, "digits and symbols only"};
    case FieldType::kCarNumber:
      return {[](char32_t c) { return is_han(c) || is_letter(c) || is_digit(c); },
              "Chinese characters, letters and digits only"};
  }
  return {[](char32_t) { return true; }, ""};
}

/// "" when every character is allowed, else "'x' is not allowed in a <type> (<charset>)".
std::string bad_character(FieldType type, const std::u32string& value) {
  const Charset set = charset(type);
  for (const char32_t c : value) {
    if (!set.allows(c)) {
      return fmt::format("'{}' is not allowed in a {} ({})", encode(c), to_string(type),
                         set.description);
    }
  }
  return {};
}

// --- times and dates -------------------------------------------------------------------------

class Scanner {
 public:
  explicit Scanner(const std::u32string& text) : text_(text) {}
  std::size_t pos = 0;

  bool done() const { return pos == text_.size(); }
  bool eat(char32_t c) {
    if (pos < text_.size() && text_[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  /// Reads min..max digits not followed by another digit; reads nothing on failure.
  bool number(int min, int max, int& value) {
    std::size_t at = pos;
    int count = 0;
    int v = 0;
    while (at < text_.size() && count < max && is_digit(text_[at])) {
      v = v * 10 + static_cast<int>(text_[at] - U'0');
      ++at;
      ++count;
    }
    if (count < min || (at < text_.size() && is_digit(text_[at]))) return false;
    pos = at;
    value = v;
    return true;
  }
  void spaces() {
    while (pos < text_.size() && text_[pos] == U' ') ++pos;
  }

 private:
  const std::u32string& text_;
};

bool month_ok(int m) {
  return m >= 1 && m <= 12;
}
bool day_ok(int d) {
  return d >= 1 && d <= 31;
}

/// y年m月d日, y年m月, m月d日, y-m-d, y-m, m-d (also with / or .).
bool scan_date(Scanner& s) {
  const std::size_t start = s.pos;
  int y = 0;
  int m = 0;
  int d = 0;
  if (s.number(4, 4, y)) {
    if (s.eat(U'年')) {
      if (!(s.number(1, 2, m) && month_ok(m) && s.eat(U'月'))) {
        s.pos = start;
        return false;
      }
      const std::size_t after_month = s.pos;
      if (s.number(1, 2, d) && day_ok(d) && s.eat(U'日')) return true;
      s.pos = after_month;
      return true;
    }
    for (const char32_t sep : {U'-', U'/', U'.'}) {
      if (!s.eat(sep)) continue;
      if (!(s.number(1, 2, m) && month_ok(m))) break;
      const std::size_t after_month = s.pos;
      if (s.eat(sep) && s.number(1, 2, d) && day_ok(d)) return true;
      s.pos = after_month;
      return true;
    }
    s.pos = start;
    return false;
  }
  if (s.number(1, 2, m) && month_ok(m)) {
    const std::size_t after_month = s.pos;
    if (s.eat(U'月') && s.number(1, 2, d) && day_ok(d) && s.eat(U'日')) return true;
    for (const char32_t sep : {U'-', U'/', U'.'}) {
      s.pos = after_month;
      if (s.eat(sep) && s.number(1, 2, d) && day_ok(d)) return true;
    }
  }
  s.pos = start;
  return false;
}

/// H:MM or H:MM:SS, 24-hour.
bool scan_clock(Scanner& s) {
  const std::size_t start = s.pos;
  int h = 0;
  int m = 0;
  int sec = 0;
  if (!(s.number(1, 2, h) && h <= 23 && s.eat(U':') && s.number(2, 2, m) && m <= 59)) {
    s.pos = start;
    return false;
  }
  const std::size_t after_minutes = s.pos;
  if (s.eat(U':') && s.number(2, 2, sec) && sec <= 59) return true;
  s.pos = after_minutes;
  return true;
}

/// A time, possibly after a date.
bool scan_time_point(Scanner& s) {
  const std::size_t start = s.pos;
  if (scan_date(s)) {
    s.spaces();
    if (scan_clock(s)) return true;
  }
  s.pos = start;
  return scan_clock(s);
}

/// A date, possibly with a time.
bool scan_date_point(Scanner& s) {
  if (!scan_date(s)) return false;
  const std::size_t after_date = s.pos;
  s.spaces();
  if (scan_clock(s)) return true;
  s.pos = after_date;
  return true;
}

/// One point, or two joined by ~, and nothing else.
bool whole_range(const std::u32string& value, bool (*point)(Scanner&)) {
  Scanner s(value);
  if (!point(s)) return false;
  const std::size_t after_first = s.pos;
  s.spaces();
  if (s.eat(U'~') || s.eat(U'～')) {
    s.spaces();
    if (!point(s)) return false;
  } else {
    s.pos = after_first;
  }
  return s.done();
}

// --- the rules -------------------------------------------------------------------------------

std::string too_long(std::size_t count, const char* unit, const char* what, std::size_t max) {
  return fmt::format("has {} {}; {} allows at most {}", count, unit, what, max);
}

std::string check_number(const std::u32string& v) {
  if (auto bad = bad_character(FieldType::kNumber, v); !bad.empty()) return bad;
  const auto dot = v.find(U'.');
  if (dot == 0 || dot == v.size() - 1 ||
      (dot != std::u32string::npos && v.find(U'.', dot + 1) != std::u32string::npos)) {
    return fmt::format("'{}' is not a number", encode(v));
  }
  const std::size_t digits = v.size() - (dot == std::u32string::npos ? 0 : 1);
  return digits > 32 ? too_long(digits, "digits", "a number", 32) : std::string();
}

std::string check_amount(const std::u32string& v) {
  const std::string form = fmt::format(
      "'{}' is not an amount (a currency symbol and at most 10 digits, e.g. ¥12.50)", encode(v));
  std::size_t i = 0;
  const bool currency = is_currency(v[0]);
  if (currency) ++i;
  std::size_t digits = 0;
  const std::size_t integer_start = i;
  while (i < v.size() && is_digit(v[i])) {
    ++i;
    ++digits;
  }
  if (i == integer_start) return form;
  if (i < v.size() && v[i] == U'.') {
    const std::size_t fraction_start = ++i;
    while (i < v.size() && is_digit(v[i])) {
      ++i;
      ++digits;
    }
    if (i == fraction_start) return form;
  }
  const bool yuan = i < v.size() && v[i] == U'元';
  if (yuan) ++i;
  if (i != v.size() || (!currency && !yuan)) return form;
  return digits > 10 ? too_long(digits, "digits", "an amount", 10) : std::string();
}

std::string check_car_number(const std::u32string& v) {
  bool ok = v.size() >= 2 && v.size() <= 8;
  for (std::size_t i = 0; ok && i < v.size(); ++i) {
    const bool end = i == 0 || i == v.size() - 1;
    ok = is_letter(v[i]) || is_digit(v[i]) || (end && is_han(v[i]));
  }
  return ok ? std::string()
            : fmt::format(
                  "'{}' is not a car_number (at most 8 letters and digits, the first and last "
                  "may be Chinese)",
                  encode(v));
}

std::string check_name(const std::u32string& v) {
  if (auto bad = bad_character(FieldType::kName, v); !bad.empty()) return bad;
  const bool chinese = std::any_of(v.begin(), v.end(), is_han);
  if (chinese && v.size() > 10) {
    return too_long(v.size(), "characters", "a name with Chinese characters", 10);
  }
  return v.size() > 20 ? too_long(v.size(), "characters", "a name", 20) : std::string();
}

std::string check_plain(FieldType type, const std::u32string& v, std::size_t max) {
  if (auto bad = bad_character(type, v); !bad.empty()) return bad;
  if (v.size() <= max) return {};
  const std::string what = std::string("a ") + to_string(type);
  return too_long(v.size(), "characters", what.c_str(), max);
}

std::string trim_spaces(std::string s) {
  const auto first = s.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(' ') - first + 1);
}

}  // namespace

const char* to_string(FieldType type) {
  for (const auto& [t, name] : kTypeNames) {
    if (t == type) return name;
  }
  return "thing";
}

std::optional<FieldType> parse_field_type(std::string_view name) {
  for (const auto& [type, type_name] : kTypeNames) {
    if (name == type_name) return type;
  }
  return std::nullopt;
}

std::optional<FieldType> field_type_of_name(std::string_view field_name) {
  while (!field_name.empty() && field_name.back() >= '0' && field_name.back() <= '9') {
    field_name.remove_suffix(1);
  }
  return parse_field_type(field_name);
}

std::string field_type_names() {
  std::string out;
  for (const auto& entry : kTypeNames) out += (out.empty() ? "" : ", ") + std::string(entry.second);
  return out;
}

FieldCheck conform_field_value(FieldType type, std::string_view value) {
  FieldCheck out;
  out.value = trim_spaces(clean_field_value(value));
  if (!utf8::valid(out.value)) {
    out.error = "is not valid UTF-8";
    return out;
  }
  if (out.value.empty()) {
    out.error = "is empty";
    return out;
  }
  const std::u32string v = decode(out.value);
  switch (type) {
    case FieldType::kThing:
      out.value = utf8::truncate(out.value, kThingMaxChars);
      break;
    case FieldType::kCharacterString:
      out.error = check_plain(type, v, 32);
      break;
    case FieldType::kNumber:
      out.error = check_number(v);
      break;
    case FieldType::kLetter:
      out.error = check_plain(type, v, 32);
      break;
    case FieldType::kSymbol:
    case FieldType::kPhrase:
      out.error = check_plain(type, v, 5);
      break;
    case FieldType::kName:
      out.error = check_name(v);
      break;
    case FieldType::kAmount:
      out.error = check_amount(v);
      break;
    case FieldType::kTime:
      if (!whole_range(v, scan_time_point)) {
        out.error = fmt::format(
            "'{}' is not a time (e.g. 15:01, 2024年3月5日 15:01, 2024-03-05 10:00~12:00)",
            out.value);
      }
      break;
    case FieldType::kDate:
      if (!whole_range(v, scan_date_point)) {
        out.error = fmt::format(
            "'{}' is not a date (e.g. 2024年3月5日, 2024-03-05, 3月5日, 2024-03-05 10:00)",
            out.value);
      }
      break;
    case FieldType::kPhoneNumber:
      out.error = check_plain(type, v, 17);
      break;
    case FieldType::kCarNumber:
      out.error = check_car_number(v);
      break;
  }
  return out;
}

std::string check_fixed_characters(FieldType type, std::string_view fixed) {
  const std::string cleaned = clean_field_value(fixed);
  if (!utf8::valid(cleaned)) return "is not valid UTF-8";
  const Charset set = charset(type);
  for (const char32_t c : decode(cleaned)) {
    if (!set.allows(c)) {
      return fmt::format("'{}' can never be part of a {} ({})", encode(c), to_string(type),
                         set.description);
    }
  }
  return {};
}

WechatSubscribeChannel::WechatSubscribeChannel(std::string name, Options options,
                                               std::shared_ptr<AccessTokenCache> tokens,
                                               ConsentLedger& consents)
    : name_(std::move(name)),
      options_(std::move(options)),
      consents_(consents),
      logger_(logger()),
      api_(std::move(tokens)) {}

std::optional<std::string> WechatSubscribeChannel::body(const Message& message,
                                                        const std::string& openid,
                                                        std::string& error) const {
  const Templates& texts = *options_.texts;
  nlohmann::ordered_json body;
  body["touser"] = openid;
  body["template_id"] = options_.template_id;
  if (options_.page) {
    std::string why;
    auto page = render_text(texts, "page", message.vars, /*for_link=*/true, why);
    if (!page) {
      error = "cannot render " + why;
      return std::nullopt;
    }
    body["page"] = *page;
  }
  body["miniprogram_state"] = options_.miniprogram_state;
  body["lang"] = options_.lang;
  nlohmann::ordered_json data = nlohmann::ordered_json::object();
  for (const auto& field : options_.fields) {
    std::string why;
    auto text = render_text(texts, field.text, message.vars, /*for_link=*/false, why);
    if (!text) {
      error = "cannot render " + why;
      return std::nullopt;
    }
    FieldCheck check = conform_field_value(field.type, *text);
    if (!check.ok()) {
      error = "field " + field.name + ": " + check.error;
      return std::nullopt;
    }
    data[field.name] = {{"value", std::move(check.value)}};
  }
  body["data"] = std::move(data);
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Outcome WechatSubscribeChannel::outcome_of(const WechatReply& reply, const Message& message) const {
  if (reply.failure) return *reply.failure;
  if (reply.errcode == wechat_errcode::kOk) {
    return Outcome::delivered(reply.msgid.empty() ? message.key : reply.msgid, "ok");
  }
  const std::string detail = errcode_detail(reply.errcode, reply.errmsg);
  if (is_token_errcode(reply.errcode)) {
    return Outcome::retryable(detail + " (a fresh access token was rejected too)");
  }
  if (auto retryable = retryable_errcode(reply.errcode, reply.errmsg)) return *retryable;
  return Outcome::permanent(detail);
}

Outcome WechatSubscribeChannel::send(const Message& message) {
  const auto started = std::chrono::steady_clock::now();
  const std::string& openid = openid_for(message, api_.appid());
  const auto skip = [&](const char* reason, std::string detail) {
    logger_->info("event=message_skipped channel={} reminder={} reason={}", name_, message.key,
                  reason);
    return Outcome::skipped(std::move(detail));
  };
  if (openid.empty()) return skip("no_openid", "no openid");
  std::string error;
  const auto payload = body(message, openid, error);
  if (!payload) {
    logger_->warn(
        "event=message_failed channel={} reminder={} openid={} outcome=permanent errcode=0 "
        "sends=0 ms=0 consent=unused detail={}",
        name_, message.key, hashed_id(openid), quote_text(error));
    return Outcome::permanent(redact(std::move(error), openid));
  }
  if (!consents_.consume(message.user_id, options_.template_id)) {
    return skip("no_consent", "no consent for template " + options_.template_id);
  }

  const WechatReply reply = api_.post(kSendPath, *payload);
  Outcome outcome = outcome_of(reply, message);
  outcome.detail = redact(std::move(outcome.detail), openid);
  // The credit is gone when the message reached the user, or when WeChat says the user has no
  // subscription left (43101); anything else did not reach the user.
  const bool spent = outcome.kind == Outcome::Kind::kDelivered ||
                     (!reply.failure && reply.errcode == wechat_errcode::kUserRefused);
  if (!spent) consents_.refund(message.user_id, options_.template_id);

  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  if (outcome.kind == Outcome::Kind::kDelivered) {
    logger_->info(
        "event=message_sent channel={} reminder={} openid={} msgid={} sends={} ms={} "
        "consent=spent",
        name_, message.key, hashed_id(openid), outcome.provider_id, reply.sends, ms);
  } else {
    logger_->warn(
        "event=message_failed channel={} reminder={} openid={} outcome={} errcode={} sends={} "
        "ms={} consent={} detail={}",
        name_, message.key, hashed_id(openid), to_string(outcome.kind), reply.errcode, reply.sends,
        ms, spent ? "spent" : "refunded", quote_text(outcome.detail));
  }
  return outcome;
}

std::unique_ptr<Channel> make_wechat_subscribe_channel(const std::string& name,
                                                       config::Reader& options,
                                                       const ChannelContext& context) {
  bool ok = true;
  const auto bad = [&](const std::string& key, const std::string& why) {
    options.error(key, why);
    ok = false;
  };
  if (!context.consents) {
    bad("", "needs a consent ledger (ChannelContext.consents), which this program does not give");
  }
  auto account = read_wechat_account(name, options, context);
  if (!account) ok = false;

  WechatSubscribeChannel::Options o;
  o.template_id = options.req_string("template_id");
  if (o.template_id.empty()) ok = false;

  if (given(options, "miniprogram_state")) {
    o.miniprogram_state = options.get_string("miniprogram_state", "formal");
    if (o.miniprogram_state != "formal" && o.miniprogram_state != "trial" &&
        o.miniprogram_state != "developer") {
      bad("miniprogram_state",
          "must be formal, trial or developer, got '" + o.miniprogram_state + "'");
    }
  }
  if (given(options, "lang")) {
    o.lang = options.get_string("lang", "zh_CN");
    if (o.lang != "zh_CN" && o.lang != "en_US" && o.lang != "zh_HK" && o.lang != "zh_TW") {
      bad("lang", "must be zh_CN, en_US, zh_HK or zh_TW, got '" + o.lang + "'");
    }
  }

  TemplateTexts texts;
  if (given(options, "page")) {
    o.page = true;
    texts["page"] = options.get_string("page", "");
  }

  if (!options.has("fields")) {
    bad("fields",
        "is required: WeChat field name → text, e.g. thing1: \"{{category_name}}即将用完\"");
  }
  config::Reader fields = options.child("fields");
  // Texts to check against their field's rule once they compile: (field, its text).
  std::vector<std::pair<WechatSubscribeChannel::Field, std::string>> to_check;
  for (const auto& key : fields.keys()) {
    const YAML::Node& node = fields.node()[key];
    std::string text;
    std::string text_key = "fields." + key;
    std::optional<FieldType> type;
    bool type_given = false;
    if (node.IsMap()) {
      config::Reader field = fields.child(key);
      text_key += ".text";
      if (given(field, "type")) {
        type_given = true;
        const std::string type_name = field.get_string("type", "");
        type = parse_field_type(type_name);
        if (!type) {
          field.error("type",
                      "unknown field type '" + type_name + "' (known: " + field_type_names() + ")");
          ok = false;
        }
      }
      text = field.req_string("text");
      if (text.empty()) ok = false;
      field.finish();
    } else {
      text = fields.get_string(key, "");
    }
    const auto announced = field_type_of_name(key);
    if (!type_given && !announced) {
      bad("fields." + key,
          "the name does not tell the field type; give type: (one of " + field_type_names() + ")");
    }
    if (!type_given) type = announced;
    if (type && announced && type != announced) {
      bad("fields." + key + ".type", std::string("is ") + to_string(*type) +
                                         ", but the field name says " + to_string(*announced));
    }
    if (!type) continue;
    const WechatSubscribeChannel::Field field{key, *type, text_key};
    o.fields.push_back(field);
    texts[text_key] = text;
    to_check.emplace_back(field, text);
  }
  if (options.has("fields") && fields.keys().empty() && options.node()["fields"].IsMap()) {
    bad("fields", "must name at least one field");
  }
  fields.finish();

  o.texts = compile_texts(options, texts);
  if (!o.texts) ok = false;
  for (const auto& [field, text] : to_check) {
    if (!o.texts || !o.texts->has(field.text)) continue;
    const std::string fixed = literal_text(text);
    if (field.type == FieldType::kThing) {
      const std::size_t length = utf8::length(utf8::strip_line_breaks(fixed));
      if (length > kThingMaxChars) {
        bad(field.text, fmt::format("its fixed text alone has {} characters; WeChat allows at "
                                    "most {}",
                                    length, kThingMaxChars));
      }
    } else if (o.texts->variables(field.text).empty()) {
      const FieldCheck check = conform_field_value(field.type, text);
      if (!check.ok()) bad(field.text, check.error);
    } else if (auto why = check_fixed_characters(field.type, fixed); !why.empty()) {
      bad(field.text, why);
    }
  }
  if (!ok) return nullptr;
  return std::make_unique<WechatSubscribeChannel>(
      name, std::move(o), shared_access_token_cache(*account, wall_clock(context)),
      *context.consents);
}

}  // namespace replenish::notify
