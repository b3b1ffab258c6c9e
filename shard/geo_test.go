package shard

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// Known values below come from redis-server 7.0 (and Redis's documentation); the
// differential corpus coord/testdata/diff/geo.txt checks many more.

func TestGeoScoresAndPositions(t *testing.T) {
	f := func(lon, lat float64, score uint64, hash, posLon, posLat string) {
		t.Helper()
		got := geoScore(lon, lat)
		if got != score {
			t.Errorf("geoScore(%v, %v) = %d, want %d", lon, lat, got, score)
		}
		if h := string(appendGeohash(nil, float64(got))); h != hash {
			t.Errorf("geohash(%v, %v) = %s, want %s", lon, lat, h, hash)
		}
		x, y := geoPointOf(float64(got))
		if gx, gy := string(appendCoord(nil, x)), string(appendCoord(nil, y)); gx != posLon || gy != posLat {
			t.Errorf("position of (%v, %v) = %s %s, want %s %s", lon, lat, gx, gy, posLon, posLat)
		}
	}
	f(13.361389, 38.115556, 3479099956230698, "sqc8b49rny0", "13.36138933897018433", "38.11555639549629859")
	f(15.087269, 37.502669, 3479447370796909, "sqdtr74hyu0", "15.08726745843887329", "37.50266842333162032")
	// Longitude 180 overflows into bit 53, as in Redis; its position is clamped.
	f(180, 0, 10133099161583616, "80000000000", "180", "0.00000126736058093")
}

func TestScoreBitsLikeX86(t *testing.T) {
	f := func(score float64, want uint64) {
		t.Helper()
		if got := scoreBits(score); got != want {
			t.Errorf("scoreBits(%v) = %#x, want %#x", score, got, want)
		}
	}
	f(0, 0)
	f(1.9, 1)
	f(-1, math.MaxUint64)
	f(math.Inf(1), 0)
	f(math.Inf(-1), 1<<63)
	f(math.NaN(), 1<<63)
	f(1e19, 10000000000000000000)
	f(3e19, 0)
	f(1e300, 0)
}

func TestGeoFormatting(t *testing.T) {
	dist := func(d float64, want string) {
		t.Helper()
		if got := string(appendDistance(nil, d)); got != want {
			t.Errorf("appendDistance(%v) = %s, want %s", d, got, want)
		}
	}
	dist(0, "0.0000")
	dist(math.Copysign(0, -1), "0.0000")
	dist(0.00004, "0.0000")
	dist(0.00005, "0.0000") // scaled to exactly 0.5, which rounds to even
	dist(0.775, "0.7750")
	dist(166274.1516, "166274.1516")
	dist(12.34565, "12.3456") // the scaled double 123456.49999... rounds down
	dist(math.NaN(), "-922337203685477.5808")
	coord := func(f float64, want string) {
		t.Helper()
		if got := string(appendCoord(nil, f)); got != want {
			t.Errorf("appendCoord(%v) = %s, want %s", f, got, want)
		}
	}
	coord(0, "0")
	coord(-1e-20, "0")
	coord(180, "180")
	coord(-85.05112878, "-85.0511287799999991")
	coord(0.5, "0.5")
}

func TestGeoCellMoves(t *testing.T) {
	c, _ := geoEncode(geoLatRange, 179.9, 0.1, 3)
	east := c.moveLon(1)
	if a := geoDecode(geoLatRange, east); a.lon.min != -180 {
		t.Errorf("east of the last column starts at %v, want -180 (wrap)", a.lon.min)
	}
	if back := east.moveLon(-1); back != c {
		t.Errorf("west of east = %+v, want %+v", back, c)
	}
	if back := c.moveLat(1).moveLat(-1); back != c {
		t.Errorf("south of north = %+v, want %+v", back, c)
	}
	area := geoDecode(geoLatRange, c)
	north := geoDecode(geoLatRange, c.moveLat(1))
	if north.lat.min != area.lat.max || north.lon != area.lon {
		t.Errorf("north cell %+v does not sit on %+v", north, area)
	}
}

// TestGeoSearchFindsEveryPointInRange checks, away from the poles and the
// antimeridian, that the nine cells hold every point the shape contains: a search
// returns exactly the members a full scan keeps.
func TestGeoSearchFindsEveryPointInRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	z := &ZSet{tree: newZTree()}
	lim := zsetLimits{entries: 128, value: 64}
	for i := range 3000 {
		lon, lat := rng.Float64()*20+5, rng.Float64()*20+35
		z.insert([]byte("m"+strconv.Itoa(i)), float64(geoScore(lon, lat)), lim)
	}
	for range 200 {
		sh := geoShape{lon: rng.Float64()*10 + 10, lat: rng.Float64()*10 + 40, toMeters: 1000}
		if rng.IntN(2) == 0 {
			sh.radius = rng.Float64() * 400
		} else {
			sh.box, sh.width, sh.height = true, rng.Float64()*800, rng.Float64()*800
		}
		r := &GeoResult{}
		r.collectAll(z, &sh, 0)
		want := 0
		z.walk(0, false, func(_ []byte, sc float64) bool {
			if _, ok := sh.contains(geoPointOf(sc)); ok {
				want++
			}
			return true
		})
		if len(r.matches) != want {
			t.Fatalf("search %+v found %d members, a full scan %d", sh, len(r.matches), want)
		}
	}
}

