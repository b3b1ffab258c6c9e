package shard

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// This file holds the hash value. A small hash is one listpack (list_encoding.go) whose
// entries alternate field, value, field, value, in insertion order: the "listpack"
// encoding. It becomes a hashtable, for good, when a field or value longer than
// hash-max-listpack-value is about to be stored, or when it would hold more than
// hash-max-listpack-entries fields: the same points at which redis-server 7.0 converts.
//
// The hashtable is a dense array of entries with a map from field to position. Removal
// swaps the last entry into the hole, so entries stay dense: HRANDFIELD picks uniform
// positions in O(1), and HSCAN walks positions from high to low with the same guarantee
// as SCAN over a DB (an entry only ever moves downward, into a position the scan has not
// reached yet).

// Hash is a hash value, Object.Coll of a TypeHash.
//
// Owner: the shard's loop. Invariants: exactly one of lp and table is in use (table nil
// means listpack); a listpack holds an even number of entries, no field twice; a hash
// stored under a key is never empty once the command that emptied it has returned.
// Cost: a listpack look-up is a linear walk over at most hash-max-listpack-entries
// fields; a hashtable look-up is one map access; conversion is O(n), once.
type Hash struct {
	lp    []byte
	table *hashTable
}

// hashTable is the large encoding: index finds entries[i] at position i for every i.
// index is the keyspace's pointer-free table (index.go): 8 bytes a slot instead of a
// map's ~30 a field, and nothing for the GC to scan.
type hashTable struct {
	index   keyIndex
	entries []hashEntry
}

// hashEntry is one field of a hashtable-encoded hash: the field's bytes and then the
// value's, in one allocation. The field is written once, when the entry is made, and
// never modified, so iteration hands it out as is; a new value that does not fit the
// allocation gets a new one, field copied.
type hashEntry struct {
	kv   []byte
	flen int
}

func newHashEntry(field, value []byte) hashEntry {
	kv := make([]byte, len(field)+len(value))
	copy(kv, field)
	copy(kv[len(field):], value)
	return hashEntry{kv: kv, flen: len(field)}
}

// field returns the field's bytes, capped so that no append can reach the value.
func (e *hashEntry) field() []byte { return e.kv[:e.flen:e.flen] }

func (e *hashEntry) value() []byte { return e.kv[e.flen:] }

// setValue replaces the value, in place when it fits snugly.
func (e *hashEntry) setValue(v []byte) {
	if reusable(e.kv[e.flen:], len(v)) {
		e.kv = append(e.kv[:e.flen], v...)
		return
	}
	*e = newHashEntry(e.field(), v)
}

// newHash returns an empty listpack-encoded hash.
func newHash() *Hash { return &Hash{lp: lpNew(0)} }

// Len returns the number of fields.
func (h *Hash) Len() int {
	if h.table != nil {
		return len(h.table.entries)
	}
	return lpLen(h.lp) / 2
}

// Encoding returns the name OBJECT ENCODING reports.
func (h *Hash) Encoding() string {
	if h.table != nil {
		return "hashtable"
	}
	return "listpack"
}

// Clone returns a deep copy with the same encoding (COPY, and moves between shards).
func (h *Hash) Clone() any {
	if h.table == nil {
		return &Hash{lp: append([]byte(nil), h.lp...)}
	}
	t := &hashTable{index: h.table.index.clone(), entries: make([]hashEntry, len(h.table.entries))}
	for i, e := range h.table.entries {
		t.entries[i] = newHashEntry(e.field(), e.value())
	}
	return &Hash{table: t}
}

// lpFindField returns the offset of the field entry equal to field in a hash listpack,
// or -1. Only field positions are compared, never values.
func lpFindField(lp, field []byte) int {
	m := newMatcher(field)
	for p := lpFirst(lp); p >= 0; p = lpNext(lp, lpNext(lp, p)) {
		if m.match(lp, p) {
			return p
		}
	}
	return -1
}

// get returns the value of field. The value aliases the hash, or num when the listpack
// stores it as an integer: valid until the hash changes.
func (h *Hash) get(field []byte, num *[20]byte) ([]byte, bool) {
	if h.table != nil {
		i, ok := h.table.find(keyHash(field), field)
		if !ok {
			return nil, false
		}
		return h.table.entries[i].value(), true
	}
	p := lpFindField(h.lp, field)
	if p < 0 {
		return nil, false
	}
	return lpValue(h.lp, lpNext(h.lp, p), num), true
}

