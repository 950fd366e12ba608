// A group member as a real process: a GroupMachine bound to a UDP socket and
// an EventLoop (UdpMachineDriver), with its identity (node id + an
// incarnation: 0 on first boot, from the clock on a restart, so a restart
// is a new member), the peer table,
// the group's name on the wire (datagrams of another group are dropped),
// back-pressure told to the caller, graceful leave and shutdown on
// SIGINT/SIGTERM. Thin on purpose: `cohort group join` and the benchmarks are
// built on it, and drive casts from the loop themselves.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cohort/core/event_loop.h"
#include "cohort/core/signals.h"
#include "cohort/group/group_machine.h"
#include "cohort/group/peers.h"
#include "cohort/transport/udp_driver.h"

namespace cohort::group {

// The reliable, totally ordered stack with virtually synchronous membership.
inline constexpr const char* kDefaultNodeStack = "total:gmp:stable:mnak:suspect";

struct NodeOptions {
  std::string group;                  // the group's name; required
  std::string stack = kDefaultNodeStack;
  NodeId id = 0;
  std::uint32_t incarnation = 0;      // 0: start_incarnation(restarted)
  std::optional<Address> listen;      // unset: this node's entry in `peers`
  std::vector<Peer> peers;            // the nodes that may hold members (this one may be listed)
  bool restarted = false;             // a restart: must not bootstrap a primary view alone
  LayerOptions layers{};              // failure-detector timeouts, flow window, batching, ...
  UdpOptions udp;
  Duration leave_timeout = std::chrono::seconds(3);
};

// What the application of a GroupNode implements. Calls arrive on the loop's
// thread, inside the stack: cast from on_writable or a loop callback, not
// from on_deliver of a message whose processing must finish first.
class NodeApp : public GroupApp {
 public:
  // Casts are accepted again after can_send() was false (flow control window
  // or view change); called on the loop, outside the stack.
  virtual void on_writable() {}
};

// The tag that starts every datagram of group `name` (8 bytes of its hash).
std::vector<std::uint8_t> group_tag(const std::string& name);

class GroupNode {
 public:
  // Binds the socket (errors say "port in use" and the address), builds the
  // stack (unknown layers are named), adds the peers. Nothing runs before start().
  static Result<std::unique_ptr<GroupNode>> create(EventLoop& loop, const NodeOptions& options,
                                                   std::unique_ptr<NodeApp> app);
  ~GroupNode();
  GroupNode(const GroupNode&) = delete;
  GroupNode& operator=(const GroupNode&) = delete;

  void start();
  // Errors: would_block (nothing queued; on_writable follows), too_large.
  Status cast(Buffer payload);
  Status send(Rank to, Buffer payload);
  // Runs f(machine, now, actions) on the machine and applies the actions:
  // for casts that must record something first (HistoryRecorder::cast).
  template <class F>
  void call(F&& f) {
    driver_->call([&](TimePoint now, Actions& out) { std::forward<F>(f)(*machine_, now, out); });
  }
  // Leaves gracefully; `done(true)` once the group let us go, `done(false)`
  // after leave_timeout without that. A later call replaces `done` (or calls
  // it at once if the leave is over).
  void leave(std::function<void(bool graceful)> done);
  // SIGINT/SIGTERM: the first leaves and then calls `done`; a second one
  // calls `done` at once.
  Status leave_on_signals(std::function<void()> done);
  // Records the machine's OutputActions (a HistoryRecorder's history lines).
  void on_record(UdpMachineDriver::OutputCallback callback) { driver_->on_output(std::move(callback)); }

  bool can_send() const { return machine_->can_send(); }
  const View* view() const { return machine_->view(); }
  const Endpoint& self() const { return machine_->self(); }
  Result<Address> local_address() const { return driver_->socket().local_address(); }
  NodeApp& app() { return *app_; }
  GroupMachine& machine() { return *machine_; }
  const UdpDriverStats& stats() const { return driver_->stats(); }

 private:
  class Hooks;
  explicit GroupNode(EventLoop& loop) : loop_(loop) {}
  // Runs f on the next turn of the loop unless this node is gone by then.
  void later(std::function<void()> f);
  void left();
  void finish_leave(bool graceful);

  EventLoop& loop_;
  NodeApp* app_ = nullptr;
  std::unique_ptr<GroupMachine> machine_;
  std::unique_ptr<UdpMachineDriver> driver_;
  std::unique_ptr<SignalWatcher> signals_;
  Duration leave_timeout_{};
  std::function<void(bool)> leave_done_;
  std::optional<EventLoop::TimerId> leave_timer_;
  bool leaving_ = false;
  std::optional<bool> left_;  // how the leave ended, once it has
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cohort::group
