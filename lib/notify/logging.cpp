#include "notify/logging.hpp"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <mutex>

namespace replenish::notify {

std::shared_ptr<spdlog::logger> logger() {
  static std::mutex mutex;
  const std::lock_guard<std::mutex> lock(mutex);
  if (auto existing = spdlog::get("notify")) return existing;
  auto fallback = spdlog::default_logger();
  auto created = std::make_shared<spdlog::logger>("notify", fallback->sinks().begin(),
                                                  fallback->sinks().end());
  created->set_level(fallback->level());
  try {
    spdlog::register_logger(created);
  } catch (const spdlog::spdlog_ex&) {
    // Registered by someone else between get() and here (outside this mutex): use theirs.
    if (auto existing = spdlog::get("notify")) return existing;
  }
  return created;
}

std::string hashed_id(std::string_view id) {
  if (id.empty()) return {};
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(id.data()), id.size(), digest);
  std::string out = "h:";
  for (int i = 0; i < 6; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

std::string quote_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace replenish::notify
