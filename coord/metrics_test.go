package coord_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/basaltdb/basalt/coord"
)

// scrape fetches /metrics and returns every sample by its series ("name{labels}").
func scrape(t *testing.T, srv *coord.Server) map[string]float64 {
	t.Helper()
	addr := srv.MetricsAddr()
	if addr == nil {
		t.Fatal("no metrics listener")
	}
	resp, err := http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape: %s\n%s", resp.Status, body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// infoFields parses INFO's "field:value" lines.
func infoFields(info string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(info, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out
}

func startWithMetrics(t *testing.T, threads int) (*coord.Server, string) {
	t.Helper()
	return startBasaltWith(t, func(cfg *coord.Config) {
		cfg.Threads = threads
		cfg.MetricsPort = freePort(t)
		cfg.MetricsBind = "127.0.0.1"
	})
}

// The redis_exporter-named series agree with INFO taken right after the scrape (the
// scrape itself runs no command), and the per-shard and histogram series add up.
func TestMetricsMatchInfo(t *testing.T) {
	ctx := context.Background()
	srv, addr := startWithMetrics(t, 4)
	c := newClient(t, addr)
	for i := 0; i < 50; i++ {
		c.Set(ctx, fmt.Sprintf("k%d", i), "v", 0)
		c.Get(ctx, fmt.Sprintf("k%d", i*2))
	}
	c.Set(ctx, "ttl", "v", time.Hour)
	c.Set(ctx, "other", "v", 0)
	c.Do(ctx, "nosuchcommand")
	c.Do(ctx, "incr", "counter")

	m := scrape(t, srv)
	info := infoFields(c.Info(ctx, "everything").Val())

	eq := func(series, field string) {
		t.Helper()
		want, err := strconv.ParseFloat(info[field], 64)
		if err != nil {
			t.Fatalf("INFO %s = %q", field, info[field])
		}
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), INFO %s = %v", series, got, ok, field, want)
		}
	}
	// INFO counts itself only after it ran; the scrape saw everything before it.
	eq("redis_commands_processed_total", "total_commands_processed")
	eq("redis_connected_clients", "connected_clients")
	eq("redis_keyspace_hits_total", "keyspace_hits")
	eq("redis_keyspace_misses_total", "keyspace_misses")
	eq("redis_expired_keys_total", "expired_keys")
	eq("redis_evicted_keys_total", "evicted_keys")
	eq("redis_blocked_clients", "blocked_clients")
	eq("redis_connected_slaves", "connected_slaves")
	eq("redis_memory_max_bytes", "maxmemory")
	eq("redis_rdb_last_save_timestamp_seconds", "rdb_last_save_time")
	eq("redis_connections_received_total", "total_connections_received")
	eq("basalt_connections_migrated_total", "migrated_connections")
	if m["redis_up"] != 1 || m["basalt_scrape_missing_shards"] != 0 {
		t.Errorf("redis_up %v, missing shards %v", m["redis_up"], m["basalt_scrape_missing_shards"])
	}
	for _, s := range []string{"redis_uptime_in_seconds", "redis_memory_used_bytes", "redis_net_input_bytes_total",
		"redis_net_output_bytes_total", "go_gc_duration_seconds_count", "go_memstats_heap_alloc_bytes"} {
		if _, ok := m[s]; !ok {
			t.Errorf("series %s missing", s)
		}
	}
	if m[`redis_commands_total{cmd="set"}`] != 52 || m[`redis_commands_total{cmd="get"}`] != 50 {
		t.Errorf("commands_total set %v get %v", m[`redis_commands_total{cmd="set"}`], m[`redis_commands_total{cmd="get"}`])
	}
	if !strings.HasPrefix(info["cmdstat_set"], "calls=52,") {
		t.Errorf("cmdstat_set %s", info["cmdstat_set"])
	}
	if _, ok := m[`redis_commands_duration_seconds_total{cmd="set"}`]; !ok {
		t.Error("redis_commands_duration_seconds_total{cmd=set} missing")
	}
	if m[`redis_errors_total{err="ERR"}`] != 1 {
		t.Errorf("errors_total ERR = %v", m[`redis_errors_total{err="ERR"}`])
	}
	if m[`redis_db_keys{db="db0"}`] != 53 || m[`redis_db_keys_expiring{db="db0"}`] != 1 {
		t.Errorf("db keys %v expiring %v", m[`redis_db_keys{db="db0"}`], m[`redis_db_keys_expiring{db="db0"}`])
	}
	var shardKeys, shardCmds, shardMem float64
	for i := 0; i < 4; i++ {
		shardMem += m[fmt.Sprintf(`basalt_shard_memory_bytes{shard="%d"}`, i)]
		shardKeys += m[fmt.Sprintf(`basalt_shard_keys{shard="%d"}`, i)]
		shardCmds += m[fmt.Sprintf(`basalt_shard_commands_processed_total{shard="%d"}`, i)]
	}
	if shardKeys != 53 || shardCmds != m["redis_commands_processed_total"] {
		t.Errorf("per-shard keys %v commands %v", shardKeys, shardCmds)
	}
	if shardMem < 53*100 {
		t.Errorf("per-shard memory estimates sum to %v bytes for 53 keys", shardMem)
	}
	if got := m[`basalt_command_latency_seconds_count{cmd="set"}`]; got != 52 {
		t.Errorf("latency histogram count for set = %v", got)
	}
	if got := m[`basalt_command_latency_seconds_bucket{cmd="set",le="+Inf"}`]; got != 52 {
		t.Errorf("latency histogram +Inf bucket for set = %v", got)
	}
	if _, ok := m[`redis_latency_percentiles_usec{cmd="set",quantile="0.99"}`]; !ok {
		t.Error("redis_latency_percentiles_usec{cmd=set,quantile=0.99} missing")
	}
	if m[`basalt_shard_hops_total{shard="0"}`]+m[`basalt_shard_hops_total{shard="1"}`]+
		m[`basalt_shard_hops_total{shard="2"}`]+m[`basalt_shard_hops_total{shard="3"}`] == 0 {
		t.Error("no hops counted although keys spread over 4 shards")
	}
}

