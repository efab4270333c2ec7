// A thin RAII layer over the SQLite C API: connections, prepared statements, transactions.
// Every value goes through bind(); SQL text is never built from data.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace replenish::store {

class DbError : public std::runtime_error {
 public:
  DbError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, std::nullopt_t);
  Statement& bind(int index, const std::optional<double>& value);
  /// Binds text without copying it: it must stay valid until the next reset() or step to the end.
  Statement& bind_static(int index, std::string_view value);

  /// Steps once: true while a row is available.
  bool step();
  /// Runs to completion (for statements without rows).
  void run();
  /// Resets for re-use and clears bindings.
  void reset();

  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string text(int col) const;
  /// The text of a column without a copy, valid until the next step() or reset().
  std::string_view view(int col) const;
  std::optional<double> opt_real(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

/// A re-used statement for one call: reset (ending any read it began) when it goes out of
/// scope, so that a cached SELECT never holds a read snapshot open.
class ScopedStatement {
 public:
  explicit ScopedStatement(Statement& s) : s_(s) {}
  ~ScopedStatement() { s_.reset(); }
  ScopedStatement(const ScopedStatement&) = delete;
  ScopedStatement& operator=(const ScopedStatement&) = delete;

  template <typename T>
  ScopedStatement& bind(int index, T&& value) {
    s_.bind(index, std::forward<T>(value));
    return *this;
  }
  ScopedStatement& bind_static(int index, std::string_view value) {
    s_.bind_static(index, value);
    return *this;
  }
  bool step() { return s_.step(); }
  void run() { s_.run(); }
  void reset() { s_.reset(); }
  std::int64_t int64(int col) const { return s_.int64(col); }
  double real(int col) const { return s_.real(col); }
  bool is_null(int col) const { return s_.is_null(col); }
  std::string text(int col) const { return s_.text(col); }
  std::string_view view(int col) const { return s_.view(col); }
  std::optional<double> opt_real(int col) const { return s_.opt_real(col); }
  operator const Statement&() const { return s_; }

 private:
  Statement& s_;
};

class Connection {
 public:
  /// Opens (creating when `create`) a database file in WAL mode with a busy timeout.
  Connection(const std::string& path, bool read_only, bool create = true);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* raw() const { return db_; }
  const std::string& path() const { return path_; }
  void exec(const std::string& sql);
  Statement prepare(std::string_view sql) { return Statement(db_, sql); }
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  std::int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  int user_version();

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// BEGIN IMMEDIATE … COMMIT; rolls back when destroyed without commit().
class Transaction {
 public:
  explicit Transaction(Connection& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& db_;
  bool done_ = false;
};

}  // namespace replenish::store
