package shard

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"strconv"

	"github.com/basaltdb/basalt/proto"
)

// Value digests, as DEBUG DIGEST and DEBUG DIGEST-VALUE report them, computed the way
// redis-server computes them so that the two can be compared.
//
// A digest is a 20-byte state changed by two steps: xor XORs the SHA-1 of some bytes
// into it (order does not matter) and mix does an xor and then replaces the state by its
// own SHA-1 (order matters). A value mixes in its type number, then its contents:
// strings and list elements and stream entries are mixed in order; set members are
// XORed; each zset element (member, then score as %.17g) and each hash field (field,
// then value) gets a digest of its own that is XORed in. A key with a TTL has the bytes
// "!!expire!!" XORed in last. A dataset's digest XORs in, per database, each key's
// digest (the key mixed into a fresh state, then its value).
type Digest [20]byte

func (d *Digest) xor(b []byte) {
	h := sha1.Sum(b)
	for i := range d {
		d[i] ^= h[i]
	}
}

func (d *Digest) mix(b []byte) {
	d.xor(b)
	*d = sha1.Sum(d[:])
}

// Hex returns the digest as DEBUG prints it: 40 lowercase hex digits.
func (d Digest) Hex() string { return hex.EncodeToString(d[:]) }

// XorWith XORs o into d: how the shards' parts of a database's digest combine.
func (d *Digest) XorWith(o Digest) {
	for i := range d {
		d[i] ^= o[i]
	}
}

// MixDB mixes database number db into a dataset digest, before its keys are XORed in.
func (d *Digest) MixDB(db int) {
	var aux [4]byte
	binary.BigEndian.PutUint32(aux[:], uint32(db))
	d.mix(aux[:])
}

// redisTypeNumber is the type number redis-server mixes in (streams are 6; 5 is its
// module type).
func redisTypeNumber(t uint8) uint32 {
	if t == TypeStream {
		return 6
	}
	return uint32(t)
}

// digestInto continues d with e's value.
func digestInto(d *Digest, e *entry) {
	var aux [4]byte
	binary.BigEndian.PutUint32(aux[:], redisTypeNumber(e.Type))
	d.mix(aux[:])
	switch c := e.Coll.(type) {
	case nil:
		d.mix(e.Str)
	case *List:
		c.Each(func(v []byte) bool { d.mix(v); return true })
	case *Set:
		c.Each(func(m []byte) bool { d.xor(m); return true })
	case *ZSet:
		var buf []byte
		c.Each(func(m []byte, score float64) bool {
			var el Digest
			el.mix(m)
			buf = proto.AppendDouble(buf[:0], score)
			el.mix(buf)
			d.xor(el[:])
			return true
		})
	case *Hash:
		c.Each(func(f, v []byte) bool {
			var el Digest
			el.mix(f)
			el.mix(v)
			d.xor(el[:])
			return true
		})
	case *Stream:
		var id []byte
		_ = c.EachNode(func(_ StreamNodeInfo, entries []StreamNodeEntry) error {
			for _, en := range entries {
				if en.Deleted {
					continue
				}
				id = strconv.AppendUint(id[:0], en.ID.Ms, 10)
				id = append(id, '.')
				id = strconv.AppendUint(id, en.ID.Seq, 10)
				d.mix(id)
				for _, b := range en.FV {
					d.mix(b)
				}
			}
			return nil
		})
	}
	if e.ExpireAt != 0 {
		d.xor([]byte("!!expire!!"))
	}
}

// ValueDigest returns DEBUG DIGEST-VALUE's digest of key in database db: all zeros when
// the key does not exist. Like Redis it looks at logically expired keys too, and it
// changes nothing (no hit, no access time).
func (s *Shard) ValueDigest(db int, key []byte) Digest {
	var d Digest
	dbs := s.dbs[db]
	if i, ok := dbs.position(proto.String(key)); ok {
		digestInto(&d, dbs.at(i))
	}
	return d
}

// DatabaseDigest returns the XOR of the digests of every key of database db (each key
// mixed in before its value), the part of DEBUG DIGEST this shard holds, and the number
// of keys.
func (s *Shard) DatabaseDigest(db int) (Digest, int) {
	var all Digest
	d := s.dbs[db]
	for i := range d.Len() {
		e := d.at(i)
		var k Digest
		k.mix([]byte(e.key))
		digestInto(&k, e)
		all.xor(k[:])
	}
	return all, d.Len()
}
