package shard

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// lfuWrite does what the coordinator does around a SET: make room, write, recharge.
func lfuWrite(s *Shard, key string, size int, ttl bool) bool {
	s.Begin(0)
	if !s.EnforceMaxMemory() {
		return false
	}
	var at int64
	if ttl {
		at = s.now + 3_600_000
	}
	s.setString([]byte(key), make([]byte, size), at, false)
	s.Recharge([]byte(key))
	return true
}

func lfuRead(s *Shard, key string) bool {
	s.Begin(0)
	_, ok := s.read([]byte(key))
	return ok
}

// goroutinesSettle waits until the goroutine count is at most want.
// ristrettoGoroutines counts the goroutines running ristretto code.
func ristrettoGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "dgraph-io/ristretto") {
			n++
		}
	}
	return n
}

func goroutinesSettle(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, want at most %d", runtime.NumGoroutine(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A hot set read over and over survives a stream of one-off keys: TinyLFU evicts or
// refuses the one-off keys, and the shard stays within its share after every write.
func TestLFUEngineKeepsHotKeys(t *testing.T) {
	s := newTestShard()
	defer s.CloseEviction()
	s.Settings.Memory.Policy.Store(PolicyAllKeysLFU)
	s.Settings.Memory.Tenacity.Store(100) // no time limit on a round, however slow the build
	s.Settings.Memory.Share.Store(200 << 10)
	const hot = 100
	for i := 0; i < hot; i++ {
		lfuWrite(s, fmt.Sprint("hot:", i), 200, false)
	}
	if s.lfu == nil {
		t.Fatal("no engine under allkeys-lfu with maxmemory")
	}
	for i := 0; i < 5000; i++ {
		if !lfuWrite(s, fmt.Sprint("once:", i), 200, false) {
			t.Fatalf("write %d refused", i)
		}
		// A write may overshoot (a value, the entry array doubling); the next one's
		// EnforceMaxMemory comes back within the share.
		if s.EnforceMaxMemory(); s.UsedMemory() > s.Settings.Memory.Share.Load() {
			t.Fatalf("after write %d used %d, share %d", i, s.UsedMemory(), s.Settings.Memory.Share.Load())
		}
		lfuRead(s, fmt.Sprint("hot:", i%hot))
		lfuRead(s, fmt.Sprint("hot:", (i+hot/2)%hot))
		if i%100 == 99 {
			// Ristretto drops access batches its goroutine has no time to count; a
			// server's network pauses give it that time, this loop must.
			time.Sleep(time.Millisecond)
		}
	}
	kept := 0
	for i := 0; i < hot; i++ {
		if s.Exists([]byte(fmt.Sprint("hot:", i))) {
			kept++
		}
	}
	t.Logf("kept %d hot keys; evicted %d, ristretto chose %d", kept, s.Stats.EvictedKeys, s.lfu.evicted)
	if kept < hot*95/100 && !RaceDetector {
		t.Fatalf("only %d of %d hot keys survived", kept, hot)
	}
	if s.Stats.EvictedKeys < 4000 {
		t.Fatalf("evicted_keys = %d after 5000 one-off writes", s.Stats.EvictedKeys)
	}
	// Ristretto, not the sampled pool, chose most victims.
	if s.lfu.evicted < s.Stats.EvictedKeys/2 {
		t.Fatalf("ristretto chose %d of %d victims", s.lfu.evicted, s.Stats.EvictedKeys)
	}
}

// volatile-lfu offers ristretto only keys with a TTL and never evicts the others.
func TestLFUEngineVolatile(t *testing.T) {
	s := newTestShard()
	defer s.CloseEviction()
	s.Settings.Memory.Policy.Store(PolicyVolatileLFU)
	s.Settings.Memory.Tenacity.Store(100)
	s.Settings.Memory.Share.Store(200 << 10)
	for i := 0; i < 200; i++ {
		lfuWrite(s, fmt.Sprint("persistent:", i), 200, false)
	}
	for i := 0; i < 3000; i++ {
		if !lfuWrite(s, fmt.Sprint("ttl:", i), 200, true) {
			t.Fatalf("write %d refused", i)
		}
	}
	for i := 0; i < 200; i++ {
		if !s.Exists([]byte(fmt.Sprint("persistent:", i))) {
			t.Fatalf("volatile-lfu evicted persistent:%d", i)
		}
	}
	if s.lfu.evicted == 0 || !s.EnforceMaxMemory() || s.UsedMemory() > s.Settings.Memory.Share.Load() {
		t.Fatalf("engine evicted %d, used %d", s.lfu.evicted, s.UsedMemory())
	}
	// A key that loses its TTL leaves the engine.
	s.Begin(0)
	key := "ttl:2999"
	i, _ := s.db.position(key)
	s.db.setExpire(i, 0)
	s.Recharge([]byte(key))
	s.lfu.cache.Wait()
	if s.lfu.holds(lfuHash(0, key)) {
		t.Fatal("a key without TTL is still in the volatile-lfu engine")
	}
}

// Keys stored before the engine starts (a loaded snapshot, a policy switch) are
// enrolled, so ristretto chooses among them too.
func TestLFUEngineEnrollsExistingKeys(t *testing.T) {
	s := newTestShard()
	defer s.CloseEviction()
	fillKeys(s, 1000)
	s.Settings.Memory.Policy.Store(PolicyAllKeysLFU)
	s.Settings.Memory.Tenacity.Store(100)
	share := s.UsedMemory() * 3 / 4
	s.Settings.Memory.Share.Store(share)
	if !s.EnforceMaxMemory() || s.UsedMemory() > share {
		t.Fatalf("used %d over share %d", s.UsedMemory(), share)
	}
	if s.lfu.evicted == 0 {
		t.Fatal("ristretto chose no victim among enrolled keys")
	}
}

// The engine runs only under an LFU policy with maxmemory, follows a switch between the
// two LFU policies, and leaves no goroutine behind when it stops.
func TestLFUEngineLifecycle(t *testing.T) {
	// Engines of earlier tests may still be winding down: start from none.
	for deadline := time.Now().Add(2 * time.Second); ristrettoGoroutines() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	base := runtime.NumGoroutine()
	s := newTestShard()
	m := &s.Settings.Memory
	m.Policy.Store(PolicyAllKeysLFU)
	s.SyncEviction()
	if s.lfu != nil {
		t.Fatal("engine started without maxmemory")
	}
	m.Share.Store(1 << 20)
	lfuWrite(s, "k", 10, true)
	if s.lfu == nil || s.lfu.policy != PolicyAllKeysLFU {
		t.Fatal("no allkeys-lfu engine after a write")
	}
	if ristrettoGoroutines() == 0 {
		t.Fatal("the engine runs no goroutine?")
	}
	m.Policy.Store(PolicyVolatileLFU)
	lfuWrite(s, "k", 10, true)
	if s.lfu == nil || s.lfu.policy != PolicyVolatileLFU {
		t.Fatal("engine did not follow the switch to volatile-lfu")
	}
	m.Policy.Store(PolicyAllKeysLRU)
	s.SyncEviction()
	if s.lfu != nil {
		t.Fatal("engine still runs under allkeys-lru")
	}
	goroutinesSettle(t, base)
	m.Policy.Store(PolicyAllKeysLFU)
	lfuWrite(s, "k", 10, false)
	m.Share.Store(0)
	lfuWrite(s, "k", 10, false)
	if s.lfu != nil {
		t.Fatal("engine still runs with maxmemory 0")
	}
	goroutinesSettle(t, base)
	m.Share.Store(1 << 20)
	lfuWrite(s, "k", 10, false)
	s.CloseEviction()
	goroutinesSettle(t, base)
}

// Deleted keys leave ristretto; evicted ones too.
func TestLFUEngineForgetsDeletedKeys(t *testing.T) {
	s := newTestShard()
	defer s.CloseEviction()
	s.Settings.Memory.Policy.Store(PolicyAllKeysLFU)
	s.Settings.Memory.Share.Store(1 << 20)
	lfuWrite(s, "gone", 10, false)
	s.lfu.cache.Wait()
	if !s.lfu.holds(lfuHash(0, "gone")) {
		t.Fatal("written key not in ristretto")
	}
	s.remove([]byte("gone"))
	s.Recharge([]byte("gone"))
	s.lfu.cache.Wait()
	if s.lfu.holds(lfuHash(0, "gone")) {
		t.Fatal("deleted key still in ristretto")
	}
}

// BenchmarkLFURead is a GET-like read under allkeys-lfu with the engine running: the
// Redis counter, one hash and one ristretto Get.
func BenchmarkLFURead(b *testing.B) {
	s := newTestShard()
	defer s.CloseEviction()
	s.Settings.Memory.Policy.Store(PolicyAllKeysLFU)
	s.Settings.Memory.Share.Store(64 << 20)
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key:%06d", i)
		lfuWrite(s, string(keys[i]), 32, false)
	}
	s.lfu.cache.Wait()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.read(keys[i%len(keys)])
	}
}

// BenchmarkLFUWrite is a SET-like overwrite under allkeys-lfu: EnforceMaxMemory's
// engine step, the write, and the Set that tells ristretto the new size.
func BenchmarkLFUWrite(b *testing.B) {
	s := newTestShard()
	defer s.CloseEviction()
	s.Settings.Memory.Policy.Store(PolicyAllKeysLFU)
	s.Settings.Memory.Share.Store(64 << 20)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%06d", i)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		lfuWrite(s, keys[i%len(keys)], 32, false)
	}
}
