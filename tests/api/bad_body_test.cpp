// Bad bodies against POST /v1/orders, in process on an ephemeral port: each gets its exact
// problem (status, detail) and stores nothing, or stores exactly its valid lines.
#include <doctest/doctest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "api/server.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/time.hpp"
#include "plan/engine.hpp"
#include "store/sqlite_store.hpp"
#include "support/api_fixture.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using namespace std::string_literals;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxBody = 65536;

const char* kConfig = R"(
server:
  max_body_bytes: 65536
  tokens:
    - {name: shop, token: "shop-token-0123456789", scopes: [ingest]}
merchant: {timezone: Asia/Shanghai}
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{category: [母婴], include: 纸尿裤}]
channels:
  log: {type: log}
)";

struct Daemon : testing::ApiFixture {
  Daemon() : ApiFixture(kConfig, "2024-02-02T08:00:00+08:00") {}
  httplib::Client client() const { return ApiFixture::client("shop-token-0123456789"); }
  httplib::Result post(const std::string& body,
                       const std::string& type = "application/json") const {
    return client().Post("/v1/orders", body, type.c_str());
  }
};

std::string order(const std::string& id, const std::string& extra = "") {
  return R"({"order_id":")" + id +
         R"(","line":1,"user_id":"u1","sku":"S","category":"母婴","subcategory":"纸尿裤",)"
         R"("quantity":1,"ordered_at":"2024-02-01T10:00:00+08:00")" +
         extra + "}";
}

/// The problem+json answer's detail, after checking status and media type.
std::string problem_detail(const httplib::Result& res, int status) {
  REQUIRE_MESSAGE(res, httplib::to_string(res.error()));
  CHECK(res->status == status);
  CHECK(res->get_header_value("Content-Type") == "application/problem+json");
  const auto body = json::parse(res->body, nullptr, false);
  REQUIRE_MESSAGE(body.is_object(), res->body);
  CHECK(body.value("status", 0) == status);
  return body.value("detail", "");
}

}  // namespace

TEST_CASE("api bad bodies: malformed JSON is 400 naming the line, column and reason") {
  Daemon d;
  CHECK(problem_detail(d.post(R"({"order_id": "o1", "line": })"), 400) ==
        "body is not valid JSON (line 1, column 28: syntax error while parsing value - "
        "unexpected '}'; expected '[', '{', or a literal): expected an order object, an array of "
        "order objects, or {\"orders\": [...]}");
  CHECK(problem_detail(d.post(""), 400) ==
        "body is not valid JSON (line 1, column 1: syntax error while parsing value - "
        "unexpected end of input; expected '[', '{', or a literal): expected an order object, an "
        "array of order objects, or {\"orders\": [...]}");
  CHECK(problem_detail(d.post("[" + order("o1") + ",\n" + order("o2").substr(0, 40)), 400)
            .rfind("body is not valid JSON (line 2, column 41: syntax error while parsing object",
                   0) == 0);
  // A number beyond double, invalid UTF-8 and a raw NUL byte are JSON syntax errors too.
  CHECK(problem_detail(d.post("[" + order("o1", R"(,"unit_price":1e400)") + "]"), 400)
            .find("number overflow parsing '1e400'") != std::string::npos);
  CHECK(problem_detail(d.post(order("o\xff")), 400).find("invalid string: ill-formed UTF-8 byte") !=
        std::string::npos);
  CHECK(problem_detail(d.post(order("o\0x"s)), 400)
            .rfind("body is not valid JSON (line 1, column 15: unexpected NUL byte)", 0) == 0);
  CHECK(problem_detail(d.post(R"("orders")"), 400) ==
        "body is a string: expected an order object, an array of order objects, or "
        "{\"orders\": [...]}");
  CHECK(d.store.order_count() == 0);
}

TEST_CASE("api bad bodies: unknown fields are ignored and named, the lines are stored") {
  Daemon d;
  const auto res = d.post(R"({"orders": [)" + order("o1", R"(,"gift_wrap":true,"note":"x")") + "," +
                          order("o2", R"(,"note":{"a":1})") + R"(], "source": "pos"})");
  REQUIRE(res);
  CHECK(res->status == 200);
  const auto body = json::parse(res->body);
  CHECK(body["stored"] == 2);
  CHECK(body["rejected"] == 0);
  CHECK(body["ignored_fields"] == json::array({"source", "gift_wrap", "note"}));
  CHECK(d.store.order_count() == 2);
}

