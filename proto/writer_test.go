package proto

import (
	"math"
	"math/big"
	"testing"
)

// The wire forms below were checked against redis-server 7.0.15 where it has a command
// that produces them (ZSCORE for doubles, DEBUG PROTOCOL for the RESP3 types, HGETALL,
// SMEMBERS, SUBSCRIBE, error replies with CR/LF).

func TestWriter(t *testing.T) {
	bigPos, _ := new(big.Int).SetString("1234567999999999999999999999999999999", 10)
	bigNeg, _ := new(big.Int).SetString("-98765432109876543210", 10)
	tests := []struct {
		name  string
		write func(w *Writer)
		resp2 string
		resp3 string // "" means the same as resp2
	}{
		{"simple", func(w *Writer) { w.Simple("PONG") }, "+PONG\r\n", ""},
		{"simple empty", func(w *Writer) { w.Simple("") }, "+\r\n", ""},
		{"ok", func(w *Writer) { w.OK() }, "+OK\r\n", ""},
		{"error", func(w *Writer) { w.Error(ErrWrongType) },
			"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", ""},
		{"error CRLF", func(w *Writer) { w.Error("ERR a\r\nb") }, "-ERR a  b\r\n", ""},
		{"error LF", func(w *Writer) { w.Error("ERR a\nb\r") }, "-ERR a b \r\n", ""},
		{"error protocol", func(w *Writer) { w.Error("ERR " + expectedDollar('\r').Error()) },
			"-ERR Protocol error: expected '$', got ' '\r\n", ""},
		{"int zero", func(w *Writer) { w.Int(0) }, ":0\r\n", ""},
		{"int negative", func(w *Writer) { w.Int(-42) }, ":-42\r\n", ""},
		{"int max", func(w *Writer) { w.Int(math.MaxInt64) }, ":9223372036854775807\r\n", ""},
		{"int min", func(w *Writer) { w.Int(math.MinInt64) }, ":-9223372036854775808\r\n", ""},
		{"bulk", func(w *Writer) { w.Bulk([]byte("hello")) }, "$5\r\nhello\r\n", ""},
		{"bulk empty", func(w *Writer) { w.Bulk([]byte{}) }, "$0\r\n\r\n", ""},
		{"bulk nil is empty", func(w *Writer) { w.Bulk(nil) }, "$0\r\n\r\n", ""},
		{"bulk binary", func(w *Writer) { w.Bulk([]byte("a\r\n\x00b")) }, "$5\r\na\r\n\x00b\r\n", ""},
		{"bulk string", func(w *Writer) { w.BulkString("héllo") }, "$6\r\nhéllo\r\n", ""},
		{"bulk string empty", func(w *Writer) { w.BulkString("") }, "$0\r\n\r\n", ""},
		{"bulk int", func(w *Writer) { w.BulkInt(-1234) }, "$5\r\n-1234\r\n", ""},
		{"bulk int min", func(w *Writer) { w.BulkInt(math.MinInt64) }, "$20\r\n-9223372036854775808\r\n", ""},
		{"null", func(w *Writer) { w.Null() }, "$-1\r\n", "_\r\n"},
		{"null array", func(w *Writer) { w.NullArray() }, "*-1\r\n", "_\r\n"},
		{"array", func(w *Writer) { w.Array(2); w.Int(1); w.Bulk([]byte("x")) }, "*2\r\n:1\r\n$1\r\nx\r\n", ""},
		{"array empty", func(w *Writer) { w.Array(0) }, "*0\r\n", ""},
		{"map", func(w *Writer) {
			w.Map(2)
			w.BulkString("a")
			w.Int(1)
			w.BulkString("b")
			w.Null()
		}, "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$-1\r\n", "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n"},
		{"map empty", func(w *Writer) { w.Map(0) }, "*0\r\n", "%0\r\n"},
		{"set", func(w *Writer) { w.Set(3); w.Int(0); w.Int(1); w.Int(2) },
			"*3\r\n:0\r\n:1\r\n:2\r\n", "~3\r\n:0\r\n:1\r\n:2\r\n"},
		{"set empty", func(w *Writer) { w.Set(0) }, "*0\r\n", "~0\r\n"},
		{"push", func(w *Writer) {
			w.Push(3)
			w.BulkString("subscribe")
			w.BulkString("ch")
			w.Int(1)
		}, "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n", ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"},
		{"attribute", func(w *Writer) {
			w.Attribute(1)
			if w.RESP3() {
				w.BulkString("key-popularity")
				w.Array(2)
				w.BulkString("key:123")
				w.Int(90)
			}
			w.BulkString("reply")
		}, "$5\r\nreply\r\n", "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$5\r\nreply\r\n"},
		{"true", func(w *Writer) { w.Bool(true) }, ":1\r\n", "#t\r\n"},
		{"false", func(w *Writer) { w.Bool(false) }, ":0\r\n", "#f\r\n"},
		{"double", func(w *Writer) { w.Double(3.14) }, "$18\r\n3.1400000000000001\r\n", ",3.1400000000000001\r\n"},
		{"double integral", func(w *Writer) { w.Double(2) }, "$1\r\n2\r\n", ",2\r\n"},
		{"double exponent", func(w *Writer) { w.Double(1e20) }, "$5\r\n1e+20\r\n", ",1e+20\r\n"},
		{"double zero", func(w *Writer) { w.Double(0) }, "$1\r\n0\r\n", ",0\r\n"},
		{"double negative zero", func(w *Writer) { w.Double(math.Copysign(0, -1)) }, "$2\r\n-0\r\n", ",-0\r\n"},
		{"double inf", func(w *Writer) { w.Double(math.Inf(1)) }, "$3\r\ninf\r\n", ",inf\r\n"},
		{"double -inf", func(w *Writer) { w.Double(math.Inf(-1)) }, "$4\r\n-inf\r\n", ",-inf\r\n"},
		{"double nan", func(w *Writer) { w.Double(math.NaN()) }, "$3\r\nnan\r\n", ",nan\r\n"},
		{"big number", func(w *Writer) { w.BigNumber(bigPos) },
			"$37\r\n1234567999999999999999999999999999999\r\n", "(1234567999999999999999999999999999999\r\n"},
		{"big number negative", func(w *Writer) { w.BigNumber(bigNeg) },
			"$21\r\n-98765432109876543210\r\n", "(-98765432109876543210\r\n"},
		{"big number zero", func(w *Writer) { w.BigNumber(new(big.Int)) }, "$1\r\n0\r\n", "(0\r\n"},
		{"verbatim", func(w *Writer) { w.Verbatim("txt", "This is a verbatim\nstring") },
			"$25\r\nThis is a verbatim\nstring\r\n", "=29\r\ntxt:This is a verbatim\nstring\r\n"},
		{"verbatim empty", func(w *Writer) { w.Verbatim("mkd", "") }, "$0\r\n\r\n", "=4\r\nmkd:\r\n"},
		{"raw", func(w *Writer) { w.Raw([]byte("+QUEUED\r\n")) }, "+QUEUED\r\n", ""},
		{"nested", func(w *Writer) {
			w.Array(2)
			w.Map(1)
			w.BulkString("k")
			w.Set(1)
			w.Double(1.5)
			w.NullArray()
		}, "*2\r\n*2\r\n$1\r\nk\r\n*1\r\n$3\r\n1.5\r\n*-1\r\n", "*2\r\n%1\r\n$1\r\nk\r\n~1\r\n,1.5\r\n_\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, resp3 := range []bool{false, true} {
				want := tt.resp2
				if resp3 && tt.resp3 != "" {
					want = tt.resp3
				}
				w := NewWriter(resp3)
				if w.RESP3() != resp3 {
					t.Fatalf("NewWriter(%v).RESP3() = %v", resp3, w.RESP3())
				}
				tt.write(w)
				if got := string(w.Bytes()); got != want {
					t.Errorf("RESP%d: got %q, want %q", protoVersion(resp3), got, want)
				}
				if w.Len() != len(want) {
					t.Errorf("RESP%d: Len() = %d, want %d", protoVersion(resp3), w.Len(), len(want))
				}
			}
		})
	}
}

