package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// smallConfig is a workload of a few thousand requests over 1000 keys: enough to
// exercise every path, quick on a shared machine.
func smallConfig(addr string) Config {
	cfg := DefaultConfig()
	cfg.Addr = addr
	cfg.Threads, cfg.Clients, cfg.Pipeline = 2, 3, 8
	cfg.Requests = 3000
	cfg.Keys = KeySpace{Min: 0, Max: 999}
	return cfg
}

func mustRun(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("run against %s: %v", cfg.Addr, err)
	}
	return res
}

func TestRunAgainstServers(t *testing.T) {
	servers := map[string]string{"basalt": startBasalt(t, 2), "redis": startRedis(t)}
	for name, addr := range servers {
		t.Run(name, func(t *testing.T) {
			// Load every key once: sequential keys cover the range exactly.
			cfg := smallConfig(addr)
			cfg.Commands, cfg.Weights = []string{"SET __key__ __data__"}, nil
			cfg.Keys.Pattern = Sequential
			cfg.Requests = 1000
			res := mustRun(t, cfg)
			if res.Totals.Ops != 1000 || res.Totals.Errors != 0 {
				t.Fatalf("load: %d ops, %d errors; want 1000 and 0", res.Totals.Ops, res.Totals.Errors)
			}
			if n, err := command(addr, "DBSIZE"); err != nil || n != ":1000" {
				t.Fatalf("DBSIZE after loading 1000 keys: %q %v", n, err)
			}

			// The default 1:10 mix over the loaded keys: every GET hits.
			res = mustRun(t, smallConfig(addr))
			if len(res.Commands) != 2 || res.Commands[0].Ops+res.Commands[1].Ops != 3000 || res.Totals.Ops != 3000 {
				t.Fatalf("mix: %+v", res.Commands)
			}
			// Every connection drew from the one pool of 3000 requests.
			n := int64(6) // smallConfig: 2 threads x 3 clients
			if p := res.PerConn; p.Min <= 0 || p.Min > p.Median || p.Median > p.Max || p.Min*n > 3000 || p.Max*n < 3000 {
				t.Errorf("ops per connection %+v do not spread 3000 over %d connections", p, n)
			}
			get := res.Commands[1]
			if get.Nulls != 0 || get.Errors != 0 || get.Ops < 2400 {
				t.Errorf("GET: %d ops, %d nulls, %d errors; want about 2700 hits", get.Ops, get.Nulls, get.Errors)
			}
			if l := res.Totals.Latency; l.P50 <= 0 || l.P50 > l.P99 || l.P99 > l.P999 || l.P999 > l.Max {
				t.Errorf("percentiles out of order: %+v", l)
			}

			// GETs of keys never written are misses.
			cfg = smallConfig(addr)
			cfg.Commands, cfg.Weights = []string{"GET missing:__key__"}, nil
			if res := mustRun(t, cfg); res.Totals.Nulls != 3000 {
				t.Errorf("GET of missing keys: %d nulls, want 3000", res.Totals.Nulls)
			}

			// A timed run of a multi-key command.
			cfg = smallConfig(addr)
			cfg.Commands = []string{"MSET {t}__key__ __data__ {t}__key__ __data__", "MGET {t}__key__ {t}__key__"}
			cfg.Weights = []int{1, 3}
			cfg.Duration = 300 * time.Millisecond
			res = mustRun(t, cfg)
			if res.Totals.Ops == 0 || res.Totals.Errors != 0 || res.Seconds < 0.3 || res.Seconds > 3 {
				t.Errorf("timed run: %d ops, %d errors in %.2fs", res.Totals.Ops, res.Totals.Errors, res.Seconds)
			}

			// RESP3 with map replies, and value sizes from a range.
			cfg = smallConfig(addr)
			cfg.RESP3 = true
			cfg.Commands, cfg.Weights = []string{"HSET h:__rand_int__ f __data__", "HGETALL h:__rand_int__"}, nil
			cfg.DataMin, cfg.DataMax = 1, 300
			if res := mustRun(t, cfg); res.Totals.Ops != 3000 || res.Totals.Errors != 0 {
				t.Errorf("RESP3: %d ops, %d errors (%s)", res.Totals.Ops, res.Totals.Errors, res.FirstError)
			}

			// A refused handshake fails the run before it starts.
			cfg = smallConfig(addr)
			cfg.Password = "secret"
			if _, err := Run(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "AUTH refused") {
				t.Errorf("AUTH to a server without a password: %v", err)
			}

			// Error replies are counted and the first one kept.
			cfg = smallConfig(addr)
			cfg.Commands, cfg.Weights = []string{"NOSUCHCOMMAND __key__"}, nil
			res = mustRun(t, cfg)
			if res.Totals.Errors != 3000 || !strings.HasPrefix(res.FirstError, "-ERR unknown command") {
				t.Errorf("unknown command: %d errors, first %q", res.Totals.Errors, res.FirstError)
			}
		})
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	addr := startBasalt(t, 1)
	cfg := smallConfig(addr)
	cfg.Duration = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := Run(ctx, cfg, nil)
	if err == nil || res == nil || res.Totals.Ops == 0 {
		t.Fatalf("cancelled run: %v, %+v", err, res)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelled run took %v", d)
	}
}

func TestRunErrors(t *testing.T) {
	cfg := smallConfig(net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t))))
	if _, err := Run(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "cannot connect") {
		t.Errorf("run against a closed port: %v", err)
	}
	for _, broken := range []func(*Config){
		func(c *Config) { c.Pipeline = 0 },
		func(c *Config) { c.Requests, c.Duration = 0, 0 },
		func(c *Config) { c.Commands = nil },
		func(c *Config) { c.Weights = []int{1} },
		func(c *Config) { c.Weights = []int{0, 0} },
		func(c *Config) { c.DataMin, c.DataMax = 5, 4 },
		func(c *Config) { c.Keys.Max = -1 },
	} {
		c := smallConfig("127.0.0.1:1")
		broken(&c)
		if _, err := Run(context.Background(), c, nil); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
}

