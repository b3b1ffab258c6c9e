package shard

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// setEncodingIs checks OBJECT ENCODING of key and the set's invariants.
func setEncodingIs(t *testing.T, s *Shard, key, want string) {
	t.Helper()
	e, ok := s.peek([]byte(key))
	if !ok || e.Type != TypeSet {
		t.Fatalf("%s holds no set", key)
	}
	e.Coll.(*Set).mustBeValid()
	if got := do(s, "OBJECT ENCODING "+key); got != bulk(want) {
		t.Errorf("OBJECT ENCODING %s = %q, want %s", key, got, want)
	}
}

// seq returns "prefix0 prefix1 ... prefix(n-1)".
func seq(prefix string, from, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("%s%d", prefix, from+i)
	}
	return strings.Join(parts, " ")
}

func TestSetBasics(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"SADD s a b c", num(3),
		"SADD s a d", num(1),
		"SCARD s", num(4),
		"SISMEMBER s a", num(1),
		"SISMEMBER s z", num(0),
		"SMISMEMBER s a z d", nums(1, 0, 1),
		"SMISMEMBER nosuch a", nums(0),
		"SMEMBERS s", bulks("a", "b", "c", "d"), // a listpack keeps insertion order
		"SREM s a z", num(1),
		"SREM s b c d", num(3),
		"EXISTS s", num(0),
		"SADD i 3 1 2", num(3),
		"SMEMBERS i", bulks("1", "2", "3"), // an intset is sorted
		"SISMEMBER i 01", num(0),
		"SPOP nosuch", "$-1\r\n",
		"SPOP nosuch 2", emptyArray,
		"SPOP i abc", fail(proto.ErrMustBePositive),
		"SRANDMEMBER nosuch", "$-1\r\n",
		"SRANDMEMBER nosuch 3", emptyArray,
		"SRANDMEMBER i -9223372036854775808", fail(proto.ErrLposRankRange),
		"SRANDMEMBER i 1 2", fail(proto.ErrSyntax),
		"SSCAN i 0", array(bulk("0"), bulks("1", "2", "3")),
		"SSCAN i 0 MATCH 2", array(bulk("0"), bulks("2")),
		"SSCAN i x", fail(proto.ErrCursor),
		"SSCAN i 0 COUNT 0", fail(proto.ErrSyntax),
		"SSCAN nosuch 0 COUNT 0", array(bulk("0"), emptyArray),
	)
}

func TestSetWrongType(t *testing.T) {
	s := newTestShard()
	do(s, "SET str v")
	do(s, "SADD set a")
	for _, line := range []string{"SADD str a", "SREM str a", "SCARD str", "SISMEMBER str a",
		"SMEMBERS str", "SPOP str", "SRANDMEMBER str 2", "SINTER set str", "SUNION str set",
		"SDIFF set str", "SINTERCARD 2 set str", "SMOVE set str a", "SMOVE str set a",
		"SSCAN str 0", "GET set", "LPUSH set x"} {
		if got := do(s, line); got != fail(proto.ErrWrongType) {
			t.Errorf("%s = %q, want WRONGTYPE", line, got)
		}
	}
	script(t, s, "SMOVE nosuch str a", num(0), "SINTERSTORE str set", num(1), "TYPE str", "+set\r\n")
}

func TestSetAlgebra(t *testing.T) {
	s := newTestShard()
	do(s, "SADD a 1 2 3 x")
	do(s, "SADD b 2 3 4 x y")
	script(t, s,
		"SINTER a b", bulks("2", "3", "x"),
		"SINTER a nosuch", emptyArray,
		"SDIFF a b", bulks("1"),
		"SDIFF nosuch a", emptyArray,
		"SUNIONSTORE u a b", num(6),
		"SINTERSTORE i a b", num(3),
		"SDIFFSTORE d a a", num(0),
		"SINTERCARD 2 a b", num(3),
		"SINTERCARD 2 a b LIMIT 2", num(2),
		"SINTERCARD 3 a b", fail(proto.ErrNumkeysOverArgs),
		"SINTERCARD 2 a b LIMIT -1", fail(proto.ErrLimitNegative),
		"SINTERCARD x a", fail(proto.ErrNumkeysPositive),
		"SET dst v", "+OK\r\n",
		"SINTERSTORE dst a nosuch", num(0),
		"EXISTS dst", num(0),
		"SMOVE a b 1", num(1),
		"SMOVE a b 1", num(0),
		"SMOVE a a 2", num(1),
		"SMOVE a new 2", num(1),
		"SMEMBERS new", bulks("2"),
	)
	setEncodingIs(t, s, "u", "listpack")
	setEncodingIs(t, s, "new", "intset")
	do(s, "SADD ints 1 2 3")
	do(s, "SADD ints2 2 3")
	do(s, "SINTERSTORE ii ints ints2")
	setEncodingIs(t, s, "ii", "intset")
}

