package coord

import (
	"errors"
	"strconv"
	"strings"

	"github.com/basaltdb/basalt/persist"
	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// DUMP and RESTORE. They are single-key commands, but their value codec lives in
// persist, which package shard cannot import; so they run here, on the client's loop, as
// a one-shard transaction whose part encodes or stores the value on the key's shard.
// RESTORE decodes the payload before the hop: decoding needs no shard state, and the
// shard's loop then only pays for the store.

const (
	errBusyKey     = "BUSYKEY Target key name already exists."
	errRestoreTTL  = "ERR Invalid TTL value, must be >= 0"
	errRestoreIdle = "ERR Invalid IDLETIME value, must be >= 0"
	errRestoreFreq = "ERR Invalid FREQ value, must be >= 0 and <= 255"
	errPayload     = "ERR DUMP payload version or checksum are wrong"
	errBadData     = "ERR Bad data format"
)

// DUMP key
func dumpCmd(cl *client, args [][]byte, _ *proto.Writer) {
	key := shard.Own(args[1])
	t := cl.newTxn(true)
	t.claim(cl.db, key, false)
	var payload []byte
	var found bool
	var err error
	t.last([]int{cl.srv.shardOf(key)}, func(sh *shard.Shard, _ int) {
		o, ok := sh.Peek(key)
		if !ok {
			return
		}
		found = true
		payload, err = persist.AppendPayload(nil, o)
	}, func(w *proto.Writer) {
		switch {
		case !found:
			w.Null()
		case err != nil:
			w.Error("ERR " + err.Error())
		default:
			w.Bulk(payload)
		}
	})
}

// restoreOptions are RESTORE's parsed arguments.
type restoreOptions struct {
	replace, absTTL bool
	idle, freq      int64
}

// parseRestore reads the options after the payload; Redis checks them before anything
// else.
func parseRestore(args [][]byte) (o restoreOptions, errMsg string) {
	o.idle, o.freq = -1, -1
	for j := 4; j < len(args); j++ {
		more := len(args) - j - 1
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "replace":
			o.replace = true
		case opt == "absttl":
			o.absTTL = true
		case opt == "idletime" && more >= 1 && o.freq == -1:
			v, ok := proto.ParseInt(args[j+1])
			if !ok {
				return o, proto.ErrNotInt
			}
			if v < 0 {
				return o, errRestoreIdle
			}
			o.idle = v
			j++
		case opt == "freq" && more >= 1 && o.idle == -1:
			v, ok := proto.ParseInt(args[j+1])
			if !ok {
				return o, proto.ErrNotInt
			}
			if v < 0 || v > 255 {
				return o, errRestoreFreq
			}
			o.freq = v
			j++
		default:
			return o, proto.ErrSyntax
		}
	}
	return o, ""
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
func restoreCmd(cl *client, args [][]byte, w *proto.Writer) {
	args = ownArgs(args)
	opt, errMsg := parseRestore(args)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	key := args[1]
	// The later checks answer in Redis's order (an existing key first, then the TTL,
	// then the payload), but none needs the shard except the first.
	ttl, ttlOK := proto.ParseInt(args[2])
	var valueErr string
	var obj shard.Object
	switch {
	case !ttlOK:
		valueErr = proto.ErrNotInt
	case ttl < 0:
		valueErr = errRestoreTTL
	default:
		var err error
		obj, err = persist.DecodePayload(args[3], cl.srv.settings)
		switch {
		case errors.Is(err, persist.ErrPayload):
			valueErr = errPayload
		case err != nil:
			valueErr = errBadData
		}
	}
	t := cl.newTxn(false)
	t.claim(cl.db, key, true)
	var reply string
	t.last([]int{cl.srv.shardOf(key)}, func(sh *shard.Shard, _ int) {
		if !opt.replace && sh.Exists(key) {
			reply = errBusyKey
			return
		}
		if valueErr != "" {
			reply = valueErr
			return
		}
		if ttl > 0 && !opt.absTTL {
			ttl += sh.Now()
		}
		deleted := opt.replace && sh.Remove(key)
		ls := cl.srv.loops[sh.ID]
		if ttl > 0 && ttl <= sh.Now() {
			if opt.replace {
				ls.record(cl.srv, cl.db, [][]byte{[]byte("DEL"), key})
				notifyDeleted(sh, key, deleted)
			}
			return // already expired: the key is gone, as Redis leaves it
		}
		obj.ExpireAt = ttl
		sh.Put(key, obj)
		sh.NotifyEvent(shard.NotifyGeneric, "restore", key)
		// Logged with the absolute expiry it got, so a replay restores the same TTL.
		ls.record(cl.srv, cl.db, [][]byte{[]byte("RESTORE"), key, []byte(strconv.FormatInt(ttl, 10)), args[3], []byte("REPLACE"), []byte("ABSTTL")})
		if obj.Type == shard.TypeList || obj.Type == shard.TypeZSet {
			sh.SignalReady(key)
		}
		if opt.idle >= 0 {
			sh.SetAccess(key, uint32(max(sh.Now()/1000-opt.idle, 0)))
		}
	}, func(w *proto.Writer) {
		if reply != "" {
			w.Error(reply)
			return
		}
		w.OK()
	})
}
