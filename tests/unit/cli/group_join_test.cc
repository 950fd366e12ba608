// `cohort group join` as real processes on loopback (no root): three members
// form a group, cast lines, leave at the end of their input, and their
// histories pass cohort-check-history.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "cohort/testbed/process.h"
#include "cohort/transport/udp.h"
#include "group_member.h"

namespace cohort {
namespace {

using testbed::Child;
using testing::GroupMember;

// Polls `done` up to `limit`; the test fails on its own if it never holds.
bool eventually(const std::function<bool()>& done, std::chrono::seconds limit = std::chrono::seconds(30)) {
  for (auto waited = Duration::zero(); waited < limit; waited += 50ms) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

std::string free_loopback_peers(int count) {
  std::string peers;
  std::vector<UdpSocket> held;
  for (int i = 1; i <= count; ++i) {
    auto socket = UdpSocket::bind(Address::ipv4_loopback(0));
    EXPECT_TRUE(socket);
    peers += (peers.empty() ? "" : ",") + std::to_string(i) + "=" + socket->local_address().value().to_string();
    held.push_back(std::move(socket).value());
  }
  return peers;
}

class GroupJoinProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cohort-join-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    children_.clear();  // kills whatever still runs
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  void start(int count) {
    std::string peers = free_loopback_peers(count);
    for (int i = 1; i <= count; ++i) {
      members_.push_back(std::make_unique<GroupMember>(dir_, "m" + std::to_string(i)));
      ASSERT_TRUE(members_.back()->ok());
      auto child = Child::start(members_.back()->argv(COHORT_BIN, {"demo", "--id", std::to_string(i), "--peers", peers}));
      ASSERT_TRUE(child) << child.error().to_string();
      children_.push_back(std::move(child).value());
    }
  }

  bool all_in_one_view(std::size_t size) {
    std::string id = members_[0]->last_view().id;
    for (auto& m : members_) {
      if (m->last_view().size != size || m->last_view().id != id) return false;
    }
    return true;
  }

  std::string describe() {
    std::string out;
    for (auto& m : members_) out += "--- " + m->path(".out") + "\n" + m->out() + m->err();
    return out;
  }

  std::filesystem::path dir_;
  std::vector<std::unique_ptr<GroupMember>> members_;
  std::vector<Child> children_;
};

TEST_F(GroupJoinProcesses, ThreeMembersCastLeaveAndTheirHistoriesCheck) {
  start(3);
  ASSERT_TRUE(eventually([&] { return all_in_one_view(3); })) << describe();
  EXPECT_TRUE(members_[0]->last_view().primary) << describe();
  for (int round = 0; round < 5; ++round) {
    for (std::size_t i = 0; i < members_.size(); ++i) {
      ASSERT_TRUE(members_[i]->write_line("line " + std::to_string(round) + " of " + std::to_string(i + 1)));
    }
  }
  ASSERT_TRUE(eventually([&] {
    for (auto& m : members_) {
      for (std::size_t i = 1; i <= members_.size(); ++i) {
        if (!m->delivered("line 4 of " + std::to_string(i))) return false;
      }
    }
    return true;
  })) << describe();

  for (auto& m : members_) m->close_input();  // end of input: each leaves
  for (Child& c : children_) {
    auto result = c.wait(30s);
    ASSERT_TRUE(result) << result.error().to_string();
    EXPECT_TRUE(result->success()) << result->describe() << "\n" << describe();
  }
  std::vector<std::string> check{CHECK_HISTORY_BIN, "--total-order"};
  for (auto& m : members_) check.push_back(m->history());
  auto verdict = testbed::run_command(check);
  ASSERT_TRUE(verdict) << verdict.error().to_string();
  EXPECT_TRUE(verdict->success()) << verdict->out << verdict->err;
  EXPECT_NE(verdict->out.find("all properties hold"), std::string::npos) << verdict->out;
}

TEST_F(GroupJoinProcesses, BadArgumentsSayWhatToDo) {
  auto bad_peer = testbed::run_command({COHORT_BIN, "group", "join", "demo", "--peers", "1=localhost:7000"});
  ASSERT_TRUE(bad_peer);
  EXPECT_EQ(bad_peer->exit_code, 2);
  EXPECT_NE(bad_peer->err.find("numeric IP"), std::string::npos) << bad_peer->err;

  auto bad_layer = testbed::run_command({COHORT_BIN, "group", "join", "demo", "--stack", "total:nosuch"});
  ASSERT_TRUE(bad_layer);
  EXPECT_EQ(bad_layer->exit_code, 2);
  EXPECT_NE(bad_layer->err.find("unknown layer 'nosuch'"), std::string::npos) << bad_layer->err;

  auto socket = UdpSocket::bind(Address::ipv4_loopback(0));
  ASSERT_TRUE(socket);
  std::string taken = socket->local_address().value().to_string();
  auto in_use = testbed::run_command({COHORT_BIN, "group", "join", "demo", "--listen", taken});
  ASSERT_TRUE(in_use);
  EXPECT_EQ(in_use->exit_code, 1);
  EXPECT_NE(in_use->err.find("already in use"), std::string::npos) << in_use->err;

  auto help = testbed::run_command({COHORT_BIN, "group", "join", "--help"});
  ASSERT_TRUE(help);
  EXPECT_TRUE(help->success());
  EXPECT_NE(help->out.find("--peers"), std::string::npos);
}

}  // namespace
}  // namespace cohort
