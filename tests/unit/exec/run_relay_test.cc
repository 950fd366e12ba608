// `cohort run` relayed through cohortd in-process: three daemons on loopback
// in one process, a run at width 1 so that it relays through a chain, and
// the signed request's checks (tampered, another CA's signer, expired), a
// branch that cannot be reached, and stdin for every rank.
#include <gtest/gtest.h>

#include <map>

#include "cohort/exec/daemon.h"
#include "cohort/exec/run_session.h"
#include "daemon_fixture.h"

namespace cohort::exec::testing {
namespace {

using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)

struct RankOutcome {
  std::string out;
  std::optional<TaskExit> exit;
  std::optional<Refusal> refusal;
};

class RunRelayTest : public LoopbackDaemonTest {
 protected:
  void SetUp() override {
    LoopbackDaemonTest::SetUp();
    other_ca_ = make_ca("other-ca");
    issue(false, other_ca_, me_);
    for (int i = 0; i < 3; ++i) {
      auto daemon = Daemon::create(*loop_, daemon_config());
      ASSERT_TRUE(daemon) << daemon.error().to_string();
      daemons_.push_back(std::move(*daemon));
    }
    tls_ = user_tls(ca_);
  }

  tls::ContextPtr user_tls(const std::filesystem::path& issuer) { return client_tls(issuer, "users", me_); }