// bigSinCos returns sin x and cos x correctly rounded, by Taylor series at 300 bits.
func bigSinCos(x float64) (float64, float64) {
	const prec = 300
	bx := new(big.Float).SetPrec(prec).SetFloat64(x)
	x2 := new(big.Float).SetPrec(prec).Mul(bx, bx)
	s, c := new(big.Float).SetPrec(prec).Set(bx), new(big.Float).SetPrec(prec).SetInt64(1)
	ts, tc := new(big.Float).SetPrec(prec).Set(bx), new(big.Float).SetPrec(prec).SetInt64(1)
	for n := int64(1); n < 100; n += 2 {
		ts.Quo(ts.Neg(ts.Mul(ts, x2)), new(big.Float).SetInt64((n+1)*(n+2)))
		tc.Quo(tc.Neg(tc.Mul(tc, x2)), new(big.Float).SetInt64(n*(n+1)))
		s.Add(s, ts)
		c.Add(c, tc)
	}
	fs, _ := s.Float64()
	fc, _ := c.Float64()
	return fs, fc
}

func TestExactTrigIsCorrectlyRounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		x := (rng.Float64()*2 - 1) * 3.2
		s, c := bigSinCos(x)
		if got := exactSin(x); got != s {
			t.Errorf("exactSin(%v) = %v, want %v", x, got, s)
		}
		if got := exactCos(x); got != c {
			t.Errorf("exactCos(%v) = %v, want %v", x, got, c)
		}
		// asin: the correctly rounded t has sin t nearest to y among its neighbours.
		y := rng.Float64()
		a := exactAsin(y)
		best := math.Inf(1)
		bestT := 0.0
		for _, cand := range []float64{math.Nextafter(a, -1), a, math.Nextafter(a, 2)} {
			d := new(big.Float).SetPrec(300).SetFloat64(y)
			d.Sub(d, bigSin300(cand))
			if f, _ := d.Abs(d).Float64(); f < best {
				best, bestT = f, cand
			}
		}
		if bestT != a {
			t.Errorf("exactAsin(%v) = %v, want %v", y, a, bestT)
		}
	}
}

func bigSin300(x float64) *big.Float {
	const prec = 300
	bx := new(big.Float).SetPrec(prec).SetFloat64(x)
	x2 := new(big.Float).SetPrec(prec).Mul(bx, bx)
	s, ts := new(big.Float).SetPrec(prec).Set(bx), new(big.Float).SetPrec(prec).Set(bx)
	for n := int64(1); n < 100; n += 2 {
		ts.Quo(ts.Neg(ts.Mul(ts, x2)), new(big.Float).SetInt64((n+1)*(n+2)))
		s.Add(s, ts)
	}
	return s
}

