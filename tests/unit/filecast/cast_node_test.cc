// filecast's machines on real UDP sockets on loopback: one SenderNode and two
// ReceiverNodes in one process, channels by unicast fan-out (loopback has no
// multicast without root). A tree with the edge sizes arrives byte-exact on
// both receivers, and only under its final names.
#include "cohort/filecast/node.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cohort/core/rng.h"
#include "cohort/filecast/digest.h"

namespace cohort::filecast {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)

constexpr std::uint32_t kBlock = 1000;
constexpr std::uint16_t kK = 8;

void write_file(const fs::path& path, std::size_t size, Rng& rng) {
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng.next());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class CastNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("cohort-cast-node-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "src/tree/sub");
    Rng rng(7);
    write_file(root_ / "src/tree/empty", 0, rng);
    write_file(root_ / "src/tree/one", 1, rng);
    write_file(root_ / "src/tree/sub/exact", std::size_t{kK} * kBlock, rng);  // exactly one full group
    write_file(root_ / "src/tree/sub/random", 3 << 20, rng);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(root_);
  }

  fs::path root_;
};

TEST_F(CastNodeTest, ATreeArrivesByteExactOnTwoReceiversByUnicast) {
  auto loop = EventLoop::create().value();
  auto content = collect_entries({(root_ / "src/tree").string()});
  ASSERT_TRUE(content) << content.error().to_string();
  SessionParams params{kBlock, kK, 2, -1, 0};
  const DigestKey key = random_digest_key();
  auto digests = digest_groups(*content, params, key);
  ASSERT_TRUE(digests) << digests.error().to_string();

  SessionInfo info{.session_id = random_u64(),
                   .params = params,
                   .entries = content->entries,
                   .digest_key = key,
                   .group_digests = *digests};
  NodeOptions options;
  auto sender_socket = bind_node_socket(Address::ipv4_loopback(0), options).value();
  NetworkPlan plan;
  plan.unicast = true;
  plan.sender = {0, sender_socket.local_address().value().to_string()};
  std::vector<std::unique_ptr<ReceiverNode>> receivers;
  std::vector<UdpSocket> sockets;
  for (NodeId id : {1u, 2u}) {
    sockets.push_back(bind_node_socket(Address::ipv4_loopback(0), options).value());
    plan.receivers.push_back({id, sockets.back().local_address().value().to_string()});
  }
  for (NodeId id : {1u, 2u}) {
    CastSetup setup{info, plan};
    setup.plan.self = id;
    auto decoded = decode_setup(encode_setup(setup));  // as it crosses the control channel
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    auto node = ReceiverNode::create(*loop, std::move(sockets[id - 1]), std::move(*decoded),
                                     (root_ / ("dest" + std::to_string(id))).string(), options);
    ASSERT_TRUE(node) << node.error().to_string();
    receivers.push_back(std::move(*node));
  }
  auto sender = SenderNode::create(*loop, std::move(sender_socket), *content, info, plan, options);
  ASSERT_TRUE(sender) << sender.error().to_string();
  // Each receiver says when it has ended, once; the test waits for that, not for a poll.
  std::vector<int> ended(receivers.size(), 0);
  for (std::size_t i = 0; i < receivers.size(); ++i) receivers[i]->start([&ended, i] { ++ended[i]; });
  (*sender)->start();

  auto done = [&] { return std::all_of(ended.begin(), ended.end(), [](int n) { return n > 0; }); };
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!done() && std::chrono::steady_clock::now() < deadline) ASSERT_TRUE(loop->run_for(20ms));
  ASSERT_TRUE(loop->run_for(50ms));
  EXPECT_EQ(ended, std::vector<int>(receivers.size(), 1));

  for (std::size_t i = 0; i < receivers.size(); ++i) {
    ASSERT_EQ(receivers[i]->outcome(), CastReceiver::Outcome::complete) << receivers[i]->failure();
    ASSERT_TRUE(receivers[i]->finish());
    fs::path dest = root_ / ("dest" + std::to_string(i + 1)) / "tree";
    for (const char* name : {"empty", "one", "sub/exact", "sub/random"}) {
      EXPECT_EQ(read_file(dest / name), read_file(root_ / "src/tree" / name)) << "receiver " << i + 1 << ": " << name;
    }
    std::size_t names = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dest)) names += entry.is_regular_file() ? 1u : 0u;
    EXPECT_EQ(names, 4u) << "a part file or sidecar was left beside the finished files";
  }
}

}  // namespace
}  // namespace cohort::filecast
