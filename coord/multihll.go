package coord

import (
	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Coordinator parts of PFCOUNT and PFMERGE when their keys span shards. Each shard hands
// over copies of its values (shard.StringValue) in one hop; the union of the registers
// is computed on the client's loop, in argument order so that the first bad key decides
// the error as in Redis, and PFMERGE hands it to the destination's shard in the last hop.
// A PFCOUNT of several keys caches nothing, so it only reads.

// fetchHLLs copies the values at args[first:] from their shards in one hop and merges
// them into a union, then calls then with it (nil after an error reply). With last set,
// the hop also ends the transaction and then writes the reply.
func fetchHLLs(t *txn, args [][]byte, first int, last bool, then func(u *shard.HLLUnion, w *proto.Writer)) {
	positions := keyPositions(args, first, 1)
	shards, byShard := t.cl.partition(positions, args)
	type fetched struct {
		val              []byte
		exists, wrongTyp bool
	}
	vals := make([]fetched, len(args))
	part := func(sh *shard.Shard, i int) {
		for _, p := range byShard[i] {
			v, ok, wt := sh.StringValue(args[p])
			vals[p] = fetched{v, ok, wt}
		}
	}
	// union merges the fetched values in argument order and returns the union or the
	// error reply the first bad key deserves.
	union := func() (*shard.HLLUnion, string) {
		u := shard.NewHLLUnion()
		for _, f := range vals[first:] {
			if msg := u.Add(f.val, f.exists, f.wrongTyp); msg != "" {
				u.Release()
				return nil, msg
			}
		}
		return u, ""
	}
	if last {
		t.last(shards, part, func(w *proto.Writer) {
			u, msg := union()
			if msg != "" {
				w.Error(msg)
				return
			}
			defer u.Release()
			then(u, w)
		})
		return
	}
	t.hop(shards, part, func() {
		u, msg := union()
		if msg != "" {
			t.answer(func(w *proto.Writer) { w.Error(msg) })
			return
		}
		then(u, nil)
	})
}

// PFCOUNT key [key ...] across shards: the estimate of the union, not cached.
func pfcountMulti(t *txn, _ *Command, args [][]byte) {
	fetchHLLs(t, args, 1, true, func(u *shard.HLLUnion, w *proto.Writer) {
		w.Int(u.Count())
	})
}

// PFMERGE destkey [sourcekey ...] across shards: the union of every key, the
// destination included, is written into the destination on its shard.
func pfmergeMulti(t *txn, _ *Command, args [][]byte) {
	dst := args[1]
	fetchHLLs(t, args, 1, false, func(u *shard.HLLUnion, _ *proto.Writer) {
		var msg string
		t.last([]int{t.cl.srv.shardOf(dst)}, func(sh *shard.Shard, _ int) {
			msg = sh.HLLStore(dst, u)
			u.Release()
		}, func(w *proto.Writer) {
			if msg != "" {
				w.Error(msg)
				return
			}
			w.OK()
		})
	})
}
