#include "notify/channel.hpp"

#include <set>
#include <stdexcept>

#include "notify/channels/log.hpp"
#include "notify/channels/webhook.hpp"
#include "notify/channels/wechat_subscribe.hpp"
#include "notify/channels/wechat_template.hpp"
#include "notify/options.hpp"

namespace replenish::notify {

Outcome Outcome::delivered(std::string provider_id, std::string detail) {
  Outcome o;
  o.kind = Kind::kDelivered;
  o.provider_id = std::move(provider_id);
  o.detail = std::move(detail);
  return o;
}

Outcome Outcome::retryable(std::string detail, std::optional<std::int64_t> after) {
  Outcome o;
  o.kind = Kind::kRetryable;
  o.detail = std::move(detail);
  o.retry_after_seconds = after;
  return o;
}

Outcome Outcome::permanent(std::string detail) {
  Outcome o;
  o.kind = Kind::kPermanent;
  o.detail = std::move(detail);
  return o;
}

Outcome Outcome::skipped(std::string detail) {
  Outcome o;
  o.kind = Kind::kSkipped;
  o.detail = std::move(detail);
  return o;
}

const char* to_string(Outcome::Kind kind) {
  switch (kind) {
    case Outcome::Kind::kDelivered:
      return "delivered";
    case Outcome::Kind::kRetryable:
      return "retryable";
    case Outcome::Kind::kPermanent:
      return "permanent";
    case Outcome::Kind::kSkipped:
      return "skipped";
  }
  return "unknown";
}

void ChannelRegistry::add(const std::string& type, ChannelFactory factory) {
  if (type.empty() || !factory) {
    throw std::logic_error("channel type needs a name and a factory");
  }
  if (!factories_.emplace(type, std::move(factory)).second) {
    throw std::logic_error("channel type '" + type + "' is registered twice");
  }
}

bool ChannelRegistry::has(const std::string& type) const {
  return factories_.count(type) > 0;
}

std::vector<std::string> ChannelRegistry::types() const {
  std::vector<std::string> out;
  out.reserve(factories_.size());
  for (const auto& entry : factories_) out.push_back(entry.first);
  return out;
}

std::map<std::string, std::shared_ptr<Channel>> ChannelRegistry::build(
    const std::vector<config::ChannelSpec>& specs, const ChannelContext& context,
    std::map<std::string, ChannelLimits>* limits) const {
  config::Issues issues;
  std::map<std::string, std::shared_ptr<Channel>> built;
  std::set<std::string> names;
  std::string known;
  for (const auto& entry : factories_) known += (known.empty() ? "" : ", ") + entry.first;
  for (const auto& spec : specs) {
    const std::string path = spec.path.empty() ? "channels." + spec.name : spec.path;
    config::Reader options(spec.options, path, issues);
    if (!names.insert(spec.name).second) {
      options.error("", "duplicate channel name '" + spec.name + "'");
      continue;
    }
    const std::string type = given(options, "type") ? options.get_string("type", "") : "";
    const auto factory = factories_.find(type);
    if (type.empty()) {
      options.error("type", "is required (known types: " + known + ")");
      continue;
    }
    if (factory == factories_.end()) {
      options.error("type", "unknown channel type '" + type + "' (known types: " + known + ")");
      continue;
    }
    const std::size_t issues_before = issues.size();
    ChannelLimits limit;  // options of every type
    if (given(options, "concurrency")) {
      limit.concurrency = static_cast<int>(options.get_int("concurrency", 0, 1, 1000));
    }
    if (given(options, "rate_per_second")) {
      limit.rate_per_second = options.get_double("rate_per_second", 0, 0.001, 100000);
    }
    if (limits && limit.any()) (*limits)[spec.name] = limit;
    std::unique_ptr<Channel> channel = factory->second(spec.name, options, context);
    options.finish();
    if (!channel && issues.size() == issues_before) {
      options.error("", "the " + type + " channel could not be built");
    }
    if (channel && issues.size() == issues_before) built.emplace(spec.name, std::move(channel));
  }
  if (!issues.empty()) throw config::ConfigError(std::move(issues));
  return built;
}

void register_builtin_channels(ChannelRegistry& registry) {
  registry.add(LogChannel::kType, &make_log_channel);
  registry.add(WebhookChannel::kType, &make_webhook_channel);
  registry.add(WechatTemplateChannel::kType, &make_wechat_template_channel);
  registry.add(WechatSubscribeChannel::kType, &make_wechat_subscribe_channel);
}

}  // namespace replenish::notify
