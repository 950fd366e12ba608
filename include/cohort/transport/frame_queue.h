// The bounded outbound queue of a framed stream (plain or TLS): frames are
// admitted while they fit under the limit (or the queue is empty), refused
// with would_block otherwise, and consumed as the transport takes bytes. It
// remembers a refusal so the stream can say when to try again.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"

namespace cohort {

class FrameQueue {
 public:
  FrameQueue(std::size_t max_frame, std::size_t max_queued_bytes)
      : max_frame_(max_frame), max_queued_bytes_(max_queued_bytes) {}

  // Queues `payload` as one frame; `peer` names the destination in errors.
  Status push(ByteView payload, const std::string& peer);
  bool empty() const { return queue_.empty(); }
  std::size_t queued_bytes() const { return queued_bytes_; }
  // The bytes of the front frame not yet written.
  ByteView unwritten() const;
  void consume(std::size_t written);
  void clear();
  // True once after a refused push, when the queue has drained.
  bool take_drained_after_refusal();

 private:
  std::size_t max_frame_;
  std::size_t max_queued_bytes_;
  std::deque<std::vector<std::uint8_t>> queue_;
  std::size_t front_written_ = 0;
  std::size_t queued_bytes_ = 0;
  bool refused_ = false;
};

}  // namespace cohort
