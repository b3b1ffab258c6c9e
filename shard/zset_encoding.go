package shard

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/basaltdb/basalt/proto"
)

// This file holds the sorted set value. A small sorted set is one listpack
// (list_encoding.go) whose entries alternate member, score, member, score, ordered by
// score and then by member bytes: the "listpack" encoding, in Redis's byte layout (a
// score is stored as its shortest decimal text, an integer entry when it is integral).
// It becomes a "skiplist" (Redis's name, which OBJECT ENCODING reports) for good when
// it would hold more than zset-max-listpack-entries members or a member longer than
// zset-max-listpack-value. Here that encoding is a counted B+tree (zset_tree.go), so rank
// look-ups, rank ranges and score or lex range bounds cost O(log n); a map from member to
// score answers ZSCORE in O(1).

// ZSet is a sorted set value, Object.Coll of a TypeZSet.
//
// Owner: the shard's loop. Invariants: exactly one of lp and tree is in use (tree nil means
// listpack); members are unique and sorted by (score, member); scores are never NaN; a
// sorted set stored under a key is never empty once the command that emptied it has
// returned. Cost: listpack operations are linear in the size (at most
// zset-max-listpack-entries); tree ones O(log n) plus one map access.
type ZSet struct {
	lp   []byte
	tree *ztree
}

// zsetLimits are the conversion thresholds, read once per command.
type zsetLimits struct {
	entries, value int
}

func (s *Shard) zsetLimits() zsetLimits {
	return zsetLimits{
		entries: int(min(s.Settings.ZSetMaxListpackEntries.Load(), 1<<30)),
		value:   int(min(s.Settings.ZSetMaxListpackValue.Load(), 1<<30)),
	}
}

// newZSetFor returns an empty sorted set in the encoding Redis 7.0 picks for a new key
// about to receive n members, the longest maxLen bytes.
func newZSetFor(n, maxLen int, lim zsetLimits) *ZSet {
	if lim.entries == 0 || n > lim.entries || maxLen > lim.value {
		return &ZSet{tree: newZTree()}
	}
	return &ZSet{lp: lpNew(0)}
}

// Len returns the number of members.
func (z *ZSet) Len() int {
	if z.tree != nil {
		return z.tree.length
	}
	return lpLen(z.lp) / 2
}

// Encoding returns the name OBJECT ENCODING reports.
func (z *ZSet) Encoding() string {
	if z.tree != nil {
		return "skiplist"
	}
	return "listpack"
}

// Clone returns a deep copy with the same encoding.
func (z *ZSet) Clone() any {
	if z.tree == nil {
		return &ZSet{lp: append([]byte(nil), z.lp...)}
	}
	c := &ZSet{tree: newZTree()}
	z.tree.walk(0, false, func(m []byte, sc float64) bool {
		c.tree.insert(Own(m), sc)
		return true
	})
	return c
}

