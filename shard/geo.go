package shard

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/basaltdb/basalt/proto"
)

// Geo commands. A geo set is a sorted set (zset_encoding.go) whose scores are the
// 52-bit geohashes of geohash.go, so every sorted set command works on it and GEOADD
// converts encodings exactly as ZADD does. A search reads the score ranges of nine
// cells around its center and keeps the members inside the circle or box; the reply
// keeps Redis's order: by cell, then by score, unless ASC or DESC sorts by distance.
//
// The search commands share one parser and one runner: GEORADIUS, GEORADIUSBYMEMBER,
// their _RO forms, GEOSEARCH and GEOSEARCHSTORE differ only in where the center and
// the size come from and in whether they may store. A search runs on the shard of its
// source key; storing happens where the destination lives (coord/multigeo.go when that
// is another shard).

// Error texts of the geo commands, in redis-server's words.
const (
	errGeoPairFmt      = "ERR invalid longitude,latitude pair %s,%s"
	errGeoUnit         = "ERR unsupported unit provided. please use M, KM, FT, MI"
	errGeoRadiusNum    = "ERR need numeric radius"
	errGeoRadiusNeg    = "ERR radius cannot be negative"
	errGeoWidthNum     = "ERR need numeric width"
	errGeoHeightNum    = "ERR need numeric height"
	errGeoBoxNeg       = "ERR height or width cannot be negative"
	errGeoMember       = "ERR could not decode requested zset member"
	errGeoCount        = "ERR COUNT must be > 0"
	errGeoStoreWithFmt = "ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
	errGeoFromFmt      = "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s"
	errGeoByFmt        = "ERR exactly one of BYRADIUS and BYBOX can be specified for %s"
	errGeoAnyCount     = "ERR the ANY argument requires COUNT argument"
)

func init() {
	register("geoadd", geoaddCommand)
	register("geodist", geodistCommand)
	register("geohash", geohashCommand)
	register("geopos", geoposCommand)
	for _, name := range []string{"georadius", "georadius_ro", "georadiusbymember",
		"georadiusbymember_ro", "geosearch", "geosearchstore"} {
		register(name, geoSearchCommand)
	}
}

// cFloat formats f as C's printf %f does, which Redis's error texts use.
func cFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// parseLonLat reads a longitude and a latitude argument and checks their limits.
func parseLonLat(lonArg, latArg []byte) (lon, lat float64, errMsg string) {
	lon, ok := parseScore(lonArg)
	if !ok {
		return 0, 0, proto.ErrNotFloat
	}
	if lat, ok = parseScore(latArg); !ok {
		return 0, 0, proto.ErrNotFloat
	}
	if lon < geoLonMin || lon > geoLonMax || lat < geoLatMin || lat > geoLatMax {
		return 0, 0, fmt.Sprintf(errGeoPairFmt, cFloat(lon), cFloat(lat))
	}
	return lon, lat, ""
}

// parseUnit returns the number of meters in a unit: m, km, ft or mi.
func parseUnit(b []byte) (float64, bool) {
	switch {
	case eqFold(b, "m"):
		return 1, true
	case eqFold(b, "km"):
		return 1000, true
	case eqFold(b, "ft"):
		return 0.3048, true
	case eqFold(b, "mi"):
		return 1609.34, true
	}
	return 0, false
}

// GEOADD key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]
//
// Every coordinate is checked before the key is looked at, so a bad pair changes
// nothing; then the members are added as ZADD would add their scores.
func geoaddCommand(s *Shard, a Args, w *proto.Writer) {
	var nx, xx, ch bool
	i := 2
	for ; i < len(a); i++ {
		switch {
		case eqFold(a[i], "nx"):
			nx = true
		case eqFold(a[i], "xx"):
			xx = true
		case eqFold(a[i], "ch"):
			ch = true
		default:
			goto triples
		}
	}
triples:
	// No triple at all is ZADD's syntax error: GEOADD key CH CH CH.
	if (len(a)-i)%3 != 0 || (nx && xx) || i == len(a) {
		w.Error(proto.ErrSyntax)
		return
	}
	n := (len(a) - i) / 3
	var scoreBuf [8]float64
	scores := scoreBuf[:0]
	if n > len(scoreBuf) {
		scores = make([]float64, 0, n)
	}
	maxLen := 0
	for j := i; j < len(a); j += 3 {
		lon, lat, errMsg := parseLonLat(a[j], a[j+1])
		if errMsg != "" {
			w.Error(errMsg)
			return
		}
		scores = append(scores, float64(geoScore(lon, lat)))
		maxLen = max(maxLen, len(a[j+2]))
	}
	z, ok := s.writeZSet(a[1], w)
	if !ok {
		return
	}
	if z == nil {
		if xx {
			w.Int(0)
			return
		}
		z = newZSetFor(n, maxLen, s.zsetLimits())
		s.db.insert(a[1], Object{Type: TypeZSet, Coll: z, Access: s.clock()})
		s.notify(NotifyNew, "new", a[1])
	}
	lim := s.zsetLimits()
	added, updated := 0, 0
	for j, sc := range scores {
		switch z.add(a[i+3*j+2], sc, zaddFlags{nx: nx, xx: xx}, lim).outcome {
		case zaddAdded:
			added++
		case zaddUpdated:
			updated++
		}
	}
	s.dirty += int64(added + updated)
	if added+updated > 0 {
		s.notify(NotifyZSet, "zadd", a[1])
	}
	s.afterZSetWrite(a[1], z)
	if ch {
		w.Int(int64(added + updated))
	} else {
		w.Int(int64(added))
	}
}

