package persist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/basaltdb/basalt/shard"
)

// Streams in RDB form (types 15, 19 and 21). Redis keeps a stream as a radix tree from
// each node's master id (16 bytes, big endian ms then seq) to a listpack, and writes
// the tree as it is: the number of nodes, then per node the key and the listpack as
// strings. Then come the length and the last id; types 19 and 21 add the first id, the
// greatest deleted id and the count of entries ever added. Then the consumer groups:
// name, last delivered id, (19+) entries read, the group PEL (16-byte raw id,
// delivery time as an 8-byte little-endian ms time, delivery count), and the
// consumers: name, seen time, (21) active time, and the ids of their PEL.
//
// A node's listpack, in Redis's layout:
//
//	master entry: count, deleted, number of master fields, the fields, 0
//	each entry:   flags, ms - master ms, seq - master seq,
//	              SAMEFIELDS flag: the values of the master fields
//	              otherwise:       number of fields, then field and value pairs
//	              and last the number of listpack elements of the entry before it
//
// Basalt's nodes hold the same entries with the same flags and boundaries in another
// byte format (stream_encoding.go), so both directions convert entry by entry through
// shard's stream_export.go.

// Stream entry flags in a listpack, the same bits as Basalt's.
const (
	lpStreamDeleted    = 1
	lpStreamSameFields = 2
)

// appendStream appends st in the RDB stream layout of version v (type 21 from version
// 11, else 19) and returns the type byte.
func appendStream(dst []byte, st *shard.Stream, v int, compress bool) (byte, []byte, error) {
	t := byte(typeStream2)
	if v >= 11 {
		t = typeStream3
	}
	dst = appendLen(dst, uint64(st.Nodes()))
	var lp []byte
	err := st.EachNode(func(info shard.StreamNodeInfo, entries []shard.StreamNodeEntry) error {
		var key [16]byte
		putStreamID(key[:], info.Master)
		dst = appendString(dst, key[:], false)
		lp = streamListpack(lp[:0], info, entries)
		dst = appendString(dst, lp, compress)
		return nil
	})
	if err != nil {
		return 0, dst, err
	}
	dst = appendLen(dst, uint64(st.Len()))
	dst = appendIDLens(dst, st.LastID())
	dst = appendIDLens(dst, st.FirstID())
	dst = appendIDLens(dst, st.MaxDeletedID())
	dst = appendLen(dst, uint64(st.EntriesAdded()))
	dst = appendLen(dst, uint64(len(st.Groups)))
	for _, g := range st.Groups {
		dst = appendString(dst, g.Name, compress)
		dst = appendIDLens(dst, g.LastID)
		// -1 (unknown) goes out as the 64-bit length 2^64-1, as Redis writes it.
		dst = appendLen(dst, uint64(g.EntriesRead))
		pel := g.Pending()
		dst = appendLen(dst, uint64(len(pel)))
		for _, e := range pel {
			dst = appendRawID(dst, e.ID)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(e.DeliveryTime))
			dst = appendLen(dst, uint64(e.DeliveryCount))
		}
		cs := g.Consumers()
		dst = appendLen(dst, uint64(len(cs)))
		for _, c := range cs {
			dst = appendString(dst, c.Name, compress)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(c.SeenTime))
			if t == typeStream3 {
				dst = binary.LittleEndian.AppendUint64(dst, uint64(c.ActiveTime))
			}
			cp := c.Pending()
			dst = appendLen(dst, uint64(len(cp)))
			for _, e := range cp {
				dst = appendRawID(dst, e.ID)
			}
		}
	}
	return t, dst, nil
}

func putStreamID(b []byte, id shard.StreamID) {
	binary.BigEndian.PutUint64(b, id.Ms)
	binary.BigEndian.PutUint64(b[8:], id.Seq)
}

func appendRawID(dst []byte, id shard.StreamID) []byte {
	dst = binary.BigEndian.AppendUint64(dst, id.Ms)
	return binary.BigEndian.AppendUint64(dst, id.Seq)
}

