// Issuing host and user certificates: one profile each, a fresh key per
// certificate, and a line in DIR/issued.tsv for every certificate issued.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "keys_internal.h"

namespace cohort::exec {

using namespace keys_detail;

namespace {

struct Profile {
  NameKind kind;
  const char* unit;  // the OU, and the kind in issued.tsv
  const char* extended_key_usage;
  const char* subdir;  // of the CA directory, for the default output prefix
};
constexpr Profile kHost{NameKind::host, "host", "serverAuth,clientAuth", "hosts"};
constexpr Profile kUser{NameKind::user, "user", "clientAuth", "users"};

Result<std::pair<UnixTime, UnixTime>> resolve_validity(const Validity& v, X509* ca) {
  if (v.days <= 0) return Error(Errc::invalid_argument, "--days must be positive");
  UnixTime now = ossl::now();
  UnixTime not_before = v.not_before.value_or(now - kClockSlack);
  UnixTime not_after = v.not_after.value_or(v.not_before.value_or(now) + v.days * kDay);
  if (not_after <= not_before) {
    return Error(Errc::invalid_argument, "the certificate would end (" + format_utc_time(not_after) +
                                             ") before it starts (" + format_utc_time(not_before) +
                                             "): give a later --not-after");
  }
  auto ca_end = ossl::unix_time(X509_get0_notAfter(ca));
  if (!ca_end) return ca_end.error();
  if (not_after > *ca_end) {
    return Error(Errc::invalid_argument, "the certificate would outlive the CA, which ends " +
                                             format_utc_time(*ca_end) +
                                             ": give a smaller --days or --not-after");
  }
  return std::pair{not_before, not_after};
}

Status add_alt_name(GENERAL_NAMES* names, int type, const std::string& value) {
  GENERAL_NAME* name = a2i_GENERAL_NAME(nullptr, nullptr, nullptr, type, value.c_str(), 0);
  if (name == nullptr) {
    ERR_clear_error();
    return Error(Errc::invalid_argument,
                 "'" + value + "' is not " + (type == GEN_IPADD ? "an IPv4 or IPv6 address" : "a DNS name"));
  }
  if (!sk_GENERAL_NAME_push(names, name)) {
    GENERAL_NAME_free(name);
    return ossl::openssl_error("cannot add a subjectAltName entry");
  }
  return ok_status();
}

// DNS:hostname, then each --dns and --ip.
Status add_alt_names(X509* cert, std::string_view hostname, const IssueOptions& options) {
  ossl::GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return ossl::openssl_error("cannot allocate the subjectAltName");
  if (auto s = add_alt_name(names.get(), GEN_DNS, std::string(hostname)); !s) return s;
  for (const std::string& dns : options.dns) {
    if (auto s = check_name(NameKind::host, dns); !s) return s;
    if (auto s = add_alt_name(names.get(), GEN_DNS, dns); !s) return s;
  }
  for (const std::string& ip : options.ips) {
    if (auto s = add_alt_name(names.get(), GEN_IPADD, ip); !s) return s;
  }
  if (!X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT)) {
    return ossl::openssl_error("cannot add the subjectAltName");
  }
  return ok_status();
}

Status add_profile_extensions(X509* cert, X509* ca, const Profile& profile) {
  for (auto [nid, value] :
       {std::pair{NID_basic_constraints, "CA:FALSE"}, std::pair{NID_key_usage, "critical,digitalSignature"},
        std::pair{NID_ext_key_usage, profile.extended_key_usage},
        std::pair{NID_authority_key_identifier, "keyid:always"}}) {
    if (auto s = add_extension(cert, ca, nid, value); !s) return s;
  }
  return ok_status();
}

// One write(2) on an O_APPEND descriptor, so concurrent issuers never
// interleave within a line.
Status record_issued(const CaFiles& files, const Profile& profile, std::string_view name,
                     const Issued& issued) {
  std::string line = issued.serial + "\t" + profile.unit + "\t" + std::string(name) + "\t" +
                     format_utc_time(issued.not_after) + "\t" +
                     std::filesystem::absolute(issued.cert).string() + "\n";
  int fd = ::open(files.issued().c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Error::from_errno(errno, "cannot open " + files.issued().string());
  ssize_t n = ::write(fd, line.data(), line.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size()))
    return Error::from_errno(err, "cannot append to " + files.issued().string());
  return ok_status();
}

Result<ossl::X509Ptr> build(const Ca& ca, const Profile& profile, std::string_view name,
                            const IssueOptions& options, EVP_PKEY* key) {
  auto validity = resolve_validity(options.validity, ca.cert.get());
  if (!validity) return validity.error();
  auto cluster = subject_entry(ca.cert.get(), NID_organizationName);
  if (!cluster) return cluster.error();
  Subject subject{*cluster, profile.unit, std::string(name)};
  auto cert = new_certificate(subject, key, ca.cert.get(), validity->first, validity->second);
  if (!cert) return cert.error();
  if (auto s = add_profile_extensions(cert->get(), ca.cert.get(), profile); !s) return s.error();
  if (profile.kind == NameKind::host) {
    if (auto s = add_alt_names(cert->get(), name, options); !s) return s.error();
  }
  if (auto s = sign(cert->get(), ca.key.get()); !s) return s.error();
  return cert;
}

Result<Issued> issue(const std::filesystem::path& dir, const Profile& profile, std::string_view name,
                     const IssueOptions& options) {
  if (auto s = check_name(profile.kind, name); !s) return s.error();
  if (profile.kind != NameKind::host && !(options.dns.empty() && options.ips.empty())) {
    return Error(Errc::invalid_argument, "only host certificates carry DNS names and addresses");
  }
  CaFiles files(dir);
  auto ca = load_ca(files);
  if (!ca) return ca.error();
  std::filesystem::path prefix = options.out.empty() ? dir / profile.subdir / std::string(name) : options.out;
  Issued issued{prefix.string() + ".pem", prefix.string() + ".key", "", 0};
  if (auto s = ossl::refuse_existing(issued.cert, options.force); !s) return s.error();
  if (auto s = ossl::refuse_existing(issued.key, options.force); !s) return s.error();

  auto key = ossl::new_ed25519_key();
  if (!key) return key.error();
  auto cert = build(*ca, profile, name, options, key->get());
  if (!cert) return cert.error();
  auto not_after = ossl::unix_time(X509_get0_notAfter(cert->get()));
  if (!not_after) return not_after.error();
  issued.serial = ossl::serial_hex(X509_get0_serialNumber(cert->get()));
  issued.not_after = *not_after;
  auto key_pem = ossl::pem_of(key->get());
  if (!key_pem) return key_pem.error();
  auto cert_pem = ossl::pem_of(cert->get());
  if (!cert_pem) return cert_pem.error();
  if (auto s = ossl::write_file_atomic(issued.key, *key_pem, 0600, options.force); !s) return s.error();
  if (auto s = ossl::write_file_atomic(issued.cert, *cert_pem, 0644, options.force); !s) return s.error();
  if (auto s = record_issued(files, profile, name, issued); !s) return s.error();
  return issued;
}

}  // namespace

Result<Issued> issue_host(const std::filesystem::path& dir, std::string_view hostname,
                          const IssueOptions& options) {
  return issue(dir, kHost, hostname, options);
}

Result<Issued> issue_user(const std::filesystem::path& dir, std::string_view username,
                          const IssueOptions& options) {
  return issue(dir, kUser, username, options);
}

}  // namespace cohort::exec