// GEODIST key member1 member2 [M|KM|FT|MI]
func geodistCommand(s *Shard, a Args, w *proto.Writer) {
	toMeters := 1.0
	switch {
	case len(a) == 5:
		var ok bool
		if toMeters, ok = parseUnit(a[4]); !ok {
			w.Error(errGeoUnit)
			return
		}
	case len(a) > 5:
		w.Error(proto.ErrSyntax)
		return
	}
	z, ok := s.readZSet(a[1], w)
	if !ok {
		return
	}
	if z == nil {
		w.Null()
		return
	}
	sc1, ok1 := z.score(a[2])
	sc2, ok2 := z.score(a[3])
	if !ok1 || !ok2 {
		w.Null()
		return
	}
	lon1, lat1 := geoPointOf(sc1)
	lon2, lat2 := geoPointOf(sc2)
	var buf [32]byte
	w.Bulk(appendDistance(buf[:0], geoDistanceExact(lon1, lat1, lon2, lat2)/toMeters))
}

// GEOHASH key [member ...]
func geohashCommand(s *Shard, a Args, w *proto.Writer) {
	z, ok := s.readZSet(a[1], w)
	if !ok {
		return
	}
	w.Array(len(a) - 2)
	var buf [11]byte
	for _, m := range a[2:] {
		sc, found := 0.0, false
		if z != nil {
			sc, found = z.score(m)
		}
		if !found {
			w.Null()
			continue
		}
		w.Bulk(appendGeohash(buf[:0], sc))
	}
}

// GEOPOS key [member ...]
func geoposCommand(s *Shard, a Args, w *proto.Writer) {
	z, ok := s.readZSet(a[1], w)
	if !ok {
		return
	}
	w.Array(len(a) - 2)
	for _, m := range a[2:] {
		sc, found := 0.0, false
		if z != nil {
			sc, found = z.score(m)
		}
		if !found {
			w.NullArray()
			continue
		}
		lon, lat := geoPointOf(sc)
		w.Array(2)
		writeCoord(w, lon)
		writeCoord(w, lat)
	}
}

// writeCoord writes a coordinate in Redis 7.0's "human" long double form: a bulk
// string in RESP2, a double in RESP3.
func writeCoord(w *proto.Writer, f float64) {
	var buf [64]byte
	if !w.RESP3() {
		w.Bulk(appendCoord(buf[:0], f))
		return
	}
	b := append(buf[:0], ',')
	b = appendCoord(b, f)
	w.Raw(append(b, '\r', '\n'))
}

// geoKind is which of the search commands is running.
type geoKind uint8

const (
	geoRadius geoKind = iota
	geoRadiusRO
	geoRadiusByMember
	geoRadiusByMemberRO
	geoSearchPlain
	geoSearchStore
)

func geoKindOf(name []byte) geoKind {
	switch {
	case eqFold(name, "georadius"):
		return geoRadius
	case eqFold(name, "georadius_ro"):
		return geoRadiusRO
	case eqFold(name, "georadiusbymember"):
		return geoRadiusByMember
	case eqFold(name, "georadiusbymember_ro"):
		return geoRadiusByMemberRO
	case eqFold(name, "geosearch"):
		return geoSearchPlain
	}
	return geoSearchStore
}

// Sort orders of a search's matches.
const (
	geoUnsorted = iota
	geoAsc
	geoDesc
)

