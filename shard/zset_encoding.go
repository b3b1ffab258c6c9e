package shard

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"unsafe"

	"github.com/basaltdb/basalt/proto"
)

// This file holds the sorted set value. A small sorted set is one listpack
// (list_encoding.go) whose entries alternate member, score, member, score, ordered by
// score and then by member bytes: the "listpack" encoding, in Redis's byte layout (a
// score is stored as its shortest decimal text, an integer entry when it is integral).
// It becomes a "skiplist" for good when it would hold more than
// zset-max-listpack-entries members or a member longer than zset-max-listpack-value.
//
// The skiplist keeps the same order with a span on every link, so rank look-ups, rank
// ranges and score or lex range bounds cost O(log n); a map from member to score answers
// ZSCORE in O(1).

// ZSet is a sorted set value, Object.Coll of a TypeZSet.
//
// Owner: the shard's loop. Invariants: exactly one of lp and sl is in use (sl nil means
// listpack); members are unique and sorted by (score, member); scores are never NaN; a
// sorted set stored under a key is never empty once the command that emptied it has
// returned. Cost: listpack operations are linear in the size (at most
// zset-max-listpack-entries); skiplist ones O(log n) plus one map access.
type ZSet struct {
	lp []byte
	sl *skiplist
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
		return &ZSet{sl: newSkiplist()}
	}
	return &ZSet{lp: lpNew(0)}
}

// Len returns the number of members.
func (z *ZSet) Len() int {
	if z.sl != nil {
		return z.sl.length
	}
	return lpLen(z.lp) / 2
}

// Encoding returns the name OBJECT ENCODING reports.
func (z *ZSet) Encoding() string {
	if z.sl != nil {
		return "skiplist"
	}
	return "listpack"
}

