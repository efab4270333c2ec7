// Numbered schema migrations (schemas/NNNN_name.sql, embedded at build time).
#pragma once

#include <string>
#include <vector>

namespace replenish::store {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

/// The migrations compiled into this binary, ascending by version.
const std::vector<Migration>& embedded_migrations();

/// Highest schema version this binary knows.
int latest_schema_version();

}  // namespace replenish::store
