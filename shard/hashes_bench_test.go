package shard

import (
	"strconv"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// The hash benchmarks follow redis-benchmark's HSET test: 3-byte values. Small uses a
// listpack-encoded hash of 100 fields, large a hashtable of 100,000.

func benchHashShard(b *testing.B, fields int) (*Shard, [][]byte) {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	w := proto.NewWriter(false)
	names := make([][]byte, fields)
	for i := range names {
		names[i] = []byte("field:" + strconv.Itoa(i))
		hsetCommand(s, [][]byte{[]byte("HSET"), []byte("myhash"), names[i], benchValue}, w)
	}
	return s, names
}

func benchmarkHSet(b *testing.B, fields int) {
	s, names := benchHashShard(b, fields)
	w := proto.NewWriter(false)
	args := [][]byte{[]byte("HSET"), []byte("myhash"), nil, benchValue}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w.Reset()
		args[2] = names[i%len(names)]
		hsetCommand(s, args, w)
		i++
	}
	benchSink = w.Len()
}

func benchmarkHGet(b *testing.B, fields int) {
	s, names := benchHashShard(b, fields)
	w := proto.NewWriter(false)
	args := [][]byte{[]byte("HGET"), []byte("myhash"), nil}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w.Reset()
		args[2] = names[i%len(names)]
		hgetCommand(s, args, w)
		i++
	}
	benchSink = w.Len()
}

// BenchmarkHSetListpack overwrites fields of a 100-field listpack-encoded hash.
func BenchmarkHSetListpack(b *testing.B) { benchmarkHSet(b, 100) }

// BenchmarkHSetHashtable overwrites fields of a 100,000-field hashtable.
func BenchmarkHSetHashtable(b *testing.B) { benchmarkHSet(b, 100_000) }

// BenchmarkHGetListpack reads fields of a 100-field listpack-encoded hash.
func BenchmarkHGetListpack(b *testing.B) { benchmarkHGet(b, 100) }

// BenchmarkHGetHashtable reads fields of a 100,000-field hashtable.
func BenchmarkHGetHashtable(b *testing.B) { benchmarkHGet(b, 100_000) }
