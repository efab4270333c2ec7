// The dispatcher with campaigns: caps across categories, the merge window, quiet hours at send
// time in the user's time zone, coupons (and a spent budget), template variants per channel.
#include <doctest/doctest.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "coupon/codes.hpp"
#include "dispatch/campaign_pass.hpp"
#include "dispatch/dispatcher.hpp"
#include "notify/templates.hpp"
#include "notify/wechat_mock.hpp"
#include "store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using core::EpochSeconds;
using core::ReminderState;
using notify::Outcome;

namespace {

constexpr EpochSeconds kHour = 3600;
constexpr EpochSeconds kDay = 86400;
const EpochSeconds kT = *core::parse_timestamp("2024-03-05T11:00:00+08:00");
constexpr const char* kCouponKey = "campaign-send-coupon-key-0123";

/// Records every message; `first` skips users listed in `skip_first`.
struct Recorder {
  std::mutex mu;
  std::vector<std::pair<std::string, notify::Message>> sent;  // channel, message
  std::set<std::string> skip_first;
  std::set<std::string> fail_once;  ///< users whose first send is a retryable error
};

class RecordingChannel final : public notify::Channel {
 public:
  RecordingChannel(std::string name, Recorder& rec) : name_(std::move(name)), rec_(rec) {}
  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  Outcome send(const notify::Message& m) override {
    std::lock_guard lock(rec_.mu);
    if (name_ == "first" && rec_.skip_first.count(m.user_id)) return Outcome::skipped("no openid");
    if (rec_.fail_once.erase(m.user_id)) {
      rec_.sent.emplace_back(name_ + " (failed)", m);
      return Outcome::retryable("gateway busy");
    }
    rec_.sent.emplace_back(name_, m);
    return Outcome::delivered("id-" + m.key);
  }

 private:
  std::string name_;
  std::string type_ = "recording";
  Recorder& rec_;
};

const char* kConfig = R"(
merchant: {name: 邻家小铺, timezone: Asia/Shanghai}
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{category: [母婴]}]
  - slug: detergent
    name: 洗衣液
    match: [{category: [洗衣]}]
  - slug: formula
    name: 奶粉
    match: [{category: [奶粉]}]
channels:
  first: {type: recording}
  second: {type: recording}
campaigns:
  - name: restock
    channels: [first, second]
    rules:
      - {segment: new, template: replenish, coupon: small, fallback_template: no_coupon}
      - {segment: default, template: replenish}
coupons:
  secret_file: coupon.key
  rules:
    small: {kind: amount_off, value: 5, threshold: 50, validity_days: 7, budget_per_day: 1}
templates:
  no_coupon: "{{shop_name}}：{{category_name}}快用完了，记得补货～"
  replenish@second: "【{{shop_name}}】{{category_name}}快用完了{{#coupon_code}}，券码{{coupon_code}}{{/coupon_code}}"
)";

struct Fixture {
  testing::TempDir dir;
  Recorder recorder;
  store::SqliteStore store{dir.file("r.db")};
  core::SimulatedClock clock{kT, 0};
  std::shared_ptr<const config::Config> cfg;
  std::unique_ptr<dispatch::Dispatcher> dispatcher;

  /// `extra`: the plan and caps sections (defaults: merge window 48 h, 2 messages in 7 days).
  explicit Fixture(const std::string& extra = "") {
    dir.write("coupon.key", kCouponKey);
    cfg = std::make_shared<const config::Config>(
        config::parse_config(std::string(kConfig) + extra, "test", dir.path().string()));
    notify::ChannelRegistry registry;
    registry.add("recording",
                 [this](const std::string& name, config::Reader&, const notify::ChannelContext&) {
                   return std::make_unique<RecordingChannel>(name, recorder);
                 });
    dispatcher =
        std::make_unique<dispatch::Dispatcher>(store, clock, dispatch::make_runtime(cfg, registry));
  }

