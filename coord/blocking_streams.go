package coord

import (
	"time"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// XREAD on the blocking framework. It first reads every stream in one transaction
// (multistream.go); only when none has new entries, and BLOCK was given outside MULTI,
// does the client wait, for entries after the ids that read resolved ("$" becomes each
// stream's last id at that moment). An XADD wakes it through the shard's Ready hook,
// and the reply then holds the one stream that woke it, as in redis-server 7.0.

// xreadKeys finds XREAD's keys, after STREAMS.
func xreadKeys(a [][]byte) []int { return shard.XReadKeyPositions(a) }

// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
func xreadCmd(cl *client, args [][]byte, w *proto.Writer) {
	x, errMsg := shard.ParseXRead(ownArgs(args))
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	cl.readStreams(x, func(slots []xreadSlot, w *proto.Writer) {
		found := 0
		for i := range slots {
			if slots[i].errMsg != "" {
				w.Error(slots[i].errMsg)
				return
			}
			if slots[i].has {
				found++
			}
		}
		if found > 0 {
			writeXRead(w, x.Keys, slots, found)
			return
		}
		if !x.Block || cl.exec != nil {
			w.NullArray()
			return
		}
		cl.waitForStreams(x, slots)
	})
}

// waitForStreams blocks the client until one of the streams gets an entry after the id
// its slot resolved.
func (cl *client) waitForStreams(x shard.XReadArgs, slots []xreadSlot) {
	// after maps a key to its id; a key named twice waits for its first id, as in Redis.
	// Written here, then only read, from any shard's loop.
	after := make(map[string]shard.StreamID, len(x.Keys))
	for i, k := range x.Keys {
		if _, dup := after[string(k)]; !dup {
			after[string(k)] = slots[i].id
		}
	}
	count := x.Count
	ready := func(sh *shard.Shard, key []byte) bool {
		ok, wrong := sh.StreamReady(key, after[string(key)])
		return ok || wrong
	}
	cl.block(&blockOp{
		db:    cl.db,
		keys:  x.Keys,
		ready: ready,
		// A waiting XREAD ignores a key that turned into another type or went away; a
		// later stream there may still serve it (Redis 7.2).
		wakes: func(sh *shard.Shard, key []byte) bool {
			ok, _ := sh.StreamReady(key, after[string(key)])
			return ok
		},
		serve: func(sh *shard.Shard, _ *loopState, key []byte, w *proto.Writer) {
			if _, wrong := sh.StreamReady(key, after[string(key)]); wrong {
				w.Error(proto.ErrWrongType)
				return
			}
			if w.RESP3() {
				w.Map(1)
			} else {
				w.Array(1)
				w.Array(2)
			}
			w.Bulk(key)
			sh.StreamReadAfter(key, after[string(key)], count, w)
		},
		timeout: func(w *proto.Writer) { w.NullArray() },
	}, time.Duration(x.BlockMs)*time.Millisecond)
}

// xreadgroupKeys finds XREADGROUP's keys, after STREAMS.
func xreadgroupKeys(a [][]byte) []int { return shard.XReadGroupKeyPositions(a) }

// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS
// key [key ...] id [id ...]
//
// Like XREAD, it first serves what it can in one transaction (readGroups); it waits
// only when every id is ">" and no group has new entries. A waiter wakes when an XADD
// passes its group's last id, and gets a NOGROUP error when XGROUP DESTROY removes the
// group, as in Redis.
func xreadgroupCmd(cl *client, args [][]byte, w *proto.Writer) {
	x, errMsg := shard.ParseXReadGroup(ownArgs(args))
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	cl.readGroups(&x, func(slots []xreadSlot, w *proto.Writer) {
		found := 0
		for i := range slots {
			if slots[i].has {
				found++
			}
		}
		if found > 0 {
			writeXRead(w, x.Keys, slots, found)
			return
		}
		if !x.Block || cl.exec != nil {
			w.NullArray()
			return
		}
		cl.waitForGroup(&x)
	})
}

// waitForGroup blocks the client until one of the streams has entries for its group.
func (cl *client) waitForGroup(x *shard.XReadGroupArgs) {
	cl.block(&blockOp{
		db:      cl.db,
		keys:    x.Keys,
		onNoKey: true,
		ready: func(sh *shard.Shard, key []byte) bool {
			return sh.StreamGroupWaitReady(key, x.Group)
		},
		serve: func(sh *shard.Shard, _ *loopState, key []byte, w *proto.Writer) {
			var body proto.Writer
			body.SetRESP3(w.RESP3())
			wrote, errMsg := sh.StreamGroupServeBlocked(key, x, &body)
			switch {
			case errMsg != "":
				w.Error(errMsg)
				return
			case !wrote:
				w.NullArray()
				return
			}
			if w.RESP3() {
				w.Map(1)
			} else {
				w.Array(1)
				w.Array(2)
			}
			w.Bulk(key)
			w.Raw(body.Bytes())
		},
		timeout: func(w *proto.Writer) { w.NullArray() },
	}, time.Duration(x.BlockMs)*time.Millisecond)
}
