package shard

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

const (
	nullArray  = "*-1\r\n"
	emptyArray = "*0\r\n"
)

// bulks is an array reply of bulk strings.
func bulks(vals ...string) string {
	items := make([]string, len(vals))
	for i, v := range vals {
		items[i] = bulk(v)
	}
	return array(items...)
}

// nums is an array reply of integers.
func nums(vals ...int64) string {
	items := make([]string, len(vals))
	for i, v := range vals {
		items[i] = num(v)
	}
	return array(items...)
}

// listOfKey returns the List stored at key, failing the test when there is none.
func listOfKey(t *testing.T, s *Shard, key string) *List {
	t.Helper()
	e, ok := s.peek([]byte(key))
	if !ok || e.Type != TypeList {
		t.Fatalf("%s holds no list", key)
	}
	return e.Coll.(*List)
}

// encodingIs checks OBJECT ENCODING of key and the list's invariants.
func encodingIs(t *testing.T, s *Shard, key, want string) {
	t.Helper()
	checkList(t, listOfKey(t, s, key))
	if got := do(s, "OBJECT ENCODING "+key); got != bulk(want) {
		t.Errorf("OBJECT ENCODING %s = %q, want %s", key, got, want)
	}
}

func TestListPushPop(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"LLEN l", num(0),
		"LRANGE l 0 -1", emptyArray,
		"LPOP l", null,
		"RPOP l", null,
		"LPOP l 2", nullArray,
		"RPOP l 0", nullArray,
		"RPUSH l a b c", num(3),
		"LPUSH l z y", num(5),
		"LRANGE l 0 -1", bulks("y", "z", "a", "b", "c"),
		"LLEN l", num(5),
		"TYPE l", "+list\r\n",
		"LPOP l", bulk("y"),
		"RPOP l", bulk("c"),
		"LPOP l 0", emptyArray,
		"RPOP l 2", bulks("b", "a"),
		"LPOP l 5", bulks("z"),
		"EXISTS l", num(0),
		"LPOP l -1", fail(proto.ErrMustBePositive),
		"RPOP l x", fail(proto.ErrMustBePositive),
		"LPOP l 1 2", fail("ERR wrong number of arguments for 'lpop' command"),
		"RPOP l 1 2", fail("ERR wrong number of arguments for 'rpop' command"),
		"RPUSH l 1 -1 0 9223372036854775807 -9223372036854775808 01 1.5", num(7),
		`RPUSH l ""`, num(8),
		"LRANGE l 0 -1", bulks("1", "-1", "0", "9223372036854775807", "-9223372036854775808", "01", "1.5", ""),
		"LPOP l 100", bulks("1", "-1", "0", "9223372036854775807", "-9223372036854775808", "01", "1.5", ""),
		"EXISTS l", num(0),
	)
}

func TestListPushExisting(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"LPUSHX l a", num(0),
		"RPUSHX l a b", num(0),
		"EXISTS l", num(0),
		"RPUSH l m", num(1),
		"LPUSHX l a b", num(3),
		"RPUSHX l y z", num(5),
		"LRANGE l 0 -1", bulks("b", "a", "m", "y", "z"),
		"SET str v", ok,
		"LPUSHX str a", fail(proto.ErrWrongType),
		"RPUSHX str a", fail(proto.ErrWrongType),
	)
}

func TestListRangeAndIndex(t *testing.T) {
	s := newTestShard()
	do(s, "RPUSH l 0 1 2 3 4 5 6 7 8 9")
	script(t, s,
		"LRANGE l 0 0", bulks("0"),
		"LRANGE l -3 -1", bulks("7", "8", "9"),
		"LRANGE l 2 4", bulks("2", "3", "4"),
		"LRANGE l 5 2", emptyArray,
		"LRANGE l -100 1", bulks("0", "1"),
		"LRANGE l 8 100", bulks("8", "9"),
		"LRANGE l 10 10", emptyArray,
		"LRANGE l -100 -50", emptyArray,
		"LRANGE l 3 -7", bulks("3"),
		"LRANGE l 3 -8", emptyArray,
		"LRANGE l -9223372036854775808 9223372036854775807", bulks("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
		"LRANGE l a 1", fail(proto.ErrNotInt),
		"LRANGE missing a 1", fail(proto.ErrNotInt),
		"LINDEX l 0", bulk("0"),
		"LINDEX l -1", bulk("9"),
		"LINDEX l -10", bulk("0"),
		"LINDEX l 10", null,
		"LINDEX l -11", null,
		"LINDEX l 9223372036854775807", null,
		"LINDEX l -9223372036854775808", null,
		"LINDEX l x", fail(proto.ErrNotInt),
		"LINDEX missing x", null,
	)
}

func TestListSet(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"LSET l 0 x", fail(proto.ErrNoSuchKey),
		"LSET l x x", fail(proto.ErrNoSuchKey),
		"RPUSH l a b c", num(3),
		"LSET l 0 A", ok,
		"LSET l -1 C", ok,
		"LSET l 1 12345", ok,
		"LRANGE l 0 -1", bulks("A", "12345", "C"),
		"LSET l 3 x", fail(proto.ErrIndexRange),
		"LSET l -4 x", fail(proto.ErrIndexRange),
		"LSET l 1.5 x", fail(proto.ErrNotInt),
		"LSET l 1 "+strings.Repeat("v", 100), ok,
		"LINDEX l 1", bulk(strings.Repeat("v", 100)),
		"LSET l 1 7", ok,
		"LRANGE l 0 -1", bulks("A", "7", "C"),
	)
}

