#include "group_join.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "cohort/group/history.h"
#include "commands.h"
#include "history_file.h"
#include "line_source.h"

namespace cohort::cli {

namespace {

using group::Endpoint;
using group::GroupMachine;
using group::GroupNode;
using group::HistoryRecorder;
using group::View;

// Lines up to this size go as one datagram; longer ones need the frag layer.
constexpr std::size_t kMaxUnfragmentedLine = 60000;

std::string endpoints(const std::vector<Endpoint>& list) {
  std::string out;
  for (const Endpoint& e : list) out += (out.empty() ? "" : " ") + e.to_string();
  return out;
}

// The member's application: prints what it sees, records its history.
class JoinApp final : public group::NodeApp {
 public:
  explicit JoinApp(Endpoint self) : recorder_(self) {}

  void on_view(const View& view, Actions& out) override {
    recorder_.on_view(view, out);
    std::string line = fmt::format("view {} {} members {}", view.id.to_string(),
                                   view.primary ? "primary" : "non-primary", endpoints(view.members));
    if (!view.joined.empty() && view.joined != view.members) line += " joined " + endpoints(view.joined);
    if (!view.left.empty()) line += " left " + endpoints(view.left);
    std::puts(line.c_str());
  }
  void on_deliver(const Endpoint& from, const group::Msg& msg, Actions& out) override {
    recorder_.on_deliver(from, msg, out);
    std::string_view payload = msg.payload.as_string();
    std::string_view id = group::history_payload_id(payload);
    std::string_view data = payload.size() > id.size() ? payload.substr(id.size() + 1) : std::string_view{};
    fmt::print("{}: {}\n", from.to_string(), data);
  }
  void on_block(Actions& out) override { recorder_.on_block(out); }
  void on_left(Actions& out) override { recorder_.exit(group::ExitReason::leave, out); }
  void on_writable() override {
    if (input_) input_->resume();
  }

  HistoryRecorder& recorder() { return recorder_; }
  void set_input(LineSource* input) { input_ = input; }

 private:
  HistoryRecorder recorder_;
  LineSource* input_ = nullptr;
};

struct Identity {
  NodeId id = 1;
  std::optional<Address> listen;
  std::vector<group::Peer> peers;
};

Result<Identity> resolve_identity(const JoinOptions& options) {
  Identity who;
  if (!options.peers.empty()) {
    auto peers = group::load_peers(options.peers);
    if (!peers) return Error(peers.error().code(), "--peers: " + peers.error().message());
    who.peers = std::move(peers).value();
  }
  if (!options.listen.empty()) {
    auto listen = Address::parse(options.listen);
    if (!listen) return Error(Errc::invalid_argument, "--listen: " + listen.error().message() + " (use IP:PORT)");
    who.listen = *listen;
  }
  if (options.id) {
    who.id = *options.id;
    return who;
  }
  for (const group::Peer& p : who.peers) {
    if (who.listen && p.address == *who.listen) {
      who.id = p.id;
      return who;
    }
  }
  if (!who.peers.empty()) {
    std::string ids;
    for (const group::Peer& p : who.peers) ids += " " + std::to_string(p.id);
    return Error(Errc::invalid_argument, "which member is this? give --id N (peers:" + ids + ")");
  }
  if (!who.listen) who.listen = Address::ipv4_loopback(0);  // a group of one
  return who;
}

// Everything one run of the command holds; destroyed in reverse order.
class Member {
 public:
  int run(const JoinOptions& options) {
    auto who = resolve_identity(options);
    if (!who) return fail(who.error().message(), kExitUsage);
    auto loop = EventLoop::create();
    if (!loop) return fail(loop.error().to_string(), kExitFailure);
    loop_ = std::move(loop).value();

    group::NodeOptions node_options{.group = options.group,
                                    .stack = options.stack,
                                    .id = who->id,
                                    .incarnation = group::start_incarnation(options.rejoin),
                                    .listen = who->listen,
                                    .peers = who->peers,
                                    .restarted = options.rejoin,
                                    .udp = {},
                                    .leave_timeout = std::chrono::duration_cast<Duration>(
                                        std::chrono::duration<double>(options.leave_timeout_s))};
    auto app = std::make_unique<JoinApp>(Endpoint{node_options.id, node_options.incarnation});
    app_ = app.get();
    auto node = GroupNode::create(*loop_, node_options, std::move(app));
    if (!node) {
      return fail(node.error().message(), node.error().code() == Errc::address_in_use ? kExitFailure : kExitUsage);
    }
    node_ = std::move(node).value();
    if (!options.history.empty()) {
      if (Status s = open_history(options.history); !s) return fail(s.error().message(), kExitFailure);
    }
    if (Status s = node_->leave_on_signals([this] { loop_->stop(); }); !s) return fail(s.error().message(), kExitFailure);
    max_line_ = options.stack.find("frag") != std::string::npos ? group::kMaxMessageBytes / 2 : kMaxUnfragmentedLine;
    if (Status s = read_stdin(options.stay); !s) return fail(s.error().message(), kExitFailure);

    announce(options, who->peers.size());
    node_->start();
    if (Status s = loop_->run(); !s) return fail(s.error().to_string(), kExitFailure);
    return status_;
  }