// A scrape while one loop sleeps answers within the scrape timeout and reports the
// missing shard instead of waiting for it.
func TestMetricsScrapeDoesNotWaitForBusyLoop(t *testing.T) {
	ctx := context.Background()
	srv, addr := startWithMetrics(t, 2)
	c := newClient(t, addr)
	done := make(chan struct{})
	go func() {
		c.Do(ctx, "debug", "sleep", "4")
		close(done)
	}()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	m := scrape(t, srv)
	if el := time.Since(start); el > 3500*time.Millisecond {
		t.Errorf("scrape took %v", el)
	}
	if m["basalt_scrape_missing_shards"] != 1 || m["redis_up"] != 1 {
		t.Errorf("missing shards %v, up %v", m["basalt_scrape_missing_shards"], m["redis_up"])
	}
	<-done
}

// metrics-port 0 starts no listener.
func TestMetricsDisabled(t *testing.T) {
	srv, _ := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 1; cfg.MetricsPort = 0 })
	if srv.MetricsAddr() != nil {
		t.Fatalf("listener on %v", srv.MetricsAddr())
	}
}

// Every series the Grafana dashboard queries is one the server exports.
func TestGrafanaDashboardUsesExportedSeries(t *testing.T) {
	ctx := context.Background()
	srv, addr := startWithMetrics(t, 2)
	c := newClient(t, addr)
	c.Set(ctx, "k", "v", time.Hour)
	c.Get(ctx, "k")
	c.Do(ctx, "nosuchcommand")
	for i := 0; i < 20; i++ {
		c.Set(ctx, fmt.Sprintf("spread%d", i), "v", 0)
	}
	have := map[string]bool{}
	for series := range scrape(t, srv) {
		name, _, _ := strings.Cut(series, "{")
		have[name] = true
	}
	data, err := os.ReadFile("../deploy/grafana/basalt.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	name := regexp.MustCompile(`\b(?:redis|basalt|go)_[a-z_]+`)
	checked := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				checked++
				if !have[n] {
					t.Errorf("panel %q queries %s, which the server does not export", p.Title, n)
				}
			}
		}
	}
	if checked < 30 {
		t.Errorf("only %d series references found in the dashboard", checked)
	}
}

// The pprof profiles are served on the metrics listener only with metrics-pprof yes.
func TestMetricsPprof(t *testing.T) {
	get := func(srv *coord.Server, path string) int {
		t.Helper()
		resp, err := http.Get("http://" + srv.MetricsAddr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	off, _ := startWithMetrics(t, 1)
	if code := get(off, "/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("pprof without metrics-pprof: %d, want 404", code)
	}
	on, _ := startBasaltWith(t, func(cfg *coord.Config) {
		cfg.MetricsPort = freePort(t)
		cfg.MetricsBind = "127.0.0.1"
		cfg.MetricsPprof = true
	})
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
		if code := get(on, path); code != http.StatusOK {
			t.Errorf("GET %s with metrics-pprof yes: %d, want 200", path, code)
		}
	}
}
