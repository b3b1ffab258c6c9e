# Basalt: a Redis-compatible, multi-threaded, shared-nothing in-memory data server.
GO        ?= go
BIN       := bin
PORT      ?= 6379
# Packages with concurrency run under the race detector in `make test`.
RACE_PKGS := ./coord/... ./shard/... ./bench/...
PLAIN_PKGS := ./proto/... ./persist/... ./cmd/... ./deploy/...

.PHONY: all build run test race fuzz bench bench-compare bench-plot lint deps generate clean

all: build

build:
	$(GO) build -o $(BIN)/basalt-server ./cmd/basalt-server
	$(GO) build -o $(BIN)/basalt-benchmark ./cmd/basalt-benchmark

run: build
	$(BIN)/basalt-server --port $(PORT)

# deps installs what the differential tests need: a real redis-server and redis-cli.
deps:
	@if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then \
		echo "installing redis-server and redis-tools (differential tests compare against them)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update && $$SUDO apt-get install -y redis-server redis-tools; \
	fi

test: deps
	$(GO) vet ./...
	$(GO) test -count=1 $(PLAIN_PKGS)
	$(GO) test -count=1 -race -parallel 12 $(RACE_PKGS)
	# The race detector makes sync.Pool drop ristretto's access buffers, so the LFU
	# engine's hit-keeping checks only hold without it: run them once more plain.
	$(GO) test -count=1 -run 'LFU' ./shard/ ./coord/

race:
	$(GO) test -count=1 -race ./...

FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./proto/
	$(GO) test -run '^$$' -fuzz FuzzReadAOFCommand -fuzztime $(FUZZTIME) ./coord/
	$(GO) test -run '^$$' -fuzz FuzzReadSyncPayload -fuzztime $(FUZZTIME) ./coord/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./proto/ ./persist/ ./shard/ ./coord/ ./bench/

# bench-compare measures Basalt and redis-server side by side with redis-benchmark and
# basalt-benchmark (ops/s, p50, p99, ratio; memory per key), unpinned and then pinned
# with taskset. Knobs are environment variables, e.g. REQUESTS=20000 ROUNDS=1 (see the
# top of bench/compare.sh).
bench-compare: build deps
	./bench/compare.sh

# bench-plot draws throughput against pipeline depth and latency percentiles for both
# servers as PNG files in bench/results/ (knobs at the top of bench/plot.sh).
bench-plot: build deps
	./bench/plot.sh

lint:
	gofmt -l . | (! grep .)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

clean:
	rm -rf $(BIN)
