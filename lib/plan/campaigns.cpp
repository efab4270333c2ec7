#include "plan/campaigns.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "plan/segments.hpp"

namespace replenish::plan {
namespace {

constexpr const char* kWechatTemplate = "wechat_template";

const std::set<std::string>& coupon_variables() {
  static const std::set<std::string> kVars{"coupon_code", "coupon_value", "coupon_expiry"};
  return kVars;
}

/// The text between Mustache tags: what a template says whatever the values.
std::string literal_text(const std::string& text) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto open = text.find("{{", at);
    if (open == std::string::npos) break;
    out += text.substr(at, open - at);
    const bool triple = text.compare(open, 3, "{{{") == 0;
    const auto close = text.find(triple ? "}}}" : "}}", open + 2);
    if (close == std::string::npos) return out;
    at = close + (triple ? 3 : 2);
  }
  if (at < text.size()) out += text.substr(at);
  return out;
}

/// Every variable with a value, as the dispatcher fills them; `coupon` decides whether the
/// coupon variables are set or empty.
nlohmann::json sample_vars(bool coupon) {
  notify::TemplateVars v;
  v.shop_name = "本店";
  v.user_id = "u1";
  v.category = "diapers";
  v.category_name = "纸尿裤";
  v.last_purchase_date = "3月1日";
  v.days_since_last = 12;
  v.predicted_date = "3月14日";
  v.due_date = "3月12日";
  v.kind = "replenish";
  if (coupon) {
    v.coupon_code = "RPL-TEST";
    v.coupon_value = "满99减10";
    v.coupon_expiry = "3月20日";
  }
  return v.to_json();
}

struct Checker {
  const config::Config& config;
  const notify::Templates& templates;
  CampaignCheck out;
  std::map<std::string, std::string> channel_types;  // name → type
  std::set<std::string> checked;

  void policy_issue(const std::string& path, const std::string& message) {
    (config.policy.enforce ? out.errors : out.warnings).push_back(config::Issue{path, message});
  }

  /// Marketing words in `text` (outside its tags) and coupon variables in `variables`.
  void check_wording(const std::string& path, const std::string& text,
                     const std::set<std::string>& variables, const std::string& channel) {
    const std::string literal = literal_text(text);
    for (const auto& word : config.policy.marketing_words) {
      if (literal.find(word) != std::string::npos) {
        policy_issue(path, fmt::format("contains '{}': WeChat's rules forbid coupon and "
                                       "marketing wording in template messages (channel {}); "
                                       "write a service reminder and let the link carry the "
                                       "coupon (policy.marketing_words)",
                                       word, channel));
        break;
      }
    }
    for (const auto& v : variables) {
      if (coupon_variables().count(v)) {
        policy_issue(path, fmt::format("uses {{{{{}}}}}: a coupon in a template message's text "
                                       "breaks WeChat's rules (channel {}); put "
                                       "{{{{coupon_code}}}} in url or miniprogram.pagepath",
                                       v, channel));
        break;
      }
    }
  }

  void check_template(const std::string& path, const std::string& name) {
    if (name.empty()) return;
    if (!templates.has(name)) {
      std::string known;
      for (const auto& n : templates.names()) {
        if (n.find('@') == std::string::npos) known += (known.empty() ? "" : ", ") + n;
      }
      out.errors.push_back(
          config::Issue{path, "unknown template '" + name + "' (known: " + known + ")"});
      return;
    }
    if (!checked.insert(name).second) return;
    for (const bool coupon : {true, false}) {
      try {
        templates.render(name, sample_vars(coupon));
      } catch (const std::exception& e) {
        out.errors.push_back(config::Issue{"templates." + name, e.what()});
        return;
      }
    }
  }

  void check_rule(const config::CampaignRule& rule) {
    check_template(rule.path + ".template", rule.template_name);
    check_template(rule.path + ".fallback_template", rule.fallback_template);
  }

