// cohort exec's ssh compatibility: which `-o` options are accepted, what
// they change, and that the built binary (also as `cohort-exec`) takes the
// options launchers pass and refuses the rest with a reason, before it
// contacts anything.
#include "ssh_options.h"

#include <gtest/gtest.h>

#include "cohort/testbed/process.h"

namespace cohort::cli {
namespace {

TEST(SshOptions, HarmlessConfigOptionsChangeNothing) {
  for (const char* option :
       {"BatchMode=yes", "batchmode no", "StrictHostKeyChecking=no", "ForwardX11=no", "ForwardAgent = No",
        "UserKnownHostsFile=/dev/null", "GlobalKnownHostsFile=/dev/null", "LogLevel=ERROR"}) {
    auto effect = ssh_config_option(option);
    ASSERT_TRUE(effect) << option << ": " << effect.error().to_string();
    EXPECT_FALSE(effect->connect_timeout_s) << option;
  }
}

TEST(SshOptions, ConnectTimeoutBecomesTheConnectTimeout) {
  auto effect = ssh_config_option("ConnectTimeout=7");
  ASSERT_TRUE(effect) << effect.error().to_string();
  ASSERT_TRUE(effect->connect_timeout_s);
  EXPECT_EQ(*effect->connect_timeout_s, 7.0);
  for (const char* bad :
       {"ConnectTimeout=0", "ConnectTimeout=-3", "ConnectTimeout=2.5", "ConnectTimeout=x"}) {
    auto refused = ssh_config_option(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_NE(refused.error().message().find("whole seconds"), std::string::npos)
        << refused.error().message();
  }
}

TEST(SshOptions, AnythingElseIsRefusedWithTheReason) {
  auto forward = ssh_config_option("ForwardX11=yes");
  ASSERT_FALSE(forward);
  EXPECT_NE(forward.error().message().find("never forwards"), std::string::npos) << forward.error().message();
  for (const char* option : {"Port=22", "ProxyJump=gw", "User=alice", "BatchMode", "=yes", ""}) {
    auto refused = ssh_config_option(option);
    ASSERT_FALSE(refused) << option;
    EXPECT_EQ(refused.error().code(), Errc::invalid_argument);
    EXPECT_NE(refused.error().message().find(std::string("'") + option + "'"), std::string::npos)
        << refused.error().message();
  }
}

// The binary, without keys: exit 2 means the command line was refused;
// 255 that it was taken and the run failed later (no CA configured).
testbed::CommandResult run(std::vector<std::string> args, const std::string& program = COHORT_EXEC_BIN) {
  args.insert(args.begin(), program);
  testbed::RunOptions options;
  options.env = {"HOME=/nonexistent", "COHORT_CA=", "COHORT_CERT=", "COHORT_KEY="};
  auto result = testbed::run_command(args, options);
  EXPECT_TRUE(result) << result.error().to_string();
  return result ? *result : testbed::CommandResult{};
}

TEST(ExecCli, TakesWhatHydraAndSshCallersPass) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"-x", "127.0.0.1", "\"/usr/bin/hydra_pmi_proxy\"", "--control-port", "h:1"},
        {"-x", "-a", "-q", "-T", "-o", "BatchMode=yes", "-oConnectTimeout=3", "127.0.0.1", "true"},
        {"-xaq", "127.0.0.1", "true"}}) {
    auto result = run(args);
    EXPECT_EQ(result.exit_code, 255) << args[0] << "\n" << result.err;
    EXPECT_EQ(result.err.find("was not expected"), std::string::npos) << result.err;
  }
  auto same = run({"exec", "-x", "127.0.0.1", "true"}, COHORT_BIN);
  EXPECT_EQ(same.exit_code, 255) << same.err;
}

TEST(ExecCli, RefusesWhatItCannotHonourAndSaysWhy) {
  struct Case {
    std::vector<std::string> args;
    std::string reason;
  };
  for (const auto& c : std::vector<Case>{
           {{"-X", "127.0.0.1", "true"}, "does not forward X11"},
           {{"-Y", "127.0.0.1", "true"}, "does not forward X11"},
           {{"-o", "Port=22", "127.0.0.1", "true"}, "not an ssh option cohort exec accepts"},
           {{"-o", "ForwardAgent=yes", "127.0.0.1", "true"}, "never forwards"},
           {{"alice@127.0.0.1", "true"}, "account map"},
           {{"-t", "-T", "127.0.0.1", "true"}, "excludes"},
           {{"-l", "alice", "127.0.0.1", "true"}, "unknown option '-l'"},
       }) {
    auto result = run(c.args);
    EXPECT_EQ(result.exit_code, 2) << c.args[0] << "\n" << result.err;
    EXPECT_NE(result.err.find(c.reason), std::string::npos) << c.args[0] << "\n" << result.err;
  }
}

TEST(ExecCli, TheCohortExecNameIsTheExecCommand) {
  auto help = run({"--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("cohort exec [OPTIONS] HOST"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("ssh compatibility"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace cohort::cli
