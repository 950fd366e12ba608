#include "cohort/exec/run_branches.h"

#include <algorithm>
#include <chrono>

#include "cohort/exec/daemon_config.h"
#include "cohort/exec/launch_tree.h"

namespace cohort::exec {

namespace {

bool ends_rank(const RankEvent& event) {
  return std::holds_alternative<TaskExit>(event.event) || std::holds_alternative<Refusal>(event.event);
}

}  // namespace

RefusalReason refusal_reason(FailureKind kind) {
  switch (kind) {
    case FailureKind::unreachable:
      return RefusalReason::unreachable;
    case FailureKind::authentication:
      return RefusalReason::authentication;
    case FailureKind::not_authorised:
      return RefusalReason::not_authorised;
    case FailureKind::spawn_failed:
      return RefusalReason::spawn_failed;
    case FailureKind::timed_out:
      return RefusalReason::timed_out;
    case FailureKind::lost:
      return RefusalReason::lost;
    case FailureKind::refused:
      return RefusalReason::bad_request;
  }
  return RefusalReason::bad_request;
}

RunBranches::RunBranches(EventLoop& loop, SSL_CTX* tls, RunRequest request, Duration connect_timeout,
                         Callbacks callbacks)
    : loop_(loop),
      tls_(tls),
      request_(std::move(request)),
      connect_timeout_(connect_timeout),
      callbacks_(std::move(callbacks)),
      routes_(request_.spec, request_.subtree) {
  links_.resize(routes_.branches().size());
  for (std::size_t b = 0; b < links_.size(); ++b)
    links_[b].head = request_.spec.nodes[routes_.branches()[b].head];
}

RunBranches::~RunBranches() {
  for (Link& link : links_) {
    if (link.deadline != 0) loop_.cancel_timer(link.deadline);
  }
}

void RunBranches::start() {
  for (std::size_t b = 0; b < links_.size(); ++b) connect(b);
}

void RunBranches::connect(std::size_t b) {
  Link& link = links_[b];
  auto target = resolve_target(link.head, kDefaultPort);
  if (!target) {
    lose(b, {FailureKind::unreachable, target.error().message()});
    return;
  }
  auto connector = Connector::start(
      loop_, tls_, *target, connect_timeout_, [this, b](TlsFramedStream& stream) { ready(b, stream); },
      [this, b](Failure failure) { lose(b, failure); });
  if (!connector) {
    lose(b, {FailureKind::unreachable, connector.error().message()});
    return;
  }
  link.connector = std::move(*connector);
  Duration level = std::chrono::milliseconds(request_.spec.level_timeout_ms);
  link.deadline = loop_.add_timer(
      branch_timeout(routes_.branches()[b].subtree.size(), request_.spec.width, level), [this, b] {
        links_[b].deadline = 0;
        overdue(b);
      });
}

void RunBranches::ready(std::size_t b, TlsFramedStream& stream) {
  stream.on_frame([this, b](Buffer bytes) { frame(b, bytes); });
  stream.on_writable([this, b] { flush(b); });
  stream.set_reading(reading_);
  const Branch& branch = routes_.branches()[b];
  RunRequest request = request_;
  request.head = static_cast<std::uint32_t>(branch.head);
  request.subtree.assign(branch.subtree.begin(), branch.subtree.end());
  Link& link = links_[b];
  link.held.push_front(encode(request));  // first, before input given earlier
  link.ready = true;
  flush(b);
}

void RunBranches::frame(std::size_t b, const Buffer& bytes) {
  Link& link = links_[b];
  if (link.closed) return;
  link.connector->connected();
  auto message = decode(bytes);
  if (!message) {
    lose(b, {FailureKind::lost, "undecodable message from " + link.head + ": " + message.error().message()});
  } else if (const auto* event = std::get_if<RankEvent>(&*message)) {
    if (routes_.accept(b, event->rank, ends_rank(*event))) callbacks_.on_event(*event, bytes);
  } else if (const auto* refusal = std::get_if<Refusal>(&*message)) {
    lose(b, failure_from(*refusal));
  } else {
    lose(b, {FailureKind::lost, link.head + " sent something other than rank events"});
  }
}

bool RunBranches::send_input(const RankInput& input) {
  Buffer frame = encode(input);
  if (input.rank == kAllRanks) {
    for (std::size_t b = 0; b < links_.size(); ++b) push(b, frame);
  } else if (auto b = routes_.branch_of(input.rank)) {
    push(*b, frame);
  }
  input_blocked_ = any_held();
  return !input_blocked_;
}

void RunBranches::push(std::size_t b, const Buffer& frame) {
  Link& link = links_[b];
  if (link.closed || routes_.branch_done(b)) return;
  if (!link.ready || !link.held.empty() || !link.connector->stream().send(frame)) link.held.push_back(frame);
}

void RunBranches::flush(std::size_t b) {
  Link& link = links_[b];
  if (link.closed) return;
  auto& stream = link.connector->stream();
  while (!link.held.empty() && stream.send(link.held.front())) link.held.pop_front();
  maybe_unblock();
}

void RunBranches::maybe_unblock() {
  if (!input_blocked_ || any_held()) return;
  input_blocked_ = false;
  if (callbacks_.on_input_writable) callbacks_.on_input_writable();
}

bool RunBranches::any_held() const {
  return std::any_of(links_.begin(), links_.end(), [](const Link& link) { return !link.held.empty(); });
}

void RunBranches::set_reading(bool reading) {
  reading_ = reading;
  for (Link& link : links_) {
    if (link.ready && !link.closed) link.connector->stream().set_reading(reading);
  }
}

void RunBranches::close() {
  for (Link& link : links_) end_link(link);
}

void RunBranches::end_link(Link& link) {
  if (link.deadline != 0) loop_.cancel_timer(link.deadline);
  link.deadline = 0;
  link.held.clear();
  link.closed = true;
  if (link.connector) link.connector->stream().close();
}

void RunBranches::lose(std::size_t b, const Failure& failure) {
  if (links_[b].closed) return;
  end_link(links_[b]);
  refuse_ranks(b, routes_.lose(b), failure);
  maybe_unblock();  // the lost branch no longer holds input back
}

void RunBranches::overdue(std::size_t b) {
  auto ms = request_.spec.level_timeout_ms;
  Failure silent{FailureKind::unreachable, "no answer from " + links_[b].head + " within " +
                                               std::to_string(ms / 1000) + "." +
                                               std::to_string(ms % 1000 / 100) + " s per level"};
  refuse_ranks(b, routes_.overdue(b), silent);
  if (!routes_.branch_done(b)) return;
  end_link(links_[b]);
  maybe_unblock();
}

void RunBranches::refuse_ranks(std::size_t b, const std::vector<std::uint32_t>& ranks,
                               const Failure& failure) {
  RankRange own = ranks_of_node(request_.spec, static_cast<std::uint32_t>(routes_.branches()[b].head));
  for (std::uint32_t rank : ranks) {
    bool on_head = rank >= own.first && rank < own.end;
    RankEvent event{
        rank, Refusal{refusal_reason(failure.kind),
                      on_head ? failure.detail : "relay via " + links_[b].head + ": " + failure.detail}};
    callbacks_.on_event(event, encode(event));
  }
}

}  // namespace cohort::exec