func protoVersion(resp3 bool) int {
	if resp3 {
		return 3
	}
	return 2
}

func TestWriterBuffer(t *testing.T) {
	w := NewWriter(false)
	w.OK()
	mark := w.Len()
	w.Int(7)
	w.Bulk([]byte("discarded"))
	w.Truncate(mark)
	if got := string(w.Bytes()); got != "+OK\r\n" {
		t.Fatalf("after Truncate: %q", got)
	}
	w.SetRESP3(true)
	if !w.RESP3() {
		t.Fatal("SetRESP3(true) did not switch")
	}
	w.Null()
	w.SetRESP3(false)
	w.Null()
	if got := string(w.Bytes()); got != "+OK\r\n_\r\n$-1\r\n" {
		t.Fatalf("after switching protocol: %q", got)
	}
	c := cap(w.Bytes())
	w.Reset()
	if w.Len() != 0 || len(w.Bytes()) != 0 {
		t.Fatalf("Reset left %q", w.Bytes())
	}
	w.Int(1)
	if cap(w.Bytes()) != c {
		t.Fatalf("Reset dropped the buffer: cap %d, was %d", cap(w.Bytes()), c)
	}
}

// TestAppendDouble pins the formatting of redis-server 7.0's reply doubles (C's %.17g),
// taken from ZSCORE replies.
func TestAppendDouble(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{3.14, "3.1400000000000001"},
		{1e20, "1e+20"},
		{0.1, "0.10000000000000001"},
		{1.5, "1.5"},
		{123456789012345678, "1.2345678901234568e+17"},
		{1e-5, "1.0000000000000001e-05"},
		{0, "0"},
		{1e16, "10000000000000000"},
		{1e17, "1e+17"},
		{2, "2"},
		{0.0001, "0.0001"},
		{-2.5, "-2.5"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.SmallestNonzeroFloat64, "4.9406564584124654e-324"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
	}
	for _, tt := range tests {
		if got := string(AppendDouble([]byte("x"), tt.in)); got != "x"+tt.want {
			t.Errorf("AppendDouble(%v) = %q, want %q", tt.in, got, "x"+tt.want)
		}
	}
}
