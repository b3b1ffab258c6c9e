package shard

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// doG runs a command line, container commands (XGROUP, XINFO) included.
func doG(s *Shard, line string) string {
	args := splitCmd(line)
	name := strings.ToLower(string(args[0]))
	if (name == "xgroup" || name == "xinfo") && len(args) > 1 {
		name += "|" + strings.ToLower(string(args[1]))
	}
	h := Lookup(name)
	if h == nil {
		panic("no handler for " + name)
	}
	w := proto.NewWriter(false)
	h(s, args, w)
	return string(w.Bytes())
}

func scriptG(t *testing.T, s *Shard, steps ...string) {
	t.Helper()
	for i := 0; i < len(steps); i += 2 {
		if got := doG(s, steps[i]); got != steps[i+1] {
			t.Errorf("%s\n got %q\nwant %q", steps[i], got, steps[i+1])
		}
	}
}

// checkGroup verifies a group's invariants: both PEL levels sorted, every entry in
// exactly its consumer's list, consumers sorted by name.
func checkGroup(t *testing.T, g *StreamGroup) {
	t.Helper()
	for i := 1; i < len(g.pel); i++ {
		if !g.pel[i-1].ID.Less(g.pel[i].ID) {
			t.Fatalf("group PEL not sorted at %d", i)
		}
	}
	owned := 0
	for i, c := range g.consumers {
		if i > 0 && string(g.consumers[i-1].Name) >= string(c.Name) {
			t.Fatalf("consumers not sorted at %d", i)
		}
		for j, e := range c.pel {
			if j > 0 && !c.pel[j-1].ID.Less(e.ID) {
				t.Fatalf("consumer %s PEL not sorted", c.Name)
			}
			if e.Consumer != c || g.pel.find(e.ID) != e {
				t.Fatalf("entry %s of %s is not linked", e.ID, c.Name)
			}
		}
		owned += len(c.pel)
	}
	if owned != len(g.pel) {
		t.Fatalf("consumers own %d entries, the group has %d", owned, len(g.pel))
	}
}

// TestGroupModel drives a group with random deliveries, acks, claims and consumer
// deletions and compares it with a map.
func TestGroupModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	g := &StreamGroup{Name: []byte("g")}
	model := map[StreamID]string{}
	names := []string{"a", "b", "c", "d"}
	for step := range 20000 {
		id := StreamID{Ms: uint64(r.IntN(300)), Seq: uint64(r.IntN(3))}
		name := names[r.IntN(len(names))]
		switch r.IntN(10) {
		case 0, 1, 2, 3:
			c, _ := g.AddConsumer([]byte(name), int64(step))
			g.Deliver(id, c, int64(step))
			model[id] = name
		case 4, 5, 6:
			_, had := model[id]
			if g.Ack(id) != had {
				t.Fatalf("step %d: ack %s", step, id)
			}
			delete(model, id)
		case 7, 8:
			if e := g.pel.find(id); e != nil {
				c, _ := g.AddConsumer([]byte(name), int64(step))
				g.claim(e, c)
				model[id] = name
			}
		case 9:
			n := g.DeleteConsumer([]byte(name))
			var want int64
			for k, v := range model {
				if v == name {
					delete(model, k)
					want++
				}
			}
			if n != want {
				t.Fatalf("step %d: deleted %d pending, want %d", step, n, want)
			}
		}
		if step%500 == 0 {
			checkGroup(t, g)
		}
	}
	checkGroup(t, g)
	if len(model) != len(g.pel) {
		t.Fatalf("model has %d, group %d", len(model), len(g.pel))
	}
	for _, e := range g.pel {
		if model[e.ID] != string(e.Consumer.Name) {
			t.Fatalf("%s belongs to %s, model says %s", e.ID, e.Consumer.Name, model[e.ID])
		}
	}
	c := g.clone()
	checkGroup(t, c)
	if len(c.pel) != len(g.pel) || (len(c.pel) > 0 && c.pel[0] == g.pel[0]) {
		t.Fatal("clone shares entries")
	}
}

func TestGroupCommands(t *testing.T) {
	s := newTestShard()
	scriptG(t, s,
		"XADD s 1-1 a 1", bulk("1-1"),
		"XADD s 2-1 b 2", bulk("2-1"),
		"XGROUP CREATE s g 0", ok,
		"XGROUP CREATE s g 0", fail(errBusyGroup),
		"XACK s g 1-1", num(0),
		"XGROUP CREATECONSUMER s g c", num(1),
		"XPENDING s g", array(num(0), null, null, "*-1\r\n"),
	)
	st := s.mustStream(t, "s")
	g := st.Group([]byte("g"))
	c := g.Consumer([]byte("c"))
	for _, id := range []StreamID{{1, 1}, {2, 1}} {
		st.advance(g, id)
		g.Deliver(id, c, s.now-5000)
	}
	scriptG(t, s,
		"XPENDING s g", array(num(2), bulk("1-1"), bulk("2-1"), array(array(bulk("c"), bulk("2")))),
		"XPENDING s g IDLE 4000 - + 10", array(
			array(bulk("1-1"), bulk("c"), num(5000), num(1)),
			array(bulk("2-1"), bulk("c"), num(5000), num(1))),
		"XPENDING s g IDLE 6000 - + 10", "*0\r\n",
		"XCLAIM s g d 6000 1-1 JUSTID", "*0\r\n",
		"XCLAIM s g d 4000 1-1 JUSTID", array(bulk("1-1")),
		"XPENDING s g - + 10 d", array(array(bulk("1-1"), bulk("d"), num(0), num(1))),
		"XAUTOCLAIM s g e 4000 0 JUSTID", array(bulk("0-0"), array(bulk("2-1")), "*0\r\n"),
		"XDEL s 2-1", num(1),
		"XAUTOCLAIM s g e 0 0", array(bulk("0-0"), array(array(bulk("1-1"), bulks("a", "1"))), array(bulk("2-1"))),
		"XINFO GROUPS s", array(array(bulk("name"), bulk("g"), bulk("consumers"), num(3), bulk("pending"), num(1),
			bulk("last-delivered-id"), bulk("2-1"), bulk("entries-read"), num(2), bulk("lag"), num(0))),
		"XGROUP DELCONSUMER s g e", num(1),
		"XPENDING s g", array(num(0), null, null, "*-1\r\n"),
	)
	checkGroup(t, g)
}

