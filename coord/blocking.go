package coord

import (
	"context"
	"math"
	"math/big"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// The blocking framework: commands that wait for keys (BLPOP, BLMOVE, BZPOPMIN, XREAD
// BLOCK, ...) register a waiter on every key's shard, in the same hop that finds them
// all empty, so no push can slip between the check and the registration. A push calls
// the shard's Ready hook; the shard then serves its waiters for that key first come,
// first served. A waiter may be registered on several shards: whichever shard first
// moves it from waiting to served (an atomic swap) pops the value and writes the reply;
// the others skip it. Timeouts and CLIENT UNBLOCK race through the same swap, on the
// client's loop.

// Waiter states.
const (
	waitWaiting int32 = iota
	// waitServing: a shard won the waiter and is writing its reply.
	waitServing
	waitServed
	waitDone // timed out, unblocked or cancelled
)

// blockOp is what a blocking command does when one of its keys is ready.
type blockOp struct {
	db   int
	keys [][]byte
	// ready reports whether key, on sh, can serve the waiter now.
	ready func(sh *shard.Shard, key []byte) bool
	// wakes, when set, replaces ready for a waiter already blocked. A key of another
	// type "serves" a command about to block its WRONGTYPE error, but a waiter whose
	// key turned into another type (a push, then DEL and SET, in one MULTI) keeps
	// waiting, as in Redis.
	wakes func(sh *shard.Shard, key []byte) bool
	// serve pops what the waiter gets from key and writes its reply. It runs on the
	// key's shard right after ready returned true.
	serve func(sh *shard.Shard, ls *loopState, key []byte, w *proto.Writer)
	// onNoKey is set for waiters that also wake when their key goes away or changes
	// type (XREADGROUP), for INFO's total_blocking_keys_on_nokey.
	onNoKey bool
	// dest, when set, is a key serve writes besides the one it pops (the destination
	// of a BLMOVE on the same shard): WATCH must see that write too.
	dest []byte
	// timeout is the reply when the wait ends without a value.
	timeout func(w *proto.Writer)
	// empty, when set, replaces timeout inside MULTI, where the command does not wait
	// (BLMOVE then answers as LMOVE does).
	empty func(w *proto.Writer)
	// then, when set, runs on the client's loop after a serve, for a second step (the
	// push of a cross-shard BLMOVE); it replaces the served reply.
	then func(cl *client, served []byte)
	// replay is the non-blocking command the AOF logs for a serve from key (LPOP for
	// BLPOP): replaying a blocking command could wait forever.
	replay func(key []byte) [][]byte
	// inExec is set inside MULTI/EXEC, whose block logs the command itself.
	inExec bool
}

// serveAndLog serves from key for client writer and logs the serve's replay unless it
// failed.
func (op *blockOp) serveAndLog(sh *shard.Shard, ls *loopState, key []byte, w *proto.Writer, writer uint64) {
	mark := w.Len()
	var probes []watchProbe
	if len(ls.watches) > 0 {
		probes = ls.watchedKeys(sh, op.db, [][]byte{key, op.dest}, op.writtenPositions())
	}
	before := sh.Dirty()
	op.serve(sh, ls, key, w)
	ls.touched(sh, before, probes)
	if srv := ls.srv; srv.tracking.active.Load() != 0 && sh.Dirty() != before {
		// The served pop (and push) wrote like the command it ends: clients caching the
		// keys are told (tracking.go).
		var keys [][]byte
		for _, k := range [][]byte{key, op.dest} {
			if k != nil && srv.shardOf(k) == ls.idx {
				keys = append(keys, k)
			}
		}
		srv.invalidateWritten(ls.idx, op.db, keys, writer)
	}
	if op.replay == nil || op.inExec || !ls.srv.journaling() {
		return
	}
	if out := w.Bytes()[mark:]; len(out) > 0 && out[0] == '-' {
		return
	}
	ls.record(ls.srv, op.db, op.replay(key))
}

// writtenPositions lists which of a serve's keys (key, dest) it writes.
func (op *blockOp) writtenPositions() []int {
	if op.dest != nil {
		return []int{0, 1}
	}
	return []int{0}
}

// popReplay returns a replay function logging cmd key [count].
func popReplay(cmd string, count int64) func(key []byte) [][]byte {
	return func(key []byte) [][]byte {
		if count <= 1 {
			return [][]byte{[]byte(cmd), key}
		}
		return [][]byte{[]byte(cmd), key, []byte(strconv.FormatInt(count, 10))}
	}
}

// waiter is one blocked client. The fields below state are written by whoever won the
// swap out of waitWaiting, then handed over to the client's loop by Wake.
type waiter struct {
	state atomic.Int32
	id    uint64
	// cl is resumed (through wake, from any loop) when the wait ends.
	cl    *client
	op    *blockOp
	reply proto.Writer
	timer *time.Timer
	// shards lists where the waiter is registered, for cleanup.
	shards []int
	// unblockErr is set by CLIENT UNBLOCK ERROR.
	unblockErr bool
	// cmd is the blocking command, whose failed_calls an error reply counts in.
	cmd string
}

// blockTable holds one shard's waiters by key, oldest first. Owner: the shard's loop.
type blockTable map[lockKey][]*waiter

// parseTimeout reads a blocking command's timeout in seconds as Redis 7.2 does: a long
// double (fractions, hex, inf), turned into milliseconds rounded up; 0 waits forever.
// Past what a deadline in Unix milliseconds can hold it is out of range; a timeout
// longer than a Duration holds (292 years) waits as long as one does.
func parseTimeout(b []byte) (time.Duration, string) {
	f, ok := shard.ParseLongDouble(b)
	if !ok {
		return 0, "ERR timeout is not a float or out of range"
	}
	ms := new(big.Float).Mul(f, big.NewFloat(1000))
	if ms.Cmp(new(big.Float).SetInt64(math.MaxInt64)) > 0 {
		return 0, "ERR timeout is out of range"
	}
	if ms.Sign() < 0 {
		return 0, proto.ErrTimeoutNegative
	}
	// Rounded up to a whole millisecond, as Redis's ceill; below 2^63 here.
	whole, acc := ms.Int64()
	if acc == big.Below && whole < math.MaxInt64 {
		whole++
	}
	if whole > math.MaxInt64-time.Now().UnixMilli() {
		return 0, "ERR timeout is out of range"
	}
	return time.Duration(min(whole, math.MaxInt64/int64(time.Millisecond))) * time.Millisecond, ""
}

// block runs a blocking command: in one hop per involved shard it serves the waiter at
// once if a key is ready, else registers it; the first key in argument order that is
// ready wins. Inside MULTI (exec) a blocking command does not wait.
func (cl *client) block(op *blockOp, timeout time.Duration) {
	srv := cl.srv
	wt := &waiter{id: cl.id, cl: cl, op: op, cmd: cl.lastCmd}
	wt.reply.SetRESP3(cl.out.RESP3())
	noWait := cl.exec != nil
	op.inExec = noWait
	// Positions count from 1 in a slice padded like a command line: op.keys[p-1].
	shards, keys := cl.partition(argRange(1, len(op.keys)), append([][]byte{nil}, op.keys...))
	wt.shards = shards
	// first[i] is the first ready key position on shard i, or 0.
	first := make([]int, len(shards))
	cl.fanout(shards, func(sh *shard.Shard, i int) {
		sh.Begin(op.db)
		for _, p := range keys[i] {
			if op.ready(sh, op.keys[p-1]) {
				first[i] = p
				return
			}
		}
		if noWait {
			return
		}
		ls := srv.loops[sh.ID]
		for _, p := range keys[i] {
			k := lockKey{op.db, string(op.keys[p-1])}
			ls.blocked[k] = append(ls.blocked[k], wt)
		}
	}, func(w *proto.Writer) {
		best := 0
		for _, p := range first {
			if p > 0 && (best == 0 || p < best) {
				best = p
			}
		}
		if best == 0 {
			if noWait {
				if op.empty != nil {
					op.empty(w)
				} else {
					op.timeout(w)
				}
				return
			}
			cl.waitFor(wt, timeout)
			return
		}
		// A key was ready: take the waiter back (unless a push already served it) and
		// pop from the first ready key under a claim, so that no one else takes it first.
		if !wt.state.CompareAndSwap(waitWaiting, waitDone) {
			cl.waitFor(wt, 0)
			return
		}
		cl.unregister(wt)
		key := op.keys[best-1]
		s := srv.shardOf(key)
		t := cl.newTxn(false)
		t.claim(op.db, key, true)
		var retry bool
		t.last([]int{s}, func(sh *shard.Shard, _ int) {
			if !op.ready(sh, key) {
				retry = true
				return
			}
			op.serveAndLog(sh, srv.loops[sh.ID], key, &wt.reply, cl.id)
		}, func(w *proto.Writer) {
			if retry {
				// Someone emptied the key between the hops: start over.
				cl.block(op, timeout)
				return
			}
			cl.deliver(wt, w)
		})
	})
}

// waitFor parks the client until a shard serves wt, the timeout passes or CLIENT UNBLOCK.
func (cl *client) waitFor(wt *waiter, timeout time.Duration) {
	cl.blocked = wt
	cl.srv.blockedClients.Add(1)
	if timeout > 0 {
		ls := cl.loop
		wt.timer = time.AfterFunc(timeout, func() {
			_ = ls.handle.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
				if wt.state.CompareAndSwap(waitWaiting, waitDone) {
					wt.cl.wake()
				}
				return nil
			}))
		})
	}
	// A shard may have served the waiter before it was parked: look now.
	if st := wt.state.Load(); st != waitWaiting && st != waitServing {
		wt.cl.wake()
	}
}

