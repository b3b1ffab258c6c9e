package coord_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/basaltdb/basalt/coord"
	"github.com/basaltdb/basalt/shard"
)

// startWithMaxMemory starts a 2-shard server with maxmemory and a policy.
func startWithMaxMemory(t *testing.T, maxmemory int64, policy string) *redis.Client {
	t.Helper()
	_, addr := startBasaltWith(t, func(cfg *coord.Config) {
		cfg.Threads = 2
		cfg.MaxMemory = maxmemory
		cfg.MaxMemoryPolicy = policy
	})
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	return c
}

func infoInt(t *testing.T, c *redis.Client, field string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(infoFields(c.Info(context.Background(), "everything").Val())[field], 10, 64)
	if err != nil {
		t.Fatalf("INFO %s: %v", field, err)
	}
	return v
}

// Every evicting policy keeps the accounted bytes near maxmemory and counts evictions;
// the volatile ones never touch a key without a TTL.
func TestEvictionPoliciesOverTheWire(t *testing.T) {
	ctx := context.Background()
	value := strings.Repeat("v", 1000)
	for _, policy := range []string{"allkeys-lru", "allkeys-lfu", "allkeys-random",
		"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			c := startWithMaxMemory(t, serverOwnMemory+1<<20, policy)
			volatile := strings.HasPrefix(policy, "volatile-")
			for i := 0; i < 100; i++ {
				c.Set(ctx, fmt.Sprint("persistent:", i), value, 0)
			}
			for i := 0; i < 3000; i++ {
				ttl := time.Duration(0)
				if volatile {
					ttl = time.Hour + time.Duration(i)*time.Second
				}
				if err := c.Set(ctx, fmt.Sprint("k:", i), value, ttl).Err(); err != nil {
					t.Fatalf("SET #%d: %v", i, err)
				}
			}
			if n := infoInt(t, c, "evicted_keys"); n < 1000 {
				t.Fatalf("evicted_keys = %d", n)
			}
			if used := infoInt(t, c, "used_memory_accounted"); used > 1<<20+4096 {
				t.Fatalf("accounted %d bytes over maxmemory 1mb", used)
			}
			if volatile {
				if n := c.Exists(ctx, "persistent:0", "persistent:50", "persistent:99").Val(); n != 3 {
					t.Fatalf("%s evicted keys without TTL", policy)
				}
			}
		})
	}
}

// serverOwnMemory is what maxmemory counts for the server besides the dataset
// (ownMemory in evict.go): a test that wants room for 200 KB of keys adds it.
const serverOwnMemory = 512 << 10

// noeviction, and a volatile policy with no key to evict, refuse writes that grow
// memory with Redis's OOM error but serve reads and DEL.
func TestOOMRejectsWritesOnly(t *testing.T) {
	ctx := context.Background()
	for _, policy := range []string{"noeviction", "volatile-lru"} {
		t.Run(policy, func(t *testing.T) {
			c := startWithMaxMemory(t, serverOwnMemory+200_000, policy)
			var err error
			written := 0
			for i := 0; i < 1000 && err == nil; i++ {
				err = c.Set(ctx, fmt.Sprint("k:", i), strings.Repeat("v", 1000), 0).Err()
				if err == nil {
					written++
				}
			}
			if err == nil || err.Error() != "OOM command not allowed when used memory > 'maxmemory'." {
				t.Fatalf("SET over maxmemory: %v", err)
			}
			if err := c.RPush(ctx, "list", "a").Err(); err == nil || !strings.HasPrefix(err.Error(), "OOM ") {
				t.Fatalf("RPUSH over maxmemory: %v", err)
			}
			if v, err := c.Get(ctx, "k:0").Result(); err != nil || len(v) != 1000 {
				t.Fatalf("GET over maxmemory: %v", err)
			}
			keys := make([]string, written)
			for i := range keys {
				keys[i] = fmt.Sprint("k:", i)
			}
			if n, err := c.Del(ctx, keys...).Result(); err != nil || n != int64(written) {
				t.Fatalf("DEL over maxmemory: %d, %v", n, err)
			}
			if err := c.Set(ctx, "again", "v", 0).Err(); err != nil {
				t.Fatalf("SET after DEL freed memory: %v", err)
			}
			if n := infoInt(t, c, "evicted_keys"); n != 0 {
				t.Fatalf("evicted_keys = %d", n)
			}
		})
	}
}

