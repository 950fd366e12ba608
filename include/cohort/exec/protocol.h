// The messages of a `cohort exec` session between a client and cohortd, one
// per frame on the authenticated control connection: the request that starts
// a task, its streams both ways, signals, the window size, and how it ended
// or why it never ran. Every field has an explicit limit so that a decoder
// never allocates more than the limits allow.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"

namespace cohort::exec {

inline constexpr std::size_t kMaxArgs = 4096;
inline constexpr std::size_t kMaxArgBytes = 128 * 1024;
inline constexpr std::size_t kMaxEnv = 4096;
inline constexpr std::size_t kMaxPathBytes = 4096;
inline constexpr std::size_t kMaxChunkBytes = 256 * 1024;
inline constexpr std::size_t kMaxReasonBytes = 4096;

using Nonce = std::array<std::uint8_t, 16>;

// Starts a task. The nonce and the expiry make a captured request useless:
// the daemon refuses an expired one and one whose nonce it has seen.
struct ExecRequest {
  Nonce nonce{};
  std::uint64_t expires_unix_ms = 0;
  std::vector<std::string> argv;        // argv[0] is the program
  std::vector<std::string> env;         // "NAME=value", added to the account's environment
  std::string cwd;                      // empty: the account's home
  bool expand_env = false;              // $NAME in argv expanded remotely, as rsh's shell would
  bool tty = false;
  std::uint16_t rows = 0, cols = 0;     // with tty
  bool operator==(const ExecRequest&) const = default;
};

enum class Stream : std::uint8_t { stdin_ = 0, stdout_ = 1, stderr_ = 2 };

// Bytes of one stream; an empty chunk is that stream's end.
struct StreamChunk {
  Stream stream = Stream::stdout_;
  std::vector<std::uint8_t> bytes;
  bool operator==(const StreamChunk&) const = default;
};

struct SignalTask {
  std::uint8_t signal = 0;
  bool operator==(const SignalTask&) const = default;
};

struct WindowSize {
  std::uint16_t rows = 0, cols = 0;
  bool operator==(const WindowSize&) const = default;
};

// How the task ended: exit code, or the signal that ended it.
struct TaskExit {
  std::uint8_t code = 0;
  std::uint8_t signal = 0;  // 0: exited normally with `code`
  int shell_status() const { return signal != 0 ? 128 + signal : code; }
  bool operator==(const TaskExit&) const = default;
};

// Why nothing ran (or the task was stopped): one reason per failure a user
// must tell apart.
enum class RefusalReason : std::uint8_t {
  authentication = 1,
  not_authorised = 2,
  replayed = 3,
  expired = 4,
  spawn_failed = 5,
  timed_out = 6,
  limit_reached = 7,
  bad_request = 8,
};
struct Refusal {
  RefusalReason reason = RefusalReason::bad_request;
  std::string detail;
  bool operator==(const Refusal&) const = default;
};

using ExecMessage = std::variant<ExecRequest, StreamChunk, SignalTask, WindowSize, TaskExit, Refusal>;

Buffer encode(const ExecMessage& message);
// Errors: truncated, too_large (a field over its limit), malformed (unknown
// type or value, bytes left over).
Result<ExecMessage> decode(ByteView bytes);

std::string_view to_string(RefusalReason reason);

}  // namespace cohort::exec
