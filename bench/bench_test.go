package bench

import (
	"testing"
)

// The generator's hot path: rendering requests, drawing keys and scanning replies. None
// of it may allocate, or the generator becomes the bottleneck it is meant to measure.

var sinkBytes []byte
var sinkInt int64

func benchmarkTemplate(b *testing.B, text string, pattern KeyPattern) {
	tmpl, err := ParseTemplate(text)
	if err != nil {
		b.Fatal(err)
	}
	st, err := newKeyState(KeySpace{Min: 0, Max: 999_999, Pattern: pattern})
	if err != nil {
		b.Fatal(err)
	}
	g := newKeyGen(st, 1, 0)
	v := newValueSource(100, 100)
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		if len(buf) > 60<<10 {
			buf = buf[:0]
		}
		g.reserve(tmpl.Keys)
		buf = tmpl.appendRequest(buf, "key:", g, v)
	}
	sinkBytes = buf
}

func BenchmarkAppendSet(b *testing.B)  { benchmarkTemplate(b, "SET __key__ __data__", Uniform) }
func BenchmarkAppendGet(b *testing.B)  { benchmarkTemplate(b, "GET __key__", Uniform) }
func BenchmarkAppendPing(b *testing.B) { benchmarkTemplate(b, "PING", Uniform) }
func BenchmarkAppendMSet10(b *testing.B) {
	text := "MSET"
	for range 10 {
		text += " __key__ __data__"
	}
	benchmarkTemplate(b, text, Uniform)
}

func benchmarkKeys(b *testing.B, pattern KeyPattern) {
	st, err := newKeyState(KeySpace{Min: 0, Max: 999_999, Pattern: pattern})
	if err != nil {
		b.Fatal(err)
	}
	g := newKeyGen(st, 1, 0)
	b.ReportAllocs()
	var s int64
	for b.Loop() {
		g.reserve(1)
		s += g.next()
	}
	sinkInt = s
}

func BenchmarkKeyUniform(b *testing.B)    { benchmarkKeys(b, Uniform) }
func BenchmarkKeySequential(b *testing.B) { benchmarkKeys(b, Sequential) }
func BenchmarkKeyGaussian(b *testing.B)   { benchmarkKeys(b, Gaussian) }
func BenchmarkKeyZipf(b *testing.B)       { benchmarkKeys(b, Zipf) }

// BenchmarkScanReplies scans a read buffer of 16 pipelined GET replies of 100 bytes,
// as a connection does after one read.
func BenchmarkScanReplies(b *testing.B) {
	var buf []byte
	for range 16 {
		buf = append(buf, "$100\r\n"...)
		buf = append(buf, make([]byte, 100)...)
		buf = append(buf, "\r\n"...)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	var total int64
	for b.Loop() {
		for pos := 0; pos < len(buf); {
			n, _, err := scanReply(buf[pos:])
			if err != nil || n == 0 {
				b.Fatal("bad reply")
			}
			pos += n
		}
		total++
	}
	sinkInt = total
}