func TestListInsert(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"LINSERT l BEFORE a x", num(0),
		"RPUSH l a b c a", num(4),
		"LINSERT l BEFORE a x", num(5),
		"LINSERT l after a y", num(6),
		"LINSERT l AFTER c z", num(7),
		"LINSERT l before missing q", num(-1),
		"LINSERT l middle a q", fail(proto.ErrSyntax),
		"LINSERT missing middle a q", fail(proto.ErrSyntax),
		"LRANGE l 0 -1", bulks("x", "a", "y", "b", "c", "z", "a"),
		"RPUSH l 100", num(8),
		"LINSERT l BEFORE 100 99", num(9),
		"LINSERT l AFTER 0100 101", num(-1),
		"LRANGE l -2 -1", bulks("99", "100"),
	)
}

func TestListRem(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"LREM l 0 a", num(0),
		"RPUSH l a b a c a b a", num(7),
		"LREM l 2 a", num(2),
		"LRANGE l 0 -1", bulks("b", "c", "a", "b", "a"),
		"LREM l -1 a", num(1),
		"LRANGE l 0 -1", bulks("b", "c", "a", "b"),
		"LREM l 0 b", num(2),
		"LREM l 0 nothing", num(0),
		"LREM l x a", fail(proto.ErrNotInt),
		"LREM l 0 a", num(1),
		"LREM l 0 c", num(1),
		"EXISTS l", num(0),
		"RPUSH l 1 2 1 2 1 2 01", num(7),
		"LREM l -2 1", num(2),
		"LRANGE l 0 -1", bulks("1", "2", "2", "2", "01"),
		"LREM l -9223372036854775808 2", num(3),
		"LREM l 9223372036854775807 01", num(1),
		"LRANGE l 0 -1", bulks("1"),
	)
}

func TestListTrim(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"LTRIM l 0 1", ok,
		"EXISTS l", num(0),
		"RPUSH l 0 1 2 3 4 5 6 7 8 9", num(10),
		"LTRIM l 1 -2", ok,
		"LRANGE l 0 -1", bulks("1", "2", "3", "4", "5", "6", "7", "8"),
		"LTRIM l -3 100", ok,
		"LRANGE l 0 -1", bulks("6", "7", "8"),
		"LTRIM l 1 1", ok,
		"LRANGE l 0 -1", bulks("7"),
		"LTRIM l 5 10", ok,
		"EXISTS l", num(0),
		"RPUSH l a b c", num(3),
		"LTRIM l 2 1", ok,
		"EXISTS l", num(0),
		"LTRIM l x 1", fail(proto.ErrNotInt),
	)
	// A trim that removes nothing still counts as a write, so that WATCH sees it.
	do(s, "RPUSH l a b")
	before := s.Dirty()
	do(s, "LTRIM l 0 -1")
	if s.Dirty() == before {
		t.Error("a no-op LTRIM left the dirty counter unchanged")
	}
}

