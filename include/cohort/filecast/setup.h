// The session setup a `cohort cast` sender hands each receiver over its
// authenticated channel (the stdin of `cohort cast-receive`, carried by
// cohortd's TLS): the SessionInfo plus the network plan, i.e. which address
// every node's datagrams come from and where each channel goes. A receiver
// trusts the digests, the key and the addresses because of that channel, so
// nothing here ever travels on the data path. Addresses stay text ("IP:PORT")
// so that the codec needs no transport; the receiver's driver parses them.
// The decoder reads untrusted bytes: bounds-checked, explicit limits, fuzzed
// (tests/fuzz/filecast_session.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"
#include "cohort/core/machine.h"
#include "cohort/filecast/session.h"

namespace cohort::filecast {

struct CastMember {
  NodeId id = 0;
  std::string address;  // "IP:PORT" of its unicast socket
  bool operator==(const CastMember&) const = default;
};

struct NetworkPlan {
  CastMember sender;
  std::vector<CastMember> receivers;  // every receiver, so each hears the others' requests
  NodeId self = 0;                    // the receiver this setup is for
  // No multicast: each channel's datagrams reach the receivers by unicast.
  bool unicast = false;
  // Multicast: channel c's "GROUP:PORT", c = 0 (primary) .. T (repair).
  std::vector<std::string> channels;
  bool operator==(const NetworkPlan&) const = default;
};

struct CastSetup {
  SessionInfo info;
  NetworkPlan plan;
};

// Explicit limits of a decoded setup. 2^24 groups hold 730 GB at the default
// block and group size; more needs larger blocks or groups, or two casts.
struct SetupLimits {
  static constexpr std::size_t max_bytes = 512u << 20;
  static constexpr std::size_t max_entries = 1u << 20;
  static constexpr std::size_t max_groups = 1u << 24;
  static constexpr std::size_t max_path = 4096;
  static constexpr std::size_t max_receivers = 4096;
  static constexpr std::size_t max_address = 64;
  static constexpr std::size_t max_channels = 256;
};

Buffer encode_setup(const CastSetup& setup);
// Errors: truncated, malformed (bad magic, an inconsistent plan, an info
// that fails validate()), too_large (a count or size past SetupLimits).
Result<CastSetup> decode_setup(ByteView bytes);

}  // namespace cohort::filecast