  std::int64_t reminder(const std::string& key, const std::string& user,
                        const std::string& category, EpochSeconds due,
                        const std::string& segment = "regular", const std::string& coupon = "") {
    const auto* cat = cfg->category(category);
    core::Reminder r;
    r.key = key;
    r.user_id = user;
    r.category = category;
    r.due_at = r.next_attempt_at = due;
    r.campaign = "restock";
    r.segment = segment;
    r.template_name = "replenish";
    r.coupon_rule = coupon;
    notify::TemplateVars vars;
    vars.shop_name = "邻家小铺";
    vars.category = category;
    vars.category_name = cat->name;
    vars.last_purchase_date = "2月20日";
    vars.predicted_date = "3月7日";
    vars.due_date = "3月5日";
    vars.kind = "replenish";
    r.payload = nlohmann::json{{"vars", vars.to_json()}}.dump();
    return store.insert_reminder(r);
  }
  /// A follow-up (or win-back) of `category`, `days` days after the last purchase.
  std::int64_t later(const std::string& key, const std::string& user, const std::string& category,
                     EpochSeconds due, const std::string& kind = "follow_up", int days = 15) {
    core::Reminder r;
    r.key = key;
    r.user_id = user;
    r.category = category;
    r.kind = kind;
    r.campaign = "restock";
    r.due_at = r.next_attempt_at = due;
    notify::TemplateVars v;
    v.shop_name = "邻家小铺";
    v.category = category;
    v.category_name = cfg->category(category)->name;
    v.days_since_last = days;
    v.kind = kind;
    r.payload = nlohmann::json{{"vars", v.to_json()}}.dump();
    return store.insert_reminder(r);
  }
  std::vector<std::pair<std::string, notify::Message>> sent() {
    std::lock_guard lock(recorder.mu);
    return recorder.sent;
  }
  void advance_to(EpochSeconds t) {
    REQUIRE(t >= clock.now());
    clock.advance(t - clock.now());
  }
};

}  // namespace

TEST_CASE("campaign send: the cap frees a slot one period after the oldest counted message") {
  const EpochSeconds now = kT;
  CHECK(dispatch::cap_frees_at({}, 2, 7, now) == now);
  CHECK(dispatch::cap_frees_at({now - 3 * kDay}, 2, 7, now) == now);
  CHECK(dispatch::cap_frees_at({now - 6 * kDay, now - kDay}, 2, 7, now) == now + kDay);
  CHECK(dispatch::cap_frees_at({now - 6 * kDay, now - 5 * kDay, now - kDay}, 2, 7, now) ==
        now + 2 * kDay);
  CHECK(dispatch::cap_frees_at({now - 6 * kDay}, 1, 7, now) == now + kDay);
}

TEST_CASE("campaign send: the cap counts messages across categories and defers the rest") {
  Fixture f("caps: {max_messages: 2, period_days: 7}\nplan: {merge_window_hours: 0}\n");
  // u1 got a message two days ago (detergent) and has two more due now: one fits the cap.
  {
    const auto old = f.reminder("old", "u1", "detergent", kT - 2 * kDay);
    auto claimed = f.store.claim_due(kT - 2 * kDay, 10, 60);
    REQUIRE(claimed.size() == 1);
    store::AttemptRecord a;
    a.reminder_id = old;
    a.at = kT - 2 * kDay;
    a.channel = "first";
    a.outcome = "delivered";
    a.new_state = ReminderState::kSent;
    f.store.finish_attempt(a);
  }
  const auto a = f.reminder("a", "u1", "diapers", kT);
  const auto b = f.reminder("b", "u1", "formula", kT);
  const auto t = f.dispatcher->tick();
  CHECK(t.claimed == 2);
  CHECK(t.sent == 1);
  CHECK(t.deferred == 1);
  CHECK(t.retried == 0);
  CHECK(f.store.reminder(a)->state == ReminderState::kSent);
  const auto deferred = f.store.reminder(b);
  CHECK(deferred->state == ReminderState::kPlanned);
  CHECK(deferred->attempts == 0);  // a deferral is not an attempt
  // The window holds the messages of 3 and 5 March 11:00; the first leaves it on 10 March 11:00.
  CHECK(deferred->next_attempt_at == kT + 5 * kDay);
  CHECK(deferred->last_error == "deferred: cap of 2 messages in 7 days");
  f.advance_to(kT + 5 * kDay - 60);
  CHECK(f.dispatcher->tick().claimed == 0);
  f.advance_to(kT + 5 * kDay);
  CHECK(f.dispatcher->tick().sent == 1);
  CHECK(f.store.reminder(b)->state == ReminderState::kSent);
  CHECK(f.sent().size() == 2);
}

