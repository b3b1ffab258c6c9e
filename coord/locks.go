package coord

import "slices"

// lockKey names one key of one database.
type lockKey struct {
	db  int
	key string
}

// lockMode is what a transaction does to a key: read (shared) or write (exclusive).
type lockMode uint8

const (
	lockShared lockMode = iota
	lockExclusive
)

// lockRequest is a transaction's claim on one shard: some keys, or the whole shard
// (global commands such as FLUSHALL and KEYS).
type lockRequest struct {
	keys   []lockKey
	modes  []lockMode
	global bool
	mode   lockMode // for global requests
	// granted runs on the shard's loop when no earlier conflicting claim remains.
	granted func()
	// held is set once granted when the claim stays until release (multi-hop writes).
	hold bool
}

// heldKey counts the claims holding one key.
type heldKey struct {
	shared    int
	exclusive int
}

// lockTable serializes multi-shard transactions on one shard.
//
// Owner: the shard's loop. Transactions reach every shard's loop in one global order
// (they are posted under Server.txMu), and requests wait here in that order: a request
// is granted when it conflicts neither with a held claim nor with an earlier waiting
// request, so two transactions touching the same keys are granted in the same order on
// every shard and cannot deadlock. Single-key commands do not queue in the global order:
// they only wait while a claim on their key is held, which is what keeps a transaction's
// partial state invisible between its hops.
//
// Cost: when no transaction touches the shard, active() is false and the single-key fast
// path does one integer comparison.
type lockTable struct {
	held        map[lockKey]heldKey
	globalHeld  [2]int // holders of global shared / exclusive claims
	waiting     []*lockRequest
	activeCount int
	// changes counts requests and releases, so that grant notices a callback's.
	changes uint64
}

func newLockTable() *lockTable {
	return &lockTable{held: make(map[lockKey]heldKey)}
}

// active reports whether any claim is held or waiting.
func (t *lockTable) active() bool { return t.activeCount > 0 }

// blocks reports whether a single-key command touching key (writing when write is set)
// must wait for a held claim.
func (t *lockTable) blocks(db int, key []byte, write bool) bool {
	if t.globalHeld[lockExclusive] > 0 || (write && t.globalHeld[lockShared] > 0) {
		return true
	}
	h := t.held[lockKey{db, string(key)}] // no allocation: the conversion is only a lookup
	return h.exclusive > 0 || (write && h.shared > 0)
}

// blocksGlobal reports whether a command that reads (or writes) the whole shard must wait.
func (t *lockTable) blocksGlobal(write bool) bool {
	if t.globalHeld[lockExclusive] > 0 || (write && t.globalHeld[lockShared] > 0) {
		return true
	}
	for _, h := range t.held {
		if h.exclusive > 0 || (write && h.shared > 0) {
			return true
		}
	}
	return false
}

// conflictsHeld reports whether r conflicts with a held claim.
func (t *lockTable) conflictsHeld(r *lockRequest) bool {
	if r.global {
		return t.blocksGlobal(r.mode == lockExclusive)
	}
	for i, k := range r.keys {
		write := r.modes[i] == lockExclusive
		if t.globalHeld[lockExclusive] > 0 || (write && t.globalHeld[lockShared] > 0) {
			return true
		}
		if h := t.held[k]; h.exclusive > 0 || (write && h.shared > 0) {
			return true
		}
	}
	return false
}

// conflict reports whether two requests touch a common key with at least one writer.
func conflict(a, b *lockRequest) bool {
	switch {
	case a.global && b.global:
		return a.mode == lockExclusive || b.mode == lockExclusive
	case a.global:
		return a.mode == lockExclusive || anyExclusive(b)
	case b.global:
		return b.mode == lockExclusive || anyExclusive(a)
	}
	for i, ka := range a.keys {
		for j, kb := range b.keys {
			if ka == kb && (a.modes[i] == lockExclusive || b.modes[j] == lockExclusive) {
				return true
			}
		}
	}
	return false
}

func anyExclusive(r *lockRequest) bool {
	for _, m := range r.modes {
		if m == lockExclusive {
			return true
		}
	}
	return false
}

// request grants r at once when nothing held or waiting conflicts with it, and queues it
// otherwise. A new request cannot unblock a waiting one, so only r is checked: the cost
// does not grow with the queue beyond one pass over it.
func (t *lockTable) request(r *lockRequest) {
	t.activeCount++
	t.changes++
	if !t.grantable(r, len(t.waiting)) {
		t.waiting = append(t.waiting, r)
		return
	}
	t.run(r)
}

// grantable reports whether the request conflicts with no held claim and none of the
// first n waiting requests.
func (t *lockTable) grantable(r *lockRequest, n int) bool {
	if t.conflictsHeld(r) {
		return false
	}
	for _, w := range t.waiting[:n] {
		if conflict(w, r) {
			return false
		}
	}
	return true
}

// run takes a granted request's claims (when it holds them) and runs its callback.
func (t *lockTable) run(r *lockRequest) {
	if r.hold {
		t.take(r)
	} else {
		t.activeCount--
	}
	r.granted()
}

// grant runs every waiting request that conflicts with no held claim and no earlier
// waiting request, in order.
func (t *lockTable) grant() {
	for i := 0; i < len(t.waiting); {
		r := t.waiting[i]
		if !t.grantable(r, i) {
			i++
			continue
		}
		t.waiting = slices.Delete(t.waiting, i, i+1)
		before := t.changes
		t.run(r)
		if t.changes != before {
			// The callback queued or released claims: look again from the start.
			i = 0
		}
		// Otherwise the requests before i are still blocked (a grant frees nothing), and
		// the next one now sits at i.
	}
}

func (t *lockTable) take(r *lockRequest) {
	if r.global {
		t.globalHeld[r.mode]++
		return
	}
	for i, k := range r.keys {
		h := t.held[k]
		if r.modes[i] == lockExclusive {
			h.exclusive++
		} else {
			h.shared++
		}
		t.held[k] = h
	}
}

// release drops the claims of a held request and grants waiting ones.
func (t *lockTable) release(r *lockRequest) {
	t.activeCount--
	t.changes++
	if r.global {
		t.globalHeld[r.mode]--
	} else {
		for i, k := range r.keys {
			h, ok := t.held[k]
			if !ok {
				panic("BUG: releasing a key lock that is not held")
			}
			if r.modes[i] == lockExclusive {
				h.exclusive--
			} else {
				h.shared--
			}
			if h.exclusive == 0 && h.shared == 0 {
				delete(t.held, k)
			} else {
				t.held[k] = h
			}
		}
	}
	t.grant()
}
