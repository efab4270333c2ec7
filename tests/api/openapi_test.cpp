// The API against its description (schemas/openapi.yaml): every route the server registers is
// described and every described route exists; every response of a walk through all routes has
// a documented status and content type, and its body matches the documented schema (types,
// required properties, enums, nested objects and arrays; a small checker: Debian packages no
// JSON-schema validator for C++).
#include <doctest/doctest.h>
#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
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
using nlohmann::json;

namespace {

const std::string kSpecPath = std::string(REPLENISH_SOURCE_DIR) + "/schemas/openapi.yaml";
constexpr const char* kAdmin = "admin-token-0123456789";

/// "/v1/users/([^/]+)" and "/v1/users/{user_id}" both become "/v1/users/{}".
std::string normalise(const std::string& path) {
  static const std::regex group(R"(\([^)]*\))");
  static const std::regex param(R"(\{[^}]+\})");
  return std::regex_replace(std::regex_replace(path, group, "{}"), param, "{}");
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// (method, normalised path) of every route registered in lib/api/*.cpp.
std::set<std::pair<std::string, std::string>> registered_routes() {
  static const std::regex call(
      R"re(http_\.(Get|Post|Put|Delete|Patch)\(\s*(?:R"\(([\s\S]*?)\)"|"([^"]*)"))re");
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(REPLENISH_SOURCE_DIR) + "/lib/api")) {
    if (entry.path().extension() != ".cpp") continue;
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    for (std::sregex_iterator it(text.begin(), text.end(), call), end; it != end; ++it) {
      const std::string path = (*it)[2].matched ? (*it)[2].str() : (*it)[3].str();
      out.emplace(lower((*it)[1].str()), normalise(path));
    }
  }
  return out;
}

std::set<std::pair<std::string, std::string>> described_routes(const YAML::Node& spec) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& p : spec["paths"]) {
    for (const auto& op : p.second) {
      const auto method = op.first.as<std::string>();
      if (method == "parameters") continue;
      out.emplace(method, normalise(p.first.as<std::string>()));
    }
  }
  return out;
}

/// Follows local $refs. yaml-cpp's Node::operator= writes through to the node it refers to, so
/// nodes are re-bound with reset() here, never assigned.
YAML::Node resolve(const YAML::Node& root, const YAML::Node& start) {
  YAML::Node node;
  node.reset(start);
  while (node.IsMap() && node["$ref"]) {
    const auto ref = node["$ref"].as<std::string>();
    if (ref.rfind("#/", 0) != 0) return YAML::Node();  // an external file: not checked here
    YAML::Node cur;
    cur.reset(root);
    std::stringstream parts(ref.substr(2));
    std::string part;
    while (std::getline(parts, part, '/')) {
      const YAML::Node& parent = cur;
      const YAML::Node next = parent[part];
      cur.reset(next);
    }
    node.reset(cur);
  }
  return node;
}

bool type_matches(const std::string& type, const json& v) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  return false;
}

