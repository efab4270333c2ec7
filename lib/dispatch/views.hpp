// JSON views of one reminder with its attempts, of the dead-letter list and of a channel test,
// shared by the HTTP API and replenishctl so that both show the same thing; and their text
// forms for people.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "core/time.hpp"
#include "store/store.hpp"

namespace replenish::dispatch {

/// One attempt: {"at", "at_local", "channel", "outcome", "provider_id", "detail", "ms"}.
nlohmann::json attempt_json(const store::AttemptRow& attempt, const core::TimeZone& tz);

/// plan::reminder_json (whose "attempts" is the count) plus "payload" and "attempt_log":
/// [attempt_json, …], oldest first. Null when there is no such reminder.
nlohmann::json reminder_detail(store::Store& store, std::int64_t id, const core::TimeZone& tz);

/// {"count": n, "reminders": [plan::reminder_json + "dead_at", …]}: dead reminders, most
/// recently dead first.
nlohmann::json dlq_view(store::Store& store, int limit, const core::TimeZone& tz);

std::string format_reminder(const nlohmann::json& reminder);
std::string format_dlq(const nlohmann::json& dlq);
/// The answer of a channel test (see Dispatcher::send_test).
std::string format_channel_test(const nlohmann::json& result);

}  // namespace replenish::dispatch
