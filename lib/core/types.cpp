#include "core/types.hpp"

#include <array>
#include <utility>

namespace replenish::core {
namespace {
constexpr std::array<std::pair<ReminderState, const char*>, 7> kStateNames{{
    {ReminderState::kPlanned, "planned"},
    {ReminderState::kSending, "sending"},
    {ReminderState::kSent, "sent"},
    {ReminderState::kConverted, "converted"},
    {ReminderState::kCancelled, "cancelled"},
    {ReminderState::kDead, "dead"},
    {ReminderState::kHeldOut, "held_out"},
}};
}  // namespace

const char* to_string(ReminderState state) {
  for (const auto& [s, name] : kStateNames) {
    if (s == state) return name;
  }
  return "unknown";
}

std::optional<ReminderState> reminder_state_from_string(const std::string& text) {
  for (const auto& [s, name] : kStateNames) {
    if (text == name) return s;
  }
  return std::nullopt;
}

}  // namespace replenish::core
