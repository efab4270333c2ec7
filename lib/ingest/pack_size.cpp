#include "ingest/pack_size.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <numeric>

namespace replenish::ingest {
namespace {

enum class Dim : std::uint8_t { kMass, kVolume, kCount, kLength };

constexpr double kOunce = 28.349523125;
constexpr double kFluidOunce = 29.5735295625;
constexpr double kPound = 453.59237;
constexpr double kGallon = 3785.411784;
constexpr double kQuart = 946.352946;
constexpr double kPint = 473.176473;
constexpr double kCup = 236.5882365;

struct UnitDef {
  std::string_view name;  ///< upper case
  Dim dim;
  double factor;            ///< base units per unit
  bool multiplier = false;  ///< a pack count that multiplies an amount next to it ("12PK/12OZ")
  bool bare = false;        ///< alone, it means one of it ("GAL", "PINT", "DZ")
  bool field_only = false;  ///< truncated or cryptic spellings, not trusted in free text
};

constexpr UnitDef kUnits[] = {
    // mass
    {"G", Dim::kMass, 1},
    {"GR", Dim::kMass, 1},
    {"GRS", Dim::kMass, 1},
    {"GM", Dim::kMass, 1},
    {"GMS", Dim::kMass, 1},
    {"GRM", Dim::kMass, 1},
    {"GRAM", Dim::kMass, 1, false, true},
    {"GRAMS", Dim::kMass, 1},
    {"GRAMME", Dim::kMass, 1},
    {"GRAMMES", Dim::kMass, 1},
    {"MG", Dim::kMass, 0.001},
    {"KG", Dim::kMass, 1000, false, true},
    {"KGS", Dim::kMass, 1000},
    {"KILO", Dim::kMass, 1000, false, true},
    {"KILOS", Dim::kMass, 1000},
    {"KILOGRAM", Dim::kMass, 1000, false, true},
    {"KILOGRAMS", Dim::kMass, 1000},
    {"OZ", Dim::kMass, kOunce, false, true},
    {"OZS", Dim::kMass, kOunce},
    {"OUNCE", Dim::kMass, kOunce, false, true},
    {"OUNCES", Dim::kMass, kOunce},
    {"Z", Dim::kMass, kOunce, false, false, true},
    {"LB", Dim::kMass, kPound, false, true},
    {"LBS", Dim::kMass, kPound},
    {"POUND", Dim::kMass, kPound, false, true},
    {"POUNDS", Dim::kMass, kPound},
    // volume
    {"ML", Dim::kVolume, 1},
    {"MLS", Dim::kVolume, 1},
    {"MILLILITER", Dim::kVolume, 1},
    {"MILLILITERS", Dim::kVolume, 1},
    {"MILLILITRE", Dim::kVolume, 1},
    {"MILLILITRES", Dim::kVolume, 1},
    {"CL", Dim::kVolume, 10},
    {"DL", Dim::kVolume, 100},
    {"L", Dim::kVolume, 1000},
    {"LT", Dim::kVolume, 1000, false, true},
    {"LTR", Dim::kVolume, 1000, false, true},
    {"LTRS", Dim::kVolume, 1000},
    {"LITER", Dim::kVolume, 1000, false, true},
    {"LITERS", Dim::kVolume, 1000},
    {"LITRE", Dim::kVolume, 1000, false, true},
    {"LITRES", Dim::kVolume, 1000},
    {"FLOZ", Dim::kVolume, kFluidOunce},
    {"GA", Dim::kVolume, kGallon, false, true},
    {"GL", Dim::kVolume, kGallon, false, true},
    {"GAL", Dim::kVolume, kGallon, false, true},
    {"GALS", Dim::kVolume, kGallon},
    {"GALON", Dim::kVolume, kGallon, false, true},
    {"GALLON", Dim::kVolume, kGallon, false, true},
    {"GALLONS", Dim::kVolume, kGallon},
    {"QT", Dim::kVolume, kQuart, false, true},
    {"QTS", Dim::kVolume, kQuart},
    {"QUART", Dim::kVolume, kQuart, false, true},
    {"QUARTS", Dim::kVolume, kQuart},
    {"PT", Dim::kVolume, kPint, false, true},
    {"PTS", Dim::kVolume, kPint},
    {"PINT", Dim::kVolume, kPint, false, true},
    {"PINTS", Dim::kVolume, kPint},
    {"CUP", Dim::kVolume, kCup},
    {"CUPS", Dim::kVolume, kCup},
    // count
    {"CT", Dim::kCount, 1},
    {"CNT", Dim::kCount, 1},
    {"COUNT", Dim::kCount, 1},
    {"COUNTS", Dim::kCount, 1},
    {"PC", Dim::kCount, 1},
    {"PCS", Dim::kCount, 1},
    {"PIECE", Dim::kCount, 1},
    {"PIECES", Dim::kCount, 1},
    {"EA", Dim::kCount, 1, false, true},
    {"EACH", Dim::kCount, 1, false, true},
    {"PK", Dim::kCount, 1, true},
    {"PKS", Dim::kCount, 1, true},
    {"PACK", Dim::kCount, 1, true},
    {"PACKS", Dim::kCount, 1, true},
    {"P", Dim::kCount, 1, true, false, true},
    {"PKT", Dim::kCount, 1},
    {"PKTS", Dim::kCount, 1},
    {"LOAD", Dim::kCount, 1},
    {"LOADS", Dim::kCount, 1},
    {"LD", Dim::kCount, 1},
    {"LDS", Dim::kCount, 1},
    {"ROLL", Dim::kCount, 1},
    {"ROLLS", Dim::kCount, 1},
    {"SHEET", Dim::kCount, 1},
    {"SHEETS", Dim::kCount, 1},
    {"POD", Dim::kCount, 1},
    {"PODS", Dim::kCount, 1},
    {"PACS", Dim::kCount, 1},
    {"TAB", Dim::kCount, 1},
    {"TABS", Dim::kCount, 1},
    {"TABLET", Dim::kCount, 1},
    {"TABLETS", Dim::kCount, 1},
    {"CAPSULE", Dim::kCount, 1},
    {"CAPSULES", Dim::kCount, 1},
    {"WIPE", Dim::kCount, 1},
    {"WIPES", Dim::kCount, 1},
    {"BAG", Dim::kCount, 1},
    {"BAGS", Dim::kCount, 1},
    {"DZ", Dim::kCount, 12, false, true},
    {"DOZ", Dim::kCount, 12, false, true},
    {"DOZEN", Dim::kCount, 12, false, true},
    {"DOZENS", Dim::kCount, 12},
    // length and area: recognised so that they are skipped
    {"IN", Dim::kLength, 1},
    {"INCH", Dim::kLength, 1},
    {"INCHES", Dim::kLength, 1},
    {"FT", Dim::kLength, 1},
    {"FEET", Dim::kLength, 1},
    {"FOOT", Dim::kLength, 1},
    {"SQFT", Dim::kLength, 1},
    {"YD", Dim::kLength, 1},
    {"YDS", Dim::kLength, 1},
    {"YARD", Dim::kLength, 1},
    {"YARDS", Dim::kLength, 1},
    {"MM", Dim::kLength, 1},
    {"CM", Dim::kLength, 1},
    {"MTR", Dim::kLength, 1},
};

constexpr UnitDef kFluidOunceDef{"FL OZ", Dim::kVolume, kFluidOunce};
constexpr UnitDef kSquareFootDef{"SQ FT", Dim::kLength, 1};
constexpr UnitDef kTruncatedOunceDef{"O", Dim::kMass, kOunce, false, false, true};

/// Chinese units, longest first where one is the prefix of another.
constexpr UnitDef kCjkUnits[] = {
    {"公斤", Dim::kMass, 1000}, {"千克", Dim::kMass, 1000},   {"毫克", Dim::kMass, 0.001},
    {"毫升", Dim::kVolume, 1},  {"公升", Dim::kVolume, 1000}, {"克", Dim::kMass, 1},
    {"斤", Dim::kMass, 500},    {"升", Dim::kVolume, 1000},   {"片", Dim::kCount, 1},
    {"个", Dim::kCount, 1},     {"只", Dim::kCount, 1},       {"包", Dim::kCount, 1},
    {"袋", Dim::kCount, 1},     {"瓶", Dim::kCount, 1},       {"卷", Dim::kCount, 1},
    {"支", Dim::kCount, 1},     {"粒", Dim::kCount, 1},       {"块", Dim::kCount, 1},
    {"盒", Dim::kCount, 1},     {"罐", Dim::kCount, 1},       {"听", Dim::kCount, 1},
    {"条", Dim::kCount, 1},     {"张", Dim::kCount, 1},       {"抽", Dim::kCount, 1},
    {"枚", Dim::kCount, 1},     {"颗", Dim::kCount, 1},       {"件", Dim::kCount, 1},
    {"入", Dim::kCount, 1},
};

struct Token {
  enum class Kind : std::uint8_t { kNumber, kWord, kSymbol };
  Kind kind = Kind::kSymbol;
  std::string_view text;         ///< the word, or the number as written
  double value = 0;              ///< kNumber
  bool integer = false;          ///< kNumber without a decimal point
  std::size_t digits = 0;        ///< kNumber: digits before the decimal point
  bool glued = false;            ///< kNumber right after a letter ("B12")
  const UnitDef* cjk = nullptr;  ///< kWord: a Chinese unit
  char symbol = 0;               ///< kSymbol; 'x' also for U+00D7
};

constexpr std::size_t kMaxTokens = 64;

struct Tokens {
  std::array<Token, kMaxTokens> items;
  std::size_t size = 0;
  const Token* at(std::size_t i) const { return i < size ? &items[i] : nullptr; }
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_letter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool iequals(std::string_view word, std::string_view upper) {
  if (word.size() != upper.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

Tokens tokenize(std::string_view s) {
  Tokens out;
  std::size_t i = 0;
  while (i < s.size() && out.size < kMaxTokens) {
    const char c = s[i];
    Token t;
    if (is_digit(c) || (c == '.' && i + 1 < s.size() && is_digit(s[i + 1]))) {
      std::size_t j = i;
      while (j < s.size() && is_digit(s[j])) ++j;
      t.digits = j - i;
      t.integer = true;
      std::size_t number_end = j;
      if (j < s.size() && s[j] == '.') {
        t.integer = false;
        ++j;
        while (j < s.size() && is_digit(s[j])) ++j;
        number_end = j;
        if (s[j - 1] == '.') --number_end;  // "10." is 10
      }
      t.kind = Token::Kind::kNumber;
      t.text = s.substr(i, j - i);
      t.glued = i > 0 && is_letter(s[i - 1]);
      const auto [ptr, ec] = std::from_chars(s.data() + i, s.data() + number_end, t.value);
      if (ec != std::errc() || ptr != s.data() + number_end) t.value = 0;
      i = j;
    } else if (is_letter(c)) {
      std::size_t j = i;
      while (j < s.size() && is_letter(s[j])) ++j;
      t.kind = Token::Kind::kWord;
      t.text = s.substr(i, j - i);
      i = j;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
      continue;
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      const std::string_view rest = s.substr(i);
      if (rest.substr(0, 2) == "\xC3\x97") {  // multiplication sign
        t.symbol = 'x';
        t.text = rest.substr(0, 2);
        i += 2;
      } else {
        t.kind = Token::Kind::kWord;
        for (const UnitDef& u : kCjkUnits) {
          if (rest.substr(0, u.name.size()) == u.name) {
            t.cjk = &u;
            t.text = rest.substr(0, u.name.size());
            break;
          }
        }
        if (t.cjk == nullptr) {
          // Any other character: one UTF-8 sequence (or one stray byte) as a word.
          const auto lead = static_cast<unsigned char>(c);
          std::size_t len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
          if (len > rest.size()) len = rest.size();
          t.text = rest.substr(0, len);
        }
        i += t.text.size();
      }
    } else {
      t.symbol = c;
      t.text = s.substr(i, 1);
      ++i;
    }
    out.items[out.size++] = t;
  }
  return out;
}

struct Mode {
  bool text = false;  ///< find_pack_size_in_text(): stricter
};

/// The unit at token i, and how many tokens it takes.
const UnitDef* unit_at(const Tokens& tokens, std::size_t i, Mode mode, std::size_t& used) {
  const Token* t = tokens.at(i);
  if (t == nullptr || t->kind != Token::Kind::kWord) return nullptr;
  used = 1;
  if (t->cjk != nullptr) return t->cjk;
  // Two-word units: "FL OZ", "FL. OZ", "FLUID OUNCES", "SQ FT".
  const bool fluid = iequals(t->text, "FL") || iequals(t->text, "FLUID");
  const bool square = iequals(t->text, "SQ") || iequals(t->text, "SQUARE");
  if (fluid || square) {
    std::size_t j = i + 1;
    if (const Token* dot = tokens.at(j); dot != nullptr && dot->symbol == '.') ++j;
    const Token* next = tokens.at(j);
    if (next != nullptr && next->kind == Token::Kind::kWord) {
      if (fluid && (iequals(next->text, "OZ") || iequals(next->text, "OUNCE") ||
                    iequals(next->text, "OUNCES"))) {
        used = j - i + 1;
        return &kFluidOunceDef;
      }
      if (square && (iequals(next->text, "FT") || iequals(next->text, "FEET"))) {
        used = j - i + 1;
        return &kSquareFootDef;
      }
    }
  }
  if (!mode.text && i + 1 == tokens.size && iequals(t->text, "O")) return &kTruncatedOunceDef;
  for (const UnitDef& u : kUnits) {
    if (iequals(t->text, u.name)) return mode.text && u.field_only ? nullptr : &u;
  }
  return nullptr;
}

struct Amount {
  double value = 0;  ///< in base units; pieces for counts
  Dim dim = Dim::kCount;
  bool multiplier = false;
  std::size_t next = 0;  ///< first token after it
};

const Token* number_at(const Tokens& tokens, std::size_t i) {
  const Token* t = tokens.at(i);
  return t != nullptr && t->kind == Token::Kind::kNumber ? t : nullptr;
}

bool is_symbol(const Tokens& tokens, std::size_t i, char c) {
  const Token* t = tokens.at(i);
  return t != nullptr && t->kind == Token::Kind::kSymbol && t->symbol == c;
}

/// 'x', 'X', '*' or U+00D7 between two amounts.
bool is_times(const Tokens& tokens, std::size_t i) {
  const Token* t = tokens.at(i);
  if (t == nullptr) return false;
  if (t->kind == Token::Kind::kSymbol) return t->symbol == 'x' || t->symbol == '*';
  return t->kind == Token::Kind::kWord && t->cjk == nullptr && iequals(t->text, "X");
}

/// "1/2", "3/4", "1/16": a fraction rather than a multipack "4/6".
bool is_fraction(const Token& a, const Token& b) {
  if (!a.integer || !b.integer || a.value <= 0 || a.value >= b.value) return false;
  const auto num = static_cast<long>(a.value);
  const auto den = static_cast<long>(b.value);
  if (den != 2 && den != 3 && den != 4 && den != 8 && den != 16) return false;
  return std::gcd(num, den) == 1;
}

Amount make_amount(double number, const UnitDef& unit, std::size_t next) {
  return Amount{number * unit.factor, unit.dim, unit.multiplier, next};
}

/// A number (plain, "1/2" or "8 1/2") followed by a unit, at token i.
std::optional<Amount> read_amount(const Tokens& tokens, std::size_t i, Mode mode) {
  const Token* a = number_at(tokens, i);
  if (a == nullptr) return std::nullopt;
  std::size_t used = 0;
  // Mixed number: "8 1/2 OZ".
  const Token* b = number_at(tokens, i + 1);
  const Token* c = number_at(tokens, i + 3);
  if (a->integer && b != nullptr && c != nullptr && is_symbol(tokens, i + 2, '/') && b->integer &&
      c->integer && b->value > 0 && b->value < c->value) {
    if (const UnitDef* u = unit_at(tokens, i + 4, mode, used)) {
      return make_amount(a->value + b->value / c->value, *u, i + 4 + used);
    }
  }
  // Fraction: "1/2 GAL".
  if (b == nullptr && is_symbol(tokens, i + 1, '/')) {
    const Token* den = number_at(tokens, i + 2);
    if (den != nullptr && is_fraction(*a, *den)) {
      if (const UnitDef* u = unit_at(tokens, i + 3, mode, used)) {
        return make_amount(a->value / den->value, *u, i + 3 + used);
      }
    }
  }
  if (const UnitDef* u = unit_at(tokens, i + 1, mode, used)) {
    return make_amount(a->value, *u, i + 1 + used);
  }
  return std::nullopt;
}

/// An amount with what multiplies it, starting at the number at token i: "4/6 OZ", "2 x 400g",
/// "10-1OZ", "48-54 CT", "12PK/12OZ", "12OZ/12PK", "6 PK 8 OZ", "500g x 2".
std::optional<Amount> read_term(const Tokens& tokens, std::size_t i, Mode mode) {
  const Token* a = number_at(tokens, i);
  if (a == nullptr) return std::nullopt;
  auto first = read_amount(tokens, i, mode);
  if (!first) {
    // A bare number, then a separator and an amount.
    auto second = read_amount(tokens, i + 2, mode);
    if (!second) return std::nullopt;
    const Token* b = number_at(tokens, i + 2);
    if (is_symbol(tokens, i + 1, '-') && a->value < b->value && b->value <= 2 * a->value) {
      // A range: its middle.
      second->value *= (a->value + b->value) / (2 * b->value);
      return second;
    }
    if ((is_times(tokens, i + 1) || is_symbol(tokens, i + 1, '/') ||
         is_symbol(tokens, i + 1, '-')) &&
        a->integer) {
      second->value *= a->value;
      return second;
    }
    return std::nullopt;
  }
  if (first->dim == Dim::kLength) return first;

  std::size_t j = first->next;
  if (is_times(tokens, j)) {
    // "500g x 2", "2袋 x 500g".
    auto second = read_amount(tokens, j + 1, mode);
    if (second && second->dim != Dim::kLength) {
      if (first->dim == Dim::kCount) {
        second->value *= first->value;
        return second;
      }
      if (second->dim == Dim::kCount) {
        first->value *= second->value;
        first->next = second->next;
      }
      return first;
    }
    const Token* n = number_at(tokens, j + 1);
    if (!second && n != nullptr && n->integer && n->value > 0) {
      first->value *= n->value;
      first->next = j + 2;
    }
    return first;
  }
  if (is_symbol(tokens, j, '/') || is_symbol(tokens, j, ',')) ++j;
  auto second = read_amount(tokens, j, mode);
  if (second && second->dim != Dim::kLength) {
    if (first->multiplier) {  // "12PK/12OZ", "6 PK 8 OZ"
      second->value *= first->value;
      return second;
    }
    if (second->multiplier) {  // "12OZ/12PK", "160CT 3 PK"
      first->value *= second->value;
      first->next = second->next;
    }
  }
  return first;
}

std::optional<PackSize> to_pack_size(const Amount& amount) {
  if (!(amount.value > 0) || !std::isfinite(amount.value)) return std::nullopt;
  switch (amount.dim) {
    case Dim::kMass:
      return PackSize{amount.value, Unit::kGram};
    case Dim::kVolume:
      return PackSize{amount.value, Unit::kMillilitre};
    case Dim::kCount:
      return PackSize{amount.value, Unit::kPiece};
    case Dim::kLength:
      break;
  }
  return std::nullopt;
}

std::optional<PackSize> scan(const Tokens& tokens, Mode mode) {
  std::size_t i = 0;
  while (i < tokens.size) {
    const Token& t = tokens.items[i];
    const bool item_code = t.kind == Token::Kind::kNumber && t.integer && t.digits >= 6;
    if (t.kind != Token::Kind::kNumber || item_code || (mode.text && t.glued)) {
      ++i;
      continue;
    }
    const auto term = read_term(tokens, i, mode);
    if (!term) {
      ++i;
      continue;
    }
    if (auto size = to_pack_size(*term)) return size;
    i = std::max(term->next, i + 1);  // length, area or zero: look further
  }
  return std::nullopt;
}

}  // namespace

std::string_view unit_name(Unit unit) {
  switch (unit) {
    case Unit::kGram:
      return "g";
    case Unit::kMillilitre:
      return "ml";
    case Unit::kPiece:
      return "pc";
  }
  return "?";
}

std::optional<PackSize> parse_pack_size(std::string_view text) {
  const Mode mode{false};
  const Tokens tokens = tokenize(text);
  if (auto size = scan(tokens, mode)) return size;
  // A unit alone ("GAL", "PINT", "DZ"), maybe with punctuation around it.
  std::size_t first_word = tokens.size;
  std::size_t words = 0;
  for (std::size_t i = 0; i < tokens.size; ++i) {
    const Token& t = tokens.items[i];
    if (t.kind == Token::Kind::kNumber) return std::nullopt;
    if (t.kind == Token::Kind::kWord) {
      if (words++ == 0) first_word = i;
    }
  }
  std::size_t used = 0;
  const UnitDef* unit = unit_at(tokens, first_word, mode, used);
  if (unit == nullptr || !unit->bare) return std::nullopt;
  std::size_t unit_words = 0;
  for (std::size_t i = first_word; i < first_word + used; ++i) {
    if (tokens.items[i].kind == Token::Kind::kWord) ++unit_words;
  }
  if (unit_words != words) return std::nullopt;
  return to_pack_size(make_amount(1, *unit, first_word + used));
}

std::optional<PackSize> find_pack_size_in_text(std::string_view text) {
  return scan(tokenize(text), Mode{true});
}

}  // namespace replenish::ingest
