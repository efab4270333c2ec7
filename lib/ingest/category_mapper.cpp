#include "ingest/category_mapper.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>

namespace replenish::ingest {
namespace {

std::regex compile(const std::string& pattern, const std::string& slug, const char* key) {
  try {
    return std::regex(pattern, std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
  } catch (const std::regex_error& e) {
    throw std::invalid_argument("category '" + slug + "': " + key + " pattern '" + pattern +
                                "' does not compile: " + e.what());
  }
}

}  // namespace

std::size_t CategoryMapper::PairHash::operator()(const PairView& p) const {
  const std::size_t a = std::hash<std::string_view>{}(p.category);
  const std::size_t b = std::hash<std::string_view>{}(p.subcategory);
  return a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
}

CategoryMapper::CategoryMapper(const std::vector<config::CategoryConfig>& categories) {
  for (std::size_t c = 0; c < categories.size(); ++c) {
    const config::CategoryConfig& cat = categories[c];
    for (const config::CategoryMatch& m : cat.match) {
      Rule rule;
      rule.category = static_cast<int>(c);
      rule.categories.insert(m.categories.begin(), m.categories.end());
      rule.subcategories.insert(m.subcategories.begin(), m.subcategories.end());
      if (!m.include.empty()) rule.include = compile(m.include, cat.slug, "include");
      if (!m.exclude.empty()) rule.exclude = compile(m.exclude, cat.slug, "exclude");
      has_patterns_ = has_patterns_ || rule.include || rule.exclude;
      rules_.push_back(std::move(rule));
    }
  }
}

int CategoryMapper::evaluate(std::string_view category, std::string_view subcategory) const {
  // std::regex matches by recursion, about one level per character: patterns see the first
  // kMaxPatternText bytes only (cut at a character boundary), so that a huge product name cannot
  // overflow the stack.
  std::size_t searched = std::min(subcategory.size(), kMaxPatternText);
  while (searched < subcategory.size() && searched > 0 &&
         (static_cast<unsigned char>(subcategory[searched]) & 0xC0) == 0x80) {
    --searched;
  }
  const char* begin = subcategory.data();
  const char* end = subcategory.data() + searched;
  for (const Rule& rule : rules_) {
    if (!rule.categories.empty() && rule.categories.find(category) == rule.categories.end()) {
      continue;
    }
    if (!rule.subcategories.empty() &&
        rule.subcategories.find(subcategory) == rule.subcategories.end()) {
      continue;
    }
    if (rule.include && !std::regex_search(begin, end, *rule.include)) continue;
    if (rule.exclude && std::regex_search(begin, end, *rule.exclude)) continue;
    return rule.category;
  }
  return -1;
}

int CategoryMapper::map(std::string_view category, std::string_view subcategory) const {
  // Exact rules alone cost a few hash lookups: no need for the cache.
  if (!has_patterns_) return evaluate(category, subcategory);
  const PairView key{category, subcategory};
  {
    std::shared_lock lock(mutex_);
    const auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
  }
  const int result = evaluate(category, subcategory);
  std::unique_lock lock(mutex_);
  if (cache_.size() < kMaxCachedPairs) {
    cache_.emplace(PairKey{std::string(category), std::string(subcategory)}, result);
  }
  return result;
}

std::size_t CategoryMapper::cached_pairs() const {
  std::shared_lock lock(mutex_);
  return cache_.size();
}

}  // namespace replenish::ingest
