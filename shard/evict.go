package shard

import (
	"math/rand/v2"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/basaltdb/basalt/proto"
)

// Memory accounting and eviction under maxmemory.
//
// Accounting: every DB keeps a running byte estimate, used, of its keys and values. An
// entry remembers what it was charged (entry.size), so insertion adds it, removal takes
// it back and an overwrite charges the difference. Collections change size in place
// behind a write lookup, so write() notes the entry and Settle re-estimates it after the
// command (or, at the latest, when the next command begins). Estimates are those of
// memory.go, sampled: accurate enough to bound memory, cheap enough for every write.
//
// Eviction: a shard's budget is maxmemory divided by the number of shards. Before a
// command that may grow memory the coordinator calls EnforceMaxMemory, which deletes
// keys chosen by the policy until the shard is within budget. Candidates are sampled, as
// Redis does: maxmemory-samples random keys per database feed a small pool of the best
// candidates seen so far, and the best of the pool goes first.
//
// LFU: allkeys-lfu and volatile-lfu choose their victims with ristretto's TinyLFU (see
// lfu.go): a per-shard ristretto Cache mirrors the candidate keys with their accounted
// sizes, records every access in its count-min sketch, and on each written key either
// evicts the least frequent of a sample of resident keys or refuses the newcomer. The
// keyspace still stores every write; ristretto's verdicts are queued and carried out by
// EnforceMaxMemory on the shard's loop before the next write that may grow memory. The
// sampled pool below is the fallback when ristretto has queued nothing and the shard is
// still over budget (keys ristretto has not seen yet, accounting it cannot see); under
// the LFU policies it ranks by the counter described next.
//
// Each key also keeps Redis's logarithmic 8-bit counter (lfu-log-factor, new keys start
// at 5), decayed by one per lfu-decay-time minutes since the key's last access, which is
// the Access field LRU uses too. OBJECT FREQ reports it, as Redis users and tools expect;
// ristretto's sketch estimates are approximate, shared between keys and not per key.

// Eviction policies, the values of maxmemory-policy.
const (
	PolicyNoEviction int32 = iota
	PolicyAllKeysLRU
	PolicyAllKeysLFU
	PolicyAllKeysRandom
	PolicyVolatileLRU
	PolicyVolatileLFU
	PolicyVolatileRandom
	PolicyVolatileTTL
)

var policyNames = map[string]int32{
	"noeviction": PolicyNoEviction, "allkeys-lru": PolicyAllKeysLRU, "allkeys-lfu": PolicyAllKeysLFU,
	"allkeys-random": PolicyAllKeysRandom, "volatile-lru": PolicyVolatileLRU,
	"volatile-lfu": PolicyVolatileLFU, "volatile-random": PolicyVolatileRandom,
	"volatile-ttl": PolicyVolatileTTL,
}

// ParsePolicy returns the policy named by a maxmemory-policy value (noeviction when the
// name is unknown; the configuration layer validates names).
func ParsePolicy(name string) int32 { return policyNames[name] }

func policyIsLFU(p int32) bool      { return p == PolicyAllKeysLFU || p == PolicyVolatileLFU }
func policyIsVolatile(p int32) bool { return p >= PolicyVolatileLRU }

// MemorySettings are the maxmemory parameters, shared by every shard and changed by
// CONFIG SET from any loop.
type MemorySettings struct {
	// Share is each shard's byte budget: maxmemory / shards; 0 means no limit, and a
	// negative share no room at all (the server's own memory is over maxmemory).
	Share atomic.Int64
	// Policy is maxmemory-policy, one of the Policy constants.
	Policy atomic.Int32
	// Samples is maxmemory-samples: keys sampled per database per eviction round.
	Samples atomic.Int64
	// Tenacity is maxmemory-eviction-tenacity, 0..100: how long one command may spend
	// evicting (see evictionTimeLimit).
	Tenacity atomic.Int64
	// LogFactor and DecayTime are lfu-log-factor and lfu-decay-time (minutes).
	LogFactor atomic.Int64
	DecayTime atomic.Int64
}

