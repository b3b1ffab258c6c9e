package coord_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/basaltdb/basalt/coord"
)

// aofScript writes with every command whose AOF form differs from what the client sent:
// relative TTLs, float increments, random pops, blocking pops, cross-shard commands and
// transactions, expiry, FLUSHDB and SWAPDB.
func aofScript(t *testing.T, addr string) {
	t.Helper()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	must := func(args ...any) {
		t.Helper()
		if err := c.Do(ctx, args...).Err(); err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	must("SET", "plain", "v")
	must("SET", "ex", "v", "EX", "1000")
	must("SETEX", "setex", "2000", "v")
	must("PSETEX", "psetex", "3000000", "v")
	must("SET", "gone", "v", "PX", "1")
	must("SET", "k1", "v")
	must("EXPIRE", "k1", "500")
	must("SET", "k2", "v")
	must("EXPIRE", "k2", "-1")
	must("SET", "gex", "v")
	must("GETEX", "gex", "EX", "700")
	must("INCRBYFLOAT", "f", "1.1")
	must("INCRBYFLOAT", "f", "2.25")
	must("HINCRBYFLOAT", "h", "fld", "0.5")
	must("SADD", "s", "a", "b", "c", "d", "e", "f", "g")
	must("SPOP", "s")
	must("SPOP", "s", "2")
	must("SADD", "s2", "x", "y")
	must("SPOP", "s2", "5")
	must("RPUSH", "l", "1", "2", "3")
	must("BLPOP", "l", "0")
	must("BRPOP", "l", "0")
	must("RPUSH", "src", "a", "b", "c")
	must("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
	must("BRPOPLPUSH", "src", "{src}dst", "0")
	must("ZADD", "z", "1", "a", "2", "b", "3", "c")
	must("BZPOPMIN", "z", "0")
	must("BZMPOP", "0", "1", "z", "MAX", "COUNT", "1")
	must("FUNCTION", "LOAD", "#!lua name=aoflib\nredis.register_function('aofanswer', function(keys, args) return 42 end)")
	must("RPUSH", "sortsrc", "3", "1", "2")
	must("SORT", "sortsrc", "STORE", "sorted")
	payload, err := c.Dump(ctx, "plain").Result()
	if err != nil {
		t.Fatal(err)
	}
	must("RESTORE", "restored", "100000", payload)
	must("EVAL", "redis.call('MSET', KEYS[1], ARGV[1], KEYS[2], ARGV[1]) return redis.call('INCR', KEYS[3])", "3", "ev1", "ev2", "ev3", "x")
	must("XADD", "stream", "*", "f", "v")
	must("XADD", "stream", "MAXLEN", "~", "10", "*", "f", "w")
	must("MSET", "m1", "1", "m2", "2", "m3", "3")
	must("RENAME", "m1", "renamed")
	must("SUNIONSTORE", "union", "s", "s2")
	// A BLPOP that waits, served by a push from another client.
	done := make(chan error, 1)
	go func() {
		w := redis.NewClient(&redis.Options{Addr: addr})
		defer w.Close()
		done <- w.BLPop(ctx, 10*time.Second, "waited").Err()
	}()
	time.Sleep(50 * time.Millisecond)
	must("RPUSH", "waited", "x", "y")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Transactions across shards, with a random pop inside.
	pipe := c.TxPipeline()
	pipe.Set(ctx, "t1", "1", 0)
	pipe.Incr(ctx, "t2")
	pipe.SPop(ctx, "union")
	pipe.Expire(ctx, "t1", time.Hour)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	must("SELECT", "1")
	c1 := redis.NewClient(&redis.Options{Addr: addr, DB: 1})
	defer c1.Close()
	c1.Set(ctx, "db1", "v", 0)
	c1.Set(ctx, "db1b", "v", 0)
	c2 := redis.NewClient(&redis.Options{Addr: addr, DB: 2})
	defer c2.Close()
	c2.Set(ctx, "db2", "v", 0)
	if err := c1.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	c1.Set(ctx, "after-flush", "v", 0)
	if err := c.Do(ctx, "SWAPDB", 1, 2).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // "gone" expires; its DEL is logged on access
	c.Get(ctx, "gone")
}

// aofFiles lists the AOF directory's files with the manifest first.
func checkAOF(t *testing.T, dir string) {
	t.Helper()
	out, err := exec.Command("redis-check-aof", filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest")).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("valid")) {
		t.Fatalf("redis-check-aof rejects Basalt's AOF: %v\n%s", err, out)
	}
}

// TestAOFReplaysToTheSameDataset logs a script, then checks that Basalt replaying its
// AOF, redis-server loading it, and Basalt after BGREWRITEAOF all hold the same data.
func TestAOFReplaysToTheSameDataset(t *testing.T) {
	var dir string
	srv, addr := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 3; cfg.AppendOnly = true; dir = cfg.Dir })
	aofScript(t, addr)
	want := dataset(t, addr, false)
	exact := dataset(t, addr, true)
	srv.Stop()
	checkAOF(t, dir)

	srv2, addr2 := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 2; cfg.AppendOnly = true; cfg.Dir = dir })
	sameDataset(t, "Basalt replaying its AOF", exact, dataset(t, addr2, true))
	c := redis.NewClient(&redis.Options{Addr: addr2})
	if v, err := c.Do(context.Background(), "FCALL", "aofanswer", "0").Result(); err != nil || v != int64(42) {
		t.Errorf("after replay FCALL aofanswer = %v, %v", v, err)
	}
	if got := do(t, c, "BGREWRITEAOF"); got != "Background append only file rewriting started" {
		t.Fatalf("BGREWRITEAOF answered %v", got)
	}
	for i := 0; infoField(t, c, "aof_rewrite_in_progress") != "0" || infoField(t, c, "aof_rewrites") != "1"; i++ {
		if i > 500 {
			t.Fatal("the rewrite did not finish")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.Set(context.Background(), "after-rewrite", "v", 0)
	exact["0/after-rewrite"] = "string embstr ttl=false v"
	want["0/after-rewrite"] = "string embstr ttl=false v"
	c.Close()
	srv2.Stop()
	checkAOF(t, dir)
	manifest, _ := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	if !strings.Contains(string(manifest), "seq 2 type b") {
		t.Errorf("after BGREWRITEAOF the manifest is\n%s", manifest)
	}

	_, addr3 := startBasaltWith(t, func(cfg *coord.Config) { cfg.AppendOnly = true; cfg.Dir = dir })
	sameDataset(t, "Basalt after BGREWRITEAOF", exact, dataset(t, addr3, true))
	redisAddr := startRedisIn(t, dir, "--appendonly", "yes")
	sameDataset(t, "redis-server loading Basalt's AOF", want, dataset(t, redisAddr, false))
}

// TestAOFLoadsRedisAOF loads an appendonlydir written by redis-server.
func TestAOFLoadsRedisAOF(t *testing.T) {
	dir := t.TempDir()
	redisAddr := startRedisIn(t, dir, "--appendonly", "yes", "--appendfsync", "always")
	populate(t, redisAddr)
	aofScript(t, redisAddr)
	want := dataset(t, redisAddr, false)
	rc := redis.NewClient(&redis.Options{Addr: redisAddr})
	rc.Do(context.Background(), "SHUTDOWN", "NOSAVE")
	rc.Close()
	_, addr := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 3; cfg.AppendOnly = true; cfg.Dir = dir })
	sameDataset(t, "Basalt loading redis-server's AOF", want, dataset(t, addr, false))
}

