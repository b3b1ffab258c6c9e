package shard

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"

	"github.com/basaltdb/basalt/proto"
)

// flagNoInt marks a string that redis-server builds without trying the int encoding
// (INCRBYFLOAT's result): OBJECT ENCODING reports it as embstr or raw even when it reads
// as an integer.
const flagNoInt uint8 = 2

// flagUnshared marks an int-encoded string that redis-server would hold in a private
// object rather than a shared one (COPY duplicates it), for OBJECT REFCOUNT.
const flagUnshared uint8 = 4

// embstrMax is the longest string Redis stores as embstr.
const embstrMax = 44

// sharedIntMax bounds the integers redis-server keeps as shared objects, which OBJECT
// REFCOUNT reports with refcountShared.
const (
	sharedIntMax   = 10000
	refcountShared = math.MaxInt32
)

func init() {
	register("get", getCommand)
	register("set", setCommand)
	register("setnx", setnxCommand)
	register("setex", setexCommand)
	register("psetex", psetexCommand)
	register("getset", getsetCommand)
	register("getdel", getdelCommand)
	register("getex", getexCommand)
	register("mget", mgetCommand)
	register("mset", msetCommand)
	register("msetnx", msetnxCommand)
	register("append", appendCommand)
	register("strlen", strlenCommand)
	register("getrange", getrangeCommand)
	register("substr", getrangeCommand)
	register("setrange", setrangeCommand)
	register("incr", incrCommand)
	register("decr", decrCommand)
	register("incrby", incrbyCommand)
	register("decrby", decrbyCommand)
	register("incrbyfloat", incrbyfloatCommand)
	register("lcs", lcsCommand)
}

// GET key
func getCommand(s *Shard, a Args, w *proto.Writer) {
	e, ok := s.readString(a[1], w)
	switch {
	case !ok:
	case e == nil:
		w.Null()
	default:
		w.Bulk(e.Str)
	}
}

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms|KEEPTTL]
func setCommand(s *Shard, a Args, w *proto.Writer) {
	if len(a) == 3 {
		s.setString(a[1], a[2], 0, false)
		s.notify(NotifyString, "set", a[1])
		w.OK()
		return
	}
	opts, expire, ok := parseStringOptions(a, 3, false)
	if !ok {
		w.Error(proto.ErrSyntax)
		return
	}
	s.setGeneric(a[1], a[2], opts, expire, "set", false, w)
}

// SETNX key value
func setnxCommand(s *Shard, a Args, w *proto.Writer) {
	s.setGeneric(a[1], a[2], optNX, nil, "setnx", true, w)
}

// SETEX key seconds value
func setexCommand(s *Shard, a Args, w *proto.Writer) {
	s.setGeneric(a[1], a[3], optEX, a[2], "setex", false, w)
}

// PSETEX key milliseconds value
func psetexCommand(s *Shard, a Args, w *proto.Writer) {
	s.setGeneric(a[1], a[3], optPX, a[2], "psetex", false, w)
}

// GETSET key value
func getsetCommand(s *Shard, a Args, w *proto.Writer) {
	e, ok := s.readString(a[1], w)
	if !ok {
		return
	}
	// The old value goes out before setString may overwrite its buffer.
	if e == nil {
		w.Null()
	} else {
		w.Bulk(e.Str)
	}
	s.setString(a[1], a[2], 0, false)
	s.notify(NotifyString, "set", a[1])
}

// GETDEL key
func getdelCommand(s *Shard, a Args, w *proto.Writer) {
	e, ok := s.readString(a[1], w)
	switch {
	case !ok:
	case e == nil:
		w.Null()
	default:
		w.Bulk(e.Str)
		s.remove(a[1])
		s.notify(NotifyGeneric, "del", a[1])
		// Replayed as what it did, as Redis propagates it.
		s.Propagate([]byte("DEL"), a[1])
	}
}

