package shard

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// The differential corpus (coord/testdata/diff/bitmaps.txt) checks replies against
// redis-server; these tests cover what it cannot: Redis 7.2's argument checks before the
// key lookup, the word-at-a-time scans against a bit-by-bit reference, and BITFIELD's
// overflow arithmetic against exact big-integer sums.

func TestBitmapArgumentsBeforeLookup(t *testing.T) {
	s := newTestShard()
	script(t, s,
		// Redis 7.2 parses BITCOUNT/BITPOS arguments before looking the key up.
		"BITCOUNT missing 1", fail(proto.ErrSyntax),
		"BITCOUNT missing a b", fail(proto.ErrNotInt),
		"BITCOUNT missing 0 1 foo", fail(proto.ErrSyntax),
		"BITPOS missing 1 a", fail(proto.ErrNotInt),
		"BITPOS missing 0 0 1 foo", fail(proto.ErrSyntax),
		"RPUSH l a", num(1),
		"BITCOUNT l 1", fail(proto.ErrSyntax),
		"BITPOS l 1 0 1 foo", fail(proto.ErrSyntax),
		"BITCOUNT l 0 1", fail(proto.ErrWrongType),
		"BITCOUNT missing 0 -1", num(0),
		"BITPOS missing 0 5 9 BIT", num(0),
		"BITPOS missing 1 5", num(-1),
	)
}

func TestSetbitEncodingAndGrowth(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"SET n 12", ok,
		"OBJECT ENCODING n", bulk("int"),
		"SETBIT n 6 1", num(0),
		"GET n", bulk("32"),
		"OBJECT ENCODING n", bulk("raw"),
		"SETBIT new 20 1", num(0),
		"STRLEN new", num(3),
		"GETBIT new 20", num(1),
		"OBJECT ENCODING new", bulk("raw"),
		"BITOP NOT dst n", num(2),
		"OBJECT ENCODING dst", bulk("raw"),
	)
	s.Settings.MaxBulk.Store(4)
	script(t, s,
		"SETBIT small 31 1", num(0),
		"SETBIT small 32 1", fail(errBitOffset),
		"BITFIELD small GET u8 24", array(num(1)),
		"BITFIELD small GET u8 32", fail(errBitOffset),
		"BITFIELD small SET u8 \"#3\" 255", array(num(1)),
	)
}

func TestBitfieldReadOnly(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"BITFIELD_RO k SET u8 0 1", fail(errBitfieldROWrite),
		"BITFIELD_RO k SET i65 0 1", fail(errBitfieldType),
		"EXISTS k", num(0),
		"BITFIELD k OVERFLOW FAIL SET u8 8 256", array(null),
		"STRLEN k", num(2),
		"BITFIELD_RO k GET u16 0", array(num(0)),
	)
}

// refBit is bit i of p, bit 0 being the most significant bit of p[0].
func refBit(p []byte, i int) int { return int(p[i/8]>>(7-i%8)) & 1 }

func randomBits(r *rand.Rand, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		switch r.IntN(4) {
		case 0:
			p[i] = 0
		case 1:
			p[i] = 0xff
		default:
			p[i] = byte(r.Uint32())
		}
	}
	return p
}

func TestCountAndFindBitsAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		p := randomBits(r, 1+r.IntN(70))
		n := len(p) * 8
		first := r.IntN(n)
		last := first + r.IntN(n-first)
		count, pos1, pos0 := 0, -1, -1
		for i := first; i <= last; i++ {
			b := refBit(p, i)
			count += b
			if b == 1 && pos1 < 0 {
				pos1 = i
			}
			if b == 0 && pos0 < 0 {
				pos0 = i
			}
		}
		if got := countBits(p, uint64(first), uint64(last)); got != count {
			t.Fatalf("countBits(%x, %d, %d) = %d, want %d", p, first, last, got, count)
		}
		if got := findBit(p, uint64(first), uint64(last), true); got != int64(pos1) {
			t.Fatalf("findBit(%x, %d, %d, 1) = %d, want %d", p, first, last, got, pos1)
		}
		if got := findBit(p, uint64(first), uint64(last), false); got != int64(pos0) {
			t.Fatalf("findBit(%x, %d, %d, 0) = %d, want %d", p, first, last, got, pos0)
		}
	}
}

func TestFieldRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		p := randomBits(r, 20)
		width := uint8(1 + r.IntN(64))
		off := uint64(r.IntN(20*8 - int(width) + 1))
		v := r.Uint64()
		before := append([]byte(nil), p...)
		writeField(p, off, width, v)
		want := v
		if width < 64 {
			want &= 1<<width - 1
		}
		if got := uint64(readField(p, off, width, false)); width < 64 && got != want {
			t.Fatalf("u%d at %d: got %d, want %d", width, off, got, want)
		}
		if got := uint64(readField(p, off, width, true)); width == 64 && got != want {
			t.Fatalf("i64 at %d: got %d, want %d", off, got, want)
		}
		for i := 0; i < 160; i++ {
			if (uint64(i) < off || uint64(i) >= off+uint64(width)) && refBit(p, i) != refBit(before, i) {
				t.Fatalf("writing %d bits at %d changed bit %d", width, off, i)
			}
		}
	}
}

// refLimit computes fieldLimit with big integers: the exact sum, its range check, and
// wrapping as reduction modulo 2^width.
func refLimit(value, incr int64, width uint8, signed bool, policy uint8, set bool) (int64, bool) {
	v := big.NewInt(value)
	if !signed && set && value < 0 {
		v.SetUint64(uint64(value))
	}
	sum := new(big.Int).Add(v, big.NewInt(incr))
	lo, hi := new(big.Int), new(big.Int).Lsh(big.NewInt(1), uint(width))
	if signed {
		hi.Rsh(hi, 1)
		lo.Neg(hi)
	}
	hi.Sub(hi, big.NewInt(1))
	if sum.Cmp(lo) >= 0 && sum.Cmp(hi) <= 0 {
		return sum.Int64(), false
	}
	if policy == overflowSat {
		if sum.Cmp(hi) > 0 {
			return hi.Int64(), true
		}
		return lo.Int64(), true
	}
	mod := new(big.Int).Lsh(big.NewInt(1), uint(width))
	sum.Mod(sum, mod)
	if signed && sum.Cmp(hi) > 0 {
		sum.Sub(sum, mod)
	}
	return sum.Int64(), true
}

func TestFieldLimitAgainstBigInt(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	edge := []int64{0, 1, -1, 2, -2, 127, 128, -128, -129, 255, 256, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1}
	pick := func() int64 {
		if r.IntN(2) == 0 {
			return edge[r.IntN(len(edge))]
		}
		return int64(r.Uint64()) >> r.IntN(64)
	}
	for range 20000 {
		signed := r.IntN(2) == 0
		width := uint8(1 + r.IntN(63))
		if signed {
			width = uint8(1 + r.IntN(64))
		}
		set := r.IntN(2) == 0
		value, incr := pick(), int64(0)
		if !set {
			// INCRBY starts from a value the field can hold.
			value = readField([]byte{byte(value >> 56), byte(value >> 48), byte(value >> 40), byte(value >> 32), byte(value >> 24), byte(value >> 16), byte(value >> 8), byte(value)}, 64-uint64(width), width, signed)
			incr = pick()
		}
		for _, policy := range []uint8{overflowWrap, overflowSat} {
			got, gotOver := fieldLimit(value, incr, width, signed, policy, set)
			want, wantOver := refLimit(value, incr, width, signed, policy, set)
			if got != want || gotOver != wantOver {
				t.Fatalf("fieldLimit(%d, %d, %d, signed=%v, policy=%d, set=%v) = %d, %v; want %d, %v",
					value, incr, width, signed, policy, set, got, gotOver, want, wantOver)
			}
		}
	}
}

func TestCombineBits(t *testing.T) {
	f := func(op BitOp, want string, srcs ...string) {
		t.Helper()
		in := make([][]byte, len(srcs))
		for i, s := range srcs {
			if s != "<nil>" {
				in[i] = []byte(s)
			}
		}
		if got := string(CombineBits(op, in)); got != want {
			t.Errorf("op %d over %q = %q, want %q", op, srcs, got, want)
		}
	}
	f(BitAnd, "\x01\x00", "\x0f\x0f", "\x01")
	f(BitOr, "\x0f\x0f", "\x0f\x0f", "\x01")
	f(BitXor, "\x0e\x0f\x01", "\x0f\x0f", "\x01", "\x00\x00\x01")
	f(BitNot, "\xf0\xfe", "\x0f\x01")
	f(BitAnd, "\x00\x00", "<nil>", "\xff\xff")
	f(BitOr, "", "<nil>", "")
}

func TestCombineBitsAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 500 {
		op := BitOp(r.IntN(4))
		srcs := make([][]byte, 1+r.IntN(4))
		if op == BitNot {
			srcs = srcs[:1]
		}
		n := 0
		for i := range srcs {
			if r.IntN(5) > 0 {
				srcs[i] = randomBits(r, r.IntN(40))
			}
			n = max(n, len(srcs[i]))
		}
		want := make([]byte, n)
		for j := range want {
			at := func(src []byte) byte {
				if j < len(src) {
					return src[j]
				}
				return 0
			}
			v := at(srcs[0])
			for _, src := range srcs[1:] {
				switch op {
				case BitAnd:
					v &= at(src)
				case BitOr:
					v |= at(src)
				case BitXor:
					v ^= at(src)
				}
			}
			if op == BitNot {
				v = ^v
			}
			want[j] = v
		}
		if got := CombineBits(op, srcs); string(got) != string(want) {
			t.Fatalf("op %d over %x = %x, want %x", op, srcs, got, want)
		}
	}
}

// benchBitmap returns a shard holding one bitmap of size bytes under key "bm".
func benchBitmap(size int) (*Shard, []byte) {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	key := []byte("bm")
	r := rand.New(rand.NewPCG(7, 8))
	s.put(key, Object{Type: TypeString, Flags: flagRaw, Str: randomBits(r, size)})
	return s, key
}

func BenchmarkSetbit(b *testing.B) {
	s, key := benchBitmap(1 << 20)
	w := proto.NewWriter(false)
	offs := make([][]byte, 1024)
	for i := range offs {
		offs[i] = []byte(big.NewInt(int64(i * 8191 % (8 << 20))).String())
	}
	args := [][]byte{[]byte("SETBIT"), key, nil, []byte("1")}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		args[2] = offs[i%len(offs)]
		i++
		w.Reset()
		setbitCommand(s, args, w)
	}
	benchSink = w.Len()
}

func BenchmarkGetbit(b *testing.B) {
	s, key := benchBitmap(1 << 20)
	w := proto.NewWriter(false)
	args := [][]byte{[]byte("GETBIT"), key, []byte("123456")}
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		getbitCommand(s, args, w)
	}
	benchSink = w.Len()
}

func BenchmarkBitcount(b *testing.B) {
	s, key := benchBitmap(1 << 20)
	w := proto.NewWriter(false)
	args := [][]byte{[]byte("BITCOUNT"), key}
	b.ReportAllocs()
	b.SetBytes(1 << 20)
	for b.Loop() {
		w.Reset()
		bitcountCommand(s, args, w)
	}
	benchSink = w.Len()
}

func BenchmarkBitcountBitRange(b *testing.B) {
	s, key := benchBitmap(1 << 20)
	w := proto.NewWriter(false)
	args := [][]byte{[]byte("BITCOUNT"), key, []byte("3"), []byte("8388000"), []byte("BIT")}
	b.ReportAllocs()
	b.SetBytes(1 << 20)
	for b.Loop() {
		w.Reset()
		bitcountCommand(s, args, w)
	}
	benchSink = w.Len()
}

func BenchmarkBitpos(b *testing.B) {
	s, key := benchBitmap(1 << 20)
	// Clear every bit but the very last, so the scan covers the whole string.
	e, _ := s.read(key)
	clear(e.Str)
	e.Str[len(e.Str)-1] = 1
	w := proto.NewWriter(false)
	args := [][]byte{[]byte("BITPOS"), key, []byte("1")}
	b.ReportAllocs()
	b.SetBytes(1 << 20)
	for b.Loop() {
		w.Reset()
		bitposCommand(s, args, w)
	}
	benchSink = w.Len()
}

func BenchmarkBitop(b *testing.B) {
	r := rand.New(rand.NewPCG(11, 12))
	srcs := [][]byte{randomBits(r, 1<<16), randomBits(r, 1<<16), randomBits(r, 1<<15)}
	b.ReportAllocs()
	b.SetBytes(1 << 16)
	for b.Loop() {
		benchSink = len(CombineBits(BitXor, srcs))
	}
}

func BenchmarkBitfield(b *testing.B) {
	s, key := benchBitmap(1 << 16)
	w := proto.NewWriter(false)
	args := [][]byte{[]byte("BITFIELD"), key, []byte("GET"), []byte("u16"), []byte("#100"),
		[]byte("OVERFLOW"), []byte("SAT"), []byte("INCRBY"), []byte("i32"), []byte("#7"), []byte("5")}
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		bitfieldCommand(s, args, w)
	}
	benchSink = w.Len()
}