func TestListPos(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"LPOS l a", null,
		"LPOS l a COUNT 0", emptyArray,
		"LPOS l a RANK 0", fail(proto.ErrLposRankZero),
		"RPUSH l a b c 1 2 3 c c a 1", num(10),
		"LPOS l c", num(2),
		"LPOS l c RANK 2", num(6),
		"LPOS l c RANK -1", num(7),
		"LPOS l c RANK -3", num(2),
		"LPOS l c RANK 4", null,
		"LPOS l c COUNT 0", nums(2, 6, 7),
		"LPOS l c COUNT 2", nums(2, 6),
		"LPOS l c COUNT 2 RANK 2", nums(6, 7),
		"LPOS l c COUNT 0 RANK -1", nums(7, 6, 2),
		"LPOS l c MAXLEN 3", num(2),
		"LPOS l c MAXLEN 2", null,
		"LPOS l c COUNT 0 MAXLEN 7", nums(2, 6),
		"LPOS l a RANK -1 MAXLEN 1", null,
		"LPOS l a RANK -1 MAXLEN 2", num(8),
		"LPOS l 1 COUNT 0", nums(3, 9),
		"LPOS l 01", null,
		"LPOS l z COUNT 1", emptyArray,
		"LPOS l c RANK x", fail(proto.ErrNotInt),
		"LPOS l c RANK -9223372036854775808", fail(proto.ErrLposRankRange),
		"LPOS l c RANK 9223372036854775807", null,
		"LPOS l c COUNT -1", fail(proto.ErrLposCountNeg),
		"LPOS l c COUNT x", fail(proto.ErrLposCountNeg),
		"LPOS l c MAXLEN -1", fail(proto.ErrLposMaxlenNeg),
		"LPOS l c RANK", fail(proto.ErrSyntax),
		"LPOS l c FOO 1", fail(proto.ErrSyntax),
		"LPOS l c RANK 0 COUNT -1", fail(proto.ErrLposRankZero),
	)
}

func TestListMove(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"RPUSH src a b c d", num(4),
		"LMOVE src dst LEFT RIGHT", bulk("a"),
		"LMOVE src dst right left", bulk("d"),
		"LRANGE src 0 -1", bulks("b", "c"),
		"LRANGE dst 0 -1", bulks("d", "a"),
		"RPOPLPUSH src dst", bulk("c"),
		"RPOPLPUSH src dst", bulk("b"),
		"EXISTS src", num(0),
		"RPOPLPUSH src dst", null,
		"LRANGE dst 0 -1", bulks("b", "c", "d", "a"),
		"LMOVE dst dst LEFT RIGHT", bulk("b"),
		"RPOPLPUSH dst dst", bulk("b"),
		"LRANGE dst 0 -1", bulks("b", "c", "d", "a"),
		"LMOVE dst dst UP RIGHT", fail(proto.ErrSyntax),
		"LMOVE missing dst LEFT DOWN", fail(proto.ErrSyntax),
		"SET str v", ok,
		"LMOVE dst str LEFT RIGHT", fail(proto.ErrWrongType),
		"LMOVE str dst LEFT RIGHT", fail(proto.ErrWrongType),
		"LMOVE missing str LEFT RIGHT", null,
		"LLEN dst", num(4),
		"RPUSH one only", num(1),
		"LMOVE one one LEFT RIGHT", bulk("only"),
		"RPOPLPUSH one new", bulk("only"),
		"EXISTS one", num(0),
		"LRANGE new 0 -1", bulks("only"),
	)
}

func TestListMPop(t *testing.T) {
	s := newTestShard()
	keyed := func(key string, vals ...string) string { return array(bulk(key), bulks(vals...)) }
	script(t, s,
		"LMPOP 2 a b LEFT", nullArray,
		"RPUSH b 1 2 3 4 5", num(5),
		"LMPOP 2 a b LEFT", keyed("b", "1"),
		"LMPOP 2 a b RIGHT COUNT 2", keyed("b", "5", "4"),
		"LMPOP 2 a b left count 10", keyed("b", "2", "3"),
		"EXISTS b", num(0),
		"LMPOP 0 a LEFT", fail(proto.ErrNumkeysPositive),
		"LMPOP -1 a LEFT", fail(proto.ErrNumkeysPositive),
		"LMPOP x a LEFT", fail(proto.ErrNumkeysPositive),
		"LMPOP 1 a MIDDLE", fail(proto.ErrSyntax),
		"LMPOP 1 a LEFT COUNT 0", fail(proto.ErrCountPositive),
		"LMPOP 1 a LEFT COUNT x", fail(proto.ErrCountPositive),
		"LMPOP 1 a LEFT COUNT 1 COUNT 1", fail(proto.ErrSyntax),
		"LMPOP 1 a LEFT COUNT", fail(proto.ErrSyntax),
		"LMPOP 1 a LEFT EXTRA", fail(proto.ErrSyntax),
		"LMPOP 2 a LEFT", fail(proto.ErrSyntax),
		"LMPOP 9223372036854775807 a LEFT", fail(proto.ErrSyntax),
		"SET str v", ok,
		"RPUSH a x", num(1),
		"LMPOP 2 str a LEFT", fail(proto.ErrWrongType),
		"LMPOP 2 a str LEFT", keyed("a", "x"),
		"LMPOP 2 missing str LEFT", fail(proto.ErrWrongType),
	)
}

