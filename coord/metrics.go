package coord

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/basaltdb/basalt/persist"
	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Prometheus metrics on their own HTTP listener (metrics-port, metrics-bind), at
// /metrics.
//
// The series that INFO also shows are named as the widely used redis_exporter names
// them, so dashboards written for it work unchanged, and they are derived from the very
// INFO text a client would get: a scrape renders INFO everything and maps its fields,
// so the two cannot disagree. Basalt's own series (basalt_*) add per-shard figures and
// per-command latency histograms; the Go collector adds GC pauses and heap figures.
//
// A scrape never touches shard data from the HTTP goroutine: it posts a snapshot request
// to every loop (the same snapshotLoop that INFO uses) and waits at most scrapeTimeout
// for the answers. A loop that is busy (DEBUG SLEEP, a huge command) is reported in
// basalt_scrape_missing_shards and left out of that scrape. Cost per scrape: one message
// per loop, and per loop a copy of its counters and of the histograms of the commands
// it ran.

// scrapeTimeout bounds how long a scrape waits for the loops.
const scrapeTimeout = 2 * time.Second

// metricsServer is the running /metrics listener. Owner: the Server; created by Run,
// closed when Run returns.
type metricsServer struct {
	ln   net.Listener
	http *http.Server
}

// startMetrics starts the listener when metrics-port is set. A port that cannot be bound
// is logged and the server runs without metrics: they are an aid, not the service.
func (s *Server) startMetrics() {
	s.cfg.mu.Lock()
	port, bind, pprofOn := s.cfg.MetricsPort, s.cfg.MetricsBind, s.cfg.MetricsPprof
	s.cfg.mu.Unlock()
	if port == 0 {
		return
	}
	addr := net.JoinHostPort(bind, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.log.notice("Metrics listener disabled: cannot listen on %s: %v", addr, err)
		return
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{srv: s},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if pprofOn {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	// Probes for orchestrators: alive once serving; ready once the dataset is loaded
	// (clients get -LOADING until then, so traffic should not be routed here).
	mux.HandleFunc("/livez", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if s.loading.Load() || !s.isReady.Load() {
			http.Error(w, "loading", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	m := &metricsServer{ln: ln, http: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	s.metrics = m
	go func() {
		if err := m.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.warning("Metrics listener stopped: %v", err)
		}
	}()
	s.log.notice("Metrics served on http://%s/metrics", ln.Addr())
}

// stopMetrics closes the listener, if any.
func (s *Server) stopMetrics() {
	if s.metrics == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.metrics.http.Shutdown(ctx)
}

// MetricsAddr returns the address the metrics listener is bound to, or nil when there
// is none. Tests use it with metrics-port set to a free port.
func (s *Server) MetricsAddr() net.Addr {
	if s.metrics == nil {
		return nil
	}
	return s.metrics.ln.Addr()
}

// countHop records a batch of n single-shard commands arriving from another loop. It
// runs on the receiving loop.
func (ls *loopState) countHop(n int) {
	ls.hops++
	if n > 1 {
		ls.squashed++
		ls.squashedN += int64(n)
	}
}

// gatherLoops asks every loop for its snapshot and waits up to timeout. Loops that did
// not answer in time have ok[i] false and a zero snapshot.
func (s *Server) gatherLoops(timeout time.Duration) (snaps []loopSnapshot, ok []bool) {
	type answer struct {
		i    int
		snap loopSnapshot
	}
	// Buffered: a loop that answers after the deadline must not block.
	ch := make(chan answer, s.n)
	for i := 0; i < s.n; i++ {
		i := i
		s.run(i, func() { ch <- answer{i, snapshotLoop(s.shards[i], s.loops[i])} })
	}
	snaps, ok = make([]loopSnapshot, s.n), make([]bool, s.n)
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for got := 0; got < s.n; got++ {
		select {
		case a := <-ch:
			snaps[a.i], ok[a.i] = a.snap, true
		case <-deadline.C:
			return snaps, ok
		}
	}
	return snaps, ok
}

// collector turns loop snapshots and INFO into metrics on each scrape. Its metrics
// depend on which commands ran, so it describes none up front (an unchecked collector).
type collector struct {
	srv *Server
}

// Describe sends nothing: the collector is unchecked.
func (c *collector) Describe(chan<- *prometheus.Desc) {}

// infoGauges and infoCounters map INFO fields to redis_exporter's metric names (without
// the redis_ prefix).
var infoGauges = map[string]string{
	"uptime_in_seconds":               "uptime_in_seconds",
	"process_id":                      "process_id",
	"io_threads_active":               "io_threads_active",
	"connected_clients":               "connected_clients",
	"blocked_clients":                 "blocked_clients",
	"tracking_clients":                "tracking_clients",
	"clients_in_timeout_table":        "clients_in_timeout_table",
	"maxclients":                      "config_maxclients",
	"client_recent_max_input_buffer":  "client_recent_max_input_buffer_bytes",
	"client_recent_max_output_buffer": "client_recent_max_output_buffer_bytes",
	"used_memory":                     "memory_used_bytes",
	"used_memory_rss":                 "memory_used_rss_bytes",
	"used_memory_peak":                "memory_used_peak_bytes",
	"used_memory_startup":             "memory_used_startup_bytes",
	"used_memory_dataset":             "memory_used_dataset_bytes",
	"maxmemory":                       "memory_max_bytes",
	"mem_fragmentation_ratio":         "mem_fragmentation_ratio",
	"loading":                         "loading_dump_file",
	"async_loading":                   "async_loading",
	"rdb_changes_since_last_save":     "rdb_changes_since_last_save",
	"rdb_bgsave_in_progress":          "rdb_bgsave_in_progress",
	"rdb_last_save_time":              "rdb_last_save_timestamp_seconds",
	"rdb_last_bgsave_time_sec":        "rdb_last_bgsave_duration_sec",
	"rdb_current_bgsave_time_sec":     "rdb_current_bgsave_duration_sec",
	"rdb_saves":                       "rdb_saves_total",
	"aof_enabled":                     "aof_enabled",
	"aof_rewrite_in_progress":         "aof_rewrite_in_progress",
	"connected_slaves":                "connected_slaves",
	"master_repl_offset":              "master_repl_offset",
	"repl_backlog_active":             "repl_backlog_is_active",
	"repl_backlog_size":               "repl_backlog_size",
	"repl_backlog_first_byte_offset":  "repl_backlog_first_byte_offset",
	"repl_backlog_histlen":            "repl_backlog_history_bytes",
	"second_repl_offset":              "second_repl_offset",
	"master_last_io_seconds_ago":      "master_last_io_seconds_ago",
	"master_sync_in_progress":         "master_sync_in_progress",
	"master_link_down_since_seconds":  "master_link_down_since_seconds",
	"slave_repl_offset":               "slave_repl_offset",
	"slave_priority":                  "slave_priority",
	"slave_read_only":                 "slave_read_only",
	"instantaneous_ops_per_sec":       "instantaneous_ops",
	"pubsub_channels":                 "pubsub_channels",
	"pubsub_patterns":                 "pubsub_patterns",
	"pubsub_shardchannels":            "pubsub_shardchannels",
	"latest_fork_usec":                "latest_fork_usec",
	"cluster_enabled":                 "cluster_enabled",
}

var infoCounters = map[string]string{
	"total_connections_received": "connections_received_total",
	"total_commands_processed":   "commands_processed_total",
	"rejected_connections":       "rejected_connections_total",
	"total_net_input_bytes":      "net_input_bytes_total",
	"total_net_output_bytes":     "net_output_bytes_total",
	"expired_keys":               "expired_keys_total",
	"evicted_keys":               "evicted_keys_total",
	"keyspace_hits":              "keyspace_hits_total",
	"keyspace_misses":            "keyspace_misses_total",
	"used_cpu_sys":               "cpu_sys_seconds_total",
	"used_cpu_user":              "cpu_user_seconds_total",
	"total_error_replies":        "total_error_replies",
	"total_reads_processed":      "total_reads_processed",
	"total_writes_processed":     "total_writes_processed",
	"unexpected_error_replies":   "unexpected_error_replies",
	"sync_full":                  "replica_resyncs_full",
	"sync_partial_ok":            "replica_partial_resync_accepted",
	"sync_partial_err":           "replica_partial_resync_denied",
}

// infoEverything is every INFO section the collector reads.
var infoEverything = func() map[string]bool {
	m := map[string]bool{"commandstats": true, "latencystats": true}
	for _, s := range infoDefault {
		m[s] = true
	}
	return m
}()

// Collect gathers one scrape. It runs on the HTTP goroutine and reads loop state only
// through the snapshots the loops send back.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.srv
	up := func(v float64) {
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc("redis_up", "Whether the server answers (1) or not (0).", nil, nil), prometheus.GaugeValue, v)
	}
	if !s.isReady.Load() {
		up(0)
		return
	}
	snaps, ok := s.gatherLoops(scrapeTimeout)
	up(1)
	missing := 0
	for _, o := range ok {
		if !o {
			missing++
		}
	}
	emit := func(name, help string, t prometheus.ValueType, v float64, labels ...string) {
		var names []string
		for i := 0; i+1 < len(labels); i += 2 {
			names = append(names, labels[i])
		}
		var values []string
		for i := 1; i < len(labels); i += 2 {
			values = append(values, labels[i])
		}
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(name, help, names, nil), t, v, values...)
	}
	emit("basalt_scrape_missing_shards", "Shards whose loop did not answer this scrape in time.", prometheus.GaugeValue, float64(missing))
	emit("basalt_connections_migrated_total", "Connections moved to the loop of the shard their commands went to.", prometheus.CounterValue, float64(s.migrations.Load()))
	c.collectInfo(s.info(infoEverything, snaps), emit)
	if s.cluster != nil {
		collectClusterInfo(s.cluster.info(), emit)
	}
	c.collectShards(snaps, ok, emit)
	c.collectHistograms(snaps, ch)
	emit("redis_slowlog_length", "Entries in the slow log.", prometheus.GaugeValue, float64(s.obs.slow.length()))
	emit("redis_slowlog_last_id", "Id of the newest slow log entry.", prometheus.GaugeValue, float64(s.obs.slow.lastID()))
}

type emitFunc func(name, help string, t prometheus.ValueType, v float64, labels ...string)

// clusterSeries maps CLUSTER INFO's fields to redis_exporter's cluster series.
var clusterSeries = map[string]string{
	"cluster_slots_assigned":          "cluster_slots_assigned",
	"cluster_slots_ok":                "cluster_slots_ok",
	"cluster_slots_pfail":             "cluster_slots_pfail",
	"cluster_slots_fail":              "cluster_slots_fail",
	"cluster_known_nodes":             "cluster_known_nodes",
	"cluster_size":                    "cluster_size",
	"cluster_current_epoch":           "cluster_current_epoch",
	"cluster_my_epoch":                "cluster_my_epoch",
	"cluster_stats_messages_sent":     "cluster_messages_sent_total",
	"cluster_stats_messages_received": "cluster_messages_received_total",
}

// collectClusterInfo emits CLUSTER INFO as redis_exporter does for cluster nodes:
// cluster_state 1 when ok, the other fields as gauges (messages as counters).
func collectClusterInfo(info string, emit emitFunc) {
	for _, line := range strings.Split(info, "\r\n") {
		k, v, found := strings.Cut(line, ":")
		if !found {
			continue
		}
		if k == "cluster_state" {
			ok := 0.0
			if v == "ok" {
				ok = 1
			}
			emit("redis_cluster_state", "Whether the cluster is ok (1) or down (0).", prometheus.GaugeValue, ok)
			continue
		}
		name, known := clusterSeries[k]
		f, err := strconv.ParseFloat(v, 64)
		if !known || err != nil {
			continue
		}
		t := prometheus.GaugeValue
		if strings.HasSuffix(name, "_total") {
			t = prometheus.CounterValue
		}
		emit("redis_"+name, "CLUSTER INFO field "+k+".", t, f)
	}
}

// collectInfo maps INFO's fields to redis_exporter's series.
func (c *collector) collectInfo(info string, emit emitFunc) {
	section := ""
	for _, line := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(line, "# ") {
			section = strings.ToLower(line[2:])
			continue
		}
		k, v, found := strings.Cut(line, ":")
		if !found {
			continue
		}
		switch section {
		case "commandstats":
			c.commandStat(k, v, emit)
			continue
		case "errorstats":
			if n, ok := field(v, "count"); ok {
				emit("redis_errors_total", "Error replies by error prefix.", prometheus.CounterValue, n, "err", strings.TrimPrefix(k, "errorstat_"))
			}
			continue
		case "latencystats":
			continue // the histograms below carry more
		case "keyspace":
			if n, ok := field(v, "keys"); ok {
				emit("redis_db_keys", "Keys in the database.", prometheus.GaugeValue, n, "db", k)
			}
			if n, ok := field(v, "expires"); ok {
				emit("redis_db_keys_expiring", "Keys with a TTL in the database.", prometheus.GaugeValue, n, "db", k)
			}
			if n, ok := field(v, "avg_ttl"); ok {
				emit("redis_db_avg_ttl_seconds", "Average TTL of the database's keys.", prometheus.GaugeValue, n/1000, "db", k)
			}
			continue
		}
		if name, ok := infoGauges[k]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				emit("redis_"+name, "INFO field "+k+".", prometheus.GaugeValue, f)
			}
		} else if name, ok := infoCounters[k]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				emit("redis_"+name, "INFO field "+k+".", prometheus.CounterValue, f)
			}
		}
		if strings.HasPrefix(k, "slave") && strings.Contains(v, "state=") {
			// slave0:ip=...,port=...,state=online,offset=...,lag=...
			ip, _ := fieldText(v, "ip")
			port, _ := fieldText(v, "port")
			state, _ := fieldText(v, "state")
			if n, ok := field(v, "offset"); ok {
				emit("redis_connected_slave_offset_bytes", "A replica's acknowledged offset.", prometheus.GaugeValue, n, "slave_ip", ip, "slave_port", port, "slave_state", state)
			}
			if n, ok := field(v, "lag"); ok {
				emit("redis_connected_slave_lag_seconds", "Seconds since a replica's last ACK.", prometheus.GaugeValue, n, "slave_ip", ip, "slave_port", port, "slave_state", state)
			}
			continue
		}
		switch k {
		case "rdb_last_bgsave_status":
			emit("redis_rdb_last_bgsave_status", "Whether the last background save succeeded.", prometheus.GaugeValue, boolFloat(v == "ok"))
		case "master_link_status":
			emit("redis_master_link_up", "Whether the replica's link to its master is up.", prometheus.GaugeValue, boolFloat(v == "up"))
		case "role":
			emit("redis_instance_info", "The server's version and role.", prometheus.GaugeValue, 1, "redis_version", redisVersion, "role", v, "redis_mode", "standalone")
		case "uptime_in_seconds":
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				emit("redis_start_time_seconds", "When the server started, Unix seconds.", prometheus.GaugeValue, float64(time.Now().Unix())-f)
			}
		}
	}
}

