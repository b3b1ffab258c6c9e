package shard

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// zsetOfSize returns a shard holding "myzset" with size members "element:i" scored i.
func zsetOfSize(size int) *Shard {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	w := proto.NewWriter(false)
	for i := range size {
		zaddCommand(s, [][]byte{[]byte("ZADD"), []byte("myzset"), []byte(strconv.Itoa(i)), []byte("element:" + strconv.Itoa(i))}, w)
	}
	return s
}

// BenchmarkZAdd adds distinct members (redis-benchmark's zadd uses random scores and
// "element:N") to one sorted set, which is dropped every 1,000,000 members.
func BenchmarkZAdd(b *testing.B) {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	w := proto.NewWriter(false)
	member := make([]byte, 0, 32)
	score := make([]byte, 0, 32)
	args := [][]byte{[]byte("ZADD"), []byte("myzset"), nil, nil}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		score = strconv.AppendInt(score[:0], int64(n*7919%1_000_003), 10)
		member = strconv.AppendInt(append(member[:0], "element:"...), int64(n), 10)
		args[2], args[3] = score, member
		w.Reset()
		zaddCommand(s, args, w)
		if n++; n == 1_000_000 {
			s.remove(args[1])
			n = 0
		}
	}
	benchSink = w.Len()
}

// BenchmarkZAddUpdate gives existing members of a million-member set new random
// scores, redis-benchmark's zadd once its random members have all been added: each
// call moves a member to another place in the order.
func BenchmarkZAddUpdate(b *testing.B) {
	const size = 1_000_000
	s := zsetOfSize(size)
	w := proto.NewWriter(false)
	member := make([]byte, 0, 32)
	score := make([]byte, 0, 32)
	args := [][]byte{[]byte("ZADD"), []byte("myzset"), nil, nil}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for b.Loop() {
		score = strconv.AppendInt(score[:0], rng.Int64N(size), 10)
		member = strconv.AppendInt(append(member[:0], "element:"...), rng.Int64N(size), 10)
		args[2], args[3] = score, member
		w.Reset()
		zaddCommand(s, args, w)
	}
	benchSink = w.Len()
}

// BenchmarkZScore looks a member up in a small (listpack) and a big (skiplist) set.
func BenchmarkZScore(b *testing.B) {
	for _, size := range []int{100, 100_000} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			s := zsetOfSize(size)
			w := proto.NewWriter(false)
			args := [][]byte{[]byte("ZSCORE"), []byte("myzset"), []byte("element:" + strconv.Itoa(size/2))}
			b.ReportAllocs()
			for b.Loop() {
				w.Reset()
				zscoreCommand(s, args, w)
			}
			benchSink = w.Len()
		})
	}
}

// BenchmarkZRange reads 10 members with scores from the middle of the set, by rank and
// by score.
func BenchmarkZRange(b *testing.B) {
	for _, size := range []int{100, 100_000} {
		mid := strconv.Itoa(size / 2)
		for _, tc := range []struct {
			name string
			args []string
		}{
			{"rank", []string{"ZRANGE", "myzset", mid, strconv.Itoa(size/2 + 9), "WITHSCORES"}},
			{"byscore", []string{"ZRANGE", "myzset", mid, "+inf", "BYSCORE", "LIMIT", "0", "10", "WITHSCORES"}},
		} {
			b.Run(strconv.Itoa(size)+"/"+tc.name, func(b *testing.B) {
				s := zsetOfSize(size)
				w := proto.NewWriter(false)
				args := make([][]byte, len(tc.args))
				for i, a := range tc.args {
					args[i] = []byte(a)
				}
				h := Lookup("zrange")
				b.ReportAllocs()
				for b.Loop() {
					w.Reset()
					h(s, args, w)
				}
				benchSink = w.Len()
			})
		}
	}
}
