# shellcheck shell=bash
# Shared by the bench/*/compare.sh scripts (sourced, not run): the build
# check, the hosts in namespaces, the log, the figures (median, ratio, one
# record per round), cohortd on the hosts, and the clean-up. The caller sets
# REPO, WORK, PFX, BR, COHORT, COHORTD, IN0 (the client namespace prefix) and
# addr() (host number -> address), and keeps DAEMONS and ANCHOR_PID for the
# clean-up; the functions read them when called.

# $1: 1 when the caller named a build directory (then nothing is built); $2:
# the cmake targets, space-separated; the rest: the binaries that must exist.
ensure_binaries() {
  local named=$1 targets=$2 b missing=0
  shift 2
  for b in "$@"; do [ -x "$b" ] || missing=1; done
  if [ "$named" != 1 ] && [ "$missing" = 1 ]; then
    echo "compare.sh: building $targets (release preset)" >&2
    # shellcheck disable=SC2086 # the targets are words
    (cd "$REPO" && cmake --preset release >/dev/null && cmake --build --preset release -j2 --target $targets >/dev/null)
  fi
  for b in "$@"; do
    [ -x "$b" ] || { echo "compare.sh: $b is missing (build it: cmake --preset release &&" \
      "cmake --build --preset release -j2 --target $targets)" >&2; exit 1; }
  done
}

# The anchors' topology: namespaces ${PFX}0 (the client) to ${PFX}$1 on the
# bridge $BR; with $2 = multicast, no snooping and a multicast route.
make_hosts() {
  local hosts=$1 multicast=${2:-} i ns
  if [ "$multicast" = multicast ]; then ip link add "$BR" type bridge mcast_snooping 0; else ip link add "$BR" type bridge; fi
  ip link set "$BR" up
  for i in $(seq 0 "$hosts"); do
    ns=${PFX}$i
    ip netns add "$ns"
    ip link add "${ns}h" type veth peer name "${ns}n"
    ip link set "${ns}h" master "$BR" up
    ip link set "${ns}n" netns "$ns"
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "${ns}n" up
    ip -n "$ns" addr add "$(addr "$i")/24" dev "${ns}n"
    [ "$multicast" != multicast ] || ip -n "$ns" route add 224.0.0.0/4 dev "${ns}n"
  done
}

# Everything the run started, hosts 0..$1 and the bridge removed, the log kept
# in $LOG if set. For the EXIT trap.
clean_up_run() {
  local hosts=$1 p i
  set +e
  if [ -n "${ANCHOR_PID:-}" ]; then   # its own trap removes its namespaces
    kill "$ANCHOR_PID" 2>/dev/null
    for _ in $(seq 300); do kill -0 "$ANCHOR_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  for p in "${DAEMONS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${DAEMONS[@]:-}"; do
    [ -n "$p" ] || continue
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  wait 2>/dev/null
  for i in $(seq 0 "$hosts"); do ip netns del "${PFX}$i" 2>/dev/null; done
  ip link del "$BR" 2>/dev/null
  if [ -n "${LOG:-}" ]; then cat "$WORK/log" > "$LOG" 2>/dev/null; fi
  rm -rf "$WORK"
}

log() { echo "$*" >> "$WORK/log"; }
say() { echo "$*" >&2; log "$*"; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"; exit} print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a=="nan" || b=="nan" || b==0) print "nan"; else printf "%.3f\n", a/b}'; }
record() { echo "$2 $3 $(ratio "$2" "$3")" >> "$WORK/fig.$1"; }   # target ours anchor

# cohortd on hosts 1..$1 with the CA in $WORK/ca (host certificates hN) and
# the account map $WORK/accounts; returns once each answers a cohort exec.
start_cohortd() {
  local hosts=$1 i ca=$WORK/ca
  for i in $(seq 1 "$hosts"); do
    cat > "$WORK/cohortd$i.toml" <<EOF
cluster = "$PFX"
listen = "$(addr "$i"):7001"
[tls]
ca = "$ca/ca.pem"
cert = "$ca/hosts/h$i.pem"
key = "$ca/hosts/h$i.key"
crl = "$ca/crl.pem"
[accounts]
map = "$WORK/accounts"
[log]
file = "$WORK/cohortd$i.log"
EOF
    ip netns exec "${PFX}$i" "$COHORTD" -c "$WORK/cohortd$i.toml" 2>> "$WORK/cohortd$i.log" &
    DAEMONS+=($!)
  done
  for i in $(seq 1 "$hosts"); do
    local ok=0
    for _ in $(seq 1 50); do
      if $IN0 "$COHORT" exec --connect-timeout 1 "$(addr "$i")" true 2>/dev/null; then ok=1; break; fi
      sleep 0.1
    done
    [ "$ok" = 1 ] || { say "cohortd on host $i does not answer; its log: $(tail -5 "$WORK/cohortd$i.log")"; exit 1; }
  done
}
