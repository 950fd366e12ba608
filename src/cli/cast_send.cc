#include "cast_send.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "cast_common.h"
#include "cast_report.h"
#include "cohort/core/signals.h"
#include "cohort/exec/client.h"
#include "cohort/filecast/digest.h"
#include "cohort/filecast/files.h"
#include "cohort/filecast/node.h"
#include "cohort/wire/frame.h"
#include "commands.h"

namespace cohort::cli {

namespace {

using nlohmann::json;
using State = ReceiverView::State;

constexpr auto kTick = std::chrono::milliseconds(200);
// After the sender machine has finished, how long a receiver may take to
// report its verified copy (it stores its last groups, renames, exits).
constexpr auto kFinalReportGrace = std::chrono::seconds(60);
constexpr std::size_t kStderrTail = 2000;
constexpr NodeId kSenderId = 0;

// Channel c's group: the base group's address + c.
Result<std::vector<std::string>> channel_groups(const std::string& base, std::size_t count, std::uint16_t port) {
  in_addr first{};
  if (::inet_pton(AF_INET, base.c_str(), &first) != 1) {
    return Error(Errc::invalid_argument, "--multicast-group " + base + " is not an IPv4 address");
  }
  std::uint32_t host_order = ntohl(first.s_addr);
  if ((host_order >> 28) != 0xe || ((host_order + count - 1) >> 28) != 0xe) {
    return Error(Errc::invalid_argument, "--multicast-group " + base + " + " + std::to_string(count - 1) +
                                             " channels leaves 224.0.0.0/4; pick e.g. 239.255.67.1");
  }
  std::vector<std::string> out;
  for (std::size_t c = 0; c < count; ++c) {
    in_addr group{htonl(host_order + static_cast<std::uint32_t>(c))};
    char text[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &group, text, sizeof text);
    out.push_back(std::string(text) + ":" + std::to_string(port));
  }
  return out;
}

// "{host}" in --dest becomes the host as given: hosts that share a file
// system (an NFS home, namespaces on one machine) each need their own.
std::string dest_for(const std::string& dest, const std::string& host) {
  std::string out = dest;
  for (std::size_t at; (at = out.find("{host}")) != std::string::npos;) out.replace(at, 6, host);
  return out;
}

std::string describe_exit(const exec::TaskExit& exit) {
  return exit.signal != 0 ? "killed by signal " + std::to_string(exit.signal) : "exited " + std::to_string(exit.code);
}

struct Receiver {
  ReceiverView view;
  NodeId id = 0;
  std::optional<exec::Target> target;
  std::unique_ptr<exec::ExecSession> session;
  std::string stdout_buffer;
  std::string stderr_tail;
  std::optional<std::uint16_t> port;
  std::string failed_line;  // the reason its own "failed" line gave
  bool reported_complete = false;
  bool ended = false;
};

class CastRun {
 public:
  CastRun(EventLoop& loop, const CastOptions& options, CastSettings settings, const ClientSetup& client,
          filecast::LocalContent content)
      : loop_(loop),
        options_(options),
        settings_(std::move(settings)),
        client_(client),
        content_(std::move(content)),
        display_(!options.json && isatty(STDERR_FILENO) != 0) {}

  int run() {
    if (Status s = watch_signals(); !s) return fatal(s.error().message(), kExitFailure);
    // The group digests overlap with starting the receivers, the whole-file
    // hashes with the cast itself; each result comes back on the loop.
    std::jthread digester([this](std::stop_token stop) {
      auto digests = filecast::digest_groups(content_, settings_.params, digest_key_);
      const bool digested_all = static_cast<bool>(digests);
      loop_.post([this, digests = std::move(digests)]() mutable { digested(std::move(digests)); });
      if (!digested_all) return;
      auto hashes = filecast::hash_files(content_, stop);
      loop_.post([this, hashes = std::move(hashes)]() mutable { hashed(std::move(hashes)); });
    });
    start_receivers();
    loop_.add_timer(kTick, [this] { tick(); });
    Status ran = loop_.run();
    digester.request_stop();
    digester.join();
    if (!ran) return fatal(ran.error().message(), kExitFailure);
    if (fatal_) return fatal(*fatal_, kExitFailure);
    return report();
  }

 private:
  Status watch_signals() {
    auto watcher = SignalWatcher::create(loop_, {SIGINT, SIGTERM, SIGHUP}, [this](int) { interrupt(); });
    if (!watcher) return watcher.error();
    signals_ = std::move(*watcher);
    return ok_status();
  }

