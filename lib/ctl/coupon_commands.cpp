#include "ctl/coupon_commands.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "config/config.hpp"
#include "coupon/codes.hpp"

namespace replenish::ctl {

std::function<int()> setup_coupon(CLI::App& app, Globals& g) {
  auto* verify = app.add_subcommand(
      "verify",
      "check a locally generated coupon code offline with coupons.secret_file (exit 0 valid, "
      "1 invalid)");
  verify->footer(
      "Example: replenishctl --config /etc/replenish/replenishd.yaml coupon verify "
      "RP-7Y51RQMV5NR4DRFK-BDXXF6TC");
  auto code = std::make_shared<std::string>();
  verify->add_option("code", *code, "the code, any case")->required();
  app.require_subcommand(1);
  return [code, &g] {
    const auto cfg = config::load_config(g.config_path);
    if (cfg.coupons.secret.empty()) {
      throw std::runtime_error(g.config_path +
                               ": coupons.secret_file is not set; no code can be verified");
    }
    const std::string why =
        coupon::verify_failure(cfg.coupons.secret, cfg.coupons.code_prefix, *code);
    const std::string normalized = coupon::normalize_code(*code);
    if (g.json) {
      nlohmann::json j{{"code", normalized}, {"valid", why.empty()}};
      if (!why.empty()) j["reason"] = why;
      std::cout << j.dump(2) << "\n";
    } else if (why.empty()) {
      std::cout << fmt::format("{}: valid\n", normalized);
    } else {
      std::cout << fmt::format("{}: invalid ({})\n", normalized, why);
    }
    return why.empty() ? 0 : 1;
  };
}

}  // namespace replenish::ctl
