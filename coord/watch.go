package coord

import (
	"sync/atomic"
	"time"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// watcher is one client's WATCH of one key, registered on the key's shard.
type watcher struct {
	// dirty is the client's flag for its current WATCH session; any watched key being
	// modified sets it, and EXEC then fails. It also identifies the session.
	dirty *atomic.Bool
	// live records that the key existed and had not expired at WATCH time: only then
	// does its expiry count as a change, as in Redis.
	live bool
}

// watchTable maps keys to their watchers on one shard. Owner: the shard's loop.
type watchTable map[lockKey][]watcher

// watched reports whether anyone watches key.
func (w watchTable) watched(db int, key []byte) bool {
	if len(w) == 0 {
		return false
	}
	_, ok := w[lockKey{db, string(key)}]
	return ok
}

// touch marks every watcher of key dirty.
func (w watchTable) touch(k lockKey) {
	for _, wr := range w[k] {
		wr.dirty.Store(true)
	}
}

// expired marks dirty the watchers of key for whom it was live when they watched it.
func (w watchTable) expired(k lockKey) {
	for _, wr := range w[k] {
		if wr.live {
			wr.dirty.Store(true)
		}
	}
}

// remove drops the watchers of one WATCH session.
func (w watchTable) remove(k lockKey, session *atomic.Bool) {
	ws := w[k]
	for i := 0; i < len(ws); i++ {
		if ws[i].dirty == session {
			ws = append(ws[:i], ws[i+1:]...)
			i--
		}
	}
	if len(ws) == 0 {
		delete(w, k)
	} else {
		w[k] = ws
	}
}

// watchedKeys observes which of keys are watched and present before a command runs, so
// that touched can tell afterwards which ones the command modified. It returns nil when
// none is watched (the common case, at the cost of one length check).
func (ls *loopState) watchedKeys(sh *shard.Shard, db int, args [][]byte, positions []int) []watchProbe {
	if len(ls.watches) == 0 {
		return nil
	}
	var probes []watchProbe
	for _, p := range positions {
		if ls.watches.watched(db, args[p]) {
			probes = append(probes, watchProbe{lockKey{db, string(args[p])}, sh.Present(db, args[p])})
		}
	}
	return probes
}

// watchProbe remembers whether a watched key was present before a command.
type watchProbe struct {
	key     lockKey
	present bool
}

// touched signals the watchers of the probed keys that the command modified: the shard's
// write counter moved and the key existed before or exists now (as Redis, a write that
// leaves a key absent throughout, such as DEL of a missing key, touches nothing).
func (ls *loopState) touched(sh *shard.Shard, dirtyBefore int64, probes []watchProbe) {
	if len(probes) == 0 || sh.Dirty() == dirtyBefore {
		return
	}
	for _, p := range probes {
		k := []byte(p.key.key)
		if (p.present || sh.Present(p.key.db, k)) && !sh.Unchanged(k) {
			ls.watches.touch(p.key)
		}
	}
}

// probeClaim is watchedKeys for a transaction's claim on this shard: the written keys.
// Whole-shard writes (FLUSHDB, FLUSHALL, SWAPDB) signal their watchers themselves, since
// only they know which databases they change.
func (ls *loopState) probeClaim(sh *shard.Shard, r *lockRequest) []watchProbe {
	if len(ls.watches) == 0 || r == nil || r.global {
		return nil
	}
	var probes []watchProbe
	for i, k := range r.keys {
		if r.modes[i] == lockExclusive {
			if _, ok := ls.watches[k]; ok {
				probes = append(probes, watchProbe{k, sh.Present(k.db, []byte(k.key))})
			}
		}
	}
	return probes
}

// runShardCommand runs a single-shard command's handler on its shard's loop, with
// statistics and WATCH signalling. Every path that runs a shard handler goes through it.
// It returns how long the handler ran (the slow log's measure).
func (ls *loopState) runShardCommand(sh *shard.Shard, cmd *Command, args [][]byte, db int, w *proto.Writer) time.Duration {
	start := ls.stamp()
	mark := w.Len()
	sh.BeginAtMilli(db, ls.clock.unixMilli(start))
	if cs := ls.srv.cluster; cs != nil {
		if msg := cs.askFor(sh, cmd, args); msg != "" { // cluster_migrate.go
			w.Error(msg)
			return ls.account(cmd, w, mark, start)
		}
	}
	before := sh.Dirty()
	if cmd.Flags&FlagDenyOOM != 0 {
		if ls.scriptCall {
			// A script is judged once, by the memory as it started (scriptRun.call), as
			// in Redis: a run that may go on is not stopped halfway. It still evicts.
			sh.EnforceMaxMemory()
		} else if !makeRoom(sh, w) { // evict.go
			return ls.account(cmd, w, mark, start)
		}
	}
	if len(ls.watches) == 0 {
		cmd.shard(sh, args, w)
	} else {
		probes := ls.watchedKeys(sh, db, args, writtenKeyPositions(cmd, args))
		cmd.shard(sh, args, w)
		ls.touched(sh, before, probes)
	}
	if cmd.Flags&FlagWrite != 0 {
		if len(ls.blocked) > 0 && sh.Dirty() != before {
			// A waiter may care that its key was deleted or replaced, not only filled
			// (XREADGROUP then fails, as in Redis 7.2); its ready check decides.
			eachWrittenKey(cmd, args, func(i int) { ls.srv.keyReady(ls, db, string(args[i])) })
		}
		ls.journalCommand(ls.srv, sh, args, db, before)
		rechargeWritten(sh, cmd, args) // evict.go
		sh.RecheckBudget()
	}
	if ls.srv.tracking.active.Load() != 0 {
		ls.srv.trackWritten(ls.idx, sh, cmd, args, db, before) // tracking.go
	}
	return ls.account(cmd, w, mark, start)
}

// touchLive marks dirty the watchers of every watched key of the databases in dbs that
// is live on sh (a key flushed or swapped away counts as changed only if it existed).
func (ls *loopState) touchLive(sh *shard.Shard, dbs ...int) {
	if len(ls.watches) == 0 {
		return
	}
	for k := range ls.watches {
		for _, db := range dbs {
			if (db < 0 || k.db == db) && sh.Live(k.db, []byte(k.key)) {
				ls.watches.touch(k)
			}
		}
	}
}

// writtenKeyPositions lists the key positions of cmd that its key specs do not mark
// read-only (COPY reads its source and writes its destination).
func writtenKeyPositions(cmd *Command, args [][]byte) []int {
	var out []int
	eachWrittenKey(cmd, args, func(i int) { out = append(out, i) })
	return out
}

// eachWrittenKey calls fn with each position writtenKeyPositions lists, without building
// the list (rechargeWritten runs on every write).
func eachWrittenKey(cmd *Command, args [][]byte, fn func(i int)) {
	if cmd.keysFn != nil || len(cmd.KeySpecs) == 0 {
		for _, i := range keyPositionsOf(cmd, args) {
			fn(i)
		}
		return
	}
	for _, ks := range cmd.KeySpecs {
		if ks.Flags&KeyRO != 0 {
			continue
		}
		last := ks.BeginIndex + ks.LastKey
		if ks.LastKey < 0 {
			last = len(args) + ks.LastKey
		}
		step := max(ks.KeyStep, 1)
		for i := ks.BeginIndex; i <= last && i < len(args); i += step {
			fn(i)
		}
	}
}
