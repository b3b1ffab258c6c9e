package coord

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Commands over the whole keyspace: they fan out to every shard and merge.

// DBSIZE
func dbsizeCmd(cl *client, _ [][]byte, _ *proto.Writer) {
	counts := make([]int, cl.srv.n)
	db := cl.db
	t := cl.newTxn(true)
	t.claimAll(false)
	t.last(cl.srv.allShards(), func(sh *shard.Shard, i int) {
		counts[i], _ = sh.KeyCount(db)
	}, func(w *proto.Writer) {
		total := 0
		for _, c := range counts {
			total += c
		}
		w.Int(int64(total))
	})
}

// KEYS pattern
func keysCmd(cl *client, args [][]byte, _ *proto.Writer) {
	pattern := shard.Own(args[1])
	found := make([][][]byte, cl.srv.n)
	t := cl.newTxn(true)
	t.claimAll(false)
	t.last(cl.srv.allShards(), func(sh *shard.Shard, i int) {
		found[i] = sh.Keys(pattern, nil)
	}, func(w *proto.Writer) {
		total := 0
		for _, f := range found {
			total += len(f)
		}
		w.Array(total)
		for _, f := range found {
			for _, k := range f {
				w.Bulk(k)
			}
		}
	})
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
//
// The cursor is shard + n*position, where position is the shard's own scan position
// (0 = start); when a shard is finished the scan moves to the next shard's start, and
// after the last shard it returns 0. One SCAN call visits one shard: one hop.
func scanCmd(cl *client, args [][]byte, w *proto.Writer) {
	cursor, err := strconv.ParseUint(string(args[1]), 10, 64)
	if err != nil {
		w.Error(proto.ErrCursor)
		return
	}
	count := 10
	var match []byte
	typ := ""
	for i := 2; i < len(args); i += 2 {
		if i+1 >= len(args) {
			w.Error(proto.ErrSyntax)
			return
		}
		opt := strings.ToLower(string(args[i]))
		switch opt {
		case "count":
			n, ok := proto.ParseInt(args[i+1])
			if !ok {
				w.Error(proto.ErrNotInt)
				return
			}
			if n < 1 {
				w.Error(proto.ErrSyntax)
				return
			}
			count = int(min(n, 1<<20))
		case "match":
			match = shard.Own(args[i+1])
			if len(match) == 1 && match[0] == '*' {
				match = nil
			}
		case "type":
			typ = strings.ToLower(string(args[i+1]))
		default:
			w.Error(proto.ErrSyntax)
			return
		}
	}
	n := uint64(cl.srv.n)
	sh := int(cursor % n)
	pos := cursor / n
	var keys [][]byte
	var next uint64
	cl.fanout([]int{sh}, func(s *shard.Shard, _ int) {
		next, keys = s.Scan(pos, count, match, typ, nil)
	}, func(w *proto.Writer) {
		var c uint64
		switch {
		case next != 0:
			c = next*n + uint64(sh)
		case sh+1 < int(n):
			c = uint64(sh + 1)
		}
		w.Array(2)
		w.BulkString(strconv.FormatUint(c, 10))
		w.Array(len(keys))
		for _, k := range keys {
			w.Bulk(k)
		}
	})
}

// RANDOMKEY
func randomkeyCmd(cl *client, _ [][]byte, _ *proto.Writer) {
	keys := make([][]byte, cl.srv.n)
	counts := make([]int, cl.srv.n)
	db := cl.db
	t := cl.newTxn(true)
	t.claimAll(false)
	t.last(cl.srv.allShards(), func(sh *shard.Shard, i int) {
		counts[i], _ = sh.KeyCount(db)
		if k, ok := sh.RandomKey(); ok {
			keys[i] = k
		} else {
			counts[i] = 0
		}
	}, func(w *proto.Writer) {
		// Weight each shard by its size so every key is about equally likely.
		total := 0
		for _, c := range counts {
			total += c
		}
		if total == 0 {
			w.Null()
			return
		}
		r := rand.IntN(total)
		for i, c := range counts {
			if r < c {
				w.Bulk(keys[i])
				return
			}
			r -= c
		}
		w.Null()
	})
}

// FLUSHDB [ASYNC|SYNC] and FLUSHALL [ASYNC|SYNC]
func flushCmd(all bool) clientHandler {
	return func(cl *client, args [][]byte, w *proto.Writer) {
		if len(args) > 2 || (len(args) == 2 && !strings.EqualFold(string(args[1]), "async") && !strings.EqualFold(string(args[1]), "sync")) {
			w.Error(proto.ErrSyntax)
			return
		}
		db := cl.db
		if all {
			db = -1
		}
		srv := cl.srv
		flush := func(sh *shard.Shard) {
			ls := srv.loops[sh.ID]
			ls.touchLive(sh, db)
			srv.trackFlushed(sh.ID, sh.ID == 0, cl.id) // tracking.go
			if all {
				sh.AbortSnapshot()
			}
			sh.Flush(db)
			// An XREADGROUP blocked on a flushed stream fails, as in Redis 7.2.
			ls.readyWaiters(db)
		}
		if all && cl.exec == nil && srv.wantsSaveOnShutdown(false, false) {
			// With save points, Redis saves the empty dataset before replying, which
			// also zeroes rdb_changes_since_last_save.
			own, recDB := ownArgs(args), cl.db
			cl.fanoutWith(1, func(ack func(int)) {
				go func() {
					srv.atCutThen(func() { srv.journal(recDB, own...) }, flush)
					for srv.persist.inProgress() {
						time.Sleep(time.Millisecond)
					}
					_ = srv.save(false)
					ack(0)
				}()
			}, func(w *proto.Writer) { w.OK(); cl.trackFlushReply(w) })
			return
		}
		t := cl.newTxn(false)
		t.claimAll(true)
		t.journal = ownArgs(args)
		t.last(cl.srv.allShards(), func(sh *shard.Shard, _ int) { flush(sh) }, func(w *proto.Writer) { w.OK(); cl.trackFlushReply(w) })
	}
}

// SWAPDB index1 index2
func swapdbCmd(cl *client, args [][]byte, w *proto.Writer) {
	a, ok1 := proto.ParseInt(args[1])
	b, ok2 := proto.ParseInt(args[2])
	if !ok1 {
		w.Error("ERR invalid first DB index")
		return
	}
	if !ok2 {
		w.Error("ERR invalid second DB index")
		return
	}
	dbs := int64(cl.srv.cfg.Databases)
	if a < 0 || a >= dbs || b < 0 || b >= dbs {
		w.Error(proto.ErrDBIndex)
		return
	}
	t := cl.newTxn(false)
	t.claimAll(true)
	t.journal = ownArgs(args)
	srv := cl.srv
	t.last(cl.srv.allShards(), func(sh *shard.Shard, _ int) {
		ls := srv.loops[sh.ID]
		ls.touchLive(sh, int(a), int(b))
		sh.SwapDB(int(a), int(b))
		ls.touchLive(sh, int(a), int(b))
		// A waiter's key may hold a value now, as after a push (Redis scans both
		// databases for keys with waiters); serveReady runs once the claims go.
		ls.readyWaiters(int(a), int(b))
	}, func(w *proto.Writer) { w.OK() })
}
