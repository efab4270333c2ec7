// The coupon ledger in the SQLite store: budgets, one live coupon per user and category,
// reuse on retry, redemption.
#include <doctest/doctest.h>

#include "core/time.hpp"
#include "store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using store::CouponDecision;
using store::RedeemStatus;

namespace {

// 2024-03-01 in Asia/Shanghai: [00:00, 24:00) local.
const core::EpochSeconds kDay1 = *core::parse_timestamp("2024-03-01T00:00:00+08:00");
constexpr core::EpochSeconds kDay = 86400;

store::CouponRecord candidate(const std::string& code, const std::string& user,
                              std::int64_t reminder, core::EpochSeconds at,
                              const std::string& category = "diapers") {
  store::CouponRecord c;
  c.code = code;
  c.rule = "small";
  c.user_id = user;
  c.category = category;
  c.reminder_id = reminder;
  c.source = "local";
  c.value_text = "满50减5元";
  c.issued_at = at;
  c.expires_at = at + 7 * kDay;
  return c;
}

store::CouponLimits limits(std::int64_t per_day, std::int64_t total, core::EpochSeconds day) {
  return store::CouponLimits{per_day, total, day, day + kDay};
}

}  // namespace

TEST_CASE("coupon ledger: the daily budget is spent, and the next local day has budget again") {
  testing::TempDir dir;
  store::SqliteStore s(dir.file("r.db"));
  const core::EpochSeconds t = kDay1 + 10 * 3600;
  int issued = 0, refused = 0;
  for (int i = 0; i < 5; ++i) {
    const auto r =
        s.issue_coupon(candidate("C" + std::to_string(i), "u" + std::to_string(i), 100 + i, t + i),
                       limits(3, 0, kDay1));
    issued += r.decision == CouponDecision::kIssued ? 1 : 0;
    refused += r.decision == CouponDecision::kBudgetExhausted ? 1 : 0;
  }
  CHECK(issued == 3);
  CHECK(refused == 2);
  CHECK(s.coupon("C2"));
  CHECK_FALSE(s.coupon("C3"));
  // A check says the same without writing.
  CHECK(s.check_coupon(candidate("X", "u9", 109, t + 60), limits(3, 0, kDay1)).decision ==
        CouponDecision::kBudgetExhausted);
  CHECK(s.check_coupon(candidate("X", "u9", 109, t + 60), limits(4, 0, kDay1)).decision ==
        CouponDecision::kIssued);
  CHECK_FALSE(s.coupon("X"));
  // The next day (its own boundaries) has 3 again.
  const core::EpochSeconds t2 = kDay1 + kDay + 9 * 3600;
  issued = 0;
  for (int i = 5; i < 9; ++i) {
    const auto r =
        s.issue_coupon(candidate("C" + std::to_string(i), "u" + std::to_string(i), 100 + i, t2 + i),
                       limits(3, 0, kDay1 + kDay));
    issued += r.decision == CouponDecision::kIssued ? 1 : 0;
  }
  CHECK(issued == 3);
}

TEST_CASE("coupon ledger: the total budget counts every day") {
  testing::TempDir dir;
  store::SqliteStore s(dir.file("r.db"));
  int issued = 0;
  for (int day = 0; day < 4; ++day) {
    for (int i = 0; i < 2; ++i) {
      const int n = day * 2 + i;
      const auto r = s.issue_coupon(candidate("T" + std::to_string(n), "u" + std::to_string(n),
                                              200 + n, kDay1 + day * kDay + 3600 + i),
                                    limits(2, 5, kDay1 + day * kDay));
      issued += r.decision == CouponDecision::kIssued ? 1 : 0;
      if (n >= 5) CHECK(r.decision == CouponDecision::kBudgetExhausted);
    }
  }
  CHECK(issued == 5);
  // Budgets are per rule: another rule still issues.
  auto other = candidate("O1", "u50", 300, kDay1 + 3 * kDay + 7200);
  other.rule = "big";
  CHECK(s.issue_coupon(other, limits(2, 5, kDay1 + 3 * kDay)).decision == CouponDecision::kIssued);
}