// TestAOFTruncatedAndCorrupt: a torn last command is cut off and the rest loads; damage
// in the middle stops start-up with an error naming the file and offset.
func TestAOFTruncatedAndCorrupt(t *testing.T) {
	var dir string
	srv, addr := startBasaltWith(t, func(cfg *coord.Config) { cfg.AppendOnly = true; dir = cfg.Dir })
	c := redis.NewClient(&redis.Options{Addr: addr})
	for i := 0; i < 100; i++ {
		c.Set(context.Background(), fmt.Sprintf("k%d", i), i, 0)
	}
	c.Close()
	srv.Stop()
	incr := filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof")
	good, err := os.ReadFile(incr)
	if err != nil {
		t.Fatal(err)
	}
	torn := append(bytes.Clone(good), "*3\r\n$3\r\nSET\r\n$4\r\nlost"...)
	if err := os.WriteFile(incr, torn, 0o644); err != nil {
		t.Fatal(err)
	}
	strict := coord.DefaultConfig()
	strict.Port, strict.Bind, strict.LogLevel, strict.MetricsPort = freePort(t), []string{"127.0.0.1"}, "nothing", 0
	strict.Dir, strict.AppendOnly, strict.AOFLoadTruncated = dir, true, false
	if s, err := coord.Start(strict); err == nil {
		s.Stop()
		t.Error("aof-load-truncated no: a torn AOF was loaded")
	}
	srv2, addr2 := startBasaltWith(t, func(cfg *coord.Config) { cfg.AppendOnly = true; cfg.Dir = dir })
	c2 := redis.NewClient(&redis.Options{Addr: addr2})
	if n := c2.DBSize(context.Background()).Val(); n != 100 {
		t.Errorf("after a torn last command: %d keys, want 100", n)
	}
	c2.Close()
	srv2.Stop()

	bad := bytes.Clone(good)
	copy(bad[len(bad)/2:], "#garbage#")
	if err := os.WriteFile(incr, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := coord.DefaultConfig()
	cfg.Port = freePort(t)
	cfg.Bind = []string{"127.0.0.1"}
	cfg.LogLevel = "nothing"
	cfg.Dir = dir
	cfg.AppendOnly = true
	cfg.MetricsPort = 0
	s, err := coord.Start(cfg)
	if err == nil {
		// The server may have started serving before replay failed: it must stop.
		defer s.Stop()
		deadline := time.Now().Add(5 * time.Second)
		for pingOnce(net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port))) == nil {
			if time.Now().After(deadline) {
				t.Fatal("a corrupt AOF was loaded")
			}
			time.Sleep(20 * time.Millisecond)
		}
		return
	}
	if !strings.Contains(err.Error(), "appendonly.aof.1.incr.aof") {
		t.Errorf("the error does not name the file: %v", err)
	}
}

