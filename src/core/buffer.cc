#include "cohort/core/buffer.h"

#include <algorithm>
#include <cassert>

namespace cohort {

Buffer::Buffer(std::vector<std::uint8_t>&& bytes)
    : storage_(std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes))),
      data_(storage_->data()),
      size_(storage_->size()) {}

Buffer Buffer::copy_of(ByteView bytes) {
  return Buffer(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
}

Buffer Buffer::copy_of(std::string_view text) {
  return Buffer(std::vector<std::uint8_t>(text.begin(), text.end()));
}

std::string_view Buffer::as_string() const {
  return {reinterpret_cast<const char*>(data_), size_};
}

Buffer Buffer::slice(std::size_t offset, std::size_t length) const {
  assert(offset <= size_ && length <= size_ - offset);
  Buffer out;
  out.storage_ = storage_;
  out.data_ = data_ + offset;
  out.size_ = length;
  return out;
}

bool Buffer::operator==(const Buffer& other) const {
  return std::equal(view().begin(), view().end(), other.view().begin(), other.view().end());
}

}  // namespace cohort
