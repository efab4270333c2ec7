// Test-only reader of the shared order files (CSV, RFC 4180 quoting, optionally gzip) and of a
// periodic.yaml category mapping, turned into backtest events. Minimal on purpose: the ingest
// module owns the real reader.
#pragma once

#include <yaml-cpp/yaml.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/time.hpp"
#include "model/backtest.hpp"

namespace replenish::model::testing {

inline std::string read_file(const std::filesystem::path& path) {
  gzFile f = gzopen(path.string().c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path.string());
  std::string out;
  char buf[1 << 16];
  int got = 0;
  while ((got = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(got));
  gzclose(f);
  return out;
}

/// Splits CSV text into records of fields (quoted fields may hold commas, quotes and newlines).
inline std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

/// periodic.yaml: a line belongs to the first category whose commodity_desc holds its category
/// and whose sub_commodity_desc (when given) holds its subcategory.
class PeriodicMapping {
 public:
  explicit PeriodicMapping(const std::filesystem::path& yaml_path) {
    const YAML::Node root = YAML::LoadFile(yaml_path.string());
    for (const auto& c : root["categories"]) {
      Category cat;
      cat.slug = c["slug"].as<std::string>();
      for (const auto& v : c["commodity_desc"]) cat.categories.insert(v.as<std::string>());
      if (c["sub_commodity_desc"]) {
        for (const auto& v : c["sub_commodity_desc"]) cat.subcategories.insert(v.as<std::string>());
      }
      categories_.push_back(std::move(cat));
    }
  }
  int map(const std::string& category, const std::string& subcategory) const {
    for (std::size_t i = 0; i < categories_.size(); ++i) {
      const auto& c = categories_[i];
      if (c.categories.count(category) &&
          (c.subcategories.empty() || c.subcategories.count(subcategory))) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }
  std::vector<std::string> slugs() const {
    std::vector<std::string> out;
    for (const auto& c : categories_) out.push_back(c.slug);
    return out;
  }

 private:
  struct Category {
    std::string slug;
    std::unordered_set<std::string> categories;
    std::unordered_set<std::string> subcategories;
  };
  std::vector<Category> categories_;
};

/// Backtest events of the periodic lines of an order file; amount = quantity.
inline std::vector<BacktestEvent> read_events(const std::filesystem::path& orders,
                                              const PeriodicMapping& mapping) {
  const auto rows = parse_csv(read_file(orders));
  if (rows.empty()) throw std::runtime_error("empty file " + orders.string());
  std::unordered_map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < rows[0].size(); ++i) col[rows[0][i]] = i;
  for (const char* name : {"user_id", "category", "subcategory", "quantity", "ordered_at"}) {
    if (!col.count(name)) throw std::runtime_error(std::string("missing column ") + name);
  }
  std::vector<BacktestEvent> events;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() < rows[0].size()) continue;
    const int category = mapping.map(row[col["category"]], row[col["subcategory"]]);
    if (category < 0) continue;
    const auto at = core::parse_timestamp(row[col["ordered_at"]]);
    if (!at) continue;
    events.push_back(
        BacktestEvent{row[col["user_id"]], category, *at, std::stod(row[col["quantity"]])});
  }
  return events;
}

}  // namespace replenish::model::testing
