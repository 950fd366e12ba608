// The messages of a `cohort exec` session between a client and cohortd, one
// per frame on the authenticated control connection: the request that starts
// a task, its streams both ways, signals, the window size, and how it ended
// or why it never ran; and those of a `cohort run` relayed through a tree of
// daemons: the signed run request, rank-tagged events going up and input
// going down. Every field has an explicit limit so that a decoder never
// allocates more than the limits allow.
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
inline constexpr std::size_t kMaxNameBytes = 4096;
inline constexpr std::size_t kMaxRunNodes = 1u << 20;
inline constexpr std::size_t kMaxRunWidth = 1024;
inline constexpr std::size_t kMaxNodeNameBytes = 1024;  // HOST:PORT
inline constexpr std::size_t kMaxCertBytes = 64 * 1024;
inline constexpr std::size_t kMaxSignatureBytes = 1024;
inline constexpr std::uint32_t kAllRanks = 0xffffffff;

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
  bool detach = false;                  // the task outlives the connection (else it is ended with it)
  std::uint64_t timeout_ms = 0;         // the daemon ends the task after this long; 0: never
  std::uint32_t kill_after_ms = 0;      // SIGKILL this long after the timeout's SIGTERM
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
  unreachable = 9,  // a relay could not reach the rank's branch
  lost = 10,        // a relay lost the rank's branch mid-run
};
struct Refusal {
  RefusalReason reason = RefusalReason::bad_request;
  std::string detail;
  bool operator==(const Refusal&) const = default;
};

// The task runs: its id on the daemon (for ps / kill / wait) and its pid.
struct TaskStarted {
  std::uint64_t task_id = 0;
  std::uint32_t pid = 0;
  bool operator==(const TaskStarted&) const = default;
};

enum class ControlOp : std::uint8_t { list = 1, kill = 2, wait = 3, watch = 4 };

// Task management, one per connection and with its own nonce and expiry:
// list the caller's tasks, signal one, wait for one to end, or watch every
// state change of the caller's tasks until the connection closes.
struct ControlRequest {
  Nonce nonce{};
  std::uint64_t expires_unix_ms = 0;
  ControlOp op = ControlOp::list;
  std::uint64_t task_id = 0;  // kill, wait
  std::uint8_t signal = 0;    // kill
  bool operator==(const ControlRequest&) const = default;
};

enum class TaskState : std::uint8_t { running = 1, ended = 2 };

// One task as the daemon sees it; `exit` and the usage figures once ended.
struct TaskInfo {
  std::uint64_t task_id = 0;
  std::uint32_t pid = 0;
  TaskState state = TaskState::running;
  TaskExit exit;
  std::string identity;  // who asked (certificate name)
  std::string account;   // the local account it runs as
  std::string command;
  std::uint64_t started_unix_ms = 0, ended_unix_ms = 0;
  std::uint64_t user_cpu_us = 0, system_cpu_us = 0, max_rss_kib = 0;
  bool operator==(const TaskInfo&) const = default;
};

// Ends a list of TaskInfo.
struct EndOfList {
  bool operator==(const EndOfList&) const = default;
};

// Where the local stdin of `cohort run` goes; ranks that get none see it end at once.
enum class StdinTarget : std::uint8_t { none = 0, rank0 = 1, all = 2 };

// Everything the user chose for a run; signed by the user, so it is the
// same at every hop of the tree. Node i runs ranks i*per_host .. (i+1)*per_host-1
// (those below `ranks`).
struct RunSpec {
  ExecRequest base;                // command, environment, ...; its nonce and expiry guard the whole run
  std::vector<std::string> nodes;  // HOST:PORT of every node; index = node rank
  std::uint32_t per_host = 1;
  std::uint32_t ranks = 0;                  // 1 .. nodes * per_host
  std::uint32_t width = 32;                 // 1 .. kMaxRunWidth
  std::uint32_t level_timeout_ms = 10'000;  // > 0: how long one level of the tree may stay silent
  StdinTarget stdin_target = StdinTarget::rank0;
  bool operator==(const RunSpec&) const = default;
};

// Starts the ranks of `head` and relays to `subtree`. head and subtree are
// the relaying peer's (they change per hop); the spec is the user's, with
// the user's certificate (DER) and signature (over signed_body(spec)).
struct RunRequest {
  RunSpec spec;
  std::uint32_t head = 0;               // the receiver's node index
  std::vector<std::uint32_t> subtree;   // node indices it relays to
  std::vector<std::uint8_t> user_cert_der;
  std::vector<std::uint8_t> signature;
  bool operator==(const RunRequest&) const = default;
};

// One rank's news, going up the tree to the client.
using RankPayload = std::variant<TaskStarted, StreamChunk, TaskExit, Refusal>;
struct RankEvent {
  std::uint32_t rank = 0;
  RankPayload event;
  bool operator==(const RankEvent&) const = default;
};

// Input for one rank (or kAllRanks), going down the tree.
using RankCommand = std::variant<StreamChunk, SignalTask, WindowSize>;
struct RankInput {
  std::uint32_t rank = kAllRanks;
  RankCommand input;
  bool operator==(const RankInput&) const = default;
};

using ExecMessage = std::variant<ExecRequest, StreamChunk, SignalTask, WindowSize, TaskExit, Refusal, TaskStarted,
                                 ControlRequest, TaskInfo, EndOfList, RunRequest, RankEvent, RankInput>;

Buffer encode(const ExecMessage& message);
// Stdin `bytes` as frames of at most kMaxChunkBytes, which daemons enforce;
// an empty view gives the one empty chunk that ends stdin.
std::vector<StreamChunk> stdin_chunks(ByteView bytes);
// The bytes a RunRequest's signature covers: a fixed label, then the spec.
Buffer signed_body(const RunSpec& spec);
// Errors: truncated, too_large (a field over its limit), malformed (unknown
// type or value, bytes left over).
Result<ExecMessage> decode(ByteView bytes);

std::string_view to_string(RefusalReason reason);

}  // namespace cohort::exec
