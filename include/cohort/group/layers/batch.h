// batch: packs small messages going down into one datagram-sized message and
// unpacks them coming up. It sits just above the bottom, below reliability,
// so every item it packs carries the stack's whole header block; one lost
// packed datagram is then many lost items for the layers above to repair.
// Casts batch with casts, sends to one rank with sends to that rank; direct
// messages and items too big to share a batch pass alone (after what is
// queued for the same destination, so order is kept).
//
// A batch goes down when the next item would not fit in max_batch_bytes, or
// max_delay after its first item. A zero max_delay still batches what one
// event produces (the timer fires right after it, at the same time).
// A batch of one item goes down as that item, unpacked.
//
// Header slot: items:2 (0 = not a batch). A batch's payload is its items,
// each a u32 payload length, the item's header block, then its payload.
#pragma once

#include <map>
#include <vector>

#include "cohort/group/layer.h"

namespace cohort::group {

struct BatchOptions {
  std::size_t max_batch_bytes = 1300;  // payload of a packed message
  Duration max_delay = std::chrono::milliseconds(1);
};

struct BatchStats {
  std::uint64_t batches = 0;  // packed messages sent
  std::uint64_t items = 0;    // items in them
  std::uint64_t malformed = 0;
};

class Batch final : public Layer {
 public:
  explicit Batch(BatchOptions options = {}) : options_(options) {}
  std::string_view name() const override { return "batch"; }
  std::vector<HeaderField> header_fields() const override { return {{"items", 2}}; }
  void down(Msg msg, LayerContext& ctx) override;
  void up(Msg msg, LayerContext& ctx) override;
  void down_event(const Event& event, LayerContext& ctx) override;
  void timer(std::uint32_t key, LayerContext& ctx) override;

  const BatchStats& stats() const { return stats_; }

 private:
  struct Queue {
    std::vector<Msg> items;
    std::size_t bytes = 0;  // packed size so far
  };
  static constexpr std::uint32_t kFlush = 1;
  // The destination of a queue: kNoRank for casts, else the rank of sends.
  using Dest = Rank;

  static std::size_t item_bytes(const Msg& msg, const LayerContext& ctx);
  void flush(Dest dest, LayerContext& ctx);
  void flush_all(LayerContext& ctx);
  static Msg pack(Dest dest, const std::vector<Msg>& items, LayerContext& ctx);

  BatchOptions options_;
  std::map<Dest, Queue> queues_;
  BatchStats stats_;
};

}  // namespace cohort::group
