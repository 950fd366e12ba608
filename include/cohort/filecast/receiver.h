// The filecast receiver (SRFTT), an I/O-free Machine. It tells the sender
// it is Ready (and which groups it already holds, for resume), takes data
// blocks from the primary channel, joins only the repair channels of the
// groups it lacks, takes just as many repair blocks as it misses, decodes,
// checks every group against its digest from the session, and hands it to
// the sink. When short of repair for a group it asks for more after a
// random back-off, and holds back if another receiver's request or the
// sender's new repair already covers its need. Done when every group is
// stored; failed when dropped by the sender or the sender falls silent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cohort/core/machine.h"
#include "cohort/core/rng.h"
#include "cohort/filecast/content.h"
#include "cohort/filecast/session.h"

namespace cohort::filecast {

struct ReceiverOptions {
  Duration sender_silence = std::chrono::seconds(15);  // give up after this long without a packet
};

struct ReceiverStats {
  std::uint64_t groups_done = 0;
  std::uint64_t groups_total = 0;
  std::uint64_t data_packets = 0;      // useful data blocks taken
  std::uint64_t repair_used = 0;       // repair blocks used to decode
  std::uint64_t duplicates = 0;        // blocks already held or not needed
  std::uint64_t requests_sent = 0;
  std::uint64_t requests_suppressed = 0;
  std::uint64_t bad_groups = 0;        // decoded groups that failed their digest
  std::uint64_t zero_groups = 0;       // all zeros by their digest: stored without a packet
  std::uint64_t bytes_stored = 0;
  std::uint64_t forged = 0;            // datagrams that failed authentication (sealed sessions)
};

class CastReceiver final : public Machine {
 public:
  enum class Outcome : std::uint8_t { running, complete, failed };

  // `sink` must outlive the machine. The info must have passed validate().
  CastReceiver(SessionInfo info, ContentSink& sink, NodeId sender, Rng rng, ReceiverOptions options = {});
  ~CastReceiver() override;

  void start(TimePoint now, Actions& out) override;
  void on_packet(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) override;
  void on_timer(TimePoint now, TimerKey key, Actions& out) override;

  Outcome outcome() const;
  const std::string& failure() const;  // why, when failed
  const ReceiverStats& stats() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace cohort::filecast
