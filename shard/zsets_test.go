package shard

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// zsetEncodingIs checks OBJECT ENCODING of key and the sorted set's invariants.
func zsetEncodingIs(t *testing.T, s *Shard, key, want string) {
	t.Helper()
	e, ok := s.peek([]byte(key))
	if !ok || e.Type != TypeZSet {
		t.Fatalf("%s holds no sorted set", key)
	}
	e.Coll.(*ZSet).mustBeValid()
	if got := do(s, "OBJECT ENCODING "+key); got != bulk(want) {
		t.Errorf("OBJECT ENCODING %s = %q, want %s", key, got, want)
	}
}

// do3 runs a command line in RESP3 and returns its reply.
func do3(s *Shard, line string) string {
	return exec(s, proto.NewWriter(true), splitCmd(line))
}

func dbl3(f string) string { return "," + f + "\r\n" }

func TestZSetBasics(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"ZADD z 1 a 2 b 3 c", num(3),
		"ZADD z 1 a 4 d", num(1),
		"ZCARD z", num(4),
		"ZSCORE z d", bulk("4"),
		"ZSCORE z nosuch", null,
		"ZMSCORE z a nosuch", array(bulk("1"), null),
		"ZMSCORE nosuch a", array(null),
		"ZADD z 1.5 e -0.25 f inf g", num(3),
		"ZRANGE z 0 -1", bulks("f", "a", "e", "b", "c", "d", "g"),
		"ZRANGE z 0 1 WITHSCORES", bulks("f", "-0.25", "a", "1"),
		"ZSCORE z g", bulk("inf"),
		"ZRANK z e", num(2),
		"ZREVRANK z e", num(4),
		"ZRANK z nosuch", null,
		"ZRANK z e WITHSCORE", array(num(2), bulk("1.5")),
		"ZREVRANK z nosuch WITHSCORE", nullArray,
		"ZRANK z e WITHSCORES", fail(proto.ErrSyntax),
		"ZCOUNT z (1 3", num(3),
		"ZCOUNT z -inf +inf", num(7),
		"ZCOUNT z x 1", fail(proto.ErrMinMaxFloat),
		"ZREM z a nosuch", num(1),
		"ZREM nosuch a", num(0),
		"ZINCRBY z 0.5 e", bulk("2"),
		"ZINCRBY z x e", fail(proto.ErrNotFloat),
		"ZINCRBY z -inf g", fail(proto.ErrZaddNaN),
		"ZPOPMIN z", bulks("f", "-0.25"),
		"ZPOPMAX z 2", bulks("g", "inf", "d", "4"),
		"ZPOPMIN z -1", fail(proto.ErrMustBePositive),
		"ZREMRANGEBYRANK z 0 -1", num(3),
		"EXISTS z", num(0),
		"ZPOPMIN z", emptyArray,
		"SET str x", ok,
		"ZADD str 1 a", fail(proto.ErrWrongType),
		"ZRANGE str 0 -1", fail(proto.ErrWrongType),
	)
}

func TestZAddOptions(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"ZADD z NX 1 a", num(1),
		"ZADD z NX 5 a 2 b", num(1),
		"ZSCORE z a", bulk("1"),
		"ZADD z XX 5 a 3 c", num(0),
		"ZSCORE z a", bulk("5"),
		"ZADD z XX CH 6 a", num(1),
		"ZADD z GT CH 1 a 9 b", num(1),
		"ZADD z LT CH 1 a 99 b", num(1),
		"ZRANGE z 0 -1 WITHSCORES", bulks("a", "1", "b", "9"),
		"ZADD z INCR 2 a", bulk("3"),
		"ZADD z NX INCR 2 a", null,
		"ZADD z GT INCR -1 a", null,
		"ZADD nokey XX 1 a", num(0),
		"EXISTS nokey", num(0),
		"ZADD z NX XX 1 a", fail(proto.ErrZaddNXXX),
		"ZADD z GT LT 1 a", fail(proto.ErrZaddGTLTNX),
		"ZADD z GT NX 1 a", fail(proto.ErrZaddGTLTNX),
		"ZADD z INCR 1 a 2 b", fail(proto.ErrZaddIncrPair),
		"ZADD z 1 a 2", fail(proto.ErrSyntax),
		"ZADD z INCR", fail(proto.ErrSyntax),
		"ZADD z nan a", fail(proto.ErrNotFloat),
		"ZADD z 1e400 a", fail(proto.ErrNotFloat),
		"ZADD z 1e-400 a", fail(proto.ErrNotFloat),
		"ZADD z \" 1\" a", fail(proto.ErrNotFloat),
		"ZADD z 0x10 h", num(1),
		"ZSCORE z h", bulk("16"),
		"ZADD z INCR inf a", bulk("inf"),
		"ZADD z INCR -inf a", fail(proto.ErrZaddNaN),
	)
}

