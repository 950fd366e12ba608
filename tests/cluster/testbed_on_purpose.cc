// Tests that fail or abort on purpose while a testbed is up, run only as a
// child process by TestbedCleanup.FailingTestsLeaveNothing (not registered
// with ctest). Each prints its run name first so the parent can look for
// leftovers.
#include "testbed_fixture.h"

namespace cohort::testbed {
namespace {

TEST_F(TestbedTest, FailsOnPurpose) {
  std::printf("run %s\n", bed().name().c_str());
  std::fflush(stdout);
  auto echo = start(1, "echo", 60000);
  FAIL() << "failing on purpose";
}

TEST_F(TestbedTest, AbortsOnPurpose) {
  std::printf("run %s\n", bed().name().c_str());
  std::fflush(stdout);
  auto echo = start(1, "echo", 60000);
  std::abort();
}

}  // namespace
}  // namespace cohort::testbed