// GETEX key [EX s|PX ms|EXAT ts|PXAT ms|PERSIST]
func getexCommand(s *Shard, a Args, w *proto.Writer) {
	opts, expire, ok := parseStringOptions(a, 2, true)
	if !ok {
		w.Error(proto.ErrSyntax)
		return
	}
	e, ok := s.readString(a[1], w)
	if !ok {
		return
	}
	if e == nil {
		w.Null()
		return
	}
	// Redis validates the time only once it knows the key exists.
	var at int64
	if opts&optExpire != 0 {
		if at, ok = s.expireTime(opts, expire, "getex", w); !ok {
			return
		}
	}
	w.Bulk(e.Str)
	switch {
	case opts&optExpire != 0 && s.pastExpiry(at):
		s.remove(a[1])
		s.Propagate([]byte("DEL"), a[1])
		s.notify(NotifyGeneric, "del", a[1])
	case opts&optExpire != 0:
		i, _ := s.db.find(a[1])
		s.db.setExpire(i, at)
		s.dirty++
		s.notify(NotifyGeneric, "expire", a[1])
		s.Propagate([]byte("PEXPIREAT"), a[1], strconv.AppendInt(nil, at, 10))
	case opts&optPersist != 0 && e.ExpireAt != 0:
		i, _ := s.db.find(a[1])
		s.db.setExpire(i, 0)
		s.dirty++
		s.Propagate([]byte("PERSIST"), a[1])
		s.notify(NotifyGeneric, "persist", a[1])
	}
}

// MGET key [key ...]
func mgetCommand(s *Shard, a Args, w *proto.Writer) {
	w.Array(len(a) - 1)
	for _, key := range a[1:] {
		if e, ok := s.read(key); ok && e.Type == TypeString {
			w.Bulk(e.Str)
		} else {
			w.Null()
		}
	}
}

// MSET key value [key value ...]
func msetCommand(s *Shard, a Args, w *proto.Writer) {
	if len(a)%2 == 0 {
		w.Error(fmt.Sprintf(proto.ErrWrongArgsFmt, "mset"))
		return
	}
	for i := 1; i < len(a); i += 2 {
		s.setString(a[i], a[i+1], 0, false)
		s.notify(NotifyString, "set", a[i])
	}
	w.OK()
}

// MSETNX key value [key value ...]
//
// This is the whole command when every key lives on this shard; across shards, the
// all-or-nothing existence check is the coordinator's.
func msetnxCommand(s *Shard, a Args, w *proto.Writer) {
	if len(a)%2 == 0 {
		w.Error(fmt.Sprintf(proto.ErrWrongArgsFmt, "msetnx"))
		return
	}
	for i := 1; i < len(a); i += 2 {
		if _, ok := s.lookup(a[i]); ok {
			w.Int(0)
			return
		}
	}
	for i := 1; i < len(a); i += 2 {
		s.setString(a[i], a[i+1], 0, false)
		s.notify(NotifyString, "set", a[i])
	}
	w.Int(1)
}

// APPEND key value
func appendCommand(s *Shard, a Args, w *proto.Writer) {
	e, ok := s.writeString(a[1], w)
	if !ok {
		return
	}
	if e == nil {
		// A new key gets the same encoding SET would give it.
		s.setString(a[1], a[2], 0, false)
		s.notify(NotifyString, "append", a[1])
		w.Int(int64(len(a[2])))
		return
	}
	if !s.fitsMaxBulk(int64(len(e.Str)), int64(len(a[2])), w) {
		return
	}
	e.Str = append(e.Str, a[2]...)
	e.Flags = flagRaw
	s.dirty++
	s.notify(NotifyString, "append", a[1])
	w.Int(int64(len(e.Str)))
}

// STRLEN key
func strlenCommand(s *Shard, a Args, w *proto.Writer) {
	e, ok := s.readString(a[1], w)
	switch {
	case !ok:
	case e == nil:
		w.Int(0)
	default:
		w.Int(int64(len(e.Str)))
	}
}

// GETRANGE key start end (SUBSTR is the same command under its old name)
func getrangeCommand(s *Shard, a Args, w *proto.Writer) {
	start, ok1 := parseInt(a[2])
	end, ok2 := parseInt(a[3])
	if !ok1 || !ok2 {
		w.Error(proto.ErrNotInt)
		return
	}
	e, ok := s.readString(a[1], w)
	if !ok {
		return
	}
	if e == nil {
		w.BulkString("")
		return
	}
	n := int64(len(e.Str))
	if start < 0 && end < 0 && start > end {
		w.BulkString("")
		return
	}
	if start < 0 {
		start = max(start+n, 0)
	}
	if end < 0 {
		end = max(end+n, 0)
	}
	end = min(end, n-1)
	if n == 0 || start > end {
		w.BulkString("")
		return
	}
	w.Bulk(e.Str[start : end+1])
}

