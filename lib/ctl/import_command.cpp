#include "ctl/import_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "ingest/order_reader.hpp"
#include "plan/bulk_import.hpp"
#include "plan/engine.hpp"
#include "store/sqlite_store.hpp"

namespace replenish::ctl {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

/// A small blocking queue between the reader thread and the writer.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}

  /// False when the queue was closed (the consumer gave up).
  bool push(T&& item) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }
  T pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !items_.empty(); });
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_full_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  std::size_t capacity_;
  bool closed_ = false;
};

/// The progress line on stderr: redrawn in place on a terminal, a plain line every few seconds
/// otherwise; other messages go above it.
class ProgressLine {
 public:
  ProgressLine(bool on, bool terminal) : on_(on), terminal_(terminal) {}
  ~ProgressLine() { clear(); }

  void update(const std::string& text, bool force = false) {
    if (!on_) return;
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    const auto every = terminal_ ? std::chrono::milliseconds(200) : std::chrono::seconds(5);
    if (!force && now - last_ < every) return;
    last_ = now;
    if (terminal_) {
      std::cerr << "\r" << text << "\033[K" << std::flush;
      shown_ = true;
    } else {
      std::cerr << text << "\n";
    }
  }
  /// Prints a message (with its newline) on stderr, above the progress line.
  void message(const std::string& text) {
    std::lock_guard lock(mu_);
    clear_locked();
    std::cerr << text;
  }
  void clear() {
    std::lock_guard lock(mu_);
    clear_locked();
  }

 private:
  void clear_locked() {
    if (!shown_) return;
    std::cerr << "\r\033[K" << std::flush;
    shown_ = false;
  }

  std::mutex mu_;
  bool on_;
  bool terminal_;
  bool shown_ = false;
  Clock::time_point last_{};
};

/// What the reader thread hands over: prepared lines (with their file line numbers), or the end
/// of a file, or its failure.
struct Chunk {
  std::vector<store::LineRecord> records;
  std::vector<std::int64_t> line_nos;
  bool file_done = false;
  ingest::ReadStats stats;
  json errors;
  std::string read_error;  ///< reading stopped early (the rows before it were handed over)
  std::exception_ptr error;
};

struct Cancelled {};

}  // namespace

