package shard

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// checkListpack verifies lp's header, its terminator, and that its entries walk the
// same both ways; it returns the entries.
func checkListpack(t *testing.T, lp []byte) [][]byte {
	t.Helper()
	if got := int(binary.LittleEndian.Uint32(lp[0:4])); got != len(lp) {
		t.Fatalf("listpack header says %d bytes, has %d", got, len(lp))
	}
	if lp[len(lp)-1] != lpEOF {
		t.Fatalf("listpack does not end with the terminator: %x", lp[len(lp)-1])
	}
	var num [20]byte
	var fwd [][]byte
	end := lpHeaderSize
	for p := lpFirst(lp); p >= 0; p = lpNext(lp, p) {
		fwd = append(fwd, slices.Clone(lpValue(lp, p, &num)))
		end = p + lpEntrySizeAt(lp, p)
	}
	if end != len(lp)-1 {
		t.Fatalf("entries end at %d, the terminator is at %d", end, len(lp)-1)
	}
	var back [][]byte
	for p := lpLast(lp); p >= 0; p = lpPrev(lp, p) {
		back = append(back, slices.Clone(lpValue(lp, p, &num)))
	}
	slices.Reverse(back)
	if !slices.EqualFunc(fwd, back, bytes.Equal) {
		t.Fatalf("forward %q, backward %q", fwd, back)
	}
	if n := int(binary.LittleEndian.Uint16(lp[4:6])); n != lpCountUnknown && n != len(fwd) {
		t.Fatalf("listpack header says %d entries, has %d", n, len(fwd))
	}
	return fwd
}

// checkList verifies a List's invariants and returns its elements.
func checkList(t *testing.T, l *List) [][]byte {
	t.Helper()
	if !l.quick && l.numNodes() != 1 {
		t.Fatalf("listpack-encoded list with %d nodes", l.numNodes())
	}
	var all [][]byte
	for i := range l.numNodes() {
		entries := checkListpack(t, l.node(i))
		if l.quick && len(entries) == 0 {
			t.Fatalf("quicklist node %d is empty", i)
		}
		all = append(all, entries...)
	}
	if len(all) != l.count {
		t.Fatalf("count %d, nodes hold %d", l.count, len(all))
	}
	return all
}

// Every encoding of Redis's listpack, at its boundaries: the entry sizes are those
// redis-server's listpack gives (encoding, payload, back length).
func TestListpackEntrySizes(t *testing.T) {
	f := func(v string, size int) {
		t.Helper()
		if got := lpEntrySize([]byte(v)); got != size {
			t.Errorf("lpEntrySize(%.20q) = %d, want %d", v, got, size)
		}
		lp := lpInsert(lpNew(0), lpHeaderSize, 0, []byte(v))
		if len(lp) != lpOverhead+size {
			t.Errorf("%.20q: listpack of %d bytes, want %d", v, len(lp), lpOverhead+size)
		}
		if got := checkListpack(t, lp); len(got) != 1 || string(got[0]) != v {
			t.Errorf("%.20q reads back as %q", v, got)
		}
	}
	f("0", 2)
	f("127", 2)
	f("128", 3)
	f("-1", 3)
	f("4095", 3)
	f("-4096", 3)
	f("4096", 4)
	f("-4097", 4)
	f("32767", 4)
	f("-32768", 4)
	f("32768", 5)
	f("8388607", 5)
	f("-8388608", 5)
	f("8388608", 6)
	f("2147483647", 6)
	f("-2147483648", 6)
	f("2147483648", 10)
	f("9223372036854775807", 10)
	f("-9223372036854775808", 10)
	// Not canonical integers: strings.
	f("9223372036854775808", 21)
	f("01", 4)
	f("-0", 4)
	f("+1", 4)
	f(" 1", 4)
	f("1.5", 5)
	f("", 2)
	f("a", 3)
	f(strings.Repeat("a", 63), 65)
	f(strings.Repeat("a", 64), 67)
	f(strings.Repeat("a", 125), 128)
	f(strings.Repeat("a", 126), 130)
	f(strings.Repeat("a", 4095), 4099)
	f(strings.Repeat("a", 4096), 4103)
	f(strings.Repeat("a", 16377), 16384)
	f(strings.Repeat("a", 16378), 16386)
	f(strings.Repeat("a", 100000), 100008)
}

func TestListpackBacklen(t *testing.T) {
	for _, l := range []int{0, 1, 127, 128, 16382, 16383, 2097150, 2097151, 268435454, 268435455, 1 << 30} {
		b := lpAppendBacklen([]byte{0xAA}, l)
		if len(b)-1 != lpBacklenSize(l) {
			t.Errorf("backlen %d takes %d bytes, lpBacklenSize says %d", l, len(b)-1, lpBacklenSize(l))
		}
		got, k := lpReadBacklen(b, len(b)-1)
		if got != l || k != len(b)-1 {
			t.Errorf("backlen %d reads back as %d in %d bytes", l, got, k)
		}
	}
}

