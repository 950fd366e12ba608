// stable: stability detection. Counts the casts going up through it per
// origin (it sits above mnak, so these are the casts this member delivered),
// gossips that vector to the other members, and takes the element-wise
// minimum over everyone's latest vector: casts up to it are held by every
// member. It reports that as StableEvent both ways: down so mnak frees them,
// up for the membership layer.
// Protocol, parameters and header fields: docs/group/layers/stable.md.
#pragma once

#include <cstdint>
#include <vector>

#include "cohort/group/layer.h"

namespace cohort::group {

struct StableOptions {
  Duration gossip_interval = std::chrono::milliseconds(50);
};

struct StableStats {
  std::uint64_t gossip_sent = 0;
  std::uint64_t replies_sent = 0;
  std::uint64_t malformed = 0;
};

class Stable final : public Layer {
 public:
  Stable() : Stable(StableOptions{}) {}
  explicit Stable(StableOptions options) : options_(options) {}

  std::string_view name() const override { return "stable"; }
  std::vector<HeaderField> header_fields() const override { return {{"kind", 1}}; }
  void up(Msg msg, LayerContext& ctx) override;
  void down_event(const Event& event, LayerContext& ctx) override;
  void timer(std::uint32_t key, LayerContext& ctx) override;

  const std::vector<std::uint64_t>& stable() const { return stable_; }
  const StableStats& stats() const { return stats_; }

 private:
  void reset(const View* view, LayerContext& ctx);
  void on_gossip(Rank from, bool is_reply, const Buffer& payload, LayerContext& ctx);
  void gossip(std::uint64_t kind, Rank to, LayerContext& ctx);
  void update_stable(LayerContext& ctx);
  const std::vector<std::uint64_t>& mine() const { return rows_[me_]; }

  StableOptions options_;
  Rank me_ = kNoRank;
  // rows_[m][r]: casts of origin r member m last said it has received.
  std::vector<std::vector<std::uint64_t>> rows_;
  std::vector<std::uint64_t> stable_;
  std::vector<std::uint64_t> last_sent_;  // my row as last gossiped
  bool armed_ = false;
  StableStats stats_;
};

}  // namespace cohort::group
