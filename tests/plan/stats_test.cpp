// Campaign stats: Wilson and Newcombe intervals against published values, and the breakdown of
// a store's reminders.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "plan/stats.hpp"
#include "store/sqlite.hpp"
#include "store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using core::EpochSeconds;
using core::ReminderState;
using nlohmann::json;

TEST_CASE("stats: Wilson and Newcombe intervals match Newcombe (1998)") {
  // Single proportions (Newcombe, Statistics in Medicine 17:857, table I).
  auto w = plan::wilson_interval(81, 263);
  CHECK(w.first == doctest::Approx(0.2553).epsilon(1e-4));
  CHECK(w.second == doctest::Approx(0.3662).epsilon(1e-4));
  w = plan::wilson_interval(0, 10);
  CHECK(w.first == doctest::Approx(0.0));
  CHECK(w.second == doctest::Approx(0.2775).epsilon(1e-4));
  // Differences, method 10 (Newcombe, Statistics in Medicine 17:873, table II).
  auto u = plan::newcombe_uplift(56, 70, 48, 80);
  REQUIRE(u);
  CHECK(u->difference == doctest::Approx(0.2));
  CHECK(u->low == doctest::Approx(0.0524).epsilon(1e-3));
  CHECK(u->high == doctest::Approx(0.3339).epsilon(1e-3));
  u = plan::newcombe_uplift(9, 10, 3, 10);
  CHECK(u->low == doctest::Approx(0.1705).epsilon(1e-3));
  CHECK(u->high == doctest::Approx(0.8090).epsilon(1e-3));
  u = plan::newcombe_uplift(5, 56, 0, 29);
  CHECK(u->low == doctest::Approx(-0.0381).epsilon(1e-3));
  CHECK(u->high == doctest::Approx(0.1926).epsilon(1e-3));
  CHECK_FALSE(plan::newcombe_uplift(1, 10, 0, 0).has_value());
}

namespace {

constexpr EpochSeconds kT0 = 1709258400;  // 2024-03-01T10:00:00+08:00
constexpr EpochSeconds kDay = 86400;

struct Seed {
  testing::TempDir dir;
  store::SqliteStore store{dir.file("r.db")};
  int n = 0;

  /// A reminder due at kT0 + day days, then moved to `state`.
  std::int64_t add(const std::string& segment, const std::string& category, bool held_out,
                   ReminderState state, bool converted = false, int day = 0) {
    core::Reminder r;
    r.key = "k" + std::to_string(++n);
    r.user_id = "u" + std::to_string(n);
    r.category = category;
    r.due_at = r.next_attempt_at = kT0 + day * kDay;
    r.created_at = kT0 - kDay;
    r.campaign = "restock";
    r.segment = segment;
    r.held_out = held_out;
    r.state = held_out ? ReminderState::kHeldOut : ReminderState::kPlanned;
    if (held_out) r.channel = "hook";
    const auto id = store.insert_reminder(r);
    if (state == ReminderState::kSent || state == ReminderState::kConverted ||
        state == ReminderState::kDead) {
      store.with_transaction([&] {
        auto claimed = store.claim_due(r.due_at, 1000, 60);
        for (const auto& c : claimed) {
          store::AttemptRecord a;
          a.reminder_id = c.id;
          a.at = r.due_at;
          a.channel = "hook";
          a.outcome = c.id == id && state == ReminderState::kDead ? "permanent" : "delivered";
          a.new_state = c.id == id && state == ReminderState::kDead ? ReminderState::kDead
                                                                    : ReminderState::kSent;
          store.finish_attempt(a);
        }
      });
    } else if (state == ReminderState::kCancelled) {
      store.transition(id, r.state, state, "test", kT0);
    }
    if (converted) {
      store.set_conversion(id, r.due_at + kDay, false);
      if (!held_out) store.transition(id, ReminderState::kSent, ReminderState::kConverted, "", kT0);
    }
    return id;
  }
};

}  // namespace

