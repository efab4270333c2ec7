// The dispatcher against scripted channels: fallback order, opt-outs, backoff, dead letters.
#include <doctest/doctest.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "dispatch/dispatcher.hpp"
#include "notify/templates.hpp"
#include "store/sqlite_store.hpp"
#include "support/simulated_pacer.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using notify::Outcome;

namespace {

/// Outcomes a scripted channel gives, by channel name; the last one repeats.
struct Script {
  std::mutex mu;
  std::map<std::string, std::deque<Outcome>> outcomes;
  std::vector<std::string> calls;
  std::map<std::string, std::string> openids;  ///< key → the openid the message carried
};

class ScriptedChannel final : public notify::Channel {
 public:
  ScriptedChannel(std::string name, Script& script) : name_(std::move(name)), script_(script) {}
  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  Outcome send(const notify::Message& m) override {
    std::lock_guard lock(script_.mu);
    script_.calls.push_back(name_ + ":" + m.key);
    script_.openids[m.key] = m.openid;
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
plan: {send_window: {start: "00:00", end: "00:00"}, quiet_hours: {start: "00:00", end: "00:00"}}
caps: {max_messages: 1000}
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
    auto cfg = std::make_shared<const config::Config>(config::parse_config(kConfig, "test"));
    dispatcher = std::make_unique<dispatch::Dispatcher>(store, clock,
                                                        dispatch::make_runtime(cfg, registry()));
  }
  /// Channel type "scripted" plays `script`.
  notify::ChannelRegistry registry() {
    notify::ChannelRegistry r;
    r.add("scripted",
          [this](const std::string& name, config::Reader&, const notify::ChannelContext&) {
            return std::make_unique<ScriptedChannel>(name, script);
          });
    return r;
  }
  /// kConfig with dispatch.batch set to `batch`.
  void set_batch(int batch) {
    auto cfg = std::make_shared<config::Config>(config::parse_config(kConfig, "test"));
    cfg->dispatch.batch = batch;
    dispatcher->set_runtime(dispatch::make_runtime(cfg, registry()));
  }
  std::int64_t reminder(const std::string& key, const std::string& user = "u1") {
    core::Reminder r;
    r.key = key;
    r.user_id = user;
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

TEST_CASE("dispatch: a batch reads its users and opt-outs at once and sends each its own way") {
  Fixture f;
  f.script.outcomes["first"] = {Outcome::delivered("m")};
  f.script.outcomes["second"] = {Outcome::delivered("m2")};
  constexpr int kUsers = 150;  // more than one IN list of the batched lookups
  for (int i = 0; i < kUsers; ++i) {
    const std::string user = "u" + std::to_string(i);
    if (i % 2 == 0) f.store.upsert_user(store::UserRecord{user, "oid" + user, "", i == 10}, 1);
    f.reminder("k" + std::to_string(i), user);
  }
  f.store.set_channel_optout("u21", "first", "blocked", 1);
  f.store.set_channel_optout("u33", "*", "asked for silence", 1);
  f.set_batch(1000);

  const auto t = f.dispatcher->tick();
  CHECK(t.claimed == kUsers);
  CHECK(t.sent == kUsers - 2);
  CHECK(t.cancelled == 1);  // u10 opted out of everything
  CHECK(t.dead == 1);       // u33 opted out of both channels
  CHECK(f.script.openids.at("k0") == "oidu0");
  CHECK(f.script.openids.at("k148") == "oidu148");
  CHECK(f.script.openids.at("k1").empty());  // a user the store does not know
  CHECK(f.script.openids.count("k10") == 0);
  CHECK(f.script.openids.count("k33") == 0);
  const auto counts = f.store.reminder_counts();
  CHECK(counts.at("sent") == kUsers - 2);
  CHECK(counts.count("sending") == 0);  // every outcome is committed when tick() returns
  store::ReminderFilter only_u21;
  only_u21.user_id = "u21";
  const auto r21 = f.store.list_reminders(only_u21);
  REQUIRE(r21.size() == 1);
  CHECK(r21[0].channel == "second");
  CHECK(r21[0].provider_id == "m2");
}

namespace {

/// A channel whose sends take a moment, counting how many run at once.
class SlowChannel final : public notify::Channel {
 public:
  SlowChannel(std::string name, std::atomic<int>& in_flight, std::atomic<int>& most)
      : name_(std::move(name)), in_flight_(in_flight), most_(most) {}
  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  Outcome send(const notify::Message&) override {
    const int now = ++in_flight_;
    int seen = most_.load();
    while (now > seen && !most_.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    --in_flight_;
    return Outcome::delivered();
  }

 private:
  std::string name_;
  std::string type_ = "slow";
  std::atomic<int>& in_flight_;
  std::atomic<int>& most_;
};

}  // namespace

TEST_CASE("dispatch: a channel's concurrency option caps its sends in flight") {
  Fixture f;
  std::atomic<int> in_flight{0}, most{0};
  notify::ChannelRegistry registry;
  registry.add("slow",
               [&](const std::string& name, config::Reader&, const notify::ChannelContext&) {
                 return std::make_unique<SlowChannel>(name, in_flight, most);
               });
  auto cfg = std::make_shared<const config::Config>(config::parse_config(R"(
dispatch: {concurrency: 8, batch: 40}
plan: {send_window: {start: "00:00", end: "00:00"}, quiet_hours: {start: "00:00", end: "00:00"},
       merge_window_hours: 0}
caps: {max_messages: 1000}
categories:
  - slug: diapers
    match: [{category: [母婴]}]
channels:
  capped: {type: slow, concurrency: 2}
)",
                                                                         "test"));
  f.dispatcher->set_runtime(dispatch::make_runtime(cfg, registry));
  for (int i = 0; i < 40; ++i) f.reminder("k" + std::to_string(i));
  const auto t = f.dispatcher->tick();
  CHECK(t.sent == 40);
  CHECK(t.deferred == 0);
  CHECK(most.load() == 2);  // 8 senders, 2 at a time on this channel
}

TEST_CASE("dispatch: a channel over its rate defers reminders without counting an attempt") {
  Fixture f;
  testing::SimulatedPacer pacer;
  f.script.outcomes["first"] = {Outcome::delivered("m")};
  auto registry = f.registry();
  // One message per 10 s: beyond the 5 s a send may wait, so the second is deferred.
  auto cfg = std::make_shared<const config::Config>(config::parse_config(R"(
dispatch: {concurrency: 1}
plan: {send_window: {start: "00:00", end: "00:00"}, quiet_hours: {start: "00:00", end: "00:00"},
       merge_window_hours: 0}
caps: {max_messages: 1000}
categories:
  - slug: diapers
    match: [{category: [母婴]}]
channels:
  first: {type: scripted, rate_per_second: 0.1}
)",
                                                                         "test"));
  f.dispatcher->set_runtime(dispatch::make_runtime(cfg, registry, nullptr, pacer));
  const auto a = f.reminder("k1");
  const auto b = f.reminder("k2");
  auto t = f.dispatcher->tick();
  CHECK(t.claimed == 2);
  CHECK(t.sent == 1);
  CHECK(t.deferred == 1);
  CHECK(t.retried == 0);
  CHECK(f.store.reminder(a)->state == core::ReminderState::kSent);
  auto rb = f.store.reminder(b);
  CHECK(rb->state == core::ReminderState::kPlanned);
  CHECK(rb->attempts == 0);                 // a deferral is not an attempt
  CHECK(rb->next_attempt_at == 1000 + 10);  // when the channel will have room
  CHECK(f.store.attempts(b).empty());
  REQUIRE(f.store.attempts(a).size() == 1);
  CHECK(f.store.attempts(a)[0].provider_id == "m");

  CHECK(f.dispatcher->tick().claimed == 0);  // not due yet
  f.clock.advance(10);
  pacer.advance(std::chrono::seconds(10));
  t = f.dispatcher->tick();
  CHECK(t.sent == 1);
  rb = f.store.reminder(b);
  CHECK(rb->state == core::ReminderState::kSent);
  CHECK(rb->attempts == 1);
  CHECK(f.script.calls == std::vector<std::string>{"first:k1", "first:k2"});
}

TEST_CASE("dispatch: a full batch claims the next one while it sends, and gives it back unsent") {
  Fixture f;
  f.script.outcomes["first"] = {Outcome::delivered("m")};
  f.set_batch(4);
  for (int i = 0; i < 10; ++i) f.reminder("k" + std::to_string(i), "u" + std::to_string(i));

  auto t = f.dispatcher->tick();
  CHECK(t.claimed == 4);
  CHECK(t.sent == 4);
  auto counts = f.store.reminder_counts();
  CHECK(counts.at("sent") == 4);
  CHECK(counts.at("sending") == 4);  // the next batch, leased while the first was sent
  CHECK(counts.at("planned") == 2);

  t = f.dispatcher->tick();  // sends the batch claimed ahead; full again, so claims the rest
  CHECK(t.claimed == 4);
  CHECK(t.sent == 4);
  counts = f.store.reminder_counts();
  CHECK(counts.at("sent") == 8);
  CHECK(counts.at("sending") == 2);
  CHECK(counts.count("planned") == 0);
  CHECK(f.script.calls.size() == 8);  // nothing claimed ahead was sent

  // A dispatcher that goes away puts what it claimed ahead back, due, without an attempt.
  f.dispatcher.reset();
  counts = f.store.reminder_counts();
  CHECK(counts.count("sending") == 0);
  CHECK(counts.at("planned") == 2);
  store::ReminderFilter planned;
  planned.state = core::ReminderState::kPlanned;
  for (const auto& r : f.store.list_reminders(planned)) {
    CHECK(r.attempts == 0);
    CHECK(r.next_attempt_at <= f.clock.now());
  }
}
