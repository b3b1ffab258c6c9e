package shard

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// hashOfKey returns the Hash stored at key, failing the test when there is none, after
// checking its invariants.
func hashOfKey(t *testing.T, s *Shard, key string) *Hash {
	t.Helper()
	e, ok := s.peek([]byte(key))
	if !ok || e.Type != TypeHash {
		t.Fatalf("%s holds no hash", key)
	}
	h := e.Coll.(*Hash)
	h.mustBeValid()
	return h
}

// hashEncodingIs checks OBJECT ENCODING of key.
func hashEncodingIs(t *testing.T, s *Shard, key, want string) {
	t.Helper()
	hashOfKey(t, s, key)
	if got := do(s, "OBJECT ENCODING "+key); got != bulk(want) {
		t.Errorf("OBJECT ENCODING %s = %q, want %s", key, got, want)
	}
}

func TestHashSetGet(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"HLEN h", num(0),
		"HGET h f", null,
		"HGETALL h", emptyArray,
		"HKEYS h", emptyArray,
		"HMGET h a b", array(null, null),
		"HEXISTS h f", num(0),
		"HSTRLEN h f", num(0),
		"HSET h f1 v1 f2 v2", num(2),
		"HSET h f1 x f3 v3", num(1),
		"HSET h f1 a f1 b", num(0),
		"HGET h f1", bulk("b"),
		"HMGET h f1 nosuch f3", array(bulk("b"), null, bulk("v3")),
		"HGETALL h", bulks("f1", "b", "f2", "v2", "f3", "v3"),
		"HKEYS h", bulks("f1", "f2", "f3"),
		"HVALS h", bulks("b", "v2", "v3"),
		"HLEN h", num(3),
		"HEXISTS h f2", num(1),
		"TYPE h", "+hash\r\n",
		"HSET h a", fail("ERR wrong number of arguments for 'hset' command"),
		"HMSET h a 1 b", fail("ERR wrong number of arguments for 'hmset' command"),
		"HMSET h a 1 b 2", "+OK\r\n",
		"HSETNX h a 9", num(0),
		"HSETNX h z 9", num(1),
		"HGET h z", bulk("9"),
		"HSETNX n f v", num(1),
		"HSET h n 123 m -9223372036854775808", num(2),
		"HGET h n", bulk("123"),
		"HSTRLEN h m", num(20),
		"HEXISTS h 0123", num(0),
	)
	hashEncodingIs(t, s, "h", "listpack")
}

func TestHashDelete(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"HDEL h a", num(0),
		"HSET h a 1 b 2 c 3", num(3),
		"HDEL h a a nosuch", num(1),
		"HGETALL h", bulks("b", "2", "c", "3"),
		"HDEL h b c d", num(2),
		"EXISTS h", num(0),
		"HSET h x 1", num(1),
		"HDEL h x x", num(1),
		"EXISTS h", num(0),
	)
}

func TestHashIncr(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"HINCRBY h c 5", num(5),
		"HINCRBY h c -7", num(-2),
		"HINCRBY h c x", fail(proto.ErrNotInt),
		"HINCRBY h big 9223372036854775807", num(9223372036854775807),
		"HINCRBY h big 1", fail(proto.ErrOverflow),
		"HINCRBY h small -9223372036854775808", num(-9223372036854775808),
		"HINCRBY h small -1", fail(proto.ErrOverflow),
		"HSET h s abc f 1.5", num(2),
		"HINCRBY h s 1", fail(proto.ErrHashNotInt),
		"HINCRBY h f 1", fail(proto.ErrHashNotInt),
		"HINCRBYFLOAT h f 0.25", bulk("1.75"),
		"HINCRBYFLOAT h c 0.5", bulk("-1.5"),
		"HINCRBYFLOAT h s 1", fail(proto.ErrHashNotFloat),
		"HINCRBYFLOAT h f x", fail(proto.ErrNotFloat),
		"HINCRBYFLOAT h f inf", fail(proto.ErrNaNOrInfinity),
		"HINCRBYFLOAT h new 3.0e3", bulk("3000"),
		"HINCRBYFLOAT h new 0.1", bulk("3000.10000000000000009"), // long double, as Redis
		"HSET h i inf", num(1),
		"HINCRBYFLOAT h i 1", fail(proto.ErrIncrFloatNaN),
		"HINCRBYFLOAT n f inf", fail(proto.ErrNaNOrInfinity),
		"EXISTS n", num(0),
		"HINCRBY n f x", fail(proto.ErrNotInt),
		"EXISTS n", num(0),
	)
}

