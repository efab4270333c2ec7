#include <doctest/doctest.h>

#include <stdexcept>
#include <thread>
#include <vector>

#include "ingest/category_mapper.hpp"

using replenish::config::CategoryConfig;
using replenish::config::CategoryMatch;
using replenish::ingest::CategoryMapper;

namespace {

CategoryConfig category(const std::string& slug, std::vector<CategoryMatch> match) {
  CategoryConfig c;
  c.slug = slug;
  c.name = slug;
  c.match = std::move(match);
  return c;
}

CategoryMatch exact(std::vector<std::string> categories, std::vector<std::string> subs = {}) {
  CategoryMatch m;
  m.categories = std::move(categories);
  m.subcategories = std::move(subs);
  return m;
}

CategoryMatch pattern(std::vector<std::string> categories, std::string include,
                      std::string exclude = "") {
  CategoryMatch m;
  m.categories = std::move(categories);
  m.include = std::move(include);
  m.exclude = std::move(exclude);
  return m;
}

}  // namespace

TEST_CASE("ingest: category mapper with exact lists") {
  const CategoryMapper mapper({
      category("laundry_detergent", {exact({"LAUNDRY DETERGENTS"}, {"LIQUID LAUNDRY DETERGENTS",
                                                                    "POWDER LAUNDRY DETERGENT"})}),
      category("facial_tissue", {exact({"FACIAL TISS/DNR NAPKIN", "BATH TISSUES"},
                                       {"FACIAL TISSUE & PAPER HANDKE"})}),
      category("toilet_paper", {exact({"BATH TISSUES"}, {"TOILET TISSUE"})}),
      category("coffee", {exact({"COFFEE"})}),
  });
  CHECK(mapper.map("LAUNDRY DETERGENTS", "LIQUID LAUNDRY DETERGENTS") == 0);
  CHECK(mapper.map("LAUNDRY DETERGENTS", "POWDER LAUNDRY DETERGENT") == 0);
  CHECK(mapper.map("LAUNDRY DETERGENTS", "STAIN REMOVERS") == -1);
  CHECK(mapper.map("laundry detergents", "LIQUID LAUNDRY DETERGENTS") == -1);  // exact
  CHECK(mapper.map("BATH TISSUES", "FACIAL TISSUE & PAPER HANDKE") == 1);
  CHECK(mapper.map("BATH TISSUES", "TOILET TISSUE") == 2);
  CHECK(mapper.map("COFFEE", "") == 3);  // no subcategory list: any
  CHECK(mapper.map("COFFEE", "ANYTHING") == 3);
  CHECK(mapper.map("", "") == -1);
  CHECK(mapper.cached_pairs() == 0);  // exact rules need no cache
}

TEST_CASE("ingest: category mapper with include and exclude patterns, first match wins") {
  const CategoryMapper mapper({
      category("laundry_detergent",
               {pattern({"laundry"}, "detergent|\\bpods?\\b", "softener|stain")}),
      category("fabric_softener", {pattern({"laundry"}, "softener|dryer sheet")}),
      category("cat_food",
               {pattern({"cat food care"}, "", "treat|litter"), exact({"pet"}, {"Kitten Chow"})}),
      category("anything_detergent", {pattern({}, "detergent")}),
  });
  CHECK(mapper.map("laundry", "Free & Clear Liquid Detergent") == 0);
  CHECK(mapper.map("laundry", "3-in-1 Laundry PODS") == 0);      // case-insensitive
  CHECK(mapper.map("laundry", "Tide Podsicle") == -1);           // \b
  CHECK(mapper.map("laundry", "Detergent with Softener") == 1);  // excluded from 0, then 1
  CHECK(mapper.map("laundry", "Stain Remover Detergent") == 3);  // not 0 (excluded) nor 1
  CHECK(mapper.map("laundry", "Dryer Sheets, Outdoor Fresh") == 1);
  CHECK(mapper.map("cat food care", "Indoor Formula Dry Cat Food") == 2);  // exclude only
  CHECK(mapper.map("cat food care", "Cat Treats Salmon") == -1);
  CHECK(mapper.map("cat food care", "Clumping Litter") == -1);
  CHECK(mapper.map("pet", "Kitten Chow") == 2);                       // the category's second rule
  CHECK(mapper.map("dish detergents", "Dish Detergent Lemon") == 3);  // any category
  CHECK(mapper.map("laundry", "") == -1);
}

TEST_CASE("ingest: category mapper cache gives the same answers, from many threads") {
  const CategoryMapper mapper({
      category("coffee", {pattern({"coffee"}, "coffee|espresso", "cold.?brew|\\bcans?\\b")}),
      category("tea", {pattern({"tea"}, "tea")}),
  });
  const std::vector<std::pair<std::string, std::string>> pairs{
      {"coffee", "Espresso Roast Whole Bean"},
      {"coffee", "Cold Brew Coffee"},
      {"coffee", "Coffee, 6 cans"},
      {"tea", "Green Tea"},
      {"tea", "Coffee"},
      {"coffee", "Ground Coffee"},
  };
  const std::vector<int> expected{0, -1, -1, 1, -1, 0};
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    CHECK(mapper.map(pairs[i].first, pairs[i].second) == expected[i]);
  }
  CHECK(mapper.cached_pairs() == 6);
  // Same answers from the cache, and pairs that differ only in where the split is stay apart.
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    CHECK(mapper.map(pairs[i].first, pairs[i].second) == expected[i]);
  }
  CHECK(mapper.map("coffeeG", "round Coffee") == -1);
  CHECK(mapper.cached_pairs() == 7);

  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 2000; ++round) {
        const std::size_t i = static_cast<std::size_t>(round + t) % pairs.size();
        if (mapper.map(pairs[i].first, pairs[i].second) != expected[i]) ++wrong[t];
        // New pairs too, so that writers and readers meet.
        mapper.map("tea", "Tea no. " + std::to_string(round));
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == std::vector<int>{0, 0, 0, 0});
  CHECK(mapper.cached_pairs() == 7 + 2000);
}

TEST_CASE("ingest: category mapper rejects a pattern that does not compile") {
  CHECK_THROWS_AS(CategoryMapper({category("bad", {pattern({"x"}, "(unclosed")})}),
                  std::invalid_argument);
}
