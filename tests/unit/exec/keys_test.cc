// The cluster CA: what it issues verifies against its CA and CRL exactly as
// a peer checks it, certificates carry the profile cohortd relies on, and
// key files are private and never silently replaced.
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "keys_fixture.h"
#include "keys_internal.h"

namespace cohort::exec {
namespace {

using testing::KeysTest;

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ossl::X509Ptr cert_at(const std::filesystem::path& path) {
  auto cert = ossl::load_cert(path);
  EXPECT_TRUE(cert) << cert.error().to_string();
  return cert ? std::move(cert).value() : nullptr;
}

bool critical(X509* cert, int nid) {
  int at = X509_get_ext_by_NID(cert, nid, -1);
  return at >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, at)) == 1;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

IssueOptions between(const char* not_before, const char* not_after) {
  IssueOptions options;
  options.validity.not_before = parse_utc_time(not_before).value();
  options.validity.not_after = parse_utc_time(not_after).value();
  return options;
}

TEST_F(KeysTest, FreshHostAndUserCertificatesVerify) {
  auto ca = make_ca();
  EXPECT_EQ(verify(ca, issue(true, ca, "node1").cert, X509_PURPOSE_SSL_SERVER), X509_V_OK);
  EXPECT_EQ(verify(ca, issue(false, ca, "alice").cert, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
}

TEST_F(KeysTest, CertificateFromAnotherCaFails) {
  auto ours = make_ca("ours");
  auto theirs = make_ca("theirs");
  EXPECT_EQ(verify(ours, issue(true, theirs, "node1").cert), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_F(KeysTest, ExpiredAndNotYetValidCertificatesFail) {
  auto ca = make_ca();
  auto expired = issue(true, ca, "old", between("2020-01-01T00:00:00Z", "2020-06-01T00:00:00Z"));
  EXPECT_EQ(verify(ca, expired.cert), X509_V_ERR_CERT_HAS_EXPIRED);
  IssueOptions later;
  later.validity.not_before = ossl::now() + 10 * 86400;
  EXPECT_EQ(verify(ca, issue(true, ca, "new", later).cert), X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST_F(KeysTest, RevokedCertificateFailsAfterRevoke) {
  auto ca = make_ca();
  auto node1 = issue(true, ca, "node1");
  auto node2 = issue(true, ca, "node2");
  ASSERT_EQ(verify(ca, node1.cert), X509_V_OK);
  auto revoked = revoke(ca, node1.cert);
  ASSERT_TRUE(revoked) << revoked.error().to_string();
  EXPECT_EQ(revoked->serial, node1.serial);
  EXPECT_FALSE(revoked->already);
  EXPECT_EQ(verify(ca, node1.cert), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(verify(ca, node2.cert), X509_V_OK);
  EXPECT_TRUE(revoke(ca, node1.cert)->already);
  ASSERT_TRUE(refresh_crl(ca));
  EXPECT_EQ(verify(ca, node1.cert), X509_V_ERR_CERT_REVOKED);
}

TEST_F(KeysTest, RevokeRefusesCertificatesItDidNotIssue) {
  auto ours = make_ca("ours");
  auto theirs = make_ca("theirs");
  auto foreign = revoke(ours, issue(true, theirs, "node1").cert);
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message().find("not issued by"), std::string::npos) << foreign.error().message();
  EXPECT_FALSE(revoke(ours, ours / "ca.pem"));
}

TEST_F(KeysTest, CaCertificateHasTheCaProfile) {
  auto ca = make_ca("ca", "lab");
  auto cert = cert_at(ca / "ca.pem");
  EXPECT_EQ(X509_check_issued(cert.get(), cert.get()), X509_V_OK);
  EXPECT_TRUE(critical(cert.get(), NID_basic_constraints));
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  EXPECT_TRUE(critical(cert.get(), NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ED25519);
  auto d = describe(ca / "ca.pem");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, CertKind::ca);
  EXPECT_EQ(d->name, "lab cohort CA");
  EXPECT_EQ(d->cluster, "lab");
}

TEST_F(KeysTest, HostCertificateHasTheHostProfile) {
  auto ca = make_ca();
  IssueOptions options;
  options.dns = {"node1.lab"};
  options.ips = {"10.0.0.1", "fd00::1"};
  auto cert = cert_at(issue(true, ca, "node1", options).cert);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_TRUE(critical(cert.get(), NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()),
            static_cast<std::uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));
  EXPECT_NE(X509_get0_authority_key_id(cert.get()), nullptr);
  EXPECT_EQ(EVP_PKEY_get_id(X509_get0_pubkey(cert.get())), EVP_PKEY_ED25519);
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ED25519);
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  EXPECT_EQ(ASN1_STRING_type(serial), V_ASN1_INTEGER);  // positive
  EXPECT_EQ(ASN1_STRING_length(serial), 16);
  EXPECT_EQ(X509_check_host(cert.get(), "node1.lab", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "fd00::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "10.0.0.2", 0), 0);
  auto d = describe(ca / "hosts/node1.pem", ca);
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->sans, (std::vector<std::string>{"DNS:node1", "DNS:node1.lab", "IP:10.0.0.1", "IP:fd00::1"}));
  EXPECT_EQ(d->extended_key_usage, (std::vector<std::string>{"serverAuth", "clientAuth"}));
  EXPECT_EQ(d->signed_by_ca, true);
  EXPECT_EQ(d->revoked, false);
}

TEST_F(KeysTest, UserCertificateIsForClientsOnly) {
  auto ca = make_ca();
  auto user = issue(false, ca, "alice");
  auto cert = cert_at(user.cert);
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<std::uint32_t>(XKU_SSL_CLIENT));
  EXPECT_EQ(X509_get_ext_by_NID(cert.get(), NID_subject_alt_name, -1), -1);
  EXPECT_EQ(verify(ca, user.cert, X509_PURPOSE_SSL_SERVER), X509_V_ERR_INVALID_PURPOSE);
  IssueOptions with_address;
  with_address.ips = {"10.0.0.1"};
  EXPECT_FALSE(issue_user(ca, "bob", with_address));
}

TEST_F(KeysTest, IdentityOfReadsKindNameAndCluster) {
  auto ca = make_ca("ca", "physics");
  auto host = identity_of(cert_at(issue(true, ca, "node7").cert).get());
  ASSERT_TRUE(host) << host.error().to_string();
  EXPECT_EQ(host->kind, IdentityKind::host);
  EXPECT_EQ(host->name, "node7");
  EXPECT_EQ(host->cluster, "physics");
  auto user = identity_of(cert_at(issue(false, ca, "alice").cert).get());
  ASSERT_TRUE(user);
  EXPECT_EQ(user->kind, IdentityKind::user);
  EXPECT_EQ(user->name, "alice");
}

TEST_F(KeysTest, IdentityOfRefusesOtherUnitsAndTheCa) {
  auto ca = make_ca();
  EXPECT_FALSE(identity_of(cert_at(ca / "ca.pem").get()));
  auto key = ossl::new_ed25519_key();
  ASSERT_TRUE(key);
  auto admin = keys_detail::new_certificate({"lab", "admin", "root"}, key->get(), nullptr, 0, 1);
  ASSERT_TRUE(admin);
  auto refused = identity_of(admin->get());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::permission_denied);
  EXPECT_NE(refused.error().message().find("OU is 'admin'"), std::string::npos) << refused.error().message();
  EXPECT_FALSE(identity_of(nullptr));
}

TEST_F(KeysTest, KeyFilesArePrivatePkcs8AndCertFilesHoldTheLeafOnly) {
  auto ca = make_ca();
  auto issued = issue(true, ca, "node1");
  for (const auto& key : {issued.key, ca / "ca.key"}) {
    struct stat st {};
    ASSERT_EQ(::stat(key.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << key;
    EXPECT_EQ(slurp(key).rfind("-----BEGIN PRIVATE KEY-----", 0), 0u) << key;
    auto loaded = ossl::load_key(key);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(EVP_PKEY_get_id(loaded->get()), EVP_PKEY_ED25519);
  }
  EXPECT_EQ(count(slurp(issued.cert), "BEGIN CERTIFICATE"), 1u);
  EXPECT_EQ(issued.key, ca / "hosts/node1.key");
}

TEST_F(KeysTest, OverwriteIsRefusedWithoutForce) {
  auto ca = make_ca();
  auto first = issue(true, ca, "node1");
  std::string key = slurp(first.key);
  auto again = issue_host(ca, "node1", {});
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message().find("--force"), std::string::npos) << again.error().message();
  EXPECT_EQ(slurp(first.key), key);
  IssueOptions force;
  force.force = true;
  auto replaced = issue(true, ca, "node1", force);
  EXPECT_NE(replaced.serial, first.serial);
  EXPECT_NE(slurp(first.key), key);

  EXPECT_FALSE(init_ca(ca, "lab", {}));
  std::string ca_key = slurp(ca / "ca.key");
  ASSERT_TRUE(init_ca(ca, "lab", CaOptions{.force = true}));
  EXPECT_NE(slurp(ca / "ca.key"), ca_key);
  EXPECT_NE(verify(ca, replaced.cert), X509_V_OK);  // the new CA did not issue it
}

TEST_F(KeysTest, IssuedTsvRecordsEveryCertificate) {
  auto ca = make_ca();
  auto host = issue(true, ca, "node1");
  IssueOptions elsewhere;
  elsewhere.out = root_ / "alice";
  auto user = issue(false, ca, "alice", elsewhere);
  EXPECT_EQ(user.cert, root_ / "alice.pem");
  std::string tsv = slurp(ca / "issued.tsv");
  EXPECT_EQ(count(tsv, "\n"), 2u);
  EXPECT_NE(tsv.find(host.serial + "\thost\tnode1\t" + format_utc_time(host.not_after) + "\t"),
            std::string::npos);
  EXPECT_NE(tsv.find(user.serial + "\tuser\talice\t"), std::string::npos);
  EXPECT_NE(tsv.find((root_ / "alice.pem").string()), std::string::npos);
}

TEST_F(KeysTest, BadNamesAndValiditiesAreRefused) {
  auto ca = make_ca();
  EXPECT_FALSE(init_ca(root_ / "x", "a/b", {}));
  EXPECT_FALSE(issue_host(ca, "../node1", {}));
  EXPECT_FALSE(issue_user(ca, "", {}));
  IssueOptions bad_ip;
  bad_ip.ips = {"10.0.0.300"};
  EXPECT_FALSE(issue_host(ca, "node1", bad_ip));
  EXPECT_FALSE(issue_host(ca, "node1", between("2021-01-01T00:00:00Z", "2020-01-01T00:00:00Z")));
  IssueOptions too_long;
  too_long.validity.days = 20 * 365;
  auto outlives = issue_host(ca, "node1", too_long);
  ASSERT_FALSE(outlives);
  EXPECT_NE(outlives.error().message().find("outlive the CA"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(ca / "hosts/node1.key"));  // nothing written on refusal
}

TEST(UtcTime, ParsesOnlyIso8601Utc) {
  EXPECT_EQ(parse_utc_time("2020-01-01T00:00:00Z").value(), 1577836800);
  EXPECT_EQ(format_utc_time(1577836800), "2020-01-01T00:00:00Z");
  for (const char* bad :
       {"2020-01-01", "2020-01-01T00:00:00", "2020-01-01T00:00:00+01:00", "2021-02-29T00:00:00Z",
        "2020-01-01T00:00:00Zx", "2020-+1-01T00:00:00Z", " 020-01-01T00:00:00Z", ""}) {
    EXPECT_FALSE(parse_utc_time(bad)) << bad;
  }
}

}  // namespace
}  // namespace cohort::exec
