package shard

import (
	"math"
	"math/big"
	"slices"
)

// This file opens the collection values to code outside the package that must read or
// build them whole: the RDB codec in persist (snapshots, DUMP and RESTORE). Readers see
// the values in their current encoding, so a listpack can be written out as is; builders
// apply the encoding thresholds in Settings exactly as the commands do, so a value loaded
// from a file ends up in the encoding a command-built one would have.
//
// Everything here follows the ownership rules of Shard: a value stored under a key is
// touched only on its shard's loop. Slices returned by the readers alias the value and
// are valid only until it changes.

// ListNodes returns the packed nodes of l in order, each a listpack in Redis's byte
// layout, and whether l is in the quicklist encoding (false: exactly one node).
func (l *List) ListNodes() (nodes [][]byte, quick bool) { return l.live(), l.quick }

// Each calls fn with every element from head to tail until fn returns false. The slice
// fn receives is valid during the call only.
func (l *List) Each(fn func(v []byte) bool) {
	if l.count == 0 {
		return
	}
	it := l.iterAt(0)
	for {
		v, ok := it.next()
		if !ok || !fn(v) {
			return
		}
	}
}

// ListBuilder assembles a list element by element, converting it to a quicklist at the
// point list-max-listpack-size sets, as RPUSH would.
type ListBuilder struct {
	l    *List
	fill int
}

// NewListBuilder returns a builder for an empty list under settings.
func NewListBuilder(settings *Settings) *ListBuilder {
	return &ListBuilder{l: newList(), fill: int(settings.ListMaxListpackSize.Load())}
}

// Append adds v at the tail; v is copied.
func (b *ListBuilder) Append(v []byte) {
	b.l.growFor(b.fill, len(v), 1)
	b.l.push(v, false)
}

// List returns the list built so far; the builder must not be used afterwards.
func (b *ListBuilder) List() *List { return b.l }

// HashListpack returns the listpack of a listpack-encoded hash (fields and values
// alternating), or nil for a hashtable.
func (h *Hash) HashListpack() []byte { return h.lp }

// Each calls fn with every field and value until fn returns false. The slices are
// valid during the call only.
func (h *Hash) Each(fn func(field, value []byte) bool) {
	it := h.iter()
	for {
		f, v, ok := it.next()
		if !ok || !fn(f, v) {
			return
		}
	}
}

// HashBuilder assembles a hash field by field under the hash-max-listpack-* limits.
type HashBuilder struct {
	h                    *Hash
	maxEntries, maxValue int64
}

// NewHashBuilder returns a builder for an empty hash under settings.
func NewHashBuilder(settings *Settings) *HashBuilder {
	return &HashBuilder{h: newHash(), maxEntries: settings.HashMaxListpackEntries.Load(), maxValue: settings.HashMaxListpackValue.Load()}
}

// Add stores field and value (both copied) and reports false, changing nothing, when
// field is already present.
func (b *HashBuilder) Add(field, value []byte) bool {
	if b.h.has(field) {
		return false
	}
	b.h.set(field, value, b.maxEntries, b.maxValue)
	return true
}

// Hash returns the hash built so far.
func (b *HashBuilder) Hash() *Hash { return b.h }

// Intset returns the members of an intset-encoded set, sorted, or nil and false for
// another encoding.
func (st *Set) Intset() ([]int64, bool) { return st.ints, st.enc == setIntset }

// SetListpack returns the listpack of a listpack-encoded set, or nil.
func (st *Set) SetListpack() []byte {
	if st.enc != setListpack {
		return nil
	}
	return st.lp
}

// Each calls fn with every member until fn returns false. The slice is valid during
// the call only.
func (st *Set) Each(fn func(m []byte) bool) { st.each(fn) }

// SetBuilder assembles a set member by member, choosing and converting its encoding
// as SADD does.
type SetBuilder struct {
	st   *Set
	lim  setLimits
	hint int
}

// NewSetBuilder returns a builder for a set about to receive about hint members.
func NewSetBuilder(settings *Settings, hint int) *SetBuilder {
	lim := setLimits{
		intsetEntries:   int(min(settings.SetMaxIntsetEntries.Load(), 1<<30)),
		listpackEntries: int(settings.SetMaxListpackEntries.Load()),
		listpackValue:   int(settings.SetMaxListpackValue.Load()),
	}
	return &SetBuilder{lim: lim, hint: hint}
}

// Add adds m (copied) and reports false when it was already a member.
func (b *SetBuilder) Add(m []byte) bool {
	if b.st == nil {
		b.st = newSetFor(m, b.hint, b.lim)
	}
	return b.st.add(m, b.lim)
}

// Set returns the set built so far (an empty intset when nothing was added).
func (b *SetBuilder) Set() *Set {
	if b.st == nil {
		return &Set{enc: setIntset, ints: slices.Clip([]int64(nil))}
	}
	return b.st
}

// ZSetListpack returns the listpack of a listpack-encoded sorted set (members and
// scores alternating, in order), or nil for the large ("skiplist") encoding.
func (z *ZSet) ZSetListpack() []byte { return z.lp }

// Each calls fn with every member and score in ascending order until fn returns false.
// The member slice is valid during the call only.
func (z *ZSet) Each(fn func(member []byte, score float64) bool) { z.walk(0, false, fn) }

// ZSetBuilder assembles a sorted set member by member under the zset-max-listpack-*
// limits.
type ZSetBuilder struct {
	z   *ZSet
	lim zsetLimits
}

// NewZSetBuilder returns a builder for a sorted set about to receive n members, the
// longest maxLen bytes (0 when unknown: the set starts small and converts as it grows).
func NewZSetBuilder(settings *Settings, n, maxLen int) *ZSetBuilder {
	lim := zsetLimits{
		entries: int(min(settings.ZSetMaxListpackEntries.Load(), 1<<30)),
		value:   int(min(settings.ZSetMaxListpackValue.Load(), 1<<30)),
	}
	return &ZSetBuilder{z: newZSetFor(n, maxLen, lim), lim: lim}
}

