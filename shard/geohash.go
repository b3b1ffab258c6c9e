package shard

import (
	"math"
	"strconv"
)

// This file is the geometry of the geo commands: Redis's 52-bit geohash, the haversine
// distance and the choice of the nine cells a radius or box search reads. Every number
// a client sees (scores, coordinates, distances) comes out of here, so the arithmetic
// follows Redis's order of operations step by step: a reordered sum or a fused
// multiply-add would change the last bit of a coordinate and then a printed digit.
// Products are wrapped in float64() where Go could otherwise fuse them.
//
// The geohash: longitude over [-180, 180] and latitude over [-85.05112878, 85.05112878]
// (the Web Mercator limits) are each cut into 2^step equal slices; the slice numbers
// are interleaved bit by bit, latitude in the even bits and longitude in the odd ones,
// so that nearby points share a prefix. A geo set stores the 26-step hash of each
// member, a 52-bit integer, as its sorted set score.

// The coordinate limits GEOADD accepts and the ranges the stored hash covers.
const (
	geoLonMin = -180.0
	geoLonMax = 180.0
	geoLatMin = -85.05112878
	geoLatMax = 85.05112878
	// geoStepMax is the precision of stored hashes: 26 bits each way, 52 in all.
	geoStepMax = 26
	// earthRadius is the mean radius, in meters, of Redis's haversine distance.
	earthRadius = 6372797.560856
	// mercatorMax is half the length of the equator in Web Mercator meters; the
	// search step is estimated against it.
	mercatorMax = 20037726.37
	degToRad    = math.Pi / 180.0
)

// geoRange is an interval of one coordinate.
type geoRange struct{ min, max float64 }

var (
	geoLatRange = geoRange{geoLatMin, geoLatMax}
	// geoStdLatRange is the latitude range of the standard geohash GEOHASH prints.
	geoStdLatRange = geoRange{-90, 90}
)

// geoCell is a geohash of some precision: step bits of each coordinate, interleaved in
// the low 2*step bits. The zero cell (bits and step 0) stands for "no cell".
type geoCell struct {
	bits uint64
	step uint8
}

func (c geoCell) isZero() bool { return c.bits == 0 && c.step == 0 }

// geoArea is the rectangle a cell covers.
type geoArea struct{ lon, lat geoRange }