// geoMatch is one member a search found. Its name is names[start:end] of the
// GeoResult that holds it.
type geoMatch struct {
	lon, lat, dist, score float64
	start, end            int
}

// GeoResult is the outcome of a geo search command, computed on the shard of its
// source key: an error, or the matches to reply with or to store.
//
// Owner: whoever ran the search; it holds copies, not views of the shard's data, so it
// may cross to another loop. store aliases the command's arguments.
type GeoResult struct {
	errMsg                        string
	store                         []byte // destination; nil: reply to the client
	byDist                        bool   // STOREDIST: store distances, not hashes
	withDist, withHash, withCoord bool
	toMeters                      float64
	matches                       []geoMatch
	names                         []byte
	// storeEvent is the keyspace event of a store: "geosearchstore" or "georadiusstore".
	storeEvent string
}

// Err returns the error to answer with, or "".
func (r *GeoResult) Err() string { return r.errMsg }

// StoreKey returns the destination key of a storing search, or nil.
func (r *GeoResult) StoreKey() []byte { return r.store }

// geoQuery is a parsed search command.
type geoQuery struct {
	shape geoShape
	sort  int
	count int64
	any   bool
}

// GeoSearch parses and runs a search command (GEORADIUS, GEORADIUSBYMEMBER, their _RO
// forms, GEOSEARCH, GEOSEARCHSTORE) against its source key on this shard. Arguments
// are read in Redis's order, with the source's members at hand, so that the first
// error is Redis's.
func (s *Shard) GeoSearch(a Args) *GeoResult {
	r := &GeoResult{storeEvent: "georadiusstore"}
	kind := geoKindOf(a[0])
	srcAt := 1
	if kind == geoSearchStore {
		srcAt = 2
		r.storeEvent = "geosearchstore"
	}
	var z *ZSet
	if e, found := s.read(a[srcAt]); found {
		if e.Type != TypeZSet {
			r.errMsg = proto.ErrWrongType
			return r
		}
		z = e.Coll.(*ZSet)
	}
	q, errMsg := parseGeoQuery(a, kind, z, r)
	if errMsg != "" {
		r.errMsg = errMsg
		return r
	}
	if z == nil {
		return r
	}
	r.toMeters = q.shape.toMeters
	limit := 0
	if q.any {
		limit = int(min(q.count, math.MaxInt32))
	}
	r.collectAll(z, &q.shape, limit)
	if q.count > 0 && q.sort == geoUnsorted && !q.any {
		q.sort = geoAsc
	}
	// Redis's qsort is glibc's merge sort, stable: equal distances keep the order
	// in which they were found.
	switch q.sort {
	case geoAsc:
		slices.SortStableFunc(r.matches, func(x, y geoMatch) int { return cmpDist(x.dist, y.dist) })
	case geoDesc:
		slices.SortStableFunc(r.matches, func(x, y geoMatch) int { return cmpDist(y.dist, x.dist) })
	}
	if q.count > 0 && int64(len(r.matches)) > q.count {
		r.matches = r.matches[:q.count]
	}
	if r.withDist || r.byDist {
		// Distances a client reads in full, or whose fourth decimal the last bits
		// may decide, are computed again with the exact functions.
		for i := range r.matches {
			m := &r.matches[i]
			if r.byDist || nearRoundingEdge(m.dist/r.toMeters) {
				m.dist = geoDistanceExact(q.shape.lon, q.shape.lat, m.lon, m.lat)
			}
		}
	}
	return r
}

// nearRoundingEdge reports whether a distance printed with four decimals lies so near
// a rounding midpoint that an error in its last bits could change a digit.
func nearRoundingEdge(d float64) bool {
	x := d * 10000
	return math.Abs(x-math.Floor(x)-0.5) <= math.Abs(x)*1e-13+1e-9
}

func cmpDist(x, y float64) int {
	switch {
	case x > y:
		return 1
	case x == y:
		return 0
	}
	return -1
}

