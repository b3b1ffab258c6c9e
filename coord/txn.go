package coord

import (
	"sort"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// txn is one atomic operation over several shards: a multi-shard command, a global
// command, or a MULTI/EXEC block. It is the coordinator API that command families use:
// declare the keys (claims), then run per-shard parts in hops with hop and finish with
// last; nobody else observes a state between the hops.
//
// Protocol. The first hop posts a lock request to every shard with a claim, under
// Server.txMu, so every shard receives transactions in one global order (the order of
// txMu). A shard grants requests in that order (see lockTable). A transaction that only
// reads runs its first part when its claims are granted and, if that part is also the
// last, releases at once: one hop. A transaction that writes first waits until every
// shard granted its claims (one hop), then runs its parts while holding them, and
// releases in its last hop, so a reader can never see one shard's half of a write
// before the other shard's half is locked.
//
// Owner: the client's loop; parts run on their shards' loops and touch only their own
// shard and their own result slot.
type txn struct {
	cl       *client
	db       int
	readOnly bool
	// claims are the lock requests per shard; shards lists their keys, sorted.
	claims map[int]*lockRequest
	shards []int
	// scheduled is set once the claims are posted; locked once they are held everywhere.
	scheduled, locked bool
	// onGrant, when set, runs on each shard when the claims there are granted, before any
	// part (EXEC checks watched keys for expiry there).
	onGrant func(sh *shard.Shard)
	// exec is the enclosing EXEC when this is a command inside a transaction: the claims
	// belong to the EXEC, and the reply goes to its reply list.
	exec *execState
	// journal, when set, is the command the AOF logs for this transaction; it is
	// appended before the claims are released, so no conflicting write can come first.
	journal [][]byte
}

// newTxn starts a transaction for the client's current database.
// Inside EXEC it returns a view on the EXEC's transaction, whose claims already cover the
// command.
func (cl *client) newTxn(readOnly bool) *txn {
	return &txn{cl: cl, db: cl.db, readOnly: readOnly, claims: map[int]*lockRequest{}, exec: cl.exec}
}

// claim declares that the transaction reads (or writes) key in database db.
func (t *txn) claim(db int, key []byte, write bool) {
	s := t.cl.srv.shardOf(key)
	r := t.request(s)
	mode := lockShared
	if write {
		mode = lockExclusive
	}
	k := lockKey{db, string(key)}
	for i, have := range r.keys {
		if have == k {
			if write {
				r.modes[i] = lockExclusive
			}
			return
		}
	}
	r.keys = append(r.keys, k)
	r.modes = append(r.modes, mode)
}

// claimAll declares that the transaction reads (or writes) every shard as a whole.
func (t *txn) claimAll(write bool) {
	for s := 0; s < t.cl.srv.n; s++ {
		r := t.request(s)
		r.global = true
		if write {
			r.mode = lockExclusive
		}
	}
}

func (t *txn) request(s int) *lockRequest {
	r := t.claims[s]
	if r == nil {
		r = &lockRequest{}
		t.claims[s] = r
		t.shards = append(t.shards, s)
		sort.Ints(t.shards)
	}
	return r
}

// hop runs part on each listed shard while the transaction's claims are held, then runs
// then on the client's loop.
func (t *txn) hop(shards []int, part func(sh *shard.Shard, i int), then func()) {
	part = t.watching(part)
	switch {
	case t.exec != nil || t.locked:
		t.cl.fanout(shards, part, func(*proto.Writer) { then() })
	case t.readOnly:
		t.schedule(true, shards, part, then)
	default:
		t.schedule(true, nil, nil, func() { t.cl.fanout(shards, part, func(*proto.Writer) { then() }) })
	}
}

// last runs part on each listed shard, releases the claims, and replies.
func (t *txn) last(shards []int, part func(sh *shard.Shard, i int), reply func(w *proto.Writer)) {
	part = t.watching(part)
	switch {
	case t.exec != nil:
		t.cl.fanout(shards, part, reply)
	case t.locked:
		t.release(shards, part, reply)
	case t.readOnly:
		t.schedule(false, shards, part, func() { t.cl.replyNow(reply) })
	default:
		t.schedule(true, nil, nil, func() { t.release(shards, part, reply) })
	}
}

// answer replies without another hop: the transaction has decided its outcome. The
// claims it holds (if any) are released first.
func (t *txn) answer(reply func(w *proto.Writer)) {
	if t.exec == nil && !t.scheduled {
		t.cl.replyNow(reply)
		return
	}
	t.last(nil, nil, reply)
}

// schedule posts the claims to every shard in the global order. When hold is set they
// stay held until release; part, if any, runs on each listed shard at grant time.
func (t *txn) schedule(hold bool, shards []int, part func(sh *shard.Shard, i int), then func()) {
	t.scheduled = true
	srv := t.cl.srv
	slot := make(map[int]int, len(shards))
	for i, s := range shards {
		slot[s] = i
	}
	for _, s := range shards {
		if t.claims[s] == nil {
			panic("BUG: transaction part on a shard it holds no claim on")
		}
	}
	db := t.db
	t.cl.fanoutWith(len(t.shards), func(ack func(s int)) {
		srv.txMu.Lock()
		defer srv.txMu.Unlock()
		for _, s := range t.shards {
			s := s
			r := t.claims[s]
			r.hold = hold
			i, runs := slot[s]
			onGrant := t.onGrant
			r.granted = func() {
				if onGrant != nil {
					onGrant(srv.shards[s])
				}
				if runs {
					sh := srv.shards[s]
					sh.Begin(db)
					part(sh, i)
				}
				ack(s)
			}
			srv.run(s, func() { srv.loops[s].locks.request(r) })
		}
	}, func(*proto.Writer) {
		t.locked = hold
		then()
	})
}

// release runs the final parts and drops the claims on every shard, then replies.
func (t *txn) release(shards []int, part func(sh *shard.Shard, i int), reply func(w *proto.Writer)) {
	srv := t.cl.srv
	slot := make(map[int]int, len(shards))
	for i, s := range shards {
		slot[s] = i
	}
	all := append([]int(nil), t.shards...)
	for _, s := range shards {
		if t.claims[s] == nil {
			panic("BUG: transaction part on a shard it holds no claim on")
		}
	}
	db := t.db
	t.locked = false
	if t.journal != nil && t.exec == nil {
		srv.appendRecords(false, aofRecord{db, t.journal})
	}
	t.cl.fanout(all, func(sh *shard.Shard, _ int) {
		if i, runs := slot[sh.ID]; runs {
			sh.Begin(db)
			part(sh, i)
		}
		srv.loops[sh.ID].locks.release(t.claims[sh.ID])
	}, reply)
}

// watching wraps part so that it signals WATCHers of the keys it modifies.
func (t *txn) watching(part func(sh *shard.Shard, i int)) func(sh *shard.Shard, i int) {
	if part == nil {
		return nil
	}
	claims := t.claims
	if t.exec != nil {
		claims = t.exec.t.claims
	}
	srv := t.cl.srv
	return func(sh *shard.Shard, i int) {
		ls := srv.loops[sh.ID]
		probes := ls.probeClaim(sh, claims[sh.ID])
		before := sh.Dirty()
		part(sh, i)
		ls.touched(sh, before, probes)
		if srv.tracking.active.Load() != 0 && sh.Dirty() != before { // tracking.go
			srv.trackClaimWritten(sh.ID, claims[sh.ID], t.cl.id)
		}
	}
}

// claimCommand declares the keys of cmd's arguments: writes for write commands.
func (t *txn) claimCommand(cmd *Command, args [][]byte, db int) {
	write := cmd.Flags&FlagWrite != 0
	for _, p := range keyPositionsOf(cmd, args) {
		t.claim(db, args[p], write)
	}
}

// keyPositionsOf lists the argument positions that hold keys.
func keyPositionsOf(cmd *Command, args [][]byte) []int {
	if cmd.keysFn != nil {
		return cmd.keysFn(args)
	}
	if cmd.FirstKey <= 0 {
		return nil
	}
	last := cmd.LastKey
	if last < 0 {
		last += len(args)
	}
	var out []int
	for i := cmd.FirstKey; i <= last && i < len(args); i += cmd.Step {
		out = append(out, i)
	}
	return out
}