// spreadBits moves the 32 bits of v to the even bit positions of the result.
func spreadBits(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

// gatherBits is the inverse of spreadBits: it collects the even bits of x.
func gatherBits(x uint64) uint32 {
	x &= 0x5555555555555555
	x = (x | x>>1) & 0x3333333333333333
	x = (x | x>>2) & 0x0F0F0F0F0F0F0F0F
	x = (x | x>>4) & 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	x = (x | x>>16) & 0x00000000FFFFFFFF
	return uint32(x)
}

// geoEncode returns the cell of the given step (1 to 26) holding the point, with
// latitudes measured over latR. ok is false for a point outside the limits.
func geoEncode(latR geoRange, lon, lat float64, step uint8) (c geoCell, ok bool) {
	if lon > geoLonMax || lon < geoLonMin || lat > geoLatMax || lat < geoLatMin ||
		lat < latR.min || lat > latR.max {
		return geoCell{}, false
	}
	scale := float64(uint64(1) << step)
	latOff := float64(float64((lat-latR.min)/(latR.max-latR.min)) * scale)
	lonOff := float64(float64((lon-geoLonMin)/(geoLonMax-geoLonMin)) * scale)
	// lon = 180 gives an offset of exactly 2^step: one bit above the hash, as in
	// Redis, whose scores then carry bit 53.
	return geoCell{bits: spreadBits(uint32(latOff)) | spreadBits(uint32(lonOff))<<1, step: step}, true
}

// geoDecode returns the rectangle of a cell, latitudes measured over latR.
func geoDecode(latR geoRange, c geoCell) geoArea {
	latSlice := gatherBits(c.bits)
	lonSlice := gatherBits(c.bits >> 1)
	div := float64(uint64(1) << c.step)
	latScale := latR.max - latR.min
	lonScale := geoLonMax - geoLonMin
	// The slice numbers are 32-bit, and so is the +1 (it wraps as Redis's does).
	return geoArea{
		lat: geoRange{
			min: latR.min + float64(float64(float64(latSlice)/div)*latScale),
			max: latR.min + float64(float64(float64(latSlice+1)/div)*latScale),
		},
		lon: geoRange{
			min: geoLonMin + float64(float64(float64(lonSlice)/div)*lonScale),
			max: geoLonMin + float64(float64(float64(lonSlice+1)/div)*lonScale),
		},
	}
}

// center returns the middle of the area, clamped to the limits.
func (a geoArea) center() (lon, lat float64) {
	lon = min(max((a.lon.min+a.lon.max)/2, geoLonMin), geoLonMax)
	lat = min(max((a.lat.min+a.lat.max)/2, geoLatMin), geoLatMax)
	return lon, lat
}

// geoScore returns the sorted set score of a point within the limits.
func geoScore(lon, lat float64) uint64 {
	c, _ := geoEncode(geoLatRange, lon, lat, geoStepMax)
	return c.bits
}

// scoreBits converts a score to the integer hash the way redis-server's compiled
// (uint64_t) cast does on x86-64, so that a member added with ZADD and an arbitrary
// score decodes to the same point: negative scores wrap, and what no 64-bit integer
// holds becomes 1<<63 (or 0 for scores of 2^64 and more).
func scoreBits(f float64) uint64 {
	const two63 = 9223372036854775808.0
	toInt := func(f float64) uint64 {
		if f != f || f >= two63 || f < -two63 {
			return 1 << 63
		}
		return uint64(int64(f))
	}
	if f >= two63 {
		return toInt(f-two63) ^ 1<<63
	}
	return toInt(f)
}

// geoPointOf decodes a score to the center of its cell.
func geoPointOf(score float64) (lon, lat float64) {
	return geoDecode(geoLatRange, geoCell{bits: scoreBits(score), step: geoStepMax}).center()
}

// moveLon returns c moved by one cell east (d > 0) or west, wrapping around.
func (c geoCell) moveLon(d int) geoCell {
	lon := c.bits & 0xaaaaaaaaaaaaaaaa
	lat := c.bits & 0x5555555555555555
	low := uint64(0x5555555555555555) >> (64 - 2*uint(c.step))
	if d > 0 {
		lon += low + 1
	} else {
		lon = (lon | low) - (low + 1)
	}
	lon &= uint64(0xaaaaaaaaaaaaaaaa) >> (64 - 2*uint(c.step))
	return geoCell{bits: lon | lat, step: c.step}
}

// moveLat returns c moved by one cell north (d > 0) or south, wrapping around.
func (c geoCell) moveLat(d int) geoCell {
	lon := c.bits & 0xaaaaaaaaaaaaaaaa
	lat := c.bits & 0x5555555555555555
	low := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - 2*uint(c.step))
	if d > 0 {
		lat += low + 1
	} else {
		lat = (lat | low) - (low + 1)
	}
	lat &= uint64(0x5555555555555555) >> (64 - 2*uint(c.step))
	return geoCell{bits: lon | lat, step: c.step}
}

// scoreSpan returns the scores [lo, hi) of the stored hashes inside cell c.
func (c geoCell) scoreSpan() (lo, hi float64) {
	shift := 52 - 2*uint(c.step)
	return float64(c.bits << shift), float64((c.bits + 1) << shift)
}

// geoLatDistance is the distance in meters between two latitudes on one meridian.
func geoLatDistance(lat1, lat2 float64) float64 {
	return earthRadius * math.Abs(float64(lat2*degToRad)-float64(lat1*degToRad))
}