// List commands refuse other types, and string commands refuse lists.
func TestListWrongType(t *testing.T) {
	s := newTestShard()
	do(s, "SET str v")
	wrong := fail(proto.ErrWrongType)
	for _, cmd := range []string{"LPUSH str a", "RPUSH str a", "LPOP str", "RPOP str 2", "LLEN str",
		"LRANGE str 0 -1", "LINDEX str 0", "LSET str 0 a", "LINSERT str BEFORE a b", "LREM str 0 a",
		"LTRIM str 0 1", "LPOS str a", "LMOVE str str LEFT LEFT", "RPOPLPUSH str x", "LMPOP 1 str LEFT"} {
		if got := do(s, cmd); got != wrong {
			t.Errorf("%s = %q, want WRONGTYPE", cmd, got)
		}
	}
	do(s, "RPUSH list a b")
	for _, cmd := range []string{"GET list", "SET list v GET", "APPEND list x", "STRLEN list",
		"INCR list", "INCRBYFLOAT list 1", "GETRANGE list 0 1", "SETRANGE list 0 x", "GETDEL list",
		"GETEX list", "GETSET list v", "LCS list str"} {
		got := do(s, cmd)
		if cmd == "LCS list str" {
			wrong = fail(proto.ErrLCSNotString)
		}
		if got != wrong {
			t.Errorf("%s = %q, want an error", cmd, got)
		}
	}
	script(t, s,
		"MGET list str", array(null, bulk("v")),
		"LRANGE list 0 -1", bulks("a", "b"),
		"SET list now-a-string", ok,
		"TYPE list", "+string\r\n",
	)
}

// RESP3 nulls are `_`.
func TestListRESP3(t *testing.T) {
	s := newTestShard()
	w := proto.NewWriter(true)
	f := func(line, want string) {
		t.Helper()
		if got := exec(s, w, splitCmd(line)); got != want {
			t.Errorf("%s = %q, want %q", line, got, want)
		}
	}
	f("LPOP l", "_\r\n")
	f("LPOP l 2", "_\r\n")
	f("LINDEX l 0", "_\r\n")
	f("LMPOP 1 l LEFT", "_\r\n")
	f("LPOS l a", "_\r\n")
	f("RPOPLPUSH l m", "_\r\n")
	f("RPUSH l a", num(1))
	f("LINDEX l 3", "_\r\n")
}

// A list keeps its TTL when it changes, and loses the key (TTL included) when emptied.
func TestListExpiry(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"RPUSH l a b", num(2),
		"EXPIRE l 100", num(1),
		"RPUSH l c", num(3),
		"LPOP l", bulk("a"),
		"TTL l", num(100),
		"LPOP l 2", bulks("b", "c"),
		"EXISTS l", num(0),
		"RPUSH l x", num(1),
		"TTL l", num(-1),
		"PEXPIRE l 1", num(1),
	)
	s.now += 10
	script(t, s,
		"LLEN l", num(0),
		"LPUSHX l a", num(0),
		"RPUSH {a}src v", num(1),
		"COPY {a}src {a}copy", num(1),
		"RPUSH {a}copy w", num(2),
		"LRANGE {a}src 0 -1", bulks("v"),
		"LRANGE {a}copy 0 -1", bulks("v", "w"),
	)
}