  void start_receivers() {
    receivers_.resize(settings_.hosts.size());
    for (std::size_t i = 0; i < receivers_.size(); ++i) {
      Receiver& r = receivers_[i];
      r.view.host = settings_.hosts[i];
      r.id = static_cast<NodeId>(i + 1);
      auto target = exec::resolve_target(r.view.host, client_.config.port);
      if (!target) {
        end(r, "unreachable: " + target.error().message());
        continue;
      }
      r.target = *target;
      start_session(r);
    }
  }

  void start_session(Receiver& r) {
    std::vector<std::string> argv{settings_.remote_cohort, "cast-receive", "--bind", r.target->address.ip_string(),
                                  "--dest", dest_for(options_.dest, r.view.host)};
    exec::ExecSession::Callbacks callbacks;
    callbacks.on_output = [this, &r](exec::Stream stream, ByteView bytes) { output(r, stream, bytes); };
    callbacks.on_exit = [this, &r](exec::TaskExit exit) { exited(r, exit); };
    callbacks.on_failure = [this, &r](exec::Failure failure) { end(r, failure_reason(failure)); };
    TaskOptions task;
    task.exact = true;
    auto session = exec::ExecSession::start(loop_, client_.tls.get(), *r.target, task_request(argv, task),
                                            client_.connect_timeout, std::move(callbacks));
    if (!session) return end(r, "unreachable: " + session.error().message());
    r.session = std::move(*session);
  }

  std::string failure_reason(const exec::Failure& failure) const {
    std::string reason = std::string(exec::to_string(failure.kind)) + ": " + failure.detail;
    if (failure.kind == exec::FailureKind::spawn_failed) {
      reason += " (is '" + settings_.remote_cohort + "' on the account's PATH there? set --remote-cohort or "
                "[cast] remote_cohort)";
    }
    return reason;
  }

  void output(Receiver& r, exec::Stream stream, ByteView bytes) {
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (stream == exec::Stream::stderr_) {
      r.stderr_tail.append(text);
      if (r.stderr_tail.size() > kStderrTail) r.stderr_tail.erase(0, r.stderr_tail.size() - kStderrTail);
      return;
    }
    r.stdout_buffer.append(text);
    for (std::size_t eol; (eol = r.stdout_buffer.find('\n')) != std::string::npos;) {
      std::string line = r.stdout_buffer.substr(0, eol);
      r.stdout_buffer.erase(0, eol + 1);
      take_line(r, json::parse(line, nullptr, false));
    }
  }

  void take_line(Receiver& r, const json& line) {
    if (!line.is_object() || !line.contains("event")) return;
    const std::string event = line.value("event", "");
    if (event == "port") {
      r.port = line.value<std::uint16_t>("port", 0);
      r.view.state = State::waiting;
      maybe_begin();
    } else if (event == "progress" || event == "complete") {
      r.view.state = State::receiving;
      for (auto [key, field] : {std::pair{"bytes", &r.view.bytes}, {"bytes_total", &r.view.bytes_total},
                                {"groups_done", &r.view.groups_done}, {"groups_total", &r.view.groups_total},
                                {"repair_used", &r.view.repair_used}, {"requests", &r.view.requests}}) {
        *field = line.value<std::uint64_t>(key, *field);
      }
      if (event == "complete") r.reported_complete = true;
    } else if (event == "failed") {
      r.failed_line = line.value("reason", "failed");
    }
  }

  void exited(Receiver& r, exec::TaskExit exit) {
    if (r.reported_complete && exit.signal == 0 && exit.code == 0) return end(r, {});
    std::string reason = !r.failed_line.empty() ? r.failed_line : "receiver_gone: " + describe_exit(exit);
    if (r.failed_line.empty() && !r.stderr_tail.empty()) reason += ": " + last_line(r.stderr_tail);
    end(r, reason);
  }

  static std::string last_line(const std::string& text) {
    std::string trimmed = text.substr(0, text.find_last_not_of('\n') + 1);
    return trimmed.substr(trimmed.find_last_of('\n') + 1);
  }

  // The receiver is over: verified (no reason) or failed.
  void end(Receiver& r, const std::string& reason) {
    if (r.ended) return;
    r.ended = true;
    r.view.state = reason.empty() ? State::verified : State::failed;
    r.view.reason = reason;
    if (begun_at_) r.view.seconds = seconds_since(*begun_at_);
    if (node_) node_->receiver_gone(r.id, reason.empty() ? "finished" : reason);
    maybe_begin();
    maybe_finish();
  }

  double seconds_since(TimePoint t) const { return std::chrono::duration<double>(loop_.now() - t).count(); }

