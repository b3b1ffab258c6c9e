package shard

import (
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/zeebo/xxh3"
)

// The LFU policies' engine: ristretto's TinyLFU.
//
// A ristretto Cache mirrors the shard's eviction candidates (every key under allkeys-lfu,
// the keys with a TTL under volatile-lfu): its key is lfuHash(db, key), its value names
// the key, its cost is the entry's accounted size. Ristretto never owns the data; the
// keyspace stores every write and ristretto decides what leaves:
//   - accesses (touch) are recorded with Get, which feeds the TinyLFU frequency sketch
//     through ristretto's lossy ring buffer;
//   - written keys are offered with Set after the command (Recharge); when the cache is
//     full, ristretto's admission compares the newcomer's estimated frequency with a
//     sample of resident keys and either evicts the least frequent of them (OnEvict) or
//     refuses the newcomer (OnReject);
//   - both callbacks run on ristretto's goroutine and only queue the key; the shard's
//     loop evicts the queued keys that still exist at the next EnforceMaxMemory, through
//     Shard.evict like any eviction (evicted_keys, notification, AOF DEL, WATCH).
//
// Ristretto sees less than the keyspace's accounting: the entry array's slack, Sets it
// dropped when its buffer was full, keys written by paths that skip Recharge, keys
// without a TTL under volatile-lfu. Its MaxCost is therefore the shard's share less
// what it does not see (retarget), so that its evictions keep the whole shard within
// budget. Keys it does not hold are enrolled by a slow sweep and on their next access;
// whatever it still misses is covered by the sampled pool of evict.go, which runs when
// the queue is empty and the shard is still over budget.
//
// Keys the keyspace loses without telling ristretto (expiry, FLUSHDB, multi-shard paths)
// stay in it until its policy evicts them; they are then skipped. Until then they count
// on both sides of retarget's sum, so they do not take room from live keys, but their
// key strings stay reachable. Ristretto's own memory (its sketch, and about 100 bytes
// per key in its store and policy maps) is not in used_memory_accounted.

// lfuKey is the value ristretto stores: the key it stands for. It shares the entry's key
// string. ok is false in the zero value ristretto reports for an item it no longer stored.
type lfuKey struct {
	key string
	db  int32
	ok  bool
}

// lfuQueueLimit bounds the victims waiting for the loop. Beyond it victims are dropped:
// they stay in the keyspace, no longer in ristretto, until the sweep enrolls them again
// or the sampled pool evicts them.
const lfuQueueLimit = 1 << 16

// Sweep sizes: keys enrolled when the engine starts, and per EnforceMaxMemory after.
const (
	lfuEnrollAtStart = 16 << 10
	lfuEnrollPerCall = 4
)

// lfuRetargetEvery is how many EnforceMaxMemory calls pass between two corrections of
// ristretto's MaxCost while the shard is within budget (over budget, every call does).
const lfuRetargetEvery = 256

// lfuEngine is one shard's TinyLFU engine.
//
// Owner: the shard's loop, except victims and closing, which ristretto's goroutine
// writes from OnEvict and OnReject (guarded by mu, and atomic). Cost: under an LFU policy
// one xxh3 hash and one ristretto Get per access, a Set (an allocation and a channel
// send) per written key, plus ristretto's goroutines and sketch (about 3 bytes per
// counter, lfuCounters of them).
type lfuEngine struct {
	cache  *ristretto.Cache[uint64, lfuKey]
	policy int32

	mu      sync.Mutex
	victims []lfuKey // guarded by mu
	spare   []lfuKey // the loop's buffer, swapped with victims
	closing atomic.Bool

	sweepDB, sweepPos int
	calls             int
	// evicted counts the keys evicted on ristretto's word, not by the sampled pool.
	evicted int64
}

// lfuCounters sizes the frequency sketch: ristretto advises ten counters per item it may
// hold; with about 100 bytes for the smallest key and value, share/32 gives three to ten
// per item, and the bounds keep the sketch between 12 KB and 12 MB.
func lfuCounters(share int64) int64 {
	return min(max(share/32, 1<<12), 1<<22)
}