func appendIDLens(dst []byte, id shard.StreamID) []byte {
	return appendLen(appendLen(dst, id.Ms), id.Seq)
}

// streamListpack builds a node's listpack in Redis's stream layout.
func streamListpack(lp []byte, info shard.StreamNodeInfo, entries []shard.StreamNodeEntry) []byte {
	lp = append(lp, 0, 0, 0, 0, 0, 0)
	n := 0
	add := func(v []byte) {
		lp = lpAppendValue(lp, v)
		n++
	}
	addInt := func(v int64) {
		lp = lpAppendInteger(lp, v)
		n++
	}
	addInt(int64(info.Live))
	addInt(int64(info.Deleted))
	addInt(int64(len(info.MasterFields)))
	for _, f := range info.MasterFields {
		add(f)
	}
	addInt(0)
	for _, e := range entries {
		var flags int64
		if e.Deleted {
			flags |= lpStreamDeleted
		}
		if e.SameFields {
			flags |= lpStreamSameFields
		}
		addInt(flags)
		addInt(int64(e.ID.Ms - info.Master.Ms))
		addInt(int64(e.ID.Seq - info.Master.Seq))
		nf := len(e.FV) / 2
		if e.SameFields {
			for i := 1; i < len(e.FV); i += 2 {
				add(e.FV[i])
			}
			addInt(int64(nf + 3))
			continue
		}
		addInt(int64(nf))
		for _, b := range e.FV {
			add(b)
		}
		addInt(int64(2*nf + 4))
	}
	lp = append(lp, 0xFF)
	binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
	binary.LittleEndian.PutUint16(lp[4:], uint16(min(n, math.MaxUint16)))
	return lp
}

// lpAppendValue appends a listpack element for v: an integer when v is the canonical
// text of one (as Redis stores it), a string otherwise.
func lpAppendValue(lp, v []byte) []byte {
	if len(v) > 0 && len(v) <= 20 {
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil && strconv.FormatInt(i, 10) == string(v) {
			return lpAppendInteger(lp, i)
		}
	}
	start := len(lp)
	switch l := len(v); {
	case l < 64:
		lp = append(lp, 0x80|byte(l))
	case l < 4096:
		lp = append(lp, 0xE0|byte(l>>8), byte(l))
	default:
		lp = append(lp, 0xF0)
		lp = binary.LittleEndian.AppendUint32(lp, uint32(l))
	}
	lp = append(lp, v...)
	return appendBacklen(lp, len(lp)-start)
}

