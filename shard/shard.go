package shard

import (
	"sync/atomic"
	"time"

	"github.com/basaltdb/basalt/proto"
)

// Args are a command's arguments, Args[0] being the command name. They alias the
// connection's read buffer, or a hop message's own copy when the command crossed loops:
// valid only for the duration of the handler. Use Own to keep one.
type Args = [][]byte

// Own returns a copy of b that the caller may keep.
func Own(b []byte) []byte {
	return append([]byte(nil), b...)
}

// Handler executes a command against one shard. It must not retain a or w.
type Handler func(s *Shard, a Args, w *proto.Writer)

// Settings are the server-wide parameters shards read on their hot path. They are shared
// by every shard and changed by CONFIG SET from any loop, hence atomics.
type Settings struct {
	// Journal is set while the append-only file or the replication stream is fed:
	// handlers then record rewritten commands with Propagate.
	Journal atomic.Bool
	// HoldExpiry is set while the server replicates a master or clients are paused.
	// Keys then do not expire: a key whose TTL passed stays, live for writes and
	// missing for reads (stale). A replica's keys go only by its master's DEL, so that
	// a write the master made before its own expiry applies to the same value here,
	// and a pause changes nothing, as in Redis.
	HoldExpiry atomic.Bool
	// MaxBulk is proto-max-bulk-len: the largest string a command may build.
	MaxBulk atomic.Int64
	// ActiveExpire enables the active expire cycle (DEBUG SET-ACTIVE-EXPIRE).
	ActiveExpire atomic.Bool
	// ActiveExpireEffort is active-expire-effort, 1..10.
	ActiveExpireEffort atomic.Int64
	// ListMaxListpackSize is list-max-listpack-size: a negative value -1..-5 caps each
	// packed list node at 4, 8, 16, 32 or 64 KB; a positive one caps it at that many
	// elements (see lists.go).
	ListMaxListpackSize atomic.Int64
	// SetMaxIntsetEntries is set-max-intset-entries: the most members a set of integers
	// keeps in the intset encoding (see sets.go).
	SetMaxIntsetEntries atomic.Int64
	// SetMaxListpackEntries and SetMaxListpackValue are set-max-listpack-entries and
	// set-max-listpack-value: the most members, and the longest member in bytes, a set
	// keeps in the listpack encoding.
	SetMaxListpackEntries atomic.Int64
	SetMaxListpackValue   atomic.Int64
	// HashMaxListpackEntries is hash-max-listpack-entries: a listpack-encoded hash
	// becomes a hashtable when it would hold more fields (see hashes.go).
	HashMaxListpackEntries atomic.Int64
	// HashMaxListpackValue is hash-max-listpack-value: a listpack-encoded hash becomes a
	// hashtable before storing a longer field or value.
	HashMaxListpackValue atomic.Int64
	// ZSetMaxListpackEntries and ZSetMaxListpackValue are zset-max-listpack-entries and
	// zset-max-listpack-value: the most members, and the longest member in bytes, a
	// sorted set keeps in the listpack encoding (see zset_encoding.go).
	ZSetMaxListpackEntries atomic.Int64
	ZSetMaxListpackValue   atomic.Int64
	// StreamNodeMaxEntries and StreamNodeMaxBytes are stream-node-max-entries and
	// stream-node-max-bytes: when a stream starts a new node (see stream_encoding.go).
	StreamNodeMaxEntries atomic.Int64
	StreamNodeMaxBytes   atomic.Int64
	// HLLSparseMaxBytes is hll-sparse-max-bytes: a sparse HyperLogLog becomes dense
	// rather than grow beyond this many bytes (see hll.go).
	HLLSparseMaxBytes atomic.Int64
	// Memory holds maxmemory and its eviction parameters (evict.go).
	Memory MemorySettings
	// NotifyClasses holds the notify-keyspace-events classes as Notify* bits (notify.go).
	NotifyClasses atomic.Uint32
}

// Defaults of hash-max-listpack-entries and hash-max-listpack-value, as redis-server
// 7.0 is built with (its sample redis.conf lowers the first to 128).
const (
	DefaultHashMaxListpackEntries = 512
	DefaultHashMaxListpackValue   = 64
)