// Random inserts, replacements and deletions at random places keep a listpack equal to
// a plain slice.
func TestListpackEdits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	value := func() []byte {
		switch rng.IntN(5) {
		case 0:
			return []byte(strconv.FormatInt(rng.Int64N(1<<40)-1<<39, 10))
		case 1:
			return []byte(strconv.Itoa(rng.IntN(300) - 150))
		case 2:
			return bytes.Repeat([]byte{'x'}, rng.IntN(5000))
		}
		return fmt.Appendf(nil, "v%d", rng.IntN(100))
	}
	lp := lpNew(0)
	var model [][]byte
	for step := range 3000 {
		n := len(model)
		switch op := rng.IntN(4); {
		case op <= 1 || n == 0:
			i := rng.IntN(n + 1)
			v := value()
			at := len(lp) - 1
			if i < n {
				at = lpSeek(lp, i, n)
			}
			lp = lpInsert(lp, at, n, v)
			model = slices.Insert(model, i, v)
		case op == 2:
			i := rng.IntN(n)
			v := value()
			lp = lpReplace(lp, lpSeek(lp, i, n), n, v)
			model[i] = v
		default:
			i := rng.IntN(n)
			k := 1 + rng.IntN(min(3, n-i))
			lp = lpDelete(lp, lpSeek(lp, i, n), k, n)
			model = slices.Delete(model, i, i+k)
		}
		if got := checkListpack(t, lp); !slices.EqualFunc(got, model, bytes.Equal) {
			t.Fatalf("step %d: listpack %q, model %q", step, got, model)
		}
		if lpLen(lp) != len(model) {
			t.Fatalf("step %d: lpLen %d, model %d", step, lpLen(lp), len(model))
		}
	}
}

func TestListpackRemoveMatches(t *testing.T) {
	build := func(vals ...string) []byte {
		lp := lpNew(0)
		for i, v := range vals {
			lp = lpInsert(lp, len(lp)-1, i, []byte(v))
		}
		return lp
	}
	f := func(vals, target string, skip, limit int, want string, removed int) {
		t.Helper()
		m := newMatcher([]byte(target))
		lp, k := lpRemoveMatches(build(strings.Fields(vals)...), &m, skip, limit)
		var got []string
		for _, v := range checkListpack(t, lp) {
			got = append(got, string(v))
		}
		if strings.Join(got, " ") != want || k != removed {
			t.Errorf("remove %q from %q (skip %d, limit %d) = %q, %d; want %q, %d", target, vals, skip, limit, got, k, want, removed)
		}
	}
	f("a b a c a", "a", 0, 0, "b c", 3)
	f("a b a c a", "a", 0, 2, "b c a", 2)
	f("a b a c a", "a", 1, 1, "a b c a", 1)
	f("a b a c a", "a", 2, 1, "a b a c", 1)
	f("1 01 1 x", "1", 0, 0, "01 x", 2)
	f("1 01 1 x", "01", 0, 0, "1 1 x", 1)
	f("x y", "z", 0, 0, "x y", 0)
	f("a", "a", 0, 0, "", 1)
}

// The node array keeps room at both ends: pushes and pops at either end and inserts in
// the middle keep the nodes in order.
func TestListNodeArray(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	l := &List{quick: true}
	var model []string
	mk := func(s string) []byte { return lpInsert(lpNew(0), lpHeaderSize, 0, []byte(s)) }
	for step := range 5000 {
		n := len(model)
		name := strconv.Itoa(step)
		switch op := rng.IntN(6); {
		case op == 0 || n == 0:
			l.insertNode(0, mk(name))
			model = slices.Insert(model, 0, name)
		case op == 1:
			l.insertNode(n, mk(name))
			model = append(model, name)
		case op == 2:
			i := rng.IntN(n + 1)
			l.insertNode(i, mk(name))
			model = slices.Insert(model, i, name)
		default:
			i := []int{0, n - 1, rng.IntN(n)}[rng.IntN(3)]
			l.removeNode(i)
			model = slices.Delete(model, i, i+1)
		}
		if l.numNodes() != len(model) {
			t.Fatalf("step %d: %d nodes, model %d", step, l.numNodes(), len(model))
		}
		for i, want := range model {
			var num [20]byte
			if got := string(lpValue(l.node(i), lpHeaderSize, &num)); got != want {
				t.Fatalf("step %d: node %d holds %q, want %q", step, i, got, want)
			}
		}
	}
}
