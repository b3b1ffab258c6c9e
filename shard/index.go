package shard

import (
	"slices"

	"github.com/zeebo/xxh3"
)

// keyIndex maps each key of a DB to its position in the entries array.
//
// Why not a Go map: a map[string]uint32 costs about 60 bytes per key at a million keys
// and holds a string pointer per key that every garbage collection scans. keyIndex is a
// flat []uint64 open-addressing table, about 11 to 21 bytes per key, with no pointers.
//
// A slot holds the key's 32-bit hash in its high half and the position plus one in its
// low half (0 is an empty slot). The hash picks the home slot and filters candidates, so
// a lookup reads an entry only for a probable match, and growing the table never reads
// a key. Linear probing with backward-shift deletion keeps probe chains short without
// tombstones in the live table.
//
// Resizing is incremental, as a Go map's or Redis's dict's: a full table becomes old,
// and every insert or removal moves a few of its slots into the new one, so no single
// command pays for rehashing millions of keys. Lookups consult both tables meanwhile;
// slots moved out of old become tombstones there, so its probe chains stay intact.
type keyIndex struct {
	cur  []uint64
	old  []uint64
	next int // first slot of old not yet moved
	n    int // keys in cur and old together
}

const (
	indexMinSize = 8
	// tombstone marks a slot of old whose key has moved to cur or been removed. Its
	// position half is 2^32-1, which no key has: DB positions stay below 2^32-1.
	tombstone = ^uint64(0)
	// migrateStep is how many old slots each insert or removal moves. A table grows at
	// 3/4 load to twice its size, so it is drained after a quarter as many inserts as
	// it had slots, long before the new one is 3/4 full.
	migrateStep = 8
)

// keyHash is the index's hash of key. The high half of xxh3 is used: routing takes the
// hash modulo the shard count, so a shard's keys share low bits.
func keyHash(key []byte) uint32 { return uint32(xxh3.Hash(key) >> 32) }

// keyHashString is keyHash for a string key.
func keyHashString(key string) uint32 { return uint32(xxh3.HashString(key) >> 32) }

func slotOf(h uint32, pos int) uint64 { return uint64(h)<<32 | uint64(pos+1) }

// len returns the number of keys indexed.
func (x *keyIndex) len() int { return x.n }

// lookup returns the position of key, whose hash is h, among entries.
func (x *keyIndex) lookup(h uint32, key string, entries *entryArray) (int, bool) {
	if pos, ok := probe(x.cur, h, key, entries); ok {
		return pos, true
	}
	if x.old != nil {
		return probe(x.old, h, key, entries)
	}
	return 0, false
}

func probe(t []uint64, h uint32, key string, entries *entryArray) (int, bool) {
	if len(t) == 0 {
		return 0, false
	}
	mask := uint32(len(t) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := t[i]
		if s == 0 {
			return 0, false
		}
		if uint32(s>>32) == h && s != tombstone {
			if pos := int(uint32(s)) - 1; entries.at(pos).key == key {
				return pos, true
			}
		}
	}
}

// lookupFunc returns the position, among the slots hashing to h, for which same
// reports true: the index of a collection (a big set's members, a big hash's fields)
// rather than of a DB's entries. same runs only for slots whose hash matches.
func (x *keyIndex) lookupFunc(h uint32, same func(pos int) bool) (int, bool) {
	for _, t := range [2][]uint64{x.cur, x.old} {
		if len(t) == 0 {
			continue
		}
		mask := uint32(len(t) - 1)
		for i := h & mask; t[i] != 0; i = (i + 1) & mask {
			if s := t[i]; uint32(s>>32) == h && s != tombstone && same(int(uint32(s))-1) {
				return int(uint32(s)) - 1, true
			}
		}
	}
	return 0, false
}

// clone returns a copy that shares nothing with x.
func (x *keyIndex) clone() keyIndex {
	return keyIndex{cur: slices.Clone(x.cur), old: slices.Clone(x.old), next: x.next, n: x.n}
}

