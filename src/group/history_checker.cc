#include "cohort/group/history_checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>

namespace cohort::group {

namespace {

enum Property : std::size_t {
  kWellFormed,
  kViewAgreement,
  kViewOrder,
  kPrimaryChain,
  kVirtualSynchrony,
  kSameView,
  kIntegrity,
  kNoDuplicates,
  kFifo,
  kSelfDelivery,
  kTotalOrder,
  kLiveness,
  kStateTransfer,
  kPropertyCount,
};

constexpr std::array<const char*, kPropertyCount> kNames = {
    "well-formed",        "view agreement", "view order",    "primary chain", "virtual synchrony",
    "same view delivery", "integrity",      "no duplicates", "fifo",          "self delivery",
    "total order",        "liveness",       "state transfer"};

constexpr std::size_t kNoView = static_cast<std::size_t>(-1);

struct Delivery {
  std::string msg;
  std::string from;
  std::size_t view;  // index into the member's views
};

struct Member {
  std::vector<const ViewInstalled*> views;
  std::vector<Delivery> deliveries;
  std::vector<std::size_t> casts_per_view;
  std::size_t casts = 0;
  std::optional<ExitReason> exit;
  bool blocked = false;

  std::size_t current() const { return views.empty() ? kNoView : views.size() - 1; }
  const std::string& current_id() const {
    static const std::string none = "(none)";
    return views.empty() ? none : views.back()->view;
  }
};

struct Cast {
  std::string sender;
  std::size_t view;  // index into the sender's views
  std::string view_id;
  std::size_t seq;          // among the sender's casts, from 1
  std::size_t seq_in_view;  // among the sender's casts in that view, from 1
};

// A member that went from one view to a given next one, and what it delivered
// in the first.
struct Witness {
  std::string member;
  std::vector<std::string> delivered;  // sorted
};

std::string list(const std::vector<std::string>& ids) {
  constexpr std::size_t kShown = 5;
  std::vector<std::string> shown(ids.begin(),
                                 ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), kShown)));
  std::string out = fmt::format("[{}]", fmt::join(shown, ", "));
  if (ids.size() > kShown) out += fmt::format(" and {} more", ids.size() - kShown);
  return out;
}

class Checker {
 public:
  Checker(const CheckOptions& options, HistoryCheck& result) : options_(options), result_(result) {
    for (const char* name : kNames) result_.properties.push_back(PropertyResult{name, true, {}, 0});
    result_.properties[kTotalOrder].checked = options.total_order;
    result_.properties[kLiveness].checked = options.expect_final_view;
  }

  void add(const HistoryEvent& event) {
    Member& m = members_[member_of(event)];
    if (m.exit) return violate(kWellFormed, fmt::format("{} has events after its exit", member_of(event)));
    std::visit([&](const auto& e) { on(m, e); }, event);
  }

  void finish() {
    check_deliveries();
    check_self_delivery();
    check_virtual_synchrony();
    check_primary_chain();
    check_state_transfer();
    if (options_.total_order) check_total_order();
    if (options_.expect_final_view) check_liveness();
    result_.members = members_.size();
    result_.views = views_.size();
    result_.casts = casts_.size();
  }

 private:
  void violate(Property p, std::string what) {
    PropertyResult& r = result_.properties[p];
    if (r.violations.size() < options_.max_violations) r.violations.push_back(std::move(what));
    ++r.violation_count;
  }

  // Events needing a view: a member acts only inside the views it installed.
  bool in_view(const Member& m, const std::string& who, const char* what) {
    if (!m.views.empty()) return true;
    violate(kWellFormed, fmt::format("{} {} before installing any view", who, what));
    return false;
  }

