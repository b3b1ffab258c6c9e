package coord

import (
	"fmt"
	"math/big"
	"os"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Server commands: INFO, CONFIG, TIME, DEBUG, SHUTDOWN.

// loopSnapshot is one loop's counters copied for INFO.
type loopSnapshot struct {
	stats    []cmdStat
	errStats map[string]int64
	cmds     int64
	netIn    int64
	netOut   int64
	shard    shard.Stats
	keys     []int
	expiring []int
	clients  int
	dirty    int64
	// Observability (latency.go, metrics.go): per-command histograms, hops received
	// and how many carried several commands, messages waiting for the loop.
	hists                     map[int]*latencyHist
	hops, squashed, squashedN int64
	queued                    int64
	// memory is a sampled estimate of the shard's keys and values, in bytes.
	memory int64
	// watching counts the loop's clients with WATCHed keys, watchedKeys the keys
	// WATCHed on the shard.
	watching, watchedKeys int
	// blockingKeys counts the shard's keys with blocked clients, blockingNoKey those of
	// them a waiter also watches for deletion (XREADGROUP).
	blockingKeys, blockingNoKey int
}

// snapshotLoops collects every loop's counters, then calls done with them.
func (cl *client) snapshotLoops(done func(w *proto.Writer, snaps []loopSnapshot)) {
	srv := cl.srv
	snaps := make([]loopSnapshot, srv.n)
	cl.fanout(srv.allShards(), func(sh *shard.Shard, i int) {
		snaps[i] = snapshotLoop(sh, srv.loops[sh.ID])
	}, func(w *proto.Writer) { done(w, snaps) })
}

// snapshotLoop copies one loop's counters; it runs on that loop. The metrics collector
// uses it too.
func snapshotLoop(sh *shard.Shard, ls *loopState) loopSnapshot {
	var s loopSnapshot
	s.stats = append([]cmdStat(nil), ls.stats...)
	s.errStats = make(map[string]int64, len(ls.errStats))
	for k, v := range ls.errStats {
		s.errStats[k] = v
	}
	s.cmds, s.netIn, s.netOut = ls.cmds, ls.netIn, ls.netOut
	s.shard = sh.Stats
	s.dirty = sh.Dirty()
	s.clients = len(ls.clients)
	for db := 0; db < sh.Databases(); db++ {
		k, e := sh.KeyCount(db)
		s.keys = append(s.keys, k)
		s.expiring = append(s.expiring, e)
	}
	s.hists = ls.copyHists()
	s.hops, s.squashed, s.squashedN = ls.hops, ls.squashed, ls.squashedN
	s.queued = ls.queued.Load()
	s.memory = sh.UsedMemory()
	s.watchedKeys = len(ls.watches)
	s.blockingKeys = len(ls.blocked)
	for _, ws := range ls.blocked {
		for _, wt := range ws {
			if wt.op.onNoKey {
				s.blockingNoKey++
				break
			}
		}
	}
	for _, c := range ls.clients {
		if len(c.watched) > 0 {
			s.watching++
		}
	}
	return s
}

var infoDefault = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"}

// INFO [section [section ...]]
func infoCmd(cl *client, args [][]byte, _ *proto.Writer) {
	want := map[string]bool{}
	if len(args) == 1 {
		for _, s := range infoDefault {
			want[s] = true
		}
	}
	for _, a := range args[1:] {
		switch s := strings.ToLower(string(a)); s {
		case "default":
			for _, s := range infoDefault {
				want[s] = true
			}
		case "all":
			for _, s := range infoDefault {
				want[s] = true
			}
			want["commandstats"] = true
			want["latencystats"] = true
		case "everything":
			for _, s := range infoDefault {
				want[s] = true
			}
			want["commandstats"] = true
			want["latencystats"] = true
		default:
			want[s] = true
		}
	}
	cl.snapshotLoops(func(w *proto.Writer, snaps []loopSnapshot) {
		w.Verbatim("txt", cl.srv.info(want, snaps))
	})
}

// info renders the requested INFO sections from loop snapshots.
func (s *Server) info(want map[string]bool, snaps []loopSnapshot) string {
	var b strings.Builder
	section := func(name string, body func()) {
		if !want[strings.ToLower(name)] {
			return
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + name + "\r\n")
		body()
	}
	field := func(k string, v any) { fmt.Fprintf(&b, "%s:%v\r\n", k, v) }
	var total loopSnapshot
	total.errStats = map[string]int64{}
	total.stats = make([]cmdStat, len(all))
	for _, sn := range snaps {
		total.cmds += sn.cmds
		total.dirty += sn.dirty
		total.netIn += sn.netIn
		total.netOut += sn.netOut
		total.shard.Hits += sn.shard.Hits
		total.shard.Misses += sn.shard.Misses
		total.shard.ExpiredKeys += sn.shard.ExpiredKeys
		total.shard.EvictedKeys += sn.shard.EvictedKeys
		for k, v := range sn.errStats {
			total.errStats[k] += v
		}
		for i, st := range sn.stats {
			t := &total.stats[i]
			t.calls += st.calls
			t.usec += st.usec
			t.failed += st.failed
			t.rejected += st.rejected
		}
	}
	uptime := int64(time.Since(s.startTime).Seconds())
	section("Server", func() {
		field("redis_version", redisVersion)
		field("redis_git_sha1", "00000000")
		field("redis_git_dirty", 0)
		field("redis_build_id", "basalt")
		field("redis_mode", "standalone")
		field("os", runtime.GOOS+" "+runtime.GOARCH)
		field("arch_bits", strconv.IntSize)
		field("monotonic_clock", "POSIX clock_gettime")
		field("multiplexing_api", "epoll")
		field("atomicvar_api", "c11-builtin")
		field("gcc_version", "0.0.0")
		field("go_version", runtime.Version())
		field("process_id", os.Getpid())
		field("process_supervised", "no")
		field("run_id", s.runID())
		field("tcp_port", s.cfg.Port)
		field("server_time_usec", time.Now().UnixMicro())
		field("uptime_in_seconds", uptime)
		field("uptime_in_days", uptime/86400)
		field("hz", s.cfg.hz())
		field("configured_hz", s.cfg.hz())
		field("lru_clock", time.Now().Unix()&(1<<24-1))
		field("io_threads_active", 1)
		field("shards", s.n)
		exe, _ := os.Executable()
		field("executable", exe)
		field("config_file", "")
	})
	section("Clients", func() {
		field("connected_clients", s.connected.Load())
		field("cluster_connections", 0)
		field("maxclients", s.cfg.maxClients())
		field("client_recent_max_input_buffer", 0)
		field("client_recent_max_output_buffer", 0)
		field("blocked_clients", s.blockedClients.Load())
		trackClients, _, _, _ := s.trackingInfo()
		field("tracking_clients", trackClients)
		field("pubsub_clients", s.pubsub.clients.Load())
		var watching, watchedKeys int
		for _, sn := range snaps {
			watching += sn.watching
			watchedKeys += sn.watchedKeys
		}
		field("watching_clients", watching)
		field("clients_in_timeout_table", 0)
		field("total_watched_keys", watchedKeys)
		var blocking, onNoKey int
		for _, sn := range snaps {
			blocking += sn.blockingKeys
			onNoKey += sn.blockingNoKey
		}
		field("total_blocking_keys", blocking)
		field("total_blocking_keys_on_nokey", onNoKey)
	})
	section("Memory", func() {
		s.memoryInfo(field, keyTotal(snaps)) // metrics.go
		maxmemory, policy := s.cfg.maxMemory()
		field("maxmemory", maxmemory)
		field("maxmemory_human", humanBytes(uint64(maxmemory)))
		field("maxmemory_policy", policy)
		var accounted int64
		for _, sn := range snaps {
			accounted += sn.memory
		}
		field("used_memory_accounted", accounted)
		s.memoryInfoTail(field) // metrics.go
		field("mem_allocator", "go-"+runtime.Version())
		field("active_defrag_running", 0)
		field("lazyfree_pending_objects", 0)
		field("lazyfreed_objects", 0)
		gcInfo(field) // metrics.go
	})
	section("Persistence", func() { s.persistInfo(field, total.dirty) })
	section("Stats", func() {
		field("total_connections_received", s.totalConns.Load())
		field("total_commands_processed", total.cmds)
		field("instantaneous_ops_per_sec", 0)
		field("total_net_input_bytes", total.netIn)
		field("total_net_output_bytes", total.netOut)
		field("rejected_connections", s.rejected.Load())
		field("migrated_connections", s.migrations.Load())
		field("expired_keys", total.shard.ExpiredKeys)
		field("evicted_keys", total.shard.EvictedKeys)
		field("keyspace_hits", total.shard.Hits)
		field("keyspace_misses", total.shard.Misses)
		subs := s.pubsubNames()
		field("pubsub_channels", subs[subChannel])
		field("pubsub_patterns", subs[subPattern])
		field("pubsubshard_channels", subs[subShard])
		var errs int64
		for _, v := range total.errStats {
			errs += v
		}
		field("total_error_replies", errs)
		var rejected, failed int64
		for _, st := range total.stats {
			rejected += st.rejected
			failed += st.failed
		}
		_, trackKeys, trackItems, trackPrefixes := s.trackingInfo()
		field("tracking_total_keys", trackKeys)
		field("tracking_total_items", trackItems)
		field("tracking_total_prefixes", trackPrefixes)
		field("unexpected_error_replies", 0)
		field("total_reads_processed", 0)
		field("total_writes_processed", 0)
		for _, r := range []struct {
			name   string
			reason int
		}{{"auth", aclDeniedAuth}, {"cmd", aclDeniedCmd}, {"key", aclDeniedKey}, {"channel", aclDeniedChannel}} {
			field("acl_access_denied_"+r.name, s.acl.denied[r.reason].Load())
		}
		s.statsInfoExtra(field, total) // metrics.go: the rest of Redis's stats fields
	})
	section("Replication", func() { s.replInfo(field) }) // repl.go
	section("CPU", func() {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		field("used_cpu_sys", fmt.Sprintf("%.6f", float64(ru.Stime.Sec)+float64(ru.Stime.Usec)/1e6))
		field("used_cpu_user", fmt.Sprintf("%.6f", float64(ru.Utime.Sec)+float64(ru.Utime.Usec)/1e6))
		field("used_cpu_sys_children", "0.000000")
		field("used_cpu_user_children", "0.000000")
	})
	section("Modules", func() {})
	section("Commandstats", func() {
		for i, st := range total.stats {
			if st.calls == 0 && st.rejected == 0 && st.failed == 0 {
				continue
			}
			per := 0.0
			if st.calls > 0 {
				per = float64(st.usec) / float64(st.calls)
			}
			fmt.Fprintf(&b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
				all[i].FullName(), st.calls, st.usec, per, st.rejected, st.failed)
		}
	})
	section("Errorstats", func() {
		codes := make([]string, 0, len(total.errStats))
		for k := range total.errStats {
			codes = append(codes, k)
		}
		sort.Strings(codes)
		for _, k := range codes {
			fmt.Fprintf(&b, "errorstat_%s:count=%d\r\n", k, total.errStats[k])
		}
	})
	section("Latencystats", func() { s.latencyStats(&b, snaps) }) // latency.go
	section("Cluster", func() {
		enabled := 0
		if s.cluster != nil {
			enabled = 1
		}
		field("cluster_enabled", enabled)
	})
	section("Keyspace", func() {
		for db := 0; db < s.cfg.Databases; db++ {
			keys, expiring := 0, 0
			for _, sn := range snaps {
				if db < len(sn.keys) {
					keys += sn.keys[db]
					expiring += sn.expiring[db]
				}
			}
			if keys > 0 {
				fmt.Fprintf(&b, "db%d:keys=%d,expires=%d,avg_ttl=0\r\n", db, keys, expiring)
			}
		}
	})
	return b.String()
}

// runID is a stable 40 hex character id for this process.
func (s *Server) runID() string {
	return fmt.Sprintf("%040x", uint64(s.startTime.UnixNano())^uint64(os.Getpid()))
}

// heapBytes is the Go heap in use, read without stopping the world.
func heapBytes() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		return sample[0].Value.Uint64()
	}
	return 0
}

