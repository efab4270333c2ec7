// The planner with campaigns: rules by segment, the control group, the user's time zone,
// follow-ups, win-backs, attribution and opt-outs.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "plan/campaigns.hpp"
#include "plan/engine.hpp"
#include "plan/segments.hpp"
#include "store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using core::EpochSeconds;
using core::ReminderState;

namespace {

const char* kConfig = R"(
merchant: {name: 邻家小铺, timezone: Asia/Shanghai}
holdout: {share: 0.5, salt: "test-salt"}
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{category: [母婴], include: 纸尿裤}]
    default_cycle_days: 12
    lead_days: 2
channels:
  log: {type: log}
  hook: {type: log}
campaigns:
  - name: baby
    channels: [hook, log]
    rules:
      - {segment: new, template: restock_new, coupon: small}
      - {segment: loyal, template: restock_loyal}
      - {segment: default, template: replenish, coupon: small}
    follow_up: {template: follow_up, coupon: better}
    win_back: {template: win_back}
coupons:
  secret_file: coupon.key
  rules:
    small: {kind: amount_off, value: 5, threshold: 50}
    better: {kind: amount_off, value: 10, threshold: 50}
)";

/// Parses `yaml` with `dir` as its folder, after writing the coupon key it names.
config::Config parse_in(const testing::TempDir& dir, const std::string& yaml) {
  dir.write("coupon.key", "campaign-test-coupon-key-0123");
  return config::parse_config(yaml, "test", dir.path().string());
}

constexpr EpochSeconds kDay0 = 1709222400;  // 2024-03-01T00:00:00+08:00
constexpr EpochSeconds kDay = 86400;
constexpr EpochSeconds kHour = 3600;

core::OrderLine diaper(const std::string& order, EpochSeconds at, const std::string& user) {
  core::OrderLine l;
  l.order_id = order;
  l.line = 1;
  l.user_id = user;
  l.sku = "DP-L64";
  l.category = "母婴";
  l.subcategory = "帮宝适纸尿裤 L码";
  l.quantity = 1;
  l.ordered_at = at;
  return l;
}

/// The first user id "<prefix>N" that is (or is not) in the control group of kConfig.
std::string user_in_group(const std::string& prefix, bool held_out) {
  for (int i = 0;; ++i) {
    const std::string id = prefix + std::to_string(i);
    if (plan::in_holdout("test-salt", id, 0.5) == held_out) return id;
  }
}

struct Fixture {
  testing::TempDir dir;
  std::shared_ptr<const config::Config> cfg =
      std::make_shared<const config::Config>(parse_in(dir, kConfig));
  store::SqliteStore store{dir.file("r.db")};
  core::SimulatedClock clock{kDay0 + 21 * kDay, 0};  // day 21, 00:00
  plan::Engine engine{cfg, store, clock};

  /// Purchases at noon on days 0, 10 and 20: the reminder is due on day 28 at 10:00.
  void regular(const std::string& user) {
    engine.ingest({diaper(user + "a", kDay0 + 12 * kHour, user),
                   diaper(user + "b", kDay0 + 10 * kDay + 12 * kHour, user),
                   diaper(user + "c", kDay0 + 20 * kDay + 12 * kHour, user)});
  }
  std::vector<core::Reminder> reminders(const std::string& user) {
    return store.pair_reminders(user, "diapers");
  }
  /// Sends every due planned reminder now, as the dispatcher would.
  int send_due() {
    auto claimed = store.claim_due(clock.now(), 100, 60);
    for (const auto& r : claimed) {
      store::AttemptRecord a;
      a.reminder_id = r.id;
      a.at = clock.now();
      a.channel = "hook";
      a.outcome = "delivered";
      a.new_state = ReminderState::kSent;
      store.finish_attempt(a);
    }
    return static_cast<int>(claimed.size());
  }
  void advance_to(EpochSeconds t) {
    REQUIRE(t >= clock.now());
    clock.advance(t - clock.now());
  }
};

}  // namespace

