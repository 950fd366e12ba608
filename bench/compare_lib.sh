# Shared by the bench/*/compare.sh scripts (sourced, not run): the log, the
# figures (median, ratio, one record per round), and cohortd on the hosts.
# The caller sets WORK, PFX, COHORT, COHORTD, IN0 (the client namespace
# prefix) and addr() (host number -> address), and keeps DAEMONS for cleanup.

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
