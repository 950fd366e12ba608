#include "cohort/transport/frame_queue.h"

#include "cohort/wire/frame.h"

namespace cohort {

Status FrameQueue::push(ByteView payload, const std::string& peer) {
  if (payload.size() > max_frame_) {
    return Error(Errc::too_large, "frame of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
                                      std::to_string(max_frame_));
  }
  std::size_t frame_bytes = wire::kFrameHeaderBytes + payload.size();
  if (queued_bytes_ > 0 && queued_bytes_ + frame_bytes > max_queued_bytes_) {
    refused_ = true;
    return Error(Errc::would_block,
                 std::to_string(queued_bytes_) + " bytes already queued for " + peer + "; wait for on_writable");
  }
  queue_.push_back(wire::encode_frame(payload));
  queued_bytes_ += frame_bytes;
  return ok_status();
}

ByteView FrameQueue::unwritten() const { return ByteView(queue_.front()).subspan(front_written_); }

void FrameQueue::consume(std::size_t written) {
  front_written_ += written;
  queued_bytes_ -= written;
  if (front_written_ == queue_.front().size()) {
    queue_.pop_front();
    front_written_ = 0;
  }
}

void FrameQueue::clear() {
  queue_.clear();
  front_written_ = 0;
  queued_bytes_ = 0;
}

bool FrameQueue::take_drained_after_refusal() {
  if (!queue_.empty() || !refused_) return false;
  refused_ = false;
  return true;
}

}  // namespace cohort
