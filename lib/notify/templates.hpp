// Message templates: Mustache texts (UTF-8, Chinese by default) by name, rendered with the
// kainjow-mustache library, checked once at start-up so that a customer's phone never shows a
// blank where a value should be.
//
// Known variables (every one is a string unless noted; the dispatcher fills them all, see
// TemplateVars):
//   shop_name           the merchant's name (merchant.name), "本店"
//   user_id             the shop's user id
//   category            the periodic category's slug, "detergent"
//   category_name       its display name, "洗衣液"
//   last_purchase_date  date of the last purchase, for display, "11月1日"
//   days_since_last     whole days since the last purchase (integer)
//   predicted_date      predicted run-out date, for display, "11月28日"
//   due_date            date the reminder is due, for display
//   kind                replenish, follow_up, win_back, test
//   coupon_code         coupon attached to the reminder; may be empty
//   coupon_value        its value for display, "10元" or "满99减10"; may be empty
//   coupon_expiry       its last valid day, for display; may be empty
//
// Syntax: {{name}} inserts a value as is (no HTML escaping: messages are plain text);
// {{#name}}…{{/name}} shows its text only when the value is non-empty, {{^name}}…{{/name}} only
// when it is empty (an empty string, null or false; any number counts as non-empty);
// {{! comment }}.
// Partials ({{> name}}) are not supported.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/reader.hpp"

namespace replenish::notify {

/// Template name → Mustache text.
using TemplateTexts = std::map<std::string, std::string>;

/// The known variable names, in the order documented above.
const std::vector<std::string>& template_variables();

/// Every known variable, typed. to_json() gives the `vars` object for render() and Message.
struct TemplateVars {
  std::string shop_name;
  std::string user_id;
  std::string category;
  std::string category_name;
  std::string last_purchase_date;
  std::int64_t days_since_last = 0;
  std::string predicted_date;
  std::string due_date;
  std::string kind;
  std::string coupon_code;
  std::string coupon_value;
  std::string coupon_expiry;

  nlohmann::json to_json() const;
};

class Templates {
 public:
  /// Parses and checks every template (name → Mustache text). Throws config::ConfigError listing
  /// every problem at path "templates.<name>": Mustache syntax errors, unknown variables (named),
  /// partials, empty or non-UTF-8 text.
  explicit Templates(const TemplateTexts& texts);

  /// default_templates() with `configured` (the config's `templates`) replacing or adding names.
  static Templates with_defaults(const TemplateTexts& configured);

  bool has(const std::string& name) const { return entries_.count(name) > 0; }
  std::vector<std::string> names() const;
  /// Variables the template uses, sections included. Throws std::out_of_range for an unknown
  /// name.
  const std::set<std::string>& variables(const std::string& name) const;

  /// Renders template `name` with `vars` (a JSON object; strings, numbers, booleans or null).
  /// Throws std::out_of_range for an unknown template name, std::invalid_argument when `vars`
  /// is not an object, lacks a variable the template uses (an empty string is fine) or holds an
  /// object or array there. Safe to call from several threads at once.
  std::string render(const std::string& name, const nlohmann::json& vars) const;

 private:
  struct Entry {
    std::string text;
    std::set<std::string> variables;
  };
  std::map<std::string, Entry> entries_;
};

/// The built-in Chinese templates: "replenish", "follow_up", "win_back" (one per reminder kind),
/// and "digest" for one message that lists several categories (category_name "洗衣液、纸尿裤").
TemplateTexts default_templates();

}  // namespace replenish::notify
