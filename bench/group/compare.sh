#!/usr/bin/env bash
# compare.sh: cohort's group layer side by side with Corosync's CPG (the
# anchor, ../shared/anchors/group/corosync_bench.sh), in alternating rounds:
# one anchor run, then the same measurements of cohort-group-bench on three
# hosts of a cohort-netns run. Prints one line per target of issue 3:
#   target: ours=<value> anchor=<value> ratio=<value> goal=<value> met|missed
# ours and anchor are medians over the rounds, ratio the median of the
# per-round ratios ours/anchor. For loss_5pct the reference ("anchor") is our
# own lossless throughput of the same round, as the goal is stated that way.
#
# Usage (root): bench/group/compare.sh [BUILD_DIR]
#   Without BUILD_DIR it builds the release preset's cohort-group-bench and
#   cohort-netns first (cmake, -j2).
# Knobs (env): ROUNDS=3 SECS=3 PINGS=2000 TIMEOUT_MS=1000 (failure detection:
#   Corosync's token and our suspect + probe timeouts) PROBE_MS=200 LOSS=5
#   STACK=total:gmp:flow:stable:mnak:suspect:batch OURS_ARGS="--batch-delay-us 0
#   --window 4096 --ack-every 256 --max-out-of-order 16384 --nak-delay-us 2000
#   --repair-tick-us 2000 --batch-bytes 8000" (see README.md for why)
#   LAT_HOST=2 (the member that pings; host 0 is the sequencer)
#   SKIP_ANCHOR=1 (ours only) ONLY="t1 tn mb lat crash loss" (our measurements
#   to take) ANCHOR=path LOG=file (keeps every raw line)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ANCHOR=${ANCHOR:-$REPO/../shared/anchors/group/corosync_bench.sh}
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-3}
PINGS=${PINGS:-2000}
TIMEOUT_MS=${TIMEOUT_MS:-1000}
PROBE_MS=${PROBE_MS:-200}
LOSS=${LOSS:-5}
STACK=${STACK:-total:gmp:flow:stable:mnak:suspect:batch}
OURS_ARGS=${OURS_ARGS:---batch-delay-us 0 --window 4096 --ack-every 256 --max-out-of-order 16384 --nak-delay-us 2000 --repair-tick-us 2000 --batch-bytes 8000}
LAT_HOST=${LAT_HOST:-2}
SKIP_ANCHOR=${SKIP_ANCHOR:-0}
ONLY=${ONLY:-t1 tn mb lat crash loss}
PORT=7400

[ "$(id -u)" = 0 ] || { echo "compare.sh: run as root (creates network namespaces)" >&2; exit 1; }
if [ "$SKIP_ANCHOR" != 1 ] && [ ! -f "$ANCHOR" ]; then
  echo "compare.sh: anchor script not found at $ANCHOR (set ANCHOR=path or SKIP_ANCHOR=1)" >&2; exit 1
fi
if [ $# -ge 1 ]; then
  BUILD=$(cd "$1" && pwd)
else
  echo "building cohort-group-bench and cohort-netns (release preset)" >&2
  (cd "$REPO" && cmake --preset release >/dev/null &&
    cmake --build --preset release -j2 --target cohort-group-bench cohort-netns >/dev/null)
  BUILD=$REPO/build/release
fi
BENCH=$BUILD/bench/group/cohort-group-bench
NETNS=$BUILD/src/testbed/cohort-netns
for b in "$BENCH" "$NETNS"; do [ -x "$b" ] || { echo "compare.sh: $b is missing" >&2; exit 1; }; done

WORK=$(mktemp -d -t cohort-compare.XXXXXX)
RUN=""
ANCHOR_PID=""
WATCHERS=()
cleanup() {
  set +e
  if [ -n "$ANCHOR_PID" ]; then   # its own trap removes its namespaces
    kill "$ANCHOR_PID" 2>/dev/null
    for _ in $(seq 300); do kill -0 "$ANCHOR_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  for p in "${WATCHERS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "$RUN" ] && "$NETNS" destroy "$RUN" >/dev/null 2>&1
  if [ -n "${LOG:-}" ]; then cat "$WORK"/log > "$LOG" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "$*" >> "$WORK/log"; }
say() { echo "$*" >&2; log "$*"; }
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p"; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"; exit} print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a=="nan" || b=="nan" || b==0) print "nan"; else printf "%.3f\n", a/b}'; }
record() { echo "$2 $3 $(ratio "$2" "$3")" >> "$WORK/fig.$1"; }   # metric ours anchor