// parseGeoQuery reads a search command's center, size and options. z is the source
// (nil: missing), needed by FROMMEMBER and GEORADIUSBYMEMBER; r receives the STORE
// and WITH options.
func parseGeoQuery(a Args, kind geoKind, z *ZSet, r *GeoResult) (q geoQuery, errMsg string) {
	base := 0
	switch kind {
	case geoRadius, geoRadiusRO:
		base = 6
		if q.shape.lon, q.shape.lat, errMsg = parseLonLat(a[2], a[3]); errMsg != "" {
			return q, errMsg
		}
		if errMsg = parseRadius(a[4], a[5], &q.shape); errMsg != "" {
			return q, errMsg
		}
	case geoRadiusByMember, geoRadiusByMemberRO:
		base = 5
		// Without a source the center and radius are never read: the reply is
		// empty whatever they are.
		if z != nil {
			sc, ok := z.score(a[2])
			if !ok {
				return q, errGeoMember
			}
			q.shape.lon, q.shape.lat = geoPointOf(sc)
			if errMsg = parseRadius(a[3], a[4], &q.shape); errMsg != "" {
				return q, errMsg
			}
		}
	case geoSearchPlain:
		base = 2
	case geoSearchStore:
		base = 3
		r.store = a[1]
	}
	search := kind == geoSearchPlain || kind == geoSearchStore
	canStore := kind == geoRadius || kind == geoRadiusByMember
	fromMember, fromLonLat, byRadius, byBox := false, false, false, false
	for i := base; i < len(a); i++ {
		left := len(a) - i - 1
		switch arg := a[i]; {
		case eqFold(arg, "withdist"):
			r.withDist = true
		case eqFold(arg, "withhash"):
			r.withHash = true
		case eqFold(arg, "withcoord"):
			r.withCoord = true
		case eqFold(arg, "any"):
			q.any = true
		case eqFold(arg, "asc"):
			q.sort = geoAsc
		case eqFold(arg, "desc"):
			q.sort = geoDesc
		case eqFold(arg, "count") && left >= 1:
			n, ok := parseInt(a[i+1])
			if !ok {
				return q, proto.ErrNotInt
			}
			if n <= 0 {
				return q, errGeoCount
			}
			q.count = n
			i++
		case canStore && (eqFold(arg, "store") || eqFold(arg, "storedist")) && left >= 1:
			r.store, r.byDist = a[i+1], eqFold(arg, "storedist")
			i++
		case kind == geoSearchStore && eqFold(arg, "storedist"):
			r.byDist = true
		case search && eqFold(arg, "frommember") && left >= 1 && !fromLonLat:
			if z != nil {
				sc, ok := z.score(a[i+1])
				if !ok {
					return q, errGeoMember
				}
				q.shape.lon, q.shape.lat = geoPointOf(sc)
			}
			fromMember = true
			i++
		case search && eqFold(arg, "fromlonlat") && left >= 2 && !fromMember:
			if q.shape.lon, q.shape.lat, errMsg = parseLonLat(a[i+1], a[i+2]); errMsg != "" {
				return q, errMsg
			}
			fromLonLat = true
			i += 2
		case search && eqFold(arg, "byradius") && left >= 2 && !byBox:
			if errMsg = parseRadius(a[i+1], a[i+2], &q.shape); errMsg != "" {
				return q, errMsg
			}
			byRadius = true
			i += 2
		case search && eqFold(arg, "bybox") && left >= 3 && !byRadius:
			if errMsg = parseBox(a[i+1], a[i+2], a[i+3], &q.shape); errMsg != "" {
				return q, errMsg
			}
			byBox = true
			i += 3
		default:
			return q, proto.ErrSyntax
		}
	}
	switch {
	case r.store != nil && (r.withDist || r.withHash || r.withCoord):
		what := "STORE option in GEORADIUS"
		if kind == geoSearchStore {
			what = "GEOSEARCHSTORE"
		}
		return q, fmt.Sprintf(errGeoStoreWithFmt, what)
	case search && !fromMember && !fromLonLat:
		return q, fmt.Sprintf(errGeoFromFmt, a[0])
	case search && !byRadius && !byBox:
		return q, fmt.Sprintf(errGeoByFmt, a[0])
	case q.any && q.count == 0:
		return q, errGeoAnyCount
	}
	return q, ""
}

// parseRadius reads a radius and its unit into sh.
func parseRadius(radius, unit []byte, sh *geoShape) string {
	d, ok := parseScore(radius)
	switch {
	case !ok:
		return errGeoRadiusNum
	case d < 0:
		return errGeoRadiusNeg
	}
	toMeters, ok := parseUnit(unit)
	if !ok {
		return errGeoUnit
	}
	sh.box, sh.radius, sh.toMeters = false, d, toMeters
	return ""
}

