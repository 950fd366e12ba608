// What the cluster-CA tests share: a scratch directory per test and chain
// verification the way a peer does it (CA + CRL, CRL checking on).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "cohort/exec/keys.h"
#include "openssl_util.h"

namespace cohort::exec::testing {

class KeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = std::filesystem::temp_directory_path() /
            ("cohort-keys-" + std::to_string(getpid()) + "-" + info->test_suite_name() + "." + info->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(root_);
  }

  // A CA for `cluster` in root_/name.
  std::filesystem::path make_ca(const std::string& name = "ca", const std::string& cluster = "lab") {
    std::filesystem::path dir = root_ / name;
    auto made = init_ca(dir, cluster, CaOptions{});
    EXPECT_TRUE(made) << made.error().to_string();
    return dir;
  }

  Issued issue(bool host, const std::filesystem::path& ca, const std::string& name,
               IssueOptions options = {}) {
    auto issued = host ? issue_host(ca, name, options) : issue_user(ca, name, options);
    EXPECT_TRUE(issued) << issued.error().to_string();
    return issued ? *issued : Issued{};
  }

  // X509_V_OK, or why the chain from `cert` to the CA in `ca` does not verify.
  static int verify(const std::filesystem::path& ca, const std::filesystem::path& cert,
                    int purpose = X509_PURPOSE_SSL_SERVER) {
    auto root = ossl::load_cert(ca / "ca.pem");
    auto crl = ossl::load_crl(ca / "crl.pem");
    auto leaf = ossl::load_cert(cert);
    EXPECT_TRUE(root && crl && leaf);
    if (!root || !crl || !leaf) return -1;
    ossl::StorePtr store(X509_STORE_new());
    ossl::StoreCtxPtr ctx(X509_STORE_CTX_new());
    EXPECT_EQ(X509_STORE_add_cert(store.get(), root->get()), 1);
    EXPECT_EQ(X509_STORE_add_crl(store.get(), crl->get()), 1);
    X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK);
    EXPECT_EQ(X509_STORE_CTX_init(ctx.get(), store.get(), leaf->get(), nullptr), 1);
    X509_STORE_CTX_set_purpose(ctx.get(), purpose);
    int verified = X509_verify_cert(ctx.get());
    int error = X509_STORE_CTX_get_error(ctx.get());
    EXPECT_EQ(verified == 1, error == X509_V_OK) << X509_verify_cert_error_string(error);
    return error;
  }

  std::filesystem::path root_;
};

}  // namespace cohort::exec::testing
