// A group member as a Machine: a protocol stack plus the application on top.
// The simulator and UdpMachineDriver host it like any other protocol. The
// application is a GroupApp: it is told of views, deliveries and blocks, and
// produces and restores state snapshots for state transfer.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cohort/core/error.h"
#include "cohort/group/layers/batch.h"
#include "cohort/group/layers/bottom.h"
#include "cohort/group/layers/flow.h"
#include "cohort/group/layers/gmp.h"
#include "cohort/group/layers/mnak.h"
#include "cohort/group/layers/suspect.h"
#include "cohort/group/layers/total.h"
#include "cohort/group/properties.h"
#include "cohort/group/stack.h"

namespace cohort::group {

class GroupApp : public StateHooks {
 public:
  virtual void on_view(const View& view, Actions& out) = 0;
  virtual void on_deliver(const Endpoint& from, const Msg& msg, Actions& out) = 0;
  // Stop casting until the next view; the machine answers BlockOk for the app.
  virtual void on_block(Actions& /*out*/) {}
  // Told once, when this member has left the group.
  virtual void on_left(Actions& /*out*/) {}
  // State transfer: the state a joiner starts from, and taking it on.
  Buffer snapshot() override { return {}; }
  void restore(const Buffer& /*state*/) override {}
  // Credit flow control: false after cast() starts refusing with would_block,
  // true when casts are accepted again.
  virtual void on_flow(bool /*can_send*/, Actions& /*out*/) {}
  // The failure detector suspects these ranks of the current view (for apps
  // in stacks without a membership layer to act on it).
  virtual void on_suspect(const std::vector<Rank>& /*ranks*/, Actions& /*out*/) {}
};

// Tunables of the layers that have them, for whichever of them the stack
// names; each defaults to the layer's own defaults.
struct LayerOptions {
  SuspectOptions suspect;
  FlowOptions flow;
  BatchOptions batch;
  Total::Options total;
  MnakOptions mnak;
};

struct GroupConfig {
  // Layer names, top to bottom ("bottom" is implied), or a property spec
  // "props:vsync:total:..." from which the layers are chosen (properties.h;
  // property_stack() writes one from a list).
  std::string stack = "mnak";
  // For stacks without a membership layer: the fixed view everyone starts in.
  std::vector<Endpoint> static_members{};
  // For the membership layer: the nodes that may hold members of the group.
  std::vector<NodeId> seeds{};
  // For the membership layer: this process is a restart (Gmp::Options::restarted).
  std::optional<bool> restarted{};
  // How casts reach the other members: unicast fan-out or a multicast channel.
  BottomOptions bottom{};
  LayerOptions layers{};
};

struct LayerEnv;
// Makes one layer of a member's stack.
using LayerFactory = std::function<std::unique_ptr<Layer>(const LayerEnv&)>;
// Layers of the application's own (tests: fault and probe layers) that a
// stack string may name besides the built-in ones.
using ExtraLayers = std::map<std::string, LayerFactory>;

// What layer factories may need besides their defaults.
struct LayerEnv {
  std::vector<NodeId> seeds;
  StateHooks* state = nullptr;
  std::optional<bool> restarted;
  const ExtraLayers* extra_layers = nullptr;
  BottomOptions bottom = {};
  LayerOptions layers;
};

// Builds the layers a stack string (layer names or "props:...") names.
// Errors name the unknown layer and list the known ones.
Result<std::vector<std::unique_ptr<Layer>>> make_layers(const std::string& spec, const LayerEnv& env = {});
std::vector<std::string> known_layers();

class GroupMachine final : public Machine, private StackTop {
 public:
  static Result<std::unique_ptr<GroupMachine>> create(Endpoint self, const GroupConfig& config, Rng rng,
                                                      std::unique_ptr<GroupApp> app, const ExtraLayers& extra = {});

  void start(TimePoint now, Actions& out) override;
  void on_packet(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) override;
  void on_timer(TimePoint now, TimerKey key, Actions& out) override;

  // Errors: too_large past kMaxMessageBytes; would_block (nothing enqueued)
  // while flow control says the window is full, until on_flow(true).
  Status cast(TimePoint now, Buffer payload, Actions& out);
  // Errors: too_large past kMaxMessageBytes.
  Status send(TimePoint now, Rank to, Buffer payload, Actions& out);
  // False while flow control has the window shut or a view change blocks casts.
  bool can_send() const { return can_send_ && !blocked_; }
  // A view change is under way: between BlockEvent and the next view.
  bool blocked() const { return blocked_; }
  void leave(TimePoint now, Actions& out) { stack_.down_event(now, LeaveEvent{}, out); }

  const Endpoint& self() const { return self_; }
  const View* view() const { return view_.get(); }
  const Stack& stack() const { return stack_; }
  GroupApp& app() { return *app_; }

 private:
  GroupMachine(Endpoint self, GroupConfig config, std::vector<std::unique_ptr<Layer>> layers, Rng rng,
               std::unique_ptr<GroupApp> app);
  void deliver(const Msg& msg, Actions& out) override;
  void event(const Event& event, Actions& out) override;

  Endpoint self_;
  GroupConfig config_;
  std::unique_ptr<GroupApp> app_;
  Stack stack_;
  std::shared_ptr<const View> view_;
  TimePoint now_{};
  bool can_send_ = true;  // as the last FlowEvent said
  bool blocked_ = false;  // between BlockEvent and the next view
};

}  // namespace cohort::group
