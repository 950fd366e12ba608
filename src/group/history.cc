#include "cohort/group/history.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

namespace cohort::group {

namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// The format nests at most an array in an object; a cap on nesting keeps the
// parser's own depth bounded on hostile input.
constexpr int kMaxJsonDepth = 8;

Error malformed(std::string what) { return {Errc::malformed, std::move(what)}; }

bool nesting_within_limit(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

Result<std::string> string_field(const Json& obj, const char* name, std::size_t max_bytes,
                                 bool may_be_empty) {
  auto it = obj.find(name);
  if (it == obj.end()) return malformed(fmt::format("missing field \"{}\"", name));
  if (!it->is_string()) return malformed(fmt::format("field \"{}\" must be a string", name));
  const auto& s = it->get_ref<const std::string&>();
  if (s.empty() && !may_be_empty) return malformed(fmt::format("field \"{}\" is empty", name));
  if (s.size() > max_bytes)
    return malformed(fmt::format("field \"{}\" is longer than {} bytes", name, max_bytes));
  return s;
}

Result<std::string> name_field(const Json& obj, const char* name) {
  return string_field(obj, name, kMaxHistoryNameBytes, false);
}

Result<bool> bool_field(const Json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end()) return malformed(fmt::format("missing field \"{}\"", name));
  if (!it->is_boolean()) return malformed(fmt::format("field \"{}\" must be true or false", name));
  return it->get<bool>();
}

Result<std::vector<std::string>> members_field(const Json& obj) {
  auto it = obj.find("members");
  if (it == obj.end()) return malformed("missing field \"members\"");
  if (!it->is_array()) return malformed("field \"members\" must be an array of strings");
  if (it->size() > kMaxHistoryViewMembers) return malformed("field \"members\" lists too many members");
  std::vector<std::string> out;
  for (const Json& m : *it) {
    if (!m.is_string() || m.get_ref<const std::string&>().empty()) {
      return malformed("field \"members\" must be an array of non-empty strings");
    }
    out.push_back(m.get<std::string>());
  }
  return out;
}

// Views are ordered by logical time: an explicit "ltime", else the digits
// before the first ':' of the view id (the form ViewId::to_string writes).
Result<std::uint32_t> ltime_field(const Json& obj, const std::string& view) {
  auto it = obj.find("ltime");
  if (it != obj.end()) {
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
      return malformed("field \"ltime\" must be an integer in 0..2^32-1");
    }
    return static_cast<std::uint32_t>(it->get<std::uint64_t>());
  }
  std::uint32_t ltime = 0;
  auto colon = view.find(':');
  auto [end, ec] = std::from_chars(view.data(), view.data() + std::min(colon, view.size()), ltime);
  if (ec != std::errc() || colon == std::string::npos || end != view.data() + colon) {
    return malformed(R"(view without "ltime" needs an id of the form "LTIME:...")");
  }
  return ltime;
}

Result<HistoryEvent> parse_view(const Json& obj, std::string member) {
  auto view = name_field(obj, "view");
  if (!view) return view.error();
  auto ltime = ltime_field(obj, *view);
  if (!ltime) return ltime.error();
  auto members = members_field(obj);
  if (!members) return members.error();
  auto primary = bool_field(obj, "primary");
  if (!primary) return primary.error();
  return HistoryEvent(
      ViewInstalled{std::move(member), std::move(*view), *ltime, std::move(*members), *primary});
}

Result<HistoryEvent> parse_cast(const Json& obj, std::string member) {
  auto msg = name_field(obj, "msg");
  if (!msg) return msg.error();
  return HistoryEvent(MessageCast{std::move(member), std::move(*msg)});
}

Result<HistoryEvent> parse_deliver(const Json& obj, std::string member) {
  auto msg = name_field(obj, "msg");
  if (!msg) return msg.error();
  auto from = name_field(obj, "from");
  if (!from) return from.error();
  return HistoryEvent(MessageDelivered{std::move(member), std::move(*msg), std::move(*from)});
}

template <typename StateEvent>
Result<HistoryEvent> parse_state(const Json& obj, std::string member) {
  auto view = name_field(obj, "view");
  if (!view) return view.error();
  auto digest = string_field(obj, "digest", kMaxHistoryDigestBytes, true);
  if (!digest) return digest.error();
  return HistoryEvent(StateEvent{std::move(member), std::move(*view), std::move(*digest)});
}

Result<HistoryEvent> parse_exit(const Json& obj, std::string member) {
  auto reason = name_field(obj, "reason");
  if (!reason) return reason.error();
  if (*reason == "leave") return HistoryEvent(Exited{std::move(member), ExitReason::leave});
  if (*reason == "crash") return HistoryEvent(Exited{std::move(member), ExitReason::crash});
  return malformed(R"(field "reason" must be "leave" or "crash")");
}

Result<HistoryEvent> parse_object(const Json& obj) {
  auto ev = name_field(obj, "ev");
  if (!ev) return ev.error();
  auto member = name_field(obj, "member");
  if (!member) return member.error();
  if (*ev == "view") return parse_view(obj, std::move(*member));
  if (*ev == "cast") return parse_cast(obj, std::move(*member));
  if (*ev == "deliver") return parse_deliver(obj, std::move(*member));
  if (*ev == "block") return HistoryEvent(Blocked{std::move(*member)});
  if (*ev == "state_sent") return parse_state<StateSent>(obj, std::move(*member));
  if (*ev == "state") return parse_state<StateReceived>(obj, std::move(*member));
  if (*ev == "exit") return parse_exit(obj, std::move(*member));
  return malformed(fmt::format("unknown event \"{}\"", *ev));
}

