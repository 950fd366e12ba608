// frag and batch on the simulator: large messages round-trip whole, the
// 64 MiB limit is explicit, and small casts share datagrams yet arrive all
// and in order.
#include <gtest/gtest.h>

#include "cohort/group/layers/frag.h"
#include "group_harness.h"

namespace cohort::group::testing {
namespace {

constexpr std::size_t kMaxFragment = FragOptions{}.max_fragment;

// Casts each size from node 0 and sends it to rank 1; every member gets every
// cast whole and rank 1 gets the sends, in order.
void expect_round_trip(std::uint64_t seed, std::size_t nodes, const std::vector<std::size_t>& sizes) {
  sim::Simulator sim = group_sim(seed, nodes, "frag");
  sim.network().set_default(fifo_links());
  sim.start();
  std::vector<std::uint64_t> hashes;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    Buffer payload = pattern(sizes[i], seed * 1000 + i);
    hashes.push_back(RecordingApp::hash(payload));
    sim.call<GroupMachine>(0, [&](GroupMachine& m, TimePoint now, Actions& out) {
      ASSERT_TRUE(m.cast(now, payload, out).ok()) << "seed " << seed;
      ASSERT_TRUE(m.send(now, 1, payload, out).ok()) << "seed " << seed;
    });
  }
  sim.run_until(at_ms(10'000));
  for (NodeId n = 0; n < nodes; ++n) {
    std::size_t expected = n == 1 ? 2 * sizes.size() : sizes.size();
    const auto& got = app(sim, n).deliveries;
    ASSERT_EQ(got.size(), expected) << "seed " << seed << " node " << n;
    std::size_t cast = 0, send = 0;
    for (const auto& d : got) {
      std::size_t i = d.kind == Msg::Kind::cast ? cast++ : send++;
      EXPECT_EQ(d.size, sizes[i]) << "seed " << seed << " node " << n << " item " << i;
      EXPECT_EQ(d.hash, hashes[i]) << "seed " << seed << " node " << n << " item " << i;
    }
  }
}

TEST(GroupFrag, BoundarySizesRoundTrip) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    expect_round_trip(seed, 3,
                      {0, 1, kMaxFragment - 1, kMaxFragment, kMaxFragment + 1, 3 * kMaxFragment, 1 << 20});
  }
}

TEST(GroupFrag, SixtyFourMebibytesRoundTripAndOneMoreIsRefused) {
  expect_round_trip(11, 2, {kMaxMessageBytes});
  sim::Simulator sim = group_sim(11, 2, "frag");
  sim.start();
  sim.call<GroupMachine>(0, [&](GroupMachine& m, TimePoint now, Actions& out) {
    Buffer too_big(std::vector<std::uint8_t>(kMaxMessageBytes + 1));
    EXPECT_EQ(m.cast(now, too_big, out).error().code(), Errc::too_large);
    EXPECT_EQ(m.send(now, 1, too_big, out).error().code(), Errc::too_large);
  });
  sim.run_until(at_ms(1000));
  EXPECT_TRUE(app(sim, 1).deliveries.empty()) << "seed 11";
}

std::uint64_t packets_for_small_casts(const std::string& stack, std::uint64_t seed, std::size_t casts) {
  sim::Simulator sim = group_sim(seed, 3, stack);
  sim.network().set_default(fifo_links());
  sim.start();
  std::vector<std::uint64_t> hashes;
  sim.call<GroupMachine>(0, [&](GroupMachine& m, TimePoint now, Actions& out) {
    for (std::size_t i = 0; i < casts; ++i) {
      Buffer payload = Buffer::copy_of(fmt::format("small cast {}", i));
      hashes.push_back(RecordingApp::hash(payload));
      ASSERT_TRUE(m.cast(now, payload, out).ok());
    }
  });
  sim.run_until(at_ms(1000));
  for (NodeId n = 0; n < 3; ++n) {
    const auto& got = app(sim, n).deliveries;
    EXPECT_EQ(got.size(), casts) << "seed " << seed << " node " << n << " stack " << stack;
    for (std::size_t i = 0; i < std::min(got.size(), casts); ++i) {
      EXPECT_EQ(got[i].hash, hashes[i]) << "seed " << seed << " node " << n << " position " << i;
    }
  }
  return sim.stats().packets_sent;
}

TEST(GroupBatch, SmallCastsShareDatagramsAndArriveInOrder) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    std::uint64_t plain = packets_for_small_casts("", seed, 300);
    std::uint64_t batched = packets_for_small_casts("batch", seed, 300);
    EXPECT_EQ(plain, 600u) << "seed " << seed;
    EXPECT_LE(batched * 20, plain) << "seed " << seed << ": " << batched << " datagrams";
  }
}

TEST(GroupBatch, SendsToOneRankBatchTogetherAndLargeOnesPassInOrder) {
  sim::Simulator sim = group_sim(5, 3, "batch");
  sim.network().set_default(fifo_links());
  sim.start();
  std::vector<std::size_t> sizes;
  sim.call<GroupMachine>(0, [&](GroupMachine& m, TimePoint now, Actions& out) {
    for (std::size_t i = 0; i < 100; ++i) {
      sizes.push_back(i % 10 == 9 ? 2000 : i);  // every tenth too big to batch
      ASSERT_TRUE(m.send(now, 1, pattern(sizes.back(), i), out).ok());
    }
  });
  sim.run_until(at_ms(1000));
  const auto& got = app(sim, 1).deliveries;
  ASSERT_EQ(got.size(), sizes.size()) << "seed 5";
  for (std::size_t i = 0; i < sizes.size(); ++i) EXPECT_EQ(got[i].size, sizes[i]) << "seed 5 position " << i;
  EXPECT_TRUE(app(sim, 2).deliveries.empty()) << "seed 5";
  EXPECT_LE(sim.stats().packets_sent, 30u) << "seed 5";
}

// frag above batch: fragments are large items and pass alone, small casts
// between them still batch, and everything arrives whole and in order.
TEST(GroupBatch, UnderFragKeepsOrder) {
  sim::Simulator sim = group_sim(9, 3, "frag:batch");
  sim.network().set_default(fifo_links());
  sim.start();
  std::vector<std::uint64_t> hashes;
  sim.call<GroupMachine>(0, [&](GroupMachine& m, TimePoint now, Actions& out) {
    for (std::size_t i = 0; i < 60; ++i) {
      Buffer payload = pattern(i % 20 == 0 ? 10'000 : i, i);
      hashes.push_back(RecordingApp::hash(payload));
      ASSERT_TRUE(m.cast(now, payload, out).ok());
    }
  });
  sim.run_until(at_ms(1000));
  for (NodeId n = 0; n < 3; ++n) {
    const auto& got = app(sim, n).deliveries;
    ASSERT_EQ(got.size(), hashes.size()) << "seed 9 node " << n;
    for (std::size_t i = 0; i < hashes.size(); ++i) EXPECT_EQ(got[i].hash, hashes[i]) << "seed 9 node " << n;
  }
}

}  // namespace
}  // namespace cohort::group::testing
