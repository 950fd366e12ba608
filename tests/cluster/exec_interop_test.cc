// cohort exec as the remote shell of tools that expect rsh/ssh (issue 4):
// Open MPI's mpirun (`--mca plm_rsh_agent "cohort exec"`) and MPICH's hydra
// (`-launcher ssh -launcher-exec cohort-exec`) each launching a real MPI job
// (an MPI_Allreduce) on four namespaces, and pdsh driving
// `cohort exec %h` through its exec module. All run from host 0 against the
// cohortd of hosts 1-4; the command lines are the ones docs/exec.md gives.
// Each MPI is called by its own binaries (mpicc.openmpi, mpiexec.mpich, ...):
// with both installed, Debian's mpicc/mpirun alternatives name only one.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "exec_cluster_fixture.h"

namespace cohort::testbed {
namespace {

constexpr int kFirstDaemon = 1;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool contains_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines_of(text)) {
    if (l == line) return true;
  }
  return false;
}

// A line of `text` that starts with `prefix` and holds `needle` further on.
bool has_line_with(const std::string& text, const std::string& prefix, const std::string& needle) {
  for (const auto& l : lines_of(text)) {
    if (l.starts_with(prefix) && l.find(needle, prefix.size()) != std::string::npos) return true;
  }
  return false;
}

class ExecInterop : public ExecCluster {
 protected:
  // The daemon hosts' addresses: the MPI hostfile's and pdsh's host names
  // (every namespace shares the machine's hostname, so names would not do).
  std::vector<std::string> daemon_addresses() const {
    std::vector<std::string> out;
    for (int h = kFirstDaemon; h < kExecHosts; ++h) out.push_back(bed_->address(h));
    return out;
  }

  std::string host_list() const {
    std::string out;
    for (const auto& a : daemon_addresses()) out += (out.empty() ? "" : ",") + a;
    return out;
  }

  // The interop tools are installed by scripts/install-deps.sh; without them
  // the test fails (it must not pass silently in CI), naming what is missing.
  static void require_tools(const std::vector<std::string>& tools) {
    std::string missing;
    for (const auto& tool : tools) {
      auto found = run_checked({"sh", "-c", "command -v " + tool});
      if (!found || !found->success()) missing += " " + tool;
    }
    ASSERT_TRUE(missing.empty()) << "not installed:" << missing << "; run scripts/install-deps.sh as root";
  }

  static std::string describe(const std::string& line, const CommandResult& r) {
    return "command: " + line + "\n" + r.describe() + "\nstdout:\n" + r.out + "stderr:\n" + r.err;
  }

  // tests/cluster/data/mpi_hello.c built with an MPI's own compiler wrapper.
  void build_mpi_hello(const std::string& compiler, std::string& program) {
    program = (dir_ / ("mpi_hello-" + compiler)).string();
    auto built = run_checked({compiler, "-Wall", "-Werror", "-O2", "-o", program, MPI_HELLO_SRC});
    ASSERT_TRUE(built && built->success())
        << compiler << ": " << (built ? built->describe() + " " + built->err : built.error().to_string());
  }

  // Runs an MPI launcher's `line` in host 0 and checks every rank's line:
  // ranks are placed in host order, rank r on host r + 1, and the sums need
  // every rank: 1+2+3+4, and the hosts' last octets 2+3+4+5.
  void expect_every_rank(const std::string& line) {
    auto result = shell(line, std::chrono::seconds(120));
    ASSERT_TRUE(result.success()) << describe(line, result);
    auto addresses = daemon_addresses();
    EXPECT_EQ(lines_of(result.out).size(), addresses.size()) << describe(line, result);
    for (std::size_t r = 0; r < addresses.size(); ++r) {
      std::string expected = "rank " + std::to_string(r) + " of 4 on " + addresses[r] + ": sum 10 octets 14";
      EXPECT_TRUE(contains_line(result.out, expected)) << "missing '" << expected << "'\n"
                                                       << describe(line, result);
    }
  }

  // `pdsh -R exec` over hosts 1-4 with `cohort exec EXEC_OPTIONS %h CMD` as the per-host command.
  std::string pdsh_line(const std::string& pdsh_options, const std::string& exec_options,
                        const std::string& command) const {
    return client_env() + " pdsh -R exec " + pdsh_options + " -w " + host_list() + " " + COHORT_BIN +
           " exec " + exec_options + " %h " + quote(command);
  }
};