func TestZRangeForms(t *testing.T) {
	s := newTestShard()
	do(s, "ZADD c 1 a 2 b 3 c 4 d 5 e")
	do(s, "ZADD l 0 a 0 b 0 c 0 d 0 e")
	script(t, s,
		"ZRANGE c -2 -1", bulks("d", "e"),
		"ZRANGE c 3 1", emptyArray,
		"ZRANGE c 0 1 REV", bulks("e", "d"),
		"ZREVRANGE c 1 2 WITHSCORES", bulks("d", "4", "c", "3"),
		"ZRANGE c (1 4 BYSCORE LIMIT 1 2", bulks("c", "d"),
		"ZRANGE c 4 (1 BYSCORE REV", bulks("d", "c", "b"),
		"ZRANGE c -inf +inf BYSCORE LIMIT -1 2", emptyArray,
		"ZRANGE c -inf +inf BYSCORE LIMIT 3 -1", bulks("d", "e"),
		"ZRANGEBYSCORE c (2 +inf WITHSCORES LIMIT 0 1", bulks("c", "3"),
		"ZREVRANGEBYSCORE c 4 2", bulks("d", "c", "b"),
		"ZRANGE l [b (d BYLEX", bulks("b", "c"),
		"ZRANGE l + - BYLEX REV LIMIT 1 2", bulks("d", "c"),
		"ZRANGEBYLEX l - [b", bulks("a", "b"),
		"ZREVRANGEBYLEX l (c -", bulks("b", "a"),
		"ZLEXCOUNT l (a +", num(4),
		"ZLEXCOUNT l a +", fail(proto.ErrMinMaxLex),
		"ZRANGE c 0 -1 LIMIT 0 1", fail(proto.ErrZrangeLimit),
		"ZRANGE l - + BYLEX WITHSCORES", fail(proto.ErrZrangeLexScores),
		"ZRANGEBYSCORE c 1 2 REV", fail(proto.ErrSyntax),
		"ZRANGE c a 1", fail(proto.ErrNotInt),
		"ZRANGE c 1 2 BYSCORE LIMIT x 1", fail(proto.ErrNotInt),
		"ZCOUNT c \"\" \" (3\"", fail(proto.ErrMinMaxFloat),
		"ZCOUNT c \"\" \" 3\"", num(3),
		"ZREMRANGEBYSCORE c (1 2", num(1),
		"ZREMRANGEBYLEX l [b [c", num(2),
		"ZRANGESTORE d c 0 1", num(2),
		"ZRANGE d 0 -1 WITHSCORES", bulks("a", "1", "c", "3"),
		"ZRANGESTORE d c 9 10", num(0),
		"EXISTS d", num(0),
		"ZRANGESTORE d c 0 1 WITHSCORES", fail(proto.ErrSyntax),
		"ZSCAN c 0", array(bulk("0"), bulks("a", "1", "c", "3", "d", "4", "e", "5")),
		"ZSCAN c 0 MATCH d", array(bulk("0"), bulks("d", "4")),
		"ZSCAN c 0 COUNT 0", fail(proto.ErrSyntax),
	)
}

func TestZSetRESP3Shapes(t *testing.T) {
	s := newTestShard()
	do(s, "ZADD z 1 a 2.5 b")
	f := func(line, want string) {
		t.Helper()
		if got := do3(s, line); got != want {
			t.Errorf("%s\n got %q\nwant %q", line, got, want)
		}
	}
	f("ZSCORE z b", dbl3("2.5"))
	f("ZSCORE z nosuch", "_\r\n")
	f("ZRANGE z 0 -1 WITHSCORES", array(array(bulk("a"), dbl3("1")), array(bulk("b"), dbl3("2.5"))))
	f("ZRANK z b WITHSCORE", array(num(1), dbl3("2.5")))
	f("ZRANDMEMBER z 5 WITHSCORES", array(array(bulk("a"), dbl3("1")), array(bulk("b"), dbl3("2.5"))))
	f("ZPOPMIN z", array(bulk("a"), dbl3("1")))
	f("ZMPOP 1 z MAX", array(bulk("z"), array(array(bulk("b"), dbl3("2.5")))))
	f("ZMPOP 1 z MAX", "_\r\n")
}

