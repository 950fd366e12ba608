// Bounds-checked little-endian encoding. ByteWriter appends to a growable
// vector; ByteReader reads from a view and never reads past its end: the first
// failure is remembered, later reads return zero, and finish() reports it as
// an Error value. Every wire decoder in cohort is written with ByteReader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"

namespace cohort {

class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(std::size_t reserve) { out_.reserve(reserve); }

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put_le(v, 2); }
  void u32(std::uint32_t v) { put_le(v, 4); }
  void u64(std::uint64_t v) { put_le(v, 8); }
  void bytes(ByteView v) { out_.insert(out_.end(), v.begin(), v.end()); }
  // A u32 length followed by the bytes.
  void blob(ByteView v);
  void string(std::string_view s);

  std::size_t size() const { return out_.size(); }
  // Overwrites 4 bytes at `offset` (for lengths known only at the end).
  // REQUIRES: offset + 4 <= size().
  void patch_u32(std::size_t offset, std::uint32_t v);

  const std::vector<std::uint8_t>& bytes() const { return out_; }
  std::vector<std::uint8_t> take() { return std::move(out_); }
  Buffer finish() { return Buffer(std::move(out_)); }

 private:
  void put_le(std::uint64_t v, int n);
  std::vector<std::uint8_t> out_;
};

class ByteReader {
 public:
  explicit ByteReader(ByteView in) : in_(in) {}
  // Reading from a Buffer lets blob_slice() share its storage.
  explicit ByteReader(const Buffer& in) : in_(in.view()), source_(in) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(get_le(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get_le(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get_le(4)); }
  std::uint64_t u64() { return get_le(8); }
  ByteView bytes(std::size_t n);
  // A u32 length then that many bytes; fails with too_large past `limit`.
  ByteView blob(std::size_t limit);
  std::string string(std::size_t limit);
  // Like blob() but returns a slice sharing the source Buffer (copies if the
  // reader was built from a plain view).
  Buffer blob_slice(std::size_t limit);

  std::size_t remaining() const { return failed() ? 0 : in_.size() - pos_; }
  std::size_t position() const { return pos_; }
  bool failed() const { return error_.has_value(); }
  // Records a decoder-level failure (a bad tag, say); the first failure wins.
  void fail(Errc code, std::string message);
  // OK if every read succeeded and, when `exact`, all input was consumed.
  Status finish(bool exact = true) const;

 private:
  std::uint64_t get_le(int n);
  bool take(std::size_t n, const char* what);

  ByteView in_;
  std::optional<Buffer> source_;
  std::size_t pos_ = 0;
  std::optional<Error> error_;
};

}  // namespace cohort
