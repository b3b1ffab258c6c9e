package shard

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/basaltdb/basalt/proto"
)

// This file holds the set value and its three encodings, with Redis 7.2's names and
// conversion points:
//
//   - intset: a sorted []int64, while every member is a canonical 64-bit integer and
//     there are at most set-max-intset-entries of them;
//   - listpack: one listpack (list_encoding.go) in insertion order, while there are at
//     most set-max-listpack-entries members of at most set-max-listpack-value bytes;
//   - hashtable: a dense member array with an index from member to position.
//
// A set only moves toward hashtable as it grows (intset → listpack → hashtable, or
// intset → hashtable); removals never convert it back. Only a set rebuilt from scratch
// (SPOP of most members, the STORE commands) starts small again.

// Set encodings.
const (
	setIntset uint8 = iota
	setListpack
	setHashtable
)

// setLimits are the conversion thresholds, read once per command from Settings.
type setLimits struct {
	intsetEntries   int
	listpackEntries int
	listpackValue   int
}

// setLimits returns the current thresholds.
func (s *Shard) setLimits() setLimits {
	return setLimits{
		// Redis caps intsets at 2^30 entries whatever the configuration says.
		intsetEntries:   int(min(s.Settings.SetMaxIntsetEntries.Load(), 1<<30)),
		listpackEntries: int(s.Settings.SetMaxListpackEntries.Load()),
		listpackValue:   int(s.Settings.SetMaxListpackValue.Load()),
	}
}

// Set is a set value, Object.Coll of a TypeSet.
//
// Owner: the shard's loop, or whoever a Set was handed to (SetClone, SetStore transfer
// ownership). Invariants: exactly one encoding's fields are in use; ints is sorted and
// without duplicates; index[members[i]] == i; no encoding holds a member twice; only
// the command that empties a set ever sees it empty. Cost: intset membership is a
// binary search, listpack membership a linear scan of at most
// set-max-listpack-entries entries, hashtable membership one map lookup; a random
// member is O(1) except in a listpack (O(n) seek).
type Set struct {
	enc  uint8
	ints []int64
	lp   []byte
	// members and index make the hashtable: members is dense, so a random position is a
	// random member, and removal swaps the last member into the hole (SSCAN walks
	// positions from high to low, so a member present for the whole scan is seen).
	// index is the keyspace's pointer-free table (index.go) over positions in members:
	// 8 bytes a slot instead of a map's ~30 a member, and nothing for the GC to scan.
	members []string
	index   keyIndex
}

// newSetFor returns an empty set in the encoding Redis 7.2 picks for a set created
// with first as its first member and about hint members in all.
func newSetFor(first []byte, hint int, lim setLimits) *Set {
	if _, ok := proto.ParseInt(first); ok && hint <= lim.intsetEntries {
		return &Set{enc: setIntset}
	}
	if hint <= lim.listpackEntries {
		return &Set{enc: setListpack, lp: lpNew(0)}
	}
	return newHashSet(hint)
}

// newHashSet returns an empty hashtable-encoded set with room for hint members.
func newHashSet(hint int) *Set {
	hint = min(hint, 1<<16)
	return &Set{enc: setHashtable, members: make([]string, 0, hint)}
}

// Len returns the number of members.
func (st *Set) Len() int {
	switch st.enc {
	case setIntset:
		return len(st.ints)
	case setListpack:
		return lpLen(st.lp)
	}
	return len(st.members)
}

// Encoding returns the name OBJECT ENCODING reports.
func (st *Set) Encoding() string {
	switch st.enc {
	case setIntset:
		return "intset"
	case setListpack:
		return "listpack"
	}
	return "hashtable"
}

// Clone returns a deep copy with the same encoding (COPY, and moves between shards).
func (st *Set) Clone() any { return st.clone() }

func (st *Set) clone() *Set {
	c := &Set{enc: st.enc}
	switch st.enc {
	case setIntset:
		c.ints = slices.Clone(st.ints)
	case setListpack:
		c.lp = slices.Clone(st.lp)
	default:
		c.members = slices.Clone(st.members)
		c.index = st.index.clone()
	}
	return c
}