// geoDistance is the haversine distance in meters between two points.
func geoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r := float64(lon1 * degToRad)
	lon2r := float64(lon2 * degToRad)
	v := math.Sin((lon2r - lon1r) / 2)
	if v == 0 {
		return geoLatDistance(lat1, lat2)
	}
	lat1r := float64(lat1 * degToRad)
	lat2r := float64(lat2 * degToRad)
	u := math.Sin((lat2r - lat1r) / 2)
	a := float64(u*u) + float64(float64(float64(math.Cos(lat1r)*math.Cos(lat2r))*v)*v)
	return float64(2.0*earthRadius) * math.Asin(math.Sqrt(a))
}

// geoShape is the area a search covers: a circle of radius meters, or a box of width by
// height meters, around a center. Sizes are in the request's unit; toMeters converts.
type geoShape struct {
	lon, lat      float64
	box           bool
	radius        float64
	width, height float64
	toMeters      float64
}

// contains reports whether the point lies in the shape and its distance in meters
// from the center.
func (sh *geoShape) contains(lon, lat float64) (dist float64, ok bool) {
	if !sh.box {
		dist = geoDistance(sh.lon, sh.lat, lon, lat)
		// Written as "not beyond" so that a NaN distance counts as inside, as in Redis.
		return dist, !(dist > float64(sh.radius*sh.toMeters))
	}
	// The latitude test is the cheap one, so it goes first.
	if geoLatDistance(lat, sh.lat) > float64(sh.height*sh.toMeters)/2 {
		return 0, false
	}
	if geoDistance(lon, lat, sh.lon, lat) > float64(sh.width*sh.toMeters)/2 {
		return 0, false
	}
	return geoDistance(sh.lon, sh.lat, lon, lat), true
}

// bounds returns the longitude and latitude limits of the shape's bounding box.
// Meridians converge towards the poles, so the wider edge, the one nearer the
// equator, sets the longitudes.
func (sh *geoShape) bounds() (minLon, minLat, maxLon, maxLat float64) {
	halfH, halfW := sh.radius, sh.radius
	if sh.box {
		halfH, halfW = sh.height/2, sh.width/2
	}
	halfH, halfW = float64(sh.toMeters*halfH), float64(sh.toMeters*halfW)
	latDelta := halfH / earthRadius / degToRad
	lonDeltaTop := halfW / earthRadius / math.Cos(float64((sh.lat+latDelta)*degToRad)) / degToRad
	lonDeltaBottom := halfW / earthRadius / math.Cos(float64((sh.lat-latDelta)*degToRad)) / degToRad
	lonDelta := lonDeltaTop
	if sh.lat < 0 {
		lonDelta = lonDeltaBottom
	}
	return sh.lon - lonDelta, sh.lat - latDelta, sh.lon + lonDelta, sh.lat + latDelta
}

// estimateStep returns the cell precision at which the nine cells around the center
// cover a search of the given reach in meters.
func estimateStep(meters, lat float64) uint8 {
	if meters == 0 {
		return geoStepMax
	}
	step := 1
	for meters < mercatorMax {
		meters *= 2
		step++
	}
	step -= 2
	// Cells are narrower towards the poles.
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), geoStepMax))
}

