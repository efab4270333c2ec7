#include "notify/templates.hpp"

#include <kainjow/mustache.hpp>

#include <map>
#include <memory>
#include <stdexcept>

#include "notify/utf8.hpp"

namespace replenish::notify {
namespace {

namespace mustache = kainjow::mustache;

struct Analysis {
  std::string syntax_error;
  std::set<std::string> variables;
  bool has_partial = false;
};

/// Parses `text` with kainjow's own parser (the one basic_mustache uses, so what is checked is
/// what renders) and walks the whole tree, sections and inverted sections included: rendering
/// alone would only visit the branches one set of values takes.
Analysis analyse(const std::string& text) {
  Analysis out;
  mustache::context<std::string> empty;
  mustache::context_internal<std::string> context{empty};
  mustache::component<std::string> root;
  mustache::parser<std::string> parse{text, context, root, out.syntax_error};
  if (!out.syntax_error.empty()) return out;
  using Walk = mustache::component<std::string>::walk_control;
  root.walk_children([&out](mustache::component<std::string>& node) {
    switch (node.tag.type) {
      case mustache::tag_type::variable:
      case mustache::tag_type::unescaped_variable:
      case mustache::tag_type::section_begin:
      case mustache::tag_type::section_begin_inverted:
        out.variables.insert(node.tag.name);
        break;
      case mustache::tag_type::partial:
        out.has_partial = true;
        break;
      default:
        break;
    }
    return Walk::walk;
  });
  return out;
}

std::string known_list() {
  std::string out;
  for (const auto& v : template_variables()) out += (out.empty() ? "" : ", ") + v;
  return out;
}

mustache::data to_data(const std::string& template_name, const std::string& variable,
                       const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::string: {
      const auto& s = value.get_ref<const std::string&>();
      return s.empty() ? mustache::data(false) : mustache::data(s);
    }
    case nlohmann::json::value_t::null:
      return mustache::data(false);
    case nlohmann::json::value_t::boolean:
      return mustache::data(value.get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return mustache::data(value.dump());
    default:
      throw std::invalid_argument("template '" + template_name + "': variable '" + variable +
                                  "' must be a string, number, boolean or null");
  }
}

}  // namespace

const std::vector<std::string>& template_variables() {
  static const std::vector<std::string> kVariables{
      "shop_name",       "user_id",        "category", "category_name", "last_purchase_date",
      "days_since_last", "predicted_date", "due_date", "kind",          "coupon_code",
      "coupon_value",    "coupon_expiry"};
  return kVariables;
}

nlohmann::json TemplateVars::to_json() const {
  return {{"shop_name", shop_name},
          {"user_id", user_id},
          {"category", category},
          {"category_name", category_name},
          {"last_purchase_date", last_purchase_date},
          {"days_since_last", days_since_last},
          {"predicted_date", predicted_date},
          {"due_date", due_date},
          {"kind", kind},
          {"coupon_code", coupon_code},
          {"coupon_value", coupon_value},
          {"coupon_expiry", coupon_expiry}};
}

Templates::Templates(const TemplateTexts& texts) {
  const std::set<std::string> known(template_variables().begin(), template_variables().end());
  config::Issues issues;
  for (const auto& [name, text] : texts) {
    const std::string path = "templates." + name;
    const std::size_t before = issues.size();
    if (text.empty()) {
      issues.push_back({path, "must not be empty"});
      continue;
    }
    if (!utf8::valid(text)) {
      issues.push_back({path, "is not valid UTF-8"});
      continue;
    }
    Analysis analysis = analyse(text);
    if (!analysis.syntax_error.empty()) {
      issues.push_back({path, "Mustache syntax error: " + analysis.syntax_error});
      continue;
    }
    if (analysis.has_partial) {
      issues.push_back({path, "partials ({{> name}}) are not supported"});
    }
    for (const auto& variable : analysis.variables) {
      if (!known.count(variable)) {
        issues.push_back(
            {path, "unknown variable '" + variable + "' (known: " + known_list() + ")"});
      }
    }
    if (issues.size() == before) {
      entries_.emplace(name, Entry{text, std::move(analysis.variables)});
    }
  }
  if (!issues.empty()) throw config::ConfigError(std::move(issues));
}

Templates Templates::with_defaults(const TemplateTexts& configured) {
  auto texts = default_templates();
  for (const auto& [name, text] : configured) texts[name] = text;
  return Templates(texts);
}

std::vector<std::string> Templates::names() const {
  std::vector<std::string> out;
  for (const auto& entry : entries_) out.push_back(entry.first);
  return out;
}

const std::set<std::string>& Templates::variables(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) throw std::out_of_range("unknown message template '" + name + "'");
  return it->second.variables;
}

