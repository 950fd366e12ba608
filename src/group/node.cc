#include "cohort/group/node.h"

#include <csignal>

#include "cohort/core/rng.h"

namespace cohort::group {

// Passes every call on to the application and notices the moments casts
// become possible again, and the end of a leave.
class GroupNode::Hooks final : public GroupApp {
 public:
  Hooks(GroupNode& node, std::unique_ptr<NodeApp> app) : node_(node), app_(std::move(app)) {}
  NodeApp& app() { return *app_; }

  void on_view(const View& view, Actions& out) override {
    app_->on_view(view, out);
    notice_flow();
  }
  void on_deliver(const Endpoint& from, const Msg& msg, Actions& out) override { app_->on_deliver(from, msg, out); }
  void on_block(Actions& out) override {
    app_->on_block(out);
    writable_ = false;
  }
  void on_left(Actions& out) override {
    app_->on_left(out);
    node_.left();
  }
  Buffer snapshot() override { return app_->snapshot(); }
  void restore(const Buffer& state) override { app_->restore(state); }
  void on_flow(bool can_send, Actions& out) override {
    app_->on_flow(can_send, out);
    notice_flow();
  }
  void on_suspect(const std::vector<Rank>& ranks, Actions& out) override { app_->on_suspect(ranks, out); }

 private:
  void notice_flow() {
    bool now = node_.machine_ && node_.machine_->can_send();
    if (now && !writable_) node_.later([app = app_.get()] { app->on_writable(); });
    writable_ = now;
  }

  GroupNode& node_;
  std::unique_ptr<NodeApp> app_;
  bool writable_ = true;
};

std::vector<std::uint8_t> group_tag(const std::string& name) {
  std::uint64_t h = fnv1a64(name.data(), name.size());
  std::vector<std::uint8_t> tag(8);
  for (std::size_t i = 0; i < tag.size(); ++i) tag[i] = static_cast<std::uint8_t>(h >> (8 * i));
  return tag;
}

namespace {

Result<Address> listen_address(const NodeOptions& options) {
  if (options.listen) return *options.listen;
  if (const Peer* me = find_peer(options.peers, options.id)) return me->address;
  return Error(Errc::invalid_argument, "node " + std::to_string(options.id) +
                                           " is not in the peer list: give --listen ADDR:PORT or add " +
                                           std::to_string(options.id) + "=HOST:PORT to --peers");
}

GroupConfig config_of(const NodeOptions& options) {
  GroupConfig config;
  config.stack = options.stack;
  config.restarted = options.restarted;
  config.layers = options.layers;
  for (const Peer& p : options.peers) config.seeds.push_back(p.id);
  if (find_peer(options.peers, options.id) == nullptr) config.seeds.push_back(options.id);
  return config;
}

}  // namespace

Result<std::unique_ptr<GroupNode>> GroupNode::create(EventLoop& loop, const NodeOptions& options,
                                                     std::unique_ptr<NodeApp> app) {
  if (options.group.empty()) return Error(Errc::invalid_argument, "a group needs a name");
  auto listen = listen_address(options);
  if (!listen) return listen.error();
  std::unique_ptr<GroupNode> node(new GroupNode(loop));
  node->app_ = app.get();
  node->leave_timeout_ = options.leave_timeout;
  std::uint32_t incarnation = options.incarnation != 0 ? options.incarnation : start_incarnation(options.restarted);
  Endpoint self{options.id, incarnation};
  Rng rng(fnv1a64(&self, sizeof self, static_cast<std::uint64_t>(loop.now().time_since_epoch().count())));
  auto machine = GroupMachine::create(self, config_of(options), rng, std::make_unique<Hooks>(*node, std::move(app)));
  if (!machine) return machine.error();
  node->machine_ = std::move(machine).value();

  auto socket = UdpSocket::bind(*listen, options.udp);
  if (!socket) {
    if (socket.error().code() != Errc::address_in_use) return socket.error();
    return Error(Errc::address_in_use, socket.error().message() +
                                           ": another process (maybe another member) holds it; pick another "
                                           "port with --listen or stop that process");
  }
  auto driver = UdpMachineDriver::create(loop, std::move(socket).value(), *node->machine_);
  if (!driver) return driver.error();
  node->driver_ = std::move(driver).value();
  node->driver_->set_tag(group_tag(options.group));
  for (const Peer& p : options.peers) {
    if (p.id == options.id) continue;
    if (Status s = node->driver_->add_peer(p.id, p.address); !s) return s.error();
  }
  return node;
}

GroupNode::~GroupNode() {
  if (leave_timer_) loop_.cancel_timer(*leave_timer_);
}

void GroupNode::start() { driver_->start(); }

Status GroupNode::cast(Buffer payload) {
  Status result = ok_status();
  call([&](GroupMachine& m, TimePoint now, Actions& out) { result = m.cast(now, std::move(payload), out); });
  return result;
}

Status GroupNode::send(Rank to, Buffer payload) {
  Status result = ok_status();
  call([&](GroupMachine& m, TimePoint now, Actions& out) { result = m.send(now, to, std::move(payload), out); });
  return result;
}

void GroupNode::leave(std::function<void(bool graceful)> done) {
  leave_done_ = std::move(done);
  if (left_) return finish_leave(*left_);
  if (leaving_) return;
  leaving_ = true;
  leave_timer_ = loop_.add_timer(leave_timeout_, [this] {
    leave_timer_.reset();
    finish_leave(false);
  });
  call([](GroupMachine& m, TimePoint now, Actions& out) { m.leave(now, out); });
}

void GroupNode::later(std::function<void()> f) {
  loop_.defer([alive = std::weak_ptr<bool>(alive_), f = std::move(f)] {
    if (alive.lock()) f();
  });
}

void GroupNode::left() {
  // Inside the stack: let it finish before the application tears things down.
  later([this] { finish_leave(true); });
}

void GroupNode::finish_leave(bool graceful) {
  if (leave_timer_) loop_.cancel_timer(*leave_timer_);
  leave_timer_.reset();
  if (!left_) left_ = graceful;
  if (auto done = std::exchange(leave_done_, nullptr)) done(*left_);
}

Status GroupNode::leave_on_signals(std::function<void()> done) {
  auto watcher = SignalWatcher::create(loop_, {SIGINT, SIGTERM}, [this, done = std::move(done)](int) {
    if (leaving_) return done();
    leave([done](bool) { done(); });
  });
  if (!watcher) return watcher.error();
  signals_ = std::move(watcher).value();
  return ok_status();
}

}  // namespace cohort::group
