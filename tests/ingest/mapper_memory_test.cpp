// The category mapper's memo is bounded: a catalogue with more distinct product names than it
// keeps cannot grow the daemon's memory, and the answers past the bound stay right.
#include <doctest/doctest.h>

#include <string>

#include "ingest/category_mapper.hpp"

using replenish::config::CategoryConfig;
using replenish::config::CategoryMatch;
using replenish::ingest::CategoryMapper;

TEST_CASE("ingest: category mapper memoises at most kMaxCachedPairs pairs, answers past it") {
  CategoryConfig diapers;
  diapers.slug = "diapers";
  CategoryMatch m;
  m.categories = {"母婴"};
  m.include = "纸尿裤";
  diapers.match = {m};
  const CategoryMapper mapper({diapers});
  const std::size_t n = CategoryMapper::kMaxCachedPairs + 500;
  int wrong = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const bool diaper = i % 2 == 0;
    const std::string name = (diaper ? "纸尿裤 " : "奶瓶 ") + std::to_string(i);
    if (mapper.map("母婴", name) != (diaper ? 0 : -1)) ++wrong;
  }
  CHECK(wrong == 0);
  CHECK(mapper.cached_pairs() == CategoryMapper::kMaxCachedPairs);
  // Pairs past the bound are answered again, correctly, without being kept.
  CHECK(mapper.map("母婴", "纸尿裤 " + std::to_string(n - 2)) == 0);
  CHECK(mapper.map("母婴", "奶瓶 " + std::to_string(n - 1)) == -1);
  CHECK(mapper.cached_pairs() == CategoryMapper::kMaxCachedPairs);
}
