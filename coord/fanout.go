package coord

import (
	"slices"
	"sync/atomic"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// fanout is one coordinator step in flight: a callback running on several shards, and
// what the client does once all of them have finished.
//
// Lifecycle: created on the client's loop by client.fanout; each part runs on its
// shard's loop and touches only that shard and its own result slot; the last part to
// finish wakes the client's connection; done then runs on the client's loop, where it may
// write the reply or start the next step.
type fanout struct {
	cl      *client
	pending atomic.Int32
	done    func(w *proto.Writer)
	// drop discards the reply (CLIENT REPLY OFF|SKIP).
	drop bool
	// pipelined marks a pipelined multi-shard command (client.dispatchBehind): while it
	// is in flight, more such commands may start behind it.
	pipelined bool
	// finished is when the last part finished (clockNow), 0 until then: the slow log
	// measures a command's work, not its wait for earlier pipelined replies.
	finished atomic.Int64
}

// multiHandler is the coordinator part of a command whose keys span shards. It runs as
// transaction t, whose claims on the command's keys are already declared; args are the
// transaction's own copy.
type multiHandler func(t *txn, cmd *Command, args [][]byte)

// clientHandler runs on the client's own loop: connection and server commands, and the
// coordinator part of global commands (which may start a fanout and reply in its done).
type clientHandler func(cl *client, args [][]byte, w *proto.Writer)

// fanout runs part on each listed shard, on that shard's loop, with the client's current
// database selected, then runs done on the client's loop. A part for the client's own
// shard runs immediately. Only one fanout is in flight per client.
func (cl *client) fanout(shards []int, part func(sh *shard.Shard, i int), done func(w *proto.Writer)) {
	f := &fanout{cl: cl, done: done}
	cl.async = f
	f.pending.Store(int32(len(shards)))
	db := cl.db
	srv := cl.srv
	own := cl.loop.idx
	for i, s := range shards {
		i, s := i, s
		run := func() {
			sh := srv.shards[s]
			sh.Begin(db)
			part(sh, i)
			// The client's own loop notices completion itself after the local part.
			if f.pending.Add(-1) == 0 {
				f.finished.Store(clockNow())
				if s != own {
					f.cl.wake()
				}
			}
		}
		if s == own {
			run()
		} else {
			srv.run(s, run)
		}
	}
}

// fanoutWith starts a step whose n parts are posted by post and acknowledged (from any
// loop) with ack; done runs on the client's loop after the last ack. Unlike fanout, no
// part runs synchronously, so the last ack always wakes the client.
func (cl *client) fanoutWith(n int, post func(ack func(shard int)), done func(w *proto.Writer)) {
	f := &fanout{cl: cl, done: done}
	cl.async = f
	f.pending.Store(int32(n))
	post(func(int) {
		if f.pending.Add(-1) == 0 {
			f.finished.Store(clockNow())
			f.cl.wake()
		}
	})
}

// allShards returns 0..n-1.
func (s *Server) allShards() []int {
	out := make([]int, s.n)
	for i := range out {
		out[i] = i
	}
	return out
}

// ownArgs copies args into one allocation that the caller owns.
func ownArgs(args [][]byte) [][]byte {
	size := 0
	for _, a := range args {
		size += len(a)
	}
	arena := make([]byte, 0, size)
	out := make([][]byte, len(args))
	for i, a := range args {
		start := len(arena)
		arena = append(arena, a...)
		out[i] = arena[start:len(arena):len(arena)]
	}
	return out
}

// partition groups argument positions by owning shard. It returns the shards involved,
// in first-seen order, and for each the positions of its keys.
func (cl *client) partition(positions []int, args [][]byte) (shards []int, keys [][]int) {
	for _, p := range positions {
		s := cl.srv.shardOf(args[p])
		j := slices.Index(shards, s)
		if j < 0 {
			j = len(shards)
			shards = append(shards, s)
			keys = append(keys, nil)
		}
		keys[j] = append(keys[j], p)
	}
	return shards, keys
}

// keyPositions lists the argument positions from first to len(args)-1 in steps of step.
func keyPositions(args [][]byte, first, step int) []int {
	return stepPositions(first, len(args)-1, step)
}
