#!/usr/bin/env bash
# compare.sh - redis-benchmark against Basalt and redis-server in one run, alternating
# A B A B for ROUNDS rounds, and print the median ops/s of each and the ratio.
#
# Environment: ROUNDS=3 CLIENTS=50 REQUESTS=1000000 KEYSPACE=1000000 SIZE=100
#              TESTS="set get mset mget" (MSET and MGET over 10 random keys)
#              THREADS (Basalt shards; default: CPU count) PIN=1 (taskset servers to the
#              last CPU and redis-benchmark to CPU 0 when there are 2 or more CPUs)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3} CLIENTS=${CLIENTS:-50} REQUESTS=${REQUESTS:-1000000}
KEYSPACE=${KEYSPACE:-1000000} SIZE=${SIZE:-100} PIN=${PIN:-0}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PA=$(free_port) PB=$(free_port)
NCPU=$(nproc)
SPIN=() CPIN=()
if [ "$PIN" = 1 ] && [ "$NCPU" -ge 2 ]; then SPIN=(taskset -c 1-$((NCPU-1))); CPIN=(taskset -c 0); fi
make -s build
"${SPIN[@]}" bin/basalt-server --port "$PA" --bind 127.0.0.1 ${THREADS:+--threads $THREADS} --loglevel warning >/dev/null &
A=$!
"${SPIN[@]}" redis-server --port "$PB" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning >/dev/null &
B=$!
trap 'kill $A $B 2>/dev/null; wait 2>/dev/null' EXIT
for p in "$PA" "$PB"; do
  for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
MGET10="mget key:__rand_int__ key:__rand_int__ key:__rand_int__ key:__rand_int__ key:__rand_int__ key:__rand_int__ key:__rand_int__ key:__rand_int__ key:__rand_int__ key:__rand_int__"
run() { # port test pipeline -> ops/s
  local t=(-t "$2")
  [ "$2" = mget ] && t=()
  # shellcheck disable=SC2086
  "${CPIN[@]}" redis-benchmark -p "$1" "${t[@]}" -P "$3" -c "$CLIENTS" -n "$REQUESTS" -r "$KEYSPACE" -d "$SIZE" --csv $([ "$2" = mget ] && echo "$MGET10") 2>/dev/null |
    awk -F, 'NR==2{gsub(/"/,"",$2); print $2}'
}
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
printf 'commit %s, %s, %d CPUs, redis %s\n' "$(git rev-parse --short HEAD 2>/dev/null || echo none)" "$(uname -m)" "$NCPU" "$(redis-server --version | awk '{print $3}')"
printf '| test | pipeline | basalt ops/s | redis ops/s | basalt/redis |\n| --- | --- | --- | --- | --- |\n'
for P in 1 16; do
  for T in ${TESTS:-set get mset mget}; do
    ra=() rb=()
    for _ in $(seq "$ROUNDS"); do ra+=("$(run "$PA" $T $P)"); rb+=("$(run "$PB" $T $P)"); done
    ma=$(printf '%s\n' "${ra[@]}" | median) mb=$(printf '%s\n' "${rb[@]}" | median)
    name=${T^^}
    case $T in mset|mget) name="$name (10 keys)";; esac
    printf '| %s | %s | %s | %s | %.2f |\n' "$name" "$P" "$ma" "$mb" "$(awk -v a="$ma" -v b="$mb" 'BEGIN{print a/b}')"
  done
done