 private:
  int fail(const std::string& message, int status) {
    std::fprintf(stderr, "cohort group join: %s\n", message.c_str());
    return status;
  }

  void announce(const JoinOptions& options, std::size_t peers) {
    auto local = node_->local_address();
    std::fprintf(stderr, "cohort group join: member %s of group '%s' on %s, stack %s, %zu peer(s)\n",
                 node_->self().to_string().c_str(), options.group.c_str(),
                 local ? local->to_string().c_str() : "?", options.stack.c_str(), peers);
  }

  Status open_history(const std::string& path) {
    auto file = HistoryFile::create(path);
    if (!file) return file.error();
    history_.emplace(std::move(file).value());
    node_->on_record([this](const std::string& line) {
      if (Status s = history_->write_line(line); !s && status_ == kExitOk) {
        fail(s.error().message() + "; stopping, the history would be incomplete", kExitFailure);
        status_ = kExitFailure;
        loop_->stop();
      }
    });
    return ok_status();
  }

  Status read_stdin(bool stay) {
    auto input = LineSource::create(
        *loop_, STDIN_FILENO, max_line_, [this](std::string_view line) { return cast(line); },
        [this, stay] {
          if (!stay) leave();
        },
        [this](std::size_t size) {
          fail(fmt::format("a line of {} bytes is longer than {}: not sent{}", size, max_line_,
                           max_line_ == kMaxUnfragmentedLine ? " (add frag to --stack for long messages)" : ""),
               0);
        });
    if (!input) return input.error();
    input_ = std::move(input).value();
    app_->set_input(input_.get());
    return ok_status();
  }

  // False while the group cannot take the line (it is sent on on_writable).
  bool cast(std::string_view line) {
    Status result = ok_status();
    node_->call([&](GroupMachine& m, TimePoint now, Actions& out) { result = app_->recorder().cast(m, now, line, out); });
    if (result) return true;
    if (result.error().code() == Errc::would_block) return false;
    fail("line not sent: " + result.error().message(), 0);
    return true;
  }

  void leave() {
    node_->leave([this](bool graceful) {
      if (!graceful) {
        fail("the group did not confirm the leave in time; exiting anyway", 0);
        node_->call([this](GroupMachine&, TimePoint, Actions& out) {
          app_->recorder().exit(group::ExitReason::crash, out);
        });
      }
      loop_->stop();
    });
  }

  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<GroupNode> node_;
  JoinApp* app_ = nullptr;
  std::optional<HistoryFile> history_;
  std::unique_ptr<LineSource> input_;
  std::size_t max_line_ = kMaxUnfragmentedLine;
  int status_ = kExitOk;
};

}  // namespace

int run_join(const JoinOptions& options) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each view and delivery reaches a pipe at once
  return Member().run(options);
}

}  // namespace cohort::cli
