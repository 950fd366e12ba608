#include "cohort/testbed/testbed.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <thread>

#include "emergency.h"
#include "system.h"

namespace cohort::testbed {
namespace {

// Linux's default bridge ageing time, in centiseconds (300 s).
constexpr int kDefaultAgeing = 30000;

constexpr const char* kBaseRuleset =
    "add table inet cohort; "
    "add chain inet cohort input { type filter hook input priority 0; policy accept; }; "
    "add chain inet cohort block; "
    "add chain inet cohort loss; "
    "add rule inet cohort input jump block; "
    "add rule inet cohort input jump loss";

Status ensure_state_dir() {
  std::string dir(names::kStateDir);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Error::from_errno(errno, "mkdir " + dir);
  return ok_status();
}

// Claims a free run name for `owner` by creating its state file exclusively,
// which also makes parallel creators of one owner pick different names.
Result<std::string> claim_run(pid_t owner, int hosts) {
  detail::StateRecord record{owner, detail::process_start_time(owner), hosts};
  for (unsigned n = 0; n < names::kMaxRunsPerOwner; ++n) {
    std::string run = names::run_name(owner, n);
    if (detail::path_exists("/sys/class/net/" + names::bridge(run)) ||
        detail::path_exists(std::string(names::kNetnsDir) + "/" + names::netns(run, 0))) {
      continue;
    }
    auto status = detail::write_state_exclusive(names::state_file(run), record);
    if (status) return run;
    if (status.error().code() != Errc::address_in_use) return status.error();
  }
  return Error(Errc::too_large, "owner " + std::to_string(owner) + " already has " +
                                    std::to_string(names::kMaxRunsPerOwner) + " runs");
}

std::vector<std::vector<std::string>> emergency_commands(const std::string& ip, const std::string& run,
                                                         int hosts) {
  std::vector<std::vector<std::string>> commands;
  for (int h = 0; h < hosts; ++h) commands.push_back({ip, "link", "del", names::veth(run, h)});
  for (int h = 0; h < hosts; ++h) commands.push_back({ip, "netns", "del", names::netns(run, h)});
  commands.push_back({ip, "link", "del", names::bridge(run)});
  return commands;
}

// A link is usable once the root end reports carrier (the peer is up too).
Status wait_link_up(const std::string& veth) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in("/sys/class/net/" + veth + "/operstate");
    std::string state;
    in >> state;
    if (state == "up") return ok_status();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Error(Errc::timed_out, "link " + veth + " did not come up within 5 s");
}

Status setup_bridge(const std::string& br) {
  // Without IGMP snooping the bridge floods multicast to every port, so group
  // traffic reaches every host without a querier and whatever reports got lost.
  if (auto s = detail::ip({"link", "add", br, "type", "bridge", "stp_state", "0", "mcast_snooping", "0"}); !s) {
    return s;
  }
  // No link-local IPv6 either: the root namespace gets no address on our links.
  if (auto s = detail::ip({"link", "set", "dev", br, "addrgenmode", "none"}); !s) return s;
  return detail::ip({"link", "set", "dev", br, "up"});
}

Status setup_host(const std::string& run, int host) {
  std::string ns = names::netns(run, host);
  std::string veth = names::veth(run, host);
  std::string br = names::bridge(run);
  const std::vector<std::vector<std::string>> steps = {
      {"netns", "add", ns},
      {"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns},
      {"link", "set", "dev", veth, "addrgenmode", "none"},
      {"link", "set", "dev", veth, "master", br, "up"},
      {"-n", ns, "link", "set", "dev", "lo", "up"},
      {"-n", ns, "addr", "add", names::host_address(host) + "/" + std::to_string(names::kPrefixLength), "dev",
       "eth0"},
      {"-n", ns, "link", "set", "dev", "eth0", "up"},
      {"-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0"},
  };
  for (const auto& step : steps) {
    if (auto s = detail::ip(step); !s) return s;
  }
  if (auto s = detail::nft_in(ns, kBaseRuleset); !s) return s;
  return wait_link_up(veth);
}

}  // namespace

Status check_privileges() {
  if (::geteuid() != 0) return Error(Errc::permission_denied, "the testbed needs root (network namespaces)");
  for (const char* tool : {"ip", "nft"}) {
    if (auto path = find_executable(tool); !path) return path.error();
  }
  return ensure_state_dir();
}

Result<Testbed> Testbed::create(const TestbedOptions& options) {
  if (options.hosts < 1 || options.hosts > names::kMaxHosts) {
    return Error(Errc::invalid_argument, "hosts must be 1.." + std::to_string(names::kMaxHosts) + ", not " +
                                             std::to_string(options.hosts));
  }
  pid_t owner = options.owner != 0 ? options.owner : ::getpid();
  if (owner < 0 || owner > 0xffffff || !detail::process_start_time(owner)) {
    return Error(Errc::invalid_argument, "owner pid " + std::to_string(owner) + " is not a running process");
  }
  if (auto s = check_privileges(); !s) return s.error();
  auto ip = detail::ip_path();
  if (!ip) return ip.error();
  auto run = claim_run(owner, options.hosts);
  if (!run) return run.error();

  Testbed bed;
  bed.run_ = *run;
  bed.hosts_ = options.hosts;
  bed.owned_ = true;
  // Armed before anything exists, so a signal in the middle of setup cleans up too.
  bed.plan_ = std::make_shared<detail::EmergencyPlan>(emergency_commands(*ip, *run, options.hosts),
                                                      names::state_file(*run));
  detail::arm(bed.plan_.get());

  Status status = setup_bridge(bed.bridge());
  for (int h = 0; status && h < options.hosts; ++h) status = setup_host(bed.run_, h);
  if (!status) {
    (void)bed.destroy();
    return Error(status.error().code(), "creating testbed " + bed.run_ + ": " + status.error().message());
  }
  return bed;
}

Result<Testbed> Testbed::attach(std::string_view run) {
  if (!names::is_run_name(run)) {
    return Error(Errc::invalid_argument, "not a testbed run name: '" + std::string(run) + "' (want e.g. 01a2b3-00)");
  }
  Testbed bed;
  bed.run_ = std::string(run);
  while (bed.hosts_ < names::kMaxHosts &&
         detail::path_exists(std::string(names::kNetnsDir) + "/" + names::netns(run, bed.hosts_))) {
    ++bed.hosts_;
  }
  if (bed.hosts_ == 0) return Error(Errc::not_found, "no testbed run named " + bed.run_);
  return bed;
}

Testbed::Testbed(Testbed&& other) noexcept { *this = std::move(other); }

Testbed& Testbed::operator=(Testbed&& other) noexcept {
  if (this != &other) {
    if (owned_) (void)destroy();
    run_ = std::move(other.run_);
    hosts_ = std::exchange(other.hosts_, 0);
    owned_ = std::exchange(other.owned_, false);
    plan_ = std::move(other.plan_);
  }
  return *this;
}

Testbed::~Testbed() {
  if (owned_) (void)destroy();
}

void Testbed::disarm_and_forget() {
  if (plan_ && !detail::disarm(plan_.get())) {
    // A signal handler holds the plan and the process is ending: never free it.
    new std::shared_ptr<detail::EmergencyPlan>(plan_);
  }
  plan_.reset();
}

void Testbed::release() {
  disarm_and_forget();
  owned_ = false;
}

Status Testbed::destroy() {
  if (run_.empty()) return ok_status();
  // Finish the teardown before a SIGINT/SIGTERM gets to end the process.
  sigset_t block;
  sigset_t previous;
  sigemptyset(&block);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&block, s);
  ::pthread_sigmask(SIG_BLOCK, &block, &previous);
  if (plan_) plan_->kill_tracked();
  disarm_and_forget();
  Status status = destroy_run(run_);
  owned_ = false;
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return status;
}

