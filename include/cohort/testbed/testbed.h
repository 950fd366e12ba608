// A throwaway cluster on one machine for tests with real processes: K hosts,
// each a network namespace with one veth port on a private bridge that has no
// address in the root namespace (so nothing is routed out), plus the faults
// the protocols must survive: loss, partitions, one-way links, hub mode and
// crashes. Everything a Testbed creates is removed again by its destructor,
// by a signal handler on SIGINT/SIGTERM/SIGHUP/SIGABRT, or, after SIGKILL, by
// cleanup_runs(CleanupScope::stale) thanks to the state file and the owner
// pid in every name. See docs/testbed.md.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/core/error.h"
#include "cohort/testbed/names.h"
#include "cohort/testbed/process.h"

namespace cohort::testbed {

namespace detail {
class EmergencyPlan;
}

struct TestbedOptions {
  int hosts = 3;
  pid_t owner = 0;  // 0: this process. A run whose owner is gone counts as stale.
};

class Testbed {
 public:
  // Creates the bridge, K namespaces and their links. Needs root (CAP_NET_ADMIN
  // and CAP_SYS_ADMIN); fails with permission_denied otherwise.
  static Result<Testbed> create(const TestbedOptions& options);
  // Opens an existing run (by the CLI) without owning it: the destructor
  // leaves it alone.
  static Result<Testbed> attach(std::string_view run);

  Testbed(Testbed&& other) noexcept;
  Testbed& operator=(Testbed&& other) noexcept;
  Testbed(const Testbed&) = delete;
  Testbed& operator=(const Testbed&) = delete;
  ~Testbed();

  const std::string& name() const { return run_; }
  int host_count() const { return hosts_; }
  std::string address(int host) const { return names::host_address(host); }
  std::string netns(int host) const { return names::netns(run_, host); }
  std::string interface(int /*host*/) const { return "eth0"; }  // inside the host's namespace
  std::string bridge() const { return names::bridge(run_); }
  bool owned() const { return owned_; }

  // Runs argv inside `host` (via `ip netns exec`) to completion or timeout.
  Result<CommandResult> run(int host, const std::vector<std::string>& argv,
                            Duration timeout = std::chrono::seconds(30));
  // Starts argv inside `host` in the background; the run kills it on teardown.
  Result<Child> spawn(int host, const std::vector<std::string>& argv);

  // Makes the run kill `child` on teardown, also from the signal handler
  // (for processes started outside the hosts, like `cohort-netns with`'s command).
  void adopt(Child& child);

  // Drops `percent` of the packets arriving on the host's eth0 (0 removes it).
  Status set_loss(int host, int percent);
  // No traffic between any host in `a` and any host in `b`, either way.
  Status partition(const std::vector<int>& a, const std::vector<int>& b);
  // Packets from `from` never reach `to`; the other direction still works.
  Status block_one_way(int from, int to);
  // Removes all partitions and one-way blocks (loss stays: set_loss(h, 0)).
  Status heal();
  // Hub mode: the bridge forgets MAC addresses at once (ageing_time 0), so it
  // floods every frame to every port and any host can overhear the others.
  Status set_hub_mode(bool on);

  // Removes everything of the run now; also what the destructor does.
  Status destroy();
  // Stops owning the run (it outlives this object); the CLI's `create`.
  void release();

 private:
  Testbed() = default;
  Status check_host(int host) const;
  Status nft(int host, const std::string& script);
  void disarm_and_forget();

  std::string run_;
  int hosts_ = 0;
  bool owned_ = false;
  std::shared_ptr<detail::EmergencyPlan> plan_;
};

struct RunInfo {
  std::string name;
  pid_t owner = 0;
  bool owner_alive = false;
  int hosts = 0;           // namespaces present
  bool has_state = false;  // a state file records the run
};

// Every run on this machine: by state file, namespace or link name.
Result<std::vector<RunInfo>> list_runs();

// Removes a run's processes, namespaces, links and state file, whoever owns it.
Status destroy_run(std::string_view run);

enum class CleanupScope { stale, all };
// Removes runs whose owner is gone (stale) or every run (all); returns their names.
Result<std::vector<std::string>> cleanup_runs(CleanupScope scope);

// Whether this process may create namespaces; the error says why not.
Status check_privileges();

}  // namespace cohort::testbed