// commandStat maps one commandstats line (cmdstat_get:calls=1,usec=2,...).
func (c *collector) commandStat(k, v string, emit emitFunc) {
	cmd := strings.TrimPrefix(k, "cmdstat_")
	if n, ok := field(v, "calls"); ok {
		emit("redis_commands_total", "Calls by command.", prometheus.CounterValue, n, "cmd", cmd)
	}
	if n, ok := field(v, "usec"); ok {
		emit("redis_commands_duration_seconds_total", "Time spent in each command.", prometheus.CounterValue, n/1e6, "cmd", cmd)
	}
	if n, ok := field(v, "rejected_calls"); ok {
		emit("redis_commands_rejected_calls_total", "Calls rejected before running, by command.", prometheus.CounterValue, n, "cmd", cmd)
	}
	if n, ok := field(v, "failed_calls"); ok {
		emit("redis_commands_failed_calls_total", "Calls that answered an error, by command.", prometheus.CounterValue, n, "cmd", cmd)
	}
}

// field finds name=value in a comma-separated INFO value.
func field(v, name string) (float64, bool) {
	val, ok := fieldText(v, name)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(val, 64)
	return f, err == nil
}

// fieldText is the text of name in an INFO value of name=value pairs.
func fieldText(v, name string) (string, bool) {
	for _, kv := range strings.Split(v, ",") {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			return val, true
		}
	}
	return "", false
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// collectShards emits the per-shard series of the loops that answered.
func (c *collector) collectShards(snaps []loopSnapshot, ok []bool, emit emitFunc) {
	for i, sn := range snaps {
		if !ok[i] {
			continue
		}
		id := strconv.Itoa(i)
		var keys, expiring int
		for db := range sn.keys {
			keys += sn.keys[db]
			expiring += sn.expiring[db]
		}
		g, cnt := prometheus.GaugeValue, prometheus.CounterValue
		emit("basalt_shard_keys", "Keys on the shard, every database.", g, float64(keys), "shard", id)
		emit("basalt_shard_memory_bytes", "Bytes the shard accounts for its keys and values (what maxmemory is enforced against).", g, float64(sn.memory), "shard", id)
		emit("basalt_shard_keys_expiring", "Keys with a TTL on the shard.", g, float64(expiring), "shard", id)
		emit("basalt_shard_clients", "Connections served by the shard's loop.", g, float64(sn.clients), "shard", id)
		emit("basalt_shard_queue_depth", "Messages posted to the shard's loop and not yet run.", g, float64(sn.queued), "shard", id)
		emit("basalt_shard_commands_processed_total", "Commands run on the shard's loop.", cnt, float64(sn.cmds), "shard", id)
		emit("basalt_shard_hops_total", "Batches of commands received from other loops.", cnt, float64(sn.hops), "shard", id)
		emit("basalt_shard_squashed_batches_total", "Received batches that carried several commands.", cnt, float64(sn.squashed), "shard", id)
		emit("basalt_shard_squashed_commands_total", "Commands that arrived in squashed batches.", cnt, float64(sn.squashedN), "shard", id)
		emit("basalt_shard_keyspace_hits_total", "Key lookups that found a key.", cnt, float64(sn.shard.Hits), "shard", id)
		emit("basalt_shard_keyspace_misses_total", "Key lookups that found no key.", cnt, float64(sn.shard.Misses), "shard", id)
		emit("basalt_shard_expired_keys_total", "Keys removed because their TTL passed.", cnt, float64(sn.shard.ExpiredKeys), "shard", id)
		emit("basalt_shard_net_input_bytes_total", "Bytes read from the loop's clients.", cnt, float64(sn.netIn), "shard", id)
		emit("basalt_shard_net_output_bytes_total", "Bytes written to the loop's clients.", cnt, float64(sn.netOut), "shard", id)
	}
}