// SETRANGE key offset value
func setrangeCommand(s *Shard, a Args, w *proto.Writer) {
	offset, ok := parseInt(a[2])
	if !ok {
		w.Error(proto.ErrNotInt)
		return
	}
	if offset < 0 {
		w.Error(proto.ErrOffsetRange)
		return
	}
	e, ok := s.writeString(a[1], w)
	if !ok {
		return
	}
	val := a[3]
	if e == nil {
		if len(val) == 0 {
			w.Int(0)
			return
		}
		if !s.fitsMaxBulk(offset, int64(len(val)), w) {
			return
		}
		buf := make([]byte, offset+int64(len(val)))
		copy(buf[offset:], val)
		s.put(a[1], Object{Type: TypeString, Flags: flagRaw, Str: buf})
		s.notify(NotifyString, "setrange", a[1])
		w.Int(int64(len(buf)))
		return
	}
	if len(val) == 0 {
		w.Int(int64(len(e.Str)))
		return
	}
	if !s.fitsMaxBulk(offset, int64(len(val)), w) {
		return
	}
	if need := int(offset) + len(val); need > len(e.Str) {
		old := len(e.Str)
		e.Str = slices.Grow(e.Str, need-old)[:need]
		clear(e.Str[old:])
	}
	copy(e.Str[offset:], val)
	e.Flags = flagRaw
	s.dirty++
	s.notify(NotifyString, "setrange", a[1])
	w.Int(int64(len(e.Str)))
}

// INCR key
func incrCommand(s *Shard, a Args, w *proto.Writer) { s.incrBy(a[1], 1, w) }

// DECR key
func decrCommand(s *Shard, a Args, w *proto.Writer) { s.incrBy(a[1], -1, w) }

// INCRBY key increment
func incrbyCommand(s *Shard, a Args, w *proto.Writer) {
	delta, ok := parseInt(a[2])
	if !ok {
		w.Error(proto.ErrNotInt)
		return
	}
	s.incrBy(a[1], delta, w)
}

// DECRBY key decrement
func decrbyCommand(s *Shard, a Args, w *proto.Writer) {
	delta, ok := parseInt(a[2])
	if !ok {
		w.Error(proto.ErrNotInt)
		return
	}
	if delta == math.MinInt64 {
		w.Error(proto.ErrDecrOverflow)
		return
	}
	s.incrBy(a[1], -delta, w)
}

// incrBy adds delta to the integer at key (0 when missing), keeping its TTL.
func (s *Shard) incrBy(key []byte, delta int64, w *proto.Writer) {
	e, ok := s.writeString(key, w)
	if !ok {
		return
	}
	var v int64
	if e != nil {
		if v, ok = parseInt(e.Str); !ok {
			w.Error(proto.ErrNotInt)
			return
		}
	}
	if (delta < 0 && v < 0 && delta < math.MinInt64-v) ||
		(delta > 0 && v > 0 && delta > math.MaxInt64-v) {
		w.Error(proto.ErrOverflow)
		return
	}
	v += delta
	if e == nil {
		s.put(key, Object{Type: TypeString, Str: strconv.AppendInt(nil, v, 10)})
	} else {
		e.Str = strconv.AppendInt(e.Str[:0], v, 10)
		e.Flags = 0
		s.dirty++
	}
	s.notify(NotifyString, "incrby", key)
	w.Int(v)
}