// Conversions between listpack and quicklist happen where Redis 7.2 makes them.
func TestListEncodingConversions(t *testing.T) {
	t.Run("by size", func(t *testing.T) {
		s := newTestShard()
		// An entry of 1000 bytes takes 1004 in a listpack; with the 7 bytes of header and
		// terminator, eight take 8039. Redis checks the current size plus the new values'
		// lengths against 8192.
		v := strings.Repeat("x", 1000)
		for range 8 {
			do(s, "RPUSH l "+v)
		}
		encodingIs(t, s, "l", "listpack")
		do(s, "RPUSH l "+strings.Repeat("y", 153)) // 8039 + 153 = 8192: fits
		encodingIs(t, s, "l", "listpack")
		do(s, "RPUSH l z") // 8196 + 1
		encodingIs(t, s, "l", "quicklist")
		if n := listOfKey(t, s, "l").numNodes(); n != 2 {
			t.Errorf("%d nodes, want 2", n)
		}
		// Back to a listpack when one node of at most 4096 bytes is left.
		do(s, "RPOP l 3")
		encodingIs(t, s, "l", "quicklist") // one node of 7 + 7*1004 bytes
		do(s, "LTRIM l 0 3")
		encodingIs(t, s, "l", "listpack") // 7 + 4*1004 = 4023
		script(t, s, "LLEN l", num(4))
	})
	t.Run("one command, many elements", func(t *testing.T) {
		s := newTestShard()
		args := "RPUSH l"
		for i := range 129 {
			args += fmt.Sprintf(" %062d", i)
		}
		do(s, args) // all lengths counted at once: 7 + 129*62 = 8005 fits
		encodingIs(t, s, "l", "listpack")
		do(s, "RPUSH l "+strings.Repeat("a", 200))
		encodingIs(t, s, "l", "quicklist")
		do(s, "RPOP l 66")
		encodingIs(t, s, "l", "quicklist") // one node, 7 + 64*64 bytes
		do(s, "RPOP l 1")
		encodingIs(t, s, "l", "listpack") // 7 + 63*64 = 4039
		script(t, s, "LLEN l", num(63))
	})
	t.Run("by count", func(t *testing.T) {
		s := newTestShard()
		s.Settings.ListMaxListpackSize.Store(4)
		script(t, s, "RPUSH l a b c d", num(4))
		encodingIs(t, s, "l", "listpack")
		script(t, s, "RPUSH l e", num(5))
		encodingIs(t, s, "l", "quicklist")
		script(t, s, "RPUSH l f g h i j", num(10))
		if n := listOfKey(t, s, "l").numNodes(); n != 3 {
			t.Errorf("10 elements with fill 4 in %d nodes, want 3", n)
		}
		script(t, s, "LPOP l 6", bulks("a", "b", "c", "d", "e", "f"))
		encodingIs(t, s, "l", "quicklist") // two nodes
		script(t, s, "RPOP l 2", bulks("j", "i"))
		encodingIs(t, s, "l", "listpack")
		script(t, s, "LRANGE l 0 -1", bulks("g", "h"))
	})
	t.Run("LSET converts before checking the index", func(t *testing.T) {
		s := newTestShard()
		do(s, "RPUSH l a")
		script(t, s, "LSET l 5 "+strings.Repeat("v", 9000), fail(proto.ErrIndexRange))
		encodingIs(t, s, "l", "quicklist")
		script(t, s, "LSET l 0 b", ok)
		encodingIs(t, s, "l", "listpack")
	})
	t.Run("LINSERT converts even without the pivot", func(t *testing.T) {
		s := newTestShard()
		do(s, "RPUSH l a")
		script(t, s, "LINSERT l BEFORE nope "+strings.Repeat("v", 9000), num(-1))
		encodingIs(t, s, "l", "quicklist")
		script(t, s, "LREM l 0 a", num(1), "EXISTS l", num(0))
	})
	t.Run("LMOVE counts a quicklist's integer as no bytes", func(t *testing.T) {
		s := newTestShard()
		s.Settings.ListMaxListpackSize.Store(-1) // 4096 bytes
		do(s, "RPUSH {t}ql 12345 "+strings.Repeat("s", 5000))
		encodingIs(t, s, "{t}ql", "quicklist")
		do(s, "RPUSH {t}lp 12345")
		encodingIs(t, s, "{t}lp", "listpack")
		do(s, "RPUSH {t}dst "+strings.Repeat("d", 4084)) // 7 + 4088 = 4095 bytes
		encodingIs(t, s, "{t}dst", "listpack")
		// Redis pops an integer out of a quicklist as an integer object, which its
		// check does not count: 4095 + 0 fits.
		script(t, s, "LMOVE {t}ql {t}dst LEFT RIGHT", bulk("12345"))
		encodingIs(t, s, "{t}dst", "listpack")
		script(t, s, "RPOP {t}dst", bulk("12345"))
		// Out of a listpack it is a string of 5 bytes: 4095 + 5 does not fit.
		script(t, s, "LMOVE {t}lp {t}dst LEFT RIGHT", bulk("12345"))
		encodingIs(t, s, "{t}dst", "quicklist")
	})
	t.Run("fill 0 and 1 keep one element per node", func(t *testing.T) {
		for _, fill := range []int64{0, 1} {
			s := newTestShard()
			s.Settings.ListMaxListpackSize.Store(fill)
			script(t, s, "RPUSH l a", num(1))
			encodingIs(t, s, "l", "listpack")
			script(t, s, "RPUSH l b c", num(3))
			encodingIs(t, s, "l", "quicklist")
			if n := listOfKey(t, s, "l").numNodes(); n != 3 {
				t.Errorf("fill %d: %d nodes, want 3", fill, n)
			}
			script(t, s, "RPOP l 2", bulks("c", "b"))
			encodingIs(t, s, "l", "quicklist") // never back: the half limit is 0
		}
	})
	t.Run("a quicklist keeps its fill", func(t *testing.T) {
		s := newTestShard()
		s.Settings.ListMaxListpackSize.Store(2)
		do(s, "RPUSH l a b c")
		s.Settings.ListMaxListpackSize.Store(100)
		do(s, "RPUSH l d e f")
		if n := listOfKey(t, s, "l").numNodes(); n != 3 {
			t.Errorf("%d nodes, want 3 of 2 elements", n)
		}
		encodingIs(t, s, "l", "quicklist")
		do(s, "LPOP l 4")
		encodingIs(t, s, "l", "listpack")
	})
}

