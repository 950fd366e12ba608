// The CA's files in a real TLS 1.3 handshake, set up the way cohortd and the
// client will: the server loads ca.pem + crl.pem + its host certificate and
// demands a client certificate; the client loads ca.pem + a user certificate
// and checks the host's name or address. Two SSL objects joined by a BIO
// pair, all in memory.
#include <openssl/ssl.h>

#include "keys_fixture.h"

namespace cohort::exec {
namespace {

using SslCtxPtr = std::unique_ptr<SSL_CTX, ossl::Free<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, ossl::Free<SSL_free>>;

struct Identity {
  std::filesystem::path cert;
  std::filesystem::path key;
};

SslCtxPtr context(bool server, const std::filesystem::path& ca, const Identity& self) {
  SslCtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  EXPECT_TRUE(ctx);
  EXPECT_EQ(SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION), 1);
  if (!self.cert.empty()) {
    EXPECT_EQ(SSL_CTX_use_certificate_file(ctx.get(), self.cert.c_str(), SSL_FILETYPE_PEM), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx.get(), self.key.c_str(), SSL_FILETYPE_PEM), 1);
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
  EXPECT_EQ(X509_STORE_load_file(store, (ca / "ca.pem").c_str()), 1);
  if (server) {
    EXPECT_EQ(X509_STORE_load_file(store, (ca / "crl.pem").c_str()), 1);
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  }
  SSL_CTX_set_verify(ctx.get(), server ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER,
                     nullptr);
  return ctx;
}

struct Handshake {
  SslPtr client;
  SslPtr server;
  bool client_ok = false;
  bool server_ok = false;
};

bool finished(SSL* ssl, int rc, bool& ok) {
  ok = rc == 1;
  int error = SSL_get_error(ssl, rc);
  return ok || (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE);
}

// Runs both sides until each has finished or failed (bounded rounds).
Handshake handshake(SSL_CTX* client_ctx, SSL_CTX* server_ctx, const std::string& host = "node1",
                    const std::string& ip = "") {
  Handshake h{SslPtr(SSL_new(client_ctx)), SslPtr(SSL_new(server_ctx))};
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  EXPECT_EQ(BIO_new_bio_pair(&client_bio, 0, &server_bio, 0), 1);
  SSL_set_bio(h.client.get(), client_bio, client_bio);
  SSL_set_bio(h.server.get(), server_bio, server_bio);
  SSL_set_connect_state(h.client.get());
  SSL_set_accept_state(h.server.get());
  X509_VERIFY_PARAM* param = SSL_get0_param(h.client.get());
  EXPECT_EQ(ip.empty() ? X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0)
                       : X509_VERIFY_PARAM_set1_ip_asc(param, ip.c_str()),
            1);
  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 50 && !(client_done && server_done); ++round) {
    if (!client_done) client_done = finished(h.client.get(), SSL_do_handshake(h.client.get()), h.client_ok);
    if (!server_done) server_done = finished(h.server.get(), SSL_do_handshake(h.server.get()), h.server_ok);
  }
  EXPECT_TRUE(client_done && server_done) << "the handshake did not finish";
  ERR_clear_error();
  return h;
}

class KeysTls : public testing::KeysTest {
 protected:
  void SetUp() override {
    KeysTest::SetUp();
    ca_ = make_ca();
    IssueOptions addresses;
    addresses.ips = {"127.0.0.1", "::1"};
    auto host = issue(true, ca_, "node1", addresses);
    auto user = issue(false, ca_, "alice");
    host_ = {host.cert, host.key};
    user_ = {user.cert, user.key};
  }

  SslCtxPtr server() { return context(true, ca_, host_); }
  SslCtxPtr client(const Identity& self) { return context(false, ca_, self); }

  std::filesystem::path ca_;
  Identity host_;
  Identity user_;
};

