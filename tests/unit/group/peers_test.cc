#include "cohort/group/peers.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace cohort::group {
namespace {

Peer peer(NodeId id, const char* address) { return Peer{id, Address::parse(address).value()}; }

TEST(Peers, ParsesAListWithCommasBlanksAndComments) {
  auto peers = parse_peers("1=127.0.0.1:7001,2=127.0.0.1:7002 # the second\n 3=[::1]:7003,");
  ASSERT_TRUE(peers) << peers.error().to_string();
  EXPECT_EQ(*peers, (std::vector<Peer>{peer(1, "127.0.0.1:7001"), peer(2, "127.0.0.1:7002"), peer(3, "[::1]:7003")}));
}

TEST(Peers, RefusalsSayWhatIsWrong) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c : {Case{"", "empty"}, Case{"127.0.0.1:7001", "no '='"}, Case{"x=127.0.0.1:7001", "not a node id"},
                        Case{"-1=127.0.0.1:7001", "not a node id"}, Case{"1=localhost:7001", "numeric"},
                        Case{"1=127.0.0.1", "ID=HOST:PORT"}, Case{"1=127.0.0.1:7001,1=127.0.0.1:7002", "listed twice"},
                        Case{"1=127.0.0.1:7001,2=127.0.0.1:7001", "nodes 1 and 2"}}) {
    auto peers = parse_peers(c.text);
    ASSERT_FALSE(peers) << c.text;
    EXPECT_EQ(peers.error().code(), Errc::invalid_argument) << c.text;
    EXPECT_NE(peers.error().message().find(c.says), std::string::npos) << c.text << ": " << peers.error().message();
  }
}

TEST(Peers, LoadsAFileAndNamesItInErrors) {
  auto dir = std::filesystem::temp_directory_path() / ("cohort-peers-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "good") << "# members\n1=10.0.0.1:7000\n2=10.0.0.2:7000\n";
    std::ofstream(dir / "bad") << "1=10.0.0.1:7000\nnonsense\n";
  }
  auto good = load_peers((dir / "good").string());
  ASSERT_TRUE(good) << good.error().to_string();
  EXPECT_EQ(good->size(), 2u);
  auto bad = load_peers((dir / "bad").string());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find((dir / "bad").string()), std::string::npos) << bad.error().message();
  auto missing = load_peers((dir / "missing").string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::not_found);
  std::filesystem::remove_all(dir);
}

TEST(Peers, FindsByIdAndIncarnationsAreNeverZero) {
  std::vector<Peer> peers{peer(4, "127.0.0.1:1"), peer(9, "127.0.0.1:2")};
  ASSERT_NE(find_peer(peers, 9), nullptr);
  EXPECT_EQ(find_peer(peers, 9)->address.port(), 2);
  EXPECT_EQ(find_peer(peers, 5), nullptr);
  EXPECT_NE(incarnation_from_clock(), 0u);
}

}  // namespace
}  // namespace cohort::group
