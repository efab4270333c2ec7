// `wechat_subscribe` channel: a mini-program subscribe message (小程序订阅消息), shown as a
// service notice that opens a page of the mini-program.
//
//   channels:
//     wx_mini:
//       type: wechat_subscribe
//       appid: wxabcdef1234567890           # the mini-program's AppID (required)
//       secret_file: wechat-mini.secret     # or `secret:`; the AppSecret (required, never logged)
//       template_id: 9Lk2…Hq                # the subscribe template (required)
//       page: "pages/coupon/index?code={{coupon_code}}&c={{category}}"   # optional
//       miniprogram_state: formal           # formal (default) | trial | developer
//       lang: zh_CN                         # zh_CN (default) | en_US | zh_HK | zh_TW
//       fields:                             # WeChat field name → text (required)
//         thing1: "{{category_name}}即将用完"  # the type comes from the name: thing
//         date2: "{{predicted_date}}"          # date
//         thing3: "点击查看为您准备的补货礼"    # a fixed text is checked at start-up
//         number4:                             # or name: {type, text}
//           type: number
//           text: "{{days_since_last}}"
//       # base_url, token_endpoint, access_token_url, timeout_ms, verify_tls, ca_file: as for
//       # wechat_template (wechat_template.hpp); concurrency, rate_per_second as for every type
//       # (notify/limits.hpp)
//
// Field types. A field's type is given with `type:`, or else taken from WeChat's field name: the
// name without its trailing digits (thing1 → thing, character_string12 → character_string,
// phone_number3 → phone_number); a name that names no type (keyword1) needs `type:`, and a `type:`
// that contradicts the name is an error. Every value has line breaks removed, tabs turned into
// spaces, other control characters dropped and spaces trimmed, then must follow WeChat's rule
// for its type (characters are code points; a symbol is any common sign that is not a Chinese
// character, letter or digit, e.g. - + . , : / ( ) ¥ 。，；):
//   thing             at most 20 characters, any; a longer value is cut to 19 and "…"
//   character_string  at most 32 digits, letters and symbols
//   number            at most 32 digits, possibly with one decimal point ("3", "12.5")
//   letter            at most 32 letters
//   symbol            at most 5 symbols
//   phrase            at most 5 Chinese characters ("配送中")
//   name              at most 10 characters when it has Chinese characters, else at most 20
//                     letters and symbols
//   amount            a currency symbol (¥ ￥ $ € £ ₩ ₹ ₽ ฿) and/or a trailing 元,
//                     and at most 10 digits, possibly with decimals ("¥12.50", "12.50元")
//   time              a 24-hour time H:MM or H:MM:SS, possibly after a date, or a range of two
//                     joined by ~ ("15:01", "2024年3月5日 15:01", "2024-03-05 10:00~12:00")
//   date              y年m月d日, y年m月, m月d日, or with - / . (2024-03-05, 2024-03, 03-05),
//                     possibly with a time, or a range joined by ~
//   phone_number      at most 17 digits and symbols ("+86-0766-66888866")
//   car_number        at most 8 letters and digits, the first and last may be Chinese
//                     ("粤A8Z888挂")
// Only a thing is cut to fit: shortening a number, code, date or name would change what it says.
// A value that breaks its rule makes the send permanent, with the field named ("field number4:
// 'a' is not allowed in a number (digits and a decimal point only)"), before any consent is
// spent. At start-up a fixed text is checked against its rule, and the fixed characters of a
// text with variables against the characters its type allows (number4: "{{days_since_last}}天"
// is refused: '天' can never be part of a number).
//
// Texts use the message template variables of templates.hpp. Subscribe messages are service
// notices, like template messages: keep coupons out of the text and let the coupon ride in
// `page`, where every variable's value is percent-encoded.
//
// Consent: outside a few public-service categories a mini-program only gets one-time consent:
// each "allow" the user taps in wx.requestSubscribeMessage allows one message of that template.
// The channel spends a credit of (user_id, template_id) from ChannelContext::consents before it
// sends (it cannot be built without a ledger); with none left the message is kSkipped ("no
// consent for template …") so that the dispatcher tries the next channel.
//
// Request: POST {base_url}/cgi-bin/message/subscribe/send?access_token=…
//   {"touser": openid, "template_id": …, "page": …, "miniprogram_state": "formal",
//    "lang": "zh_CN", "data": {"thing1": {"value": "洗衣液即将用完"}, …}}
//   The openid is Message::openids[appid], else Message::openid (the mini-program's openid
//   differs from the Official Account's); without one the message is kSkipped ("no openid").
//
// Outcomes (errcode of the answer):
//   0                      delivered, provider id = msgid (the reminder's key when absent);
//                          the credit is spent
//   43101                  the user refused, or has no subscription left: permanent, and the
//                          credit stays spent
//   40003, 40037, 47003,   invalid openid, template, data (errmsg names the field), page; any
//   41030, others          other errcode or HTTP 4xx: permanent, the credit is refunded
//   40001, 40014, 42001    token rejected: a fresh token and one more attempt within send(); a
//                          second rejection is retryable
//   45009, 45011, 43117,   quota, rate limit, busy; no answer, HTTP 5xx, no token: retryable,
//   -1, transport          the credit is refunded
// A timeout after WeChat accepted the message is refunded too: the retry then meets 43101
// (permanent) rather than a second message.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notify/channel.hpp"
#include "notify/consent.hpp"
#include "notify/templates.hpp"
#include "notify/wechat_api.hpp"