TEST_CASE("campaign plan: each segment gets its rule's template and coupon rule") {
  Fixture f;
  const auto fresh = user_in_group("new", false);
  const auto loyal = user_in_group("loyal", false);
  const auto two = user_in_group("two", false);
  f.engine.ingest({diaper("n1", kDay0 + 20 * kDay + 12 * kHour, fresh)});
  f.regular(loyal);
  f.engine.ingest({diaper("t1", kDay0 + 10 * kDay + 12 * kHour, two),
                   diaper("t2", kDay0 + 20 * kDay + 12 * kHour, two)});

  auto r = f.reminders(fresh);
  REQUIRE(r.size() == 1);
  CHECK(r[0].campaign == "baby");
  CHECK(r[0].segment == "new");
  CHECK(r[0].kind == "replenish");
  CHECK(r[0].template_name == "restock_new");
  CHECK(r[0].coupon_rule == "small");
  CHECK(r[0].state == ReminderState::kPlanned);
  CHECK_FALSE(r[0].held_out);
  CHECK(r[0].channel.empty());  // set when it is sent

  r = f.reminders(loyal);
  REQUIRE(r.size() == 1);
  CHECK(r[0].segment == "loyal");
  CHECK(r[0].template_name == "restock_loyal");
  CHECK(r[0].coupon_rule.empty());

  r = f.reminders(two);
  REQUIRE(r.size() == 1);
  CHECK(r[0].segment == "regular");  // the default rule records the lifecycle segment
  CHECK(r[0].template_name == "replenish");
  CHECK(r[0].coupon_rule == "small");
}

TEST_CASE("campaign plan: a held-out user's reminder is recorded held_out and never claimed") {
  Fixture f;
  const auto held = user_in_group("h", true);
  const auto treated = user_in_group("t", false);
  f.regular(held);
  f.regular(treated);
  const auto h = f.reminders(held).at(0);
  CHECK(h.state == ReminderState::kHeldOut);
  CHECK(h.held_out);
  CHECK(h.channel == "hook");  // the channel it would have tried first
  CHECK(h.due_at == kDay0 + 28 * kDay + 10 * kHour);
  // At the due time only the treated user's reminder is claimed.
  f.advance_to(kDay0 + 28 * kDay + 11 * kHour);
  auto claimed = f.store.claim_due(f.clock.now(), 10, 60);
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].user_id == treated);
  // The same users are held out by a new engine on the same store (a restart).
  plan::Engine again{f.cfg, f.store, f.clock};
  const auto held2 = user_in_group("h", true);
  CHECK(held2 == held);
}

TEST_CASE(
    "campaign plan: a held-out reminder bought ahead of its date is cancelled like a sent "
    "one would be") {
  Fixture f;
  const auto held = user_in_group("h", true);
  f.regular(held);
  f.advance_to(kDay0 + 25 * kDay + 13 * kHour);
  const auto s = f.engine.ingest({diaper("early", kDay0 + 25 * kDay + 12 * kHour, held)});
  CHECK(s.cancelled == 1);
  const auto all = f.reminders(held);
  REQUIRE(all.size() == 2);
  CHECK(all[0].state == ReminderState::kCancelled);
  CHECK(all[0].held_out);
  CHECK(all[1].state == ReminderState::kHeldOut);
}

TEST_CASE("campaign plan: the due time follows the user's own time zone") {
  Fixture f;
  const auto user = user_in_group("ny", false);
  f.store.upsert_user(store::UserRecord{user, "", "America/New_York", false}, f.clock.now());
  // Purchases at 09:00 in Shanghai, 21:00 the evening before in New York.
  f.engine.ingest({diaper("z1", kDay0 + 9 * kHour, user),
                   diaper("z2", kDay0 + 10 * kDay + 9 * kHour, user),
                   diaper("z3", kDay0 + 20 * kDay + 9 * kHour, user)});
  const auto r = f.reminders(user).at(0);
  const auto pair = f.store.pair(user, "diapers");
  REQUIRE(pair);
  // Need on 31 March 09:00 in Shanghai, which is 30 March 21:00 in New York: two days' lead
  // there gives 28 March at 10:00 EDT (a Shanghai customer would get it on 29 March).
  CHECK(pair->next_at == *core::parse_timestamp("2024-03-31T09:00:00+08:00"));
  CHECK(r.due_at == *core::parse_timestamp("2024-03-28T10:00:00-04:00"));
  const auto vars = nlohmann::json::parse(r.payload)["vars"];
  CHECK(vars["due_date"] == "3月28日");
  CHECK(vars["predicted_date"] == "3月30日");
}