// NewSettings returns settings with Redis's defaults.
func NewSettings() *Settings {
	s := &Settings{}
	s.MaxBulk.Store(proto.DefaultMaxBulk)
	s.ActiveExpire.Store(true)
	s.ActiveExpireEffort.Store(1)
	s.ListMaxListpackSize.Store(-2)
	s.SetMaxIntsetEntries.Store(512)
	s.SetMaxListpackEntries.Store(128)
	s.SetMaxListpackValue.Store(64)
	s.HashMaxListpackEntries.Store(DefaultHashMaxListpackEntries)
	s.HashMaxListpackValue.Store(DefaultHashMaxListpackValue)
	s.ZSetMaxListpackEntries.Store(128)
	s.ZSetMaxListpackValue.Store(64)
	s.StreamNodeMaxEntries.Store(100)
	s.StreamNodeMaxBytes.Store(4096)
	s.HLLSparseMaxBytes.Store(3000)
	s.Memory.init()
	return s
}

// Stats are a shard's counters. Owner: the shard's loop; read by INFO through a hop.
type Stats struct {
	Hits, Misses       int64
	ExpiredKeys        int64
	ExpireCycleTimeUs  int64
	ExpiredStalePerc   float64
	ExpireCycleTimeout int64
	// EvictedKeys counts keys deleted for maxmemory.
	EvictedKeys int64
}

// Shard is one slice of the keyspace: every database's keys whose hash maps here.
//
// Owner: exactly one event loop. Every method must run on that loop's goroutine; there
// are no locks. Other loops reach a shard only by sending its loop a message.
type Shard struct {
	// slotIndexed keeps database 0 indexed by cluster hash slot (slots.go).
	slotIndexed bool
	// ID is the shard's index, equal to its event loop's index.
	ID int
	// Settings is shared, read-mostly configuration.
	Settings *Settings
	// Stats are this shard's counters.
	Stats Stats
	// Expired, when set, is told of every key deleted because its TTL passed, lazily or
	// by the active cycle (the coordinator invalidates WATCHes with it).
	Expired func(db int, key string)
	// Ready, when set, is told of every list key that gained elements (LPUSH, RPUSH,
	// LPUSHX, RPUSHX, LINSERT, the destination of LMOVE and RPOPLPUSH, ListPush), after
	// the elements were added and before the handler returns; key is the stored key, the
	// caller may keep it. The coordinator's blocking pops wake their waiters with it. It
	// is also told of every stream that got an entry (XADD), for XREAD BLOCK. It
	// runs on the shard's loop and must not call back into the shard.
	Ready func(db int, key string)
	// Evicted, when set, is told of every key deleted for maxmemory, before it goes.
	Evicted func(db int, key string)
	// Notify, when set, publishes keyspace notifications (notify.go).
	Notify NotifyHook

	dbs []*DB
	db  *DB
	// dbIndex is the currently selected database's number.
	dbIndex int
	// now is the command's clock in Unix milliseconds, fixed for a command's duration so
	// one command sees one consistent notion of "expired".
	now int64
	// dirty counts writes since the last save.
	dirty int64
	// epoch numbers snapshots; snapshot is the running one, or nil (see snapshot.go).
	epoch    uint32
	snapshot *Snapshot
	// propagated holds the current handler's Propagate records.
	propagated   [][][]byte
	propagateSet bool
	// pending, pool, nextEvictDB and full are memory accounting and eviction state
	// (evict.go); full is read by other loops.
	pending     []pendingEntry
	pool        []candidate
	nextEvictDB int
	full        atomic.Bool
	published   atomic.Int64
	// lfu is the LFU policies' engine, nil under the other policies (lfu.go).
	lfu *lfuEngine
	// unchanged is a key among the running command's written keys that the command left
	// as it was although others changed (SMOVE's destination when it already held the
	// member): as in Redis, its watchers and trackers are not told of a change.
	unchanged []byte
}