TEST_CASE("campaign send: a cap freed at night waits for the send window") {
  Fixture f("caps: {max_messages: 1, period_days: 1}\n");
  const auto old = f.reminder("old", "u1", "detergent", kT - 20 * kHour);  // 4 March 15:00
  f.advance_to(kT);
  auto claimed = f.store.claim_due(kT - 20 * kHour, 10, 60);
  store::AttemptRecord a;
  a.reminder_id = old;
  a.at = kT - 12 * kHour;  // sent 4 March 23:00 (a retry, before quiet hours existed)
  a.channel = "first";
  a.outcome = "delivered";
  a.new_state = ReminderState::kSent;
  f.store.finish_attempt(a);
  const auto id = f.reminder("a", "u1", "diapers", kT);
  CHECK(f.dispatcher->tick().deferred == 1);
  // The slot frees on 5 March 23:00, in quiet hours: 6 March 10:00.
  CHECK(f.store.reminder(id)->next_attempt_at ==
        *core::parse_timestamp("2024-03-06T10:00:00+08:00"));
}

TEST_CASE("campaign send: reminders due within the merge window become one message") {
  Fixture f;
  const auto a = f.reminder("a", "u2", "diapers", kT);
  const auto b = f.reminder("b", "u2", "detergent", kT + 30 * kHour);  // inside 48 h
  const auto c = f.reminder("c", "u2", "formula", kT + 60 * kHour);    // outside
  const auto t = f.dispatcher->tick();
  CHECK(t.claimed == 1);
  CHECK(t.sent == 2);
  CHECK(t.merged == 1);
  const auto sent = f.sent();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].first == "first");
  CHECK(sent[0].second.key == "a");
  CHECK(sent[0].second.text ==
        "邻家小铺提醒您：您常买的纸尿裤、洗衣液都快用完啦，按您的使用习惯，预计3月7日左右就需要补"
        "货，记得一起备上哦～");
  const auto rb = f.store.reminder(b);
  CHECK(rb->state == ReminderState::kSent);
  CHECK(rb->merged_into == a);
  CHECK(rb->channel == "first");
  CHECK(rb->sent_at == kT);
  CHECK(f.store.reminder(c)->state == ReminderState::kPlanned);
  // The merged message counts once: formula's reminder, due in 60 hours, fits the cap of 2.
  f.advance_to(kT + 60 * kHour);  // 7 March 23:00: quiet hours
  auto t2 = f.dispatcher->tick();
  CHECK(t2.deferred == 1);
  f.advance_to(*core::parse_timestamp("2024-03-08T10:00:00+08:00"));
  t2 = f.dispatcher->tick();
  CHECK(t2.sent == 1);
  CHECK(t2.deferred == 0);
  CHECK(f.store.reminder(c)->state == ReminderState::kSent);
  CHECK(f.store.reminder(c)->merged_into == 0);
}

TEST_CASE("campaign send: a retry that lands in quiet hours waits, in the user's time zone") {
  Fixture f;
  f.store.upsert_user(store::UserRecord{"ny", "", "America/New_York", false}, kT);
  const auto id = f.reminder("a", "ny", "diapers", kT);  // 22:00 on 4 March in New York
  const auto sh = f.reminder("b", "sh", "diapers", kT);  // 11:00 in Shanghai
  const auto t = f.dispatcher->tick();
  CHECK(t.sent == 1);
  CHECK(t.deferred == 1);
  const auto r = f.store.reminder(id);
  CHECK(r->state == ReminderState::kPlanned);
  CHECK(r->attempts == 0);
  CHECK(r->next_attempt_at == *core::parse_timestamp("2024-03-05T10:00:00-05:00"));
  CHECK(r->last_error == "deferred: outside the send window or in quiet hours (America/New_York)");
  CHECK(f.store.reminder(sh)->state == ReminderState::kSent);
}

