#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "plan/engine.hpp"
#include "store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using core::EpochSeconds;
using core::ReminderState;

namespace {

const char* kConfig = R"(
merchant: {name: 邻家小铺, timezone: Asia/Shanghai}
plan: {send_time: "10:00"}
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{category: [母婴], include: 纸尿裤}]
    default_cycle_days: 12
    lead_days: 2
channels:
  log: {type: log}
)";

// 2024-03-01T00:00:00+08:00
constexpr EpochSeconds kDay0 = 1709222400;
constexpr EpochSeconds kDay = 86400;

core::OrderLine diaper(const std::string& order, EpochSeconds at, const std::string& user = "u1",
                       const std::string& category = "母婴",
                       const std::string& product = "帮宝适纸尿裤 L码") {
  core::OrderLine l;
  l.order_id = order;
  l.line = 1;
  l.user_id = user;
  l.sku = "DP-L64";
  l.category = category;
  l.subcategory = product;
  l.quantity = 1;
  l.ordered_at = at;
  return l;
}

struct Fixture {
  testing::TempDir dir;
  std::shared_ptr<const config::Config> cfg =
      std::make_shared<const config::Config>(config::parse_config(kConfig, "test"));
  store::SqliteStore store{dir.file("r.db")};
  core::SimulatedClock clock{kDay0 + 21 * kDay, 0};
  plan::Engine engine{cfg, store, clock};

  std::vector<core::Reminder> reminders(const std::string& user = "u1") {
    return store.pair_reminders(user, "diapers");
  }
};

}  // namespace

TEST_CASE("plan: a regular 10-day cycle plans a reminder lead_days before the need") {
  Fixture f;
  const auto s =
      f.engine.ingest({diaper("o1", kDay0 + 12 * 3600), diaper("o2", kDay0 + 10 * kDay + 12 * 3600),
                       diaper("o3", kDay0 + 20 * kDay + 12 * 3600)});
  CHECK(s.stored == 3);
  CHECK(s.periodic == 3);
  CHECK(s.pairs_updated == 1);
  CHECK(s.planned == 1);
  const auto pair = f.store.pair("u1", "diapers");
  REQUIRE(pair);
  CHECK(pair->purchases == 3);
  CHECK(pair->intervals == 2);
  // Two 10-day intervals shrunk towards the 12-day default prior; the need day rounds down.
  CHECK(pair->cycle_days == doctest::Approx(10.3432).epsilon(1e-4));
  CHECK(pair->next_at == kDay0 + 30 * kDay + 12 * 3600);
  const auto r = f.reminders();
  REQUIRE(r.size() == 1);
  CHECK(r[0].state == ReminderState::kPlanned);
  // Need on day 30, two days' lead: day 28 at 10:00 Shanghai time.
  CHECK(r[0].due_at == kDay0 + 28 * kDay + 10 * 3600);
  CHECK(r[0].key ==
        plan::reminder_key("u1", "diapers", "replenish", kDay0 + 20 * kDay + 12 * 3600));
  const auto vars = nlohmann::json::parse(r[0].payload)["vars"];
  CHECK(vars["category_name"] == "纸尿裤");
  CHECK(vars["shop_name"] == "邻家小铺");
  CHECK(vars["last_purchase_date"] == "3月21日");
  CHECK(vars["predicted_date"] == "3月31日");
  CHECK(vars["due_date"] == "3月29日");
  CHECK(vars["days_since_last"] == 7);
}

TEST_CASE("plan: one purchase falls back to the category's default cycle") {
  Fixture f;
  f.engine.ingest({diaper("o1", kDay0 + 20 * kDay + 12 * 3600)});
  const auto pair = f.store.pair("u1", "diapers");
  REQUIRE(pair);
  CHECK(pair->intervals == 0);
  CHECK(pair->cycle_days == doctest::Approx(12.0));
  CHECK(pair->next_at == kDay0 + 32 * kDay + 12 * 3600);
  REQUIRE(f.reminders().size() == 1);
  CHECK(f.reminders()[0].due_at == kDay0 + 30 * kDay + 10 * 3600);
}

TEST_CASE("plan: lines of one day are one purchase") {
  Fixture f;
  auto second = diaper("o1b", kDay0 + 10 * kDay + 20 * 3600);
  f.engine.ingest(
      {diaper("o1", kDay0 + 12 * 3600), diaper("o2", kDay0 + 10 * kDay + 9 * 3600), second});
  const auto pair = f.store.pair("u1", "diapers");
  REQUIRE(pair);
  CHECK(pair->purchases == 2);
  CHECK(pair->intervals == 1);
  CHECK(pair->last_amount == doctest::Approx(2.0));
}

TEST_CASE("plan: a repurchase before the date cancels the pending reminder and plans anew") {
  Fixture f;
  f.engine.ingest({diaper("o1", kDay0 + 12 * 3600), diaper("o2", kDay0 + 10 * kDay + 12 * 3600),
                   diaper("o3", kDay0 + 20 * kDay + 12 * 3600)});
  const auto first = f.reminders().at(0);
  f.clock.advance(3 * kDay + 13 * 3600);  // day 24 13:00, before the day-28 reminder
  const auto s = f.engine.ingest({diaper("o4", kDay0 + 24 * kDay + 12 * 3600)});
  CHECK(s.cancelled == 1);
  CHECK(s.planned == 1);
  const auto all = f.reminders();
  REQUIRE(all.size() == 2);
  CHECK(all[0].id == first.id);
  CHECK(all[0].state == ReminderState::kCancelled);
  CHECK(all[1].state == ReminderState::kPlanned);
  CHECK(all[1].key != first.key);
}

