#!/usr/bin/env bash
# compare.sh - Basalt against redis-server in one run, measured by two load generators
# (redis-benchmark and basalt-benchmark) on the same workloads, alternating A B A B for
# ROUNDS rounds; prints the median ops/s, p50 and p99 of each server and the ratio of
# ops/s. Then the memory per key after loading MEMKEYS keys of 16 bytes with 32-byte
# values: RSS and used_memory, for both. The whole is done once per PINS mode:
#   0  processes unpinned;
#   1  servers pinned to CPUs 1..N-1 and the load generator to CPU 0 (taskset).
#
# Environment: ROUNDS=3 CLIENTS=50 REQUESTS=1000000 KEYSPACE=1000000 SIZE=100
#   PIPELINES="1 16"  TESTS="set get incr lpush lpop sadd hset zadd mset mix"
#   (mset writes 10 keys; mix is 90% GET / 10% SET over zipf-distributed keys, which
#   redis-benchmark cannot do, so it has basalt-benchmark rows only)
#   Other redis-benchmark tests work too (rpush rpop spop zpopmin lrange_100 mget ...).
#   PINS="0 1" (PIN=1 alone is PINS=1)  MEMKEYS=1000000 (0 skips the memory table)
#   THREADS    Basalt shards (default: the CPUs the server may use)
#   LOADTHREADS basalt-benchmark threads (default: the CPUs the generator may use)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3} CLIENTS=${CLIENTS:-50} REQUESTS=${REQUESTS:-1000000}
KEYSPACE=${KEYSPACE:-1000000} SIZE=${SIZE:-100} PIPELINES=${PIPELINES:-1 16}
TESTS=${TESTS:-set get incr lpush lpop sadd hset zadd mset mix} PINS=${PINS:-${PIN:-0 1}}
MEMKEYS=${MEMKEYS:-1000000}
NCPU=$(nproc)
BB=bin/basalt-benchmark
# Servers run in a scratch directory: a dump.rdb in the work tree must not preload keys.
WORKDIR=$(mktemp -d)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -g | awk '{a[NR]=$1} END{if (NR==0) print "n/a"; else print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (a+0 > 0 && b+0 > 0) printf "%.2f", a/b; else print "n/a"}'; }
wait_ping() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no server on port $1" >&2; return 1; }

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORKDIR"; }
trap cleanup EXIT

start_server() { # name port -> pid on stdout
  if [ "$1" = basalt ]; then
    "${SPIN[@]}" bin/basalt-server --dir "$WORKDIR" --port "$2" --bind 127.0.0.1 --threads "$SHARDS" --save '' --appendonly no --loglevel warning >/dev/null &
  else
    "${SPIN[@]}" redis-server --dir "$WORKDIR" --port "$2" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning >/dev/null &
  fi
  echo $!
}
stop_server() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# redis-benchmark test names and the same commands as basalt-benchmark templates.
# The same workloads as redis-benchmark's tests, as basalt-benchmark templates; a test
# with no template here gets redis-benchmark rows only, and mix basalt-benchmark rows
# only (redis-benchmark has no ratios or zipf keys).
ten() { local out="$1" i; for i in $(seq 9); do out="$out ${2:-$1}"; done; echo "$out"; }
bb_args() { # test -> basalt-benchmark workload flags separated by |, or nothing
  case $1 in
    set) echo "--command|SET key:__rand_int__ __data__";;
    get) echo "--command|GET key:__rand_int__";;
    incr) echo "--command|INCR counter:__rand_int__";;
    lpush) echo "--command|LPUSH mylist __data__";;
    rpush) echo "--command|RPUSH mylist __data__";;
    lpop) echo "--command|LPOP mylist";;
    rpop) echo "--command|RPOP mylist";;
    sadd) echo "--command|SADD myset element:__rand_int__";;
    spop) echo "--command|SPOP myset";;
    hset) echo "--command|HSET myhash element:__rand_int__ __data__";;
    zadd) echo "--command|ZADD myzset 0 element:__rand_int__";;
    zpopmin) echo "--command|ZPOPMIN myzset";;
    lrange_100) echo "--command|LRANGE mylist 0 99";;
    mset) echo "--command|MSET $(ten "key:__rand_int__ __data__")";;
    mget) echo "--command|MGET $(ten "key:__rand_int__")";;
    ping_inline|ping_mbulk) echo "--command|PING";;
    mix) echo "--ratio|1:9|--key-pattern|zipf";;
  esac
}
test_name() { case $1 in mset|mget) echo "${1^^} (10 keys)";; mix) echo "90% GET / 10% SET, zipf";; *) echo "${1^^}";; esac; }

rb_run() { # port test pipeline -> "rps p50 p99"
  local t=(-t "$2")
  # MGET is no redis-benchmark test: it runs as a command line.
  # shellcheck disable=SC2207
  [ "$2" = mget ] && t=(MGET $(ten "key:__rand_int__"))
  "${CPIN[@]}" redis-benchmark -p "$1" -P "$3" -c "$CLIENTS" -n "$REQUESTS" -r "$KEYSPACE" -d "$SIZE" --csv "${t[@]}" 2>/dev/null |
    awk -F, 'NR==2{gsub(/"/,""); print $2, $5, $7}'
}

bb_run() { # portA portB test pipeline -> "opsA p50A p99A opsB p50B p99B"
  local IFS='|'
  # shellcheck disable=SC2207
  local extra=($(bb_args "$3"))
  unset IFS
  "${CPIN[@]}" "$BB" -p "$1" --compare "127.0.0.1:$2" --rounds "$ROUNDS" --json --hide-progress \
    --threads "$LOADTHREADS" --clients "$((CLIENTS / LOADTHREADS))" --pipeline "$4" --requests "$REQUESTS" \
    --key-min 0 --key-max "$((KEYSPACE - 1))" --data-size "$SIZE" "${extra[@]}" 2>/dev/null |
    python3 -c 'import json, sys
c = json.load(sys.stdin)
print(*[c[s]["median"][m] for s in "ab" for m in ("ops_per_sec", "p50_ms", "p99_ms")])'
}

