package shard

import (
	"strconv"
	"testing"
)

func TestBuildersFollowThresholds(t *testing.T) {
	st := NewSettings()
	hb := NewHashBuilder(st)
	for i := range 600 {
		if !hb.Add([]byte("f"+strconv.Itoa(i)), []byte("v")) {
			t.Fatal("new field refused")
		}
		if want := i < 512; (hb.Hash().Encoding() == "listpack") != want {
			t.Fatalf("after %d fields: %s", i+1, hb.Hash().Encoding())
		}
	}
	if hb.Add([]byte("f1"), []byte("again")) {
		t.Error("repeated field accepted")
	}
	sb := NewSetBuilder(st, 3)
	for _, m := range []string{"1", "2", "3"} {
		sb.Add([]byte(m))
	}
	if ints, ok := sb.Set().Intset(); !ok || len(ints) != 3 {
		t.Errorf("small integer set: %v %v", ints, ok)
	}
	zb := NewZSetBuilder(st, 0, 0)
	for i := range 200 {
		zb.Add([]byte("m"+strconv.Itoa(i)), float64(-i))
	}
	if zb.ZSet().Encoding() != "skiplist" || zb.Add([]byte("m1"), 5) {
		t.Errorf("zset: %s", zb.ZSet().Encoding())
	}
	lb := NewListBuilder(st)
	for i := range 2000 {
		lb.Append([]byte("element " + strconv.Itoa(i)))
	}
	l := lb.List()
	l.mustBeValid()
	if nodes, quick := l.ListNodes(); !quick || len(nodes) < 2 {
		t.Errorf("long list: %d nodes, quick=%v", len(nodes), quick)
	}
}

func TestAdoptThresholds(t *testing.T) {
	st := NewSettings()
	lp := lpNew(0)
	for i := range 20 {
		lp = lpInsert(lp, len(lp)-1, 2*i, []byte("f"+strconv.Itoa(i)))
		lp = lpInsert(lp, len(lp)-1, 2*i+1, []byte(strconv.Itoa(i)))
	}
	h, ok := AdoptHashListpack(lp, st)
	if !ok || h.Len() != 20 {
		t.Fatal("small hash listpack refused")
	}
	h.mustBeValid()
	st.HashMaxListpackEntries.Store(10)
	if _, ok := AdoptHashListpack(lp, st); ok {
		t.Error("hash listpack over hash-max-listpack-entries adopted")
	}
	st.HashMaxListpackEntries.Store(512)
	st.HashMaxListpackValue.Store(1)
	if _, ok := AdoptHashListpack(lp, st); ok {
		t.Error("hash listpack over hash-max-listpack-value adopted")
	}
	if _, ok := AdoptListNodes([][]byte{lpNew(0)}, st); ok {
		t.Error("empty list node adopted")
	}
	st.ListMaxListpackSize.Store(4)
	if _, ok := AdoptListNodes([][]byte{lp}, st); ok {
		t.Error("node over list-max-listpack-size adopted")
	}
}
