package shard

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"unsafe"

	"github.com/basaltdb/basalt/proto"
)

// Value types, as TYPE names them.
const (
	TypeString uint8 = iota
	TypeList
	TypeSet
	TypeZSet
	TypeHash
	TypeStream
)

// TypeName returns the name TYPE replies with.
func TypeName(t uint8) string {
	switch t {
	case TypeString:
		return "string"
	case TypeList:
		return "list"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	case TypeHash:
		return "hash"
	case TypeStream:
		return "stream"
	}
	return "none"
}

// flagRaw marks a string that was modified in place (APPEND, SETRANGE): Redis reports
// such strings as "raw" whatever their length.
const flagRaw uint8 = 1

// Object is a value with its metadata, detached from any keyspace. It is what moves
// between shards (RENAME, COPY, MOVE) and what snapshots serialize.
type Object struct {
	Type  uint8
	Flags uint8
	// lfu is the LFU access counter (evict.go); it and size fill what would be padding.
	lfu uint8
	// Str is the payload of a string.
	Str []byte
	// Coll is the payload of the collection types (later issues).
	Coll any
	// ExpireAt is the absolute expiry in Unix milliseconds; 0 means no TTL.
	ExpireAt int64
	// Access is the last access time in seconds (OBJECT IDLETIME).
	Access uint32
	// size is what the keyspace charged this entry in bytes (evict.go).
	size uint32
}

// entry is one key in a DB's dense entry array.
type entry struct {
	key string
	Object
	// volPos is this entry's position in DB.volatile, or -1 when it has no TTL.
	volPos int32
	// saved is the epoch of the last snapshot that wrote this entry, or that was running
	// when it was created (see snapshot.go). It fills what would be padding.
	saved uint32
}

// DB is one logical database's slice of the keyspace on one shard.
//
// Owner: the shard's event loop; no locks. Invariants: index[e.key] == i for every
// entries[i]; e.volPos >= 0 iff e.ExpireAt != 0, and then volatile[e.volPos] == i.
// Removal swaps the last entry into the hole, so entries stay dense: RANDOMKEY and the
// active-expire sampler pick uniform positions in O(1), and a SCAN that walks positions
// from high to low sees every key that exists for the whole scan (an entry only ever
// moves downward, into a position the scan has not reached yet).
type DB struct {
	index    keyIndex
	entries  entryArray
	volatile []uint32
	// epoch is the shard's snapshot epoch, stamped on new entries; snap is the running
	// snapshot's view of this DB, nil when none runs.
	epoch uint32
	snap  *dbSnapshot
	// used is the accounted bytes of this DB's entries; meter, the shard's total, moves
	// with it (evict.go).
	used  int64
	slack int64
	meter *atomic.Int64
	// slots indexes the keys by cluster hash slot; nil unless cluster mode is on and
	// this is database 0 (slots.go).
	slots *slotIndex
}

func newDB(meter *atomic.Int64) *DB {
	return &DB{meter: meter}
}

// Len returns the number of keys, expired-but-not-yet-reclaimed ones included.
func (d *DB) Len() int { return d.entries.n }

// Expiring returns the number of keys with a TTL.
func (d *DB) Expiring() int { return len(d.volatile) }

// find returns the position of key, ignoring expiry. Every change to an entry starts
// with a find or with removeAt, so this is where a running snapshot writes the entry's
// point-in-time value before anyone can change it.
func (d *DB) find(key []byte) (int, bool) {
	i, ok := d.index.lookup(keyHash(key), proto.String(key), &d.entries)
	if ok && d.snap != nil {
		d.snap.save(d, i)
	}
	return i, ok
}

// at returns the entry at position i.
func (d *DB) at(i int) *entry { return d.entries.at(i) }

// position returns the position of key without the snapshot hook of find: for callers
// that only look (eviction sampling, accounting).
func (d *DB) position(key string) (int, bool) {
	return d.index.lookup(keyHashString(key), key, &d.entries)
}

// insert adds a key that is not present. The key bytes are copied.
func (d *DB) insert(key []byte, o Object) *entry {
	k := string(key)
	d.index.insert(keyHash(key), d.Len())
	if d.slots != nil {
		d.slots.add(KeySlot(key), d.Len())
	}
	if o.lfu == 0 {
		o.lfu = lfuInit
	}
	d.entries.push(entry{key: k, Object: o, volPos: -1, saved: d.epoch})
	d.at(d.Len() - 1).size = 0
	d.charge(d.Len() - 1)
	d.chargeSlack()
	if o.ExpireAt != 0 {
		d.addVolatile(d.Len() - 1)
	}
	if listChecks {
		d.mustHold(d.Len() - 1)
	}
	return d.at(d.Len() - 1)
}

