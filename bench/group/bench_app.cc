#include "bench_app.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "cohort/group/layers/flow.h"
#include "cohort/group/layers/mnak.h"

namespace cohort::bench {

namespace {

std::uint64_t clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::string ids(const std::vector<group::Endpoint>& endpoints, const char* key) {
  std::string out;
  for (const auto& e : endpoints) out += std::string(" ") + key + "=" + std::to_string(e.node);
  return out;
}

}  // namespace

void BenchApp::attach(group::GroupNode& node, std::function<void(int)> finished) {
  node_ = &node;
  finished_ = std::move(finished);
  t_created_ = loop_.now();
}

std::uint64_t BenchApp::mono_ns() const { return clock_ns(CLOCK_MONOTONIC); }

void BenchApp::hash_in(std::uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    order_hash_ ^= (v >> (8 * i)) & 0xff;
    order_hash_ *= 1099511628211ULL;
  }
}

void BenchApp::print_view(const group::View& view) const {
  std::printf("VIEW t_real_ns=%llu members=%zu view=%s primary=%d%s%s\n",
              static_cast<unsigned long long>(clock_ns(CLOCK_REALTIME)), view.size(), view.id.to_string().c_str(),
              view.primary ? 1 : 0, ids(view.left, "left").c_str(), ids(view.joined, "joined").c_str());
  std::fflush(stdout);
}

void BenchApp::on_view(const group::View& view, Actions& /*out*/) {
  view_size_ = view.size();
  if (started_) ++views_;
  if (options_.mode == BenchMode::watch) print_view(view);
  if (joined_ || view.size() < options_.members) return;
  joined_ = true;
  std::printf("JOINED id=%u join_ms=%.3f\n", node_->self().node,
              std::chrono::duration<double, std::milli>(loop_.now() - t_created_).count());
  std::fflush(stdout);
  if (options_.leader && options_.mode != BenchMode::watch && !start_sent_) {
    start_sent_ = true;
    loop_.defer([this] { cast_when_writable(BenchMessage{BenchType::start, 0, mono_ns(), 0}); });
  }
}

void BenchApp::on_deliver(const group::Endpoint& from, const group::Msg& msg, Actions& /*out*/) {
  auto m = decode_bench(msg.payload.view());
  if (!m) return;  // not ours: nothing else casts in a bench group
  switch (m->type) {
    case BenchType::start:
      on_start();
      break;
    case BenchType::data:
      on_data(from, *m, msg.payload.size());
      break;
    case BenchType::end:
      on_end(*m);
      break;
    case BenchType::ping:
      on_ping(from, *m);
      break;
    case BenchType::done:
      on_done();
      break;
  }
}

void BenchApp::on_start() {
  if (started_) return;
  started_ = true;
  views_ = 0;
  t_start_ns_ = mono_ns();
  if (options_.mode == BenchMode::tput && options_.send) {
    sending_ = true;
    stop_sending_ = loop_.now() + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(options_.seconds));
    loop_.defer([this] { pump(); });
  } else if (options_.mode == BenchMode::lat && options_.leader) {
    loop_.defer([this] { next_ping(); });
  }
}

void BenchApp::on_data(const group::Endpoint& from, const BenchMessage& m, std::size_t bytes) {
  if (!started_) return;
  ++delivered_;
  delivered_bytes_ += bytes;
  hash_in((static_cast<std::uint64_t>(from.node) << 32) ^ from.incarnation);
  hash_in(m.seq);
}

void BenchApp::on_end(const BenchMessage& m) {
  ++ends_seen_;
  expected_ += m.extra;
  t_last_end_ns_ = mono_ns();
  std::size_t senders = options_.mode == BenchMode::lat ? 1 : options_.senders;
  if (done_ || ends_seen_ < senders) return;
  done_ = true;
  if (options_.mode == BenchMode::tput) report_tput();
  report_stats();
  if (options_.mode == BenchMode::lat && options_.leader) report_lat();
  loop_.defer([this] { cast_when_writable(BenchMessage{BenchType::done, 0, mono_ns(), 0}); });
}

void BenchApp::on_ping(const group::Endpoint& from, const BenchMessage& m) {
  if (from != node_->self()) return;
  latency_us_.push_back(static_cast<std::uint32_t>((mono_ns() - m.ts_ns) / 1000));
  if (++pings_ >= options_.count) {
    loop_.defer([this] { cast_when_writable(BenchMessage{BenchType::end, 0, mono_ns(), 0}); });
    return;
  }
  loop_.add_timer(std::chrono::milliseconds(options_.gap_ms), [this] { next_ping(); });
}

void BenchApp::next_ping() {
  cast_when_writable(BenchMessage{BenchType::ping, static_cast<std::uint64_t>(pings_), mono_ns(), 0});
}

void BenchApp::on_done() {
  if (++dones_seen_ < std::max(options_.members, view_size_)) return;
  loop_.defer([this] { finished_(0); });
}

