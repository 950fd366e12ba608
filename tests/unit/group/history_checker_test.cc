// The history checker: a correct history passes every property, and for each
// property a hand-written history that breaks it is flagged under that
// property alone.
#include "cohort/group/history_checker.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace cohort::group {
namespace {

using Events = std::vector<HistoryEvent>;

HistoryEvent view(const std::string& m, std::uint32_t ltime, const std::string& coordinator,
                  std::vector<std::string> members, bool primary = true) {
  return ViewInstalled{m, fmt::format("{}:{}", ltime, coordinator), ltime, std::move(members), primary};
}
HistoryEvent cast(const std::string& m, const std::string& msg) { return MessageCast{m, msg}; }
HistoryEvent deliver(const std::string& m, const std::string& msg, const std::string& from) {
  return MessageDelivered{m, msg, from};
}

CheckOptions all_checks() {
  CheckOptions o;
  o.total_order = true;
  o.expect_final_view = true;
  return o;
}

// a and b cast in view 1, c joins in view 2 with state from a and b; the
// members' events are interleaved.
Events correct_history() {
  return {
      view("a", 1, "a", {"a", "b"}),
      view("b", 1, "a", {"a", "b"}),
      cast("a", "a:1"),
      cast("b", "b:1"),
      deliver("b", "a:1", "a"),
      deliver("a", "a:1", "a"),
      deliver("a", "b:1", "b"),
      cast("a", "a:2"),
      deliver("b", "b:1", "b"),
      deliver("a", "a:2", "a"),
      deliver("b", "a:2", "a"),
      Blocked{"a"},
      Blocked{"b"},
      view("a", 2, "a", {"a", "b", "c"}),
      StateSent{"a", "2:a", "d3"},
      view("b", 2, "a", {"a", "b", "c"}),
      StateSent{"b", "2:a", "d3"},
      view("c", 2, "a", {"a", "b", "c"}),
      StateReceived{"c", "2:a", "d3"},
      cast("c", "c:1"),
      deliver("c", "c:1", "c"),
      deliver("a", "c:1", "c"),
      deliver("b", "c:1", "c"),
  };
}

// The named property is violated and every other one holds.
void expect_only(const HistoryCheck& check, const std::string& property) {
  for (const PropertyResult& p : check.properties) {
    if (p.name == property) {
      EXPECT_FALSE(p.ok()) << property << " not flagged";
      EXPECT_FALSE(p.violations.empty());
    } else {
      EXPECT_TRUE(p.ok()) << p.name << ": " << (p.violations.empty() ? "" : p.violations.front());
    }
  }
  EXPECT_FALSE(check.ok());
}

void expect_only(const Events& events, const std::string& property,
                 const CheckOptions& options = all_checks()) {
  expect_only(check_history(events, options), property);
}

TEST(HistoryChecker, CorrectHistoryPassesEveryProperty) {
  HistoryCheck check = check_history(correct_history(), all_checks());
  for (const PropertyResult& p : check.properties) {
    EXPECT_TRUE(p.checked) << p.name;
    EXPECT_TRUE(p.ok()) << p.name << ": " << (p.violations.empty() ? "" : p.violations.front());
  }
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(check.members, 3u);
  EXPECT_EQ(check.views, 2u);
  EXPECT_EQ(check.casts, 4u);
  EXPECT_EQ(check.deliveries, 9u);
}

TEST(HistoryChecker, OptionalPropertiesAreReportedAsNotChecked) {
  HistoryCheck check = check_history(correct_history(), CheckOptions{});
  EXPECT_FALSE(check.find("total order")->checked);
  EXPECT_FALSE(check.find("liveness")->checked);
  EXPECT_TRUE(check.ok());
}

TEST(HistoryChecker, WellFormedFlagsEventsAfterExit) {
  expect_only({view("a", 1, "a", {"a"}), Exited{"a", ExitReason::crash}, cast("a", "a:1")}, "well-formed");
}

TEST(HistoryChecker, WellFormedFlagsEventsBeforeAnyView) {
  expect_only({deliver("a", "b:1", "b"), view("a", 1, "a", {"a"})}, "well-formed");
}

TEST(HistoryChecker, WellFormedFlagsCastAfterBlock) {
  expect_only({view("a", 1, "a", {"a"}), Blocked{"a"}, cast("a", "a:1"), deliver("a", "a:1", "a")},
              "well-formed");
}

TEST(HistoryChecker, ViewAgreementFlagsDifferentMembershipsOfOneView) {
  expect_only({view("a", 1, "a", {"a", "b"}), view("b", 1, "a", {"a", "b", "c"})}, "view agreement",
              CheckOptions{});
}

TEST(HistoryChecker, ViewAgreementFlagsAViewWithoutItsInstaller) {
  expect_only({view("a", 1, "a", {"a"}), view("b", 1, "a", {"a"})}, "view agreement");
}

TEST(HistoryChecker, ViewOrderFlagsAnOlderViewInstalledLater) {
  expect_only({view("a", 2, "a", {"a"}, false), view("a", 1, "b", {"a"}, false)}, "view order");
}

TEST(HistoryChecker, PrimaryChainFlagsConcurrentPrimaryViews) {
  expect_only({view("a", 3, "a", {"a"}), view("b", 3, "b", {"b"})}, "primary chain", CheckOptions{});
}

TEST(HistoryChecker, PrimaryChainFlagsAPrimaryViewWithNoLinkToThePreviousOne) {
  expect_only({view("a", 1, "a", {"a"}), view("b", 2, "b", {"b"})}, "primary chain", CheckOptions{});
}

TEST(HistoryChecker, PrimaryChainAllowsConcurrentNonPrimaryViews) {
  Events e = {view("a", 1, "a", {"a", "b"}), view("b", 1, "a", {"a", "b"}), view("a", 2, "a", {"a"}),
              view("b", 2, "b", {"b"}, false)};
  EXPECT_TRUE(check_history(e, CheckOptions{}).ok());
}

TEST(HistoryChecker, VirtualSynchronyFlagsDifferentDeliveriesBeforeTheSameNextView) {
  expect_only({view("a", 1, "a", {"a", "b"}), view("b", 1, "a", {"a", "b"}), cast("a", "a:1"),
               deliver("a", "a:1", "a"), view("a", 2, "a", {"a", "b"}), view("b", 2, "a", {"a", "b"})},
              "virtual synchrony", CheckOptions{});
}

TEST(HistoryChecker, VirtualSynchronyAllowsDifferentDeliveriesBeforeDifferentNextViews) {
  Events e = {view("a", 1, "a", {"a", "b"}), view("b", 1, "a", {"a", "b"}), cast("a", "a:1"),
              deliver("a", "a:1", "a"),      view("a", 2, "a", {"a"}),      view("b", 2, "b", {"b"}, false)};
  EXPECT_TRUE(check_history(e, CheckOptions{}).ok());
}

TEST(HistoryChecker, SameViewDeliveryFlagsADeliveryInALaterView) {
  expect_only({view("a", 1, "a", {"a", "b"}), view("b", 1, "a", {"a", "b"}), cast("a", "a:1"),
               deliver("a", "a:1", "a"), view("a", 2, "a", {"a"}), view("b", 2, "b", {"b"}, false),
               deliver("b", "a:1", "a")},
              "same view delivery", CheckOptions{});
}

TEST(HistoryChecker, IntegrityFlagsAnInventedMessage) {
  expect_only({view("a", 1, "a", {"a"}), deliver("a", "x:1", "x")}, "integrity");
}

TEST(HistoryChecker, IntegrityFlagsTheWrongSender) {
  expect_only({view("a", 1, "a", {"a", "b"}), view("b", 1, "a", {"a", "b"}), cast("a", "a:1"),
               deliver("a", "a:1", "a"), deliver("b", "a:1", "b")},
              "integrity");
}

TEST(HistoryChecker, IntegrityFlagsAnIdCastTwice) {
  expect_only({view("a", 1, "a", {"a"}), cast("a", "a:1"), deliver("a", "a:1", "a"), cast("a", "a:1")},
              "integrity");
}

TEST(HistoryChecker, NoDuplicatesFlagsASecondDelivery) {
  expect_only(
      {view("a", 1, "a", {"a"}), cast("a", "a:1"), deliver("a", "a:1", "a"), deliver("a", "a:1", "a")},
      "no duplicates");
}

TEST(HistoryChecker, FifoFlagsDeliveryOutOfCastOrder) {
  expect_only({view("a", 1, "a", {"a", "b"}), view("b", 1, "a", {"a", "b"}), cast("a", "a:1"),
               cast("a", "a:2"), deliver("a", "a:1", "a"), deliver("a", "a:2", "a"), deliver("b", "a:2", "a"),
               deliver("b", "a:1", "a")},
              "fifo", CheckOptions{});
}

TEST(HistoryChecker, FifoFlagsAGapInASendersCasts) {
  expect_only(
      {view("a", 1, "a", {"a", "b"}), view("b", 1, "a", {"a", "b"}), cast("a", "a:1"), cast("a", "a:2"),
       deliver("a", "a:1", "a"), deliver("a", "a:2", "a"), deliver("b", "a:2", "a")},
      "fifo", CheckOptions{});
}

TEST(HistoryChecker, SelfDeliveryFlagsAnOwnCastMissingBeforeTheNextView) {
  expect_only({view("a", 1, "a", {"a"}), cast("a", "a:1"), view("a", 2, "a", {"a"})}, "self delivery");
}

TEST(HistoryChecker, SelfDeliveryFlagsAnOwnCastMissingBeforeALeave) {
  expect_only({view("a", 1, "a", {"a"}), cast("a", "a:1"), Exited{"a", ExitReason::leave}}, "self delivery",
              CheckOptions{});
}

TEST(HistoryChecker, SelfDeliveryExcusesACrashOrAnUnfinishedLastView) {
  Events crash = {view("a", 1, "a", {"a"}), cast("a", "a:1"), Exited{"a", ExitReason::crash}};
  Events cut = {view("a", 1, "a", {"a"}), cast("a", "a:1")};
  EXPECT_TRUE(check_history(crash, CheckOptions{}).ok());
  EXPECT_TRUE(check_history(cut, CheckOptions{}).ok());
}

Events crossed_deliveries() {
  return {view("a", 1, "a", {"a", "b"}),
          view("b", 1, "a", {"a", "b"}),
          cast("a", "a:1"),
          cast("b", "b:1"),
          deliver("a", "a:1", "a"),
          deliver("a", "b:1", "b"),
          deliver("b", "b:1", "b"),
          deliver("b", "a:1", "a")};
}

TEST(HistoryChecker, TotalOrderFlagsCrossedDeliveriesWhenAsked) {
  expect_only(crossed_deliveries(), "total order");
  EXPECT_TRUE(check_history(crossed_deliveries(), CheckOptions{}).ok());
}

TEST(HistoryChecker, LivenessFlagsMembersEndingInDifferentViews) {
  expect_only({view("a", 1, "a", {"a", "b"}), view("b", 1, "a", {"a", "b"}), view("b", 2, "b", {"b"}, false)},
              "liveness");
}

TEST(HistoryChecker, LivenessFlagsAFinalViewCastNotDeliveredEverywhere) {
  Events e = {view("a", 1, "a", {"a", "b"}), view("b", 1, "a", {"a", "b"}), cast("a", "a:1"),
              deliver("a", "a:1", "a")};
  expect_only(e, "liveness");
  EXPECT_TRUE(check_history(e, CheckOptions{}).ok());
}

TEST(HistoryChecker, LivenessFlagsAnExitedMemberInTheFinalView) {
  expect_only({view("a", 1, "a", {"a", "b"}), view("b", 1, "a", {"a", "b"}), Exited{"b", ExitReason::crash}},
              "liveness");
}

TEST(HistoryChecker, StateTransferFlagsAJoinerWithOtherState) {
  expect_only({view("a", 1, "a", {"a", "b"}), StateSent{"a", "1:a", "d1"}, view("b", 1, "a", {"a", "b"}),
               StateReceived{"b", "1:a", "d2"}},
              "state transfer");
}

TEST(HistoryChecker, StateTransferFlagsStateThatNobodySent) {
  expect_only({view("b", 1, "b", {"b"}), StateReceived{"b", "1:b", "d1"}}, "state transfer");
}

TEST(HistoryChecker, StateTransferFlagsSendersThatDisagree) {
  expect_only({view("a", 1, "a", {"a", "b"}), StateSent{"a", "1:a", "d1"}, view("b", 1, "a", {"a", "b"}),
               StateSent{"b", "1:a", "d2"}},
              "state transfer");
}

TEST(HistoryChecker, StateTransferFlagsStateForAnotherView) {
  expect_only({view("a", 1, "a", {"a"}), StateSent{"a", "1:a", "d1"}, view("a", 2, "a", {"a"}),
               StateReceived{"a", "1:a", "d1"}},
              "state transfer");
}

TEST(HistoryChecker, CapsTheViolationsKeptButCountsThemAll) {
  Events e = {view("a", 1, "a", {"a"})};
  for (int i = 0; i < 5; ++i) e.push_back(deliver("a", fmt::format("x:{}", i), "x"));
  CheckOptions o;
  o.max_violations = 2;
  HistoryCheck check = check_history(e, o);
  const PropertyResult* integrity = check.find("integrity");
  ASSERT_NE(integrity, nullptr);
  EXPECT_EQ(integrity->violations.size(), 2u);
  EXPECT_EQ(integrity->violation_count, 5u);
}

}  // namespace
}  // namespace cohort::group
