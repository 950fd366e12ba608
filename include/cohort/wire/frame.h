// Length-framed messages on a byte stream (TCP): each frame is a u32
// little-endian payload length followed by the payload.
//
//   offset 0: u32 length (LE), at most the decoder's max_frame
//   offset 4: length bytes of payload
//
// FrameDecoder is incremental and I/O-free: feed it whatever the socket gave,
// then take complete frames. An oversized length is an error, never a huge
// allocation; after an error the decoder stays failed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"

namespace cohort::wire {

inline constexpr std::size_t kFrameHeaderBytes = 4;
inline constexpr std::size_t kDefaultMaxFrame = 16u << 20;

// Appends the frame header and payload to `out`.
void encode_frame(ByteView payload, std::vector<std::uint8_t>& out);
std::vector<std::uint8_t> encode_frame(ByteView payload);

class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_frame = kDefaultMaxFrame) : max_frame_(max_frame) {}

  // Consumes bytes; returns an error once a frame header is invalid.
  Status feed(ByteView bytes);
  // The next complete frame, if any.
  std::optional<Buffer> next();
  // Bytes held that do not yet form a complete frame.
  std::size_t pending_bytes() const { return partial_.size(); }

 private:
  Status extract();

  std::size_t max_frame_;
  std::vector<std::uint8_t> partial_;
  std::deque<Buffer> ready_;
  std::optional<Error> error_;
};

}  // namespace cohort::wire