TEST_CASE("stats: counts, rates and uplift per campaign, segment, category and channel") {
  Seed s;
  // Treatment, diapers: 10 sent of which 4 converted, 1 dead, 1 cancelled, 1 still planned.
  for (int i = 0; i < 10; ++i) s.add("loyal", "diapers", false, ReminderState::kSent, i < 4);
  s.add("loyal", "diapers", false, ReminderState::kDead);
  s.add("new", "diapers", false, ReminderState::kCancelled);
  s.add("new", "diapers", false, ReminderState::kPlanned, false, 30);
  // Control, diapers: 5 reached, 1 converted; one not yet due.
  for (int i = 0; i < 5; ++i) s.add("loyal", "diapers", true, ReminderState::kHeldOut, i < 1);
  s.add("loyal", "diapers", true, ReminderState::kHeldOut, false, 30);
  // Treatment, detergent: 2 sent, 2 converted; one delivery receipt says it failed.
  const auto failed = s.add("new", "detergent", false, ReminderState::kSent, true);
  s.add("new", "detergent", false, ReminderState::kSent, true);
  s.store.record_receipt(failed, "failed: system failed", kT0 + 60);
  // A coupon on one sent diapers reminder, redeemed; one on a detergent reminder, not.
  {
    store::Connection db(s.dir.file("r.db"), false, false);
    db.exec("UPDATE reminders SET coupon_code = 'C1', coupon_redeemed = 1 WHERE key = 'k1'");
    db.exec("UPDATE reminders SET coupon_code = 'C2' WHERE key = 'k21'");
  }

  const EpochSeconds now = kT0 + 10 * kDay;
  const auto v = plan::stats_view(s.store, core::kMinTime, core::kMaxTime, now, 14);
  const auto& t = v["total"];
  CHECK(t["planned"] == 15);
  CHECK(t["sent"] == 12);
  CHECK(t["delivered"] == 11);
  CHECK(t["failed"] == 2);  // the dead one and the failed receipt
  CHECK(t["cancelled"] == 1);
  CHECK(t["pending"] == 1);
  CHECK(t["converted"] == 6);
  CHECK(t["conversion_rate"].get<double>() == doctest::Approx(0.5));
  CHECK(t["coupons"] == 2);
  CHECK(t["coupons_redeemed"] == 1);
  CHECK(t["coupon_redemption_rate"].get<double>() == doctest::Approx(0.5));
  CHECK(t["holdout"]["reminders"] == 5);
  CHECK(t["holdout"]["converted"] == 1);
  CHECK(t["holdout"]["conversion_rate"].get<double>() == doctest::Approx(0.2));
  // 6/12 − 1/5 with Newcombe's interval.
  const auto u = plan::newcombe_uplift(6, 12, 1, 5);
  CHECK(t["uplift"]["difference"].get<double>() == doctest::Approx(0.3));
  CHECK(t["uplift"]["low"].get<double>() == doctest::Approx(u->low));
  CHECK(t["uplift"]["high"].get<double>() == doctest::Approx(u->high));
  CHECK(u->low < 0);  // five held-out reminders cannot show this is not chance

  REQUIRE(v["by_category"].size() == 2);
  const auto& det = v["by_category"][0];
  CHECK(det["key"] == "detergent");
  CHECK(det["sent"] == 2);
  CHECK(det["conversion_rate"].get<double>() == doctest::Approx(1.0));
  CHECK(det["holdout"]["reminders"] == 0);
  CHECK(det["uplift"].is_null());  // no control group in this category
  const auto& dia = v["by_category"][1];
  CHECK(dia["sent"] == 10);
  CHECK(dia["converted"] == 4);
  CHECK(dia["uplift"]["difference"].get<double>() == doctest::Approx(0.4 - 0.2));

  REQUIRE(v["by_segment"].size() == 2);
  CHECK(v["by_segment"][0]["key"] == "loyal");
  CHECK(v["by_segment"][0]["planned"] == 11);
  CHECK(v["by_segment"][1]["key"] == "new");
  CHECK(v["by_segment"][1]["planned"] == 4);
  REQUIRE(v["by_channel"].size() == 2);
  CHECK(v["by_channel"][0]["key"] == "(not sent)");  // cancelled and planned
  CHECK(v["by_channel"][1]["key"] == "hook");
  CHECK(v["by_channel"][1]["sent"] == 12);
  CHECK(v["by_channel"][1]["holdout"]["reminders"] == 5);
  CHECK(v["by_campaign"][0]["key"] == "restock");
  CHECK(v["interval"]["method"] == "newcombe_hybrid_score");

  // --until before day 30 leaves out the two reminders due then.
  const auto part = plan::stats_view(s.store, kT0, kT0 + 20 * kDay, now, 14);
  CHECK(part["total"]["planned"] == 14);
  CHECK(part["total"]["pending"] == 0);

  // The text fits 80 columns.
  const std::string text = plan::format_stats(v);
  std::size_t start = 0, widest = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    widest = std::max(widest, end - start);
    start = end + 1;
  }
  CHECK_MESSAGE(widest <= 80, text);
  CHECK(text.find("all                   15     12      0        11      2         1       1") !=
        std::string::npos);
  CHECK(text.find("all                 12     6  50.0%  50.0%     5  20.0%  +30.0 [") !=
        std::string::npos);
}

TEST_CASE("stats: --since and --until take a local date or a timestamp") {
  const auto tz = core::TimeZone::locate("Asia/Shanghai");
  std::string why;
  CHECK(plan::parse_bound("2024-03-01", tz, &why) ==
        *core::parse_timestamp("2024-03-01T00:00:00+08:00"));
  CHECK(plan::parse_bound("2024-03-01T12:00:00Z", tz, &why) == 1709294400);
  CHECK_FALSE(plan::parse_bound("2024-13-01", tz, &why).has_value());
  CHECK(why == "'2024-13-01' is not a date");
  CHECK_FALSE(plan::parse_bound("last week", tz, &why).has_value());
}