// LINSERT into full nodes splits and merges them as Redis does.
func TestListInsertSplitsNodes(t *testing.T) {
	s := newTestShard()
	s.Settings.ListMaxListpackSize.Store(3)
	do(s, "RPUSH l 1 2 3 4 5 6 7 8 9")
	nodes := func() string {
		l := listOfKey(t, s, "l")
		var parts []string
		for i := range l.numNodes() {
			var vals []string
			for _, v := range checkListpack(t, l.node(i)) {
				vals = append(vals, string(v))
			}
			parts = append(parts, strings.Join(vals, ","))
		}
		checkList(t, l)
		return strings.Join(parts, " | ")
	}
	f := func(cmd, want string) {
		t.Helper()
		do(s, cmd)
		if got := nodes(); got != want {
			t.Errorf("after %s: nodes %s, want %s", cmd, got, want)
		}
	}
	if got := nodes(); got != "1,2,3 | 4,5,6 | 7,8,9" {
		t.Fatalf("nodes %s", got)
	}
	// Inside a full node: split at the pivot, the element joins the part on its side.
	f("LINSERT l AFTER 5 x", "1,2,3 | 4,5 | x,6 | 7,8,9")
	// At the tail of a full node whose next node has room: to the next node's head.
	f("LINSERT l AFTER 3 y", "1,2,3 | y,4,5 | x,6 | 7,8,9")
	// At the head of a full node whose previous node has room: to its tail.
	f("LINSERT l BEFORE 7 z", "1,2,3 | y,4,5 | x,6,z | 7,8,9")
	// At the head of a full node with no room before: a node of its own.
	f("LINSERT l BEFORE 1 0", "0 | 1,2,3 | y,4,5 | x,6,z | 7,8,9")
	// A node with room takes it in place.
	f("LINSERT l AFTER 0 a", "0,a | 1,2,3 | y,4,5 | x,6,z | 7,8,9")
	f("LINSERT l AFTER 9 w", "0,a | 1,2,3 | y,4,5 | x,6,z | 7,8,9 | w")
	// Removals shrink nodes and never merge them.
	f("LREM l 0 y", "0,a | 1,2,3 | 4,5 | x,6,z | 7,8,9 | w")
	f("LREM l 0 5", "0,a | 1,2,3 | 4 | x,6,z | 7,8,9 | w")
	f("LREM l 0 z", "0,a | 1,2,3 | 4 | x,6 | 7,8,9 | w")
	// After a split, neighbours that fit together merge: here the two after the pivot's.
	f("LINSERT l BEFORE 2 b", "0,a | 1,b | 2,3 | 4,x,6 | 7,8,9 | w")
	f("LPOP l 4", "2,3 | 4,x,6 | 7,8,9 | w")
	f("RPOP l", "2,3 | 4,x,6 | 7,8,9")
}