// INCRBYFLOAT key increment
//
// redis-server computes in C's long double, which on amd64 is the x87 80-bit format (64
// bit mantissa), and prints with "%.17Lf" minus trailing zeros. We emulate both with
// big.Float at 64 bits of precision so that results, including the long tails of huge
// values such as 1e400, match it byte for byte.
func incrbyfloatCommand(s *Shard, a Args, w *proto.Writer) {
	e, ok := s.writeString(a[1], w)
	if !ok {
		return
	}
	sum := new(big.Float).SetPrec(longDoublePrec)
	if e != nil {
		cur, ok := parseLongDouble(e.Str)
		if !ok {
			w.Error(proto.ErrNotFloat)
			return
		}
		sum.Set(cur)
	}
	incr, ok := parseLongDouble(a[2])
	if !ok {
		w.Error(proto.ErrNotFloat)
		return
	}
	if sum.IsInf() || incr.IsInf() {
		// inf+x is inf and inf-inf is NaN: both refused.
		w.Error(proto.ErrIncrFloatNaN)
		return
	}
	sum.Add(sum, incr)
	if sum.MantExp(nil) > longDoubleMaxExp {
		w.Error(proto.ErrIncrFloatNaN)
		return
	}
	val := formatLongDouble(nil, sum)
	if e == nil {
		s.put(a[1], Object{Type: TypeString, Flags: flagNoInt, Str: val})
	} else {
		e.Str, e.Flags = val, flagNoInt
		s.dirty++
	}
	s.notify(NotifyString, "incrbyfloat", a[1])
	// Float arithmetic is replayed as its result.
	s.Propagate([]byte("SET"), a[1], val, []byte("KEEPTTL"))
	w.Bulk(val)
}

// x87 extended precision: a 64-bit mantissa, and big.Float exponents (mantissa in
// [0.5, 1)) of the largest finite value and of half the smallest denormal, below which
// strtold rounds to zero and reports a range error.
const (
	longDoublePrec   = 64
	longDoubleMaxExp = 16384
	longDoubleMinExp = -16445
)

// parseLongDouble parses b as glibc's strtold does for Redis's string2ld: decimal or hex
// (0x..., optional p exponent), optional sign, inf/infinity; no spaces, no NaN, and values
// that overflow or underflow to zero are rejected.
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= 5*1024 {
		return nil, false
	}
	body := b
	neg := false
	if body[0] == '+' || body[0] == '-' {
		neg = body[0] == '-'
		body = body[1:]
	}
	if eqFold(body, "inf") || eqFold(body, "infinity") {
		return new(big.Float).SetInf(neg), true
	}
	hex := len(body) >= 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')
	for _, c := range body {
		// Go's parser also takes digit separators, and p exponents after decimal
		// mantissas; strtold takes neither.
		if c == '_' || (!hex && (c == 'p' || c == 'P')) {
			return nil, false
		}
	}
	base := 10
	if hex {
		base = 0
	}
	f, _, err := big.ParseFloat(string(b), base, longDoublePrec, big.ToNearestEven)
	if err != nil {
		return nil, false
	}
	if f.Sign() != 0 {
		exp := f.MantExp(nil)
		if exp > longDoubleMaxExp || exp < longDoubleMinExp {
			return nil, false
		}
	}
	return f, true
}

