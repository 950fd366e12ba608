#include "cohort/group/layers/drop.h"

namespace cohort::group {

void Drop::up(Msg msg, LayerContext& ctx) {
  bool exempt = msg.kind == Msg::Kind::direct || msg.peer == me_;
  if (!exempt && ctx.rng().chance(options_.rate)) {
    ++stats_.dropped;
    return;
  }
  ++stats_.passed;
  ctx.up(std::move(msg));
}

void Drop::down_event(const Event& event, LayerContext& ctx) {
  if (const auto* v = std::get_if<ViewEvent>(&event)) me_ = v->view->rank_of(ctx.self());
  ctx.down(event);
}

}  // namespace cohort::group
