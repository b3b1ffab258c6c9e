package shard

import (
	"fmt"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// benchSink keeps the compiler from discarding the work being measured.
var benchSink int

const benchKeys = 100_000

// benchShard returns a shard holding benchKeys strings of size bytes, and their keys.
func benchShard(size int) (*Shard, [][]byte) {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	keys := make([][]byte, benchKeys)
	val := make([]byte, size)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key:%08d", i)
		s.setString(keys[i], val, 0, false)
	}
	return s, keys
}

func BenchmarkGet(b *testing.B) {
	s, keys := benchShard(64)
	w := proto.NewWriter(false)
	args := [][]byte{[]byte("GET"), nil}
	b.ReportAllocs()
	b.SetBytes(64)
	i := 0
	for b.Loop() {
		args[1] = keys[i%benchKeys]
		i++
		w.Reset()
		getCommand(s, args, w)
	}
	benchSink = w.Len()
}

func BenchmarkSet(b *testing.B) {
	s, keys := benchShard(64)
	w := proto.NewWriter(false)
	args := [][]byte{[]byte("SET"), nil, make([]byte, 64)}
	b.ReportAllocs()
	b.SetBytes(64)
	i := 0
	for b.Loop() {
		args[1] = keys[i%benchKeys]
		i++
		w.Reset()
		setCommand(s, args, w)
	}
	benchSink = w.Len()
}
