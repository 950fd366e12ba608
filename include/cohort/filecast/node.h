// filecast's machines on real sockets: a CastSender or CastReceiver bound to
// a UdpMachineDriver that the session's NetworkPlan configures (every member
// a peer by NodeId, the channels as IP multicast groups or unicast fan-out,
// a tag from the session id so that other sessions' datagrams on the same
// ports are dropped) on sockets with large buffers, since a burst at line
// rate must not overflow the kernel's default. `cohort cast` and
// `cohort cast-receive` (src/cli) are these plus their control channel.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cohort/core/event_loop.h"
#include "cohort/filecast/files.h"
#include "cohort/filecast/receiver.h"
#include "cohort/filecast/sender.h"
#include "cohort/filecast/setup.h"
#include "cohort/transport/udp_driver.h"

namespace cohort::filecast {

struct NodeOptions {
  std::string interface;                 // multicast: where to join and send; empty: the kernel's choice
  int socket_buffer_bytes = 32 << 20;    // SO_RCVBUF and SO_SNDBUF (forced past rmem_max as root)
};

// The unicast socket a node keeps for the session (port 0: any free one).
Result<UdpSocket> bind_node_socket(const Address& local, const NodeOptions& options);

// The local address the kernel would send from to reach `remote` (no packet
// is sent): the address receivers will see the sender's datagrams come from.
Result<Address> local_address_toward(const Address& remote);

// The name of the interface that holds `local`'s IP (where a multicast
// member bound to it should join). Errors: not_found.
Result<std::string> interface_holding(const Address& local);

// A fresh random seed for a machine's Rng or a session id.
std::uint64_t random_u64();

class ReceiverNode {
 public:
  // `socket` is the one whose port the sender was told; `setup.plan.self`
  // names this receiver. Opens the FileSink under `dest` (resuming what an
  // earlier session left). Errors: as FileSink::open, the driver's.
  static Result<std::unique_ptr<ReceiverNode>> create(EventLoop& loop, UdpSocket socket, CastSetup setup,
                                                      const std::string& dest, const NodeOptions& options);
  ~ReceiverNode();
  // `ended` runs on the loop, outside the machine's handling, once the
  // outcome is no longer running: the caller need not poll for the end.
  void start(std::function<void()> ended);
  CastReceiver::Outcome outcome() const { return machine_->outcome(); }
  const std::string& failure() const { return machine_->failure(); }
  const ReceiverStats& stats() const { return machine_->stats(); }
  SinkProgress progress() const { return sink_->progress(); }
  // Once complete: every entry in place, directories given their modes.
  Status finish() { return sink_->finish(); }
  const SessionInfo& info() const { return setup_.info; }

 private:
  ReceiverNode(EventLoop& loop, CastSetup setup) : loop_(loop), setup_(std::move(setup)) {}
  EventLoop& loop_;
  CastSetup setup_;
  std::unique_ptr<FileSink> sink_;
  std::unique_ptr<CastReceiver> machine_;
  std::unique_ptr<UdpMachineDriver> driver_;
};

class SenderNode {
 public:
  // `plan` lists the receivers that answered (their ports known); `info`
  // has passed validate(); `content` outlives the node.
  static Result<std::unique_ptr<SenderNode>> create(EventLoop& loop, UdpSocket socket, const LocalContent& content,
                                                    SessionInfo info, const NetworkPlan& plan,
                                                    const NodeOptions& options, SenderOptions sender_options = {});
  ~SenderNode();
  void start();
  // The control channel says this receiver's process has ended.
  void receiver_gone(NodeId receiver, std::string reason);
  bool finished() const { return machine_->finished(); }
  const std::vector<ReceiverStatus>& receivers() const { return machine_->receivers(); }
  const SenderStats& stats() const { return machine_->stats(); }

 private:
  SenderNode() = default;
  std::unique_ptr<Layout> layout_;
  std::unique_ptr<FileSource> source_;
  std::unique_ptr<CastSender> machine_;
  std::unique_ptr<UdpMachineDriver> driver_;
};

// Points `driver` at the plan's members and channels, tagged by session.
// Errors: a member or channel address that does not parse, the driver's.
Status configure_driver(UdpMachineDriver& driver, const NetworkPlan& plan, std::uint64_t session_id,
                        const NodeOptions& options);

}  // namespace cohort::filecast
