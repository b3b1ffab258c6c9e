package coord

import (
	"bytes"
	"math/rand"
	"testing"
)

// TestBacklogKeepsTheNewestBytes checks the ring against the whole stream kept aside:
// whatever was written, since(off) is the stream's tail from off for every offset the
// backlog still holds, also across resizes.
func TestBacklogKeepsTheNewestBytes(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, size := range []int{1, 7, 64, 1000} {
		b := backlog{buf: make([]byte, size), first: 1}
		// ref is what the backlog must hold: a ring never gets back what it dropped,
		// even when it grows.
		var stream, ref []byte
		for step := 0; step < 500; step++ {
			if step%97 == 96 {
				size = 1 + rng.Intn(200)
				b.resize(size)
				ref = ref[max(0, len(ref)-size):]
			}
			p := make([]byte, rng.Intn(3*size+1))
			rng.Read(p)
			b.add(p)
			stream = append(stream, p...)
			ref = append(ref, p...)
			ref = ref[max(0, len(ref)-size):]
			held := len(ref)
			if b.n != held || b.first != int64(len(stream)-held+1) {
				t.Fatalf("size %d step %d: holds %d from %d, want %d from %d", size, step, b.n, b.first, held, len(stream)-held+1)
			}
			for _, off := range []int64{b.first, b.first + int64(b.n/2), b.first + int64(b.n)} {
				if got, want := b.since(off), stream[off-1:]; !bytes.Equal(got, want) {
					t.Fatalf("size %d step %d: since(%d) = %x, want %x", size, step, off, got, want)
				}
			}
		}
	}
}