func TestGeoCommands(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", num(2),
		"GEOADD Sicily CH XX 13.361389 38.115556 Palermo 15 37 Catania 1 1 New", num(1),
		"GEOADD Sicily NX 15.087269 37.502669 Catania", num(0),
		"GEOADD Sicily 15.087269 37.502669 Catania", num(0),
		"ZCARD Sicily", num(2),
		"GEODIST Sicily Palermo Catania", bulk("166274.1516"),
		"GEODIST Sicily Palermo Catania km", bulk("166.2742"),
		"GEODIST Sicily Palermo nosuch", null,
		"GEODIST Sicily Palermo Catania parsecs", fail(errGeoUnit),
		"GEODIST Sicily Palermo Catania km x", fail(proto.ErrSyntax),
		"GEOHASH Sicily Palermo nosuch", array(bulk("sqc8b49rny0"), null),
		"GEOPOS Sicily Palermo nosuch", array(bulks("13.36138933897018433", "38.11555639549629859"), nullArray),
		"GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC", bulks("Catania", "Palermo"),
		"GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km DESC COUNT 1 WITHDIST",
		array(array(bulk("Palermo"), bulk("190.4424"))),
		"GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 10 10 km WITHHASH",
		array(array(bulk("Palermo"), num(3479099956230698))),
		"GEORADIUS Sicily 15 37 100 km STORE dst", num(1),
		"ZRANGE dst 0 -1", bulks("Catania"),
		"GEORADIUSBYMEMBER Sicily Palermo 200 km STOREDIST dst", num(2),
		"ZSCORE dst Palermo", bulk("0"),
		"GEOADD bad 200 100 x", fail("ERR invalid longitude,latitude pair 200.000000,100.000000"),
		"GEOADD bad inf 0 x", fail("ERR invalid longitude,latitude pair inf,0.000000"),
		"GEOADD bad CH CH CH", fail(proto.ErrSyntax),
		"GEOADD bad NX XX 1 1 a", fail(proto.ErrSyntax),
		"GEOSEARCH Sicily FROMMEMBER nosuch BYRADIUS -1 km", fail(errGeoMember),
		"GEOSEARCH Sicily BYRADIUS 1 km", fail("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"),
		"geosearch Sicily FROMMEMBER Palermo", fail("ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch"),
		"GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 1 km ANY", fail(errGeoAnyCount),
		"GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 1 km COUNT 0", fail(errGeoCount),
		"GEOSEARCHSTORE d Sicily FROMMEMBER Palermo BYRADIUS 1 km WITHDIST", fail("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
		"GEORADIUS Sicily 15 37 1 km WITHDIST STORE d", fail("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
		"GEORADIUS_RO Sicily 15 37 1 km STORE d", fail(proto.ErrSyntax),
		"GEORADIUSBYMEMBER nosuch x -1 parsecs", emptyArray,
		"SET d x", ok,
		"GEOSEARCHSTORE d nosuch FROMLONLAT 0 0 BYRADIUS 1 km", num(0),
		"EXISTS d", num(0),
		"SET str x", ok,
		"GEOPOS str a", fail(proto.ErrWrongType),
		"GEOSEARCH str FROMLONLAT 0 0 BYRADIUS -1 km", fail(proto.ErrWrongType),
	)
	if got := do3(s, "GEOPOS Sicily Palermo nosuch"); got != "*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n" {
		t.Errorf("RESP3 GEOPOS = %q", got)
	}
}

func TestGeoAddEncodings(t *testing.T) {
	s := newTestShard()
	s.Settings.ZSetMaxListpackEntries.Store(3)
	script(t, s, "GEOADD g 1 1 a 2 2 b 3 3 c", num(3))
	zsetEncodingIs(t, s, "g", "listpack")
	script(t, s, "GEOADD g 4 4 d", num(1))
	zsetEncodingIs(t, s, "g", "skiplist")
	script(t, s, "GEOADD h 1 1 a 2 2 b 3 3 c 4 4 d", num(4))
	zsetEncodingIs(t, s, "h", "skiplist")
	script(t, s, "GEOSEARCHSTORE st h FROMLONLAT 2 2 BYRADIUS 200 km", num(3))
	zsetEncodingIs(t, s, "st", "listpack")
	script(t, s, "GEOSEARCHSTORE st h FROMLONLAT 2 2 BYRADIUS 400 km STOREDIST", num(4))
	zsetEncodingIs(t, s, "st", "skiplist")
}

// geoSetOfSize returns a shard holding "geo" with n members spread over Europe.
func geoSetOfSize(n int) *Shard {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	w := proto.NewWriter(false)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range n {
		lon := strconv.FormatFloat(rng.Float64()*30-5, 'f', 6, 64)
		lat := strconv.FormatFloat(rng.Float64()*20+36, 'f', 6, 64)
		geoaddCommand(s, [][]byte{[]byte("GEOADD"), []byte("geo"), []byte(lon), []byte(lat), []byte("member:" + strconv.Itoa(i))}, w)
	}
	return s
}

// BenchmarkGeoAdd adds distinct members at changing positions to one geo set, which
// is dropped every 1,000,000 members.
func BenchmarkGeoAdd(b *testing.B) {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	w := proto.NewWriter(false)
	lon, lat := make([]byte, 0, 32), make([]byte, 0, 32)
	member := make([]byte, 0, 32)
	args := [][]byte{[]byte("GEOADD"), []byte("geo"), nil, nil, nil}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		lon = strconv.AppendFloat(lon[:0], float64(n%36000)/100-180, 'f', 2, 64)
		lat = strconv.AppendFloat(lat[:0], float64(n%17000)/100-85, 'f', 2, 64)
		member = strconv.AppendInt(append(member[:0], "member:"...), int64(n), 10)
		args[2], args[3], args[4] = lon, lat, member
		w.Reset()
		geoaddCommand(s, args, w)
		if n++; n == 1_000_000 {
			s.remove(args[1])
			n = 0
		}
	}
	benchSink = w.Len()
}

// BenchmarkGeoSearch searches a 100,000-member set around a point, radius 50 km
// (about 30 matches), nearest first, with distances.
func BenchmarkGeoSearch(b *testing.B) {
	s := geoSetOfSize(100_000)
	w := proto.NewWriter(false)
	for _, shape := range []string{"BYRADIUS 50 km", "BYBOX 100 100 km"} {
		b.Run(shape[:5], func(b *testing.B) {
			args := splitCmd("GEOSEARCH geo FROMLONLAT 12.5 41.9 " + shape + " ASC WITHDIST")
			b.ReportAllocs()
			for b.Loop() {
				w.Reset()
				geoSearchCommand(s, args, w)
			}
			benchSink = w.Len()
		})
	}
}