TEST_F(ExecInterop, OpenMpiRunsAnAllreduceOnFourHostsWithCohortExecAsItsRemoteShell) {
  require_tools({"mpicc.openmpi", "mpirun.openmpi"});
  std::string program;
  ASSERT_NO_FATAL_FAILURE(build_mpi_hello("mpicc.openmpi", program));
  std::string hostfile = (dir_ / "hostfile").string();
  {
    std::ofstream out(hostfile);
    for (const auto& a : daemon_addresses()) out << a << " slots=1\n";
  }
  // rtc_hwloc_vmhole none: once in a CI run, orted on a host segfaulted in
  // hwloc_shmem_topology_write, mapping the topology into a "biggest hole"
  // of its address space that lay on its stack. Sharing the topology by
  // shared memory is an optimisation this test does not need.
  std::string line =
      client_env() +
      " OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
      " mpirun.openmpi --mca plm_rsh_agent '" COHORT_BIN " exec' --hostfile " +
      hostfile + " -np 4 --mca btl tcp,self --mca btl_tcp_if_include eth0 --mca oob_tcp_if_include eth0" +
      " --mca rtc_hwloc_vmhole none " + program;
  expect_every_rank(line);
}

TEST_F(ExecInterop, MpichHydraRunsAnAllreduceOnFourHostsWithCohortExecAsItsRemoteShell) {
  require_tools({"mpicc.mpich", "mpiexec.mpich"});
  std::string program;
  ASSERT_NO_FATAL_FAILURE(build_mpi_hello("mpicc.mpich", program));
  // hydra runs `cohort-exec -x HOST "/usr/bin/hydra_pmi_proxy" --control-port
  // ADDR:PORT ...` per host; -iface makes ADDR host 0's eth0 (the namespaces
  // share one hostname). UCX, under MPICH, picks the ranks' transport itself:
  // forced onto TCP (UCX_TLS=tcp,self) the ranks hung in MPI_Finalize now and
  // then, after their output, with cohort exec only waiting for them.
  std::string line = client_env() + " mpiexec.mpich -launcher ssh -launcher-exec " COHORT_EXEC_BIN
                                    " -iface eth0 -hosts " +
                     host_list() + " -n 4 " + program;
  expect_every_rank(line);
}

TEST_F(ExecInterop, PdshDrivesCohortExecOnEachHost) {
  require_tools({"pdsh"});
  // The command reaches each host's shell as over ssh: `;` separates, the
  // quotes hold, $HOME is the remote account's. pdsh never closes the stdin
  // it gives the command, so `cat` ends only thanks to -n.
  std::string line = pdsh_line("", "-n", "cat; ip -4 -o addr show dev eth0; echo \"home;\" $HOME");
  auto result = shell(line);
  ASSERT_TRUE(result.success()) << describe(line, result);
  EXPECT_EQ(lines_of(result.out).size(), 2 * daemon_addresses().size()) << describe(line, result);
  for (const auto& a : daemon_addresses()) {
    EXPECT_TRUE(has_line_with(result.out, a + ": ", " eth0    inet " + a + "/"))
        << "no address line of " << a << "\n"
        << describe(line, result);
    EXPECT_TRUE(contains_line(result.out, a + ": home; /root")) << describe(line, result);
  }
}

TEST_F(ExecInterop, PdshDashSReturnsTheLargestRemoteExitStatus) {
  require_tools({"pdsh"});
  // Only the host whose eth0 has the third daemon's address fails, so the
  // status comes from the remote side, not from pdsh's %h substitution.
  std::string failing = bed_->address(3);
  std::string line =
      pdsh_line("-S", "", "ip -4 -o addr show dev eth0 | grep -q 'inet " + failing + "/' && exit 7; exit 0");
  auto result = shell(line);
  EXPECT_EQ(result.exit_code, 7) << describe(line, result);
  for (const auto& a : daemon_addresses()) {
    bool reported = result.err.find(a + ": cohort exited with exit code 7") != std::string::npos;
    EXPECT_EQ(reported, a == failing) << a << "\n" << describe(line, result);
  }
}

}  // namespace
}  // namespace cohort::testbed
