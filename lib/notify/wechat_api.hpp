// What the WeChat channels share: the account options, calls to WeChat's message APIs with an
// access token (one more attempt with a fresh token when WeChat rejects it), errcode helpers, and
// the Mustache texts of fields and links. Message formats stay in the channels; the HTTP transport
// is http.hpp's.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/reader.hpp"
#include "notify/channel.hpp"
#include "notify/http.hpp"
#include "notify/templates.hpp"
#include "notify/wechat_token.hpp"

namespace replenish::notify {

inline constexpr const char* kWechatBaseUrl = "https://api.weixin.qq.com";

/// Reads the account keys every WeChat channel accepts:
///   appid            (required)
///   secret | secret_file  the AppSecret, or a file holding it (relative to the config folder);
///                    one is required unless access_token_url is given
///   base_url         WeChat's API or a gateway speaking it (default https://api.weixin.qq.com)
///   token_endpoint   stable_token (default) | token
///   access_token_url the merchant's gateway hands out tokens (GET; no secret here)
///   timeout_ms, verify_tls, ca_file   as for the webhook channel
/// Reports problems through `options`; nullopt when there were any. Warns at start-up when
/// channel `name` does not verify TLS certificates.
std::optional<AccessTokenOptions> read_wechat_account(const std::string& name,
                                                      config::Reader& options,
                                                      const ChannelContext& context);

/// errcode values the WeChat channels tell apart (WeChat's global return codes and those of the
/// template and subscribe message APIs).
namespace wechat_errcode {
inline constexpr std::int64_t kSystemBusy = -1;
inline constexpr std::int64_t kOk = 0;
inline constexpr std::int64_t kInvalidCredential = 40001;
inline constexpr std::int64_t kInvalidOpenid = 40003;
inline constexpr std::int64_t kInvalidAccessToken = 40014;
inline constexpr std::int64_t kInvalidTemplateId = 40037;
inline constexpr std::int64_t kInvalidPage = 41030;
inline constexpr std::int64_t kAccessTokenExpired = 42001;
inline constexpr std::int64_t kUserNotFollowing = 43004;
inline constexpr std::int64_t kUserBlacklisted = 43019;
inline constexpr std::int64_t kUserRefused = 43101;
inline constexpr std::int64_t kTooManyToUser = 43117;
inline constexpr std::int64_t kDailyQuota = 45009;
inline constexpr std::int64_t kMinuteQuota = 45011;
inline constexpr std::int64_t kInvalidData = 47003;
}  // namespace wechat_errcode

/// 40001, 40014, 42001: the access token was rejected.
bool is_token_errcode(std::int64_t errcode);

/// "errcode 45009: reach max api daily quota limit rid: …": errmsg on one line, shortened.
std::string errcode_detail(std::int64_t errcode, std::string_view errmsg);

/// The retryable outcome of an errcode that may pass (-1 busy; 45009 daily quota, hint 3600 s;
/// 45011 per-minute quota, hint 60 s; 43117 too many messages to the user; a token rejected
/// twice), or nullopt.
std::optional<Outcome> retryable_errcode(std::int64_t errcode, std::string_view errmsg);

/// One call's answer.
struct WechatReply {
  /// Set when WeChat's answer is missing: no token, a transport failure, an HTTP error status
  /// (mapped by http.hpp), or a body that is not a JSON object (retryable).
  std::optional<Outcome> failure;
  std::int64_t errcode = 0;  ///< 0 when absent
  std::string errmsg;
  std::string msgid;  ///< "msgid" (number or string) as text, "" when absent
  int sends = 0;      ///< requests made (2 after a rejected token)
};

/// POSTs JSON bodies to one account's message APIs.
class WechatApi {
 public:
  WechatApi(std::shared_ptr<AccessTokenCache> tokens);

  /// POSTs `body` to `{base_url}{path}?access_token=…`. When the answer rejects the token
  /// (is_token_errcode), the token is invalidated and the request is made once more with a fresh
  /// one, within this call; a second rejection is returned as it is. Safe to call from several
  /// threads at once.
  WechatReply post(const std::string& path, const std::string& body);

  const std::string& appid() const { return tokens_->options().appid; }
  AccessTokenCache& tokens() { return *tokens_; }

 private:
  WechatReply post_once(const std::string& path, const std::string& body, const std::string& token);

  std::shared_ptr<AccessTokenCache> tokens_;
  std::string prefix_;
  HttpClientPool pool_;
};

/// Compiles a channel's Mustache texts, named by their key path within the channel
/// ("fields.thing1", "url", "miniprogram.pagepath"), with the checks of message templates
/// (syntax, known variables, UTF-8, not empty). Problems are reported at those key paths;
/// nullptr when there were any.
std::shared_ptr<const Templates> compile_texts(config::Reader& options, const TemplateTexts& texts);

/// Renders text `name` of `texts` with the message's variables; in a link (`for_link`) every
/// string value is percent-encoded first, so that a coupon code cannot break the URL. On a
/// variable without a value, returns nullopt and sets `error`.
std::optional<std::string> render_text(const Templates& texts, const std::string& name,
                                       const nlohmann::json& vars, bool for_link,
                                       std::string& error);

/// `text` with its Mustache tags removed: the fixed characters it always shows (those inside
/// sections included).
std::string literal_text(std::string_view text);

/// A field value as WeChat accepts it: line breaks removed, tabs as spaces, other control
/// characters dropped.
std::string clean_field_value(std::string_view value);

/// The message's openid for `appid` (Message::openids), else Message::openid.
const std::string& openid_for(const Message& message, const std::string& appid);

/// `text` with every occurrence of `secret` (an access token, an openid) replaced by "…".
std::string redact(std::string text, std::string_view secret);

}  // namespace replenish::notify
