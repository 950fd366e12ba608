#include "cohort/core/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace cohort {
namespace {

TEST(Config, ReadsTypedValuesByDottedKey) {
  auto c = Config::parse(R"(
name = "lab"
[group]
heartbeat_ms = 250
loss = 0.05
multicast = true
peers = ["a:1", "b:2"]
)");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(*c->get_string("name"), "lab");
  EXPECT_EQ(*c->get_int("group.heartbeat_ms"), 250);
  EXPECT_DOUBLE_EQ(*c->get_double("group.loss"), 0.05);
  EXPECT_DOUBLE_EQ(*c->get_double("group.heartbeat_ms"), 250.0);
  EXPECT_TRUE(*c->get_bool("group.multicast"));
  EXPECT_EQ(c->get_strings("group.peers")->size(), 2u);
  EXPECT_EQ(*c->get_int_or("group.absent", 7), 7);
}

TEST(Config, ErrorsNameTheKeyAndTheSource) {
  auto c = Config::parse("port = \"x\"\n", "test.toml");
  ASSERT_TRUE(c.ok());
  auto wrong = c->get_int("port");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), Errc::invalid_argument);
  EXPECT_NE(wrong.error().message().find("test.toml"), std::string::npos);
  EXPECT_NE(wrong.error().message().find("port"), std::string::npos);
  auto absent = c->get_string("nope");
  EXPECT_EQ(absent.error().code(), Errc::not_found);
  auto wrong_or = c->get_int_or("port", 1);
  EXPECT_FALSE(wrong_or.ok());
}

TEST(Config, SyntaxErrorsCarryLineNumbers) {
  auto c = Config::parse("a = 1\nb = = 2\n", "bad.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), Errc::malformed);
  EXPECT_NE(c.error().message().find("bad.toml:2"), std::string::npos) << c.error().message();
}

TEST(Config, LoadsFilesAndReportsMissingOnes) {
  std::string path = ::testing::TempDir() + "cohort_config_test.toml";
  {
    std::ofstream out(path);
    out << "x = 42\n";
  }
  auto c = Config::load_file(path);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(*c->get_int("x"), 42);
  std::remove(path.c_str());
  auto missing = Config::load_file(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), Errc::not_found);
}

}  // namespace
}  // namespace cohort
