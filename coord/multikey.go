package coord

import (
	"strings"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Coordinator parts of the commands whose keys may span shards. When all keys share a
// shard the table runs the shard handler instead, with no fanout. Each step here runs its
// per-shard part on the owning loops; the steps of one command are not yet isolated from
// other clients (issue "Coordinator" adds transaction ordering).

// MGET key [key ...]
func mgetMulti(cl *client, _ *Command, args [][]byte) {
	own := ownArgs(args)
	shards, keys := cl.partition(keyPositions(own, 1, 1), own)
	vals := make([][]byte, len(own))
	found := make([]bool, len(own))
	cl.fanout(shards, func(sh *shard.Shard, i int) {
		for _, p := range keys[i] {
			v, ok, wrong := sh.StringValue(own[p])
			if ok && !wrong {
				vals[p], found[p] = v, true
			}
		}
	}, func(w *proto.Writer) {
		w.Array(len(own) - 1)
		for p := 1; p < len(own); p++ {
			if found[p] {
				w.Bulk(vals[p])
			} else {
				w.Null()
			}
		}
	})
}

// MSET key value [key value ...]
func msetMulti(cl *client, cmd *Command, args [][]byte) {
	if len(args)%2 != 1 {
		cl.rejectAsync(cmd, "ERR wrong number of arguments for 'mset' command")
		return
	}
	own := ownArgs(args)
	shards, keys := cl.partition(keyPositions(own, 1, 2), own)
	cl.fanout(shards, func(sh *shard.Shard, i int) {
		for _, p := range keys[i] {
			sh.SetString(own[p], own[p+1])
		}
	}, func(w *proto.Writer) { w.OK() })
}

// MSETNX key value [key value ...]
func msetnxMulti(cl *client, cmd *Command, args [][]byte) {
	if len(args)%2 != 1 {
		cl.rejectAsync(cmd, "ERR wrong number of arguments for 'msetnx' command")
		return
	}
	own := ownArgs(args)
	shards, keys := cl.partition(keyPositions(own, 1, 2), own)
	exists := make([]bool, len(shards))
	cl.fanout(shards, func(sh *shard.Shard, i int) {
		for _, p := range keys[i] {
			if sh.Exists(own[p]) {
				exists[i] = true
			}
		}
	}, func(*proto.Writer) {
		for _, e := range exists {
			if e {
				cl.fanout(nil, nil, func(w *proto.Writer) { w.Int(0) })
				return
			}
		}
		cl.fanout(shards, func(sh *shard.Shard, i int) {
			for _, p := range keys[i] {
				sh.SetString(own[p], own[p+1])
			}
		}, func(w *proto.Writer) { w.Int(1) })
	})
}

// countKeys is the coordinator part of DEL, UNLINK, EXISTS and TOUCH: a per-key step
// whose true results are summed.
func countKeys(step func(sh *shard.Shard, key []byte) bool) multiHandler {
	return func(cl *client, _ *Command, args [][]byte) {
		own := ownArgs(args)
		shards, keys := cl.partition(keyPositions(own, 1, 1), own)
		counts := make([]int64, len(shards))
		cl.fanout(shards, func(sh *shard.Shard, i int) {
			for _, p := range keys[i] {
				if step(sh, own[p]) {
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
// from the source shard, store it on the destination shard, then delete the source.
func renameMulti(nx bool) multiHandler {
	return func(cl *client, _ *Command, args [][]byte) {
		own := ownArgs(args)
		src, dst := own[1], own[2]
		srcShard, dstShard := cl.srv.shardOf(src), cl.srv.shardOf(dst)
		var obj shard.Object
		var found, blocked bool
		cl.fanout([]int{srcShard}, func(sh *shard.Shard, _ int) {
			obj, found = sh.Take(src)
		}, func(w *proto.Writer) {
			if !found {
				w.Error(proto.ErrNoSuchKey)
				return
			}
			cl.fanout([]int{dstShard}, func(sh *shard.Shard, _ int) {
				if nx && sh.Exists(dst) {
					blocked = true
					return
				}
				sh.Put(dst, obj)
			}, func(w *proto.Writer) {
				if blocked {
					w.Int(0)
					return
				}
				cl.fanout([]int{srcShard}, func(sh *shard.Shard, _ int) {
					sh.Remove(src)
				}, func(w *proto.Writer) {
					if nx {
						w.Int(1)
					} else {
						w.OK()
					}
				})
			})
		})
	}
}

// COPY source destination [DB destination-db] [REPLACE] across shards.
func copyMulti(cl *client, _ *Command, args [][]byte) {
	dstDB := cl.db
	replace := false
	for i := 3; i < len(args); i++ {
		switch {
		case strings.EqualFold(string(args[i]), "replace"):
			replace = true
		case strings.EqualFold(string(args[i]), "db") && i+1 < len(args):
			n, ok := proto.ParseInt(args[i+1])
			if !ok {
				cl.replyNow(func(w *proto.Writer) { w.Error(proto.ErrNotInt) })
				return
			}
			if n < 0 || n >= int64(cl.srv.cfg.Databases) {
				cl.replyNow(func(w *proto.Writer) { w.Error(proto.ErrDBIndex) })
				return
			}
			dstDB = int(n)
			i++
		default:
			cl.replyNow(func(w *proto.Writer) { w.Error(proto.ErrSyntax) })
			return
		}
	}
	own := ownArgs(args)
	src, dst := own[1], own[2]
	var obj shard.Object
	var found, blocked bool
	cl.fanout([]int{cl.srv.shardOf(src)}, func(sh *shard.Shard, _ int) {
		obj, found = sh.Take(src)
	}, func(w *proto.Writer) {
		if !found {
			w.Int(0)
			return
		}
		cl.fanout([]int{cl.srv.shardOf(dst)}, func(sh *shard.Shard, _ int) {
			sh.Begin(dstDB)
			if !replace && sh.Exists(dst) {
				blocked = true
				return
			}
			sh.Put(dst, obj)
		}, func(w *proto.Writer) {
			if blocked {
				w.Int(0)
			} else {
				w.Int(1)
			}
		})
	})
}

// replyNow answers through the asynchronous path with no shard involved, for coordinator
// parts that fail before any hop.
func (cl *client) replyNow(reply func(w *proto.Writer)) {
	cl.fanout(nil, nil, reply)
}

// rejectAsync is reject for coordinator parts.
func (cl *client) rejectAsync(cmd *Command, msg string) {
	cl.loop.stats[cmd.id].rejected++
	cl.loop.countError(msg)
	cl.replyNow(func(w *proto.Writer) { w.Error(msg) })
}

func removeKey(sh *shard.Shard, key []byte) bool { return sh.Remove(key) }
func existsKey(sh *shard.Shard, key []byte) bool { return sh.Exists(key) }
func touchKey(sh *shard.Shard, key []byte) bool  { return sh.Touch(key) }

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] across shards: fetch both
// strings, then compute on the client's loop.
func lcsMulti(cl *client, _ *Command, args [][]byte) {
	own := ownArgs(args)
	vals := make([][]byte, 2)
	wrong := make([]bool, 2)
	cl.fanout([]int{cl.srv.shardOf(own[1]), cl.srv.shardOf(own[2])}, func(sh *shard.Shard, i int) {
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
