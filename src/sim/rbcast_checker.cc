#include "cohort/sim/rbcast_checker.h"

#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "cohort/sim/reliable_broadcast.h"

namespace cohort::sim {

namespace {

struct Record {
  std::string kind;
  MessageId id;
  std::string hash;
};

bool parse(const std::string& line, Record& out) {
  std::istringstream in(line);
  return static_cast<bool>(in >> out.kind >> out.id.origin >> out.id.incarnation >> out.id.seq >> out.hash);
}

std::string name(const MessageId& id) { return fmt::format("{}.{}#{}", id.origin, id.incarnation, id.seq); }
std::string name(const Process& p) { return fmt::format("node {} (incarnation {})", p.node, p.incarnation); }

class Checker {
 public:
  explicit Checker(RbcastCheck& result) : result_(result) {}

  void add(const HistoryEntry& entry) {
    Record r;
    if (!parse(entry.record, r)) return violate("unparseable record: " + entry.record);
    Process p{entry.node, entry.incarnation};
    if (r.kind == "bcast") on_broadcast(p, r);
    else if (r.kind == "deliver") on_deliver(p, r);
  }

  void check_self_delivery() {
    for (const auto& [p, ids] : pending_self_) {
      for (const MessageId& id : ids) violate(fmt::format("self-delivery: {} never delivered its own {}", name(p), name(id)));
    }
  }

  void check_agreement(const std::vector<Process>& survivors) {
    std::set<MessageId> must_have;
    for (const Process& p : survivors) {
      must_have.insert(delivered_[p].begin(), delivered_[p].end());
      for (const auto& [id, origin] : broadcast_by_) {
        if (origin == p) must_have.insert(id);
      }
    }
    for (const Process& p : survivors) {
      for (const MessageId& id : must_have) {
        if (delivered_[p].count(id) == 0) violate(fmt::format("agreement: {} never delivered {}", name(p), name(id)));
      }
    }
  }

 private:
  void violate(std::string what) {
    if (result_.violations.size() < 20) result_.violations.push_back(std::move(what));
  }

  void on_broadcast(const Process& p, const Record& r) {
    ++result_.broadcasts;
    if (r.id.origin != p.node || r.id.incarnation != p.incarnation) {
      violate(fmt::format("{} broadcast {} under another identity", name(p), name(r.id)));
    }
    hash_[r.id] = r.hash;
    broadcast_by_[r.id] = p;
    pending_self_[p].insert(r.id);
  }

  void on_deliver(const Process& p, const Record& r) {
    ++result_.deliveries;
    auto h = hash_.find(r.id);
    if (h == hash_.end()) return violate(fmt::format("integrity: {} delivered {} which nobody broadcast", name(p), name(r.id)));
    if (h->second != r.hash) violate(fmt::format("integrity: {} delivered {} with altered content", name(p), name(r.id)));
    if (!delivered_[p].insert(r.id).second) violate(fmt::format("duplicate: {} delivered {} twice", name(p), name(r.id)));
    std::uint64_t& last = last_seq_[{p, Process{r.id.origin, r.id.incarnation}}];
    if (r.id.seq != last + 1) {
      violate(fmt::format("fifo: {} delivered {} after seq {}", name(p), name(r.id), last));
    }
    last = r.id.seq;
    if (r.id.origin == p.node && r.id.incarnation == p.incarnation) pending_self_[p].erase(r.id);
  }


  RbcastCheck& result_;
  std::map<MessageId, std::string> hash_;
  std::map<MessageId, Process> broadcast_by_;
  std::map<Process, std::set<MessageId>> delivered_;
  std::map<Process, std::set<MessageId>> pending_self_;
  std::map<std::pair<Process, Process>, std::uint64_t> last_seq_;
};

}  // namespace

RbcastCheck check_rbcast_history(const std::vector<HistoryEntry>& history, const std::vector<Process>& survivors) {
  RbcastCheck result;
  Checker checker(result);
  for (const HistoryEntry& entry : history) checker.add(entry);
  checker.check_self_delivery();
  checker.check_agreement(survivors);
  return result;
}

}  // namespace cohort::sim
