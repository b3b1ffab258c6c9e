package persist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/basaltdb/basalt/shard"
)

// readValue reads a value of RDB type t (whose type byte is at offset at) and rebuilds
// it as a shard value. ok is false for an empty collection, which Redis skips on load.
func (d *Decoder) readValue(t byte, at int64) (o shard.Object, ok bool, err error) {
	set := d.Settings
	switch t {
	case typeString:
		s, err := d.readString()
		return shard.Object{Type: shard.TypeString, Str: s}, true, err
	case typeList:
		n, err := d.readCount()
		if err != nil {
			return o, false, err
		}
		b := shard.NewListBuilder(set)
		for range n {
			v, err := d.readString()
			if err != nil {
				return o, false, err
			}
			b.Append(v)
		}
		return listObject(b)
	case typeSet:
		n, err := d.readCount()
		if err != nil {
			return o, false, err
		}
		b := shard.NewSetBuilder(set, int(min(n, 1<<20)))
		for range n {
			v, err := d.readString()
			if err != nil {
				return o, false, err
			}
			if !b.Add(v) {
				return o, false, d.failf("set member %q appears twice", v)
			}
		}
		return setObject(b)
	case typeZSet, typeZSet2:
		n, err := d.readCount()
		if err != nil {
			return o, false, err
		}
		b := shard.NewZSetBuilder(set, int(min(n, 1<<30)), 0)
		for range n {
			m, err := d.readString()
			if err != nil {
				return o, false, err
			}
			var sc float64
			if t == typeZSet2 {
				p, err := d.readN(8)
				if err != nil {
					return o, false, err
				}
				sc = math.Float64frombits(binary.LittleEndian.Uint64(p))
			} else if sc, err = d.readDouble(); err != nil {
				return o, false, err
			}
			if math.IsNaN(sc) {
				return o, false, d.failf("sorted set member %q has a NaN score", m)
			}
			if !b.Add(m, sc) {
				return o, false, d.failf("sorted set member %q appears twice", m)
			}
		}
		return zsetObject(b)
	case typeHash:
		n, err := d.readCount()
		if err != nil {
			return o, false, err
		}
		b := shard.NewHashBuilder(set)
		for range n {
			f, err := d.readString()
			if err != nil {
				return o, false, err
			}
			v, err := d.readString()
			if err != nil {
				return o, false, err
			}
			if !b.Add(f, v) {
				return o, false, d.failf("hash field %q appears twice", f)
			}
		}
		return hashObject(b)
	case typeListQuick, typeListQuick2:
		return d.readQuicklist(t)
	case typeHashZipmap, typeListZiplist, typeSetIntset, typeZSetZiplist, typeHashZiplist, typeHashLP, typeZSetLP, typeSetLP:
		blobAt := d.off
		blob, err := d.readString()
		if err != nil {
			return o, false, err
		}
		if o, ok := d.adoptBlob(t, blob); ok {
			return o, true, nil
		}
		o, ok, err = d.fromBlob(t, blob)
		if err != nil {
			return o, false, &Error{Offset: blobAt, Msg: err.Error()}
		}
		return o, ok, nil
	case typeStream, typeStream2, typeStream3:
		return d.readStream(t)
	case typeHashMetaPre, typeHashLPExPre, typeHashMeta, typeHashLPEx:
		return o, false, &Error{Offset: at, Msg: fmt.Sprintf("hashes with field expiry (type %d) are not supported", t)}
	case typeModulePreGA, typeModule2:
		return o, false, &Error{Offset: at, Msg: "module values are not supported"}
	}
	return o, false, &Error{Offset: at, Msg: fmt.Sprintf("unknown value type %d", t)}
}

// readQuicklist reads a list of ziplist nodes (type 14) or of listpack and plain nodes
// (type 18). Listpack nodes that pass the checks of adopt.go become the list's nodes as
// they are; otherwise the list is rebuilt element by element.
func (d *Decoder) readQuicklist(t byte) (shard.Object, bool, error) {
	n, err := d.readCount()
	if err != nil {
		return shard.Object{}, false, err
	}
	type node struct {
		blob  []byte
		plain bool // one element, not a packed blob
		at    int64
	}
	var nodes []node
	adoptable := t == typeListQuick2
	for range n {
		container := uint64(quicklistPacked)
		if t == typeListQuick2 {
			if container, err = d.readCount(); err != nil {
				return shard.Object{}, false, err
			}
			if container != quicklistPacked && container != quicklistPlain {
				return shard.Object{}, false, d.failf("invalid quicklist container %d", container)
			}
		}
		at := d.off
		blob, err := d.readString()
		if err != nil {
			return shard.Object{}, false, err
		}
		plain := container == quicklistPlain
		if plain || (adoptable && !d.lpCanonical(blob, 0)) {
			adoptable = false
		}
		nodes = append(nodes, node{blob, plain, at})
	}
	if adoptable {
		packed := make([][]byte, len(nodes))
		for i, nd := range nodes {
			packed[i] = nd.blob
		}
		if l, ok := shard.AdoptListNodes(packed, d.Settings); ok {
			return shard.Object{Type: shard.TypeList, Coll: l}, true, nil
		}
	}
	b := shard.NewListBuilder(d.Settings)
	add := func(v []byte) error { b.Append(v); return nil }
	for _, nd := range nodes {
		var k int
		switch {
		case nd.plain:
			b.Append(nd.blob)
			continue
		case t == typeListQuick2:
			k, err = walkListpack(nd.blob, add)
		default:
			k, err = walkZiplist(nd.blob, add)
		}
		if err == nil && k == 0 {
			err = errors.New("empty quicklist node")
		}
		if err != nil {
			return shard.Object{}, false, &Error{Offset: nd.at, Msg: err.Error()}
		}
	}
	return listObject(b)
}

