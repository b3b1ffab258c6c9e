package coord_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawConn is a plain RESP connection for tests that compare bytes.
type rawConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, r: bufio.NewReader(c)}
}

// do sends one command and returns its raw reply.
func (rc *rawConn) do(args ...string) string {
	rc.t.Helper()
	if _, err := rc.c.Write(encodeCommand(args)); err != nil {
		rc.t.Fatalf("write: %v", err)
	}
	_ = rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	rep, err := readReply(rc.r)
	if err != nil {
		rc.t.Fatalf("%v: %v", args, err)
	}
	return string(rep)
}

var monitorPrefix = regexp.MustCompile(`^\+\d+\.\d{6} \[(\d+) [^\]]+\] `)

// monitorTranscript runs cmds on one connection while another MONITORs, and returns
// the monitor's lines with timestamps and addresses masked.
func monitorTranscript(t *testing.T, addr string, cmds [][]string) []string {
	t.Helper()
	mon := dialRaw(t, addr)
	if rep := mon.do("MONITOR"); rep != "+OK\r\n" {
		t.Fatalf("MONITOR = %q", rep)
	}
	cl := dialRaw(t, addr)
	for _, c := range cmds {
		cl.do(c...)
	}
	cl.do("ECHO", "end-of-transcript")
	var out []string
	_ = mon.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		line, err := mon.r.ReadString('\n')
		if err != nil {
			t.Fatalf("monitor read after %q: %v", out, err)
		}
		m := monitorPrefix.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("monitor line %q has not Redis's shape", line)
		}
		out = append(out, "["+m[1]+" ADDR] "+strings.TrimRight(line[len(m[0]):], "\r\n"))
		if strings.Contains(line, "end-of-transcript") {
			return out
		}
	}
}

