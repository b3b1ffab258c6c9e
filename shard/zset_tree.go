package shard

import (
	"fmt"
	"unsafe"

	"github.com/basaltdb/basalt/proto"
)

// This file holds the order of a large sorted set: a B+tree of (score, member) entries
// whose inner nodes count the entries below each child, so that a rank, the member at a
// rank and a range bound each cost O(log n), as Redis's skiplist does. The tree replaced
// a skiplist here because of where the time went: at a million members a skiplist search
// visits ~40 nodes scattered over the heap, one cache miss each, twice per score update.
// The tree's inner nodes (1.5 MB for a million members) stay in cache, and a search
// misses only in the few lines of one leaf that its binary search reads. Scores and
// members sit in separate arrays so that the search reads scores only, 8 to a line.
// Each member costs its 24 bytes of leaf slot instead of a ~100-byte node, and a million
// members are ~20k objects for the collector to scan instead of a million.

const (
	// ztLeafMax fills Go's 1536-byte size class: 24 bytes of header and 24 per entry.
	ztLeafMax = 63
	// ztInnerMax gives a 3 KB node: three levels reach a quarter of a billion entries.
	ztInnerMax = 63
	// ztMinFill is the size below which a node borrows from or merges with a sibling.
	ztMinFill = ztLeafMax / 4
)

// ztLeaf holds a run of consecutive entries. Owner: its ztree.
type ztLeaf struct {
	n          int
	prev, next *ztLeaf
	scores     [ztLeafMax]float64
	members    [ztLeafMax]string
}

// ztInner routes a search to one of its children. Invariants: for i >= 1, every entry
// under kids[i-1] sorts before (scores[i], members[i]) and no entry under kids[i] does
// (the separator need not be an entry: a removal leaves it in place); counts[i] is the
// number of entries under kids[i]. kids are *ztInner, or *ztLeaf one level above leaves.
type ztInner struct {
	n       int
	counts  [ztInnerMax]int
	scores  [ztInnerMax]float64
	members [ztInnerMax]string
	kids    [ztInnerMax]unsafe.Pointer
}

// ztree is the large encoding's ordered index plus its member->score map.
//
// Owner: the ZSet that holds it. Invariants: the leaves, followed by next from first,
// hold every entry once in (score, member) order, and prev links them back; all leaves
// are height levels below root; dict holds every entry's member and score, its key
// viewing the same bytes as the entry (members are never modified).
type ztree struct {
	root   unsafe.Pointer // *ztLeaf when height is 0
	height int
	first  *ztLeaf
	last   *ztLeaf
	length int
	// leaves and inners count the nodes, for MEMORY USAGE.
	leaves, inners int
	dict           map[string]float64
}

func newZTree() *ztree {
	l := &ztLeaf{}
	return &ztree{root: unsafe.Pointer(l), first: l, last: l, leaves: 1, dict: map[string]float64{}}
}

// zkeyLess orders entries by score, then by member bytes.
func zkeyLess(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || (s1 == s2 && m1 < m2)
}