// histogramBounds are the upper bounds, in nanoseconds, of the Prometheus buckets:
// powers of two from about 1 µs to about 17 s, all boundaries of latencyHist.
var histogramBounds = func() []uint64 {
	var out []uint64
	for e := 10; e <= 34; e++ {
		out = append(out, uint64(1)<<e-1)
	}
	return out
}()

var commandLatencyDesc = prometheus.NewDesc("basalt_command_latency_seconds",
	"Command latency measured around the handler, by command.", []string{"cmd"}, nil)

var latencyPercentilesDesc = prometheus.NewDesc("redis_latency_percentiles_usec",
	"Command latency percentiles in microseconds (INFO latencystats).", []string{"cmd"}, nil)

// collectHistograms emits one latency histogram and one percentile summary per command
// that ran.
func (c *collector) collectHistograms(snaps []loopSnapshot, ch chan<- prometheus.Metric) {
	parts := make([]map[int]*latencyHist, len(snaps))
	usec := make(map[int]int64)
	for i := range snaps {
		parts[i] = snaps[i].hists
		for id, st := range snaps[i].stats {
			usec[id] += st.usec
		}
	}
	hs := mergeHists(parts)
	var pct []float64
	if p := c.srv.obs.percentiles.Load(); p != nil {
		pct = *p
	}
	for _, id := range sortedIDs(hs) {
		h := hs[id]
		buckets := make(map[float64]uint64, len(histogramBounds))
		for _, b := range histogramBounds {
			buckets[float64(b+1)/1e9] = h.cumulativeAt(b)
		}
		ch <- prometheus.MustNewConstHistogram(commandLatencyDesc, h.total, float64(usec[id])/1e6, buckets, all[id].FullName())
		// redis_exporter's summary of INFO latencystats, in microseconds.
		quantiles := make(map[float64]float64, len(pct))
		for _, p := range pct {
			quantiles[p/100] = float64(h.percentile(p)) / 1000
		}
		ch <- prometheus.MustNewConstSummary(latencyPercentilesDesc, h.total, float64(usec[id]), quantiles, all[id].FullName())
	}
}

