#include "cohort/core/bytes.h"

#include <cassert>
#include <string>

namespace cohort {

void ByteWriter::put_le(std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void ByteWriter::blob(ByteView v) {
  u32(static_cast<std::uint32_t>(v.size()));
  bytes(v);
}

void ByteWriter::string(std::string_view s) {
  blob(ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

void ByteWriter::patch_u32(std::size_t offset, std::uint32_t v) {
  assert(offset + 4 <= out_.size());
  for (std::size_t i = 0; i < 4; ++i) out_[offset + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

void ByteReader::fail(Errc code, std::string message) {
  if (!error_) error_.emplace(code, std::move(message));
}

bool ByteReader::take(std::size_t n, const char* what) {
  if (failed()) return false;
  if (n > in_.size() - pos_) {
    fail(Errc::truncated, std::string("needed ") + std::to_string(n) + " bytes for " + what +
                              " at offset " + std::to_string(pos_) + ", " +
                              std::to_string(in_.size() - pos_) + " left");
    return false;
  }
  return true;
}

std::uint64_t ByteReader::get_le(int n) {
  if (!take(static_cast<std::size_t>(n), "an integer")) return 0;
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(in_[pos_ + static_cast<std::size_t>(i)]) << (8 * i);
  pos_ += static_cast<std::size_t>(n);
  return v;
}

ByteView ByteReader::bytes(std::size_t n) {
  if (!take(n, "a byte field")) return {};
  ByteView out = in_.subspan(pos_, n);
  pos_ += n;
  return out;
}

ByteView ByteReader::blob(std::size_t limit) {
  std::uint32_t n = u32();
  if (failed()) return {};
  if (n > limit) {
    fail(Errc::too_large, "field of " + std::to_string(n) + " bytes exceeds the limit of " +
                              std::to_string(limit));
    return {};
  }
  return bytes(n);
}

std::string ByteReader::string(std::size_t limit) {
  ByteView v = blob(limit);
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

Buffer ByteReader::blob_slice(std::size_t limit) {
  ByteView v = blob(limit);
  if (failed()) return {};
  if (!source_) return Buffer::copy_of(v);
  return source_->slice(static_cast<std::size_t>(v.data() - source_->data()), v.size());
}

Status ByteReader::finish(bool exact) const {
  if (error_) return *error_;
  if (exact && pos_ != in_.size()) {
    return Error(Errc::malformed, std::to_string(in_.size() - pos_) + " unexpected trailing bytes");
  }
  return ok_status();
}

}  // namespace cohort