bool BenchApp::cast(const BenchMessage& m, std::size_t size) {
  return node_->cast(encode_bench(m, size)).ok();
}

void BenchApp::cast_when_writable(BenchMessage m) {
  if (m.type == BenchType::ping) m.ts_ns = mono_ns();
  std::size_t size = m.type == BenchType::ping ? options_.size : 0;
  if (unsent_.empty() && cast(m, size)) return;
  unsent_.push_back(m);
}

void BenchApp::on_writable() {
  while (!unsent_.empty()) {
    BenchMessage& m = unsent_.front();
    if (m.type == BenchType::ping) m.ts_ns = mono_ns();
    if (!cast(m, m.type == BenchType::ping ? options_.size : 0)) return;
    unsent_.erase(unsent_.begin());
  }
  if (sending_) pump();
}

// Casts one burst in a single call on the machine, so its datagrams leave in
// one sendmmsg, then yields to the loop (a zero timer runs after the loop has
// read the socket) unless back-pressure stopped it; on_writable resumes it.
void BenchApp::pump() {
  pump_armed_ = false;
  if (!sending_) return;
  bool more = true;
  node_->call([&](group::GroupMachine& machine, TimePoint now, Actions& out) {
    for (int i = 0; i < options_.burst; ++i) {
      BenchMessage data{BenchType::data, sent_, mono_ns(), 0};
      if (!machine.can_send() || !machine.cast(now, encode_bench(data, options_.size), out).ok()) {
        more = false;
        return;
      }
      ++sent_;
    }
  });
  if (loop_.now() >= stop_sending_) {
    sending_ = false;
    std::printf("SENT id=%u sent=%llu\n", node_->self().node, static_cast<unsigned long long>(sent_));
    std::fflush(stdout);
    cast_when_writable(BenchMessage{BenchType::end, 0, mono_ns(), sent_});
    return;
  }
  if (more && !pump_armed_) {
    pump_armed_ = true;
    loop_.add_timer(Duration::zero(), [this] { pump(); });
  }
}

void BenchApp::report_tput() const {
  double secs = static_cast<double>(t_last_end_ns_ - t_start_ns_) / 1e9;
  std::printf(
      "TPUT id=%u size=%zu members=%zu senders=%zu delivered=%llu expected=%llu secs=%.3f msgs_per_s=%.0f "
      "MB_per_s=%.2f views=%llu order_hash=%016llx\n",
      node_->self().node, options_.size, view_size_, options_.senders, static_cast<unsigned long long>(delivered_),
      static_cast<unsigned long long>(expected_), secs, static_cast<double>(delivered_) / secs,
      static_cast<double>(delivered_bytes_) / secs / 1e6, static_cast<unsigned long long>(views_),
      static_cast<unsigned long long>(order_hash_));
  std::fflush(stdout);
}

void BenchApp::report_progress() const {
  std::printf("PROGRESS id=%u view_size=%zu started=%d sent=%llu delivered=%llu ends_seen=%zu dones_seen=%zu unsent=%zu\n",
              node_->self().node, view_size_, started_ ? 1 : 0, static_cast<unsigned long long>(sent_),
              static_cast<unsigned long long>(delivered_), ends_seen_, dones_seen_, unsent_.size());
  report_stats();
}

// Why a run was slow: repair traffic, flow control, socket drops.
void BenchApp::report_stats() const {
  std::string out = "STATS id=" + std::to_string(node_->self().node);
  for (const auto& layer : node_->machine().stack().layers()) {
    if (const auto* m = dynamic_cast<const group::Mnak*>(layer.get())) {
      const auto& s = m->stats();
      out += " naks=" + std::to_string(s.naks_sent) + " retransmits=" + std::to_string(s.retransmits_sent) +
             " over_limit=" + std::to_string(s.over_limit) + " duplicates=" + std::to_string(s.duplicates);
    } else if (const auto* f = dynamic_cast<const group::Flow*>(layer.get())) {
      out += " flow_blocked=" + std::to_string(f->stats().blocked) + " overrun=" + std::to_string(f->stats().overrun);
    }
  }
  out += " send_drops=" + std::to_string(node_->stats().send_drops);
  std::printf("%s\n", out.c_str());
  std::fflush(stdout);
}

void BenchApp::report_lat() {
  std::sort(latency_us_.begin(), latency_us_.end());
  auto pct = [&](double p) {
    return latency_us_.empty() ? 0U : latency_us_[static_cast<std::size_t>(p * static_cast<double>(latency_us_.size() - 1))];
  };
  std::printf("LAT id=%u size=%zu members=%zu n=%zu min_us=%u p50_us=%u p90_us=%u p99_us=%u max_us=%u\n",
              node_->self().node, options_.size, view_size_, latency_us_.size(), pct(0), pct(0.5), pct(0.9),
              pct(0.99), pct(1));
  std::fflush(stdout);
}

}  // namespace cohort::bench
