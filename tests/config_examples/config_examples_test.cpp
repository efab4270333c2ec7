// The example configs of config/examples/ load, and on the real data sets their categories map
// every order line exactly as the data sets' periodic.yaml lists do.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "config/config.hpp"
#include "ingest/category_mapper.hpp"
#include "ingest/order_reader.hpp"

namespace {

namespace fs = std::filesystem;
using replenish::config::Config;
using replenish::config::load_config;
using replenish::ingest::CategoryMapper;

const std::string kExamples = REPLENISH_SOURCE_DIR "/config/examples/";
const std::string kShared = REPLENISH_SHARED_DATA_DIR;

/// A category of a data set's periodic.yaml: exact raw category and subcategory lists.
struct ExactCategory {
  std::string slug;
  std::unordered_set<std::string> categories;
  std::unordered_set<std::string> subcategories;  // empty = any
};

std::vector<ExactCategory> load_periodic(const std::string& path) {
  std::vector<ExactCategory> out;
  for (const auto& node : YAML::LoadFile(path)["categories"]) {
    ExactCategory c;
    c.slug = node["slug"].as<std::string>();
    for (const auto& v : node["commodity_desc"]) c.categories.insert(v.as<std::string>());
    if (node["sub_commodity_desc"]) {
      for (const auto& v : node["sub_commodity_desc"]) c.subcategories.insert(v.as<std::string>());
    }
    out.push_back(std::move(c));
  }
  return out;
}

/// periodic.yaml's rule: the first category (file order) whose lists hold the line.
std::string exact_slug(const std::vector<ExactCategory>& cats, const std::string& category,
                       const std::string& subcategory) {
  for (const auto& c : cats) {
    if (c.categories.count(category) == 0) continue;
    if (!c.subcategories.empty() && c.subcategories.count(subcategory) == 0) continue;
    return c.slug;
  }
  return "";
}

struct Comparison {
  replenish::ingest::ReadStats stats;
  std::map<std::string, std::int64_t> reject_reasons;
  std::map<std::string, std::int64_t> mapped;  // slug -> lines, by the example config
  std::int64_t allowed_disagreements = 0;
  std::vector<std::string>
      other_disagreements;  // "category | subcategory: periodic.yaml X, config Y"
};

/// Reads a data set's orders.csv.gz, maps each line with the example config and with
/// periodic.yaml. `allowed` says which disagreements are documented.
template <class Allowed>
Comparison compare(const Config& cfg, const std::string& set, Allowed allowed) {
  const auto periodic = load_periodic(kShared + "/" + set + "/periodic.yaml");
  const CategoryMapper mapper(cfg.categories);
  Comparison r;
  r.stats = replenish::ingest::read_order_file(
      kShared + "/" + set + "/orders.csv.gz", replenish::ingest::Format::kAuto,
      [&](replenish::core::OrderLine&& line) {
        const int index = mapper.map(line.category, line.subcategory);
        const std::string got =
            index < 0 ? "" : cfg.categories[static_cast<std::size_t>(index)].slug;
        const std::string want = exact_slug(periodic, line.category, line.subcategory);
        if (!got.empty()) ++r.mapped[got];
        if (got == want) return;
        if (allowed(line, want, got)) {
          ++r.allowed_disagreements;
        } else if (r.other_disagreements.size() < 20) {
          r.other_disagreements.push_back(line.category + " | " + line.subcategory +
                                          ": periodic.yaml '" + want + "', config '" + got + "'");
        }
      },
      [&](const replenish::ingest::RowError& e) { ++r.reject_reasons[e.reason]; });
  return r;
}

bool shared_data_present(const std::string& set) {
  const std::string path = kShared + "/" + set + "/orders.csv.gz";
  if (fs::exists(path)) return true;
  MESSAGE("skipped: " << path << " not found (the shared data sets are not on this machine)");
  return false;
}

std::vector<std::string> slugs(const Config& cfg) {
  std::vector<std::string> out;
  for (const auto& c : cfg.categories) out.push_back(c.slug);
  return out;
}

}  // namespace

