// tls::client_context / server_context with the files of `cohort keys`: the
// Ed25519 key is read directly (not through OpenSSL's generic decoders), any
// other key still through them, and either must belong to the certificate.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cohort/transport/tls.h"
#include "keys_fixture.h"

namespace cohort::exec {
namespace {

class TlsContext : public testing::KeysTest {
 protected:
  void SetUp() override {
    KeysTest::SetUp();
    ca_ = make_ca();
    user_ = issue(false, ca_, "alice");
  }

  tls::Files files(const std::filesystem::path& key) const {
    return {(ca_ / "ca.pem").string(), user_.cert.string(), key.string(), ""};
  }

  std::filesystem::path ca_;
  Issued user_;
};

TEST_F(TlsContext, LoadsTheEd25519KeyOfItsCertificate) {
  auto client = tls::client_context(files(user_.key));
  ASSERT_TRUE(client) << client.error().to_string();
  EVP_PKEY* key = SSL_CTX_get0_privatekey(client->get());
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_id(key), EVP_PKEY_ED25519);
  Issued host = issue(true, ca_, "node1");
  tls::Files server_files{(ca_ / "ca.pem").string(), host.cert.string(), host.key.string(),
                          (ca_ / "crl.pem").string()};
  auto server = tls::server_context(server_files);
  EXPECT_TRUE(server) << server.error().to_string();
}

TEST_F(TlsContext, RefusesAnotherUsersEd25519Key) {
  // OpenSSL compares a key of the certificate's type with it as it is set.
  Issued bob = issue(false, ca_, "bob");
  auto client = tls::client_context(files(bob.key));
  ASSERT_FALSE(client);
  EXPECT_NE(client.error().message().find("key values mismatch"), std::string::npos)
      << client.error().message();
}

TEST_F(TlsContext, ReadsOtherKeyTypesThroughOpenSsl) {
  // A P-256 key in PKCS#8 is read (the generic path) and then found not to
  // belong to alice's certificate: the failure is the match, not the read
  // (a key of another type replaces the certificate in OpenSSL's slots).
  std::unique_ptr<EVP_PKEY, ossl::Free<EVP_PKEY_free>> ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  ASSERT_TRUE(ec);
  std::filesystem::path path = root_ / "ec.key";
  std::unique_ptr<BIO, ossl::Free<BIO_free>> out(BIO_new_file(path.c_str(), "w"));
  ASSERT_TRUE(out);
  ASSERT_EQ(PEM_write_bio_PrivateKey(out.get(), ec.get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
  out.reset();
  auto client = tls::client_context(files(path));
  ASSERT_FALSE(client);
  EXPECT_NE(client.error().message().find("does not belong"), std::string::npos) << client.error().message();
}

TEST_F(TlsContext, SaysWhichKeyFileItCannotRead) {
  for (const auto& path : {user_.cert, root_ / "missing.key"}) {
    auto client = tls::client_context(files(path));
    ASSERT_FALSE(client) << path;
    EXPECT_NE(client.error().message().find("loading the private key " + path.string()), std::string::npos)
        << client.error().message();
  }
}

}  // namespace
}  // namespace cohort::exec
