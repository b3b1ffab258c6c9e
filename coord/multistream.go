package coord

import (
	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// The read half of XREAD and XREADGROUP: every key they name is read in one
// transaction, whichever shards they live on, so the reply is one consistent moment of
// all the streams (and XREADGROUP's moves of its groups are one atomic write).

// xreadSlot is what XREAD found for one of its keys. A shard part fills the slots of
// its own keys; the client's loop reads them after the hop.
type xreadSlot struct {
	// id is the resolved id argument: entries after it are returned.
	id     shard.StreamID
	errMsg string
	// has is set when body holds the key's entries.
	has  bool
	body proto.Writer
}

// readStreams reads the entries after each key's id (resolving "$" to the stream's last
// id at that moment) and calls done on the client's loop with one slot per key.
func (cl *client) readStreams(x shard.XReadArgs, done func(slots []xreadSlot, w *proto.Writer)) {
	n := len(x.Keys)
	line := append([][]byte{nil}, x.Keys...)
	shards, keys := cl.partition(argRange(1, n), line)
	t := cl.newTxn(true)
	for _, k := range x.Keys {
		t.claim(cl.db, k, false)
	}
	slots := make([]xreadSlot, n)
	resp3 := cl.out.RESP3()
	t.last(shards, func(sh *shard.Shard, i int) {
		for _, p := range keys[i] {
			sl := &slots[p-1]
			sl.id, sl.errMsg = sh.StreamReadID(x.Keys[p-1], x.IDs[p-1])
			if sl.errMsg != "" {
				continue
			}
			sl.body.SetRESP3(resp3)
			sl.has = sh.StreamReadAfter(x.Keys[p-1], sl.id, x.Count, &sl.body)
		}
	}, func(w *proto.Writer) { done(slots, w) })
}

// writeXRead writes the streams that have entries: an array of [key, entries] pairs in
// RESP2, a map from key to entries in RESP3.
func writeXRead(w *proto.Writer, keys [][]byte, slots []xreadSlot, found int) {
	if w.RESP3() {
		w.Map(found)
	} else {
		w.Array(found)
	}
	for i := range slots {
		if !slots[i].has {
			continue
		}
		if !w.RESP3() {
			w.Array(2)
		}
		w.Bulk(keys[i])
		w.Raw(slots[i].body.Bytes())
	}
}

// readGroups runs the synchronous part of XREADGROUP as one write transaction over all
// its streams: a first hop checks every key (type, group, id) so that the command
// fails, as in Redis, with the first error in argument order before any group moves;
// a second serves them. done runs on the client's loop with one slot per key (each
// holding an error, entries, or nothing new).
func (cl *client) readGroups(x *shard.XReadGroupArgs, done func(slots []xreadSlot, w *proto.Writer)) {
	n := len(x.Keys)
	line := append([][]byte{nil}, x.Keys...)
	shards, keys := cl.partition(argRange(1, n), line)
	t := cl.newTxn(false)
	for _, k := range x.Keys {
		t.claim(cl.db, k, true)
	}
	slots := make([]xreadSlot, n)
	newOnly := make([]bool, n)
	resp3 := cl.out.RESP3()
	t.hop(shards, func(sh *shard.Shard, i int) {
		for _, p := range keys[i] {
			sl := &slots[p-1]
			sl.id, newOnly[p-1], sl.errMsg = sh.StreamGroupCheck(x.Keys[p-1], x.Group, x.IDs[p-1])
		}
	}, func() {
		for i := range slots {
			if msg := slots[i].errMsg; msg != "" {
				t.answer(func(w *proto.Writer) { w.Error(msg) })
				return
			}
		}
		t.last(shards, func(sh *shard.Shard, i int) {
			for _, p := range keys[i] {
				sl := &slots[p-1]
				sl.body.SetRESP3(resp3)
				sl.has = sh.StreamGroupRead(x.Keys[p-1], x, sl.id, newOnly[p-1], &sl.body)
			}
		}, func(w *proto.Writer) { done(slots, w) })
	})
}
