package shard

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/basaltdb/basalt/proto"
)

func init() {
	register("del", delCommand)
	register("unlink", delCommand)
	register("exists", existsCommand)
	register("touch", touchCommand)
	register("type", typeCommand)
	register("expire", expireCommand)
	register("pexpire", pexpireCommand)
	register("expireat", expireatCommand)
	register("pexpireat", pexpireatCommand)
	register("ttl", ttlCommand)
	register("pttl", pttlCommand)
	register("expiretime", expiretimeCommand)
	register("pexpiretime", pexpiretimeCommand)
	register("persist", persistCommand)
	register("rename", renameCommand)
	register("renamenx", renamenxCommand)
	register("copy", copyCommand)
	register("move", moveCommand)
	register("object|encoding", objectEncodingCommand)
	register("object|refcount", objectRefcountCommand)
	register("object|idletime", objectIdletimeCommand)
	register("object|freq", objectFreqCommand)
	register("object|help", objectHelpCommand)
}

// clock is the access time stamp of the current command (seconds, as OBJECT IDLETIME
// counts them).
func (s *Shard) clock() uint32 { return uint32(s.now / 1000) }

// peek looks a live key up for an inspecting command (EXISTS, TYPE, TTL, OBJECT): it
// counts a hit or a miss like a read but leaves the access time alone, as Redis's
// LOOKUP_NOTOUCH does.
func (s *Shard) peek(key []byte) (*entry, bool) {
	i, ok := s.lookup(key)
	if ok && s.stale(s.db.at(i)) {
		ok = false
	}
	if !ok {
		s.Stats.Misses++
		return nil, false
	}
	s.Stats.Hits++
	return s.db.at(i), true
}

// lookupIn is lookup in database d, which need not be the selected one.
func (s *Shard) lookupIn(d *DB, key []byte) (int, bool) {
	i, ok := d.find(key)
	if !ok {
		return 0, false
	}
	if at := d.at(i).ExpireAt; at != 0 && at <= s.now {
		if s.Settings.HoldExpiry.Load() {
			return i, true
		}
		s.expireAt(d, i)
		return 0, false
	}
	return i, true
}

// DEL key [key ...] (UNLINK too: values are reclaimed by Go's collector either way)
func delCommand(s *Shard, a Args, w *proto.Writer) {
	var n int64
	for _, key := range a[1:] {
		if s.remove(key) {
			s.notify(NotifyGeneric, "del", key)
			n++
		}
	}
	w.Int(n)
}

// EXISTS key [key ...]
func existsCommand(s *Shard, a Args, w *proto.Writer) {
	var n int64
	for _, key := range a[1:] {
		if _, ok := s.peek(key); ok {
			n++
		} else {
			s.notify(NotifyKeyMiss, "keymiss", key)
		}
	}
	w.Int(n)
}

// TOUCH key [key ...]
func touchCommand(s *Shard, a Args, w *proto.Writer) {
	var n int64
	for _, key := range a[1:] {
		if _, ok := s.read(key); ok {
			n++
		}
	}
	w.Int(n)
}

// TYPE key
func typeCommand(s *Shard, a Args, w *proto.Writer) {
	e, ok := s.peek(a[1])
	if !ok {
		s.notify(NotifyKeyMiss, "keymiss", a[1])
		w.Simple("none")
		return
	}
	w.Simple(TypeName(e.Type))
}

// EXPIRE key seconds [NX|XX|GT|LT]
func expireCommand(s *Shard, a Args, w *proto.Writer) { s.expireGeneric(a, "expire", false, false, w) }

// PEXPIRE key milliseconds [NX|XX|GT|LT]
func pexpireCommand(s *Shard, a Args, w *proto.Writer) {
	s.expireGeneric(a, "pexpire", true, false, w)
}

// EXPIREAT key unix-time-seconds [NX|XX|GT|LT]
func expireatCommand(s *Shard, a Args, w *proto.Writer) {
	s.expireGeneric(a, "expireat", false, true, w)
}

// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]
func pexpireatCommand(s *Shard, a Args, w *proto.Writer) {
	s.expireGeneric(a, "pexpireat", true, true, w)
}

// Conditions of the EXPIRE family.
const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// expireGeneric runs the EXPIRE family: ms selects milliseconds over seconds, absolute
// a Unix time over a time to live. A time that is already past deletes the key.
func (s *Shard) expireGeneric(a Args, cmd string, ms, absolute bool, w *proto.Writer) {
	// Redis parses the conditions before the time: a bad option wins over a bad number.
	var cond int
	for _, opt := range a[3:] {
		switch {
		case eqFold(opt, "nx"):
			cond |= expireNX
		case eqFold(opt, "xx"):
			cond |= expireXX
		case eqFold(opt, "gt"):
			cond |= expireGT
		case eqFold(opt, "lt"):
			cond |= expireLT
		default:
			w.Error(fmt.Sprintf(proto.ErrUnsupportedOptFmt, opt))
			return
		}
	}
	if cond&expireNX != 0 && cond&(expireXX|expireGT|expireLT) != 0 {
		w.Error(proto.ErrExpireNXCompat)
		return
	}
	if cond&expireGT != 0 && cond&expireLT != 0 {
		w.Error(proto.ErrExpireGTLT)
		return
	}
	when, ok := parseInt(a[2])
	if !ok {
		w.Error(proto.ErrNotInt)
		return
	}
	if !ms {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			w.Error(fmt.Sprintf(proto.ErrInvalidExpire, cmd))
			return
		}
		when *= 1000
	}
	if !absolute {
		if when > math.MaxInt64-s.now {
			w.Error(fmt.Sprintf(proto.ErrInvalidExpire, cmd))
			return
		}
		when += s.now
	}
	i, ok := s.lookup(a[1])
	if !ok {
		w.Int(0)
		return
	}
	// cur == 0 means no TTL, which GT and LT treat as an infinite one.
	cur := s.db.at(i).ExpireAt
	if (cond&expireNX != 0 && cur != 0) ||
		(cond&expireXX != 0 && cur == 0) ||
		(cond&expireGT != 0 && (cur == 0 || when <= cur)) ||
		(cond&expireLT != 0 && cur != 0 && when >= cur) {
		w.Int(0)
		return
	}
	if s.pastExpiry(when) {
		s.db.removeAt(i)
		s.Propagate([]byte("DEL"), a[1])
		s.notify(NotifyGeneric, "del", a[1])
	} else {
		s.db.setExpire(i, when)
		s.Propagate([]byte("PEXPIREAT"), a[1], strconv.AppendInt(nil, when, 10))
		s.notify(NotifyGeneric, "expire", a[1])
	}
	s.dirty++
	w.Int(1)
}

// TTL key
func ttlCommand(s *Shard, a Args, w *proto.Writer) { s.ttlGeneric(a[1], false, false, w) }

// PTTL key
func pttlCommand(s *Shard, a Args, w *proto.Writer) { s.ttlGeneric(a[1], true, false, w) }

// EXPIRETIME key
func expiretimeCommand(s *Shard, a Args, w *proto.Writer) { s.ttlGeneric(a[1], false, true, w) }

// PEXPIRETIME key
func pexpiretimeCommand(s *Shard, a Args, w *proto.Writer) { s.ttlGeneric(a[1], true, true, w) }

// ttlGeneric answers -2 for a missing key, -1 for a key without TTL, else the time left
// (or, when absolute, the expiry's Unix time) in ms or seconds. Seconds are rounded to
// the nearest, as Redis does, in unsigned arithmetic: redis-server's (t+500)/1000 on a
// value it knows to be non-negative compiles to that, which shows for expiries near the
// int64 limit (PEXPIREAT k 9223372036854775807 has EXPIRETIME 9223372036854776).
func (s *Shard) ttlGeneric(key []byte, ms, absolute bool, w *proto.Writer) {
	e, ok := s.peek(key)
	if !ok {
		w.Int(-2)
		return
	}
	if e.ExpireAt == 0 {
		w.Int(-1)
		return
	}
	t := e.ExpireAt
	if !absolute {
		t = max(t-s.now, 0)
	}
	if !ms {
		t = int64((uint64(t) + 500) / 1000)
	}
	w.Int(t)
}