// finishBlocked is called from serve when the client's waiter has left waitWaiting.
func (cl *client) finishBlocked() {
	wt := cl.blocked
	cl.blocked = nil
	cl.srv.blockedClients.Add(-1)
	if wt.timer != nil {
		wt.timer.Stop()
	}
	cl.unregister(wt)
	// An error that ends the wait counts as the command's, as in Redis: INFO errorstats
	// and its failed_calls (the call itself was counted when it blocked).
	defer cl.countBlockedError(wt, cl.out.Len())
	if wt.state.Load() == waitServed {
		cl.deliver(wt, &cl.out)
		return
	}
	if wt.unblockErr {
		cl.out.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
		return
	}
	wt.op.timeout(&cl.out)
}

// countBlockedError counts the reply written to out from mark when it is an error.
func (cl *client) countBlockedError(wt *waiter, mark int) {
	b := cl.out.Bytes()
	if len(b) <= mark || b[mark] != '-' {
		return
	}
	var scratch [32]byte
	if cmd := lookupCommand([]byte(wt.cmd), &scratch); cmd != nil {
		cl.loop.stats[cmd.id].failed++
	}
	cl.loop.countErrorBytes(b[mark+1:])
}

// deliver writes a served waiter's reply, or runs the op's second step.
func (cl *client) deliver(wt *waiter, w *proto.Writer) {
	if wt.op.then != nil {
		wt.op.then(cl, wt.reply.Bytes())
		return
	}
	w.Raw(wt.reply.Bytes())
}