std::string Templates::render(const std::string& name, const nlohmann::json& vars) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) throw std::out_of_range("unknown message template '" + name + "'");
  if (!vars.is_object()) {
    throw std::invalid_argument("template '" + name + "': variables must be a JSON object");
  }
  mustache::data data{mustache::data::type::object};
  for (const auto& variable : it->second.variables) {
    const auto value = vars.find(variable);
    if (value == vars.end()) {
      throw std::invalid_argument("template '" + name + "': variable '" + variable +
                                  "' has no value");
    }
    data.set(variable, to_data(name, variable, *value));
  }
  // basic_mustache::render is not const, so an instance is never shared between threads: each
  // thread keeps its own parsed copy of each text (a few texts; a reload adds new ones).
  thread_local std::map<std::string, std::unique_ptr<mustache::mustache>, std::less<>> parsed;
  const std::string& text = it->second.text;
  if (parsed.size() >= 64 && parsed.count(text) == 0) parsed.clear();
  auto& tmpl = parsed[text];
  if (!tmpl) {
    tmpl = std::make_unique<mustache::mustache>(text);
    tmpl->set_custom_escape([](const std::string& s) { return s; });
  }
  std::string out = tmpl->render(data);
  if (!tmpl->is_valid()) {
    throw std::logic_error("template '" + name + "' failed to render: " + tmpl->error_message());
  }
  return out;
}

TemplateTexts default_templates() {
  return {
      {"replenish",
       "{{shop_name}}提醒您：您上次购买的{{category_name}}是在{{last_purchase_date}}，"
       "按您的使用习惯，预计{{predicted_date}}左右就要用完啦，记得及时补货哦～"
       "{{#coupon_code}}送您一张{{coupon_value}}补货券（券码 {{coupon_code}}，"
       "{{coupon_expiry}}前有效）。{{/coupon_code}}"},
      {"follow_up",
       "{{shop_name}}温馨提示：距离您上次购买{{category_name}}已经{{days_since_last}}天了，"
       "家里的存货还够用吗？如果快用完了，现在补货正合适～"
       "{{#coupon_code}}您的{{coupon_value}}补货券（券码 {{coupon_code}}）"
       "{{coupon_expiry}}前有效，别忘了使用哦。{{/coupon_code}}"},
      {"win_back",
       "好久不见！{{shop_name}}想念您啦～距离您上次购买{{category_name}}已经"
       "{{days_since_last}}天了，不知道最近用得怎么样？"
       "{{#coupon_code}}特意为您准备了一张{{coupon_value}}优惠券（券码 {{coupon_code}}，"
       "{{coupon_expiry}}前有效），{{/coupon_code}}期待您再次光临～"},
      {"digest",
       "{{shop_name}}提醒您：您常买的{{category_name}}都快用完啦，按您的使用习惯，"
       "预计{{predicted_date}}左右就需要补货，记得一起备上哦～"
       "{{#coupon_code}}送您一张{{coupon_value}}补货券（券码 {{coupon_code}}，"
       "{{coupon_expiry}}前有效）。{{/coupon_code}}"},
  };
}

}  // namespace replenish::notify