  void on(Member& m, const ViewInstalled& e) {
    if (std::find(e.members.begin(), e.members.end(), e.member) == e.members.end()) {
      violate(kViewAgreement, fmt::format("{} installed view {} which does not list it", e.member, e.view));
    }
    auto [it, fresh] = views_.try_emplace(e.view, &e);
    const ViewInstalled& first = *it->second;
    if (!fresh && (first.members != e.members || first.primary != e.primary || first.ltime != e.ltime)) {
      violate(kViewAgreement,
              fmt::format("view {}: {} installed it as {}{} but {} as {}{}", e.view, first.member,
                          list(first.members), first.primary ? " (primary)" : "", e.member, list(e.members),
                          e.primary ? " (primary)" : ""));
    }
    if (!m.views.empty() && e.ltime <= m.views.back()->ltime) {
      violate(kViewOrder, fmt::format("{} installed view {} (ltime {}) after view {} (ltime {})", e.member,
                                      e.view, e.ltime, m.views.back()->view, m.views.back()->ltime));
    }
    installers_[e.view].insert(e.member);
    m.views.push_back(&e);
    m.casts_per_view.push_back(0);
    m.blocked = false;
  }

  void on(Member& m, const MessageCast& e) {
    if (!in_view(m, e.member, "cast")) return;
    if (m.blocked)
      violate(kWellFormed, fmt::format("{} cast {} after a block, before its next view", e.member, e.msg));
    Cast c{e.member, m.current(), m.current_id(), ++m.casts, ++m.casts_per_view.back()};
    if (!casts_.try_emplace(e.msg, std::move(c)).second) {
      violate(kIntegrity, fmt::format("{} cast {}, an id already cast", e.member, e.msg));
    }
  }

  void on(Member& m, const MessageDelivered& e) {
    if (!in_view(m, e.member, "delivered")) return;
    m.deliveries.push_back(Delivery{e.msg, e.from, m.current()});
    ++result_.deliveries;
  }

  void on(Member& m, const Blocked& e) {
    if (in_view(m, e.member, "blocked")) m.blocked = true;
  }

  void on(Member& m, const StateSent& e) {
    if (!in_view(m, e.member, "sent state")) return;
    if (e.view != m.current_id()) {
      violate(kStateTransfer,
              fmt::format("{} sent state for view {} while in view {}", e.member, e.view, m.current_id()));
    }
    sent_[e.view].push_back(&e);
  }

  void on(Member& m, const StateReceived& e) {
    if (!in_view(m, e.member, "received state")) return;
    if (e.view != m.current_id()) {
      violate(kStateTransfer, fmt::format("{} received state for view {} while in view {}", e.member, e.view,
                                          m.current_id()));
    }
    received_.push_back(&e);
  }

  static void on(Member& m, const Exited& e) { m.exit = e.reason; }

  // Integrity, duplicates, same-view delivery and FIFO, delivery by delivery.
  void check_deliveries() {
    for (const auto& [name, m] : members_) {
      std::set<std::string> seen;
      std::map<std::string, const Cast*> last;  // per sender
      for (const Delivery& d : m.deliveries) {
        auto it = casts_.find(d.msg);
        if (it == casts_.end()) {
          violate(kIntegrity, fmt::format("{} delivered {} which nobody cast", name, d.msg));
          continue;
        }
        const Cast& c = it->second;
        if (d.from != c.sender) {
          violate(kIntegrity,
                  fmt::format("{} delivered {} from {} but {} cast it", name, d.msg, d.from, c.sender));
        }
        if (!seen.insert(d.msg).second) {
          violate(kNoDuplicates, fmt::format("{} delivered {} twice", name, d.msg));
          continue;
        }
        const std::string& view = m.views[d.view]->view;
        if (view != c.view_id) {
          violate(kSameView, fmt::format("{} delivered {} in view {} but {} cast it in view {}", name, d.msg,
                                         view, c.sender, c.view_id));
        }
        check_fifo(name, d.msg, c, last[c.sender]);
      }
    }
  }

  void check_fifo(const std::string& name, const std::string& msg, const Cast& c, const Cast*& last) {
    if (last && c.seq <= last->seq) {
      violate(kFifo, fmt::format("{} delivered {} ({}'s cast #{}) after its cast #{}", name, msg, c.sender,
                                 c.seq, last->seq));
    } else {
      std::size_t expected = last && last->view_id == c.view_id ? last->seq_in_view + 1 : 1;
      if (c.seq_in_view != expected) {
        violate(kFifo,
                fmt::format("{} delivered {} ({}'s cast #{} in view {}) but not its cast #{} in that view",
                            name, msg, c.sender, c.seq_in_view, c.view_id, expected));
      }
    }
    last = &c;
  }

