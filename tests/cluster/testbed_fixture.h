// Shared by the cluster tests: the probe helpers, the privilege check, the
// stale-run sweep and the TestbedTest fixture (three hosts per test).
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cohort/testbed/testbed.h"

namespace cohort::testbed {


using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)

inline constexpr std::uint16_t kPort = 7000;

inline std::vector<std::string> probe(std::vector<std::string> args) {
  args.insert(args.begin(), COHORT_PROBE_BIN);
  return args;
}

// The number after `key` in a probe report ("sent 10 replies 9"), or -1.
inline long count_after(const std::string& out, const std::string& key) {
  std::istringstream in(out);
  std::string word;
  while (in >> word) {
    long value = -1;
    if (word == key && in >> value) return value;
  }
  return -1;
}

inline std::string target(const Testbed& bed, int host) { return bed.address(host) + ":" + std::to_string(kPort); }

// Why the tests cannot run here, if they cannot.
inline std::optional<std::string> skip_reason() {
  if (auto s = check_privileges(); !s) return s.error().to_string();
  return std::nullopt;
}

#define SKIP_UNLESS_PRIVILEGED()                                   \
  do {                                                             \
    if (auto reason = skip_reason()) GTEST_SKIP() << *reason;      \
  } while (false)

inline Testbed make_testbed(int hosts) {
  auto bed = Testbed::create({hosts, 0});
  if (!bed) ADD_FAILURE() << bed.error().to_string();
  return std::move(bed).value();
}

// Names of `run` still visible in the root namespace.
inline std::vector<std::string> leftovers(const std::string& run) {
  std::vector<std::string> found;
  for (const auto& argv : std::vector<std::vector<std::string>>{{"ip", "netns", "list"}, {"ip", "-o", "link"}}) {
    auto out = run_checked(argv);
    EXPECT_TRUE(out) << out.error().to_string();
    if (!out) continue;
    std::istringstream in(out->out);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(run) != std::string::npos) found.push_back(line);
    }
  }
  return found;
}

// Runs left by test processes that died without any chance to clean up
// (SIGKILL, a sanitizer's exit) go at the start and end of every test
// process. Only runs whose owner is gone are touched, so parallel tests are safe.
class StaleRunCleanup : public ::testing::Environment {
 public:
  void SetUp() override { sweep(); }
  void TearDown() override { sweep(); }

 private:
  static void sweep() {
    if (!skip_reason()) (void)cleanup_runs(CleanupScope::stale);
  }
};
[[maybe_unused]] inline const auto* const kStaleRunCleanup = ::testing::AddGlobalTestEnvironment(new StaleRunCleanup);

class TestbedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = skip_reason()) GTEST_SKIP() << *reason;
    auto bed = Testbed::create({3, 0});
    if (!bed && bed.error().code() == Errc::permission_denied) {
      GTEST_SKIP() << "cannot create network namespaces here: " << bed.error().to_string();
    }
    ASSERT_TRUE(bed) << bed.error().to_string();
    bed_.emplace(std::move(bed).value());
  }

  Testbed& bed() { return *bed_; }

  // Waits (bounded) until something in `host` listens on kPort.
  void wait_bound(int host) {
    char needle[32];
    std::snprintf(needle, sizeof needle, ":%04X 00000000:0000", kPort);
    for (int attempt = 0; attempt < 200; ++attempt) {
      auto out = bed().run(host, {"cat", "/proc/net/udp"}, 5s);
      ASSERT_TRUE(out) << out.error().to_string();
      if (out->out.find(needle) != std::string::npos) return;
      std::this_thread::sleep_for(25ms);
    }
    FAIL() << "nothing listens on port " << kPort << " in host " << host;
  }

  Child start(int host, const std::string& mode, int duration_ms) {
    auto child = bed().spawn(host, probe({mode, "--port", std::to_string(kPort), "--duration-ms",
                                          std::to_string(duration_ms)}));
    EXPECT_TRUE(child) << child.error().to_string();
    return std::move(child).value();
  }

  // Echo replies `from` gets back from an echo server in `to`.
  long echoes(int from, int to, int count, int wait_ms = 1000) {
    auto out = bed().run(from, probe({"send", "--to", target(bed(), to), "--count", std::to_string(count),
                                      "--interval-us", "200", "--wait-ms", std::to_string(wait_ms)}),
                         60s);
    EXPECT_TRUE(out && out->success()) << (out ? out->describe() + " " + out->err : out.error().to_string());
    if (!out) return -1;
    EXPECT_EQ(count_after(out->out, "sent"), count) << out->out;
    return count_after(out->out, "replies");
  }

  // Sends `count` datagrams one way (no replies expected).
  void blast(int from, int to, int count) {
    auto out = bed().run(from, probe({"send", "--to", target(bed(), to), "--count", std::to_string(count),
                                      "--interval-us", "200", "--wait-ms", "0"}),
                         60s);
    ASSERT_TRUE(out && out->success()) << (out ? out->describe() + " " + out->err : out.error().to_string());
  }

  static long report(Child& child, const std::string& key) {
    auto result = child.wait(30s);
    EXPECT_TRUE(result) << result.error().to_string();
    if (!result) return -1;
    EXPECT_TRUE(result->success()) << result->describe() << " " << result->err;
    return count_after(result->out, key);
  }

  std::optional<Testbed> bed_;
};

}  // namespace cohort::testbed
