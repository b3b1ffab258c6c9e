#!/usr/bin/env bash
# mem-elements.sh - bytes per element of a 1,000,000-element hash, set and sorted set,
# for Basalt and redis-server side by side: used_memory (INFO memory) and RSS deltas.
# Members are "member:%07d" (14 bytes); hash values and zset scores are the index.
# Environment: N=1000000  THREADS (Basalt shards; one key lives on one shard anyway)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
make -s build
# Servers run in a scratch directory: a dump.rdb in the work tree must not preload keys.
WORKDIR=$(mktemp -d)
trap 'rm -rf "$WORKDIR"' EXIT
rss() { awk '/^VmRSS:/{print $2*1024}' "/proc/$1/status"; }
used() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1=="used_memory"{print $2}'; }
gen() { # type -> RESP stream, 1000 elements per command
  awk -v n="$N" -v t="$1" 'BEGIN{
    for (i = 0; i < n; i += 1000) {
      m = (n - i < 1000) ? n - i : 1000
      if (t == "hash") { printf "*%d\r\n$4\r\nHSET\r\n$1\r\nh\r\n", 2 + 2*m }
      else if (t == "set") { printf "*%d\r\n$4\r\nSADD\r\n$1\r\ns\r\n", 2 + m }
      else { printf "*%d\r\n$4\r\nZADD\r\n$1\r\nz\r\n", 2 + 2*m }
      for (j = i; j < i + m; j++) {
        mem = sprintf("member:%07d", j); v = sprintf("%d", j)
        if (t == "zset") printf "$%d\r\n%s\r\n", length(v), v
        printf "$%d\r\n%s\r\n", length(mem), mem
        if (t == "hash") printf "$%d\r\n%s\r\n", length(v), v
      }
    }}'
}
start() { # name port -> pid; a fresh server per measurement, so earlier garbage does not count
  if [ "$1" = basalt ]; then
    bin/basalt-server --dir "$WORKDIR" --port "$2" --bind 127.0.0.1 ${THREADS:+--threads $THREADS} --save '' --appendonly no --loglevel warning >/dev/null &
  else
    redis-server --dir "$WORKDIR" --port "$2" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning >/dev/null &
  fi
  echo $!
}
printf '| server | type | used_memory bytes/element | RSS bytes/element | encoding |\n| --- | --- | --- | --- | --- |\n'
for name in basalt redis; do
  for t in hash set zset; do
    port=$(free_port)
    pid=$(start "$name" "$port")
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    sleep 1
    r0=$(rss "$pid") u0=$(used "$port")
    gen "$t" | redis-cli -p "$port" --pipe >/dev/null
    sleep 2
    r1=$(rss "$pid") u1=$(used "$port")
    printf '| %s | %s | %.1f | %.1f | %s |\n' "$name" "$t" "$(awk -v a="$u0" -v b="$u1" -v n="$N" 'BEGIN{print (b-a)/n}')" \
      "$(awk -v a="$r0" -v b="$r1" -v n="$N" 'BEGIN{print (b-a)/n}')" "$(redis-cli -p "$port" object encoding "${t:0:1}")"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
