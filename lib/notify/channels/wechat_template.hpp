// `wechat_template` channel: an Official Account (服务号) template message.
//
//   channels:
//     wx_oa:
//       type: wechat_template
//       appid: wx1234567890abcdef          # the Official Account's AppID (required)
//       secret_file: wechat-oa.secret      # or `secret:`; the AppSecret (required, never logged)
//       template_id: Zx8k…Qw               # the template chosen in the MP admin (required)
//       fields:                            # WeChat field name → Mustache text (required)
//         thing1: "{{category_name}}即将用完"
//         time2: "{{predicted_date}}"
//         thing3: "上次购买于{{last_purchase_date}}"
//       miniprogram:                       # open a mini-program page (optional)
//         appid: wxabcdef1234567890        #   bound to the Official Account (required here)
//         pagepath: "pages/restock/index?c={{category}}&coupon={{coupon_code}}"
//       url: "https://shop.example/restock?c={{category}}&coupon={{coupon_code}}"  # optional
//       base_url: https://api.weixin.qq.com  # or the merchant's gateway speaking WeChat's API
//       token_endpoint: stable_token       # stable_token (default) | token
//       # access_token_url: https://gw.shop.example/wechat/token  # instead of secret: the
//       #                                  # gateway answers {"access_token", "expires_in"}
//       timeout_ms: 5000                   # connect, and each wait to send or receive
//       verify_tls: true
//       ca_file: /etc/replenish/gateway-ca.pem
//       rate_per_second: 50                # stay under the gateway's per-minute quota; with
//       concurrency: 8                     # it, every type's limits (notify/limits.hpp)
//
// Texts use the message template variables of templates.hpp ({{category_name}},
// {{predicted_date}}, {{coupon_code}}, …), checked at start-up like message templates. WeChat's
// rules for template messages (since May 2023) shape them:
//   - Template messages are service notices: coupons, vouchers and marketing are forbidden in
//     their text, so a reminder reads as a restock notice ("洗衣液即将用完") and the coupon rides
//     in the link (`url` or `miniprogram.pagepath`); tapping the card opens the coupon page.
//   - Every field value shows at most 20 characters and no line breaks: the channel removes line
//     breaks and cuts a longer value to 19 characters and "…" (code points, never inside a
//     UTF-8 sequence). A fixed text longer than 20 characters is a configuration error.
//   - In links every variable's value is percent-encoded, so a coupon code cannot break the URL.
//   - With both `url` and `miniprogram`, WeChat opens the mini-program (the url where the client
//     cannot).
//
// Request: POST {base_url}/cgi-bin/message/template/send?access_token=…
//   {"touser": openid, "template_id": …, "url": …, "miniprogram": {"appid": …, "pagepath": …},
//    "client_msg_id": <the reminder's key>, "data": {"thing1": {"value": "洗衣液即将用完"}, …}}
//   The openid is Message::openids[appid], else Message::openid; without one the message is
//   kSkipped ("no openid"). client_msg_id lets WeChat drop a retry's duplicate (for 10 minutes).
//
// Outcomes (errcode of the answer; detail "errcode N: errmsg" so that it can be recorded):
//   0                       delivered, provider id = msgid (the receipt event's MsgID)
//   40001, 40014, 42001     token rejected: invalidated, a fresh one fetched and the message
//                           sent once more within the same send(); a second rejection is
//                           retryable
//   45009, 45011            quota: retryable with a hint of 3600 s, 60 s
//   43117, -1               too many to this user, system busy: retryable
//   43004, 43019, 43101     the user does not follow, blocked the account or refused its
//                           messages: permanent, detail "user_blocked: errcode N: …"
//                           (kUserBlockedPrefix), so that the dispatcher can opt the user out of
//                           this channel
//   40003, 40037, 47003, …  invalid openid, template or data (errmsg names the field), any
//                           other errcode: permanent
//   no answer, HTTP 5xx     retryable (http.hpp); other HTTP statuses permanent; a token that
//                           cannot be obtained is retryable (wechat_token.hpp)
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notify/channel.hpp"
#include "notify/templates.hpp"
#include "notify/wechat_api.hpp"

namespace replenish::notify {

/// The start of an Outcome's detail when WeChat says the user cannot receive the account's
/// messages (43004, 43019, 43101): "user_blocked: errcode 43004: …".
inline constexpr std::string_view kUserBlockedPrefix = "user_blocked: ";

/// True for an outcome that says the user blocked the channel (detail starts with
/// kUserBlockedPrefix).
bool is_user_blocked(const Outcome& outcome);

/// WeChat's limit on a template message field value, in characters.
inline constexpr std::size_t kTemplateFieldMaxChars = 20;

class WechatTemplateChannel final : public Channel {
 public:
  static constexpr const char* kType = "wechat_template";

  struct Options {
    std::string template_id;
    std::vector<std::string> fields;  ///< WeChat field names, in config order
    /// Texts by key path: "fields.<name>", and "url", "miniprogram.pagepath" when configured.
    std::shared_ptr<const Templates> texts;
    bool url = false;
    std::string miniprogram_appid;  ///< "" = no miniprogram
    bool pagepath = false;
  };

  WechatTemplateChannel(std::string name, Options options,
                        std::shared_ptr<AccessTokenCache> tokens);

  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  Outcome send(const Message& message) override;

 private:
  /// The JSON body, or nullopt with `error` set when a text cannot be rendered.
  std::optional<std::string> body(const Message& message, const std::string& openid,
                                  std::string& error) const;
  Outcome outcome_of(const WechatReply& reply, const Message& message) const;

  std::string name_;
  std::string type_ = kType;
  Options options_;
  std::shared_ptr<spdlog::logger> logger_;
  WechatApi api_;
};

/// A template message's delivery receipt: the TEMPLATESENDJOBFINISH event WeChat pushes to the
/// account's server once the send job ends, as a gateway forwards it in JSON
/// ({"Event": "TEMPLATESENDJOBFINISH", "MsgID": 200163836, "Status": "success", …}).
struct TemplateReceipt {
  enum class Status {
    kDelivered,     ///< "success"
    kUserBlock,     ///< "failed:user block": the user refuses the account's messages
    kSystemFailed,  ///< "failed: system failed"
    kOther,         ///< any other status
  };
  std::string msgid;  ///< matches the provider id of the delivered Outcome
  Status status = Status::kOther;
  std::string raw;  ///< Status as received
};

const char* to_string(TemplateReceipt::Status status);

/// Parses a receipt. Keys are matched without regard to case (MsgID, MsgId, msgid); MsgID may be
/// a number or a string; Status is compared without regard to case and spaces. Returns nullopt,
/// with `error` set when given, for anything but an object with MsgID and Status, or when Event
/// is present and not TEMPLATESENDJOBFINISH.
std::optional<TemplateReceipt> parse_template_receipt(const nlohmann::json& event,
                                                      std::string* error = nullptr);

/// ChannelFactory for `type: wechat_template`.
std::unique_ptr<Channel> make_wechat_template_channel(const std::string& name,
                                                      config::Reader& options,
                                                      const ChannelContext& context);

}  // namespace replenish::notify
