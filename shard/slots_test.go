package shard

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// The two-bytes-a-step CRC16 agrees with the plain byte-at-a-time definition.
func TestCRC16(t *testing.T) {
	plain := func(b []byte) uint16 {
		var c uint16
		for _, x := range b {
			c = c<<8 ^ crc16T1[byte(c>>8)^x]
		}
		return c
	}
	if got := crc16([]byte("123456789")); got != 0x31c3 {
		t.Fatalf("CRC16-XMODEM of 123456789 = %#x, want 0x31c3", got)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 200 {
		b := make([]byte, n%40)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		if got, want := crc16(b), plain(b); got != want || crc16(string(b)) != want {
			t.Fatalf("crc16(%x) = %#x, byte-wise %#x", b, got, want)
		}
	}
}

func BenchmarkKeySlot(b *testing.B) {
	key := []byte("key:000000123456")
	b.ReportAllocs()
	for b.Loop() {
		KeySlot(key)
	}
}

// The slot index agrees with the keys after random inserts, removals (which swap the
// last entry into the hole), overwrites and a flush, and the slot function is Redis
// Cluster's (values from redis-server's CLUSTER KEYSLOT).
func TestSlotIndex(t *testing.T) {
	for key, want := range map[string]int{"foo": 12182, "{user1}:a": 8106, "a{}b": 13694, "{}{x}": 3257, "": 0, "bar": 5061} {
		if got := KeySlot([]byte(key)); got != want {
			t.Errorf("KeySlot(%q) = %d, want %d", key, got, want)
		}
	}
	s := newTestShard()
	for i := range 300 {
		s.put([]byte("pre:"+strconv.Itoa(i)), Object{Type: TypeString, Str: []byte("v")})
	}
	s.EnableSlotIndex() // built from the keys present
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(when string) {
		t.Helper()
		want := map[int][]string{}
		for i := range s.db.Len() {
			k := s.db.at(i).key
			want[KeySlot([]byte(k))] = append(want[KeySlot([]byte(k))], k)
		}
		for slot := range ClusterSlots {
			keys, n := s.KeysInSlot(slot, -1, nil)
			var got []string
			for _, k := range keys {
				got = append(got, string(k))
			}
			slices.Sort(got)
			slices.Sort(want[slot])
			if n != len(want[slot]) || !slices.Equal(got, want[slot]) {
				t.Fatalf("%s: slot %d lists %v (count %d), the keyspace has %v", when, slot, got, n, want[slot])
			}
		}
		if limited, _ := s.KeysInSlot(KeySlot([]byte("{h}")), 2, nil); len(limited) > 2 {
			t.Fatalf("%s: a limit of 2 gave %d keys", when, len(limited))
		}
	}
	check("after enabling")
	for round := range 3000 {
		// Hash-tagged keys crowd a few slots, so removals hit long lists too.
		k := []byte("{h" + strconv.Itoa(rng.IntN(5)) + "}" + strconv.Itoa(rng.IntN(400)))
		if rng.IntN(3) == 0 {
			k = []byte("k" + strconv.Itoa(rng.IntN(2000)))
		}
		if rng.IntN(2) == 0 {
			s.put(k, Object{Type: TypeString, Str: []byte(strconv.Itoa(round))})
		} else {
			s.Remove(k)
		}
	}
	check("after random writes")
	s.Flush(0)
	check("after FLUSHDB")
	s.put([]byte("{h}x"), Object{Type: TypeString, Str: []byte("v")})
	check("after a write on the flushed database")
}
