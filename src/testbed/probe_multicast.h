// cohort-probe's `multicast` mode: a small Machine on UdpMachineDriver that
// joins one multicast channel, multicasts numbered datagrams naming itself
// and counts what it receives per sender, so a cluster test can see that the
// driver's multicast reaches the other hosts and is attributed correctly.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "cohort/core/machine.h"
#include "cohort/transport/address.h"

namespace cohort::probe {

struct MulticastProbeOptions {
  NodeId self = 0;
  Address bind;                      // this host's unicast address and port
  std::map<NodeId, Address> peers;   // every member's unicast address (self may be listed)
  Address group;                     // the channel's group and port
  std::string interface = "eth0";
  int count = 20;                    // datagrams to multicast
  int start_after_ms = 500;          // time for every member to join first
  int interval_ms = 10;
  int duration_ms = 2000;
};

// Prints `sent N fromI M ... misattributed K own J unknown U`; returns the exit status.
int run_multicast(const MulticastProbeOptions& options);

}  // namespace cohort::probe
