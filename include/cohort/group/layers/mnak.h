// mnak: reliable FIFO multicast of casts within a view, by negative
// acknowledgement. Every cast carries its origin rank and a per-view sequence
// number; receivers deliver each origin's casts in order and once, and ask
// (NAK) for the ones they lack. Every member keeps every cast until the
// stability layer above reports it received everywhere, so any member can
// repair any other, even after the origin is gone (CutEvent).
// Protocol, parameters and header fields: docs/group/layers/mnak.md.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "cohort/group/layer.h"

namespace cohort::group {

struct MnakOptions {
  Duration repair_tick = std::chrono::milliseconds(10);   // how often gaps are looked at
  Duration nak_delay = std::chrono::milliseconds(10);     // wait for reordered casts before a NAK
  Duration nak_backoff_max = std::chrono::milliseconds(400);
  Duration status_interval = std::chrono::milliseconds(100);  // while own casts are unstable
  std::size_t max_out_of_order = 1024;  // buffered ahead of a gap, all origins together
  std::uint32_t max_nak_range = 64;     // casts asked for by one NAK
};

struct MnakStats {
  std::uint64_t duplicates = 0;        // casts already delivered or buffered
  std::uint64_t over_limit = 0;        // out-of-order casts dropped at the buffer limit
  std::uint64_t naks_sent = 0;
  std::uint64_t retransmits_sent = 0;
  std::uint64_t status_sent = 0;
};

class Mnak final : public Layer {
 public:
  Mnak() : Mnak(MnakOptions{}) {}
  explicit Mnak(MnakOptions options) : options_(options) {}

  std::string_view name() const override { return "mnak"; }
  std::vector<HeaderField> header_fields() const override;
  void down(Msg msg, LayerContext& ctx) override;
  void up(Msg msg, LayerContext& ctx) override;
  void down_event(const Event& event, LayerContext& ctx) override;
  void timer(std::uint32_t key, LayerContext& ctx) override;

  // Casts held for repair (delivered, not yet stable) plus those buffered
  // out of order: what GC must bring back to zero.
  std::size_t retained() const;
  const MnakStats& stats() const { return stats_; }

 private:
  struct Origin {
    std::uint64_t delivered = 0;  // casts 1..delivered went up
    std::uint64_t known = 0;      // highest seq known to exist
    std::uint64_t stable = 0;     // casts 1..stable are held by every member
    std::deque<Msg> kept;         // casts stable+1..delivered, for repair
    std::map<std::uint64_t, Msg> ahead;  // received beyond a gap
    std::uint32_t attempts = 0;   // NAKs since the last progress
    TimePoint next_nak{};
  };

  void reset(const View* view, LayerContext& ctx);
  void on_data(Rank origin, std::uint64_t seq, Msg msg, LayerContext& ctx);
  void on_nak(Rank from, Rank origin, std::uint64_t seq, const Buffer& payload, LayerContext& ctx);
  void learn_known(Rank origin, std::uint64_t seq, LayerContext& ctx);
  void deliver_in_order(Rank origin, LayerContext& ctx);
  void on_stable(const std::vector<std::uint64_t>& stable);
  void on_cut(const std::vector<std::uint64_t>& cut, LayerContext& ctx);
  void check_cut(LayerContext& ctx);
  std::uint64_t limit(Rank origin) const;
  void repair(LayerContext& ctx);
  void send_nak(Rank origin, LayerContext& ctx);
  void nak_range(Rank origin, Rank to, std::uint64_t first, std::uint64_t last, LayerContext& ctx);
  void send_status(LayerContext& ctx);
  const Msg* find(Rank origin, std::uint64_t seq) const;
  Duration jitter(Duration base, LayerContext& ctx) const;
  void arm_repair(LayerContext& ctx);
  void arm_status(LayerContext& ctx);

  MnakOptions options_;
  Rank me_ = kNoRank;
  std::uint64_t sent_ = 0;
  std::vector<Origin> origins_;
  std::size_t ahead_total_ = 0;
  // Set by a CutEvent until the next view: deliver exactly up to it, and
  // fetch from anyone, as the origins may be gone.
  std::vector<std::uint64_t> cut_;
  bool cut_reached_ = false;
  bool repair_armed_ = false;
  bool status_armed_ = false;
  MnakStats stats_;
};

}  // namespace cohort::group