// The encodings convert where Redis 7.2 converts them.
func TestSetEncodingConversions(t *testing.T) {
	s := newTestShard()
	do(s, "SADD i "+seq("", 0, 512))
	setEncodingIs(t, s, "i", "intset")
	do(s, "SADD i 512")
	setEncodingIs(t, s, "i", "hashtable")
	do(s, "SREM i "+seq("", 0, 510))
	setEncodingIs(t, s, "i", "hashtable") // never converts back

	do(s, "SADD j 1 2 3")
	do(s, "SADD j a")
	setEncodingIs(t, s, "j", "listpack")
	do(s, "SADD k "+seq("", 0, 128))
	do(s, "SADD k a")
	setEncodingIs(t, s, "k", "hashtable") // 128 integers and a string: over 128
	do(s, "SADD l "+seq("", 0, 127))
	do(s, "SADD l a")
	setEncodingIs(t, s, "l", "listpack")
	do(s, "SADD l b")
	setEncodingIs(t, s, "l", "hashtable")

	do(s, "SADD m "+strings.Repeat("v", 64))
	setEncodingIs(t, s, "m", "listpack")
	do(s, "SADD m "+strings.Repeat("v", 65))
	setEncodingIs(t, s, "m", "hashtable")
	do(s, "SADD n "+strings.Repeat("v", 65))
	setEncodingIs(t, s, "n", "hashtable") // the first member is checked too

	// The number of arguments alone decides, duplicates or not.
	do(s, "SADD o "+strings.Repeat("a ", 129))
	setEncodingIs(t, s, "o", "hashtable")
	do(s, "SADD p "+strings.Repeat("1 ", 513))
	setEncodingIs(t, s, "p", "hashtable")
	do(s, "SADD q 1")
	do(s, "SADD q "+strings.Repeat("2 ", 513))
	setEncodingIs(t, s, "q", "hashtable")

	// SPOP of most members rebuilds a hashtable as a listpack.
	do(s, "SADD h "+seq("x", 0, 200))
	setEncodingIs(t, s, "h", "hashtable")
	do(s, "SPOP h 190")
	setEncodingIs(t, s, "h", "listpack")
	if got := do(s, "SCARD h"); got != num(10) {
		t.Errorf("SCARD h = %q", got)
	}

	// The thresholds are settings.
	s.Settings.SetMaxIntsetEntries.Store(2)
	s.Settings.SetMaxListpackEntries.Store(2)
	s.Settings.SetMaxListpackValue.Store(2)
	do(s, "SADD r 1 2")
	setEncodingIs(t, s, "r", "intset")
	do(s, "SADD r 3")
	setEncodingIs(t, s, "r", "hashtable")
	do(s, "SADD t 100")
	do(s, "SADD t a")
	setEncodingIs(t, s, "t", "hashtable") // "100" is longer than the value limit
	do(s, "SADD u 10")
	do(s, "SADD u a")
	setEncodingIs(t, s, "u", "listpack")
}

func TestSetHashtableScanAndRandom(t *testing.T) {
	s := newTestShard()
	do(s, "SADD h "+seq("m", 0, 1000))
	setEncodingIs(t, s, "h", "hashtable")
	seen := map[string]bool{}
	cursor := "0"
	for calls := 0; ; calls++ {
		if calls > 1000 {
			t.Fatal("SSCAN does not finish")
		}
		w := proto.NewWriter(false)
		exec(s, w, [][]byte{[]byte("SSCAN"), []byte("h"), []byte(cursor), []byte("COUNT"), []byte("50")})
		parts := strings.Split(string(w.Bytes()), "\r\n")
		cursor = parts[2]
		for i := 5; i+1 < len(parts); i += 2 {
			seen[parts[i]] = true
		}
		if cursor == "0" {
			break
		}
	}
	if len(seen) != 1000 {
		t.Errorf("SSCAN saw %d members, want 1000", len(seen))
	}
	if got := do(s, "SRANDMEMBER h -5"); !strings.HasPrefix(got, "*5\r\n") {
		t.Errorf("SRANDMEMBER h -5 = %q", got)
	}
	for _, c := range []int{1, 10, 500, 999} {
		got := do(s, fmt.Sprintf("SRANDMEMBER h %d", c))
		members := strings.Split(got, "\r\n")
		distinct := map[string]bool{}
		for i := 2; i < len(members); i += 2 {
			distinct[members[i]] = true
		}
		if len(distinct) != c {
			t.Errorf("SRANDMEMBER h %d gave %d distinct members", c, len(distinct))
		}
	}
	do(s, "SPOP h 400")
	setEncodingIs(t, s, "h", "hashtable")
	if got := do(s, "SCARD h"); got != num(600) {
		t.Errorf("SCARD after SPOP = %q", got)
	}
}

