package proto

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// The expectations below were checked against redis-server 7.0.15 by sending the same
// bytes over a socket; the tests themselves do not need a server.

// parseAll parses buf the way a connection does: request after request until Parse asks
// for more bytes or fails. It returns the requests (an empty request is an empty slice),
// the bytes consumed and the error.
func parseAll(t *testing.T, p *Parser, buf []byte) (reqs [][]string, off int, err error) {
	t.Helper()
	var r Request
	for off < len(buf) {
		n, err := p.Parse(buf[off:], &r)
		if n < 0 || n > len(buf)-off {
			t.Fatalf("Parse(%q) consumed %d of %d bytes", buf[off:], n, len(buf)-off)
		}
		if err != nil {
			if n != 0 || len(r.Args) != 0 {
				t.Fatalf("Parse(%q) failed with n=%d and %d args", buf[off:], n, len(r.Args))
			}
			return reqs, off, err
		}
		if n == 0 {
			if len(r.Args) != 0 {
				t.Fatalf("Parse(%q) needs more bytes but returned %d args", buf[off:], len(r.Args))
			}
			break
		}
		reqs = append(reqs, argStrings(r.Args))
		off += n
	}
	return reqs, off, nil
}

func argStrings(args [][]byte) []string {
	out := []string{}
	for _, a := range args {
		out = append(out, string(a))
	}
	return out
}

// pipeline is a mix of everything a connection can send, with the arguments each request
// must produce. Empty requests (blank lines, *0, negative counts) produce no arguments.
var pipeline = []struct {
	wire string
	args []string
}{
	{"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", []string{"GET", "key"}},
	{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nab\r\ncd\x00e\nf\r\n", []string{"SET", "k", "ab\r\ncd\x00e\nf"}},
	{"PING\r\n", []string{"PING"}},
	{"\r\n", []string{}},
	{"\n", []string{}},
	{"*0\r\n", []string{}},
	{"*-1\r\n", []string{}},
	{"set 'a b' \"c\\x41\\n\"\n", []string{"set", "a b", "cA\n"}},
	{"*1\r\n$0\r\n\r\n", []string{""}},
	{"  ECHO \t x  \r\n", []string{"ECHO", "x"}},
	{"*1\r\n$4\r\nPING\r\n", []string{"PING"}},
	{"*12\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n" +
		"$1\r\ng\r\n$1\r\nh\r\n$1\r\ni\r\n$1\r\nj\r\n$1\r\nk\r\n$11\r\nhello world\r\n",
		[]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "hello world"}},
	{"DEL x\r\n", []string{"DEL", "x"}},
}

// TestParseEveryPrefix feeds every prefix of the pipeline: Parse must return exactly the
// requests that are complete in the prefix and ask for more bytes (n == 0, err == nil) at
// the first incomplete one.
func TestParseEveryPrefix(t *testing.T) {
	var buf []byte
	var ends []int
	for _, req := range pipeline {
		buf = append(buf, req.wire...)
		ends = append(ends, len(buf))
	}
	var p Parser
	for k := 0; k <= len(buf); k++ {
		reqs, off, err := parseAll(t, &p, buf[:k])
		if err != nil {
			t.Fatalf("prefix %d (%q): %v", k, buf[:k], err)
		}
		complete := 0
		for complete < len(ends) && ends[complete] <= k {
			complete++
		}
		wantOff := 0
		if complete > 0 {
			wantOff = ends[complete-1]
		}
		if off != wantOff || len(reqs) != complete {
			t.Fatalf("prefix %d: consumed %d bytes in %d requests, want %d bytes in %d requests",
				k, off, len(reqs), wantOff, complete)
		}
		for i, got := range reqs {
			if !reflect.DeepEqual(got, pipeline[i].args) {
				t.Fatalf("prefix %d: request %d = %q, want %q", k, i, got, pipeline[i].args)
			}
		}
	}
}