// PERSIST key
func persistCommand(s *Shard, a Args, w *proto.Writer) {
	i, ok := s.lookup(a[1])
	if !ok || s.db.at(i).ExpireAt == 0 {
		w.Int(0)
		return
	}
	s.db.setExpire(i, 0)
	s.dirty++
	s.notify(NotifyGeneric, "persist", a[1])
	w.Int(1)
}

// RENAME key newkey
func renameCommand(s *Shard, a Args, w *proto.Writer) { s.renameGeneric(a, false, w) }

// RENAMENX key newkey
func renamenxCommand(s *Shard, a Args, w *proto.Writer) { s.renameGeneric(a, true, w) }

// renameGeneric moves key's value and TTL to newkey, both on this shard. The coordinator
// handles the case where they live on different shards with Take and Put.
func (s *Shard) renameGeneric(a Args, nx bool, w *proto.Writer) {
	src, dst := a[1], a[2]
	if _, ok := s.lookup(src); !ok {
		w.Error(proto.ErrNoSuchKey)
		return
	}
	if bytes.Equal(src, dst) {
		if nx {
			w.Int(0)
		} else {
			w.OK()
		}
		return
	}
	if nx && s.Exists(dst) {
		w.Int(0)
		return
	}
	// Looking dst up may have reaped it and moved src: find src again.
	i, _ := s.db.find(src)
	o := s.db.at(i).Object
	s.db.removeAt(i)
	_, replaced := s.db.find(dst)
	s.put(dst, o)
	if replaced {
		s.notify(NotifyNew, "new", dst) // Redis deletes dst and adds it anew
	}
	s.notify(NotifyGeneric, "rename_from", src)
	s.notify(NotifyGeneric, "rename_to", dst)
	s.listReady(dst)
	if nx {
		w.Int(1)
	} else {
		w.OK()
	}
}

// COPY source destination [DB destination-db] [REPLACE]
func copyCommand(s *Shard, a Args, w *proto.Writer) {
	src, dst := a[1], a[2]
	to := s.db
	replace := false
	for j := 3; j < len(a); j++ {
		switch {
		case eqFold(a[j], "replace"):
			replace = true
		case eqFold(a[j], "db") && j+1 < len(a):
			d, ok := s.dbArg(a[j+1], w)
			if !ok {
				return
			}
			to = d
			j++
		default:
			w.Error(proto.ErrSyntax)
			return
		}
	}
	if to == s.db && bytes.Equal(src, dst) {
		w.Error(proto.ErrSameObject)
		return
	}
	if _, ok := s.read(src); !ok {
		w.Int(0)
		return
	}
	if j, exists := s.lookupIn(to, dst); exists {
		if !replace {
			w.Int(0)
			return
		}
		to.removeAt(j)
	}
	// Reaping or replacing dst may have moved src when both are in the same DB.
	i, _ := s.db.find(src)
	o := s.db.at(i).Object.clone()
	o.Access = s.clock()
	if o.Type == TypeString {
		o.Flags |= flagUnshared
	}
	to.insert(dst, o)
	s.notifyDB(s.dbNumber(to), NotifyNew, "new", dst)
	s.notifyDB(s.dbNumber(to), NotifyGeneric, "copy_to", dst)
	s.readyIn(to, dst)
	s.dirty++
	w.Int(1)
}