TEST_CASE("campaign plan: one follow-up when nothing was bought N days after the reminder") {
  Fixture f;
  const auto user = user_in_group("f", false);
  const auto bought = user_in_group("b", false);
  const auto held = user_in_group("h", true);
  f.regular(user);
  f.regular(bought);
  f.regular(held);
  f.advance_to(kDay0 + 28 * kDay + 11 * kHour);
  CHECK(f.send_due() == 2);
  // `bought` buys on day 30; the others do not.
  f.advance_to(kDay0 + 30 * kDay + 13 * kHour);
  f.engine.ingest({diaper("b-again", kDay0 + 30 * kDay + 12 * kHour, bought)});
  // Day 35 10:30: seven days have not passed since 11:00 on day 28, when the treated reminders
  // went out; they have since the held-out reminder's 10:00 due time (when it "went out").
  f.advance_to(kDay0 + 35 * kDay + 10 * kHour + 1800);
  auto s = f.engine.sweep();
  CHECK(s.follow_ups == 1);
  auto h = f.reminders(held);
  REQUIRE(h.size() == 2);
  CHECK(h[1].kind == "follow_up");
  CHECK(h[1].state == ReminderState::kHeldOut);
  CHECK(h[1].due_at == f.clock.now());  // due at once: inside the send window
  // Day 35 12:00: the treated user's follow-up, due at once (inside the window).
  f.advance_to(kDay0 + 35 * kDay + 12 * kHour);
  s = f.engine.sweep();
  CHECK(s.follow_ups == 1);
  auto r = f.reminders(user);
  REQUIRE(r.size() == 2);
  CHECK(r[1].kind == "follow_up");
  CHECK(r[1].state == ReminderState::kPlanned);
  CHECK(r[1].template_name == "follow_up");
  CHECK(r[1].coupon_rule == "better");
  CHECK(r[1].based_on == r[0].based_on);
  CHECK(r[1].due_at == f.clock.now());
  CHECK(r[1].segment == "loyal");  // three purchases, still inside the interval
  CHECK(r[1].key == plan::reminder_key(user, "diapers", "follow_up", r[0].based_on));
  // At most one: later sweeps plan nothing more, for anyone.
  f.advance_to(kDay0 + 36 * kDay + 12 * kHour);
  CHECK(f.engine.sweep().follow_ups == 0);
  CHECK(f.reminders(user).size() == 2);
  CHECK(f.reminders(bought).size() == 2);  // the converted first and the one after the purchase
  CHECK(f.reminders(bought)[0].state == ReminderState::kConverted);
}

TEST_CASE("campaign plan: a lapsed user gets the win-back once, then silence") {
  Fixture f;
  const auto user = user_in_group("w", false);
  f.regular(user);
  f.advance_to(kDay0 + 28 * kDay + 11 * kHour);
  f.send_due();
  // The interval's upper bound is near day 33; lapsed one cycle (about 10 days) after it.
  f.advance_to(kDay0 + 40 * kDay + 12 * kHour);
  auto s = f.engine.sweep();
  CHECK(s.lapsed == 0);
  CHECK(s.follow_ups == 1);
  f.send_due();
  f.advance_to(kDay0 + 60 * kDay + 22 * kHour);  // 22:00: quiet hours
  s = f.engine.sweep();
  CHECK(s.lapsed == 1);
  CHECK(s.win_backs == 1);
  auto r = f.reminders(user);
  REQUIRE(r.size() == 3);
  CHECK(r[2].kind == "win_back");
  CHECK(r[2].template_name == "win_back");
  CHECK(r[2].segment == "lapsed");
  CHECK(r[2].due_at == kDay0 + 61 * kDay + 10 * kHour);
  CHECK(f.store.pair(user, "diapers")->lapsed);
  f.advance_to(kDay0 + 80 * kDay + 12 * kHour);
  s = f.engine.sweep();
  CHECK(s.lapsed == 0);
  CHECK(f.reminders(user).size() == 3);
}