// TestParseByteByByte delivers the pipeline one byte at a time and consumes requests as
// they complete, as a connection with tiny reads would.
func TestParseByteByByte(t *testing.T) {
	var all []byte
	for _, req := range pipeline {
		all = append(all, req.wire...)
	}
	var p Parser
	var r Request
	var pending []byte
	var got [][]string
	for _, c := range all {
		pending = append(pending, c)
		for len(pending) > 0 {
			n, err := p.Parse(pending, &r)
			if err != nil {
				t.Fatalf("Parse(%q): %v", pending, err)
			}
			if n == 0 {
				break
			}
			got = append(got, argStrings(r.Args))
			pending = pending[n:]
		}
	}
	if len(pending) != 0 {
		t.Fatalf("left over %q", pending)
	}
	if len(got) != len(pipeline) {
		t.Fatalf("got %d requests, want %d", len(got), len(pipeline))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], pipeline[i].args) {
			t.Errorf("request %d = %q, want %q", i, got[i], pipeline[i].args)
		}
	}
}

func TestParseMultibulk(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int // bytes consumed; 0 means incomplete
		args []string
	}{
		{"get", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 20, []string{"GET", "k"}},
		{"trailing bytes stay", "*1\r\n$4\r\nPING\r\n*1\r\n", 14, []string{"PING"}},
		{"binary payload", "*1\r\n$5\r\n\x00\r\n\xff\n\r\n", 15, []string{"\x00\r\n\xff\n"}},
		{"empty bulk", "*2\r\n$0\r\n\r\n$0\r\n\r\n", 16, []string{"", ""}},
		{"zero count", "*0\r\nPING\r\n", 4, []string{}},
		{"minus one", "*-1\r\n", 5, []string{}},
		{"negative count", "*-5\r\n", 5, []string{}},
		{"min int64 count", "*-9223372036854775808\r\n", 23, []string{}},
		{"max count waits", "*2147483647\r\n", 0, nil},
		{"max bulk waits", "*1\r\n$536870912\r\n", 0, nil},
		// redis-server ends a header at CR and skips the next byte without looking at it,
		// and skips the two bytes after a payload the same way.
		{"CR then any byte", "*1\rX$4\r\nPING\r\n", 14, []string{"PING"}},
		{"payload trailer unchecked", "*1\r\n$4\rXPINGab", 14, []string{"PING"}},
		{"payload trailer of LF LF", "*2\r\n$4\r\nECHO\r\n$1\r\nx\n\n", 21, []string{"ECHO", "x"}},
		{"short payload", "*1\r\n$1\r\nab\r\n", 11, []string{"a"}},
		// Incomplete.
		{"star only", "*", 0, nil},
		{"count without CR", "*1", 0, nil},
		{"CR without next byte", "*1\r", 0, nil},
		{"no bulk header yet", "*1\r\n", 0, nil},
		{"dollar only", "*1\r\n$", 0, nil},
		{"bulk header without next byte", "*1\r\n$4\r", 0, nil},
		{"short payload wait", "*1\r\n$4\r\nPIN", 0, nil},
		{"payload without trailer", "*1\r\n$4\r\nPING", 0, nil},
		{"payload with half trailer", "*1\r\n$4\r\nPING\r", 0, nil},
		{"second arg missing", "*2\r\n$4\r\nECHO\r\n", 0, nil},
		// A byte other than '$' is only reported once its line is complete.
		{"bad type byte waits for its line", "*1\r\nX", 0, nil},
		// strchr stops at NUL: a NUL before the CR hides it.
		{"NUL in count", "*1\x00\r\n$4\r\nPING\r\n", 0, nil},
		{"NUL in bulk length", "*1\r\n$4\x00\r\nPING\r\n", 0, nil},
		{"NUL at bulk header", "*1\r\n\x00\r\n", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Parser
			var r Request
			n, err := p.Parse([]byte(tt.in), &r)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if n != tt.n {
				t.Fatalf("Parse(%q) consumed %d, want %d", tt.in, n, tt.n)
			}
			if n == 0 {
				if len(r.Args) != 0 {
					t.Fatalf("incomplete Parse(%q) returned args %q", tt.in, r.Args)
				}
				return
			}
			if got := argStrings(r.Args); !reflect.DeepEqual(got, tt.args) {
				t.Fatalf("Parse(%q) = %q, want %q", tt.in, got, tt.args)
			}
		})
	}
}

