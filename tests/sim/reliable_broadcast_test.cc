// The reliable-broadcast proof protocol: its codec, and that the checker
// catches a broken protocol (so a passing sweep means something).
#include "cohort/sim/reliable_broadcast.h"

#include <gtest/gtest.h>

#include "cohort/core/bytes.h"
#include "cohort/sim/rbcast_checker.h"
#include "cohort/sim/rbcast_scenario.h"

namespace cohort::sim {
namespace {

TEST(RbPacket, RoundTripsEveryType) {
  for (auto type : {RbPacket::Type::data, RbPacket::Type::ack, RbPacket::Type::hello, RbPacket::Type::hello_ack}) {
    RbPacket p{type, 3, MessageId{2, 1, 9}, Buffer::copy_of(std::string_view("payload"))};
    if (type != RbPacket::Type::data) p.payload = {};
    if (type == RbPacket::Type::hello || type == RbPacket::Type::hello_ack) p.id = {};
    auto decoded = decode_rb_packet(encode_rb_packet(p));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->type, p.type);
    EXPECT_EQ(decoded->sender_incarnation, 3u);
    EXPECT_EQ(decoded->id, p.id);
    EXPECT_EQ(decoded->payload, p.payload);
  }
}

TEST(RbPacket, RejectsBadTypeTruncationTrailingBytesAndSeqZero) {
  ByteWriter bad_type;
  bad_type.u8(9);
  bad_type.u32(0);
  EXPECT_EQ(decode_rb_packet(bad_type.finish()).error().code(), Errc::malformed);

  Buffer good = encode_rb_packet(RbPacket{RbPacket::Type::ack, 0, MessageId{1, 0, 5}, {}});
  EXPECT_EQ(decode_rb_packet(good.slice(0, good.size() - 1)).error().code(), Errc::truncated);

  ByteWriter trailing;
  trailing.bytes(good);
  trailing.u8(0);
  EXPECT_EQ(decode_rb_packet(trailing.finish()).error().code(), Errc::malformed);

  Buffer zero = encode_rb_packet(RbPacket{RbPacket::Type::ack, 0, MessageId{1, 0, 0}, {}});
  EXPECT_FALSE(decode_rb_packet(zero).ok());
}

TEST(RbcastChecker, FlagsInventedDuplicateAndOutOfOrderDeliveries) {
  std::vector<HistoryEntry> h = {
      {TimePoint{}, 0, 0, "bcast 0 0 1 aa"},  {TimePoint{}, 0, 0, "deliver 0 0 1 aa"},
      {TimePoint{}, 0, 0, "bcast 0 0 2 bb"},  {TimePoint{}, 0, 0, "deliver 0 0 2 bb"},
      {TimePoint{}, 1, 0, "deliver 0 0 2 bb"},  // fifo: skipped seq 1
      {TimePoint{}, 1, 0, "deliver 0 0 2 bb"},  // duplicate
      {TimePoint{}, 1, 0, "deliver 5 0 1 cc"},  // invented
  };
  RbcastCheck c = check_rbcast_history(h, {{0, 0}, {1, 0}});
  std::string all;
  for (const auto& v : c.violations) all += v + "\n";
  EXPECT_NE(all.find("fifo"), std::string::npos) << all;
  EXPECT_NE(all.find("duplicate"), std::string::npos) << all;
  EXPECT_NE(all.find("integrity"), std::string::npos) << all;
  EXPECT_NE(all.find("agreement: node 1 (incarnation 0) never delivered 0.0#1"), std::string::npos) << all;
}

TEST(RbcastChecker, AcceptsACorrectHistory) {
  std::vector<HistoryEntry> h = {
      {TimePoint{}, 0, 0, "bcast 0 0 1 aa"},
      {TimePoint{}, 0, 0, "deliver 0 0 1 aa"},
      {TimePoint{}, 1, 0, "deliver 0 0 1 aa"},
  };
  EXPECT_TRUE(check_rbcast_history(h, {{0, 0}, {1, 0}}).ok());
}

bool any_seed_fails(ReliableBroadcast::Bug bug) {
  ScenarioOptions options;
  options.bug = bug;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    if (!run_rbcast_scenario(seed, options).ok()) return true;
  }
  return false;
}

TEST(RbcastScenario, CheckerCatchesAProtocolThatNeverRetransmits) {
  EXPECT_TRUE(any_seed_fails(ReliableBroadcast::Bug::no_retransmit));
}

TEST(RbcastScenario, CheckerCatchesAProtocolThatIgnoresFifoOrder) {
  EXPECT_TRUE(any_seed_fails(ReliableBroadcast::Bug::unordered_delivery));
}

TEST(RbcastScenario, RunWithoutFaultsDeliversEverythingEverywhere) {
  ScenarioOptions options;
  options.faults = false;
  ScenarioResult r = run_rbcast_scenario(7, options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.deliveries, r.broadcasts * r.nodes);
}

TEST(RbcastScenario, OneSeedRunTwiceGivesTheSameTraceByteForByte) {
  ScenarioOptions options;
  options.keep_trace = true;
  ScenarioResult a = run_rbcast_scenario(1234, options);
  ScenarioResult b = run_rbcast_scenario(1234, options);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_GT(a.trace.size(), 1000u);
  EXPECT_NE(a.trace_hash, run_rbcast_scenario(1235, options).trace_hash);
}

}  // namespace
}  // namespace cohort::sim