  void digested(Result<std::vector<filecast::GroupDigest>> digests) {
    if (!digests) return abort("cannot read the files: " + digests.error().message());
    digests_ = std::move(*digests);
    maybe_begin();
  }

  // The files' SHA-256s for the report: a cast with a verified receiver
  // waits for them before it reports (maybe_finish).
  void hashed(Result<std::vector<filecast::Sha256>> hashes) {
    if (!hashes && hashes.error().code() != Errc::closed) {
      print_error("cast", "cannot give the files' SHA-256 in the report: " + hashes.error().message());
    }
    hashes_ = std::move(hashes);
    maybe_finish();
  }

  // Once the group digests are ready and every receiver has its port (or has failed).
  void maybe_begin() {
    if (begun_at_ || !digests_ || fatal_) return;
    std::vector<Receiver*> live;
    for (Receiver& r : receivers_) {
      if (r.ended) continue;
      if (!r.port) return;
      live.push_back(&r);
    }
    begun_at_ = loop_.now();
    if (live.empty()) return maybe_finish();
    if (Status s = begin(live); !s) abort(s.error().message());
  }

  filecast::SessionInfo session_info(std::size_t receivers) {
    filecast::SessionInfo info;
    info.session_id = filecast::random_u64();
    info.params = settings_.params;
    // In unicast mode every receiver's copy crosses the sender's link.
    if (settings_.unicast) info.params.rate_bits_per_s /= receivers;
    info.entries = content_.entries;
    info.digest_key = digest_key_;
    info.group_digests = std::move(*digests_);
    if (settings_.encrypt) {
      crypto_aead_xchacha20poly1305_ietf_keygen(info.key.emplace().data());
    }
    return info;
  }

  Result<filecast::NetworkPlan> plan(const std::vector<Receiver*>& live, UdpSocket& socket) {
    filecast::NetworkPlan plan;
    plan.unicast = settings_.unicast;
    plan.sender = {kSenderId, socket.local_address().value().to_string()};
    for (Receiver* r : live) plan.receivers.push_back({r->id, r->target->address.with_port(*r->port).to_string()});
    if (!plan.unicast) {
      auto groups = channel_groups(settings_.multicast_group, settings_.params.repair_channels + 1u, settings_.port);
      if (!groups) return groups.error();
      plan.channels = std::move(*groups);
    }
    return plan;
  }

  Status begin(const std::vector<Receiver*>& live) {
    filecast::SessionInfo info = session_info(live.size());
    if (Status s = filecast::validate(info); !s) return s;
    auto local = filecast::local_address_toward(live.front()->target->address);
    if (!local) return local.error();
    filecast::NodeOptions node_options{.interface = settings_.interface};
    auto socket = filecast::bind_node_socket(*local, node_options);
    if (!socket) return socket.error();
    auto network = plan(live, *socket);
    if (!network) return network.error();
    filecast::CastSetup setup{info, *network};
    for (Receiver* r : live) {
      setup.plan.self = r->id;
      r->session->send_stdin(wire::encode_frame(filecast::encode_setup(setup)));
    }
    filecast::SenderOptions sender_options;
    sender_options.straggler_budget = settings_.straggler_budget;
    auto node = filecast::SenderNode::create(loop_, std::move(*socket), content_, std::move(info), *network,
                                             node_options, sender_options);
    if (!node) return node.error();
    node_ = std::move(*node);
    node_->start();
    return ok_status();
  }

  void tick() {
    for (Receiver& r : receivers_) {
      if (!r.ended && begun_at_) r.view.seconds = seconds_since(*begun_at_);
    }
    end_dropped();
    display_.update(views());
    if (node_ && node_->finished()) {
      if (!sender_done_at_) sender_done_at_ = loop_.now();
      if (loop_.now() - *sender_done_at_ > kFinalReportGrace) {
        for (Receiver& r : receivers_) end(r, "no verified copy reported within 60 s of the sender's end");
      }
    }
    loop_.add_timer(kTick, [this] { tick(); });
  }

  // A receiver the sender dropped is over now, with the sender's reason:
  // waiting for its own report would let a hung host hold the cast.
  void end_dropped() {
    if (!node_) return;
    for (const filecast::ReceiverStatus& status : node_->receivers()) {
      if (status.state != filecast::ReceiverStatus::State::dropped) continue;
      Receiver& r = receivers_[status.id - 1];
      if (r.ended) continue;
      if (r.session) r.session->signal(SIGTERM);  // it stops and keeps its part files for the next cast
      end(r, "dropped by the sender: " + status.reason);
    }
  }