OrderedJson to_json(const ViewInstalled& e) {
  return {{"ev", "view"},     {"member", e.member},   {"view", e.view},
          {"ltime", e.ltime}, {"members", e.members}, {"primary", e.primary}};
}
OrderedJson to_json(const MessageCast& e) { return {{"ev", "cast"}, {"member", e.member}, {"msg", e.msg}}; }
OrderedJson to_json(const MessageDelivered& e) {
  return {{"ev", "deliver"}, {"member", e.member}, {"msg", e.msg}, {"from", e.from}};
}
OrderedJson to_json(const Blocked& e) { return {{"ev", "block"}, {"member", e.member}}; }
OrderedJson to_json(const StateSent& e) {
  return {{"ev", "state_sent"}, {"member", e.member}, {"view", e.view}, {"digest", e.digest}};
}
OrderedJson to_json(const StateReceived& e) {
  return {{"ev", "state"}, {"member", e.member}, {"view", e.view}, {"digest", e.digest}};
}
OrderedJson to_json(const Exited& e) {
  return {
      {"ev", "exit"}, {"member", e.member}, {"reason", e.reason == ExitReason::leave ? "leave" : "crash"}};
}

}  // namespace

const std::string& member_of(const HistoryEvent& event) {
  return std::visit([](const auto& e) -> const std::string& { return e.member; }, event);
}

std::string to_json_line(const HistoryEvent& event) {
  OrderedJson j = std::visit([](const auto& e) { return to_json(e); }, event);
  // Payload-derived ids may hold invalid UTF-8; replacing beats throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<HistoryEvent> parse_history_line(std::string_view line) {
  if (line.size() > kMaxHistoryLineBytes) return Error(Errc::too_large, "line longer than 1 MiB");
  if (!nesting_within_limit(line)) return malformed("JSON nested too deeply");
  Json obj = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (obj.is_discarded()) return malformed("not valid JSON");
  if (!obj.is_object()) return malformed("not a JSON object");
  return parse_object(obj);
}

Result<std::vector<HistoryEvent>> read_history_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Errc::not_found, fmt::format("{}: cannot open", path.string()));
  std::vector<HistoryEvent> events;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto event = parse_history_line(line);
    if (!event) {
      return Error(event.error().code(),
                   fmt::format("{}:{}: {}", path.string(), number, event.error().message()));
    }
    events.push_back(std::move(*event));
  }
  if (in.bad()) return Error(Errc::io, fmt::format("{}: read error", path.string()));
  return events;
}

std::string make_history_payload(std::string_view msg_id, std::string_view data) {
  std::string out(msg_id);
  if (!data.empty()) {
    out += kPayloadSeparator;
    out += data;
  }
  return out;
}

std::string_view history_payload_id(std::string_view payload) {
  return payload.substr(0, payload.find(kPayloadSeparator));
}

void HistoryRecorder::on_view(const View& view, Actions& out) {
  view_ = view.id.to_string();
  ViewInstalled e{self_, view_, view.id.ltime, {}, view.primary};
  for (const Endpoint& m : view.members) e.members.push_back(m.to_string());
  out.output(to_json_line(e));
}

void HistoryRecorder::on_deliver(const Endpoint& from, const Msg& msg, Actions& out) {
  std::string_view id = history_payload_id(msg.payload.as_string()).substr(0, kMaxHistoryNameBytes);
  // A payload that no recorder wrote still gets a parseable line, which the
  // checker then reports as an invented message.
  if (id.empty()) id = "?";
  out.output(to_json_line(MessageDelivered{self_, std::string(id), from.to_string()}));
}

void HistoryRecorder::on_block(Actions& out) { out.output(to_json_line(Blocked{self_})); }

Status HistoryRecorder::cast(GroupMachine& machine, TimePoint now, std::string_view data, Actions& out) {
  // The cast is recorded before the stack runs, because the local copy is
  // delivered inside machine.cast(); so refusals are checked first.
  if (!machine.can_send()) return Error(Errc::would_block, "flow control: the send window is full");
  std::string id = fmt::format("{}:{}", self_, casts_ + 1);
  Buffer payload = Buffer::copy_of(std::string_view(make_history_payload(id, data)));
  if (payload.size() > kMaxMessageBytes) return Error(Errc::too_large, "message larger than 64 MiB");
  ++casts_;
  out.output(to_json_line(MessageCast{self_, id}));
  return machine.cast(now, std::move(payload), out);
}

void HistoryRecorder::state_sent(std::string digest, Actions& out) {
  out.output(to_json_line(StateSent{self_, view_, std::move(digest)}));
}

void HistoryRecorder::state_received(std::string digest, Actions& out) {
  out.output(to_json_line(StateReceived{self_, view_, std::move(digest)}));
}

void HistoryRecorder::exit(ExitReason reason, Actions& out) {
  out.output(to_json_line(Exited{self_, reason}));
}

}  // namespace cohort::group
