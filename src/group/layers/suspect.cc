#include "cohort/group/layers/suspect.h"

namespace cohort::group {

namespace {
constexpr std::uint8_t kHeartbeat = 1, kProbe = 2, kHeard = 3;
constexpr std::size_t kKind = 0, kSubject = 1;
}  // namespace

void Suspect::down_event(const Event& event, LayerContext& ctx) {
  if (const auto* v = std::get_if<ViewEvent>(&event)) reset(*v, ctx);
  ctx.down(event);
}

void Suspect::reset(const ViewEvent& event, LayerContext& ctx) {
  view_ = event.view;
  me_ = view_->rank_of(ctx.self());
  // Fresh timers: a new member gets a full timeout before it can be suspected.
  peers_.assign(view_->size(), Peer{ctx.now(), std::nullopt, {}, false, false});
  changed_ = false;
  if (me_ == kNoRank) {
    ctx.cancel_timer(kTick);
    return;
  }
  ctx.set_timer(kTick, options_.heartbeat_interval);
}

void Suspect::up(Msg msg, LayerContext& ctx) {
  if (msg.kind != Msg::Kind::direct && msg.peer < peers_.size()) {
    peers_[msg.peer].heard = ctx.now();
    peers_[msg.peer].timeout_from = ctx.now();
  }
  if (ctx.slot(msg).get(kKind) != 0) {
    on_own(msg, ctx);
    return;
  }
  ctx.up(std::move(msg));
}

void Suspect::on_own(Msg& msg, LayerContext& ctx) {
  HeaderSlot h = ctx.slot(msg);
  auto subject = static_cast<Rank>(h.get(kSubject));
  if (subject >= peers_.size() || msg.peer >= peers_.size()) return;
  switch (h.get(kKind)) {
    case kProbe:
      if (heard_recently(subject, ctx.now())) {
        ++stats_.probes_answered;
        send_own(ctx, Msg::Kind::send, msg.peer, kHeard, subject);
      }
      break;
    case kHeard:
      // Someone heard the subject within the timeout: it is alive, only our
      // path to it is broken; start its timeout again.
      peers_[subject].timeout_from = ctx.now();
      peers_[subject].probing = false;
      break;
    default:
      break;  // heartbeat: hearing it was the point
  }
}

bool Suspect::heard_recently(Rank r, TimePoint now) const {
  return peers_[r].heard && now - *peers_[r].heard < options_.suspect_timeout;
}

bool Suspect::silent(Rank r, TimePoint now) const { return now - peers_[r].timeout_from >= options_.suspect_timeout; }

void Suspect::timer(std::uint32_t /*key*/, LayerContext& ctx) {
  if (!view_ || me_ == kNoRank) return;
  ++stats_.heartbeats_sent;
  send_own(ctx, Msg::Kind::cast, kNoRank, kHeartbeat, 0);
  for (std::size_t r = 0; r < peers_.size(); ++r) {
    if (r != me_) check(static_cast<Rank>(r), ctx);
  }
  if (changed_) {
    SuspectEvent event;
    for (std::size_t r = 0; r < peers_.size(); ++r) {
      if (peers_[r].suspected) event.ranks.push_back(static_cast<Rank>(r));
    }
    ctx.up(Event{std::move(event)});
    changed_ = false;
  }
  ctx.set_timer(kTick, options_.heartbeat_interval);
}

void Suspect::check(Rank r, LayerContext& ctx) {
  Peer& p = peers_[r];
  if (p.suspected || !silent(r, ctx.now())) {
    p.probing = false;
    return;
  }
  if (!p.probing) {
    p.probing = true;
    p.probe_started = ctx.now();
  }
  if (ctx.now() - p.probe_started >= options_.probe_timeout) {
    p.suspected = true;
    p.probing = false;
    changed_ = true;
    return;
  }
  // Asked again every tick while the probe lasts: requests and answers may
  // be lost like any datagram.
  for (std::size_t other = 0; other < peers_.size(); ++other) {
    if (other == me_ || other == r) continue;
    ++stats_.probes_sent;
    send_own(ctx, Msg::Kind::send, static_cast<Rank>(other), kProbe, r);
  }
}

void Suspect::send_own(LayerContext& ctx, Msg::Kind kind, Rank to, std::uint8_t own_kind, Rank subject) {
  Msg msg;
  msg.kind = kind;
  msg.peer = to;
  HeaderSlot h = ctx.slot(msg);
  h.set(kKind, own_kind);
  h.set(kSubject, subject);
  ctx.down(std::move(msg));
}

}  // namespace cohort::group