// MONITOR shows the same lines as redis-server for the same commands: quoting,
// database numbers, MULTI/EXEC order, admin commands left out, AUTH and MIGRATE's
// credentials redacted, rejected
// commands left out.
func TestMonitorMatchesRedis(t *testing.T) {
	cmds := [][]string{
		{"SET", "k", "a\nb\x01\x7f\"q\\ \t\r"},
		{"SELECT", "3"},
		{"set", "k2", "v"},
		{"SELECT", "0"},
		{"MULTI"},
		{"INCR", "c"},
		{"GET", "k"},
		{"EXEC"},
		{"WATCH", "w"},
		{"SET", "w", "1"},
		{"MULTI"},
		{"GET", "w"},
		{"EXEC"},
		{"MULTI"},
		{"GET", "w"},
		{"NOSUCH"},
		{"EXEC"},
		{"CONFIG", "GET", "hz"},
		{"GET", "nokey"},
		{"nosuchcommand", "x"},
		{"GET"},
		{"PING"},
		{"AUTH", "secret"},
		// MIGRATE's credentials are redacted; the target (port 1) refuses at once.
		{"MIGRATE", "127.0.0.1", "1", "k", "0", "100", "AUTH", "pw"},
		{"MIGRATE", "127.0.0.1", "1", "", "0", "100", "AUTH2", "user", "pw", "KEYS", "k", "auth"},
		{"MSET", "a", "1", "b", "2", "c", "3", "d", "4"},
		{"DEL", "a", "b", "c", "d"},
		{"LPUSH", "l", "x"},
		{"LRANGE", "l", "0", "-1"},
		{"SLOWLOG", "LEN"},
		{"CLIENT", "SETNAME", "me"},
		// A script's calls follow its EVAL or FCALL line as "[db lua]", refused calls
		// left out.
		{"EVAL", "redis.call('set',KEYS[1],ARGV[1]) return redis.call('get',KEYS[1])", "1", "foo", "bar"},
		{"EVAL", "redis.call('select','2') redis.call('set','x','y') return redis.pcall('nosuch')", "0"},
		{"EVAL_RO", "return redis.pcall('set','x','y')", "1", "x"},
		{"FUNCTION", "LOAD", "REPLACE", "#!lua name=mon\nredis.register_function('f', function(keys) return redis.call('incr', keys[1]) end)"},
		{"FCALL", "f", "1", "cnt"},
		{"EVALSHA", "0000000000000000000000000000000000000000", "0"},
		{"EVAL", "return 1", "-1"},
		{"EVAL", "error('x')", "0"},
		{"FCALL", "nosuchfunction", "0"},
	}
	want := monitorTranscript(t, startRedis(t), cmds)
	for _, threads := range []int{1, 4} {
		got := monitorTranscript(t, startBasalt(t, threads), cmds)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("threads=%d MONITOR differs:\nbasalt:\n%s\nredis:\n%s", threads, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// A client that quits while monitoring is forgotten: later commands still run.
func TestMonitorClientLeaves(t *testing.T) {
	addr := startBasalt(t, 2)
	mon := dialRaw(t, addr)
	mon.do("MONITOR")
	mon.c.Close()
	cl := dialRaw(t, addr)
	for i := 0; i < 20; i++ {
		if rep := cl.do("SET", "k"+strconv.Itoa(i), "v"); rep != "+OK\r\n" {
			t.Fatalf("SET = %q", rep)
		}
	}
	if list := cl.do("CLIENT", "LIST"); strings.Contains(list, "flags=O") {
		t.Fatalf("closed monitor still listed:\n%s", list)
	}
}

// The slow log keeps a DEBUG SLEEP that took longer than the threshold, with its
// arguments, client address and name; LEN and RESET work.
func TestSlowlogDebugSleep(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 2)
	c := newClient(t, addr)
	c.Do(ctx, "slowlog", "reset")
	c.Do(ctx, "client", "setname", "sleeper")
	c.Do(ctx, "debug", "sleep", "0.05")
	entries, err := c.Do(ctx, "slowlog", "get").Slice()
	if err != nil || len(entries) != 1 {
		t.Fatalf("SLOWLOG GET = %v, %v", entries, err)
	}
	e := entries[0].([]any)
	if us := e[2].(int64); us < 50000 {
		t.Errorf("duration %dµs", us)
	}
	if args := e[3].([]any); len(args) != 3 || args[0] != "debug" || args[2] != "0.05" {
		t.Errorf("args %v", args)
	}
	if e[5] != "sleeper" || !strings.HasPrefix(e[4].(string), "127.0.0.1:") {
		t.Errorf("client %v %v", e[4], e[5])
	}
	if n := c.Do(ctx, "slowlog", "len").Val(); n != int64(1) {
		t.Errorf("SLOWLOG LEN = %v", n)
	}
	c.Do(ctx, "slowlog", "reset")
	if n := c.Do(ctx, "slowlog", "len").Val(); n != int64(0) {
		t.Errorf("SLOWLOG LEN after RESET = %v", n)
	}
	if err := c.Do(ctx, "slowlog", "get", "-2").Err(); err == nil || err.Error() != "ERR count should be greater than or equal to -1" {
		t.Errorf("SLOWLOG GET -2: %v", err)
	}
}

// With slowlog-log-slower-than 0 every command is logged; long argument lists and long
// arguments are cut as redis-server cuts them, for local and remote commands alike.
func TestSlowlogArgumentsMatchRedis(t *testing.T) {
	ctx := context.Background()
	run := func(addr string) [][]any {
		c := newClient(t, addr)
		c.Do(ctx, "config", "set", "slowlog-max-len", "2")
		c.Do(ctx, "config", "set", "slowlog-log-slower-than", "0")
		args := []any{"rpush", "list"}
		for i := 0; i < 40; i++ {
			args = append(args, strconv.Itoa(i))
		}
		c.Do(ctx, args...)
		c.Do(ctx, "set", "key", strings.Repeat("v", 300))
		entries, err := c.Do(ctx, "slowlog", "get", "-1").Slice()
		if err != nil {
			t.Fatalf("SLOWLOG GET: %v", err)
		}
		var out [][]any
		for _, e := range entries {
			out = append(out, e.([]any)[3].([]any))
		}
		c.Do(ctx, "config", "set", "slowlog-log-slower-than", "10000")
		return out
	}
	want := run(startRedis(t))
	got := run(startBasalt(t, 4))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("slow log arguments:\nbasalt %q\nredis  %q", got, want)
	}
}

// The latency monitor records DEBUG SLEEP above latency-monitor-threshold; per-command
// histograms feed LATENCY HISTOGRAM and INFO latencystats.
func TestLatencyDebugSleep(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 2)
	c := newClient(t, addr)
	if got := c.Do(ctx, "latency", "latest").Val(); len(got.([]any)) != 0 {
		t.Fatalf("LATENCY LATEST before any spike = %v", got)
	}
	c.Do(ctx, "config", "set", "latency-monitor-threshold", "10")
	c.Do(ctx, "debug", "sleep", "0.03")
	c.Set(ctx, "k", "v", 0)
	latest, err := c.Do(ctx, "latency", "latest").Slice()
	if err != nil || len(latest) != 1 {
		t.Fatalf("LATENCY LATEST = %v, %v", latest, err)
	}
	ev := latest[0].([]any)
	if ev[0] != "command" || ev[2].(int64) < 30 || ev[3].(int64) < 30 {
		t.Errorf("LATENCY LATEST entry %v", ev)
	}
	hist, _ := c.Do(ctx, "latency", "history", "command").Slice()
	if len(hist) != 1 || hist[0].([]any)[1].(int64) < 30 {
		t.Errorf("LATENCY HISTORY command = %v", hist)
	}
	if n := c.Do(ctx, "latency", "reset").Val(); n != int64(1) {
		t.Errorf("LATENCY RESET = %v", n)
	}
	if got := c.Do(ctx, "latency", "history", "command").Val(); len(got.([]any)) != 0 {
		t.Errorf("LATENCY HISTORY after RESET = %v", got)
	}

	h, err := c.Do(ctx, "latency", "histogram", "set", "debug", "nosuch").Result()
	if err != nil {
		t.Fatalf("LATENCY HISTOGRAM: %v", err)
	}
	m := asMap(h)
	if len(m) != 2 {
		t.Fatalf("LATENCY HISTOGRAM = %v", m)
	}
	dbg := asMap(m["debug"])
	if dbg["calls"] != int64(1) {
		t.Errorf("debug histogram %v", dbg)
	}
	// 30 ms falls in a power-of-two bucket from 2^25 ns (33554 µs) up.
	cdf := asMap(dbg["histogram_usec"])
	for bound, n := range cdf {
		if len(cdf) != 1 || bound.(int64) < 33554 || n != int64(1) {
			t.Errorf("debug histogram buckets %v", cdf)
		}
	}

	info := c.Info(ctx, "latencystats").Val()
	line := regexp.MustCompile(`latency_percentiles_usec_debug:p50=([0-9.]+),p99=([0-9.]+),p99\.9=([0-9.]+)\r\n`).FindStringSubmatch(info)
	if line == nil {
		t.Fatalf("INFO latencystats:\n%s", info)
	}
	if p50, _ := strconv.ParseFloat(line[1], 64); p50 < 30000 || p50 > 33000 {
		t.Errorf("debug p50 = %v µs", p50)
	}
	if !strings.Contains(info, "latency_percentiles_usec_set:p50=") {
		t.Errorf("INFO latencystats lacks set:\n%s", info)
	}
	c.Do(ctx, "config", "set", "latency-tracking-info-percentiles", "50 99.99")
	if info := c.Info(ctx, "latencystats").Val(); !regexp.MustCompile(`latency_percentiles_usec_set:p50=[0-9.]+,p99\.99=[0-9.]+\r\n`).MatchString(info) {
		t.Errorf("custom percentiles:\n%s", info)
	}
	if err := c.Do(ctx, "config", "set", "latency-tracking-info-percentiles", "101").Err(); err == nil {
		t.Error("percentile 101 accepted")
	}
}

