// IP multicast through UdpMachineDriver between real hosts: one member per
// namespace, each running cohort-probe's multicast mode (a Machine that
// joins channel 1 and multicasts datagrams naming itself). Every member must
// hear every other, attributed to the right sender by source address, and a
// one-way block must stop a host's multicasts to that host only.
#include "testbed_fixture.h"

namespace cohort::testbed {
namespace {

constexpr int kCount = 50;
constexpr std::uint16_t kUnicastPort = 7001;
const char* const kGroup = "239.255.88.1:7002";

std::string unicast(const Testbed& bed, int host) { return bed.address(host) + ":" + std::to_string(kUnicastPort); }

class MulticastTest : public TestbedTest {
 protected:
  // Starts the probe on every host at once and returns each one's report.
  std::vector<std::string> multicast_everywhere() {
    std::vector<Child> children;
    for (int h = 0; h < bed().host_count(); ++h) {
      std::vector<std::string> args{"multicast", "--self", std::to_string(h), "--bind", unicast(bed(), h),
                                    "--group", kGroup, "--count", std::to_string(kCount), "--interval-ms", "5",
                                    "--start-after-ms", "500", "--duration-ms", "3000"};
      for (int p = 0; p < bed().host_count(); ++p) {
        args.insert(args.end(), {"--peer", std::to_string(p) + "=" + unicast(bed(), p)});
      }
      auto child = bed().spawn(h, probe(args));
      EXPECT_TRUE(child) << child.error().to_string();
      if (child) children.push_back(std::move(child).value());
    }
    std::vector<std::string> reports;
    for (Child& child : children) {
      auto result = child.wait(30s);
      EXPECT_TRUE(result && result->success()) << (result ? result->describe() + " " + result->err
                                                          : result.error().to_string());
      reports.push_back(result ? result->out : "");
    }
    return reports;
  }
};

TEST_F(MulticastTest, EveryMemberHearsEveryOtherAttributedToItsSender) {
  auto reports = multicast_everywhere();
  ASSERT_EQ(reports.size(), 3u);
  for (int h = 0; h < 3; ++h) {
    const std::string& out = reports[static_cast<std::size_t>(h)];
    EXPECT_EQ(count_after(out, "sent"), kCount) << out;
    for (int p = 0; p < 3; ++p) {
      if (p == h) continue;
      EXPECT_GE(count_after(out, "from" + std::to_string(p)), kCount - 2) << "host " << h << ": " << out;
    }
    EXPECT_EQ(count_after(out, "from" + std::to_string(h)), -1) << "its own multicasts: " << out;
    EXPECT_EQ(count_after(out, "own"), kCount) << "looped back and dropped: " << out;
    EXPECT_EQ(count_after(out, "misattributed"), 0) << out;
    EXPECT_EQ(count_after(out, "unknown"), 0) << out;
    EXPECT_EQ(count_after(out, "join_failures"), 0) << out;
  }
}

TEST_F(MulticastTest, OneWayBlockStopsMulticastToThatHostOnly) {
  ASSERT_TRUE(bed().block_one_way(0, 2));
  auto reports = multicast_everywhere();
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(count_after(reports[2], "from0"), -1) << reports[2];
  EXPECT_GE(count_after(reports[2], "from1"), kCount - 2) << reports[2];
  EXPECT_GE(count_after(reports[1], "from0"), kCount - 2) << reports[1];
  EXPECT_GE(count_after(reports[0], "from2"), kCount - 2) << reports[0];  // the other direction still works
}

}  // namespace
}  // namespace cohort::testbed
