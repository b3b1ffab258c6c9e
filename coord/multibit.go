package coord

import (
	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// BITOP op destkey key [key ...] across shards. The operation is checked first; then
// every source shard hands over copies of its strings in one hop, the bits are combined
// on the client's loop with the same function the shard handler uses, and the last hop
// stores the result on the destination's shard (or deletes the destination when the
// result is empty), all under the transaction's claims.
func bitopMulti(t *txn, _ *Command, args [][]byte) {
	op, errMsg := shard.ParseBitop(args)
	if errMsg != "" {
		t.answer(func(w *proto.Writer) { w.Error(errMsg) })
		return
	}
	dst := args[2]
	shards, byShard := t.cl.partition(keyPositions(args, 3, 1), args)
	srcs := make([][]byte, len(args))
	wrong := make([]bool, len(shards))
	t.hop(shards, func(sh *shard.Shard, i int) {
		for _, p := range byShard[i] {
			v, _, wt := sh.StringValue(args[p])
			srcs[p] = v
			wrong[i] = wrong[i] || wt
		}
	}, func() {
		for _, wt := range wrong {
			if wt {
				t.answer(func(w *proto.Writer) { w.Error(proto.ErrWrongType) })
				return
			}
		}
		res := shard.CombineBits(op, srcs[3:])
		var n int
		t.last([]int{t.cl.srv.shardOf(dst)}, func(sh *shard.Shard, _ int) {
			n = sh.StoreBits(dst, res)
			sh.NotifyStored(dst, shard.NotifyString, "set")
		}, func(w *proto.Writer) { w.Int(int64(n)) })
	})
}
