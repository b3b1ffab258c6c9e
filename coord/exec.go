package coord

import (
	"sync/atomic"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// MULTI, EXEC, DISCARD, WATCH and UNWATCH.
//
// EXEC runs the queued commands as one transaction: it claims every key they name (and
// whole shards for global commands such as FLUSHALL), takes the claims in one hop, runs
// the commands in order while holding them, and releases in the hop that answers. Runs
// of consecutive single-shard commands travel as one hop per shard, in parallel. A block
// whose commands all live on one shard needs no claims: it runs in one hop on that shard,
// whose loop does nothing else meanwhile.

// queued is a command waiting in a MULTI block, with its own copy of the arguments.
type queued struct {
	cmd  *Command
	args [][]byte
	// refused, when set, is the error EXEC answers instead of running the command: its
	// user lost the permission after it was queued (acl_cmds.go).
	refused string
}

// multiState is a client's open MULTI block.
type multiState struct {
	cmds []queued
	// aborted is set when a command was rejected while queueing: EXEC then fails.
	aborted bool
}

// execState is a running EXEC: the queued commands, their replies so far, and the
// transaction that holds the claims of all of them.
type execState struct {
	// script is set while a script's redis.call runs a client command: a message the
	// client publishes to itself then goes out before the script's reply, as
	// redis-server sends it, not into the reply redis.call hands the script.
	script  bool
	t       *txn
	cmds    []queued
	next    int
	replies proto.Writer
	// effects are the AOF records of the commands run so far, appended as one
	// MULTI/EXEC block before the claims are released.
	effects []aofRecord
}

// watchedKey is a key the client watches, the shard where its watcher lives, and
// whether the key was live (present, not expired) when watched.
type watchedKey struct {
	shard int
	key   lockKey
	live  bool
}

// globalClaims lists the commands that read or write every shard as a whole.
var globalClaims = map[string]bool{ // name -> writes
	"keys": false, "dbsize": false, "randomkey": false, "scan": false,
	"flushdb": true, "flushall": true, "swapdb": true,
	// SORT's BY and GET patterns read keys of any shard; SORT may STORE.
	"sort": true, "sort_ro": false,
}

// runsInMulti reports whether a command acts at once inside MULTI instead of queueing.
func runsInMulti(c *Command) bool {
	switch c.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

// MULTI
func multiCmd(cl *client, _ [][]byte, w *proto.Writer) {
	if cl.multi != nil {
		w.Error("ERR MULTI calls can not be nested")
		return
	}
	cl.multi = &multiState{}
	w.OK()
}

// DISCARD
func discardCmd(cl *client, _ [][]byte, w *proto.Writer) {
	if cl.multi == nil {
		w.Error("ERR DISCARD without MULTI")
		return
	}
	cl.multi = nil
	cl.unwatch()
	w.OK()
}

// queue adds a command to the open MULTI block.
func (cl *client) queue(cmd *Command, args [][]byte, w *proto.Writer) {
	if cmd.Flags&FlagNoMulti != 0 {
		cl.multi.aborted = true
		w.Error("ERR Command not allowed inside a transaction")
		return
	}
	cl.multi.cmds = append(cl.multi.cmds, queued{cmd: cmd, args: ownArgs(args)})
	w.Simple("QUEUED")
}

// EXEC
func execCmd(cl *client, _ [][]byte, w *proto.Writer) {
	if cl.multi == nil {
		w.Error("ERR EXEC without MULTI")
		return
	}
	m := cl.multi
	cl.multi = nil
	// The watchers stay registered until the check below is made under the claims: a
	// write between their removal and the check would otherwise go unnoticed.
	session, watched := cl.watchDirty, cl.watched
	cl.watchDirty, cl.watched = nil, nil
	if m.aborted || (session != nil && session.Load()) || len(m.cmds) == 0 && len(watched) == 0 {
		cl.srv.removeWatches(session, watched)
		switch {
		case m.aborted:
			w.Error("EXECABORT Transaction discarded because of previous errors.")
		case session != nil && session.Load():
			w.NullArray()
		default:
			w.Array(0)
		}
		return
	}
	if !cl.loader {
		cl.recheckQueued(m.cmds) // acl_cmds.go
	}
	if s, ok := cl.singleShard(m.cmds, watched); ok {
		cl.execOnShard(s, m.cmds, session, watched)
		return
	}
	t := cl.newTxn(false)
	db := cl.db
	for _, q := range m.cmds {
		switch {
		case q.cmd.Name == "select":
			if n, ok := proto.ParseInt(q.args[1]); ok && n >= 0 && n < int64(cl.srv.cfg.Databases) {
				db = int(n)
			}
		case q.cmd.client != nil:
			if write, global := globalClaims[q.cmd.Name]; global {
				t.claimAll(write)
			}
		default:
			t.claimCommand(q.cmd, q.args, db)
		}
	}
	// Watched keys are claimed too, so that no write slips between the check of the
	// WATCH flag (after the claims are held) and the commands.
	for _, wk := range watched {
		t.claim(wk.key.db, []byte(wk.key.key), false)
	}
	cl.exec = &execState{t: t, cmds: m.cmds}
	cl.exec.replies.SetRESP3(cl.out.RESP3())
	if len(t.shards) == 0 {
		return
	}
	t.onGrant = func(sh *shard.Shard) { checkWatchedExpiry(sh, session, watched) }
	t.schedule(true, nil, nil, func() {
		cl.srv.removeWatches(session, watched)
		if session != nil && session.Load() {
			cl.exec = nil
			t.release(nil, nil, func(w *proto.Writer) { w.NullArray() })
		}
	})
}

// checkWatchedExpiry marks the WATCH session dirty when a key of sh that was live when
// watched has expired since, even if nothing deleted it yet (Redis 7 semantics).
func checkWatchedExpiry(sh *shard.Shard, session *atomic.Bool, watched []watchedKey) {
	if session == nil {
		return
	}
	for _, wk := range watched {
		if wk.shard == sh.ID && wk.live && !sh.Live(wk.key.db, []byte(wk.key.key)) {
			session.Store(true)
		}
	}
}

// singleShard reports whether every queued command is a keyed command of one shard, so
// the block can run in one hop without claims.
func (cl *client) singleShard(cmds []queued, watched []watchedKey) (int, bool) {
	target := -1
	for _, wk := range watched {
		if target >= 0 && wk.shard != target {
			return 0, false
		}
		target = wk.shard
	}
	for _, q := range cmds {
		if q.cmd.client != nil {
			return 0, false
		}
		s, multi := cl.route(q.cmd, q.args)
		if multi || (target >= 0 && s != target) {
			return 0, false
		}
		target = s
	}
	return target, target >= 0
}

// execOnShard runs a whole block on one shard in one hop; the watched keys, if any, live
// there too, so the WATCH check and the commands see one state. Like any single-shard
// command it waits while a transaction holds one of its keys.
func (cl *client) execOnShard(s int, cmds []queued, session *atomic.Bool, watched []watchedKey) {
	srv := cl.srv
	db := cl.db
	trackReads := cl.track != nil && cl.track.deferReads
	var replies proto.Writer
	replies.SetRESP3(cl.out.RESP3())
	aborted := false
	r := &lockRequest{}
	for _, q := range cmds {
		mode := lockShared
		if q.cmd.Flags&FlagWrite != 0 {
			mode = lockExclusive
		}
		for _, p := range keyPositionsOf(q.cmd, q.args) {
			r.keys = append(r.keys, lockKey{db, string(q.args[p])})
			r.modes = append(r.modes, mode)
		}
	}
	for _, wk := range watched {
		r.keys = append(r.keys, wk.key)
		r.modes = append(r.modes, lockShared)
	}
	runBlock := func() {
		sh := srv.shards[s]
		ls := srv.loops[s]
		// The watchers go on this shard right at the check: no write can come between.
		for _, wk := range watched {
			ls.watches.remove(wk.key, session)
		}
		checkWatchedExpiry(sh, session, watched)
		if session != nil && session.Load() {
			aborted = true
			return
		}
		var effects []aofRecord
		ls.capture = &effects
		for _, q := range cmds {
			if q.refused != "" {
				replies.Error(q.refused)
				continue
			}
			srv.setWriter(s, cl.id) // tracking.go: NOLOOP
			ls.runShardCommand(sh, q.cmd, q.args, db, &replies)
			if trackReads {
				srv.rememberRead(s, cl.id, db, q.cmd, q.args)
			}
		}
		ls.capture = nil
		srv.appendRecords(true, effects...)
	}
	cl.fanoutWith(1, func(ack func(int)) {
		srv.run(s, func() {
			ls := srv.loops[s]
			if ls.locks.active() && ls.locks.conflictsHeld(r) {
				r.granted = func() { runBlock(); ack(s) }
				ls.locks.request(r)
				return
			}
			runBlock()
			ack(s)
		})
	}, func(w *proto.Writer) {
		if aborted {
			w.NullArray()
			return
		}
		w.Array(len(cmds))
		w.Raw(replies.Bytes())
	})
}

// step runs the EXEC's next command, or a run of single-shard commands, or finishes.
// It is called on the client's loop whenever nothing is in flight.
func (e *execState) step(cl *client) {
	if e.next == len(e.cmds) {
		cl.exec = nil
		cl.srv.appendRecords(true, e.effects...)
		n := len(e.cmds)
		reply := func(w *proto.Writer) {
			w.Array(n)
			w.Raw(e.replies.Bytes())
		}
		if e.t.locked {
			e.t.release(nil, nil, reply)
		} else {
			cl.replyNow(reply)
		}
		return
	}
	q := e.cmds[e.next]
	if q.refused != "" {
		e.next++
		e.replies.Error(q.refused)
		return
	}
	if q.cmd.Flags&FlagWrite != 0 && (q.cmd.client != nil || q.cmd.multi != nil) && cl.srv.journaling() {
		if _, multi := cl.route(q.cmd, q.args); multi || q.cmd.client != nil {
			e.effects = append(e.effects, aofRecord{cl.db, q.args})
		}
	}
	if q.cmd.client != nil {
		e.next++
		cl.lastCmd = q.cmd.FullName()
		cl.runClientCounted(q.cmd, q.args, &e.replies)
		return
	}
	if _, multi := cl.route(q.cmd, q.args); multi {
		e.next++
		t := cl.newTxn(q.cmd.Flags&FlagWrite == 0)
		q.cmd.multi(t, q.cmd, q.args)
		return
	}
	// Squash the run of single-shard commands that starts here: one hop per shard.
	type slot struct{ shard, start, end int }
	start := e.next
	var slots []slot
	var shards []int
	index := map[int]int{}
	for e.next < len(e.cmds) {
		q := e.cmds[e.next]
		if q.cmd.client != nil || q.refused != "" {
			break
		}
		s, multi := cl.route(q.cmd, q.args)
		if multi {
			break
		}
		if _, ok := index[s]; !ok {
			index[s] = len(shards)
			shards = append(shards, s)
		}
		slots = append(slots, slot{shard: s})
		e.next++
	}
	run := e.cmds[start:e.next]
	writers := make([]proto.Writer, len(shards))
	for i := range writers {
		writers[i].SetRESP3(cl.out.RESP3())
	}
	srv := cl.srv
	db := cl.db
	trackReads := cl.track != nil && cl.track.deferReads
	captured := make([][]aofRecord, len(shards))
	cl.fanout(shards, func(sh *shard.Shard, i int) {
		ls := srv.loops[sh.ID]
		ls.capture = &captured[i]
		for j := range run {
			if slots[j].shard != sh.ID {
				continue
			}
			slots[j].start = writers[i].Len()
			srv.setWriter(sh.ID, cl.id) // tracking.go: NOLOOP
			ls.runShardCommand(sh, run[j].cmd, run[j].args, db, &writers[i])
			if trackReads {
				srv.rememberRead(sh.ID, cl.id, db, run[j].cmd, run[j].args)
			}
			slots[j].end = writers[i].Len()
		}
		ls.capture = nil
	}, func(w *proto.Writer) {
		for _, recs := range captured {
			e.effects = append(e.effects, recs...)
		}
		for _, sl := range slots {
			w.Raw(writers[index[sl.shard]].Bytes()[sl.start:sl.end])
		}
	})
}

// WATCH key [key ...]
func watchCmd(cl *client, args [][]byte, w *proto.Writer) {
	if cl.multi != nil {
		w.Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	if cl.watchDirty == nil {
		cl.watchDirty = new(atomic.Bool)
	}
	flag, db := cl.watchDirty, cl.db
	own := ownArgs(args)
	shards, keys := cl.partition(keyPositions(own, 1, 1), own)
	live := make([]bool, len(own))
	srv := cl.srv
	cl.fanout(shards, func(sh *shard.Shard, i int) {
		ls := srv.loops[sh.ID]
		for _, p := range keys[i] {
			k := lockKey{db, string(own[p])}
			live[p] = sh.Live(db, own[p])
			ls.watches[k] = append(ls.watches[k], watcher{dirty: flag, live: live[p]})
		}
	}, func(w *proto.Writer) {
		for i, s := range shards {
			for _, p := range keys[i] {
				cl.watched = append(cl.watched, watchedKey{s, lockKey{db, string(own[p])}, live[p]})
			}
		}
		w.OK()
	})
}

// UNWATCH
func unwatchCmd(cl *client, _ [][]byte, w *proto.Writer) {
	cl.unwatch()
	w.OK()
}

// unwatch forgets the client's watched keys.
func (cl *client) unwatch() {
	cl.srv.removeWatches(cl.watchDirty, cl.watched)
	cl.watched = nil
	cl.watchDirty = nil
}

// removeWatches drops a WATCH session's watchers by messages to their shards; a later
// WATCH of the same key reaches the shard after them.
func (s *Server) removeWatches(session *atomic.Bool, watched []watchedKey) {
	if len(watched) == 0 {
		return
	}
	byShard := map[int][]lockKey{}
	for _, wk := range watched {
		byShard[wk.shard] = append(byShard[wk.shard], wk.key)
	}
	for sh, keys := range byShard {
		sh, keys := sh, keys
		s.run(sh, func() {
			for _, k := range keys {
				s.loops[sh].watches.remove(k, session)
			}
		})
	}
}
