// `cohort cast FILE... --to HOSTS --dest PATH`: the sending end. Hashes the
// files while it starts `cohort cast-receive` on every host through cohortd,
// hands each receiver the session setup over that authenticated channel,
// multicasts with the filecast sender machine, and counts a receiver done
// only when its channel reports a verified copy (never from UDP alone).
#pragma once

#include "cast_options.h"

namespace cohort::cli {

// Exit statuses: kExitOk when every receiver reported a verified copy;
// kExitFailure when any did not (the report says which and why; the same
// command again resumes them); kExitUsage when nothing was sent (bad
// arguments, unreadable FILE, no hosts, no keys).
int run_cast(const CastOptions& options);

}  // namespace cohort::cli