// lpAppendInteger appends v in the smallest listpack integer encoding.
func lpAppendInteger(lp []byte, v int64) []byte {
	start := len(lp)
	switch {
	case v >= 0 && v <= 127:
		lp = append(lp, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & 0x1FFF
		lp = append(lp, 0xC0|byte(u>>8), byte(u))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		lp = binary.LittleEndian.AppendUint16(append(lp, 0xF1), uint16(v))
	case v >= -1<<23 && v < 1<<23:
		u := uint32(v)
		lp = append(lp, 0xF2, byte(u), byte(u>>8), byte(u>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		lp = binary.LittleEndian.AppendUint32(append(lp, 0xF3), uint32(v))
	default:
		lp = binary.LittleEndian.AppendUint64(append(lp, 0xF4), uint64(v))
	}
	return appendBacklen(lp, len(lp)-start)
}

// readStream reads a stream of type t (15, 19 or 21).
func (d *Decoder) readStream(t byte) (shard.Object, bool, error) {
	st := shard.NewStream()
	fail := func(err error) (shard.Object, bool, error) { return shard.Object{}, false, err }
	nodes, err := d.readCount()
	if err != nil {
		return fail(err)
	}
	for range nodes {
		key, err := d.readString()
		if err != nil {
			return fail(err)
		}
		if len(key) != 16 {
			return fail(d.failf("stream node key of %d bytes", len(key)))
		}
		master := shard.StreamID{Ms: binary.BigEndian.Uint64(key), Seq: binary.BigEndian.Uint64(key[8:])}
		at := d.off
		lp, err := d.readString()
		if err != nil {
			return fail(err)
		}
		info, entries, err := parseStreamListpack(lp, master)
		if err == nil {
			err = st.AppendNode(master, info.MasterFields, entries)
		}
		if err != nil {
			return fail(&Error{Offset: at, Msg: "stream node: " + err.Error()})
		}
	}
	length, err := d.readCount()
	if err != nil {
		return fail(err)
	}
	if length != uint64(st.Len()) {
		return fail(d.failf("stream length %d, but its nodes hold %d entries", length, st.Len()))
	}
	last, err := d.readIDLens()
	if err != nil {
		return fail(err)
	}
	added, maxDel := int64(length), shard.StreamID{}
	if t != typeStream {
		if _, err = d.readIDLens(); err != nil { // the first id: Basalt finds it
			return fail(err)
		}
		if maxDel, err = d.readIDLens(); err != nil {
			return fail(err)
		}
		n, err := d.readCount()
		if err != nil {
			return fail(err)
		}
		added = int64(n)
	}
	if st.Len() > 0 && last.Less(st.LastEntryID()) {
		return fail(d.failf("stream last id %s is below its last entry", last))
	}
	st.SetLastID(last, added, maxDel)
	if err := d.readGroups(t, st); err != nil {
		return fail(err)
	}
	return shard.Object{Type: shard.TypeStream, Coll: st}, true, nil
}

func (d *Decoder) readIDLens() (shard.StreamID, error) {
	ms, err := d.readCount()
	if err != nil {
		return shard.StreamID{}, err
	}
	seq, err := d.readCount()
	return shard.StreamID{Ms: ms, Seq: seq}, err
}

func (d *Decoder) readRawID() (shard.StreamID, error) {
	b, err := d.readN(16)
	if err != nil {
		return shard.StreamID{}, err
	}
	return shard.StreamID{Ms: binary.BigEndian.Uint64(b), Seq: binary.BigEndian.Uint64(b[8:])}, nil
}

func (d *Decoder) readMsTime() (int64, error) {
	b, err := d.readN(8)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(b)), nil
}

// readGroups reads a stream's consumer groups into st.
func (d *Decoder) readGroups(t byte, st *shard.Stream) error {
	groups, err := d.readCount()
	if err != nil {
		return err
	}
	wrap := func(err error) error {
		if errors.Is(err, shard.ErrStreamNode) {
			return d.failf("%v", err)
		}
		return err
	}
	for range groups {
		name, err := d.readString()
		if err != nil {
			return err
		}
		last, err := d.readIDLens()
		if err != nil {
			return err
		}
		var entriesRead int64
		if t == typeStream {
			entriesRead = st.EstimateEntriesRead(last)
		} else {
			n, err := d.readCount()
			if err != nil {
				return err
			}
			entriesRead = int64(n)
			if entriesRead < -1 {
				return d.failf("group %q has entries-read %d", name, entriesRead)
			}
		}
		g, err := st.ImportGroup(name, last, entriesRead)
		if err != nil {
			return wrap(err)
		}
		pel, err := d.readCount()
		if err != nil {
			return err
		}
		for range pel {
			id, err := d.readRawID()
			if err != nil {
				return err
			}
			at, err := d.readMsTime()
			if err != nil {
				return err
			}
			count, err := d.readCount()
			if err != nil {
				return err
			}
			if err := g.ImportPending(id, at, int64(count)); err != nil {
				return wrap(err)
			}
		}
		if err := d.readConsumers(t, g); err != nil {
			return err
		}
		if err := g.CheckImported(); err != nil {
			return wrap(err)
		}
	}
	return nil
}

func (d *Decoder) readConsumers(t byte, g *shard.StreamGroup) error {
	n, err := d.readCount()
	if err != nil {
		return err
	}
	for range n {
		name, err := d.readString()
		if err != nil {
			return err
		}
		seen, err := d.readMsTime()
		if err != nil {
			return err
		}
		active := seen
		if t == typeStream3 {
			if active, err = d.readMsTime(); err != nil {
				return err
			}
		}
		k, err := d.readCount()
		if err != nil {
			return err
		}
		ids := make([]shard.StreamID, 0, min(k, 1<<16))
		for range k {
			id, err := d.readRawID()
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if err := g.ImportConsumer(name, seen, active, ids); err != nil {
			return d.failf("%v", err)
		}
	}
	return nil
}

// parseStreamListpack validates a node's listpack and reads its master entry and
// entries. Element values come as text (integers as decimal); they are copied.
func parseStreamListpack(lp []byte, master shard.StreamID) (shard.StreamNodeInfo, []shard.StreamNodeEntry, error) {
	var elems [][]byte
	if _, err := walkListpack(lp, func(v []byte) error {
		elems = append(elems, append([]byte(nil), v...))
		return nil
	}); err != nil {
		return shard.StreamNodeInfo{}, nil, err
	}
	p := 0
	bad := func(msg string) error { return fmt.Errorf("element %d: %s", p, msg) }
	next := func() ([]byte, bool) {
		if p >= len(elems) {
			return nil, false
		}
		p++
		return elems[p-1], true
	}
	nextInt := func() (int64, error) {
		v, ok := next()
		if !ok {
			return 0, bad("listpack ends early")
		}
		i, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return 0, bad("not an integer")
		}
		return i, nil
	}
	info := shard.StreamNodeInfo{Master: master}
	count, err := nextInt()
	if err != nil {
		return info, nil, err
	}
	deleted, err := nextInt()
	if err != nil {
		return info, nil, err
	}
	nf, err := nextInt()
	if err != nil {
		return info, nil, err
	}
	if nf < 0 || nf > int64(len(elems)) {
		return info, nil, bad("bad master field count")
	}
	for range nf {
		f, _ := next()
		info.MasterFields = append(info.MasterFields, f)
	}
	if z, err := nextInt(); err != nil || z != 0 {
		return info, nil, bad("master entry is not terminated by 0")
	}
	var entries []shard.StreamNodeEntry
	var live, dead int64
	for p < len(elems) {
		start := p
		flags, err := nextInt()
		if err != nil {
			return info, nil, err
		}
		msd, err := nextInt()
		if err != nil {
			return info, nil, err
		}
		seqd, err := nextInt()
		if err != nil {
			return info, nil, err
		}
		e := shard.StreamNodeEntry{
			ID:         shard.StreamID{Ms: master.Ms + uint64(msd), Seq: master.Seq + uint64(seqd)},
			Deleted:    flags&lpStreamDeleted != 0,
			SameFields: flags&lpStreamSameFields != 0,
		}
		if flags&^(lpStreamDeleted|lpStreamSameFields) != 0 {
			return info, nil, bad("unknown entry flags")
		}
		if e.SameFields {
			for _, f := range info.MasterFields {
				v, ok := next()
				if !ok {
					return info, nil, bad("listpack ends early")
				}
				e.FV = append(e.FV, f, v)
			}
		} else {
			k, err := nextInt()
			if err != nil {
				return info, nil, err
			}
			if k < 0 || 2*k > int64(len(elems)-p) {
				return info, nil, bad("bad field count")
			}
			for range 2 * k {
				v, _ := next()
				e.FV = append(e.FV, v)
			}
		}
		lpCount, err := nextInt()
		if err != nil {
			return info, nil, err
		}
		if lpCount != int64(p-start-1) {
			return info, nil, bad("entry element count does not match")
		}
		if e.Deleted {
			dead++
		} else {
			live++
		}
		entries = append(entries, e)
	}
	if live != count || dead != deleted {
		return info, nil, fmt.Errorf("master entry counts %d live and %d deleted entries, the node holds %d and %d", count, deleted, live, dead)
	}
	info.Live, info.Deleted = int(live), int(dead)
	return info, entries, nil
}