// fromBlob rebuilds a value stored as one packed blob.
func (d *Decoder) fromBlob(t byte, blob []byte) (o shard.Object, ok bool, err error) {
	set := d.Settings
	walk := walkListpack
	switch t {
	case typeListZiplist, typeZSetZiplist, typeHashZiplist:
		walk = walkZiplist
	}
	switch t {
	case typeListZiplist:
		b := shard.NewListBuilder(set)
		if _, err := walk(blob, func(v []byte) error { b.Append(v); return nil }); err != nil {
			return o, false, err
		}
		return listObject(b)
	case typeSetIntset:
		hint := 0
		if len(blob) >= 8 {
			hint = int(binary.LittleEndian.Uint32(blob[4:]))
		}
		b := shard.NewSetBuilder(set, hint)
		var num [20]byte
		if _, err := walkIntset(blob, func(v int64) error {
			b.Add(strconv.AppendInt(num[:0], v, 10))
			return nil
		}); err != nil {
			return o, false, err
		}
		return setObject(b)
	case typeSetLP:
		n, err := walk(blob, func([]byte) error { return nil })
		if err != nil {
			return o, false, err
		}
		b := shard.NewSetBuilder(set, n)
		if _, err := walk(blob, func(v []byte) error {
			if !b.Add(v) {
				return fmt.Errorf("set member %q appears twice", v)
			}
			return nil
		}); err != nil {
			return o, false, err
		}
		return setObject(b)
	case typeHashZipmap:
		b := shard.NewHashBuilder(set)
		if _, err := walkZipmap(blob, func(f, v []byte) error {
			if !b.Add(f, v) {
				return fmt.Errorf("hash field %q appears twice", f)
			}
			return nil
		}); err != nil {
			return o, false, err
		}
		return hashObject(b)
	case typeHashZiplist, typeHashLP:
		b := shard.NewHashBuilder(set)
		var field []byte
		n, err := walk(blob, func(v []byte) error {
			if field == nil {
				field = append(make([]byte, 0, len(v)), v...)
				return nil
			}
			if !b.Add(field, v) {
				return fmt.Errorf("hash field %q appears twice", field)
			}
			field = nil
			return nil
		})
		if err == nil && n%2 != 0 {
			err = errors.New("hash blob with an odd number of entries")
		}
		if err != nil {
			return o, false, err
		}
		return hashObject(b)
	case typeZSetZiplist, typeZSetLP:
		b := shard.NewZSetBuilder(set, 0, 0)
		var member []byte
		n, err := walk(blob, func(v []byte) error {
			if member == nil {
				member = append(make([]byte, 0, len(v)), v...)
				return nil
			}
			sc, ok := shard.ParseScore(v)
			if !ok {
				return fmt.Errorf("sorted set member %q has an invalid score %q", member, v)
			}
			if !b.Add(member, sc) {
				return fmt.Errorf("sorted set member %q appears twice", member)
			}
			member = nil
			return nil
		})
		if err == nil && n%2 != 0 {
			err = errors.New("sorted set blob with an odd number of entries")
		}
		if err != nil {
			return o, false, err
		}
		return zsetObject(b)
	}
	return o, false, fmt.Errorf("BUG: blob type %d", t)
}

func listObject(b *shard.ListBuilder) (shard.Object, bool, error) {
	l := b.List()
	return shard.Object{Type: shard.TypeList, Coll: l}, l.Len() > 0, nil
}

func setObject(b *shard.SetBuilder) (shard.Object, bool, error) {
	st := b.Set()
	return shard.Object{Type: shard.TypeSet, Coll: st}, st.Len() > 0, nil
}

func hashObject(b *shard.HashBuilder) (shard.Object, bool, error) {
	h := b.Hash()
	return shard.Object{Type: shard.TypeHash, Coll: h}, h.Len() > 0, nil
}

func zsetObject(b *shard.ZSetBuilder) (shard.Object, bool, error) {
	z := b.ZSet()
	return shard.Object{Type: shard.TypeZSet, Coll: z}, z.Len() > 0, nil
}