// lfuHash is ristretto's key for key in database db.
func lfuHash(db int, key string) uint64 { return xxh3.HashStringSeed(key, uint64(db)) }

func newLFUEngine(policy int32, share int64) *lfuEngine {
	e := &lfuEngine{policy: policy}
	cache, err := ristretto.NewCache(&ristretto.Config[uint64, lfuKey]{
		NumCounters:        lfuCounters(share),
		MaxCost:            max(share, 1),
		BufferItems:        64,
		IgnoreInternalCost: true,
		OnEvict:            e.enqueue,
		OnReject:           e.enqueue,
	})
	if err != nil {
		panic("BUG: ristretto rejects the LFU engine's configuration: " + err.Error())
	}
	e.cache = cache
	return e
}

// enqueue runs on ristretto's goroutine for each key it evicts or refuses.
func (e *lfuEngine) enqueue(it *ristretto.Item[lfuKey]) {
	if !it.Value.ok || e.closing.Load() {
		return
	}
	e.mu.Lock()
	if len(e.victims) < lfuQueueLimit {
		e.victims = append(e.victims, it.Value)
	}
	e.mu.Unlock()
}

// take returns the queued victims; the slice is the loop's until the next take.
func (e *lfuEngine) take() []lfuKey {
	e.mu.Lock()
	v := e.victims
	e.victims = e.spare[:0]
	e.mu.Unlock()
	e.spare = v
	return v
}

// holds reports whether ristretto stores h, without counting an access.
func (e *lfuEngine) holds(h uint64) bool {
	_, ok := e.cache.GetTTL(h)
	return ok
}

// close stops ristretto's goroutines; Close's Clear reports every stored item as
// evicted, which closing makes enqueue ignore.
func (e *lfuEngine) close() {
	e.closing.Store(true)
	e.cache.Close()
}

// tracks reports whether the engine's policy makes en a candidate.
func (e *lfuEngine) tracks(en *entry) bool {
	return e.policy != PolicyVolatileLFU || en.ExpireAt != 0
}

// offer hands entry en of database db to ristretto at its accounted size.
func (e *lfuEngine) offer(db int, en *entry) {
	e.cache.Set(lfuHash(db, en.key), lfuKey{en.key, int32(db), true}, int64(en.size))
}

// SyncEviction starts or stops the shard's LFU engine to match maxmemory-policy and
// maxmemory. The coordinator posts it to the shard's loop after CONFIG SET;
// EnforceMaxMemory also calls it when it sees the policy changed.
func (s *Shard) SyncEviction() {
	s.syncLFU(s.Settings.Memory.Policy.Load(), s.Settings.Memory.Share.Load())
}

// CloseEviction stops the LFU engine's goroutines, if one runs. Call it on the shard's
// loop, or once the loop has exited.
func (s *Shard) CloseEviction() {
	if s.lfu != nil {
		s.lfu.close()
		s.lfu = nil
	}
}

func (s *Shard) syncLFU(policy int32, share int64) {
	want := share > 0 && policyIsLFU(policy)
	if s.lfu != nil && (!want || s.lfu.policy != policy) {
		s.CloseEviction()
	}
	if want && s.lfu == nil {
		s.lfu = newLFUEngine(policy, share)
		s.lfuSweep(lfuEnrollAtStart)
	}
}

// lfuAccess records an access to entry en of the selected database, and offers the key
// again if ristretto does not hold it (evicted from ristretto and kept, refused, never
// enrolled): TinyLFU then decides with the frequency this access raised.
func (s *Shard) lfuAccess(en *entry) {
	if !s.lfu.tracks(en) {
		return
	}
	if _, ok := s.lfu.cache.Get(lfuHash(s.dbIndex, en.key)); !ok {
		s.lfu.offer(s.dbIndex, en)
	}
}

