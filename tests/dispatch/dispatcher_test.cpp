// The dispatcher against scripted channels: fallback order, opt-outs, backoff, dead letters.
#include <doctest/doctest.h>

#include <deque>
#include <mutex>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "dispatch/dispatcher.hpp"
#include "notify/templates.hpp"
#include "store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using notify::Outcome;

namespace {

/// Outcomes a scripted channel gives, by channel name; the last one repeats.
struct Script {
  std::mutex mu;
  std::map<std::string, std::deque<Outcome>> outcomes;
  std::vector<std::string> calls;
};

class ScriptedChannel final : public notify::Channel {
 public:
  ScriptedChannel(std::string name, Script& script) : name_(std::move(name)), script_(script) {}
  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  Outcome send(const notify::Message& m) override {
    std::lock_guard lock(script_.mu);
    script_.calls.push_back(name_ + ":" + m.key);
    auto& q = script_.outcomes[name_];
    Outcome o = q.front();
    if (q.size() > 1) q.pop_front();
    return o;
  }

 private:
  std::string name_;
  std::string type_ = "scripted";
  Script& script_;
};

const char* kConfig = R"(
dispatch: {max_attempts: 3, backoff_initial_seconds: 60, backoff_max_seconds: 300}
categories:
  - slug: diapers
    match: [{category: [母婴]}]
    channels: [first, second]
channels:
  first: {type: scripted}
  second: {type: scripted}
)";

struct Fixture {
  testing::TempDir dir;
  Script script;
  store::SqliteStore store{dir.file("r.db")};
  core::SimulatedClock clock{1000, 0};
  std::unique_ptr<dispatch::Dispatcher> dispatcher;

  Fixture() {
    notify::ChannelRegistry registry;
    registry.add("scripted",
                 [this](const std::string& name, config::Reader&, const notify::ChannelContext&) {
                   return std::make_unique<ScriptedChannel>(name, script);
                 });
    auto cfg = std::make_shared<const config::Config>(config::parse_config(kConfig, "test"));
    dispatcher =
        std::make_unique<dispatch::Dispatcher>(store, clock, dispatch::make_runtime(cfg, registry));
  }
  std::int64_t reminder(const std::string& key) {
    core::Reminder r;
    r.key = key;
    r.user_id = "u1";
    r.category = "diapers";
    r.due_at = r.next_attempt_at = 1000;
    notify::TemplateVars vars;
    vars.shop_name = "邻家小铺";
    vars.category = "diapers";
    vars.category_name = "纸尿裤";
    vars.kind = "replenish";
    r.payload = nlohmann::json{{"vars", vars.to_json()}}.dump();
    return store.insert_reminder(r);
  }
};

}  // namespace

TEST_CASE("dispatch: a skipped channel hands over to the next in the fallback order") {
  Fixture f;
  f.script.outcomes["first"] = {Outcome::skipped("no consent")};
  f.script.outcomes["second"] = {Outcome::delivered("m-1")};
  const auto id = f.reminder("k1");
  const auto t = f.dispatcher->tick();
  CHECK(t.claimed == 1);
  CHECK(t.sent == 1);
  CHECK(f.script.calls == std::vector<std::string>{"first:k1", "second:k1"});
  const auto r = f.store.reminder(id);
  CHECK(r->state == core::ReminderState::kSent);
  CHECK(r->channel == "second");
  CHECK(r->provider_id == "m-1");
}

TEST_CASE("dispatch: a user who blocked a channel is opted out of it and reached on the next") {
  Fixture f;
  f.script.outcomes["first"] = {
      Outcome::permanent("user_blocked: errcode 43004: require subscribe")};
  f.script.outcomes["second"] = {Outcome::delivered("m-1")};
  f.reminder("k1");
  f.dispatcher->tick();
  CHECK(f.store.channel_opted_out("u1", "first"));
  // The next reminder does not try the blocked channel at all.
  f.reminder("k2");
  f.dispatcher->tick();
  CHECK(f.script.calls == std::vector<std::string>{"first:k1", "second:k1", "second:k2"});
}

TEST_CASE("dispatch: retryable errors back off, then the reminder is dead") {
  Fixture f;
  f.script.outcomes["first"] = {Outcome::retryable("HTTP 503", 120)};
  const auto id = f.reminder("k1");
  auto t = f.dispatcher->tick();
  CHECK(t.retried == 1);
  auto r = f.store.reminder(id);
  CHECK(r->state == core::ReminderState::kPlanned);
  CHECK(r->next_attempt_at == 1000 + 120);  // Retry-After (120) beats the first backoff (60)
  f.script.outcomes["first"] = {Outcome::retryable("HTTP 503")};
  CHECK(f.dispatcher->tick().claimed == 0);  // not yet
  f.clock.advance(120);
  t = f.dispatcher->tick();
  CHECK(t.retried == 1);
  r = f.store.reminder(id);
  CHECK(r->next_attempt_at == 1120 + 120);  // second attempt: 60 x 2
  f.clock.advance(120);
  t = f.dispatcher->tick();  // third attempt of max_attempts 3
  CHECK(t.dead == 1);
  r = f.store.reminder(id);
  CHECK(r->state == core::ReminderState::kDead);
  CHECK(r->attempts == 3);
  CHECK(r->last_error.find("gave up after 3 attempts") != std::string::npos);
}

TEST_CASE("dispatch: a permanent error on every channel is a dead letter with the reasons") {
  Fixture f;
  f.script.outcomes["first"] = {Outcome::permanent("errcode 40037: invalid template_id")};
  f.script.outcomes["second"] = {Outcome::permanent("HTTP 400: bad request")};
  const auto id = f.reminder("k1");
  CHECK(f.dispatcher->tick().dead == 1);
  const auto r = f.store.reminder(id);
  CHECK(r->state == core::ReminderState::kDead);
  CHECK(r->last_error ==
        "first: permanent (errcode 40037: invalid template_id); second: permanent (HTTP 400: "
        "bad request)");
}

TEST_CASE("dispatch: backoff doubles up to the cap") {
  config::DispatchConfig c;
  c.backoff_initial_seconds = 60;
  c.backoff_max_seconds = 300;
  CHECK(dispatch::Dispatcher::backoff_seconds(c, 1) == 60);
  CHECK(dispatch::Dispatcher::backoff_seconds(c, 2) == 120);
  CHECK(dispatch::Dispatcher::backoff_seconds(c, 3) == 240);
  CHECK(dispatch::Dispatcher::backoff_seconds(c, 4) == 300);
  CHECK(dispatch::Dispatcher::backoff_seconds(c, 40) == 300);
}