var (
	serverBinOnce sync.Once
	serverBin     string
	serverBinErr  error
)

// buildServer builds basalt-server once per test binary, for tests that must kill it.
func buildServer(t *testing.T) string {
	serverBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "basalt-bin")
		if err != nil {
			serverBinErr = err
			return
		}
		serverBin = filepath.Join(dir, "basalt-server")
		out, err := exec.Command("go", "build", "-o", serverBin, "../cmd/basalt-server").CombinedOutput()
		if err != nil {
			serverBinErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if serverBinErr != nil {
		t.Fatalf("go build: %v", serverBinErr)
	}
	return serverBin
}

// startProcess runs basalt-server as a child process and waits for PING.
func startProcess(t *testing.T, dir string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(buildServer(t), append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--loglevel", "warning", "--metrics-port", "0", "--enable-debug-command", "yes"}, args...)...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	setParentDeathSignal(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := waitPing(addr, 20*time.Second); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("basalt-server did not start: %v\n%s", err, out.String())
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, addr
}

// TestAOFSurvivesKill9 writes from several clients, kills the server with SIGKILL, and
// checks after restart: with appendfsync always every acknowledged write is there; with
// everysec at most about the last second of them may be missing.
func TestAOFSurvivesKill9(t *testing.T) {
	for _, policy := range []string{"always", "everysec"} {
		t.Run(policy, func(t *testing.T) {
			dir := t.TempDir()
			cmd, addr := startProcess(t, dir, "--appendonly", "yes", "--appendfsync", policy, "--threads", "2")
			type ack struct {
				key string
				at  time.Time
			}
			var mu sync.Mutex
			var acked []ack
			var stop atomic.Bool
			var wg sync.WaitGroup
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					conn, err := net.Dial("tcp", addr)
					if err != nil {
						return
					}
					defer conn.Close()
					r := bufio.NewReader(conn)
					for i := 0; !stop.Load(); i++ {
						key := fmt.Sprintf("w%d:%d", w, i)
						if _, err := conn.Write(encodeCommand([]string{"SET", key, "v"})); err != nil {
							return
						}
						line, err := r.ReadString('\n')
						if err != nil || line != "+OK\r\n" {
							return
						}
						mu.Lock()
						acked = append(acked, ack{key, time.Now()})
						mu.Unlock()
					}
				}()
			}
			time.Sleep(700 * time.Millisecond)
			_ = cmd.Process.Signal(syscall.SIGKILL)
			killedAt := time.Now()
			_ = cmd.Wait()
			stop.Store(true)
			wg.Wait()
			if len(acked) < 100 {
				t.Fatalf("only %d writes acknowledged before the kill", len(acked))
			}
			_, addr2 := startProcess(t, dir, "--appendonly", "yes", "--threads", "3")
			c := redis.NewClient(&redis.Options{Addr: addr2})
			defer c.Close()
			missing, lateMissing := 0, 0
			for _, a := range acked {
				if c.Exists(context.Background(), a.key).Val() == 0 {
					missing++
					if killedAt.Sub(a.at) < 1500*time.Millisecond {
						lateMissing++
					}
				}
			}
			switch policy {
			case "always":
				if missing > 0 {
					t.Errorf("appendfsync always lost %d of %d acknowledged writes", missing, len(acked))
				}
			case "everysec":
				if missing != lateMissing {
					t.Errorf("appendfsync everysec lost %d writes older than 1.5s (of %d)", missing-lateMissing, len(acked))
				}
			}
			t.Logf("%s: %d acknowledged writes, %d missing after kill -9", policy, len(acked), missing)
		})
	}
}

