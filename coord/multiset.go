package coord

import (
	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Coordinator parts of the set commands whose keys may span shards. Each shard hands
// over copies of its sets (shard.SetClone); the algebra runs on the client's loop with
// the same pure functions the shard handlers use, and a STORE hands the result to the
// destination's shard, all under the transaction's claims.

// SMOVE source destination member across shards: check both keys' types, remove the
// member from the source, add it to the destination.
func smoveMulti(t *txn, _ *Command, args [][]byte) {
	src, dst, member := args[1], args[2], args[3]
	srcShard, dstShard := t.cl.srv.shardOf(src), t.cl.srv.shardOf(dst)
	var srcExists, srcWrong, dstWrong bool
	t.hop([]int{srcShard, dstShard}, func(sh *shard.Shard, i int) {
		if i == 0 {
			srcExists, srcWrong = sh.SetCheck(src)
			return
		}
		_, dstWrong = sh.SetCheck(dst)
	}, func() {
		switch {
		case !srcExists:
			t.answer(func(w *proto.Writer) { w.Int(0) })
			return
		case srcWrong || dstWrong:
			t.answer(func(w *proto.Writer) { w.Error(proto.ErrWrongType) })
			return
		}
		var removed bool
		t.hop([]int{srcShard}, func(sh *shard.Shard, _ int) {
			removed, _ = sh.SetRemove(src, member)
		}, func() {
			if !removed {
				t.answer(func(w *proto.Writer) { w.Int(0) })
				return
			}
			t.last([]int{dstShard}, func(sh *shard.Shard, _ int) {
				sh.SetAdd(dst, [][]byte{member})
			}, func(w *proto.Writer) { w.Int(1) })
		})
	})
}

// fetchSets copies the sets at args[first:] from their shards in one hop, then calls
// then with them in argument order (nil for a missing key), or answers WRONGTYPE when a
// key holds another type. With last set, the hop also ends the transaction and then
// writes the reply.
func fetchSets(t *txn, args [][]byte, first int, last bool, then func(sets []*shard.Set, w *proto.Writer)) {
	positions := keyPositions(args, first, 1)
	shards, byShard := t.cl.partition(positions, args)
	sets := make([]*shard.Set, len(args))
	wrong := make([]bool, len(shards))
	part := func(sh *shard.Shard, i int) {
		for _, p := range byShard[i] {
			st, wt := sh.SetClone(args[p])
			sets[p] = st
			wrong[i] = wrong[i] || wt
		}
	}
	anyWrong := func() bool {
		for _, wt := range wrong {
			if wt {
				return true
			}
		}
		return false
	}
	if last {
		t.last(shards, part, func(w *proto.Writer) {
			if anyWrong() {
				w.Error(proto.ErrWrongType)
				return
			}
			then(sets[first:], w)
		})
		return
	}
	t.hop(shards, part, func() {
		if anyWrong() {
			t.answer(func(w *proto.Writer) { w.Error(proto.ErrWrongType) })
			return
		}
		then(sets[first:], nil)
	})
}

// algebraMulti is SINTER, SUNION and SDIFF key [key ...] across shards.
func algebraMulti(op shard.SetOp) multiHandler {
	return func(t *txn, _ *Command, args [][]byte) {
		settings := t.cl.srv.settings
		fetchSets(t, args, 1, true, func(sets []*shard.Set, w *proto.Writer) {
			shard.WriteSet(w, shard.CombineSets(op, sets, settings))
		})
	}
}

// algebraStoreMulti is SINTERSTORE, SUNIONSTORE and SDIFFSTORE destination key
// [key ...] across shards: fetch the sources, combine them here, store the result (or
// delete the destination when it is empty) on the destination's shard.
func algebraStoreMulti(op shard.SetOp) multiHandler {
	return func(t *txn, _ *Command, args [][]byte) {
		dst := args[1]
		settings := t.cl.srv.settings
		fetchSets(t, args, 2, false, func(sets []*shard.Set, _ *proto.Writer) {
			res := shard.CombineSets(op, sets, settings)
			var n int
			t.last([]int{t.cl.srv.shardOf(dst)}, func(sh *shard.Shard, _ int) {
				n = sh.SetStore(dst, res)
				if n > 0 {
					sh.NotifyEvent(shard.NotifySet, shard.SetStoreEvent(op), dst)
				}
			}, func(w *proto.Writer) { w.Int(int64(n)) })
		})
	}
}

// SINTERCARD numkeys key [key ...] [LIMIT limit] across shards.
func sintercardMulti(t *txn, _ *Command, args [][]byte) {
	keys, limit, errMsg := shard.ParseInterCard(args)
	if errMsg != "" {
		t.answer(func(w *proto.Writer) { w.Error(errMsg) })
		return
	}
	fetchSets(t, args[:2+len(keys)], 2, true, func(sets []*shard.Set, w *proto.Writer) {
		w.Int(int64(shard.InterCard(sets, limit)))
	})
}
