// The exec wire messages: every kind round-trips, and a decoder fed short,
// oversized or unknown input says so instead of reading past the end.
#include "cohort/exec/protocol.h"

#include <gtest/gtest.h>

#include "cohort/core/bytes.h"

namespace cohort::exec {
namespace {

ExecRequest sample_request() {
  ExecRequest r;
  for (std::size_t i = 0; i < r.nonce.size(); ++i) r.nonce[i] = static_cast<std::uint8_t>(i * 7);
  r.expires_unix_ms = 1'790'000'000'000;
  r.argv = {"sh", "-c", "echo $HOME"};
  r.env = {"A=1", "EMPTY="};
  r.cwd = "/tmp";
  r.expand_env = true;
  r.tty = true;
  r.rows = 50;
  r.cols = 132;
  r.detach = true;
  r.timeout_ms = 5000;
  r.kill_after_ms = 700;
  return r;
}

RunRequest sample_run() {
  RunRequest r;
  r.spec.base = sample_request();
  r.spec.nodes = {"10.0.0.1:7001", "node2:7001", "[fd00::3]:7001"};
  r.spec.per_host = 2;
  r.spec.ranks = 5;
  r.spec.width = 2;
  r.spec.level_timeout_ms = 1500;
  r.spec.stdin_target = StdinTarget::all;
  r.head = 1;
  r.subtree = {2, 0};
  r.user_cert_der = {0x30, 0x82, 1, 2};
  r.signature = std::vector<std::uint8_t>(64, 0xab);
  return r;
}

TEST(ExecProtocol, StdinIsCutIntoFramesTheDaemonTakes) {
  std::vector<std::uint8_t> bytes(2 * kMaxChunkBytes + 5, 7);
  std::vector<StreamChunk> chunks = stdin_chunks(bytes);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].bytes.size(), kMaxChunkBytes);
  EXPECT_EQ(chunks[2].bytes.size(), 5u);
  for (const StreamChunk& c : chunks) EXPECT_EQ(c.stream, Stream::stdin_);
  std::vector<StreamChunk> end = stdin_chunks({});
  ASSERT_EQ(end.size(), 1u);
  EXPECT_TRUE(end[0].bytes.empty());
}

TEST(ExecProtocol, EveryMessageRoundTrips) {
  std::vector<std::uint8_t> binary(300);
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<std::uint8_t>(i);
  std::vector<ExecMessage> messages = {
      sample_request(),
      StreamChunk{Stream::stdin_, binary},
      StreamChunk{Stream::stderr_, {}},
      SignalTask{15},
      WindowSize{24, 80},
      TaskExit{3, 0},
      TaskExit{0, 9},
      Refusal{RefusalReason::not_authorised, "alice is not mapped to an account on h1"},
      TaskStarted{7, 4242},
      ControlRequest{Nonce{1, 2, 3}, 99, ControlOp::kill, 7, 9},
      TaskInfo{7, 4242, TaskState::ended, TaskExit{0, 9}, "alice", "build", "make -j", 1, 2, 3, 4, 5},
      EndOfList{},
      sample_run(),
      RankEvent{3, TaskStarted{7, 4242}},
      RankEvent{4, StreamChunk{Stream::stdout_, binary}},
      RankEvent{0, TaskExit{0, 15}},
      RankEvent{9, Refusal{RefusalReason::unreachable, "relay via h2: no answer"}},
      RankInput{kAllRanks, StreamChunk{Stream::stdin_, {}}},
      RankInput{0, SignalTask{2}},
      RankInput{1, WindowSize{24, 80}},
  };
  for (const auto& m : messages) {
    auto back = decode(encode(m));
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(*back, m);
  }
}

TEST(ExecProtocol, ExitStatusIsShellStyle) {
  EXPECT_EQ((TaskExit{3, 0}.shell_status()), 3);
  EXPECT_EQ((TaskExit{0, 9}.shell_status()), 137);
}

TEST(ExecProtocol, EveryTruncationIsAnError) {
  Buffer full = encode(sample_request());
  for (std::size_t n = 0; n < full.size(); ++n) {
    auto r = decode(ByteView(full.data(), n));
    EXPECT_FALSE(r.ok()) << "decoded from the first " << n << " bytes";
  }
}