// New returns an empty shard with n databases.
func New(id, databases int, settings *Settings) *Shard {
	s := &Shard{ID: id, Settings: settings, dbs: make([]*DB, databases)}
	for i := range s.dbs {
		s.dbs[i] = newDB(&s.published)
	}
	s.db = s.dbs[0]
	s.now = time.Now().UnixMilli()
	return s
}

// Begin prepares the shard for a command on database db: it selects db and reads the
// clock once.
func (s *Shard) Begin(db int) {
	s.BeginAt(db, time.Now())
}

// BeginAt is Begin with the clock already read by the caller, who times the command
// with the same reading.
func (s *Shard) BeginAt(db int, now time.Time) {
	s.BeginAtMilli(db, now.UnixMilli())
}

// BeginAtMilli is BeginAt with the clock in Unix milliseconds.
func (s *Shard) BeginAtMilli(db int, nowMilli int64) {
	if len(s.pending) > 0 {
		s.Settle()
	}
	s.db = s.dbs[db]
	s.dbIndex = db
	s.now = nowMilli
	s.unchanged = nil
}

// Unchanged reports whether the command that just ran left key, one of its written keys,
// unmodified while changing others (see Shard.unchanged).
func (s *Shard) Unchanged(key []byte) bool {
	return s.unchanged != nil && string(s.unchanged) == string(key)
}

// Now returns the current command's clock in Unix milliseconds.
func (s *Shard) Now() int64 { return s.now }

// DB returns database i.
func (s *Shard) DB(i int) *DB { return s.dbs[i] }

// Databases returns the number of databases.
func (s *Shard) Databases() int { return len(s.dbs) }

// Dirty returns the number of writes since start or the last reset.
func (s *Shard) Dirty() int64 { return s.dirty }

// ResetDirty zeroes the dirty counter (after loading a dataset).
func (s *Shard) ResetDirty() { s.dirty = 0 }

// lookup returns the position of a live key in the selected database, deleting it first
// if it has expired. It does not count hits or misses.
func (s *Shard) lookup(key []byte) (int, bool) {
	i, ok := s.db.find(key)
	if !ok {
		return 0, false
	}
	if at := s.db.at(i).ExpireAt; at != 0 && at <= s.now {
		if s.Settings.HoldExpiry.Load() {
			return i, true
		}
		s.expireAt(s.db, i)
		return 0, false
	}
	return i, true
}

// pastExpiry reports whether a TTL being set has passed already, so that the key goes
// at once. Not while expiry is held: a replica stores what its master sent (its DEL
// follows), as Redis's replicas do.
func (s *Shard) pastExpiry(at int64) bool {
	return at <= s.now && !s.Settings.HoldExpiry.Load()
}

// stale reports whether e, found by lookup, expired on a replica: kept for the master's
// DEL, but no read sees it.
func (s *Shard) stale(e *entry) bool {
	return e.ExpireAt != 0 && e.ExpireAt <= s.now && s.Settings.HoldExpiry.Load()
}

// expireAt deletes entry i of d because its TTL passed.
func (s *Shard) expireAt(d *DB, i int) {
	if s.Expired != nil {
		for n, db := range s.dbs {
			if db == d {
				s.Expired(n, d.at(i).key)
			}
		}
	}
	d.removeAt(i)
	s.Stats.ExpiredKeys++
	s.dirty++
}

// read looks a key up for a read command: it counts a hit or a miss and refreshes the
// access time.
func (s *Shard) read(key []byte) (*entry, bool) {
	i, ok := s.lookup(key)
	if ok && s.stale(s.db.at(i)) {
		ok = false
	}
	if !ok {
		s.Stats.Misses++
		s.notify(NotifyKeyMiss, "keymiss", key)
		return nil, false
	}
	s.Stats.Hits++
	e := s.db.at(i)
	s.touch(e)
	return e, true
}

// write looks a key up for a write command. The returned pointer is valid until the
// next insert or removal in the same DB.
func (s *Shard) write(key []byte) (*entry, bool) {
	i, ok := s.lookup(key)
	if !ok {
		return nil, false
	}
	e := s.db.at(i)
	s.touch(e)
	s.pending = append(s.pending, pendingEntry{s.db, i})
	return e, true
}