// Memory commands: MEMORY STATS, MEMORY DOCTOR and DEBUG OBJECT. MEMORY USAGE is a
// shard command (shard/memory.go).

// heapPeak tracks the largest heap figure any reader has seen (used_memory_peak).
var heapPeak atomic.Uint64

// usedMemory reads the Go heap figure INFO reports as used_memory and updates the peak.
func usedMemory() (used, peak uint64) {
	used = heapBytes()
	for {
		p := heapPeak.Load()
		if used <= p {
			return used, p
		}
		if heapPeak.CompareAndSwap(p, used) {
			return used, used
		}
	}
}

// MEMORY STATS
//
// Redis's field names; the allocator figures are the Go runtime's: allocated is the heap
// in use, active the heap spans in use, resident the process's resident set.
func memoryStatsCmd(cl *client, _ [][]byte, _ *proto.Writer) {
	srv := cl.srv
	cl.snapshotLoops(func(w *proto.Writer, snaps []loopSnapshot) {
		used, peak := usedMemory()
		active := runtimeUint("/memory/classes/heap/objects:bytes") + runtimeUint("/memory/classes/heap/unused:bytes")
		rss := rssBytes()
		var keys int64
		perDB := make([][2]int64, srv.cfg.Databases)
		for _, sn := range snaps {
			for db := range sn.keys {
				if db < len(perDB) {
					perDB[db][0] += int64(sn.keys[db])
					perDB[db][1] += int64(sn.expiring[db])
					keys += int64(sn.keys[db])
				}
			}
		}
		// Per key: its entry plus its index slot (shard.KeyOverhead of an empty name).
		perKey := shard.KeyOverhead("")
		overhead := keys * perKey
		startup := srv.startupHeap
		dataset := int64(used) - int64(startup) - overhead
		dataset = max(dataset, 0)
		pct := func(a, b float64) float64 {
			if b == 0 {
				return 0
			}
			return a * 100 / b
		}
		type kv struct {
			k string
			v any
		}
		fields := []kv{
			{"peak.allocated", int64(peak)},
			{"total.allocated", int64(used)},
			{"startup.allocated", int64(startup)},
			{"replication.backlog", int64(0)},
			{"clients.slaves", int64(0)},
			{"clients.normal", int64(0)},
			{"cluster.links", int64(0)},
			{"aof.buffer", int64(0)},
			{"lua.caches", int64(0)},
			{"functions.caches", int64(0)},
		}
		for db, c := range perDB {
			if c[0] > 0 {
				fields = append(fields, kv{"db." + strconv.Itoa(db), [2]int64{c[0] * perKey, c[1] * 4}})
			}
		}
		bytesPerKey := int64(0)
		if keys > 0 {
			bytesPerKey = (int64(used) - int64(startup)) / keys
		}
		fields = append(fields,
			kv{"overhead.total", int64(startup) + overhead},
			kv{"keys.count", keys},
			kv{"keys.bytes-per-key", bytesPerKey},
			kv{"dataset.bytes", dataset},
			kv{"dataset.percentage", pct(float64(dataset), float64(used-startup))},
			kv{"peak.percentage", pct(float64(used), float64(peak))},
			kv{"allocator.allocated", int64(used)},
			kv{"allocator.active", int64(active)},
			kv{"allocator.resident", int64(rss)},
			kv{"allocator-fragmentation.ratio", ratio(active, used)},
			kv{"allocator-fragmentation.bytes", int64(active) - int64(used)},
			kv{"allocator-rss.ratio", ratio(rss, active)},
			kv{"allocator-rss.bytes", int64(rss) - int64(active)},
			kv{"rss-overhead.ratio", 1.0},
			kv{"rss-overhead.bytes", int64(0)},
			kv{"fragmentation", ratio(rss, used)},
			kv{"fragmentation.bytes", int64(rss) - int64(used)},
		)
		w.Map(len(fields))
		for _, f := range fields {
			w.BulkString(f.k)
			switch v := f.v.(type) {
			case int64:
				w.Int(v)
			case float64:
				w.Double(v)
			case [2]int64:
				w.Map(2)
				w.BulkString("overhead.hashtable.main")
				w.Int(v[0])
				w.BulkString("overhead.hashtable.expires")
				w.Int(v[1])
			}
		}
	})
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// runtimeUint reads one uint64 runtime metric, 0 when the runtime lacks it.
func runtimeUint(name string) uint64 {
	sample := []metrics.Sample{{Name: name}}
	metrics.Read(sample)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		return sample[0].Value.Uint64()
	}
	return 0
}

