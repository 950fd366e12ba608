// The peer table of a group member on a real network: which node id lives at
// which UDP address. Written by people (`--peers 1=10.0.0.1:7000,...` or a
// file), so the parser names what is wrong and how to write it instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/core/error.h"
#include "cohort/core/machine.h"
#include "cohort/transport/address.h"

namespace cohort::group {

struct Peer {
  NodeId id = 0;
  Address address;
  bool operator==(const Peer&) const = default;
};

// "ID=HOST:PORT" entries separated by commas, blanks or newlines; '#' starts
// a comment to the end of the line. HOST is a numeric IPv4 or [IPv6] address.
// Ids and addresses must be unique; the list must not be empty.
Result<std::vector<Peer>> parse_peers(std::string_view text);
// A list as above if `spec` contains '=', otherwise the path of a file
// holding one.
Result<std::vector<Peer>> load_peers(const std::string& spec);

const Peer* find_peer(const std::vector<Peer>& peers, NodeId id);

// A new incarnation number for a process starting now: milliseconds of the
// wall clock (mod 2^32, never 0), so a restarted process is a new endpoint.
std::uint32_t incarnation_from_clock();

// The incarnation of a member process: 0 on a node's first boot, the endpoint
// the seed list names for the bootstrap majority; a restart takes a fresh one
// from the clock, so it never poses as its predecessor.
std::uint32_t start_incarnation(bool restarted);

}  // namespace cohort::group