  // A sender survives a view it moved on from, so it must have delivered its
  // own casts there; in its last view it is excused unless it left gracefully.
  void check_self_delivery() {
    std::map<std::string, std::set<std::string>> delivered;
    for (const auto& [name, m] : members_) {
      for (const Delivery& d : m.deliveries) delivered[name].insert(d.msg);
    }
    for (const auto& [msg, c] : casts_) {
      const Member& m = members_.at(c.sender);
      bool excused = c.view == m.current() && m.exit != ExitReason::leave;
      if (!excused && !delivered[c.sender].contains(msg)) {
        violate(kSelfDelivery,
                fmt::format("{} never delivered its own {} (cast in view {})", c.sender, msg, c.view_id));
      }
    }
  }

  void check_virtual_synchrony() {
    std::map<std::pair<std::string, std::string>, Witness> first;
    for (const auto& [name, m] : members_) {
      std::vector<std::vector<std::string>> per_view(m.views.size());
      for (const Delivery& d : m.deliveries) per_view[d.view].push_back(d.msg);
      for (std::size_t i = 0; i + 1 < m.views.size(); ++i) {
        std::sort(per_view[i].begin(), per_view[i].end());
        Witness w{name, std::move(per_view[i])};
        auto [it, fresh] = first.try_emplace({m.views[i]->view, m.views[i + 1]->view}, w);
        if (!fresh) compare_view_deliveries(it->first.first, it->first.second, it->second, w);
      }
    }
  }

  void compare_view_deliveries(const std::string& view, const std::string& next, const Witness& a,
                               const Witness& b) {
    std::vector<std::string> only_a;
    std::vector<std::string> only_b;
    std::set_difference(a.delivered.begin(), a.delivered.end(), b.delivered.begin(), b.delivered.end(),
                        std::back_inserter(only_a));
    std::set_difference(b.delivered.begin(), b.delivered.end(), a.delivered.begin(), a.delivered.end(),
                        std::back_inserter(only_b));
    if (only_a.empty() && only_b.empty()) return;
    violate(
        kVirtualSynchrony,
        fmt::format("{} and {} both went from view {} to {} but delivered different messages in {}: only {} "
                    "delivered {}, only {} delivered {}",
                    a.member, b.member, view, next, view, a.member, list(only_a), b.member, list(only_b)));
  }

  // Primary views, by ltime, must form one chain: no two share an ltime, and
  // each has an installer in common with the one before it.
  void check_primary_chain() {
    std::vector<const ViewInstalled*> primaries;
    for (const auto& [id, v] : views_) {
      if (v->primary) primaries.push_back(v);
    }
    std::sort(primaries.begin(), primaries.end(), [](const auto* a, const auto* b) {
      return std::tie(a->ltime, a->view) < std::tie(b->ltime, b->view);
    });
    for (std::size_t i = 1; i < primaries.size(); ++i) {
      const ViewInstalled& prev = *primaries[i - 1];
      const ViewInstalled& cur = *primaries[i];
      if (prev.ltime == cur.ltime) {
        violate(kPrimaryChain, fmt::format("primary views {} and {} are concurrent (both ltime {})",
                                           prev.view, cur.view, cur.ltime));
        continue;
      }
      const auto& a = installers_[prev.view];
      const auto& b = installers_[cur.view];
      if (std::none_of(a.begin(), a.end(), [&](const std::string& x) { return b.contains(x); })) {
        violate(kPrimaryChain,
                fmt::format("primary view {} has no installer in common with the previous primary "
                            "view {}",
                            cur.view, prev.view));
      }
    }
  }

