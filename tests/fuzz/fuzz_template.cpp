// libFuzzer target: message templates. The input is "<template text>\n---\n<variables>": the text
// goes through notify::Templates (as configured templates do at start-up), and when it is
// accepted it is rendered with the variables. <variables> is a JSON object when it parses as
// one; otherwise each variable the template uses gets a piece of those raw bytes (invalid UTF-8
// included). Without a separator the template is rendered with typical values.
//
// Properties: the constructor throws nothing but config::ConfigError; render() of an accepted
// template with a value for each of its variables (string, number, boolean or null) never
// throws, and its output is valid UTF-8 when every value is; a text without "{{" renders as is.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "notify/templates.hpp"

namespace {

using nlohmann::json;
using replenish::fuzz::check;
namespace notify = replenish::notify;

json typical_vars() {
  notify::TemplateVars v;
  v.shop_name = "本店";
  v.user_id = "u001";
  v.category = "detergent";
  v.category_name = "洗衣液";
  v.last_purchase_date = "11月1日";
  v.days_since_last = 27;
  v.predicted_date = "11月28日";
  v.due_date = "11月26日";
  v.kind = "replenish";
  v.coupon_code = "SAVE10";
  v.coupon_value = "10元";
  v.coupon_expiry = "12月31日";
  return v.to_json();
}

/// Raw bytes shared out between the variables the template uses.
json raw_vars(const std::set<std::string>& used, std::string_view raw) {
  json vars = json::object();
  const std::size_t n = used.empty() ? 1 : used.size();
  const std::size_t piece = raw.size() / n;
  std::size_t at = 0;
  for (const auto& name : used) {
    // Invalid UTF-8 is kept: Templates must pass it through without failing.
    vars[name] = std::string(raw.substr(at, piece));
    at += piece;
  }
  return vars;
}

bool all_strings_valid(const json& vars) {
  for (const auto& [name, value] : vars.items()) {
    if (value.is_string() && !replenish::ingest::is_valid_utf8(value.get_ref<const std::string&>()))
      return false;
  }
  return true;
}

/// Whether `vars` has a string, number, boolean or null value for each of `used`.
bool complete(const std::set<std::string>& used, const json& vars) {
  for (const auto& name : used) {
    const auto it = vars.find(name);
    if (it == vars.end() || it->is_object() || it->is_array()) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kSeparator = "\n---\n";
  const auto sep = input.find(kSeparator);
  const std::string text(input.substr(0, sep));

  std::optional<notify::Templates> templates;
  try {
    templates.emplace(notify::TemplateTexts{{"t", text}});
  } catch (const replenish::config::ConfigError& e) {
    check(!e.issues().empty(), "ConfigError has issues");
    for (const auto& issue : e.issues()) check(issue.path == "templates.t", "issue path");
    return 0;
  }
  const auto& used = templates->variables("t");

  json vars;
  if (sep == std::string_view::npos) {
    vars = typical_vars();
  } else {
    const std::string_view rest = input.substr(sep + kSeparator.size());
    vars = json::parse(rest.begin(), rest.end(), nullptr, false);
    if (!vars.is_object()) vars = raw_vars(used, rest);
  }

  if (!complete(used, vars)) {
    try {
      templates->render("t", vars);
    } catch (const std::invalid_argument&) {
      return 0;  // a missing or structured value is refused, by name
    }
    check(false, "render() accepted a missing or structured value");
  }
  const std::string out = templates->render("t", vars);
  if (all_strings_valid(vars)) check(replenish::ingest::is_valid_utf8(out), "output is UTF-8");
  if (text.find("{{") == std::string::npos) check(out == text, "plain text renders as is");
  return 0;
}