TEST_CASE("coupon ledger: one live coupon per user and category") {
  testing::TempDir dir;
  store::SqliteStore s(dir.file("r.db"));
  const core::EpochSeconds t = kDay1 + 10 * 3600;
  REQUIRE(s.issue_coupon(candidate("L1", "u1", 1, t), limits(0, 0, kDay1)).decision ==
          CouponDecision::kIssued);
  // Same user and category, another reminder: refused, the live one is returned.
  const auto again = s.issue_coupon(candidate("L2", "u1", 2, t + kDay), limits(0, 0, kDay1));
  CHECK(again.decision == CouponDecision::kLiveCouponExists);
  CHECK(again.coupon.code == "L1");
  CHECK_FALSE(s.coupon("L2"));
  // Another category or another user: fine.
  CHECK(s.issue_coupon(candidate("L3", "u1", 3, t, "coffee"), limits(0, 0, kDay1)).decision ==
        CouponDecision::kIssued);
  CHECK(s.issue_coupon(candidate("L4", "u2", 4, t), limits(0, 0, kDay1)).decision ==
        CouponDecision::kIssued);
  // Once L1 is redeemed, u1 may get a new one in the category.
  CHECK(s.redeem_coupon("L1", "o-1", t + 2 * kDay).status == RedeemStatus::kRedeemed);
  CHECK(s.issue_coupon(candidate("L5", "u1", 5, t + 3 * kDay), limits(0, 0, kDay1)).decision ==
        CouponDecision::kIssued);
  // And after a coupon expires (issued_at at or past expires_at), too.
  const auto l5 = s.coupon("L5");
  REQUIRE(l5);
  CHECK(
      s.issue_coupon(candidate("L6", "u1", 6, l5->expires_at - 1), limits(0, 0, kDay1)).decision ==
      CouponDecision::kLiveCouponExists);
  CHECK(s.issue_coupon(candidate("L6", "u1", 6, l5->expires_at), limits(0, 0, kDay1)).decision ==
        CouponDecision::kIssued);
}

TEST_CASE("coupon ledger: a retried reminder gets its coupon back, even with no budget left") {
  testing::TempDir dir;
  store::SqliteStore s(dir.file("r.db"));
  const core::EpochSeconds t = kDay1 + 10 * 3600;
  REQUIRE(s.issue_coupon(candidate("R1", "u1", 77, t), limits(1, 1, kDay1)).decision ==
          CouponDecision::kIssued);
  const auto retry = s.issue_coupon(candidate("R2", "u1", 77, t + 600), limits(1, 1, kDay1));
  CHECK(retry.decision == CouponDecision::kReused);
  CHECK(retry.coupon.code == "R1");
  CHECK(retry.coupon.reminder_id == 77);
  CHECK(retry.coupon.value_text == "满50减5元");
  CHECK(retry.coupon.issued_at == t);
  CHECK_FALSE(s.coupon("R2"));
  // A code already in the ledger is not overwritten.
  const auto taken = s.issue_coupon(candidate("R1", "u2", 78, t), limits(0, 0, kDay1));
  CHECK(taken.decision == CouponDecision::kCodeTaken);
  CHECK(s.coupon("R1")->user_id == "u1");
}

TEST_CASE("coupon ledger: redeem says redeemed, already_redeemed, unknown or expired") {
  testing::TempDir dir;
  store::SqliteStore s(dir.file("r.db"));
  const core::EpochSeconds t = kDay1 + 10 * 3600;
  REQUIRE(s.issue_coupon(candidate("RP-AAAA-BBBB", "u1", 1, t), limits(0, 0, kDay1)).decision ==
          CouponDecision::kIssued);
  REQUIRE(s.issue_coupon(candidate("E1", "u2", 2, t), limits(0, 0, kDay1)).decision ==
          CouponDecision::kIssued);

  CHECK(s.redeem_coupon("nope", "o-1", t).status == RedeemStatus::kUnknown);
  // Local codes are looked up case-insensitively.
  const auto r = s.redeem_coupon("rp-aaaa-bbbb", "o-1", t + 3600);
  CHECK(r.status == RedeemStatus::kRedeemed);
  CHECK(r.coupon.code == "RP-AAAA-BBBB");
  CHECK(r.coupon.redeemed_at == t + 3600);
  CHECK(r.coupon.redeemed_order == "o-1");
  const auto twice = s.redeem_coupon("RP-AAAA-BBBB", "o-2", t + 7200);
  CHECK(twice.status == RedeemStatus::kAlreadyRedeemed);
  CHECK(twice.coupon.redeemed_order == "o-1");
  CHECK(s.coupon("RP-AAAA-BBBB")->redeemed_at == t + 3600);

  // E1 expires at t + 7 days: an order at that instant is too late and changes nothing.
  const auto late = s.redeem_coupon("E1", "o-3", t + 7 * kDay);
  CHECK(late.status == RedeemStatus::kExpired);
  CHECK_FALSE(s.coupon("E1")->redeemed_at);
  CHECK(s.redeem_coupon("E1", "o-3", t + 7 * kDay - 1).status == RedeemStatus::kRedeemed);
}