// TestLoadingAnswersLOADING restarts a server on a large AOF and checks that a client
// arriving during the replay is told so, then sees the whole dataset.
func TestLoadingAnswersLOADING(t *testing.T) {
	dir := t.TempDir()
	const keys = 300_000
	cmd, addr := startProcess(t, dir, "--appendonly", "yes", "--appendfsync", "no")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var batch []byte
	for i := 0; i < keys; i++ {
		batch = append(batch, encodeCommand([]string{"SET", "key:" + strconv.Itoa(i), "value"})...)
	}
	if _, err := conn.Write(batch); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	for i := 0; i < keys; i++ {
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()

	port, metricsPort := freePort(t), freePort(t)
	restart := exec.Command(buildServer(t), "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--appendonly", "yes", "--loglevel", "warning", "--metrics-port", strconv.Itoa(metricsPort), "--metrics-bind", "127.0.0.1")
	readyz := func() int {
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(metricsPort) + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	restart.SysProcAttr = &syscall.SysProcAttr{}
	setParentDeathSignal(restart.SysProcAttr)
	if err := restart.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = restart.Process.Kill()
		_ = restart.Wait()
	}()
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	sawLoading, sawNotReady := false, false
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			time.Sleep(time.Millisecond)
			continue
		}
		_, _ = c.Write(encodeCommand([]string{"DBSIZE"}))
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil {
			continue
		}
		if line == "-LOADING Redis is loading the dataset in memory\r\n" {
			sawLoading = true
			if readyz() == http.StatusServiceUnavailable {
				sawNotReady = true
			}
			continue
		}
		if line != ":"+strconv.Itoa(keys)+"\r\n" {
			t.Fatalf("during or after loading DBSIZE answered %q", line)
		}
		break
	}
	if !sawLoading {
		t.Error("no client saw -LOADING while the AOF was replayed")
	}
	if !sawNotReady {
		t.Error("/readyz never answered 503 while loading")
	}
	if code := readyz(); code != http.StatusOK {
		t.Errorf("/readyz after loading answered %d", code)
	}
}