  void run() {
    for (const auto& c : config.channels) channel_types[c.name] = c.type;
    std::set<std::string> types;
    for (const auto& [name, type] : channel_types) types.insert(type);

    for (const auto& campaign : config.campaigns) {
      for (const auto& rule : campaign.rules) check_rule(rule);
      if (campaign.follow_up.enabled) check_rule(campaign.follow_up.rule);
      if (campaign.win_back.enabled) check_rule(campaign.win_back.rule);
    }
    if (config.plan.merge_window_hours > 0)
      check_template("plan.merge_window_hours", kDigestTemplate);

    // Variants name a channel or a type; every template renders.
    for (const auto& name : templates.names()) {
      const auto at = name.find('@');
      if (at != std::string::npos) {
        const std::string target = name.substr(at + 1);
        if (!channel_types.count(target) && !types.count(target)) {
          out.errors.push_back(config::Issue{
              "templates." + name,
              "'" + target + "' is neither a configured channel nor the type of one"});
        }
      }
      check_template("templates." + name, name);
    }

    // WeChat template messages: service wording only, no coupon in the text.
    for (const auto& spec : config.channels) {
      if (spec.type != kWechatTemplate) continue;
      const YAML::Node& fields = spec.options["fields"];
      if (fields && fields.IsMap()) {
        for (const auto& kv : fields) {
          if (!kv.first.IsScalar() || !kv.second.IsScalar()) continue;  // the channel reports it
          const std::string field = kv.first.Scalar();
          const std::string text = kv.second.Scalar();
          std::set<std::string> variables;
          try {
            notify::Templates one({{"f", text}});
            variables = one.variables("f");
          } catch (const std::exception&) {
            // The channel's own checks report a broken field text.
          }
          check_wording(spec.path + ".fields." + field, text, variables, spec.name);
        }
      }
      for (const auto& name : templates.names()) {
        const auto at = name.find('@');
        if (at == std::string::npos) continue;
        const std::string target = name.substr(at + 1);
        if (target != spec.name && target != kWechatTemplate) continue;
        check_wording("templates." + name, literal_text_of(name), templates.variables(name),
                      spec.name);
      }
    }

    // Coupons issued for a wechat_template channel must ride in its link.
    for (const auto& campaign : config.campaigns) {
      bool coupons = false;
      for (const auto& r : campaign.rules) coupons = coupons || !r.coupon.empty();
      coupons = coupons || (campaign.follow_up.enabled && !campaign.follow_up.rule.coupon.empty());
      coupons = coupons || (campaign.win_back.enabled && !campaign.win_back.rule.coupon.empty());
      if (!coupons) continue;
      std::set<std::string> channels;
      for (const auto& cat : config.categories) {
        if (campaign_for(config, cat.slug) != &campaign) continue;
        for (const auto& name : channel_order_of(campaign, cat)) channels.insert(name);
      }
      for (const auto& spec : config.channels) {
        if (spec.type != kWechatTemplate || !channels.count(spec.name)) continue;
        const auto link = [&](const YAML::Node& n) {
          return n && n.IsScalar() && n.Scalar().find("coupon_code") != std::string::npos;
        };
        const YAML::Node& mp = spec.options["miniprogram"];
        const bool carried =
            link(spec.options["url"]) || (mp && mp.IsMap() && link(mp["pagepath"]));
        if (!carried) {
          out.warnings.push_back(config::Issue{
              spec.path, fmt::format("campaign '{}' issues coupons, but neither url nor "
                                     "miniprogram.pagepath of this wechat_template channel carries "
                                     "{{{{coupon_code}}}}: its messages cannot deliver the coupon",
                                     campaign.name)});
        }
      }
    }

    for (const auto& cat : config.categories) {
      if (!campaign_for(config, cat.slug)) {
        out.warnings.push_back(config::Issue{
            "campaigns",
            "category '" + cat.slug + "' belongs to no campaign: it gets no reminders"});
      }
    }
  }

  std::vector<std::string> channel_order_of(const config::CampaignConfig& campaign,
                                            const config::CategoryConfig& cat) const {
    if (!campaign.channels.empty()) return campaign.channels;
    if (!cat.channels.empty()) return cat.channels;
    return config.default_channels;
  }

  std::string literal_text_of(const std::string& name) const {
    const auto it = config.templates.find(name);
    return it == config.templates.end() ? std::string() : it->second;
  }
};

}  // namespace

std::string resolve_template(const notify::Templates& templates, const std::string& name,
                             const std::string& channel, const std::string& type) {
  if (!channel.empty() && templates.has(name + "@" + channel)) return name + "@" + channel;
  if (!type.empty() && templates.has(name + "@" + type)) return name + "@" + type;
  return name;
}

CampaignCheck check_campaigns(const config::Config& config, const notify::Templates& templates) {
  Checker checker{config, templates, {}, {}, {}};
  checker.run();
  return checker.out;
}

}  // namespace replenish::plan