// Replies that do not depend on memory figures match redis-server: errors and misses of
// MEMORY USAGE, SLOWLOG and LATENCY argument errors.
func TestIntrospectionErrorsMatchRedis(t *testing.T) {
	cmds := [][]string{
		{"SET", "str", "value"},
		{"MEMORY", "USAGE", "nokey"},
		{"MEMORY", "USAGE", "nokey", "SAMPLES", "-1"},
		{"MEMORY", "USAGE", "str", "SAMPLES", "x"},
		{"MEMORY", "USAGE", "str", "SAMPLES"},
		{"MEMORY", "USAGE", "str", "foo", "1"},
		{"MEMORY", "USAGE"},
		{"MEMORY", "NOSUCH"},
		{"SLOWLOG", "GET", "x"},
		{"SLOWLOG", "GET", "1", "2"},
		{"SLOWLOG", "LEN", "x"},
		{"SLOWLOG", "HELP"},
		{"SLOWLOG", "NOSUCH"},
		{"LATENCY", "HISTORY"},
		{"LATENCY", "HISTORY", "nosuch"},
		{"LATENCY", "RESET", "nosuch"},
		{"LATENCY", "LATEST", "x"},
		{"MONITOR", "x"},
	}
	run := func(addr string) []string {
		rc := dialRaw(t, addr)
		var out []string
		for _, c := range cmds {
			out = append(out, rc.do(c...))
		}
		return out
	}
	want := run(startRedis(t))
	got := run(startBasalt(t, 4))
	for i := range cmds {
		if got[i] != want[i] {
			t.Errorf("%q:\nbasalt %q\nredis  %q", cmds[i], got[i], want[i])
		}
	}
}

