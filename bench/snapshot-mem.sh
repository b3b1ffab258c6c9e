#!/usr/bin/env bash
# snapshot-mem.sh - BGSAVE under load, Basalt against redis-server in one run: peak
# memory during the save relative to before it, the save's wall time, and the p99
# latency of a concurrent redis-benchmark SET load during the save.
#
# Memory is the proportional set size (PSS) summed over the server and its children:
# redis-server's fork child shares pages with its parent until either writes them, and
# PSS counts a shared page once, so the sum is what the machine really spends.
#
# Environment: KEYS=1000000 SIZE=100 LOAD_REQUESTS=3000000 CLIENTS=50 THREADS (Basalt)
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${KEYS:-1000000} SIZE=${SIZE:-100} LOAD_REQUESTS=${LOAD_REQUESTS:-3000000} CLIENTS=${CLIENTS:-50}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
make -s build
WORK=$(mktemp -d)
PA=$(free_port) PB=$(free_port)
mkdir -p "$WORK/a" "$WORK/b"
bin/basalt-server --port "$PA" --bind 127.0.0.1 --dir "$WORK/a" --save '' --metrics-port 0 \
  ${THREADS:+--threads $THREADS} --loglevel warning >/dev/null 2>&1 &
A=$!
redis-server --port "$PB" --bind 127.0.0.1 --dir "$WORK/b" --save '' --appendonly no --loglevel warning >/dev/null 2>&1 &
B=$!
trap 'kill $A $B 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
for p in "$PA" "$PB"; do
  for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

# pss PID: the PSS in KB of PID and its children.
pss() {
  local total=0 p
  for p in $1 $(pgrep -P "$1" || true); do
    total=$((total + $(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

value=$(head -c "$SIZE" /dev/zero | tr '\0' 'x')
fill() { # port
  awk -v n="$KEYS" -v v="$value" 'BEGIN{for(i=0;i<n;i++){k="key:" i; printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v}}' |
    redis-cli -p "$1" --pipe >/dev/null
}

# measure PORT PID: prints "before_kb peak_kb save_ms p99_ms".
measure() {
  local port=$1 pid=$2 before peak now start end
  fill "$port"
  redis-cli -p "$port" set warm x >/dev/null
  sleep 1
  before=$(pss "$pid")
  peak=$before
  redis-benchmark -p "$port" -t set -n "$LOAD_REQUESTS" -r "$KEYS" -d "$SIZE" -c "$CLIENTS" >"$WORK/load.$port" 2>&1 &
  local load=$!
  sleep 0.5
  start=$(date +%s%N)
  redis-cli -p "$port" bgsave >/dev/null
  while :; do
    now=$(pss "$pid")
    [ "$now" -gt "$peak" ] && peak=$now
    redis-cli -p "$port" info persistence | grep -q 'rdb_bgsave_in_progress:0' && break
    sleep 0.01
  done
  end=$(date +%s%N)
  wait "$load"
  local p99
  p99=$(awk '/^  [0-9.]+% <= /{last=$0} /99[.0-9]*% <= /{if(!found){split($0,a,"<= "); split(a[2],b," "); p99=b[1]; found=1}} END{print p99}' "$WORK/load.$port")
  [ -n "$p99" ] || p99=$(grep -A20 'Latency summary' "$WORK/load.$port" | awk 'NR==3{print $5}')
  echo "$before $peak $(((end - start) / 1000000)) $p99"
}

read -r ba pa ta la <<<"$(measure "$PA" "$A")"
read -r bb pb tb lb <<<"$(measure "$PB" "$B")"
printf 'commit %s, %d CPUs, redis %s, %d keys of %d bytes, concurrent SET load (%d clients)\n' \
  "$(git rev-parse --short HEAD 2>/dev/null || echo none)" "$(nproc)" "$(redis-server --version | awk '{print $3}')" "$KEYS" "$SIZE" "$CLIENTS"
printf '| server | PSS before | peak PSS during BGSAVE | peak/before | BGSAVE wall time | p99 of the SET load |\n| --- | --- | --- | --- | --- | --- |\n'
printf '| basalt | %d MB | %d MB | %.2fx | %d ms | %s ms |\n' $((ba / 1024)) $((pa / 1024)) "$(awk -v a="$pa" -v b="$ba" 'BEGIN{print a/b}')" "$ta" "$la"
printf '| redis | %d MB | %d MB | %.2fx | %d ms | %s ms |\n' $((bb / 1024)) $((pb / 1024)) "$(awk -v a="$pb" -v b="$bb" 'BEGIN{print a/b}')" "$tb" "$lb"
