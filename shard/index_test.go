package shard

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// TestKeyIndexModel drives a DB through random inserts and removals, with the index
// growing and shrinking (and so migrating) many times, and checks every key against a
// map after each step that finishes a phase.
func TestKeyIndexModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := newDB(new(atomic.Int64))
	model := map[string]bool{}
	check := func(step int) {
		t.Helper()
		if d.index.len() != d.Len() || len(model) != d.Len() {
			t.Fatalf("step %d: index %d, entries %d, model %d", step, d.index.len(), d.Len(), len(model))
		}
		for k := range model {
			i, ok := d.position(k)
			if !ok || d.at(i).key != k {
				t.Fatalf("step %d: key %q lost (pos %d, %v)", step, k, i, ok)
			}
		}
		if _, ok := d.position("absent"); ok {
			t.Fatalf("step %d: found a key never inserted", step)
		}
	}
	// Phases alternate between mostly inserting and mostly removing, so the table
	// resizes in both directions, often while an earlier resize is still migrating.
	for phase := range 12 {
		grow := phase%2 == 0
		for step := range 20000 {
			k := fmt.Sprintf("k%d", rng.IntN(40000))
			insert := rng.IntN(10) < 8 == grow
			if i, ok := d.position(k); ok && !insert {
				d.removeAt(i)
				delete(model, k)
			} else if !ok && insert {
				d.insert([]byte(k), Object{})
				model[k] = true
			}
			if step%5000 == 0 {
				check(step)
			}
		}
		check(-phase)
	}
	for d.Len() > 0 {
		delete(model, d.at(0).key)
		d.removeAt(0)
	}
	check(-100)
	if d.index.cur != nil || d.index.old != nil {
		t.Errorf("empty index still holds %d+%d slots", len(d.index.cur), len(d.index.old))
	}
}

// TestKeyIndexHashCollisions checks keys whose 32-bit hashes are equal: the key
// comparison, not the hash, decides.
func TestKeyIndexHashCollisions(t *testing.T) {
	var x keyIndex
	var entries entryArray
	for i, k := range []string{"a", "b", "c"} {
		entries.push(entry{key: k})
		x.insert(7, i)
	}
	for i := range entries.n {
		e := entries.at(i)
		if pos, ok := x.lookup(7, e.key, &entries); !ok || pos != i {
			t.Fatalf("lookup %q = %d, %v; want %d", e.key, pos, ok, i)
		}
	}
	x.remove(7, 1)
	if _, ok := x.lookup(7, "b", &entries); ok {
		t.Fatal("removed key still found")
	}
	if pos, ok := x.lookup(7, "c", &entries); !ok || pos != 2 {
		t.Fatalf("lookup c after removal = %d, %v", pos, ok)
	}
}

func BenchmarkKeyIndexLookup(b *testing.B) {
	d := newDB(new(atomic.Int64))
	keys := make([][]byte, 1<<20)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key:%012d", i)
		d.insert(keys[i], Object{})
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, ok := d.position(string(keys[i&(len(keys)-1)])); !ok {
			b.Fatal("missing")
		}
		i += 7919
	}
}

// Prefetch only reads: no hit or miss counted, no access time or LFU change, no entry
// expired or moved, in the keyspace or in a big set or hash.
func TestPrefetchHasNoEffect(t *testing.T) {
	s, keys := benchShard(8)
	i, _ := s.db.position(string(keys[3]))
	before, stats := *s.db.at(i), s.Stats
	s.PrefetchBatch(0, [][]byte{keys[3], []byte("missing"), keys[7]}, nil)
	s.PrefetchBatch(5, keys[:40], nil)
	s.PrefetchBatch(0, keys[:1], nil)
	if s.Stats != stats {
		t.Errorf("stats changed: %+v -> %+v", stats, s.Stats)
	}
	// Members of a big set and hash, present and not, and seconds for keys that hold
	// strings, or shorter than keys.
	w := proto.NewWriter(false)
	for j := range 300 {
		m := []byte("m" + strconv.Itoa(j))
		saddCommand(s, [][]byte{[]byte("SADD"), []byte("bigset"), m}, w)
		hsetCommand(s, [][]byte{[]byte("HSET"), []byte("bighash"), m, m}, w)
	}
	stats = s.Stats
	setKey, hashKey := []byte("bigset"), []byte("bighash")
	s.PrefetchBatch(0, [][]byte{setKey, hashKey, setKey, hashKey, keys[3]},
		[][]byte{[]byte("m7"), []byte("m8"), []byte("nope"), nil, []byte("m9")})
	s.PrefetchBatch(0, [][]byte{setKey, hashKey, keys[3]}, [][]byte{[]byte("m1")})
	if got := s.Stats; got != stats {
		t.Errorf("member prefetch changed stats: %+v -> %+v", stats, got)
	}
	if s.Stats != stats {
		t.Errorf("stats changed: %+v -> %+v", stats, s.Stats)
	}
	if after := *s.db.at(i); after.Access != before.Access || after.lfu != before.lfu || after.key != before.key {
		t.Errorf("entry changed: %+v -> %+v", before, after)
	}
}

// Housekeep finishes a resize that writes left half done.
func TestHousekeepFinishesResize(t *testing.T) {
	s := New(0, 1, NewSettings())
	s.Begin(0)
	for i := 0; s.db.index.old == nil || i < 100; i++ {
		s.setString(fmt.Appendf(nil, "k%d", i), []byte("v"), 0, false)
		if i > 1<<20 {
			t.Fatal("the index never started a resize")
		}
	}
	for range 1000 {
		if s.db.index.old == nil {
			break
		}
		s.Housekeep()
	}
	if s.db.index.old != nil {
		t.Fatal("a resize still runs after housekeeping")
	}
	for i := range s.db.Len() {
		if _, ok := s.db.position(s.db.at(i).key); !ok {
			t.Fatalf("key %q lost", s.db.at(i).key)
		}
	}
}
