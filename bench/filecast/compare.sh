#!/usr/bin/env bash
# compare.sh: cohort cast side by side with UFTP (the anchor,
# ../shared/anchors/filecast/uftp_bench.sh) in alternating rounds: one anchor
# run of every loss rate, then ours on the same topology (a sender namespace
# and 4 receiver namespaces on a bridge with IP multicast, the same file size,
# the same rate cap, loss injected by nftables on every receiver's input),
# then again. Then filecast's Reed-Solomon decode against ISA-L's kernel
# (../shared/anchors/filecast/isal_bench.sh). Prints one line per target of
# issue 5:
#   target: ours=<value> anchor=<value> ratio=<value> goal=<value> met|missed
# Times are wall seconds, medians over the rounds; ratio is the median of the
# per-round ratios. Every one of our runs must leave a verified copy on every
# receiver (sha256 compared here too), or the script says so and fails.
#
# Usage (root): bench/filecast/compare.sh [BUILD_DIR]   (default build/release;
#   missing binaries are built first with the release preset, cmake -j2)
# Knobs (env): ROUNDS=3 SIZE_MB=256 LOSSES="0 5 20" RATE_KBPS=1000000 (the
#   anchor's uftp -R; ours gets the same cap; -1: no cap on either side)
#   SKIP_ANCHOR=1 (ours only)
#   ANCHOR=path ISAL_ANCHOR=path LOG=file (keeps every raw output)
set -euo pipefail
exec </dev/null

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$REPO/bench/compare_lib.sh"
ANCHOR=${ANCHOR:-$REPO/../shared/anchors/filecast/uftp_bench.sh}
ISAL_ANCHOR=${ISAL_ANCHOR:-$REPO/../shared/anchors/filecast/isal_bench.sh}
ROUNDS=${ROUNDS:-3}
SIZE_MB=${SIZE_MB:-256}
LOSSES=${LOSSES:-"0 5 20"}
RATE_KBPS=${RATE_KBPS:-1000000}
SKIP_ANCHOR=${SKIP_ANCHOR:-0}
OUR_RATE=$((RATE_KBPS * 1000))   # bits/s for cohort cast --rate; 0 is no cap
[ "$RATE_KBPS" != -1 ] || OUR_RATE=0
RECEIVERS=4
PFX=cf$$          # names unique to this run, apart from the anchor's
NET=10.208.0
ANCHOR_PFX=ua$$
ANCHOR_NET=10.209.0
BR=${PFX}br

[ "$(id -u)" = 0 ] || { echo "compare.sh: run as root (creates network namespaces)" >&2; exit 1; }
for a in "$ANCHOR" "$ISAL_ANCHOR"; do
  if [ "$SKIP_ANCHOR" != 1 ] && [ ! -f "$a" ]; then
    echo "compare.sh: the anchor script is missing: $a (the shared/ folder beside the repository;" \
      "set ANCHOR= / ISAL_ANCHOR=, or SKIP_ANCHOR=1 for ours only)" >&2
    exit 1
  fi
done
BUILD=${1:-$REPO/build/release}
[ -d "$BUILD" ] && BUILD=$(cd "$BUILD" && pwd)   # the receivers run it from cohortd, in another directory
COHORT=$BUILD/src/cli/cohort
COHORTD=$BUILD/src/exec/cohortd
FEC_BENCH=$BUILD/bench/filecast_fec_bench
ensure_binaries "$(( $# > 0 ))" "cohort-cli cohortd filecast_fec_bench" "$COHORT" "$COHORTD" "$FEC_BENCH"

WORK=$(mktemp -d /dev/shm/cohort-cast-compare.XXXXXX)   # tmpfs, as the anchor: disk speed stays out
chmod 755 "$WORK"
DAEMONS=()
ANCHOR_PID=""
trap 'clean_up_run "$RECEIVERS"' EXIT
trap 'exit 130' INT TERM


# ---------------------------------------------------------------- anchor