// TestAOFTimestampAnnotations: with aof-timestamp-enabled each second that has writes
// starts with a "#TS:" line, in the files of both servers, and each loads the other's.
func TestAOFTimestampAnnotations(t *testing.T) {
	ctx := context.Background()
	annotations := func(dir string) []int64 {
		t.Helper()
		files, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.incr.aof"))
		var out []int64
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(string(b), "\r\n") {
				if ts, ok := strings.CutPrefix(line, "#TS:"); ok {
					n, err := strconv.ParseInt(ts, 10, 64)
					if err != nil {
						t.Fatalf("annotation %q", line)
					}
					out = append(out, n)
				}
			}
		}
		return out
	}
	writeTwoSeconds := func(addr string) {
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		c.Set(ctx, "first", "1", 0)
		c.RPush(ctx, "list", "a", "b")
		time.Sleep(1100 * time.Millisecond)
		c.Set(ctx, "second", "2", 0)
		c.Incr(ctx, "counter")
	}

	redisDir := t.TempDir()
	redisAddr := startRedisIn(t, redisDir, "--appendonly", "yes", "--appendfsync", "always", "--aof-timestamp-enabled", "yes")
	writeTwoSeconds(redisAddr)
	want := dataset(t, redisAddr, false)
	rc := redis.NewClient(&redis.Options{Addr: redisAddr})
	rc.Do(ctx, "SHUTDOWN", "NOSAVE")
	rc.Close()
	if ts := annotations(redisDir); !risingSeconds(ts) {
		t.Fatalf("redis-server wrote the annotations %v", ts)
	}
	_, addr := startBasaltWith(t, func(cfg *coord.Config) { cfg.AppendOnly = true; cfg.Dir = redisDir })
	sameDataset(t, "Basalt loading redis-server's annotated AOF", want, dataset(t, addr, false))

	var dir string
	srv, addr2 := startBasaltWith(t, func(cfg *coord.Config) {
		cfg.Threads = 2
		cfg.AppendOnly = true
		cfg.AppendFsync = "always"
		cfg.AOFTimestampEnabled = true
		dir = cfg.Dir
	})
	writeTwoSeconds(addr2)
	srv.Stop()
	if ts := annotations(dir); !risingSeconds(ts) {
		t.Fatalf("Basalt wrote the annotations %v", ts)
	}
	checkAOF(t, dir)
	redisAddr2 := startRedisIn(t, dir, "--appendonly", "yes")
	sameDataset(t, "redis-server loading Basalt's annotated AOF", want, dataset(t, redisAddr2, false))
	_, addr3 := startBasaltWith(t, func(cfg *coord.Config) { cfg.AppendOnly = true; cfg.Dir = dir })
	sameDataset(t, "Basalt reloading its annotated AOF", want, dataset(t, addr3, false))
}

// risingSeconds reports whether an AOF's #TS annotations are what writes spread over
// at least two seconds leave: two or more, each a later second than the one before. A
// loaded machine can stretch the writes over a third second.
func risingSeconds(ts []int64) bool {
	if len(ts) < 2 {
		return false
	}
	for i := 1; i < len(ts); i++ {
		if ts[i] <= ts[i-1] {
			return false
		}
	}
	return true
}