func TestSetAPI(t *testing.T) {
	s := newTestShard()
	do(s, "SADD a 1 2 x")
	do(s, "SET str v")
	st, wrong := s.SetClone([]byte("a"))
	if wrong || st.Len() != 3 {
		t.Fatalf("SetClone = %v, %v", st, wrong)
	}
	st.add([]byte("y"), s.setLimits())
	if got := do(s, "SCARD a"); got != num(3) {
		t.Errorf("a clone shares memory with the stored set")
	}
	if _, wrong := s.SetClone([]byte("str")); !wrong {
		t.Error("SetClone on a string: no wrongType")
	}
	if n := s.SetStore([]byte("b"), st); n != 4 {
		t.Errorf("SetStore = %d", n)
	}
	if n := s.SetStore([]byte("b"), nil); n != 0 || s.Exists([]byte("b")) {
		t.Error("SetStore(nil) kept the key")
	}
	if removed, _ := s.SetRemove([]byte("a"), []byte("x")); !removed {
		t.Error("SetRemove missed x")
	}
	if n, _ := s.SetAdd([]byte("c"), [][]byte{[]byte("1"), []byte("1")}); n != 1 {
		t.Errorf("SetAdd = %d", n)
	}
	if _, wrong := s.SetAdd([]byte("str"), [][]byte{[]byte("1")}); !wrong {
		t.Error("SetAdd on a string: no wrongType")
	}
	res := CombineSets(SetUnion, []*Set{st, nil}, s.Settings)
	if res.Len() != 4 || InterCard([]*Set{st, res}, 0) != 4 || InterCard([]*Set{st, nil}, 0) != 0 {
		t.Error("CombineSets/InterCard disagree")
	}
}

// A set under random operations agrees with a Go map, through every encoding: small
// limits make it convert between intset, listpack and hashtable as it grows.
func TestSetAgainstModel(t *testing.T) {
	for _, limits := range [][2]int64{{512, 128}, {4, 4}, {0, 0}} {
		s := newTestShard()
		s.Settings.SetMaxIntsetEntries.Store(limits[0])
		s.Settings.SetMaxListpackEntries.Store(limits[1])
		rng := rand.New(rand.NewPCG(uint64(limits[0]), 7))
		model := map[string]bool{}
		member := func() string {
			if rng.IntN(2) == 0 {
				return strconv.Itoa(rng.IntN(40))
			}
			return "m" + strconv.Itoa(rng.IntN(40))
		}
		for step := 0; step < 4000; step++ {
			m := member()
			switch rng.IntN(5) {
			case 0, 1:
				want := int64(0)
				if !model[m] {
					want = 1
				}
				model[m] = true
				if got := do(s, "SADD s "+m); got != num(want) {
					t.Fatalf("step %d: SADD s %s = %q, want %q", step, m, got, num(want))
				}
			case 2:
				want := int64(0)
				if model[m] {
					want = 1
				}
				delete(model, m)
				if got := do(s, "SREM s "+m); got != num(want) {
					t.Fatalf("step %d: SREM s %s = %q, want %q", step, m, got, num(want))
				}
			case 3:
				want := int64(0)
				if model[m] {
					want = 1
				}
				if got := do(s, "SISMEMBER s "+m); got != num(want) {
					t.Fatalf("step %d: SISMEMBER s %s = %q, want %q", step, m, got, num(want))
				}
			case 4:
				if got := do(s, "SCARD s"); got != num(int64(len(model))) {
					t.Fatalf("step %d: SCARD s = %q, want %d", step, got, len(model))
				}
			}
			if e, ok := s.peek([]byte("s")); ok {
				e.Coll.(*Set).mustBeValid()
			} else if len(model) != 0 {
				t.Fatalf("step %d: the set vanished with %d members", step, len(model))
			}
		}
	}
}