// rssBytes reads the resident set size from /proc.
func rssBytes() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// humanBytes formats n as Redis's *_human fields do (1.50M).
func humanBytes(n uint64) string {
	f := float64(n)
	switch {
	case n < 1024:
		return fmt.Sprintf("%dB", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.2fK", f/1024)
	case n < 1024*1024*1024:
		return fmt.Sprintf("%.2fM", f/1024/1024)
	default:
		return fmt.Sprintf("%.2fG", f/1024/1024/1024)
	}
}

// CONFIG GET parameter [parameter ...]
func configGetCmd(cl *client, args [][]byte, w *proto.Writer) {
	patterns := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		patterns = append(patterns, string(a))
	}
	pairs := cl.srv.cfg.Get(patterns)
	w.Map(len(pairs))
	for _, p := range pairs {
		w.BulkString(p[0])
		w.BulkString(p[1])
	}
}

// CONFIG SET parameter value [parameter value ...]
func configSetCmd(cl *client, args [][]byte, w *proto.Writer) {
	if len(args)%2 != 0 {
		// Only the short form is an arity error; a longer odd list is a syntax error.
		w.Error(proto.ErrSyntax)
		return
	}
	var pairs [][2]string
	for i := 2; i+1 < len(args); i += 2 {
		pairs = append(pairs, [2]string{string(args[i]), string(args[i+1])})
	}
	if err := cl.srv.cfg.Set(pairs); err != nil {
		w.Error(err.Error())
		return
	}
	w.OK()
}

