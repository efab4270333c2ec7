// logging.format: json gives one parseable JSON object per line.
#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "api/log_format.hpp"

using namespace replenish;

TEST_CASE("logging: json lines carry time, level, logger, event and the escaped message") {
  std::ostringstream os;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(os);
  spdlog::logger log("dispatch", sink);
  log.set_formatter(api::make_log_formatter("json"));
  log.info("event=reminder_sent id=7 reason=\"quote \\ back\" text=\"第一行\n第二行\"");
  log.warn("plain message\twith a tab");
  std::istringstream lines(os.str());
  std::string line;
  REQUIRE(std::getline(lines, line));
  const auto first = nlohmann::json::parse(line);
  CHECK(first["level"] == "info");
  CHECK(first["logger"] == "dispatch");
  CHECK(first["event"] == "reminder_sent");
  CHECK(first["msg"] ==
        "event=reminder_sent id=7 reason=\"quote \\ back\" text=\"第一行\n第二行\"");
  const std::string ts = first["ts"];
  CHECK(ts.size() == 24);
  CHECK(ts.back() == 'Z');
  CHECK(ts[10] == 'T');
  REQUIRE(std::getline(lines, line));
  const auto second = nlohmann::json::parse(line);
  CHECK(second["level"] == "warning");
  CHECK_FALSE(second.contains("event"));
  CHECK(second["msg"] == "plain message\twith a tab");
  CHECK_FALSE(std::getline(lines, line));
}

TEST_CASE("logging: text lines keep the pattern") {
  std::ostringstream os;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(os);
  spdlog::logger log("api", sink);
  log.set_formatter(api::make_log_formatter("text"));
  log.info("event=listening address=127.0.0.1:8470");
  const std::string out = os.str();
  CHECK(out.find(" info  api        event=listening address=127.0.0.1:8470\n") !=
        std::string::npos);
}
