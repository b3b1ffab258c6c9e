package shard

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// entryReply is one stream entry as XRANGE shows it.
func entryReply(id string, fv ...string) string { return array(bulk(id), bulks(fv...)) }

func TestStreamCommands(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"XADD s 1-1 a 1", bulk("1-1"),
		"XADD s 1-* b 2", bulk("1-2"),
		"XADD s 1-2 a 1", fail(errXAddSmaller),
		"XADD s 0-0 a 1", fail(errXAddZero),
		"XADD s 5 a 1 b 2", bulk("5-0"),
		"XADD s x a 1", fail(errStreamID),
		"XADD s 6-0 a", fail("ERR wrong number of arguments for 'xadd' command"),
		"XADD n NOMKSTREAM 1-1 a 1", "$-1\r\n",
		"XLEN s", num(3),
		"XRANGE s - +", array(entryReply("1-1", "a", "1"), entryReply("1-2", "b", "2"), entryReply("5-0", "a", "1", "b", "2")),
		"XRANGE s (1-1 5", array(entryReply("1-2", "b", "2"), entryReply("5-0", "a", "1", "b", "2")),
		"XREVRANGE s + - COUNT 1", array(entryReply("5-0", "a", "1", "b", "2")),
		"XRANGE s - (0-0", fail(errEndInterval),
		"XDEL s 1-2 9-9", num(1),
		"XLEN s", num(2),
		"XTRIM s MAXLEN 1", num(1),
		"XRANGE s - +", array(entryReply("5-0", "a", "1", "b", "2")),
		"XTRIM s MAXLEN = 1 LIMIT 5", fail(errLimitWithoutApprx),
		"XSETID s 4-0", fail(errSetIDSmallerTop),
		"XSETID s 10-0 ENTRIESADDED 9 MAXDELETEDID 2-0", "+OK\r\n",
		"XADD s 10-* a 1", bulk("10-1"),
		"TYPE s", "+stream\r\n",
		"OBJECT ENCODING s", bulk("stream"),
	)
}

// TestStreamRESP3 checks that XINFO STREAM is a map in RESP3.
func TestStreamRESP3(t *testing.T) {
	s := newTestShard()
	do(s, "XADD s 1-1 a 1")
	w := proto.NewWriter(true)
	xinfoStreamCmd(s, [][]byte{[]byte("XINFO"), []byte("STREAM"), []byte("s")}, w)
	if got := string(w.Bytes()); got[:3] != "%10" {
		t.Errorf("XINFO STREAM in RESP3 starts %q", got[:10])
	}
}

func TestRadixCount(t *testing.T) {
	f := func(ids []StreamID, want int64) {
		t.Helper()
		keys := make([][16]byte, len(ids))
		for i, id := range ids {
			putID(keys[i][:], id)
		}
		if got := radixCount(keys, 0); got != want {
			t.Errorf("radixCount(%v) = %d, want %d", ids, got, want)
		}
	}
	f(nil, 1)
	f([]StreamID{{1, 1}}, 2)
	f([]StreamID{{1, 1}, {2, 1}, {3, 1}}, 8)
}

// modelEntry is an entry of the slice model the node structure is checked against.
type modelEntry struct {
	id StreamID
	fv []string
}

