// The consent ledger of wechat_subscribe, kept in the store (table consents).
#pragma once

#include "core/clock.hpp"
#include "notify/consent.hpp"
#include "store/store.hpp"

namespace replenish::dispatch {

class StoreConsentLedger final : public notify::ConsentLedger {
 public:
  StoreConsentLedger(store::Store& store, const core::Clock& clock)
      : store_(store), clock_(clock) {}
  bool consume(const std::string& user_id, const std::string& template_id) override;
  void refund(const std::string& user_id, const std::string& template_id) override;

 private:
  store::Store& store_;
  const core::Clock& clock_;
};

}  // namespace replenish::dispatch
