#include "synth/generator.hpp"

#include <date/date.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <queue>
#include <stdexcept>

#include "core/time.hpp"

namespace replenish::synth {
namespace {

constexpr core::EpochSeconds kOffset = 8 * 3600;  // the shop's time zone: UTC+8, no DST
constexpr std::int64_t kDay = 86400;

/// splitmix64: one 64-bit state per stream, so that every stream can be replayed on its own.
struct Rng {
  std::uint64_t state;

  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool chance(double p) { return uniform() < p; }
  std::size_t below(std::size_t n) {
    return static_cast<std::size_t>(uniform() * static_cast<double>(n)) % n;
  }
  /// Standard normal (Box-Muller, one of the pair).
  double normal() {
    const double u1 = std::max(uniform(), 1e-300);
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double exponential(double mean) { return -mean * std::log1p(-uniform()); }
};

std::uint64_t mix(std::uint64_t x) {
  return Rng{x}.next();
}

Rng stream_rng(std::uint64_t seed, std::uint64_t user, std::uint64_t stream) {
  return Rng{mix(seed ^ mix(user * 64 + stream + 1))};
}

struct Product {
  std::string_view sku;
  std::string_view name;  // written as the subcategory (product name)
  std::string_view pack;  // raw pack-size text, as a shop writes it
  double size;            // what the pack holds, in the category's unit; 0 = not stated
  double price;
};

struct Category {
  std::string_view slug;  // "" for non-periodic
  std::string_view raw;   // the shop's category
  double cycle_days;      // mean days one usual pack lasts
  double share;           // users who buy it
  std::vector<Product> products;
};

// Periodic categories: bench/bench.yaml maps exactly these (a test checks every line).
const std::vector<Category>& periodic() {
  static const std::vector<Category> kCategories{
      {"laundry_detergent",
       "洗衣用品",
       35,
       0.30,
       {{"6901000000011", "蓝月亮深层洁净洗衣液 薰衣草香", "3kg", 3000, 59.9},
        {"6901000000028", "立白天然皂粉洗衣粉", "2.25kg", 2250, 32.9},
        {"6901000000035", "奥妙除菌洗衣液, 家庭装", "2 x 2kg", 4000, 89.0},
        {"6901000000042", "超能洗衣凝珠", "家庭装", 0, 45.0}}},
      {"diapers",
       "母婴",
       12,
       0.08,
       {{"6902000000018", "帮宝适超薄干爽纸尿裤 L码", "64片", 64, 129.0},
        {"6902000000025", "好奇铂金装拉拉裤 XL码", "2 x 38片", 76, 169.0},
        {"6902000000032", "花王妙而舒纸尿裤 M码", "", 0, 139.0}}},
      {"baby_formula",
       "母婴",
       16,
       0.06,
       {{"6902000000049", "飞鹤星飞帆幼儿配方奶粉 3段", "800g", 800, 268.0},
        {"6902000000056", "爱他美卓萃奶粉 2段", "2 x 400g", 800, 298.0},
        {"6902000000063", "君乐宝乐铂奶粉 1段", "1.2kg", 1200, 358.0}}},
      {"cat_food",
       "宠物",
       24,
       0.08,
       {{"6903000000015", "皇家成猫猫粮", "2kg", 2000, 168.0},
        {"6903000000022", "渴望六种鱼猫粮", "5.4公斤", 5400, 628.0},
        {"6903000000039", "麦富迪无谷猫粮", "10 LB", 4536, 219.0}}},
      {"sanitary_pads",
       "个护",
       28,
       0.20,
       {{"6904000000012", "苏菲弹力贴身卫生巾 日用", "24片", 24, 29.9},
        {"6904000000029", "护舒宝卫生巾 夜用", "3 x 10片", 30, 39.9},
        {"6904000000036", "七度空间少女卫生巾", "10片", 10, 12.9}}},
      {"coffee",
       "咖啡",
       14,
       0.12,
       {{"6905000000019", "星巴克家享咖啡豆 中度烘焙", "250g", 250, 79.0},
        {"6905000000026", "三顿半超即溶咖啡", "24颗", 0, 129.0},
        {"6905000000033", "Lavazza Espresso Whole Bean", "12 OZ", 340, 89.0}}},
      {"toilet_paper",
       "纸品",
       21,
       0.30,
       {{"6906000000016", "维达蓝色经典卷纸", "27卷", 27, 49.9},
        {"6906000000023", "清风原木纯品卫生纸", "3 x 10卷", 30, 45.9},
        {"6906000000030", "心相印卷纸", "12卷", 12, 22.9}}},
      {"toothpaste",
       "口腔护理",
       50,
       0.20,
       {{"6907000000013", "云南白药牙膏", "180g", 180, 32.0},
        {"6907000000020", "高露洁全面防蛀牙膏", "2 x 140g", 280, 25.9},
        {"6907000000037", "黑人超白牙膏", "190g", 190, 21.9}}},
  };
  return kCategories;
}

// Everything else a shop sells, some of it under the same raw categories as periodic goods (the
// mapping must keep them apart).
const std::vector<Product>& others() {
  static const std::vector<Product> kOthers{
      {"6911000000010", "金纺衣物柔顺剂", "2.5L", 2500, 39.9},
      {"6911000000027", "婴儿推车 轻便折叠", "", 0, 899.0},
      {"6911000000034", "贝亲宽口径奶瓶", "240ml", 240, 89.0},
      {"6911000000041", "猫抓板 瓦楞纸", "", 0, 29.9},
      {"6911000000058", "猫条零食 金枪鱼味", "20 x 15g", 300, 35.0},
      {"6911000000065", "维达抽纸 face", "3包", 3, 15.9},
      {"6911000000072", "飞利浦电动牙刷", "", 0, 399.0},
      {"6912000000017", "乐事薯片 原味", "70g", 70, 7.5},
      {"6912000000024", "三只松鼠每日坚果", "750g", 750, 99.0},
      {"6912000000031", "奥利奥夹心饼干", "388g", 388, 16.9},
      {"6912000000048", "农夫山泉饮用天然水", "24 x 550ml", 13200, 36.0},
      {"6912000000055", "可口可乐", "12 x 330ml", 3960, 29.9},
      {"6912000000062", "元气森林苏打气泡水", "15 x 480ml", 7200, 69.0},
      {"6913000000014", "烟台红富士苹果", "5斤", 2500, 39.9},
      {"6913000000021", "智利车厘子 JJ级", "2斤", 1000, 129.0},
      {"6913000000038", "土鸡蛋", "30个", 30, 32.0},
      {"6914000000011", "纯棉短袖T恤 男款", "", 0, 79.0},
      {"6914000000028", "\"冰丝\"防晒袖套", "", 0, 19.9},
      {"6915000000018", "Type-C 数据线 1m", "", 0, 19.9},
      {"6915000000025", "小米充电宝 10000mAh", "", 0, 99.0},
      {"6916000000015", "收纳箱 大号", "3个", 3, 59.0},
      {"6916000000022", "不粘锅炒锅 30cm", "", 0, 169.0},
  };
  return kOthers;
}

// Raw category of each entry of others(), in the same order.
constexpr std::array<std::string_view, 22> kOtherRaw{
    "洗衣用品", "母婴", "母婴", "宠物", "宠物", "纸品", "口腔护理", "零食", "零食", "零食", "饮料",
    "饮料",     "饮料", "生鲜", "生鲜", "生鲜", "服装", "服装",     "数码", "数码", "家居", "家居",
};

constexpr double kBeta = 0.6;           // interval ~ amount^beta
constexpr double kUserSpread = 0.35;    // user cycles around the category cycle (log scale)
constexpr double kWithinSpread = 0.2;   // one interval around the user's cycle (log scale)
constexpr double kMissed = 0.08;        // bought elsewhere: no line here
constexpr double kChurn = 0.25;         // users who stop buying within the span
constexpr double kCategoryStop = 0.10;  // stop buying one category (the baby grew up, the cat...)
constexpr double kFillerLinesMean = 1.7;

/// One purchase process: a periodic category of a user, or the user's other shopping.
struct Stream {
  std::int32_t next = 0;  // seconds since the start (local midnight)
  std::int32_t end = 0;   // no event at or after this
  std::uint32_t user = 0;
  float cycle = 0;            // periodic: the user's own cycle (days); filler: mean gap (days)
  std::uint8_t category = 0;  // index into periodic(); 255 = other shopping
  std::uint8_t product = 0;   // preferred product
  std::uint8_t hour = 0;      // usual shopping hour
  Rng rng{0};
};
static_assert(sizeof(Stream) <= 32);

constexpr std::uint8_t kFiller = 255;

/// A time on the day of `day_start` near the user's usual hour, never before `not_before`.
std::int32_t shopping_time(std::int64_t day, std::uint8_t hour, Rng& rng, std::int64_t not_before) {
  const double h = std::clamp(hour + 1.5 * rng.normal(), 7.0, 23.9);
  std::int64_t t = day * kDay + static_cast<std::int64_t>(h * 3600);
  t -= t % 60;
  return static_cast<std::int32_t>(std::max(t, not_before));
}

/// When a user is a customer: [join, end) in seconds since the start.
struct Span {
  std::int64_t join = 0;
  std::int64_t end = 0;
};

/// Sets up a user's streams (replayable: everything comes from the user's own generators).
Span make_user(std::uint64_t seed, std::uint32_t user, int days, double filler_gap_days,
               std::vector<Stream>& out) {
  Rng r = stream_rng(seed, user, 0);
  const std::int64_t span = static_cast<std::int64_t>(days) * kDay;
  // A customer from before the start, or a new one from some day within the span.
  const std::int64_t join =
      r.chance(0.55) ? 0 : static_cast<std::int64_t>(r.uniform(0, 0.9) * days) * kDay;
  std::int64_t end = span;
  if (r.chance(kChurn)) {
    end = join + static_cast<std::int64_t>(r.uniform(0.1, 1.0) * static_cast<double>(span - join));
  }
  const auto hour = static_cast<std::uint8_t>(std::lround(r.uniform(8, 22)));
  const auto& cats = periodic();
  for (std::size_t c = 0; c < cats.size(); ++c) {
    if (!r.chance(cats[c].share)) continue;
    Stream s;
    s.user = user;
    s.category = static_cast<std::uint8_t>(c);
    s.hour = hour;
    s.rng = stream_rng(seed, user, c + 1);
    s.cycle = static_cast<float>(cats[c].cycle_days * std::exp(kUserSpread * s.rng.normal()));
    s.product = static_cast<std::uint8_t>(s.rng.below(cats[c].products.size()));
    s.end = static_cast<std::int32_t>(end);
    if (s.rng.chance(kCategoryStop)) {
      s.end = static_cast<std::int32_t>(
          join + static_cast<std::int64_t>(s.rng.uniform() * static_cast<double>(end - join)));
    }
    // Present from the start: the last purchase was some time before it. New: the first
    // purchases come soon, often in one order.
    const double first =
        join == 0 ? s.rng.uniform(0, s.cycle) : (s.rng.chance(0.5) ? 0 : s.rng.uniform(0, s.cycle));
    const auto day = (join + static_cast<std::int64_t>(first * kDay)) / kDay;
    s.next = shopping_time(day, hour, s.rng, join);
    out.push_back(s);
  }
  if (filler_gap_days > 0) {
    Stream s;
    s.user = user;
    s.category = kFiller;
    s.hour = hour;
    s.rng = stream_rng(seed, user, 63);
    s.cycle = static_cast<float>(filler_gap_days);
    s.end = static_cast<std::int32_t>(end);
    const auto day = (join + static_cast<std::int64_t>(s.rng.exponential(s.cycle) * kDay)) / kDay;
    s.next = shopping_time(day, hour, s.rng, join);
    out.push_back(s);
  }
  return Span{join, end};
}

/// One line as the stream decided it.
struct Draft {
  const Product* product = nullptr;
  std::string_view raw;
  std::string_view slug;
  int quantity = 1;
  bool coupon = false;
};

/// Advances a stream by one event: fills `lines` with the order it places (possibly none) and
/// moves `next`. Returns false when the stream has ended (no event).
bool step(Stream& s, std::vector<Draft>& lines) {
  lines.clear();
  if (s.next >= s.end) return false;
  Rng& r = s.rng;
  const auto& other = others();
  const auto add_other = [&](int max_quantity) {
    const std::size_t i = r.below(other.size());
    Draft d;
    d.product = &other[i];
    d.raw = kOtherRaw[i];
    d.quantity = 1 + static_cast<int>(r.below(static_cast<std::size_t>(max_quantity)));
    lines.push_back(d);
  };
  std::int64_t gap_days = 0;
  if (s.category == kFiller) {
    const double u = r.uniform();
    const int n = u < 0.5 ? 1 : u < 0.8 ? 2 : 3;
    for (int i = 0; i < n; ++i) add_other(3);
    gap_days = static_cast<std::int64_t>(std::floor(r.exponential(s.cycle))) + 1;
  } else {
    const Category& cat = periodic()[s.category];
    const bool missed = r.chance(kMissed);
    std::size_t p = s.product;
    if (r.chance(0.1)) p = r.below(cat.products.size());  // tries another product
    const double u = r.uniform();
    const int quantity = u < 0.8 ? 1 : u < 0.95 ? 2 : 3;
    if (!missed) {
      Draft d;
      d.product = &cat.products[p];
      d.raw = cat.raw;
      d.slug = cat.slug;
      d.quantity = quantity;
      d.coupon = r.chance(0.04);
      lines.push_back(d);
      const double b = r.uniform();
      const int extra = b < 0.55 ? 0 : b < 0.85 ? 1 : 2;
      for (int i = 0; i < extra; ++i) add_other(2);
    }
    // How long it lasts: the user's cycle, stretched (less than proportionally) by the amount.
    const double usual = cat.products[s.product].size;
    const double size = cat.products[p].size;
    double amount = quantity;
    if (usual > 0 && size > 0) amount *= size / usual;
    const double days = s.cycle * std::pow(amount, kBeta) * std::exp(kWithinSpread * r.normal());
    gap_days = std::max<std::int64_t>(1, std::llround(days));
  }
  const std::int64_t day = s.next / kDay + gap_days;
  const std::int64_t next = shopping_time(day, s.hour, r, s.next + 60);
  s.next = static_cast<std::int32_t>(std::min<std::int64_t>(next, INT32_MAX));
  return true;
}

/// Periodic lines of users [0, users) over `days` with no other shopping.
std::int64_t count_periodic_lines(std::uint64_t seed, std::uint32_t users, int days) {
  std::vector<Stream> streams;
  std::vector<Draft> lines;
  std::int64_t n = 0;
  for (std::uint32_t u = 0; u < users; ++u) {
    streams.clear();
    make_user(seed, u, days, 0, streams);
    for (auto& s : streams) {
      while (step(s, lines)) {
        for (const auto& d : lines) n += d.slug.empty() ? 0 : 1;
      }
    }
  }
  return n;
}

/// Lines of all kinds that periodic purchases of users [0, users) bring (the basket around them
/// included), and the users' active days.
struct Census {
  std::int64_t lines = 0;
  double active_days = 0;
};

Census census(std::uint64_t seed, std::uint32_t users, int days) {
  std::vector<Stream> streams;
  std::vector<Draft> lines;
  Census c;
  for (std::uint32_t u = 0; u < users; ++u) {
    streams.clear();
    const Span span = make_user(seed, u, days, 0, streams);
    c.active_days += static_cast<double>(span.end - span.join) / kDay;
    for (auto& s : streams) {
      while (step(s, lines)) c.lines += static_cast<std::int64_t>(lines.size());
    }
  }
  return c;
}

class Writer {
 public:
  Writer(std::ostream& out, Format format, int user_digits)
      : out_(out), format_(format), user_digits_(user_digits) {
    buf_.reserve(kFlushAt + 4096);
    if (format_ == Format::kCsv) {
      buf_.append(
          "order_id,line,user_id,sku,category,subcategory,pack_size,quantity,unit_price,"
          "ordered_at,coupon_code\n");
    }
  }
  ~Writer() { flush(); }

