package coord

import (
	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Blocking sorted-set commands on the blocking framework.

// zsetReady: a sorted set with members can serve; a key of another type "serves" the
// WRONGTYPE error, as Redis checks types in argument order before waiting.
func zsetReady(sh *shard.Shard, key []byte) bool {
	exists, wrong := sh.ZSetCheck(key)
	if !exists || wrong {
		return wrong
	}
	members, _ := sh.ZCardOf(key)
	return members > 0
}

// zsetWakes: only a sorted set with members wakes a blocked waiter (blockOp.wakes).
func zsetWakes(sh *shard.Shard, key []byte) bool {
	n, wrong := sh.ZCardOf(key)
	return !wrong && n > 0
}

// BZPOPMIN key [key ...] timeout / BZPOPMAX key [key ...] timeout
func bzpopCmd(fromMax bool) clientHandler {
	return func(cl *client, args [][]byte, w *proto.Writer) {
		timeout, errMsg := parseTimeout(args[len(args)-1])
		if errMsg != "" {
			w.Error(errMsg)
			return
		}
		cl.block(&blockOp{
			db:    cl.db,
			keys:  ownArgs(args[1 : len(args)-1]),
			ready: zsetReady,
			wakes: zsetWakes,
			serve: func(sh *shard.Shard, _ *loopState, key []byte, w *proto.Writer) {
				if _, wrong := sh.ZSetCheck(key); wrong {
					w.Error(proto.ErrWrongType)
					return
				}
				members, scores := sh.ZPopItems(key, fromMax, 1)
				w.Array(3)
				w.Bulk(key)
				w.Bulk(members[0])
				w.Double(scores[0])
			},
			replay:  popReplay(map[bool]string{false: "ZPOPMIN", true: "ZPOPMAX"}[fromMax], 1),
			timeout: func(w *proto.Writer) { w.NullArray() },
		}, timeout)
	}
}

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
func bzmpopCmd(cl *client, args [][]byte, w *proto.Writer) {
	timeout, errMsg := parseTimeout(args[1])
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	keys, fromMax, count, errMsg := shard.ParseZMPop(args, 2)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	cl.block(&blockOp{
		db:    cl.db,
		keys:  ownArgs(keys),
		ready: zsetReady,
		wakes: zsetWakes,
		serve: func(sh *shard.Shard, _ *loopState, key []byte, w *proto.Writer) {
			if _, wrong := sh.ZSetCheck(key); wrong {
				w.Error(proto.ErrWrongType)
				return
			}
			members, scores := sh.ZPopItems(key, fromMax, count)
			shard.WriteZMPop(w, key, members, scores)
		},
		replay:  popReplay(map[bool]string{false: "ZPOPMIN", true: "ZPOPMAX"}[fromMax], int64(count)),
		timeout: func(w *proto.Writer) { w.NullArray() },
	}, timeout)
}
