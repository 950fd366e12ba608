#include "cohort/transport/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace cohort::tls {

namespace {

Error config_error(const std::string& what) { return Error(Errc::invalid_argument, what + ": " + last_error("failed")); }

Status load_crl(SSL_CTX* ctx, const std::string& path) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
  if (lookup == nullptr || X509_load_crl_file(lookup, path.c_str(), X509_FILETYPE_PEM) <= 0) {
    return config_error("loading the revocation list " + path + " (create it with `cohort keys init`)");
  }
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  return ok_status();
}

template <auto free_fn>
struct Free {
  void operator()(auto* p) const { free_fn(p); }
};

// `cohort keys` writes Ed25519 keys as PKCS#8. OpenSSL 3.0's generic PEM key
// reader tries every key decoder it has: 12% of the instructions of a whole
// `cohort exec` (4.9M of 40M), against 0.7M for reading such a key as what it
// is. Null (and OpenSSL's error queue cleared) for any other key.
EVP_PKEY* read_ed25519_key(const std::string& path) {
  std::unique_ptr<BIO, Free<BIO_free>> bio(BIO_new_file(path.c_str(), "r"));
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, Free<PKCS8_PRIV_KEY_INFO_free>> info(
      bio ? PEM_read_bio_PKCS8_PRIV_KEY_INFO(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  const ASN1_OBJECT* algorithm = nullptr;
  const unsigned char* der = nullptr;
  int length = 0;
  EVP_PKEY* key = nullptr;
  if (info && PKCS8_pkey_get0(&algorithm, &der, &length, nullptr, info.get()) == 1 &&
      OBJ_obj2nid(algorithm) == NID_ED25519) {
    std::unique_ptr<ASN1_OCTET_STRING, Free<ASN1_STRING_clear_free>> raw(
        d2i_ASN1_OCTET_STRING(nullptr, &der, length));
    if (raw) {
      key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, raw->data,
                                         static_cast<std::size_t>(raw->length));
    }
  }
  ERR_clear_error();
  return key;
}

bool use_private_key(SSL_CTX* c, const std::string& path) {
  std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>> key(read_ed25519_key(path));
  if (key) return SSL_CTX_use_PrivateKey(c, key.get()) == 1;
  return SSL_CTX_use_PrivateKey_file(c, path.c_str(), SSL_FILETYPE_PEM) == 1;
}

Result<ContextPtr> common_context(const SSL_METHOD* method, const Files& files) {
  ContextPtr ctx(SSL_CTX_new(method));
  if (!ctx) return config_error("creating a TLS context");
  SSL_CTX* c = ctx.get();
  SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
  // A peer that vanishes without close_notify is an ordinary end, not an error.
  SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Send the leaf certificate alone: the peer holds the cluster CA as its
  // trust anchor. OpenSSL's automatic chain verifies our own certificate on
  // every handshake to add the CA's, which the peer then decodes for nothing:
  // 2.7M of the 35.7M instructions of a whole `cohort exec`.
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_NO_AUTO_CHAIN);
  if (SSL_CTX_load_verify_locations(c, files.ca.c_str(), nullptr) != 1) {
    return config_error("loading the cluster CA " + files.ca);
  }
  if (SSL_CTX_use_certificate_chain_file(c, files.cert.c_str()) != 1) {
    return config_error("loading the certificate " + files.cert);
  }
  if (!use_private_key(c, files.key)) {
    return config_error("loading the private key " + files.key);
  }
  if (SSL_CTX_check_private_key(c) != 1) {
    return config_error("the key " + files.key + " does not belong to " + files.cert);
  }
  if (!files.crl.empty()) {
    if (Status s = load_crl(c, files.crl); !s) return s.error();
  }
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return ctx;
}

}  // namespace

Result<ContextPtr> server_context(const Files& files) {
  auto ctx = common_context(TLS_server_method(), files);
  if (!ctx) return ctx;
  // No session tickets: every cohort client is a new process that never
  // resumes, and a resumed session would skip the CRL check of its
  // certificate. Issuing tickets cost both sides a session copy (which
  // decodes the peer's certificate again) per ticket, per connection.
  SSL_CTX_set_num_tickets(ctx->get(), 0);
  return ctx;
}

Result<ContextPtr> client_context(const Files& files) { return common_context(TLS_client_method(), files); }

Status expect_peer(SSL* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  in6_addr scratch{};
  bool is_ip = inet_pton(AF_INET, host.c_str(), &scratch) == 1 || inet_pton(AF_INET6, host.c_str(), &scratch) == 1;
  int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  if (ok != 1) return Error(Errc::invalid_argument, "cannot check the server's certificate against '" + host + "'");
  return ok_status();
}

std::string last_error(std::string_view fallback) {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? std::string(fallback) : text;
}

}  // namespace cohort::tls
