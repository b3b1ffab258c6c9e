package shard

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"

	"github.com/basaltdb/basalt/proto"
)

// Hash commands. The value type is Hash (hash_encoding.go). Every hash command names a
// single key, so each handler runs whole on the key's shard.
//
// Encodings follow redis-server 7.0: a hash starts as a listpack and becomes a hashtable
// before it stores a field or value longer than hash-max-listpack-value, or after an
// insertion leaves it with more than hash-max-listpack-entries fields. It never goes
// back. A hash whose last field is removed is deleted.

func init() {
	register("hset", hsetCommand)
	register("hmset", hmsetCommand)
	register("hsetnx", hsetnxCommand)
	register("hget", hgetCommand)
	register("hmget", hmgetCommand)
	register("hgetall", hgetallCommand)
	register("hdel", hdelCommand)
	register("hlen", hlenCommand)
	register("hexists", hexistsCommand)
	register("hkeys", hkeysCommand)
	register("hvals", hvalsCommand)
	register("hincrby", hincrbyCommand)
	register("hincrbyfloat", hincrbyfloatCommand)
	register("hstrlen", hstrlenCommand)
	register("hrandfield", hrandfieldCommand)
	register("hscan", hscanCommand)
}

// HSET key field value [field value ...]
func hsetCommand(s *Shard, a Args, w *proto.Writer) {
	if added, ok := s.hashSetPairs(a, "hset", w); ok {
		w.Int(int64(added))
	}
}

// HMSET key field value [field value ...]
func hmsetCommand(s *Shard, a Args, w *proto.Writer) {
	if _, ok := s.hashSetPairs(a, "hmset", w); ok {
		w.OK()
	}
}

// hashSetPairs stores the field-value pairs of HSET and HMSET (named cmd) and returns
// how many fields are new. On an error it writes it and returns false.
func (s *Shard) hashSetPairs(a Args, cmd string, w *proto.Writer) (added int, ok bool) {
	if len(a)%2 != 0 {
		w.Error(fmt.Sprintf(proto.ErrWrongArgsFmt, cmd))
		return 0, false
	}
	h, ok := s.writeHash(a[1], w)
	if !ok {
		return 0, false
	}
	if h == nil {
		h = s.newHashKey(a[1])
	}
	maxEntries, maxValue := s.hashLimits()
	for i := 2; i < len(a); i += 2 {
		if h.set(a[i], a[i+1], maxEntries, maxValue) {
			added++
		}
	}
	s.dirty += int64(len(a)/2 - 1)
	s.hashWritten(h)
	s.notify(NotifyHash, "hset", a[1])
	return added, true
}

// HSETNX key field value
func hsetnxCommand(s *Shard, a Args, w *proto.Writer) {
	h, ok := s.writeHash(a[1], w)
	if !ok {
		return
	}
	if h == nil {
		h = s.newHashKey(a[1])
	} else if h.has(a[2]) {
		w.Int(0)
		return
	}
	maxEntries, maxValue := s.hashLimits()
	h.set(a[2], a[3], maxEntries, maxValue)
	s.dirty++
	s.hashWritten(h)
	s.notify(NotifyHash, "hset", a[1])
	w.Int(1)
}

// HGET key field
func hgetCommand(s *Shard, a Args, w *proto.Writer) {
	h, ok := s.readHash(a[1], w)
	if !ok {
		return
	}
	if h == nil {
		w.Null()
		return
	}
	var num [20]byte
	v, found := h.get(a[2], &num)
	if !found {
		w.Null()
		return
	}
	w.Bulk(v)
}

// HMGET key field [field ...]
func hmgetCommand(s *Shard, a Args, w *proto.Writer) {
	h, ok := s.readHash(a[1], w)
	if !ok {
		return
	}
	w.Array(len(a) - 2)
	var num [20]byte
	for _, f := range a[2:] {
		if h == nil {
			w.Null()
			continue
		}
		if v, found := h.get(f, &num); found {
			w.Bulk(v)
		} else {
			w.Null()
		}
	}
}

