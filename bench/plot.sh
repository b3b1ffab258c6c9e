#!/usr/bin/env bash
# plot.sh - throughput against pipeline depth and latency percentiles of Basalt and
# redis-server, measured by basalt-benchmark (A B A B per depth), drawn as PNG charts in
# bench/results/ with the JSON results they come from.
#
# Environment: PIPELINES="1 2 4 8 16 32 64" REQUESTS=1000000 ROUNDS=3 CLIENTS=50
#   KEYSPACE=1000000 SIZE=100 RATIO=1:10 (SET:GET)  LATENCY_PIPELINES=1,16
#   THREADS (Basalt shards; default CPU count)  LOADTHREADS (default CPU count)
#   OUT=bench/results (where the charts and JSON files go)
set -euo pipefail
cd "$(dirname "$0")/.."
PIPELINES=${PIPELINES:-1 2 4 8 16 32 64} REQUESTS=${REQUESTS:-1000000} ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50} KEYSPACE=${KEYSPACE:-1000000} SIZE=${SIZE:-100} RATIO=${RATIO:-1:10}
LATENCY_PIPELINES=${LATENCY_PIPELINES:-1,16} LOADTHREADS=${LOADTHREADS:-$(nproc)}
OUT=${OUT:-bench/results}
# Servers run in a scratch directory: a dump.rdb in the work tree must not preload keys.
WORKDIR=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ping() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no server on port $1" >&2; return 1; }
make -s build
mkdir -p "$OUT"
PA=$(free_port) PB=$(free_port)
bin/basalt-server --dir "$WORKDIR" --port "$PA" --bind 127.0.0.1 ${THREADS:+--threads $THREADS} --save '' --appendonly no --loglevel warning >/dev/null &
A=$!
redis-server --dir "$WORKDIR" --port "$PB" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning >/dev/null &
B=$!
trap 'kill $A $B 2>/dev/null; wait 2>/dev/null; rm -rf "$WORKDIR"' EXIT
wait_ping "$PA" && wait_ping "$PB"
rm -f "$OUT"/pipeline-*.json
for P in $PIPELINES; do
  bin/basalt-benchmark -p "$PA" --label basalt --compare "127.0.0.1:$PB" --compare-label redis --rounds "$ROUNDS" \
    --json --hide-progress --threads "$LOADTHREADS" --clients "$((CLIENTS / LOADTHREADS))" --pipeline "$P" \
    --requests "$REQUESTS" --key-min 0 --key-max "$((KEYSPACE - 1))" --data-size "$SIZE" --ratio "$RATIO" \
    >"$OUT/pipeline-$P.json" 2>/dev/null
  python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
print("pipeline %3s: basalt %10.0f ops/s, redis %10.0f ops/s, ratio %.2f" % (sys.argv[2], c["a"]["median"]["ops_per_sec"], c["b"]["median"]["ops_per_sec"], c["ratio"]["ops_per_sec"]))' "$OUT/pipeline-$P.json" "$P"
done
# shellcheck disable=SC2046
bin/basalt-benchmark plot --out "$OUT" --latency-pipelines "$LATENCY_PIPELINES" $(ls "$OUT"/pipeline-*.json | sort -t- -k2 -n)
