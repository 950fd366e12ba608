// pt2pt: reliable FIFO point-to-point sends within a view. Each sender and
// receiver pair numbers its sends from 1; the receiver delivers them in order
// and once and acknowledges cumulatively; the sender retransmits what stays
// unacknowledged. Casts pass through untouched.
// Protocol, parameters and header fields: docs/group/layers/pt2pt.md.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "cohort/group/layer.h"

namespace cohort::group {

struct Pt2ptOptions {
  Duration tick = std::chrono::milliseconds(20);             // retransmission scan
  Duration retransmit_after = std::chrono::milliseconds(60);  // unacknowledged this long
  Duration max_retransmit_after = std::chrono::seconds(1);   // back-off cap
  std::size_t max_out_of_order = 1024;  // buffered ahead of a gap, per sender
  std::size_t max_burst = 64;           // retransmissions per peer per tick
};

struct Pt2ptStats {
  std::uint64_t duplicates = 0;
  std::uint64_t over_limit = 0;  // out-of-order sends dropped at the buffer limit
  std::uint64_t retransmits = 0;
};

class Pt2pt final : public Layer {
 public:
  Pt2pt() : Pt2pt(Pt2ptOptions{}) {}
  explicit Pt2pt(Pt2ptOptions options) : options_(options) {}

  std::string_view name() const override { return "pt2pt"; }
  std::vector<HeaderField> header_fields() const override;
  void down(Msg msg, LayerContext& ctx) override;
  void up(Msg msg, LayerContext& ctx) override;
  void down_event(const Event& event, LayerContext& ctx) override;
  void timer(std::uint32_t key, LayerContext& ctx) override;

  // Sends not yet acknowledged, all peers together.
  std::size_t unacked() const;
  const Pt2ptStats& stats() const { return stats_; }

 private:
  struct Outgoing {
    Msg msg;
    TimePoint sent_at;
  };
  struct Peer {
    std::uint64_t sent = 0;          // sends numbered 1..sent
    std::uint64_t acked = 0;         // unacked holds acked+1..sent
    std::deque<Outgoing> unacked;
    Duration rto{};                  // doubles per round without an ack, up to the cap
    std::uint64_t acked_at_retransmit = 0;
    std::uint64_t delivered = 0;     // their sends 1..delivered went up
    std::map<std::uint64_t, Msg> ahead;
  };

  void on_data(Rank from, std::uint64_t seq, Msg msg, LayerContext& ctx);
  void on_ack(Rank from, std::uint64_t seq);
  void send_ack(Rank to, LayerContext& ctx);
  void retransmit(LayerContext& ctx);
  void arm(LayerContext& ctx);

  Pt2ptOptions options_;
  Rank me_ = kNoRank;
  std::vector<Peer> peers_;
  bool armed_ = false;
  Pt2ptStats stats_;
};

}  // namespace cohort::group
