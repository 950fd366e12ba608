// The receiver's request retries, driven by hand: before any answer a
// request is repeated after kFirstRetry; once answers have come, after
// kRetryAnswers times the time they took (at least kMinRetry), so that a lost
// request costs about what the network takes rather than a fixed 50 ms.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "../../machine_actions.h"
#include "cohort/filecast/digest.h"
#include "cohort/filecast/fec.h"
#include "cohort/filecast/packet.h"
#include "cohort/filecast/receiver.h"
#include "protocol.h"

namespace cohort::filecast {
namespace {

using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)
using cohort::testing::actions_of;

constexpr std::uint32_t kBlock = 16;
constexpr std::uint16_t kK = 4;
constexpr NodeId kSender = 0;
constexpr TimerKey kGroupTimerBase = TimerKey{1} << 32;  // the receiver's request timers

class MemorySink final : public ContentSink {
 public:
  bool has_group(std::uint64_t) const override { return false; }
  Status write_group(std::uint64_t group, std::span<const std::uint8_t> bytes) override {
    groups[group].assign(bytes.begin(), bytes.end());
    return ok_status();
  }
  std::map<std::uint64_t, std::vector<std::uint8_t>> groups;
};

class ReceiverRetryTest : public ::testing::Test {
 protected:
  ReceiverRetryTest() : rng_(7), codec_(kSession, std::nullopt, rng_) {
    for (std::size_t i = 0; i < content_.size(); ++i) content_[i] = static_cast<std::uint8_t>(i * 31 + 7);
    info_.session_id = kSession;
    info_.params.block_size = kBlock;
    info_.params.k = kK;
    info_.params.repair_channels = 1;
    info_.entries = {CastEntry{.kind = CastEntry::Kind::file, .path = "f", .size = content_.size()}};
    info_.digest_key.fill(3);
    GroupDigester digester(info_.digest_key);
    for (std::uint64_t g = 0; g < kGroups; ++g) info_.group_digests.push_back(digester(g, group_bytes(g)));
    receiver_ = std::make_unique<CastReceiver>(info_, sink_, kSender, Rng(9));
    Actions out;
    receiver_->start(now_, out);
  }

  std::span<const std::uint8_t> group_bytes(std::uint64_t g) const {
    return std::span(content_).subspan(g * kBlock * kK, kBlock * kK);
  }

  Actions deliver(PacketBody body) {
    Actions out;
    receiver_->on_packet(now_, kSender, codec_.encode(std::move(body)), out);
    return out;
  }

  void send_data(std::uint64_t g, BlockId b) {
    const auto block = group_bytes(g).subspan(std::size_t{b} * kBlock, kBlock);
    deliver(DataPacket{next_pos(g), g, b, Buffer::copy_of(ByteView(block.data(), block.size()))});
  }

  void send_repair(std::uint64_t g, std::uint16_t index, std::uint16_t round_end) {
    auto rs = RsCodec::create(kK).value();
    std::vector<const std::uint8_t*> data;
    for (std::size_t b = 0; b < kK; ++b) data.push_back(group_bytes(g).data() + b * kBlock);
    std::vector<std::uint8_t> repair(kBlock);
    const int which[] = {index};
    std::uint8_t* outs[] = {repair.data()};
    ASSERT_TRUE(rs.encode(data, kBlock, which, outs));
    deliver(RepairPacket{next_pos(g), g, index, round_end, Buffer(std::move(repair))});
  }

  StreamPos next_pos(std::uint64_t g) { return StreamPos{++seq_, g + 1}; }

  // Fires group g's timer until it asks; returns how long the receiver will
  // then wait for an answer before asking again.
  Duration ask_and_wait(std::uint64_t g) {
    for (int fired = 0; fired < 4; ++fired) {
      Actions out;
      receiver_->on_timer(now_, kGroupTimerBase + g, out);
      if (!actions_of<MulticastAction>(out).empty()) {
        auto timers = actions_of<SetTimerAction>(out);
        EXPECT_EQ(timers.size(), 1u);
        return timers.empty() ? Duration{} : timers.back().after;
      }
    }
    ADD_FAILURE() << "group " << g << " never asked";
    return {};
  }

  static constexpr std::uint64_t kSession = 42;
  static constexpr std::uint64_t kGroups = 3;
  std::vector<std::uint8_t> content_ = std::vector<std::uint8_t>(kGroups * kK * kBlock);
  Rng rng_;
  PacketCodec codec_;
  SessionInfo info_;
  MemorySink sink_;
  std::unique_ptr<CastReceiver> receiver_;
  TimePoint now_{};
  std::uint64_t seq_ = 0;
};

TEST_F(ReceiverRetryTest, ARequestIsRepeatedAtThePaceAnswersCameAt) {
  // Group 0 loses block 2; group 1's data shows group 0's pass is over.
  for (int b : {0, 1, 3}) send_data(0, static_cast<BlockId>(b));
  send_data(1, 0);
  EXPECT_EQ(ask_and_wait(0), protocol::kFirstRetry) << "no answer seen yet: the conservative wait";
  now_ += 2ms;
  send_repair(0, 0, 1);  // the answer, 2 ms after the request
  ASSERT_EQ(sink_.groups.count(0), 1u) << "group 0 was not completed by its answer";
  EXPECT_EQ(sink_.groups[0], std::vector<std::uint8_t>(group_bytes(0).begin(), group_bytes(0).end()));

  // Group 1 loses block 1; group 2's data ends its pass. Answers took 2 ms,
  // so its request is repeated after 4 x 2 ms, raised to kMinRetry.
  for (int b : {2, 3}) send_data(1, static_cast<BlockId>(b));
  send_data(2, 0);
  EXPECT_EQ(ask_and_wait(1), protocol::kMinRetry);
  now_ += 20ms;
  send_repair(1, 0, 1);  // 20 ms: the smoothed time is (7 x 2 + 20) / 8 ms

  for (int b : {1, 2}) send_data(2, static_cast<BlockId>(b));
  deliver(StopPacket{next_pos(kGroups), kGroups});
  const Duration smoothed = (7 * Duration(2ms) + Duration(20ms)) / 8;
  EXPECT_EQ(ask_and_wait(2), protocol::kRetryAnswers * smoothed);
}

}  // namespace
}  // namespace cohort::filecast
