// One seeded filecast session in the deterministic simulator: node 0 runs
// the CastSender over files held in memory, nodes 1..N run CastReceivers
// into in-memory sinks, over a network with independent or bursty loss,
// reordering and duplication; optionally one receiver crashes and resumes
// from its sink, some receivers join late, datagrams are sealed, and the
// sender's block multicasts are shadowed by altered copies. Checks that every
// receiver ends with byte-exact files or a clear error, and never reports
// done with wrong bytes. Used by the tests and `cohort-sim cast`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cohort/core/clock.h"
#include "cohort/core/machine.h"
#include "cohort/filecast/receiver.h"
#include "cohort/filecast/sender.h"

namespace cohort::filecast {

struct CastScenarioOptions {
  std::size_t receivers = 4;
  std::vector<std::uint64_t> file_sizes = {256 * 1024};
  std::uint16_t k = 32;
  std::uint32_t block_size = 1024;
  std::uint16_t repair_channels = 4;
  double expected_loss = -1;                 // negative: adaptive
  std::uint64_t rate_bits_per_s = 100'000'000;
  double loss = 0;                           // independent, per packet and receiver
  double burst_loss = 0;                     // > 0: Gilbert-Elliott bursts reaching about this average loss
  double reorder = 0;
  double duplicate = 0;
  bool crash_restart = false;                // receiver 1 crashes a third of the way and restarts, resuming
  std::size_t late_joiners = 0;              // the last receivers start halfway through
  bool encrypt = false;
  bool holes = false;                        // every other 64 KiB of each file is zeros, as a sparse file's holes
  double tamper = 0;                         // chance that a sender multicast is followed by an altered copy
  Duration time_limit = std::chrono::seconds(120);
  bool keep_trace = false;
};

struct CastReceiverResult {
  NodeId node = 0;
  bool complete = false;   // reported done
  bool exact = false;      // holds byte-exact copies of every file
  std::string error;       // why not, when not
  Duration completion{};   // simulated, from the sender's start to its done
  ReceiverStats stats;
};

struct CastScenarioResult {
  std::uint64_t seed = 0;
  std::uint64_t groups = 0;
  std::vector<CastReceiverResult> receivers;
  SenderStats sender;
  bool sender_finished = false;
  Duration start_wait{};              // until the sender began (every Ready in, or its start deadline)
  Duration completion{};              // from the sender's start to the last receiver's done
  double requests_per_group = 0;      // increase requests sent by all receivers / groups
  std::uint64_t packets_sent = 0;     // by every node, as the simulator counted
  std::vector<std::string> violations;
  std::string trace;
  bool ok() const { return violations.empty(); }
};

CastScenarioResult run_cast_scenario(std::uint64_t seed, const CastScenarioOptions& options = {});

// The command that replays `seed` with its full trace.
std::string cast_replay_command(std::uint64_t seed, const CastScenarioOptions& options);

}  // namespace cohort::filecast
