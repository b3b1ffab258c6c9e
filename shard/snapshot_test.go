package shard

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// render describes a value in a canonical text form by reading it back with commands on
// a scratch shard, so the test needs no knowledge of the encodings.
func render(o Object) string {
	scratch := newTestShard()
	scratch.Put([]byte("k"), o.clone())
	typ := TypeName(o.Type)
	var body string
	switch o.Type {
	case TypeString:
		body = do(scratch, "GET k")
	case TypeList:
		body = do(scratch, "LRANGE k 0 -1")
	case TypeSet:
		// SMEMBERS order depends on the encoding; ZADD-ing into a set orders them.
		for _, m := range splitReply(do(scratch, "SMEMBERS k")) {
			do(scratch, "ZADD sorted 0 "+m)
		}
		body = do(scratch, "ZRANGE sorted 0 -1")
	case TypeHash:
		body = do(scratch, "HGETALL k")
	case TypeZSet:
		body = do(scratch, "ZRANGE k 0 -1 WITHSCORES")
	default:
		body = "?"
	}
	return fmt.Sprintf("%s %d %q", typ, o.ExpireAt, body)
}

// splitReply returns the bulk strings of a RESP2 array reply.
func splitReply(r string) []string {
	var out []string
	lines := strings.Split(r, "\r\n")
	for i := 1; i+1 < len(lines); i += 2 {
		out = append(out, lines[i+1])
	}
	return out
}

// dumpAll renders every key of every database.
func dumpAll(s *Shard) map[string]string {
	out := map[string]string{}
	for n, d := range s.dbs {
		for i := range d.Len() {
			e := d.at(i)
			out[fmt.Sprintf("%d/%s", n, e.key)] = render(e.Object)
		}
	}
	return out
}

var snapshotOps = []string{
	"SET %s v%d", "DEL %s", "APPEND %s x%d", "RPUSH %s e%d", "LPOP %s", "SADD %s m%d",
	"SREM %s m%d", "HSET %s f%d v", "HDEL %s f%d", "ZADD %s %d m", "ZINCRBY %s %d m",
	"EXPIRE %s %d", "PERSIST %s", "RENAME %s k%d", "MOVE %s %d", "INCR %s", "GETDEL %s",
}

// TestSnapshotIsPointInTime interleaves random writes with snapshot steps and checks that
// the snapshot holds exactly the keyspace as it was at the cut, each key once.
func TestSnapshotIsPointInTime(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0))
		s := newTestShard()
		key := func() string { return fmt.Sprintf("k%d", rng.IntN(60)) }
		clock := testNow
		randomWrite := func() {
			s.Begin(rng.IntN(3))
			s.now = clock
			op := snapshotOps[rng.IntN(len(snapshotOps))]
			line := op
			switch op {
			case "DEL %s", "LPOP %s", "PERSIST %s", "INCR %s", "GETDEL %s":
				line = fmt.Sprintf(op, key())
			case "MOVE %s %d":
				line = fmt.Sprintf(op, key(), rng.IntN(3))
			default:
				line = fmt.Sprintf(op, key(), rng.IntN(60)+1)
			}
			do(s, line)
		}
		for range 300 {
			randomWrite()
		}
		want := dumpAll(s)
		got := map[string]string{}
		sn := s.StartSnapshot(func(db int, key string, o *Object) {
			k := fmt.Sprintf("%d/%s", db, key)
			if _, dup := got[k]; dup {
				t.Fatalf("seed %d: %s emitted twice", seed, k)
			}
			got[k] = render(*o)
		})
		for done := false; !done; {
			for range rng.IntN(8) {
				randomWrite()
			}
			if rng.IntN(10) == 0 {
				// Time passes: the active cycle deletes keys without a lookup.
				clock += 5000
				s.sampleExpired(s.dbs[rng.IntN(3)], 10, clock)
			}
			if rng.IntN(200) == 0 {
				s.SwapDB(0, 1)
			}
			done = sn.Step(rng.IntN(5) + 1)
		}
		if s.Snapshotting() {
			t.Fatalf("seed %d: snapshot still attached after completion", seed)
		}
		if len(got) != len(want) {
			t.Errorf("seed %d: snapshot has %d keys, the cut had %d", seed, len(got), len(want))
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("seed %d: key %s: snapshot has %s, cut had %s", seed, k, got[k], v)
			}
		}
		checkInvariants(t, s)
	}
}

// TestSnapshotSkipsKeysCreatedAfterTheCut checks that new keys stay out and that a second
// snapshot writes everything again.
func TestSnapshotSkipsKeysCreatedAfterTheCut(t *testing.T) {
	s := newTestShard()
	do(s, "SET a 1")
	var first []string
	sn := s.StartSnapshot(func(_ int, key string, _ *Object) { first = append(first, key) })
	do(s, "SET b 2")
	for !sn.Step(10) {
	}
	if len(first) != 1 || first[0] != "a" {
		t.Fatalf("first snapshot emitted %v, want [a]", first)
	}
	var second []string
	sn = s.StartSnapshot(func(_ int, key string, _ *Object) { second = append(second, key) })
	for !sn.Step(1) {
	}
	if len(second) != 2 {
		t.Fatalf("second snapshot emitted %v, want a and b", second)
	}
}

// TestSnapshotFlushFinishesFirst checks that FLUSHALL during a snapshot lets it complete
// with the pre-flush data.
func TestSnapshotFlushFinishesFirst(t *testing.T) {
	s := newTestShard()
	for i := range 100 {
		do(s, fmt.Sprintf("SET k%d v", i))
	}
	n := 0
	sn := s.StartSnapshot(func(int, string, *Object) { n++ })
	sn.Step(10)
	s.Flush(-1)
	if n != 100 || s.Snapshotting() {
		t.Fatalf("after FLUSHALL the snapshot emitted %d keys (running: %v), want all 100", n, s.Snapshotting())
	}
	if !sn.Step(1) {
		t.Fatal("Step after completion reports more work")
	}
}

func BenchmarkSnapshot(b *testing.B) {
	s := newTestShard()
	for i := range 100_000 {
		do(s, fmt.Sprintf("SET key:%d value", i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		sn := s.StartSnapshot(func(int, string, *Object) {})
		for !sn.Step(1000) {
		}
	}
}