// mustHold panics unless entry i agrees with the index and the volatile array. It is
// O(1), run after each insertion and removal under -race or the invariants tag.
func (d *DB) mustHold(i int) {
	if d.index.len() != d.Len() {
		panic("BUG: keyspace index and entries differ in size")
	}
	if i >= d.Len() {
		return
	}
	e := d.at(i)
	if j, ok := d.position(e.key); !ok || j != i {
		panic("BUG: keyspace entry " + e.key + " is not where the index says")
	}
	if (e.volPos >= 0) != (e.ExpireAt != 0) || (e.volPos >= 0 && int(d.volatile[e.volPos]) != i) {
		panic("BUG: keyspace entry " + e.key + " and the volatile array disagree")
	}
}

// removeAt deletes the entry at position i.
func (d *DB) removeAt(i int) {
	if d.snap != nil {
		d.snap.save(d, i)
	}
	e := d.at(i)
	d.used -= int64(e.size)
	d.meter.Add(-int64(e.size))
	if e.volPos >= 0 {
		d.removeVolatile(int(e.volPos))
	}
	d.index.remove(keyHashString(e.key), i)
	if d.slots != nil {
		d.slots.remove(keySlotString(e.key), i)
	}
	last := d.Len() - 1
	if i != last {
		*d.at(i) = *d.at(last)
		moved := d.at(i)
		d.index.repoint(keyHashString(moved.key), last, i)
		if d.slots != nil {
			d.slots.move(keySlotString(moved.key), last, i)
		}
		if moved.volPos >= 0 {
			d.volatile[moved.volPos] = uint32(i)
		}
	}
	d.entries.pop()
	if d.slots != nil {
		d.slots.pop()
	}
	if listChecks {
		d.mustHold(i)
	}
	d.chargeSlack()
}

// setExpire changes the TTL of entry i, keeping volatile in step.
func (d *DB) setExpire(i int, at int64) {
	e := d.at(i)
	switch {
	case at != 0 && e.volPos < 0:
		e.ExpireAt = at
		d.addVolatile(i)
	case at == 0 && e.volPos >= 0:
		d.removeVolatile(int(e.volPos))
		e.ExpireAt = 0
	default:
		e.ExpireAt = at
	}
}

func (d *DB) addVolatile(i int) {
	d.at(i).volPos = int32(len(d.volatile))
	d.volatile = append(d.volatile, uint32(i))
}

func (d *DB) removeVolatile(p int) {
	d.at(int(d.volatile[p])).volPos = -1
	last := len(d.volatile) - 1
	if p != last {
		d.volatile[p] = d.volatile[last]
		d.at(int(d.volatile[p])).volPos = int32(p)
	}
	d.volatile = d.volatile[:last]
}

// randomPos returns a uniformly chosen position, or -1 when the DB is empty.
func (d *DB) randomPos() int {
	if d.Len() == 0 {
		return -1
	}
	return rand.IntN(d.Len())
}

// lookupColl looks key up for a command on a collection of type typ, whose payload is a
// T: c is the zero T when the key does not exist. On a value of another type it writes
// WRONGTYPE and returns false. read counts a keyspace hit or miss, as read commands do.
func lookupColl[T any](s *Shard, key []byte, typ uint8, read bool, w *proto.Writer) (c T, ok bool) {
	var e *entry
	var found bool
	if read {
		e, found = s.read(key)
	} else {
		e, found = s.write(key)
	}
	if !found {
		return c, true
	}
	if e.Type != typ {
		w.Error(proto.ErrWrongType)
		return c, false
	}
	c, isT := e.Coll.(T)
	if !isT {
		panic(fmt.Sprintf("BUG: %s key %q holds %T", TypeName(typ), e.key, e.Coll))
	}
	return c, true
}

// removeEach is the body of HDEL, SREM and ZREM: it removes each item from a collection
// until the collection is empty, counts the removals as writes, raises the family's
// event when anything went, and answers the count. The caller then runs its type's
// step for a collection that may have become empty.
func (s *Shard) removeEach(key []byte, items [][]byte, remove func([]byte) bool, size func() int, class uint32, event string, w *proto.Writer) {
	removed := 0
	for _, it := range items {
		if remove(it) {
			removed++
			if size() == 0 {
				break
			}
		}
	}
	s.dirty += int64(removed)
	if removed > 0 {
		s.notify(class, event, key)
	}
	w.Int(int64(removed))
}

const (
	// prefetchBatch is the most keys PrefetchBatch handles at once.
	prefetchBatch = 32
	// prefetchProbe is how many slots of a key's probe chain PrefetchBatch looks at.
	prefetchProbe = 4
)