// unregister removes the waiter from every shard it was registered on.
func (cl *client) unregister(wt *waiter) {
	srv := cl.srv
	for _, s := range wt.shards {
		s := s
		srv.run(s, func() {
			ls := srv.loops[s]
			for _, key := range wt.op.keys {
				k := lockKey{wt.op.db, string(key)}
				ws := ls.blocked[k]
				for i := 0; i < len(ws); i++ {
					if ws[i] == wt {
						ws = append(ws[:i], ws[i+1:]...)
						i--
					}
				}
				if len(ws) == 0 {
					delete(ls.blocked, k)
				} else {
					ls.blocked[k] = ws
				}
			}
		})
	}
}

// keyReady is the shard's Ready hook: a key gained elements. Serving waits until the
// command that pushed has finished (and its transaction released the key), so waiters
// see the command's whole effect, as in Redis.
func (s *Server) keyReady(ls *loopState, db int, key string) {
	k := lockKey{db, key}
	if len(ls.blocked[k]) == 0 {
		return
	}
	ls.readyKeys = append(ls.readyKeys, k)
	if len(ls.readyKeys) == 1 {
		s.run(ls.idx, func() { s.serveReady(ls) })
	}
}

// readyClaimed marks ready the keys a transaction wrote on this shard (its exclusive
// claims), as runShardCommand does for a single-shard write: a waiter may care that
// its key was deleted or replaced (XREADGROUP fails then); its ready check decides,
// once the transaction let go of the key.
func (ls *loopState) readyClaimed(r *lockRequest) {
	if r == nil || r.global {
		return
	}
	for i, k := range r.keys {
		if r.modes[i] == lockExclusive {
			ls.srv.keyReady(ls, k.db, k.key)
		}
	}
}

// readyWaiters marks ready the keys with waiters in databases dbs (-1: all) after a
// whole-database change (FLUSHDB, FLUSHALL, SWAPDB); each waiter's ready check decides.
func (ls *loopState) readyWaiters(dbs ...int) {
	for k := range ls.blocked {
		for _, db := range dbs {
			if db < 0 || k.db == db {
				ls.srv.keyReady(ls, k.db, k.key)
				break
			}
		}
	}
}

