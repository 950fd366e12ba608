#!/usr/bin/env bash
# compare.sh: cohort exec / cohort run side by side with ssh, pdsh and
# ClusterShell (the anchor, ../shared/anchors/exec/pdsh_bench.sh), in
# alternating rounds: one anchor run, then the same measurements of ours on
# the same topology (a client namespace and 4 host namespaces on a bridge),
# then again. Prints one line per target of issue 4:
#   target: ours=<value> anchor=<value> ratio=<value> goal=<value> met|missed
# Values are in ms. ours and anchor are medians over the rounds of each
# round's median of RUNS runs; ratio is the median of the per-round ratios
# ours/anchor (each round's pair ran under the same machine load).
#
# Usage (root): bench/exec/compare.sh [BUILD_DIR]   (default build/release;
#   if its binaries are missing, the release preset's cohort-cli, cohortd and
#   cohort-sim are built first, cmake -j2)
# Knobs (env): RUNS=15 (runs per measurement, as the anchor's) ROUNDS=2
#   SKIP_ANCHOR=1 (ours only; the anchor values are then nan) ANCHOR=path
#   LOG=file (keeps the anchor's output and our raw timings)
set -euo pipefail
exec </dev/null   # the same (empty) stdin for ssh, pdsh and cohort

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$REPO/bench/compare_lib.sh"
ANCHOR=${ANCHOR:-$HERE/../../../shared/anchors/exec/pdsh_bench.sh}
RUNS=${RUNS:-15}
ROUNDS=${ROUNDS:-2}
SKIP_ANCHOR=${SKIP_ANCHOR:-0}
HOSTS=4
# Names unique to this run, apart from the anchor's (default fc, 10.202.0).
PFX=ce$$
NET=10.207.0
ANCHOR_PFX=ca$$
ANCHOR_NET=10.206.0
BR=${PFX}br

[ "$(id -u)" = 0 ] || { echo "compare.sh: run as root (creates network namespaces)" >&2; exit 1; }
if [ "$SKIP_ANCHOR" != 1 ] && [ ! -f "$ANCHOR" ]; then
  echo "compare.sh: the anchor script is missing: $ANCHOR (the shared/ folder beside the repository;" \
    "set ANCHOR=path, or SKIP_ANCHOR=1 for ours only)" >&2
  exit 1
fi
BUILD=${1:-$REPO/build/release}
COHORT=$BUILD/src/cli/cohort
COHORTD=$BUILD/src/exec/cohortd
SIM=$BUILD/src/sim/cohort-sim
ensure_binaries "$(( $# > 0 ))" "cohort-cli cohortd cohort-sim" "$COHORT" "$COHORTD" "$SIM"

WORK=$(mktemp -d -t cohort-exec-compare.XXXXXX)
chmod 700 "$WORK"
DAEMONS=()
ANCHOR_PID=""
trap 'clean_up_run "$HOSTS"' EXIT
trap 'exit 130' INT TERM


# ---------------------------------------------------------------- anchor

# The anchor installs openssh, pdsh and clustershell itself; make sure its
# apt-get install can find them on a machine whose package lists are empty.
prepare_anchor() {
  if [ ! -x /usr/sbin/sshd ] || ! command -v pdsh >/dev/null || ! command -v clush >/dev/null; then
    say "updating the package lists for the anchor's install"
    apt-get update -q >/dev/null
  fi
}

anchor_round() {   # $1 = round
  local out=$WORK/anchor.$1.log line
  PFX=$ANCHOR_PFX NET=$ANCHOR_NET HOSTS=$HOSTS RUNS=$RUNS timeout -k 10 1200 bash "$ANCHOR" > "$out" 2>&1 &
  ANCHOR_PID=$!
  wait "$ANCHOR_PID" || say "anchor round $1 failed (exit $?); its output: $(tail -5 "$out")"
  ANCHOR_PID=""
  log "--- anchor round $1"; cat "$out" >> "$WORK/log"
  line=$(grep '^exec anchors, median ms:' "$out" || true)
  a_field() { local v; v=$(echo "$line" | sed -n "s/.*[[:space:]]$1=\([0-9.]*\).*/\1/p"); echo "${v:-nan}"; }
  A_LOCAL=$(a_field local_spawn) A_SSH=$(a_field ssh) A_MUX=$(a_field ssh_mux)
  A_PDSH=$(a_field "pdsh_${HOSTS}hosts") A_CLUSH=$(a_field "clush_${HOSTS}hosts")
  say "round $1 anchor: local spawn $A_LOCAL, ssh $A_SSH, ssh multiplexed $A_MUX, pdsh $A_PDSH, clush $A_CLUSH ms"
}

# ---------------------------------------------------------------- ours: set-up

addr() { echo "$NET.$((10 + $1))"; }
IN0="ip netns exec ${PFX}0"

make_keys() {   # the CA, a host certificate per host, root's, and the first-contact users
  local ca=$WORK/ca i
  "$COHORT" keys init --cluster "$PFX" --dir "$ca" >/dev/null
  for i in $(seq 1 "$HOSTS"); do "$COHORT" keys host "h$i" --ip "$(addr "$i")" --dir "$ca" >/dev/null; done
  "$COHORT" keys user root --dir "$ca" >/dev/null
  echo "root root" > "$WORK/accounts"
  for i in $(seq 1 $((RUNS * ROUNDS))); do
    "$COHORT" keys user "new$i" --dir "$ca" >/dev/null
    echo "new$i root" >> "$WORK/accounts"
  done
  export COHORT_CA=$ca/ca.pem COHORT_CERT=$ca/users/root.pem COHORT_KEY=$ca/users/root.key
}