func TestZSetConversions(t *testing.T) {
	s := newTestShard()
	s.Settings.ZSetMaxListpackEntries.Store(4)
	s.Settings.ZSetMaxListpackValue.Store(8)
	do(s, "ZADD z 1 a 2 b 3 c 4 d")
	zsetEncodingIs(t, s, "z", "listpack")
	do(s, "ZADD z 5 e")
	zsetEncodingIs(t, s, "z", "skiplist")
	do(s, "ZADD v 1 a")
	zsetEncodingIs(t, s, "v", "listpack")
	do(s, "ZADD v 2 abcdefghi")
	zsetEncodingIs(t, s, "v", "skiplist")
	do(s, "ZADD w 1 abcdefghi")
	zsetEncodingIs(t, s, "w", "skiplist")
	do(s, "ZADD many 1 a 2 b 3 c 4 d 5 e 6 f")
	zsetEncodingIs(t, s, "many", "skiplist")
	// A stored range is built member by member: small results are listpacks again.
	script(t, s, "ZRANGESTORE small z 0 1", num(2))
	zsetEncodingIs(t, s, "small", "listpack")
	script(t, s, "ZRANGESTORE large z 0 -1", num(5))
	zsetEncodingIs(t, s, "large", "skiplist")
	// Removing members never converts back.
	script(t, s, "ZREMRANGEBYRANK z 0 2", num(3))
	zsetEncodingIs(t, s, "z", "skiplist")
	script(t, s,
		"ZRANGE z 0 -1 WITHSCORES", bulks("d", "4", "e", "5"),
		"ZSCAN many 0 COUNT 2", array(bulk("3"), bulks("a", "1", "b", "2")),
		"ZSCAN many 3 COUNT 2", array(bulk("5"), bulks("c", "3", "d", "4")),
		"ZSCAN many 5 COUNT 2", array(bulk("0"), bulks("e", "5", "f", "6")),
	)
	s.Settings.ZSetMaxListpackEntries.Store(0)
	do(s, "ZADD zero 1 a")
	zsetEncodingIs(t, s, "zero", "skiplist")
	// A clone keeps the encoding and the contents.
	e, _ := s.peek([]byte("many"))
	c := e.Coll.(*ZSet).Clone().(*ZSet)
	c.mustBeValid()
	if c.Encoding() != "skiplist" || c.Len() != 6 {
		t.Errorf("clone: %s with %d members", c.Encoding(), c.Len())
	}
}

func TestParseScore(t *testing.T) {
	f := func(in string, want float64, wantOK bool) {
		t.Helper()
		got, ok := parseScore([]byte(in))
		if ok != wantOK || (ok && got != want && !(math.IsNaN(got) && math.IsNaN(want))) {
			t.Errorf("parseScore(%q) = %v, %v; want %v, %v", in, got, ok, want, wantOK)
		}
	}
	f("1", 1, true)
	f("-1.5", -1.5, true)
	f("+inf", math.Inf(1), true)
	f("-Infinity", math.Inf(-1), true)
	f("0x10", 16, true)
	f("1e-5", 1e-5, true)
	f("0", 0, true)
	f("0.000", 0, true)
	f("", 0, false)
	f(" 1", 0, false)
	f("1 ", 0, false)
	f("nan", 0, false)
	f("1e400", 0, false)
	f("1e-400", 0, false)
	f("1_0", 0, false)
	f("abc", 0, false)
}

// zmodelMember is one member of the reference model: a plain sorted slice.
type zmodelMember struct {
	m  string
	sc float64
}