// An evicted key counts as changed for WATCH, like an expired one.
func TestEvictionTouchesWatch(t *testing.T) {
	ctx := context.Background()
	c := startWithMaxMemory(t, 0, "allkeys-random")
	c.Set(ctx, "watched", "v", 0)
	err := c.Watch(ctx, func(tx *redis.Tx) error {
		other := redis.NewClient(&redis.Options{Addr: c.Options().Addr})
		defer other.Close()
		other.ConfigSet(ctx, "maxmemory", "1")
		other.Set(ctx, "trigger", "v", 0) // evicts everything on its shard, OOM on the other
		other.Set(ctx, "{watched}x", "v", 0)
		other.ConfigSet(ctx, "maxmemory", "0")
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "watched", "v2", 0)
			return nil
		})
		return err
	}, "watched")
	if err != redis.TxFailedErr {
		t.Fatalf("EXEC after the watched key was evicted: %v", err)
	}
	if c.Exists(ctx, "watched").Val() != 0 {
		t.Fatal("watched key was not evicted")
	}
}

// rssBytes reads this process's resident set size (the server runs in the test).
func rssBytes(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// Under a sustained write load with maxmemory 64mb the accounted bytes stay at the
// budget and the process's resident memory within 1.3 times it (the test binary's own
// start-up memory aside).
func TestMemoryBoundedUnderWriteLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("writes for a few seconds")
	}
	const maxmemory = 64 << 20
	base := rssBytes(t)
	c := startWithMaxMemory(t, maxmemory, "allkeys-lru")
	ctx := context.Background()
	deadline := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	var peak int64
	var mu sync.Mutex
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			value := strings.Repeat("x", 200+w*100)
			for i := 0; time.Now().Before(deadline); i += 64 {
				p := c.Pipeline()
				for j := 0; j < 64; j++ {
					p.Set(ctx, fmt.Sprintf("w%d:%d", w, i+j), value, 0)
				}
				if _, err := p.Exec(ctx); err != nil {
					t.Errorf("pipelined SET: %v", err)
					return
				}
				if i%6400 == 0 {
					r := rssBytes(t)
					mu.Lock()
					peak = max(peak, r)
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	used := infoInt(t, c, "used_memory_accounted")
	rss := rssBytes(t)
	peak = max(peak, rss)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("live heap after GC %d MB, sys %d MB", ms.HeapAlloc>>20, ms.Sys>>20)
	t.Logf("accounted %d MB, RSS %d MB (peak %d MB, %d MB before start), evicted %d keys",
		used>>20, rss>>20, peak>>20, base>>20, infoInt(t, c, "evicted_keys"))
	if used > maxmemory+maxmemory/100 {
		t.Fatalf("accounted %d bytes over maxmemory %d", used, maxmemory)
	}
	if shard.RaceDetector {
		return // the race detector's shadow memory is part of RSS
	}
	if peak-base > maxmemory*13/10 {
		t.Fatalf("RSS grew by %d MB, more than 1.3 x maxmemory", (peak-base)>>20)
	}
}

// Evictions reach the AOF as DEL (a restart does not bring evicted keys back) and
// publish the "evicted" keyspace event.
func TestEvictionJournalAndNotify(t *testing.T) {
	ctx := context.Background()
	var dir string
	srv, addr := startBasaltWith(t, func(cfg *coord.Config) {
		cfg.Threads = 2
		cfg.AppendOnly = true
		cfg.MaxMemory = serverOwnMemory + 200_000
		cfg.MaxMemoryPolicy = "allkeys-random"
		dir = cfg.Dir
	})
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	c.ConfigSet(ctx, "notify-keyspace-events", "Ee")
	sub := c.Subscribe(ctx, "__keyevent@0__:evicted")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		c.Set(ctx, fmt.Sprint("k:", i), strings.Repeat("v", 1000), 0)
	}
	select {
	case m := <-sub.Channel():
		if !strings.HasPrefix(m.Payload, "k:") {
			t.Fatalf("evicted event for %q", m.Payload)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no evicted event")
	}
	keys := c.DBSize(ctx).Val()
	if keys >= 1000 || infoInt(t, c, "evicted_keys") == 0 {
		t.Fatalf("%d keys left, nothing evicted", keys)
	}
	srv.Stop()
	_, addr2 := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 2; cfg.AppendOnly = true; cfg.Dir = dir })
	c2 := redis.NewClient(&redis.Options{Addr: addr2})
	defer c2.Close()
	if n := c2.DBSize(ctx).Val(); n != keys {
		t.Fatalf("after reloading the AOF %d keys, before %d", n, keys)
	}
}