TEST_F(KeysTls, HostAndUserCertificatesCompleteAMutualTls13Handshake) {
  auto server_ctx = server();
  auto client_ctx = client(user_);
  Handshake h = handshake(client_ctx.get(), server_ctx.get());
  ASSERT_TRUE(h.client_ok && h.server_ok);
  EXPECT_EQ(SSL_version(h.server.get()), TLS1_3_VERSION);
  EXPECT_EQ(SSL_get_verify_result(h.server.get()), X509_V_OK);
  EXPECT_EQ(SSL_get_verify_result(h.client.get()), X509_V_OK);

  auto peer = identity_of(SSL_get0_peer_certificate(h.server.get()));
  ASSERT_TRUE(peer) << peer.error().to_string();
  EXPECT_EQ(peer->kind, IdentityKind::user);
  EXPECT_EQ(peer->name, "alice");
  EXPECT_EQ(peer->cluster, "lab");
  auto server_identity = identity_of(SSL_get0_peer_certificate(h.client.get()));
  ASSERT_TRUE(server_identity);
  EXPECT_EQ(server_identity->kind, IdentityKind::host);

  ASSERT_EQ(SSL_write(h.client.get(), "run", 3), 3);
  char buffer[8] = {};
  ASSERT_EQ(SSL_read(h.server.get(), buffer, sizeof buffer), 3);
  EXPECT_EQ(std::string(buffer, 3), "run");
}

TEST_F(KeysTls, ClientChecksTheHostsNameAndAddress) {
  auto server_ctx = server();
  auto client_ctx = client(user_);
  EXPECT_TRUE(handshake(client_ctx.get(), server_ctx.get(), "", "::1").client_ok);
  EXPECT_TRUE(handshake(client_ctx.get(), server_ctx.get(), "", "127.0.0.1").client_ok);
  Handshake wrong_ip = handshake(client_ctx.get(), server_ctx.get(), "", "127.0.0.2");
  EXPECT_FALSE(wrong_ip.client_ok);
  EXPECT_EQ(SSL_get_verify_result(wrong_ip.client.get()), X509_V_ERR_IP_ADDRESS_MISMATCH);
  Handshake wrong_name = handshake(client_ctx.get(), server_ctx.get(), "node2");
  EXPECT_FALSE(wrong_name.client_ok);
  EXPECT_EQ(SSL_get_verify_result(wrong_name.client.get()), X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST_F(KeysTls, ServerRefusesARevokedUserCertificate) {
  ASSERT_TRUE(revoke(ca_, user_.cert));
  auto server_ctx = server();  // loads the CRL that now lists alice
  auto client_ctx = client(user_);
  Handshake h = handshake(client_ctx.get(), server_ctx.get());
  EXPECT_FALSE(h.server_ok);
  EXPECT_EQ(SSL_get_verify_result(h.server.get()), X509_V_ERR_CERT_REVOKED);
  char buffer[8];
  EXPECT_LE(SSL_read(h.client.get(), buffer, sizeof buffer), 0);  // the server's alert, not data
}

TEST_F(KeysTls, ServerRefusesClientsWithoutACertificateOrFromAnotherCa) {
  auto server_ctx = server();
  auto anonymous_ctx = client({});
  EXPECT_FALSE(handshake(anonymous_ctx.get(), server_ctx.get()).server_ok);
  auto other = make_ca("other");
  auto stranger = issue(false, other, "alice");
  auto stranger_ctx = client({stranger.cert, stranger.key});
  Handshake h = handshake(stranger_ctx.get(), server_ctx.get());
  EXPECT_FALSE(h.server_ok);
  EXPECT_EQ(SSL_get_verify_result(h.server.get()), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_F(KeysTls, ClientRefusesAServerShowingAUserCertificate) {
  auto impostor_ctx = context(true, ca_, user_);
  auto client_ctx = client(user_);
  Handshake h = handshake(client_ctx.get(), impostor_ctx.get(), "alice");
  EXPECT_FALSE(h.client_ok);
  EXPECT_EQ(SSL_get_verify_result(h.client.get()), X509_V_ERR_INVALID_PURPOSE);
}

}  // namespace
}  // namespace cohort::exec
