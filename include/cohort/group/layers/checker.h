// What the checker layers (chk_fifo, chk_total, chk_sync) share. A checker
// sits at the top of a test stack and checks, online and without I/O, a
// property of what the layers below deliver: it stamps every cast going down
// with a per-process sequence number (so a delivery names its message),
// folds the casts delivered in each view into digests, and, for the checkers
// that compare members, gossips those digests as small sends. A violation is
// counted and reported as an output record "NAME violation: ..." that the
// simulator's history, its scenario and the tests pick up.
// Pages: docs/group/layers/chk_fifo.md, chk_total.md, chk_sync.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cohort/core/error.h"
#include "cohort/group/layer.h"

namespace cohort::group {

// What a member delivered in one view, folded as it goes: `chain` depends on
// the order of the casts, `set` only on which casts.
struct ViewDigest {
  ViewId view;
  std::uint64_t count = 0;
  std::uint64_t chain = 0;
  std::uint64_t set = 0;
  void add(std::uint64_t cast_hash);
  bool operator==(const ViewDigest&) const = default;
};

// The gossip of chk_total and chk_sync: the sender's digest of its current
// view so far and of the view before it (none in its first view).
struct CheckSummary {
  ViewDigest current;
  std::optional<ViewDigest> previous;
};
Buffer encode_check_summary(const CheckSummary& summary);
Result<CheckSummary> decode_check_summary(const Buffer& bytes);

struct CheckerOptions {
  Duration gossip_interval = std::chrono::milliseconds(50);
  // Summaries sent in each view even when nothing changed, so that one lost
  // send does not skip the comparison of the previous view.
  int gossip_repeats = 3;
};

struct CheckerStats {
  std::uint64_t deliveries = 0;  // stamped casts checked
  std::uint64_t comparisons = 0;  // digests compared with another member's
  std::uint64_t summaries_sent = 0;
  std::uint64_t malformed = 0;
  std::uint64_t violations = 0;
};

class Checker : public Layer {
 public:
  std::vector<HeaderField> header_fields() const override { return {{"kind", 1}, {"seq", 4}}; }
  void start(LayerContext& ctx) override;
  void down(Msg msg, LayerContext& ctx) override;
  void up(Msg msg, LayerContext& ctx) override;
  void down_event(const Event& event, LayerContext& ctx) override;
  void up_event(const Event& event, LayerContext& ctx) override;
  void timer(std::uint32_t key, LayerContext& ctx) override;

  const CheckerStats& stats() const { return stats_; }
  // The first kMaxReports violation records (all are counted in stats()).
  const std::vector<std::string>& reports() const { return reports_; }
  static constexpr std::size_t kMaxReports = 100;

 protected:
  // A delivered cast: who cast it and its number at that process.
  struct Cast {
    Endpoint origin;
    std::uint32_t seq = 0;
  };
  Checker(CheckerOptions options, bool gossips) : options_(options), gossips_(gossips) {}

  // Called after the cast was folded into current().
  virtual void delivered(const Cast& /*cast*/, LayerContext& /*ctx*/) {}
  // Called before current() becomes previous() at a new view.
  virtual void view_ending(LayerContext& /*ctx*/) {}
  // A summary from a member of the same current view.
  virtual void compare(const Endpoint& /*from*/, const CheckSummary& /*theirs*/, LayerContext& /*ctx*/) {}

  void report(const std::string& what, LayerContext& ctx);
  const ViewDigest& current() const { return current_; }
  const std::optional<ViewDigest>& previous() const { return previous_; }
  void count_comparison() { ++stats_.comparisons; }

 private:
  void on_view(const std::shared_ptr<const View>& view, LayerContext& ctx);
  void on_summary(Rank from, const Buffer& payload, LayerContext& ctx);
  void gossip(LayerContext& ctx);

  CheckerOptions options_;
  bool gossips_;
  std::shared_ptr<const View> view_;
  ViewDigest current_;
  std::optional<ViewDigest> previous_;
  std::uint32_t next_seq_ = 0;
  std::uint64_t gossiped_count_ = 0;
  int repeats_ = 0;
  CheckerStats stats_;
  std::vector<std::string> reports_;
};

}  // namespace cohort::group