  void interrupt() {
    if (++interrupts_ > 1) {
      for (Receiver& r : receivers_) end(r, "interrupted");
      loop_.stop();  // nor wait for the files' SHA-256s: the report goes without them
      return;
    }
    for (Receiver& r : receivers_) {
      if (!r.ended && r.session) r.session->signal(SIGTERM);  // they stop and keep their part files
    }
  }

  void abort(const std::string& why) {
    fatal_ = why;
    loop_.stop();
  }

  void maybe_finish() {
    if (!std::all_of(receivers_.begin(), receivers_.end(), [](const Receiver& r) { return r.ended; })) return;
    const bool any_verified = std::any_of(receivers_.begin(), receivers_.end(),
                                          [](const Receiver& r) { return r.view.state == State::verified; });
    if (any_verified && !hashes_) return;  // hashed() comes back here
    loop_.stop();
  }

  // What each verified receiver holds: every file, with its SHA-256 when known.
  json verified_files() const {
    json files = json::array();
    for (std::size_t e = 0; e < content_.entries.size(); ++e) {
      const filecast::CastEntry& entry = content_.entries[e];
      if (entry.kind != filecast::CastEntry::Kind::file) continue;
      json file{{"path", entry.path}};
      if (hashes_ && *hashes_) file["sha256"] = hex((**hashes_)[e]);
      files.push_back(std::move(file));
    }
    return files;
  }

  std::vector<ReceiverView> views() const {
    std::vector<ReceiverView> out;
    for (const Receiver& r : receivers_) out.push_back(r.view);
    return out;
  }

  json sender_stats() const {
    if (!node_) return json::object();
    const auto& s = node_->stats();
    return json{{"data_packets", s.data_packets}, {"repair_packets", s.repair_packets},
                {"requested_repair", s.requested_repair}, {"requests_heard", s.requests_heard},
                {"group_size", settings_.params.k}, {"block_size", settings_.params.block_size},
                {"seconds", begun_at_ ? seconds_since(*begun_at_) : 0.0}};
  }

  int report() {
    for (Receiver& r : receivers_) {
      if (r.view.state == State::verified) r.view.files = verified_files();
    }
    display_.finish(views(), options_.json, sender_stats());
    std::size_t failed = 0;
    for (const Receiver& r : receivers_) failed += r.view.state == State::verified ? 0 : 1;
    if (failed == 0) return kExitOk;
    print_error("cast", std::to_string(failed) + " of " + std::to_string(receivers_.size()) +
                            " receivers have no verified copy; run the same command again to resume them from "
                            "their part files");
    return kExitFailure;
  }

  int fatal(const std::string& why, int status) {
    print_error("cast", why);
    return status;
  }

  EventLoop& loop_;
  const CastOptions& options_;
  CastSettings settings_;
  const ClientSetup& client_;
  filecast::LocalContent content_;
  CastDisplay display_;
  std::vector<Receiver> receivers_;  // never resized after start: sessions hold references
  const filecast::DigestKey digest_key_ = filecast::random_digest_key();
  std::optional<std::vector<filecast::GroupDigest>> digests_;
  std::optional<Result<std::vector<filecast::Sha256>>> hashes_;
  std::unique_ptr<filecast::SenderNode> node_;
  std::unique_ptr<SignalWatcher> signals_;
  std::optional<TimePoint> begun_at_;
  std::optional<TimePoint> sender_done_at_;
  std::optional<std::string> fatal_;
  int interrupts_ = 0;
};

}  // namespace

int run_cast(const CastOptions& options) {
  auto settings = resolve_cast_settings(options);
  if (!settings) {
    print_error("cast", settings.error().message());
    return kExitUsage;
  }
  auto content = filecast::collect_entries(options.files);
  if (!content) {
    print_error("cast", content.error().message());
    return kExitUsage;
  }
  for (const auto& skipped : content->skipped) print_error("cast", "skipped " + skipped);
  if (!settings->group_size_chosen) {
    settings->params.k = filecast::default_group_size(content->entries, settings->params.block_size);
  }
  auto client = prepare_client(options.client);
  if (!client) {
    print_error("cast", client.error().message());
    return kExitUsage;
  }
  if (sodium_init() < 0) {
    print_error("cast", "libsodium failed to initialise");
    return kExitFailure;
  }
  auto loop = EventLoop::create();
  if (!loop) return kExitFailure;
  signal(SIGPIPE, SIG_IGN);
  CastRun run(**loop, options, std::move(*settings), *client, std::move(*content));
  return run.run();
}

}  // namespace cohort::cli