  void line(std::int64_t order, int line_no, std::uint32_t user, const Draft& d, double price,
            std::int64_t coupon, core::EpochSeconds at) {
    const auto local = at + kOffset;
    const auto days = date::floor<date::days>(date::sys_seconds(std::chrono::seconds(local)));
    const date::year_month_day ymd(days);
    const auto sod = local - days.time_since_epoch().count() * kDay;
    std::array<char, 32> ts_buf{};
    const auto ts_end = fmt::format_to_n(
        ts_buf.data(), ts_buf.size(), "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:00+08:00",
        static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
        static_cast<unsigned>(ymd.day()), sod / 3600, sod / 60 % 60);
    const std::string_view ts(ts_buf.data(), ts_end.size);
    auto o = std::back_inserter(buf_);
    if (format_ == Format::kCsv) {
      fmt::format_to(o, "o{:010d},{},u{:0{}d},{},{},", order, line_no, user, user_digits_,
                     d.product->sku, d.raw);
      csv_field(d.product->name);
      buf_.push_back(',');
      csv_field(d.product->pack);
      fmt::format_to(o, ",{},{:.2f},{},", d.quantity, price, ts);
      if (coupon > 0) fmt::format_to(o, "CP{:06d}", coupon);
      buf_.push_back('\n');
    } else {
      fmt::format_to(o, R"({{"order_id":"o{:010d}","line":{},"user_id":"u{:0{}d}","sku":"{}",)",
                     order, line_no, user, user_digits_, d.product->sku);
      buf_.append(R"("category":)");
      json_string(d.raw);
      buf_.append(R"(,"subcategory":)");
      json_string(d.product->name);
      if (!d.product->pack.empty()) {
        buf_.append(R"(,"pack_size":)");
        json_string(d.product->pack);
      }
      fmt::format_to(o, R"(,"quantity":{},"unit_price":{:.2f},"ordered_at":"{}")", d.quantity,
                     price, ts);
      if (coupon > 0) fmt::format_to(o, R"(,"coupon_code":"CP{:06d}")", coupon);
      buf_.append("}\n");
    }
    if (buf_.size() >= kFlushAt) flush();
  }