# ---------------------------------------------------------------- anchor

anchor_round() {   # $1 = round
  local out=$WORK/anchor.$1.log
  PFX=cgx NET=10.202.0 NODES=3 RUNS=1 SECS=$SECS PINGS=$PINGS CONFIGS=knet SIZES="64 1024" FAILOVER=1 \
    TOKEN_FAST=$TIMEOUT_MS IDLE_PINGS=0 timeout -k 10 900 bash "$ANCHOR" > "$out" 2>&1 &
  ANCHOR_PID=$!
  wait "$ANCHOR_PID" || say "anchor round $1 failed (exit $?); see its output in LOG"
  ANCHOR_PID=""
  log "--- anchor round $1"; cat "$out" >> "$WORK/log"
  A_T1=$(awk '$1=="knet" && $2=="64" && $4=="senders=1" {print $6}' "$out")
  A_TN=$(awk '$1=="knet" && $2=="64" && $4=="senders=3" {print $6}' "$out")
  A_MB=$(awk '$1=="knet" && $2=="1024" && $4=="senders=1" {print $9}' "$out")
  A_P50=$(sed -n 's/^ *knet *64 B *latency (multicast to own delivery) us: p50 \([0-9.]*\) .*/\1/p' "$out")
  A_P99=$(sed -n 's/^ *knet *64 B *latency (multicast to own delivery) us: .* p99 \([0-9.]*\) .*/\1/p' "$out")
  A_FD=$(awk -v tok="token=$TIMEOUT_MS" '/^ *knet token=/ {cur=$2} /^ *node crash/ && cur==tok {print $(NF-1)}' "$out")
  A_FD_DEFAULT=$(awk '/^ *knet token=/ {cur=$2} /^ *node crash/ && cur=="token=default" {print $(NF-1)}' "$out")
  : "${A_T1:=nan}" "${A_TN:=nan}" "${A_MB:=nan}" "${A_P50:=nan}" "${A_P99:=nan}" "${A_FD:=nan}" "${A_FD_DEFAULT:=nan}"
  say "round $1 anchor: 64B 1 sender $A_T1 msgs/s, all $A_TN msgs/s, 1KiB $A_MB MB/s, latency p50 $A_P50 us p99 $A_P99 us," \
    "crash-to-view $A_FD ms (token $TIMEOUT_MS), $A_FD_DEFAULT ms (default token)"
}

# ---------------------------------------------------------------- ours

member() {   # $1 = host, $2 = output file, rest = cohort-group-bench arguments; background
  local h=$1 out=$2; shift 2
  "$NETNS" exec "$RUN" "$h" -- "$BENCH" --id $((h + 1)) --peers "$PEERS" --members 3 --stack "$STACK" \
    --suspect-timeout-ms $((TIMEOUT_MS - PROBE_MS)) --probe-timeout-ms "$PROBE_MS" $OURS_ARGS "$@" > "$out" 2>&1
}

# Runs one member per host and waits for all; $1 = tag, $2 = sending hosts
# (the first ones), $3 = leader host, rest = arguments for every member.
run_members() {
  local tag=$1 nsend=$2 leader=$3; shift 3
  local pids=() rc=0 h grp=cg$tag$RANDOM
  for h in 0 1 2; do
    local flags=()
    [ "$h" = "$leader" ] && flags+=(--leader)
    [ "$h" -lt "$nsend" ] && flags+=(--send)
    timeout -k 5 $((SECS + 90)) bash -c "$(declare -f member); member \"\$@\"" _ \
      "$h" "$WORK/out.$tag.$h" --group "$grp" --senders "$nsend" --timeout $((SECS + 60)) "${flags[@]}" "$@" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  log "--- ours $tag"; cat "$WORK"/out."$tag".* >> "$WORK/log"
  return $rc
}
export NETNS RUN BENCH PEERS STACK TIMEOUT_MS PROBE_MS OURS_ARGS