func TestHashWrongType(t *testing.T) {
	s := newTestShard()
	do(s, "SET str v")
	wrong := fail(proto.ErrWrongType)
	for _, cmd := range []string{
		"HSET str f v", "HMSET str f v", "HSETNX str f v", "HGET str f", "HMGET str f",
		"HGETALL str", "HDEL str f", "HLEN str", "HEXISTS str f", "HKEYS str", "HVALS str",
		"HINCRBY str f 1", "HINCRBYFLOAT str f 1", "HSTRLEN str f", "HRANDFIELD str",
		"HRANDFIELD str 2", "HSCAN str 0",
	} {
		if got := do(s, cmd); got != wrong {
			t.Errorf("%s = %q, want WRONGTYPE", cmd, got)
		}
	}
	do(s, "HSET h f v")
	for _, cmd := range []string{"GET h", "LPUSH h x", "INCR h", "APPEND h x"} {
		if got := do(s, cmd); got != wrong {
			t.Errorf("%s = %q, want WRONGTYPE", cmd, got)
		}
	}
}

func TestHashRESP3(t *testing.T) {
	s := newTestShard()
	w := proto.NewWriter(true)
	run := func(line string) string { return exec(s, w, splitCmd(line)) }
	run("HSET h a 1 b 2")
	f := func(line, want string) {
		t.Helper()
		if got := run(line); got != want {
			t.Errorf("%s = %q, want %q", line, got, want)
		}
	}
	f("HGETALL h", "%2\r\n"+bulk("a")+bulk("1")+bulk("b")+bulk("2"))
	f("HGETALL nosuch", "%0\r\n")
	f("HGET h nosuch", "_\r\n")
	f("HRANDFIELD h 5 WITHVALUES", "*2\r\n"+bulks("a", "1")+bulks("b", "2"))
	f("HRANDFIELD h 5", bulks("a", "b"))
	f("HRANDFIELD nosuch", "_\r\n")
}

func TestHashRandField(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"HRANDFIELD h", null,
		"HRANDFIELD h 3", emptyArray,
		"HRANDFIELD h x", fail(proto.ErrNotInt),
		"HSET h a 1 b 2 c 3", num(3),
		"HRANDFIELD h 0", emptyArray,
		"HRANDFIELD h 3", bulks("a", "b", "c"),
		"HRANDFIELD h 9 WITHVALUES", bulks("a", "1", "b", "2", "c", "3"),
		"HRANDFIELD h -9223372036854775808", fail(proto.ErrLongRange),
		"HRANDFIELD h 4611686018427387904 WITHVALUES", fail(proto.ErrValueOutOfRange),
		"HRANDFIELD h 1 WITHVALUE", fail(proto.ErrSyntax),
		"HRANDFIELD h 1 WITHVALUES x", fail(proto.ErrSyntax),
	)
	for _, enc := range []string{"listpack", "hashtable"} {
		if enc == "hashtable" {
			do(s, "HSET h long "+strings.Repeat("x", 100))
			hashEncodingIs(t, s, "h", "hashtable")
			do(s, "HDEL h long")
		}
		for range 50 {
			for _, n := range []string{"1", "2", "-1", "-7"} {
				r := parseReply(t, do(s, "HRANDFIELD h "+n))
				want, _ := strconv.Atoi(n)
				distinct := want > 0
				if want < 0 {
					want = -want
				}
				if len(r) != want {
					t.Fatalf("%s: HRANDFIELD h %s returned %d fields", enc, n, len(r))
				}
				seen := map[string]bool{}
				for _, f := range r {
					if f != "a" && f != "b" && f != "c" {
						t.Fatalf("%s: HRANDFIELD returned %q", enc, f)
					}
					if distinct && seen[f] {
						t.Fatalf("%s: HRANDFIELD h %s repeated %q", enc, n, f)
					}
					seen[f] = true
				}
			}
			r := parseReply(t, do(s, "HRANDFIELD h -4 WITHVALUES"))
			for i := 0; i < len(r); i += 2 {
				if r[i+1] != map[string]string{"a": "1", "b": "2", "c": "3"}[r[i]] {
					t.Fatalf("%s: HRANDFIELD WITHVALUES paired %q with %q", enc, r[i], r[i+1])
				}
			}
		}
	}
}

// parseReply splits a flat RESP2 array of bulk strings.
func parseReply(t *testing.T, reply string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(reply, "\r\n"), "\r\n")
	if !strings.HasPrefix(lines[0], "*") {
		t.Fatalf("not an array: %q", reply)
	}
	var out []string
	for i := 2; i < len(lines); i += 2 {
		out = append(out, lines[i])
	}
	return out
}