// contains reports whether m is a member.
func (st *Set) contains(m []byte) bool {
	switch st.enc {
	case setIntset:
		n, ok := proto.ParseInt(m)
		if !ok {
			return false
		}
		_, found := slices.BinarySearch(st.ints, n)
		return found
	case setListpack:
		return st.lpFind(m) >= 0
	}
	_, ok := st.find(keyHash(m), m)
	return ok
}

// lpFind returns the offset of m in the listpack, or -1.
func (st *Set) lpFind(m []byte) int {
	match := newMatcher(m)
	for p := lpFirst(st.lp); p >= 0; p = lpNext(st.lp, p) {
		if match.match(st.lp, p) {
			return p
		}
	}
	return -1
}

// add adds m, converting the encoding first when m would break lim, and reports whether
// m was new. m is copied.
func (st *Set) add(m []byte, lim setLimits) bool {
	switch st.enc {
	case setIntset:
		if n, ok := proto.ParseInt(m); ok {
			i, found := slices.BinarySearch(st.ints, n)
			if found {
				return false
			}
			st.ints = slices.Insert(st.ints, i, n)
			if len(st.ints) > lim.intsetEntries {
				st.convert(setHashtable, len(st.ints))
			}
			return true
		}
		// A string joins: a listpack if every member, the integers as decimal text,
		// fits its limits, else a hashtable.
		if len(st.ints) < lim.listpackEntries && len(m) <= lim.listpackValue && st.maxIntDigits() <= lim.listpackValue {
			st.convert(setListpack, len(st.ints)+1)
		} else {
			st.convert(setHashtable, len(st.ints)+1)
		}
		return st.add(m, lim)
	case setListpack:
		if st.lpFind(m) >= 0 {
			return false
		}
		n := lpLen(st.lp)
		if n < lim.listpackEntries && len(m) <= lim.listpackValue {
			st.lp = lpInsert(st.lp, len(st.lp)-1, n, m)
			return true
		}
		st.convert(setHashtable, n+1)
	}
	h := keyHash(m)
	if _, ok := st.find(h, m); ok {
		return false
	}
	st.index.insert(h, len(st.members))
	st.members = append(st.members, string(m))
	return true
}

// find returns the position of m, whose keyHash is h, in a hashtable-encoded set.
func (st *Set) find(h uint32, m []byte) (int, bool) {
	return st.index.lookupFunc(h, func(pos int) bool { return st.members[pos] == proto.String(m) })
}

// maxIntDigits is the longest decimal form (sign included) among the intset's members.
func (st *Set) maxIntDigits() int {
	if len(st.ints) == 0 {
		return 0
	}
	var buf [20]byte
	lo := len(strconv.AppendInt(buf[:0], st.ints[0], 10))
	hi := len(strconv.AppendInt(buf[:0], st.ints[len(st.ints)-1], 10))
	return max(lo, hi)
}

// remove deletes m and reports whether it was a member.
func (st *Set) remove(m []byte) bool {
	switch st.enc {
	case setIntset:
		n, ok := proto.ParseInt(m)
		if !ok {
			return false
		}
		i, found := slices.BinarySearch(st.ints, n)
		if found {
			st.ints = slices.Delete(st.ints, i, i+1)
		}
		return found
	case setListpack:
		p := st.lpFind(m)
		if p < 0 {
			return false
		}
		st.lp = lpDelete(st.lp, p, 1, lpLen(st.lp))
		return true
	}
	i, ok := st.find(keyHash(m), m)
	if !ok {
		return false
	}
	st.removeAt(i)
	return true
}

// removeAt deletes member i of a hashtable-encoded set.
func (st *Set) removeAt(i int) {
	st.index.remove(keyHashString(st.members[i]), i)
	last := len(st.members) - 1
	if i != last {
		st.members[i] = st.members[last]
		st.index.repoint(keyHashString(st.members[i]), last, i)
	}
	st.members[last] = ""
	st.members = st.members[:last]
	if cap(st.members) > 64 && len(st.members) < cap(st.members)/4 {
		st.members = slices.Clip(append(make([]string, 0, cap(st.members)/2), st.members...))
	}
}