/// Checks `v` against `schema`; appends what does not match to `errors`.
void check_schema(const YAML::Node& root, const YAML::Node& unresolved, const json& v,
                  const std::string& where, std::vector<std::string>& errors) {
  const YAML::Node schema = resolve(root, unresolved);
  if (!schema.IsMap()) return;
  if (schema["allOf"]) {
    for (const auto& s : schema["allOf"]) check_schema(root, s, v, where, errors);
  }
  if (schema["oneOf"]) {
    int matching = 0;
    for (const auto& s : schema["oneOf"]) {
      std::vector<std::string> e;
      check_schema(root, s, v, where, e);
      matching += e.empty() ? 1 : 0;
    }
    if (matching == 0) errors.push_back(where + ": matches none of oneOf");
  }
  if (const auto t = schema["type"]) {
    bool ok = false;
    if (t.IsSequence()) {
      for (const auto& one : t) ok = ok || type_matches(one.as<std::string>(), v);
    } else {
      ok = type_matches(t.as<std::string>(), v);
    }
    if (!ok) {
      errors.push_back(where + ": expected type " + YAML::Dump(t) + ", got " + v.dump());
      return;
    }
  }
  if (schema["enum"] && v.is_string()) {
    bool found = false;
    for (const auto& e : schema["enum"]) found = found || e.as<std::string>() == v;
    if (!found) errors.push_back(where + ": " + v.dump() + " is not in the enum");
  }
  if (v.is_object()) {
    for (const auto& r : schema["required"]) {
      if (!v.contains(r.as<std::string>())) {
        errors.push_back(where + ": required property '" + r.as<std::string>() + "' missing");
      }
    }
    const auto props = schema["properties"];
    const auto extra = schema["additionalProperties"];
    for (const auto& [key, value] : v.items()) {
      if (props && props[key]) {
        check_schema(root, props[key], value, where + "." + key, errors);
      } else if (extra && extra.IsMap()) {
        check_schema(root, extra, value, where + "." + key, errors);
      } else if (extra && extra.IsScalar() && extra.as<std::string>() == "false") {
        errors.push_back(where + ": property '" + key + "' is not described");
      }
    }
  }
  if (v.is_array() && schema["items"]) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      check_schema(root, schema["items"], v[i], where + "[" + std::to_string(i) + "]", errors);
    }
  }
}

const char* kConfig = R"(
server:
  tokens:
    - {name: operator, token: "admin-token-0123456789", scopes: [admin]}
    - {name: viewer, token: "read-token-0123456789", scopes: [read]}
merchant: {timezone: Asia/Shanghai}
clock: {mode: simulated, start: "2024-02-20T08:00:00+08:00", speed: 0}
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{category: [母婴], include: 纸尿裤}]
    default_cycle_days: 10
channels:
  log: {type: log}
)";

struct Fixture : testing::ApiFixture {
  explicit Fixture(const std::string& yaml = kConfig)
      : ApiFixture(yaml, "2024-02-20T08:00:00+08:00") {}
};

struct Call {
  Call(std::string m, std::string p, std::string b = "", std::string t = kAdmin)
      : method(std::move(m)), path(std::move(p)), body(std::move(b)), token(std::move(t)) {}
  std::string method;
  std::string path;
  std::string body;
  std::string token;
};

/// Finds the described operation for a concrete request path.
YAML::Node operation(const YAML::Node& spec, const std::string& method, const std::string& path,
                     std::string* templ) {
  for (const auto& p : spec["paths"]) {
    const std::string t = p.first.as<std::string>();
    const std::regex re("^" + std::regex_replace(t, std::regex(R"(\{[^}]+\})"), "[^/]+") + "$");
    if (std::regex_match(path, re) && p.second[method]) {
      *templ = t;
      return p.second[method];
    }
  }
  return YAML::Node();
}

}  // namespace

TEST_CASE("openapi: every registered route is described, and every described route exists") {
  const auto spec = YAML::LoadFile(kSpecPath);
  const auto registered = registered_routes();
  const auto described = described_routes(spec);
  REQUIRE(registered.size() >= 15);
  for (const auto& [method, path] : registered) {
    CHECK_MESSAGE(described.count({method, path}), method << " " << path
                                                          << " is registered but not in "
                                                             "schemas/openapi.yaml");
  }
  for (const auto& [method, path] : described) {
    CHECK_MESSAGE(registered.count({method, path}),
                  method << " " << path << " is described but no route serves it");
  }
}