func TestHashScan(t *testing.T) {
	s := newTestShard()
	scanReply := func(cursor string, items ...string) string {
		return array(bulk(cursor), bulks(items...))
	}
	script(t, s,
		"HSCAN h 0", scanReply("0"),
		"HSCAN h x", fail(proto.ErrCursor),
		"HSCAN h 0 COUNT x", scanReply("0"),
		"HSET h f1 v1 f2 v2 g1 w1", num(3),
		"HSCAN h 0", scanReply("0", "f1", "v1", "f2", "v2", "g1", "w1"),
		"HSCAN h 77 COUNT 1", scanReply("0", "f1", "v1", "f2", "v2", "g1", "w1"),
		"HSCAN h 0 MATCH f*", scanReply("0", "f1", "v1", "f2", "v2"),
		"HSCAN h -1 MATCH *1", scanReply("0", "f1", "v1", "g1", "w1"),
		"HSCAN h \"\"", scanReply("0", "f1", "v1", "f2", "v2", "g1", "w1"),
		"HSCAN h \" 1\"", fail(proto.ErrCursor),
		"HSCAN h 18446744073709551616", fail(proto.ErrCursor),
		"HSCAN h 0 COUNT 0", fail(proto.ErrSyntax),
		"HSCAN h 0 COUNT x", fail(proto.ErrNotInt),
		"HSCAN h 0 MATCH", fail(proto.ErrSyntax),
		"HSCAN h 0 TYPE string", fail(proto.ErrSyntax),
	)

	// A hashtable is walked a few positions at a time; a full walk returns every field
	// once even when fields are deleted and added along the way.
	for i := range 300 {
		do(s, fmt.Sprintf("HSET big f%d %d", i, i))
	}
	hashEncodingIs(t, s, "big", "listpack")
	s.Settings.HashMaxListpackEntries.Store(100)
	do(s, "HSET big extra 1")
	hashEncodingIs(t, s, "big", "hashtable")
	seen := map[string]int{}
	cursor := "0"
	for steps := 0; ; steps++ {
		reply := do(s, "HSCAN big "+cursor+" COUNT 7")
		parts := strings.SplitN(reply, "\r\n", 4)
		cursor = parts[2]
		items := parseReply(t, parts[3])
		for i := 0; i < len(items); i += 2 {
			seen[items[i]]++
		}
		if steps == 3 {
			do(s, "HDEL big f5 f250")
			do(s, "HSET big late 1")
		}
		if cursor == "0" {
			break
		}
		if steps > 1000 {
			t.Fatal("HSCAN does not terminate")
		}
	}
	for i := range 300 {
		f := "f" + strconv.Itoa(i)
		if f != "f5" && f != "f250" && seen[f] == 0 {
			t.Errorf("HSCAN missed %s", f)
		}
	}
	s.Settings.HashMaxListpackEntries.Store(DefaultHashMaxListpackEntries)
}

func TestHashEncodingConversions(t *testing.T) {
	s := newTestShard()
	long := strings.Repeat("x", DefaultHashMaxListpackValue+1)
	limit := strings.Repeat("x", DefaultHashMaxListpackValue)
	do(s, "HSET v f "+limit)
	hashEncodingIs(t, s, "v", "listpack")
	do(s, "HSET v g "+long)
	hashEncodingIs(t, s, "v", "hashtable")
	script(t, s, "HDEL v g", num(1), "HGET v f", bulk(limit))
	hashEncodingIs(t, s, "v", "hashtable") // never converts back

	do(s, "HSET k "+long+" v")
	hashEncodingIs(t, s, "k", "hashtable")

	// HSETNX converts only when it stores something.
	do(s, "HSET nx a 1")
	do(s, "HSETNX nx a "+long)
	hashEncodingIs(t, s, "nx", "listpack")
	do(s, "HSETNX nx b "+long)
	hashEncodingIs(t, s, "nx", "hashtable")

	// HINCRBYFLOAT results and HINCRBY fields are measured too.
	do(s, "HSET fl a 1")
	do(s, "HINCRBYFLOAT fl a 1e100")
	hashEncodingIs(t, s, "fl", "hashtable")
	do(s, "HSET ib a 1")
	do(s, "HINCRBY ib "+long+" 1")
	hashEncodingIs(t, s, "ib", "hashtable")

	// Field count: the limit itself stays a listpack.
	s.Settings.HashMaxListpackEntries.Store(4)
	do(s, "HSET c a 1 b 2 c 3 d 4")
	hashEncodingIs(t, s, "c", "listpack")
	do(s, "HSET c a 9")
	hashEncodingIs(t, s, "c", "listpack")
	do(s, "HSET c e 5")
	hashEncodingIs(t, s, "c", "hashtable")
	script(t, s,
		"HLEN c", num(5),
		"HGET c a", bulk("9"),
		"HINCRBY c a 1", num(10),
		"HSTRLEN c a", num(2),
	)
	s.Settings.HashMaxListpackEntries.Store(0)
	do(s, "HSET z a 1")
	hashEncodingIs(t, s, "z", "hashtable")
	s.Settings.HashMaxListpackEntries.Store(DefaultHashMaxListpackEntries)
	s.Settings.HashMaxListpackValue.Store(0)
	do(s, "HSET e \"\" \"\"")
	hashEncodingIs(t, s, "e", "listpack")
	do(s, "HSET e a \"\"")
	hashEncodingIs(t, s, "e", "hashtable")
	s.Settings.HashMaxListpackValue.Store(DefaultHashMaxListpackValue)

	// Integers keep their decimal form across the conversion.
	do(s, "HSET ints 1 -1 -8388608 2147483647 01 x")
	h := hashOfKey(t, s, "ints")
	h.convert()
	h.mustBeValid()
	script(t, s,
		"HGETALL ints", bulks("1", "-1", "-8388608", "2147483647", "01", "x"),
		"HGET ints -8388608", bulk("2147483647"),
	)
}

