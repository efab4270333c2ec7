#include "api/problem.hpp"

namespace replenish::api {

void problem(httplib::Response& res, int status, const std::string& title,
             const std::string& detail, const nlohmann::json& extra) {
  nlohmann::json body = {{"type", "about:blank"}, {"title", title}, {"status", status}};
  if (!detail.empty()) body["detail"] = detail;
  for (const auto& [k, v] : extra.items()) body[k] = v;
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/problem+json");
}

void json_response(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

}  // namespace replenish::api
