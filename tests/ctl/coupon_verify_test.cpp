// replenishctl coupon verify: offline, with the key of the configuration.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;

TEST_CASE("replenishctl coupon verify: valid exits 0, invalid 1, no key configured 1") {
  testing::TempDir dir;
  dir.write("coupon.key", "kitchen-shop-coupon-key-2024\n");
  const std::string base = R"(
categories:
  - slug: diapers
    match: [{category: [母婴]}]
channels:
  log: {type: log}
)";
  const auto cfg = dir.write("c.yaml", base + R"(coupons:
  secret_file: coupon.key
  rules:
    small: {kind: amount_off, value: 5}
)");
  auto r = testing::run(REPLENISHCTL_PATH,
                        {"--config", cfg, "coupon", "verify", "rp-7y51rqmv5nr4drfk-bdxxf6tc"},
                        dir.path().string());
  CHECK(r.exit_code == 0);
  CHECK(r.out == "RP-7Y51RQMV5NR4DRFK-BDXXF6TC: valid\n");

  r = testing::run(REPLENISHCTL_PATH,
                   {"--config", cfg, "coupon", "verify", "RP-7Y51RQMV5NR4DRFK-BDXXF6TD"},
                   dir.path().string());
  CHECK(r.exit_code == 1);
  CHECK(r.out == "RP-7Y51RQMV5NR4DRFK-BDXXF6TD: invalid (the check does not match)\n");

  r = testing::run(REPLENISHCTL_PATH,
                   {"--config", cfg, "--json", "coupon", "verify", "RP-7Y51RQMV5NR4DRFK"},
                   dir.path().string());
  CHECK(r.exit_code == 1);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["valid"] == false);
  CHECK(j["reason"] == "expected PREFIX-RANDOM-CHECK");

  const auto no_key = dir.write("n.yaml", base);
  r = testing::run(REPLENISHCTL_PATH,
                   {"--config", no_key, "coupon", "verify", "RP-7Y51RQMV5NR4DRFK-BDXXF6TC"},
                   dir.path().string());
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("coupons.secret_file is not set") != std::string::npos);

  r = testing::run(REPLENISHCTL_PATH, {"--config", cfg, "coupon", "verify"}, dir.path().string());
  CHECK(r.exit_code == 2);
}
