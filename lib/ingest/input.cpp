#include "ingest/input.hpp"

#include <zlib.h>

#include <cstring>

namespace replenish::ingest {
namespace {

constexpr std::size_t kRawChunk = 256 * 1024;
constexpr std::size_t kBufferChunk = 256 * 1024;

}  // namespace

struct InputSource::Inflater {
  z_stream stream{};
  bool initialised = false;
  ~Inflater() {
    if (initialised) inflateEnd(&stream);
  }
};

InputSource::InputSource(std::istream& in, std::string name)
    : in_(in), name_(std::move(name)), raw_(kRawChunk) {
  // Look at the first two bytes to decide between plain and gzip data.
  while (raw_end_ < 2 && fill_raw()) {
  }
  if (raw_end_ - raw_begin_ >= 2 && static_cast<unsigned char>(raw_[raw_begin_]) == 0x1f &&
      static_cast<unsigned char>(raw_[raw_begin_ + 1]) == 0x8b) {
    gzip_ = true;
    inflater_ = std::make_unique<Inflater>();
    // 16 + MAX_WBITS: gzip wrapper only.
    if (inflateInit2(&inflater_->stream, 16 + MAX_WBITS) != Z_OK) {
      throw ReadError("'" + name_ + "': cannot initialise zlib");
    }
    inflater_->initialised = true;
  }
}

InputSource::~InputSource() = default;

bool InputSource::fill_raw() {
  if (raw_eof_) return false;
  if (raw_begin_ == raw_end_) raw_begin_ = raw_end_ = 0;
  if (raw_end_ == raw_.size()) {
    std::memmove(raw_.data(), raw_.data() + raw_begin_, raw_end_ - raw_begin_);
    raw_end_ -= raw_begin_;
    raw_begin_ = 0;
  }
  in_.read(raw_.data() + raw_end_, static_cast<std::streamsize>(raw_.size() - raw_end_));
  const auto got = static_cast<std::size_t>(in_.gcount());
  if (in_.bad()) throw ReadError("'" + name_ + "': read error");
  raw_end_ += got;
  if (got == 0) raw_eof_ = true;
  return got > 0;
}

std::size_t InputSource::read(char* out, std::size_t size) {
  if (size == 0) return 0;
  return gzip_ ? read_gzip(out, size) : read_raw(out, size);
}

std::size_t InputSource::read_raw(char* out, std::size_t size) {
  if (raw_begin_ == raw_end_) {
    // Large reads go straight to the caller's memory.
    if (raw_eof_) return 0;
    if (size >= raw_.size()) {
      in_.read(out, static_cast<std::streamsize>(size));
      const auto got = static_cast<std::size_t>(in_.gcount());
      if (in_.bad()) throw ReadError("'" + name_ + "': read error");
      if (got == 0) raw_eof_ = true;
      return got;
    }
    if (!fill_raw()) return 0;
  }
  const std::size_t n = std::min(size, raw_end_ - raw_begin_);
  std::memcpy(out, raw_.data() + raw_begin_, n);
  raw_begin_ += n;
  return n;
}

std::size_t InputSource::read_gzip(char* out, std::size_t size) {
  z_stream& zs = inflater_->stream;
  std::size_t produced = 0;
  while (produced == 0) {
    if (gzip_done_) {
      // After a member: another member, the end, or garbage.
      if (raw_begin_ == raw_end_ && !fill_raw()) return 0;
      if (raw_end_ - raw_begin_ < 2) fill_raw();
      if (raw_end_ - raw_begin_ < 2 || static_cast<unsigned char>(raw_[raw_begin_]) != 0x1f ||
          static_cast<unsigned char>(raw_[raw_begin_ + 1]) != 0x8b) {
        throw ReadError("'" + name_ + "': unexpected data after the end of the gzip stream");
      }
      inflateReset(&zs);
      gzip_done_ = false;
    }
    // zlib may still hold output when all input is used, so the end of the input alone is not
    // yet a truncation.
    const bool at_end = raw_begin_ == raw_end_ && !fill_raw();
    zs.next_in = reinterpret_cast<Bytef*>(raw_.data() + raw_begin_);
    zs.avail_in = static_cast<uInt>(raw_end_ - raw_begin_);
    zs.next_out = reinterpret_cast<Bytef*>(out + produced);
    zs.avail_out = static_cast<uInt>(size - produced);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    raw_begin_ = raw_end_ - zs.avail_in;
    produced = size - zs.avail_out;
    if (rc == Z_STREAM_END) {
      gzip_done_ = true;
    } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
      throw ReadError("'" + name_ + "': corrupt gzip data (" +
                      (zs.msg != nullptr ? std::string(zs.msg) : std::string("data error")) + ")");
    } else if (rc == Z_MEM_ERROR) {
      throw ReadError("'" + name_ + "': out of memory while decompressing");
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw ReadError("'" + name_ + "': gzip error " + std::to_string(rc));
    } else if (produced == 0 && at_end) {
      throw ReadError("'" + name_ + "': truncated gzip data");
    }
  }
  return produced;
}

InputBuffer::InputBuffer(InputSource& source) : source_(source), data_(kBufferChunk) {}

bool InputBuffer::fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(data_.data(), data_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (data_.size() - end_ < kBufferChunk / 2) data_.resize(data_.size() * 2);
  const std::size_t got = source_.read(data_.data() + end_, data_.size() - end_);
  end_ += got;
  if (got == 0) eof_ = true;
  return got > 0;
}

void InputBuffer::fill_to(std::size_t n) {
  while (size() < n && fill()) {
  }
}

bool InputBuffer::skip_line() {
  for (;;) {
    const std::string_view v = view();
    const auto pos = v.find('\n');
    if (pos != std::string_view::npos) {
      consume(pos + 1);
      return true;
    }
    consume(v.size());
    if (!fill()) return false;
  }
}

}  // namespace replenish::ingest
