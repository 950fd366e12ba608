#include "openssl_util.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <ctime>

#include "cohort/core/clock.h"
#include "cohort/transport/tls.h"

namespace cohort::exec {

Result<UnixTime> parse_utc_time(std::string_view text) {
  // The one accepted form; 'd' is a digit. Anything looser invites misreadings.
  constexpr std::string_view kForm = "dddd-dd-ddTdd:dd:ddZ";
  std::string copy(text);
  bool shaped = text.size() == kForm.size();
  for (std::size_t i = 0; shaped && i < text.size(); ++i) {
    shaped = kForm[i] == 'd' ? std::isdigit(static_cast<unsigned char>(text[i])) != 0 : kForm[i] == text[i];
  }
  if (!shaped) {
    return Error(
        Errc::invalid_argument,
        "'" + copy + "' is not a UTC time: write it as YYYY-MM-DDTHH:MM:SSZ, e.g. 2020-01-01T00:00:00Z");
  }
  auto number = [&text](std::size_t at, std::size_t digits) {
    int value = 0;
    for (std::size_t i = at; i < at + digits; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  std::tm tm{};
  tm.tm_year = number(0, 4) - 1900;
  tm.tm_mon = number(5, 2) - 1;
  tm.tm_mday = number(8, 2);
  tm.tm_hour = number(11, 2);
  tm.tm_min = number(14, 2);
  tm.tm_sec = number(17, 2);
  const std::tm wanted = tm;
  std::time_t t = timegm(&tm);
  // timegm normalises 2021-02-30 into March: a changed field means no such date.
  if (tm.tm_year != wanted.tm_year || tm.tm_mon != wanted.tm_mon || tm.tm_mday != wanted.tm_mday ||
      tm.tm_hour != wanted.tm_hour || tm.tm_min != wanted.tm_min || tm.tm_sec != wanted.tm_sec) {
    return Error(Errc::invalid_argument, "'" + copy + "' is not a valid date and time");
  }
  return static_cast<UnixTime>(t);
}

std::string format_utc_time(UnixTime time) {
  std::time_t t = static_cast<std::time_t>(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace cohort::exec

namespace cohort::exec::ossl {

namespace {

BioPtr memory_bio() { return BioPtr(BIO_new(BIO_s_mem())); }

Result<std::string> drain(BIO* bio, int written, std::string_view what) {
  if (written != 1) return openssl_error(what);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// Opens a PEM file for one of the readers below, or says why it cannot be read.
Result<BioPtr> open_pem(const std::filesystem::path& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    ERR_clear_error();
    return Error::from_errno(errno, "cannot read " + path.string());
  }
  return bio;
}

template <typename Ptr, typename Reader>
Result<Ptr> load_pem(const std::filesystem::path& path, Reader read, std::string_view holds) {
  auto bio = open_pem(path);
  if (!bio) return bio.error();
  Ptr object(read(bio->get()));
  if (!object) return openssl_error(path.string() + " does not hold " + std::string(holds), Errc::malformed);
  return object;
}

Status sync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error::from_errno(errno, "cannot open directory " + dir.string());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Error::from_errno(errno, "cannot sync directory " + dir.string());
  return ok_status();
}

Status write_temp(int fd, std::string_view data, mode_t mode, const std::string& temp) {
  if (::fchmod(fd, mode) != 0) return Error::from_errno(errno, "cannot set the mode of " + temp);
  for (std::size_t done = 0; done < data.size();) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(errno, "cannot write " + temp);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return Error::from_errno(errno, "cannot sync " + temp);
  return ok_status();
}

Error exists_error(const std::filesystem::path& path) {
  return Error(Errc::invalid_argument, path.string() + " exists; pass --force to replace it");
}

}  // namespace

Error openssl_error(std::string_view what, Errc code) {
  std::string reasons = tls::last_error("");
  return Error(code, reasons.empty() ? std::string(what) : std::string(what) + ": " + reasons);
}

Result<X509Ptr> load_cert(const std::filesystem::path& path) {
  return load_pem<X509Ptr>(
      path, [](BIO* b) { return PEM_read_bio_X509(b, nullptr, nullptr, nullptr); }, "a PEM certificate");
}

Result<PkeyPtr> load_key(const std::filesystem::path& path) {
  return load_pem<PkeyPtr>(
      path, [](BIO* b) { return PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr); },
      "an unencrypted PEM private key");
}

Result<CrlPtr> load_crl(const std::filesystem::path& path) {
  return load_pem<CrlPtr>(
      path, [](BIO* b) { return PEM_read_bio_X509_CRL(b, nullptr, nullptr, nullptr); }, "a PEM CRL");
}

Result<std::string> pem_of(X509* cert) {
  BioPtr bio = memory_bio();
  return drain(bio.get(), PEM_write_bio_X509(bio.get(), cert), "cannot encode the certificate");
}

Result<std::string> pem_of(X509_CRL* crl) {
  BioPtr bio = memory_bio();
  return drain(bio.get(), PEM_write_bio_X509_CRL(bio.get(), crl), "cannot encode the CRL");
}

Result<std::string> pem_of(EVP_PKEY* key) {
  BioPtr bio = memory_bio();
  return drain(bio.get(), PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
               "cannot encode the private key");
}

Status refuse_existing(const std::filesystem::path& path, bool overwrite) {
  std::error_code ec;
  if (!overwrite && std::filesystem::exists(std::filesystem::symlink_status(path, ec)))
    return exists_error(path);
  return ok_status();
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view data, mode_t mode,
                         bool overwrite) {
  if (auto s = refuse_existing(path, overwrite); !s) return s;
  std::filesystem::path dir = path.parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) return Error(Errc::io, "cannot create directory " + dir.string() + ": " + ec.message());
  std::string temp = path.string() + ".tmp.XXXXXX";
  int fd = ::mkstemp(temp.data());
  if (fd < 0) return Error::from_errno(errno, "cannot create a file beside " + path.string());
  Status written = write_temp(fd, data, mode, temp);
  ::close(fd);
  if (written) {
    int rc = overwrite ? ::rename(temp.c_str(), path.c_str()) : ::link(temp.c_str(), path.c_str());
    if (rc != 0)
      written =
          errno == EEXIST ? exists_error(path) : Error::from_errno(errno, "cannot create " + path.string());
  }
  if (!overwrite || !written) ::unlink(temp.c_str());
  if (!written) return written;
  return sync_directory(dir);
}

Result<PkeyPtr> new_ed25519_key() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return openssl_error("cannot generate an Ed25519 key");
  return key;
}

Result<IntegerPtr> random_serial() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return openssl_error("cannot draw a random serial number");
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x01);
  BignumPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  IntegerPtr serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!serial) return openssl_error("cannot encode a serial number");
  return serial;
}

std::string serial_hex(const ASN1_INTEGER* serial) {
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  char* hex = bn ? BN_bn2hex(bn.get()) : nullptr;
  std::string out = hex ? hex : "?";
  OPENSSL_free(hex);
  return out;
}

Status set_time(ASN1_TIME* field, UnixTime time) {
  if (!ASN1_TIME_set(field, static_cast<std::time_t>(time))) {
    return openssl_error("cannot encode the time " + format_utc_time(time));
  }
  return ok_status();
}

Result<UnixTime> unix_time(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1)
    return openssl_error("unreadable time", Errc::malformed);
  return static_cast<UnixTime>(timegm(&tm));
}

UnixTime now() { return static_cast<UnixTime>(unix_time_ms() / 1000); }

}  // namespace cohort::exec::ossl
