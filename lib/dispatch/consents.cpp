#include "dispatch/consents.hpp"

namespace replenish::dispatch {

bool StoreConsentLedger::consume(const std::string& user_id, const std::string& template_id) {
  return store_.consume_consent(user_id, template_id, clock_.now());
}

void StoreConsentLedger::refund(const std::string& user_id, const std::string& template_id) {
  store_.add_consents(user_id, template_id, 1, clock_.now());
}

}  // namespace replenish::dispatch