// HGETALL key
func hgetallCommand(s *Shard, a Args, w *proto.Writer) {
	h, ok := s.readHash(a[1], w)
	switch {
	case !ok:
	case h == nil:
		w.Map(0)
	default:
		w.Map(h.Len())
		writeHashItems(w, h, true, true)
	}
}

// HKEYS key
func hkeysCommand(s *Shard, a Args, w *proto.Writer) { s.hashListCommand(a, true, false, w) }

// HVALS key
func hvalsCommand(s *Shard, a Args, w *proto.Writer) { s.hashListCommand(a, false, true, w) }

// hashListCommand is HKEYS (fields) and HVALS (values): an array of one or the other.
func (s *Shard) hashListCommand(a Args, fields, values bool, w *proto.Writer) {
	h, ok := s.readHash(a[1], w)
	switch {
	case !ok:
	case h == nil:
		w.Array(0)
	default:
		w.Array(h.Len())
		writeHashItems(w, h, fields, values)
	}
}

// writeHashItems writes every field, every value, or both alternating, as bulk strings
// in storage order. The caller writes the header.
func writeHashItems(w *proto.Writer, h *Hash, fields, values bool) {
	it := h.iter()
	for {
		f, v, ok := it.next()
		if !ok {
			return
		}
		if fields {
			w.Bulk(f)
		}
		if values {
			w.Bulk(v)
		}
	}
}

// HDEL key field [field ...]
func hdelCommand(s *Shard, a Args, w *proto.Writer) {
	h, ok := s.writeHash(a[1], w)
	if !ok {
		return
	}
	if h == nil {
		w.Int(0)
		return
	}
	s.removeEach(a[1], a[2:], h.del, h.Len, NotifyHash, "hdel", w)
	s.afterHashRemoval(a[1], h)
}

// HLEN key
func hlenCommand(s *Shard, a Args, w *proto.Writer) {
	h, ok := s.readHash(a[1], w)
	switch {
	case !ok:
	case h == nil:
		w.Int(0)
	default:
		w.Int(int64(h.Len()))
	}
}

// HEXISTS key field
func hexistsCommand(s *Shard, a Args, w *proto.Writer) {
	h, ok := s.readHash(a[1], w)
	switch {
	case !ok:
	case h == nil || !h.has(a[2]):
		w.Int(0)
	default:
		w.Int(1)
	}
}

// HSTRLEN key field
func hstrlenCommand(s *Shard, a Args, w *proto.Writer) {
	h, ok := s.readHash(a[1], w)
	if !ok {
		return
	}
	if h == nil {
		w.Int(0)
		return
	}
	var num [20]byte
	v, _ := h.get(a[2], &num)
	w.Int(int64(len(v)))
}

// HINCRBY key field increment
func hincrbyCommand(s *Shard, a Args, w *proto.Writer) {
	incr, ok := parseInt(a[3])
	if !ok {
		w.Error(proto.ErrNotInt)
		return
	}
	h, ok := s.writeHash(a[1], w)
	if !ok {
		return
	}
	var cur int64
	var num [20]byte
	if h != nil {
		if v, found := h.get(a[2], &num); found {
			if cur, ok = parseInt(v); !ok {
				w.Error(proto.ErrHashNotInt)
				return
			}
		}
	}
	if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) || (incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
		w.Error(proto.ErrOverflow)
		return
	}
	cur += incr
	if h == nil {
		h = s.newHashKey(a[1])
	}
	maxEntries, maxValue := s.hashLimits()
	h.set(a[2], strconv.AppendInt(num[:0], cur, 10), maxEntries, maxValue)
	s.dirty++
	s.hashWritten(h)
	s.notify(NotifyHash, "hincrby", a[1])
	w.Int(cur)
}