Status Testbed::check_host(int host) const {
  if (host < 0 || host >= hosts_) {
    return Error(Errc::invalid_argument, "host " + std::to_string(host) + " out of range (run " + run_ + " has " +
                                             std::to_string(hosts_) + " hosts)");
  }
  return ok_status();
}

Result<CommandResult> Testbed::run(int host, const std::vector<std::string>& argv, Duration timeout) {
  auto child = spawn(host, argv);
  if (!child) return child.error();
  auto result = child->wait(timeout);
  if (result || result.error().code() != Errc::timed_out) return result;
  (void)child->kill(SIGKILL);
  auto killed = child->wait(std::chrono::seconds(10));
  if (!killed) return killed.error();
  killed->timed_out = true;
  return killed;
}

Result<Child> Testbed::spawn(int host, const std::vector<std::string>& argv) {
  if (auto s = check_host(host); !s) return s.error();
  if (argv.empty()) return Error(Errc::invalid_argument, "empty command");
  auto ip = detail::ip_path();
  if (!ip) return ip.error();
  std::vector<std::string> full{*ip, "netns", "exec", netns(host)};
  full.insert(full.end(), argv.begin(), argv.end());
  auto child = Child::start(full);
  if (!child) return child.error();
  adopt(*child);
  return child;
}

void Testbed::adopt(Child& child) {
  if (!plan_) return;
  plan_->track(child.pid());
  child.on_reaped([plan = plan_](pid_t pid) { plan->untrack(pid); });
}

Status Testbed::nft(int host, const std::string& script) {
  if (auto s = check_host(host); !s) return s;
  return detail::nft_in(netns(host), script);
}

Status Testbed::set_loss(int host, int percent) {
  if (percent < 0 || percent > 100) {
    return Error(Errc::invalid_argument, "loss must be 0..100 percent, not " + std::to_string(percent));
  }
  std::string script = "flush chain inet cohort loss";
  if (percent >= 100) {
    script += "; add rule inet cohort loss iifname \"eth0\" drop";  // nft's range ends at 99
  } else if (percent > 0) {
    script += "; add rule inet cohort loss iifname \"eth0\" numgen random mod 100 < " + std::to_string(percent) +
              " drop";
  }
  return nft(host, script);
}

Status Testbed::block_one_way(int from, int to) {
  if (auto s = check_host(from); !s) return s;
  if (from == to) return Error(Errc::invalid_argument, "cannot block host " + std::to_string(from) + " from itself");
  return nft(to, "add rule inet cohort block ip saddr " + address(from) + " drop");
}

Status Testbed::partition(const std::vector<int>& a, const std::vector<int>& b) {
  for (int x : a) {
    for (int y : b) {
      if (x == y) return Error(Errc::invalid_argument, "host " + std::to_string(x) + " is on both sides");
    }
  }
  for (int x : a) {
    for (int y : b) {
      if (auto s = block_one_way(x, y); !s) return s;
      if (auto s = block_one_way(y, x); !s) return s;
    }
  }
  return ok_status();
}

Status Testbed::heal() {
  for (int h = 0; h < hosts_; ++h) {
    if (auto s = nft(h, "flush chain inet cohort block"); !s) return s;
  }
  return ok_status();
}

Status Testbed::set_hub_mode(bool on) {
  return detail::ip({"link", "set", "dev", bridge(), "type", "bridge", "ageing_time",
                     std::to_string(on ? 0 : kDefaultAgeing)});
}

}  // namespace cohort::testbed
