package persist

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/basaltdb/basalt/shard"
)

// testStream builds a stream over several nodes, with deleted entries, entries whose
// fields differ from their node's master fields, integer-like and long values, and two
// groups with pending entries spread over consumers.
func testStream(t testing.TB) *shard.Stream {
	st := shard.NewStream()
	lim := shard.StreamLimits{MaxEntries: 50, MaxBytes: 4096}
	for i := 1; i <= 240; i++ {
		id := shard.StreamID{Ms: uint64(1000 + i/3), Seq: uint64(i % 3)}
		fv := [][]byte{[]byte("temp"), []byte(strconv.Itoa(i * 7)), []byte("where"), []byte("room-" + strconv.Itoa(i%5))}
		switch {
		case i%11 == 0:
			fv = [][]byte{[]byte("other"), bytes.Repeat([]byte("x"), 100+i)}
		case i%13 == 0:
			fv = append(fv, []byte("extra"), []byte("-42"))
		}
		st.Append(id, fv, lim)
	}
	for i := 5; i <= 240; i += 9 {
		st.Delete(shard.StreamID{Ms: uint64(1000 + i/3), Seq: uint64(i % 3)})
	}
	g := st.AddGroup([]byte("g1"), shard.StreamID{Ms: 1030}, 90)
	for i, c := range []string{"alice", "bob", "carol"} {
		cons, _ := g.AddConsumer([]byte(c), int64(1700000000000+i))
		cons.ActiveTime = int64(1700000000500 + i)
		for j := i; j < 60; j += 3 {
			id := shard.StreamID{Ms: uint64(1000 + j/3), Seq: uint64(j % 3)}
			if st.Has(id) {
				g.Deliver(id, cons, int64(1700000001000+j))
			}
		}
	}
	g.AddConsumer([]byte("idle"), 1700000009999)
	st.AddGroup([]byte("g0"), shard.StreamID{}, -1)
	return st
}