// PrefetchBatch starts loading, without waiting, what looking up keys in database db
// will touch: a pipelined batch's lookups would otherwise each wait for three cache
// misses in turn (index slot, entry, key and value bytes). It issues the prefetches in
// rounds over the batch, each round reading what the previous one fetched, so a batch
// waits a few miss latencies instead of a few per key. seconds, when not nil, holds each
// command's argument after its key (nil for none): where the key holds a big set or
// hash, that argument is most often a member or field the command looks up (SADD,
// SISMEMBER, HSET, HGET, ...), and its lookup gets the same treatment; where it is not,
// the prefetch is wasted, not wrong. It has no effect on the keyspace and keys beyond
// prefetchBatch are ignored.
func (s *Shard) PrefetchBatch(db int, keys, seconds [][]byte) {
	d := s.dbs[db]
	t := d.index.cur
	if len(t) == 0 || len(keys) < 2 {
		return
	}
	keys = keys[:min(len(keys), prefetchBatch)]
	mask := uint32(len(t) - 1)
	var hashes [prefetchBatch]uint32
	for i, k := range keys {
		h := keyHash(k)
		hashes[i] = h
		prefetch(uintptr(unsafe.Pointer(&t[h&mask])))
	}
	var found [prefetchBatch]*entry
	for i := range keys {
		h := hashes[i]
		if pos, ok := probeAhead(t, h); ok && pos < d.Len() {
			e := d.at(pos)
			found[i] = e
			prefetch(uintptr(unsafe.Pointer(e)))
		}
	}
	anyMember := false
	for i, e := range found[:len(keys)] {
		if e == nil {
			continue
		}
		prefetch(uintptr(unsafe.Pointer(unsafe.StringData(e.key))))
		if len(e.Str) > 0 {
			prefetch(uintptr(unsafe.Pointer(&e.Str[0])))
		}
		if i < len(seconds) && seconds[i] != nil && (e.Type == TypeSet || e.Type == TypeHash) {
			anyMember = true
		}
	}
	if anyMember {
		prefetchMembers(found[:len(keys)], seconds)
	}
}

// prefetchMembers runs PrefetchBatch's member rounds, apart so that a batch of string
// commands does not clear their state.
func prefetchMembers(found []*entry, seconds [][]byte) {
	var members [prefetchBatch]memberPrefetch
	for i, e := range found {
		if e != nil && i < len(seconds) && seconds[i] != nil {
			members[i].start(e, seconds[i])
		}
	}
	for i := range members[:len(found)] {
		members[i].position()
	}
	for i := range members[:len(found)] {
		members[i].bytes()
	}
}

// probeAhead returns the position in the first slot, among the first prefetchProbe of
// h's probe chain in t (they share the home slot's cache line or the next), whose hash
// is h: a probable match, for a prefetch only. A key further along is simply not
// prefetched, which costs nothing but the miss.
func probeAhead(t []uint64, h uint32) (int, bool) {
	mask := uint32(len(t) - 1)
	for j := range uint32(prefetchProbe) {
		slot := t[(h+j)&mask]
		if slot == 0 {
			break
		}
		if uint32(slot>>32) == h && slot != tombstone {
			return int(uint32(slot)) - 1, true
		}
	}
	return 0, false
}

// memberPrefetch carries one member's lookup in a big set or hash through
// PrefetchBatch's rounds: its index slot, then its place in the dense array, then its
// bytes.
type memberPrefetch struct {
	set   *Set
	table *hashTable
	slots []uint64 // the index's current table, nil when nothing is prefetched
	h     uint32
	pos   int
}

// start prefetches the home slot of member in e's set or hash, if e holds a big one.
func (m *memberPrefetch) start(e *entry, member []byte) {
	var idx *keyIndex
	switch c := e.Coll.(type) {
	case *Set:
		if c.enc != setHashtable {
			return
		}
		m.set, idx = c, &c.index
	case *Hash:
		if c.table == nil {
			return
		}
		m.table, idx = c.table, &c.table.index
	default:
		return
	}
	if len(idx.cur) == 0 {
		return
	}
	m.h, m.slots = keyHash(member), idx.cur
	prefetch(uintptr(unsafe.Pointer(&m.slots[m.h&uint32(len(m.slots)-1)])))
}

// position reads the slots and prefetches the member's string header or hash entry.
func (m *memberPrefetch) position() {
	m.pos = -1
	if m.slots == nil {
		return
	}
	pos, ok := probeAhead(m.slots, m.h)
	if !ok {
		return
	}
	switch {
	case m.set != nil && pos < len(m.set.members):
		prefetch(uintptr(unsafe.Pointer(&m.set.members[pos])))
	case m.table != nil && pos < len(m.table.entries):
		prefetch(uintptr(unsafe.Pointer(&m.table.entries[pos])))
	default:
		return
	}
	m.pos = pos
}

// bytes prefetches the member's bytes (a hash field's, with its value).
func (m *memberPrefetch) bytes() {
	if m.slots == nil || m.pos < 0 {
		return
	}
	if m.set != nil {
		if mem := m.set.members[m.pos]; mem != "" {
			prefetch(uintptr(unsafe.Pointer(unsafe.StringData(mem))))
		}
		return
	}
	if kv := m.table.entries[m.pos].kv; len(kv) > 0 {
		prefetch(uintptr(unsafe.Pointer(&kv[0])))
	}
}