// MOVE key db
func moveCommand(s *Shard, a Args, w *proto.Writer) {
	to, ok := s.dbArg(a[2], w)
	if !ok {
		return
	}
	if to == s.db {
		w.Error(proto.ErrSameObject)
		return
	}
	i, ok := s.lookup(a[1])
	if !ok {
		w.Int(0)
		return
	}
	if _, exists := s.lookupIn(to, a[1]); exists {
		w.Int(0)
		return
	}
	to.insert(a[1], s.db.at(i).Object)
	s.notifyDB(s.dbNumber(to), NotifyNew, "new", a[1])
	s.db.removeAt(i)
	s.dirty++
	s.notify(NotifyGeneric, "move_from", a[1])
	s.notifyDB(s.dbNumber(to), NotifyGeneric, "move_to", a[1])
	s.readyIn(to, a[1])
	w.Int(1)
}

// dbArg parses a database number argument as COPY and MOVE do, writing Redis's error
// for a non-integer, a value outside C int range or a missing database.
func (s *Shard) dbArg(arg []byte, w *proto.Writer) (*DB, bool) {
	n, ok := parseInt(arg)
	switch {
	case !ok:
		w.Error(proto.ErrNotInt)
	case n < math.MinInt32 || n > math.MaxInt32:
		w.Error(proto.ErrIntRange)
	case n < 0 || n >= int64(len(s.dbs)):
		w.Error(proto.ErrDBIndex)
	default:
		return s.dbs[n], true
	}
	return nil, false
}

// encodingNamer is implemented by collection payloads (Object.Coll) to name their
// current representation as OBJECT ENCODING reports it: listpack, quicklist, intset,
// hashtable, skiplist, stream.
type encodingNamer interface{ Encoding() string }

// Encoding returns the name OBJECT ENCODING gives o's representation.
func (o *Object) Encoding() string {
	if o.Type == TypeString {
		return stringEncoding(o)
	}
	if n, ok := o.Coll.(encodingNamer); ok {
		return n.Encoding()
	}
	switch o.Type {
	case TypeList:
		return "quicklist"
	case TypeSet, TypeHash:
		return "hashtable"
	case TypeZSet:
		return "skiplist"
	case TypeStream:
		return "stream"
	}
	return "unknown"
}

// OBJECT ENCODING key
func objectEncodingCommand(s *Shard, a Args, w *proto.Writer) {
	e, ok := s.peek(a[2])
	if !ok {
		w.Null()
		return
	}
	w.BulkString(e.Encoding())
}

// OBJECT REFCOUNT key
//
// Our values are never shared, but redis-server shares the integers 0..9999 it stores
// with the int encoding and reports INT_MAX for them; we mirror that, including COPY's
// private duplicates.
func objectRefcountCommand(s *Shard, a Args, w *proto.Writer) {
	e, ok := s.peek(a[2])
	if !ok {
		w.Null()
		return
	}
	if e.Type == TypeString && e.Flags&flagUnshared == 0 && stringEncoding(&e.Object) == "int" {
		if v, _ := parseInt(e.Str); v >= 0 && v < sharedIntMax {
			w.Int(refcountShared)
			return
		}
	}
	w.Int(1)
}

// OBJECT IDLETIME key
func objectIdletimeCommand(s *Shard, a Args, w *proto.Writer) {
	e, ok := s.peek(a[2])
	if !ok {
		w.Null()
		return
	}
	if policyIsLFU(s.Settings.Memory.Policy.Load()) {
		w.Error(proto.ErrLFUSelected)
		return
	}
	w.Int(max(int64(s.clock())-int64(e.Access), 0))
}

// OBJECT FREQ key
//
// The counter is kept only under an LFU policy; otherwise Redis's error.
func objectFreqCommand(s *Shard, a Args, w *proto.Writer) {
	e, ok := s.peek(a[2])
	if !ok {
		w.Null()
		return
	}
	if !policyIsLFU(s.Settings.Memory.Policy.Load()) {
		w.Error(proto.ErrLFUNotSelected)
		return
	}
	w.Int(s.freq(e))
}

// objectHelp is OBJECT HELP's reply, line for line as redis-server sends it.
var objectHelp = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
}

// OBJECT HELP
func objectHelpCommand(s *Shard, a Args, w *proto.Writer) {
	w.Array(len(objectHelp))
	for _, line := range objectHelp {
		w.Simple(line)
	}
}

