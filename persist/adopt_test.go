package persist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/basaltdb/basalt/shard"
)

// testListpack builds a listpack from raw entries (encoding and payload, without the
// back length, which it adds).
func testListpack(entries ...[]byte) []byte {
	lp := make([]byte, 6)
	for _, e := range entries {
		lp = appendBacklen(append(lp, e...), len(e))
	}
	lp = append(lp, 0xFF)
	binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
	binary.LittleEndian.PutUint16(lp[4:], uint16(len(entries)))
	return lp
}

func str6(s string) []byte { return append([]byte{0x80 | byte(len(s))}, s...) }

func testPayload(t byte, blob []byte) []byte {
	p := appendString([]byte{t}, blob, false)
	p = append(p, 10, 0)
	return binary.LittleEndian.AppendUint64(p, crcUpdate(0, p))
}

func TestAdoptChecks(t *testing.T) {
	settings := shard.NewSettings()
	// An integer-like value stored as a string entry must be rebuilt, so that lookups,
	// which compare integer entries with integers, find it.
	lp := testListpack(str6("123"), str6("v"), str6("f"), []byte{7})
	if NewDecoder(settings).lpCanonical(lp, 2) {
		t.Fatal("string entry \"123\" passed as canonical")
	}
	o, err := DecodePayload(testPayload(typeHashLP, lp), settings)
	if err != nil {
		t.Fatal(err)
	}
	h := o.Coll.(*shard.Hash)
	if bytes.Equal(h.HashListpack(), lp) {
		t.Error("non-canonical listpack adopted as is")
	}
	if got := canon(o); got != `hash "123"="v","f"="7"` {
		t.Errorf("rebuilt hash: %s", got)
	}
	// A canonical one is adopted as is.
	good := testListpack(str6("f"), []byte{7}, str6("g"), str6("x"))
	o, err = DecodePayload(testPayload(typeHashLP, good), settings)
	if err != nil || !bytes.Equal(o.Coll.(*shard.Hash).HashListpack(), good) {
		t.Errorf("canonical listpack not adopted: %v", err)
	}
	// Repeated fields and members are bad data, adopted or not.
	for _, c := range []struct {
		t  byte
		lp []byte
	}{
		{typeHashLP, testListpack(str6("a"), str6("v"), str6("a"), str6("w"))},
		{typeSetLP, testListpack(str6("a"), str6("b"), str6("a"))},
		{typeZSetLP, testListpack(str6("a"), []byte{1}, str6("a"), []byte{2})},
		{typeHashLP, testListpack(str6("a"), str6("v"), str6("b"))},
		{typeZSetLP, testListpack(str6("a"), str6("nan"))},
	} {
		var re *Error
		if _, err := DecodePayload(testPayload(c.t, c.lp), settings); !errors.As(err, &re) {
			t.Errorf("type %d %x: %v", c.t, c.lp, err)
		}
	}
	// A sorted set out of order is rebuilt in order.
	o, err = DecodePayload(testPayload(typeZSetLP, testListpack(str6("b"), []byte{1}, str6("a"), []byte{1})), settings)
	if err != nil {
		t.Fatal(err)
	}
	if got := canon(o); got != `zset "a"@1,"b"@1` {
		t.Errorf("rebuilt zset: %s", got)
	}
	// List nodes: adopted when canonical, rebuilt otherwise.
	node := testListpack(str6("x"), []byte{5})
	p := []byte{typeListQuick2, 1, quicklistPacked}
	p = appendString(p, node, false)
	p = append(p, 10, 0)
	p = binary.LittleEndian.AppendUint64(p, crcUpdate(0, p))
	o, err = DecodePayload(p, settings)
	if err != nil {
		t.Fatal(err)
	}
	if nodes, quick := o.Coll.(*shard.List).ListNodes(); quick || len(nodes) != 1 || !bytes.Equal(nodes[0], node) {
		t.Errorf("list node not adopted: %x quick=%v", nodes, quick)
	}
}