func (m *MemorySettings) init() {
	m.Samples.Store(5)
	m.Tenacity.Store(10)
	m.LogFactor.Store(10)
	m.DecayTime.Store(1)
}

// lfuInit is the counter of a new key: high enough that it is not evicted at once.
const lfuInit = 5

// accountedSize estimates what e costs, for the running totals. It runs after every
// write, so long lists and streams are sampled by node: memory.go walks every node, and
// an XADD to a stream of a million entries spent 80% of its time there.
func accountedSize(e *entry) uint32 {
	var n int64
	switch c := e.Coll.(type) {
	case *List:
		if nodes := c.nodes[c.lo:c.hi]; len(nodes) > 8 {
			n = int64(unsafe.Sizeof(*c)) + int64(cap(c.nodes))*int64(unsafe.Sizeof([]byte(nil))) +
				nodeSample(len(nodes), func(i int) int { return cap(nodes[i]) })
		}
	case *Stream:
		if len(c.nodes) > 8 {
			n = c.fixedUsage() + nodeSample(len(c.nodes), func(i int) int { return cap(c.nodes[i].data) })
		}
	}
	if n == 0 {
		n = e.MemoryUsage(DefaultMemorySamples)
	}
	n += KeyOverhead(e.key)
	return uint32(min(n, 1<<32-1))
}

// nodeSample extrapolates the bytes of n > 8 nodes from the first and the last four,
// where pushes and appends grow a list or a stream.
func nodeSample(n int, capOf func(i int) int) int64 {
	var sum int64
	for i := 0; i < 4; i++ {
		sum += int64(capOf(i)) + int64(capOf(n-1-i))
	}
	return sum * int64(n) / 8
}

// charge re-estimates entry i and moves the DB's total by the difference.
func (d *DB) charge(i int) {
	e := d.at(i)
	n := accountedSize(e)
	if delta := int64(n) - int64(e.size); delta != 0 {
		d.used += delta
		d.meter.Add(delta)
	}
	e.size = n
}

// chargeSlack charges the entry array's unused capacity: appends double it, so up to
// half of it can be slack, which a byte budget must not ignore.
func (d *DB) chargeSlack() {
	slack := int64(d.entries.spare()) * int64(unsafe.Sizeof(entry{}))
	if delta := slack - d.slack; delta != 0 {
		d.slack = slack
		d.used += delta
		d.meter.Add(delta)
	}
}

// pendingEntry is an entry a write lookup handed out, to re-estimate after the command.
type pendingEntry struct {
	db  *DB
	pos int
}

// Settle re-estimates the entries write commands changed in place since the last call.
// An entry that moved meanwhile (a removal swaps the last entry into the hole) leaves
// another entry re-estimated instead, harmlessly; its own figure is corrected by its next
// write. Cost: one estimate per written key.
func (s *Shard) Settle() {
	for _, p := range s.pending {
		if p.pos < p.db.Len() {
			p.db.charge(p.pos)
		}
	}
	s.pending = s.pending[:0]
}

// UsedMemory returns the shard's accounted bytes, over every database.
func (s *Shard) UsedMemory() int64 {
	s.Settle()
	return s.published.Load()
}

// OverBudget reports whether the last EnforceMaxMemory left the shard above its share.
// Safe to call from any goroutine: the coordinator rejects denyoom commands with it
// before they reach the shard.
func (s *Shard) OverBudget() bool { return s.full.Load() }

// touch records an access to e, an entry of the selected database: its LRU clock, and
// under an LFU policy its counter and an access in the TinyLFU engine. Other policies
// pay one predictable branch.
func (s *Shard) touch(e *entry) {
	if policyIsLFU(s.Settings.Memory.Policy.Load()) {
		e.lfu = s.lfuIncrement(s.lfuDecayed(e))
		if s.lfu != nil {
			s.lfuAccess(e)
		}
	}
	e.Access = s.clock()
}