// has reports whether field exists.
func (h *Hash) has(field []byte) bool {
	if h.table != nil {
		_, ok := h.table.find(keyHash(field), field)
		return ok
	}
	return lpFindField(h.lp, field) >= 0
}

// set stores value under field, converting the hash first when the field or the value
// is longer than maxValue and afterwards when it holds more than maxEntries fields. It
// reports whether the field is new. field and value are copied.
func (h *Hash) set(field, value []byte, maxEntries, maxValue int64) (added bool) {
	if h.table == nil && (int64(len(field)) > maxValue || int64(len(value)) > maxValue) {
		h.convert()
	}
	if h.table != nil {
		return h.table.set(field, value)
	}
	n := lpLen(h.lp)
	if p := lpFindField(h.lp, field); p >= 0 {
		h.lp = lpReplace(h.lp, lpNext(h.lp, p), n, value)
		return false
	}
	h.lp = lpInsert(h.lp, len(h.lp)-1, n, field)
	h.lp = lpInsert(h.lp, len(h.lp)-1, n+1, value)
	if int64(n/2+1) > maxEntries {
		h.convert()
	}
	return true
}

// set stores value under field in the table, reusing the old value's buffer when it
// fits snugly.
func (t *hashTable) set(field, value []byte) (added bool) {
	hf := keyHash(field)
	if i, ok := t.find(hf, field); ok {
		t.entries[i].setValue(value)
		return false
	}
	t.addHashed(hf, field, value)
	return true
}

// find returns the position of field, whose keyHash is h.
func (t *hashTable) find(h uint32, field []byte) (int, bool) {
	return t.index.lookupFunc(h, func(pos int) bool { return string(t.entries[pos].field()) == string(field) })
}

// add appends a field known to be absent; field and value are copied.
func (t *hashTable) add(field, value []byte) { t.addHashed(keyHash(field), field, value) }

func (t *hashTable) addHashed(h uint32, field, value []byte) {
	t.index.insert(h, len(t.entries))
	t.entries = append(t.entries, newHashEntry(field, value))
}

// del removes field and reports whether it existed.
func (h *Hash) del(field []byte) bool {
	if h.table != nil {
		return h.table.del(field)
	}
	p := lpFindField(h.lp, field)
	if p < 0 {
		return false
	}
	h.lp = lpDelete(h.lp, p, 2, lpLen(h.lp))
	return true
}

// del removes field from the table by moving the last entry into its place.
func (t *hashTable) del(field []byte) bool {
	h := keyHash(field)
	i, ok := t.find(h, field)
	if !ok {
		return false
	}
	t.index.remove(h, i)
	last := len(t.entries) - 1
	if i != last {
		t.entries[i] = t.entries[last]
		t.index.repoint(keyHash(t.entries[i].field()), last, i)
	}
	t.entries[last] = hashEntry{}
	t.entries = t.entries[:last]
	if cap(t.entries) > 64 && len(t.entries) < cap(t.entries)/4 {
		t.entries = append(make([]hashEntry, 0, cap(t.entries)/2), t.entries...)
	}
	return true
}

// convert turns a listpack-encoded hash into a hashtable.
func (h *Hash) convert() {
	n := lpLen(h.lp) / 2
	t := &hashTable{entries: make([]hashEntry, 0, n)}
	var fnum, vnum [20]byte
	for p := lpFirst(h.lp); p >= 0; {
		vp := lpNext(h.lp, p)
		t.add(lpValue(h.lp, p, &fnum), lpValue(h.lp, vp, &vnum))
		p = lpNext(h.lp, vp)
	}
	h.table, h.lp = t, nil
}

// hashIter walks a hash's fields in storage order: insertion order for a listpack,
// position order for a hashtable. The slices it returns alias the hash or the
// iterator's own number buffers: valid until the hash changes or the iterator moves.
type hashIter struct {
	h          *Hash
	p          int // listpack offset of the next field, -1 at the end
	i          int // hashtable position of the next field
	fnum, vnum [20]byte
}

// iter returns an iterator on the first field.
func (h *Hash) iter() hashIter {
	it := hashIter{h: h}
	if h.table == nil {
		it.p = lpFirst(h.lp)
	}
	return it
}