// MEMORY DOCTOR
//
// A short report in our words: the heap against its peak and the resident set.
func memoryDoctorCmd(_ *client, _ [][]byte, w *proto.Writer) {
	used, peak := usedMemory()
	rss := rssBytes()
	var b strings.Builder
	if used < 5<<20 {
		b.WriteString("This instance holds very little data; there is nothing to diagnose yet.\n")
	} else {
		fmt.Fprintf(&b, "Heap in use: %s (peak %s), resident set: %s.\n", humanBytes(used), humanBytes(peak), humanBytes(rss))
		problems := 0
		if float64(peak) > 1.5*float64(used) {
			problems++
			b.WriteString("- The heap was much larger earlier: the Go runtime returns freed memory to the system gradually.\n")
		}
		if float64(rss) > 1.5*float64(used) {
			problems++
			b.WriteString("- The resident set is well above the heap in use: fragmentation, or memory not yet returned to the system.\n")
		}
		if problems == 0 {
			b.WriteString("No memory problem found.\n")
		}
	}
	w.Verbatim("txt", b.String())
}

// MEMORY HELP
func memoryHelpCmd(_ *client, _ [][]byte, w *proto.Writer) {
	helpReply(w, "MEMORY", []string{
		"DOCTOR", "    Return memory problems reports.",
		"STATS", "    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]", "    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
		"HELP", "    Prints this help.",
	})
}