func TestProgressLine(t *testing.T) {
	cfg := smallConfig("127.0.0.1:1")
	cfg.Label = "basalt"
	line := progressLine(&cfg, 2*time.Second, 1500, 1000, time.Second, 500_000)
	for _, want := range []string{"\r\x1b[K", "[basalt  50%,   2 s]", "6 conns", "1500 ops", "1000 (avg 750) ops/s", "0.500 ms"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q lacks %q", line, want)
		}
	}
}

// TestJSONShape pins the names of the --json output: scripts and the charts read them.
func TestJSONShape(t *testing.T) {
	addr := startBasalt(t, 1)
	res := mustRun(t, smallConfig(addr))
	var buf bytes.Buffer
	if err := WriteJSON(&buf, res); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	has := func(m any, path string, keys ...string) map[string]any {
		t.Helper()
		obj, ok := m.(map[string]any)
		if !ok {
			t.Fatalf("%s is %T, want an object", path, m)
		}
		for _, k := range keys {
			if _, ok := obj[k]; !ok {
				t.Errorf("%s lacks %q: %s", path, k, buf.String())
			}
		}
		return obj
	}
	has(doc, "result", "label", "server", "workload", "seconds", "commands", "totals")
	has(doc["workload"], "workload", "threads", "clients", "pipeline", "requests", "key_pattern", "key_min", "key_max", "data_size_min", "data_size_max")
	cmds, ok := doc["commands"].([]any)
	if !ok || len(cmds) != 2 {
		t.Fatalf("commands: %v", doc["commands"])
	}
	for _, c := range append(cmds, doc["totals"]) {
		obj := has(c, "command", "command", "ops", "ops_per_sec", "errors", "nulls", "latency_ms")
		lat := has(obj["latency_ms"], "latency_ms", "mean", "p50", "p90", "p99", "p99.9", "max", "percentiles")
		pts, _ := lat["percentiles"].([]any)
		if len(pts) != len(distributionPoints) {
			t.Errorf("%d percentile points, want %d", len(pts), len(distributionPoints))
		}
		for _, p := range pts {
			has(p, "percentile point", "percentile", "ms")
		}
	}
	var text bytes.Buffer
	if err := res.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Ops/sec", "p99.9 ms", "SET __key__ __data__", "GET __key__", "Totals", "pipeline 8"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, text.String())
		}
	}
}

