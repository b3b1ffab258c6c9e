package persist

import (
	"bytes"
	"math"

	"github.com/zeebo/xxh3"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Adopting listpacks. A listpack in a version 10+ file has Redis's byte layout, which is
// Basalt's too, so a valid one can become the value as is instead of being rebuilt
// element by element (most of the load time and allocations otherwise). Before it is
// offered to shard's Adopt functions it must also satisfy what Basalt assumes of its
// own listpacks: every value that reads as an integer is stored as an integer entry
// (lookups compare integers with integers), no field or member appears twice, and a
// sorted set's pairs are in (score, member) order with valid scores. Anything doubtful
// falls back to rebuilding, which gives the same value.

// lpCanonical reports whether listpack lp (already validated) stores every integer-like
// value as an integer entry. With pairs, it also checks that the keys (entries 0, 2,
// ...) are distinct, by hash: a collision merely sends the value to the rebuild.
func (d *Decoder) lpCanonical(lp []byte, step int) bool {
	var num [20]byte
	if d.seen == nil {
		d.seen = make(map[uint64]struct{})
	}
	seen := d.seen
	defer clear(seen)
	i := 0
	ok := true
	_, err := walkListpackRaw(lp, func(v []byte, isStr bool) error {
		if isStr {
			if _, isInt := proto.ParseInt(v); isInt {
				ok = false
				return errStopWalk
			}
		}
		if step > 0 && i%step == 0 {
			h := xxh3.Hash(v)
			if _, dup := seen[h]; dup {
				ok = false
				return errStopWalk
			}
			seen[h] = struct{}{}
		}
		i++
		return nil
	}, &num)
	return err == nil && ok
}

// zsetOrdered reports whether a zset listpack's pairs are strictly increasing by
// (score, member), with parseable, non-NaN scores.
func (d *Decoder) zsetOrdered(lp []byte) bool {
	var num [20]byte
	prevM, member := d.scratch[0][:0], d.scratch[1][:0]
	defer func() { d.scratch[0], d.scratch[1] = prevM[:0], member[:0] }()
	prevS := math.Inf(-1)
	first, isMember := true, true
	ok := true
	_, err := walkListpackRaw(lp, func(v []byte, _ bool) error {
		if isMember {
			member = append(member[:0], v...)
			isMember = false
			return nil
		}
		isMember = true
		sc, good := shard.ParseScore(v)
		if !good || (!first && (sc < prevS || (sc == prevS && bytes.Compare(prevM, member) >= 0))) {
			ok = false
			return errStopWalk
		}
		first, prevS = false, sc
		prevM, member = member, prevM
		return nil
	}, &num)
	return err == nil && ok && isMember
}

// adoptBlob tries to make a value of listpack blob of RDB type t without rebuilding it.
func (d *Decoder) adoptBlob(t byte, blob []byte) (shard.Object, bool) {
	switch t {
	case typeHashLP:
		if d.lpCanonical(blob, 2) && lpEven(blob) {
			if h, ok := shard.AdoptHashListpack(blob, d.Settings); ok {
				return shard.Object{Type: shard.TypeHash, Coll: h}, true
			}
		}
	case typeSetLP:
		if d.lpCanonical(blob, 1) {
			if st, ok := shard.AdoptSetListpack(blob, d.Settings); ok {
				return shard.Object{Type: shard.TypeSet, Coll: st}, true
			}
		}
	case typeZSetLP:
		if d.lpCanonical(blob, 2) && d.zsetOrdered(blob) {
			if z, ok := shard.AdoptZSetListpack(blob, d.Settings); ok {
				return shard.Object{Type: shard.TypeZSet, Coll: z}, true
			}
		}
	}
	return shard.Object{}, false
}

// lpEven reports whether a validated listpack holds an even number of entries.
func lpEven(lp []byte) bool {
	n, err := walkListpackRaw(lp, func([]byte, bool) error { return nil }, new([20]byte))
	return err == nil && n%2 == 0
}