# Prints "msgs/s MB/s views" at the slowest member, or "nan nan nan" if the
# run failed or a member missed messages or saw another order.
ours_tput() {   # $1 = tag, $2 = size, $3 = senders
  local tag=$1
  if ! run_members "$tag" "$3" 0 --mode tput --size "$2" --seconds "$SECS"; then
    say "ours $tag failed"; echo "nan nan nan"; return
  fi
  local lines; lines=$(cat "$WORK"/out."$tag".* | grep '^TPUT' || true)
  local n hashes bad views
  n=$(echo "$lines" | grep -c TPUT || true)
  hashes=$(echo "$lines" | field order_hash | sort -u | wc -l)
  bad=$(echo "$lines" | awk '{d=e=""; for(i=1;i<=NF;i++){split($i,kv,"="); if(kv[1]=="delivered")d=kv[2]; if(kv[1]=="expected")e=kv[2]} if(d!=e) print}' | wc -l)
  views=$(echo "$lines" | field views | sort -g | tail -1)
  if [ "$n" != 3 ] || [ "$hashes" != 1 ] || [ "$bad" != 0 ]; then
    say "ours $tag: WARNING members reporting=$n order hashes=$hashes members with missing messages=$bad"
    echo "nan nan nan"; return
  fi
  echo "$(echo "$lines" | field msgs_per_s | sort -g | head -1) $(echo "$lines" | field MB_per_s | sort -g | head -1) $views"
}

ours_lat() {   # $1 = tag; prints "p50 p99" in us
  if ! run_members "$1" 0 "$LAT_HOST" --mode lat --size 64 --count "$PINGS"; then echo "nan nan"; return; fi
  local line; line=$(cat "$WORK"/out."$1".* | grep '^LAT' || true)
  [ -n "$line" ] || { echo "nan nan"; return; }
  echo "$(echo "$line" | field p50_us) $(echo "$line" | field p99_us)"
}

# Three watchers; SIGKILL of host 2's member; time until host 0 installs a
# view without it. Sets CRASH_MS (not run in a subshell, so that cleanup
# knows the watchers).
ours_crash() {   # $1 = tag
  local tag=$1 grp="cgw$1$RANDOM" h w0=$WORK/out.$1.0
  WATCHERS=()
  for h in 0 1 2; do
    "$NETNS" exec "$RUN" "$h" -- "$BENCH" --id $((h + 1)) --peers "$PEERS" --members 3 --stack "$STACK" \
      --suspect-timeout-ms $((TIMEOUT_MS - PROBE_MS)) --probe-timeout-ms "$PROBE_MS" $OURS_ARGS \
      --group "$grp" --mode watch --seconds 60 > "$WORK/out.$tag.$h" 2>&1 &
    WATCHERS+=($!)
  done
  for _ in $(seq 400); do grep -qs 'members=3' "$w0" && break; sleep 0.05; done
  sleep 0.5
  local n t0 line=""
  n=$(wc -l < "$w0"); t0=$(date +%s%N)
  kill -9 "${WATCHERS[2]}"
  wait "${WATCHERS[2]}" 2>/dev/null || true   # quietly: bash would report "Killed"
  for _ in $(seq 400); do
    line=$(awk -v from="$n" 'NR > from && /^VIEW/ && / left=3( |$)/ {print; exit}' "$w0")
    [ -n "$line" ] && break
    sleep 0.05
  done
  for p in "${WATCHERS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${WATCHERS[@]}"; do wait "$p" 2>/dev/null || true; done
  WATCHERS=()
  log "--- ours $tag"; cat "$WORK"/out."$tag".* >> "$WORK/log"
  CRASH_MS=nan
  [ -z "$line" ] || CRASH_MS=$(echo "$line" | field t_real_ns | awk -v t0="$t0" '{printf "%.1f\n", ($1 - t0) / 1e6}')
}

set_loss() { local h; for h in 0 1 2; do "$NETNS" loss "$RUN" "$h" "$1" >/dev/null; done; }

wanted() { [[ " $ONLY " == *" $1 "* ]]; }