// HINCRBYFLOAT key field increment
//
// Like INCRBYFLOAT, it computes in x87 long double precision and formats the result the
// way redis-server does (parseLongDouble and formatLongDouble in strings.go).
func hincrbyfloatCommand(s *Shard, a Args, w *proto.Writer) {
	incr, ok := parseLongDouble(a[3])
	if !ok {
		w.Error(proto.ErrNotFloat)
		return
	}
	if incr.IsInf() {
		w.Error(proto.ErrNaNOrInfinity)
		return
	}
	h, ok := s.writeHash(a[1], w)
	if !ok {
		return
	}
	sum := new(big.Float).SetPrec(longDoublePrec)
	if h != nil {
		var num [20]byte
		if v, found := h.get(a[2], &num); found {
			cur, ok := parseLongDouble(v)
			if !ok {
				w.Error(proto.ErrHashNotFloat)
				return
			}
			sum.Set(cur)
		}
	}
	if sum.IsInf() {
		w.Error(proto.ErrIncrFloatNaN)
		return
	}
	sum.Add(sum, incr)
	if sum.MantExp(nil) > longDoubleMaxExp {
		w.Error(proto.ErrIncrFloatNaN)
		return
	}
	var buf [64]byte
	val := formatLongDouble(buf[:0], sum)
	if h == nil {
		h = s.newHashKey(a[1])
	}
	maxEntries, maxValue := s.hashLimits()
	h.set(a[2], val, maxEntries, maxValue)
	s.dirty++
	s.hashWritten(h)
	s.notify(NotifyHash, "hincrbyfloat", a[1])
	w.Bulk(val)
	// Float arithmetic is replayed as its result.
	s.Propagate([]byte("HSET"), a[1], a[2], val)
}

// HRANDFIELD key [count [WITHVALUES]]
//
// A positive count returns distinct fields (all of them when count reaches the size, in
// storage order), a negative one -count fields that may repeat. With WITHVALUES, RESP2
// gets a flat array of field, value and RESP3 an array of [field, value] pairs.
func hrandfieldCommand(s *Shard, a Args, w *proto.Writer) {
	if len(a) == 2 {
		h, ok := s.readHash(a[1], w)
		switch {
		case !ok:
		case h == nil:
			w.Null()
		default:
			f, _ := h.picker().at(rand.IntN(h.Len()))
			w.Bulk(f)
		}
		return
	}
	n, withValues, errMsg := parseRandCount(a, "withvalues")
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	h, ok := s.readHash(a[1], w)
	if !ok {
		return
	}
	if h == nil || n == 0 {
		w.Array(0)
		return
	}
	size := h.Len()
	pairs := withValues && w.RESP3()
	header := func(k int) {
		if withValues && !pairs {
			w.Array(2 * k)
		} else {
			w.Array(k)
		}
	}
	item := func(f, v []byte) {
		if pairs {
			w.Array(2)
		}
		w.Bulk(f)
		if withValues {
			w.Bulk(v)
		}
	}
	pk := h.picker()
	switch {
	case n < 0 || n == 1:
		count := int(min(-n, math.MaxInt64))
		if n == 1 {
			count = 1
		}
		header(count)
		for range count {
			item(pk.at(rand.IntN(size)))
		}
	case n >= int64(size):
		header(size)
		for i := range size {
			item(pk.at(i))
		}
	default:
		header(int(n))
		for _, i := range randomPositions(size, int(n)) {
			item(pk.at(i))
		}
	}
}

