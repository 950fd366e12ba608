// Where remote output lands locally: the stream's own descriptor, written
// in full with blocking writes, so a slow local reader slows the remote task
// down through the connection's back-pressure instead of piling up here.
#pragma once

#include "cohort/core/buffer.h"
#include "cohort/exec/protocol.h"

namespace cohort::cli {

// STDERR_FILENO for stderr, STDOUT_FILENO otherwise.
int local_fd(exec::Stream stream);

// Writes all of `bytes`; false if the descriptor refused (the rest is dropped).
bool write_fully(int fd, ByteView bytes);

}  // namespace cohort::cli