  RunSpec spec(std::vector<std::string> argv, std::uint32_t ranks, std::uint32_t per_host = 2) {
    RunSpec s;
    s.base.nonce = random_nonce();
    s.base.expires_unix_ms = expiry_from_now(30'000);
    s.base.argv = std::move(argv);
    s.base.expand_env = true;
    for (const auto& daemon : daemons_) s.nodes.push_back(daemon->address().to_string());
    s.per_host = per_host;
    s.ranks = ranks;
    s.width = 1;  // a chain: node 0 relays to node 1, which relays to node 2
    s.level_timeout_ms = 5'000;
    s.stdin_target = StdinTarget::none;
    return s;
  }

  // Runs the request's ranks to their ends through RunBranches (bounded).
  std::map<std::uint32_t, RankOutcome> run(RunRequest request, SSL_CTX* tls) {
    std::map<std::uint32_t, RankOutcome> outcomes;
    std::size_t ended = 0, ranks = request.spec.ranks;
    RunBranches::Callbacks callbacks;
    callbacks.on_event = [&](const RankEvent& event, const Buffer&) {
      RankOutcome& o = outcomes[event.rank];
      if (const auto* chunk = std::get_if<StreamChunk>(&event.event)) {
        o.out.append(reinterpret_cast<const char*>(chunk->bytes.data()), chunk->bytes.size());
      } else if (const auto* exit = std::get_if<TaskExit>(&event.event)) {
        o.exit = *exit, ++ended;
      } else if (const auto* refusal = std::get_if<Refusal>(&event.event)) {
        o.refusal = *refusal, ++ended;
      }
    };
    RunBranches branches(*loop_, tls, std::move(request), 5s, std::move(callbacks));
    branches.start();
    spin_until([&] { return ended >= ranks; }, 1000);
    EXPECT_EQ(ended, ranks) << "the run did not end";
    EXPECT_TRUE(branches.done());
    return outcomes;
  }

  RunRequest signed_request(const RunSpec& s, SSL_CTX* signer) {
    auto request = signed_run_request(signer, s);
    EXPECT_TRUE(request) << request.error().to_string();
    return request ? *request : RunRequest{};
  }

  void expect_all_refused(const std::map<std::uint32_t, RankOutcome>& outcomes, const std::string& why) {
    for (const auto& [rank, o] : outcomes) {
      ASSERT_TRUE(o.refusal) << "rank " << rank << " ran";
      EXPECT_NE(o.refusal->detail.find(why), std::string::npos)
          << "rank " << rank << ": " << o.refusal->detail;
    }
  }

  std::filesystem::path other_ca_;
  std::vector<std::unique_ptr<Daemon>> daemons_;
  tls::ContextPtr tls_;
};

TEST_F(RunRelayTest, AChainOfDaemonsRunsEveryRankWithItsVariables) {
  RunSpec s =
      spec({"echo rank=$COHORT_RANK size=$COHORT_SIZE node=$COHORT_NODE_RANK local=$COHORT_LOCAL_RANK "
            "nodes=$COHORT_NODES"},
           5);
  auto outcomes = run(signed_request(s, tls_.get()), tls_.get());
  ASSERT_EQ(outcomes.size(), 5u);
  for (std::uint32_t r = 0; r < 5; ++r) {
    const RankOutcome& o = outcomes[r];
    ASSERT_TRUE(o.exit) << "rank " << r << ": " << (o.refusal ? o.refusal->detail : "no end");
    EXPECT_EQ(o.exit->shell_status(), 0);
    EXPECT_EQ(o.out, "rank=" + std::to_string(r) + " size=5 node=" + std::to_string(r / 2) +
                         " local=" + std::to_string(r % 2) + " nodes=3\n");
  }
}

TEST_F(RunRelayTest, StdinReachesEveryRankThroughTheChainAndExitCodesComeBack) {
  RunSpec s = spec({"cat; exit $COHORT_RANK"}, 3, 1);
  s.stdin_target = StdinTarget::all;
  std::map<std::uint32_t, RankOutcome> outcomes;
  std::size_t ended = 0;
  RunSession::Callbacks callbacks;
  callbacks.on_output = [&](std::uint32_t rank, Stream, ByteView bytes) {
    outcomes[rank].out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  };
  callbacks.on_exit = [&](std::uint32_t rank, TaskExit exit) { outcomes[rank].exit = exit, ++ended; };
  callbacks.on_failure = [&](std::uint32_t rank, Failure failure) {
    outcomes[rank].refusal = Refusal{RefusalReason::bad_request, failure.detail}, ++ended;
  };
  auto session = RunSession::start(*loop_, tls_.get(), s, 5s, std::move(callbacks));
  ASSERT_TRUE(session) << session.error().to_string();
  std::string text;  // in one piece larger than a frame
  while (text.size() <= kMaxChunkBytes) text += "to every rank\n";
  (void)(*session)->send_stdin(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  (void)(*session)->send_stdin({});
  spin_until([&] { return ended >= 3; }, 1000);
  ASSERT_EQ(ended, 3u);
  for (std::uint32_t r = 0; r < 3; ++r) {
    ASSERT_TRUE(outcomes[r].exit) << "rank " << r << ": " << outcomes[r].refusal->detail;
    EXPECT_EQ(outcomes[r].out, text) << "rank " << r;
    EXPECT_EQ(outcomes[r].exit->shell_status(), static_cast<int>(r));
  }
}

TEST_F(RunRelayTest, ATamperedRequestRunsNothing) {
  auto marker = root_ / "ran";
  RunRequest request = signed_request(spec({"true"}, 3, 1), tls_.get());
  request.spec.base.argv = {"touch " + marker.string()};
  expect_all_refused(run(std::move(request), tls_.get()), "signature does not match");
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST_F(RunRelayTest, ASignerOfAnotherCaIsRefused) {
  auto other = user_tls(other_ca_);
  RunRequest request = signed_request(spec({"true"}, 3, 1), other.get());
  expect_all_refused(run(std::move(request), tls_.get()), "the signer's certificate was refused");
}

TEST_F(RunRelayTest, AnExpiredSignedRequestIsRefused) {
  RunSpec s = spec({"true"}, 3, 1);
  s.base.expires_unix_ms = expiry_from_now(0) - 1000;
  expect_all_refused(run(signed_request(s, tls_.get()), tls_.get()), "expired");
}

TEST_F(RunRelayTest, AnUnreachableRelayCostsItsBranchOnly) {
  RunSpec s = spec({"echo ok"}, 3, 1);
  s.nodes[1] = "127.0.0.1:1";  // nothing listens there
  auto outcomes = run(signed_request(s, tls_.get()), tls_.get());
  ASSERT_TRUE(outcomes[0].exit) << outcomes[0].refusal->detail;
  EXPECT_EQ(outcomes[0].out, "ok\n");
  for (std::uint32_t r : {1u, 2u}) {
    ASSERT_TRUE(outcomes[r].refusal) << "rank " << r;
    EXPECT_EQ(outcomes[r].refusal->reason, RefusalReason::unreachable) << outcomes[r].refusal->detail;
  }
  EXPECT_NE(outcomes[2].refusal->detail.find("relay via 127.0.0.1:1"), std::string::npos)
      << outcomes[2].refusal->detail;
}

}  // namespace
}  // namespace cohort::exec::testing