  void check_state_transfer() {
    for (const auto& [view, senders] : sent_) {
      for (const StateSent* s : senders) {
        if (s->digest != senders.front()->digest) {
          violate(kStateTransfer,
                  fmt::format("state sent for view {} differs: {} sent {}, {} sent {}", view,
                              senders.front()->member, senders.front()->digest, s->member, s->digest));
        }
      }
    }
    for (const StateReceived* r : received_) {
      auto it = sent_.find(r->view);
      if (it == sent_.end()) {
        violate(kStateTransfer,
                fmt::format("{} received state in view {} that no member sent", r->member, r->view));
      } else if (r->digest != it->second.front()->digest) {
        violate(kStateTransfer,
                fmt::format("{} received state {} in view {} but {} sent {}", r->member, r->digest, r->view,
                            it->second.front()->member, it->second.front()->digest));
      }
    }
  }

  void check_total_order() {
    for (auto a = members_.begin(); a != members_.end(); ++a) {
      std::unordered_map<std::string, std::size_t> position;
      for (std::size_t i = 0; i < a->second.deliveries.size(); ++i)
        position.try_emplace(a->second.deliveries[i].msg, i);
      for (auto b = std::next(a); b != members_.end(); ++b)
        check_pair_order(a->first, position, b->first, b->second);
    }
  }

  // One inversion per pair is enough to show the orders differ.
  void check_pair_order(const std::string& a, const std::unordered_map<std::string, std::size_t>& a_position,
                        const std::string& b, const Member& b_member) {
    const Delivery* prev = nullptr;
    std::size_t prev_position = 0;
    for (const Delivery& d : b_member.deliveries) {
      auto it = a_position.find(d.msg);
      if (it == a_position.end()) continue;
      if (prev && it->second < prev_position) {
        violate(kTotalOrder, fmt::format("{} delivered {} before {}, {} delivered them the other way round",
                                         a, d.msg, prev->msg, b));
        return;
      }
      prev = &d;
      prev_position = it->second;
    }
  }

  void check_liveness() {
    std::set<std::string> correct;
    const ViewInstalled* final_view = nullptr;
    for (const auto& [name, m] : members_) {
      if (m.exit) continue;
      correct.insert(name);
      if (m.views.empty()) {
        violate(kLiveness, fmt::format("{} never installed a view", name));
      } else if (!final_view) {
        final_view = m.views.back();
      } else if (m.views.back()->view != final_view->view) {
        violate(kLiveness, fmt::format("{} ends in view {} but {} ends in view {}", name,
                                       m.views.back()->view, final_view->member, final_view->view));
      }
    }
    if (!final_view) return;
    for (const std::string& x : final_view->members) {
      if (!correct.contains(x)) {
        violate(kLiveness,
                fmt::format("{} is in the final view {} but its history is missing or ends with an exit", x,
                            final_view->view));
      }
    }
    check_final_view_deliveries(*final_view);
  }

  // The run ended quiet, so every cast of the final view reached everyone.
  void check_final_view_deliveries(const ViewInstalled& final_view) {
    for (const std::string& x : final_view.members) {
      auto it = members_.find(x);
      if (it == members_.end() || it->second.exit) continue;
      std::set<std::string> delivered;
      for (const Delivery& d : it->second.deliveries) delivered.insert(d.msg);
      for (const auto& [msg, c] : casts_) {
        if (c.view_id == final_view.view && !delivered.contains(msg)) {
          violate(kLiveness,
                  fmt::format("{} never delivered {}, cast in the final view {}", x, msg, final_view.view));
        }
      }
    }
  }

  const CheckOptions& options_;
  HistoryCheck& result_;
  std::map<std::string, Member> members_;
  std::map<std::string, Cast> casts_;
  std::map<std::string, const ViewInstalled*> views_;  // as first installed
  std::map<std::string, std::set<std::string>> installers_;
  std::map<std::string, std::vector<const StateSent*>> sent_;
  std::vector<const StateReceived*> received_;
};

}  // namespace

bool HistoryCheck::ok() const {
  return std::all_of(properties.begin(), properties.end(), [](const PropertyResult& p) { return p.ok(); });
}

const PropertyResult* HistoryCheck::find(std::string_view name) const {
  for (const PropertyResult& p : properties) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

HistoryCheck check_history(const std::vector<HistoryEvent>& events, const CheckOptions& options) {
  HistoryCheck result;
  Checker checker(options, result);
  for (const HistoryEvent& e : events) checker.add(e);
  checker.finish();
  return result;
}

}  // namespace cohort::group