// MEMORY USAGE grows with the value; SAMPLES 0 looks at every element; MEMORY STATS
// and DOCTOR answer; DEBUG OBJECT has Redis's shape.
func TestMemoryCommands(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	c := newClient(t, addr)
	c.Set(ctx, "small", "v", 0)
	c.Set(ctx, "big", strings.Repeat("v", 10000), 0)
	small, _ := c.Do(ctx, "memory", "usage", "small").Int64()
	big, _ := c.Do(ctx, "memory", "usage", "big").Int64()
	if small <= 0 || big < small+10000 {
		t.Errorf("MEMORY USAGE small %d big %d", small, big)
	}
	for i := 0; i < 1000; i++ {
		c.SAdd(ctx, "set", "member-"+strconv.Itoa(i))
	}
	all, _ := c.Do(ctx, "memory", "usage", "set", "samples", "0").Int64()
	five, _ := c.Do(ctx, "memory", "usage", "set").Int64()
	if all < 1000*10 || five < all/2 || five > all*2 {
		t.Errorf("MEMORY USAGE of a 1000-member set: all %d, sampled %d", all, five)
	}
	stats, err := c.Do(ctx, "memory", "stats").Result()
	if err != nil {
		t.Fatalf("MEMORY STATS: %v", err)
	}
	flat := stats.([]any)
	fields := map[string]any{}
	for i := 0; i+1 < len(flat); i += 2 {
		fields[flat[i].(string)] = flat[i+1]
	}
	if fields["keys.count"] != int64(3) || fields["total.allocated"].(int64) <= 0 {
		t.Errorf("MEMORY STATS %v", fields)
	}
	if _, ok := fields["db.0"]; !ok {
		t.Errorf("MEMORY STATS lacks db.0: %v", fields)
	}
	if s, err := c.Do(ctx, "memory", "doctor").Text(); err != nil || s == "" {
		t.Errorf("MEMORY DOCTOR = %q, %v", s, err)
	}
	for i := 0; i < 300; i++ {
		c.RPush(ctx, "list", i)
	}
	obj, err := c.Do(ctx, "debug", "object", "list").Text()
	if err != nil || !regexp.MustCompile(`^Value at:0x[0-9a-f]+ refcount:1 encoding:(listpack|quicklist) serializedlength:\d+ lru:\d+ lru_seconds_idle:\d+`).MatchString(obj) {
		t.Errorf("DEBUG OBJECT = %q, %v", obj, err)
	}
	if err := c.Do(ctx, "debug", "object", "nokey").Err(); err == nil || err.Error() != "ERR no such key" {
		t.Errorf("DEBUG OBJECT nokey: %v", err)
	}
}

// CLIENT LIST and CLIENT INFO list Redis's fields in Redis's order, and the state flags.
func TestClientListFields(t *testing.T) {
	names := func(line string) []string {
		var out []string
		for _, f := range strings.Fields(line) {
			k, _, _ := strings.Cut(f, "=")
			out = append(out, k)
		}
		return out
	}
	ctx := context.Background()
	info := func(addr string) []string {
		s, err := newClient(t, addr).Do(ctx, "client", "info").Text()
		if err != nil {
			t.Fatalf("CLIENT INFO: %v", err)
		}
		return names(s)
	}
	want := info(startRedis(t))
	addr := startBasalt(t, 2)
	got := info(addr)
	// Redis 7.2 adds lib-name and lib-ver at the end; the oracle is 7.0.
	if !reflect.DeepEqual(got, append(want, "lib-name", "lib-ver")) {
		t.Errorf("CLIENT INFO fields:\nbasalt %v\nredis  %v", got, want)
	}

	rc := dialRaw(t, addr)
	rc.do("MULTI")
	rc.do("SET", "a", "1")
	other := dialRaw(t, addr)
	list := other.do("CLIENT", "LIST")
	if !regexp.MustCompile(`flags=x db=0 sub=0 psub=0 ssub=0 multi=1 `).MatchString(list) {
		t.Errorf("CLIENT LIST of a client in MULTI:\n%s", list)
	}
	mon := dialRaw(t, addr)
	mon.do("MONITOR")
	if list := other.do("CLIENT", "LIST"); !strings.Contains(list, "flags=O ") {
		t.Errorf("CLIENT LIST of a monitor:\n%s", list)
	}
}