// put stores o under key, replacing any current value and its TTL.
func (s *Shard) put(key []byte, o Object) {
	o.Access = uint32(s.now / 1000)
	if i, ok := s.db.find(key); ok {
		s.db.setExpire(i, o.ExpireAt)
		e := s.db.at(i)
		o.lfu, o.size = e.lfu, e.size
		e.Object = o
		s.touch(e) // an overwrite is an access, as Redis's write lookup counts it
		s.db.charge(i)
		s.dirty++
		return
	}
	s.db.insert(key, o)
	s.notify(NotifyNew, "new", key)
	s.dirty++
}

// remove deletes a live key and reports whether it existed.
func (s *Shard) remove(key []byte) bool {
	i, ok := s.lookup(key)
	if !ok {
		return false
	}
	s.db.removeAt(i)
	s.dirty++
	return true
}

// Exists reports whether key is live in the selected database.
func (s *Shard) Exists(key []byte) bool {
	_, ok := s.lookup(key)
	return ok
}

// Remove deletes key from the selected database and reports whether it existed.
func (s *Shard) Remove(key []byte) bool { return s.remove(key) }

// Take returns a copy of key's value with its TTL, for moving it to another shard.
func (s *Shard) Take(key []byte) (Object, bool) {
	i, ok := s.lookup(key)
	if !ok {
		return Object{}, false
	}
	return s.db.at(i).Object.clone(), true
}

// Put stores o under key in the selected database, replacing any value.
func (s *Shard) Put(key []byte, o Object) { s.put(key, o) }

// clone returns a deep copy safe to hand to another shard.
func (o Object) clone() Object {
	c := o
	if o.Str != nil {
		c.Str = Own(o.Str)
	}
	if cl, ok := o.Coll.(interface{ Clone() any }); ok {
		c.Coll = cl.Clone()
	}
	return c
}

// Flush empties database db, or every database when db < 0.
func (s *Shard) Flush(db int) {
	s.finishSnapshot()
	s.Settle()
	for i := range s.dbs {
		if db < 0 || i == db {
			s.dirty += int64(s.dbs[i].Len())
			epoch := s.dbs[i].epoch
			s.published.Add(-s.dbs[i].used)
			s.dbs[i] = newDB(&s.published)
			s.dbs[i].epoch = epoch
			if i == 0 && s.slotIndexed {
				s.dbs[i].buildSlots()
			}
		}
	}
	s.db = s.dbs[s.dbIndex]
	s.RecheckBudget()
}

// SwapDB exchanges databases a and b on this shard.
func (s *Shard) SwapDB(a, b int) {
	s.finishSnapshot()
	s.dbs[a], s.dbs[b] = s.dbs[b], s.dbs[a]
	s.db = s.dbs[s.dbIndex]
	s.dirty++
}

// KeyCount returns the number of keys and of keys with a TTL in database db.
func (s *Shard) KeyCount(db int) (keys, expiring int) {
	return s.dbs[db].Len(), s.dbs[db].Expiring()
}

// Propagate records a command that replays this handler's effect, in place of the
// handler's own arguments, for the append-only file: a relative TTL becomes absolute, a
// random pop names what it popped, a float increment stores its result. A handler may
// call it several times; with no call the coordinator logs the command as given when it
// changed anything. It copies args.
func (s *Shard) Propagate(args ...[]byte) {
	if !s.Settings.Journal.Load() {
		return
	}
	rec := make([][]byte, len(args))
	for i, a := range args {
		rec[i] = Own(a)
	}
	s.propagated = append(s.propagated, rec)
	s.propagateSet = true
}

// Journaling reports whether writes are being logged (Propagate is worth calling).
func (s *Shard) Journaling() bool { return s.Settings.Journal.Load() }

// TakePropagated returns and clears what the last handler recorded with Propagate;
// explicit is false when it recorded nothing.
func (s *Shard) TakePropagated() (recs [][][]byte, explicit bool) {
	recs, explicit = s.propagated, s.propagateSet
	s.propagated, s.propagateSet = nil, false
	return recs, explicit
}
