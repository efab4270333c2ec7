// Start-up checks of campaigns against the message templates and the channels, and the choice of
// a template variant for a channel.
//
// Template variants: a template named "<name>@<channel>" (a channel instance name) or
// "<name>@<type>" (a channel type: webhook, log, wechat_template, wechat_subscribe) replaces
// "<name>" for messages sent through that channel; the instance wins over the type.
#pragma once

#include <string>

#include "config/config.hpp"
#include "config/reader.hpp"
#include "notify/templates.hpp"

namespace replenish::plan {

/// The template a message of template `name` uses on channel `channel` of type `type`:
/// "name@channel", else "name@type", else "name" (whether or not that exists).
std::string resolve_template(const notify::Templates& templates, const std::string& name,
                             const std::string& channel, const std::string& type);

/// The template merged messages (several categories in one message) use.
inline constexpr const char* kDigestTemplate = "digest";

struct CampaignCheck {
  config::Issues errors;    ///< the configuration cannot be used
  config::Issues warnings;  ///< it can, but something is probably not what was meant
};

/// Checks every campaign of `config` against `templates` (the defaults with the configured ones):
///   - each template a campaign names (rules, follow_up, win_back, fallback templates, and
///     "digest" when merging is on) exists and renders with the full set of variables, with
///     and without a coupon; a variant "x@y" names a configured channel or channel type;
///   - WeChat policy: on a wechat_template channel the text of every field, and any template
///     variant for that channel, contains none of policy.marketing_words and no coupon variable
///     (the coupon rides in url or miniprogram.pagepath): errors when policy.enforce, else
///     warnings;
///   - warnings: a campaign issuing coupons through a wechat_template channel whose link does
///     not carry {{coupon_code}}; a category that belongs to no campaign.
CampaignCheck check_campaigns(const config::Config& config, const notify::Templates& templates);

}  // namespace replenish::plan
