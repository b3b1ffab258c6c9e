package coord_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/basaltdb/basalt/coord"
	"github.com/basaltdb/basalt/persist"
	"github.com/basaltdb/basalt/shard"
)

// populate writes keys of every type in every encoding, with and without TTLs, in three
// databases.
func populate(t *testing.T, addr string) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 7))
	random := make([]byte, 1000)
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	for db := 0; db < 3; db++ {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db})
		p := c.Pipeline()
		pre := fmt.Sprintf("db%d:", db)
		p.Set(ctx, pre+"s:int", "12345", 0)
		p.Set(ctx, pre+"s:neg", "-7", 0)
		p.Set(ctx, pre+"s:maxint", "9223372036854775807", 0)
		p.Set(ctx, pre+"s:short", "hello world", 0)
		p.Set(ctx, pre+"s:bin", "a\x00b\r\nc\xff", 0)
		p.Set(ctx, pre+"s:empty", "", 0)
		p.Set(ctx, pre+"s:long", strings.Repeat("compressible ", 800), 0)
		p.Set(ctx, pre+"s:random", random, 0)
		p.Set(ctx, pre+"s:ttl", "expiring", time.Hour)
		p.Append(ctx, pre+"s:raw", "appended")
		p.RPush(ctx, pre+"l:small", "a", "1", "-2", "b", "9999999999")
		for i := 0; i < 1000; i++ {
			p.RPush(ctx, pre+"l:big", fmt.Sprintf("element-%d", i), i)
		}
		p.RPush(ctx, pre+"l:plain", "x", strings.Repeat("y", 20000), "z")
		for i := 0; i < 100; i++ {
			p.SAdd(ctx, pre+"set:ints", i*7-50)
			p.SAdd(ctx, pre+"set:ht", fmt.Sprintf("member-%d", i*13))
		}
		p.SAdd(ctx, pre+"set:lp", "a", "b", "c", "1")
		for i := 0; i < 300; i++ {
			p.SAdd(ctx, pre+"set:ht", fmt.Sprintf("more-%d", i))
		}
		p.HSet(ctx, pre+"h:small", "f1", "v1", "f2", "2", "f3", "")
		for i := 0; i < 600; i++ {
			p.HSet(ctx, pre+"h:big", fmt.Sprintf("field-%d", i), i)
		}
		p.HSet(ctx, pre+"h:longval", "f", strings.Repeat("v", 100))
		p.ZAdd(ctx, pre+"z:small", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: -2.5, Member: "b"}, redis.Z{Score: 1e300, Member: "c"})
		for i := 0; i < 300; i++ {
			p.ZAdd(ctx, pre+"z:big", redis.Z{Score: float64(i) / 3, Member: fmt.Sprintf("m%d", i)})
		}
		p.Do(ctx, "ZADD", pre+"z:inf", "inf", "top", "-inf", "bottom", "0", "zero")
		p.Expire(ctx, pre+"z:inf", time.Hour)
		p.Expire(ctx, pre+"h:small", 2*time.Hour)
		if _, err := p.Exec(ctx); err != nil {
			t.Fatalf("populate db %d: %v", db, err)
		}
		c.Close()
	}
}

// dataset reads every key of databases 0..2 into a canonical text form: type, encoding,
// whether it has a TTL, and its content. Lists and sets leave the encoding out unless
// exact is set: redis-server 7.0 has no listpack encoding for them (7.2 does, and so
// does Basalt).
func dataset(t *testing.T, addr string, exact bool) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for db := 0; db < 3; db++ {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db})
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatalf("KEYS on %s: %v", addr, err)
		}
		for _, k := range keys {
			typ := c.Type(ctx, k).Val()
			enc := c.ObjectEncoding(ctx, k).Val()
			if !exact && (typ == "list" || typ == "set") {
				enc = "-"
			}
			ttl := c.PTTL(ctx, k).Val() > 0
			var body any
			switch typ {
			case "string":
				body = c.Get(ctx, k).Val()
			case "list":
				body = c.LRange(ctx, k, 0, -1).Val()
			case "set":
				m := c.SMembers(ctx, k).Val()
				slices.Sort(m)
				body = m
			case "hash":
				body = c.HGetAll(ctx, k).Val()
			case "zset":
				body = c.ZRangeWithScores(ctx, k, 0, -1).Val()
			case "stream":
				body = c.XRange(ctx, k, "-", "+").Val()
			}
			out[fmt.Sprintf("%d/%s", db, k)] = fmt.Sprintf("%s %s ttl=%v %v", typ, enc, ttl, body)
		}
		c.Close()
	}
	return out
}