// DEBUG OBJECT key
//
// Like DUMP, it runs as a one-shard transaction so that the value's serialized length
// can be computed with persist's codec, which package shard cannot import.
func debugObjectCmd(cl *client, args [][]byte, w *proto.Writer) {
	if len(args) != 3 {
		w.Error("ERR wrong number of arguments for 'debug|object' command")
		return
	}
	key := shard.Own(args[2])
	t := cl.newTxn(true)
	t.claim(cl.db, key, false)
	var line string
	t.last([]int{cl.srv.shardOf(key)}, func(sh *shard.Shard, _ int) {
		o, ok := sh.Peek(key)
		if !ok {
			return
		}
		serialized := 0
		if p, err := persist.AppendPayload(nil, o); err == nil {
			// A DUMP payload is the type byte, the value, a version and a CRC-64.
			serialized = len(p) - 11
		}
		line = fmt.Sprintf("Value at:%p refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
			o, o.Encoding(), serialized, o.Access&(1<<24-1), sh.IdleSeconds(o))
		if l, isList := o.Coll.(*shard.List); isList && o.Encoding() == "quicklist" {
			nodes, size := l.QuicklistStats()
			line += fmt.Sprintf(" ql_nodes:%d ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:0 ql_uncompressed_size:%d",
				nodes, float64(l.Len())/float64(max(nodes, 1)), sh.Settings.ListMaxListpackSize.Load(), size)
		}
	}, func(w *proto.Writer) {
		if line == "" {
			w.Error("ERR no such key")
			return
		}
		w.Simple(line)
	})
}