// TestDebugLoadAOF: DEBUG LOADAOF empties the dataset and replays the AOF to the same
// data, writes made after it are logged as before, and it refuses without an AOF.
func TestDebugLoadAOF(t *testing.T) {
	ctx := context.Background()
	var dir string
	srv, addr := startBasaltWith(t, func(cfg *coord.Config) {
		cfg.Threads = 3
		cfg.AppendOnly = true
		cfg.AppendFsync = "always"
		dir = cfg.Dir
	})
	aofScript(t, addr)
	exact := dataset(t, addr, true)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	// A command written into the file behind the server's back shows that the data
	// comes from the file; lists and counters not doubled show that memory was emptied.
	incrs, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.incr.aof"))
	f, err := os.OpenFile(incrs[len(incrs)-1], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$8\r\ninjected\r\n$1\r\nx\r\n")
	f.Close()
	exact["0/injected"] = "string embstr ttl=false x"
	if got := do(t, c, "DEBUG", "LOADAOF"); got != "OK" {
		t.Fatalf("DEBUG LOADAOF answered %v", got)
	}
	sameDataset(t, "after DEBUG LOADAOF", exact, dataset(t, addr, true))
	c.Set(ctx, "after-loadaof", "v", 0)
	exact["0/after-loadaof"] = "string embstr ttl=false v"
	srv.Stop()
	_, addr2 := startBasaltWith(t, func(cfg *coord.Config) { cfg.AppendOnly = true; cfg.Dir = dir })
	sameDataset(t, "restarted after DEBUG LOADAOF and a write", exact, dataset(t, addr2, true))

	_, plain := startBasaltWith(t, func(cfg *coord.Config) {})
	pc := redis.NewClient(&redis.Options{Addr: plain})
	defer pc.Close()
	pc.Set(ctx, "k", "v", 0)
	if err := pc.Do(ctx, "DEBUG", "LOADAOF").Err(); err == nil {
		t.Error("DEBUG LOADAOF with appendonly no answered OK")
	}
	if v := pc.Get(ctx, "k").Val(); v != "v" {
		t.Errorf("a refused DEBUG LOADAOF lost a key: %q", v)
	}
}

// TestAOFReplaysApproximateStreamTrims: XADD and XTRIM with "~" trim whole nodes, so
// their reach depends on node boundaries that a replay (another stream-node-max-entries,
// an RDB base) does not share. They are logged as the exact trims they came to, so
// Basalt's replay and redis-server's load hold the same entries.
func TestAOFReplaysApproximateStreamTrims(t *testing.T) {
	ctx := context.Background()
	var dir string
	_, addr := startBasaltWith(t, func(cfg *coord.Config) {
		cfg.AppendOnly = true
		cfg.AppendFsync = "always"
		cfg.StreamNodeMaxEntries = 10
		dir = cfg.Dir
	})
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	for i := 1; i <= 100; i++ {
		c.XAdd(ctx, &redis.XAddArgs{Stream: "sm", ID: strconv.Itoa(i), Values: []string{"f", "v"}})
		c.XAdd(ctx, &redis.XAddArgs{Stream: "si", ID: strconv.Itoa(i), Values: []string{"f", "v"}})
	}
	steps := [][]any{
		{"XADD", "sm", "MAXLEN", "~", "55", "101", "f", "v"},
		{"XADD", "si", "MINID", "~", "37", "LIMIT", "20", "101", "f", "v"},
		{"XTRIM", "sm", "MAXLEN", "~", "25"},
		{"XTRIM", "si", "MINID", "~", "63"},
		{"XTRIM", "sm", "MAXLEN", "~", "1000"}, // trims nothing: not logged
	}
	for _, s := range steps {
		if err := c.Do(ctx, s...).Err(); err != nil {
			t.Fatalf("%v: %v", s, err)
		}
	}
	want := dataset(t, addr, false)
	if want["0/sm"] == want["0/si"] {
		t.Fatalf("the two streams ended alike: %v", want)
	}
	c.ConfigSet(ctx, "stream-node-max-entries", "1")
	if got := do(t, c, "DEBUG", "LOADAOF"); got != "OK" {
		t.Fatalf("DEBUG LOADAOF answered %v", got)
	}
	sameDataset(t, "Basalt replaying with one entry per node", want, dataset(t, addr, false))
	redisAddr := startRedisIn(t, dir, "--appendonly", "yes", "--stream-node-max-entries", "3")
	sameDataset(t, "redis-server loading Basalt's AOF", want, dataset(t, redisAddr, false))
}