// parseBox reads a box's width, height and unit into sh.
func parseBox(width, height, unit []byte, sh *geoShape) string {
	wd, ok := parseScore(width)
	if !ok {
		return errGeoWidthNum
	}
	ht, ok := parseScore(height)
	if !ok {
		return errGeoHeightNum
	}
	if wd < 0 || ht < 0 {
		return errGeoBoxNeg
	}
	toMeters, ok := parseUnit(unit)
	if !ok {
		return errGeoUnit
	}
	sh.box, sh.width, sh.height, sh.toMeters = true, wd, ht, toMeters
	return ""
}

// collectAll adds the members of z inside the shape, cell by cell in Redis's order,
// stopping once limit (> 0) matches are found.
func (r *GeoResult) collectAll(z *ZSet, sh *geoShape, limit int) {
	cells := sh.searchCells()
	last := 0
	for i, c := range cells {
		if c.isZero() {
			continue
		}
		// With a huge radius neighbours may coincide; a cell equal to the one just
		// read is skipped (Redis compares with the last cell read, unless that was
		// the center).
		if last != 0 && c == cells[last] {
			continue
		}
		if limit > 0 && len(r.matches) >= limit {
			break
		}
		r.collectCell(z, c, sh, limit)
		last = i
	}
}

// collectCell adds the members of z in one cell that lie inside the shape.
func (r *GeoResult) collectCell(z *ZSet, c geoCell, sh *geoShape, limit int) {
	lo, hi := c.scoreSpan()
	first := z.prefix(func(_ []byte, sc float64) bool { return sc < lo })
	z.walk(first, false, func(m []byte, sc float64) bool {
		if sc >= hi {
			return false
		}
		lon, lat := geoPointOf(sc)
		if dist, ok := sh.contains(lon, lat); ok {
			start := len(r.names)
			r.names = append(r.names, m...)
			r.matches = append(r.matches, geoMatch{lon: lon, lat: lat, dist: dist, score: sc,
				start: start, end: len(r.names)})
		}
		return limit <= 0 || len(r.matches) < limit
	})
}

// Write writes the reply of a search that does not store: an error, or the matches
// with the requested details.
func (r *GeoResult) Write(w *proto.Writer) {
	if r.errMsg != "" {
		w.Error(r.errMsg)
		return
	}
	w.Array(len(r.matches))
	extra := 0
	for _, with := range []bool{r.withDist, r.withHash, r.withCoord} {
		if with {
			extra++
		}
	}
	var buf [32]byte
	for _, m := range r.matches {
		if extra > 0 {
			w.Array(extra + 1)
		}
		w.Bulk(r.names[m.start:m.end])
		if r.withDist {
			w.Bulk(appendDistance(buf[:0], m.dist/r.toMeters))
		}
		if r.withHash {
			w.Int(int64(m.score))
		}
		if r.withCoord {
			w.Array(2)
			writeCoord(w, m.lon)
			writeCoord(w, m.lat)
		}
	}
}

// Stored returns the sorted set a storing search puts under its destination (nil when
// it found nothing: the destination is then deleted), in the encoding Redis gives a
// set of that size built at once. scores are the hashes, or with STOREDIST the
// distances in the request's unit.
func (r *GeoResult) Stored(settings *Settings) *ZSet {
	if len(r.matches) == 0 {
		return nil
	}
	lim := zsetLimits{
		entries: int(min(settings.ZSetMaxListpackEntries.Load(), 1<<30)),
		value:   int(min(settings.ZSetMaxListpackValue.Load(), 1<<30)),
	}
	maxLen := 0
	for _, m := range r.matches {
		maxLen = max(maxLen, m.end-m.start)
	}
	z := newZSetFor(len(r.matches), maxLen, lim)
	for _, m := range r.matches {
		name := r.names[m.start:m.end]
		if _, dup := z.score(name); dup {
			continue
		}
		sc := m.score
		if r.byDist {
			sc = m.dist / r.toMeters
		}
		z.insert(name, sc, lim)
	}
	return z
}

// GeoStore stores a storing search's result under its destination on this shard and
// returns the number of members stored.
func (s *Shard) GeoStore(r *GeoResult) int {
	n := s.ZSetStore(r.store, r.Stored(s.Settings))
	if n > 0 {
		s.notify(NotifyZSet, r.storeEvent, r.store)
	}
	return n
}

// geoSearchCommand runs any search command whose keys all live on this shard.
func geoSearchCommand(s *Shard, a Args, w *proto.Writer) {
	r := s.GeoSearch(a)
	switch {
	case r.errMsg != "":
		w.Error(r.errMsg)
	case r.store != nil:
		w.Int(int64(s.GeoStore(r)))
	default:
		r.Write(w)
	}
}