// slots returns the number of slots allocated, for MEMORY USAGE.
func (x *keyIndex) slots() int { return len(x.cur) + len(x.old) }

// insert indexes a key that is not present, at position pos.
func (x *keyIndex) insert(h uint32, pos int) {
	x.migrate()
	if x.old == nil && (x.n+1)*4 > len(x.cur)*3 {
		x.resize(max(len(x.cur)*2, indexMinSize))
	}
	place(x.cur, slotOf(h, pos))
	x.n++
}

func place(t []uint64, s uint64) {
	mask := uint32(len(t) - 1)
	i := uint32(s>>32) & mask
	for t[i] != 0 {
		i = (i + 1) & mask
	}
	t[i] = s
}

// remove drops the key hashing to h at position pos.
func (x *keyIndex) remove(h uint32, pos int) {
	s := slotOf(h, pos)
	if i, ok := find(x.cur, s); ok {
		x.unplace(i)
	} else if i, ok := find(x.old, s); ok {
		x.old[i] = tombstone
	} else {
		panic("BUG: keyIndex.remove of a key it does not hold")
	}
	x.n--
	if x.n == 0 {
		*x = keyIndex{}
		return
	}
	x.migrate()
	if x.old == nil && len(x.cur) > 64 && x.n*16 < len(x.cur) {
		x.resize(len(x.cur) / 4)
	}
}

// repoint records that the key hashing to h moved from position from to position to.
func (x *keyIndex) repoint(h uint32, from, to int) {
	s := slotOf(h, from)
	if i, ok := find(x.cur, s); ok {
		x.cur[i] = slotOf(h, to)
	} else if i, ok := find(x.old, s); ok {
		x.old[i] = slotOf(h, to)
	} else {
		panic("BUG: keyIndex.repoint of a key it does not hold")
	}
}

// find returns the index of slot s in t.
func find(t []uint64, s uint64) (uint32, bool) {
	if len(t) == 0 {
		return 0, false
	}
	mask := uint32(len(t) - 1)
	for i := uint32(s>>32) & mask; t[i] != 0; i = (i + 1) & mask {
		if t[i] == s {
			return i, true
		}
	}
	return 0, false
}

// unplace empties slot i of cur and shifts later members of its probe chain back, so
// every key stays reachable from its home slot without tombstones.
func (x *keyIndex) unplace(i uint32) {
	t := x.cur
	mask := uint32(len(t) - 1)
	for j := (i + 1) & mask; t[j] != 0; j = (j + 1) & mask {
		home := uint32(t[j]>>32) & mask
		// t[j] may fill the hole at i unless its home lies cyclically in (i, j].
		if (j-home)&mask >= (j-i)&mask {
			t[i] = t[j]
			i = j
		}
	}
	t[i] = 0
}

// resize starts moving every key into a new table of size slots.
func (x *keyIndex) resize(size int) {
	if x.n == 0 {
		x.cur, x.old, x.next = make([]uint64, size), nil, 0
		return
	}
	x.old, x.cur, x.next = x.cur, make([]uint64, size), 0
	x.migrate()
}

// migrate moves up to migrateStep slots of old into cur.
func (x *keyIndex) migrate() {
	if x.old == nil {
		return
	}
	end := min(x.next+migrateStep, len(x.old))
	for ; x.next < end; x.next++ {
		if s := x.old[x.next]; s != 0 && s != tombstone {
			place(x.cur, s)
			x.old[x.next] = tombstone
		}
	}
	if x.next == len(x.old) {
		x.old, x.next = nil, 0
	}
}

// advance moves up to n slots of old into cur, so that a resize left half done when
// writes stopped (after a bulk load, say) does not keep two tables alive for good.
func (x *keyIndex) advance(n int) {
	for ; n > 0 && x.old != nil; n -= migrateStep {
		x.migrate()
	}
}