num() { # digits value -> value rounded, or n/a when the generator printed nothing
  awk -v d="$1" -v x="${2:-}" 'BEGIN{if (x ~ /^[0-9.eE+-]+$/) printf "%.*f", d, x; else printf "n/a"}'
}
row() { # test pipeline tool opsA p50A p99A opsB p50B p99B
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(test_name "$1")" "$2" "$3" \
    "$(num 0 "${4:-}")" "$(num 3 "${5:-}")" "$(num 3 "${6:-}")" "$(num 0 "${7:-}")" "$(num 3 "${8:-}")" "$(num 3 "${9:-}")" \
    "$(ratio "${4:-0}" "${7:-0}")"
}

throughput() { # pin mode
  local PA PB A B P T
  PA=$(free_port) PB=$(free_port)
  A=$(start_server basalt "$PA") B=$(start_server redis "$PB")
  PIDS+=("$A" "$B")
  wait_ping "$PA" && wait_ping "$PB"
  printf '| test | pipeline | generator | basalt ops/s | basalt p50 ms | basalt p99 ms | redis ops/s | redis p50 ms | redis p99 ms | basalt/redis ops/s |\n'
  printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
  for P in $PIPELINES; do
    for T in $TESTS; do
      if [ "$T" != mix ]; then
        local ra=() rb=() i
        for i in $(seq "$ROUNDS"); do ra+=("$(rb_run "$PA" "$T" "$P")"); rb+=("$(rb_run "$PB" "$T" "$P")"); done
        local m=() f
        for f in 1 2 3; do m+=("$(printf '%s\n' "${ra[@]}" | awk -v f=$f '{print $f}' | median)"); done
        for f in 1 2 3; do m+=("$(printf '%s\n' "${rb[@]}" | awk -v f=$f '{print $f}' | median)"); done
        row "$T" "$P" redis-benchmark "${m[@]}"
      fi
      if [ -n "$(bb_args "$T")" ]; then
        local r
        r=$(bb_run "$PA" "$PB" "$T" "$P")
        # shellcheck disable=SC2086
        row "$T" "$P" basalt-benchmark $r
      fi
    done
  done
  stop_server "$A"; stop_server "$B"
}

rss() { awk '/^VmRSS:/{print $2*1024}' "/proc/$1/status"; }
used() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1=="used_memory"{print $2}'; }

memory() {
  printf '\n| server | keys | used_memory bytes/key | RSS bytes/key |\n| --- | --- | --- | --- |\n'
  local name port pid r0 u0 r1 u1 n
  for name in basalt redis; do
    port=$(free_port)
    pid=$(start_server "$name" "$port")
    PIDS+=("$pid")
    wait_ping "$port"
    sleep 1
    r0=$(rss "$pid") u0=$(used "$port")
    # Sequential keys key:000000000000.. (16 bytes) each written once, 32-byte values.
    "${CPIN[@]}" "$BB" -p "$port" --hide-progress --threads "$LOADTHREADS" --clients 8 --pipeline 64 \
      --requests "$MEMKEYS" --key-pattern sequential --key-min 0 --key-max "$((MEMKEYS - 1))" \
      --command 'SET __key__ __data__' --data-size 32 >/dev/null
    sleep 2
    r1=$(rss "$pid") u1=$(used "$port")
    n=$(redis-cli -p "$port" dbsize)
    printf '| %s | %s | %.1f | %.1f |\n' "$name" "$n" "$(awk -v a="$u0" -v b="$u1" -v n="$n" 'BEGIN{print (b-a)/n}')" \
      "$(awk -v a="$r0" -v b="$r1" -v n="$n" 'BEGIN{print (b-a)/n}')"
    stop_server "$pid"
  done
}

make -s build
USER_THREADS=${THREADS:-} USER_LOADTHREADS=${LOADTHREADS:-}
for PIN in $PINS; do
  SPIN=() CPIN=() SCPUS=$NCPU GCPUS=$NCPU
  if [ "$PIN" = 1 ]; then
    if [ "$NCPU" -lt 2 ]; then echo "one CPU: skipping the pinned run"; continue; fi
    SCPUS=$((NCPU - 1)) GCPUS=1 SLIST=1
    [ "$NCPU" -gt 2 ] && SLIST="1-$((NCPU - 1))"
    SPIN=(taskset -c "$SLIST") CPIN=(taskset -c 0)
  fi
  SHARDS=${USER_THREADS:-$SCPUS} LOADTHREADS=${USER_LOADTHREADS:-$GCPUS}
  printf '\n## %s\n\n' "$([ "$PIN" = 1 ] && echo "servers on CPU $SLIST, load generators on CPU 0 (taskset)" || echo "unpinned")"
  printf 'commit %s, %s, %d CPUs, redis %s, basalt %d shards; %d clients, %d requests, %d keys, %d-byte values, %d rounds (medians)\n\n' \
    "$(git rev-parse --short HEAD 2>/dev/null || echo none)" "$(uname -m)" "$NCPU" "$(redis-server --version | awk '{print $3}' | cut -d= -f2)" \
    "$SHARDS" "$CLIENTS" "$REQUESTS" "$KEYSPACE" "$SIZE" "$ROUNDS"
  throughput
  if [ "$MEMKEYS" -gt 0 ]; then memory; fi
done
