// `cohort keys ...`: the cluster CA on the command line (docs/exec.md,
// "Identity: the cluster CA").
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cohort/core/clock.h"
#include "cohort/exec/keys.h"
#include "commands.h"

namespace cohort::cli {

namespace {

struct KeysOptions {
  std::string dir;
  std::string cluster;
  std::string target;  // NAME for host/user, CERT.pem for revoke/show
  int days = 365;
  int crl_days = 365;
  std::string not_before;
  std::string not_after;
  std::string out;
  std::vector<std::string> dns;
  std::vector<std::string> ips;
  bool force = false;
};

std::filesystem::path ca_dir(const KeysOptions& o) {
  if (!o.dir.empty()) return o.dir;
  const char* env = std::getenv("COHORT_KEYS_DIR");
  return env != nullptr && *env != '\0' ? env : "cohort-ca";
}

// Bad arguments (a name, a time, an existing file) did nothing: usage status.
int fail(const char* command, const Error& error) {
  std::cerr << "cohort keys " << command << ": " << error.message() << "\n";
  return error.code() == Errc::invalid_argument ? kExitUsage : kExitFailure;
}

void add_dir(CLI::App& app, KeysOptions& o) {
  app.add_option("--dir", o.dir, "CA directory (default: $COHORT_KEYS_DIR, or ./cohort-ca)");
}

void add_force(CLI::App& app, KeysOptions& o, const char* what) { app.add_flag("--force", o.force, what); }

void add_crl_days(CLI::App& app, KeysOptions& o) {
  app.add_option("--crl-days", o.crl_days,
                 "Days until the CRL's nextUpdate; re-sign it (`cohort keys crl`) before then")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

void add_validity(CLI::App& app, KeysOptions& o) {
  auto* days = app.add_option("--days", o.days, "Days the certificate is valid")
                   ->capture_default_str()
                   ->check(CLI::PositiveNumber);
  app.add_option("--not-before", o.not_before, "Start of validity, UTC: 2020-01-01T00:00:00Z (default: now)");
  app.add_option("--not-after", o.not_after,
                 "End of validity, UTC: 2020-01-01T00:00:00Z (default: start + --days)")
      ->excludes(days);
}

Result<exec::Validity> validity_of(const KeysOptions& o) {
  exec::Validity v;
  v.days = o.days;
  for (auto [text, field] :
       {std::pair{&o.not_before, &v.not_before}, std::pair{&o.not_after, &v.not_after}}) {
    if (text->empty()) continue;
    auto t = exec::parse_utc_time(*text);
    if (!t) return t.error();
    *field = *t;
  }
  return v;
}

int run_init(const KeysOptions& o) {
  std::filesystem::path dir = ca_dir(o);
  if (auto s = exec::init_ca(dir, o.cluster, {o.days, o.crl_days, o.force}); !s)
    return fail("init", s.error());
  exec::CaFiles files(dir);
  std::cout << "created the CA of cluster " << o.cluster << " in " << dir.string() << ":\n  "
            << files.cert().string() << "  (give to every host and client)\n  " << files.key().string()
            << "  (keep secret: it issues identities)\n  " << files.crl().string()
            << "  (give to every host)\n";
  return kExitOk;
}

int run_issue(const KeysOptions& o, bool host) {
  const char* command = host ? "host" : "user";
  auto validity = validity_of(o);
  if (!validity) return fail(command, validity.error());
  exec::IssueOptions options{*validity, o.dns, o.ips, o.out, o.force};
  auto issued =
      host ? exec::issue_host(ca_dir(o), o.target, options) : exec::issue_user(ca_dir(o), o.target, options);
  if (!issued) return fail(command, issued.error());
  std::cout << "issued " << command << " certificate " << o.target << " (serial " << issued->serial
            << ", until " << exec::format_utc_time(issued->not_after) << "):\n  " << issued->cert.string()
            << "\n  " << issued->key.string() << "  (secret, mode 0600)\n";
  return kExitOk;
}

int run_revoke(const KeysOptions& o) {
  exec::CaFiles files(ca_dir(o));
  auto revoked = exec::revoke(files.dir, o.target, o.crl_days);
  if (!revoked) return fail("revoke", revoked.error());
  std::cout << (revoked->already ? "already revoked" : "revoked") << " serial " << revoked->serial << "; "
            << files.crl().string() << " re-signed: copy it to every host\n";
  return kExitOk;
}

int run_crl(const KeysOptions& o) {
  exec::CaFiles files(ca_dir(o));
  if (auto s = exec::refresh_crl(files.dir, o.crl_days); !s) return fail("crl", s.error());
  std::cout << files.crl().string() << " re-signed: copy it to every host\n";
  return kExitOk;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "-" : out;
}

int run_show(const KeysOptions& o) {
  std::optional<std::filesystem::path> dir;
  if (!o.dir.empty()) dir = o.dir;
  auto d = exec::describe(o.target, dir);
  if (!d) return fail("show", d.error());
  auto now = static_cast<exec::UnixTime>(unix_time_ms() / 1000);
  const char* state = now < d->not_before ? "not yet valid" : now > d->not_after ? "expired" : "valid now";
  std::cout << "kind:     " << exec::cert_kind_name(d->kind) << "\nname:     " << d->name
            << "\ncluster:  " << d->cluster << "\nserial:   " << d->serial
            << "\nvalidity: " << exec::format_utc_time(d->not_before) << " to "
            << exec::format_utc_time(d->not_after) << " (" << state << ")\nSANs:     " << joined(d->sans)
            << "\nusage:    " << joined(d->extended_key_usage) << "\n";
  if (dir) {
    std::cout << "CA:       " << (*d->signed_by_ca ? "signed by " : "NOT signed by ")
              << (*dir / "ca.pem").string() << "\nrevoked:  " << (*d->revoked ? "yes" : "no") << "\n";
  }
  return kExitOk;
}

// A subcommand with its own options, whose callback installs `run`.
template <typename Run>
CLI::App* subcommand(CLI::App& keys, Action& action, const char* name, const char* help,
                     const std::shared_ptr<KeysOptions>& o, Run run) {
  CLI::App* app = keys.add_subcommand(name, help);
  app->callback([o, run, &action] { action = [o, run] { return run(*o); }; });
  return app;
}

}  // namespace

void add_keys_commands(CLI::App& root, Action& action) {
  CLI::App* keys =
      root.add_subcommand("keys", "The cluster CA: create it, issue host and user certificates, revoke");
  keys->require_subcommand(1);

  auto init = std::make_shared<KeysOptions>();
  init->days = 3650;
  CLI::App* a = subcommand(*keys, action, "init", "Create a CA for a cluster in DIR", init, run_init);
  a->add_option("--cluster", init->cluster, "Cluster name (the O of every certificate)")->required();
  add_dir(*a, *init);
  a->add_option("--days", init->days, "Days the CA certificate is valid")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_crl_days(*a, *init);
  add_force(*a, *init, "Replace an existing CA: every certificate it issued stops verifying");

  for (bool host : {true, false}) {
    auto o = std::make_shared<KeysOptions>();
    a = subcommand(*keys, action, host ? "host" : "user",
                   host ? "Issue a host certificate (TLS server and client) with a new key"
                        : "Issue a user certificate (TLS client) with a new key",
                   o, [host](const KeysOptions& opts) { return run_issue(opts, host); });
    a->add_option("NAME", o->target, host ? "Hostname (CN and first DNS name)" : "Username (CN)")->required();
    add_dir(*a, *o);
    if (host) {
      a->add_option("--dns", o->dns, "Another DNS name for the host (repeatable)");
      a->add_option("--ip", o->ips, "An IPv4 or IPv6 address of the host (repeatable)");
    }
    a->add_option("--out", o->out,
                  std::string("Write PREFIX.pem and PREFIX.key (default: DIR/") + (host ? "hosts" : "users") +
                      "/NAME)");
    add_validity(*a, *o);
    add_force(*a, *o, "Overwrite existing PREFIX.pem and PREFIX.key");
  }

  auto revoke = std::make_shared<KeysOptions>();
  a = subcommand(*keys, action, "revoke", "Revoke a certificate this CA issued (adds it to DIR/crl.pem)",
                 revoke, run_revoke);
  a->add_option("CERT", revoke->target, "The certificate's PEM file")->required();
  add_dir(*a, *revoke);
  add_crl_days(*a, *revoke);

  auto crl = std::make_shared<KeysOptions>();
  a = subcommand(*keys, action, "crl",
                 "Re-sign DIR/crl.pem with a new nextUpdate (before the old one passes)", crl, run_crl);
  add_dir(*a, *crl);
  add_crl_days(*a, *crl);

  auto show = std::make_shared<KeysOptions>();
  a = subcommand(*keys, action, "show", "Print who a certificate names, its validity and names", show,
                 run_show);
  a->add_option("CERT", show->target, "The certificate's PEM file")->required();
  a->add_option("--dir", show->dir, "Also say whether the CA in DIR signed it and has revoked it");
}

}  // namespace cohort::cli