// lfuDecayed returns e's counter less one per lfu-decay-time minutes since its last
// access.
func (s *Shard) lfuDecayed(e *entry) uint8 {
	decay := s.Settings.Memory.DecayTime.Load()
	if decay <= 0 {
		return e.lfu
	}
	periods := (int64(s.clock()) - int64(e.Access)) / 60 / decay
	if periods <= 0 {
		return e.lfu
	}
	return uint8(max(int64(e.lfu)-periods, 0))
}

// lfuIncrement counts one access logarithmically: the higher the counter, the less
// likely an access raises it.
func (s *Shard) lfuIncrement(c uint8) uint8 {
	if c == 255 {
		return c
	}
	base := max(float64(c)-lfuInit, 0)
	if rand.Float64() < 1/(base*float64(s.Settings.Memory.LogFactor.Load())+1) {
		c++
	}
	return c
}

// Freq is OBJECT FREQ's figure for o: its decayed LFU counter.
func (s *Shard) freq(e *entry) int64 { return int64(s.lfuDecayed(e)) }

// candidate is one key in the eviction pool; a higher score is evicted first.
type candidate struct {
	db    int
	key   string
	score uint64
}

// poolSize is how many candidates the pool keeps between rounds.
const poolSize = 16

// EnforceMaxMemory evicts keys until the shard is within its share of maxmemory, and
// reports whether it is. It stops early, reporting true, when maxmemory-eviction-tenacity's
// time limit is reached (the next write continues), and reports false when nothing can
// be evicted: noeviction, or a volatile policy with no key with a TTL.
//
// Under an LFU policy it first evicts what the TinyLFU engine queued (lfu.go), which
// usually brings the shard within budget; the sampled pool evicts the rest.
func (s *Shard) EnforceMaxMemory() bool {
	share := s.Settings.Memory.Share.Load()
	policy := s.Settings.Memory.Policy.Load()
	s.syncLFU(policy, share) // a CONFIG SET may have changed either since the last write
	if share == 0 {
		s.full.Store(false)
		return true
	}
	if s.lfu != nil {
		s.lfuStep(share)
		if s.UsedMemory() > share {
			s.lfuCatchUp(share)
		}
	}
	if s.UsedMemory() <= share {
		s.full.Store(false)
		return true
	}
	start := time.Now()
	limit := evictionTimeLimit(s.Settings.Memory.Tenacity.Load())
	for n := 0; s.UsedMemory() > share; n++ {
		if policy == PolicyNoEviction || !s.evictOne(policy) {
			s.full.Store(true)
			return false
		}
		if n%16 == 15 && time.Since(start) > limit {
			break
		}
	}
	s.full.Store(false)
	return true
}

// evictionTimeLimit is how long one round may evict: 50µs per tenacity step up to 10,
// growing 15% a step beyond, and without limit at 100.
func evictionTimeLimit(tenacity int64) time.Duration {
	if tenacity >= 100 {
		return time.Hour
	}
	us := 50 * float64(min(tenacity, 10))
	for t := int64(10); t < tenacity; t++ {
		us *= 1.15
	}
	return time.Duration(max(us, 1)) * time.Microsecond
}

// evictOne deletes the best candidate of policy and reports whether there was one.
func (s *Shard) evictOne(policy int32) bool {
	if policy == PolicyAllKeysRandom || policy == PolicyVolatileRandom {
		return s.evictRandom(policy == PolicyVolatileRandom)
	}
	s.fillPool(policy)
	for len(s.pool) > 0 {
		c := s.pool[len(s.pool)-1]
		s.pool = s.pool[:len(s.pool)-1]
		d := s.dbs[c.db]
		if i, ok := d.position(c.key); ok && (!policyIsVolatile(policy) || d.at(i).volPos >= 0) {
			s.evict(c.db, i)
			return true
		}
	}
	return false
}