// searchCells returns the cells a search reads, in Redis's order: the center cell,
// then north, south, east, west, north-east, north-west, south-east, south-west. A
// zero cell is one that cannot hold a match and is skipped.
func (sh *geoShape) searchCells() [9]geoCell {
	minLon, minLat, maxLon, maxLat := sh.bounds()
	reach := sh.radius
	if sh.box {
		reach = math.Sqrt(float64((sh.width/2)*(sh.width/2)) + float64((sh.height/2)*(sh.height/2)))
	}
	reach = float64(reach * sh.toMeters)
	step := estimateStep(reach, sh.lat)
	center, _ := geoEncode(geoLatRange, sh.lon, sh.lat, step)
	// When the search reaches past the neighbours, one step coarser makes them wider.
	north := geoDecode(geoLatRange, center.moveLat(1))
	south := geoDecode(geoLatRange, center.moveLat(-1))
	east := geoDecode(geoLatRange, center.moveLon(1))
	west := geoDecode(geoLatRange, center.moveLon(-1))
	if step > 1 && (north.lat.max < maxLat || south.lat.min > minLat ||
		east.lon.max < maxLon || west.lon.min > minLon) {
		step--
		center, _ = geoEncode(geoLatRange, sh.lon, sh.lat, step)
	}
	cells := [9]geoCell{
		center,
		center.moveLat(1), center.moveLat(-1), center.moveLon(1), center.moveLon(-1),
		center.moveLon(1).moveLat(1), center.moveLon(-1).moveLat(1),
		center.moveLon(1).moveLat(-1), center.moveLon(-1).moveLat(-1),
	}
	if step >= 2 {
		// Drop the neighbours on a side the bounding box does not reach.
		area := geoDecode(geoLatRange, center)
		const (
			n, s, e, w, ne, nw, se, sw = 1, 2, 3, 4, 5, 6, 7, 8
		)
		drop := func(i ...int) {
			for _, j := range i {
				cells[j] = geoCell{}
			}
		}
		if area.lat.min < minLat {
			drop(s, sw, se)
		}
		if area.lat.max > maxLat {
			drop(n, ne, nw)
		}
		if area.lon.min < minLon {
			drop(w, sw, nw)
		}
		if area.lon.max > maxLon {
			drop(e, se, ne)
		}
	}
	return cells
}

// geoAlphabet is the base32 alphabet of standard geohashes.
const geoAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// appendGeohash appends the 11-character standard geohash of a stored score: the
// point re-encoded over latitudes [-90, 90], the 11th character always '0' since 52
// bits fill only ten.
func appendGeohash(dst []byte, score float64) []byte {
	lon, lat := geoPointOf(score)
	c, _ := geoEncode(geoStdLatRange, lon, lat, geoStepMax)
	for i := 1; i <= 10; i++ {
		dst = append(dst, geoAlphabet[(c.bits>>(52-5*i))&0x1f])
	}
	return append(dst, '0')
}

// appendDistance appends a distance as Redis prints it: rounded half to even at the
// fourth decimal, four decimals always.
func appendDistance(dst []byte, d float64) []byte {
	v := math.RoundToEven(float64(d * 10000))
	var n uint64
	switch {
	case v != v || v >= 1<<63 || v < -(1<<63):
		// What no 64-bit integer holds reads as the most negative one, as the
		// x86-64 conversion Redis relies on gives.
		dst, n = append(dst, '-'), 1<<63
	case v < 0:
		dst, n = append(dst, '-'), uint64(-v)
	default:
		n = uint64(v)
	}
	dst = strconv.AppendUint(dst, n/10000, 10)
	dst = append(dst, '.')
	frac := n % 10000
	for p := uint64(1000); p > 0; p /= 10 {
		dst = append(dst, byte('0'+frac/p%10))
	}
	return dst
}

