// Immutable byte buffers with cheap slicing: a Buffer shares its storage, so
// passing a packet or a part of it through a protocol stack never copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace cohort {

using ByteView = std::span<const std::uint8_t>;

class Buffer {
 public:
  Buffer() = default;
  // Takes ownership of the bytes without copying them.
  explicit Buffer(std::vector<std::uint8_t>&& bytes);
  static Buffer copy_of(ByteView bytes);
  static Buffer copy_of(std::string_view text);

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const std::uint8_t* data() const { return data_; }
  ByteView view() const { return {data_, size_}; }
  operator ByteView() const { return view(); }  // NOLINT(google-explicit-constructor)
  std::string_view as_string() const;

  // A buffer over bytes [offset, offset + length) of this one, sharing storage.
  // REQUIRES: offset + length <= size().
  Buffer slice(std::size_t offset, std::size_t length) const;
  Buffer slice(std::size_t offset) const { return slice(offset, size_ - offset); }

  bool operator==(const Buffer& other) const;

 private:
  std::shared_ptr<const std::vector<std::uint8_t>> storage_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace cohort