// TestZSetModel drives both encodings with random operations and compares every
// member, score and rank with a sorted slice.
func TestZSetModel(t *testing.T) {
	for _, entries := range []int64{1 << 20, 0} {
		t.Run(fmt.Sprintf("entries=%d", entries), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(entries)))
			lim := zsetLimits{entries: int(entries), value: 64}
			z := newZSetFor(0, 0, lim)
			var model []zmodelMember
			for step := range 3000 {
				m := []byte("m" + strconv.Itoa(rng.IntN(200)))
				sc := float64(rng.IntN(50)) / 2
				switch rng.IntN(4) {
				case 0, 1:
					z.add(m, sc, zaddFlags{}, lim)
					model = zmodelPut(model, string(m), sc)
				case 2:
					got := z.remove(m)
					var want bool
					model, want = zmodelDel(model, string(m))
					if got != want {
						t.Fatalf("step %d: remove %s = %v, want %v", step, m, got, want)
					}
				case 3:
					if len(model) > 0 {
						start := rng.IntN(len(model))
						n := rng.IntN(3)
						n = min(n, len(model)-start)
						z.removeRange(start, n)
						model = append(model[:start], model[start+n:]...)
					}
				}
				z.mustBeValid()
				if z.Len() != len(model) {
					t.Fatalf("step %d: len %d, want %d", step, z.Len(), len(model))
				}
				i := 0
				z.walk(0, false, func(m []byte, sc float64) bool {
					if string(m) != model[i].m || sc != model[i].sc {
						t.Fatalf("step %d: rank %d is %s %v, want %s %v", step, i, m, sc, model[i].m, model[i].sc)
					}
					if r, ok := z.rank(m); !ok || r != i {
						t.Fatalf("step %d: rank(%s) = %d, want %d", step, m, r, i)
					}
					i++
					return true
				})
				lo := float64(rng.IntN(30)) / 2
				r := scoreRange{min: lo, max: lo + 3, minEx: rng.IntN(2) == 0}
				want := 0
				for _, e := range model {
					if r.below(nil, e.sc) {
						want++
					}
				}
				if got := z.prefix(r.below); got != want {
					t.Fatalf("step %d: prefix below %v = %d, want %d", step, r, got, want)
				}
			}
			wantEnc := "listpack"
			if entries == 0 {
				wantEnc = "skiplist"
			}
			if z.Encoding() != wantEnc {
				t.Errorf("encoding %s, want %s", z.Encoding(), wantEnc)
			}
		})
	}
}

func zmodelPut(model []zmodelMember, m string, sc float64) []zmodelMember {
	model, _ = zmodelDel(model, m)
	i := sort.Search(len(model), func(i int) bool {
		return zless(sc, []byte(m), model[i].sc, []byte(model[i].m))
	})
	model = append(model, zmodelMember{})
	copy(model[i+1:], model[i:])
	model[i] = zmodelMember{m: m, sc: sc}
	return model
}

func zmodelDel(model []zmodelMember, m string) ([]zmodelMember, bool) {
	for i, e := range model {
		if e.m == m {
			return append(model[:i], model[i+1:]...), true
		}
	}
	return model, false
}

// TestZSetListpackLayout checks the listpack bytes: member then score, scores stored
// as integers when integral.
func TestZSetListpackLayout(t *testing.T) {
	z := newZSetFor(1, 1, zsetLimits{entries: 128, value: 64})
	lim := zsetLimits{entries: 128, value: 64}
	z.insert([]byte("b"), 2.5, lim)
	z.insert([]byte("a"), 3, lim)
	want := lpNew(0)
	for i, v := range []string{"b", "2.5", "a", "3"} {
		want = lpInsert(want, len(want)-1, i, []byte(v))
	}
	if !bytes.Equal(z.lp, want) {
		t.Errorf("listpack\n got %x\nwant %x", z.lp, want)
	}
}

