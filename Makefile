# Basalt: a Redis-compatible, multi-threaded, shared-nothing in-memory data server.
GO        ?= go
BIN       := bin
PORT      ?= 6379
# Packages with concurrency run under the race detector in `make test`.
RACE_PKGS := ./coord/... ./shard/...
PLAIN_PKGS := ./proto/... ./persist/... ./cmd/...

.PHONY: all build run test race fuzz bench bench-compare lint deps generate clean

all: build

build:
	$(GO) build -o $(BIN)/basalt-server ./cmd/basalt-server

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
	$(GO) test -count=1 -race $(RACE_PKGS)

race:
	$(GO) test -count=1 -race ./...

FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./proto/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./proto/ ./shard/ ./coord/

# bench-compare runs redis-benchmark against Basalt and redis-server side by side.
bench-compare: build deps
	./bench/compare.sh

lint:
	gofmt -l . | (! grep .)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

clean:
	rm -rf $(BIN)