func TestCompareAndPlot(t *testing.T) {
	a, b := startBasalt(t, 2), startRedis(t)
	var order []string
	var results []*Result
	for _, depth := range []int{1, 4} {
		cfg := smallConfig(a)
		cfg.Label = "basalt"
		cfg.Pipeline = depth
		cfg.Requests = 2000
		cmp, err := Compare(context.Background(), cfg, b, "redis", 2, nil, func(r *Result) { order = append(order, r.Label) })
		if err != nil {
			t.Fatal(err)
		}
		if len(cmp.A.Runs) != 2 || len(cmp.B.Runs) != 2 {
			t.Fatalf("%d and %d runs, want 2 each", len(cmp.A.Runs), len(cmp.B.Runs))
		}
		wantOps := (cmp.A.Runs[0].Totals.OpsPerSec + cmp.A.Runs[1].Totals.OpsPerSec) / 2
		if math.Abs(cmp.A.Median.OpsPerSec-wantOps) > 1e-6 {
			t.Errorf("median of two runs %.1f, want their mean %.1f", cmp.A.Median.OpsPerSec, wantOps)
		}
		if r := cmp.A.Median.OpsPerSec / cmp.B.Median.OpsPerSec; math.Abs(cmp.Ratio.OpsPerSec-r) > 1e-9 {
			t.Errorf("ratio %.3f, want %.3f", cmp.Ratio.OpsPerSec, r)
		}
		var text, js bytes.Buffer
		if err := cmp.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"medians of 2 rounds", "A basalt", "B redis", "A/B", "Ops/sec", "p99 ms"} {
			if !strings.Contains(text.String(), want) {
				t.Errorf("comparison text lacks %q:\n%s", want, text.String())
			}
		}
		if err := cmp.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Rounds int
			A, B   struct {
				Label  string
				Runs   []json.RawMessage
				Median map[string]float64
			}
			Ratio map[string]float64
		}
		if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Rounds != 2 || doc.A.Label != "basalt" || doc.B.Label != "redis" || len(doc.B.Runs) != 2 ||
			doc.Ratio["ops_per_sec"] <= 0 || doc.A.Median["p99_ms"] <= 0 || doc.B.Median["p99.9_ms"] <= 0 {
			t.Errorf("comparison JSON: %s", js.String())
		}
		path := filepath.Join(t.TempDir(), "cmp.json")
		if err := os.WriteFile(path, js.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		loaded, err := LoadResults([]string{path})
		if err != nil || len(loaded) != 4 {
			t.Fatalf("LoadResults: %d results, %v", len(loaded), err)
		}
		results = append(results, loaded...)
	}
	if got := strings.Join(order, " "); got != "basalt redis basalt redis basalt redis basalt redis" {
		t.Errorf("runs in order %q, want A B A B", got)
	}

	dir := t.TempDir()
	files, err := Plot(results, dir, []int{1, 16})
	if err != nil {
		t.Fatal(err)
	}
	// No results at depth 16: no chart for it.
	if len(files) != 2 || filepath.Base(files[0]) != "throughput-pipeline.png" || filepath.Base(files[1]) != "latency-pipeline-1.png" {
		t.Fatalf("files %q", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG\r\n")) || len(data) < 5000 {
			t.Errorf("%s is not a PNG chart (%d bytes, %v)", f, len(data), err)
		}
	}
}

// At --rate the connections send on a schedule: 1000 requests at 5000/s take about 0.2 s,
// where the same run as fast as replies come takes a few milliseconds.
func TestRunAtRate(t *testing.T) {
	addr := startBasalt(t, 1)
	cfg := smallConfig(addr)
	cfg.Threads, cfg.Clients, cfg.Pipeline = 1, 4, 4
	cfg.Requests, cfg.Rate = 1000, 5000
	res := mustRun(t, cfg)
	if res.Totals.Ops != 1000 || res.Totals.Errors != 0 {
		t.Fatalf("%d ops, %d errors; want 1000 and 0", res.Totals.Ops, res.Totals.Errors)
	}
	if res.Seconds < 0.15 || res.Seconds > 5 {
		t.Errorf("1000 requests at 5000/s took %.3f s, want about 0.2", res.Seconds)
	}
	if res.Workload.Rate != 5000 {
		t.Errorf("workload records rate %v", res.Workload.Rate)
	}
}