// next returns the current field and value and moves on; ok is false past the end.
func (it *hashIter) next() (field, value []byte, ok bool) {
	h := it.h
	if h.table != nil {
		if it.i >= len(h.table.entries) {
			return nil, nil, false
		}
		e := &h.table.entries[it.i]
		it.i++
		return e.field(), e.value(), true
	}
	if it.p < 0 {
		return nil, nil, false
	}
	vp := lpNext(h.lp, it.p)
	field = lpValue(h.lp, it.p, &it.fnum)
	value = lpValue(h.lp, vp, &it.vnum)
	it.p = lpNext(h.lp, vp)
	return field, value, true
}

// pairOffsets returns the offsets of a hash listpack's field entries, in order.
func pairOffsets(lp []byte) []int32 {
	offs := make([]int32, 0, lpLen(lp)/2)
	for p := lpFirst(lp); p >= 0; p = lpNext(lp, lpNext(lp, p)) {
		offs = append(offs, int32(p))
	}
	return offs
}

// hashPicker reads fields by position 0..Len()-1, for HRANDFIELD. A listpack is indexed
// once (one allocation); the slices returned alias the hash or the picker's buffers,
// valid until the next call.
type hashPicker struct {
	h          *Hash
	offs       []int32
	fnum, vnum [20]byte
}

func (h *Hash) picker() *hashPicker {
	pk := &hashPicker{h: h}
	if h.table == nil {
		pk.offs = pairOffsets(h.lp)
	}
	return pk
}

// at returns field i and its value.
func (pk *hashPicker) at(i int) (field, value []byte) {
	if t := pk.h.table; t != nil {
		e := &t.entries[i]
		return e.field(), e.value()
	}
	lp := pk.h.lp
	p := int(pk.offs[i])
	return lpValue(lp, p, &pk.fnum), lpValue(lp, lpNext(lp, p), &pk.vnum)
}

// randomPositions returns count distinct positions out of n (count < n) in random
// order: by a partial shuffle when count is a large share of n, by rejection otherwise.
func randomPositions(n, count int) []int {
	out := make([]int, 0, count)
	if count*3 > n {
		perm := make([]int, n)
		for i := range perm {
			perm[i] = i
		}
		for i := range count {
			j := i + rand.IntN(n-i)
			perm[i], perm[j] = perm[j], perm[i]
			out = append(out, perm[i])
		}
		return out
	}
	seen := make(map[int]struct{}, count)
	for len(out) < count {
		i := rand.IntN(n)
		if _, dup := seen[i]; dup {
			continue
		}
		seen[i] = struct{}{}
		out = append(out, i)
	}
	return out
}

// mustBeValid panics when h breaks its invariants. It costs O(n); hash writes call it
// when listChecks is on (-race or the invariants tag).
func (h *Hash) mustBeValid() {
	if (h.lp == nil) == (h.table == nil) {
		panic("BUG: hash with both or neither encoding")
	}
	if t := h.table; t != nil {
		if t.index.len() != len(t.entries) {
			panic(fmt.Sprintf("BUG: hashtable index has %d fields, entries %d", t.index.len(), len(t.entries)))
		}
		for i, e := range t.entries {
			if j, ok := t.find(keyHash(e.field()), e.field()); !ok || j != i {
				panic(fmt.Sprintf("BUG: hashtable field %q at %d indexed at %d", e.field(), i, j))
			}
		}
		return
	}
	lp := h.lp
	if int(binary.LittleEndian.Uint32(lp[0:4])) != len(lp) || lp[len(lp)-1] != lpEOF {
		panic("BUG: hash listpack header does not match its size")
	}
	n := 0
	seen := map[string]bool{}
	var num [20]byte
	for p := lpFirst(lp); p >= 0; p = lpNext(lp, p) {
		if n%2 == 0 {
			f := string(lpValue(lp, p, &num))
			if seen[f] {
				panic("BUG: hash listpack holds field " + strconv.Quote(f) + " twice")
			}
			seen[f] = true
		}
		n++
	}
	if n%2 != 0 || n != lpLen(lp) {
		panic(fmt.Sprintf("BUG: hash listpack with %d entries, header says %d", n, lpLen(lp)))
	}
}