// serveReady hands the ready keys' values to their waiters, oldest waiter first.
func (s *Server) serveReady(ls *loopState) {
	sh := s.shards[ls.idx]
	for len(ls.readyKeys) > 0 {
		k := ls.readyKeys[0]
		ls.readyKeys = ls.readyKeys[1:]
		key := []byte(k.key)
		if ls.locks.active() && ls.locks.blocks(k.db, key, true) {
			// A transaction holds the key: serve once it lets go.
			r := &lockRequest{keys: []lockKey{k}, modes: []lockMode{lockExclusive}}
			r.granted = func() { s.keyReady(ls, k.db, k.key) }
			ls.locks.request(r)
			continue
		}
		// Every waiter is looked at, oldest first: one that cannot be served now (an
		// XREAD waiting past another id, a list pop behind an XREADGROUP that fails on
		// the key's new type) does not hold back those behind it, as in Redis.
		ws := ls.blocked[k]
		var left []*waiter
		for _, wt := range ws {
			if wt.state.Load() != waitWaiting {
				continue
			}
			sh.Begin(k.db)
			wakes := wt.op.wakes
			if wakes == nil {
				wakes = wt.op.ready
			}
			if !wakes(sh, key) {
				left = append(left, wt)
				continue
			}
			if !wt.state.CompareAndSwap(waitWaiting, waitServing) {
				continue
			}
			wt.op.serveAndLog(sh, ls, key, &wt.reply, wt.cl.id)
			// The reply is complete: only now may the client's loop read it.
			wt.state.Store(waitServed)
			wt.cl.wake()
		}
		if len(left) == 0 {
			delete(ls.blocked, k)
		} else {
			ls.blocked[k] = left
		}
	}
}

// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
func clientUnblockCmd(cl *client, args [][]byte, w *proto.Writer) {
	id, ok := proto.ParseInt(args[2])
	if !ok {
		w.Error(proto.ErrNotInt)
		return
	}
	withErr := false
	if len(args) == 4 {
		switch string(toLower(args[3])) {
		case "timeout":
		case "error":
			withErr = true
		default:
			w.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	if len(args) > 4 {
		w.Error(proto.ErrSyntax)
		return
	}
	srv := cl.srv
	found := make([]bool, srv.n)
	cl.fanout(srv.allShards(), func(sh *shard.Shard, i int) {
		c := srv.loops[sh.ID].clients[uint64(id)]
		if c == nil || c.blocked == nil {
			return
		}
		wt := c.blocked
		if wt.state.CompareAndSwap(waitWaiting, waitDone) {
			wt.unblockErr = withErr
			found[i] = true
			wt.cl.wake()
		}
	}, func(w *proto.Writer) {
		for _, f := range found {
			if f {
				w.Int(1)
				return
			}
		}
		w.Int(0)
	})
}

func toLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// parseTimeoutMs reads a timeout in milliseconds (WAIT, CLIENT PAUSE), answering
// Redis's errors for a bad or negative one.
func parseTimeoutMs(arg []byte, w *proto.Writer) (int64, bool) {
	ms, ok := proto.ParseInt(arg)
	if !ok {
		w.Error("ERR timeout is not an integer or out of range")
		return 0, false
	}
	if ms < 0 {
		w.Error("ERR timeout is negative")
		return 0, false
	}
	return ms, true
}

// WAIT numreplicas timeout
//
// WAIT answers how many replicas acknowledged the connection's writes: every write made
// so far is in the replication stream up to its current offset, so the replicas that
// acknowledged that offset count (a conservative stand-in for Redis's per-client write
// offset). It answers at once when enough did (or inside MULTI), else when enough do or
// timeout milliseconds have passed (0 waits until then, CLIENT UNBLOCK or the close).
func waitCmd(cl *client, args [][]byte, w *proto.Writer) {
	want, ok := proto.ParseInt(args[1])
	if !ok {
		w.Error(proto.ErrNotInt)
		return
	}
	ms, ok := parseTimeoutMs(args[2], w)
	if !ok {
		return
	}
	r := &cl.srv.repl
	r.mu.Lock()
	off := r.off
	r.mu.Unlock()
	if n := r.acked(off); want <= int64(n) || cl.exec != nil {
		w.Int(int64(n))
		return
	}
	op := &blockOp{
		db:    cl.db,
		ready: func(*shard.Shard, []byte) bool { return false },
		serve: func(*shard.Shard, *loopState, []byte, *proto.Writer) {},
	}
	wt := &replWaiter{cl: cl, op: op, off: off, need: int(want)} // repl.go
	op.timeout = func(w *proto.Writer) {
		wt.done.Store(true)
		w.Int(int64(r.acked(off)))
	}
	r.addWaiter(wt)
	cl.block(op, time.Duration(ms)*time.Millisecond)
}
