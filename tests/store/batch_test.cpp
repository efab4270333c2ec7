// The store's batched calls used by the dispatcher: outcomes in one transaction, users and
// channel opt-outs of a whole claimed batch in a few statements.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using namespace replenish::store;

namespace {

core::Reminder reminder(const std::string& key) {
  core::Reminder r;
  r.key = key;
  r.user_id = "u-" + key;
  r.category = "diapers";
  r.due_at = r.next_attempt_at = 100;
  r.created_at = 1;
  return r;
}

}  // namespace

TEST_CASE("store: finish_attempts records a group of outcomes, each only while it is sending") {
  testing::TempDir dir;
  SqliteStore s(dir.file("r.db"));
  const auto a = s.insert_reminder(reminder("a"));
  const auto b = s.insert_reminder(reminder("b"));
  const auto c = s.insert_reminder(reminder("c"));
  REQUIRE(s.claim_due(100, 2, 60).size() == 2);  // a and b; c stays planned

  std::vector<AttemptRecord> group(3);
  group[0] = {a, 101, "hook", "delivered", "HTTP 200", 3, core::ReminderState::kSent, 0, "m-a"};
  group[1] = {b, 101, "hook", "retryable", "HTTP 503", 4, core::ReminderState::kPlanned, 161, ""};
  group[2] = {c, 101, "hook", "delivered", "late", 1, core::ReminderState::kSent, 0, "m-c"};
  s.finish_attempts(group);

  CHECK(s.reminder(a)->state == core::ReminderState::kSent);
  CHECK(s.reminder(a)->provider_id == "m-a");
  CHECK(s.reminder(b)->state == core::ReminderState::kPlanned);
  CHECK(s.reminder(b)->next_attempt_at == 161);
  CHECK(s.reminder(b)->last_error == "HTTP 503");
  // c was never claimed: its attempt row is kept but the reminder does not move.
  CHECK(s.reminder(c)->state == core::ReminderState::kPlanned);
  CHECK(s.reminder_counts() == std::map<std::string, std::int64_t>{{"planned", 2}, {"sent", 1}});
  s.finish_attempts({});  // nothing to do
}

TEST_CASE("store: users and channel opt-outs of many users at once, beyond one IN list") {
  testing::TempDir dir;
  SqliteStore s(dir.file("r.db"));
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    const std::string id = fmt::format("u{:03}", i);
    ids.push_back(id);
    if (i % 3 == 0) s.upsert_user(UserRecord{id, "oid-" + id, "", i == 150}, 1);
    if (i % 100 == 7) s.set_channel_optout(id, "wx", "blocked", 1);
  }
  s.set_channel_optout("u299", "*", "asked for silence", 1);
  s.set_channel_optout("elsewhere", "wx", "not asked for", 1);
  ids.push_back("u000");  // duplicates and unknown ids are fine
  ids.push_back("nobody");

  const auto users = s.users(ids);
  CHECK(users.size() == 100);  // every third of 300
  CHECK(users.at("u000").openid == "oid-u000");
  CHECK(users.at("u297").openid == "oid-u297");
  CHECK(users.at("u150").opted_out);
  CHECK_FALSE(users.at("u153").opted_out);
  CHECK(users.count("u001") == 0);

  const auto optouts = s.channel_optouts(ids);
  CHECK(optouts == std::set<std::pair<std::string, std::string>>{
                       {"u007", "wx"}, {"u107", "wx"}, {"u207", "wx"}, {"u299", "*"}});
  CHECK(s.users({}).empty());
  CHECK(s.channel_optouts({}).empty());
}
