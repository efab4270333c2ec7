// Regression: std::regex matches by recursion, about one level per character. A 60 KB product
// name (the field limit is 64 KB) against an include pattern with ".*" overflowed the stack and
// killed replenishctl import with SIGSEGV; over HTTP it would have killed the daemon. Patterns
// now see the first CategoryMapper::kMaxPatternText bytes of the subcategory.
#include <doctest/doctest.h>

#include <string>

#include "config/config.hpp"
#include "ingest/category_mapper.hpp"

using replenish::ingest::CategoryMapper;

namespace {

std::vector<replenish::config::CategoryConfig> diapers(const std::string& include) {
  replenish::config::CategoryConfig c;
  c.slug = "diapers";
  replenish::config::CategoryMatch m;
  m.categories = {"母婴"};
  m.include = include;
  c.match.push_back(m);
  return {c};
}

}  // namespace

TEST_CASE("regression: a 60 KB product name against '.*' overflowed std::regex's stack") {
  const CategoryMapper mapper(diapers("(纸尿裤|拉拉裤).*L码"));
  const std::string filler(60000, 'x');
  // The name starts right: a match within the first kMaxPatternText bytes.
  CHECK(mapper.map("母婴", "纸尿裤 L码 " + filler) == 0);
  // What comes after those bytes is not seen: no crash, and no match.
  CHECK(mapper.map("母婴", "纸尿裤" + filler + "L码") == -1);
  CHECK(mapper.map("母婴", filler + "纸尿裤 L码") == -1);
}

TEST_CASE("regression: patterns see whole characters of a long product name") {
  // 1023 ASCII bytes, then a 3-byte character across the cut: it is left out, not split.
  const CategoryMapper mapper(diapers("x裤$"));
  const std::string name = std::string(1022, 'a') + "x裤" + std::string(100, 'b');
  REQUIRE(name.size() > CategoryMapper::kMaxPatternText);
  CHECK(mapper.map("母婴", name) == -1);
  const CategoryMapper prefix(diapers("^a+x$"));
  CHECK(prefix.map("母婴", name) == 0);
}