TEST_CASE("ingest: example config for completejourney loads") {
  const Config cfg = load_config(kExamples + "completejourney.yaml");
  CHECK(cfg.store.path ==
        fs::path(REPLENISH_SOURCE_DIR "/var/completejourney.db").lexically_normal().string());
  CHECK(cfg.merchant.timezone == "Etc/GMT+5");
  REQUIRE(cfg.channels.size() == 1);
  CHECK(cfg.channels[0].name == "log");
  CHECK(cfg.channels[0].type == "log");
  CHECK(cfg.default_channels == std::vector<std::string>{"log"});
  CHECK(slugs(cfg) == std::vector<std::string>{"laundry_detergent",
                                               "fabric_softener",
                                               "dish_detergent",
                                               "dishwasher_detergent",
                                               "baby_formula",
                                               "baby_food",
                                               "diapers",
                                               "feminine_care",
                                               "adult_incontinence",
                                               "cat_food",
                                               "dog_food",
                                               "cat_litter",
                                               "toilet_paper",
                                               "paper_towels",
                                               "facial_tissue",
                                               "trash_bags",
                                               "coffee",
                                               "toothpaste",
                                               "shampoo",
                                               "conditioner",
                                               "body_soap",
                                               "deodorant",
                                               "razors_blades",
                                               "shave_cream"});
  const auto* facial = cfg.category("facial_tissue");
  REQUIRE(facial != nullptr);
  CHECK(facial->name == "面巾纸");
  CHECK(facial->default_cycle_days == 30);
  CHECK(facial->lead_days == 2);
  REQUIRE(facial->match.size() == 1);
  CHECK(facial->match[0].categories ==
        std::vector<std::string>{"FACIAL TISS/DNR NAPKIN", "BATH TISSUES"});
  CHECK(facial->match[0].subcategories == std::vector<std::string>{"FACIAL TISSUE & PAPER HANDKE"});
  CHECK(facial->match[0].include.empty());
}

TEST_CASE("ingest: example config for instacart loads") {
  const Config cfg = load_config(kExamples + "instacart.yaml");
  CHECK(cfg.store.path ==
        fs::path(REPLENISH_SOURCE_DIR "/var/instacart.db").lexically_normal().string());
  CHECK(cfg.merchant.timezone == "Etc/GMT+5");
  // The order of periodic-rules.yaml: first match wins.
  CHECK(slugs(cfg) ==
        std::vector<std::string>{"laundry_detergent", "fabric_softener", "dishwasher_detergent",
                                 "dish_detergent",    "baby_formula",    "baby_food",
                                 "diapers",           "baby_wipes",      "adult_incontinence",
                                 "feminine_care",     "cat_litter",      "cat_food",
                                 "dog_food",          "toilet_paper",    "paper_towels",
                                 "facial_tissue",     "trash_bags",      "coffee",
                                 "toothpaste",        "shampoo",         "conditioner",
                                 "body_soap",         "deodorant",       "razors_blades",
                                 "shave_cream"});
  const auto* laundry = cfg.category("laundry_detergent");
  REQUIRE(laundry != nullptr);
  CHECK(laundry->name == "洗衣液");
  CHECK(laundry->default_cycle_days == 40);
  REQUIRE(laundry->match.size() == 1);
  CHECK(laundry->match[0].categories == std::vector<std::string>{"laundry"});
  CHECK(laundry->match[0].include == "detergent|\\bpods?\\b|\\bpacs\\b");
  CHECK(laundry->match[0].exclude ==
        "softener|dryer|booster|stain|bleach|remover|starch|refresher|washer cleaner");
  const auto* cat_food = cfg.category("cat_food");
  REQUIRE(cat_food != nullptr);
  CHECK(cat_food->match[0].include.empty());  // exclude only
  CHECK_FALSE(cat_food->match[0].exclude.empty());
}