// The exported steps the coordinator composes, and the Ready hook.
func TestListAPI(t *testing.T) {
	s := newTestShard()
	var ready []string
	s.Ready = func(db int, key string) { ready = append(ready, fmt.Sprintf("%d:%s", db, key)) }
	n, wrong := s.ListPush([]byte("l"), false, [][]byte{[]byte("a"), []byte("b"), []byte("c")})
	if n != 3 || wrong {
		t.Fatalf("ListPush = %d, %v", n, wrong)
	}
	n, _ = s.ListPush([]byte("l"), true, [][]byte{[]byte("x"), []byte("y")})
	if n != 5 {
		t.Fatalf("ListPush = %d", n)
	}
	script(t, s, "LRANGE l 0 -1", bulks("y", "x", "a", "b", "c"))
	if n, wrong := s.ListLen([]byte("l")); n != 5 || wrong {
		t.Errorf("ListLen = %d, %v", n, wrong)
	}
	vals, exists, wrong := s.ListPop([]byte("l"), false, 2)
	if !exists || wrong || len(vals) != 2 || string(vals[0]) != "c" || string(vals[1]) != "b" {
		t.Errorf("ListPop right 2 = %q, %v, %v", vals, exists, wrong)
	}
	// The values are copies: later writes do not change them.
	vals, _, _ = s.ListPop([]byte("l"), true, 1)
	do(s, "LPUSH l overwritten")
	if len(vals) != 1 || string(vals[0]) != "y" {
		t.Errorf("ListPop left 1 = %q", vals)
	}
	vals, _, _ = s.ListPop([]byte("l"), true, 10)
	if len(vals) != 3 || string(bytes.Join(vals, nil)) != "overwrittenxa" {
		t.Errorf("ListPop left 10 = %q", vals)
	}
	if exists, isList := s.IsList([]byte("l")); exists || isList {
		t.Errorf("an emptied list still exists: %v %v", exists, isList)
	}
	if vals, exists, wrong := s.ListPop([]byte("l"), true, 1); vals != nil || exists || wrong {
		t.Errorf("ListPop on a missing key = %q, %v, %v", vals, exists, wrong)
	}
	do(s, "SET str v")
	if _, wrong := s.ListPush([]byte("str"), true, [][]byte{[]byte("a")}); !wrong {
		t.Error("ListPush onto a string is not WRONGTYPE")
	}
	if _, _, wrong := s.ListPop([]byte("str"), true, 1); !wrong {
		t.Error("ListPop from a string is not WRONGTYPE")
	}
	if _, wrong := s.ListLen([]byte("str")); !wrong {
		t.Error("ListLen of a string is not WRONGTYPE")
	}
	if exists, isList := s.IsList([]byte("str")); !exists || isList {
		t.Errorf("IsList(str) = %v, %v", exists, isList)
	}
	if n, wrong := s.ListLen([]byte("missing")); n != 0 || wrong {
		t.Errorf("ListLen(missing) = %d, %v", n, wrong)
	}
	ready = nil
	s.Begin(3)
	s.now = testNow
	for _, cmd := range []string{"LPUSH a 1", "RPUSH a 2", "LPUSHX a 3", "RPUSHX a 4", "LPUSHX none 1",
		"LINSERT a BEFORE 1 0", "LINSERT a BEFORE nope 0", "RPOPLPUSH a b", "LMOVE a c LEFT RIGHT",
		"LPOP a", "LSET a 0 x", "LREM a 0 x", "LMPOP 1 b LEFT"} {
		do(s, cmd)
	}
	want := []string{"3:a", "3:a", "3:a", "3:a", "3:a", "3:b", "3:c"}
	if !slices.Equal(ready, want) {
		t.Errorf("Ready calls %v, want %v", ready, want)
	}
}

// Pushes and pops count as writes, one per element, as in Redis; reads count none.
func TestListDirty(t *testing.T) {
	s := newTestShard()
	f := func(cmd string, want int64) {
		t.Helper()
		before := s.Dirty()
		do(s, cmd)
		if got := s.Dirty() - before; got != want {
			t.Errorf("%s: dirty +%d, want +%d", cmd, got, want)
		}
	}
	f("RPUSH l a b c d", 4)
	f("LPOP l 2", 2)
	f("LRANGE l 0 -1", 0)
	f("LREM l 0 nope", 0)
	f("LINSERT l BEFORE nope x", 0)
	f("LSET l 0 x", 1)
	f("LMOVE l l LEFT RIGHT", 1)
	f("LPOP l 0", 0)
}

