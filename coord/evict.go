package coord

import (
	"math"
	"runtime"
	"runtime/debug"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// maxmemory on the coordinator's side: the shards evict (shard/evict.go); this file
// splits the budget across them, wires what an eviction must tell the rest of the
// server, and keeps the Go heap's own limit in step with maxmemory.

// errOOM is Redis's reply to a command that may grow memory when eviction cannot bring
// used memory under maxmemory.
const errOOM = "OOM command not allowed when used memory > 'maxmemory'."

// goMemLimitFloor keeps a tiny maxmemory from starving the runtime itself: the server's
// own buffers and goroutines need some heap whatever the dataset's budget.
const goMemLimitFloor = 32 << 20

// goMemLimitRatio is GOMEMLIMIT over maxmemory: room for the heap the keyspace does not
// account (connections, replies, the garbage between two collections), small enough
// that the process stays within 1.3 times maxmemory.
const goMemLimitRatio = 1.2

// ownMemory is what maxmemory counts for the server itself besides the dataset, as
// Redis's used_memory counts its start-up allocations (used_memory_startup, about 870
// KB for redis-server 7): an empty redis-server refuses writes under a maxmemory below
// that, and Redis's test suite relies on it (maxmemory 1 must refuse the first write).
// A fresh Basalt's Go heap is 370-650 KB; a constant rather than the measured heap keeps
// the budget the same from one start to the next, and in tests that run the server
// inside a bigger process.
const ownMemory = 512 << 10

// startupMemLimit is GOMEMLIMIT as the process started (math.MaxInt64 when unset); it
// comes back when maxmemory returns to 0.
var startupMemLimit = debug.SetMemoryLimit(-1)

// applyMaxMemory hands maxmemory and its parameters to the shards and derives the Go
// memory limit from it (goMemLimitRatio), so the heap is collected harder as the dataset
// nears its budget instead of growing to twice it with GOGC's default.
func (s *Server) applyMaxMemory() {
	n := s.cfg.Threads
	if n <= 0 {
		n = runtime.NumCPU()
	}
	m := &s.settings.Memory
	limitBytes := s.cfg.MaxMemory
	share := int64(0)
	if limitBytes > 0 {
		share = (limitBytes - ownMemory) / int64(n)
		if share <= 0 {
			share = -1
		}
	}
	m.Share.Store(share)
	m.Policy.Store(shard.ParsePolicy(s.cfg.MaxMemoryPolicy))
	m.Samples.Store(int64(s.cfg.MaxMemorySamples))
	m.Tenacity.Store(int64(s.cfg.MaxMemoryTenacity))
	m.LogFactor.Store(int64(s.cfg.LFULogFactor))
	m.DecayTime.Store(int64(s.cfg.LFUDecayTime))
	for _, sh := range s.shards {
		sh.ClearOverBudget()
	}
	s.syncEviction()
	if limitBytes <= 0 {
		debug.SetMemoryLimit(startupMemLimit)
		return
	}
	limit := int64(math.Min(float64(limitBytes)*goMemLimitRatio, math.MaxInt64/2))
	debug.SetMemoryLimit(min(startupMemLimit, max(limit, goMemLimitFloor)))
}

// syncEviction has every shard start or stop its LFU engine (shard/lfu.go) on its own
// loop, so that leaving allkeys-lfu or volatile-lfu, or setting maxmemory to 0, stops
// the engine's goroutines at once rather than at the shard's next write. A shard that
// the new settings leave over its share evicts there and then, as Redis starts its
// eviction timer when CONFIG SET lowers maxmemory: otherwise nothing would evict (or
// publish "evicted") before that shard's next write. Before the loops run there is
// nothing to do: a shard starts its engine at its first write.
func (s *Server) syncEviction() {
	if !s.isReady.Load() {
		return
	}
	for i, sh := range s.shards {
		s.run(i, func() {
			sh.SyncEviction()
			if share := sh.Settings.Memory.Share.Load(); share != 0 && sh.UsedMemory() > share {
				sh.EnforceMaxMemory()
			}
		})
	}
}

// wireEviction tells the server of every key sh evicts: WATCHers see it change, the AOF
// logs it as DEL, as for an expired key, and keyspace notifications publish "evicted".
func (s *Server) wireEviction(ls *loopState, sh *shard.Shard) {
	sh.Evicted = func(db int, key string) {
		if len(ls.watches) > 0 {
			ls.watches.expired(lockKey{db, key})
		}
		s.journalExpired(db, key)
		s.notifyEvicted(ls.idx, db, key)         // notify.go
		s.invalidateKey(ls.idx, db, []byte(key)) // tracking.go
	}
}

// overMemory reports whether a denyoom command must be refused before it is routed.
// Under noeviction that is when the shards' bytes together exceed maxmemory, Redis's
// global rule, whichever shard the command goes to; under the other policies, when some
// shard's last eviction could not bring it within its share (nothing left to evict) and
// it still is not. Cost: one or two atomic loads per shard.
func (s *Server) overMemory() bool {
	m := &s.settings.Memory
	share := m.Share.Load()
	if share == 0 {
		return false
	}
	noEviction := m.Policy.Load() == shard.PolicyNoEviction
	var total int64
	for _, sh := range s.shards {
		if sh.OverBudget() && sh.Published() > share {
			return true
		}
		total += sh.Published()
	}
	return noEviction && total > share*int64(len(s.shards))
}

// makeRoom runs eviction on sh before a command that may grow memory and answers OOM
// when it cannot free enough, as Redis does before denyoom commands.
func makeRoom(sh *shard.Shard, w *proto.Writer) bool {
	if sh.Settings.Memory.Share.Load() == 0 || sh.EnforceMaxMemory() {
		return true
	}
	w.Error(errOOM)
	return false
}

// rejectsOnOOM reports whether cmd is refused while memory is over maxmemory: commands
// that may grow memory, and inside MULTI every command but those that end the
// transaction, since queueing itself takes memory (Redis's rule).
func (cl *client) rejectsOnOOM(cmd *Command) bool {
	if cl.loader {
		// AOF replay and a master's stream must apply whatever memory they take.
		return false
	}
	if cmd.Flags&FlagDenyOOM != 0 {
		return true
	}
	if cl.multi == nil {
		return false
	}
	switch cmd.Name {
	case "exec":
		// An EXEC with a queued command that may grow memory is refused as a whole
		// (EXECABORT), as Redis refuses it, rather than failing that command inside.
		return cl.orQueued(cmd, nil, func(c *Command, _ [][]byte) bool { return c.Flags&FlagDenyOOM != 0 })
	case "discard", "quit", "reset":
		return false
	}
	return true
}

// rechargeWritten re-estimates the keys a write command wrote on sh: the positions its
// key specs do not mark read-only.
func rechargeWritten(sh *shard.Shard, cmd *Command, args [][]byte) {
	eachWrittenKey(cmd, args, func(i int) { sh.Recharge(args[i]) })
}

// maxMemory returns maxmemory and maxmemory-policy for INFO, under the config's lock.
func (c *Config) maxMemory() (int64, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.MaxMemory, c.MaxMemoryPolicy
}