TEST_CASE("api bad bodies: wrong types and huge numbers are per-row errors, valid rows stored") {
  Daemon d;
  json o2 = json::parse(order("o2"));
  o2["line"] = json::parse("9223372036854775808");  // 2^63: past int64
  const auto res =
      d.post("[" + order("o1") + "," + o2.dump() + "," + order("o3", R"(,"unit_price":"free")") +
             "," + order("o4", R"(,"coupon_code":["A"])") + "," + order("o5") + "]");
  REQUIRE(res);
  CHECK(res->status == 200);
  const auto body = json::parse(res->body);
  CHECK(body["stored"] == 2);
  CHECK(body["rejected"] == 3);
  CHECK(body["errors"] == json::parse(R"([
          {"index": 1, "reason": "orders[1].line: expected a positive integer, got 9223372036854775808"},
          {"index": 2, "reason": "orders[2].unit_price: must be a non-negative number, got 'free'"},
          {"index": 3, "reason": "orders[3].coupon_code: expected a string, got an array"}
        ])"));
  CHECK(d.store.order_count() == 2);
}

TEST_CASE("api bad bodies: a body over server.max_body_bytes is 413 problem+json") {
  Daemon d;
  // A valid batch, just too big.
  std::string batch = "[";
  for (int i = 0; batch.size() <= kMaxBody; ++i) {
    batch += (i == 0 ? "" : ",") + order("o" + std::to_string(i));
  }
  batch += "]";
  CHECK(problem_detail(d.post(batch), 413) == "the request body exceeds server.max_body_bytes");

  // The same without Content-Length, in chunks: read to its end, keeping nothing, and refused.
  std::size_t sent = 0;
  auto res = d.client().Post(
      "/v1/orders",
      [&](std::size_t, httplib::DataSink& sink) {
        const std::size_t n = std::min<std::size_t>(8192, batch.size() - sent);
        sink.write(batch.data() + sent, n);
        sent += n;
        if (sent == batch.size()) sink.done();
        return true;
      },
      "application/json");
  CHECK(problem_detail(res, 413) == "the request body exceeds server.max_body_bytes");
  CHECK(sent == batch.size());
  CHECK(d.store.order_count() == 0);

  // A small chunked body is read as usual.
  const std::string small = "[" + order("c1") + "]";
  res = d.client().Post(
      "/v1/orders",
      [&](std::size_t, httplib::DataSink& sink) {
        sink.write(small.data(), small.size());
        sink.done();
        return true;
      },
      "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(d.store.order_count() == 1);

  // A 10 MB body is refused; it is read and dropped, never held.
  CHECK(problem_detail(d.post(std::string(10 * 1024 * 1024, ' ')), 413) ==
        "the request body exceeds server.max_body_bytes");

  // A chunked body past 16 times the limit is not even read to its end: the connection is cut.
  std::size_t chunks = 0;
  const std::string chunk(8192, ' ');
  res = d.client().Post(
      "/v1/orders",
      [&](std::size_t, httplib::DataSink& sink) {
        if (++chunks > 10 * 1024 * 1024 / chunk.size()) {
          sink.done();
          return true;
        }
        return sink.write(chunk.data(), chunk.size());
      },
      "application/json");
  CHECK(chunks < 10 * 1024 * 1024 / chunk.size());
  CHECK(d.store.order_count() == 1);
  const auto health = d.client().Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
}

TEST_CASE("api bad bodies: a body that is not declared as JSON is 415") {
  Daemon d;
  const std::string body = "[" + order("o1") + "]";
  CHECK(problem_detail(d.post(body, "text/plain"), 415) ==
        "send the body as Content-Type: application/json, not 'text/plain'");
  CHECK(problem_detail(d.post(body, "application/x-www-form-urlencoded"), 415) ==
        "send the body as Content-Type: application/json, not "
        "'application/x-www-form-urlencoded'");
  CHECK(problem_detail(d.post(body, "application/jsonx"), 415) ==
        "send the body as Content-Type: application/json, not 'application/jsonx'");
  CHECK(d.store.order_count() == 0);

  // Parameters and case do not matter.
  auto res = d.post(body, "Application/JSON; charset=utf-8");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(d.store.order_count() == 1);
}

TEST_CASE("api bad bodies: deep nesting is refused without exhausting the stack") {
  Daemon d;
  const std::size_t depth = kMaxBody / 2 - 8;
  const std::string nested = std::string(depth, '[') + std::string(depth, ']');
  CHECK(problem_detail(d.post(nested), 422) == "no order line in the request is valid");
  const std::string objects = [&] {
    std::string s;
    for (std::size_t i = 0; i < depth / 8; ++i) s += R"({"a":)";
    s += "1";
    s += std::string(depth / 8, '}');
    return s;
  }();
  const auto res = d.post(objects);
  REQUIRE(res);
  CHECK(res->status == 422);
  CHECK(d.store.order_count() == 0);
}