// memoryInfo writes INFO memory's figures up to maxmemory. used_memory is the Go heap
// in use; the dataset is what it holds beyond the start-up heap and the keys' entries.
func (s *Server) memoryInfo(field func(string, any), keys int64) {
	used, peak := usedMemory()
	rss := rssBytes()
	overhead := int64(s.startupHeap) + keys*shard.KeyOverhead("")
	dataset := max(int64(used)-overhead, 0)
	pct := func(a, b float64) string {
		if b == 0 {
			return "0.00%"
		}
		return fmt.Sprintf("%.2f%%", a*100/b)
	}
	active := runtimeUint("/memory/classes/heap/objects:bytes") + runtimeUint("/memory/classes/heap/unused:bytes")
	field("used_memory", used)
	field("used_memory_human", humanBytes(used))
	field("used_memory_rss", rss)
	field("used_memory_rss_human", humanBytes(rss))
	field("used_memory_peak", peak)
	field("used_memory_peak_human", humanBytes(peak))
	field("used_memory_peak_perc", pct(float64(used), float64(peak)))
	field("used_memory_overhead", overhead)
	field("used_memory_startup", s.startupHeap)
	field("used_memory_dataset", dataset)
	field("used_memory_dataset_perc", pct(float64(dataset), float64(int64(used)-int64(s.startupHeap))))
	field("allocator_allocated", used)
	field("allocator_active", active)
	field("allocator_resident", rss)
	total := systemMemory()
	field("total_system_memory", total)
	field("total_system_memory_human", humanBytes(total))
	sm := s.scripts().memory() // scripting.go
	field("used_memory_scripts_eval", sm.evalBytes)
	field("number_of_cached_scripts", sm.scripts)
	field("number_of_functions", sm.functions)
	field("number_of_libraries", sm.libraries)
	field("used_memory_functions", sm.functionBytes)
	field("used_memory_scripts", sm.evalBytes+sm.functionBytes)
	field("used_memory_scripts_human", humanBytes(uint64(sm.evalBytes+sm.functionBytes)))
}

