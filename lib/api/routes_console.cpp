// The operator console's static files under /console/ (when console.enabled) and the two
// routes only it needs: GET /v1/token (who am I) and GET /v1/model. The pages themselves read
// the /v1 API with the operator's token; nothing here hands out data without one.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string_view>

#include "api/problem.hpp"
#include "api/server.hpp"
#include "plan/model_view.hpp"

namespace replenish::api {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

/// The media type of a console file, or nullptr for a type the console does not serve.
const char* media_type(const std::string& name) {
  const std::string ext = fs::path(name).extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  return nullptr;
}

/// Answers with the file at `path` (at most 8 MiB), or a 404 problem naming `name`.
void send_file(httplib::Response& res, const fs::path& path, const std::string& name) {
  constexpr std::uintmax_t kMaxBytes = 8u << 20;
  const char* type = media_type(path.filename().string());
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (!type || ec || size > kMaxBytes || !fs::is_regular_file(path) || !in) {
    problem(res, 404, "Not Found", "no console file '" + name + "'");
    return;
  }
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The pages load only their own scripts, styles and the API: no inline script, no framing.
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                 "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-cache");
  res.set_content(std::move(body), type);
}

}  // namespace

void Server::console_routes() {
  using R = const httplib::Request&;
  using W = httplib::Response&;
  // Each request reads console.* from the live configuration, so a reload can turn it on or off.
  auto serve = [this](W res, const std::string& name) {
    const auto cfg = config();
    if (!cfg->console.enabled) {
      problem(res, 404, "Not Found", "the console is off (console.enabled in the configuration)");
      return;
    }
    if (name == "vendor/chart.min.js") {
      send_file(res, cfg->console.chartjs, name);
    } else {
      send_file(res, fs::path(cfg->console.root) / name, name);
    }
  };
  http_.Get("/console", [](R, W res) {
    res.status = 301;
    res.set_header("Location", "/console/");
  });
  http_.Get("/console/", [serve](R, W res) { serve(res, "index.html"); });
  http_.Get("/console/vendor/chart.min.js",
            [serve](R, W res) { serve(res, "vendor/chart.min.js"); });
  // One flat folder: a name never starts with a dot and never holds a slash.
  http_.Get(R"(/console/([A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}))",
            [serve](R req, W res) { serve(res, req.matches[1]); });

  http_.Get("/v1/token", guarded(Scope::kNone, [this](R req, W res) {
              const auto cfg = config();
              const auto* token = match_token(*cfg, req.get_header_value("Authorization"));
              json scopes = json::array();
              if (token) {
                for (const auto& s : token->scopes) scopes.push_back(s);
              }
              json_response(res, 200, {{"name", token ? token->name : ""}, {"scopes", scopes}});
            }));
  http_.Get("/v1/model", guarded(Scope::kRead, [this](R, W res) {
              json_response(res, 200, plan::model_view(*services_.store, *config()));
            }));
}

}  // namespace replenish::api
