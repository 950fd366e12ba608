#include "cohort/wire/frame.h"

#include "cohort/core/bytes.h"

namespace cohort::wire {

void encode_frame(ByteView payload, std::vector<std::uint8_t>& out) {
  auto n = static_cast<std::uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  out.insert(out.end(), payload.begin(), payload.end());
}

std::vector<std::uint8_t> encode_frame(ByteView payload) {
  std::vector<std::uint8_t> out;
  out.reserve(kFrameHeaderBytes + payload.size());
  encode_frame(payload, out);
  return out;
}

Status FrameDecoder::feed(ByteView bytes) {
  if (error_) return *error_;
  partial_.insert(partial_.end(), bytes.begin(), bytes.end());
  return extract();
}

Status FrameDecoder::extract() {
  std::size_t pos = 0;
  while (partial_.size() - pos >= kFrameHeaderBytes) {
    ByteReader header(ByteView(partial_).subspan(pos, kFrameHeaderBytes));
    std::size_t length = header.u32();
    if (length > max_frame_) {
      error_.emplace(Errc::too_large, "frame of " + std::to_string(length) +
                                          " bytes exceeds the limit of " + std::to_string(max_frame_));
      partial_.clear();
      return *error_;
    }
    if (partial_.size() - pos - kFrameHeaderBytes < length) break;
    auto begin = partial_.begin() + static_cast<std::ptrdiff_t>(pos + kFrameHeaderBytes);
    ready_.emplace_back(std::vector<std::uint8_t>(begin, begin + static_cast<std::ptrdiff_t>(length)));
    pos += kFrameHeaderBytes + length;
  }
  partial_.erase(partial_.begin(), partial_.begin() + static_cast<std::ptrdiff_t>(pos));
  return ok_status();
}

std::optional<Buffer> FrameDecoder::next() {
  if (ready_.empty()) return std::nullopt;
  Buffer out = std::move(ready_.front());
  ready_.pop_front();
  return out;
}

}  // namespace cohort::wire
