package coord

import (
	"slices"
	"sort"
	"unsafe"

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
// txMu). A shard grants requests in that order (see lockTable). Every transaction runs
// its first part on each shard as its claims there are granted. A transaction that only
// reads and has no further step releases at once: one hop. A transaction that writes
// keeps its claims on every shard until its last part ran everywhere, so a reader that
// sees one shard's half of a write (after the release) can only see the other shard's
// half too: the claims are two-phase, and the global grant order keeps them free of
// deadlock. A write in one step therefore costs one hop; its release is posted without
// waiting for it, since everything it guards is already written.
//
// Owner: the client's loop; parts run on their shards' loops and touch only their own
// shard and their own result slot.
type txn struct {
	cl       *client
	db       int
	readOnly bool
	// claims are the lock requests by shard (nil where none); shards lists the shards
	// with one, sorted.
	claims []*lockRequest
	shards []int
	// ownedKeys is set when the keys given to claim are in memory that stays unchanged
	// for the transaction's life (ownArgs): lock keys then point into it, with no copy.
	ownedKeys bool
	// keysHint is how many keys the next claims declare, to size each request once.
	keysHint int
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
	return &txn{cl: cl, db: cl.db, readOnly: readOnly, claims: make([]*lockRequest, cl.srv.n), exec: cl.exec}
}

// claim declares that the transaction reads (or writes) key in database db.
func (t *txn) claim(db int, key []byte, write bool) {
	s := t.cl.srv.shardOf(key)
	r := t.request(s)
	mode := lockShared
	if write {
		mode = lockExclusive
	}
	var k lockKey
	if t.ownedKeys && len(key) > 0 {
		k = lockKey{db, unsafe.String(unsafe.SliceData(key), len(key))}
	} else {
		k = lockKey{db, string(key)}
	}
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
		if t.keysHint > 0 {
			r.keys, r.modes = make([]lockKey, 0, t.keysHint), make([]lockMode, 0, t.keysHint)
		}
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
	default:
		t.schedule(true, shards, part, then)
	}
}

// last runs part on each listed shard, releases the claims, and replies.
func (t *txn) last(shards []int, part func(sh *shard.Shard, i int), reply func(w *proto.Writer)) {
	part = t.watching(part)
	switch {
	case t.exec != nil:
		t.cl.fanout(shards, part, reply)
	case t.locked && part == nil:
		// Nothing left to run: drop the claims without waiting (an answer after a hop).
		t.releaseWritten(reply)
	case t.locked:
		t.release(shards, part, reply)
	case t.readOnly:
		t.schedule(false, shards, part, func() { t.cl.replyNow(reply) })
	default:
		t.schedule(true, shards, part, func() { t.releaseWritten(reply) })
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
			i := slices.Index(shards, s)
			runs := i >= 0
			onGrant := t.onGrant
			r.granted = func() {
				if onGrant != nil {
					onGrant(srv.shards[s])
				}
				if runs {
					sh := srv.shards[s]
					sh.Begin(db)
					srv.loops[s].prefetchClaim(sh, db, r)
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
	all := append([]int(nil), t.shards...)
	for _, s := range shards {
		if t.claims[s] == nil {
			panic("BUG: transaction part on a shard it holds no claim on")
		}
	}
	db := t.db
	t.locked = false
	t.logJournal()
	t.cl.fanout(all, func(sh *shard.Shard, _ int) {
		if i := slices.Index(shards, sh.ID); i >= 0 {
			sh.Begin(db)
			part(sh, i)
		}
		srv.loops[sh.ID].locks.release(t.claims[sh.ID])
	}, reply)
}

// prefetchClaim prefetches the keys a transaction claimed on shard sh before its part
// runs there (shard.PrefetchBatch), so that an MSET's lookups overlap their cache
// misses as a pipelined batch's do.
func (ls *loopState) prefetchClaim(sh *shard.Shard, db int, r *lockRequest) {
	if len(r.keys) < 2 {
		return
	}
	keys := ls.pfKeys[:0]
	for _, k := range r.keys {
		if k.db == db {
			// Read-only view of the claim's key: PrefetchBatch only hashes it.
			keys = append(keys, unsafe.Slice(unsafe.StringData(k.key), len(k.key)))
		}
	}
	sh.PrefetchBatch(db, keys, nil)
	clear(keys)
	ls.pfKeys = keys[:0]
}

// releaseWritten drops the claims of a write whose parts all ran, and replies at once.
// The release need not be waited for: a command that reaches a shard before it still
// waits for the claims, and then sees the whole write.
func (t *txn) releaseWritten(reply func(w *proto.Writer)) {
	srv := t.cl.srv
	t.locked = false
	t.logJournal()
	for _, s := range t.shards {
		r := t.claims[s]
		if s == t.cl.loop.idx {
			srv.loops[s].locks.release(r)
			continue
		}
		srv.run(s, func() { srv.loops[s].locks.release(r) })
	}
	t.cl.replyNow(reply)
}

// logJournal appends the transaction's AOF record, before its claims are released so
// that no conflicting write can be logged first.
func (t *txn) logJournal() {
	if t.journal != nil && t.exec == nil {
		t.cl.srv.appendRecords(false, aofRecord{t.db, t.journal})
	}
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
		if len(ls.blocked) > 0 && sh.Dirty() != before {
			ls.readyClaimed(claims[sh.ID])
		}
		if srv.tracking.active.Load() != 0 && sh.Dirty() != before { // tracking.go
			srv.trackClaimWritten(sh.ID, claims[sh.ID], t.cl.id)
		}
	}
}

// claimCommand declares the keys of cmd's arguments: writes for write commands.
func (t *txn) claimCommand(cmd *Command, args [][]byte, db int) {
	write := cmd.Flags&FlagWrite != 0
	positions := keyPositionsOf(cmd, args)
	t.keysHint = len(positions)
	for _, p := range positions {
		t.claim(db, args[p], write)
	}
	t.keysHint = 0
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
	return stepPositions(cmd.FirstKey, min(last, len(args)-1), cmd.Step)
}

// stepPositions lists first, first+step, ... up to last, in one allocation.
func stepPositions(first, last, step int) []int {
	if last < first {
		return nil
	}
	out := make([]int, 0, (last-first)/step+1)
	for i := first; i <= last; i += step {
		out = append(out, i)
	}
	return out
}