declare -A A_WALL
anchor_round() {   # $1 = round: one run of every loss rate
  local out=$WORK/anchor.$1.log loss v
  PFX=$ANCHOR_PFX NET=$ANCHOR_NET RECEIVERS=$RECEIVERS SIZE_MB=$SIZE_MB RUNS=1 LOSSES=$LOSSES \
    RATE_KBPS=$RATE_KBPS timeout -k 10 1800 bash "$ANCHOR" > "$out" 2>&1 &
  ANCHOR_PID=$!
  wait "$ANCHOR_PID" || say "anchor round $1 failed (exit $?); its output: $(tail -5 "$out")"
  ANCHOR_PID=""
  log "--- anchor round $1"; cat "$out" >> "$WORK/log"
  for loss in $LOSSES; do
    v=$(sed -n "s/^median loss=$loss%: wall=\([0-9.]*\)s.*/\1/p" "$out")
    A_WALL[$loss]=${v:-nan}
  done
  say "round $1 anchor (uftp): $(for l in $LOSSES; do printf '%s%%=%ss ' "$l" "${A_WALL[$l]}"; done)"
}

# ---------------------------------------------------------------- ours: set-up

addr() { echo "$NET.$((10 + $1))"; }
IN0="ip netns exec ${PFX}0"

start_daemons() {
  local ca=$WORK/ca i
  "$COHORT" keys init --cluster "$PFX" --dir "$ca" >/dev/null
  for i in $(seq 1 "$RECEIVERS"); do "$COHORT" keys host "h$i" --ip "$(addr "$i")" --dir "$ca" >/dev/null; done
  "$COHORT" keys user root --dir "$ca" >/dev/null
  echo "root root" > "$WORK/accounts"
  export COHORT_CA=$ca/ca.pem COHORT_CERT=$ca/users/root.pem COHORT_KEY=$ca/users/root.key
  start_cohortd "$RECEIVERS"
}

set_loss() {   # percent of UDP datagrams dropped on each receiver's input (all of ours are UDP but TLS control)
  local pct=$1 i ns
  for i in $(seq 1 "$RECEIVERS"); do
    ns=${PFX}$i
    ip netns exec "$ns" nft delete table inet "${PFX}loss" 2>/dev/null || true
    [ "$pct" -gt 0 ] || continue
    ip netns exec "$ns" nft -f - <<EOF
table inet ${PFX}loss {
  chain in {
    type filter hook input priority 0; policy accept;
    meta l4proto udp numgen random mod 100 < $pct drop
  }
}
EOF
  done
}

# ---------------------------------------------------------------- ours: measurements