// appendCoord appends a coordinate as Redis 7.0 prints it: the exact binary value
// rounded to 17 decimals, trailing zeros and a bare point removed, "-0" as "0".
func appendCoord(dst []byte, f float64) []byte {
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', 17, 64)
	end := len(dst)
	for dst[end-1] == '0' {
		end--
	}
	if dst[end-1] == '.' {
		end--
	}
	dst = dst[:end]
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// Exact trigonometry. Go's math.Sin, Cos and Asin may be a few units in the last place
// away from the C library's, which rounds nearly always correctly. That never shows in
// a 4-decimal distance or a radius test, but STOREDIST stores distances with all 17
// digits, so the distances a client can read in full are computed again with the
// functions below, correctly rounded through double-double (about 106-bit)
// arithmetic: they then agree with redis-server's in all but rare ties.

// dd is the unevaluated sum hi + lo of two doubles with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

// twoSum returns a + b exactly.
func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

// fastTwoSum is twoSum for |a| >= |b|.
func fastTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

// twoProd returns a * b exactly.
func twoProd(a, b float64) dd {
	p := float64(a * b)
	return dd{p, math.FMA(a, b, -p)}
}

func (x dd) add(y dd) dd {
	s := twoSum(x.hi, y.hi)
	t := twoSum(x.lo, y.lo)
	s = fastTwoSum(s.hi, s.lo+t.hi)
	return fastTwoSum(s.hi, s.lo+t.lo)
}

func (x dd) mul(y dd) dd {
	p := twoProd(x.hi, y.hi)
	return fastTwoSum(p.hi, p.lo+(float64(x.hi*y.lo)+float64(x.lo*y.hi)))
}

// div divides by a double.
func (x dd) div(f float64) dd {
	q1 := x.hi / f
	r := x.add(twoProd(q1, -f))
	return fastTwoSum(q1, r.hi/f)
}

// The quarter turn π/2 as the sum of three doubles.
const (
	halfPi1 = 1.5707963267948966
	halfPi2 = 6.123233995736766e-17
	halfPi3 = -1.4973849048591698e-33
)

// sinCosDD returns sin x and cos x in double-double precision for |x| <= 1e5: x is
// reduced by multiples of π/2, then both Taylor series run on the rest.
func sinCosDD(x float64) (s, c dd) {
	k := math.RoundToEven(x / halfPi1)
	r := dd{x, 0}.add(twoProd(k, -halfPi1)).add(twoProd(k, -halfPi2)).add(dd{float64(-k * halfPi3), 0})
	r2 := r.mul(r)
	s, c = r, dd{1, 0}
	st, ct := r, dd{1, 0}
	for n := 1.0; n < 60; n += 2 {
		st = st.mul(r2).div(-(n + 1) * (n + 2))
		ct = ct.mul(r2).div(-n * (n + 1))
		s, c = s.add(st), c.add(ct)
		if math.Abs(st.hi) < 1e-34*math.Abs(s.hi) && math.Abs(ct.hi) < 1e-34*math.Abs(c.hi) {
			break
		}
	}
	switch (int64(k)%4 + 4) % 4 {
	case 1:
		s, c = c, dd{-s.hi, -s.lo}
	case 2:
		s, c = dd{-s.hi, -s.lo}, dd{-c.hi, -c.lo}
	case 3:
		s, c = dd{-c.hi, -c.lo}, s
	}
	return s, c
}

func exactSin(x float64) float64 {
	if !(math.Abs(x) <= 1e5) {
		return math.Sin(x)
	}
	s, _ := sinCosDD(x)
	return s.hi
}

func exactCos(x float64) float64 {
	if !(math.Abs(x) <= 1e5) {
		return math.Cos(x)
	}
	_, c := sinCosDD(x)
	return c.hi
}

// exactAsin refines math.Asin by one Newton step on sin t = y in double-double.
func exactAsin(y float64) float64 {
	t := math.Asin(y)
	if !(math.Abs(y) < 1) {
		return t
	}
	s, c := sinCosDD(t)
	f := s.add(dd{-y, 0})
	return twoSum(t, -(f.hi+f.lo)/c.hi).hi
}

// geoDistanceExact is geoDistance with the exact functions, for distances a client
// reads in full.
func geoDistanceExact(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r := float64(lon1 * degToRad)
	lon2r := float64(lon2 * degToRad)
	v := exactSin((lon2r - lon1r) / 2)
	if v == 0 {
		return geoLatDistance(lat1, lat2)
	}
	lat1r := float64(lat1 * degToRad)
	lat2r := float64(lat2 * degToRad)
	u := exactSin((lat2r - lat1r) / 2)
	a := float64(u*u) + float64(float64(float64(exactCos(lat1r)*exactCos(lat2r))*v)*v)
	return float64(2.0*earthRadius) * exactAsin(math.Sqrt(a))
}
