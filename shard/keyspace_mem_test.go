package shard

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkKeyspaceBytesPerKey reports the live Go heap per string key after loading
// 1,000,000 keys of 16 bytes with 32-byte values, the shape of the memory-per-key
// comparison against redis-server: everything the keyspace holds for a key (entry,
// index, key and value bytes), without GC headroom. Run with -benchtime=1x.
func BenchmarkKeyspaceBytesPerKey(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := New(0, 16, NewSettings())
		s.Begin(0)
		val := make([]byte, 32)
		key := make([]byte, 0, 16)
		for i := range n {
			key = fmt.Appendf(key[:0], "key:%012d", i)
			copy(val, fmt.Appendf(nil, "v%031d", i))
			s.setString(key, val, 0, false)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/key")
		runtime.KeepAlive(s)
	}
}