// appendScore appends the listpack form of a score: an integer when integral and small
// enough, else the shortest text that reads back as the same double.
func appendScore(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1<<52 {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return proto.AppendDouble(dst, f)
}

// lpScore reads the score entry at p.
func lpScore(lp []byte, p int) float64 {
	str, n, isInt, _ := lpDecode(lp, p)
	if isInt {
		return float64(n)
	}
	f, _ := parseScore(str)
	return f
}

// zless reports whether (s1, m1) sorts before (s2, m2).
func zless(s1 float64, m1 []byte, s2 float64, m2 []byte) bool {
	if s1 != s2 {
		return s1 < s2
	}
	return bytes.Compare(m1, m2) < 0
}

// lpFindMember returns the offset of member's entry in a zset listpack, or -1.
func lpFindMember(lp, member []byte) int {
	m := newMatcher(member)
	for p := lpFirst(lp); p >= 0; p = lpNext(lp, lpNext(lp, p)) {
		if m.match(lp, p) {
			return p
		}
	}
	return -1
}

// score returns member's score.
func (z *ZSet) score(member []byte) (float64, bool) {
	if z.tree != nil {
		sc, ok := z.tree.dict[string(member)]
		return sc, ok
	}
	p := lpFindMember(z.lp, member)
	if p < 0 {
		return 0, false
	}
	return lpScore(z.lp, lpNext(z.lp, p)), true
}

// insert adds member, known to be absent, with score, converting first when the
// listpack would break a threshold. member is copied.
func (z *ZSet) insert(member []byte, score float64, lim zsetLimits) {
	if z.tree == nil && (z.Len()+1 > lim.entries || len(member) > lim.value) {
		z.convert()
	}
	if z.tree != nil {
		z.tree.insert(Own(member), score)
		return
	}
	n := lpLen(z.lp)
	var num [20]byte
	p := lpFirst(z.lp)
	for ; p >= 0; p = lpNext(z.lp, lpNext(z.lp, p)) {
		sc := lpScore(z.lp, lpNext(z.lp, p))
		if zless(score, member, sc, lpValue(z.lp, p, &num)) {
			break
		}
	}
	if p < 0 {
		p = len(z.lp) - 1
	}
	var sbuf [32]byte
	z.lp = lpInsert(z.lp, p, n, member)
	z.lp = lpInsert(z.lp, p+lpEntrySizeAt(z.lp, p), n+1, appendScore(sbuf[:0], score))
}

// remove deletes member and reports whether it was there.
func (z *ZSet) remove(member []byte) bool {
	if z.tree != nil {
		sc, ok := z.tree.dict[string(member)]
		if !ok {
			return false
		}
		z.tree.remove(member, sc)
		return true
	}
	p := lpFindMember(z.lp, member)
	if p < 0 {
		return false
	}
	z.lp = lpDelete(z.lp, p, 2, lpLen(z.lp))
	return true
}

// rank returns member's 0-based rank in ascending order.
func (z *ZSet) rank(member []byte) (int, bool) {
	if z.tree != nil {
		sc, ok := z.tree.dict[string(member)]
		if !ok {
			return 0, false
		}
		return z.tree.rankOf(member, sc) - 1, true
	}
	m := newMatcher(member)
	i := 0
	for p := lpFirst(z.lp); p >= 0; p = lpNext(z.lp, lpNext(z.lp, p)) {
		if m.match(z.lp, p) {
			return i, true
		}
		i++
	}
	return 0, false
}

// prefix returns how many leading members satisfy before, which must be true for a
// prefix of the order and false after it (a range's lower bound). A listpack is scanned
// up to the first member that fails.
func (z *ZSet) prefix(before func(member []byte, score float64) bool) int {
	if z.tree != nil {
		return z.tree.prefix(before)
	}
	var num [20]byte
	i := 0
	for p := lpFirst(z.lp); p >= 0; p = lpNext(z.lp, lpNext(z.lp, p)) {
		if !before(lpValue(z.lp, p, &num), lpScore(z.lp, lpNext(z.lp, p))) {
			break
		}
		i++
	}
	return i
}

// walk calls fn with the members from rank start on, towards higher ranks or, with
// reverse, lower ones, until fn returns false or the set ends. member aliases the set or
// a buffer: valid during the call only.
func (z *ZSet) walk(start int, reverse bool, fn func(member []byte, score float64) bool) {
	n := z.Len()
	if start < 0 || start >= n {
		return
	}
	if z.tree != nil {
		z.tree.walk(start, reverse, fn)
		return
	}
	var num [20]byte
	lp := z.lp
	p := lpSeek(lp, 2*start, 2*n)
	for p >= 0 {
		sp := lpNext(lp, p)
		if !fn(lpValue(lp, p, &num), lpScore(lp, sp)) {
			return
		}
		if reverse {
			p = lpPrev(lp, p)
			if p >= 0 {
				p = lpPrev(lp, p)
			}
		} else {
			p = lpNext(lp, sp)
		}
	}
}

// removeRange deletes count members from rank start on.
func (z *ZSet) removeRange(start, count int) {
	if count <= 0 {
		return
	}
	if z.tree != nil {
		for count = min(count, z.tree.length-start); count > 0; count-- {
			l, i := z.tree.at(start)
			z.tree.remove(proto.Bytes(l.members[i]), l.scores[i])
		}
		return
	}
	n := lpLen(z.lp)
	z.lp = lpDelete(z.lp, lpSeek(z.lp, 2*start, n), 2*count, n)
}

// convert turns a listpack into a tree.
func (z *ZSet) convert() {
	t := newZTree()
	z.walk(0, false, func(m []byte, sc float64) bool {
		t.insert(Own(m), sc)
		return true
	})
	z.tree, z.lp = t, nil
}

// randomRank returns a uniformly random rank; the set must not be empty.
func (z *ZSet) randomRank() int { return rand.IntN(z.Len()) }

// mustBeValid panics when z breaks its invariants; O(n).
func (z *ZSet) mustBeValid() {
	if (z.lp == nil) == (z.tree == nil) {
		panic("BUG: zset with both or neither encoding")
	}
	var prevM []byte
	prevS := math.Inf(-1)
	first := true
	seen := map[string]bool{}
	z.walk(0, false, func(m []byte, sc float64) bool {
		if math.IsNaN(sc) {
			panic("BUG: zset holds a NaN score")
		}
		if !first && !zless(prevS, prevM, sc, m) {
			panic(fmt.Sprintf("BUG: zset member %q out of order", m))
		}
		if seen[string(m)] {
			panic(fmt.Sprintf("BUG: zset member %q twice", m))
		}
		seen[string(m)] = true
		first, prevS, prevM = false, sc, append(prevM[:0], m...)
		return true
	})
	if len(seen) != z.Len() {
		panic(fmt.Sprintf("BUG: zset walks %d members, length %d", len(seen), z.Len()))
	}
	if z.tree != nil {
		z.tree.mustBeValid()
	}
}