// Keys appends to out a copy of every live key of the selected database that matches
// the glob pattern, and returns out. Expired keys are skipped, not reaped: reaping would
// reorder the entries under the walk.
func (s *Shard) Keys(pattern []byte, out [][]byte) [][]byte {
	all := len(pattern) == 1 && pattern[0] == '*'
	for i := range s.db.Len() {
		e := s.db.at(i)
		if e.ExpireAt != 0 && e.ExpireAt <= s.now {
			continue
		}
		if all || match(pattern, e.key, false) {
			out = append(out, []byte(e.key))
		}
	}
	return out
}

// Scan runs one SCAN step over the selected database: it visits up to count positions
// (10 when count <= 0) and appends to out a copy of each live key there that matches the
// glob match (any key when empty) and whose type is named typ (any type when empty). An
// expired key it visits is deleted, as any access to it would.
//
// Positions are walked from high to low, which is what makes the guarantee hold: a key
// present for the whole scan is returned at least once (see DB). The cursor counts the
// positions still to visit plus one: pos == 0 starts at the top and next == 0 means this
// shard is done. A cursor beyond the current size (the DB shrank) is clamped, which loses
// nothing since entries only move downward.
func (s *Shard) Scan(pos uint64, count int, match []byte, typ string, out [][]byte) (next uint64, keys [][]byte) {
	d := s.db
	left := d.Len()
	if pos != 0 && pos-1 < uint64(left) {
		left = int(pos - 1)
	}
	if count <= 0 {
		count = 10
	}
	all := len(match) == 0 || (len(match) == 1 && match[0] == '*')
	for ; left > 0 && count > 0; count-- {
		left--
		e := d.at(left)
		if e.ExpireAt != 0 && e.ExpireAt <= s.now {
			// Reaped, as Redis's SCAN does. The last entry moves into this position,
			// which it has already been visited at, so nothing is missed. A replica
			// waits for its master's DEL.
			if !s.Settings.HoldExpiry.Load() {
				s.expireAt(d, left)
			}
			continue
		}
		if typ != "" && !strings.EqualFold(TypeName(e.Type), typ) {
			continue
		}
		if !all && !matchKey(match, e.key) {
			continue
		}
		out = append(out, []byte(e.key))
	}
	if left == 0 {
		return 0, out
	}
	return uint64(left) + 1, out
}

func matchKey(pattern []byte, key string) bool { return match(pattern, key, false) }

// randomKeyTries bounds RANDOMKEY's random probes before it falls back to a walk.
const randomKeyTries = 100

// RandomKey returns a copy of a random live key of the selected database, reaping the
// expired keys it lands on. When random probes keep hitting expired keys it falls back to
// a walk from a random position, so it reports false only when no live key exists.
func (s *Shard) RandomKey() ([]byte, bool) {
	d := s.db
	for range randomKeyTries {
		i := d.randomPos()
		if i < 0 {
			return nil, false
		}
		e := d.at(i)
		if e.ExpireAt != 0 && e.ExpireAt <= s.now {
			if !s.Settings.HoldExpiry.Load() {
				s.expireAt(d, i)
			}
			continue
		}
		return []byte(e.key), true
	}
	n := d.Len()
	if n == 0 {
		return nil, false
	}
	start := rand.IntN(n)
	for k := range n {
		e := d.at((start + k) % n)
		if e.ExpireAt == 0 || e.ExpireAt > s.now {
			return []byte(e.key), true
		}
	}
	return nil, false
}

// Active expiry tuning, as in Redis: keys sampled per round, and the share (percent) of
// expired keys in a round below which the cycle moves on to the next database. Effort
// 1..10 raises the first and lowers the second.
const (
	expireKeysPerLoop  = 20
	expireAcceptStale  = 10
	expireTimeCheckGap = 16
)

// housekeepSlots is how many index slots Housekeep moves per database and call: at the
// default hz of 10, a million-slot table is drained in about three seconds, at well
// under a millisecond per call.
const housekeepSlots = 1 << 15

