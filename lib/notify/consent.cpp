#include "notify/consent.hpp"

namespace replenish::notify {

ConsentLedger::~ConsentLedger() = default;

bool InMemoryConsentLedger::consume(const std::string& user_id, const std::string& template_id) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto it = credits_.find({user_id, template_id});
  if (it == credits_.end() || it->second <= 0) return false;
  --it->second;
  return true;
}

void InMemoryConsentLedger::refund(const std::string& user_id, const std::string& template_id) {
  const std::lock_guard<std::mutex> lock(mutex_);
  ++credits_[{user_id, template_id}];
}

void InMemoryConsentLedger::grant(const std::string& user_id, const std::string& template_id,
                                  int credits) {
  const std::lock_guard<std::mutex> lock(mutex_);
  credits_[{user_id, template_id}] += credits;
}

int InMemoryConsentLedger::credits(const std::string& user_id,
                                   const std::string& template_id) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto it = credits_.find({user_id, template_id});
  return it == credits_.end() ? 0 : it->second;
}

}  // namespace replenish::notify
