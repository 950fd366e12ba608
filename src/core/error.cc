#include "cohort/core/error.h"

#include <cerrno>
#include <cstring>

namespace cohort {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return "invalid argument";
    case Errc::truncated: return "truncated";
    case Errc::malformed: return "malformed";
    case Errc::too_large: return "too large";
    case Errc::not_found: return "not found";
    case Errc::address_in_use: return "address in use";
    case Errc::interface_not_found: return "interface not found";
    case Errc::multicast_unavailable: return "multicast not available";
    case Errc::would_block: return "would block";
    case Errc::closed: return "closed";
    case Errc::timed_out: return "timed out";
    case Errc::permission_denied: return "permission denied";
    case Errc::io: return "I/O error";
    case Errc::internal: return "internal error";
  }
  return "unknown error";
}

namespace {
Errc errc_from_errno(int err) {
  switch (err) {
    case EADDRINUSE: return Errc::address_in_use;
    case ENODEV:
    case ENXIO: return Errc::interface_not_found;
    case EAGAIN: return Errc::would_block;
    case ENOENT: return Errc::not_found;
    case EACCES:
    case EPERM: return Errc::permission_denied;
    case ETIMEDOUT: return Errc::timed_out;
    case EPIPE:
    case ECONNRESET:
    case ENOTCONN: return Errc::closed;
    case EINVAL: return Errc::invalid_argument;
    case EMSGSIZE: return Errc::too_large;
    default: return Errc::io;
  }
}
}  // namespace

Error Error::from_errno(int err, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += std::strerror(err);
  return Error(errc_from_errno(err), std::move(message));
}

std::string Error::to_string() const {
  std::string out(errc_name(code_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace cohort
