// frag: fragmentation and reassembly. A cast or send whose payload exceeds
// max_fragment bytes goes down as numbered fragments (slices of the payload,
// no copy) that carry copies of the header block; the receiver joins them
// back into one message. Relies on a reliable FIFO layer below (mnak for
// casts, pt2pt for sends): fragments of one message from one origin arrive
// in order and without loss, so only one message per (kind, origin) is ever
// being reassembled. Direct messages pass whole.
//
// Limit: messages up to kMaxMessageBytes (64 MiB). A larger one is refused:
// counted in stats().too_large and not sent (GroupMachine::cast and send
// refuse it earlier with Errc::too_large). Fragments that break the FIFO
// contract are counted in stats().out_of_order and their message dropped.
//
// Header slot: index:4 (0-based), count:4 (0 = not fragmented).
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "cohort/group/layer.h"

namespace cohort::group {

struct FragOptions {
  // A datagram of about 1400 bytes: less the largest header block and the
  // bottom's envelope.
  std::size_t max_fragment = 1400 - kMaxHeaderBytes - 24;
};

struct FragStats {
  std::uint64_t fragmented = 0;    // messages sent as fragments
  std::uint64_t reassembled = 0;   // messages joined back
  std::uint64_t too_large = 0;     // refused going down
  std::uint64_t out_of_order = 0;  // fragments outside the FIFO contract
};

class Frag final : public Layer {
 public:
  explicit Frag(FragOptions options = {}) : options_(options) {}
  std::string_view name() const override { return "frag"; }
  std::vector<HeaderField> header_fields() const override { return {{"index", 4}, {"count", 4}}; }
  void down(Msg msg, LayerContext& ctx) override;
  void up(Msg msg, LayerContext& ctx) override;
  void down_event(const Event& event, LayerContext& ctx) override;

  const FragStats& stats() const { return stats_; }

 private:
  struct Partial {
    std::uint32_t next = 0;  // the index expected next
    std::uint32_t count = 0;
    std::vector<std::uint8_t> bytes;
  };
  using Key = std::pair<Msg::Kind, Rank>;

  void add_fragment(Msg& msg, std::uint32_t index, std::uint32_t count, LayerContext& ctx);
  std::uint64_t max_count() const;

  FragOptions options_;
  std::map<Key, Partial> partial_;
  FragStats stats_;
};

}  // namespace cohort::group
