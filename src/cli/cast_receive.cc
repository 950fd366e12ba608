#include "cast_receive.h"

#include <unistd.h>

#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "byte_source.h"
#include "cast_common.h"
#include "cohort/core/signals.h"
#include "cohort/filecast/node.h"
#include "cohort/wire/frame.h"

namespace cohort::cli {

namespace {

using filecast::CastReceiver;
using nlohmann::json;

constexpr auto kProgressEvery = std::chrono::milliseconds(250);

int early_failure(const std::string& reason) {
  print_line(json{{"event", "failed"}, {"reason", reason}});
  return kReceiveFailed;
}

class Receiving {
 public:
  Receiving(EventLoop& loop, const CastReceiveOptions& options, UdpSocket socket)
      : loop_(loop), options_(options), socket_(std::move(socket)), frames_(filecast::SetupLimits::max_bytes) {}

  int run() {
    auto signals = SignalWatcher::create(loop_, {SIGINT, SIGTERM, SIGHUP},
                                         [this](int sig) { fail("stopped by signal " + std::to_string(sig)); });
    if (!signals) return early_failure(signals.error().message());
    signals_ = std::move(*signals);
    auto source = ByteSource::create(
        loop_, STDIN_FILENO, [this](ByteView chunk) { return take(chunk); }, [this] { input_ended(); });
    if (!source) return early_failure(source.error().message());
    stdin_ = std::move(*source);
    if (Status s = loop_.run(); !s) return early_failure(s.error().message());
    return status_;
  }

 private:
  bool take(ByteView chunk) {
    if (node_ || done_) return true;  // after the setup, stdin only tells us the sender is still there
    if (Status s = frames_.feed(chunk); !s) {
      fail("unusable session setup: " + s.error().message());
      return true;
    }
    if (auto frame = frames_.next()) start(*frame);
    return true;
  }

  void input_ended() {
    fail(node_ ? "the sender went away (its channel closed); run the same cast again to resume"
               : "the sender went away before sending the session setup");
  }

  void start(const Buffer& frame) {
    auto setup = filecast::decode_setup(frame);
    if (!setup) return fail("unusable session setup: " + setup.error().message());
    filecast::NodeOptions node_options{.interface = options_.interface};
    auto node = filecast::ReceiverNode::create(loop_, std::move(*socket_), std::move(*setup), options_.dest,
                                               node_options);
    socket_.reset();
    if (!node) return fail("cannot receive into " + options_.dest + ": " + node.error().message());
    node_ = std::move(*node);
    node_->start([this] { settle(); });
    loop_.add_timer(kProgressEvery, [this] { report_progress(); });
  }

  void settle() {
    if (done_) return;
    if (node_->outcome() == CastReceiver::Outcome::complete) return complete();
    if (node_->outcome() == CastReceiver::Outcome::failed) return fail(node_->failure());
  }

  void report_progress() {
    if (done_) return;
    print_line(progress_line());
    loop_.add_timer(kProgressEvery, [this] { report_progress(); });
  }

  json progress_line() const {
    const auto& stats = node_->stats();
    return json{{"event", "progress"},
                {"groups_done", stats.groups_done},
                {"groups_total", stats.groups_total},
                {"bytes", stats.bytes_stored},
                {"bytes_total", node_->progress().bytes_total},
                {"repair_used", stats.repair_used},
                {"requests", stats.requests_sent}};
  }

  void complete() {
    if (Status s = node_->finish(); !s) return fail("received but not in place: " + s.error().message());
    json line = progress_line();
    line["event"] = "complete";
    print_line(line);
    finish(kReceiveComplete);
  }

  void fail(const std::string& reason) {
    if (done_) return;
    print_line(json{{"event", "failed"}, {"reason", reason}});
    finish(kReceiveFailed);
  }


  void finish(int status) {
    done_ = true;
    status_ = status;
    loop_.stop();
  }

  EventLoop& loop_;
  const CastReceiveOptions& options_;
  std::optional<UdpSocket> socket_;  // until the node takes it
  wire::FrameDecoder frames_;
  std::unique_ptr<filecast::ReceiverNode> node_;
  std::unique_ptr<ByteSource> stdin_;
  std::unique_ptr<SignalWatcher> signals_;
  bool done_ = false;
  int status_ = kReceiveFailed;
};

}  // namespace

int run_cast_receive(const CastReceiveOptions& options) {
  auto ip = Address::from_ip(options.bind, static_cast<std::uint16_t>(options.port));
  if (!ip) return early_failure("--bind: " + ip.error().message());
  auto socket = filecast::bind_node_socket(*ip, filecast::NodeOptions{});
  if (!socket) return early_failure("cannot bind " + ip->to_string() + ": " + socket.error().message());
  print_line(json{{"event", "port"}, {"port", socket->local_address().value().port()}});
  auto loop = EventLoop::create();
  if (!loop) return kReceiveFailed;
  signal(SIGPIPE, SIG_IGN);
  Receiving receiving(**loop, options, std::move(*socket));
  return receiving.run();
}

}  // namespace cohort::cli
