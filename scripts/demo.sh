#!/usr/bin/env bash
# The main job of `make run`: a demonstration of what cohort has today, with
# no root needed. It runs the reliable-broadcast protocol in the deterministic
# simulator across many seeds with faults and shows what was checked, replays
# one seed to show determinism, and runs the same protocol over real UDP
# sockets on loopback.
set -euo pipefail
build=${1:-build/release}
sim=$build/src/sim/cohort-sim

section() { printf '\n== %s ==\n' "$1"; }

section "Simulator: 200 seeds of FIFO reliable broadcast with loss, duplication, reordering, partitions, crashes"
"$sim" rbcast --seeds 200

section "Determinism: seed 42 run twice gives the same trace"
trace=$(mktemp)
trap 'rm -f "$trace"' EXIT
"$sim" rbcast --seed 42 --trace >"$trace"
a=$(sha256sum <"$trace" | cut -c1-16)
b=$("$sim" rbcast --seed 42 --trace | sha256sum | cut -c1-16)
echo "trace digests: $a $b"
[ "$a" = "$b" ] && echo "identical: a failing seed is a reproducible bug"
sed -n '1,6p;/ crash/{p;q}' "$trace"
echo "... (replay any seed with: $sim rbcast --seed N --trace)"

section "A broken protocol is caught: retransmission switched off"
"$sim" rbcast --seeds 3 --bug no-retransmit >"$trace" || true
sed -n '1,4p' "$trace"

if [ -x "$build/examples/rbcast_udp/cohort-rbcast-udp" ]; then
  section "The same protocol on real UDP sockets on loopback"
  "$build/examples/rbcast_udp/cohort-rbcast-udp" --nodes 4 --messages 20
fi
