// application/problem+json (RFC 9457) responses: every API error is built here.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

namespace replenish::api {

/// Sets `res` to a problem document with the given status, title and detail; `extra` members
/// (e.g. "errors") are merged in.
void problem(httplib::Response& res, int status, const std::string& title,
             const std::string& detail, const nlohmann::json& extra = nlohmann::json::object());

/// Sets `res` to a JSON body with the given status.
void json_response(httplib::Response& res, int status, const nlohmann::json& body);

}  // namespace replenish::api