// Lowering maxmemory below the data evicts at once, with no write to trigger it, and
// the evictions are published: Redis's unit/pubsub waits for that event.
func TestMaxMemoryLoweredEvictsWithoutWrites(t *testing.T) {
	ctx := context.Background()
	c := startWithMaxMemory(t, 0, "allkeys-lru")
	c.ConfigSet(ctx, "notify-keyspace-events", "Ee")
	sub := c.PSubscribe(ctx, "*")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "foo", "bar", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-sub.Channel():
		if m.Channel != "__keyevent@0__:evicted" || m.Payload != "foo" {
			t.Fatalf("got %q on %q, want foo evicted", m.Payload, m.Channel)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no evicted event after CONFIG SET maxmemory 1")
	}
	c.ConfigSet(ctx, "maxmemory", "0")
	if n := c.Exists(ctx, "foo").Val(); n != 0 {
		t.Fatalf("foo still exists")
	}
}

// Values that change size in place are accounted: an overwriting SET, APPEND, list
// pushes and pops.
func TestAccountingFollowsInPlaceWrites(t *testing.T) {
	ctx := context.Background()
	c := startWithMaxMemory(t, 0, "noeviction")
	used := func() int64 { return infoInt(t, c, "used_memory_accounted") }
	c.Set(ctx, "s", "small", 0)
	base := used()
	c.Set(ctx, "s", strings.Repeat("x", 100_000), 0)
	if grown := used(); grown < base+100_000 {
		t.Fatalf("SET over a small value: %d -> %d", base, grown)
	}
	c.Set(ctx, "s", "small", 0)
	if shrunk := used(); shrunk > base+1000 {
		t.Fatalf("SET back to a small value: %d, started at %d", shrunk, base)
	}
	c.Append(ctx, "s", strings.Repeat("y", 50_000))
	if grown := used(); grown < base+50_000 {
		t.Fatalf("APPEND: %d -> %d", base, grown)
	}
	c.Del(ctx, "s")
	base = used()
	for i := 0; i < 100; i++ {
		c.RPush(ctx, "l", strings.Repeat("z", 1000))
	}
	if grown := used(); grown < base+100_000 {
		t.Fatalf("RPUSH: %d -> %d", base, grown)
	}
	c.LPopCount(ctx, "l", 99)
	if shrunk := used(); shrunk > base+20_000 {
		t.Fatalf("LPOP of 99 elements left %d accounted bytes over %d", shrunk-base, base)
	}
}

// Under allkeys-lfu TinyLFU keeps a hot set that is read over and over while a stream
// of one-off keys goes through, and used memory stays at maxmemory.
func TestLFUKeepsHotKeysOverTheWire(t *testing.T) {
	ctx := context.Background()
	c := startWithMaxMemory(t, serverOwnMemory+1<<20, "allkeys-lfu")
	value := strings.Repeat("v", 500)
	const hot = 100
	for i := 0; i < hot; i++ {
		c.Set(ctx, fmt.Sprint("hot:", i), value, 0)
	}
	for i := 0; i < 6000; i++ {
		p := c.Pipeline()
		p.Set(ctx, fmt.Sprint("once:", i), value, 0)
		p.Get(ctx, fmt.Sprint("hot:", i%hot))
		p.Get(ctx, fmt.Sprint("hot:", (i+hot/2)%hot))
		if _, err := p.Exec(ctx); err != nil && err != redis.Nil {
			t.Fatalf("round %d: %v", i, err)
		}
	}
	kept := 0
	for i := 0; i < hot; i++ {
		kept += int(c.Exists(ctx, fmt.Sprint("hot:", i)).Val())
	}
	evicted := infoInt(t, c, "evicted_keys")
	t.Logf("%d of %d hot keys kept, %d keys evicted", kept, hot, evicted)
	// Under -race sync.Pool drops ristretto's access batches at random (see raceBuild).
	if kept < hot*9/10 && !shard.RaceDetector {
		t.Fatalf("only %d of %d hot keys survived 6000 one-off writes", kept, hot)
	}
	if evicted < 3000 {
		t.Fatalf("evicted_keys = %d", evicted)
	}
	c.Set(ctx, "last", value, 0) // its eviction round brings the shard back within budget
	if used := infoInt(t, c, "used_memory_accounted"); used > 1<<20+4096 {
		t.Fatalf("accounted %d bytes over maxmemory 1mb", used)
	}
}