ALL=$(for i in $(seq 1 "$RECEIVERS"); do addr "$i"; done | paste -sd,)
SUM=""
declare -A O_WALL
cast_once() {   # $1 = loss, $2 = round: wall seconds of one cast, every copy checked
  local loss=$1 i t0 t1 rc=0 ok=0 f
  for i in $(seq 1 "$RECEIVERS"); do rm -rf "$WORK/dest-$(addr "$i")"; done
  t0=$(date +%s.%N)
  $IN0 "$COHORT" cast "$WORK/payload.bin" --to "$ALL" --dest "$WORK/dest-{host}" \
    --rate "$OUR_RATE" --remote-cohort "$COHORT" --json \
    > "$WORK/cast.$loss.$2.json" 2> "$WORK/cast.$loss.$2.err" || rc=$?
  t1=$(date +%s.%N)
  log "--- ours loss=$loss round=$2 rc=$rc"; cat "$WORK/cast.$loss.$2.json" "$WORK/cast.$loss.$2.err" >> "$WORK/log"
  for i in $(seq 1 "$RECEIVERS"); do
    f=$WORK/dest-$(addr "$i")/payload.bin
    [ -f "$f" ] && [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$SUM" ] && ok=$((ok + 1))
  done
  if [ "$rc" != 0 ] || [ "$ok" != "$RECEIVERS" ]; then
    say "ours at $loss% loss, round $2: exit $rc, $ok/$RECEIVERS verified copies; $(tail -3 "$WORK/cast.$loss.$2.err")"
    O_WALL[$loss]=nan
    return
  fi
  O_WALL[$loss]=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
}

ours_round() {   # $1 = round
  local loss
  for loss in $LOSSES; do set_loss "$loss"; cast_once "$loss" "$1"; done
  set_loss 0
  say "round $1 ours: $(for l in $LOSSES; do printf '%s%%=%ss ' "$l" "${O_WALL[$l]}"; done)"
  for loss in $LOSSES; do
    record "loss${loss}_vs_uftp" "${O_WALL[$loss]}" "${A_WALL[$loss]:-nan}"
    [ "$loss" = 0 ] || record "loss${loss}_vs_own_lossless" "${O_WALL[$loss]}" "${O_WALL[0]:-nan}"
  done
}

# ---------------------------------------------------------------- decode against ISA-L's kernel

decode_figures() {
  local out=$WORK/isal.log ours anchor
  anchor=nan
  if [ "$SKIP_ANCHOR" != 1 ]; then
    bash "$ISAL_ANCHOR" > "$out" 2>&1 || say "isal_bench.sh failed: $(tail -3 "$out")"
    cat "$out" >> "$WORK/log"
    anchor=$(grep -m1 'k=32 m=8 block=1400' "$out" | sed -n 's/.*decode([0-9]* lost) \([0-9.]*\) GB.*/\1/p')
    anchor=${anchor:-nan}
  fi
  # Our decode pays the matrix set-up in every group (a new loss pattern each time).
  ours=$("$FEC_BENCH" --benchmark_filter='BM_DecodeNewPattern/8$' --benchmark_format=json \
    --benchmark_repetitions=5 --benchmark_report_aggregates_only=true 2>/dev/null |
    awk -F'[:,]' '/"name": "BM_DecodeNewPattern\/8_median"/ {m=1} m && /"bytes_per_second"/ {printf "%.3f\n", $2/1e9; exit}')
  log "decode GB/s: ours $ours (K=32, 8 lost, set-up per group), isal kernel $anchor"
  record decode_vs_isal_kernel "${ours:-nan}" "$anchor"
}

# ---------------------------------------------------------------- summary

summary() {   # $1 = target, $2 = "<=" or ">=", $3 = goal
  local f=$WORK/fig.$1 o a r verdict
  [ -f "$f" ] || return 0   # a loss rate left out of LOSSES
  o=$(awk '$1 != "nan" {print $1}' "$f" | median)
  a=$(awk '$2 != "nan" {print $2}' "$f" | median)
  r=$(awk '$3 != "nan" {print $3}' "$f" | median)
  verdict=$(awk -v r="$r" -v op="$2" -v g="$3" 'BEGIN {
    if (r == "nan") print "missed"; else if (op == "<=") print (r + 0 <= g + 0) ? "met" : "missed";
    else print (r + 0 >= g + 0) ? "met" : "missed" }')
  echo "$1: ours=$o anchor=$a ratio=$r goal=$2$3 $verdict"
}

say "compare.sh: $ROUNDS rounds, ${SIZE_MB} MiB to $RECEIVERS receivers, rate cap $RATE_KBPS kbit/s;" \
  "cohort from $BUILD; cpus $(nproc), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
make_hosts "$RECEIVERS" multicast
# Each datagram crosses to a receiver alone, as over a NIC, so the loss rule
# drops datagrams as it does the anchor's. Otherwise the kernel carries our
# segmented sends (UDP_SEGMENT) across veth and bridge whole, and one drop
# would take up to 45 datagrams at once. UFTP does not segment its sends.
for i in $(seq 1 "$RECEIVERS"); do ip link set dev "${PFX}${i}h" gso_max_segs 1; done
start_daemons
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom > "$WORK/payload.bin"
SUM=$(sha256sum < "$WORK/payload.bin" | cut -d' ' -f1)
for loss in $LOSSES; do A_WALL[$loss]=nan; done
for r in $(seq "$ROUNDS"); do
  [ "$SKIP_ANCHOR" = 1 ] || anchor_round "$r"
  ours_round "$r"
done
decode_figures
say "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

summary loss0_vs_uftp "<=" 0.8
summary loss5_vs_uftp "<=" 0.5
summary loss5_vs_own_lossless "<=" 1.2
summary loss20_vs_uftp "<=" 0.333
summary loss20_vs_own_lossless "<=" 1.6
summary decode_vs_isal_kernel ">=" 0.5