// formatLongDouble appends f as "%.17Lf" with trailing fraction zeros (and a bare point)
// removed, and "-0" turned into "0", as Redis's ld2string in its human mode.
func formatLongDouble(dst []byte, f *big.Float) []byte {
	start := len(dst)
	dst = f.Append(dst, 'f', 17)
	for len(dst) > start && dst[len(dst)-1] == '0' {
		dst = dst[:len(dst)-1]
	}
	if dst[len(dst)-1] == '.' {
		dst = dst[:len(dst)-1]
	}
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
func lcsCommand(s *Shard, a Args, w *proto.Writer) {
	// Both look-ups come first, as in Redis. The second may reap an expired key and move
	// entries around, so keep the first value's slice, not its entry pointer.
	var x, y []byte
	typeA, typeB := TypeString, TypeString
	if e, ok := s.read(a[1]); ok {
		x, typeA = e.Str, e.Type
	}
	if e, ok := s.read(a[2]); ok {
		y, typeB = e.Str, e.Type
	}
	if typeA != TypeString || typeB != TypeString {
		w.Error(proto.ErrLCSNotString)
		return
	}
	lcsReply(x, y, a, s.Settings.MaxBulk.Load(), w)
}

// LCS answers an LCS command whose two values were fetched from different shards: x and
// y are the strings (nil for a missing key, the caller having rejected other types) and
// a the full command, options from a[3] on. It applies the default proto-max-bulk-len to
// the size of its table.
func LCS(x, y []byte, a Args, w *proto.Writer) {
	lcsReply(x, y, a, proto.DefaultMaxBulk, w)
}

// lcsReply parses LCS's options from a[3:] and replies for the strings x and y, refusing
// a table larger than maxBulk bytes.
func lcsReply(x, y []byte, a Args, maxBulk int64, w *proto.Writer) {
	var wantIdx, wantLen, withMatchLen bool
	var minMatch int64
	for j := 3; j < len(a); j++ {
		switch {
		case eqFold(a[j], "idx"):
			wantIdx = true
		case eqFold(a[j], "len"):
			wantLen = true
		case eqFold(a[j], "withmatchlen"):
			withMatchLen = true
		case eqFold(a[j], "minmatchlen") && j+1 < len(a):
			n, ok := parseInt(a[j+1])
			if !ok {
				w.Error(proto.ErrNotInt)
				return
			}
			minMatch = max(n, 0)
			j++
		default:
			w.Error(proto.ErrSyntax)
			return
		}
	}
	if wantIdx && wantLen {
		w.Error(proto.ErrLCSLenAndIdx)
		return
	}
	if uint64(len(x)) >= math.MaxUint32-1 || uint64(len(y)) >= math.MaxUint32-1 {
		w.Error(proto.ErrLCSTooLong)
		return
	}
	// The table is (len(x)+1)*(len(y)+1) uint32 cells; Redis refuses one larger than
	// proto-max-bulk-len bytes.
	rows, cols := uint64(len(x))+1, uint64(len(y))+1
	if cells := rows * cols; cells/rows != cols || cells > math.MaxInt64/4 || int64(cells*4) > maxBulk {
		w.Error(proto.ErrLCSMemory)
		return
	}
	t := lcsTable(x, y)
	total := t.at(len(x), len(y))
	if wantLen {
		w.Int(int64(total))
		return
	}
	seq, matches := t.walk(x, y, total, minMatch)
	if !wantIdx {
		w.Bulk(seq)
		return
	}
	w.Map(2)
	w.BulkString("matches")
	w.Array(len(matches))
	for _, m := range matches {
		if withMatchLen {
			w.Array(3)
		} else {
			w.Array(2)
		}
		w.Array(2)
		w.Int(int64(m.aStart))
		w.Int(int64(m.aEnd))
		w.Array(2)
		w.Int(int64(m.bStart))
		w.Int(int64(m.bEnd))
		if withMatchLen {
			w.Int(int64(m.aEnd - m.aStart + 1))
		}
	}
	w.BulkString("len")
	w.Int(int64(total))
}

// lcsDP is the dynamic programming table of LCS: cell (i, j) holds the length of the
// longest common subsequence of x[:i] and y[:j].
type lcsDP struct {
	cells []uint32
	cols  int
}

func (t *lcsDP) at(i, j int) uint32 { return t.cells[i*t.cols+j] }

func lcsTable(x, y []byte) *lcsDP {
	t := &lcsDP{cells: make([]uint32, (len(x)+1)*(len(y)+1)), cols: len(y) + 1}
	for i := 1; i <= len(x); i++ {
		row, prev := t.cells[i*t.cols:], t.cells[(i-1)*t.cols:]
		for j := 1; j <= len(y); j++ {
			if x[i-1] == y[j-1] {
				row[j] = prev[j-1] + 1
			} else {
				row[j] = max(prev[j], row[j-1])
			}
		}
	}
	return t
}

// lcsMatch is one run of consecutive common bytes: x[aStart..aEnd] == y[bStart..bEnd].
type lcsMatch struct{ aStart, aEnd, bStart, bEnd int }

// walk recovers the subsequence from the end of both strings, and with it the matching
// runs, last run first, keeping runs of at least minMatch bytes. The walk prefers to step
// back in y on ties: clients compare IDX output with redis-server's, so the tie-break is
// part of the contract.
func (t *lcsDP) walk(x, y []byte, total uint32, minMatch int64) ([]byte, []lcsMatch) {
	seq := make([]byte, total)
	var matches []lcsMatch
	var run lcsMatch
	inRun := false
	emit := func() {
		if minMatch == 0 || int64(run.aEnd-run.aStart+1) >= minMatch {
			matches = append(matches, run)
		}
		inRun = false
	}
	i, j, k := len(x), len(y), int(total)
	for i > 0 && j > 0 {
		if x[i-1] != y[j-1] {
			if t.at(i-1, j) > t.at(i, j-1) {
				i--
			} else {
				j--
			}
			if inRun {
				emit()
			}
			continue
		}
		i, j, k = i-1, j-1, k-1
		seq[k] = x[i]
		if inRun {
			run.aStart, run.bStart = i, j
		} else {
			run = lcsMatch{aStart: i, aEnd: i, bStart: j, bEnd: j}
			inRun = true
		}
		if i == 0 || j == 0 {
			emit()
		}
	}
	return seq, matches
}

// String option bits shared by SET and GETEX.
const (
	optNX = 1 << iota
	optXX
	optGet
	optKeepTTL
	optPersist
	optEX
	optPX
	optEXAT
	optPXAT

	optExpire = optEX | optPX | optEXAT | optPXAT
)

// parseStringOptions reads SET's options, or GETEX's when getex is set, from a[from:].
// It returns the option bits and the argument of the expiry option, which aliases a.
// As in Redis, repeating an option is allowed (the last expiry wins) and any conflicting
// combination, or an option of the other command, is a syntax error.
func parseStringOptions(a Args, from int, getex bool) (opts int, expire []byte, ok bool) {
	for j := from; j < len(a); j++ {
		arg := a[j]
		switch {
		case !getex && eqFold(arg, "nx") && opts&optXX == 0:
			opts |= optNX
		case !getex && eqFold(arg, "xx") && opts&optNX == 0:
			opts |= optXX
		case !getex && eqFold(arg, "get"):
			opts |= optGet
		case !getex && eqFold(arg, "keepttl") && opts&optExpire == 0:
			opts |= optKeepTTL
		case getex && eqFold(arg, "persist") && opts&optExpire == 0:
			opts |= optPersist
		default:
			bit := expireOption(arg)
			if bit == 0 || j+1 == len(a) || opts&(optKeepTTL|optPersist|optExpire&^bit) != 0 {
				return 0, nil, false
			}
			opts |= bit
			j++
			expire = a[j]
		}
	}
	return opts, expire, true
}

func expireOption(arg []byte) int {
	switch {
	case eqFold(arg, "ex"):
		return optEX
	case eqFold(arg, "px"):
		return optPX
	case eqFold(arg, "exat"):
		return optEXAT
	case eqFold(arg, "pxat"):
		return optPXAT
	}
	return 0
}

// expireTime turns the argument of EX, PX, EXAT or PXAT into an absolute Unix time in
// milliseconds. On a bad value it writes Redis's error, naming cmd, and returns false.
func (s *Shard) expireTime(opts int, arg []byte, cmd string, w *proto.Writer) (int64, bool) {
	n, ok := parseInt(arg)
	if !ok {
		w.Error(proto.ErrNotInt)
		return 0, false
	}
	seconds := opts&(optEX|optEXAT) != 0
	if n <= 0 || (seconds && n > math.MaxInt64/1000) {
		w.Error(fmt.Sprintf(proto.ErrInvalidExpire, cmd))
		return 0, false
	}
	if seconds {
		n *= 1000
	}
	if opts&(optEX|optPX) != 0 {
		if n > math.MaxInt64-s.now {
			w.Error(fmt.Sprintf(proto.ErrInvalidExpire, cmd))
			return 0, false
		}
		n += s.now
	}
	return n, true
}

// setGeneric is SET with options, and SETNX, SETEX and PSETEX, which are SET with fixed
// options. intReply selects SETNX's :1/:0 replies over +OK and null.
func (s *Shard) setGeneric(key, val []byte, opts int, expire []byte, cmd string, intReply bool, w *proto.Writer) {
	var at int64
	if opts&optExpire != 0 {
		var ok bool
		if at, ok = s.expireTime(opts, expire, cmd, w); !ok {
			return
		}
	}
	if opts&optGet != 0 {
		e, ok := s.readString(key, w)
		if !ok {
			return
		}
		// The old value goes out before setString may overwrite its buffer.
		if e == nil {
			w.Null()
		} else {
			w.Bulk(e.Str)
		}
	}
	_, found := s.lookup(key)
	if (opts&optNX != 0 && found) || (opts&optXX != 0 && !found) {
		switch {
		case opts&optGet != 0:
		case intReply:
			w.Int(0)
		default:
			w.Null()
		}
		return
	}
	if opts&optExpire != 0 && s.pastExpiry(at) {
		// EXAT/PXAT in the past: redis-server stores the value and lets it expire on the
		// next access. Nobody can observe the difference from deleting it now.
		if found {
			s.remove(key)
			s.Propagate([]byte("DEL"), key)
		}
		s.notify(NotifyString, "set", key)
		s.notify(NotifyGeneric, "expire", key)
	} else {
		s.setString(key, val, at, opts&optKeepTTL != 0)
		s.notify(NotifyString, "set", key)
		if opts&optExpire != 0 {
			s.notify(NotifyGeneric, "expire", key)
			// A relative TTL is replayed as the absolute time it stands for.
			s.Propagate([]byte("SET"), key, val, []byte("PXAT"), strconv.AppendInt(nil, at, 10))
		}
	}
	switch {
	case opts&optGet != 0:
	case intReply:
		w.Int(1)
	default:
		w.OK()
	}
}

// setString stores a copy of v under key the way SET does: it replaces a value of any
// type and its TTL (kept when keepTTL), at being the new absolute expiry or 0. When the
// key already holds a string whose buffer fits v, the buffer is reused, so overwriting a
// string allocates nothing.
func (s *Shard) setString(key, v []byte, at int64, keepTTL bool) {
	i, ok := s.lookup(key)
	if !ok {
		s.db.insert(key, Object{Type: TypeString, Str: Own(v), ExpireAt: at, Access: s.clock()})
		s.notify(NotifyNew, "new", key)
		s.dirty++
		return
	}
	e := s.db.at(i)
	if e.Type == TypeString && reusable(e.Str, len(v)) {
		e.Str = append(e.Str[:0], v...)
	} else {
		e.Str = Own(v)
	}
	e.Type, e.Flags, e.Coll = TypeString, 0, nil
	s.touch(e) // access time, and the LFU counter (evict.go)
	if !keepTTL {
		s.db.setExpire(i, at)
	}
	s.dirty++
}

// reusable reports whether a string buffer may hold n bytes without wasting much: a
// value that shrank a lot gets a fresh buffer so the big one can be collected.
func reusable(buf []byte, n int) bool {
	return n <= cap(buf) && cap(buf) <= 2*n+64
}

// readString looks key up for a read command that needs a string: e is nil when the key
// does not exist. On a value of another type it writes WRONGTYPE and returns false.
func (s *Shard) readString(key []byte, w *proto.Writer) (e *entry, ok bool) {
	e, found := s.read(key)
	if !found {
		return nil, true
	}
	if e.Type != TypeString {
		w.Error(proto.ErrWrongType)
		return nil, false
	}
	return e, true
}

// writeString is readString for write commands. The entry pointer is valid until the
// next insertion or removal in the DB.
func (s *Shard) writeString(key []byte, w *proto.Writer) (e *entry, ok bool) {
	e, found := s.write(key)
	if !found {
		return nil, true
	}
	if e.Type != TypeString {
		w.Error(proto.ErrWrongType)
		return nil, false
	}
	return e, true
}

// fitsMaxBulk reports whether a string of size+grow bytes stays within
// proto-max-bulk-len, writing Redis's error when it does not.
func (s *Shard) fitsMaxBulk(size, grow int64, w *proto.Writer) bool {
	if size > s.Settings.MaxBulk.Load()-grow {
		w.Error(proto.ErrStringTooLong)
		return false
	}
	return true
}

// stringEncoding returns OBJECT ENCODING's answer for a string, following redis-server:
// values changed in place are raw, canonical 64-bit integers are int (unless built by
// INCRBYFLOAT), short strings embstr and long ones raw.
func stringEncoding(o *Object) string {
	if o.Flags&flagRaw != 0 {
		return "raw"
	}
	if o.Flags&flagNoInt == 0 && len(o.Str) <= 20 {
		if _, ok := parseInt(o.Str); ok {
			return "int"
		}
	}
	if len(o.Str) <= embstrMax {
		return "embstr"
	}
	return "raw"
}

// parseInt parses an integer argument as Redis does; see proto.ParseInt.
func parseInt(b []byte) (int64, bool) { return proto.ParseInt(b) }

// eqFold reports whether b equals the lower-case ASCII word s, ignoring case.
func eqFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}
