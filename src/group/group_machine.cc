#include "cohort/group/group_machine.h"

#include <sstream>

namespace cohort::group {

GroupMachine::GroupMachine(Endpoint self, GroupConfig config, std::vector<std::unique_ptr<Layer>> layers,
                           Rng rng, std::unique_ptr<GroupApp> app)
    : self_(self),
      config_(std::move(config)),
      app_(std::move(app)),
      stack_(std::move(layers), self, rng, *this) {}

Result<std::unique_ptr<GroupMachine>> GroupMachine::create(Endpoint self, const GroupConfig& config, Rng rng,
                                                           std::unique_ptr<GroupApp> app, const ExtraLayers& extra) {
  auto layers = make_layers(config.stack, LayerEnv{config.seeds, app.get(), config.restarted, &extra, config.bottom, config.layers});
  if (!layers) return layers.error();
  return std::unique_ptr<GroupMachine>(
      new GroupMachine(self, config, std::move(layers).value(), rng, std::move(app)));
}

void GroupMachine::start(TimePoint now, Actions& out) {
  now_ = now;
  stack_.start(now, out);
  if (config_.static_members.empty()) return;
  auto view = std::make_shared<View>();
  view->members = config_.static_members;
  view->id.ltime = 1;
  view->id.coordinator = view->members.front();
  view->primary = true;
  view->joined = view->members;
  stack_.down_event(now, ViewEvent{view}, out);
  view_ = view;
  app_->on_view(*view, out);
}

void GroupMachine::on_packet(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) {
  now_ = now;
  stack_.receive(now, from, bytes, out);
}

void GroupMachine::on_timer(TimePoint now, TimerKey key, Actions& out) {
  now_ = now;
  stack_.timer(now, key, out);
}

Status GroupMachine::cast(TimePoint now, Buffer payload, Actions& out) {
  if (payload.size() > kMaxMessageBytes) return Error(Errc::too_large, "cast larger than 64 MiB");
  if (!can_send_) return Error(Errc::would_block, "flow control window full");
  if (blocked_) return Error(Errc::would_block, "view change in progress: casts resume in the next view");
  now_ = now;
  stack_.cast(now, std::move(payload), out);
  return ok_status();
}

Status GroupMachine::send(TimePoint now, Rank to, Buffer payload, Actions& out) {
  if (payload.size() > kMaxMessageBytes) return Error(Errc::too_large, "send larger than 64 MiB");
  now_ = now;
  stack_.send(now, to, std::move(payload), out);
  return ok_status();
}

void GroupMachine::deliver(const Msg& msg, Actions& out) {
  Endpoint from = msg.endpoint;
  if (view_ && msg.peer < view_->size()) from = view_->members[msg.peer];
  app_->on_deliver(from, msg, out);
}

void GroupMachine::event(const Event& event, Actions& out) {
  if (const auto* v = std::get_if<ViewEvent>(&event)) {
    view_ = v->view;
    blocked_ = false;
    app_->on_view(*view_, out);
  } else if (std::holds_alternative<BlockEvent>(event)) {
    blocked_ = true;
    app_->on_block(out);
    stack_.down_event(now_, BlockOkEvent{}, out);
  } else if (std::holds_alternative<LeaveEvent>(event)) {
    app_->on_left(out);
  } else if (const auto* f = std::get_if<FlowEvent>(&event)) {
    can_send_ = f->can_send;
    app_->on_flow(can_send_, out);
  } else if (const auto* s = std::get_if<SuspectEvent>(&event)) {
    app_->on_suspect(s->ranks, out);
  }
}

}  // namespace cohort::group