// CONFIG RESETSTAT
func configResetstatCmd(cl *client, _ [][]byte, _ *proto.Writer) {
	srv := cl.srv
	cl.fanout(srv.allShards(), func(sh *shard.Shard, _ int) {
		ls := srv.loops[sh.ID]
		clear(ls.stats)
		clear(ls.errStats)
		ls.cmds, ls.netIn, ls.netOut = 0, 0, 0
		ls.hists = nil // latency histograms, as Redis resets them
		ls.hops, ls.squashed, ls.squashedN = 0, 0, 0
		sh.Stats = shard.Stats{}
	}, func(w *proto.Writer) { w.OK() })
}

// CONFIG HELP
func configHelpCmd(_ *client, _ [][]byte, w *proto.Writer) {
	helpReply(w, "CONFIG", []string{
		"GET <pattern> [<pattern> ...]", "    Return parameters matching the glob-like patterns and their values.",
		"SET <directive> <value> [<directive> <value> ...]", "    Set parameters to values, all or none.",
		"RESETSTAT", "    Reset the statistics reported by INFO.",
		"REWRITE", "    Rewrite the configuration file.",
		"HELP", "    Print this help.",
	})
}

// TIME
func timeCmd(_ *client, _ [][]byte, w *proto.Writer) {
	now := time.Now()
	w.Array(2)
	w.BulkString(strconv.FormatInt(now.Unix(), 10))
	w.BulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

// DEBUG SLEEP seconds | DEBUG SET-ACTIVE-EXPIRE 0|1 | DEBUG DIGEST | DEBUG DIGEST-VALUE key... |
// DEBUG RELOAD | DEBUG LOADAOF
func debugCmd(cl *client, args [][]byte, w *proto.Writer) {
	switch strings.ToLower(string(args[1])) {
	case "sleep":
		if len(args) != 3 {
			w.Error("ERR wrong number of arguments for 'debug|sleep' command")
			return
		}
		secs, err := strconv.ParseFloat(string(args[2]), 64)
		if err != nil {
			w.Error(proto.ErrNotFloat)
			return
		}
		// Like Redis, the sleep blocks this event loop (and so this shard).
		time.Sleep(time.Duration(secs * float64(time.Second)))
		w.OK()
	case "object":
		debugObjectCmd(cl, args, w) // metrics.go
	case "digest":
		if len(args) != 2 {
			w.Error("ERR wrong number of arguments for 'debug|digest' command")
			return
		}
		debugDigest(cl)
	case "digest-value":
		if len(args) == 2 {
			w.Array(0)
			return
		}
		debugDigestValue(cl, args)
	case "set-active-expire":
		if len(args) != 3 {
			w.Error("ERR wrong number of arguments for 'debug|set-active-expire' command")
			return
		}
		cl.srv.settings.ActiveExpire.Store(string(args[2]) != "0")
		w.OK()
	case "reload":
		// DEBUG RELOAD's MERGE, NOFLUSH and NOSAVE variants are not supported.
		if len(args) != 2 {
			w.Error(proto.ErrSyntax)
			return
		}
		cl.debugInBackground(cl.srv.debugReload, "DEBUG RELOAD", func(error) string {
			return "ERR Error trying to load the RDB dump, check server logs."
		})
	case "protocol":
		if len(args) != 3 {
			w.Error("ERR unknown subcommand or wrong number of arguments for '" + truncate(string(args[1]), 128) + "'. Try DEBUG HELP.")
			return
		}
		debugProtocol(strings.ToLower(string(args[2])), w)
	case "loadaof":
		if len(args) != 2 {
			w.Error(proto.ErrSyntax)
			return
		}
		cl.debugInBackground(cl.srv.debugLoadAOF, "DEBUG LOADAOF", func(err error) string {
			return "ERR Error loading the append only file: " + err.Error()
		})
	case "help":
		helpReply(w, "DEBUG", []string{
			"LOADAOF", "    Flush the AOF buffers on disk, empty the dataset and load the AOF back.",
			"PROTOCOL <type>", "    Reply with a sample of a RESP type: string, integer, double, bignum, null, array, set, map, attrib, push, verbatim, true or false.",
			"RELOAD", "    Save the RDB file, empty the dataset and load the file back.",
			"DIGEST", "    Output a hex signature representing the current dataset.",
			"DIGEST-VALUE <key> [<key> ...]", "    Output a hex signature of the values of all the specified keys.",
			"OBJECT <key>", "    Show low level information about the <key> and associated value.",
			"SLEEP <seconds>", "    Stop the server's event loop for <seconds> (may be fractional).",
			"SET-ACTIVE-EXPIRE <0|1>", "    Switch the active expire cycle off or on.",
		})
	default:
		w.Error("ERR unknown subcommand '" + truncate(string(args[1]), 128) + "'. Try DEBUG HELP.")
	}
}

// debugInBackground runs a DEBUG step that loads data off the loop (it waits for claims
// on every shard), then answers OK, or the error reply built from its error (which the
// log gets too, prefixed with what).
func (cl *client) debugInBackground(step func() error, what string, reply func(error) string) {
	srv := cl.srv
	var err error
	cl.fanoutWith(1, func(ack func(int)) {
		go func() {
			err = step()
			ack(0)
		}()
	}, func(w *proto.Writer) {
		if err != nil {
			w.Error(reply(err))
			srv.log.warning("%s: %v", what, err)
			return
		}
		w.OK()
	})
}

// debugProtocol answers DEBUG PROTOCOL: one sample of each reply type, the samples
// redis-server sends, so that clients can test their RESP2 and RESP3 parsers.
func debugProtocol(name string, w *proto.Writer) {
	switch name {
	case "string":
		w.BulkString("Hello World")
	case "integer":
		w.Int(12345)
	case "double":
		w.Double(3.141)
	case "bignum":
		n, _ := new(big.Int).SetString("1234567999999999999999999999999999999", 10)
		w.BigNumber(n)
	case "null":
		w.Null()
	case "array", "set":
		if name == "set" {
			w.Set(3)
		} else {
			w.Array(3)
		}
		for i := int64(0); i < 3; i++ {
			w.Int(i)
		}
	case "map":
		w.Map(3)
		for i := int64(0); i < 3; i++ {
			w.Int(i)
			w.Bool(i == 1)
		}
	case "attrib":
		// An attribute is not a reply: a real one follows it (RESP2 gets only that).
		if w.RESP3() {
			w.Attribute(1)
			w.BulkString("key-popularity")
			w.Array(2)
			w.BulkString("key:123")
			w.Int(90)
		}
		w.BulkString("Some real reply following the attribute")
	case "push":
		if !w.RESP3() {
			w.Error("ERR RESP2 is not supported by this command")
			return
		}
		w.Push(2)
		w.BulkString("server-cpu-usage")
		w.Int(42)
		w.BulkString("Some real reply following the push reply")
	case "true", "false":
		w.Bool(name == "true")
	case "verbatim":
		w.Verbatim("txt", "This is a verbatim\nstring")
	default:
		w.Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
func shutdownCmd(cl *client, args [][]byte, w *proto.Writer) {
	var save, nosave, force bool
	for _, a := range args[1:] {
		switch strings.ToLower(string(a)) {
		case "save":
			save = true
		case "nosave":
			nosave = true
		case "force":
			force = true
		case "now":
		case "abort":
			w.Error("ERR No shutdown in progress.")
			return
		default:
			w.Error(proto.ErrSyntax)
			return
		}
	}
	if save && nosave {
		w.Error(proto.ErrSyntax)
		return
	}
	srv := cl.srv
	srv.log.warning("User requested shutdown...")
	if !srv.wantsSaveOnShutdown(save, nosave) {
		srv.stopAsync()
		// Redis closes the connection without a reply when the shutdown succeeds.
		cl.closeAfterReply = true
		return
	}
	var err error
	cl.fanoutWith(1, func(ack func(int)) {
		go func() {
			err = srv.saveForShutdown()
			ack(0)
		}()
	}, func(w *proto.Writer) {
		if err != nil && !force {
			w.Error("ERR Errors trying to SHUTDOWN. Check logs.")
			return
		}
		srv.stopAsync()
		cl.closeAfterReply = true
	})
}

// DEBUG DIGEST: the dataset's digest, all zeros when it is empty. Every shard XORs the
// digests of its keys per database; the databases are then mixed in order, as
// redis-server does over its single keyspace (XOR does not care which shard a key is on).
func debugDigest(cl *client) {
	srv := cl.srv
	dbs := srv.cfg.Databases
	parts := make([][]shard.Digest, srv.n)
	counts := make([][]int, srv.n)
	t := cl.newTxn(true)
	t.claimAll(false)
	t.last(srv.allShards(), func(sh *shard.Shard, i int) {
		parts[i], counts[i] = make([]shard.Digest, dbs), make([]int, dbs)
		for db := range dbs {
			parts[i][db], counts[i][db] = sh.DatabaseDigest(db)
		}
	}, func(w *proto.Writer) {
		var final shard.Digest
		for db := range dbs {
			var keys int
			var d shard.Digest
			for i := range parts {
				keys += counts[i][db]
				d.XorWith(parts[i][db])
			}
			if keys > 0 {
				final.MixDB(db)
				final.XorWith(d)
			}
		}
		w.Simple(final.Hex())
	})
}

// DEBUG DIGEST-VALUE key [key ...]: one digest per key, in argument order.
func debugDigestValue(cl *client, args [][]byte) {
	keys := ownArgs(args[2:]) // the parts run after this read buffer is gone
	digests := make([]shard.Digest, len(keys))
	t := cl.newTxn(true)
	for _, k := range keys {
		t.claim(cl.db, k, false)
	}
	db := cl.db
	t.last(t.shards, func(sh *shard.Shard, _ int) {
		for j, k := range keys {
			if cl.srv.shardOf(k) == sh.ID {
				digests[j] = sh.ValueDigest(db, k)
			}
		}
	}, func(w *proto.Writer) {
		w.Array(len(digests))
		for _, d := range digests {
			w.Simple(d.Hex())
		}
	})
}
