// The filecast sender (SRFTT), an I/O-free Machine. It waits for the
// receivers' Ready (or a start deadline), multicasts every needed group's
// data blocks on the primary channel at the session's rate, with proactive
// repair for group g on channel 1 + g % T (sized from the expected or the
// measured loss), then stop packets; it answers "increase" requests with new
// repair blocks for that group, drops a receiver that falls behind past the
// budget (telling it why), and finishes when every receiver is done,
// dropped or gone. Peers are NodeIds; channels are those of session.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cohort/core/machine.h"
#include "cohort/core/rng.h"
#include "cohort/filecast/content.h"
#include "cohort/filecast/session.h"

namespace cohort::filecast {

struct SenderOptions {
  Duration start_deadline = std::chrono::seconds(10);  // start without receivers not Ready by then
  // A receiver still incomplete this long after every other one finished
  // (or the last repair it was sent) is dropped.
  Duration straggler_budget = std::chrono::seconds(30);
};

struct ReceiverStatus {
  enum class State : std::uint8_t { waiting, receiving, done, dropped, gone };
  NodeId id = 0;
  State state = State::waiting;
  std::uint64_t groups_done = 0;      // as the receiver last reported
  std::uint64_t requests = 0;         // "increase" requests heard from it
  double measured_loss = 0;           // as the receiver last reported
  std::string reason;                 // why dropped or gone
};

struct SenderStats {
  std::uint64_t data_packets = 0;
  std::uint64_t repair_packets = 0;     // proactive and requested
  std::uint64_t requested_repair = 0;   // of those, sent for requests
  std::uint64_t requests_heard = 0;
  std::uint64_t stop_packets = 0;
  std::uint64_t forged = 0;             // datagrams that failed authentication (sealed sessions)
};

class CastSender final : public Machine {
 public:
  // `source` must outlive the machine; `receivers` are the NodeIds that must
  // finish. The info must have passed validate().
  CastSender(SessionInfo info, ContentSource& source, std::vector<NodeId> receivers, Rng rng,
             SenderOptions options = {});
  ~CastSender() override;

  void start(TimePoint now, Actions& out) override;
  void on_packet(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) override;
  void on_timer(TimePoint now, TimerKey key, Actions& out) override;

  // The control channel says this receiver's process ended (or failed):
  // stop waiting for it.
  void receiver_gone(TimePoint now, NodeId receiver, std::string reason, Actions& out);

  bool finished() const;
  const std::vector<ReceiverStatus>& receivers() const;
  const SenderStats& stats() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace cohort::filecast