func TestZSetAlgebra(t *testing.T) {
	s := newTestShard()
	do(s, "ZADD a 1 x 2 y")
	do(s, "ZADD b 3 y 4 z")
	do(s, "SADD st y q")
	script(t, s,
		"ZUNION 2 a b WITHSCORES", bulks("x", "1", "z", "4", "y", "5"),
		"ZUNION 2 a b WEIGHTS 2 1 AGGREGATE MAX WITHSCORES", bulks("x", "2", "y", "4", "z", "4"),
		"ZUNION 2 a b WEIGHTS inf 0 WITHSCORES", bulks("z", "0", "x", "inf", "y", "inf"),
		"ZUNION 2 a st WITHSCORES", bulks("q", "1", "x", "1", "y", "3"),
		"ZINTER 2 a b AGGREGATE MIN WITHSCORES", bulks("y", "2"),
		"ZINTER 2 a nosuch", emptyArray,
		"ZDIFF 2 a b WITHSCORES", bulks("x", "1"),
		"ZDIFF 2 a b WEIGHTS 1 1", fail(proto.ErrSyntax),
		"ZUNION 0 a", fail(fmt.Sprintf(proto.ErrZNumkeysFmt, "zunion")),
		"ZUNION 3 a b", fail(proto.ErrSyntax),
		"ZUNION 2 a b WEIGHTS 1 x", fail(proto.ErrWeightNotFloat),
		"SET str v", ok,
		"ZUNION 2 str a WEIGHTS x", fail(proto.ErrWrongType),
		"ZUNIONSTORE d 2 a b", num(3),
		"ZRANGE d 0 -1 WITHSCORES", bulks("x", "1", "z", "4", "y", "5"),
		"ZUNIONSTORE d 2 a b WITHSCORES", fail(proto.ErrSyntax),
		"ZINTERSTORE d 2 a nosuch", num(0),
		"EXISTS d", num(0),
		"ZDIFFSTORE d 1 a", num(2),
		"ZINTERCARD 2 a b", num(1),
		"ZINTERCARD 2 a st LIMIT 1", num(1),
		"ZINTERCARD 2 a b LIMIT -1", fail(proto.ErrLimitNegative),
		"ZINTERCARD 0 a", fail(fmt.Sprintf(proto.ErrZNumkeysFmt, "zintercard")),
	)
	zsetEncodingIs(t, s, "d", "listpack")
	s.Settings.ZSetMaxListpackEntries.Store(1)
	script(t, s, "ZUNIONSTORE big 2 a b", num(3))
	zsetEncodingIs(t, s, "big", "skiplist")
	script(t, s, "ZINTERSTORE small 2 a b", num(1))
	zsetEncodingIs(t, s, "small", "listpack")
}

func TestZSetPopAndRandom(t *testing.T) {
	s := newTestShard()
	do(s, "ZADD m 1 a 2 b 3 c")
	script(t, s,
		"ZMPOP 2 nosuch m MAX COUNT 2", array(bulk("m"), array(bulks("c", "3"), bulks("b", "2"))),
		"ZMPOP 1 m MIN COUNT 0", fail(proto.ErrCountPositive),
		"ZMPOP 0 m MIN", fail(proto.ErrNumkeysPositive),
		"ZMPOP 1 m FOO", fail(proto.ErrSyntax),
		"ZMPOP 1 m MIN", array(bulk("m"), array(bulks("a", "1"))),
		"ZMPOP 1 m MIN", nullArray,
		"ZADD one 7 only", num(1),
		"ZRANDMEMBER one", bulk("only"),
		"ZRANDMEMBER one -3", bulks("only", "only", "only"),
		"ZRANDMEMBER one -2 WITHSCORES", bulks("only", "7", "only", "7"),
		"ZRANDMEMBER one 1 WITHSCORE", fail(proto.ErrSyntax),
		"ZRANDMEMBER one -9223372036854775808", fail(proto.ErrLposRankRange),
		"ZRANDMEMBER one -4611686018427387904 WITHSCORES", fail(proto.ErrValueOutOfRange),
		"ZRANDMEMBER nosuch", null,
		"ZRANDMEMBER nosuch 2", emptyArray,
	)
	do(s, "ZADD r 1 a 2 b 3 c 4 d 5 e 6 f 7 g 8 h 9 i 10 j")
	for _, count := range []string{"2", "5", "9"} {
		got := do(s, "ZRANDMEMBER r "+count)
		n, _ := strconv.Atoi(count)
		if !bytes.HasPrefix([]byte(got), []byte("*"+count+"\r\n")) {
			t.Fatalf("ZRANDMEMBER r %s = %q", count, got)
		}
		seen := map[string]bool{}
		for _, line := range bytes.Split([]byte(got), []byte("\r\n"))[1:] {
			if len(line) > 0 && line[0] != '$' {
				if seen[string(line)] {
					t.Fatalf("ZRANDMEMBER r %s repeated %s", count, line)
				}
				seen[string(line)] = true
			}
		}
		if len(seen) != n {
			t.Fatalf("ZRANDMEMBER r %s gave %d distinct members", count, len(seen))
		}
	}
}