// Housekeep does the shard's background upkeep that is not expiry, once per cron tick:
// it moves a resizing key index along when no write does.
func (s *Shard) Housekeep() {
	for _, d := range s.dbs {
		d.index.advance(housekeepSlots)
	}
}

// ActiveExpireCycle reclaims expired keys that nobody reads, as Redis's active expiry
// does: for each database it samples keys with a TTL at random, deletes the expired ones,
// and repeats while more than the acceptable share of a sample had expired, until budget
// is spent. It updates Stats (ExpiredKeys, ExpireCycleTimeUs, ExpiredStalePerc,
// ExpireCycleTimeout). It does nothing when active expiry is disabled.
//
// It does not change the selected database or the command clock.
func (s *Shard) ActiveExpireCycle(budget time.Duration) {
	if !s.Settings.ActiveExpire.Load() || s.Settings.HoldExpiry.Load() {
		return
	}
	start := time.Now()
	now := start.UnixMilli()
	effort := min(max(s.Settings.ActiveExpireEffort.Load(), 1), 10) - 1
	perLoop := expireKeysPerLoop + expireKeysPerLoop/4*int(effort)
	acceptable := expireAcceptStale - int(effort)

	var sampled, expired int
	timedOut := false
	for _, d := range s.dbs {
		for round := 1; ; round++ {
			if len(d.volatile) == 0 {
				break
			}
			n, gone := s.sampleExpired(d, perLoop, now)
			sampled += n
			expired += gone
			if round%expireTimeCheckGap == 0 && time.Since(start) > budget {
				timedOut = true
				break
			}
			if gone*100/n <= acceptable {
				break
			}
		}
		if timedOut || time.Since(start) > budget {
			timedOut = true
			break
		}
	}
	s.Stats.ExpireCycleTimeUs += time.Since(start).Microseconds()
	if timedOut {
		s.Stats.ExpireCycleTimeout++
	}
	perc := 0.0
	if sampled > 0 {
		perc = float64(expired) / float64(sampled)
	}
	s.Stats.ExpiredStalePerc = perc*0.05 + s.Stats.ExpiredStalePerc*0.95
}

// sampleExpired checks up to n keys with a TTL in d and deletes those expired at now.
// It walks d.volatile downward from a random slot (from the top when n covers it all),
// wrapping around. A deletion moves the last slot into the hole; walking downward, that
// slot has been checked already or lies beyond this round's reach, so no key is checked
// twice before the walk wraps.
func (s *Shard) sampleExpired(d *DB, n int, now int64) (sampled, expired int) {
	n = min(n, len(d.volatile))
	p := len(d.volatile) - 1
	if n < len(d.volatile) {
		p = rand.IntN(len(d.volatile))
	}
	for ; sampled < n && len(d.volatile) > 0; sampled++ {
		if p < 0 || p >= len(d.volatile) {
			p = len(d.volatile) - 1
		}
		i := int(d.volatile[p])
		if d.at(i).ExpireAt <= now {
			s.expireAt(d, i)
			expired++
		}
		p--
	}
	return sampled, expired
}

// parseScanOptions reads the [MATCH pattern] [COUNT count] options of HSCAN, SSCAN and
// ZSCAN, from argument from on. A lone "*" pattern matches everything and comes back
// nil. errMsg is Redis's error text.
func parseScanOptions(a Args, from int) (count int, pattern []byte, errMsg string) {
	count = 10
	for i := from; i < len(a); i += 2 {
		more := i+1 < len(a)
		switch {
		case eqFold(a[i], "count") && more:
			n, ok := parseInt(a[i+1])
			if !ok {
				return 0, nil, proto.ErrNotInt
			}
			if n < 1 {
				return 0, nil, proto.ErrSyntax
			}
			count = int(min(n, 1<<30))
		case eqFold(a[i], "match") && more:
			pattern = a[i+1]
			if len(pattern) == 1 && pattern[0] == '*' {
				pattern = nil
			}
		default:
			return 0, nil, proto.ErrSyntax
		}
	}
	return count, pattern, ""
}
