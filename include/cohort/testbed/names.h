// The naming scheme of testbed runs. Every name carries the owner's pid, so
// parallel runs never collide and the leftovers of a dead owner can be found
// and removed; the exact, fixed-width format is what cleanup matches, so it
// never touches anything that is not ours.
//
//   run     <pid, 6 hex>-<n, 2 hex>     e.g. 01a2b3-00
//   netns   cohort-<run>-h<i>           e.g. cohort-01a2b3-00-h2
//   bridge  cb<run>                     e.g. cb01a2b3-00     (11 chars)
//   veth    cv<run>h<i>                 e.g. cv01a2b3-00h2   (<= 14 chars)
//
// Interface names must fit Linux's 15 characters (IFNAMSIZ - 1).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace cohort::testbed::names {

inline constexpr int kMaxHosts = 99;       // two decimal digits in veth names
inline constexpr unsigned kMaxRunsPerOwner = 256;  // two hex digits
inline constexpr std::string_view kStateDir = "/run/cohort-testbed";
inline constexpr std::string_view kNetnsDir = "/run/netns";

std::string run_name(pid_t owner, unsigned index);
bool is_run_name(std::string_view run);
std::optional<pid_t> owner_of(std::string_view run);

std::string netns(std::string_view run, int host);
std::string bridge(std::string_view run);
std::string veth(std::string_view run, int host);
std::string state_file(std::string_view run);

// The run a namespace, a link or a state file name belongs to, if it is ours.
std::optional<std::string> run_of_netns(std::string_view name);
std::optional<std::string> run_of_link(std::string_view name);
std::optional<std::string> run_of_state_file(std::string_view file_name);

// Host addresses: 10.88.0.<host + 1>/16 on every run (runs are separate L2
// segments with nothing routed between them, so they may reuse addresses).
std::string host_address(int host);
inline constexpr int kPrefixLength = 16;

}  // namespace cohort::testbed::names