int run_import(const ImportOptions& o, std::shared_ptr<const config::Config> cfg,
               const core::Clock& clock) {
  const auto started = Clock::now();
  store::SqliteStore store(cfg->store.path);
  store.set_cache_kib(o.cache_mib * 1024);
  plan::Engine engine(cfg, store, clock);
  plan::BulkImport bulk(engine, store);
  const bool terminal = isatty(STDERR_FILENO) == 1;
  const bool show = o.progress == ImportOptions::Progress::kOn ||
                    (o.progress == ImportOptions::Progress::kAuto && terminal && !o.json);
  ProgressLine progress(show, terminal);
  const auto fmt_opt = o.format == "csv"     ? ingest::Format::kCsv
                       : o.format == "jsonl" ? ingest::Format::kJsonl
                                             : ingest::Format::kAuto;
  // Rejected rows (found by the reader) and conflicts (found when storing) printed per file.
  std::vector<int> printed(o.files.size(), 0);
  std::mutex printed_mu;
  const auto print_row = [&](std::size_t file, std::int64_t line_no, const std::string& reason) {
    std::lock_guard lock(printed_mu);
    if (o.json || printed[file] >= o.max_errors) return;
    ++printed[file];
    progress.message(fmt::format("{}:{}: {}\n", o.files[file], line_no, reason));
  };

  // The reader parses, validates and maps lines while this thread stores the previous batch.
  BoundedQueue<Chunk> queue(2);
  std::thread reader([&] {
    try {
      for (std::size_t f = 0; f < o.files.size(); ++f) {
        const std::string& file = o.files[f];
        Chunk done;
        done.file_done = true;
        done.errors = json::array();
        std::vector<core::OrderLine> batch;
        std::vector<std::int64_t> line_nos;
        std::int64_t delivered = 0, rejected = 0;
        const auto hand_over = [&] {
          Chunk c;
          c.records = engine.prepare(std::move(batch));
          c.line_nos = std::move(line_nos);
          batch.clear();
          line_nos.clear();
          batch.reserve(o.batch_lines);
          if (!queue.push(std::move(c))) throw Cancelled{};
        };
        batch.reserve(o.batch_lines);
        try {
          done.stats = ingest::read_order_file(
              file, fmt_opt,
              [&](core::OrderLine&& line, std::int64_t line_no) {
                batch.push_back(std::move(line));
                line_nos.push_back(line_no);
                ++delivered;
                if (batch.size() >= o.batch_lines) hand_over();
              },
              [&](const ingest::RowError& e) {
                ++rejected;
                done.errors.push_back({{"line", e.line_no}, {"reason", e.reason}});
                print_row(f, e.line_no, e.reason);
              });
        } catch (const ingest::ReadError& e) {
          // The rows read before the failure are valid: they are stored, then the import fails.
          done.read_error = e.what();
          done.stats.rows = delivered + rejected;
          done.stats.rejected = rejected;
        }
        if (!batch.empty()) hand_over();
        if (!queue.push(std::move(done))) return;
      }
    } catch (const Cancelled&) {
    } catch (...) {
      Chunk failed;
      failed.error = std::current_exception();
      queue.push(std::move(failed));
    }
  });
  struct Joiner {
    BoundedQueue<Chunk>& queue;
    std::thread& reader;
    ~Joiner() {
      queue.close();
      if (reader.joinable()) reader.join();
    }
  } joiner{queue, reader};

  plan::IngestSummary total;
  json files = json::array();
  std::int64_t rejected_total = 0, lines_total = 0;
  int failed_files = 0;
  // Chunks are stored in transactions of about tx_lines lines: every commit rewrites the index
  // pages its random inserts touched, so fewer, larger transactions write much less.
  bool pending = false;  // a popped chunk waits for the next transaction
  Chunk c;
  for (std::size_t f = 0; f < o.files.size(); ++f) {
    const std::string& file = o.files[f];
    plan::IngestSummary file_sum;
    json conflicts = json::array();
    std::int64_t lines = 0;
    for (;;) {
      if (!pending) c = queue.pop();
      pending = false;
      if (c.error) std::rethrow_exception(c.error);
      if (!c.file_done) {
        store.with_transaction([&] {
          std::size_t in_tx = 0;
          for (;;) {
            const auto part = bulk.add(c.records);
            file_sum.stored += part.stored;
            file_sum.duplicates += part.duplicates;
            file_sum.conflicts += part.conflicts;
            file_sum.periodic += part.periodic;
            for (const auto& [index, reason] : part.conflict_rows) {
              conflicts.push_back({{"line", c.line_nos[index]}, {"reason", reason}});
              print_row(f, c.line_nos[index], reason);
            }
            in_tx += c.records.size();
            lines += static_cast<std::int64_t>(c.records.size());
            if (in_tx >= o.tx_lines) return;
            c = queue.pop();
            if (c.file_done || c.error) {
              // Commit what was read; the end of the file or its error is handled outside.
              pending = true;
              return;
            }
          }
        });
        progress.update(fmt::format(
            "{}: {} lines stored, {:.0f} lines/s", file, lines,
            static_cast<double>(lines_total + lines) / std::max(seconds_since(started), 1e-3)));
        continue;
      }
      const auto& stats = c.stats;
      rejected_total += stats.rejected;
      if (!c.read_error.empty()) {
        ++failed_files;
        if (!o.json) progress.message(fmt::format("{}: {}\n", file, c.read_error));
      }
      const std::int64_t reported = stats.rejected + file_sum.conflicts;
      const int shown = [&] {
        std::lock_guard lock(printed_mu);
        return printed[f];
      }();
      if (!o.json && reported > shown) {
        progress.message(fmt::format("{}: … and {} more rejected or conflicting row(s)\n", file,
                                     reported - shown));
      }
      if (!o.json && !stats.unknown_columns.empty()) {
        std::string cols;
        for (const auto& col : stats.unknown_columns) cols += (cols.empty() ? "" : ", ") + col;
        progress.message(fmt::format("{}: ignored unknown column(s): {}\n", file, cols));
      }
      files.push_back({{"file", file},
                       {"rows", stats.rows},
                       {"stored", file_sum.stored},
                       {"duplicates", file_sum.duplicates},
                       {"conflicts", file_sum.conflicts},
                       {"rejected", stats.rejected},
                       {"periodic", file_sum.periodic},
                       {"unknown_columns", stats.unknown_columns},
                       {"errors", std::move(c.errors)},
                       {"conflict_rows", std::move(conflicts)}});
      if (!c.read_error.empty()) files.back()["error"] = c.read_error;
      if (!o.json) {
        progress.clear();
        std::cout << fmt::format(
            "{}: {} rows: {} stored, {} duplicate, {} conflicting, {} rejected ({} in periodic "
            "categories)\n",
            file, stats.rows, file_sum.stored, file_sum.duplicates, file_sum.conflicts,
            stats.rejected, file_sum.periodic);
      }
      total.stored += file_sum.stored;
      lines_total += lines;
      break;
    }
  }
  const double storing_s = seconds_since(started);

  // Learn the categories' priors from everything stored, then plan each touched pair with them.
  auto phase_start = Clock::now();
  double priors_s = 0;
  bulk.finish(total, [&](const char* phase, std::int64_t done, std::int64_t of) {
    if (std::string_view(phase) == "priors") {
      progress.update("learning the categories' priors", true);
      return;
    }
    if (done == 0) {
      priors_s = seconds_since(phase_start);
      phase_start = Clock::now();
    }
    progress.update(fmt::format("planning: {} of {} (user, category) pairs", done, of), done == of);
  });
  const double planning_s = seconds_since(phase_start);
  progress.clear();

  if (o.json) {
    std::cout << json{{"files", files},
                      {"pairs_updated", total.pairs_updated},
                      {"planned", total.planned},
                      {"cancelled", total.cancelled},
                      {"converted", total.converted}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << fmt::format(
        "updated {} (user, category) pair(s): {} reminder(s) planned, {} cancelled, {} "
        "converted\n",
        total.pairs_updated, total.planned, total.cancelled, total.converted);
  }
  if (show) {
    std::cerr << fmt::format(
        "import: {} lines in {:.2f} s (storing {:.2f} s, priors {:.2f} s, planning {:.2f} s)\n",
        lines_total, seconds_since(started), storing_s, priors_s, planning_s);
  }
  if (failed_files > 0) return 1;
  return o.strict && rejected_total > 0 ? 1 : 0;
}

}  // namespace replenish::ctl