func (s *Shard) mustStream(t *testing.T, key string) *Stream {
	t.Helper()
	e, ok := s.peek([]byte(key))
	if !ok || e.Type != TypeStream {
		t.Fatalf("no stream at %q", key)
	}
	return e.Coll.(*Stream)
}

// TestReadGroupOnce checks that deliveries to many consumers hand out every entry
// exactly once, and that acks empty the PEL.
func TestReadGroupOnce(t *testing.T) {
	s := newTestShard()
	for i := 1; i <= 1000; i++ {
		doG(s, "XADD s "+strconv.Itoa(i)+"-1 f v")
	}
	doG(s, "XGROUP CREATE s g 0")
	st := s.mustStream(t, "s")
	seen := map[StreamID]bool{}
	r := rand.New(rand.NewPCG(5, 6))
	for len(seen) < 1000 {
		x := &XReadGroupArgs{Group: []byte("g"), Consumer: []byte("c" + strconv.Itoa(r.IntN(7)))}
		x.Count = int64(1 + r.IntN(20))
		w := proto.NewWriter(false)
		if !s.StreamGroupRead([]byte("s"), x, StreamID{}, true, w) {
			t.Fatal("nothing delivered while entries remain")
		}
		g := st.Group([]byte("g"))
		for _, c := range g.consumers {
			for _, e := range c.pel {
				if !seen[e.ID] {
					seen[e.ID] = true
				}
				if e.DeliveryCount != 1 {
					t.Fatalf("%s delivered %d times", e.ID, e.DeliveryCount)
				}
			}
		}
	}
	g := st.Group([]byte("g"))
	checkGroup(t, g)
	if len(g.pel) != 1000 || g.EntriesRead != 1000 {
		t.Fatalf("pel %d entries-read %d", len(g.pel), g.EntriesRead)
	}
	for _, e := range append(pelList(nil), g.pel...) {
		g.Ack(e.ID)
	}
	checkGroup(t, g)
	if len(g.pel) != 0 {
		t.Fatal("acks left entries")
	}
}

var sinkW *proto.Writer

// BenchmarkReadGroupAck is the consumer loop: XREADGROUP COUNT 10 > then XACK of the
// ten ids.
func BenchmarkReadGroupAck(b *testing.B) {
	b.ReportAllocs()
	s := newTestShard()
	st := NewStream()
	s.put([]byte("s"), Object{Type: TypeStream, Coll: st})
	lim := StreamLimits{MaxEntries: 100, MaxBytes: 4096}
	fv := [][]byte{[]byte("field"), []byte("value")}
	for i := range b.N*10 + 10 {
		st.Append(StreamID{Ms: uint64(i + 1)}, fv, lim)
	}
	g := st.AddGroup([]byte("g"), StreamID{}, 0)
	x := &XReadGroupArgs{Group: []byte("g"), Consumer: []byte("c")}
	x.Count = 10
	w := proto.NewWriter(false)
	b.ResetTimer()
	for range b.N {
		w.Reset()
		s.StreamGroupRead([]byte("s"), x, StreamID{}, true, w)
		for len(g.pel) > 0 {
			g.Ack(g.pel[0].ID)
		}
	}
	sinkW = w
}

// BenchmarkXPendingSummary is XPENDING key group over a PEL of 10000 entries and 10
// consumers.
func BenchmarkXPendingSummary(b *testing.B) {
	b.ReportAllocs()
	s := newTestShard()
	st := NewStream()
	s.put([]byte("s"), Object{Type: TypeStream, Coll: st})
	g := st.AddGroup([]byte("g"), StreamID{}, 0)
	for i := range 10000 {
		id := StreamID{Ms: uint64(i + 1)}
		st.Append(id, [][]byte{[]byte("f"), []byte("v")}, StreamLimits{MaxEntries: 100})
		c, _ := g.AddConsumer([]byte("c"+strconv.Itoa(i%10)), 0)
		g.Deliver(id, c, 0)
	}
	args := splitCmd("XPENDING s g")
	w := proto.NewWriter(false)
	b.ResetTimer()
	for range b.N {
		w.Reset()
		xpendingCmd(s, args, w)
	}
	sinkW = w
}
