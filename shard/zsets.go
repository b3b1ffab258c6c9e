package shard

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/basaltdb/basalt/proto"
)

// Sorted set commands. The value type is ZSet (zset_encoding.go). Every handler here
// needs all of its keys on this shard.
//
// Range commands share one plan: a score, lex or rank range is turned into the ranks
// [lo, hi) of the members it holds (ZSet.prefix finds the bounds in O(log n) in the
// tree), then LIMIT and the direction pick the ranks to walk.

func init() {
	register("zadd", zaddCommand)
	register("zincrby", zincrbyCommand)
	register("zscore", zscoreCommand)
	register("zmscore", zmscoreCommand)
	register("zcard", zcardCommand)
	register("zrem", zremCommand)
	register("zrank", func(s *Shard, a Args, w *proto.Writer) { s.zrankCommand(a, false, w) })
	register("zrevrank", func(s *Shard, a Args, w *proto.Writer) { s.zrankCommand(a, true, w) })
	register("zcount", zcountCommand)
	register("zlexcount", zlexcountCommand)
	register("zrange", func(s *Shard, a Args, w *proto.Writer) { s.zrangeCommand(a, zrangeAuto, false, w) })
	register("zrevrange", func(s *Shard, a Args, w *proto.Writer) { s.zrangeCommand(a, zrangeRank, true, w) })
	register("zrangebyscore", func(s *Shard, a Args, w *proto.Writer) { s.zrangeCommand(a, zrangeScore, false, w) })
	register("zrevrangebyscore", func(s *Shard, a Args, w *proto.Writer) { s.zrangeCommand(a, zrangeScore, true, w) })
	register("zrangebylex", func(s *Shard, a Args, w *proto.Writer) { s.zrangeCommand(a, zrangeLex, false, w) })
	register("zrevrangebylex", func(s *Shard, a Args, w *proto.Writer) { s.zrangeCommand(a, zrangeLex, true, w) })
	register("zpopmin", func(s *Shard, a Args, w *proto.Writer) { s.zpopCommand(a, false, w) })
	register("zpopmax", func(s *Shard, a Args, w *proto.Writer) { s.zpopCommand(a, true, w) })
	register("zremrangebyrank", func(s *Shard, a Args, w *proto.Writer) { s.zremrangeCommand(a, zrangeRank, w) })
	register("zremrangebyscore", func(s *Shard, a Args, w *proto.Writer) { s.zremrangeCommand(a, zrangeScore, w) })
	register("zremrangebylex", func(s *Shard, a Args, w *proto.Writer) { s.zremrangeCommand(a, zrangeLex, w) })
	register("zscan", zscanCommand)
	register("zrangestore", zrangestoreCommand)
	register("zrandmember", zrandmemberCommand)
	register("zmpop", zmpopCommand)
	register("zunion", func(s *Shard, a Args, w *proto.Writer) { s.zalgebraCommand(a, ZUnion, false, w) })
	register("zinter", func(s *Shard, a Args, w *proto.Writer) { s.zalgebraCommand(a, ZInter, false, w) })
	register("zdiff", func(s *Shard, a Args, w *proto.Writer) { s.zalgebraCommand(a, ZDiff, false, w) })
	register("zunionstore", func(s *Shard, a Args, w *proto.Writer) { s.zalgebraCommand(a, ZUnion, true, w) })
	register("zinterstore", func(s *Shard, a Args, w *proto.Writer) { s.zalgebraCommand(a, ZInter, true, w) })
	register("zdiffstore", func(s *Shard, a Args, w *proto.Writer) { s.zalgebraCommand(a, ZDiff, true, w) })
	register("zintercard", zintercardCommand)
}

// parseScore parses a score as Redis does with strtod: decimal or hex, inf and
// infinity with an optional sign; no spaces, no NaN, no overflow or underflow to zero.
func parseScore(b []byte) (float64, bool) {
	if len(b) == 0 || b[0] == ' ' || (b[0] >= '\t' && b[0] <= '\r') || bytes.IndexByte(b, '_') >= 0 {
		return 0, false
	}
	s := proto.String(b)
	body := strings.TrimLeft(s, "+-")
	if len(body) > 2 && (body[:2] == "0x" || body[:2] == "0X") && !strings.ContainsAny(body, "pP") {
		s += "p0"
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	if f == 0 && underflows(body) {
		return 0, false
	}
	return f, true
}

// underflows reports whether a number whose value parsed as zero has a nonzero digit
// in its mantissa, so strtod would report a range error.
func underflows(body string) bool {
	if len(body) > 2 && (body[:2] == "0x" || body[:2] == "0X") {
		body = body[2:]
		if i := strings.IndexAny(body, "pP"); i >= 0 {
			body = body[:i]
		}
	} else if i := strings.IndexAny(body, "eE"); i >= 0 {
		body = body[:i]
	}
	return strings.Trim(body, "0.") != ""
}

// scoreRange is a ZRANGEBYSCORE range: min and max, each inclusive or not.
type scoreRange struct {
	min, max     float64
	minEx, maxEx bool
}

// parseScoreBound parses a score range bound: a score, "(" before it for exclusive.
func parseScoreBound(b []byte) (v float64, exclusive, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		exclusive = true
		b = b[1:]
	}
	v, ok = parseRangeScore(b)
	return v, exclusive, ok
}