func sameDataset(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	if len(want) != len(got) {
		t.Errorf("%s: %d keys, want %d", what, len(got), len(want))
	}
	n := 0
	for k, v := range want {
		if got[k] != v && n < 10 {
			n++
			t.Errorf("%s: key %s:\n got %.300s\nwant %.300s", what, k, got[k], v)
		}
	}
}

func do(t *testing.T, c *redis.Client, args ...any) any {
	t.Helper()
	v, err := c.Do(context.Background(), args...).Result()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

func infoField(t *testing.T, c *redis.Client, name string) string {
	t.Helper()
	info := c.Info(context.Background(), "persistence", "clients").Val()
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO has no field %s", name)
	return ""
}

// TestSaveLoadsInRedisAndBack saves a dataset of every type from Basalt, checks the file
// with redis-check-rdb, loads it in redis-server and in a fresh Basalt, and compares.
func TestSaveLoadsInRedisAndBack(t *testing.T) {
	var dir string
	srv, addr := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 3; dir = cfg.Dir })
	populate(t, addr)
	want := dataset(t, addr, false)
	exact := dataset(t, addr, true)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if got := do(t, c, "SAVE"); got != "OK" {
		t.Fatalf("SAVE answered %v", got)
	}
	file := filepath.Join(dir, "dump.rdb")
	if out, err := exec.Command("redis-check-rdb", file).CombinedOutput(); err != nil || !bytes.Contains(out, []byte("RDB looks OK")) {
		t.Fatalf("redis-check-rdb rejects Basalt's file: %v\n%s", err, out)
	}
	redisAddr := startRedisIn(t, dir)
	sameDataset(t, "redis-server loading Basalt's RDB", want, dataset(t, redisAddr, false))

	srv.Stop()
	_, addr2 := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 2; cfg.Dir = dir })
	sameDataset(t, "Basalt reloading its RDB", exact, dataset(t, addr2, true))
	c2 := redis.NewClient(&redis.Options{Addr: addr2})
	defer c2.Close()
	if got, n := infoField(t, c2, "rdb_last_load_keys_loaded"), len(want); got != fmt.Sprint(n) {
		t.Errorf("rdb_last_load_keys_loaded = %s, want %d", got, n)
	}
	if got := infoField(t, c2, "rdb_changes_since_last_save"); got != "0" {
		t.Errorf("rdb_changes_since_last_save after loading = %s, want 0", got)
	}
}

// TestLoadRedisRDB loads a file written by redis-server.
func TestLoadRedisRDB(t *testing.T) {
	dir := t.TempDir()
	redisAddr := startRedisIn(t, dir)
	populate(t, redisAddr)
	want := dataset(t, redisAddr, false)
	rc := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer rc.Close()
	do(t, rc, "SAVE")
	_, addr := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 3; cfg.Dir = dir })
	sameDataset(t, "Basalt loading redis-server's RDB", want, dataset(t, addr, false))
}

// TestDebugReload checks that DEBUG RELOAD keeps the dataset.
func TestDebugReload(t *testing.T) {
	_, addr := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 2 })
	populate(t, addr)
	want := dataset(t, addr, true)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if got := do(t, c, "DEBUG", "RELOAD"); got != "OK" {
		t.Fatalf("DEBUG RELOAD answered %v", got)
	}
	sameDataset(t, "after DEBUG RELOAD", want, dataset(t, addr, true))
}

