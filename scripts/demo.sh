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

# ---------------------------------------------------------------- group
cohort=$build/src/cli/cohort
check=$build/src/group/cohort-check-history
[ -x "$cohort" ] || exit 0

section "A process group: 5 \`cohort group join\` processes on loopback (stack total:gmp:stable:mnak:suspect)"
group_dir=$(mktemp -d)
declare -a pids=() fds=()
cleanup_group() {
  for i in "${!pids[@]}"; do kill -9 "${pids[$i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$group_dir" "$trace"
}
trap cleanup_group EXIT

base=$((20000 + ($$ % 2000) * 8))
peers=""
for i in 1 2 3 4 5; do peers+="${peers:+,}$i=127.0.0.1:$((base + i))"; done

# Members in the last view `out` printed (0 before any).
view_size() { awk '/^view /{n=0; for (f = 5; f <= NF && $f !~ /^(joined|left)$/; f++) n++} END{print n+0}' "$1"; }
# Waits up to $2 seconds for `test` ($3...) to succeed.
wait_until() {
  local limit=$(( $1 * 10 )); shift
  for ((t = 0; t < limit; t++)); do "$@" && return 0; sleep 0.1; done
  echo "timed out waiting for: $*" >&2
  return 1
}
all_in_view() {  # all_in_view SIZE MEMBER...
  local size=$1; shift
  for i in "$@"; do [ "$(view_size "$group_dir/out$i")" -eq "$size" ] || return 1; done
}
gone() {  # gone PID: exited (a zombie until we wait for it counts)
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
  [[ $state == Z* ]]
}
delivered() {  # delivered TEXT MEMBER...
  local text=$1; shift
  for i in "$@"; do grep -q ": $text\$" "$group_dir/out$i" || return 1; done
}

for i in 1 2 3 4 5; do
  mkfifo "$group_dir/in$i"
  exec {fd}<>"$group_dir/in$i"  # held open by us: the member sees EOF only when we close it
  fds[$i]=$fd
  "$cohort" group join demo --id "$i" --peers "$peers" --history "$group_dir/h$i.jsonl" \
    <"$group_dir/in$i" >"$group_dir/out$i" 2>"$group_dir/err$i" &
  pids[$i]=$!
done
echo "started members 1-5 (pids ${pids[*]}), peers $peers"
wait_until 20 all_in_view 5 1 2 3 4 5
echo "member 1's views so far:"
grep '^view' "$group_dir/out1" | sed 's/^/  /'

for i in 1 2 3 4 5; do echo "hello from member $i" >&"${fds[$i]}"; done
wait_until 20 delivered "hello from member 5" 1 2 3 4 5
echo "traffic: every member casts a line; member 1 and member 3 deliver them in the same (total) order:"
paste <(grep ': hello' "$group_dir/out1" | cut -d' ' -f2-) <(grep ': hello' "$group_dir/out3" | cut -d' ' -f2-) |
  sed 's/^/  /'

victim=${pids[5]}
echo "killing member 5 (pid $victim) with SIGKILL"
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
unset 'pids[5]'
member5=$(sed -n '1s/.*"member":"\([^"]*\)".*/\1/p' "$group_dir/h5.jsonl")
echo "{\"ev\":\"exit\",\"member\":\"$member5\",\"reason\":\"crash\"}" >>"$group_dir/h5.jsonl"  # it cannot write this itself
if ! wait_until 20 all_in_view 4 1 2 3 4; then
  echo "the survivors did not all install a new view within 20 s (a protocol liveness bug; see docs/group.md)"
fi
echo "the survivors' last view:"
for i in 1 2 3 4; do echo "  member $i: $(grep '^view' "$group_dir/out$i" | tail -1)"; done

for i in 1 2 3 4; do echo "still here: member $i" >&"${fds[$i]}"; done
wait_until 20 delivered "still here: member 4" 1 2 3 4 || true
echo "continued service, member 2 delivers:"
grep ': still here' "$group_dir/out2" | sed 's/^/  /'

echo "stopping members 1-4 by pid with SIGTERM (they leave the group, then exit)"
for i in 1 2 3 4; do kill -TERM "${pids[$i]}"; done
for i in 1 2 3 4; do
  wait_until 10 gone "${pids[$i]}" || kill -9 "${pids[$i]}"
  wait "${pids[$i]}" 2>/dev/null || true
  unset "pids[$i]"
done

section "cohort-check-history on the 5 histories"
"$check" --total-order "$group_dir"/h*.jsonl

