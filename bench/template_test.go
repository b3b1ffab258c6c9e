package bench

import (
	"strconv"
	"strings"
	"testing"
)

// resp renders args as a RESP request, the expected side of the expansion tests.
func resp(args ...string) string {
	var b strings.Builder
	b.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b.WriteString("$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n")
	}
	return b.String()
}

func TestTemplateExpansion(t *testing.T) {
	// Sequential keys from 7 make the expected output predictable; values of 5 bytes
	// are the first 5 bytes of the value buffer.
	value := string(newValueSource(5, 5).buf)
	f := func(template string, want ...string) {
		t.Helper()
		tmpl, err := ParseTemplate(template)
		if err != nil {
			t.Fatalf("ParseTemplate(%q): %v", template, err)
		}
		st := mustKeyState(t, KeySpace{Min: 7, Max: 1000, Pattern: Sequential})
		g := newKeyGen(st, 1, 0)
		g.reserve(tmpl.Keys)
		got := string(tmpl.appendRequest(nil, "key:", g, newValueSource(5, 5)))
		if w := resp(want...); got != w {
			t.Errorf("%q expands to\n%q, want\n%q", template, got, w)
		}
	}
	f("PING", "PING")
	f("get __key__", "get", "key:000000000007")
	f("SET __key__ __data__", "SET", "key:000000000007", value)
	f("MSET __key__ __data__ __key__ __data__", "MSET", "key:000000000007", value, "key:000000000008", value)
	f("HSET user:__key__:h field __data__", "HSET", "user:key:000000000007:h", "field", value)
	f("INCR counter:__rand_int__", "INCR", "counter:000000000007")
	f("SET \"a b\" 'c d' \"\"", "SET", "a b", "c d", "")
	f("  ZADD   z 1   __rand_int____rand_int__  ", "ZADD", "z", "1", "000000000007000000000008")
	f("ECHO __data____key__", "ECHO", value+"key:000000000007")
}

func TestTemplateKeysCount(t *testing.T) {
	for text, want := range map[string]int{
		"PING": 0, "GET __key__": 1, "MSET __key__ __data__ __key__ __data__": 2, "INCR c:__rand_int__": 1,
	} {
		tmpl, err := ParseTemplate(text)
		if err != nil {
			t.Fatal(err)
		}
		if tmpl.Keys != want {
			t.Errorf("%q draws %d keys, want %d", text, tmpl.Keys, want)
		}
	}
}

func TestTemplateErrors(t *testing.T) {
	for _, text := range []string{"", "   ", "SET \"unclosed"} {
		if _, err := ParseTemplate(text); err == nil {
			t.Errorf("ParseTemplate(%q) accepted", text)
		}
	}
}

func TestWideKeysAndManyPlaceholders(t *testing.T) {
	// Key numbers beyond 12 digits are not truncated, and an argument with more
	// placeholders than the scratch arrays hold still renders.
	tmpl, err := ParseTemplate("ECHO " + strings.Repeat("__rand_int__", 10))
	if err != nil {
		t.Fatal(err)
	}
	st := mustKeyState(t, KeySpace{Min: 1234567890123, Max: 1234567890123})
	got := string(tmpl.appendRequest(nil, "", newKeyGen(st, 1, 0), newValueSource(1, 1)))
	if want := resp("ECHO", strings.Repeat("1234567890123", 10)); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDataSizeRange(t *testing.T) {
	tmpl, err := ParseTemplate("SET k __data__")
	if err != nil {
		t.Fatal(err)
	}
	st := mustKeyState(t, KeySpace{Min: 0, Max: 10})
	g := newKeyGen(st, 3, 0)
	v := newValueSource(10, 20)
	seen := map[int]bool{}
	for range 2000 {
		req := tmpl.appendRequest(nil, "", g, v)
		n, _, err := scanReply(req[len("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n"):])
		if err != nil || n == 0 {
			t.Fatalf("value is not a bulk string: %q", req)
		}
		size := n - len("$10\r\n\r\n")
		if size < 10 || size > 20 {
			t.Fatalf("value of %d bytes outside 10-20", size)
		}
		seen[size] = true
	}
	if len(seen) != 11 {
		t.Errorf("drew %d distinct sizes, want all 11", len(seen))
	}
}

func TestAppendRequestAllocatesNothing(t *testing.T) {
	tmpl, err := ParseTemplate("MSET __key__ __data__ __key__ __data__")
	if err != nil {
		t.Fatal(err)
	}
	st := mustKeyState(t, KeySpace{Min: 0, Max: 99_999, Pattern: Zipf})
	g := newKeyGen(st, 1, 0)
	v := newValueSource(100, 100)
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(1000, func() {
		buf = tmpl.appendRequest(buf[:0], "key:", g, v)
	})
	if allocs != 0 {
		t.Errorf("appendRequest allocates %.1f times per request", allocs)
	}
}

func TestRatioCommands(t *testing.T) {
	cmds, weights, err := RatioCommands("1:9")
	if err != nil || len(cmds) != 2 || weights[0] != 1 || weights[1] != 9 || cmds[0] != "SET __key__ __data__" {
		t.Errorf("1:9 -> %q %v %v", cmds, weights, err)
	}
	cmds, weights, err = RatioCommands("0:1")
	if err != nil || len(cmds) != 1 || cmds[0] != "GET __key__" || weights[0] != 1 {
		t.Errorf("0:1 -> %q %v %v", cmds, weights, err)
	}
	for _, bad := range []string{"", "1", "0:0", "-1:2", "a:b"} {
		if _, _, err := RatioCommands(bad); err == nil {
			t.Errorf("ratio %q accepted", bad)
		}
	}
}
