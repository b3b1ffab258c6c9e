package coord

import (
	"strings"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Blocking list commands on the blocking framework.

// listReady: a list with elements can serve; a key of another type "serves" the
// WRONGTYPE error, as Redis checks types in argument order before waiting.
func listReady(sh *shard.Shard, key []byte) bool {
	n, wrong := sh.ListLen(key)
	return wrong || n > 0
}

// listWakes: only a list with elements wakes a blocked waiter (blockOp.wakes).
func listWakes(sh *shard.Shard, key []byte) bool {
	n, wrong := sh.ListLen(key)
	return !wrong && n > 0
}

// BLPOP key [key ...] timeout / BRPOP key [key ...] timeout
func blpopCmd(left bool) clientHandler {
	return func(cl *client, args [][]byte, w *proto.Writer) {
		timeout, errMsg := parseTimeout(args[len(args)-1])
		if errMsg != "" {
			w.Error(errMsg)
			return
		}
		own := ownArgs(args[1 : len(args)-1])
		cl.block(&blockOp{
			db:    cl.db,
			keys:  own,
			ready: listReady,
			wakes: listWakes,
			serve: func(sh *shard.Shard, _ *loopState, key []byte, w *proto.Writer) {
				vals, _, wrong := sh.ListPop(key, left, 1)
				if wrong {
					w.Error(proto.ErrWrongType)
					return
				}
				w.Array(2)
				w.Bulk(key)
				w.Bulk(vals[0])
			},
			replay:  popReplay(map[bool]string{true: "LPOP", false: "RPOP"}[left], 1),
			timeout: func(w *proto.Writer) { w.NullArray() },
		}, timeout)
	}
}

// parseSide reads LEFT or RIGHT.
func parseSide(b []byte) (left, ok bool) {
	switch strings.ToLower(string(b)) {
	case "left":
		return true, true
	case "right":
		return false, true
	}
	return false, false
}

// blockingMove is BLMOVE and BRPOPLPUSH: pop from src, push to dst. When dst lives on
// the same shard the move is one step there. Otherwise a first attempt runs as a
// transaction (both types checked, nothing in flight visible); only when src is empty
// does the client wait, and the value a shard pops for it is then pushed to dst in a
// second step (back onto src, should dst have become another type meanwhile).
func (cl *client) blockingMove(src, dst []byte, fromLeft, toLeft bool, timeout []byte, w *proto.Writer) {
	d, errMsg := parseTimeout(timeout)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	own := ownArgs([][]byte{src, dst})
	src, dst = own[0], own[1]
	srv := cl.srv
	db := cl.db
	srcShard, dstShard := srv.shardOf(src), srv.shardOf(dst)
	var moved []byte
	side := func(left bool) []byte { return []byte(map[bool]string{true: "LEFT", false: "RIGHT"}[left]) }
	pushCmd := func(left bool) []byte { return []byte(map[bool]string{true: "LPUSH", false: "RPUSH"}[left]) }
	op := &blockOp{
		db:    db,
		keys:  [][]byte{src},
		ready: listReady,
		wakes: listWakes,
		// Across shards the pop is logged here and the push when it happens.
		replay: func([]byte) [][]byte {
			if srcShard == dstShard {
				return [][]byte{[]byte("LMOVE"), src, dst, side(fromLeft), side(toLeft)}
			}
			return [][]byte{[]byte(map[bool]string{true: "LPOP", false: "RPOP"}[fromLeft]), src}
		},
		serve: func(sh *shard.Shard, _ *loopState, key []byte, w *proto.Writer) {
			if srcShard == dstShard {
				// One step, so that the events come in Redis's order (push, then pop).
				sh.ListMove(key, dst, fromLeft, toLeft, w)
				return
			}
			vals, _, wrong := sh.ListPop(key, fromLeft, 1)
			if wrong {
				w.Error(proto.ErrWrongType)
				return
			}
			moved = vals[0]
			w.Bulk(vals[0])
		},
		// Redis answers a timed-out BLMOVE with a null array, not a null bulk.
		timeout: func(w *proto.Writer) { w.NullArray() },
		empty:   func(w *proto.Writer) { w.Null() },
	}
	if srcShard == dstShard {
		op.dest = dst
		cl.block(op, d)
		return
	}
	op.then = func(cl *client, served []byte) {
		if moved == nil {
			// The serve wrote an error: pass it on.
			cl.replyNow(func(w *proto.Writer) { w.Raw(served) })
			return
		}
		value := moved
		t := cl.newTxn(false)
		t.claim(db, src, true)
		t.claim(db, dst, true)
		var wrong bool
		t.last([]int{dstShard, srcShard}, func(sh *shard.Shard, i int) {
			if i == 0 {
				_, wrong = sh.ListPush(dst, toLeft, [][]byte{value})
				if !wrong {
					srv.loops[sh.ID].record(srv, db, [][]byte{pushCmd(toLeft), dst, value})
				}
			}
		}, func(w *proto.Writer) {
			if wrong {
				cl.srv.run(srcShard, func() {
					sh := srv.shards[srcShard]
					sh.Begin(db)
					sh.ListPush(src, fromLeft, [][]byte{value})
					srv.loops[srcShard].record(srv, db, [][]byte{pushCmd(fromLeft), src, value})
				})
				w.Error(proto.ErrWrongType)
				return
			}
			w.Bulk(value)
		})
	}
	t := cl.newTxn(false)
	t.claim(db, src, true)
	t.claim(db, dst, true)
	if cl.exec == nil {
		t.journal = [][]byte{[]byte("LMOVE"), src, dst, side(fromLeft), side(toLeft)}
	}
	// Nothing to move: the claims are released, then the client waits (or not, in MULTI).
	crossShardMove(t, src, dst, fromLeft, toLeft, func(*proto.Writer) { cl.block(op, d) })
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
func blmoveCmd(cl *client, args [][]byte, w *proto.Writer) {
	from, ok1 := parseSide(args[3])
	to, ok2 := parseSide(args[4])
	if !ok1 || !ok2 {
		w.Error(proto.ErrSyntax)
		return
	}
	cl.blockingMove(args[1], args[2], from, to, args[5], w)
}

// BRPOPLPUSH source destination timeout
func brpoplpushCmd(cl *client, args [][]byte, w *proto.Writer) {
	cl.blockingMove(args[1], args[2], false, true, args[3], w)
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
func blmpopCmd(cl *client, args [][]byte, w *proto.Writer) {
	timeout, errMsg := parseTimeout(args[1])
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	keys, left, count, errMsg := shard.ParseListMPop(args, 2)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	cl.block(&blockOp{
		db:    cl.db,
		keys:  ownArgs(keys),
		ready: listReady,
		wakes: listWakes,
		serve: func(sh *shard.Shard, _ *loopState, key []byte, w *proto.Writer) {
			vals, _, wrong := sh.ListPop(key, left, count)
			if wrong {
				w.Error(proto.ErrWrongType)
				return
			}
			w.Array(2)
			w.Bulk(key)
			w.Array(len(vals))
			for _, v := range vals {
				w.Bulk(v)
			}
		},
		replay:  popReplay(map[bool]string{true: "LPOP", false: "RPOP"}[left], int64(count)),
		timeout: func(w *proto.Writer) { w.NullArray() },
	}, timeout)
}