TEST_CASE("campaign send: coupons go into the text, a spent budget sends the fallback text") {
  Fixture f;
  f.recorder.skip_first = {"u4"};  // u4 is reached on the second channel
  const auto a = f.reminder("a", "u3", "diapers", kT, "new", "small");
  const auto b = f.reminder("b", "u4", "diapers", kT, "new", "small");
  const auto t = f.dispatcher->tick();
  CHECK(t.sent == 2);
  const auto ra = f.store.reminder(a);
  const auto rb = f.store.reminder(b);
  // budget_per_day 1: one of the two got the coupon.
  const bool a_first = !ra->coupon_code.empty();
  const auto& with = a_first ? *ra : *rb;
  const auto& without = a_first ? *rb : *ra;
  REQUIRE_FALSE(with.coupon_code.empty());
  CHECK(coupon::verify_code(kCouponKey, "RP", with.coupon_code));
  CHECK(without.coupon_code.empty());
  CHECK(without.coupon_note.rfind("budget_exhausted", 0) == 0);
  std::map<std::string, std::pair<std::string, std::string>> by_user;  // user → channel, text
  for (const auto& [channel, m] : f.sent()) by_user[m.user_id] = {channel, m.text};
  REQUIRE(by_user.size() == 2);
  CHECK(by_user["u3"].first == "first");
  CHECK(by_user["u4"].first == "second");
  if (a_first) {
    // u3 got the coupon on the first channel (the base template), u4 the fallback on the
    // second (no variant of no_coupon for it).
    CHECK(by_user["u3"].second ==
          "邻家小铺提醒您：您上次购买的纸尿裤是在2月20日，按您的使用习惯，预计3月7日左右就要用完"
          "啦，记得及时补货哦～送您一张满50减5元补货券（券码 " +
              with.coupon_code + "，2024-03-11前有效）。");
    CHECK(by_user["u4"].second == "邻家小铺：纸尿裤快用完了，记得补货～");
  } else {
    // u4 got the coupon, on the second channel: its variant of the template.
    CHECK(by_user["u4"].second == "【邻家小铺】纸尿裤快用完了，券码" + with.coupon_code);
    CHECK(by_user["u3"].second == "邻家小铺：纸尿裤快用完了，记得补货～");
  }
  // The coupon is in the ledger, tied to its reminder, valid through 12 March.
  const auto c = f.store.coupon(with.coupon_code);
  REQUIRE(c);
  CHECK(c->reminder_id == with.id);
  CHECK(c->expires_at == *core::parse_timestamp("2024-03-12T00:00:00+08:00"));
}

TEST_CASE("campaign send: on wechat_template the coupon travels in the link, never the text") {
  notify::test::WechatMock mock;
  testing::TempDir dir;
  dir.write("coupon.key", kCouponKey);
  // policy.enforce false lets a field name {{coupon_code}} (a warning): it still stays empty.
  const std::string yaml = R"(
merchant: {name: 邻家小铺, timezone: Asia/Shanghai}
policy: {enforce: false}
categories:
  - {slug: diapers, name: 纸尿裤, match: [{category: [母婴]}]}
channels:
  oa:
    type: wechat_template
    appid: wxshop0001
    secret: "0123456789abcdef0123456789abcdef"
    base_url: )" + mock.url() +
                           R"(
    template_id: TMPL-restock-1
    url: "https://shop.example/restock?c={{category}}&coupon={{coupon_code}}"
    miniprogram:
      appid: wxmini0001
      pagepath: "pages/restock/index?coupon={{coupon_code}}"
    fields:
      thing1: "{{category_name}}即将用完"
      time2: "{{predicted_date}}"
      thing3: "{{coupon_value}}{{coupon_code}}"
campaigns:
  - name: restock
    channels: [oa]
    rules: [{segment: default, template: replenish, coupon: small}]