TEST_CASE("openapi: every response of a walk through the API matches its description") {
  const auto spec = YAML::LoadFile(kSpecPath);
  Fixture f;
  // A reminder that was sent, to resend.
  core::Reminder sent;
  sent.key = "rmd_sent_for_test";
  sent.user_id = "u9";
  sent.category = "diapers";
  sent.due_at = f.clock.now() - 3600;
  sent.next_attempt_at = sent.due_at;
  sent.created_at = sent.due_at;
  const auto sent_id = f.store.insert_reminder(sent);
  REQUIRE(f.store.claim_due(f.clock.now(), 10, 60).size() == 1);
  store::AttemptRecord a;
  a.reminder_id = sent_id;
  a.at = f.clock.now();
  a.channel = "log";
  a.outcome = "delivered";
  a.new_state = core::ReminderState::kSent;
  f.store.finish_attempt(a);

  const std::string orders = json::array({
                                             {{"order_id", "o1"},
                                              {"line", 1},
                                              {"user_id", "u1"},
                                              {"sku", "D"},
                                              {"category", "母婴"},
                                              {"subcategory", "纸尿裤 L"},
                                              {"quantity", 1},
                                              {"ordered_at", "2024-02-01T10:00:00+08:00"}},
                                             {{"order_id", "o2"},
                                              {"line", 1},
                                              {"user_id", "u1"},
                                              {"sku", "D"},
                                              {"category", "母婴"},
                                              {"subcategory", "纸尿裤 L"},
                                              {"quantity", 1},
                                              {"ordered_at", "2024-02-11T10:00:00+08:00"}},
                                         })
                                 .dump();
  std::vector<Call> calls{
      {"get", "/healthz", "", ""},
      {"get", "/readyz", "", ""},
      {"post", "/v1/orders", orders},
      {"post", "/v1/orders", "[{\"order_id\": 1}]"},
      {"get", "/v1/status", "", ""},
      {"get", "/v1/status", "", "read-token-0123456789"},
      {"get", "/v1/schedule?state=all"},
      {"get", "/v1/schedule?limit=0"},
      {"get", "/v1/users/u1"},
      {"get", "/v1/users/nobody"},
      {"put", "/v1/users/u1", R"({"openid": "oX", "tz": "Asia/Shanghai"})"},
      {"put", "/v1/users/u1", R"({"colour": "red"})"},
      {"post", "/v1/users/u1/consents", R"({"template_id": "T1", "count": 2})"},
      {"post", "/v1/users/u1/consents", R"({"count": 2})"},
      {"post", "/v1/events/wechat", R"({"MsgID": "777", "Status": "success"})"},
      {"post", "/v1/events/wechat", R"({"MsgID": "777"})"},
      {"post", "/v1/events/coupon", R"({"code": "NO-SUCH-CODE", "order_id": "o9"})"},
      {"post", "/v1/events/coupon", "[]"},
      {"get", "/v1/reminders?state=all&user=u1"},
      {"get", "/v1/reminders?due_after=yesterday"},
      {"get", "/v1/reminders/RID"},
      {"get", "/v1/reminders/999999"},
      {"post", "/v1/reminders/RID/snooze", R"({"seconds": 3600})"},
      {"post", "/v1/reminders/RID/snooze", R"({"seconds": 0})"},
      {"post", "/v1/reminders/RID/resend", ""},
      {"post", "/v1/reminders/SENT/resend", ""},
      {"post", "/v1/reminders/999999/resend", ""},
      {"post", "/v1/reminders/RID/snooze", R"({"until": 1})"},
      {"post", "/v1/reminders/RID/cancel", ""},
      {"post", "/v1/reminders/RID/cancel", ""},
      {"post", "/v1/reminders/RID/snooze", R"({"seconds": 60})"},
      {"post", "/v1/reminders/999999/cancel", ""},
      {"post", "/v1/reminders/999999/snooze", R"({"seconds": 60})"},
      {"post", "/v1/admin/priors/refresh", ""},
      {"post", "/v1/admin/priors/refresh", "", "read-token-0123456789"},
      {"post", "/v1/admin/clock", R"({"advance_seconds": 60})"},
      {"post", "/v1/admin/clock", R"({"advance_seconds": -1})"},
      {"get", "/v1/stats"},
      {"get", "/v1/stats?since=2024-02-01&until=2024-03-01"},
      {"get", "/v1/stats?since=soon"},
      {"post", "/v1/users/u1/opt-out", R"({"channel": "log"})"},
      {"post", "/v1/users/u1/opt-out", R"({"channel": 7})"},
      {"post", "/v1/users/u1/opt-out", ""},
      {"get", "/v1/dlq"},
      {"get", "/v1/token"},
      {"get", "/v1/token", "", "read-token-0123456789"},
      {"get", "/v1/model"},
      {"get", "/v1/reminders?segment=loyal&channel=log"},
      {"get", "/console/"},
      {"get", "/console/app.js"},
      {"get", "/console"},
      {"get", "/console/vendor/chart.min.js"},
      {"post", "/v1/dlq/999999/retry", ""},
      {"post", "/v1/dlq/999999/drop", ""},
      {"post", "/v1/admin/channels/log/test", R"({"user_id": "u1"})"},
      {"get", "/metrics"},
      {"get", "/metrics", "", ""},
      {"delete", "/v1/users/u1", ""},
      {"delete", "/v1/users/u1", "", "read-token-0123456789"},
  };
  std::set<std::pair<std::string, std::string>> covered;
  std::string rid;
  for (auto c : calls) {
    if (c.path.find("RID") != std::string::npos) {
      REQUIRE_MESSAGE(!rid.empty(), "no planned reminder yet");
      c.path.replace(c.path.find("RID"), 3, rid);
    }
    if (c.path.find("SENT") != std::string::npos) {
      c.path.replace(c.path.find("SENT"), 4, std::to_string(sent_id));
    }
    CAPTURE(c.method);
    CAPTURE(c.path);
    httplib::Client client("127.0.0.1", f.port);
    if (!c.token.empty()) client.set_bearer_token_auth(c.token);
    httplib::Request req;
    req.method = c.method == "get"    ? "GET"
                 : c.method == "post" ? "POST"
                 : c.method == "put"  ? "PUT"
                                      : "DELETE";
    req.path = c.path;
    req.body = c.body;
    if (!c.body.empty()) req.set_header("Content-Type", "application/json");
    if (!c.token.empty()) req.set_header("Authorization", "Bearer " + c.token);
    auto res = client.send(req);
    REQUIRE(res);
    CAPTURE(res->status);
    CAPTURE(res->body);
    const auto q = c.path.find('?');
    std::string templ;
    const auto op = operation(spec, c.method, c.path.substr(0, q), &templ);
    REQUIRE_MESSAGE(op, "no description for this call");
    covered.emplace(c.method, normalise(templ));
    const auto described = resolve(spec, op["responses"][std::to_string(res->status)]);
    REQUIRE_MESSAGE(described, "status " << res->status << " is not documented");
    if (res->body.empty() && !described["content"]) continue;  // e.g. a redirect
    std::string type = res->get_header_value("Content-Type");
    type = type.substr(0, type.find(';'));
    const auto media = described["content"][type];
    REQUIRE_MESSAGE(media, "content type " << type << " is not documented for this status");
    if (type.find("json") == std::string::npos) continue;
    const auto body = json::parse(res->body);
    std::vector<std::string> errors;
    check_schema(spec, media["schema"], body, "body", errors);
    for (const auto& e : errors) FAIL_CHECK(e);
    if (templ == "/v1/orders" && res->status == 200 && rid.empty()) {
      store::ReminderFilter planned;
      planned.state = core::ReminderState::kPlanned;
      planned.user_id = "u1";
      planned.limit = 10;
      const auto list = f.store.list_reminders(planned);
      REQUIRE(list.size() == 1);
      rid = std::to_string(list[0].id);
    }
  }
  // The walk reaches every described operation.
  for (const auto& d : described_routes(spec)) {
    CHECK_MESSAGE(covered.count(d), d.first << " " << d.second << " is not exercised here");
  }
}

TEST_CASE("metrics: server.metrics_public opens /metrics without a token, nothing else") {
  Fixture f;  // metrics_public is off by default
  httplib::Client closed("127.0.0.1", f.port);
  auto res = closed.Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 401);

  std::string open_yaml = kConfig;
  open_yaml.replace(open_yaml.find("server:\n"), 8, "server:\n  metrics_public: true\n");
  Fixture g(open_yaml);
  httplib::Client anyone("127.0.0.1", g.port);
  res = anyone.Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body.find("# TYPE replenish_queue_depth gauge\nreplenish_queue_depth 0\n") !=
        std::string::npos);
  CHECK(res->body.find("# TYPE replenish_send_duration_seconds histogram\n") != std::string::npos);
  res = anyone.Get("/v1/status");
  REQUIRE(res);
  CHECK(res->status == 401);
}
