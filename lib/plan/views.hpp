// JSON views of the schedule and of one user, shared by the HTTP API and replenishctl so that
// both show the same thing.
#pragma once

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/time.hpp"
#include "plan/engine.hpp"
#include "store/store.hpp"

namespace replenish::plan {

nlohmann::json reminder_json(const core::Reminder& r, const core::TimeZone& tz);

/// {"reminders": [...], "count": n}
nlohmann::json schedule_view(store::Store& store, const store::ReminderFilter& filter,
                             const core::TimeZone& tz);

/// {"user_id", "known": bool, "categories": [{category, name, purchases: [...], prediction,
/// reminders: [...]}], "other_orders": n}
/// With `engine`, each category also carries "explain": the model's reasoning in short lines.
nlohmann::json user_view(store::Store& store, const config::Config& config,
                         const std::string& user_id, const core::TimeZone& tz,
                         const Engine* engine = nullptr);

/// Renders the views as text tables for people (80 columns).
std::string format_schedule(const nlohmann::json& schedule);
std::string format_user(const nlohmann::json& user);

}  // namespace replenish::plan