func TestParseInline(t *testing.T) {
	f := func(line string, want ...string) {
		t.Helper()
		var p Parser
		var r Request
		for _, eol := range []string{"\r\n", "\n"} {
			in := line + eol
			n, err := p.Parse([]byte(in), &r)
			if err != nil || n != len(in) {
				t.Errorf("Parse(%q) = %d, %v; want %d, nil", in, n, err, len(in))
				continue
			}
			if want == nil {
				want = []string{}
			}
			if got := argStrings(r.Args); !reflect.DeepEqual(got, want) {
				t.Errorf("Parse(%q) = %q, want %q", in, got, want)
			}
		}
	}
	f("PING", "PING")
	f("GET key", "GET", "key")
	f("   PING", "PING")
	f("PING   ", "PING")
	f("")
	f("  \t ")
	f("\v\f")
	f("\r")
	f("a\tb", "a", "b")
	f("a\rb", "a", "b")
	f("a\r", "a")
	f("\x80z \xff", "\x80z", "\xff")
	// isspace separates words, but only space, tab, CR and LF end a word.
	f("a\vb", "a\vb")
	f("a\fb", "a\fb")
	f("\va", "a")
	f("a \v b", "a", "b")
	// Double quotes.
	f(`"PING"`, "PING")
	f(`"a b"  c`, "a b", "c")
	f(`"" ''`, "", "")
	f(`"a\nb\r\t\b\a\\\"z"`, "a\nb\r\t\b\a\\\"z")
	f(`"\q\'\ "`, "q' ")
	f(`"\x41\x4a\x4G\x"`, "AJx4Gx")
	f(`"\x00\xff\xFf"`, "\x00\xff\xff")
	f(`"a\x"`, "ax")
	f(`"a\x4"`, "ax4")
	f(`"a\\"`, `a\`)
	f(`"a'b"`, "a'b")
	f("\"a\r b\"", "a\r b")
	// A closing quote may be followed by any isspace byte.
	f("\"x\"\vb", "x", "b")
	f("\"x\"\fb", "x", "b")
	f("\"a\"\tb", "a", "b")
	f("\"a\"\r", "a")
	// Single quotes take only \'.
	f(`'it\'s'`, "it's")
	f(`'a\nb'`, `a\nb`)
	f(`'a\\b'`, `a\\b`)
	f(`'a\x41'`, `a\x41`)
	f(`'a"b'`, `a"b`)
	// A quoted part inside a word joins the word.
	f(`a"b c" d`, "ab c", "d")
	f(`a'b c' d`, "ab c", "d")
	f(`x"" y`, "x", "y")
	f(`set "" '' ""`, "set", "", "", "")
}

func TestParseInlineUnbalanced(t *testing.T) {
	for _, line := range []string{
		`"abc`,
		`'abc`,
		`"abc\"`,
		`'a\'`,
		`"a\`,
		`"a"b`,
		`'a'b`,
		`"a""b"`,
		`x"a""b"`,
		`a"b c"d`,
		`a"b"'c'`,
		`P"IN"G`,
		`GET "k"ey`,
	} {
		for _, eol := range []string{"\r\n", "\n"} {
			var p Parser
			var r Request
			in := line + eol
			n, err := p.Parse([]byte(in), &r)
			if n != 0 || err != ErrUnbalancedQuotes || len(r.Args) != 0 {
				t.Errorf("Parse(%q) = %d, %v, %q; want 0, %v", in, n, err, r.Args, ErrUnbalancedQuotes)
			}
		}
	}
}

// TestParseErrors checks every protocol error and its exact text as redis-server sends it
// (after "-ERR ").
func TestParseErrors(t *testing.T) {
	long := func(prefix string, n int, fill byte, suffix string) string {
		return prefix + strings.Repeat(string(fill), n) + suffix
	}
	tests := []struct {
		name string
		in   string
		err  string
	}{
		{"leading zero count", "*01\r\n$4\r\nPING\r\n", "Protocol error: invalid multibulk length"},
		{"double zero count", "*00\r\n", "Protocol error: invalid multibulk length"},
		{"minus zero count", "*-0\r\nPING\r\n", "Protocol error: invalid multibulk length"},
		{"below min int64", "*-9223372036854775809\r\n", "Protocol error: invalid multibulk length"},
		{"above int64", "*99999999999999999999\r\n", "Protocol error: invalid multibulk length"},
		{"21 bytes", "*100000000000000000000\r\n", "Protocol error: invalid multibulk length"},
		{"above INT_MAX", "*2147483648\r\n", "Protocol error: invalid multibulk length"},
		{"empty count", "*\r\n", "Protocol error: invalid multibulk length"},
		{"minus only", "*-\r\nPING\r\n", "Protocol error: invalid multibulk length"},
		{"plus sign", "*+1\r\n$4\r\nPING\r\n", "Protocol error: invalid multibulk length"},
		{"space before", "* 1\r\n$4\r\nPING\r\n", "Protocol error: invalid multibulk length"},
		{"space after", "*1 \r\n$4\r\nPING\r\n", "Protocol error: invalid multibulk length"},
		{"LF without CR", "*1\n$4\r\nPING\r\n", "Protocol error: invalid multibulk length"},
		{"letters", "*abc\r\n", "Protocol error: invalid multibulk length"},
		{"leading zero bulk", "*1\r\n$04\r\nPING\r\n", "Protocol error: invalid bulk length"},
		{"plus bulk", "*1\r\n$+4\r\nPING\r\n", "Protocol error: invalid bulk length"},
		{"minus zero bulk", "*1\r\n$-0\r\nPING\r\n", "Protocol error: invalid bulk length"},
		{"negative bulk", "*1\r\n$-1\r\n", "Protocol error: invalid bulk length"},
		{"empty bulk length", "*1\r\n$\r\n", "Protocol error: invalid bulk length"},
		{"bulk over max", "*1\r\n$536870913\r\n", "Protocol error: invalid bulk length"},
		{"bulk over int64", "*1\r\n$9223372036854775808\r\n", "Protocol error: invalid bulk length"},
		{"second bulk bad", "*2\r\n$4\r\nECHO\r\n$x\r\n", "Protocol error: invalid bulk length"},
		{"expected dollar", "*1\r\nXYZ\r\n", "Protocol error: expected '$', got 'X'"},
		{"expected dollar star", "*1\r\n*1\r\n", "Protocol error: expected '$', got '*'"},
		{"expected dollar space", "*1\r\n \r\n", "Protocol error: expected '$', got ' '"},
		{"expected dollar CR shown as space", "*1\r\n\r\n", "Protocol error: expected '$', got ' '"},
		{"expected dollar LF shown as space", "*1\r\n\n\r\n", "Protocol error: expected '$', got ' '"},
		{"expected dollar high byte", "*1\r\n\xff\r\n", "Protocol error: expected '$', got '\xff'"},
		{"expected dollar second arg", "*2\r\n$4\r\nECHO\r\nx\r\n", "Protocol error: expected '$', got 'x'"},
		{"expected dollar after short payload", "*2\r\n$1\r\nab\r\n$1\r\nc\r\n", "Protocol error: expected '$', got ' '"},
		// More than InlineMax bytes without the terminator.
		{"big count no CR", long("*", InlineMax, '1', ""), "Protocol error: too big mbulk count string"},
		{"big count NUL", long("*1\x00", InlineMax, 'a', ""), "Protocol error: too big mbulk count string"},
		{"big count late CR", long("*", InlineMax, '1', "\r\n"), "Protocol error: too big mbulk count string"},
		{"long count in limit", long("*", InlineMax-1, '1', "\r\n"), "Protocol error: invalid multibulk length"},
		{"big bulk count no CR", long("*1\r\n$", InlineMax, '1', ""), "Protocol error: too big bulk count string"},
		{"big bulk count late CR", long("*1\r\n$", InlineMax, '1', "\r\n"), "Protocol error: too big bulk count string"},
		{"long bulk count in limit", long("*1\r\n$", InlineMax-1, '1', "\r\n"), "Protocol error: invalid bulk length"},
		{"big bad type byte", long("*1\r\nX", InlineMax, 'a', ""), "Protocol error: too big bulk count string"},
		{"big second bulk count", long("*2\r\n$1\r\na\r\n$", InlineMax, '1', ""), "Protocol error: too big bulk count string"},
		{"big inline", long("", InlineMax+1, 'a', ""), "Protocol error: too big inline request"},
		{"big inline late LF", long("", InlineMax+1, 'a', "\n"), "Protocol error: too big inline request"},
		{"big inline late CRLF", long("ECHO ", InlineMax-4, 'a', "\r\n"), "Protocol error: too big inline request"},
		{"big inline NUL", long("PING\x00", InlineMax, 'a', "\r\n"), "Protocol error: too big inline request"},
		{"unbalanced", "GET \"k\r\n", "Protocol error: unbalanced quotes in request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Parser
			r := Request{Args: [][]byte{[]byte("stale")}}
			n, err := p.Parse([]byte(tt.in), &r)
			var pe ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%.40q) = %d, %v; want ProtocolError %q", tt.in, n, err, tt.err)
			}
			if pe.Error() != tt.err {
				t.Fatalf("Parse(%.40q) error %q, want %q", tt.in, pe.Error(), tt.err)
			}
			if n != 0 || len(r.Args) != 0 {
				t.Fatalf("failed Parse(%.40q) consumed %d and returned %d args", tt.in, n, len(r.Args))
			}
		})
	}
}

// TestParseLineLimits pins the InlineMax boundaries: a line may have InlineMax bytes
// before its terminator; one more is too big. This is redis-server's behaviour when the
// bytes arrive one at a time.
func TestParseLineLimits(t *testing.T) {
	var p Parser
	var r Request
	wait := func(in string) {
		t.Helper()
		if n, err := p.Parse([]byte(in), &r); n != 0 || err != nil {
			t.Errorf("Parse(%d bytes) = %d, %v; want 0, nil", len(in), n, err)
		}
	}
	wait(strings.Repeat("a", InlineMax))
	wait("*" + strings.Repeat("1", InlineMax-1))
	wait("*1\r\n$" + strings.Repeat("1", InlineMax-1))
	wait("PING\x00" + strings.Repeat("a", InlineMax-5))

	line := "ECHO " + strings.Repeat("a", InlineMax-5) // InlineMax bytes
	in := line + "\n"
	n, err := p.Parse([]byte(in), &r)
	if n != len(in) || err != nil || len(r.Args) != 2 || len(r.Args[1]) != InlineMax-5 {
		t.Errorf("Parse(line of InlineMax bytes + LF) = %d, %v, %d args", n, err, len(r.Args))
	}
	in = line[:len(line)-1] + "\r\n" // CR is the InlineMax-th byte
	if n, err = p.Parse([]byte(in), &r); n != len(in) || err != nil {
		t.Errorf("Parse(line of InlineMax bytes incl CR + LF) = %d, %v", n, err)
	}
}

func TestParseNUL(t *testing.T) {
	var p Parser
	var r Request
	// redis-server finds line ends with strchr, which stops at NUL: these wait forever
	// (until the line is too big, see TestParseErrors).
	for _, in := range []string{
		"PING\x00\r\nPING\r\n",
		"ECHO \"a\x00b\"\r\nPING\r\n",
		"\x00\n",
		"*1\x00\r\n$4\r\nPING\r\n",
		"*1\r\n$4\x00\r\nPING\r\n",
	} {
		if n, err := p.Parse([]byte(in), &r); n != 0 || err != nil {
			t.Errorf("Parse(%q) = %d, %v; want 0, nil", in, n, err)
		}
	}
	// A NUL after the line end does not matter, and payloads are binary safe.
	in := "PING\r\n\x00"
	if n, err := p.Parse([]byte(in), &r); n != 6 || err != nil {
		t.Errorf("Parse(%q) = %d, %v; want 6, nil", in, n, err)
	}
	in = "*1\r\n$4\r\nPI\x00G\r\n"
	if n, err := p.Parse([]byte(in), &r); n != len(in) || err != nil || string(r.Args[0]) != "PI\x00G" {
		t.Errorf("Parse(%q) = %d, %v, %q", in, n, err, r.Args)
	}
}

func TestParseLimits(t *testing.T) {
	f := func(p Parser, in string, wantN int, wantErr error) {
		t.Helper()
		var r Request
		n, err := p.Parse([]byte(in), &r)
		if n != wantN || err != wantErr {
			t.Errorf("%+v.Parse(%q) = %d, %v; want %d, %v", p, in, n, err, wantN, wantErr)
		}
	}
	f(Parser{MaxBulk: 10}, "*1\r\n$10\r\n0123456789\r\n", 21, nil)
	f(Parser{MaxBulk: 10}, "*1\r\n$11\r\n", 0, ErrInvalidBulk)
	f(Parser{MaxArgs: 3}, "*3\r\n", 0, nil)
	f(Parser{MaxArgs: 3}, "*4\r\n", 0, ErrInvalidMultibulk)
	f(Parser{MaxArgs: 3}, "*-4\r\n", 5, nil)
	f(Parser{}, "*2000000\r\n", 0, nil)
	// A huge proto-max-bulk-len must not overflow the payload bound.
	f(Parser{MaxBulk: math.MaxInt64}, "*1\r\n$9223372036854775807\r\nabc", 0, nil)
	f(Parser{MaxBulk: math.MaxInt64}, "*1\r\n$9223372036854775806\r\n", 0, nil)
}

func TestParseLength(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1", 1, true},
		{"-1", -1, true},
		{"10", 10, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"18446744073709551615", 0, false},
		{"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false},
		{"100000000000000000000", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"-0", 0, false},
		{"00", 0, false},
		{"01", 0, false},
		{"-01", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1a", 0, false},
		{"1\n", 0, false},
		{"--1", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseLength([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseLength(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestParseAliasing checks that multibulk and plain inline arguments alias the input and
// are capped, so that appending to one cannot overwrite the bytes after it.
func TestParseAliasing(t *testing.T) {
	var p Parser
	var r Request
	buf := []byte("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n")
	if _, err := p.Parse(buf, &r); err != nil {
		t.Fatal(err)
	}
	buf[17] = 'K'
	if string(r.Args[1]) != "Key" {
		t.Errorf("arg does not alias the buffer: %q", r.Args[1])
	}
	for i, a := range r.Args {
		if cap(a) != len(a) {
			t.Errorf("arg %d has cap %d > len %d", i, cap(a), len(a))
		}
	}

	buf = []byte("GET key \"q\"\r\n")
	if _, err := p.Parse(buf, &r); err != nil {
		t.Fatal(err)
	}
	buf[4] = 'K'
	if string(r.Args[1]) != "Key" || string(r.Args[2]) != "q" {
		t.Errorf("inline args = %q", r.Args)
	}
	for i, a := range r.Args {
		if cap(a) != len(a) {
			t.Errorf("inline arg %d has cap %d > len %d", i, cap(a), len(a))
		}
	}
}

// TestParseScratchStable checks that quoted inline arguments do not move or overwrite
// each other as later ones are unescaped.
func TestParseScratchStable(t *testing.T) {
	var p Parser
	r := Request{scratch: make([]byte, 0, 2)} // too small: Parse must grow it first
	in := `"a\x41" mid 'b c' x"y z" "\n"` + "\r\n"
	if _, err := p.Parse([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	want := []string{"aA", "mid", "b c", "xy z", "\n"}
	if got := argStrings(r.Args); !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(%q) = %q, want %q", in, got, want)
	}
}