// streamDump renders everything persist keeps of a stream, to compare two of them.
func streamDump(st *shard.Stream, active bool) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "len=%d last=%s maxdel=%s added=%d first=%s\n", st.Len(), st.LastID(), st.MaxDeletedID(), st.EntriesAdded(), st.FirstID())
	st.EachNode(func(info shard.StreamNodeInfo, entries []shard.StreamNodeEntry) error {
		fmt.Fprintf(&b, "node %s %q live=%d del=%d\n", info.Master, info.MasterFields, info.Live, info.Deleted)
		for _, e := range entries {
			fmt.Fprintf(&b, "  %s del=%v same=%v %q\n", e.ID, e.Deleted, e.SameFields, e.FV)
		}
		return nil
	})
	for _, g := range st.Groups {
		fmt.Fprintf(&b, "group %s last=%s read=%d\n", g.Name, g.LastID, g.EntriesRead)
		for _, e := range g.Pending() {
			fmt.Fprintf(&b, "  pel %s %s %d %d\n", e.ID, e.Consumer.Name, e.DeliveryTime, e.DeliveryCount)
		}
		for _, c := range g.Consumers() {
			fmt.Fprintf(&b, "  consumer %s seen=%d pel=%d", c.Name, c.SeenTime, len(c.Pending()))
			if active {
				fmt.Fprintf(&b, " active=%d", c.ActiveTime)
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func TestStreamRoundTrip(t *testing.T) {
	settings := shard.NewSettings()
	st := testStream(t)
	want := streamDump(st, true)
	for _, v := range []int{10, 11} {
		data := encodeAll(t, map[string]shard.Object{"s": {Type: shard.TypeStream, Coll: st}}, Options{Version: v})
		got := decodeAll(t, data, settings)["s"]
		gs, ok := got.Coll.(*shard.Stream)
		if !ok {
			t.Fatalf("v%d: decoded %T", v, got.Coll)
		}
		// Version 10 (type 19) has no active time: it comes back as the seen time.
		if d := streamDump(gs, v >= 11); d != streamDump(st, v >= 11) {
			t.Fatalf("v%d round trip differs:\n got %s\nwant %s", v, d, want)
		}
	}
	p, err := AppendPayload(nil, &shard.Object{Type: shard.TypeStream, Coll: st})
	if err != nil {
		t.Fatal(err)
	}
	o, err := DecodePayload(p, settings)
	if err != nil {
		t.Fatal(err)
	}
	if d := streamDump(o.Coll.(*shard.Stream), false); d != streamDump(st, false) {
		t.Fatalf("payload round trip differs")
	}
}

func TestStreamEmptyRoundTrip(t *testing.T) {
	st := shard.NewStream()
	st.AddGroup([]byte("g"), shard.StreamID{}, -1)
	p, err := AppendPayload(nil, &shard.Object{Type: shard.TypeStream, Coll: st})
	if err != nil {
		t.Fatal(err)
	}
	o, err := DecodePayload(p, shard.NewSettings())
	if err != nil {
		t.Fatal(err)
	}
	if d := streamDump(o.Coll.(*shard.Stream), true); d != streamDump(st, true) {
		t.Fatalf("got %s", d)
	}
}

// TestStreamCorrupt flips every byte of a payload in turn: the decoder must report an
// error or return some stream, never panic.
func TestStreamCorrupt(t *testing.T) {
	st := shard.NewStream()
	st.Append(shard.StreamID{Ms: 1, Seq: 1}, [][]byte{[]byte("a"), []byte("1")}, shard.StreamLimits{})
	st.Append(shard.StreamID{Ms: 2, Seq: 1}, [][]byte{[]byte("b"), []byte("xyz")}, shard.StreamLimits{})
	g := st.AddGroup([]byte("g"), shard.StreamID{Ms: 2, Seq: 1}, 2)
	c, _ := g.AddConsumer([]byte("c"), 5)
	g.Deliver(shard.StreamID{Ms: 1, Seq: 1}, c, 6)
	var body []byte
	_, body, err := appendStream(body, st, 11, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		for _, x := range []byte{0xFF, 0x01, 0x80} {
			b := bytes.Clone(body)
			b[i] ^= x
			d := NewDecoder(shard.NewSettings())
			d.r = newBufReader(b)
			d.readStream(typeStream3)
		}
	}
	// The untouched body decodes.
	d := NewDecoder(shard.NewSettings())
	d.r = newBufReader(body)
	if _, _, err := d.readStream(typeStream3); err != nil {
		t.Fatal(err)
	}
}

// TestWriteStreamFuzzSeed keeps a stream in FuzzDecode's seed corpus; with -update-seed
// it rewrites it.
func TestWriteStreamFuzzSeed(t *testing.T) {
	path := filepath.Join("testdata", "fuzz", "FuzzDecode", "stream")
	if _, err := os.Stat(path); err == nil && os.Getenv("BASALT_UPDATE_SEED") == "" {
		return
	}
	st := shard.NewStream()
	for i := 1; i <= 5; i++ {
		st.Append(shard.StreamID{Ms: uint64(i), Seq: 0}, [][]byte{[]byte("f"), []byte(strconv.Itoa(i))}, shard.StreamLimits{MaxEntries: 3})
	}
	st.Delete(shard.StreamID{Ms: 2})
	g := st.AddGroup([]byte("g"), shard.StreamID{Ms: 4}, 4)
	c, _ := g.AddConsumer([]byte("c"), 7)
	g.Deliver(shard.StreamID{Ms: 3}, c, 8)
	data := encodeAll(t, map[string]shard.Object{"s": {Type: shard.TypeStream, Coll: st}}, Options{Version: 11})
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	seed := "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"
	if err := os.WriteFile(path, []byte(seed), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newBufReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

// TestStreamType15 reads the layout of Redis 5 and 6 (RDB_TYPE_STREAM_LISTPACKS): no
// first id, deleted-id or entries-added counters, no entries-read per group. The
// counters come out as Redis 7 derives them.
func TestStreamType15(t *testing.T) {
	st := shard.NewStream()
	st.Append(shard.StreamID{Ms: 5, Seq: 1}, [][]byte{[]byte("a"), []byte("1")}, shard.StreamLimits{})
	st.Append(shard.StreamID{Ms: 6, Seq: 0}, [][]byte{[]byte("a"), []byte("2")}, shard.StreamLimits{})
	var b []byte
	b = appendLen(b, 1)
	st.EachNode(func(info shard.StreamNodeInfo, entries []shard.StreamNodeEntry) error {
		var key [16]byte
		putStreamID(key[:], info.Master)
		b = appendString(b, key[:], false)
		b = appendString(b, streamListpack(nil, info, entries), false)
		return nil
	})
	b = appendLen(b, 2)
	b = appendIDLens(b, shard.StreamID{Ms: 9})
	b = appendLen(b, 1)                     // groups
	b = appendString(b, []byte("g"), false) // name
	b = appendIDLens(b, shard.StreamID{Ms: 5, Seq: 1})
	b = appendLen(b, 1) // group PEL
	b = appendRawID(b, shard.StreamID{Ms: 5, Seq: 1})
	b = append(b, 1, 0, 0, 0, 0, 0, 0, 0) // delivery time
	b = appendLen(b, 3)                   // delivery count
	b = appendLen(b, 1)                   // consumers
	b = appendString(b, []byte("c"), false)
	b = append(b, 2, 0, 0, 0, 0, 0, 0, 0) // seen time
	b = appendLen(b, 1)
	b = appendRawID(b, shard.StreamID{Ms: 5, Seq: 1})
	d := NewDecoder(shard.NewSettings())
	d.r = newBufReader(b)
	o, ok, err := d.readStream(typeStream)
	if err != nil || !ok {
		t.Fatalf("type 15: %v", err)
	}
	got := o.Coll.(*shard.Stream)
	want := "len=2 last=9-0 maxdel=0-0 added=2 first=5-1\n" +
		"node 5-1 [\"a\"] live=2 del=0\n  5-1 del=false same=true [\"a\" \"1\"]\n  6-0 del=false same=true [\"a\" \"2\"]\n" +
		"group g last=5-1 read=1\n  pel 5-1 c 1 3\n  consumer c seen=2 pel=1 active=2\n"
	if d := streamDump(got, true); d != want {
		t.Fatalf("got\n%s\nwant\n%s", d, want)
	}
}
