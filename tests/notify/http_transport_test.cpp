// The plain-http transport of HttpClientPool (Beast over a blocking socket): chunked answers,
// answers that close the connection, and the request as the server sees it.
#include <doctest/doctest.h>

#include "notify/http.hpp"
#include "support.hpp"

using namespace replenish;
using namespace replenish::notify;

namespace {

HttpClientPool pool_for(const test::HttpMock& mock, const std::string& path) {
  return HttpClientPool(*parse_http_url(mock.url(path)), HttpClientOptions{});
}

}  // namespace

TEST_CASE("notify: plain http reads a chunked answer whole and keeps the connection") {
  const std::string big(20000, 'x');  // more than one read
  test::HttpMock mock([&](httplib::Server& s) {
    s.Post("/chunked", [&](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/json",
                                       [&](std::size_t, httplib::DataSink& sink) {
                                         sink.write("{\"id\": \"", 8);
                                         sink.write(big.data(), big.size());
                                         sink.write("\"}", 2);
                                         sink.done();
                                         return true;
                                       });
    });
  });
  auto pool = pool_for(mock, "/chunked");
  for (int i = 0; i < 2; ++i) {
    const auto res = pool.post({}, "{}", "application/json");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "{\"id\": \"" + big + "\"}");
    CHECK(res->get_header_value("Content-Type") == "application/json");
  }
  CHECK(pool.idle() == 1);  // one connection, reused
}

TEST_CASE("notify: plain http does not reuse a connection the answer closed") {
  test::Inbox inbox;
  test::HttpMock mock([&](httplib::Server& s) {
    s.Post("/close", [&](const httplib::Request& req, httplib::Response& res) {
      inbox.add(req);
      res.set_header("Connection", "close");
      res.status = 503;
      res.set_header("Retry-After", "30");
      res.set_content("busy", "text/plain");
    });
  });
  auto pool = pool_for(mock, "/close");
  const httplib::Headers headers{{"X-Shop", "42"}, {"X-Tag", "a"}, {"X-Tag", "b"}};
  for (int i = 0; i < 2; ++i) {
    const auto res = pool.post(headers, "{\"n\": 1}", "application/json");
    REQUIRE(res);
    CHECK(res->status == 503);
    CHECK(res->body == "busy");
    CHECK(http_failure(*res).retry_after_seconds == 30);
    CHECK(pool.idle() == 0);
  }
  const auto got = inbox.items();
  REQUIRE(got.size() == 2);
  CHECK(got[0].remote_port != got[1].remote_port);  // a new connection each time
  CHECK(got[0].body == "{\"n\": 1}");
  CHECK(got[0].header("Content-Type") == "application/json");
  CHECK(got[0].header("Content-Length") == "8");
  CHECK(got[0].header("Host") == "127.0.0.1:" + std::to_string(mock.port()));
  CHECK(got[0].header("User-Agent") == "replenish/" REPLENISH_VERSION);
  CHECK(got[0].header("X-Shop") == "42");
  CHECK(got[0].headers.count("X-Tag") == 2);
}

TEST_CASE("notify: plain http GET carries the query and no body") {
  test::Inbox inbox;
  test::HttpMock mock([&](httplib::Server& s) {
    s.Get("/token", [&](const httplib::Request& req, httplib::Response& res) {
      inbox.add(req);
      res.set_content(R"({"access_token": "t", "expires_in": 7200})", "application/json");
    });
  });
  auto pool = pool_for(mock, "/");
  const auto res = pool.get("/token?shop=7&x=%20", {});
  REQUIRE(res);
  CHECK(res->status == 200);
  const auto got = inbox.items();
  REQUIRE(got.size() == 1);
  CHECK(got[0].method == "GET");
  CHECK(got[0].query_shop == "7");
  CHECK(got[0].param("x") == " ");
  CHECK(got[0].body.empty());
}