// engineGoroutines counts the goroutines running ristretto's code: the shards' LFU
// engines (two per shard), whatever else the test binary runs meanwhile.
func engineGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "dgraph-io/ristretto") {
			count++
		}
	}
	return count
}

// waitEngines waits until want accepts the number of engine goroutines.
func waitEngines(t *testing.T, want func(int) bool, what string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !want(engineGoroutines()) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d ristretto goroutines", what, engineGoroutines())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Switching maxmemory-policy into and out of the LFU policies starts and stops the
// shards' TinyLFU engines; leaving them leaves no goroutine behind.
func TestLFUPolicySwitchStopsEngines(t *testing.T) {
	ctx := context.Background()
	c := startWithMaxMemory(t, serverOwnMemory+1<<20, "allkeys-lru")
	write := func(n int) {
		for i := 0; i < n; i++ {
			if err := c.Set(ctx, fmt.Sprint("k:", i), strings.Repeat("v", 500), time.Hour).Err(); err != nil {
				t.Fatalf("SET: %v", err)
			}
		}
	}
	write(3000)
	base := engineGoroutines() // other tests' servers may still be stopping
	for _, policy := range []string{"allkeys-lfu", "volatile-lfu", "allkeys-lfu"} {
		if err := c.ConfigSet(ctx, "maxmemory-policy", policy).Err(); err != nil {
			t.Fatal(err)
		}
		write(100)
		waitEngines(t, func(n int) bool { return n >= base+4 }, policy+" runs no engine")
	}
	before := infoInt(t, c, "evicted_keys")
	write(3000)
	if infoInt(t, c, "evicted_keys") <= before {
		t.Fatal("allkeys-lfu evicted nothing")
	}
	c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru")
	waitEngines(t, func(n int) bool { return n <= base }, "back to allkeys-lru")
	c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lfu")
	write(100)
	waitEngines(t, func(n int) bool { return n >= base+4 }, "allkeys-lfu again")
	c.ConfigSet(ctx, "maxmemory", "0")
	waitEngines(t, func(n int) bool { return n <= base }, "maxmemory 0")
}

// A server stopped under an LFU policy stops its shards' engines too.
func TestLFUEnginesStopWithServer(t *testing.T) {
	ctx := context.Background()
	srv, addr := startBasaltWith(t, func(cfg *coord.Config) {
		cfg.Threads = 2
		cfg.MaxMemory = 1 << 20
		cfg.MaxMemoryPolicy = "allkeys-lfu"
	})
	base := engineGoroutines()
	c := redis.NewClient(&redis.Options{Addr: addr})
	for i := 0; i < 100; i++ {
		c.Set(ctx, fmt.Sprint("k:", i), "v", 0)
	}
	c.Close()
	waitEngines(t, func(n int) bool { return n >= base+4 }, "allkeys-lfu")
	srv.Stop()
	waitEngines(t, func(n int) bool { return n <= base }, "after Stop")
}

// TestExecRefusedWhenOOMAfterQueueing matches redis-server: memory that goes over
// maxmemory after a transaction's commands were queued refuses the whole EXEC with
// EXECABORT when one of them may grow memory, and lets a read-only one run.
func TestExecRefusedWhenOOMAfterQueueing(t *testing.T) {
	run := func(addr string) string {
		ctx := context.Background()
		var out strings.Builder
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1})
		admin := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
		defer c.Close()
		defer admin.Close()
		c.Set(ctx, "x", "v", 0)
		for _, write := range []bool{true, false} {
			conn := c.Conn()
			conn.Do(ctx, "multi")
			if write {
				conn.Do(ctx, "set", "x", "1")
			}
			conn.Do(ctx, "get", "x")
			admin.ConfigSet(ctx, "maxmemory", "1")
			v, err := conn.Do(ctx, "exec").Result()
			fmt.Fprintf(&out, "write=%v: %v %v\n", write, v, err)
			admin.ConfigSet(ctx, "maxmemory", "0")
			conn.Close()
		}
		return out.String()
	}
	want, got := run(startRedis(t)), run(startBasalt(t, 2))
	if got != want {
		t.Fatalf("redis:\n%s\nbasalt:\n%s", want, got)
	}
}