// TestCorruptRDBStopsStartup checks that a truncated or damaged file is refused with an
// error naming the offset, and nothing is served.
func TestCorruptRDBStopsStartup(t *testing.T) {
	var dir string
	srv, addr := startBasaltWith(t, func(cfg *coord.Config) { dir = cfg.Dir })
	populate(t, addr)
	c := redis.NewClient(&redis.Options{Addr: addr})
	do(t, c, "SAVE")
	c.Close()
	srv.Stop()
	file := filepath.Join(dir, "dump.rdb")
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	damaged := bytes.Clone(good)
	damaged[len(damaged)/2] ^= 0x5a
	for name, content := range map[string][]byte{
		"truncated": good[:len(good)*2/3],
		"flipped":   damaged,
		"bad magic": append([]byte("REDIX"), good[5:]...),
	} {
		if err := os.WriteFile(file, content, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := coord.DefaultConfig()
		cfg.Port = freePort(t)
		cfg.Bind = []string{"127.0.0.1"}
		cfg.LogLevel = "nothing"
		cfg.Dir = dir
		cfg.MetricsPort = 0
		s, err := coord.Start(cfg)
		if err == nil {
			s.Stop()
			t.Errorf("%s RDB: the server started", name)
			continue
		}
		if !strings.Contains(err.Error(), "byte") {
			t.Errorf("%s RDB: the error does not name the offset: %v", name, err)
		}
	}
}

// TestBgsaveIsAPointInTime saves while clients write pairs of keys on different shards
// with MSET, and checks that every pair in every file is equal: no multi-shard write is
// cut in half, and every key of the cut is there.
func TestBgsaveIsAPointInTime(t *testing.T) {
	var dir string
	_, addr := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 4; dir = cfg.Dir })
	ctx := context.Background()
	const pairs = 200
	c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 16})
	defer c.Close()
	for i := 0; i < pairs; i++ {
		c.MSet(ctx, fmt.Sprintf("a%d", i), 0, fmt.Sprintf("b%d", i), 0)
	}
	var stop atomic.Bool
	var msets atomic.Int64
	defer func() { t.Logf("%d MSETs", msets.Load()) }()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := 1; !stop.Load(); v++ {
				i := rand.IntN(pairs)
				c.MSet(ctx, fmt.Sprintf("a%d", i), v, fmt.Sprintf("b%d", i), v)
				msets.Add(1)
				c.Set(ctx, fmt.Sprintf("filler%d", rand.IntN(5000)), strings.Repeat("x", 100), 0)
			}
		}()
	}
	defer func() {
		stop.Store(true)
		wg.Wait()
	}()
	for round := 0; round < 20; round++ {
		if got := do(t, c, "BGSAVE"); got != "Background saving started" {
			t.Fatalf("BGSAVE answered %v", got)
		}
		deadline := time.Now().Add(20 * time.Second)
		for infoField(t, c, "rdb_bgsave_in_progress") != "0" {
			if time.Now().After(deadline) {
				t.Fatal("BGSAVE did not finish in 20s")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if s := infoField(t, c, "rdb_last_bgsave_status"); s != "ok" {
			t.Fatalf("rdb_last_bgsave_status:%s", s)
		}
		f, err := os.Open(filepath.Join(dir, "dump.rdb"))
		if err != nil {
			t.Fatal(err)
		}
		vals := map[string]string{}
		err = persist.Load(f, shard.NewSettings(), func(_ int, key []byte, o shard.Object) error {
			if _, dup := vals[string(key)]; dup {
				return fmt.Errorf("key %s twice", key)
			}
			vals[string(key)] = string(o.Str)
			return nil
		})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < pairs; i++ {
			a, aok := vals[fmt.Sprintf("a%d", i)]
			b, bok := vals[fmt.Sprintf("b%d", i)]
			if !aok || !bok || a != b {
				t.Fatalf("round %d: pair %d in the snapshot: a=%q (%v) b=%q (%v)", round, i, a, aok, b, bok)
			}
		}
	}
}

// TestPersistenceRepliesMatchRedis runs the same persistence scenario against both
// servers: a BGSAVE that fails (its directory vanished) turns writes and PING into
// MISCONF errors while save points exist; FLUSHALL with save points saves and zeroes the
// change counter; LASTSAVE moves forward.
func TestPersistenceRepliesMatchRedis(t *testing.T) {
	ctx := context.Background()
	run := func(addr string) []string {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer c.Close()
		var out []string
		base := t.TempDir()
		note := func(args ...any) {
			v, err := c.Do(ctx, args...).Result()
			line := fmt.Sprintf("%v -> %v", args, v)
			if err != nil {
				line = fmt.Sprintf("%v -> error %v", args, err)
			}
			out = append(out, strings.ReplaceAll(line, base, "$TMP"))
		}
		gone := filepath.Join(base, "gone")
		if err := os.Mkdir(gone, 0o755); err != nil {
			t.Fatal(err)
		}
		note("CONFIG", "SET", "dir", gone)
		note("CONFIG", "SET", "save", "3600 1")
		note("SET", "k", "v")
		note("FLUSHALL")
		out = append(out, "changes after FLUSHALL: "+infoField(t, c, "rdb_changes_since_last_save"))
		if _, err := os.Stat(filepath.Join(gone, "dump.rdb")); err != nil {
			out = append(out, "FLUSHALL did not save: "+err.Error())
		}
		note("SET", "k", "v")
		note("INCR", "n")
		out = append(out, "changes: "+infoField(t, c, "rdb_changes_since_last_save"))
		before := do(t, c, "LASTSAVE").(int64)
		note("BGSAVE", "NOW")
		os.RemoveAll(gone)
		note("BGSAVE")
		for i := 0; i < 500 && infoField(t, c, "rdb_bgsave_in_progress") != "0"; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		out = append(out, "status: "+infoField(t, c, "rdb_last_bgsave_status"))
		note("SET", "k", "v2")
		note("PING")
		note("GET", "k")
		note("DEL", "k")
		note("CONFIG", "SET", "stop-writes-on-bgsave-error", "no")
		note("SET", "k", "v3")
		note("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes")
		note("SET", "k", "v4")
		note("CONFIG", "SET", "save", "")
		note("SET", "k", "v5")
		note("CONFIG", "SET", "dir", base)
		note("SAVE")
		out = append(out, "status after SAVE: "+infoField(t, c, "rdb_last_bgsave_status"))
		if after := do(t, c, "LASTSAVE").(int64); after < before {
			out = append(out, "LASTSAVE went back")
		}
		out = append(out, "changes after SAVE: "+infoField(t, c, "rdb_changes_since_last_save"))
		return out
	}
	want := run(startRedisIn(t, t.TempDir(), "--enable-protected-configs", "yes"))
	_, addr := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 2; cfg.EnableProtectedConfigs = "yes" })
	got := run(addr)
	if !slices.Equal(want, got) {
		t.Errorf("replies differ\nbasalt: %q\nredis:  %q", got, want)
	}
}