// convert moves the members to encoding enc (a larger one), sized for hint members.
func (st *Set) convert(enc uint8, hint int) {
	if enc == st.enc {
		return
	}
	var next *Set
	if enc == setListpack {
		next = &Set{enc: setListpack, lp: lpNew(0)}
	} else {
		next = newHashSet(hint)
	}
	st.each(func(m []byte) bool {
		next.appendNew(m)
		return true
	})
	*st = *next
}

// appendNew adds m, known not to be a member, to a listpack or hashtable without any
// limit check.
func (st *Set) appendNew(m []byte) {
	if st.enc == setListpack {
		st.lp = lpInsert(st.lp, len(st.lp)-1, lpLen(st.lp), m)
		return
	}
	st.index.insert(keyHash(m), len(st.members))
	st.members = append(st.members, string(m))
}

// each calls fn with every member until fn returns false. The slice fn gets is only
// valid during the call: it aliases the set or a scratch buffer. The set must not change
// during the walk.
func (st *Set) each(fn func(m []byte) bool) {
	var num [20]byte
	var scratch []byte
	switch st.enc {
	case setIntset:
		for _, n := range st.ints {
			if !fn(strconv.AppendInt(num[:0], n, 10)) {
				return
			}
		}
	case setListpack:
		for p := lpFirst(st.lp); p >= 0; p = lpNext(st.lp, p) {
			if !fn(lpValue(st.lp, p, &num)) {
				return
			}
		}
	default:
		for _, m := range st.members {
			scratch = append(scratch[:0], m...)
			if !fn(scratch) {
				return
			}
		}
	}
}

// appendAt appends member i (0 <= i < Len), in the encoding's order, to buf.
func (st *Set) appendAt(buf []byte, i int) []byte {
	switch st.enc {
	case setIntset:
		return strconv.AppendInt(buf, st.ints[i], 10)
	case setListpack:
		var num [20]byte
		return append(buf, lpValue(st.lp, lpSeek(st.lp, i, lpLen(st.lp)), &num)...)
	}
	return append(buf, st.members[i]...)
}

// removeIndex deletes member i (0 <= i < Len) in the encoding's order.
func (st *Set) removeIndex(i int) {
	switch st.enc {
	case setIntset:
		st.ints = slices.Delete(st.ints, i, i+1)
	case setListpack:
		st.lp = lpDelete(st.lp, lpSeek(st.lp, i, lpLen(st.lp)), 1, lpLen(st.lp))
	default:
		st.removeAt(i)
	}
}

// randomIndex returns a uniformly chosen member position of a non-empty set.
func (st *Set) randomIndex() int { return rand.IntN(st.Len()) }

// mustBeValid panics when st breaks its invariants. (The thresholds may have been
// lowered by CONFIG SET since the set grew, so they are not checked.) It costs O(n); set
// writes call it when listChecks is on.
func (st *Set) mustBeValid() {
	switch st.enc {
	case setIntset:
		if !slices.IsSorted(st.ints) || len(slices.Compact(slices.Clone(st.ints))) != len(st.ints) {
			panic("BUG: intset not sorted or holds duplicates")
		}
	case setListpack:
		if n := binary.LittleEndian.Uint32(st.lp[0:4]); int(n) != len(st.lp) || st.lp[len(st.lp)-1] != lpEOF {
			panic(fmt.Sprintf("BUG: listpack set header says %d bytes, has %d", n, len(st.lp)))
		}
	default:
		if st.index.len() != len(st.members) {
			panic(fmt.Sprintf("BUG: hashtable set index holds %d, members %d", st.index.len(), len(st.members)))
		}
		for i, m := range st.members {
			if j, ok := st.find(keyHashString(m), proto.Bytes(m)); !ok || j != i {
				panic(fmt.Sprintf("BUG: hashtable set member %q at %d indexed at %d", m, i, j))
			}
		}
	}
}
