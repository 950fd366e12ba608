// The application of one cohort-group-bench member: the measuring modes of
// the Corosync anchor's cpgperf client on a GroupNode. tput: the first
// `senders` members cast as fast as back-pressure lets them for a while,
// every member counts what it delivers and hashes the delivery order. lat:
// the leader casts one message at a time and waits for its own delivery.
// watch: every installed view is printed with the wall-clock time, for
// failover timing. Each result is one line of key=value pairs on stdout.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench_message.h"
#include "cohort/core/event_loop.h"
#include "cohort/group/node.h"

namespace cohort::bench {

enum class BenchMode { tput, lat, watch };

struct BenchOptions {
  BenchMode mode = BenchMode::tput;
  std::size_t members = 1;  // a run starts once a view has this many members
  std::size_t senders = 1;  // tput: how many members send (each ends with END)
  bool leader = false;      // casts START (and the pings in lat)
  bool send = false;        // tput: this member is one of the senders
  std::size_t size = 64;    // bytes per DATA / PING message
  double seconds = 3;       // tput: sending time; watch: how long to watch
  int count = 2000;         // lat: round trips
  int gap_ms = 0;           // lat: idle time between round trips
  int burst = 64;           // tput: casts per turn of the loop (one batch of datagrams)
};

class BenchApp final : public group::NodeApp {
 public:
  BenchApp(EventLoop& loop, BenchOptions options) : loop_(loop), options_(options) {}
  // Before start(): the node this app runs on, and what to call when the
  // member is finished (with its exit status: 0 ok).
  void attach(group::GroupNode& node, std::function<void(int)> finished);

  void on_view(const group::View& view, Actions& out) override;
  void on_deliver(const group::Endpoint& from, const group::Msg& msg, Actions& out) override;
  void on_writable() override;
  // What a member that ran out of time had got to (one line).
  void report_progress() const;

 private:
  void print_view(const group::View& view) const;
  void on_start();
  void on_data(const group::Endpoint& from, const BenchMessage& m, std::size_t bytes);
  void on_end(const BenchMessage& m);
  void on_ping(const group::Endpoint& from, const BenchMessage& m);
  void on_done();
  void pump();
  void next_ping();
  bool cast(const BenchMessage& m, std::size_t size = 0);
  void cast_when_writable(BenchMessage m);
  void report_tput() const;
  void report_lat();
  void report_stats() const;
  void hash_in(std::uint64_t v);
  std::uint64_t mono_ns() const;

  EventLoop& loop_;
  BenchOptions options_;
  group::GroupNode* node_ = nullptr;
  std::function<void(int)> finished_;

  std::size_t view_size_ = 0;
  std::uint64_t views_ = 0;        // views installed since START
  bool joined_ = false;
  TimePoint t_created_{};
  bool start_sent_ = false;
  bool started_ = false;
  bool sending_ = false;
  bool pump_armed_ = false;
  bool done_ = false;
  TimePoint stop_sending_{};
  std::uint64_t sent_ = 0;
  std::vector<BenchMessage> unsent_;  // control messages refused by back-pressure

  std::uint64_t delivered_ = 0;
  std::uint64_t delivered_bytes_ = 0;
  std::uint64_t expected_ = 0;
  std::size_t ends_seen_ = 0;
  std::size_t dones_seen_ = 0;
  std::uint64_t order_hash_ = 1469598103934665603ULL;
  std::uint64_t t_start_ns_ = 0;
  std::uint64_t t_last_end_ns_ = 0;

  int pings_ = 0;
  std::vector<std::uint32_t> latency_us_;
};

}  // namespace cohort::bench
