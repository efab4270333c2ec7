#include <doctest/doctest.h>

#include "notify/channels/log.hpp"
#include "support.hpp"

namespace replenish::notify {

namespace {
Message sample_message() {
  Message m;
  m.reminder_id = 42;
  m.key = "rem-42-a1";
  m.user_id = "u1001";
  m.openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
  m.category = "detergent";
  m.kind = "replenish";
  m.due_at = 1700000000;
  m.text = "本店提醒您：\"洗衣液\"快用完啦\n记得补货";
  return m;
}
}  // namespace

TEST_CASE("notify: log channel writes one key=value line and delivers") {
  test::LogCapture capture;
  const auto channel = test::build_one("console", "type: log\n");
  const auto outcome = channel->send(sample_message());
  CHECK(outcome.kind == Outcome::Kind::kDelivered);
  CHECK(outcome.provider_id == "log-rem-42-a1");
  const std::string text = capture.text();
  CHECK(text ==
        "info event=reminder_delivered channel=console kind=replenish reminder=rem-42-a1 "
        "user=u1001 category=detergent openid=" +
            hashed_id("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") +
            " text=\"本店提醒您：\\\"洗衣液\\\"快用完啦\\n记得补货\"\n");
  CHECK(text.find("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") == std::string::npos);
}

TEST_CASE("notify: log channel honours level warn and leaves out an empty openid") {
  test::LogCapture capture;
  const auto channel = test::build_one("console", "type: log\nlevel: warn\n");
  auto m = sample_message();
  m.openid.clear();
  m.text = "hi";
  CHECK(channel->send(m).kind == Outcome::Kind::kDelivered);
  CHECK(capture.text() ==
        "warning event=reminder_delivered channel=console kind=replenish reminder=rem-42-a1 "
        "user=u1001 category=detergent text=\"hi\"\n");
}

TEST_CASE("notify: hashed ids are stable and short, quoting escapes control characters") {
  CHECK(hashed_id("") == "");
  CHECK(hashed_id("abc") == "h:ba7816bf8f01");  // SHA-256("abc") = ba7816bf8f01cfea…
  CHECK(hashed_id("abc") != hashed_id("abd"));
  CHECK(quote_text("a\"b\\c\td\x01") == "\"a\\\"b\\\\c\\td\\x01\"");
}

}  // namespace replenish::notify