TEST_CASE("campaign plan: conversions count within the attribution window, held out included") {
  Fixture f;
  const auto in_time = user_in_group("a", false);
  const auto late = user_in_group("l", false);
  const auto held = user_in_group("h", true);
  f.regular(in_time);
  f.regular(late);
  f.regular(held);
  f.advance_to(kDay0 + 28 * kDay + 11 * kHour);
  CHECK(f.send_due() == 2);
  const EpochSeconds sent = f.clock.now();
  f.advance_to(kDay0 + 40 * kDay + 13 * kHour);
  auto s = f.engine.ingest({diaper("a4", kDay0 + 40 * kDay + 12 * kHour, in_time),
                            diaper("h4", kDay0 + 41 * kDay + 9 * kHour, held)});
  CHECK(s.converted == 1);  // the held-out one is recorded once its line's time has come
  auto a = f.reminders(in_time).at(0);
  CHECK(a.state == ReminderState::kConverted);
  CHECK(a.sent_at == sent);
  CHECK(a.converted_at == kDay0 + 40 * kDay + 12 * kHour);
  CHECK_FALSE(a.coupon_redeemed);
  f.advance_to(kDay0 + 42 * kDay + 13 * kHour);
  // 12 days 23 hours after 28 March 10:00 still counts for the held-out reminder.
  f.engine.ingest({diaper("h5", kDay0 + 42 * kDay + 12 * kHour, held)});
  auto h = f.reminders(held).at(0);
  CHECK(h.state == ReminderState::kHeldOut);
  CHECK(h.held_out);
  CHECK(h.converted_at == kDay0 + 41 * kDay + 9 * kHour);
  // 15 days after the reminder: too late to be its conversion.
  f.advance_to(kDay0 + 43 * kDay + 13 * kHour);
  s = f.engine.ingest({diaper("l4", kDay0 + 43 * kDay + 12 * kHour, late)});
  CHECK(s.converted == 0);
  auto l = f.reminders(late).at(0);
  CHECK(l.state == ReminderState::kSent);
  CHECK(l.converted_at == 0);
}

TEST_CASE("campaign plan: an opted-out user gets nothing planned") {
  Fixture f;
  const auto user = user_in_group("o", false);
  f.store.upsert_user(store::UserRecord{user, "", "", true}, f.clock.now());
  const auto s = f.engine.ingest({diaper("o1", kDay0 + 20 * kDay + 12 * kHour, user)});
  CHECK(s.planned == 0);
  CHECK(f.reminders(user).empty());
  CHECK(f.store.pair(user, "diapers").has_value());  // the model still learns
}

