// Layers that only tests use, named in scenario stacks through
// GroupScenarioOptions::extra_layers: deliberately broken layers that reorder
// or drop deliveries at one member (so the checker layers have something to
// catch), and probes that record when each member received and delivered
// each cast (so safe delivery can be checked). State shared between members
// lives in an object the test owns; the simulator is single-threaded.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cohort/group/history.h"
#include "cohort/group/layer.h"

namespace cohort::group::testing {

// Once per view, at node `victim`: holds a cast coming up and passes it on
// after the next cast from the same origin (`same_origin`: a FIFO violation)
// or from another origin (a total order violation).
class Swap final : public Layer {
 public:
  Swap(NodeId victim, bool same_origin, std::shared_ptr<int> swaps)
      : victim_(victim), same_origin_(same_origin), swaps_(std::move(swaps)) {}
  std::string_view name() const override { return "swap"; }

  void up(Msg msg, LayerContext& ctx) override {
    if (msg.kind != Msg::Kind::cast || ctx.self().node != victim_ || done_ || view_size_ < 2) {
      ctx.up(std::move(msg));
      return;
    }
    if (!held_) {
      held_ = std::move(msg);
      return;
    }
    const bool swap = (msg.peer == held_->peer) == same_origin_;
    if (swap) ctx.up(std::move(msg));
    ctx.up(std::move(*held_));
    held_.reset();
    if (swap) {
      done_ = true;
      ++*swaps_;
    } else {
      held_ = std::move(msg);  // try again with this one
    }
  }
  void up_event(const Event& event, LayerContext& ctx) override {
    if (const auto* v = std::get_if<ViewEvent>(&event)) {
      if (held_) ctx.up(std::move(*held_));
      held_.reset();
      done_ = false;
      view_size_ = v->view->size();
    }
    ctx.up(event);
  }

 private:
  NodeId victim_;
  bool same_origin_;
  std::shared_ptr<int> swaps_;
  std::optional<Msg> held_;
  bool done_ = false;
  std::size_t view_size_ = 0;
};

// At node `victim`, in every view with others in it: drops the second cast
// from another member coming up (a virtual synchrony violation).
class Skip final : public Layer {
 public:
  Skip(NodeId victim, std::shared_ptr<int> skips) : victim_(victim), skips_(std::move(skips)) {}
  std::string_view name() const override { return "skip"; }

  void up(Msg msg, LayerContext& ctx) override {
    if (msg.kind == Msg::Kind::cast && ctx.self().node == victim_ && msg.peer != me_ && ++others_ == 2) {
      ++*skips_;
      return;
    }
    ctx.up(std::move(msg));
  }
  void up_event(const Event& event, LayerContext& ctx) override {
    if (const auto* v = std::get_if<ViewEvent>(&event)) {
      me_ = v->view->rank_of(ctx.self());
      others_ = 0;
    }
    ctx.up(event);
  }

 private:
  NodeId victim_;
  std::shared_ptr<int> skips_;
  Rank me_ = kNoRank;
  int others_ = 0;
};

// Which member received which cast (by history message id), which views
// each member installed, and deliveries made before some member of the view
// had the cast.
struct SafetyLog {
  struct Early {
    std::string member, msg, view;
    std::vector<std::string> missing;  // members of the view without the cast
  };
  std::set<std::pair<std::string, std::string>> received;  // (member, msg)
  std::map<std::string, std::vector<std::string>> views;   // member -> view ids installed, in order
  std::uint64_t deliveries = 0;
  std::vector<Early> early;  // candidates; judged by violations()

  // Safe delivery allows an early delivery only if the member that lacked
  // the cast does not move on from the view together with the deliverer: a
  // view change delivers what the flush agreed on, which members that leave
  // (or never installed the view) may lack.
  std::vector<Early> violations() const {
    std::vector<Early> out;
    for (const Early& e : early) {
      const std::string next = next_view(e.member, e.view);
      for (const std::string& m : e.missing) {
        if (installed(m, e.view) && next_view(m, e.view) == next) {
          out.push_back(e);
          break;
        }
      }
    }
    return out;
  }

 private:
  bool installed(const std::string& member, const std::string& view) const {
    auto it = views.find(member);
    return it != views.end() && std::find(it->second.begin(), it->second.end(), view) != it->second.end();
  }
  // The view `member` installed after `view`; "" if none.
  std::string next_view(const std::string& member, const std::string& view) const {
    const auto& list = views.at(member);
    auto it = std::find(list.begin(), list.end(), view);
    return it == list.end() || it + 1 == list.end() ? "" : *(it + 1);
  }
};

// Placed just above `stable`: records every cast this member received (the
// casts stability counts).
class ProbeReceived final : public Layer {
 public:
  explicit ProbeReceived(std::shared_ptr<SafetyLog> log) : log_(std::move(log)) {}
  std::string_view name() const override { return "probe_rx"; }
  void up(Msg msg, LayerContext& ctx) override {
    if (msg.kind == Msg::Kind::cast) {
      log_->received.emplace(ctx.self().to_string(), std::string(history_payload_id(msg.payload.as_string())));
    }
    ctx.up(std::move(msg));
  }

 private:
  std::shared_ptr<SafetyLog> log_;
};

// Placed at the top: records the views this member installs and, at each
// delivery, the members of the view that had not received the cast.
class ProbeDelivered final : public Layer {
 public:
  explicit ProbeDelivered(std::shared_ptr<SafetyLog> log) : log_(std::move(log)) {}
  std::string_view name() const override { return "probe_dl"; }
  void up(Msg msg, LayerContext& ctx) override {
    if (msg.kind == Msg::Kind::cast && view_) {
      ++log_->deliveries;
      SafetyLog::Early e{ctx.self().to_string(), std::string(history_payload_id(msg.payload.as_string())),
                         view_->id.to_string(), {}};
      for (const Endpoint& m : view_->members) {
        if (log_->received.count({m.to_string(), e.msg}) == 0) e.missing.push_back(m.to_string());
      }
      if (!e.missing.empty()) log_->early.push_back(std::move(e));
    }
    ctx.up(std::move(msg));
  }
  void up_event(const Event& event, LayerContext& ctx) override {
    if (const auto* v = std::get_if<ViewEvent>(&event)) {
      view_ = v->view;
      log_->views[ctx.self().to_string()].push_back(view_->id.to_string());
    }
    ctx.up(event);
  }

 private:
  std::shared_ptr<SafetyLog> log_;
  std::shared_ptr<const View> view_;
};

}  // namespace cohort::group::testing