start_daemons() { start_cohortd "$HOSTS"; }   # each first answer is also the warm-up contact

# ---------------------------------------------------------------- ours: measurements

ms_now() { date +%s%N; }
# The anchor's method: wall time of each run, stdout discarded, every run
# must succeed; the median of RUNS runs. RUN_NO is the run's number
# (1-based), for first_contact.
measure() {   # label, then the command
  local label=$1; shift
  local t=() t0 t1 med
  for n in $(seq 1 "$RUNS"); do
    RUN_NO=$n
    t0=$(ms_now)
    "$@" >/dev/null || { say "ours: '$label' failed in run $n"; exit 1; }
    t1=$(ms_now)
    t+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", (b-a)/1e6}')")
  done
  med=$(printf '%s\n' "${t[@]}" | median)
  log "ours $label: ${t[*]} -> median $med"
  RESULT=$med
}

ALL=$(for i in $(seq 1 "$HOSTS"); do addr "$i"; done | paste -sd,)
FIRST=$(addr 1)
ROUND=0
first_contact() {   # a certificate that has never connected to any daemon
  local user=new$(((ROUND - 1) * RUNS + RUN_NO))
  $IN0 "$COHORT" exec --cert "$WORK/ca/users/$user.pem" --key "$WORK/ca/users/$user.key" "$FIRST" true
}

ours_round() {   # $1 = round
  ROUND=$1
  measure "local spawn" ip netns exec "${PFX}1" sh -c true; O_LOCAL=$RESULT
  measure "cohort exec (warm)" $IN0 "$COHORT" exec "$FIRST" true; O_WARM=$RESULT
  measure "cohort run $HOSTS hosts" $IN0 "$COHORT" run --hosts "$ALL" -q -- true; O_RUN=$RESULT
  measure "cohort exec (first contact)" first_contact; O_FIRST=$RESULT
  say "round $1 ours: local spawn $O_LOCAL, cohort exec warm $O_WARM, first contact $O_FIRST," \
    "cohort run on $HOSTS hosts $O_RUN ms"
  record exec_warm_vs_ssh "$O_WARM" "$A_SSH"
  record exec_warm_vs_ssh_mux "$O_WARM" "$A_MUX"
  record run_4hosts_vs_pdsh "$O_RUN" "$A_PDSH"
  record first_contact_vs_ssh "$O_FIRST" "$A_SSH"
  record local_spawn "$O_LOCAL" "$A_LOCAL"
}

check_ours() {   # output, exit status and the account really come back
  local out
  out=$($IN0 "$COHORT" run --hosts "$ALL" -- id -un | sort)
  [ "$(grep -c ': root$' <<<"$out")" = "$HOSTS" ] || { say "cohort run did not reach all $HOSTS hosts: $out"; exit 1; }
  if $IN0 "$COHORT" exec "$FIRST" 'exit 3'; then say "cohort exec lost the exit status"; exit 1; fi
}

# ---------------------------------------------------------------- tree launch (simulated)

sim_ms() {   # hosts: the simulated launch time in ms
  "$SIM" launch --hosts "$1" --width 32 | sed -n 's/.* after \([0-9.]*\) ms simulated.*/\1/p'
}

# ---------------------------------------------------------------- summary

summary() {   # $1 = target, $2 = goal (ratio at most)
  local f=$WORK/fig.$1 o a r verdict
  o=$(awk '$1 != "nan" {print $1}' "$f" | median)
  a=$(awk '$2 != "nan" {print $2}' "$f" | median)
  r=$(awk '$3 != "nan" {print $3}' "$f" | median)
  verdict=$(awk -v r="$r" -v g="$2" 'BEGIN {print (r != "nan" && r + 0 <= g + 0) ? "met" : "missed"}')
  echo "$1: ours=$o anchor=$a ratio=$r goal=<=$2 $verdict"
}

say "compare.sh: $ROUNDS rounds of $RUNS runs; cohort from $BUILD; cpus $(nproc)," \
  "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$SKIP_ANCHOR" = 1 ] || prepare_anchor
make_hosts "$HOSTS"
make_keys
start_daemons
check_ours
A_LOCAL=nan A_SSH=nan A_MUX=nan A_PDSH=nan A_CLUSH=nan
for r in $(seq "$ROUNDS"); do
  [ "$SKIP_ANCHOR" = 1 ] || anchor_round "$r"
  ours_round "$r"
done
T10=$(sim_ms 10)
T10000=$(sim_ms 10000)
record tree_launch_10000_vs_10 "${T10000:-nan}" "${T10:-nan}"
say "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
say "$(summary local_spawn 1000 | sed 's/ goal=.*//') (the floor: a local sh -c true; no goal)"

summary exec_warm_vs_ssh 0.05
summary exec_warm_vs_ssh_mux 0.2
summary run_4hosts_vs_pdsh 0.05
summary first_contact_vs_ssh 0.3
summary tree_launch_10000_vs_10 10