// asMap reads a map reply, which RESP2 sends as a flat array.
func asMap(v any) map[any]any {
	switch v := v.(type) {
	case map[any]any:
		return v
	case []any:
		m := map[any]any{}
		for i := 0; i+1 < len(v); i += 2 {
			m[v[i]] = v[i+1]
		}
		return m
	}
	return nil
}

// INFO clients counts the clients that WATCH keys and the keys they watch.
func TestInfoWatchingClients(t *testing.T) {
	addr := startBasalt(t, 4)
	a, b := dialRaw(t, addr), dialRaw(t, addr)
	a.do("WATCH", "k1", "k2", "k3")
	b.do("WATCH", "k1")
	info := a.do("INFO", "clients")
	if !strings.Contains(info, "watching_clients:2\r\n") || !strings.Contains(info, "total_watched_keys:3\r\n") {
		t.Errorf("INFO clients:\n%s", info)
	}
}

// Right after CONFIG RESETSTAT only that call is recorded: LATENCY HISTOGRAM does not
// count itself, with one shard or several (redis-server's unit/latency-monitor checks
// the same).
func TestLatencyHistogramLeavesItselfOut(t *testing.T) {
	ctx := context.Background()
	for _, threads := range []int{1, 3} {
		c := newClient(t, startBasalt(t, threads))
		c.Set(ctx, "k", "v", 0)
		c.Do(ctx, "config", "resetstat")
		if m := asMap(c.Do(ctx, "latency", "histogram").Val()); len(m) != 1 || m["config|resetstat"] == nil {
			t.Errorf("%d shards: LATENCY HISTOGRAM after CONFIG RESETSTAT = %v", threads, m)
		}
		if m := asMap(c.Do(ctx, "latency", "histogram").Val()); len(m) != 2 || m["latency|histogram"] == nil {
			t.Errorf("%d shards: the second LATENCY HISTOGRAM = %v", threads, m)
		}
	}
}

// INFO memory counts cached scripts and loaded functions as redis-server does, and
// SCRIPT FLUSH ASYNC empties the count (Redis's unit/scripting checks it).
func TestInfoCountsScripts(t *testing.T) {
	field := func(info, name string) string {
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, name+":"); ok {
				return v
			}
		}
		return "missing"
	}
	counts := func(addr string) []string {
		c := dialRaw(t, addr)
		for i := 0; i < 5; i++ {
			c.do("SCRIPT", "LOAD", fmt.Sprintf("return %d", i))
		}
		c.do("FUNCTION", "LOAD", "#!lua name=infolib\nredis.register_function('f1', function() return 1 end)\nredis.register_function('f2', function() return 2 end)")
		info := c.do("INFO", "memory")
		got := []string{field(info, "number_of_cached_scripts"), field(info, "number_of_functions")}
		c.do("SCRIPT", "FLUSH", "ASYNC")
		c.do("FUNCTION", "FLUSH")
		info = c.do("INFO", "memory")
		return append(got, field(info, "number_of_cached_scripts"), field(info, "number_of_functions"))
	}
	want := counts(startRedis(t))
	if got := counts(startBasalt(t, 2)); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("scripts and functions before and after the flushes: basalt %v, redis %v", got, want)
	}
}

// An error that ends a blocking command's wait counts in INFO errorstats and in the
// command's failed_calls, as in redis-server.
func TestBlockedErrorCounted(t *testing.T) {
	stats := func(addr string) []string {
		blocked, admin := dialRaw(t, addr), dialRaw(t, addr)
		admin.do("CONFIG", "RESETSTAT")
		id := strings.TrimSpace(strings.TrimPrefix(blocked.do("CLIENT", "ID"), ":"))
		if _, err := blocked.c.Write(encodeCommand([]string{"BLPOP", "nolist", "0"})); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(admin.do("CLIENT", "LIST"), "cmd=blpop") && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		admin.do("CLIENT", "UNBLOCK", id, "ERROR")
		rep, err := readReply(blocked.r)
		if err != nil {
			t.Fatal(err)
		}
		info := admin.do("INFO", "everything")
		var out []string
		out = append(out, string(rep))
		for _, line := range strings.Split(info, "\r\n") {
			switch {
			case strings.HasPrefix(line, "errorstat_"), strings.HasPrefix(line, "total_error_replies:"):
				out = append(out, line)
			case strings.HasPrefix(line, "cmdstat_blpop:"):
				out = append(out, line[strings.Index(line, "rejected_calls"):])
			}
		}
		return out
	}
	want := stats(startRedis(t))
	if got := stats(startBasalt(t, 2)); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after CLIENT UNBLOCK ERROR:\nbasalt %q\nredis  %q", got, want)
	}
}