  void flush() {
    if (buf_.empty()) return;
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }

 private:
  static constexpr std::size_t kFlushAt = 1 << 20;

  void csv_field(std::string_view v) {
    if (v.find_first_of(",\"\n") == std::string_view::npos) {
      buf_.append(v);
      return;
    }
    buf_.push_back('"');
    for (char c : v) {
      if (c == '"') buf_.push_back('"');
      buf_.push_back(c);
    }
    buf_.push_back('"');
  }
  void json_string(std::string_view v) {
    buf_.push_back('"');
    for (char c : v) {
      if (c == '"' || c == '\\') buf_.push_back('\\');
      buf_.push_back(c);
    }
    buf_.push_back('"');
  }

  std::ostream& out_;
  Format format_;
  int user_digits_;
  std::string buf_;
};

}  // namespace

std::vector<CategoryInfo> periodic_categories() {
  std::vector<CategoryInfo> out;
  for (const auto& c : periodic()) {
    out.push_back(CategoryInfo{std::string(c.slug), std::string(c.raw), c.cycle_days});
  }
  return out;
}

Stats generate(const Options& options, std::ostream& out, const LineObserver& observer) {
  if (options.lines < 1) throw std::invalid_argument("--orders: at least 1 line");
  if (options.users < 1 || options.users > 100000000) {
    throw std::invalid_argument("--users: from 1 to 100,000,000");
  }
  if (options.days < 0 || options.days > 3650) {
    throw std::invalid_argument("--days: from 1 to 3650 (0 = pick one)");
  }
  const auto users = static_cast<std::uint32_t>(options.users);
  const std::uint64_t seed = options.seed;

  // The span: as given, or so that periodic purchases make about half of the lines.
  int days = options.days;
  if (days == 0) {
    const std::uint32_t sample = std::min<std::uint32_t>(users, 20000);
    const double per_user = static_cast<double>(count_periodic_lines(seed, sample, 365)) / sample;
    const double want = 0.5 * static_cast<double>(options.lines) / static_cast<double>(users);
    days = static_cast<int>(
        std::clamp(std::lround(365 * want / std::max(per_user, 1e-9)), 28L, 3650L));
  }
  const core::EpochSeconds end_at = options.start + static_cast<core::EpochSeconds>(days) * kDay;
  if (options.start < core::kMinTime || end_at >= core::kMaxTime) {
    throw std::invalid_argument("--start/--days: the history must lie within 1970..2100");
  }

  // Other shopping fills up to the number of lines asked for (a little more, so that the output
  // is cut at exactly that many rather than running short).
  const Census c = census(seed, users, days);
  const double missing = 1.04 * static_cast<double>(options.lines) - static_cast<double>(c.lines);
  double filler_gap = 0;
  if (missing > 0 && c.active_days > 0) {
    filler_gap = c.active_days * kFillerLinesMean / missing;
  }

  std::vector<Stream> streams;
  streams.reserve(static_cast<std::size_t>(users) * 2);
  for (std::uint32_t u = 0; u < users; ++u) make_user(seed, u, days, filler_gap, streams);

  // Events in time order: (time << 32 | stream) in a min-heap; ties go to the lower stream.
  std::vector<std::uint64_t> heap_store;
  heap_store.reserve(streams.size());
  const auto key = [&](std::size_t i) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(streams[i].next)) << 32) | i;
  };
  for (std::size_t i = 0; i < streams.size(); ++i) {
    if (streams[i].next < streams[i].end) heap_store.push_back(key(i));
  }
  std::priority_queue<std::uint64_t, std::vector<std::uint64_t>, std::greater<>> heap(
      std::greater<>{}, std::move(heap_store));

  int user_digits = 7;
  for (std::int64_t n = 10000000; n < options.users; n *= 10) ++user_digits;
  Writer writer(out, options.format, user_digits);
  Stats stats;
  stats.days = days;
  std::vector<bool> bought(users, false);
  std::vector<Draft> lines;
  core::OrderLine observed;
  while (stats.lines < options.lines && !heap.empty()) {
    const std::size_t i = heap.top() & 0xffffffffULL;
    heap.pop();
    Stream& s = streams[i];
    const core::EpochSeconds at = options.start + s.next;
    if (!step(s, lines)) continue;
    if (s.next < s.end) heap.push(key(i));
    if (lines.empty()) continue;
    ++stats.orders;
    if (!bought[s.user]) {
      bought[s.user] = true;
      ++stats.buyers;
    }
    if (stats.orders == 1) stats.first_at = at;
    stats.last_at = at;
    int line_no = 0;
    for (const auto& d : lines) {
      if (stats.lines == options.lines) break;
      ++stats.lines;
      stats.periodic_lines += d.slug.empty() ? 0 : 1;
      const double price =
          std::max(0.01, std::round(d.product->price * (1 + 0.05 * s.rng.normal()) * 100) / 100);
      const std::int64_t coupon = d.coupon ? static_cast<std::int64_t>(s.rng.below(999999)) + 1 : 0;
      writer.line(stats.orders, ++line_no, s.user, d, price, coupon, at);
      if (observer) {
        observed.order_id = fmt::format("o{:010d}", stats.orders);
        observed.line = line_no;
        observed.user_id = fmt::format("u{:0{}d}", s.user, user_digits);
        observed.sku = d.product->sku;
        observed.category = d.raw;
        observed.subcategory = d.product->name;
        observed.pack_size = d.product->pack;
        observed.quantity = d.quantity;
        observed.unit_price = price;
        observed.ordered_at = at;
        observed.coupon_code = coupon > 0 ? fmt::format("CP{:06d}", coupon) : "";
        observer(observed, d.slug);
      }
    }
  }
  writer.flush();
  return stats;
}

}  // namespace replenish::synth