// HSCAN key cursor [MATCH pattern] [COUNT count]
//
// A listpack-encoded hash is returned whole with cursor 0, whatever the cursor, as
// Redis does. A hashtable is walked by position from the top, COUNT positions per call;
// the cursor is the number of positions left plus one (see Shard.Scan for why walking
// downward returns every field present for the whole scan).
func hscanCommand(s *Shard, a Args, w *proto.Writer) {
	cursor, ok := parseScanCursor(a[2])
	if !ok {
		w.Error(proto.ErrCursor)
		return
	}
	h, ok := s.readHash(a[1], w)
	if !ok {
		return
	}
	if h == nil {
		w.Array(2)
		w.BulkString("0")
		w.Array(0)
		return
	}
	count, pattern, errMsg := parseScanOptions(a, 3)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	keep := func(f []byte) bool { return pattern == nil || match(pattern, f, false) }
	if h.table == nil {
		n := 0
		for it := h.iter(); ; {
			f, _, ok := it.next()
			if !ok {
				break
			}
			if keep(f) {
				n++
			}
		}
		w.Array(2)
		w.BulkString("0")
		w.Array(2 * n)
		for it := h.iter(); ; {
			f, v, ok := it.next()
			if !ok {
				break
			}
			if keep(f) {
				w.Bulk(f)
				w.Bulk(v)
			}
		}
		return
	}
	entries := h.table.entries
	left := len(entries)
	if cursor != 0 && cursor-1 < uint64(left) {
		left = int(cursor - 1)
	}
	steps := min(count, left)
	var found [32]int32
	hits := found[:0]
	for ; steps > 0; steps-- {
		left--
		if keep(entries[left].field()) {
			hits = append(hits, int32(left))
		}
	}
	next := uint64(0)
	if left > 0 {
		next = uint64(left) + 1
	}
	var num [20]byte
	w.Array(2)
	w.Bulk(strconv.AppendUint(num[:0], next, 10))
	w.Array(2 * len(hits))
	for _, i := range hits {
		w.Bulk(entries[i].field())
		w.Bulk(entries[i].value())
	}
}

// parseScanCursor reads a SCAN-family cursor as redis-server does with strtoul: an
// optional sign, decimal digits, nothing else; a leading minus wraps around; the empty
// string is 0; overflow is an error.
func parseScanCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	digits := b
	neg := false
	if digits[0] == '+' || digits[0] == '-' {
		neg = digits[0] == '-'
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// readHash looks key up for a read command on a hash: h is nil when the key does not
// exist. On a value of another type it writes WRONGTYPE and returns false.
func (s *Shard) readHash(key []byte, w *proto.Writer) (h *Hash, ok bool) {
	return lookupColl[*Hash](s, key, TypeHash, true, w)
}

// writeHash is readHash for write commands (no hit or miss is counted).
func (s *Shard) writeHash(key []byte, w *proto.Writer) (h *Hash, ok bool) {
	return lookupColl[*Hash](s, key, TypeHash, false, w)
}

// hashLimits returns hash-max-listpack-entries and hash-max-listpack-value.
func (s *Shard) hashLimits() (maxEntries, maxValue int64) {
	return s.Settings.HashMaxListpackEntries.Load(), s.Settings.HashMaxListpackValue.Load()
}

// newHashKey stores an empty hash under key, which must not exist, and returns it. The
// caller adds a field before the command ends.
func (s *Shard) newHashKey(key []byte) *Hash {
	h := newHash()
	s.db.insert(key, Object{Type: TypeHash, Coll: h, Access: s.clock()})
	s.notify(NotifyNew, "new", key)
	return h
}

// hashWritten checks h's invariants after a write when listChecks is on.
func (s *Shard) hashWritten(h *Hash) {
	if listChecks {
		h.mustBeValid()
	}
}

// afterHashRemoval deletes key when its hash h has no field left.
func (s *Shard) afterHashRemoval(key []byte, h *Hash) {
	if h.Len() > 0 {
		s.hashWritten(h)
		return
	}
	if i, ok := s.db.find(key); ok {
		s.db.removeAt(i)
		s.notify(NotifyGeneric, "del", key)
	}
}

// parseRandCount reads the count [WITH...] arguments of HRANDFIELD and ZRANDMEMBER:
// a count within -LONG_MAX..LONG_MAX, halved in range when option (WITHVALUES or
// WITHSCORES) doubles the reply. errMsg is Redis's error text.
func parseRandCount(a Args, option string) (n int64, with bool, errMsg string) {
	n, ok := parseInt(a[2])
	switch {
	case !ok:
		return 0, false, proto.ErrNotInt
	case n == math.MinInt64:
		return 0, false, proto.ErrLongRange
	case len(a) > 4 || (len(a) == 4 && !eqFold(a[3], option)):
		return 0, false, proto.ErrSyntax
	}
	with = len(a) == 4
	if with && (n < -math.MaxInt64/2 || n > math.MaxInt64/2) {
		return 0, false, proto.ErrValueOutOfRange
	}
	return n, with, ""
}