coupons:
  secret_file: coupon.key
  rules:
    small: {kind: amount_off, value: 5, threshold: 50, validity_days: 7}
)";
  auto cfg = std::make_shared<const config::Config>(
      config::parse_config(yaml, "test", dir.path().string()));
  notify::ChannelRegistry registry;
  notify::register_builtin_channels(registry);
  const auto runtime = dispatch::make_runtime(cfg, registry);
  bool warned = false;
  for (const auto& w : runtime->warnings) {
    warned = warned || w.path == "channels.oa.fields.thing3";
  }
  CHECK(warned);
  store::SqliteStore store(dir.file("r.db"));
  core::SimulatedClock clock(kT, 0);
  dispatch::Dispatcher dispatcher(store, clock, runtime);
  store.upsert_user(store::UserRecord{"u1", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "", false}, kT);
  core::Reminder r;
  r.key = "rmd-oa-1";
  r.user_id = "u1";
  r.category = "diapers";
  r.due_at = r.next_attempt_at = kT;
  r.campaign = "restock";
  r.segment = "regular";
  r.template_name = "replenish";
  r.coupon_rule = "small";
  notify::TemplateVars vars;
  vars.shop_name = "邻家小铺";
  vars.category = "diapers";
  vars.category_name = "纸尿裤";
  vars.predicted_date = "3月7日";
  r.payload = nlohmann::json{{"vars", vars.to_json()}}.dump();
  const auto id = store.insert_reminder(r);

  CHECK(dispatcher.tick().sent == 1);
  const auto stored = store.reminder(id);
  REQUIRE(stored);
  const std::string code = stored->coupon_code;
  REQUIRE_FALSE(code.empty());
  CHECK(coupon::verify_code(kCouponKey, "RP", code));
  const auto sends = mock.sends();
  REQUIRE(sends.size() == 1);
  const auto body = nlohmann::json::parse(sends[0].body);
  CHECK(body["url"] == "https://shop.example/restock?c=diapers&coupon=" + code);
  CHECK(body["miniprogram"]["pagepath"] == "pages/restock/index?coupon=" + code);
  CHECK(body["data"]["thing1"]["value"] == "纸尿裤即将用完");
  CHECK(body["data"]["thing3"]["value"] == "");
  CHECK(body["data"].dump().find(code) == std::string::npos);
  CHECK(body["data"].dump().find("满50减5元") == std::string::npos);
}

TEST_CASE("campaign send: a retried send carries the coupon its first attempt was given") {
  Fixture f;
  f.recorder.fail_once = {"u5"};
  const auto id = f.reminder("a", "u5", "diapers", kT, "new", "small");
  auto t = f.dispatcher->tick();
  CHECK(t.retried == 1);
  auto r = f.store.reminder(id);
  REQUIRE(r);
  CHECK(r->state == ReminderState::kPlanned);
  const std::string code = r->coupon_code;
  REQUIRE_FALSE(code.empty());
  f.advance_to(r->next_attempt_at);
  t = f.dispatcher->tick();
  CHECK(t.sent == 1);
  r = f.store.reminder(id);
  CHECK(r->state == ReminderState::kSent);
  CHECK(r->coupon_code == code);
  CHECK(r->attempts == 2);
  const auto sent = f.sent();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].first == "first (failed)");
  CHECK(sent[0].second.vars["coupon_code"] == code);
  CHECK(sent[1].first == "first");
  CHECK(sent[1].second.vars["coupon_code"] == code);
  CHECK(sent[1].second.text.find("券码 " + code) != std::string::npos);
  // One coupon in the ledger, not two: the daily budget of 1 is not spent twice.
  const auto other = f.reminder("b", "u6", "diapers", r->next_attempt_at, "new", "small");
  f.dispatcher->tick();
  const auto ro = f.store.reminder(other);
  CHECK(ro->coupon_code.empty());
  CHECK(ro->coupon_note.rfind("budget_exhausted", 0) == 0);
}

