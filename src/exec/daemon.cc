#include "cohort/exec/daemon.h"

#include <unistd.h>

#include <map>

#include "cohort/core/log.h"
#include "cohort/transport/tcp.h"
#include "cohort/transport/tls.h"
#include "connection.h"
#include "daemon_context.h"

namespace cohort::exec {

namespace {

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "this host";
  return name;
}

Result<Address> listen_address(const std::string& text) {
  auto address = Address::parse(text);
  if (!address) return Error(Errc::invalid_argument, "listen address '" + text + "': " + address.error().message());
  return address;
}

}  // namespace

struct Daemon::State {
  DaemonContext context;
  tls::ContextPtr tls;
  tls::ContextPtr relay_tls;
  TcpListener listener;
  std::map<Connection*, std::unique_ptr<Connection>> connections;
  bool stopping = false;
};

Result<std::unique_ptr<Daemon>> Daemon::create(EventLoop& loop, const DaemonConfig& config) {
  auto tls = tls::server_context(config.tls);
  if (!tls) return tls.error();
  auto relay_tls = tls::client_context(config.tls);
  if (!relay_tls) return relay_tls.error();
  auto accounts = AccountMap::load_file(config.account_map);
  if (!accounts) return accounts.error();
  auto self = current_account();
  if (!self) return self.error();
  auto address = listen_address(config.listen);
  if (!address) return address.error();
  auto listener = TcpListener::bind(*address);
  if (!listener) return Error(listener.error().code(), "listening on " + config.listen + ": " + listener.error().message());
  std::optional<TaskCgroups> cgroups;
  if (config.memory_max_bytes > 0) {
    cgroups = TaskCgroups::discover();
    if (!cgroups) log::warn("limits.memory_max_bytes is set but this host offers no writable memory cgroup; not enforced");
  }
  auto state = std::unique_ptr<State>(new State{
      DaemonContext{loop, config, std::move(*accounts), ReplayGuard(), TaskRegistry(loop), std::move(cgroups),
                    std::move(*self), host_name(), nullptr, nullptr},
      std::move(*tls), std::move(*relay_tls), std::move(*listener), {}});
  state->context.trust = SSL_CTX_get_cert_store(state->tls.get());
  state->context.relay_tls = state->relay_tls.get();
  std::unique_ptr<Daemon> daemon(new Daemon(std::move(state)));
  Daemon* self_ptr = daemon.get();
  if (Status s = loop.watch(daemon->state_->listener.fd(), kReadable, [self_ptr](std::uint32_t) { self_ptr->accept_all(); });
      !s) {
    return s.error();
  }
  return daemon;
}

Daemon::Daemon(std::unique_ptr<State> state) : state_(std::move(state)) {}

Daemon::~Daemon() {
  state_->context.loop.unwatch(state_->listener.fd());
  state_->connections.clear();
}

Address Daemon::address() const {
  auto local = state_->listener.local_address();
  return local ? *local : Address();
}

std::size_t Daemon::running_tasks() const { return state_->context.tasks.running_count(); }

void Daemon::accept_all() {
  State& s = *state_;
  for (;;) {
    auto stream = s.listener.accept();
    if (!stream) {
      if (stream.error().code() != Errc::would_block) log::warn("accept: {}", stream.error().message());
      return;
    }
    if (s.stopping) continue;
    auto tls = TlsFramedStream::create(s.context.loop, std::move(*stream), s.tls.get(), TlsFramedStream::Role::server);
    if (!tls) {
      log::warn("setting up TLS: {}", tls.error().message());
      continue;
    }
    auto connection = std::make_unique<Connection>(s.context, std::move(*tls), [this](Connection* done) {
      state_->context.loop.defer([this, done] { state_->connections.erase(done); });
    });
    Connection* key = connection.get();
    s.connections[key] = std::move(connection);
  }
}

void Daemon::shutdown(std::function<void()> done) {
  State& s = *state_;
  s.stopping = true;
  s.context.loop.unwatch(s.listener.fd());
  for (auto& [key, connection] : s.connections) {
    if (connection->idle()) connection->close();
  }
  bool detach = s.context.config.on_shutdown == ShutdownPolicy::detach_tasks;
  if (detach || s.context.tasks.running_count() == 0) {
    log::info("shutting down; {} task(s) left running", s.context.tasks.running_count());
    s.context.loop.defer(std::move(done));
    return;
  }
  log::info("shutting down; ending {} task(s)", s.context.tasks.running_count());
  s.context.tasks.on_empty([this, done = std::move(done)] { state_->context.loop.defer(done); });
  s.context.tasks.end_all();
}

}  // namespace cohort::exec