namespace replenish::notify {

/// The value types of subscribe message fields.
enum class FieldType {
  kThing,
  kCharacterString,
  kNumber,
  kLetter,
  kSymbol,
  kPhrase,
  kName,
  kAmount,
  kTime,
  kDate,
  kPhoneNumber,
  kCarNumber,
};

/// "thing", "character_string", …
const char* to_string(FieldType type);
/// The type named `name` ("thing"), or nullopt.
std::optional<FieldType> parse_field_type(std::string_view name);
/// The type a WeChat field name announces: its name without trailing digits ("thing1" → thing,
/// "phone_number3" → phone_number); nullopt for other names ("keyword1").
std::optional<FieldType> field_type_of_name(std::string_view field_name);
/// Every type name, comma-separated, for error messages.
std::string field_type_names();

/// A value made to follow its type's rule, or why it cannot.
struct FieldCheck {
  std::string value;  ///< cleaned (and for a thing, cut to 20 characters)
  std::string error;  ///< "" when the value follows the rule
  bool ok() const { return error.empty(); }
};

/// Applies WeChat's rule for `type` to a rendered value (see the table above).
FieldCheck conform_field_value(FieldType type, std::string_view value);

/// For a text with variables: "" when each of `fixed` (its characters outside the tags) may
/// appear in a value of `type`, else why the first one may not ("'天' can never be part of a
/// number (digits and a decimal point only)").
std::string check_fixed_characters(FieldType type, std::string_view fixed);

class WechatSubscribeChannel final : public Channel {
 public:
  static constexpr const char* kType = "wechat_subscribe";

  struct Field {
    std::string name;  ///< WeChat field name, "thing1"
    FieldType type = FieldType::kThing;
    std::string text;  ///< name of its text in Options::texts
  };

  struct Options {
    std::string template_id;
    std::vector<Field> fields;  ///< in config order
    /// Texts by key path: each field's, and "page" when configured.
    std::shared_ptr<const Templates> texts;
    bool page = false;
    std::string miniprogram_state = "formal";
    std::string lang = "zh_CN";
  };

  /// `consents` must outlive the channel.
  WechatSubscribeChannel(std::string name, Options options,
                         std::shared_ptr<AccessTokenCache> tokens, ConsentLedger& consents);

  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  Outcome send(const Message& message) override;

 private:
  /// The JSON body, or nullopt with `error` set when a text cannot be rendered or a value breaks
  /// its field's rule.
  std::optional<std::string> body(const Message& message, const std::string& openid,
                                  std::string& error) const;
  Outcome outcome_of(const WechatReply& reply, const Message& message) const;

  std::string name_;
  std::string type_ = kType;
  Options options_;
  ConsentLedger& consents_;
  std::shared_ptr<spdlog::logger> logger_;
  WechatApi api_;
};

/// ChannelFactory for `type: wechat_subscribe`.
std::unique_ptr<Channel> make_wechat_subscribe_channel(const std::string& name,
                                                       config::Reader& options,
                                                       const ChannelContext& context);

}  // namespace replenish::notify
