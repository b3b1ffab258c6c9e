package coord

import (
	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Coordinator parts of the sorted set commands whose keys may span shards. The shard
// holding a source builds the result (an owned *shard.ZSet or copied members); the
// reply or the store happens after, under the transaction's claims.

// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] across shards:
// select the members on the source's shard, store them on the destination's.
func zrangestoreMulti(t *txn, _ *Command, args [][]byte) {
	r, errMsg := shard.ParseZRangeStore(args)
	if errMsg != "" {
		t.answer(func(w *proto.Writer) { w.Error(errMsg) })
		return
	}
	dst, src := args[1], args[2]
	var res *shard.ZSet
	var wrongType bool
	t.hop([]int{t.cl.srv.shardOf(src)}, func(sh *shard.Shard, _ int) {
		res, wrongType = sh.ZRangeResult(src, &r)
	}, func() {
		if wrongType {
			t.answer(func(w *proto.Writer) { w.Error(proto.ErrWrongType) })
			return
		}
		var n int
		t.last([]int{t.cl.srv.shardOf(dst)}, func(sh *shard.Shard, _ int) {
			n = sh.ZSetStore(dst, res)
			if n > 0 {
				sh.NotifyEvent(shard.NotifyZSet, "zrangestore", dst)
			}
		}, func(w *proto.Writer) { w.Int(int64(n)) })
	})
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] across shards: find the first key
// in argument order that exists, then pop from it (or answer WRONGTYPE).
func zmpopMulti(t *txn, _ *Command, args [][]byte) {
	keys, fromMax, count, errMsg := shard.ParseZMPop(args, 1)
	if errMsg != "" {
		t.answer(func(w *proto.Writer) { w.Error(errMsg) })
		return
	}
	var members [][]byte
	var scores []float64
	// A sorted set is never empty, so any existing key is ready (or of another type).
	popFirst(t, args, 2, len(keys), func(sh *shard.Shard, key []byte) (bool, bool) {
		exists, wrong := sh.ZSetCheck(key)
		return exists && !wrong, wrong
	}, func(sh *shard.Shard, key []byte) {
		members, scores = sh.ZPopItems(key, fromMax, count)
	}, func(w *proto.Writer, key []byte) { shard.WriteZMPop(w, key, members, scores) })
}

// fetchZSources copies the inputs keys (sorted sets, or sets read as sorted sets) from
// their shards in one hop, then calls then with them in key order (nil for a missing
// key), or answers WRONGTYPE when one holds another type. keys alias args.
func fetchZSources(t *txn, args [][]byte, keys [][]byte, numkeysAt int, then func(srcs []*shard.ZSet)) {
	shards, byShard := t.cl.partition(argRange(numkeysAt+1, len(keys)), args)
	srcs := make([]*shard.ZSet, len(keys))
	wrong := make([]bool, len(shards))
	t.hop(shards, func(sh *shard.Shard, i int) {
		for _, p := range byShard[i] {
			z, wt := sh.ZSourceClone(args[p])
			srcs[p-numkeysAt-1] = z
			wrong[i] = wrong[i] || wt
		}
	}, func() {
		for _, wt := range wrong {
			if wt {
				t.answer(func(w *proto.Writer) { w.Error(proto.ErrWrongType) })
				return
			}
		}
		then(srcs)
	})
}

// zalgebraMulti is ZUNION, ZINTER and ZDIFF numkeys key [key ...] [options] and, with
// store, their STORE forms, across shards: fetch the inputs, combine them here, reply
// or store the result on the destination's shard.
func zalgebraMulti(op shard.ZSetOp, store bool) multiHandler {
	return func(t *txn, cmd *Command, args [][]byte) {
		numkeysAt := 1
		if store {
			numkeysAt = 2
		}
		keys, errMsg := shard.ParseZOpKeys(args, numkeysAt, cmd.Name)
		if errMsg != "" {
			t.answer(func(w *proto.Writer) { w.Error(errMsg) })
			return
		}
		settings := t.cl.srv.settings
		fetchZSources(t, args, keys, numkeysAt, func(srcs []*shard.ZSet) {
			o, errMsg := shard.ParseZOpOptions(args, numkeysAt, op, store, false)
			if errMsg != "" {
				t.answer(func(w *proto.Writer) { w.Error(errMsg) })
				return
			}
			res := shard.CombineZSets(&o, srcs, settings)
			if !store {
				t.answer(func(w *proto.Writer) { shard.WriteZSetAll(w, res, o.WithScores) })
				return
			}
			dst := args[1]
			var n int
			t.last([]int{t.cl.srv.shardOf(dst)}, func(sh *shard.Shard, _ int) {
				n = sh.ZSetStore(dst, res)
				if n > 0 {
					sh.NotifyEvent(shard.NotifyZSet, shard.ZStoreEvent(op), dst)
				}
			}, func(w *proto.Writer) { w.Int(int64(n)) })
		})
	}
}

// ZINTERCARD numkeys key [key ...] [LIMIT limit] across shards.
func zintercardMulti(t *txn, _ *Command, args [][]byte) {
	keys, errMsg := shard.ParseZOpKeys(args, 1, "zintercard")
	if errMsg != "" {
		t.answer(func(w *proto.Writer) { w.Error(errMsg) })
		return
	}
	fetchZSources(t, args, keys, 1, func(srcs []*shard.ZSet) {
		o, errMsg := shard.ParseZOpOptions(args, 1, shard.ZInter, false, true)
		if errMsg != "" {
			t.answer(func(w *proto.Writer) { w.Error(errMsg) })
			return
		}
		n := shard.ZInterCard(srcs, o.Limit)
		t.answer(func(w *proto.Writer) { w.Int(int64(n)) })
	})
}