TEST_CASE("campaign send: a follow-up is a message of its own and counts for the cap") {
  Fixture f("caps: {max_messages: 2, period_days: 7}\n");
  const auto a = f.reminder("a", "u7", "diapers", kT);
  const auto b = f.reminder("b", "u7", "detergent", kT + 20 * kHour);  // merges into a
  const auto c = f.later("fu", "u7", "formula", kT - kHour);
  const auto d = f.reminder("d", "u7", "formula", kT + 6 * kDay);  // outside the window
  const auto t = f.dispatcher->tick();
  CHECK(t.claimed == 2);
  CAPTURE(f.store.reminder(c)->last_error);
  CHECK(t.sent == 3);  // the follow-up, a and b (merged)
  CHECK(t.merged == 1);
  const auto sent = f.sent();
  REQUIRE(sent.size() == 2);
  std::map<std::string, std::string> by_key;
  for (const auto& [channel, m] : sent) by_key[m.key] = m.text;
  CHECK(by_key["fu"] ==
        "邻家小铺温馨提示：距离您上次购买奶粉已经15天了，家里的存货还够用吗？如果快用完了，"
        "现在补货正合适～");
  CHECK(by_key["a"].find("纸尿裤、洗衣液") != std::string::npos);
  CHECK(f.store.reminder(b)->merged_into == a);
  CHECK(f.store.reminder(c)->merged_into == 0);
  // Two messages on 5 March: d, due on 11 March, waits until the first leaves the window on
  // 12 March 11:00.
  f.advance_to(kT + 6 * kDay);
  const auto t2 = f.dispatcher->tick();
  CHECK(t2.deferred == 1);
  CHECK(f.store.reminder(d)->next_attempt_at == kT + 7 * kDay);
  f.advance_to(kT + 7 * kDay);
  CHECK(f.dispatcher->tick().sent == 1);
  CHECK(f.sent().size() == 3);
}

TEST_CASE("campaign send: the follow-ups of a merged message become one follow-up") {
  // Diapers and detergent went out in one digest; a week later neither was bought, so both
  // follow-ups come due together (and formula's, planned 20 hours later, is in the window).
  Fixture f("caps: {max_messages: 2, period_days: 7}\n");
  const auto a = f.later("fa", "u8", "diapers", kT - kHour);
  const auto b = f.later("fb", "u8", "detergent", kT - kHour);
  const auto c = f.later("fc", "u8", "formula", kT + 20 * kHour);
  const auto w = f.later("wb", "u8", "formula", kT - kHour, "win_back", 60);
  const auto r = f.reminder("r", "u8", "formula", kT);  // a replenish reminder is not a follow-up
  const auto t = f.dispatcher->tick();
  CHECK(t.claimed == 4);
  CHECK(t.sent == 4);  // the three follow-ups in one message, and the win-back
  CHECK(t.merged == 2);
  CHECK(t.deferred == 1);
  const auto sent = f.sent();
  REQUIRE(sent.size() == 2);
  std::map<std::string, std::string> by_key;
  for (const auto& [channel, m] : sent) by_key[m.key] = m.text;
  // The follow-up template (not the digest), listing the categories soonest first.
  CHECK(by_key["fa"] ==
        "邻家小铺温馨提示：距离您上次购买纸尿裤、洗衣液、奶粉已经15天了，家里的存货还够用吗？"
        "如果快用完了，现在补货正合适～");
  CHECK(by_key.count("wb") == 1);  // a win-back is a message of its own
  for (const auto id : {b, c}) {
    const auto m = f.store.reminder(id);
    CHECK(m->state == ReminderState::kSent);
    CHECK(m->merged_into == a);
  }
  CHECK(f.store.reminder(w)->merged_into == 0);
  // Two messages count for the cap of 2: the replenish reminder waits for a free slot.
  const auto rr = f.store.reminder(r);
  CHECK(rr->state == ReminderState::kPlanned);
  CHECK(rr->last_error.find("cap of 2") != std::string::npos);
}

TEST_CASE("campaign send: without a merge window every follow-up is a message of its own") {
  Fixture f("plan: {merge_window_hours: 0}\ncaps: {max_messages: 5, period_days: 7}\n");
  f.later("fa", "u9", "diapers", kT - kHour);
  f.later("fb", "u9", "detergent", kT - kHour);
  const auto t = f.dispatcher->tick();
  CHECK(t.sent == 2);
  CHECK(t.merged == 0);
  CHECK(f.sent().size() == 2);
}