// A model-based test: random commands on three lists must leave them equal to plain
// slices changed by the same commands, with every invariant intact, whatever the fill.
func TestListModel(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		s := newTestShard()
		fill := []int64{-2, -1, 1, 2, 5, 16}[rng.IntN(6)]
		s.Settings.ListMaxListpackSize.Store(fill)
		model := map[string][]string{}
		keys := []string{"k0", "k1", "k2"}
		value := func() string {
			switch rng.IntN(6) {
			case 0:
				return strconv.Itoa(rng.IntN(40) - 20)
			case 1:
				return strings.Repeat("w", 100+rng.IntN(900))
			case 2:
				return strconv.FormatInt(rng.Int64(), 10)
			}
			return "v" + strconv.Itoa(rng.IntN(10))
		}
		for step := range 1500 {
			k, k2 := keys[rng.IntN(3)], keys[rng.IntN(3)]
			m := model[k]
			var cmd []string
			switch rng.IntN(9) {
			case 0, 1:
				n := 1 + rng.IntN(8)
				cmd = []string{"RPUSH", k}
				for range n {
					v := value()
					cmd = append(cmd, v)
					m = append(m, v)
				}
			case 2:
				v := value()
				cmd = []string{"LPUSH", k, v}
				m = append([]string{v}, m...)
			case 3:
				n := 1 + rng.IntN(10)
				cmd = []string{"LPOP", k, strconv.Itoa(n)}
				m = m[min(n, len(m)):]
			case 4:
				n := 1 + rng.IntN(10)
				cmd = []string{"RPOP", k, strconv.Itoa(n)}
				m = m[:len(m)-min(n, len(m))]
			case 5:
				if len(m) == 0 {
					continue
				}
				pivot, v := m[rng.IntN(len(m))], value()
				after := rng.IntN(2) == 0
				cmd = []string{"LINSERT", k, "BEFORE", pivot, v}
				i := slices.Index(m, pivot)
				if after {
					cmd[2] = "AFTER"
					i++
				}
				m = slices.Insert(m, i, v)
			case 6:
				v := value()
				cmd = []string{"LREM", k, "0", v}
				m = slices.DeleteFunc(slices.Clone(m), func(x string) bool { return x == v })
			case 7:
				if len(m) == 0 {
					continue
				}
				i, v := rng.IntN(len(m)), value()
				cmd = []string{"LSET", k, strconv.Itoa(i), v}
				m = slices.Clone(m)
				m[i] = v
			case 8:
				if len(m) == 0 || k == k2 {
					continue
				}
				cmd = []string{"RPOPLPUSH", k, k2}
				v := m[len(m)-1]
				m = m[:len(m)-1]
				model[k2] = append([]string{v}, model[k2]...)
			}
			model[k] = m
			args := make([][]byte, len(cmd))
			for i, c := range cmd {
				args[i] = []byte(c)
			}
			reply := exec(s, proto.NewWriter(false), args)
			if strings.HasPrefix(reply, "-") {
				t.Fatalf("seed %d step %d: %s: %s", seed, step, cmd[0], reply)
			}
			for _, key := range keys {
				want := model[key]
				e, ok := s.peek([]byte(key))
				if !ok {
					if len(want) != 0 {
						t.Fatalf("seed %d step %d: %s missing, model %d elements", seed, step, key, len(want))
					}
					continue
				}
				got := checkList(t, e.Coll.(*List))
				if len(got) == 0 {
					t.Fatalf("seed %d step %d: %s is an empty list", seed, step, key)
				}
				if !slices.EqualFunc(got, want, func(a []byte, b string) bool { return string(a) == b }) {
					t.Fatalf("seed %d step %d after %s: %s = %q, model %q", seed, step, cmd[0], key, got, want)
				}
			}
		}
		checkInvariants(t, s)
	}
}

// TestListPushAllocatesAboutItsData: pushes at either end of a long list fill nodes
// allocated at full size. Grown entry by entry, a node allocated and copied five to six
// times the bytes it ended up holding.
func TestListPushAllocatesAboutItsData(t *testing.T) {
	for _, cmd := range []string{"LPUSH", "RPUSH"} {
		s := New(0, 16, NewSettings())
		s.Begin(0)
		w := proto.NewWriter(false)
		args := [][]byte{[]byte(cmd), []byte("mylist"), bytes.Repeat([]byte("v"), 100)}
		h := Lookup(strings.ToLower(cmd))
		for range 1000 { // past the first nodes, which grow as before
			h(s, args, w)
		}
		const n = 50_000
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range n {
			w.Reset()
			h(s, args, w)
			s.Settle()
		}
		runtime.ReadMemStats(&after)
		data := uint64(n * (100 + 2)) // each entry: a header byte, the value, a back-length byte
		if got := after.TotalAlloc - before.TotalAlloc; got > data*3/2 {
			t.Errorf("%s: %d pushes of 100 bytes allocated %d bytes, want at most %d", cmd, n, got, data*3/2)
		}
	}
}
