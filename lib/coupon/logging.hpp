// The coupon module's logger.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>

namespace replenish::coupon {

/// The logger named "coupon" (a clone of the default logger when none is registered).
inline std::shared_ptr<spdlog::logger> logger() {
  static auto log = [] {
    auto l = spdlog::get("coupon");
    return l ? l : spdlog::default_logger()->clone("coupon");
  }();
  return log;
}

}  // namespace replenish::coupon
