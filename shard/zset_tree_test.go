package shard

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// ztModel is the order a ztree must keep, as a sorted slice.
type ztModel []ztEntryRef

func (m ztModel) find(score float64, member string) (int, bool) {
	return slices.BinarySearchFunc(m, ztEntryRef{score, member}, func(a, b ztEntryRef) int {
		switch {
		case zkeyLess(a.score, a.member, b.score, b.member):
			return -1
		case zkeyLess(b.score, b.member, a.score, a.member):
			return 1
		}
		return 0
	})
}

// TestZTreeMatchesASortedSlice drives a tree and a sorted slice with the same random
// inserts, removals and score updates, through growth to three levels and back down to
// empty, and compares every read the sorted set commands use after each burst.
func TestZTreeMatchesASortedSlice(t *testing.T) {
	for _, tc := range []struct {
		name  string
		order func(rng *rand.Rand, i int) float64
		// drain picks the entry to remove once the test empties the tree: from one
		// end, an underfull node's only sibling is on the other side.
		drain func(rng *rand.Rand, n int) int
	}{
		{"random", func(rng *rand.Rand, _ int) float64 { return float64(rng.IntN(5000)) }, func(_ *rand.Rand, _ int) int { return 0 }},
		{"ascending", func(_ *rand.Rand, i int) float64 { return float64(i) }, func(_ *rand.Rand, n int) int { return n - 1 }},
		{"descending", func(_ *rand.Rand, i int) float64 { return float64(-i) }, func(rng *rand.Rand, n int) int { return rng.IntN(n) }},
		{"ties", func(rng *rand.Rand, _ int) float64 { return float64(rng.IntN(3)) }, func(_ *rand.Rand, n int) int { return n - 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(len(tc.name))))
			tr := newZTree()
			var model ztModel
			scores := map[string]float64{}
			check := func() {
				t.Helper()
				tr.mustBeValid()
				if tr.length != len(model) {
					t.Fatalf("length %d, model %d", tr.length, len(model))
				}
				i := 0
				tr.walk(0, false, func(m []byte, sc float64) bool {
					if string(m) != model[i].member || sc != model[i].score {
						t.Fatalf("entry %d is (%v, %q), want (%v, %q)", i, sc, m, model[i].score, model[i].member)
					}
					i++
					return true
				})
				if i != len(model) {
					t.Fatalf("walked %d entries, want %d", i, len(model))
				}
				for range 20 {
					if len(model) == 0 {
						break
					}
					r := rng.IntN(len(model))
					e := model[r]
					if got := tr.rankOf([]byte(e.member), e.score); got != r+1 {
						t.Fatalf("rankOf(%q) = %d, want %d", e.member, got, r+1)
					}
					n := 0
					tr.walk(r, true, func(m []byte, sc float64) bool {
						if want := model[r-n]; string(m) != want.member || sc != want.score {
							t.Fatalf("reverse walk from %d: step %d is %q, want %q", r, n, m, want.member)
						}
						n++
						return n < 70
					})
					// A bound between entries: everything below (e.score, e.member+"\x00").
					bound := ztEntryRef{e.score, e.member + "\x00"}
					got := tr.prefix(func(m []byte, sc float64) bool { return zkeyLess(sc, string(m), bound.score, bound.member) })
					if got != r+1 {
						t.Fatalf("prefix below %q = %d, want %d", bound.member, got, r+1)
					}
				}
			}
			next, tallest := 0, 0
			for round := range 12 {
				grow := round < 8
				for range 6000 {
					op := rng.IntN(10)
					switch {
					case len(model) > 0 && (op < 3 || (!grow && op < 7)):
						e := model[rng.IntN(len(model))]
						i, _ := model.find(e.score, e.member)
						model = slices.Delete(model, i, i+1)
						tr.remove([]byte(e.member), e.score)
						delete(scores, e.member)
					case len(model) > 0 && op < 5:
						e := model[rng.IntN(len(model))]
						sc := e.score + float64(rng.IntN(7)-3)
						if rng.IntN(2) == 0 {
							sc = tc.order(rng, next)
						}
						if sc == e.score {
							continue
						}
						i, _ := model.find(e.score, e.member)
						model = slices.Delete(model, i, i+1)
						j, _ := model.find(sc, e.member)
						model = slices.Insert(model, j, ztEntryRef{sc, e.member})
						tr.update([]byte(e.member), e.score, sc)
						scores[e.member] = sc
					default:
						m := "m" + strconv.Itoa(next)
						sc := tc.order(rng, next)
						next++
						j, _ := model.find(sc, m)
						model = slices.Insert(model, j, ztEntryRef{sc, m})
						tr.insert(Own([]byte(m)), sc)
						scores[m] = sc
					}
				}
				check()
				tallest = max(tallest, tr.height)
				for m, sc := range scores {
					if tr.dict[m] != sc {
						t.Fatalf("dict[%q] = %v, want %v", m, tr.dict[m], sc)
					}
				}
			}
			if tallest < 2 {
				t.Fatalf("the tree grew to height %d only: inner splits and merges went untested", tallest)
			}
			for len(model) > 0 {
				e := model[tc.drain(rng, len(model))]
				i, _ := model.find(e.score, e.member)
				model = slices.Delete(model, i, i+1)
				tr.remove([]byte(e.member), e.score)
				if len(model)%997 == 0 {
					check()
				}
			}
			check()
			if tr.height != 0 || tr.leaves != 1 {
				t.Fatalf("an emptied tree has height %d and %d leaves", tr.height, tr.leaves)
			}
		})
	}
}

// TestZTreeSortedLoadFillsLeaves: members added in order, as a listpack converts or an
// RDB file loads, fill each leaf before starting the next.
func TestZTreeSortedLoadFillsLeaves(t *testing.T) {
	for _, step := range []float64{1, -1} {
		tr := newZTree()
		const n = 100 * ztLeafMax
		for i := range n {
			tr.insert(Own([]byte("m"+strconv.Itoa(i))), step*float64(i))
		}
		tr.mustBeValid()
		if want := (n + ztLeafMax - 1) / ztLeafMax; tr.leaves > want+1 {
			t.Errorf("step %v: %d members take %d leaves, want at most %d", step, n, tr.leaves, want+1)
		}
	}
}

// TestZTreeBorrowsFromTheRight drains a tree from its low end while the right sibling
// of the first inner node is full, so that nodes at both levels refill from the right
// instead of merging; mustBeValid checks the separators those moves rewrite.
func TestZTreeBorrowsFromTheRight(t *testing.T) {
	tr := newZTree()
	// Ascending inserts fill every leaf; the first inner node split at 64 leaves, so
	// with 31+63 leaves its right sibling is full.
	const n = (ztInnerMax/2 + ztInnerMax) * ztLeafMax
	for i := range n {
		tr.insert(Own([]byte("m"+strconv.Itoa(i))), float64(i))
	}
	if root := (*ztInner)(tr.root); tr.height != 2 || root.n != 2 || (*ztInner)(root.kids[1]).n != ztInnerMax {
		t.Fatalf("setup: height %d, want a root over a full right inner node", tr.height)
	}
	for i := 0; tr.length > n/2; i++ {
		tr.remove([]byte("m"+strconv.Itoa(i)), float64(i))
		if i%17 == 0 {
			tr.mustBeValid()
		}
	}
	tr.mustBeValid()
	i := n / 2
	tr.walk(0, false, func(m []byte, sc float64) bool {
		if string(m) != "m"+strconv.Itoa(i) || sc != float64(i) {
			t.Fatalf("entry %q (%v), want m%d", m, sc, i)
		}
		i++
		return true
	})
}
