// gmp: group membership with virtually synchronous view changes.
//
// Every process starts in a singleton view. The coordinator of a view (its
// lowest endpoint, or the lowest one not suspected) changes the view when a
// member is suspected or leaves, and merges views: coordinators gossip ALIVE
// to the seed nodes outside their view, and the lower coordinator merges the
// higher one's view into a new view (so joins and partition heals are the
// same thing). A view change is a flush:
//   1. FLUSH(proposal): members block (the application stops casting; casts
//      from above are held for the next view) and answer FLUSH_OK with how
//      many casts of each origin they delivered in their current view.
//   2. CUT: for each old view, the element-wise maximum of its members'
//      counts. Members fetch what they lack (CutEvent to the reliable layer
//      below), deliver exactly up to the cut, and answer CUT_OK.
//   3. INSTALL: the new view (ltime = highest known + 1), with the
//      coordinator's state snapshot for members that come from other views.
// Members that move together from view v to v+1 thus deliver the same set of
// casts in v. A view is primary if it holds a majority of the last primary
// view and of every primary proposal that may have been installed (dynamic
// linear voting with ambiguous views). Control messages are direct messages,
// re-sent on timers until answered; every handler is idempotent.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "cohort/core/bytes.h"
#include "cohort/core/error.h"
#include "cohort/group/layer.h"

namespace cohort::group {

// The state snapshot hooks of the application, for state transfer.
class StateHooks {
 public:
  virtual ~StateHooks() = default;
  virtual Buffer snapshot() = 0;
  virtual void restore(const Buffer& state) = 0;
};

class Gmp final : public Layer {
 public:
  struct Options {
    std::vector<NodeId> seeds;  // nodes whose coordinators we gossip with
    Duration gossip_interval = std::chrono::milliseconds(200);
    Duration retry_interval = std::chrono::milliseconds(50);
    Duration flush_timeout = std::chrono::milliseconds(1000);   // a member that does not answer is left out
    Duration install_timeout = std::chrono::milliseconds(3000);  // a blocked member gives up on the proposal
    std::size_t bootstrap_size = 0;  // seeds.size() if 0: majority of it makes the first primary view
    // Whether this process is a restart that forgot the primary chain (it must
    // not bootstrap a primary view). Unset: incarnation > 0, as the simulator
    // numbers incarnations from 0; real processes take theirs from the clock
    // and say it.
    std::optional<bool> restarted;
  };

  Gmp(Options options, StateHooks* state);

  std::string_view name() const override { return "gmp"; }
  std::vector<HeaderField> header_fields() const override { return {{"kind", 1}}; }
  void start(LayerContext& ctx) override;
  void down(Msg msg, LayerContext& ctx) override;
  void up(Msg msg, LayerContext& ctx) override;
  void down_event(const Event& event, LayerContext& ctx) override;
  void up_event(const Event& event, LayerContext& ctx) override;
  void timer(std::uint32_t key, LayerContext& ctx) override;

  const View& view() const { return *view_; }

  struct Proposal {
    std::uint32_t ltime = 0;
    Endpoint coordinator;
    auto operator<=>(const Proposal&) const = default;
  };
  // A primary view this member agreed to at the cut: it may have been
  // installed without us.
  struct AmbiguousView {
    ViewId id;
    std::vector<Endpoint> members;
  };
  // What a member knows of primary views: the last it installed (or, before
  // any, the seeds that may bootstrap one) and those it agreed to since.
  struct PrimaryKnowledge {
    ViewId last;
    std::vector<Endpoint> last_members;
    bool installed = false;  // `last` is a view this member installed
    std::vector<AmbiguousView> ambiguous;
  };
  ~Gmp() override;

 private:
  struct Flush;
  struct Report;

  // member side
  void on_control(const Endpoint& from, const Buffer& body, LayerContext& ctx);
  void on_flush(const Endpoint& from, ByteReader& in, LayerContext& ctx);
  void on_cut(ByteReader& in, LayerContext& ctx);
  void on_install(const Endpoint& from, ByteReader& in, LayerContext& ctx);
  void send_flush_ok(LayerContext& ctx);
  void release_held(LayerContext& ctx);
  void maybe_cut_ok(LayerContext& ctx);
  void install(std::shared_ptr<View> view, const std::optional<Buffer>& state, LayerContext& ctx);
  void install_local(std::shared_ptr<View> view, LayerContext& ctx);
  void abandon_proposal(LayerContext& ctx, bool suspect_coordinator);
  void drop_flush(LayerContext& ctx);

  // coordinator side
  void on_alive(const Endpoint& from, ByteReader& in, LayerContext& ctx);
  void on_flush_ok(const Endpoint& from, ByteReader& in);
  void start_flush(std::set<Endpoint> members, LayerContext& ctx);
  void flush_progress(LayerContext& ctx);
  void finish_flushing(LayerContext& ctx);
  void decide_primary(const std::set<Endpoint>& final_set, LayerContext& ctx);
  void make_view();
  void send_phase_messages(LayerContext& ctx, bool only_new = false);
  void retry(LayerContext& ctx);
  bool acting_coordinator(const LayerContext& ctx) const;
  std::set<Endpoint> desired_members() const;
  void reconsider(LayerContext& ctx);

  void gossip(LayerContext& ctx);
  void send_control(const Endpoint& to, Buffer body, LayerContext& ctx);
  void drain_self(LayerContext& ctx);

  Options options_;
  StateHooks* state_;
  std::shared_ptr<const View> view_;
  std::vector<std::uint64_t> delivered_;  // casts delivered up per origin rank, this view
  std::set<Endpoint> suspected_;
  std::set<Endpoint> leaving_;
  std::uint32_t max_ltime_ = 0;
  PrimaryKnowledge primary_;
  bool left_ = false;
  // member: the proposal we agreed to (blocked while set)
  std::optional<Proposal> accepted_;
  // The highest proposal ever agreed to: never go back to a lower one, or a
  // member could help install two concurrent primary views.
  std::optional<Proposal> max_accepted_;
  Endpoint accepted_from_;
  TimePoint accepted_at_{};
  std::optional<std::vector<std::uint64_t>> cut_;
  bool cut_ok_sent_ = false;
  std::map<Rank, std::vector<Msg>> held_;  // casts not yet allowed up (beyond the cut or before it is known)
  std::vector<Msg> pending_down_;          // casts from above while blocked, sent in the next view
  // coordinator
  std::unique_ptr<Flush> flush_;
  std::vector<std::pair<Endpoint, Buffer>> self_inbox_;
  bool draining_ = false;
};

}  // namespace cohort::group
