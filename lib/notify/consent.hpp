// Consent ledger for WeChat subscribe messages. A mini-program (outside a few public-service
// categories) only gets one-time consent: each tap on "allow" in wx.requestSubscribeMessage lets
// the merchant send one message of that template to that user. The ledger counts those credits
// per (user, template); the wechat_subscribe channel spends one before it sends and gives it back
// when the message did not reach the user.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace replenish::notify {

class ConsentLedger {
 public:
  virtual ~ConsentLedger();
  /// Spends one credit of (user, template_id); false when none. Safe to call from several
  /// threads at once.
  virtual bool consume(const std::string& user_id, const std::string& template_id) = 0;
  /// Gives a credit back (the send failed permanently before reaching the user, or retryably).
  virtual void refund(const std::string& user_id, const std::string& template_id) = 0;
};

/// A ledger in memory, for tests and dry runs; the daemon keeps its credits in the store.
class InMemoryConsentLedger final : public ConsentLedger {
 public:
  bool consume(const std::string& user_id, const std::string& template_id) override;
  void refund(const std::string& user_id, const std::string& template_id) override;

  /// Adds `credits` (the user tapped "allow" that many times).
  void grant(const std::string& user_id, const std::string& template_id, int credits = 1);
  /// Credits left.
  int credits(const std::string& user_id, const std::string& template_id) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, int> credits_;  // guarded by mutex_
};

}  // namespace replenish::notify
