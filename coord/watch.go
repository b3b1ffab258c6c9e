package coord

import (
	"sync/atomic"
	"time"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// watcher is one client's WATCH of one key, registered on the key's shard.
type watcher struct {
	client uint64
	// dirty is the client's flag for its current WATCH session; any watched key being
	// modified sets it, and EXEC then fails.
	dirty *atomic.Bool
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

// touchDB marks dirty every watcher of a key of database db (db < 0: every database)
// for which present reports true.
func (w watchTable) touchDB(db int, present func(lockKey) bool) {
	for k, ws := range w {
		if (db < 0 || k.db == db) && present(k) {
			for _, wr := range ws {
				wr.dirty.Store(true)
			}
		}
	}
}

func (w watchTable) remove(k lockKey, client uint64) {
	ws := w[k]
	for i := 0; i < len(ws); i++ {
		if ws[i].client == client {
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
		if p.present || sh.Present(p.key.db, []byte(p.key.key)) {
			ls.watches.touch(p.key)
		}
	}
}

// probeClaim is watchedKeys for a transaction's claim on this shard: every watched key
// for a whole-shard claim, the written keys otherwise.
func (ls *loopState) probeClaim(sh *shard.Shard, r *lockRequest) []watchProbe {
	if len(ls.watches) == 0 || r == nil {
		return nil
	}
	var probes []watchProbe
	if r.global {
		for k := range ls.watches {
			probes = append(probes, watchProbe{k, sh.Present(k.db, []byte(k.key))})
		}
		return probes
	}
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
func (ls *loopState) runShardCommand(sh *shard.Shard, cmd *Command, args [][]byte, db int, w *proto.Writer) {
	start := time.Now()
	mark := w.Len()
	sh.Begin(db)
	if len(ls.watches) == 0 {
		cmd.shard(sh, args, w)
	} else {
		probes := ls.watchedKeys(sh, db, args, keyPositionsOf(cmd, args))
		before := sh.Dirty()
		cmd.shard(sh, args, w)
		ls.touched(sh, before, probes)
	}
	ls.account(cmd, w, mark, start)
}