func TestHashCopy(t *testing.T) {
	s := newTestShard()
	long := strings.Repeat("y", 100)
	do(s, "HSET a f 1 g "+long)
	do(s, "HSET b f 1 g 2")
	for _, key := range []string{"a", "b"} {
		o, _ := s.Take([]byte(key))
		c := o.Coll.(*Hash)
		c.mustBeValid()
		orig := hashOfKey(t, s, key)
		if c.Encoding() != orig.Encoding() {
			t.Errorf("%s: clone is %s, original %s", key, c.Encoding(), orig.Encoding())
		}
		c.set([]byte("f"), []byte("changed"), 512, 64)
		if got := do(s, "HGET "+key+" f"); got != bulk("1") {
			t.Errorf("%s: changing the clone changed the original: %q", key, got)
		}
	}
}

// TestHashModel compares both encodings with a Go map under random operations.
func TestHashModel(t *testing.T) {
	for _, enc := range []string{"listpack", "hashtable"} {
		s := newTestShard()
		if enc == "hashtable" {
			s.Settings.HashMaxListpackEntries.Store(0)
		}
		r := rand.New(rand.NewPCG(1, 2))
		model := map[string]string{}
		field := func() string { return strconv.Itoa(r.IntN(40) - 5) }
		for i := range 5000 {
			switch r.IntN(4) {
			case 0, 1:
				f, v := field(), strconv.Itoa(r.IntN(1000))
				if r.IntN(3) == 0 {
					v = "s" + v
				}
				do(s, "HSET h "+f+" "+v)
				model[f] = v
			case 2:
				f := field()
				do(s, "HDEL h "+f)
				delete(model, f)
			case 3:
				f := field()
				want := null
				if v, ok := model[f]; ok {
					want = bulk(v)
				}
				if got := do(s, "HGET h "+f); got != want {
					t.Fatalf("%s step %d: HGET h %s = %q, want %q", enc, i, f, got, want)
				}
			}
			if len(model) == 0 {
				if got := do(s, "EXISTS h"); got != num(0) {
					t.Fatalf("%s step %d: empty hash still exists", enc, i)
				}
				continue
			}
			h := hashOfKey(t, s, "h")
			if h.Len() != len(model) {
				t.Fatalf("%s step %d: length %d, model %d", enc, i, h.Len(), len(model))
			}
			if h.Encoding() != enc {
				t.Fatalf("%s step %d: encoding %s", enc, i, h.Encoding())
			}
		}
		var keys []string
		for k := range model {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		got := parseReply(t, do(s, "HKEYS h"))
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(keys, ",") {
			t.Errorf("%s: HKEYS %v, model %v", enc, got, keys)
		}
	}
}

func TestParseScanCursor(t *testing.T) {
	f := func(in string, want uint64, ok bool) {
		t.Helper()
		got, gotOK := parseScanCursor([]byte(in))
		if got != want || gotOK != ok {
			t.Errorf("parseScanCursor(%q) = %d, %v; want %d, %v", in, got, gotOK, want, ok)
		}
	}
	f("", 0, true)
	f("0", 0, true)
	f("42", 42, true)
	f("+7", 7, true)
	f("-1", 1<<64-1, true)
	f("18446744073709551615", 1<<64-1, true)
	f("18446744073709551616", 0, false)
	f("-", 0, false)
	f(" 1", 0, false)
	f("1x", 0, false)
	f("1.5", 0, false)
}
