// Reading order files: bytes from a stream, gunzipped when they are gzip data, in a buffer that
// the record parsers work on without copying.
#pragma once

#include <cstddef>
#include <istream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace replenish::ingest {

/// A failure that stops reading a whole input: I/O error, corrupt gzip data, unusable header.
class ReadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The bytes of a stream, gunzipped when it starts with the gzip magic bytes 1f 8b (whatever its
/// name says). Concatenated gzip members are read one after another, as gzip -d does.
class InputSource {
 public:
  /// `name` is used in error messages only.
  InputSource(std::istream& in, std::string name);
  ~InputSource();
  InputSource(const InputSource&) = delete;
  InputSource& operator=(const InputSource&) = delete;

  /// Reads up to `size` bytes into `out`; returns how many, 0 only at the end. Throws ReadError
  /// on a read error, corrupt or truncated gzip data, or data after the last gzip member.
  std::size_t read(char* out, std::size_t size);
  bool gzip() const { return gzip_; }
  const std::string& name() const { return name_; }

 private:
  struct Inflater;
  bool fill_raw();
  std::size_t read_raw(char* out, std::size_t size);
  std::size_t read_gzip(char* out, std::size_t size);

  std::istream& in_;
  std::string name_;
  std::vector<char> raw_;
  std::size_t raw_begin_ = 0;
  std::size_t raw_end_ = 0;
  bool raw_eof_ = false;
  bool gzip_ = false;
  bool gzip_done_ = false;
  std::unique_ptr<Inflater> inflater_;
};

/// A window over the input: the unconsumed bytes stay contiguous in memory so that a record can
/// be parsed in place; fill() appends more (compacting first, and growing when full).
class InputBuffer {
 public:
  explicit InputBuffer(InputSource& source);

  std::string_view view() const { return {data_.data() + begin_, end_ - begin_}; }
  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  /// True once the source is exhausted: view() is all that is left.
  bool eof() const { return eof_; }
  void consume(std::size_t n) { begin_ += n; }
  /// Appends more bytes; returns false (and sets eof) when the source has none left.
  bool fill();
  /// Fills until at least `n` bytes are buffered or the source ends.
  void fill_to(std::size_t n);
  /// Drops everything up to and including the next line feed. Returns false when the input ended
  /// first.
  bool skip_line();

 private:
  InputSource& source_;
  std::vector<char> data_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
};

}  // namespace replenish::ingest
