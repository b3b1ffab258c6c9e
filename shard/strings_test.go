package shard

import (
	"strconv"
	"strings"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// testNow is the command clock the tests pin, so TTL replies are exact.
const testNow int64 = 1_700_000_000_000

// newTestShard returns a shard with database 0 selected and the clock pinned at testNow.
func newTestShard() *Shard {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	s.now = testNow
	return s
}

// splitCmd splits a command line on spaces; "" is an empty argument and "a b" one
// argument with a space (no escapes).
func splitCmd(line string) [][]byte {
	var args [][]byte
	for len(line) > 0 {
		line = strings.TrimLeft(line, " ")
		if line == "" {
			break
		}
		if line[0] == '"' {
			end := strings.IndexByte(line[1:], '"') + 1
			args = append(args, []byte(line[1:end]))
			line = line[end+1:]
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		args = append(args, []byte(word))
		line = rest
	}
	return args
}

// exec runs one command through its registered handler and returns the raw reply.
func exec(s *Shard, w *proto.Writer, args [][]byte) string {
	name := strings.ToLower(string(args[0]))
	if name == "object" && len(args) > 1 {
		name += "|" + strings.ToLower(string(args[1]))
	}
	h := Lookup(name)
	if h == nil {
		panic("no handler for " + name)
	}
	w.Reset()
	h(s, args, w)
	return string(w.Bytes())
}

// do runs a command line in RESP2 and returns its reply.
func do(s *Shard, line string) string {
	return exec(s, proto.NewWriter(false), splitCmd(line))
}

// script runs command lines and checks each reply.
func script(t *testing.T, s *Shard, steps ...string) {
	t.Helper()
	if len(steps)%2 != 0 {
		t.Fatal("script needs command/reply pairs")
	}
	for i := 0; i < len(steps); i += 2 {
		if got := do(s, steps[i]); got != steps[i+1] {
			t.Errorf("%s\n got %q\nwant %q", steps[i], got, steps[i+1])
		}
	}
	checkInvariants(t, s)
}

func bulk(s string) string   { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }
func num(n int64) string     { return ":" + strconv.FormatInt(n, 10) + "\r\n" }
func fail(msg string) string { return "-" + msg + "\r\n" }

const (
	ok   = "+OK\r\n"
	null = "$-1\r\n"
)

func array(items ...string) string {
	return "*" + strconv.Itoa(len(items)) + "\r\n" + strings.Join(items, "")
}

// checkInvariants verifies the DB invariants every handler must keep.
func checkInvariants(t *testing.T, s *Shard) {
	t.Helper()
	for n, d := range s.dbs {
		if d.index.len() != d.Len() {
			t.Fatalf("db %d: %d index entries for %d entries", n, d.index.len(), d.Len())
		}
		vol := 0
		for i := range d.Len() {
			e := d.at(i)
			if got, ok := d.position(e.key); !ok || got != i {
				t.Fatalf("db %d: index[%q] = %d, %v; want %d", n, e.key, got, ok, i)
			}
			if (e.ExpireAt != 0) != (e.volPos >= 0) {
				t.Fatalf("db %d: %q ExpireAt %d with volPos %d", n, e.key, e.ExpireAt, e.volPos)
			}
			if e.volPos >= 0 {
				vol++
				if int(d.volatile[e.volPos]) != i {
					t.Fatalf("db %d: volatile[%d] = %d, want %d", n, e.volPos, d.volatile[e.volPos], i)
				}
			}
		}
		if vol != len(d.volatile) {
			t.Fatalf("db %d: %d volatile keys, %d in volatile", n, vol, len(d.volatile))
		}
	}
}

// putList stores a non-string value for WRONGTYPE checks.
func putList(s *Shard, key string) {
	s.Put([]byte(key), Object{Type: TypeList})
}

func TestGetSet(t *testing.T) {
	s := newTestShard()
	putList(s, "list")
	script(t, s,
		"GET k", null,
		"SET k v", ok,
		"GET k", bulk("v"),
		"SET k longer-value", ok,
		"GET k", bulk("longer-value"),
		"SET k x", ok,
		"GET k", bulk("x"),
		`SET empty ""`, ok,
		"GET empty", bulk(""),
		"GET list", fail(proto.ErrWrongType),
		"SET list now-a-string", ok,
		"GET list", bulk("now-a-string"),
	)
	if s.Stats.Hits == 0 || s.Stats.Misses != 1 {
		t.Errorf("hits %d misses %d", s.Stats.Hits, s.Stats.Misses)
	}
}

func TestSetOptionErrors(t *testing.T) {
	s := newTestShard()
	invalid := fail("ERR invalid expire time in 'set' command")
	script(t, s,
		"SET k v NX XX", fail(proto.ErrSyntax),
		"SET k v XX NX", fail(proto.ErrSyntax),
		"SET k v EX 10 PX 10", fail(proto.ErrSyntax),
		"SET k v KEEPTTL EX 1", fail(proto.ErrSyntax),
		"SET k v EX 1 KEEPTTL", fail(proto.ErrSyntax),
		"SET k v EX", fail(proto.ErrSyntax),
		"SET k v PERSIST", fail(proto.ErrSyntax),
		"SET k v FOO", fail(proto.ErrSyntax),
		"SET k v EX 0", invalid,
		"SET k v EX -1", invalid,
		"SET k v EX abc", fail(proto.ErrNotInt),
		"SET k v EX 9223372036854775", invalid,
		"SET k v EX 9223372036854776", invalid,
		"SET k v PX 9223372036854775807", invalid,
		"SET k v EXAT 0", invalid,
		"EXISTS k", num(0),
	)
}

func TestSetOptions(t *testing.T) {
	s := newTestShard()
	putList(s, "list")
	script(t, s,
		"SET k v EX 10 EX 20", ok,
		"TTL k", num(20),
		"SET k v2 KEEPTTL", ok,
		"TTL k", num(20),
		"SET k v3", ok,
		"TTL k", num(-1),
		"SET k v px 1500", ok,
		"PTTL k", num(1500),
		"SET k v EXAT 1700000100", ok,
		"TTL k", num(100),
		"SET k v PXAT 1", ok,
		"GET k", null,
		"SET k v GET GET", null,
		"SET k v nx GET", bulk("v"),
		"SET k w NX GET", bulk("v"),
		"SET k x XX GET", bulk("v"),
		"GET k", bulk("x"),
		"SET m x XX GET", null,
		"SET m x XX", null,
		"EXISTS m", num(0),
		"SET k y NX", null,
		"SET list v GET", fail(proto.ErrWrongType),
		"SET list v NX GET", fail(proto.ErrWrongType),
		"SETNX k v", num(0),
		"SETNX n v", num(1),
		"GET n", bulk("v"),
		"SETEX k 0 v", fail("ERR invalid expire time in 'setex' command"),
		"SETEX k abc v", fail(proto.ErrNotInt),
		"SETEX k 100 v", ok,
		"TTL k", num(100),
		"PSETEX k -5 v", fail("ERR invalid expire time in 'psetex' command"),
		"PSETEX k 100 v", ok,
		"PTTL k", num(100),
	)
}

func TestGetsetGetdelGetex(t *testing.T) {
	s := newTestShard()
	putList(s, "list")
	invalid := fail("ERR invalid expire time in 'getex' command")
	script(t, s,
		"GETSET k v", null,
		"EXPIRE k 100", num(1),
		"GETSET k w", bulk("v"),
		"TTL k", num(-1),
		"GETSET list v", fail(proto.ErrWrongType),
		"GETDEL k", bulk("w"),
		"GETDEL k", null,
		"GETDEL list", fail(proto.ErrWrongType),
		"SET k x", ok,
		"GETEX k KEEPTTL", fail(proto.ErrSyntax),
		"GETEX k NX", fail(proto.ErrSyntax),
		"GETEX k PERSIST EX 1", fail(proto.ErrSyntax),
		"GETEX k EX 1 PERSIST", fail(proto.ErrSyntax),
		"GETEX k EX 0", invalid,
		"GETEX nokey EX 0", null,
		"GETEX k EX abc", fail(proto.ErrNotInt),
		"GETEX k", bulk("x"),
		"GETEX k EX 100 EX 200", bulk("x"),
		"TTL k", num(200),
		"GETEX k PX 5000", bulk("x"),
		"PTTL k", num(5000),
		"GETEX k EXAT 1700000300", bulk("x"),
		"TTL k", num(300),
		"GETEX k persist", bulk("x"),
		"TTL k", num(-1),
		"GETEX k PXAT 1", bulk("x"),
		"EXISTS k", num(0),
		"GETEX list", fail(proto.ErrWrongType),
	)
}

func TestMgetMset(t *testing.T) {
	s := newTestShard()
	putList(s, "list")
	script(t, s,
		"MSET a 1 b 2 a 3", ok,
		"MGET a b c list", array(bulk("3"), bulk("2"), null, null),
		"MSET a", fail("ERR wrong number of arguments for 'mset' command"),
		"MSET a 1 b", fail("ERR wrong number of arguments for 'mset' command"),
		"MSETNX a 1 k 2", num(0),
		"EXISTS k", num(0),
		"MSETNX k 1 j 2", num(1),
		"MGET k j", array(bulk("1"), bulk("2")),
		"MSETNX k", fail("ERR wrong number of arguments for 'msetnx' command"),
	)
}

func TestAppendStrlenRange(t *testing.T) {
	s := newTestShard()
	putList(s, "list")
	script(t, s,
		"APPEND new 123", num(3),
		"OBJECT ENCODING new", bulk("int"),
		"APPEND new 4", num(4),
		"GET new", bulk("1234"),
		"OBJECT ENCODING new", bulk("raw"),
		"APPEND list x", fail(proto.ErrWrongType),
		"STRLEN new", num(4),
		"STRLEN nokey", num(0),
		"STRLEN list", fail(proto.ErrWrongType),
		"SET h Hello", ok,
		"GETRANGE h 0 -100", bulk("H"),
		"GETRANGE h -1 -5", bulk(""),
		"GETRANGE h 10 20", bulk(""),
		"GETRANGE h -100 -90", bulk("H"),
		"GETRANGE h 3 1000", bulk("lo"),
		"GETRANGE h 0 -1", bulk("Hello"),
		"GETRANGE h -3 -2", bulk("ll"),
		"GETRANGE h 2 1", bulk(""),
		"SUBSTR h 1 3", bulk("ell"),
		"GETRANGE nokey 0 1", bulk(""),
		"GETRANGE h a 1", fail(proto.ErrNotInt),
		"GETRANGE list 0 1", fail(proto.ErrWrongType),
		`SETRANGE z 0 ""`, num(0),
		"EXISTS z", num(0),
		"SETRANGE z 3 ab", num(5),
		"GET z", bulk("\x00\x00\x00ab"),
		"OBJECT ENCODING z", bulk("raw"),
		"SETRANGE z 1 X", num(5),
		"GET z", bulk("\x00X\x00ab"),
		"SETRANGE z 7 Y", num(8),
		"GET z", bulk("\x00X\x00ab\x00\x00Y"),
		"SETRANGE z -1 x", fail(proto.ErrOffsetRange),
		"SETRANGE z x x", fail(proto.ErrNotInt),
		"SETRANGE z 536870911 xy", fail(proto.ErrStringTooLong),
		`SETRANGE h 1 ""`, num(5),
		"OBJECT ENCODING h", bulk("embstr"),
		"SETRANGE list 0 x", fail(proto.ErrWrongType),
	)
	s.Settings.MaxBulk.Store(10)
	script(t, s,
		"SETRANGE h 5 12345", num(10),
		"SETRANGE h 6 12345", fail(proto.ErrStringTooLong),
		"APPEND h x", fail(proto.ErrStringTooLong),
		"SETRANGE fresh 10 x", fail(proto.ErrStringTooLong),
	)
}

func TestSetrangeReusesCleanTail(t *testing.T) {
	// A buffer reused by SET keeps stale bytes past its length; growing it must pad
	// with zeros, not expose them.
	s := newTestShard()
	script(t, s,
		"SET k abcdefghij", ok,
		"SET k xy", ok,
		"SETRANGE k 6 Z", num(7),
		"GET k", bulk("xy\x00\x00\x00\x00Z"),
	)
}

func TestIncrDecr(t *testing.T) {
	s := newTestShard()
	putList(s, "list")
	script(t, s,
		"INCR n", num(1),
		"INCRBY n 10", num(11),
		"DECR n", num(10),
		"DECRBY n 20", num(-10),
		"OBJECT ENCODING n", bulk("int"),
		"INCRBY n abc", fail(proto.ErrNotInt),
		"INCRBY list abc", fail(proto.ErrNotInt),
		"INCR list", fail(proto.ErrWrongType),
		"DECRBY n -9223372036854775808", fail(proto.ErrDecrOverflow),
		"SET n 9223372036854775807", ok,
		"INCR n", fail(proto.ErrOverflow),
		"SET n -9223372036854775808", ok,
		"DECR n", fail(proto.ErrOverflow),
		"INCRBY n 9223372036854775807", num(-1),
		"SET y 007", ok,
		"INCR y", fail(proto.ErrNotInt),
		"SET y -0", ok,
		"INCR y", fail(proto.ErrNotInt),
		`SET y " 1"`, ok,
		"INCR y", fail(proto.ErrNotInt),
		"SET y +1", ok,
		"INCR y", fail(proto.ErrNotInt),
		"SET t 5 EX 100", ok,
		"INCR t", num(6),
		"TTL t", num(100),
		"APPEND t 0", num(2),
		"INCR t", num(61),
		"OBJECT ENCODING t", bulk("int"),
	)
}

func TestIncrbyfloat(t *testing.T) {
	s := newTestShard()
	putList(s, "list")
	huge400 := "1" + strings.Repeat("0", 19) + "281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880"
	script(t, s,
		"SET f 10.5", ok,
		"INCRBYFLOAT f 0.1", bulk("10.6"),
		"INCRBYFLOAT g 3.0e3", bulk("3000"),
		"INCRBYFLOAT g 1e400", bulk(huge400),
		"SET g 1", ok,
		"INCRBYFLOAT g 0x10", bulk("17"),
		"INCRBYFLOAT g 0x1p3", bulk("25"),
		"INCRBYFLOAT g inf", fail(proto.ErrIncrFloatNaN),
		"INCRBYFLOAT g -Infinity", fail(proto.ErrIncrFloatNaN),
		"INCRBYFLOAT g nan", fail(proto.ErrNotFloat),
		`INCRBYFLOAT g " 1"`, fail(proto.ErrNotFloat),
		`INCRBYFLOAT g "1 "`, fail(proto.ErrNotFloat),
		`INCRBYFLOAT g ""`, fail(proto.ErrNotFloat),
		"INCRBYFLOAT g 1e-5000", fail(proto.ErrNotFloat),
		"INCRBYFLOAT g 1.19e4932", fail(proto.ErrNotFloat),
		"INCRBYFLOAT g 1_0", fail(proto.ErrNotFloat),
		"INCRBYFLOAT g 0b1", fail(proto.ErrNotFloat),
		"INCRBYFLOAT g 1p3", fail(proto.ErrNotFloat),
		"INCRBYFLOAT g 1e", fail(proto.ErrNotFloat),
		"INCRBYFLOAT g .", fail(proto.ErrNotFloat),
		"INCRBYFLOAT g 5.", bulk("30"),
		"INCRBYFLOAT g .5", bulk("30.5"),
		"INCRBYFLOAT g +1", bulk("31.5"),
		"INCRBYFLOAT g -0", bulk("31.5"),
		"INCRBYFLOAT h -0", bulk("0"),
		"INCRBYFLOAT h -1e-20", bulk("0"),
		"INCRBYFLOAT i 1.1", bulk("1.1"),
		"INCRBYFLOAT i 2.2", bulk("3.3"),
		"INCRBYFLOAT j 0.1", bulk("0.1"),
		"INCRBYFLOAT j 0.2", bulk("0.3"),
		"INCRBYFLOAT k 1.23456789012345678901", bulk("1.23456789012345679"),
		"INCRBYFLOAT l 1e20", bulk("100000000000000000000"),
		"INCRBYFLOAT m 123456789.123456789", bulk("123456789.12345678899873747"),
		"INCRBYFLOAT n 1e-17", bulk("0.00000000000000001"),
		"INCRBYFLOAT n2 5e-18", bulk("0"),
		"INCRBYFLOAT n3 1.5e-17", bulk("0.00000000000000002"),
		"INCRBYFLOAT n4 2.5e-17", bulk("0.00000000000000002"),
		"INCRBYFLOAT ne 0X1P-2", bulk("0.25"),
		"INCRBYFLOAT y 1e60", bulk("999999999999999999999373423426722168652130621984886772203520"),
		"OBJECT ENCODING y", bulk("raw"),
		"SET x 7", ok,
		"INCRBYFLOAT x 1", bulk("8"),
		"OBJECT ENCODING x", bulk("embstr"),
		"SET s abc", ok,
		"INCRBYFLOAT s 1", fail(proto.ErrNotFloat),
		"INCRBYFLOAT list 1", fail(proto.ErrWrongType),
		"SET t 1 EX 100", ok,
		"INCRBYFLOAT t 1.5", bulk("2.5"),
		"TTL t", num(100),
	)
	// The largest finite long double is accepted; anything rounding above it is not.
	max := "1.1897314953572317650e+4932"
	got := do(s, "INCRBYFLOAT big "+max)
	if !strings.HasPrefix(got, "$4933\r\n11897314953572317650212638530309702051690633") ||
		!strings.HasSuffix(got, "4419552086811989770240\r\n") || len(got) != 4933+9 {
		t.Errorf("max long double: got %.60q...", got)
	}
	if got := do(s, "INCRBYFLOAT big2 1.1897314953572317651e+4932"); got != fail(proto.ErrNotFloat) {
		t.Errorf("overflowing long double: got %q", got)
	}
	if got := do(s, "INCRBYFLOAT big 1e4932"); got != fail(proto.ErrIncrFloatNaN) {
		t.Errorf("sum overflow: got %q", got)
	}
}

func TestStringEncoding(t *testing.T) {
	s := newTestShard()
	long := strings.Repeat("x", 45)
	script(t, s,
		"SET k v", ok,
		"OBJECT ENCODING k", bulk("embstr"),
		"SET k 100", ok,
		"OBJECT ENCODING k", bulk("int"),
		"OBJECT REFCOUNT k", num(2147483647),
		"SET k 100000", ok,
		"OBJECT REFCOUNT k", num(1),
		"SET k -5", ok,
		"OBJECT REFCOUNT k", num(1),
		"SET k 9223372036854775807", ok,
		"OBJECT ENCODING k", bulk("int"),
		"SET k 9223372036854775808", ok,
		"OBJECT ENCODING k", bulk("embstr"),
		"SET k 12345678901234567890123", ok,
		"OBJECT ENCODING k", bulk("embstr"),
		"SET k "+strings.Repeat("x", 44), ok,
		"OBJECT ENCODING k", bulk("embstr"),
		"SET k "+long, ok,
		"OBJECT ENCODING k", bulk("raw"),
		"SET k 12", ok,
		"APPEND k 3", num(3),
		"OBJECT ENCODING k", bulk("raw"),
		"OBJECT REFCOUNT k", num(1),
		"SET k 123", ok,
		"OBJECT ENCODING k", bulk("int"),
	)
}

func TestLCS(t *testing.T) {
	s := newTestShard()
	putList(s, "list")
	m := func(a0, a1, b0, b1 int64, length ...int64) string {
		items := []string{array(num(a0), num(a1)), array(num(b0), num(b1))}
		for _, l := range length {
			items = append(items, num(l))
		}
		return array(items...)
	}
	idx := func(total int64, matches ...string) string {
		return array(bulk("matches"), array(matches...), bulk("len"), num(total))
	}
	script(t, s,
		"MSET key1 ohmytext key2 mynewtext", ok,
		"LCS key1 key2", bulk("mytext"),
		"LCS key1 key2 LEN", num(6),
		"LCS key1 key2 IDX", idx(6, m(4, 7, 5, 8), m(2, 3, 0, 1)),
		"LCS key1 key2 IDX MINMATCHLEN 4", idx(6, m(4, 7, 5, 8)),
		"LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN", idx(6, m(4, 7, 5, 8, 4)),
		"LCS key1 key2 IDX WITHMATCHLEN MINMATCHLEN -5", idx(6, m(4, 7, 5, 8, 4), m(2, 3, 0, 1, 2)),
		"LCS key1 key2 WITHMATCHLEN", bulk("mytext"),
		"LCS key1 key2 MINMATCHLEN", fail(proto.ErrSyntax),
		"LCS key1 key2 MINMATCHLEN abc", fail(proto.ErrNotInt),
		"LCS key1 key2 BADOPT", fail(proto.ErrSyntax),
		"LCS key1 key2 LEN IDX", fail(proto.ErrLCSLenAndIdx),
		"LCS list key1 BADOPT", fail(proto.ErrLCSNotString),
		"LCS key1 list", fail(proto.ErrLCSNotString),
		"LCS key1 nokey", bulk(""),
		"LCS key1 nokey IDX", idx(0),
		"LCS no1 no2 LEN", num(0),
		"MSET a abcabc b abc", ok,
		"LCS a b IDX", idx(3, m(3, 5, 0, 2)),
		"LCS b a IDX", idx(3, m(0, 2, 3, 5)),
		"MSET a xaxbxc b abc", ok,
		"LCS a b IDX WITHMATCHLEN", idx(3, m(5, 5, 2, 2, 1), m(3, 3, 1, 1, 1), m(1, 1, 0, 0, 1)),
	)

	w := proto.NewWriter(true)
	got := exec(s, w, splitCmd("LCS key1 key2 IDX"))
	want := "%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"
	if got != want {
		t.Errorf("RESP3 LCS IDX:\n got %q\nwant %q", got, want)
	}

	// Redis refuses a table of more than proto-max-bulk-len bytes.
	s.Settings.MaxBulk.Store(1 << 20)
	x := strings.Repeat("a", 511)
	script(t, s,
		"MSET x "+x+" y "+x, ok,
		"LCS x y LEN", num(511),
		"SET x a"+x, ok,
		"LCS x y LEN", fail(proto.ErrLCSMemory),
	)
}

// TestHotPathAllocs pins the promise that GET and SET of an existing key do not allocate.
func TestHotPathAllocs(t *testing.T) {
	s := newTestShard()
	w := proto.NewWriter(false)
	get := splitCmd("GET key")
	set := splitCmd("SET key value-of-some-length")
	exec(s, w, set)
	exec(s, w, get)
	if n := testing.AllocsPerRun(1000, func() {
		w.Reset()
		getCommand(s, get, w)
	}); n != 0 {
		t.Errorf("GET allocates %v times", n)
	}
	if n := testing.AllocsPerRun(1000, func() {
		w.Reset()
		setCommand(s, set, w)
	}); n != 0 {
		t.Errorf("SET allocates %v times", n)
	}
	if got := exec(s, w, get); got != bulk("value-of-some-length") {
		t.Errorf("GET after SET loop: %q", got)
	}
}

func TestParseInt(t *testing.T) {
	f := func(in string, want int64, wantOK bool) {
		t.Helper()
		got, ok := parseInt([]byte(in))
		if ok != wantOK || (ok && got != want) {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", in, got, ok, want, wantOK)
		}
	}
	f("0", 0, true)
	f("1", 1, true)
	f("-1", -1, true)
	f("9223372036854775807", 9223372036854775807, true)
	f("-9223372036854775808", -9223372036854775808, true)
	f("9223372036854775808", 0, false)
	f("-9223372036854775809", 0, false)
	f("99999999999999999999", 0, false)
	f("", 0, false)
	f("-", 0, false)
	f("-0", 0, false)
	f("01", 0, false)
	f("+1", 0, false)
	f(" 1", 0, false)
	f("1 ", 0, false)
	f("1a", 0, false)
}
