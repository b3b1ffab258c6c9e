package coord

import (
	"strings"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Coordinator parts of the commands whose keys may span shards. When all keys share a
// shard the table runs the shard handler instead, with no transaction. Here each command
// runs as a txn whose claims the dispatcher declared from the command's key positions.

// MGET key [key ...]
func mgetMulti(t *txn, _ *Command, args [][]byte) {
	shards, keys := t.cl.partition(keyPositions(args, 1, 1), args)
	vals := make([][]byte, len(args))
	found := make([]bool, len(args))
	t.last(shards, func(sh *shard.Shard, i int) {
		for _, p := range keys[i] {
			v, ok, wrong := sh.StringValue(args[p])
			if ok && !wrong {
				vals[p], found[p] = v, true
			}
		}
	}, func(w *proto.Writer) {
		w.Array(len(args) - 1)
		for p := 1; p < len(args); p++ {
			if found[p] {
				w.Bulk(vals[p])
			} else {
				w.Null()
			}
		}
	})
}

// MSET key value [key value ...]
func msetMulti(t *txn, _ *Command, args [][]byte) {
	if len(args)%2 != 1 {
		t.answer(func(w *proto.Writer) { w.Error("ERR wrong number of arguments for 'mset' command") })
		return
	}
	shards, keys := t.cl.partition(keyPositions(args, 1, 2), args)
	t.last(shards, func(sh *shard.Shard, i int) {
		for _, p := range keys[i] {
			sh.SetString(args[p], args[p+1])
			sh.NotifyEvent(shard.NotifyString, "set", args[p])
		}
	}, func(w *proto.Writer) { w.OK() })
}

// MSETNX key value [key value ...]
func msetnxMulti(t *txn, _ *Command, args [][]byte) {
	if len(args)%2 != 1 {
		t.answer(func(w *proto.Writer) { w.Error("ERR wrong number of arguments for 'msetnx' command") })
		return
	}
	shards, keys := t.cl.partition(keyPositions(args, 1, 2), args)
	exists := make([]bool, len(shards))
	t.hop(shards, func(sh *shard.Shard, i int) {
		for _, p := range keys[i] {
			if sh.Exists(args[p]) {
				exists[i] = true
			}
		}
	}, func() {
		for _, e := range exists {
			if e {
				t.answer(func(w *proto.Writer) { w.Int(0) })
				return
			}
		}
		t.last(shards, func(sh *shard.Shard, i int) {
			for _, p := range keys[i] {
				sh.SetString(args[p], args[p+1])
				sh.NotifyEvent(shard.NotifyString, "set", args[p])
			}
		}, func(w *proto.Writer) { w.Int(1) })
	})
}

// countKeys is the coordinator part of DEL, UNLINK, EXISTS and TOUCH: a per-key step
// whose true results are summed.
func countKeys(step func(sh *shard.Shard, key []byte) bool) multiHandler {
	return func(t *txn, _ *Command, args [][]byte) {
		shards, keys := t.cl.partition(keyPositions(args, 1, 1), args)
		counts := make([]int64, len(shards))
		t.last(shards, func(sh *shard.Shard, i int) {
			for _, p := range keys[i] {
				if step(sh, args[p]) {
					counts[i]++
				}
			}
		}, func(w *proto.Writer) {
			var total int64
			for _, c := range counts {
				total += c
			}
			w.Int(total)
		})
	}
}

// RENAME key newkey / RENAMENX key newkey across shards: take the value with its TTL
// from the source shard, then store it on the destination shard and delete the source
// in one hop, all under the transaction's claims.
func renameMulti(nx bool) multiHandler {
	return func(t *txn, _ *Command, args [][]byte) {
		src, dst := args[1], args[2]
		srcShard, dstShard := t.cl.srv.shardOf(src), t.cl.srv.shardOf(dst)
		var obj shard.Object
		var found, blocked bool
		t.hop([]int{srcShard, dstShard}, func(sh *shard.Shard, i int) {
			if i == 0 {
				obj, found = sh.Take(src)
			} else if nx {
				blocked = sh.Exists(dst)
			}
		}, func() {
			switch {
			case !found:
				t.answer(func(w *proto.Writer) { w.Error(proto.ErrNoSuchKey) })
			case blocked:
				t.answer(func(w *proto.Writer) { w.Int(0) })
			default:
				t.last([]int{srcShard, dstShard}, func(sh *shard.Shard, i int) {
					if i == 0 {
						sh.Remove(src)
						sh.NotifyEvent(shard.NotifyGeneric, "rename_from", src)
					} else {
						putNotified(sh, dst, obj, "rename_to")
					}
				}, func(w *proto.Writer) {
					if nx {
						w.Int(1)
					} else {
						w.OK()
					}
				})
			}
		})
	}
}

// copyOptions parses COPY's options: the destination database and REPLACE.
func copyOptions(args [][]byte, db, databases int) (dstDB int, replace bool, errMsg string) {
	dstDB = db
	for i := 3; i < len(args); i++ {
		switch {
		case strings.EqualFold(string(args[i]), "replace"):
			replace = true
		case strings.EqualFold(string(args[i]), "db") && i+1 < len(args):
			n, ok := proto.ParseInt(args[i+1])
			if !ok {
				return 0, false, proto.ErrNotInt
			}
			if n < 0 || n >= int64(databases) {
				return 0, false, proto.ErrDBIndex
			}
			dstDB = int(n)
			i++
		default:
			return 0, false, proto.ErrSyntax
		}
	}
	return dstDB, replace, ""
}

// COPY source destination [DB destination-db] [REPLACE] across shards.
func copyMulti(t *txn, _ *Command, args [][]byte) {
	dstDB, replace, errMsg := copyOptions(args, t.db, t.cl.srv.cfg.Databases)
	if errMsg != "" {
		t.answer(func(w *proto.Writer) { w.Error(errMsg) })
		return
	}
	src, dst := args[1], args[2]
	if dstDB != t.db {
		t.claim(dstDB, dst, true)
	}
	srcShard, dstShard := t.cl.srv.shardOf(src), t.cl.srv.shardOf(dst)
	var obj shard.Object
	var found, blocked bool
	t.hop([]int{srcShard, dstShard}, func(sh *shard.Shard, i int) {
		if i == 0 {
			obj, found = sh.Take(src)
			return
		}
		sh.Begin(dstDB)
		blocked = !replace && sh.Exists(dst)
	}, func() {
		if !found || blocked {
			t.answer(func(w *proto.Writer) { w.Int(0) })
			return
		}
		t.last([]int{dstShard}, func(sh *shard.Shard, _ int) {
			sh.Begin(dstDB)
			putNotified(sh, dst, obj, "copy_to")
		}, func(w *proto.Writer) { w.Int(1) })
	})
}

// replyNow answers through the asynchronous path with no shard involved, for coordinator
// parts that fail before any hop.
func (cl *client) replyNow(reply func(w *proto.Writer)) {
	cl.fanout(nil, nil, reply)
}

func removeKey(sh *shard.Shard, key []byte) bool {
	if sh.Remove(key) {
		sh.NotifyEvent(shard.NotifyGeneric, "del", key)
		return true
	}
	return false
}

func existsKey(sh *shard.Shard, key []byte) bool {
	if sh.Exists(key) {
		return true
	}
	sh.NotifyEvent(shard.NotifyKeyMiss, "keymiss", key)
	return false
}

func touchKey(sh *shard.Shard, key []byte) bool { return sh.Touch(key) }

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] across shards: fetch both
// strings, then compute on the client's loop.
func lcsMulti(t *txn, _ *Command, own [][]byte) {
	vals := make([][]byte, 2)
	wrong := make([]bool, 2)
	t.last([]int{t.cl.srv.shardOf(own[1]), t.cl.srv.shardOf(own[2])}, func(sh *shard.Shard, i int) {
		v, _, wt := sh.StringValue(own[1+i])
		vals[i], wrong[i] = v, wt
	}, func(w *proto.Writer) {
		if wrong[0] || wrong[1] {
			w.Error("ERR The specified keys must contain string values")
			return
		}
		shard.LCS(vals[0], vals[1], own, w)
	})
}