// memoryInfoTail writes INFO memory's figures after maxmemory_policy.
func (s *Server) memoryInfoTail(field func(string, any)) {
	used, _ := usedMemory()
	rss := rssBytes()
	active := runtimeUint("/memory/classes/heap/objects:bytes") + runtimeUint("/memory/classes/heap/unused:bytes")
	field("allocator_frag_ratio", fmt.Sprintf("%.2f", ratio(active, used)))
	field("allocator_frag_bytes", int64(active)-int64(used))
	field("allocator_rss_ratio", fmt.Sprintf("%.2f", ratio(rss, active)))
	field("allocator_rss_bytes", int64(rss)-int64(active))
	field("rss_overhead_ratio", "1.00")
	field("rss_overhead_bytes", 0)
	field("mem_fragmentation_ratio", fmt.Sprintf("%.2f", ratio(rss, used)))
	field("mem_fragmentation_bytes", int64(rss)-int64(used))
	for _, k := range []string{"mem_not_counted_for_evict", "mem_replication_backlog", "mem_total_replication_buffers",
		"mem_clients_slaves", "mem_clients_normal", "mem_cluster_links", "mem_aof_buffer"} {
		field(k, 0)
	}
}

// systemMemory reads MemTotal from /proc/meminfo, 0 when unreadable.
func systemMemory() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// gcInfo writes Basalt's own INFO memory lines about the Go collector, read from
// runtime/metrics, which does not stop the world.
func gcInfo(field func(string, any)) {
	field("go_heap_objects", runtimeUint("/gc/heap/objects:objects"))
	field("go_gc_cycles", runtimeUint("/gc/cycles/total:gc-cycles"))
	field("go_gc_goal_bytes", runtimeUint("/gc/heap/goal:bytes"))
	sample := []metrics.Sample{{Name: "/sched/pauses/total/gc:seconds"}}
	metrics.Read(sample)
	var total float64
	if sample[0].Value.Kind() == metrics.KindFloat64Histogram {
		h := sample[0].Value.Float64Histogram()
		for i, n := range h.Counts {
			// Each bucket's pauses are counted at its lower bound (the last may be +Inf).
			total += float64(n) * max(h.Buckets[i], 0)
		}
	}
	field("go_gc_pause_total_usec", int64(total*1e6))
}

// statsInfoExtra writes the replication sync counters, the expiry cycle's figures, and
// INFO stats fields Basalt has no mechanism for (replication traffic rates, forks,
// defragmentation) at their idle values, so that tools reading them find every field
// Redis has.
func (s *Server) statsInfoExtra(field func(string, any), total loopSnapshot) {
	for _, k := range []string{"total_net_repl_input_bytes", "total_net_repl_output_bytes"} {
		field(k, 0)
	}
	for _, k := range []string{"instantaneous_input_kbps", "instantaneous_output_kbps",
		"instantaneous_input_repl_kbps", "instantaneous_output_repl_kbps"} {
		field(k, "0.00")
	}
	s.repl.mu.Lock()
	full, ok, bad := s.repl.syncFull, s.repl.syncPartialOK, s.repl.syncPartialErr
	s.repl.mu.Unlock()
	field("sync_full", full)
	field("sync_partial_ok", ok)
	field("sync_partial_err", bad)
	field("expired_stale_perc", fmt.Sprintf("%.2f", total.shard.ExpiredStalePerc))
	field("expired_time_cap_reached_count", total.shard.ExpireCycleTimeout)
	field("expire_cycle_cpu_milliseconds", total.shard.ExpireCycleTimeUs/1000)
	for _, k := range []string{"evicted_clients", "total_eviction_exceeded_time", "current_eviction_exceeded_time",
		"latest_fork_usec", "total_forks", "migrate_cached_sockets", "slave_expires_tracked_keys",
		"active_defrag_hits", "active_defrag_misses", "active_defrag_key_hits", "active_defrag_key_misses",
		"total_active_defrag_time", "current_active_defrag_time",
		"tracking_total_keys", "tracking_total_items", "tracking_total_prefixes", "dump_payload_sanitizations",
		"io_threaded_reads_processed", "io_threaded_writes_processed", "reply_buffer_shrinks", "reply_buffer_expands"} {
		field(k, 0)
	}
}

// keyTotal sums the loops' key counts over every database.
func keyTotal(snaps []loopSnapshot) int64 {
	var n int64
	for _, sn := range snaps {
		for _, k := range sn.keys {
			n += int64(k)
		}
	}
	return n
}
