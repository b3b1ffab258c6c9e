package coord

import (
	"bufio"
	"bytes"
	"math/rand"
	"strconv"
	"strings"
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

// FuzzReadSyncPayload feeds arbitrary bytes to the reader of a full sync's snapshot, as
// a master (or anything claiming to be one) may send them. It must never panic, and
// whatever it accepts must be what the framing says: the sized bulk's bytes, or bytes
// that the EOF mark follows.
func FuzzReadSyncPayload(f *testing.F) {
	mark := strings.Repeat("m", 40)
	f.Add([]byte("\n\n$5\r\nREDIS"))
	f.Add([]byte("$EOF:" + mark + "\r\nREDIS0010" + mark))
	f.Add([]byte("$EOF:" + mark + "\r\nabc"))
	f.Add([]byte("$-1\r\n"))
	f.Add([]byte("+FULLRESYNC x 0\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		err := readSyncPayload(bufio.NewReader(bytes.NewReader(in)), &out)
		if err != nil {
			return
		}
		rest := in
		for len(rest) > 0 && (rest[0] == '\n' || rest[0] == '\r') {
			rest = rest[1:]
		}
		nl := bytes.IndexByte(rest, '\n')
		header, body := strings.TrimRight(string(rest[:nl]), "\r\n"), rest[nl+1:]
		if m, ok := strings.CutPrefix(header, "$EOF:"); ok {
			// As in Redis, the payload ends where what was read ends with the mark.
			got := out.Bytes()
			if !bytes.HasPrefix(body, append(append([]byte(nil), got...), m...)) {
				t.Fatalf("EOF-marked payload %q: read %q", in, got)
			}
			return
		}
		n, _ := strconv.Atoi(header[1:])
		if !bytes.Equal(out.Bytes(), body[:n]) {
			t.Fatalf("sized payload %q: read %q", in, out.Bytes())
		}
	})
}