TEST_CASE("plan: re-sending the same orders changes nothing") {
  Fixture f;
  const std::vector<core::OrderLine> batch{diaper("o1", kDay0 + 12 * 3600),
                                           diaper("o2", kDay0 + 10 * kDay + 12 * 3600)};
  f.engine.ingest(batch);
  const auto s = f.engine.ingest(batch);
  CHECK(s.stored == 0);
  CHECK(s.duplicates == 2);
  CHECK(s.planned == 0);
  CHECK(f.reminders().size() == 1);
}

TEST_CASE("plan: lines outside periodic categories are stored and plan nothing") {
  Fixture f;
  const auto s = f.engine.ingest({diaper("o1", kDay0, "u2", "零食", "乐事薯片"),
                                  diaper("o2", kDay0, "u3", "母婴", "婴儿湿巾")});
  CHECK(s.stored == 2);
  CHECK(s.periodic == 0);
  CHECK(s.planned == 0);
  CHECK(f.store.order_count() == 2);
  CHECK(f.store.list_reminders(store::ReminderFilter{}).empty());
}

TEST_CASE("plan: a purchase after a sent reminder converts it") {
  Fixture f;
  f.engine.ingest({diaper("o1", kDay0 + 12 * 3600), diaper("o2", kDay0 + 10 * kDay + 12 * 3600),
                   diaper("o3", kDay0 + 20 * kDay + 12 * 3600)});
  f.clock.advance(7 * kDay + 3600 * 11);  // day 28, 11:00
  auto claimed = f.store.claim_due(f.clock.now(), 10, 60);
  REQUIRE(claimed.size() == 1);
  store::AttemptRecord a;
  a.reminder_id = claimed[0].id;
  a.at = f.clock.now();
  a.channel = "log";
  a.outcome = "delivered";
  a.new_state = ReminderState::kSent;
  f.store.finish_attempt(a);
  f.clock.advance(kDay + 2 * 3600);  // day 29, 13:00
  const auto s = f.engine.ingest({diaper("o4", kDay0 + 29 * kDay + 12 * 3600)});
  CHECK(s.converted == 1);
  CHECK(f.store.reminder(claimed[0].id)->state == ReminderState::kConverted);
}

TEST_CASE("plan: overdue reminders go out at the next send time") {
  const auto tz = core::TimeZone::locate("Asia/Shanghai");
  config::PlanConfig p;  // 10:00
  const EpochSeconds morning = kDay0 + 5 * kDay + 8 * 3600;
  CHECK(plan::send_slot(tz.local_day(morning) + 2, p, tz, morning) == kDay0 + 7 * kDay + 10 * 3600);
  CHECK(plan::send_slot(tz.local_day(morning) - 3, p, tz, morning) == kDay0 + 5 * kDay + 10 * 3600);
  const EpochSeconds evening = kDay0 + 5 * kDay + 18 * 3600;
  CHECK(plan::send_slot(tz.local_day(evening) - 3, p, tz, evening) == kDay0 + 6 * kDay + 10 * 3600);
}

TEST_CASE("plan: learned priors replace the default cycle once the population is large enough") {
  Fixture f;
  // 40 users who buy every 20 days (the configured default is 12), and one newcomer.
  std::vector<core::OrderLine> lines;
  for (int u = 0; u < 40; ++u) {
    for (int k = 0; k < 4; ++k) {
      lines.push_back(diaper("o" + std::to_string(u) + "-" + std::to_string(k),
                             kDay0 - 70 * kDay + (k * 20 + u % 5) * kDay + 12 * 3600,
                             "p" + std::to_string(u)));
    }
  }
  f.engine.ingest(lines);
  const auto summary = f.engine.refresh_priors();
  REQUIRE(summary.size() == 1);
  CHECK(summary[0].learned);
  CHECK(summary[0].n_users == 40);
  // The centre blends the learned 20 days with the 12-day default, weighted 40 : 20 (users
  // against model.min_population): exp((2 ln 20 + ln 12) / 3) = 16.87 days.
  CHECK(summary[0].cycle_days ==
        doctest::Approx(std::exp((2 * std::log(20.0) + std::log(12.0)) / 3)).epsilon(1e-3));
  f.engine.ingest({diaper("new", kDay0 + 20 * kDay + 12 * 3600, "newcomer")});
  const auto pair = f.store.pair("newcomer", "diapers");
  REQUIRE(pair);
  CHECK(pair->intervals == 0);
  CHECK(pair->cycle_days == doctest::Approx(summary[0].cycle_days).epsilon(1e-3));
  // The learned prior is stored and survives a restart of the engine.
  plan::Engine again{f.cfg, f.store, f.clock};
  again.load_priors();
  const auto cm = again.category_model(*f.cfg->category("diapers"));
  CHECK(cm.prior.n_users == 40);
  CHECK(std::exp(cm.prior.m) == doctest::Approx(summary[0].cycle_days));
}

TEST_CASE("plan: a line dated after now does not count until its time comes") {
  Fixture f;  // now: day 21 00:00
  f.engine.ingest({diaper("o1", kDay0 + 12 * 3600), diaper("o2", kDay0 + 10 * kDay + 12 * 3600),
                   diaper("o3", kDay0 + 30 * kDay + 12 * 3600)});
  const auto pair = f.store.pair("u1", "diapers");
  REQUIRE(pair);
  CHECK(pair->purchases == 2);
  CHECK(pair->last_at == kDay0 + 10 * kDay + 12 * 3600);
}
