package shard

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// BenchmarkSAdd adds distinct members (redis-benchmark's sadd uses "element:N") to one
// set, which is dropped every 1,000,000 members.
func BenchmarkSAdd(b *testing.B) {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	w := proto.NewWriter(false)
	member := make([]byte, 0, 32)
	args := [][]byte{[]byte("SADD"), []byte("myset"), nil}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		member = strconv.AppendInt(append(member[:0], "element:"...), int64(n), 10)
		args[2] = member
		w.Reset()
		saddCommand(s, args, w)
		if n++; n == 1_000_000 {
			s.remove(args[1])
			n = 0
		}
	}
	benchSink = w.Len()
}

// BenchmarkSIsMember looks members up in a small (listpack) and a big (hashtable) set.
func BenchmarkSIsMember(b *testing.B) {
	for _, size := range []int{100, 100_000} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			s := New(0, 16, NewSettings())
			s.Begin(0)
			w := proto.NewWriter(false)
			for i := range size {
				saddCommand(s, [][]byte{[]byte("SADD"), []byte("myset"), []byte("element:" + strconv.Itoa(i))}, w)
			}
			args := [][]byte{[]byte("SISMEMBER"), []byte("myset"), []byte("element:" + strconv.Itoa(size/2))}
			b.ReportAllocs()
			for b.Loop() {
				w.Reset()
				sismemberCommand(s, args, w)
			}
			benchSink = w.Len()
		})
	}
}

// BenchmarkSetBatch runs pipelined batches of 16 SISMEMBER of random members of a
// million-member set, with and without PrefetchBatch first: each lookup otherwise waits
// on the member's index slot, its string header and its bytes in turn.
func BenchmarkSetBatch(b *testing.B) {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	w := proto.NewWriter(false)
	const size = 1_000_000
	for i := range size {
		saddCommand(s, [][]byte{[]byte("SADD"), []byte("myset"), []byte("element:" + strconv.Itoa(i))}, w)
	}
	s.Settle()
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([][]byte, 16)
	members := make([][]byte, 16)
	for i := range keys {
		keys[i] = []byte("myset")
	}
	args := [][]byte{[]byte("SISMEMBER"), []byte("myset"), nil}
	for _, pf := range []bool{false, true} {
		b.Run("prefetch="+strconv.FormatBool(pf), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for i := range members {
					members[i] = strconv.AppendInt(append(members[i][:0], "element:"...), int64(rng.IntN(size)), 10)
				}
				if pf {
					s.PrefetchBatch(0, keys, members)
				}
				for _, m := range members {
					w.Reset()
					args[2] = m
					sismemberCommand(s, args, w)
				}
			}
		})
	}
}
