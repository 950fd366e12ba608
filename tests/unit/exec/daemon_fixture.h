// What the in-process daemon tests share: a cluster CA with a loopback host
// certificate and one for the account running the tests (mapped to itself),
// a daemon configuration on 127.0.0.1, client TLS contexts, and a bounded
// way to turn the event loop until something has happened.
#pragma once

#include <fstream>
#include <functional>
#include <memory>

#include "cohort/core/event_loop.h"
#include "cohort/exec/accounts.h"
#include "cohort/exec/daemon_config.h"
#include "cohort/transport/tls.h"
#include "keys_fixture.h"

namespace cohort::exec::testing {

class LoopbackDaemonTest : public KeysTest {
 protected:
  void SetUp() override {
    KeysTest::SetUp();
    ca_ = make_ca();
    issue(true, ca_, "localhost", IssueOptions{.ips = {"127.0.0.1"}});
    auto me = current_account();
    ASSERT_TRUE(me);
    me_ = me->name;
    issue(false, ca_, me_);
    std::ofstream(root_ / "accounts") << me_ << " " << me_ << "\n";
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    loop_ = std::move(*loop);
  }

  DaemonConfig daemon_config() const {
    DaemonConfig config;
    config.cluster = "lab";
    config.listen = "127.0.0.1:0";
    config.tls = {(ca_ / "ca.pem").string(), (ca_ / "hosts/localhost.pem").string(),
                  (ca_ / "hosts/localhost.key").string(), (ca_ / "crl.pem").string()};
    config.account_map = (root_ / "accounts").string();
    config.grace_ms = 200;
    return config;
  }

  // A client context trusting our CA, holding `name`'s certificate of kind
  // "users" or "hosts" as issued by the CA in `issuer`.
  tls::ContextPtr client_tls(const std::filesystem::path& issuer, const std::string& kind, const std::string& name) {
    auto ctx = tls::client_context({(ca_ / "ca.pem").string(), (issuer / kind / (name + ".pem")).string(),
                                    (issuer / kind / (name + ".key")).string(), ""});
    EXPECT_TRUE(ctx) << ctx.error().to_string();
    return ctx ? std::move(*ctx) : nullptr;
  }

  // Turns the loop until `done` holds or `turns` of 10 ms have passed; says which.
  bool spin_until(const std::function<bool()>& done, int turns = 500) {
    for (int i = 0; i < turns && !done(); ++i) (void)loop_->run_for(std::chrono::milliseconds(10));
    return done();
  }

  std::filesystem::path ca_;
  std::string me_;
  std::unique_ptr<EventLoop> loop_;
};

}  // namespace cohort::exec::testing