// parseRangeScore parses a score range bound as Redis does, with a laxer strtod than
// parseScore's: leading spaces are skipped, an empty string is 0, and values out of
// range become infinities or zero. NaN is refused.
func parseRangeScore(b []byte) (float64, bool) {
	for len(b) > 0 && (b[0] == ' ' || (b[0] >= '\t' && b[0] <= '\r')) {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, true
	}
	if bytes.IndexByte(b, '_') >= 0 {
		return 0, false
	}
	s := proto.String(b)
	body := strings.TrimLeft(s, "+-")
	if len(body) > 2 && (body[:2] == "0x" || body[:2] == "0X") && !strings.ContainsAny(body, "pP") {
		s += "p0"
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !(errors.Is(err, strconv.ErrRange)) {
		return 0, false
	}
	return f, !math.IsNaN(f)
}

func parseScoreRange(lo, hi []byte) (r scoreRange, ok bool) {
	var ok1, ok2 bool
	r.min, r.minEx, ok1 = parseScoreBound(lo)
	r.max, r.maxEx, ok2 = parseScoreBound(hi)
	return r, ok1 && ok2
}

func (r *scoreRange) below(_ []byte, sc float64) bool {
	return sc < r.min || (r.minEx && sc == r.min)
}

func (r *scoreRange) notAbove(_ []byte, sc float64) bool {
	return sc < r.max || (!r.maxEx && sc == r.max)
}

// lexBound is a ZRANGEBYLEX bound: "-" (inf < 0), "+" (inf > 0), or "[" or "(" then a
// value.
type lexBound struct {
	inf       int
	exclusive bool
	v         []byte
}

func parseLexBound(b []byte) (lexBound, bool) {
	if len(b) == 0 {
		return lexBound{}, false
	}
	switch b[0] {
	case '-', '+':
		if len(b) != 1 {
			return lexBound{}, false
		}
		if b[0] == '-' {
			return lexBound{inf: -1}, true
		}
		return lexBound{inf: 1}, true
	case '[':
		return lexBound{v: b[1:]}, true
	case '(':
		return lexBound{v: b[1:], exclusive: true}, true
	}
	return lexBound{}, false
}

// lexRange is a ZRANGEBYLEX range.
type lexRange struct{ min, max lexBound }

func parseLexRange(lo, hi []byte) (r lexRange, ok bool) {
	var ok1, ok2 bool
	r.min, ok1 = parseLexBound(lo)
	r.max, ok2 = parseLexBound(hi)
	return r, ok1 && ok2
}

func (r *lexRange) below(m []byte, _ float64) bool {
	switch r.min.inf {
	case -1:
		return false
	case 1:
		return true
	}
	c := bytes.Compare(m, r.min.v)
	return c < 0 || (r.min.exclusive && c == 0)
}

func (r *lexRange) notAbove(m []byte, _ float64) bool {
	switch r.max.inf {
	case -1:
		return false
	case 1:
		return true
	}
	c := bytes.Compare(m, r.max.v)
	return c < 0 || (!r.max.exclusive && c == 0)
}

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
func zaddCommand(s *Shard, a Args, w *proto.Writer) {
	var nx, xx, gt, lt, ch, incr bool
	i := 2
	for ; i < len(a); i++ {
		switch {
		case eqFold(a[i], "nx"):
			nx = true
		case eqFold(a[i], "xx"):
			xx = true
		case eqFold(a[i], "gt"):
			gt = true
		case eqFold(a[i], "lt"):
			lt = true
		case eqFold(a[i], "ch"):
			ch = true
		case eqFold(a[i], "incr"):
			incr = true
		default:
			goto pairs
		}
	}
pairs:
	n := len(a) - i
	switch {
	case n == 0 || n%2 != 0:
		w.Error(proto.ErrSyntax)
		return
	case nx && xx:
		w.Error(proto.ErrZaddNXXX)
		return
	case (gt && nx) || (lt && nx) || (gt && lt):
		w.Error(proto.ErrZaddGTLTNX)
		return
	case incr && n > 2:
		w.Error(proto.ErrZaddIncrPair)
		return
	}
	scores := make([]float64, n/2)
	for j := range scores {
		f, ok := parseScore(a[i+2*j])
		if !ok {
			w.Error(proto.ErrNotFloat)
			return
		}
		scores[j] = f
	}
	z, ok := s.writeZSet(a[1], w)
	if !ok {
		return
	}
	if z == nil {
		if xx {
			if incr {
				w.Null()
			} else {
				w.Int(0)
			}
			return
		}
		maxLen := 0
		for j := range scores {
			maxLen = max(maxLen, len(a[i+2*j+1]))
		}
		z = newZSetFor(len(scores), maxLen, s.zsetLimits())
		s.db.insert(a[1], Object{Type: TypeZSet, Coll: z, Access: s.clock()})
		s.notify(NotifyNew, "new", a[1])
	}
	lim := s.zsetLimits()
	added, updated := 0, 0
	var result float64
	processed := false
	for j, sc := range scores {
		r := z.add(a[i+2*j+1], sc, zaddFlags{nx: nx, xx: xx, gt: gt, lt: lt, incr: incr}, lim)
		switch r.outcome {
		case zaddNaN:
			s.afterZSetWrite(a[1], z)
			w.Error(proto.ErrZaddNaN)
			return
		case zaddAdded:
			added++
		case zaddUpdated:
			updated++
		}
		if r.outcome != zaddNop {
			processed = true
		}
		result = r.score
	}
	s.dirty += int64(added + updated)
	if added+updated > 0 {
		s.notify(NotifyZSet, listEvent(incr, "zincr", "zadd"), a[1])
	}
	s.afterZSetWrite(a[1], z)
	switch {
	case incr && processed:
		w.Double(result)
	case incr:
		w.Null()
	case ch:
		w.Int(int64(added + updated))
	default:
		w.Int(int64(added))
	}
}

// zaddFlags are ZADD's options.
type zaddFlags struct{ nx, xx, gt, lt, incr bool }

type zaddOutcome uint8

const (
	zaddNop zaddOutcome = iota
	zaddAdded
	zaddUpdated
	zaddSame // the member exists and keeps its score
	zaddNaN
)

type zaddResult struct {
	outcome zaddOutcome
	score   float64
}

// add applies one ZADD pair to z.
func (z *ZSet) add(member []byte, score float64, f zaddFlags, lim zsetLimits) zaddResult {
	cur, exists := z.score(member)
	if !exists {
		if f.xx {
			return zaddResult{outcome: zaddNop}
		}
		z.insert(member, score, lim)
		return zaddResult{outcome: zaddAdded, score: score}
	}
	if f.nx {
		return zaddResult{outcome: zaddNop}
	}
	if f.incr {
		score += cur
		if math.IsNaN(score) {
			return zaddResult{outcome: zaddNaN}
		}
	}
	if (f.lt && score >= cur) || (f.gt && score <= cur) {
		return zaddResult{outcome: zaddNop}
	}
	if score == cur {
		return zaddResult{outcome: zaddSame, score: score}
	}
	if z.tree != nil {
		z.tree.update(member, cur, score)
		return zaddResult{outcome: zaddUpdated, score: score}
	}
	z.remove(member)
	z.insert(member, score, lim)
	return zaddResult{outcome: zaddUpdated, score: score}
}

// ZINCRBY key increment member
func zincrbyCommand(s *Shard, a Args, w *proto.Writer) {
	incr, ok := parseScore(a[2])
	if !ok {
		w.Error(proto.ErrNotFloat)
		return
	}
	z, ok := s.writeZSet(a[1], w)
	if !ok {
		return
	}
	if z == nil {
		z = newZSetFor(1, len(a[3]), s.zsetLimits())
		s.db.insert(a[1], Object{Type: TypeZSet, Coll: z, Access: s.clock()})
		s.notify(NotifyNew, "new", a[1])
	}
	r := z.add(a[3], incr, zaddFlags{incr: true}, s.zsetLimits())
	if r.outcome != zaddNaN {
		s.notify(NotifyZSet, "zincr", a[1])
	}
	s.afterZSetWrite(a[1], z)
	if r.outcome == zaddNaN {
		w.Error(proto.ErrZaddNaN)
		return
	}
	s.dirty++
	w.Double(r.score)
}

// ZSCORE key member
func zscoreCommand(s *Shard, a Args, w *proto.Writer) {
	z, ok := s.readZSet(a[1], w)
	if !ok {
		return
	}
	if z == nil {
		w.Null()
		return
	}
	if sc, found := z.score(a[2]); found {
		w.Double(sc)
	} else {
		w.Null()
	}
}

// ZMSCORE key member [member ...]
func zmscoreCommand(s *Shard, a Args, w *proto.Writer) {
	z, ok := s.readZSet(a[1], w)
	if !ok {
		return
	}
	w.Array(len(a) - 2)
	for _, m := range a[2:] {
		if z == nil {
			w.Null()
			continue
		}
		if sc, found := z.score(m); found {
			w.Double(sc)
		} else {
			w.Null()
		}
	}
}

// ZCARD key
func zcardCommand(s *Shard, a Args, w *proto.Writer) {
	z, ok := s.readZSet(a[1], w)
	switch {
	case !ok:
	case z == nil:
		w.Int(0)
	default:
		w.Int(int64(z.Len()))
	}
}

// ZREM key member [member ...]
func zremCommand(s *Shard, a Args, w *proto.Writer) {
	z, ok := s.writeZSet(a[1], w)
	if !ok {
		return
	}
	if z == nil {
		w.Int(0)
		return
	}
	s.removeEach(a[1], a[2:], z.remove, z.Len, NotifyZSet, "zrem", w)
	s.afterZSetWrite(a[1], z)
}

// ZRANK key member [WITHSCORE] and ZREVRANK key member [WITHSCORE]
//
// WITHSCORE is Redis 7.2's: the reply becomes [rank, score], or a null array.
func (s *Shard) zrankCommand(a Args, reverse bool, w *proto.Writer) {
	withScore := false
	switch {
	case len(a) == 4 && eqFold(a[3], "withscore"):
		withScore = true
	case len(a) > 3:
		w.Error(proto.ErrSyntax)
		return
	}
	z, ok := s.readZSet(a[1], w)
	if !ok {
		return
	}
	var r int
	found := false
	if z != nil {
		r, found = z.rank(a[2])
	}
	switch {
	case !found && withScore:
		w.NullArray()
	case !found:
		w.Null()
	default:
		if reverse {
			r = z.Len() - 1 - r
		}
		if !withScore {
			w.Int(int64(r))
			return
		}
		sc, _ := z.score(a[2])
		w.Array(2)
		w.Int(int64(r))
		w.Double(sc)
	}
}

// ZCOUNT key min max
func zcountCommand(s *Shard, a Args, w *proto.Writer) {
	r, ok := parseScoreRange(a[2], a[3])
	if !ok {
		w.Error(proto.ErrMinMaxFloat)
		return
	}
	z, ok := s.readZSet(a[1], w)
	if !ok {
		return
	}
	if z == nil {
		w.Int(0)
		return
	}
	lo, hi := z.prefix(r.below), z.prefix(r.notAbove)
	w.Int(int64(max(hi-lo, 0)))
}

// ZLEXCOUNT key min max
func zlexcountCommand(s *Shard, a Args, w *proto.Writer) {
	r, ok := parseLexRange(a[2], a[3])
	if !ok {
		w.Error(proto.ErrMinMaxLex)
		return
	}
	z, ok := s.readZSet(a[1], w)
	if !ok {
		return
	}
	if z == nil {
		w.Int(0)
		return
	}
	lo, hi := z.prefix(r.below), z.prefix(r.notAbove)
	w.Int(int64(max(hi-lo, 0)))
}

// zrangeKind is how a range command reads its min and max arguments.
type zrangeKind uint8

const (
	zrangeAuto zrangeKind = iota // ZRANGE: rank unless BYSCORE or BYLEX
	zrangeRank
	zrangeScore
	zrangeLex
)

// ZRange is a parsed range request of ZRANGE and its legacy forms, ready to run
// against any sorted set.
type ZRange struct {
	kind       zrangeKind
	reverse    bool
	withScores bool
	offset     int64
	count      int64 // < 0: no limit
	start, end int64
	score      scoreRange
	lex        lexRange
}

// parseZRange parses the arguments of a range command from a[first] (min) on; kind is
// fixed by the legacy commands and zrangeAuto for ZRANGE and ZRANGESTORE. On a bad
// argument errMsg is Redis's error text, the checks in Redis's order.
func parseZRange(a Args, first int, kind zrangeKind, reverse bool) (r ZRange, errMsg string) {
	r.kind, r.reverse, r.count = kind, reverse, -1
	limited := false
	fixedDir := kind != zrangeAuto
	for j := first + 2; j < len(a); j++ {
		left := len(a) - j - 1
		switch {
		case eqFold(a[j], "withscores"):
			r.withScores = true
		case eqFold(a[j], "limit") && left >= 2:
			off, ok1 := parseInt(a[j+1])
			if !ok1 {
				return r, proto.ErrNotInt
			}
			cnt, ok2 := parseInt(a[j+2])
			if !ok2 {
				return r, proto.ErrNotInt
			}
			r.offset, r.count, limited = off, cnt, true
			j += 2
		case !fixedDir && !r.reverse && eqFold(a[j], "rev"):
			r.reverse = true
		case r.kind == zrangeAuto && eqFold(a[j], "bylex"):
			r.kind = zrangeLex
		case r.kind == zrangeAuto && eqFold(a[j], "byscore"):
			r.kind = zrangeScore
		default:
			return r, proto.ErrSyntax
		}
	}
	if r.kind == zrangeAuto {
		r.kind = zrangeRank
	}
	if limited && r.kind == zrangeRank {
		return r, proto.ErrZrangeLimit
	}
	if r.withScores && r.kind == zrangeLex {
		return r, proto.ErrZrangeLexScores
	}
	lo, hi := a[first], a[first+1]
	if r.reverse && r.kind != zrangeRank {
		lo, hi = hi, lo
	}
	var ok bool
	switch r.kind {
	case zrangeRank:
		var ok2 bool
		r.start, ok = parseInt(lo)
		r.end, ok2 = parseInt(hi)
		if !ok || !ok2 {
			return r, proto.ErrNotInt
		}
	case zrangeScore:
		if r.score, ok = parseScoreRange(lo, hi); !ok {
			return r, proto.ErrMinMaxFloat
		}
	case zrangeLex:
		if r.lex, ok = parseLexRange(lo, hi); !ok {
			return r, proto.ErrMinMaxLex
		}
	}
	return r, ""
}

// bounds returns the ranks [lo, hi) of the members of z in r, ignoring LIMIT.
func (r *ZRange) bounds(z *ZSet) (lo, hi int) {
	n := z.Len()
	switch r.kind {
	case zrangeScore:
		lo, hi = z.prefix(r.score.below), z.prefix(r.score.notAbove)
	case zrangeLex:
		lo, hi = z.prefix(r.lex.below), z.prefix(r.lex.notAbove)
	default:
		start, end := rankWindow(r.start, r.end, n)
		if start > end {
			return 0, 0
		}
		if r.reverse {
			return n - 1 - int(end), n - int(start)
		}
		return int(start), int(end) + 1
	}
	if hi < lo {
		return 0, 0
	}
	return lo, hi
}

// rankWindow normalizes start and end indexes as Redis does (negative from the end,
// clamped); start > end means an empty window.
func rankWindow(start, end int64, n int) (int64, int64) {
	if start < 0 {
		start += int64(n)
	}
	if end < 0 {
		end += int64(n)
	}
	start = max(start, 0)
	if start > end || start >= int64(n) {
		return 1, 0
	}
	return start, min(end, int64(n)-1)
}

// pick returns the first rank to walk and how many members, in r's direction, after
// applying LIMIT.
func (r *ZRange) pick(z *ZSet) (first, k int) {
	lo, hi := r.bounds(z)
	k = hi - lo
	if r.kind != zrangeRank {
		if r.offset < 0 || r.offset >= int64(k) {
			return 0, 0
		}
		k -= int(r.offset)
		if r.count >= 0 && r.count < int64(k) {
			k = int(r.count)
		}
		lo += int(r.offset)
		hi -= int(r.offset)
	}
	if k <= 0 {
		return 0, 0
	}
	if r.reverse {
		return hi - 1, k
	}
	return lo, k
}

// Run writes the members of z (nil: none) that r selects, with their scores when
// asked: an array, of [member, score] pairs in RESP3.
func (r *ZRange) Run(z *ZSet, w *proto.Writer) {
	if z == nil {
		w.Array(0)
		return
	}
	first, k := r.pick(z)
	writeZRange(w, z, first, k, r.reverse, r.withScores, true)
}

// writeZRange writes k members of z from rank first in one direction; with scores,
// nested pairs in RESP3 when nested is set, and flat otherwise.
func writeZRange(w *proto.Writer, z *ZSet, first, k int, reverse, withScores, nested bool) {
	switch {
	case !withScores:
		w.Array(k)
	case w.RESP3() && nested:
		w.Array(k)
	default:
		w.Array(2 * k)
	}
	if k == 0 {
		return
	}
	z.walk(first, reverse, func(m []byte, sc float64) bool {
		if withScores && w.RESP3() && nested {
			w.Array(2)
		}
		w.Bulk(m)
		if withScores {
			w.Double(sc)
		}
		k--
		return k > 0
	})
}

// zrangeCommand runs ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count]
// [WITHSCORES] and the legacy ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX and
// ZREVRANGEBYLEX, which fix the kind and direction.
func (s *Shard) zrangeCommand(a Args, kind zrangeKind, reverse bool, w *proto.Writer) {
	r, errMsg := parseZRange(a, 2, kind, reverse)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	z, ok := s.readZSet(a[1], w)
	if ok {
		r.Run(z, w)
	}
}

// ZPOPMIN key [count] and ZPOPMAX key [count]
func (s *Shard) zpopCommand(a Args, max bool, w *proto.Writer) {
	count := int64(1)
	if len(a) > 3 {
		w.Error(proto.ErrSyntax)
		return
	}
	if len(a) == 3 {
		n, ok := parseInt(a[2])
		if !ok || n < 0 {
			w.Error(proto.ErrMustBePositive)
			return
		}
		count = n
	}
	z, ok := s.writeZSet(a[1], w)
	if !ok {
		return
	}
	if z == nil || count == 0 {
		w.Array(0)
		return
	}
	s.ZPop(a[1], z, int(min(count, int64(z.Len()))), max, len(a) == 3, w)
}

// ZPop removes k members (1 <= k <= Len) from one end of z, the sorted set at key, and
// writes them with their scores: as [member, score] pairs in RESP3 when nested is set,
// flat otherwise.
func (s *Shard) ZPop(key []byte, z *ZSet, k int, fromMax, nested bool, w *proto.Writer) {
	first := 0
	if fromMax {
		first = z.Len() - 1
	}
	writeZRange(w, z, first, k, fromMax, true, nested)
	if fromMax {
		z.removeRange(z.Len()-k, k)
	} else {
		z.removeRange(0, k)
	}
	s.dirty += int64(k)
	s.notify(NotifyZSet, listEvent(fromMax, "zpopmax", "zpopmin"), key)
	s.afterZSetWrite(key, z)
}

// zremrangeCommand runs ZREMRANGEBYRANK key start stop, ZREMRANGEBYSCORE key min max
// and ZREMRANGEBYLEX key min max.
func (s *Shard) zremrangeCommand(a Args, kind zrangeKind, w *proto.Writer) {
	r := ZRange{kind: kind, count: -1}
	var ok bool
	switch kind {
	case zrangeRank:
		var ok2 bool
		r.start, ok = parseInt(a[2])
		r.end, ok2 = parseInt(a[3])
		if !ok || !ok2 {
			w.Error(proto.ErrNotInt)
			return
		}
	case zrangeScore:
		if r.score, ok = parseScoreRange(a[2], a[3]); !ok {
			w.Error(proto.ErrMinMaxFloat)
			return
		}
	case zrangeLex:
		if r.lex, ok = parseLexRange(a[2], a[3]); !ok {
			w.Error(proto.ErrMinMaxLex)
			return
		}
	}
	z, ok := s.writeZSet(a[1], w)
	if !ok {
		return
	}
	if z == nil {
		w.Int(0)
		return
	}
	lo, hi := r.bounds(z)
	z.removeRange(lo, hi-lo)
	s.dirty += int64(hi - lo)
	if hi > lo {
		s.notify(NotifyZSet, zremrangeEvents[kind], a[1])
	}
	s.afterZSetWrite(a[1], z)
	w.Int(int64(hi - lo))
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]
//
// A listpack returns every member and cursor 0 at once, as Redis does. The large
// encoding is walked by rank, COUNT members a call; the cursor is the next rank plus one. Members
// that move between calls may be missed or repeated, which SCAN's contract allows only
// for elements changed during the scan.
func zscanCommand(s *Shard, a Args, w *proto.Writer) {
	cursor, ok := parseScanCursor(a[2])
	if !ok {
		w.Error(proto.ErrCursor)
		return
	}
	z, ok := s.readZSet(a[1], w)
	if !ok {
		return
	}
	if z == nil {
		w.Array(2)
		w.BulkString("0")
		w.Array(0)
		return
	}
	// As in Redis, a missing key answers an empty scan before the options are read.
	count, pattern, errMsg := parseScanOptions(a, 3)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	var found [][]byte
	var scores []float64
	next := uint64(0)
	start, end := 0, z.Len()
	if z.tree != nil {
		if cursor > 0 {
			start = int(min(cursor-1, uint64(end)))
		}
		if start+count < end {
			end = start + count
			next = uint64(end) + 1
		}
	}
	if start < end {
		k := end - start
		z.walk(start, false, func(m []byte, sc float64) bool {
			if pattern == nil || Match(pattern, m, false) {
				found = append(found, Own(m))
				scores = append(scores, sc)
			}
			k--
			return k > 0
		})
	}
	w.Array(2)
	var num [20]byte
	w.Bulk(strconv.AppendUint(num[:0], next, 10))
	w.Array(2 * len(found))
	var sbuf [32]byte
	for i, m := range found {
		w.Bulk(m)
		w.Bulk(proto.AppendDouble(sbuf[:0], scores[i]))
	}
}

// readZSet looks key up for a read command on a sorted set: z is nil when the key does
// not exist. On a value of another type it writes WRONGTYPE and returns false.
func (s *Shard) readZSet(key []byte, w *proto.Writer) (z *ZSet, ok bool) {
	return lookupColl[*ZSet](s, key, TypeZSet, true, w)
}

// writeZSet is readZSet for write commands (no hit or miss is counted).
func (s *Shard) writeZSet(key []byte, w *proto.Writer) (z *ZSet, ok bool) {
	return lookupColl[*ZSet](s, key, TypeZSet, false, w)
}

// afterZSetWrite checks z's invariants when listChecks is on and deletes key when z,
// its sorted set, is empty.
func (s *Shard) afterZSetWrite(key []byte, z *ZSet) {
	if listChecks {
		z.mustBeValid()
	}
	if z.Len() > 0 {
		// Clients blocked in BZPOPMIN and friends may now be served.
		s.listReady(key)
		return
	}
	if i, ok := s.db.find(key); ok {
		s.db.removeAt(i)
		s.notify(NotifyGeneric, "del", key)
	}
}

// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
func zrangestoreCommand(s *Shard, a Args, w *proto.Writer) {
	r, errMsg := ParseZRangeStore(a)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	res, wrongType := s.ZRangeResult(a[2], &r)
	if wrongType {
		w.Error(proto.ErrWrongType)
		return
	}
	n := s.ZSetStore(a[1], res)
	if n > 0 {
		s.notify(NotifyZSet, "zrangestore", a[1])
	}
	w.Int(int64(n))
}

// ParseZRangeStore parses ZRANGESTORE's range arguments, which take no WITHSCORES.
func ParseZRangeStore(a Args) (ZRange, string) {
	r, errMsg := parseZRange(a, 3, zrangeAuto, false)
	if errMsg == "" && r.withScores {
		errMsg = proto.ErrSyntax
	}
	return r, errMsg
}

// ZRangeResult returns a new sorted set, which the caller owns, holding the members of
// the sorted set at key that r selects, or nil when there are none. wrongType is true
// when key holds another type. Its encoding follows the thresholds as if the members
// had been added one by one.
func (s *Shard) ZRangeResult(key []byte, r *ZRange) (res *ZSet, wrongType bool) {
	e, found := s.read(key)
	if !found {
		return nil, false
	}
	if e.Type != TypeZSet {
		return nil, true
	}
	z := e.Coll.(*ZSet)
	first, k := r.pick(z)
	if k == 0 {
		return nil, false
	}
	lim := s.zsetLimits()
	res = newZSetFor(1, 0, lim)
	z.walk(first, r.reverse, func(m []byte, sc float64) bool {
		res.insert(m, sc, lim)
		k--
		return k > 0
	})
	return res, false
}

// ZSetStore stores z under key, replacing any value and its TTL, and returns its size.
// The shard takes ownership of z. A nil or empty z deletes key instead.
func (s *Shard) ZSetStore(key []byte, z *ZSet) int {
	if z == nil || z.Len() == 0 {
		if s.remove(key) {
			s.notify(NotifyGeneric, "del", key)
		}
		return 0
	}
	s.put(key, Object{Type: TypeZSet, Coll: z})
	s.listReady(key)
	return z.Len()
}

// ZRANDMEMBER key [count [WITHSCORES]]
func zrandmemberCommand(s *Shard, a Args, w *proto.Writer) {
	if len(a) == 2 {
		z, ok := s.readZSet(a[1], w)
		switch {
		case !ok:
		case z == nil:
			w.Null()
		default:
			z.walk(z.randomRank(), false, func(m []byte, _ float64) bool {
				w.Bulk(m)
				return false
			})
		}
		return
	}
	count, withScores, errMsg := parseRandCount(a, "withscores")
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	z, ok := s.readZSet(a[1], w)
	if !ok {
		return
	}
	if z == nil || count == 0 {
		w.Array(0)
		return
	}
	size := z.Len()
	var ranks []int
	k := int(min(max(count, -count), math.MaxInt))
	switch {
	case count < 0:
		// Drawn one at a time as they are written: -count may be huge.
	case count >= int64(size):
		writeZRange(w, z, 0, size, false, withScores, true)
		return
	default:
		ranks = randomPositions(size, int(count))
	}
	switch {
	case withScores && !w.RESP3():
		w.Array(2 * k)
	default:
		w.Array(k)
	}
	for i := range k {
		r := z.randomRank()
		if ranks != nil {
			r = ranks[i]
		}
		z.walk(r, false, func(m []byte, sc float64) bool {
			if withScores && w.RESP3() {
				w.Array(2)
			}
			w.Bulk(m)
			if withScores {
				w.Double(sc)
			}
			return false
		})
	}
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
func zmpopCommand(s *Shard, a Args, w *proto.Writer) {
	keys, fromMax, count, errMsg := ParseZMPop(a, 1)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	for _, key := range keys {
		z, ok := s.writeZSet(key, w)
		if !ok {
			return
		}
		if z == nil {
			continue
		}
		members, scores := s.ZPopItems(key, fromMax, count)
		WriteZMPop(w, key, members, scores)
		return
	}
	w.NullArray()
}

// ZPopItems is ZMPOP's step on the shard holding key, a sorted set: it pops up to
// count members from one end and returns copies of them with their scores.
func (s *Shard) ZPopItems(key []byte, fromMax bool, count int) (members [][]byte, scores []float64) {
	e, found := s.write(key)
	if !found || e.Type != TypeZSet {
		return nil, nil
	}
	z := e.Coll.(*ZSet)
	k := min(count, z.Len())
	first := 0
	if fromMax {
		first = z.Len() - 1
	}
	left := k
	z.walk(first, fromMax, func(m []byte, sc float64) bool {
		members = append(members, Own(m))
		scores = append(scores, sc)
		left--
		return left > 0
	})
	if fromMax {
		z.removeRange(z.Len()-k, k)
	} else {
		z.removeRange(0, k)
	}
	s.dirty += int64(k)
	if k > 0 {
		s.notify(NotifyZSet, listEvent(fromMax, "zpopmax", "zpopmin"), key)
	}
	s.afterZSetWrite(key, z)
	return members, scores
}

// WriteZMPop writes ZMPOP's reply for members popped from key: [key, [[member,
// score], ...]].
func WriteZMPop(w *proto.Writer, key []byte, members [][]byte, scores []float64) {
	w.Array(2)
	w.Bulk(key)
	w.Array(len(members))
	for i, m := range members {
		w.Array(2)
		w.Bulk(m)
		w.Double(scores[i])
	}
}

// ZSetCheck reports whether key exists and whether it holds another type than a
// sorted set.
func (s *Shard) ZSetCheck(key []byte) (exists, wrongType bool) {
	e, found := s.write(key)
	if !found {
		return false, false
	}
	return true, e.Type != TypeZSet
}

// ParseZMPop parses numkeys key [key ...] MIN|MAX [COUNT count] with numkeys at
// a[numkeysAt]. keys alias a. The checks run in Redis's order.
func ParseZMPop(a Args, numkeysAt int) (keys [][]byte, fromMax bool, count int, errMsg string) {
	numkeys, ok := parseInt(a[numkeysAt])
	if !ok || numkeys <= 0 {
		return nil, false, 0, proto.ErrNumkeysPositive
	}
	endAt := int64(numkeysAt) + numkeys + 1
	if numkeys >= int64(len(a)) || endAt >= int64(len(a)) {
		return nil, false, 0, proto.ErrSyntax
	}
	switch {
	case eqFold(a[endAt], "min"):
	case eqFold(a[endAt], "max"):
		fromMax = true
	default:
		return nil, false, 0, proto.ErrSyntax
	}
	count = -1
	for j := int(endAt) + 1; j < len(a); j++ {
		if count == -1 && eqFold(a[j], "count") && j+1 < len(a) {
			j++
			c, ok := parseInt(a[j])
			if !ok || c <= 0 {
				return nil, false, 0, proto.ErrCountPositive
			}
			count = int(min(c, math.MaxInt32))
			continue
		}
		return nil, false, 0, proto.ErrSyntax
	}
	if count == -1 {
		count = 1
	}
	return a[numkeysAt+1 : endAt], fromMax, count, ""
}

// ZSetOp is a sorted set algebra operation.
type ZSetOp uint8

// The operations of ZUNION, ZINTER and ZDIFF.
const (
	ZUnion ZSetOp = iota
	ZInter
	ZDiff
)

// ZAggregate says how ZUNION and ZINTER combine the scores of a member found in
// several inputs.
type ZAggregate uint8

// The AGGREGATE options.
const (
	ZAggSum ZAggregate = iota
	ZAggMin
	ZAggMax
)

// ZOpArgs are the parsed options of ZUNION, ZINTER, ZDIFF, their STORE forms and
// ZINTERCARD. Keys alias the arguments.
type ZOpArgs struct {
	Op         ZSetOp
	Keys       [][]byte
	Weights    []float64
	Agg        ZAggregate
	WithScores bool
	Limit      int // ZINTERCARD's LIMIT; 0: none
}

// ParseZOpKeys reads numkeys at a[numkeysAt] and returns the keys after it. On a bad
// count errMsg is Redis's error text for command cmd (lower case).
func ParseZOpKeys(a Args, numkeysAt int, cmd string) (keys [][]byte, errMsg string) {
	n, ok := parseInt(a[numkeysAt])
	switch {
	case !ok:
		return nil, proto.ErrNotInt
	case n < 1:
		return nil, fmt.Sprintf(proto.ErrZNumkeysFmt, cmd)
	case n > int64(len(a)-numkeysAt-1):
		return nil, proto.ErrSyntax
	}
	return a[numkeysAt+1 : numkeysAt+1+int(n)], ""
}

// ParseZOpOptions parses what follows the keys: WEIGHTS and AGGREGATE (not for ZDIFF
// or ZINTERCARD), WITHSCORES (not for the STORE forms), LIMIT (ZINTERCARD only). Redis
// reads them after checking the keys' types, and so must callers.
func ParseZOpOptions(a Args, numkeysAt int, op ZSetOp, store, card bool) (o ZOpArgs, errMsg string) {
	o.Op = op
	o.Keys = a[numkeysAt+1 : numkeysAt+1+int(atoiPositive(a[numkeysAt]))]
	n := len(o.Keys)
	for j := numkeysAt + 1 + n; j < len(a); j++ {
		left := len(a) - j - 1
		switch {
		case card && eqFold(a[j], "limit") && left >= 1:
			l, ok := parseInt(a[j+1])
			if !ok || l < 0 {
				return o, proto.ErrLimitNegative
			}
			o.Limit = int(min(l, math.MaxInt))
			j++
		case !card && op != ZDiff && eqFold(a[j], "weights") && left >= n:
			o.Weights = make([]float64, n)
			for i := range n {
				f, ok := parseScore(a[j+1+i])
				if !ok {
					return o, proto.ErrWeightNotFloat
				}
				o.Weights[i] = f
			}
			j += n
		case !card && op != ZDiff && eqFold(a[j], "aggregate") && left >= 1:
			switch {
			case eqFold(a[j+1], "sum"):
				o.Agg = ZAggSum
			case eqFold(a[j+1], "min"):
				o.Agg = ZAggMin
			case eqFold(a[j+1], "max"):
				o.Agg = ZAggMax
			default:
				return o, proto.ErrSyntax
			}
			j++
		case !card && !store && eqFold(a[j], "withscores"):
			o.WithScores = true
		default:
			return o, proto.ErrSyntax
		}
	}
	return o, ""
}

// atoiPositive reads a count ParseZOpKeys already accepted.
func atoiPositive(b []byte) int64 {
	n, _ := parseInt(b)
	return n
}

// zsetFromSet returns a sorted set holding the members of st, each scored 1, as
// ZUNION and friends read a set.
func zsetFromSet(st *Set) *ZSet {
	z := &ZSet{tree: newZTree()}
	st.each(func(m []byte) bool {
		z.tree.insert(Own(m), 1)
		return true
	})
	return z
}

// zsource looks up an input of the algebra commands: a sorted set (aliasing the
// shard's), a set read as one, or nil for a missing key; wrongType otherwise.
func (s *Shard) zsource(key []byte) (z *ZSet, wrongType bool) {
	e, found := s.read(key)
	if !found {
		return nil, false
	}
	switch e.Type {
	case TypeZSet:
		return e.Coll.(*ZSet), false
	case TypeSet:
		return zsetFromSet(e.Coll.(*Set)), false
	}
	return nil, true
}

// ZSourceClone is zsource for the coordinator: the sorted set it returns is a copy the
// caller owns. It counts a hit or a miss.
func (s *Shard) ZSourceClone(key []byte) (z *ZSet, wrongType bool) {
	e, found := s.read(key)
	if !found {
		return nil, false
	}
	switch e.Type {
	case TypeZSet:
		return e.Coll.(*ZSet).Clone().(*ZSet), false
	case TypeSet:
		return zsetFromSet(e.Coll.(*Set)), false
	}
	return nil, true
}

// zweighted is one input with its weight.
type zweighted struct {
	z *ZSet
	w float64
}

func zaggregate(target *float64, v float64, agg ZAggregate) {
	switch agg {
	case ZAggSum:
		*target += v
		if math.IsNaN(*target) {
			*target = 0
		}
	case ZAggMin:
		*target = min(*target, v)
	case ZAggMax:
		*target = max(*target, v)
	}
}

func weighted(sc, w float64) float64 {
	v := sc * w
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// CombineZSets returns a new sorted set with the union, intersection or difference of
// srcs (nil: a missing key) under o's weights and aggregate, or nil when empty. Its
// encoding follows lim's settings like a set built member by member. It only reads
// srcs.
func CombineZSets(o *ZOpArgs, srcs []*ZSet, settings *Settings) *ZSet {
	lim := zsetLimits{
		entries: int(min(settings.ZSetMaxListpackEntries.Load(), 1<<30)),
		value:   int(min(settings.ZSetMaxListpackValue.Load(), 1<<30)),
	}
	in := make([]zweighted, len(srcs))
	for i, z := range srcs {
		in[i] = zweighted{z: z, w: 1}
		if o.Weights != nil {
			in[i].w = o.Weights[i]
		}
	}
	acc := map[string]float64{}
	var order []string
	switch o.Op {
	case ZUnion:
		sort.SliceStable(in, func(i, j int) bool { return zlen(in[i].z) < zlen(in[j].z) })
		for _, src := range in {
			if src.z == nil {
				continue
			}
			src.z.walk(0, false, func(m []byte, sc float64) bool {
				v := weighted(sc, src.w)
				if cur, ok := acc[string(m)]; ok {
					zaggregate(&cur, v, o.Agg)
					acc[string(m)] = cur
				} else {
					acc[string(m)] = v
					order = append(order, string(m))
				}
				return true
			})
		}
	case ZInter:
		sort.SliceStable(in, func(i, j int) bool { return zlen(in[i].z) < zlen(in[j].z) })
		if in[0].z == nil {
			return nil
		}
		in[0].z.walk(0, false, func(m []byte, sc float64) bool {
			v := weighted(sc, in[0].w)
			for _, other := range in[1:] {
				osc, ok := other.z.score(m)
				if !ok {
					return true
				}
				zaggregate(&v, weighted(osc, other.w), o.Agg)
			}
			acc[string(m)] = v
			order = append(order, string(m))
			return true
		})
	case ZDiff:
		if in[0].z == nil {
			return nil
		}
		in[0].z.walk(0, false, func(m []byte, sc float64) bool {
			for _, other := range in[1:] {
				if other.z != nil {
					if _, ok := other.z.score(m); ok {
						return true
					}
				}
			}
			acc[string(m)] = sc
			order = append(order, string(m))
			return true
		})
	}
	if len(order) == 0 {
		return nil
	}
	sort.Slice(order, func(i, j int) bool {
		return zless(acc[order[i]], []byte(order[i]), acc[order[j]], []byte(order[j]))
	})
	maxLen := 0
	for _, m := range order {
		maxLen = max(maxLen, len(m))
	}
	res := newZSetFor(len(order), maxLen, lim)
	for _, m := range order {
		res.appendLast([]byte(m), acc[m])
	}
	return res
}

func zlen(z *ZSet) int {
	if z == nil {
		return 0
	}
	return z.Len()
}

// appendLast adds member with score, which must sort after every member of z, in the
// encoding z has (the caller picked it for the final size).
func (z *ZSet) appendLast(member []byte, score float64) {
	if z.tree != nil {
		z.tree.insert(Own(member), score)
		return
	}
	n := lpLen(z.lp)
	var sbuf [32]byte
	z.lp = lpInsert(z.lp, len(z.lp)-1, n, member)
	z.lp = lpInsert(z.lp, len(z.lp)-1, n+1, appendScore(sbuf[:0], score))
}

// ZInterCard returns the number of members common to all srcs (nil: a missing key),
// counting no further than limit when limit > 0.
func ZInterCard(srcs []*ZSet, limit int) int {
	in := append([]*ZSet(nil), srcs...)
	sort.SliceStable(in, func(i, j int) bool { return zlen(in[i]) < zlen(in[j]) })
	if in[0] == nil {
		return 0
	}
	n := 0
	in[0].walk(0, false, func(m []byte, _ float64) bool {
		for _, other := range in[1:] {
			if _, ok := other.score(m); !ok {
				return true
			}
		}
		n++
		return limit <= 0 || n < limit
	})
	return n
}

// zalgebraCommand runs ZUNION, ZINTER and ZDIFF numkeys key [key ...] [options] and,
// with store, their STORE forms (destination a[1], numkeys a[2]) on one shard.
func (s *Shard) zalgebraCommand(a Args, op ZSetOp, store bool, w *proto.Writer) {
	numkeysAt := 1
	if store {
		numkeysAt = 2
	}
	keys, errMsg := ParseZOpKeys(a, numkeysAt, strings.ToLower(string(a[0])))
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	srcs := make([]*ZSet, len(keys))
	for i, k := range keys {
		z, wrong := s.zsource(k)
		if wrong {
			w.Error(proto.ErrWrongType)
			return
		}
		srcs[i] = z
	}
	o, errMsg := ParseZOpOptions(a, numkeysAt, op, store, false)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	res := CombineZSets(&o, srcs, s.Settings)
	if store {
		n := s.ZSetStore(a[1], res)
		if n > 0 {
			s.notify(NotifyZSet, ZStoreEvent(op), a[1])
		}
		w.Int(int64(n))
		return
	}
	WriteZSetAll(w, res, o.WithScores)
}

// WriteZSetAll writes every member of z (nil: none) in order, with scores when asked:
// [member, score] pairs in RESP3.
func WriteZSetAll(w *proto.Writer, z *ZSet, withScores bool) {
	if z == nil {
		w.Array(0)
		return
	}
	writeZRange(w, z, 0, z.Len(), false, withScores, true)
}

// ZINTERCARD numkeys key [key ...] [LIMIT limit]
func zintercardCommand(s *Shard, a Args, w *proto.Writer) {
	keys, errMsg := ParseZOpKeys(a, 1, "zintercard")
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	srcs := make([]*ZSet, len(keys))
	for i, k := range keys {
		z, wrong := s.zsource(k)
		if wrong {
			w.Error(proto.ErrWrongType)
			return
		}
		srcs[i] = z
	}
	o, errMsg := ParseZOpOptions(a, 1, ZInter, false, true)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	w.Int(int64(ZInterCard(srcs, o.Limit)))
}

// ZCardOf returns the number of members of the sorted set at key, without counting a
// keyspace hit or miss; wrongType is true when key holds another type.
func (s *Shard) ZCardOf(key []byte) (n int, wrongType bool) {
	i, ok := s.lookup(key)
	if !ok {
		return 0, false
	}
	e := s.db.at(i)
	if e.Type != TypeZSet {
		return 0, true
	}
	return e.Coll.(*ZSet).Len(), false
}
