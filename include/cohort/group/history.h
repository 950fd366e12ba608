// The history of a group run as JSON lines, one event per line, in the order
// each member saw its events (docs/group/history.md). Members write it through
// HistoryRecorder; cohort-check-history and other tools read it back and
// check virtual synchrony offline across members.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cohort/core/error.h"
#include "cohort/group/group_machine.h"

namespace cohort::group {

// Limits that keep a hostile or corrupt file from costing much memory.
inline constexpr std::size_t kMaxHistoryLineBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxHistoryNameBytes = 256;     // member, view and message ids
inline constexpr std::size_t kMaxHistoryDigestBytes = 1024;  // state digests
inline constexpr std::size_t kMaxHistoryViewMembers = kNoRank;

// "ev":"view"
struct ViewInstalled {
  std::string member;
  std::string view;
  std::uint32_t ltime = 0;  // orders views; the "ltime" field, or the view id's "LTIME:" prefix
  std::vector<std::string> members;
  bool primary = false;
  bool operator==(const ViewInstalled&) const = default;
};
// "ev":"cast"
struct MessageCast {
  std::string member;
  std::string msg;
  bool operator==(const MessageCast&) const = default;
};
// "ev":"deliver"
struct MessageDelivered {
  std::string member;
  std::string msg;
  std::string from;
  bool operator==(const MessageDelivered&) const = default;
};
// "ev":"block": the member promised not to cast until its next view.
struct Blocked {
  std::string member;
  bool operator==(const Blocked&) const = default;
};
// "ev":"state_sent": the member handed its state, as of installing `view`,
// to the joiners of that view.
struct StateSent {
  std::string member;
  std::string view;
  std::string digest;
  bool operator==(const StateSent&) const = default;
};
// "ev":"state": the member, a joiner of `view`, received and installed state.
struct StateReceived {
  std::string member;
  std::string view;
  std::string digest;
  bool operator==(const StateReceived&) const = default;
};
enum class ExitReason : std::uint8_t { leave, crash };
// "ev":"exit": the member's history ends here.
struct Exited {
  std::string member;
  ExitReason reason = ExitReason::leave;
  bool operator==(const Exited&) const = default;
};

using HistoryEvent =
    std::variant<ViewInstalled, MessageCast, MessageDelivered, Blocked, StateSent, StateReceived, Exited>;

const std::string& member_of(const HistoryEvent& event);

// One line of JSON without the trailing newline.
std::string to_json_line(const HistoryEvent& event);
// Checks the JSON, the event name, required fields, their types and the limits
// above; ignores fields it does not know.
Result<HistoryEvent> parse_history_line(std::string_view line);
// Skips blank lines; errors read "FILE:LINE: what".
Result<std::vector<HistoryEvent>> read_history_file(const std::filesystem::path& path);

// A cast's payload: the message id, then kPayloadSeparator and the app's data.
inline constexpr char kPayloadSeparator = ' ';
std::string make_history_payload(std::string_view msg_id, std::string_view data);
std::string_view history_payload_id(std::string_view payload);

// A GroupApp that writes the member's history as OutputAction records (the
// simulator collects them into Simulator::history()).
class HistoryRecorder final : public GroupApp {
 public:
  explicit HistoryRecorder(Endpoint self) : self_(self.to_string()) {}

  void on_view(const View& view, Actions& out) override;
  void on_deliver(const Endpoint& from, const Msg& msg, Actions& out) override;
  void on_block(Actions& out) override;

  // Names the message "member:seq", records the cast, then casts it: in this
  // order so that a local loopback delivery comes after its cast.
  // would_block or too_large (and nothing recorded) if the stack refuses it.
  Status cast(GroupMachine& machine, TimePoint now, std::string_view data, Actions& out);
  void state_sent(std::string digest, Actions& out);
  void state_received(std::string digest, Actions& out);
  void exit(ExitReason reason, Actions& out);

 private:
  std::string self_;
  std::string view_;
  std::uint64_t casts_ = 0;
};

}  // namespace cohort::group
