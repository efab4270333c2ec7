#include <doctest/doctest.h>

#include <algorithm>

#include "notify/channel.hpp"
#include "notify/options.hpp"
#include "support.hpp"

namespace replenish::notify {
namespace {

class FixedChannel final : public Channel {
 public:
  explicit FixedChannel(std::string name) : name_(std::move(name)) {}
  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  Outcome send(const Message& message) override { return Outcome::delivered(message.key); }

 private:
  std::string name_;
  std::string type_ = "fixed";
};

std::unique_ptr<Channel> make_fixed(const std::string& name, config::Reader& options,
                                    const ChannelContext& /*context*/) {
  const auto size = given(options, "size") ? options.get_int("size", 1, 1, 10) : 1;
  if (size == 7) {
    options.error("size", "seven is unlucky");
    return nullptr;
  }
  return std::make_unique<FixedChannel>(name);
}

ChannelRegistry registry_with_fixed() {
  ChannelRegistry registry;
  register_builtin_channels(registry);
  registry.add("fixed", &make_fixed);
  return registry;
}

}  // namespace

TEST_CASE("notify: outcome helpers set kind, detail and hints") {
  const auto d = Outcome::delivered("p-1");
  CHECK(d.kind == Outcome::Kind::kDelivered);
  CHECK(d.provider_id == "p-1");
  CHECK(d.detail == "ok");
  const auto r = Outcome::retryable("HTTP 503", 30);
  CHECK(r.kind == Outcome::Kind::kRetryable);
  CHECK(r.retry_after_seconds == 30);
  CHECK(Outcome::retryable("reset").retry_after_seconds == std::nullopt);
  CHECK(Outcome::permanent("HTTP 400").kind == Outcome::Kind::kPermanent);
  CHECK(Outcome::skipped("no openid").kind == Outcome::Kind::kSkipped);
  CHECK(std::string(to_string(Outcome::Kind::kDelivered)) == "delivered");
  CHECK(std::string(to_string(Outcome::Kind::kRetryable)) == "retryable");
  CHECK(std::string(to_string(Outcome::Kind::kPermanent)) == "permanent");
  CHECK(std::string(to_string(Outcome::Kind::kSkipped)) == "skipped");
}

TEST_CASE("notify: registry knows the built-in types and refuses a second registration") {
  ChannelRegistry registry;
  register_builtin_channels(registry);
  CHECK(registry.has("log"));
  CHECK_FALSE(registry.has("smtp"));
  const auto types = registry.types();
  CHECK(std::is_sorted(types.begin(), types.end()));
  CHECK(std::find(types.begin(), types.end(), "log") != types.end());
  CHECK_THROWS_AS(registry.add("log", &make_fixed), std::logic_error);
  CHECK_THROWS_AS(registry.add("", &make_fixed), std::logic_error);
}

TEST_CASE("notify: registry builds every configured instance") {
  const auto registry = registry_with_fixed();
  const auto channels = registry.build(
      {test::spec("console", "type: log\n"), test::spec("other", "type: fixed\nsize: 3\n")}, {});
  REQUIRE(channels.size() == 2);
  CHECK(channels.at("console")->type() == "log");
  CHECK(channels.at("console")->name() == "console");
  CHECK(channels.at("other")->type() == "fixed");
}

TEST_CASE("notify: registry collects every problem with its key path") {
  const auto registry = registry_with_fixed();
  try {
    registry.build({test::spec("mail", "type: smtp\nhost: x\n"),
                    test::spec("console", "type: log\nlevel: loud\n"),
                    test::spec("typo", "type: log\nlevle: warn\n"),
                    test::spec("bad", "type: fixed\nsize: 7\n"), test::spec("bad", "type: fixed\n"),
                    test::spec("none", "{}")},
                   {});
    FAIL("expected a ConfigError");
  } catch (const config::ConfigError& e) {
    const auto& issues = e.issues();
    CHECK(test::has_issue(issues, "channels.mail.type",
                          "unknown channel type 'smtp' (known types: fixed, log"));
    CHECK(test::has_issue(issues, "channels.console.level", "must be info or warn"));
    CHECK(test::has_issue(issues, "channels.typo.levle", "unknown key"));
    CHECK(test::has_issue(issues, "channels.bad.size", "seven is unlucky"));
    CHECK(test::has_issue(issues, "channels.bad", "duplicate channel name 'bad'"));
    CHECK(test::has_issue(issues, "channels.none.type", "is required"));
    CHECK(issues.size() == 6);
    // An unknown type's own options are not reported as unknown keys: its factory never ran.
    CHECK_FALSE(test::has_issue(issues, "channels.mail.host"));
    CHECK(std::string(e.what()).find("channels.mail.type") != std::string::npos);
  }
}

TEST_CASE("notify: registry builds an empty list of channels") {
  const auto registry = registry_with_fixed();
  CHECK(registry.build({}, {}).empty());
}

}  // namespace replenish::notify