TEST(ExecProtocol, TrailingBytesAndUnknownValuesAreRefused) {
  Buffer full = encode(SignalTask{2});
  std::vector<std::uint8_t> longer(full.data(), full.data() + full.size());
  longer.push_back(0);
  EXPECT_FALSE(decode(longer).ok());
  EXPECT_EQ(decode(std::vector<std::uint8_t>{99}).error().code(), Errc::malformed);
  EXPECT_EQ(decode(std::vector<std::uint8_t>{2, 7, 0, 0, 0, 0}).error().code(), Errc::malformed);  // stream 7
  EXPECT_EQ(decode(std::vector<std::uint8_t>{6, 0, 0, 0, 0, 0}).error().code(), Errc::malformed);  // reason 0
}

TEST(ExecProtocol, RequestWithoutProgramIsRefused) {
  ExecRequest r = sample_request();
  r.argv.clear();
  EXPECT_EQ(decode(encode(r)).error().code(), Errc::malformed);
}

TEST(ExecProtocol, OversizedCountsAreRefusedBeforeAllocating) {
  ByteWriter w;
  w.u8(1);  // request
  w.bytes(std::vector<std::uint8_t>(16, 0));
  w.u64(1);
  w.u32(0xffffffff);  // argument count
  EXPECT_EQ(decode(w.finish()).error().code(), Errc::too_large);

  ByteWriter c;
  c.u8(2);
  c.u8(1);
  c.u32(static_cast<std::uint32_t>(kMaxChunkBytes + 1));
  EXPECT_EQ(decode(c.finish()).error().code(), Errc::too_large);
}

}  // namespace
}  // namespace cohort::exec

namespace cohort::exec {
namespace {

TEST(ExecProtocol, ARunRequestMustHoldTogether) {
  auto refused = [](RunRequest r) { return decode(encode(r)).error().code(); };
  RunRequest bad = sample_run();
  bad.head = 3;  // only 3 nodes
  EXPECT_EQ(refused(bad), Errc::malformed);
  bad = sample_run();
  bad.subtree = {2, 1};  // the head again
  EXPECT_EQ(refused(bad), Errc::malformed);
  bad = sample_run();
  bad.spec.ranks = 7;  // 3 nodes x 2
  EXPECT_EQ(refused(bad), Errc::malformed);
  bad = sample_run();
  bad.spec.width = 0;
  EXPECT_EQ(refused(bad), Errc::malformed);
  bad = sample_run();
  bad.spec.level_timeout_ms = 0;
  EXPECT_EQ(refused(bad), Errc::malformed);
}

TEST(ExecProtocol, RankMessagesCarryOnlyTheirKinds) {
  ByteWriter w;
  w.u8(12);  // rank event
  w.u32(1);
  w.u8(3);  // a signal: input, not an event
  w.u8(9);
  EXPECT_EQ(decode(w.finish()).error().code(), Errc::malformed);
  ByteWriter nested;
  nested.u8(13);  // rank input
  nested.u32(1);
  nested.u8(13);  // holding another rank input
  EXPECT_EQ(decode(nested.finish()).error().code(), Errc::malformed);
}

TEST(ExecProtocol, TheSignedBodyCoversEverythingTheUserChose) {
  RunRequest r = sample_run();
  Buffer body = signed_body(r.spec);
  RunRequest hop = r;
  hop.head = 0;
  hop.subtree = {1};
  EXPECT_EQ(signed_body(hop.spec), body);  // head and subtree change per hop
  for (auto change : std::vector<void (*)(RunSpec&)>{
           [](RunSpec& s) { s.base.argv[2] = "rm -rf ~"; }, [](RunSpec& s) { s.nodes[1] = "evil:7001"; },
           [](RunSpec& s) { s.ranks = 6; }, [](RunSpec& s) { s.base.expires_unix_ms += 1; },
           [](RunSpec& s) { s.stdin_target = StdinTarget::none; }}) {
    RunSpec changed = r.spec;
    change(changed);
    EXPECT_NE(signed_body(changed), body);
  }
}

}  // namespace
}  // namespace cohort::exec
