// The cluster's identities: a small certificate authority (`cohort keys`)
// that issues Ed25519 host and user certificates, revokes them through a CRL,
// and tells who a verified TLS peer is. The certificate profile is fixed
// (docs/exec.md, "Identity: the cluster CA") because cohortd's TLS code and
// its account mapping (identity_of, cohort/exec/identity.h) read exactly
// these fields. Built on OpenSSL's X509 API.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cohort/core/error.h"
#include "cohort/exec/identity.h"

namespace cohort::exec {

// What a certificate is: the CA's, or (its OU says which) a host's or a user's.
enum class CertKind { ca, host, user };
std::string_view cert_kind_name(CertKind kind);

// Seconds since the Unix epoch, UTC.
using UnixTime = std::int64_t;

// "2020-01-01T00:00:00Z" (only UTC, only this form) to Unix seconds, and back.
Result<UnixTime> parse_utc_time(std::string_view text);
std::string format_utc_time(UnixTime time);

// When a certificate is valid: `days` from now (backdated by kClockSlack so a
// host whose clock lags a little accepts a fresh certificate), or explicit
// bounds; either bound alone takes the other from `days`.
struct Validity {
  int days = 365;
  std::optional<UnixTime> not_before;
  std::optional<UnixTime> not_after;
};
inline constexpr UnixTime kClockSlack = 300;

struct CaOptions {
  int days = 3650;     // the CA certificate's validity
  int crl_days = 365;  // the CRL's nextUpdate, from now
  bool force = false;  // replace an existing CA (every certificate it issued stops verifying)
};

struct IssueOptions {
  Validity validity;
  std::vector<std::string> dns;  // extra subjectAltName DNS names (hosts only)
  std::vector<std::string> ips;  // subjectAltName IP addresses, IPv4 or IPv6 (hosts only)
  std::filesystem::path out;     // writes out.pem and out.key; empty: DIR/hosts/NAME or DIR/users/NAME
  bool force = false;            // overwrite existing files
};

struct Issued {
  std::filesystem::path cert;  // PEM, the leaf certificate only
  std::filesystem::path key;   // PEM PKCS#8, mode 0600
  std::string serial;          // hex
  UnixTime not_after = 0;
};

// The files of a CA directory.
struct CaFiles {
  explicit CaFiles(std::filesystem::path directory) : dir(std::move(directory)) {}
  std::filesystem::path dir;
  std::filesystem::path cert() const { return dir / "ca.pem"; }
  std::filesystem::path key() const { return dir / "ca.key"; }
  std::filesystem::path crl() const { return dir / "crl.pem"; }
  std::filesystem::path issued() const { return dir / "issued.tsv"; }
};

// Creates DIR/ca.pem, ca.key, an empty signed crl.pem and issued.tsv.
Status init_ca(const std::filesystem::path& dir, std::string_view cluster, const CaOptions& options);

// Issues a host certificate (serverAuth + clientAuth, SAN DNS:NAME + options'
// names and addresses) or a user certificate (clientAuth), with a new key,
// and records it in DIR/issued.tsv.
Result<Issued> issue_host(const std::filesystem::path& dir, std::string_view hostname,
                          const IssueOptions& options);
Result<Issued> issue_user(const std::filesystem::path& dir, std::string_view username,
                          const IssueOptions& options);

struct Revoked {
  std::string serial;    // hex
  bool already = false;  // it was in the CRL before; the CRL was re-signed anyway
};

// Adds the certificate's serial to DIR/crl.pem and re-signs it (nextUpdate =
// now + crl_days). Refuses a certificate this CA did not issue.
Result<Revoked> revoke(const std::filesystem::path& dir, const std::filesystem::path& cert_path,
                       int crl_days = 365);

// Re-signs DIR/crl.pem unchanged with a new nextUpdate; run before it passes,
// or every peer certificate stops verifying.
Status refresh_crl(const std::filesystem::path& dir, int crl_days = 365);

// What `cohort keys show` prints.
struct CertDescription {
  CertKind kind = CertKind::user;
  std::string name;     // CN
  std::string cluster;  // O
  std::string serial;   // hex
  UnixTime not_before = 0;
  UnixTime not_after = 0;
  std::vector<std::string> sans;                // "DNS:name", "IP:addr"
  std::vector<std::string> extended_key_usage;  // "serverAuth", "clientAuth"
  std::optional<bool> signed_by_ca;             // set when a CA directory was given
  std::optional<bool> revoked;                  // set when a CA directory was given
};
Result<CertDescription> describe(const std::filesystem::path& cert_path,
                                 const std::optional<std::filesystem::path>& ca_dir = std::nullopt);

}  // namespace cohort::exec
