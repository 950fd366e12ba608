// Five `cohort group join` processes in five network namespaces, under steady
// traffic, through the faults of issue 3: a member killed (and restarted as a
// new incarnation), a 3/2 partition and its heal, 5% loss, and a one-way link
// failure. Every member writes its history; cohort-check-history must pass.
#include <gtest/gtest.h>

#include <csignal>
#include <functional>
#include <memory>
#include <thread>

#include "group_member.h"
#include "testbed_fixture.h"

namespace cohort::testbed {
namespace {

using cohort::testing::GroupMember;

constexpr int kHosts = 5;

class GroupJoinCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNLESS_PRIVILEGED();
    auto bed = Testbed::create({kHosts, 0});
    ASSERT_TRUE(bed) << bed.error().to_string();
    bed_.emplace(std::move(bed).value());
    dir_ = std::filesystem::temp_directory_path() / ("cohort-cluster-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    for (int h = 0; h < kHosts; ++h) peers_ += (h ? "," : "") + std::to_string(h + 1) + "=" + target(*bed_, h);
  }
  void TearDown() override {
    children_.clear();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  // Starts the member of `host` (node id host + 1), a new incarnation each time.
  void start(int host, bool rejoin) {
    auto& slot = members_[static_cast<std::size_t>(host)];
    slot = std::make_unique<GroupMember>(dir_, "h" + std::to_string(host) + "-" + std::to_string(++starts_));
    ASSERT_TRUE(slot->ok());
    histories_.push_back(slot->history());
    std::vector<std::string> args{"cluster", "--id", std::to_string(host + 1), "--peers", peers_};
    if (rejoin) args.push_back("--rejoin");
    auto child = bed_->spawn(host, slot->argv(COHORT_BIN, args));
    ASSERT_TRUE(child) << child.error().to_string();
    children_[static_cast<std::size_t>(host)] = std::make_unique<Child>(std::move(child).value());
  }

  // One line to every running member; a full pipe is the member's
  // back-pressure, and the line is simply not offered.
  void traffic() {
    for (std::size_t h = 0; h < members_.size(); ++h) {
      if (members_[h]) (void)members_[h]->write_line("h" + std::to_string(h) + " n" + std::to_string(++lines_));
    }
  }

  // Keeps traffic flowing until `done` holds or `limit` passes.
  bool under_traffic_until(const std::function<bool()>& done, Duration limit) {
    for (Duration waited{}; waited < limit; waited += 50ms) {
      if (done()) return true;
      traffic();
      std::this_thread::sleep_for(50ms);
    }
    return done();
  }
  void traffic_for(Duration d) { under_traffic_until([] { return false; }, d); }

  // The members on `hosts` all show the same last view, of exactly them.
  bool one_view(const std::vector<int>& hosts) {
    std::string id = members_[static_cast<std::size_t>(hosts[0])]->last_view().id;
    for (int h : hosts) {
      auto v = members_[static_cast<std::size_t>(h)]->last_view();
      if (v.id != id || v.size != hosts.size()) return false;
    }
    return true;
  }
  bool settle(const std::vector<int>& hosts) {
    return under_traffic_until([&] { return one_view(hosts); }, 60s);
  }

  std::string describe() {
    std::string out = "histories in " + dir_.string() + "\n";
    for (auto& m : members_) {
      if (m) out += "--- " + m->path(".out") + ": last view " + m->last_view().id + " of " +
                    std::to_string(m->last_view().size) + "\n" + m->err();
    }
    return out;
  }

  std::optional<Testbed> bed_;
  std::filesystem::path dir_;
  std::string peers_;
  std::vector<std::unique_ptr<GroupMember>> members_{kHosts};
  std::vector<std::unique_ptr<Child>> children_{kHosts};
  std::vector<std::string> histories_;
  int starts_ = 0;
  long lines_ = 0;
};

TEST_F(GroupJoinCluster, FiveMembersSurviveCrashPartitionLossAndOneWayLink) {
  const std::vector<int> all{0, 1, 2, 3, 4};
  for (int h : all) start(h, false);
  ASSERT_TRUE(settle(all)) << "the group never formed\n" << describe();
  EXPECT_TRUE(members_[0]->last_view().primary);

  // A member killed: the survivors move on without it; its restart joins.
  traffic_for(1s);
  ASSERT_TRUE(children_[4]->kill(SIGKILL));
  ASSERT_TRUE(children_[4]->wait(10s));
  members_[4]->record_crash();
  members_[4].reset();
  EXPECT_TRUE(settle({0, 1, 2, 3})) << "after killing host 4\n" << describe();
  start(4, true);
  ASSERT_TRUE(settle(all)) << "after restarting host 4\n" << describe();

  // A 3/2 partition: two views, only the majority's primary; then one again.
  ASSERT_TRUE(bed_->partition({0, 1, 2}, {3, 4}));
  EXPECT_TRUE(settle({0, 1, 2})) << "majority side of the partition\n" << describe();
  EXPECT_TRUE(settle({3, 4})) << "minority side of the partition\n" << describe();
  EXPECT_TRUE(members_[0]->last_view().primary);
  EXPECT_FALSE(members_[3]->last_view().primary);
  ASSERT_TRUE(bed_->heal());
  ASSERT_TRUE(settle(all)) << "after healing the partition\n" << describe();

  // 5% loss everywhere, then a one-way link failure; the group ends whole.
  for (int h : all) ASSERT_TRUE(bed_->set_loss(h, 5));
  traffic_for(5s);
  for (int h : all) ASSERT_TRUE(bed_->set_loss(h, 0));
  ASSERT_TRUE(settle(all)) << "after 5% loss\n" << describe();
  ASSERT_TRUE(bed_->block_one_way(1, 2));
  traffic_for(5s);
  ASSERT_TRUE(bed_->heal());
  ASSERT_TRUE(settle(all)) << "after the one-way link failure\n" << describe();

  for (auto& m : members_) m->close_input();  // end of input: every member leaves
  for (auto& c : children_) {
    auto result = c->wait(30s);
    ASSERT_TRUE(result) << result.error().to_string();
    EXPECT_TRUE(result->success()) << result->describe() << "\n" << describe();
  }
  std::vector<std::string> check{CHECK_HISTORY_BIN, "--total-order"};
  check.insert(check.end(), histories_.begin(), histories_.end());
  auto verdict = run_command(check);
  ASSERT_TRUE(verdict) << verdict.error().to_string();
  EXPECT_TRUE(verdict->success()) << verdict->out << verdict->err << describe();
  std::printf("%s", verdict->out.c_str());
}

}  // namespace
}  // namespace cohort::testbed