// Clone returns a deep copy with the same encoding.
func (z *ZSet) Clone() any {
	if z.sl == nil {
		return &ZSet{lp: append([]byte(nil), z.lp...)}
	}
	c := &ZSet{sl: newSkiplist()}
	for x := z.sl.head.levels[0].next; x != nil; x = x.levels[0].next {
		c.sl.insert(Own(x.member), x.score)
	}
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
	if z.sl != nil {
		sc, ok := z.sl.dict[string(member)]
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
	if z.sl == nil && (z.Len()+1 > lim.entries || len(member) > lim.value) {
		z.convert()
	}
	if z.sl != nil {
		z.sl.insert(Own(member), score)
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
	if z.sl != nil {
		sc, ok := z.sl.dict[string(member)]
		if !ok {
			return false
		}
		z.sl.remove(member, sc)
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
	if z.sl != nil {
		sc, ok := z.sl.dict[string(member)]
		if !ok {
			return 0, false
		}
		return z.sl.rankOf(member, sc) - 1, true
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
	if z.sl != nil {
		return z.sl.prefix(before)
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
	if z.sl != nil {
		for x := z.sl.byRank(start + 1); x != nil; {
			if !fn(x.member, x.score) {
				return
			}
			if reverse {
				x = x.back
			} else {
				x = x.levels[0].next
			}
		}
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
	if z.sl != nil {
		x := z.sl.byRank(start + 1)
		for ; count > 0 && x != nil; count-- {
			next := x.levels[0].next
			z.sl.remove(x.member, x.score)
			x = next
		}
		return
	}
	n := lpLen(z.lp)
	z.lp = lpDelete(z.lp, lpSeek(z.lp, 2*start, n), 2*count, n)
}

// convert turns a listpack into a skiplist.
func (z *ZSet) convert() {
	sl := newSkiplist()
	z.walk(0, false, func(m []byte, sc float64) bool {
		sl.insert(Own(m), sc)
		return true
	})
	z.sl, z.lp = sl, nil
}

// randomRank returns a uniformly random rank; the set must not be empty.
func (z *ZSet) randomRank() int { return rand.IntN(z.Len()) }

// mustBeValid panics when z breaks its invariants; O(n).
func (z *ZSet) mustBeValid() {
	if (z.lp == nil) == (z.sl == nil) {
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
	if z.sl != nil && len(z.sl.dict) != z.sl.length {
		panic("BUG: zset dict and skiplist sizes differ")
	}
}

// skiplistMaxLevel bounds node heights; 1/4 of the nodes of a level reach the next.
const skiplistMaxLevel = 32

// skiplist is the large encoding's ordered index plus its member->score map.
//
// Owner: the ZSet that holds it. Invariants: following levels[0] visits the nodes in
// (score, member) order; a link's span is the number of level-0 steps it skips; dict
// holds every node's member and score.
type skiplist struct {
	head   *slNode
	tail   *slNode
	length int
	level  int
	dict   map[string]float64
}

// slNode is one member. Its key in skiplist.dict views member's bytes (proto.String),
// so member is never modified.
type slNode struct {
	member []byte
	score  float64
	back   *slNode
	levels []slLink
	// short holds the links of nodes with at most two levels (15 in 16 nodes), so that
	// levels points into the node itself: one allocation, and the links sit next to the
	// score that a search compares. Nodes are only ever used through pointers. It must
	// stay the last field: a taller node's links continue past it (newSLNode).
	short [2]slLink
}

// Taller nodes are an slNode with more links right after short, so that levels is one
// run of links inside the node's own allocation. A search mostly walks tall nodes; a
// separate links array cost each of those steps a second dependent cache miss.
type (
	slNode4 struct {
		slNode
		more [2]slLink
	}
	slNode8 struct {
		slNode
		more [6]slLink
	}
	slNode16 struct {
		slNode
		more [14]slLink
	}
	slNode32 struct {
		slNode
		more [skiplistMaxLevel - 2]slLink
	}
)

// newSLNode allocates a node with lvl levels.
func newSLNode(lvl int) *slNode {
	var x *slNode
	switch {
	case lvl <= 2:
		x = &slNode{}
		x.levels = x.short[:lvl:lvl]
		return x
	case lvl <= 4:
		x = &(&slNode4{}).slNode
	case lvl <= 8:
		x = &(&slNode8{}).slNode
	case lvl <= 16:
		x = &(&slNode16{}).slNode
	default:
		x = &(&slNode32{}).slNode
	}
	// short is slNode's last field and more follows it in the wrapper, both of 16-byte
	// links: the links are contiguous, inside one allocation.
	x.levels = unsafe.Slice(&x.short[0], lvl)
	return x
}

type slLink struct {
	next *slNode
	span int
}

func newSkiplist() *skiplist {
	return &skiplist{head: &slNode{levels: make([]slLink, skiplistMaxLevel)}, level: 1,
		dict: map[string]float64{}}
}

func randomLevel() int {
	l := 1
	for l < skiplistMaxLevel && rand.Uint32()&3 == 0 {
		l++
	}
	return l
}

func nodeBefore(x *slNode, score float64, member []byte) bool {
	return x.score < score || (x.score == score && bytes.Compare(x.member, member) < 0)
}

// insert adds member, known to be absent; the skiplist keeps member.
func (sl *skiplist) insert(member []byte, score float64) {
	var update [skiplistMaxLevel]*slNode
	var rank [skiplistMaxLevel]int
	x := sl.head
	for i := sl.level - 1; i >= 0; i-- {
		if i < sl.level-1 {
			rank[i] = rank[i+1]
		}
		for x.levels[i].next != nil && nodeBefore(x.levels[i].next, score, member) {
			rank[i] += x.levels[i].span
			x = x.levels[i].next
		}
		update[i] = x
	}
	lvl := randomLevel()
	if lvl > sl.level {
		for i := sl.level; i < lvl; i++ {
			rank[i] = 0
			update[i] = sl.head
			update[i].levels[i].span = sl.length
		}
		sl.level = lvl
	}
	x = newSLNode(lvl)
	x.member, x.score = member, score
	for i := range lvl {
		x.levels[i].next = update[i].levels[i].next
		update[i].levels[i].next = x
		x.levels[i].span = update[i].levels[i].span - (rank[0] - rank[i])
		update[i].levels[i].span = rank[0] - rank[i] + 1
	}
	for i := lvl; i < sl.level; i++ {
		update[i].levels[i].span++
	}
	if update[0] != sl.head {
		x.back = update[0]
	}
	if x.levels[0].next != nil {
		x.levels[0].next.back = x
	} else {
		sl.tail = x
	}
	sl.length++
	sl.dict[proto.String(member)] = score
}

// remove deletes the node of member with score, which must exist.
func (sl *skiplist) remove(member []byte, score float64) {
	var update [skiplistMaxLevel]*slNode
	x := sl.head
	for i := sl.level - 1; i >= 0; i-- {
		for x.levels[i].next != nil && nodeBefore(x.levels[i].next, score, member) {
			x = x.levels[i].next
		}
		update[i] = x
	}
	x = x.levels[0].next
	if x == nil || !bytes.Equal(x.member, member) {
		panic(fmt.Sprintf("BUG: skiplist has no member %q at score %v", member, score))
	}
	for i := range sl.level {
		if update[i].levels[i].next == x {
			update[i].levels[i].span += x.levels[i].span - 1
			update[i].levels[i].next = x.levels[i].next
		} else {
			update[i].levels[i].span--
		}
	}
	if x.levels[0].next != nil {
		x.levels[0].next.back = x.back
	} else {
		sl.tail = x.back
	}
	for sl.level > 1 && sl.head.levels[sl.level-1].next == nil {
		sl.level--
	}
	sl.length--
	delete(sl.dict, string(member))
}

// rankOf returns the 1-based rank of an existing member.
func (sl *skiplist) rankOf(member []byte, score float64) int {
	r := 0
	x := sl.head
	for i := sl.level - 1; i >= 0; i-- {
		for x.levels[i].next != nil && nodeBefore(x.levels[i].next, score, member) {
			r += x.levels[i].span
			x = x.levels[i].next
		}
	}
	// x is the last node before member; member follows it.
	return r + 1
}

// byRank returns the node at 1-based rank r, or nil.
func (sl *skiplist) byRank(r int) *slNode {
	if r < 1 || r > sl.length {
		return nil
	}
	t := 0
	x := sl.head
	for i := sl.level - 1; i >= 0; i-- {
		for x.levels[i].next != nil && t+x.levels[i].span <= r {
			t += x.levels[i].span
			x = x.levels[i].next
		}
		if t == r {
			return x
		}
	}
	return nil
}

// prefix counts the leading nodes that satisfy before (monotone).
func (sl *skiplist) prefix(before func(member []byte, score float64) bool) int {
	r := 0
	x := sl.head
	for i := sl.level - 1; i >= 0; i-- {
		for x.levels[i].next != nil && before(x.levels[i].next.member, x.levels[i].next.score) {
			r += x.levels[i].span
			x = x.levels[i].next
		}
	}
	return r
}
