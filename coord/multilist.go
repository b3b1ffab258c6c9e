package coord

import (
	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Coordinator parts of the list commands whose keys may span shards.

// lmoveMulti is LMOVE source destination LEFT|RIGHT LEFT|RIGHT and RPOPLPUSH source
// destination across shards: check both keys' types, pop from the source, push to the
// destination, all under the transaction's claims so nobody sees the element in flight.
func lmoveMulti(fromAt, toAt int) multiHandler {
	return func(t *txn, _ *Command, args [][]byte) {
		fromLeft, toLeft := false, true
		if fromAt > 0 {
			var ok1, ok2 bool
			fromLeft, ok1 = parseSide(args[fromAt])
			toLeft, ok2 = parseSide(args[toAt])
			if !ok1 || !ok2 {
				t.answer(func(w *proto.Writer) { w.Error(proto.ErrSyntax) })
				return
			}
		}
		crossShardMove(t, args[1], args[2], fromLeft, toLeft, func(w *proto.Writer) { w.Null() })
	}
}

// crossShardMove moves one element from list src to list dst, which live on different
// shards, under t's claims on both: it checks both types, pops, then pushes, so nobody
// sees the element in flight. When src is empty onEmpty answers instead.
func crossShardMove(t *txn, src, dst []byte, fromLeft, toLeft bool, onEmpty func(w *proto.Writer)) {
	srcShard, dstShard := t.cl.srv.shardOf(src), t.cl.srv.shardOf(dst)
	var srcLen int64
	var srcWrong, dstWrong bool
	t.hop([]int{srcShard, dstShard}, func(sh *shard.Shard, i int) {
		if i == 0 {
			srcLen, srcWrong = sh.ListLen(src)
			return
		}
		exists, isList := sh.IsList(dst)
		dstWrong = exists && !isList
	}, func() {
		switch {
		case srcWrong || (srcLen > 0 && dstWrong):
			t.answer(func(w *proto.Writer) { w.Error(proto.ErrWrongType) })
		case srcLen == 0:
			t.answer(onEmpty)
		default:
			var vals [][]byte
			t.hop([]int{srcShard}, func(sh *shard.Shard, _ int) {
				vals, _, _ = sh.ListPop(src, fromLeft, 1)
			}, func() {
				t.last([]int{dstShard}, func(sh *shard.Shard, _ int) {
					sh.ListPush(dst, toLeft, vals)
				}, func(w *proto.Writer) { w.Bulk(vals[0]) })
			})
		}
	})
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] across shards: find the first
// key in argument order that is not an empty list, then pop from it.
func lmpopMulti(t *txn, _ *Command, args [][]byte) {
	keys, left, count, errMsg := shard.ParseListMPop(args, 1)
	if errMsg != "" {
		t.answer(func(w *proto.Writer) { w.Error(errMsg) })
		return
	}
	var vals [][]byte
	popFirst(t, args, 2, len(keys), func(sh *shard.Shard, key []byte) (bool, bool) {
		n, wrong := sh.ListLen(key)
		return n > 0, wrong
	}, func(sh *shard.Shard, key []byte) {
		vals, _, _ = sh.ListPop(key, left, count)
	}, func(w *proto.Writer, key []byte) {
		w.Array(2)
		w.Bulk(key)
		w.Array(len(vals))
		for _, v := range vals {
			w.Bulk(v)
		}
	})
}

// popFirst is the cross-shard part of LMPOP and ZMPOP: in one hop it finds, among the n
// keys from argument from on, the first in argument order that probe calls ready (or
// of another type); then it answers WRONGTYPE, or a null array when none is ready, or
// pops from that key on its shard in the last hop and replies.
func popFirst(t *txn, args [][]byte, from, n int,
	probe func(sh *shard.Shard, key []byte) (ready, wrongType bool),
	pop func(sh *shard.Shard, key []byte), reply func(w *proto.Writer, key []byte)) {
	shards, byShard := t.cl.partition(argRange(from, n), args)
	// first[i] is the first position on shard i that is ready or of another type.
	first := make([]int, len(shards))
	wrong := make([]bool, len(shards))
	t.hop(shards, func(sh *shard.Shard, i int) {
		for _, p := range byShard[i] {
			if ready, wt := probe(sh, args[p]); ready || wt {
				first[i], wrong[i] = p, wt
				return
			}
		}
	}, func() {
		best, bestShard, isWrong := 0, -1, false
		for i, p := range first {
			if p > 0 && (best == 0 || p < best) {
				best, bestShard, isWrong = p, shards[i], wrong[i]
			}
		}
		switch {
		case best == 0:
			t.answer(func(w *proto.Writer) { w.NullArray() })
		case isWrong:
			t.answer(func(w *proto.Writer) { w.Error(proto.ErrWrongType) })
		default:
			key := args[best]
			t.last([]int{bestShard}, func(sh *shard.Shard, _ int) { pop(sh, key) },
				func(w *proto.Writer) { reply(w, key) })
		}
	})
}

// argRange lists the n argument positions from from on.
func argRange(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}
