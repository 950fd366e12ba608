// suspect: the failure detector. Members of the current view cast heartbeats
// every heartbeat_interval; any message coming up from a member counts as
// hearing from it. A member silent for suspect_timeout is not suspected at
// once: the other members are asked whether they heard from it within the
// timeout (indirect probe, as in SWIM), so one broken link does not make a
// live member suspect. It is suspected only if no one says yes within
// probe_timeout; SuspectEvent goes up once per newly suspected set.
// Heartbeats and probes are consumed here, never passed up.
//
// Header slot: kind:1 (1 heartbeat, 2 probe request, 3 probe answer "heard"),
// subject:2 (the rank a probe is about).
#pragma once

#include <optional>
#include <vector>

#include "cohort/group/layer.h"

namespace cohort::group {

struct SuspectOptions {
  Duration heartbeat_interval = std::chrono::milliseconds(100);
  Duration suspect_timeout = std::chrono::milliseconds(1000);
  Duration probe_timeout = std::chrono::milliseconds(300);
};

struct SuspectStats {
  std::uint64_t heartbeats_sent = 0;
  std::uint64_t probes_sent = 0;
  std::uint64_t probes_answered = 0;  // by a member that had heard the subject
};

class Suspect final : public Layer {
 public:
  explicit Suspect(SuspectOptions options = {}) : options_(options) {}
  std::string_view name() const override { return "suspect"; }
  std::vector<HeaderField> header_fields() const override { return {{"kind", 1}, {"subject", 2}}; }
  void up(Msg msg, LayerContext& ctx) override;
  void down_event(const Event& event, LayerContext& ctx) override;
  void timer(std::uint32_t key, LayerContext& ctx) override;

  const SuspectStats& stats() const { return stats_; }

 private:
  struct Peer {
    // Start of the current silence: the last message from it, the last
    // "heard" answer about it, or the view's start.
    TimePoint timeout_from;
    // Only what this member heard itself: probe answers must not pass on
    // hearsay, or two members could keep vouching for a dead third forever.
    std::optional<TimePoint> heard;
    TimePoint probe_started;
    bool probing = false;
    bool suspected = false;
  };
  static constexpr std::uint32_t kTick = 1;

  void reset(const ViewEvent& event, LayerContext& ctx);
  void on_own(Msg& msg, LayerContext& ctx);
  void check(Rank r, LayerContext& ctx);
  static void send_own(LayerContext& ctx, Msg::Kind kind, Rank to, std::uint8_t own_kind, Rank subject);
  bool heard_recently(Rank r, TimePoint now) const;
  bool silent(Rank r, TimePoint now) const;

  SuspectOptions options_;
  std::shared_ptr<const View> view_;
  Rank me_ = kNoRank;
  std::vector<Peer> peers_;  // by rank
  bool changed_ = false;     // a rank became suspected since the last event
  SuspectStats stats_;
};

}  // namespace cohort::group
