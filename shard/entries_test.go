package shard

import (
	"strconv"
	"testing"
)

// TestEntryArray grows and shrinks an array across chunk boundaries and checks contents,
// the spare count and that at most one empty chunk is kept.
func TestEntryArray(t *testing.T) {
	var a entryArray
	check := func(n int) {
		t.Helper()
		if a.n != n {
			t.Fatalf("n = %d, want %d", a.n, n)
		}
		for i := range n {
			if a.at(i).key != strconv.Itoa(i) {
				t.Fatalf("entry %d = %q", i, a.at(i).key)
			}
		}
		chunks := (n + entryChunk - 1) / entryChunk
		if len(a.chunks) > chunks+1 {
			t.Fatalf("%d entries in %d chunks", n, len(a.chunks))
		}
		if n > entryChunk && a.spare() > 2*entryChunk {
			t.Fatalf("%d spare entries for %d", a.spare(), n)
		}
	}
	for i := range 2*entryChunk + 5 {
		a.push(entry{key: strconv.Itoa(i)})
	}
	check(2*entryChunk + 5)
	if cap(a.chunks[0]) != entryChunk {
		t.Fatalf("first chunk capacity %d", cap(a.chunks[0]))
	}
	for a.n > entryChunk-3 {
		a.pop()
	}
	check(entryChunk - 3)
	for range 10 { // back and forth over a boundary
		for range 6 {
			a.push(entry{key: strconv.Itoa(a.n)})
		}
		for range 6 {
			a.pop()
		}
	}
	check(entryChunk - 3)
	for a.n > 0 {
		a.pop()
	}
	check(0)
}