// lfuWritten tells ristretto a command wrote key in the selected database: its new
// size (Set updates a held key), or that it is gone or no longer a candidate. The Del
// is unconditional: an earlier Set of the key may still wait in ristretto's buffer, and
// only a Del queued behind it undoes it.
func (s *Shard) lfuWritten(key string, i int, present bool) {
	if present {
		if en := s.db.at(i); s.lfu.tracks(en) {
			s.lfu.offer(s.dbIndex, en)
			return
		}
	}
	s.lfu.cache.Del(lfuHash(s.dbIndex, key))
}

// lfuEvicted drops an evicted key of database db from ristretto if it holds it: not
// when ristretto chose it, but when the sampled pool did.
func (s *Shard) lfuEvicted(db int, key string) {
	if h := lfuHash(db, key); s.lfu.holds(h) {
		s.lfu.cache.Del(h)
	}
}

// lfuStep is the engine's share of EnforceMaxMemory: evict what ristretto queued,
// enroll a few keys, and now and then catch up.
func (s *Shard) lfuStep(share int64) {
	s.lfuEvictQueued()
	s.lfuSweep(lfuEnrollPerCall)
	if s.lfu.calls++; s.lfu.calls%lfuRetargetEvery == 0 {
		s.lfuCatchUp(share)
	}
}

// lfuCatchUp waits until ristretto has processed every Set and Del sent so far, corrects
// MaxCost from what it then holds, and evicts what it queued. EnforceMaxMemory also runs
// it when the shard is still over budget after lfuStep (ristretto had not caught up);
// the sampled pool takes over if the shard is over budget even then. Correcting MaxCost
// before the wait would count the Sets still in ristretto's buffer as bytes it cannot
// see, and set it too low.
func (s *Shard) lfuCatchUp(share int64) {
	s.lfu.cache.Wait()
	s.lfuRetarget(share)
	s.lfuEvictQueued()
}

// lfuEvictQueued evicts every queued victim that still exists, is still a candidate,
// and has not been admitted to ristretto again since it was queued.
func (s *Shard) lfuEvictQueued() {
	for _, v := range s.lfu.take() {
		db := int(v.db)
		if db >= len(s.dbs) {
			continue
		}
		i, ok := s.dbs[db].position(v.key)
		if !ok || !s.lfu.tracks(s.dbs[db].at(i)) || s.lfu.holds(lfuHash(db, v.key)) {
			continue
		}
		s.evict(db, i)
		s.lfu.evicted++
	}
}

// lfuSweep offers up to n candidates ristretto does not hold, walking the databases
// round-robin: keys loaded from a snapshot, written by paths that skip Recharge, or
// whose victim record was dropped. Entries move while the sweep walks (a removal swaps
// the last entry into the hole), so one pass may miss a key; the next pass sees it.
func (s *Shard) lfuSweep(n int) {
	e := s.lfu
	for visited := 0; visited < n; visited++ {
		d := s.dbs[e.sweepDB]
		if e.sweepPos >= d.Len() {
			e.sweepDB, e.sweepPos = (e.sweepDB+1)%len(s.dbs), 0
			if e.sweepDB == 0 {
				return // one lap per call at most
			}
			continue
		}
		en := d.at(e.sweepPos)
		e.sweepPos++
		if e.tracks(en) && !e.holds(lfuHash(e.sweepDB, en.key)) {
			e.offer(e.sweepDB, en)
		}
	}
}

// lfuRetarget sets ristretto's MaxCost to the share less the accounted bytes ristretto
// does not hold. Keys it holds that the keyspace has lost meanwhile (expired, flushed)
// count on both sides, so they do not shrink the room left for live keys.
func (s *Shard) lfuRetarget(share int64) {
	c := s.lfu.cache
	held := c.MaxCost() - c.RemainingCost()
	target := max(share-(s.UsedMemory()-held), 1)
	if target != c.MaxCost() {
		c.UpdateMaxCost(target)
	}
}