TEST_CASE("campaign plan: the high-value threshold is computed at refresh, stored, and used") {
  Fixture f;
  auto cfg = parse_in(f.dir, std::string(kConfig) + R"(
segments: {high_value_quantile: 0.75}
)");
  cfg.holdout.share = 0;
  cfg.campaigns[0].rules.insert(cfg.campaigns[0].rules.begin(),
                                config::CampaignRule{"high_value", "vip", "", "", "x"});
  auto shared = std::make_shared<const config::Config>(cfg);
  plan::Engine engine{shared, f.store, f.clock};
  std::vector<core::OrderLine> lines;
  for (int u = 1; u <= 8; ++u) {
    auto l = diaper("p" + std::to_string(u), kDay0 + 12 * kHour, "spender" + std::to_string(u));
    l.unit_price = 10.0 * u;  // spends 10 .. 80
    l.quantity = 1;
    lines.push_back(l);
  }
  engine.ingest(lines);
  engine.refresh_priors();
  CHECK(f.store.threshold(plan::kHighValueThreshold) == doctest::Approx(70));  // top 2 of 8
  auto top = diaper("p9", kDay0 + 20 * kDay + 12 * kHour, "spender8");
  engine.ingest({top});
  auto low = diaper("p10", kDay0 + 20 * kDay + 12 * kHour, "spender3");
  engine.ingest({low});
  CHECK(f.store.pair_reminders("spender8", "diapers").back().template_name == "vip");
  CHECK(f.store.pair_reminders("spender8", "diapers").back().segment == "high_value");
  CHECK(f.store.pair_reminders("spender3", "diapers").back().template_name == "replenish");
  // A restarted engine loads the stored threshold instead of recomputing it.
  plan::Engine again{shared, f.store, f.clock};
  again.load_priors();
  again.ingest({diaper("p11", kDay0 + 20 * kDay + 13 * kHour, "spender7")});
  CHECK(f.store.pair_reminders("spender7", "diapers").back().template_name == "vip");
}

TEST_CASE("campaign check: unknown templates and WeChat wording are found before start") {
  const std::string base = R"(
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{category: [母婴]}]
channels:
  oa:
    type: wechat_template
    appid: wx1
    secret: s
    template_id: T
    url: "https://shop.example/r?c={{category}}"
    fields:
      thing1: "{{category_name}}即将用完，优惠券已到账"
      thing2: "券码{{coupon_code}}"
      time3: "{{predicted_date}}"
  hook: {type: log}
campaigns:
  - name: baby
    channels: [oa, hook]
    rules:
      - {segment: new, template: restock_new, coupon: small}
      - {segment: default, template: replenish}
coupons:
  secret_file: coupon.key
  rules:
    small: {kind: amount_off, value: 5}
templates:
  replenish@hook: "{{shop_name}}：{{category_name}}快用完了"
  replenish@sms: "{{category_name}}"
  replenish@wechat_template: "限时抢购{{category_name}}"
)";
  testing::TempDir dir;
  auto cfg = parse_in(dir, base);
  auto templates = notify::Templates::with_defaults(cfg.templates);
  auto check = plan::check_campaigns(cfg, templates);
  REQUIRE(check.errors.size() == 5);
  CHECK(check.errors[0].path == "campaigns[0].rules[0].template");
  CHECK(check.errors[0].message ==
        "unknown template 'restock_new' (known: digest, follow_up, replenish, win_back)");
  CHECK(check.errors[1].path == "templates.replenish@sms");
  CHECK(check.errors[1].message == "'sms' is neither a configured channel nor the type of one");
  CHECK(check.errors[2].path == "channels.oa.fields.thing1");
  CHECK(check.errors[2].message.find("contains '优惠券'") == 0);
  CHECK(check.errors[3].path == "channels.oa.fields.thing2");
  CHECK(check.errors[3].message.find("uses {{coupon_code}}") == 0);
  CHECK(check.errors[4].path == "templates.replenish@wechat_template");
  CHECK(check.errors[4].message.find("contains '抢购'") == 0);
  // The coupon rides nowhere on oa: a warning.
  REQUIRE(check.warnings.size() == 1);
  CHECK(check.warnings[0].path == "channels.oa");

  // policy.enforce: false turns the wording findings into warnings.
  auto lenient = parse_in(dir, base + "policy: {enforce: false}\n");
  check = plan::check_campaigns(lenient, templates);
  CHECK(check.errors.size() == 2);
  CHECK(check.warnings.size() == 4);
  CHECK(plan::resolve_template(templates, "replenish", "hook", "log") == "replenish@hook");
  CHECK(plan::resolve_template(templates, "replenish", "oa", "wechat_template") ==
        "replenish@wechat_template");
  CHECK(plan::resolve_template(templates, "replenish", "other", "log") == "replenish");
}
