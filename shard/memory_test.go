package shard

import (
	"strconv"
	"strings"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// memoryUsage runs MEMORY USAGE (the test helper exec knows only OBJECT's subcommands).
func memoryUsage(s *Shard, line string) string {
	w := proto.NewWriter(false)
	memoryUsageCommand(s, splitCmd("MEMORY USAGE "+line), w)
	return string(w.Bytes())
}

// usage runs MEMORY USAGE and returns its integer, or -1 for any other reply.
func usage(t *testing.T, s *Shard, line string) int64 {
	t.Helper()
	rep := memoryUsage(s, line)
	if !strings.HasPrefix(rep, ":") {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(rep[1:]), 10, 64)
	if err != nil {
		t.Fatalf("MEMORY USAGE %s = %q", line, rep)
	}
	return n
}

// Every type and encoding is costed, and a value costs more as it grows.
func TestMemoryUsageGrows(t *testing.T) {
	s := newTestShard()
	fill := func(kind string, n int, member func(i int) string) {
		for i := 0; i < n; i++ {
			switch kind {
			case "list":
				do(s, "RPUSH list "+member(i))
			case "set":
				do(s, "SADD set "+member(i))
			case "intset":
				do(s, "SADD intset "+strconv.Itoa(i))
			case "zset":
				do(s, "ZADD zset "+strconv.Itoa(i)+" "+member(i))
			case "hash":
				do(s, "HSET hash "+member(i)+" "+member(i))
			case "stream":
				do(s, "XADD stream * f "+member(i))
			}
		}
	}
	word := func(i int) string { return "member-" + strconv.Itoa(i) }
	for _, kind := range []string{"list", "set", "intset", "zset", "hash", "stream"} {
		fill(kind, 10, word)
		small := usage(t, s, kind)
		enc := s.mustPeek(kind).Encoding()
		fill(kind, 2000, func(i int) string { return word(i + 10) })
		large := usage(t, s, kind+" SAMPLES 0")
		bigEnc := s.mustPeek(kind).Encoding()
		if small <= 0 || large < 2000*8 || large <= small {
			t.Errorf("%s: %d bytes as %s, %d bytes as %s", kind, small, enc, large, bigEnc)
		}
	}
	do(s, "SET str "+strings.Repeat("x", 1000))
	if n := usage(t, s, "str"); n < 1000 || n > 1300 {
		t.Errorf("a 1000-byte string costs %d bytes", n)
	}
	if rep := memoryUsage(s, "nokey"); rep != "$-1\r\n" {
		t.Errorf("missing key: %q", rep)
	}
}

// Sampling a collection of uniform elements extrapolates close to the full count.
func TestMemoryUsageSampling(t *testing.T) {
	s := newTestShard()
	for i := 0; i < 5000; i++ {
		do(s, "HSET h field-"+strconv.Itoa(100000+i)+" value-"+strconv.Itoa(100000+i))
		do(s, "ZADD z "+strconv.Itoa(i)+" member-"+strconv.Itoa(100000+i))
	}
	// A skiplist node's cost depends on its random level, so five zset samples vary
	// more than five hash samples: about 1 run in 15 was off by more than 10%.
	for key, tolerance := range map[string]int64{"h": 10, "z": 5} {
		all := usage(t, s, key+" SAMPLES 0")
		some := usage(t, s, key)
		if diff := all - some; diff < -all/tolerance || diff > all/tolerance {
			t.Errorf("%s: all %d, 5 samples %d", key, all, some)
		}
	}
}

// MEMORY USAGE's options are checked before the key is looked up, as in Redis.
func TestMemoryUsageOptions(t *testing.T) {
	s := newTestShard()
	do(s, "SET k v")
	for line, want := range map[string]string{
		"k SAMPLES":       fail("ERR syntax error"),
		"k SAMPLES -1":    fail("ERR syntax error"),
		"k SAMPLES x":     fail("ERR value is not an integer or out of range"),
		"k FOO 1":         fail("ERR syntax error"),
		"nokey SAMPLES 3": "$-1\r\n",
	} {
		if got := memoryUsage(s, line); got != want {
			t.Errorf("MEMORY USAGE %s = %q, want %q", line, got, want)
		}
	}
}

// mustPeek returns key's value in the selected database.
func (s *Shard) mustPeek(key string) *Object {
	e, ok := s.peek([]byte(key))
	if !ok {
		panic("no key " + key)
	}
	return &e.Object
}

func BenchmarkMemoryUsageSampled(b *testing.B) {
	s := newTestShard()
	for i := 0; i < 10000; i++ {
		do(s, "SADD s member-"+strconv.Itoa(i))
	}
	o := s.mustPeek("s")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = o.MemoryUsage(DefaultMemorySamples)
	}
}

// The per-shard estimate is exact when every key is sampled and close when few are.
func TestEstimateMemory(t *testing.T) {
	s := newTestShard()
	if n := s.EstimateMemory(16); n != 0 {
		t.Fatalf("empty shard: %d", n)
	}
	var exact int64
	for i := 0; i < 1000; i++ {
		key := "key-" + strconv.Itoa(1000+i)
		do(s, "SET "+key+" "+strings.Repeat("v", 100))
		exact += usage(t, s, key)
	}
	if got := s.EstimateMemory(1000); got != exact {
		t.Errorf("all keys sampled: %d, sum of MEMORY USAGE %d", got, exact)
	}
	if got := s.EstimateMemory(32); got < exact*9/10 || got > exact*11/10 {
		t.Errorf("32 samples: %d, exact %d", got, exact)
	}
}

// The running total samples the nodes of long lists and streams instead of walking them
// on every write; the estimate stays close to the full count.
func TestAccountedSizeSamplesLongListsAndStreams(t *testing.T) {
	s := newTestShard()
	for i := 0; i < 20000; i++ {
		do(s, "RPUSH list member-"+strconv.Itoa(i))
		do(s, "XADD stream * f member-"+strconv.Itoa(i))
	}
	for _, key := range []string{"list", "stream"} {
		e, ok := s.peek([]byte(key))
		if !ok {
			t.Fatalf("no key %s", key)
		}
		exact := e.MemoryUsage(0) + KeyOverhead(key)
		got := int64(accountedSize(e))
		if got < exact*9/10 || got > exact*11/10 {
			t.Errorf("%s: accounted %d bytes, exact %d", key, got, exact)
		}
	}
}
