package proto

import (
	"bytes"
	"testing"
)

// Package-level sinks keep the compiler from discarding benchmarked work.
var (
	sinkN    int
	sinkArgs [][]byte
	sinkOut  []byte
)

var (
	getRequest = []byte("*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000042\r\n")
	setRequest = []byte("*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000042\r\n$100\r\n" +
		string(bytes.Repeat([]byte("v"), 100)) + "\r\n")
	inlineRequest = []byte("SET key:000000000042 \"hello\\x20world\" 'x'\r\n")
	value100      = bytes.Repeat([]byte("v"), 100)
)

// pipeline16 is 8 GETs and 8 SETs back to back, as a pipelining client sends them.
func pipeline16() []byte {
	var b []byte
	for i := 0; i < 8; i++ {
		b = append(b, getRequest...)
		b = append(b, setRequest...)
	}
	return b
}

func benchParseOne(b *testing.B, req []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	var p Parser
	var r Request
	for b.Loop() {
		n, err := p.Parse(req, &r)
		if err != nil || n != len(req) {
			b.Fatalf("Parse = %d, %v", n, err)
		}
		sinkN = n
	}
	sinkArgs = r.Args
}

func BenchmarkParseGet(b *testing.B)    { benchParseOne(b, getRequest) }
func BenchmarkParseSet(b *testing.B)    { benchParseOne(b, setRequest) }
func BenchmarkParseInline(b *testing.B) { benchParseOne(b, inlineRequest) }

func BenchmarkParsePipeline16(b *testing.B) {
	buf := pipeline16()
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	var p Parser
	var r Request
	for b.Loop() {
		off := 0
		for off < len(buf) {
			n, err := p.Parse(buf[off:], &r)
			if err != nil || n == 0 {
				b.Fatalf("Parse = %d, %v", n, err)
			}
			off += n
		}
		sinkN = off
	}
	sinkArgs = r.Args
}

func BenchmarkWriterBulk(b *testing.B) {
	w := NewWriter(false)
	w.Bulk(value100)
	b.SetBytes(int64(w.Len()))
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		w.Bulk(value100)
	}
	sinkOut = w.Bytes()
}

// TestParseNoAlloc asserts the hot path: parsing into a reused Request does not allocate,
// for multibulk requests, a pipeline and inline requests with quotes (whose scratch space
// is reused too), and neither does writing the usual replies into a reused Writer.
func TestParseNoAlloc(t *testing.T) {
	pipe := pipeline16()
	cases := []struct {
		name string
		buf  []byte
	}{
		{"get", getRequest},
		{"set", setRequest},
		{"inline", inlineRequest},
		{"pipeline16", pipe},
		{"incomplete", setRequest[:len(setRequest)-3]},
	}
	for _, tc := range cases {
		var p Parser
		var r Request
		parse := func() {
			for off := 0; off < len(tc.buf); {
				n, err := p.Parse(tc.buf[off:], &r)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
				off += n
			}
		}
		parse() // grows Args and scratch once
		if allocs := testing.AllocsPerRun(100, parse); allocs != 0 {
			t.Errorf("%s: Parse allocates %.1f times per run", tc.name, allocs)
		}
	}

	w := NewWriter(true)
	reply := func() {
		w.Reset()
		w.Bulk(value100)
		w.OK()
		w.Null()
		w.Int(-12345)
		w.Map(1)
		w.BulkString("k")
		w.Double(3.14)
		w.Error(ErrWrongType)
	}
	reply()
	if allocs := testing.AllocsPerRun(100, reply); allocs != 0 {
		t.Errorf("Writer allocates %.1f times per reply batch", allocs)
	}
}