// TestShutdownSaves checks SHUTDOWN with and without NOSAVE.
func TestShutdownSaves(t *testing.T) {
	var dir string
	_, addr := startBasaltWith(t, func(cfg *coord.Config) { dir = cfg.Dir })
	c := redis.NewClient(&redis.Options{Addr: addr})
	c.Set(context.Background(), "kept", "yes", 0)
	c.Do(context.Background(), "SHUTDOWN")
	c.Close()
	_, addr = startBasaltWith(t, func(cfg *coord.Config) { cfg.Dir = dir })
	c = redis.NewClient(&redis.Options{Addr: addr})
	if v := c.Get(context.Background(), "kept").Val(); v != "yes" {
		t.Fatalf("after SHUTDOWN and restart: kept = %q, want yes", v)
	}
	c.Set(context.Background(), "lost", "yes", 0)
	c.Do(context.Background(), "SHUTDOWN", "NOSAVE")
	c.Close()
	_, addr = startBasaltWith(t, func(cfg *coord.Config) { cfg.Dir = dir })
	c = redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if n := c.Exists(context.Background(), "lost").Val(); n != 0 {
		t.Fatal("SHUTDOWN NOSAVE saved anyway")
	}
}

// TestFunctionsPersist saves a function library in the RDB file: Basalt and redis-server
// load it from Basalt's file, and Basalt loads redis-server's.
func TestFunctionsPersist(t *testing.T) {
	ctx := context.Background()
	const lib = "#!lua name=persisted\nredis.register_function('answer', function(keys, args) return 42 end)"
	var dir string
	srv, addr := startBasaltWith(t, func(cfg *coord.Config) { dir = cfg.Dir })
	c := redis.NewClient(&redis.Options{Addr: addr})
	do(t, c, "FUNCTION", "LOAD", lib)
	do(t, c, "SET", "k", "v")
	do(t, c, "SAVE")
	c.Close()
	srv.Stop()
	check := func(who, addr string) {
		t.Helper()
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		v, err := c.Do(ctx, "FCALL", "answer", "0").Result()
		if err != nil || v != int64(42) {
			t.Errorf("%s: FCALL answer = %v, %v", who, v, err)
		}
	}
	_, addr2 := startBasaltWith(t, func(cfg *coord.Config) { cfg.Dir = dir })
	check("Basalt reloading its RDB", addr2)
	redisDir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(redisDir, "dump.rdb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	redisAddr := startRedisIn(t, redisDir)
	check("redis-server loading Basalt's RDB", redisAddr)
	rc := redis.NewClient(&redis.Options{Addr: redisAddr})
	do(t, rc, "SAVE")
	rc.Close()
	_, addr3 := startBasaltWith(t, func(cfg *coord.Config) { cfg.Dir = redisDir })
	check("Basalt loading redis-server's RDB", addr3)
}

// TestRDBChecksumOff writes a file with rdbchecksum no: its checksum is zero, which
// redis-server and Basalt both accept as "not computed".
func TestRDBChecksumOff(t *testing.T) {
	var dir string
	srv, addr := startBasaltWith(t, func(cfg *coord.Config) { cfg.RDBChecksum = false; dir = cfg.Dir })
	c := redis.NewClient(&redis.Options{Addr: addr})
	do(t, c, "SET", "k", "v")
	do(t, c, "SAVE")
	c.Close()
	srv.Stop()
	data, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data[len(data)-8:], make([]byte, 8)) {
		t.Fatalf("rdbchecksum no wrote checksum %x", data[len(data)-8:])
	}
	for name, addr := range map[string]string{
		"redis-server": startRedisIn(t, dir),
		"basalt":       func() string { _, a := startBasaltWith(t, func(cfg *coord.Config) { cfg.Dir = dir }); return a }(),
	} {
		c := redis.NewClient(&redis.Options{Addr: addr})
		if v := c.Get(context.Background(), "k").Val(); v != "v" {
			t.Errorf("%s loading a file without checksum: k = %q", name, v)
		}
		c.Close()
	}
}