// Expected numbers: computed independently with python3 (csv, gzip and PyYAML modules) over
// orders.csv.gz: lines with an empty category or quantity <= 0 dropped, then the first
// periodic.yaml category whose commodity_desc holds the category and whose sub_commodity_desc
// (if any) holds the subcategory.
TEST_CASE("ingest: completejourney example config maps every order line like periodic.yaml") {
  if (!shared_data_present("completejourney")) return;
  const Config cfg = load_config(kExamples + "completejourney.yaml");
  const auto r =
      compare(cfg, "completejourney", [](const auto&, const auto&, const auto&) { return false; });
  CHECK(r.stats.rows == 56110);
  CHECK(r.stats.accepted == 55825);
  CHECK(r.stats.rejected == 285);
  // The 285 lines with quantity 0; 146 of them (two unknown products) also lack a category,
  // which is checked first.
  CHECK(r.reject_reasons ==
        std::map<std::string, std::int64_t>{{"category: is required", 146},
                                            {"quantity: must be a positive number, got '0'", 139}});
  CHECK(r.other_disagreements.empty());
  for (const auto& d : r.other_disagreements) MESSAGE(d);
  const std::map<std::string, std::int64_t> expected{
      {"laundry_detergent", 177},
      {"fabric_softener", 83},
      {"dish_detergent", 83},
      {"dishwasher_detergent", 68},
      {"baby_formula", 51},
      {"baby_food", 275},
      {"diapers", 105},
      {"feminine_care", 98},
      {"adult_incontinence", 9},
      {"cat_food", 307},
      {"dog_food", 212},
      {"cat_litter", 68},
      {"toilet_paper", 299},
      {"paper_towels", 225},
      {"facial_tissue", 152},
      {"trash_bags", 86},
      {"coffee", 246},
      {"toothpaste", 133},
      {"shampoo", 119},
      {"conditioner", 71},
      {"body_soap", 176},
      {"deodorant", 107},
      {"razors_blades", 46},
      {"shave_cream", 15},
  };
  CHECK(r.mapped == expected);
}

// Expected numbers: as above, with python3's re module applying periodic-rules.yaml for the
// disagreements. The only one is documented in instacart/README.md: periodic.yaml leaves out
// two dog-food names containing " #"; one of them occurs, in 10 lines
// ("Meaty Ground Dinner W/Chopped Beef (PS #1211062) Wet Dog Food"), which the rules map to
// dog_food: 80 lines by periodic.yaml, 90 by the rules.
TEST_CASE("ingest: instacart example config rules map every order line like periodic.yaml") {
  if (!shared_data_present("instacart")) return;
  const Config cfg = load_config(kExamples + "instacart.yaml");
  const auto r = compare(cfg, "instacart", [](const auto& line, const auto& want, const auto& got) {
    return line.category == "dog food care" && line.subcategory.find(" #") != std::string::npos &&
           want.empty() && got == "dog_food";
  });
  CHECK(r.stats.rows == 143573);
  CHECK(r.stats.accepted == 143573);
  CHECK(r.reject_reasons.empty());
  CHECK(r.allowed_disagreements == 10);
  CHECK(r.other_disagreements.empty());
  for (const auto& d : r.other_disagreements) MESSAGE(d);
  const std::map<std::string, std::int64_t> expected{
      {"laundry_detergent", 237},
      {"fabric_softener", 54},
      {"dish_detergent", 300},
      {"dishwasher_detergent", 150},
      {"baby_formula", 30},
      {"baby_food", 1045},
      {"diapers", 67},
      {"baby_wipes", 59},
      {"feminine_care", 46},
      {"adult_incontinence", 1},
      {"cat_food", 206},
      {"dog_food", 90},
      {"cat_litter", 67},
      {"toilet_paper", 437},
      {"paper_towels", 423},
      {"facial_tissue", 129},
      {"trash_bags", 132},
      {"coffee", 690},
      {"toothpaste", 140},
      {"shampoo", 102},
      {"conditioner", 74},
      {"body_soap", 326},
      {"deodorant", 57},
      {"razors_blades", 25},
      {"shave_cream", 14},
  };
  CHECK(r.mapped == expected);
}