// fillPool samples each database and keeps the best poolSize candidates, sorted by
// ascending score.
func (s *Shard) fillPool(policy int32) {
	samples := int(max(s.Settings.Memory.Samples.Load(), 1))
	volatile := policyIsVolatile(policy)
	for n, d := range s.dbs {
		size := d.Len()
		if volatile {
			size = len(d.volatile)
		}
		for k := 0; k < min(samples, size); k++ {
			i := rand.IntN(size)
			if volatile {
				i = int(d.volatile[i])
			}
			e := d.at(i)
			s.offer(candidate{n, e.key, s.evictScore(policy, e)})
		}
	}
}

// evictScore ranks e for eviction: idle time, inverse frequency, or nearness of expiry.
func (s *Shard) evictScore(policy int32, e *entry) uint64 {
	switch policy {
	case PolicyAllKeysLFU, PolicyVolatileLFU:
		return uint64(255 - s.lfuDecayed(e))
	case PolicyVolatileTTL:
		return ^uint64(e.ExpireAt)
	}
	return uint64(max(int64(s.clock())-int64(e.Access), 0))
}

// offer inserts c into the pool unless the pool is full of better candidates.
func (s *Shard) offer(c candidate) {
	for i := range s.pool {
		if s.pool[i].db == c.db && s.pool[i].key == c.key {
			s.pool[i].score = c.score
			return
		}
	}
	if len(s.pool) == poolSize {
		if c.score <= s.pool[0].score {
			return
		}
		copy(s.pool, s.pool[1:])
		s.pool = s.pool[:poolSize-1]
	}
	i := len(s.pool)
	s.pool = append(s.pool, c)
	for ; i > 0 && s.pool[i-1].score > c.score; i-- {
		s.pool[i] = s.pool[i-1]
	}
	s.pool[i] = c
}

// evictRandom deletes a random key (with a TTL when volatile) of the next non-empty
// database, taking databases in turn as Redis does.
func (s *Shard) evictRandom(volatile bool) bool {
	for range s.dbs {
		s.nextEvictDB = (s.nextEvictDB + 1) % len(s.dbs)
		d := s.dbs[s.nextEvictDB]
		if volatile && len(d.volatile) > 0 {
			s.evict(s.nextEvictDB, int(d.volatile[rand.IntN(len(d.volatile))]))
			return true
		}
		if !volatile && d.Len() > 0 {
			s.evict(s.nextEvictDB, rand.IntN(d.Len()))
			return true
		}
	}
	return false
}

// evict deletes entry i of database db for memory, telling the Evicted hook first.
func (s *Shard) evict(db, i int) {
	d := s.dbs[db]
	if s.Evicted != nil {
		s.Evicted(db, d.at(i).key)
	}
	if s.lfu != nil {
		s.lfuEvicted(db, d.at(i).key)
	}
	d.removeAt(i)
	s.Stats.EvictedKeys++
}

// RecheckBudget clears the over-budget mark once the shard is back within its share
// (after a DEL, say), so the coordinator stops refusing writes. The coordinator calls
// it after write commands; Published covers the paths that skip it.
func (s *Shard) RecheckBudget() {
	if s.full.Load() && s.UsedMemory() <= s.Settings.Memory.Share.Load() {
		s.full.Store(false)
	}
}

// Published returns the accounted bytes, current but for in-place collection changes
// of a command still running or just finished (Settle). Safe to call from any goroutine.
func (s *Shard) Published() int64 { return s.published.Load() }

// ClearOverBudget drops the over-budget mark; the next EnforceMaxMemory sets it again
// if need be. Safe from any goroutine (CONFIG SET maxmemory calls it).
func (s *Shard) ClearOverBudget() { s.full.Store(false) }

// Recharge re-estimates key in the selected database, if present. The coordinator calls
// it for the keys a write command wrote: handlers that change an entry in place without
// a write lookup (an overwriting SET, a list pop that empties nodes) are then accounted
// too, and under an LFU policy the TinyLFU engine learns the key's new size or its
// deletion. Cost: a map lookup and one estimate.
func (s *Shard) Recharge(key []byte) {
	i, ok := s.db.position(proto.String(key))
	if ok {
		s.db.charge(i)
	}
	if s.lfu != nil {
		s.lfuWritten(proto.String(key), i, ok)
	}
}
