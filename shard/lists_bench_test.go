package shard

import (
	"fmt"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// The list benchmarks follow redis-benchmark's list tests: 3-byte values, one list.

var benchValue = []byte("xxx")

// BenchmarkLPush pushes onto one list, which is dropped every 1,000,000 elements so the
// benchmark does not measure an ever larger heap.
func BenchmarkLPush(b *testing.B) {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	w := proto.NewWriter(false)
	args := [][]byte{[]byte("LPUSH"), []byte("mylist"), benchValue}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		w.Reset()
		lpushCommand(s, args, w)
		s.Settle() // as the server does after each command
		if n++; n == 1_000_000 {
			s.remove(args[1])
			n = 0
		}
	}
	benchSink = w.Len()
}

// BenchmarkLPop pops from the head of a list refilled, off the clock, with 100,000
// elements at a time.
func BenchmarkLPop(b *testing.B) {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	w := proto.NewWriter(false)
	fill := make([][]byte, 2, 100_002)
	fill[0], fill[1] = []byte("RPUSH"), []byte("mylist")
	for range 100_000 {
		fill = append(fill, benchValue)
	}
	args := [][]byte{[]byte("LPOP"), []byte("mylist")}
	b.ReportAllocs()
	left := 0
	for b.Loop() {
		if left == 0 {
			b.StopTimer()
			rpushCommand(s, fill, w)
			left = 100_000
			b.StartTimer()
		}
		w.Reset()
		lpopCommand(s, args, w)
		left--
	}
	benchSink = w.Len()
}

// BenchmarkLRange reads the first 100, 300, 450 or 600 elements of a list of 1000
// (redis-benchmark's lrange_100 ... lrange_600).
func BenchmarkLRange(b *testing.B) {
	for _, n := range []int{100, 300, 450, 600} {
		b.Run(fmt.Sprintf("first%d", n), func(b *testing.B) {
			s := New(0, 16, NewSettings())
			s.Begin(0)
			w := proto.NewWriter(false)
			fill := [][]byte{[]byte("RPUSH"), []byte("mylist")}
			for range 1000 {
				fill = append(fill, benchValue)
			}
			rpushCommand(s, fill, w)
			args := [][]byte{[]byte("LRANGE"), []byte("mylist"), []byte("0"), fmt.Appendf(nil, "%d", n-1)}
			b.ReportAllocs()
			for b.Loop() {
				w.Reset()
				lrangeCommand(s, args, w)
			}
			benchSink = w.Len()
		})
	}
}

// BenchmarkListIntegers reads a list of integers, which the listpack stores as integers
// and the reply formats back to decimal.
func BenchmarkListIntegers(b *testing.B) {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	w := proto.NewWriter(false)
	fill := [][]byte{[]byte("RPUSH"), []byte("ints")}
	for i := range 1000 {
		fill = append(fill, fmt.Appendf(nil, "%d", i*7919))
	}
	rpushCommand(s, fill, w)
	args := [][]byte{[]byte("LRANGE"), []byte("ints"), []byte("0"), []byte("-1")}
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		lrangeCommand(s, args, w)
	}
	benchSink = w.Len()
}
