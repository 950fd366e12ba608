// Virtual headers (Ensemble): every layer declares the fields it needs; the
// stack packs all layers' fields once into one compact block that every
// message of the stack carries, and gives each layer the offset of its own
// slot. A layer that does not touch a message leaves its slot zero, so "kind
// 0" in a slot always means "not this layer's".
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace cohort::group {

inline constexpr std::size_t kMaxHeaderBytes = 64;

struct HeaderField {
  std::string name;
  std::uint8_t bytes;  // 1, 2, 4 or 8
};

// The packed header of one message: a fixed-size array whose used length is
// the stack's header size.
class HeaderBlock {
 public:
  void put(std::size_t offset, std::uint64_t value, std::size_t bytes) {
    for (std::size_t i = 0; i < bytes; ++i) bytes_[offset + i] = static_cast<std::uint8_t>(value >> (8 * i));
  }
  std::uint64_t get(std::size_t offset, std::size_t bytes) const {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(bytes_[offset + i]) << (8 * i);
    return v;
  }
  void clear_slot(std::size_t offset, std::size_t bytes) { std::memset(bytes_.data() + offset, 0, bytes); }
  const std::uint8_t* data() const { return bytes_.data(); }
  std::uint8_t* data() { return bytes_.data(); }

 private:
  std::array<std::uint8_t, kMaxHeaderBytes> bytes_{};
};

// A layer's view of its own slot: fields by index, in declaration order.
class HeaderSlot {
 public:
  HeaderSlot(HeaderBlock& block, const std::vector<std::size_t>& offsets, const std::vector<HeaderField>& fields)
      : block_(block), offsets_(offsets), fields_(fields) {}
  std::uint64_t get(std::size_t field) const { return block_.get(offsets_[field], fields_[field].bytes); }
  void set(std::size_t field, std::uint64_t value) { block_.put(offsets_[field], value, fields_[field].bytes); }

 private:
  HeaderBlock& block_;
  const std::vector<std::size_t>& offsets_;
  const std::vector<HeaderField>& fields_;
};

}  // namespace cohort::group