# ---------------------------------------------------------------- exec
cohortd=$build/src/exec/cohortd
[ -x "$cohortd" ] || exit 0
section "Remote execution: a cluster CA, three cohortd on loopback (as $(id -un), no root), cohort exec / run / ps"
exec_dir=$(mktemp -d)
declare -a daemons=()
cleanup_exec() {
  for p in "${daemons[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$exec_dir"
  cleanup_group
}
trap cleanup_exec EXIT
me=$(id -un)
"$cohort" keys init --cluster demo --dir "$exec_dir/ca" >/dev/null
"$cohort" keys host localhost --ip 127.0.0.1 --dir "$exec_dir/ca" >/dev/null
"$cohort" keys user "$me" --dir "$exec_dir/ca" >/dev/null
"$cohort" keys user stranger --dir "$exec_dir/ca" >/dev/null
echo "$me $me" >"$exec_dir/accounts"
hosts=""
for i in 1 2 3; do
  cat >"$exec_dir/d$i.toml" <<CONF
cluster = "demo"
listen = "127.0.0.1:0"
[tls]
ca = "$exec_dir/ca/ca.pem"
cert = "$exec_dir/ca/hosts/localhost.pem"
key = "$exec_dir/ca/hosts/localhost.key"
crl = "$exec_dir/ca/crl.pem"
[accounts]
map = "$exec_dir/accounts"
[log]
file = "$exec_dir/d$i.log"
CONF
  "$cohortd" -c "$exec_dir/d$i.toml" --address-file "$exec_dir/addr$i" &
  daemons+=($!)
done
for i in 1 2 3; do wait_until 10 test -s "$exec_dir/addr$i"; hosts+="${hosts:+,}$(cat "$exec_dir/addr$i")"; done
echo "cohortd at $hosts (TLS 1.3, mutual certificates from \`cohort keys\`)"
export COHORT_CA=$exec_dir/ca/ca.pem COHORT_CERT=$exec_dir/ca/users/$me.pem COHORT_KEY=$exec_dir/ca/users/$me.key
first=${hosts%%,*}
echo "\$ cohort exec $first -- 'echo \$USER on \$COHORT_HOST; exit 3'"
"$cohort" exec "$first" -- 'echo $USER on $COHORT_HOST; exit 3' && status=0 || status=$?
echo "exit status: $status"
head -c 4000000 /dev/urandom >"$exec_dir/blob"
"$cohort" exec "$first" -- cat <"$exec_dir/blob" >"$exec_dir/blob.back"
cmp -s "$exec_dir/blob" "$exec_dir/blob.back" && echo "4 MB of random bytes through stdin and back: identical"
echo "\$ cohort run --hosts <3 daemons> --per-host 2 -- 'echo rank \$COHORT_RANK of \$COHORT_SIZE'"
"$cohort" run --hosts "$hosts" --per-host 2 -- 'echo rank $COHORT_RANK of $COHORT_SIZE' | sort -n
echo "\$ cohort run --fold ... -- uname -s"
"$cohort" run --fold -q --hosts "$hosts" -- uname -s
echo "a user the account map does not name is refused, and nothing runs:"
COHORT_CERT=$exec_dir/ca/users/stranger.pem COHORT_KEY=$exec_dir/ca/users/stranger.key \
  "$cohort" exec "$first" -- true || true
"$cohort" exec --detach "$first" -- 'sleep 1; exit 4' >/dev/null
echo "\$ cohort ps $first"
"$cohort" ps "$first"

section "cohort cast: a tree to the three cohortd at once (unicast on loopback), each copy verified by SHA-256"
mkdir -p "$exec_dir/tree/sub"
head -c 5000000 /dev/urandom >"$exec_dir/tree/sub/data.bin"
echo "hello from cohort cast" >"$exec_dir/tree/hello.txt"
: >"$exec_dir/tree/empty"
# The three daemons share this file system: {host} gives each its own destination.
echo "\$ cohort cast tree --to <3 daemons> --dest '$exec_dir/cast-{host}' --unicast"
"$cohort" cast "$exec_dir/tree" --to "$hosts" --dest "$exec_dir/cast-{host}" --unicast \
  --remote-cohort "$(realpath "$cohort")" && status=0 || status=$?
echo "exit status: $status (--json gives the same report as one JSON object)"
for d in "$exec_dir"/cast-*; do
  diff -r "$exec_dir/tree" "$d/tree" >/dev/null && echo "$(basename "$d"): identical to the source"
done
