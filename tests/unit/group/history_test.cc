// The history format: every event survives a round trip, malformed lines are
// refused with a reason, files report the line, and HistoryRecorder writes a
// history the checker accepts.
#include "cohort/group/history.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cohort/group/history_checker.h"

namespace cohort::group {
namespace {

std::vector<HistoryEvent> every_event() {
  return {
      ViewInstalled{"1.0", "7:1.0", 7, {"1.0", "2.0"}, true},
      ViewInstalled{"2.0", "8:2.0", 8, {}, false},
      MessageCast{"1.0", "1.0:1"},
      MessageDelivered{"2.0", "1.0:1", "1.0"},
      Blocked{"1.0"},
      StateSent{"1.0", "7:1.0", "abc"},
      StateReceived{"2.0", "7:1.0", ""},
      Exited{"1.0", ExitReason::leave},
      Exited{"2.0", ExitReason::crash},
  };
}

TEST(HistoryFormat, EveryEventRoundTrips) {
  for (const HistoryEvent& e : every_event()) {
    std::string line = to_json_line(e);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    auto parsed = parse_history_line(line);
    ASSERT_TRUE(parsed.ok()) << line << ": " << parsed.error().message();
    EXPECT_EQ(*parsed, e) << line;
  }
}

TEST(HistoryFormat, WritesTheFieldsTheIssueNames) {
  EXPECT_EQ(to_json_line(MessageDelivered{"2.0", "1.0:1", "1.0"}),
            R"({"ev":"deliver","member":"2.0","msg":"1.0:1","from":"1.0"})");
}

TEST(HistoryFormat, ViewWithoutLtimeTakesItFromTheId) {
  auto e = parse_history_line(R"({"ev":"view","member":"a","view":"12:a","members":["a"],"primary":false})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(std::get<ViewInstalled>(*e).ltime, 12u);
}

void expect_error(std::string_view line, std::string_view part) {
  auto e = parse_history_line(line);
  ASSERT_FALSE(e.ok()) << line;
  EXPECT_NE(e.error().message().find(part), std::string::npos) << e.error().message();
}

TEST(HistoryFormat, RefusesMissingFields) {
  expect_error(R"({"ev":"cast","member":"a"})", "missing field \"msg\"");
  expect_error(R"({"member":"a","msg":"x"})", "missing field \"ev\"");
  expect_error(R"({"ev":"deliver","member":"a","msg":"x"})", "missing field \"from\"");
  expect_error(R"({"ev":"view","member":"a","view":"1:a","members":["a"]})", "missing field \"primary\"");
  expect_error(R"({"ev":"state","member":"a","view":"1:a"})", "missing field \"digest\"");
}

TEST(HistoryFormat, RefusesWrongTypes) {
  expect_error(R"({"ev":"cast","member":3,"msg":"x"})", "\"member\" must be a string");
  expect_error(R"({"ev":"view","member":"a","view":"1:a","members":"a","primary":true})", "\"members\"");
  expect_error(R"({"ev":"view","member":"a","view":"1:a","members":[1],"primary":true})", "\"members\"");
  expect_error(R"({"ev":"view","member":"a","view":"1:a","members":[],"primary":"yes"})", "\"primary\"");
  expect_error(R"({"ev":"view","member":"a","view":"v","ltime":-1,"members":[],"primary":true})",
               "\"ltime\"");
  expect_error(R"({"ev":"view","member":"a","view":"v","ltime":4294967296,"members":[],"primary":true})",
               "\"ltime\"");
  expect_error(R"({"ev":"exit","member":"a","reason":"bored"})", "\"reason\"");
  expect_error(R"({"ev":"cast","member":"","msg":"x"})", "empty");
}

TEST(HistoryFormat, RefusesGarbage) {
  expect_error("", "not valid JSON");
  expect_error("{\"ev\":", "not valid JSON");
  expect_error("[1,2]", "not a JSON object");
  expect_error(R"({"ev":"dance","member":"a"})", "unknown event");
  expect_error(R"({"ev":"view","member":"a","view":"nolt","members":[],"primary":true})", "LTIME");
  expect_error(std::string(100, '['), "nested too deeply");
  expect_error(std::string(kMaxHistoryLineBytes + 1, ' '), "longer");
  expect_error(R"({"ev":"cast","member":"a","msg":")" + std::string(kMaxHistoryNameBytes + 1, 'x') + "\"}",
               "longer");
}

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path;
}

TEST(HistoryFormat, FileErrorsNameTheFileAndLine) {
  auto path = write_temp("cohort_history_test_bad.jsonl",
                         "{\"ev\":\"block\",\"member\":\"a\"}\n\n{\"ev\":\"cast\",\"member\":\"a\"}\n");
  auto read = read_history_file(path);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().message(), path.string() + ":3: missing field \"msg\"");
  std::filesystem::remove(path);
  EXPECT_EQ(read_history_file(path).error().code(), Errc::not_found);
}

TEST(HistoryFormat, ReadsAFileSkippingBlankLines) {
  std::string text;
  for (const HistoryEvent& e : every_event()) text += to_json_line(e) + "\n\n";
  auto path = write_temp("cohort_history_test_good.jsonl", text);
  auto read = read_history_file(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(read.ok()) << read.error().message();
  EXPECT_EQ(*read, every_event());
}

TEST(HistoryPayload, CarriesTheIdBeforeTheData) {
  EXPECT_EQ(make_history_payload("1.0:3", "hello world"), "1.0:3 hello world");
  EXPECT_EQ(history_payload_id("1.0:3 hello world"), "1.0:3");
  EXPECT_EQ(make_history_payload("1.0:3", ""), "1.0:3");
  EXPECT_EQ(history_payload_id("1.0:3"), "1.0:3");
}

std::vector<HistoryEvent> outputs_as_events(const Actions& out) {
  std::vector<HistoryEvent> events;
  for (const Action& a : out.list()) {
    if (const auto* o = std::get_if<OutputAction>(&a)) {
      auto e = parse_history_line(o->record);
      EXPECT_TRUE(e.ok()) << o->record;
      if (e) events.push_back(*e);
    }
  }
  return events;
}

TEST(HistoryRecorder, RecordsViewCastAndLoopbackDeliveryOfALoneMember) {
  Endpoint self{4, 1};
  GroupConfig config;
  config.stack = "bottom";
  config.static_members = {self};
  auto machine = GroupMachine::create(self, config, Rng(1), std::make_unique<HistoryRecorder>(self));
  ASSERT_TRUE(machine.ok()) << machine.error().message();
  auto& recorder = dynamic_cast<HistoryRecorder&>((*machine)->app());
  Actions out;
  (*machine)->start(TimePoint{}, out);
  ASSERT_TRUE(recorder.cast(**machine, TimePoint{}, "some data", out).ok());
  recorder.exit(ExitReason::leave, out);

  std::vector<HistoryEvent> events = outputs_as_events(out);
  std::vector<HistoryEvent> expected = {
      ViewInstalled{"4.1", "1:4.1", 1, {"4.1"}, true},
      MessageCast{"4.1", "4.1:1"},
      MessageDelivered{"4.1", "4.1:1", "4.1"},
      Exited{"4.1", ExitReason::leave},
  };
  EXPECT_EQ(events, expected);
  EXPECT_TRUE(check_history(events, CheckOptions{}).ok());
}

}  // namespace
}  // namespace cohort::group