// Add inserts member (copied) with score. It reports false, changing nothing, when
// member is already present or score is NaN.
func (b *ZSetBuilder) Add(member []byte, score float64) bool {
	if math.IsNaN(score) {
		return false
	}
	if _, ok := b.z.score(member); ok {
		return false
	}
	b.z.insert(member, score, b.lim)
	return true
}

// ZSet returns the sorted set built so far.
func (b *ZSetBuilder) ZSet() *ZSet { return b.z }

// ParseScore parses a score written as text the way ZADD accepts it.
func ParseScore(b []byte) (float64, bool) { return parseScore(b) }

// SetAccess sets the last access time (seconds) of key in the selected database, for
// RESTORE's IDLETIME; it reports whether the key exists.
func (s *Shard) SetAccess(key []byte, access uint32) bool {
	i, ok := s.db.find(key)
	if !ok {
		return false
	}
	s.db.at(i).Access = access
	return true
}

// Peek returns key's stored value in the selected database for a read command (it
// counts a hit or a miss and deletes the key first if it has expired). The pointer is
// valid until the keyspace changes; the value must not be modified.
func (s *Shard) Peek(key []byte) (*Object, bool) {
	e, ok := s.read(key)
	if !ok {
		return nil, false
	}
	return &e.Object, true
}

// ParseLongDouble parses a number as Redis's string2ld does (strtold: decimal or hex,
// inf, no spaces, no NaN, no overflow), for the arguments Redis reads as long doubles.
func ParseLongDouble(b []byte) (*big.Float, bool) { return parseLongDouble(b) }

// SignalReady tells the Ready hook that key (a value just stored whole, by RESTORE or a
// cross-shard RENAME or COPY) may serve blocked pops waiting on it.
func (s *Shard) SignalReady(key []byte) { s.listReady(key) }

// Adopting packed values read from outside. The RDB loader validates a listpack's
// structure (sizes, encodings, back lengths, terminator) and its contents (integers in
// integer entries, no repeated field or member, sorted set order and scores) before it
// offers the blob here; these functions only check the encoding thresholds and wrap the
// blob, which the value then owns. A false result means "rebuild it element by element".

// lpWithin reports whether listpack lp has at most maxEntries entries, and no entry
// longer than maxValue bytes (integers counted by their decimal length).
func lpWithin(lp []byte, maxEntries, maxValue int) bool {
	if lpLen(lp) > maxEntries {
		return false
	}
	var num [20]byte
	for p := lpFirst(lp); p >= 0; p = lpNext(lp, p) {
		if len(lpValue(lp, p, &num)) > maxValue {
			return false
		}
	}
	return true
}

// AdoptHashListpack returns a listpack-encoded hash over lp (fields and values
// alternating, validated by the caller) when it is within the hash-max-listpack-*
// limits.
func AdoptHashListpack(lp []byte, settings *Settings) (*Hash, bool) {
	maxEntries := int(min(settings.HashMaxListpackEntries.Load(), 1<<30))
	if lpLen(lp) == 0 || !lpWithin(lp, 2*maxEntries, int(min(settings.HashMaxListpackValue.Load(), 1<<30))) {
		return nil, false
	}
	return &Hash{lp: lp}, true
}

// AdoptSetListpack returns a listpack-encoded set over lp (distinct members, validated
// by the caller) when it is within the set-max-listpack-* limits.
func AdoptSetListpack(lp []byte, settings *Settings) (*Set, bool) {
	maxEntries := int(min(settings.SetMaxListpackEntries.Load(), 1<<30))
	if lpLen(lp) == 0 || !lpWithin(lp, maxEntries, int(min(settings.SetMaxListpackValue.Load(), 1<<30))) {
		return nil, false
	}
	return &Set{enc: setListpack, lp: lp}, true
}

// AdoptZSetListpack returns a listpack-encoded sorted set over lp (members and scores
// alternating in order, validated by the caller) when it is within the
// zset-max-listpack-* limits. Scores are not length-limited, as in ZADD.
func AdoptZSetListpack(lp []byte, settings *Settings) (*ZSet, bool) {
	lim := zsetLimits{
		entries: int(min(settings.ZSetMaxListpackEntries.Load(), 1<<30)),
		value:   int(min(settings.ZSetMaxListpackValue.Load(), 1<<30)),
	}
	n := lpLen(lp)
	if n == 0 || n/2 > lim.entries {
		return nil, false
	}
	var num [20]byte
	for p := lpFirst(lp); p >= 0; p = lpNext(lp, lpNext(lp, p)) {
		if len(lpValue(lp, p, &num)) > lim.value {
			return nil, false
		}
	}
	return &ZSet{lp: lp}, true
}

// AdoptListNodes returns a list made of nodes (non-empty listpacks validated by the
// caller) when they respect list-max-listpack-size: one node within the limit becomes
// the listpack encoding, several become a quicklist if each is within it.
func AdoptListNodes(nodes [][]byte, settings *Settings) (*List, bool) {
	fill := int(settings.ListMaxListpackSize.Load())
	count := 0
	for _, n := range nodes {
		c := lpLen(n)
		if c == 0 || nodeExceeds(fill, len(n), c) {
			return nil, false
		}
		count += c
	}
	if len(nodes) == 0 {
		return nil, false
	}
	l := &List{nodes: nodes, hi: int32(len(nodes)), count: count}
	if len(nodes) > 1 {
		l.quick = true
		l.fill = int32(min(max(fill, fillMin), fillMax))
	}
	return l, true
}
