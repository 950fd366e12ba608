#include "cast_report.h"

#include <iostream>

#include "cast_common.h"

namespace cohort::cli {

namespace {

std::string line_of(const ReceiverView& r) {
  std::string line = r.host + ": " + std::string(to_string(r.state));
  if (r.state == ReceiverView::State::failed) return line + ": " + r.reason;
  if (r.state == ReceiverView::State::starting || r.state == ReceiverView::State::waiting) return line;
  double percent = r.groups_total == 0 ? 100.0 : 100.0 * static_cast<double>(r.groups_done) /
                                                     static_cast<double>(r.groups_total);
  double rate = r.seconds > 0 ? static_cast<double>(r.bytes) * 8 / r.seconds : 0;
  char head[32];
  std::snprintf(head, sizeof head, " %5.1f%%", percent);
  return line + head + " " + human_bytes(static_cast<double>(r.bytes)) + " " + human_rate(rate) + ", repair " +
         std::to_string(r.repair_used) + ", requests " + std::to_string(r.requests);
}

nlohmann::json json_of(const ReceiverView& r) {
  nlohmann::json out{{"host", r.host},           {"status", to_string(r.state)}, {"bytes", r.bytes},
                     {"repair_used", r.repair_used}, {"requests", r.requests},    {"seconds", r.seconds}};
  if (r.state == ReceiverView::State::failed) out["reason"] = r.reason;
  if (r.state == ReceiverView::State::verified) out["files"] = r.files;
  return out;
}

}  // namespace

std::string_view to_string(ReceiverView::State state) {
  switch (state) {
    case ReceiverView::State::starting:
      return "starting";
    case ReceiverView::State::waiting:
      return "waiting";
    case ReceiverView::State::receiving:
      return "receiving";
    case ReceiverView::State::verified:
      return "verified";
    case ReceiverView::State::failed:
      return "failed";
  }
  return "unknown";
}

void CastDisplay::update(const std::vector<ReceiverView>& receivers) {
  if (!live_) return;
  std::string out;
  if (drawn_ > 0) out += "\033[" + std::to_string(drawn_) + "F";  // back to the first line
  for (const ReceiverView& r : receivers) out += "\033[K" + line_of(r) + "\n";
  std::cerr << out << std::flush;
  drawn_ = receivers.size();
}

void CastDisplay::finish(const std::vector<ReceiverView>& receivers, bool json, const nlohmann::json& sender) {
  if (json) {
    bool all = std::all_of(receivers.begin(), receivers.end(),
                           [](const ReceiverView& r) { return r.state == ReceiverView::State::verified; });
    nlohmann::json report{{"status", all ? "complete" : "failed"}, {"sender", sender}};
    report["receivers"] = nlohmann::json::array();
    for (const ReceiverView& r : receivers) report["receivers"].push_back(json_of(r));
    std::cout << report.dump(2) << std::endl;
    return;
  }
  if (live_) {
    update(receivers);
    return;
  }
  for (const ReceiverView& r : receivers) std::cout << line_of(r) << "\n";
  std::cout << std::flush;
}

}  // namespace cohort::cli