// TestStreamModel drives a Stream and a plain slice with the same random appends,
// deletions, trims and range reads, with small node limits so that nodes fill, split
// and empty often.
func TestStreamModel(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		lim := StreamLimits{MaxEntries: int64(1 + rng.IntN(8)), MaxBytes: int64(40 + rng.IntN(200))}
		st := NewStream()
		var model []modelEntry
		last := StreamID{}
		fieldNames := []string{"a", "b", "c", "123", ""}
		for step := range 3000 {
			switch op := rng.IntN(10); {
			case op < 5:
				last = StreamID{last.Ms + uint64(rng.IntN(3)), uint64(rng.IntN(5))}
				if !st.LastID().Less(last) {
					last, _ = st.LastID().Next()
				}
				var fv [][]byte
				var sfv []string
				for range 1 + rng.IntN(3) {
					f := fieldNames[rng.IntN(len(fieldNames))]
					v := strconv.Itoa(rng.IntN(100000)) + string(make([]byte, rng.IntN(20)))
					fv = append(fv, []byte(f), []byte(v))
					sfv = append(sfv, f, v)
				}
				st.Append(last, fv, lim)
				model = append(model, modelEntry{last, sfv})
			case op < 7 && len(model) > 0:
				victim := model[rng.IntN(len(model))].id
				if rng.IntN(4) == 0 {
					victim.Seq++
				}
				want := slices.IndexFunc(model, func(e modelEntry) bool { return e.id == victim })
				if got := st.Delete(victim); got != (want >= 0) {
					t.Fatalf("seed %d step %d: Delete(%v) = %v", seed, step, victim, got)
				}
				if want >= 0 {
					model = slices.Delete(model, want, want+1)
				}
			case op < 8:
				spec := TrimSpec{Approx: rng.IntN(2) == 0}
				if rng.IntN(2) == 0 {
					spec.MaxLen = int64(rng.IntN(len(model) + 1))
				} else {
					spec.ByID = true
					spec.MinID = StreamID{uint64(rng.IntN(int(last.Ms + 2))), 0}
				}
				n := st.Trim(spec)
				var keep []modelEntry
				if spec.ByID {
					i := slices.IndexFunc(model, func(e modelEntry) bool { return !e.id.Less(spec.MinID) })
					if i < 0 {
						i = len(model)
					}
					keep = model[i:]
				} else {
					keep = model[max(0, len(model)-int(spec.MaxLen)):]
				}
				if !spec.Approx && int(n) != len(model)-len(keep) {
					t.Fatalf("seed %d step %d: exact trim removed %d, want %d", seed, step, n, len(model)-len(keep))
				}
				// Approximate trimming keeps a suffix at least as long as the exact one.
				if spec.Approx && int(n) > len(model)-len(keep) {
					t.Fatalf("seed %d step %d: approximate trim removed %d, more than %d", seed, step, n, len(model)-len(keep))
				}
				model = model[n:]
			default:
				checkStreamRange(t, st, model, rng)
			}
			if st.Len() != int64(len(model)) {
				t.Fatalf("seed %d step %d: Len %d, model %d", seed, step, st.Len(), len(model))
			}
		}
		checkStreamRange(t, st, model, rng)
		checkStreamNodes(t, st, lim)
	}
}

// checkStreamRange compares a random range read in a random direction with the model.
func checkStreamRange(t *testing.T, st *Stream, model []modelEntry, rng *rand.Rand) {
	t.Helper()
	low := StreamID{uint64(rng.IntN(50)), uint64(rng.IntN(3))}
	high := MaxStreamID
	if rng.IntN(2) == 0 && len(model) > 0 {
		high = model[rng.IntN(len(model))].id
	}
	rev := rng.IntN(2) == 0
	var want []modelEntry
	for _, e := range model {
		if !e.id.Less(low) && !high.Less(e.id) {
			want = append(want, e)
		}
	}
	if rev {
		slices.Reverse(want)
	}
	from := low
	if rev {
		from = high
	}
	it := st.Seek(from, rev)
	for i := 0; ; i++ {
		id, fv, ok := it.Next()
		if ok && ((!rev && high.Less(id)) || (rev && id.Less(low))) {
			ok = false
		}
		if !ok {
			if i != len(want) {
				t.Fatalf("range %v..%v rev=%v: %d entries, want %d", low, high, rev, i, len(want))
			}
			return
		}
		if i >= len(want) || id != want[i].id {
			t.Fatalf("range %v..%v rev=%v: entry %d is %v", low, high, rev, i, id)
		}
		got := make([]string, len(fv))
		for j, b := range fv {
			got[j] = string(b)
		}
		if !slices.Equal(got, want[i].fv) {
			t.Fatalf("entry %v: %q, want %q", id, got, want[i].fv)
		}
	}
}

// checkStreamNodes checks the structure's invariants.
func checkStreamNodes(t *testing.T, st *Stream, lim StreamLimits) {
	t.Helper()
	var live int64
	for i, n := range st.nodes {
		if n.live < 0 || n.deleted < 0 {
			t.Fatalf("node %d has %d live and %d deleted entries", i, n.live, n.deleted)
		}
		if lim.MaxEntries > 0 && int64(n.live+n.deleted) > lim.MaxEntries {
			t.Fatalf("node %d holds %d entries, limit %d", i, n.live+n.deleted, lim.MaxEntries)
		}
		if i > 0 && !st.nodes[i-1].last.Less(n.master) {
			t.Fatalf("node %d overlaps its predecessor", i)
		}
		live += int64(n.live)
	}
	if live != st.Len() {
		t.Fatalf("nodes hold %d live entries, Len says %d", live, st.Len())
	}
}

var streamSink int64

// BenchmarkXAdd appends entries with explicit ids and two fields, as a producer would.
func BenchmarkXAdd(b *testing.B) {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	w := proto.NewWriter(false)
	id := make([]byte, 0, 32)
	args := [][]byte{[]byte("XADD"), []byte("s"), nil, []byte("sensor"), []byte("1234"), []byte("value"), []byte("hello world")}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		id = strconv.AppendInt(id[:0], int64(n), 10)
		args[2] = id
		w.Reset()
		xaddCmd(s, args, w)
		if n%1_000_000 == 0 {
			s.remove(args[1])
			n = 0
		}
	}
	streamSink += int64(w.Len())
}