// search returns the index of the first entry that does not sort before (score, member).
func (l *ztLeaf) search(score float64, member string) int {
	lo, hi := 0, l.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if zkeyLess(l.scores[mid], l.members[mid], score, member) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

func (l *ztLeaf) insertAt(i int, score float64, member string) {
	copy(l.scores[i+1:l.n+1], l.scores[i:l.n])
	copy(l.members[i+1:l.n+1], l.members[i:l.n])
	l.scores[i], l.members[i] = score, member
	l.n++
}

func (l *ztLeaf) removeAt(i int) {
	copy(l.scores[i:l.n-1], l.scores[i+1:l.n])
	copy(l.members[i:l.n-1], l.members[i+1:l.n])
	l.n--
	l.members[l.n] = "" // the slot no longer keeps the member's bytes alive
}

// child returns the index of the child whose range holds (score, member).
func (in *ztInner) child(score float64, member string) int {
	lo, hi := 1, in.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if zkeyLess(score, member, in.scores[mid], in.members[mid]) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo - 1
}

// insertKid puts kid, holding count entries and separated from its left neighbour by
// (score, member), at index i.
func (in *ztInner) insertKid(i int, kid unsafe.Pointer, count int, score float64, member string) {
	copy(in.kids[i+1:in.n+1], in.kids[i:in.n])
	copy(in.counts[i+1:in.n+1], in.counts[i:in.n])
	copy(in.scores[i+1:in.n+1], in.scores[i:in.n])
	copy(in.members[i+1:in.n+1], in.members[i:in.n])
	in.kids[i], in.counts[i], in.scores[i], in.members[i] = kid, count, score, member
	in.n++
}

// removeKid drops the child at index i >= 1 together with its separator.
func (in *ztInner) removeKid(i int) {
	copy(in.kids[i:in.n-1], in.kids[i+1:in.n])
	copy(in.counts[i:in.n-1], in.counts[i+1:in.n])
	copy(in.scores[i:in.n-1], in.scores[i+1:in.n])
	copy(in.members[i:in.n-1], in.members[i+1:in.n])
	in.n--
	in.kids[in.n], in.members[in.n] = nil, ""
}

func (in *ztInner) total() int {
	t := 0
	for _, c := range in.counts[:in.n] {
		t += c
	}
	return t
}

// splitPoint is where a full node of max entries splits for an insertion at i: in the
// middle, except at either end of the whole sequence, where a run of ascending or
// descending insertions (a sorted load, an RDB file) then fills nodes completely.
func splitPoint(i, max int, leftmost, rightmost bool) int {
	switch {
	case i == max && rightmost:
		return max
	case i == 0 && leftmost:
		return 0
	}
	return max / 2
}

// insert adds member, known to be absent, with score; the tree keeps member.
func (t *ztree) insert(member []byte, score float64) {
	m := proto.String(member)
	t.insertEntry(score, m)
	t.dict[m] = score
}

// insertEntry puts (score, member) into the order; the caller keeps dict.
func (t *ztree) insertEntry(score float64, member string) {
	right, rs, rm := t.insertBelow(t.root, t.height, score, member, true, true)
	t.length++
	if right != nil {
		rc := t.count(right, t.height)
		root := &ztInner{}
		t.inners++
		root.insertKid(0, t.root, t.length-rc, 0, "")
		root.insertKid(1, right, rc, rs, rm)
		t.root = unsafe.Pointer(root)
		t.height++
	}
}

// count returns the number of entries below p, a node h levels above the leaves.
func (t *ztree) count(p unsafe.Pointer, h int) int {
	if h == 0 {
		return (*ztLeaf)(p).n
	}
	return (*ztInner)(p).total()
}

// insertBelow adds (score, member) under p, h levels above the leaves. When p had to
// split it returns the new right sibling and the separator that goes before it.
func (t *ztree) insertBelow(p unsafe.Pointer, h int, score float64, member string, leftmost, rightmost bool) (unsafe.Pointer, float64, string) {
	if h == 0 {
		l := (*ztLeaf)(p)
		i := l.search(score, member)
		if l.n < ztLeafMax {
			l.insertAt(i, score, member)
			return nil, 0, ""
		}
		k := splitPoint(i, ztLeafMax, leftmost, rightmost)
		r := &ztLeaf{n: l.n - k, prev: l, next: l.next}
		t.leaves++
		copy(r.scores[:], l.scores[k:l.n])
		copy(r.members[:], l.members[k:l.n])
		clear(l.members[k:l.n])
		l.n = k
		if r.next != nil {
			r.next.prev = r
		} else {
			t.last = r
		}
		l.next = r
		if i < k || (i == k && k < ztLeafMax) {
			l.insertAt(i, score, member)
		} else {
			r.insertAt(i-k, score, member)
		}
		return unsafe.Pointer(r), r.scores[0], r.members[0]
	}
	in := (*ztInner)(p)
	i := in.child(score, member)
	in.counts[i]++
	right, rs, rm := t.insertBelow(in.kids[i], h-1, score, member, leftmost && i == 0, rightmost && i == in.n-1)
	if right == nil {
		return nil, 0, ""
	}
	rc := t.count(right, h-1)
	in.counts[i] -= rc
	if in.n < ztInnerMax {
		in.insertKid(i+1, right, rc, rs, rm)
		return nil, 0, ""
	}
	k := ztInnerMax / 2
	r := &ztInner{n: in.n - k}
	t.inners++
	copy(r.kids[:], in.kids[k:in.n])
	copy(r.counts[:], in.counts[k:in.n])
	copy(r.scores[:], in.scores[k:in.n])
	copy(r.members[:], in.members[k:in.n])
	clear(in.kids[k:in.n])
	clear(in.members[k:in.n])
	in.n = k
	if i+1 <= k {
		in.insertKid(i+1, right, rc, rs, rm)
	} else {
		r.insertKid(i+1-k, right, rc, rs, rm)
	}
	// r's first separator moves up to the parent; r never reads its own index 0.
	return unsafe.Pointer(r), r.scores[0], r.members[0]
}

// remove deletes the entry of member with score, which must exist.
func (t *ztree) remove(member []byte, score float64) {
	delete(t.dict, t.removeEntry(score, proto.String(member)))
}

// update moves member, which must exist with score old, to score new. A member whose
// neighbours inside its leaf still bracket the new score keeps its slot; otherwise it
// leaves and re-enters the order. Either way the member's bytes, its dict slot and the
// tree's nodes are reused.
func (t *ztree) update(member []byte, old, new float64) {
	m := proto.String(member)
	p := t.root
	for h := t.height; h > 0; h-- {
		in := (*ztInner)(p)
		p = in.kids[in.child(old, m)]
	}
	l := (*ztLeaf)(p)
	i := l.search(old, m)
	if i == l.n || l.members[i] != m {
		panic(fmt.Sprintf("BUG: sorted set has no member %q at score %v", m, old))
	}
	stored := l.members[i]
	// The first entry of a leaf is bounded by its separator and the last by the next
	// leaf's, which are not at hand: only entries strictly inside a leaf stay put.
	if i > 0 && i < l.n-1 && zkeyLess(l.scores[i-1], l.members[i-1], new, stored) && zkeyLess(new, stored, l.scores[i+1], l.members[i+1]) {
		l.scores[i] = new
	} else {
		t.removeEntry(old, stored)
		t.insertEntry(new, stored)
	}
	t.dict[stored] = new
}

// removeEntry takes (score, member), which must exist, out of the order and returns the
// member as the tree stored it; the caller keeps dict.
func (t *ztree) removeEntry(score float64, member string) string {
	stored := t.removeBelow(t.root, t.height, score, member)
	for t.height > 0 && (*ztInner)(t.root).n == 1 {
		t.root = (*ztInner)(t.root).kids[0]
		t.height--
		t.inners--
	}
	t.length--
	return stored
}

func (t *ztree) removeBelow(p unsafe.Pointer, h int, score float64, member string) string {
	if h == 0 {
		l := (*ztLeaf)(p)
		i := l.search(score, member)
		if i == l.n || l.members[i] != member || l.scores[i] != score {
			panic(fmt.Sprintf("BUG: sorted set has no member %q at score %v", member, score))
		}
		stored := l.members[i]
		l.removeAt(i)
		return stored
	}
	in := (*ztInner)(p)
	i := in.child(score, member)
	in.counts[i]--
	stored := t.removeBelow(in.kids[i], h-1, score, member)
	t.rebalance(in, i, h-1)
	return stored
}

// rebalance refills in's child i, h levels above the leaves, from a sibling once it
// holds fewer than ztMinFill entries or children: the two merge when they fit in one
// node, else the sibling lends half the difference.
func (t *ztree) rebalance(in *ztInner, i, h int) {
	if in.n < 2 || t.fill(in.kids[i], h) >= ztMinFill {
		return
	}
	a := max(i-1, 0)
	b := a + 1
	if h == 0 {
		la, lb := (*ztLeaf)(in.kids[a]), (*ztLeaf)(in.kids[b])
		if la.n+lb.n <= ztLeafMax {
			la.n = moveHead(la.scores[:], la.n, lb.scores[:], lb.n, lb.n)
			moveHead(la.members[:], la.n-lb.n, lb.members[:], lb.n, lb.n)
			la.next = lb.next
			if lb.next != nil {
				lb.next.prev = la
			} else {
				t.last = la
			}
			in.counts[a] += in.counts[b]
			in.removeKid(b)
			t.leaves--
			return
		}
		var k int
		if la.n > lb.n {
			k = (la.n - lb.n) / 2
			moveTail(lb.scores[:], lb.n, la.scores[:], la.n, k)
			lb.n = moveTail(lb.members[:], lb.n, la.members[:], la.n, k)
			la.n -= k
		} else {
			k = -((lb.n - la.n) / 2)
			moveHead(la.scores[:], la.n, lb.scores[:], lb.n, -k)
			la.n = moveHead(la.members[:], la.n, lb.members[:], lb.n, -k)
			lb.n += k
		}
		in.counts[a] -= k
		in.counts[b] += k
		in.scores[b], in.members[b] = lb.scores[0], lb.members[0]
		return
	}
	ia, ib := (*ztInner)(in.kids[a]), (*ztInner)(in.kids[b])
	// in's separator before b becomes the one before b's first child, which ib never
	// reads at index 0 but a move can carry inside ia.
	ib.scores[0], ib.members[0] = in.scores[b], in.members[b]
	var k int
	switch {
	case ia.n+ib.n <= ztInnerMax:
		k = -ib.n
	case ia.n > ib.n:
		k = (ia.n - ib.n) / 2
	default:
		k = -((ib.n - ia.n) / 2)
	}
	moved := 0
	if k > 0 {
		for _, c := range ia.counts[ia.n-k : ia.n] {
			moved += c
		}
		moveTail(ib.kids[:], ib.n, ia.kids[:], ia.n, k)
		moveTail(ib.counts[:], ib.n, ia.counts[:], ia.n, k)
		moveTail(ib.scores[:], ib.n, ia.scores[:], ia.n, k)
		ib.n = moveTail(ib.members[:], ib.n, ia.members[:], ia.n, k)
		ia.n -= k
	} else {
		for _, c := range ib.counts[:-k] {
			moved -= c
		}
		moveHead(ia.kids[:], ia.n, ib.kids[:], ib.n, -k)
		moveHead(ia.counts[:], ia.n, ib.counts[:], ib.n, -k)
		moveHead(ia.scores[:], ia.n, ib.scores[:], ib.n, -k)
		ia.n = moveHead(ia.members[:], ia.n, ib.members[:], ib.n, -k)
		ib.n += k
	}
	in.counts[a] -= moved
	in.counts[b] += moved
	if ib.n == 0 {
		in.removeKid(b)
		t.inners--
		return
	}
	in.scores[b], in.members[b] = ib.scores[0], ib.members[0]
}

// moveTail moves the last k of src[:sn] to the front of dst[:dn] and returns dst's new
// length; the caller shortens src.
func moveTail[T any](dst []T, dn int, src []T, sn, k int) int {
	copy(dst[k:], dst[:dn])
	copy(dst[:k], src[sn-k:sn])
	clear(src[sn-k : sn])
	return dn + k
}

// moveHead moves the first k of src[:sn] to the end of dst[:dn], closes the gap in src
// and returns dst's new length; the caller shortens src.
func moveHead[T any](dst []T, dn int, src []T, sn, k int) int {
	copy(dst[dn:], src[:k])
	copy(src, src[k:sn])
	clear(src[sn-k : sn])
	return dn + k
}

// fill is the number of entries (a leaf) or children (an inner node) of p.
func (t *ztree) fill(p unsafe.Pointer, h int) int {
	if h == 0 {
		return (*ztLeaf)(p).n
	}
	return (*ztInner)(p).n
}

// rankOf returns the 1-based rank of an existing member.
func (t *ztree) rankOf(member []byte, score float64) int {
	m := proto.String(member)
	r := 0
	p := t.root
	for h := t.height; h > 0; h-- {
		in := (*ztInner)(p)
		i := in.child(score, m)
		for _, c := range in.counts[:i] {
			r += c
		}
		p = in.kids[i]
	}
	return r + (*ztLeaf)(p).search(score, m) + 1
}

// at returns the leaf and index of the entry at 0-based rank r, which must exist.
func (t *ztree) at(r int) (*ztLeaf, int) {
	p := t.root
	for h := t.height; h > 0; h-- {
		in := (*ztInner)(p)
		i := 0
		for ; i < in.n-1 && r >= in.counts[i]; i++ {
			r -= in.counts[i]
		}
		p = in.kids[i]
	}
	return (*ztLeaf)(p), r
}

// prefix counts the leading entries that satisfy before, which holds for a prefix of
// the order of all (score, member) pairs, entries or not: a range's lower bound.
func (t *ztree) prefix(before func(member []byte, score float64) bool) int {
	r := 0
	p := t.root
	for h := t.height; h > 0; h-- {
		in := (*ztInner)(p)
		// Every entry under the children before i sorts below separator i; when before
		// holds for the separator it holds for them all.
		i := firstFailing(in.scores[:in.n], in.members[:in.n], 1, before) - 1
		for _, c := range in.counts[:i] {
			r += c
		}
		p = in.kids[i]
	}
	l := (*ztLeaf)(p)
	return r + firstFailing(l.scores[:l.n], l.members[:l.n], 0, before)
}

// firstFailing returns the first index from lo on whose pair fails before, which holds
// for a prefix of the pairs, or len(scores).
func firstFailing(scores []float64, members []string, lo int, before func(member []byte, score float64) bool) int {
	hi := len(scores)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if before(proto.Bytes(members[mid]), scores[mid]) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// walk calls fn with the entries from 0-based rank start on, upwards or, with reverse,
// downwards, until fn returns false or the entries end.
func (t *ztree) walk(start int, reverse bool, fn func(member []byte, score float64) bool) {
	if start < 0 || start >= t.length {
		return
	}
	l, i := t.at(start)
	for l != nil {
		if reverse {
			for ; i >= 0; i-- {
				if !fn(proto.Bytes(l.members[i]), l.scores[i]) {
					return
				}
			}
			if l = l.prev; l != nil {
				i = l.n - 1
			}
			continue
		}
		for ; i < l.n; i++ {
			if !fn(proto.Bytes(l.members[i]), l.scores[i]) {
				return
			}
		}
		l, i = l.next, 0
	}
}

// mustBeValid panics when the tree breaks its invariants; O(n).
func (t *ztree) mustBeValid() {
	var leaves []*ztLeaf
	inners := 0
	var check func(p unsafe.Pointer, h int, lo, hi *ztEntryRef) int
	check = func(p unsafe.Pointer, h int, lo, hi *ztEntryRef) int {
		if h == 0 {
			l := (*ztLeaf)(p)
			leaves = append(leaves, l)
			for i := range l.n {
				if lo != nil && zkeyLess(l.scores[i], l.members[i], lo.score, lo.member) {
					panic("BUG: sorted set entry before its leaf's range")
				}
				if hi != nil && !zkeyLess(l.scores[i], l.members[i], hi.score, hi.member) {
					panic("BUG: sorted set entry after its leaf's range")
				}
			}
			return l.n
		}
		in := (*ztInner)(p)
		inners++
		if in.n < 1 || (p != t.root && in.n < 2) {
			panic(fmt.Sprintf("BUG: sorted set inner node with %d children", in.n))
		}
		total := 0
		for i := range in.n {
			klo, khi := lo, hi
			if i > 0 {
				klo = &ztEntryRef{in.scores[i], in.members[i]}
			}
			if i+1 < in.n {
				khi = &ztEntryRef{in.scores[i+1], in.members[i+1]}
			}
			c := check(in.kids[i], h-1, klo, khi)
			if c != in.counts[i] {
				panic(fmt.Sprintf("BUG: sorted set child counted %d, holds %d", in.counts[i], c))
			}
			total += c
		}
		return total
	}
	if n := check(t.root, t.height, nil, nil); n != t.length {
		panic(fmt.Sprintf("BUG: sorted set tree holds %d entries, length %d", n, t.length))
	}
	if len(leaves) != t.leaves || inners != t.inners {
		panic(fmt.Sprintf("BUG: sorted set tree counts %d leaves and %d inner nodes, has %d and %d", t.leaves, t.inners, len(leaves), inners))
	}
	if len(leaves) == 0 || t.first != leaves[0] || t.last != leaves[len(leaves)-1] {
		panic("BUG: sorted set first or last leaf is wrong")
	}
	for i, l := range leaves {
		if l.n == 0 && t.length > 0 {
			panic("BUG: sorted set keeps an empty leaf")
		}
		var prev, next *ztLeaf
		if i > 0 {
			prev = leaves[i-1]
		}
		if i+1 < len(leaves) {
			next = leaves[i+1]
		}
		if l.prev != prev || l.next != next {
			panic("BUG: sorted set leaves are mislinked")
		}
	}
	if len(t.dict) != t.length {
		panic("BUG: sorted set dict and tree sizes differ")
	}
}

// ztEntryRef is a bound in mustBeValid.
type ztEntryRef struct {
	score  float64
	member string
}
