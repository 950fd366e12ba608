#include "cohort/group/layers/gmp.h"

#include <algorithm>
#include <tuple>

namespace cohort::group {

namespace {

enum class Kind : std::uint8_t {
  alive = 1, flush = 2, flush_ok = 3, cut = 4, cut_ok = 5, install = 6, install_ok = 7, suspect = 8, leave = 9,
  abort = 10,
};

constexpr std::uint32_t kGossipTimer = 1;
constexpr std::uint32_t kRetryTimer = 2;
constexpr std::size_t kMaxList = 4096;
constexpr std::size_t kMaxState = 60 * 1024;  // state travels in one datagram for now

void put(ByteWriter& w, const Endpoint& e) { w.u32(e.node); w.u32(e.incarnation); }
Endpoint get_endpoint(ByteReader& r) { Endpoint e; e.node = r.u32(); e.incarnation = r.u32(); return e; }
void put(ByteWriter& w, const ViewId& id) { w.u32(id.ltime); put(w, id.coordinator); }
ViewId get_view_id(ByteReader& r) { ViewId id; id.ltime = r.u32(); id.coordinator = get_endpoint(r); return id; }
void put(ByteWriter& w, const Gmp::Proposal& p) { w.u32(p.ltime); put(w, p.coordinator); }
Gmp::Proposal get_proposal(ByteReader& r) { Gmp::Proposal p; p.ltime = r.u32(); p.coordinator = get_endpoint(r); return p; }

void put(ByteWriter& w, std::uint64_t count) { w.u64(count); }
std::uint64_t get_count(ByteReader& r) { return r.u64(); }

// Lists: u16 count, then the items.
template <typename Range>
void put_list(ByteWriter& w, const Range& list) {
  w.u16(static_cast<std::uint16_t>(list.size()));
  for (const auto& item : list) put(w, item);
}
template <typename T, typename Get>
std::vector<T> get_list(ByteReader& r, Get get) {
  std::size_t n = r.u16();
  if (n > kMaxList) r.fail(Errc::too_large, "list too long");
  std::vector<T> out;
  for (std::size_t i = 0; i < n && !r.failed(); ++i) out.push_back(get(r));
  return out;
}
template <typename Range>
void put_endpoints(ByteWriter& w, const Range& list) { put_list(w, list); }
std::vector<Endpoint> get_endpoints(ByteReader& r) { return get_list<Endpoint>(r, get_endpoint); }
void put_counts(ByteWriter& w, const std::vector<std::uint64_t>& v) { put_list(w, v); }
std::vector<std::uint64_t> get_counts(ByteReader& r) { return get_list<std::uint64_t>(r, get_count); }
void put_view_ids(ByteWriter& w, const std::vector<ViewId>& ids) { put_list(w, ids); }
std::vector<ViewId> get_view_ids(ByteReader& r) { return get_list<ViewId>(r, get_view_id); }

ByteWriter message(Kind kind) {
  ByteWriter w(64);
  w.u8(static_cast<std::uint8_t>(kind));
  return w;
}

// More than half of `reference`'s endpoints are among `members`. Endpoints,
// not nodes: a restarted incarnation remembers nothing of the views its
// node was in, so it cannot stand in for its predecessor's vote.
bool majority_of(const std::vector<Endpoint>& reference, const std::set<Endpoint>& members) {
  if (reference.empty()) return true;
  std::size_t present = 0;
  for (const Endpoint& r : reference) present += members.count(r);
  return 2 * present > reference.size();
}

}  // namespace

struct Gmp::Report {
  ViewId view;
  std::vector<Endpoint> view_members;
  std::vector<std::uint64_t> delivered;
  PrimaryKnowledge primary;
};

struct Gmp::Flush {
  enum class Phase { flushing, cutting, installing };
  Proposal proposal;
  std::set<Endpoint> members;  // everyone taking part, leavers included
  std::map<Endpoint, Report> reports;
  std::set<Endpoint> answered;  // of the current phase
  std::set<Endpoint> asked;     // sent FLUSH at least once
  Phase phase = Phase::flushing;
  TimePoint phase_started{};
  std::map<ViewId, std::vector<std::uint64_t>> cuts;
  std::vector<Endpoint> final_members;
  ViewId view_id;
  bool primary = false;
  // A member that installed the last primary view: it installs a new primary
  // view before anyone else, so consecutive primary views share an installer.
  std::optional<Endpoint> anchor;
  std::shared_ptr<View> view;
  std::optional<Buffer> state;
  ViewId my_old_view;
};

Gmp::Gmp(Options options, StateHooks* state) : options_(std::move(options)), state_(state) {
  for (NodeId n : options_.seeds) primary_.last_members.push_back(Endpoint{n, 0});
}

Gmp::~Gmp() = default;

void Gmp::start(LayerContext& ctx) {
  // A restarted process has forgotten which views were primary; it must not
  // bootstrap a primary view of its own (that could fork the chain), so it
  // knows nothing until a member that remembers joins it.
  if (options_.restarted.value_or(ctx.self().incarnation > 0)) primary_.last_members.clear();
  auto view = std::make_shared<View>();
  view->members = {ctx.self()};
  view->id = ViewId{0, ctx.self()};
  view->primary = !primary_.last_members.empty() && majority_of(primary_.last_members, {ctx.self()});
  view->joined = view->members;
  install_local(view, ctx);
  ctx.set_timer(kGossipTimer, options_.gossip_interval);
  ctx.set_timer(kRetryTimer, options_.retry_interval);
}

// ---------------------------------------------------------------- messages

void Gmp::send_control(const Endpoint& to, Buffer body, LayerContext& ctx) {
  if (to == ctx.self()) {
    self_inbox_.emplace_back(to, std::move(body));
    return;
  }
  Msg msg;
  msg.kind = Msg::Kind::direct;
  msg.endpoint = to;
  msg.payload = std::move(body);
  ctx.slot(msg).set(0, 1);
  ctx.down(std::move(msg));
}

void Gmp::drain_self(LayerContext& ctx) {
  if (draining_) return;
  draining_ = true;
  while (!self_inbox_.empty()) {
    auto [from, body] = std::move(self_inbox_.front());
    self_inbox_.erase(self_inbox_.begin());
    on_control(ctx.self(), body, ctx);
  }
  draining_ = false;
}

void Gmp::on_control(const Endpoint& from, const Buffer& body, LayerContext& ctx) {
  if (left_) return;
  ByteReader in(body);
  auto kind = static_cast<Kind>(in.u8());
  switch (kind) {
    case Kind::alive: on_alive(from, in, ctx); break;
    case Kind::flush: on_flush(from, in, ctx); break;
    case Kind::flush_ok: on_flush_ok(from, in); flush_progress(ctx); break;
    case Kind::cut: on_cut(in, ctx); break;
    case Kind::cut_ok:
    case Kind::install_ok: {
      Proposal p = get_proposal(in);
      // A late duplicate of a CUT_OK must not pass for an INSTALL_OK.
      Flush::Phase phase = kind == Kind::cut_ok ? Flush::Phase::cutting : Flush::Phase::installing;
      if (in.finish().ok() && flush_ && flush_->proposal == p && flush_->phase == phase) flush_->answered.insert(from);
      flush_progress(ctx);
      break;
    }
    case Kind::install: on_install(from, in, ctx); break;
    case Kind::suspect: {
      for (const Endpoint& e : get_endpoints(in)) {
        if (in.finish().ok() && view_->contains(e) && e != ctx.self()) suspected_.insert(e);
      }
      reconsider(ctx);
      break;
    }
    case Kind::abort: {
      Proposal p = get_proposal(in);
      if (in.finish().ok() && accepted_ && *accepted_ == p && from == p.coordinator) abandon_proposal(ctx, false);
      break;
    }
    case Kind::leave:
      if (view_->contains(from)) leaving_.insert(from);
      reconsider(ctx);
      break;
    default: break;  // unknown kinds from newer versions are ignored
  }
}

// ---------------------------------------------------------------- data path

void Gmp::down(Msg msg, LayerContext& ctx) {
  if (left_) return;
  if (msg.kind == Msg::Kind::cast && accepted_) {
    pending_down_.push_back(std::move(msg));  // sent in the next view
    return;
  }
  ctx.down(std::move(msg));
}

void Gmp::up(Msg msg, LayerContext& ctx) {
  if (msg.kind == Msg::Kind::direct) {
    if (ctx.slot(msg).get(0) == 1) {
      on_control(msg.endpoint, msg.payload, ctx);
      drain_self(ctx);
    } else {
      ctx.up(std::move(msg));
    }
    return;
  }
  if (left_) return;
  if (msg.kind != Msg::Kind::cast || msg.peer >= delivered_.size()) {
    ctx.up(std::move(msg));
    return;
  }
  if (accepted_) {
    held_[msg.peer].push_back(std::move(msg));
    release_held(ctx);
    return;
  }
  ++delivered_[msg.peer];
  ctx.up(std::move(msg));
}

// Held casts go up as far as the cut allows; the rest wait for a later cut
// or are discarded when the next view is installed.
void Gmp::release_held(LayerContext& ctx) {
  if (!cut_) return;
  for (auto& [rank, msgs] : held_) {
    std::size_t taken = 0;
    while (taken < msgs.size() && delivered_[rank] < (*cut_)[rank]) {
      ++delivered_[rank];
      ctx.up(std::move(msgs[taken++]));
    }
    msgs.erase(msgs.begin(), msgs.begin() + static_cast<std::ptrdiff_t>(taken));
  }
  maybe_cut_ok(ctx);
}

// ---------------------------------------------------------------- events

void Gmp::down_event(const Event& event, LayerContext& ctx) {
  if (std::holds_alternative<LeaveEvent>(event)) {
    if (acting_coordinator(ctx)) {
      leaving_.insert(ctx.self());
      reconsider(ctx);
    } else {
      send_control(view_->members.front(), message(Kind::leave).finish(), ctx);
    }
    drain_self(ctx);
    return;
  }
  if (std::holds_alternative<BlockOkEvent>(event)) return;  // the flush already holds casts
  ctx.down(event);
}

void Gmp::up_event(const Event& event, LayerContext& ctx) {
  if (const auto* s = std::get_if<SuspectEvent>(&event)) {
    std::vector<Endpoint> news;
    for (Rank r : s->ranks) {
      if (r < view_->size() && view_->members[r] != ctx.self() && suspected_.insert(view_->members[r]).second) {
        news.push_back(view_->members[r]);
      }
    }
    if (!news.empty() && !acting_coordinator(ctx)) {
      ByteWriter w = message(Kind::suspect);
      put_endpoints(w, news);
      Endpoint coord = *std::find_if(view_->members.begin(), view_->members.end(),
                                     [&](const Endpoint& e) { return suspected_.count(e) == 0; });
      send_control(coord, w.finish(), ctx);
    }
    reconsider(ctx);
    drain_self(ctx);
    return;
  }
  if (std::holds_alternative<CutReachedEvent>(event)) return;  // gmp counts deliveries itself
  ctx.up(event);
}

void Gmp::timer(std::uint32_t key, LayerContext& ctx) {
  if (left_) return;
  if (key == kGossipTimer) {
    gossip(ctx);
    ctx.set_timer(kGossipTimer, options_.gossip_interval);
  } else if (key == kRetryTimer) {
    retry(ctx);
    ctx.set_timer(kRetryTimer, options_.retry_interval);
  }
  drain_self(ctx);
}

// ---------------------------------------------------------------- member side

void Gmp::on_flush(const Endpoint& from, ByteReader& in, LayerContext& ctx) {
  Proposal p = get_proposal(in);
  std::vector<Endpoint> members = get_endpoints(in);
  if (!in.finish().ok() || p.coordinator != from) return;
  if (std::find(members.begin(), members.end(), ctx.self()) == members.end()) return;
  max_ltime_ = std::max(max_ltime_, p.ltime);
  if (max_accepted_ && p <= *max_accepted_ && p != accepted_) return;
  if (!accepted_ || p != *accepted_) {
    if (!accepted_) ctx.up(BlockEvent{});
    if (p.coordinator != ctx.self()) drop_flush(ctx);  // ours can no longer complete
    accepted_ = p;
    max_accepted_ = p;
    accepted_from_ = from;
    accepted_at_ = ctx.now();
    cut_.reset();
    cut_ok_sent_ = false;
  }
  send_flush_ok(ctx);
}

void Gmp::send_flush_ok(LayerContext& ctx) {
  ByteWriter w = message(Kind::flush_ok);
  put(w, *accepted_);
  put(w, view_->id);
  put_endpoints(w, view_->members);
  put_counts(w, delivered_);
  put(w, primary_.last);
  put_endpoints(w, primary_.last_members);
  w.u8(primary_.installed ? 1 : 0);
  w.u16(static_cast<std::uint16_t>(primary_.ambiguous.size()));
  for (const AmbiguousView& a : primary_.ambiguous) {
    put(w, a.id);
    put_endpoints(w, a.members);
  }
  send_control(accepted_from_, w.finish(), ctx);
}

void Gmp::on_cut(ByteReader& in, LayerContext& ctx) {
  Proposal p = get_proposal(in);
  std::vector<std::uint64_t> cut = get_counts(in);
  std::vector<Endpoint> final_members = get_endpoints(in);
  bool primary = in.u8() != 0;
  ViewId view_id = get_view_id(in);
  if (!in.finish().ok() || !accepted_ || p != *accepted_ || cut.size() != delivered_.size()) return;
  for (std::size_t r = 0; r < cut.size(); ++r) {
    if (cut[r] < delivered_[r]) return;  // cannot be: we reported at least this much
  }
  if (!cut_) {
    cut_ = cut;
    if (primary) {  // it may be installed without us: remember it
      primary_.ambiguous.push_back(AmbiguousView{view_id, final_members});
    }
    ctx.down(CutEvent{cut});
  }
  release_held(ctx);
  if (cut_ok_sent_) {  // a retry of CUT: answer again
    cut_ok_sent_ = false;
    maybe_cut_ok(ctx);
  }
}

void Gmp::maybe_cut_ok(LayerContext& ctx) {
  if (!cut_ || cut_ok_sent_) return;
  for (std::size_t r = 0; r < delivered_.size(); ++r) {
    if (delivered_[r] < (*cut_)[r]) return;
  }
  cut_ok_sent_ = true;
  ByteWriter w = message(Kind::cut_ok);
  put(w, *accepted_);
  send_control(accepted_from_, w.finish(), ctx);
}

void Gmp::on_install(const Endpoint& from, ByteReader& in, LayerContext& ctx) {
  Proposal p = get_proposal(in);
  auto view = std::make_shared<View>();
  view->id = get_view_id(in);
  view->members = get_endpoints(in);
  view->primary = in.u8() != 0;
  view->left = get_endpoints(in);
  view->joined = get_endpoints(in);
  view->previous = get_view_ids(in);
  std::optional<Buffer> state;
  if (in.u8() != 0) state = in.blob_slice(kMaxState);
  if (!in.finish().ok()) return;
  if (accepted_ && p == *accepted_ && cut_ok_sent_) {
    install(view, state, ctx);
  } else if (!view_ || view_->id != view->id) {
    return;  // not the proposal we agreed to
  }
  ByteWriter w = message(Kind::install_ok);
  put(w, p);
  send_control(from, w.finish(), ctx);
}

void Gmp::install(std::shared_ptr<View> view, const std::optional<Buffer>& state, LayerContext& ctx) {
  if (!view->contains(ctx.self())) {
    left_ = true;  // we flushed our casts and are not in the new view: we left
    ctx.up(LeaveEvent{});
    return;
  }
  if (state && state_ != nullptr && std::find(view->joined.begin(), view->joined.end(), ctx.self()) != view->joined.end()) {
    state_->restore(*state);
  }
  install_local(std::move(view), ctx);
  std::vector<Msg> pending;
  pending.swap(pending_down_);
  for (Msg& m : pending) ctx.down(std::move(m));
}

void Gmp::install_local(std::shared_ptr<View> view, LayerContext& ctx) {
  max_ltime_ = std::max(max_ltime_, view->id.ltime);
  if (view->primary) {
    primary_.last = view->id;
    primary_.last_members = view->members;
    primary_.installed = true;
    primary_.ambiguous.clear();
  }
  view_ = view;
  delivered_.assign(view->size(), 0);
  suspected_.clear();
  leaving_.clear();
  accepted_.reset();
  cut_.reset();
  cut_ok_sent_ = false;
  held_.clear();
  ctx.down(ViewEvent{view});
  ctx.up(ViewEvent{view});
}

// Our flush will never install: its members need not wait for install_timeout.
void Gmp::drop_flush(LayerContext& ctx) {
  if (!flush_) return;
  ByteWriter w = message(Kind::abort);
  put(w, flush_->proposal);
  Buffer body = w.finish();
  for (const Endpoint& e : flush_->members) {
    if (e != ctx.self()) send_control(e, body, ctx);
  }
  flush_.reset();
}

void Gmp::abandon_proposal(LayerContext& ctx, bool suspect_coordinator) {
  if (suspect_coordinator && accepted_from_ != ctx.self() && view_->contains(accepted_from_)) {
    suspected_.insert(accepted_from_);
  }
  accepted_.reset();
  cut_.reset();
  cut_ok_sent_ = false;
  // Back in the old view: what was held may go up after all, in order.
  auto held = std::move(held_);
  held_.clear();
  for (auto& [rank, msgs] : held) {
    for (Msg& m : msgs) {
      ++delivered_[rank];
      ctx.up(std::move(m));
    }
  }
  std::vector<Msg> pending;
  pending.swap(pending_down_);
  for (Msg& m : pending) ctx.down(std::move(m));
  reconsider(ctx);
}

// ---------------------------------------------------------------- coordinator side

bool Gmp::acting_coordinator(const LayerContext& ctx) const {
  for (const Endpoint& e : view_->members) {
    if (suspected_.count(e) == 0) return e == ctx.self();
  }
  return false;
}

std::set<Endpoint> Gmp::desired_members() const {
  std::set<Endpoint> out;
  for (const Endpoint& e : view_->members) {
    if (suspected_.count(e) == 0) out.insert(e);
  }
  return out;
}

void Gmp::reconsider(LayerContext& ctx) {
  if (left_ || flush_ || !acting_coordinator(ctx)) return;
  if (accepted_ && accepted_from_ != ctx.self()) return;  // someone else's flush is under way
  std::set<Endpoint> desired = desired_members();
  bool change = desired.size() != view_->size() || !leaving_.empty();
  if (change) start_flush(desired, ctx);
}

void Gmp::gossip(LayerContext& ctx) {
  if (!acting_coordinator(ctx) || accepted_ || flush_) return;
  ByteWriter w = message(Kind::alive);
  put(w, view_->id);
  put_endpoints(w, view_->members);
  w.u8(primary_.installed ? 1 : 0);
  put(w, primary_.last);
  Buffer body = w.finish();
  for (NodeId node : options_.seeds) {
    bool member = std::any_of(view_->members.begin(), view_->members.end(),
                              [&](const Endpoint& e) { return e.node == node; });
    if (!member) send_control(Endpoint{node, 0}, body, ctx);
  }
}

void Gmp::on_alive(const Endpoint& from, ByteReader& in, LayerContext& ctx) {
  ViewId their_view = get_view_id(in);
  std::vector<Endpoint> their_members = get_endpoints(in);
  bool their_installed = in.u8() != 0;
  ViewId their_primary = get_view_id(in);
  if (!in.finish().ok() || their_view == view_->id) return;
  max_ltime_ = std::max(max_ltime_, their_view.ltime);
  if (!acting_coordinator(ctx) || accepted_ || flush_) return;
  // One side merges, the other waits for its FLUSH: the coordinator that
  // installed the newer primary view (it can then install the merged view
  // first, see decide_primary), else the lower one.
  auto mine = std::make_tuple(primary_.installed, primary_.last, from);
  auto theirs = std::make_tuple(their_installed, their_primary, ctx.self());
  if (mine < theirs) return;
  std::set<Endpoint> members = desired_members();
  for (const Endpoint& e : their_members) {
    // A member that moved on from our view shows up with a new incarnation or in their view: theirs wins.
    members.insert(e);
  }
  start_flush(members, ctx);
}

void Gmp::start_flush(std::set<Endpoint> members, LayerContext& ctx) {
  for (const Endpoint& e : leaving_) members.insert(e);
  members.insert(ctx.self());
  flush_ = std::make_unique<Flush>();
  flush_->proposal = Proposal{++max_ltime_, ctx.self()};
  flush_->members = std::move(members);
  flush_->phase_started = ctx.now();
  flush_->my_old_view = view_->id;
  send_phase_messages(ctx);
}

// To every member that has not answered, or with only_new to those not asked
// yet (members a report just added): answers must not trigger a round to
// everyone, or duplicated datagrams multiply without bound.
void Gmp::send_phase_messages(LayerContext& ctx, bool only_new) {
  Flush& f = *flush_;
  for (const Endpoint& e : f.members) {
    if (f.answered.count(e) != 0) continue;
    if (only_new && !f.asked.insert(e).second) continue;
    f.asked.insert(e);
    if (f.phase == Flush::Phase::installing && f.anchor && e != *f.anchor) continue;
    ByteWriter w(64);
    if (f.phase == Flush::Phase::flushing) {
      w = message(Kind::flush);
      put(w, f.proposal);
      put_endpoints(w, f.members);
    } else if (f.phase == Flush::Phase::cutting) {
      w = message(Kind::cut);
      put(w, f.proposal);
      put_counts(w, f.cuts[f.reports[e].view]);
      put_endpoints(w, f.final_members);
      w.u8(f.primary ? 1 : 0);
      put(w, f.view_id);
    } else {
      w = message(Kind::install);
      put(w, f.proposal);
      put(w, f.view->id);
      put_endpoints(w, f.view->members);
      w.u8(f.view->primary ? 1 : 0);
      put_endpoints(w, f.view->left);
      put_endpoints(w, f.view->joined);
      put_view_ids(w, f.view->previous);
      bool joiner = f.reports[e].view != f.my_old_view;
      w.u8(joiner && f.state ? 1 : 0);
      if (joiner && f.state) w.blob(*f.state);
    }
    send_control(e, w.finish(), ctx);
  }
}

void Gmp::on_flush_ok(const Endpoint& from, ByteReader& in) {
  Proposal p = get_proposal(in);
  Report r;
  r.view = get_view_id(in);
  r.view_members = get_endpoints(in);
  r.delivered = get_counts(in);
  r.primary.last = get_view_id(in);
  r.primary.last_members = get_endpoints(in);
  r.primary.installed = in.u8() != 0;
  std::size_t n = in.u16();
  for (std::size_t i = 0; i < n && i < kMaxList && !in.failed(); ++i) {
    ViewId id = get_view_id(in);
    r.primary.ambiguous.push_back(AmbiguousView{id, get_endpoints(in)});
  }
  if (!in.finish().ok() || !flush_ || flush_->proposal != p || flush_->phase != Flush::Phase::flushing) return;
  if (r.delivered.size() != r.view_members.size()) return;
  max_ltime_ = std::max(max_ltime_, r.view.ltime);
  // Whole views merge: the reporter's view-mates join the flush, so a merge
  // never tears a view apart.
  for (const Endpoint& e : r.view_members) {
    if (suspected_.count(e) == 0) flush_->members.insert(e);
  }
  flush_->reports[from] = std::move(r);
  flush_->answered.insert(from);
}

void Gmp::flush_progress(LayerContext& ctx) {
  if (!flush_) return;
  Flush& f = *flush_;
  if (f.phase == Flush::Phase::installing && f.anchor && f.answered.count(*f.anchor) != 0) {
    f.anchor.reset();  // the anchor installed: now everyone may
    send_phase_messages(ctx);
  }
  if (f.answered.size() < f.members.size()) {
    if (f.phase == Flush::Phase::flushing) send_phase_messages(ctx, /*only_new=*/true);
    return;
  }
  f.answered.clear();
  f.phase_started = ctx.now();
  if (f.phase == Flush::Phase::flushing) {
    finish_flushing(ctx);
    f.phase = Flush::Phase::cutting;
  } else if (f.phase == Flush::Phase::cutting) {
    make_view();
    f.phase = Flush::Phase::installing;
  } else {
    flush_.reset();  // everyone installed
    return;
  }
  send_phase_messages(ctx);
}

void Gmp::make_view() {
  Flush& f = *flush_;
  auto view = std::make_shared<View>();
  view->id = f.view_id;
  view->members = f.final_members;
  view->primary = f.primary;
  std::set<Endpoint> final_set(f.final_members.begin(), f.final_members.end());
  std::set<Endpoint> left;
  for (const auto& [e, r] : f.reports) {
    for (const Endpoint& m : r.view_members) {
      if (final_set.count(m) == 0) left.insert(m);
    }
    if (final_set.count(e) != 0 && r.view != f.my_old_view) view->joined.push_back(e);
  }
  view->left.assign(left.begin(), left.end());
  for (const Endpoint& m : view->members) view->previous.push_back(f.reports[m].view);
  f.view = view;
  if (state_ != nullptr && !view->joined.empty()) f.state = state_->snapshot();
}

void Gmp::finish_flushing(LayerContext& ctx) {
  Flush& f = *flush_;
  std::map<ViewId, std::vector<std::uint64_t>> cuts;
  std::uint32_t ltime = f.proposal.ltime;
  for (const auto& [e, r] : f.reports) {
    auto& cut = cuts[r.view];
    if (cut.empty()) cut.assign(r.delivered.size(), 0);
    for (std::size_t i = 0; i < cut.size() && i < r.delivered.size(); ++i) cut[i] = std::max(cut[i], r.delivered[i]);
    ltime = std::max(ltime, r.view.ltime + 1);
  }
  f.cuts = std::move(cuts);
  max_ltime_ = std::max(max_ltime_, ltime);
  f.view_id = ViewId{ltime, ctx.self()};
  std::set<Endpoint> final_set;
  for (const Endpoint& e : f.members) {
    if (leaving_.count(e) == 0) final_set.insert(e);
  }
  f.final_members.assign(final_set.begin(), final_set.end());
  decide_primary(final_set, ctx);
}

// Dynamic linear voting, made checkable: the new view is primary if it holds
// a majority of the newest primary view a member here installed (or of the
// seeds, before any), and no newer primary view may have been installed
// without us. A newer one a member agreed to at the cut is harmless only if
// its coordinator is here: it gave it up when it joined this flush, and had
// it installed it, it would be that coordinator's last primary view.
void Gmp::decide_primary(const std::set<Endpoint>& final_set, LayerContext& ctx) {
  Flush& f = *flush_;
  const PrimaryKnowledge* newest = nullptr;
  for (const auto& [e, r] : f.reports) {
    if (r.primary.last_members.empty()) continue;
    if (newest == nullptr || r.primary.last > newest->last) newest = &r.primary;
  }
  f.primary = newest != nullptr && !final_set.empty() && majority_of(newest->last_members, final_set);
  for (const auto& [e, r] : f.reports) {
    for (const AmbiguousView& a : r.primary.ambiguous) {
      bool newer = newest == nullptr || a.id.ltime > newest->last.ltime;
      if (newer && f.reports.count(a.id.coordinator) == 0) f.primary = false;
    }
  }
  f.anchor.reset();
  if (!f.primary || !newest->installed) return;
  // Members of our old view install with us, not before (joiners must not:
  // they restore our state, which we record only on installing).
  auto installed_it = [&](const Endpoint& e) {
    const Report& r = f.reports[e];
    return final_set.count(e) != 0 && r.view == f.my_old_view && r.primary.installed &&
           r.primary.last == newest->last;
  };
  if (installed_it(ctx.self())) return;  // we install first anyway
  for (const auto& [e, r] : f.reports) {
    if (installed_it(e)) {
      f.anchor = e;
      return;
    }
  }
  f.primary = false;  // no one here can install it first
}

void Gmp::retry(LayerContext& ctx) {
  if (accepted_ && ctx.now() - accepted_at_ > options_.install_timeout) abandon_proposal(ctx, true);
  if (!flush_) {
    reconsider(ctx);
    return;
  }
  Flush& f = *flush_;
  if (ctx.now() - f.phase_started > options_.flush_timeout) {
    if (f.phase == Flush::Phase::installing) {
      flush_.reset();
      reconsider(ctx);
      return;
    }
    std::unique_ptr<Flush> old = std::move(flush_);
    std::set<Endpoint> responsive = old->answered;  // start again without the silent ones
    for (const Endpoint& e : old->members) {
      if (responsive.count(e) == 0) suspected_.insert(e);
    }
    responsive.insert(ctx.self());
    start_flush(responsive, ctx);
    return;
  }
  send_phase_messages(ctx);
}

}  // namespace cohort::group
