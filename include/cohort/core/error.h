// The one error type of cohort: a canonical code that callers can react to,
// plus a human message for the edges. Result<T> carries a value or an Error.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cohort {

// Add a code only if some caller would react to it differently.
enum class Errc {
  invalid_argument,       // the caller passed something unusable
  truncated,              // input ended before a complete value
  malformed,              // input is complete but not valid
  too_large,              // a declared size exceeds an explicit limit
  not_found,              // a named thing (file, key, interface) does not exist
  address_in_use,         // bind failed: someone else holds the address
  interface_not_found,    // a named network interface does not exist
  multicast_unavailable,  // the host or interface cannot do IP multicast
  would_block,            // non-blocking operation has nothing to do now
  closed,                 // the peer or the object is closed
  timed_out,              // a deadline passed
  permission_denied,      // the OS refused for lack of privilege
  io,                     // any other OS-level failure
  internal,               // a bug in cohort: an invariant does not hold
};

std::string_view errc_name(Errc code);

class Error {
 public:
  Error(Errc code, std::string message) : code_(code), message_(std::move(message)) {}

  // Maps an errno value to the closest Errc; `what` says what was being done.
  static Error from_errno(int err, std::string_view what);

  Errc code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string to_string() const;

 private:
  Errc code_;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { assert(failed_); return error_; }

 private:
  Error error_{Errc::internal, {}};
  bool failed_ = false;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace cohort