// BenchmarkXAddLongStream appends to a stream that already holds a million entries:
// the cost of a write must not grow with the stream (accountedSize samples its nodes).
func BenchmarkXAddLongStream(b *testing.B) {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	w := proto.NewWriter(false)
	id := make([]byte, 0, 32)
	args := [][]byte{[]byte("XADD"), []byte("s"), nil, []byte("sensor"), []byte("1234")}
	n := 0
	add := func() {
		n++
		id = strconv.AppendInt(id[:0], int64(n), 10)
		args[2] = id
		w.Reset()
		// Begin settles the previous command: its written key is re-costed.
		s.Begin(0)
		xaddCmd(s, args, w)
	}
	for range 1_000_000 {
		add()
	}
	b.ReportAllocs()
	for b.Loop() {
		add()
	}
	streamSink += int64(w.Len())
}

// BenchmarkXRange reads 10 entries at a random position of a 100,000-entry stream.
func BenchmarkXRange(b *testing.B) {
	s := New(0, 16, NewSettings())
	s.Begin(0)
	w := proto.NewWriter(false)
	for i := 1; i <= 100_000; i++ {
		xaddCmd(s, [][]byte{[]byte("XADD"), []byte("s"), []byte(strconv.Itoa(i)), []byte("f"), []byte("v" + strconv.Itoa(i))}, w)
	}
	args := [][]byte{[]byte("XRANGE"), []byte("s"), nil, []byte("+"), []byte("COUNT"), []byte("10")}
	h := xrangeCmd(false)
	start := make([]byte, 0, 32)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = (n + 7919) % 100_000
		start = strconv.AppendInt(start[:0], int64(n), 10)
		args[2] = start
		w.Reset()
		h(s, args, w)
	}
	streamSink += int64(w.Len())
}

func TestParseStreamID(t *testing.T) {
	f := func(in string, missing uint64, strict bool, want string, wantOK bool) {
		t.Helper()
		id, ok := ParseStreamID([]byte(in), missing, strict)
		if ok != wantOK || (ok && id.String() != want) {
			t.Errorf("ParseStreamID(%q) = %v, %v; want %s, %v", in, id, ok, want, wantOK)
		}
	}
	f("1-2", 0, true, "1-2", true)
	f("7", 0, true, "7-0", true)
	f("7", math.MaxUint64, true, "7-18446744073709551615", true)
	f("-", 0, false, "0-0", true)
	f("+", 0, false, "18446744073709551615-18446744073709551615", true)
	f("-", 0, true, "", false)
	f("+", 0, true, "", false)
	f("1-", 0, true, "", false)
	f("-1", 0, true, "", false)
	f("1-2-3", 0, true, "", false)
	f("18446744073709551616", 0, true, "", false)
	f("", 0, true, "", false)
}

func TestParseXRead(t *testing.T) {
	f := func(line string, wantKeys, wantErr string) {
		t.Helper()
		a := streamArgs(line)
		x, errMsg := ParseXRead(a)
		if errMsg != wantErr {
			t.Fatalf("ParseXRead(%q) error %q, want %q", line, errMsg, wantErr)
		}
		var keys []string
		for _, k := range x.Keys {
			keys = append(keys, string(k))
		}
		if errMsg == "" && strings.Join(keys, " ") != wantKeys {
			t.Errorf("ParseXRead(%q) keys %q, want %q", line, keys, wantKeys)
		}
		var byPos []string
		for _, p := range XReadKeyPositions(a) {
			byPos = append(byPos, string(a[p]))
		}
		if errMsg == "" && strings.Join(byPos, " ") != wantKeys {
			t.Errorf("XReadKeyPositions(%q) = %q, want %q", line, byPos, wantKeys)
		}
	}
	f("XREAD STREAMS a b 0 0", "a b", "")
	f("XREAD COUNT 5 BLOCK 10 STREAMS a 0", "a", "")
	f("XREAD STREAMS a b 0", "", errXReadUnbalanced)
	f("XREAD BLOCK -1 STREAMS a 0", "", proto.ErrTimeoutNegative)
	f("XREAD BLOCK x STREAMS a 0", "", errTimeoutNotInt)
	f("XREAD COUNT x STREAMS a 0", "", proto.ErrNotInt)
	f("XREAD GROUP g c STREAMS a 0", "", errXReadGroup)
	f("XREAD COUNT 1 a 0", "", proto.ErrSyntax)
}

// streamArgs splits a command line on spaces.
func streamArgs(line string) [][]byte {
	var a [][]byte
	for _, f := range strings.Fields(line) {
		a = append(a, []byte(f))
	}
	return a
}