ours_round() {   # $1 = round
  local r=$1 t1="nan nan nan" tn="nan nan nan" mb="nan nan nan" lat="nan nan" lossy="nan nan nan"
  CRASH_MS=nan
  wanted t1 && t1=$(ours_tput "t1.$r" 64 1)
  wanted tn && tn=$(ours_tput "tn.$r" 64 3)
  wanted mb && mb=$(ours_tput "mb.$r" 1024 1)
  wanted lat && lat=$(ours_lat "lat.$r")
  wanted crash && ours_crash "crash.$r"
  if wanted loss; then
    set_loss "$LOSS"
    lossy=$(ours_tput "loss.$r" 64 1)
    set_loss 0
  fi
  say "round $r ours: 64B 1 sender ${t1%% *} msgs/s, all $(echo "$tn" | cut -d' ' -f1) msgs/s," \
    "1KiB $(echo "$mb" | cut -d' ' -f2) MB/s, latency p50 ${lat% *} us p99 ${lat#* } us, crash-to-view $CRASH_MS ms," \
    "${LOSS}% loss $(echo "$lossy" | cut -d' ' -f1) msgs/s with $(echo "$lossy" | cut -d' ' -f3) view changes"
  record t64_1sender "${t1%% *}" "$A_T1"
  record t64_allsenders "$(echo "$tn" | cut -d' ' -f1)" "$A_TN"
  record mbs_1KiB "$(echo "$mb" | cut -d' ' -f2)" "$A_MB"
  record lat_p50_us "${lat% *}" "$A_P50"
  record lat_p99_us "${lat#* }" "$A_P99"
  record crash_to_view_ms "$CRASH_MS" "$A_FD"
  record "loss_${LOSS}pct" "$(echo "$lossy" | cut -d' ' -f1)" "${t1%% *}"
  echo "$(echo "$lossy" | cut -d' ' -f3)" >> "$WORK/loss_views"
}

# ---------------------------------------------------------------- summary

summary() {   # $1 = metric, $2 = goal text, $3 = awk condition on o (ours), r (ratio)
  local f=$WORK/fig.$1 o a r verdict
  o=$(awk '$1 != "nan" {print $1}' "$f" | median)
  a=$(awk '$2 != "nan" {print $2}' "$f" | median)
  r=$(awk '$3 != "nan" {print $3}' "$f" | median)
  verdict=$(awk -v o="$o" -v r="$r" "BEGIN {if (o==\"nan\" || r==\"nan\") print \"missed\"; else print (($3) ? \"met\" : \"missed\")}")
  echo "$1: ours=$o anchor=$a ratio=$r goal=$2 $verdict"
}

"$NETNS" create --hosts 3 --owner $$ > "$WORK/run"
RUN=$(head -1 "$WORK/run")
mapfile -t ADDR < <(awk 'NR > 1 {print $3}' "$WORK/run")
PEERS="1=${ADDR[0]}:$PORT,2=${ADDR[1]}:$PORT,3=${ADDR[2]}:$PORT"
export RUN PEERS

say "compare.sh: $ROUNDS rounds, ${SECS}s per throughput run, $PINGS pings; ours: stack $STACK $OURS_ARGS," \
  "failure detection ${TIMEOUT_MS} ms (suspect $((TIMEOUT_MS - PROBE_MS)) + probe $PROBE_MS); anchor token $TIMEOUT_MS ms"
say "cpus $(nproc), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
A_T1=nan A_TN=nan A_MB=nan A_P50=nan A_P99=nan A_FD=nan
for r in $(seq "$ROUNDS"); do
  [ "$SKIP_ANCHOR" = 1 ] || anchor_round "$r"
  ours_round "$r"
done
say "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

LOSS_VIEWS=$(sort -g "$WORK/loss_views" | tail -1)
summary t64_1sender ">=10" "r >= 10"
summary t64_allsenders ">=10" "r >= 10"
summary mbs_1KiB ">=3" "r >= 3"
summary lat_p50_us "<=0.5" "r <= 0.5"
summary lat_p99_us "<=0.5" "r <= 0.5"
summary crash_to_view_ms "ours<=$((TIMEOUT_MS + 200))" "o <= $((TIMEOUT_MS + 200))"
summary "loss_${LOSS}pct" ">=0.5,views=0" "r >= 0.5 && \"$LOSS_VIEWS\" == \"0\""
