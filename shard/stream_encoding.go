package shard

// Stream layout.
//
// A Stream is a sorted slice of nodes, oldest first. Each node holds up to
// stream-node-max-entries entries packed into one byte slice, so a stream of millions of
// entries costs one pointer (the node's data) per hundred entries, not per entry.
//
// A node's data starts with its master fields: the field names of the first entry ever
// added to the node, as uvarint(count) then uvarint(len)+bytes per name. Entries follow,
// in id order, each as:
//
//	flags      1 byte: entryDeleted, entrySameFields
//	ms delta   uvarint: id.ms - master.ms (ids only grow inside a node)
//	seq delta  zigzag varint: id.seq - master.seq (may be negative when ms grew)
//	fields     entrySameFields: uvarint(len)+value for each master field
//	           otherwise: uvarint(count), then uvarint(len)+bytes per field and value
//
// The master id is the id of the node's first entry and never changes, even when that
// entry is deleted. XDEL and exact trimming only set entryDeleted in place and adjust
// the node's counters (a node whose live count drops to zero is removed); approximate
// trimming drops whole nodes from the head. (Exact trimming by MINID may leave a node
// whose remaining entries are all deleted, as Redis does; it goes with the next trim.)
// Entries are never rewritten, so an offset into a node's data stays valid until the
// node is removed. Approximate trimming drops head nodes by re-slicing (O(1)); the
// slice is reallocated by a later append. A node sealed by a newer one gets a data slice
// of its exact size.
//
// Costs: XADD is O(fields) amortized; a seek is a binary search over nodes plus a scan
// of at most one node; XDEL scans one node. On 1M entries of two small fields the
// structure takes about 21 bytes per entry (redis-server: about 31).
//
// Node boundaries follow redis-server's rule, so that `~` trimming, which removes only
// whole nodes, leaves the same XLEN as Redis: an entry starts a new node when the last
// node already holds max-entries entries (live plus deleted), or when the node's size
// as a Redis listpack plus the new entry's field and value lengths would reach
// max-bytes. redisSize tracks that listpack size; the bytes we actually store are fewer.
//
// Owner: the shard's loop, like every value. A Stream is not safe for concurrent use.
// The consumer-group layer (XGROUP, XREADGROUP, XACK, XCLAIM, ...) builds on the
// exported API: StreamID, Stream.Seek/Next for iteration, Stream.Groups for the groups
// a stream value holds (they move with it on RENAME, COPY and snapshots).

import (
	"encoding/binary"
	"math"
	"sort"
	"strconv"
)

// StreamID is a stream entry id, ms-seq.
type StreamID struct {
	Ms, Seq uint64
}

// MaxStreamID is the largest id, used as the open end of ranges.
var MaxStreamID = StreamID{math.MaxUint64, math.MaxUint64}

// Cmp compares two ids: -1, 0 or 1.
func (a StreamID) Cmp(b StreamID) int {
	switch {
	case a.Ms < b.Ms:
		return -1
	case a.Ms > b.Ms:
		return 1
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// Less reports whether a sorts before b.
func (a StreamID) Less(b StreamID) bool { return a.Cmp(b) < 0 }

// IsZero reports whether a is 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Next returns the smallest id greater than a; ok is false when a is the largest id.
func (a StreamID) Next() (StreamID, bool) {
	switch {
	case a.Seq < math.MaxUint64:
		return StreamID{a.Ms, a.Seq + 1}, true
	case a.Ms < math.MaxUint64:
		return StreamID{a.Ms + 1, 0}, true
	}
	return a, false
}

// Prev returns the greatest id smaller than a; ok is false when a is 0-0.
func (a StreamID) Prev() (StreamID, bool) {
	switch {
	case a.Seq > 0:
		return StreamID{a.Ms, a.Seq - 1}, true
	case a.Ms > 0:
		return StreamID{a.Ms - 1, math.MaxUint64}, true
	}
	return a, false
}

// AppendTo appends the "ms-seq" form of a to b.
func (a StreamID) AppendTo(b []byte) []byte {
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.Seq, 10)
}

// String returns "ms-seq".
func (a StreamID) String() string { return string(a.AppendTo(nil)) }

// StreamGroup is a consumer group as far as the stream value needs to know it: the
// group commands add the pending entries list and consumers. It is kept here so that
// a stream's groups move with the value.
type StreamGroup struct {
	Name []byte
	// LastID is the last id delivered to the group's consumers.
	LastID StreamID
	// EntriesRead counts the entries the group read, or -1 when unknown.
	EntriesRead int64
	// pel and consumers are the pending entries and the consumers (stream_groups.go).
	pel       pelList
	consumers []*StreamConsumer
}

// Entry flags.
const (
	entryDeleted    = 1
	entrySameFields = 2
)

// streamNode is up to max-entries entries packed in data (see the file comment).
type streamNode struct {
	master StreamID
	// last is the id of the node's last entry, deleted or not.
	last StreamID
	// live and deleted count the entries in data.
	live, deleted int32
	// redisSize is what the node would weigh as a Redis listpack, without the two
	// counters (whose encoded size changes with their values).
	redisSize int64
	// entriesAt is where the first entry starts in data, after the master fields.
	entriesAt int32
	data      []byte
}

// Stream is a stream value: entries in id order plus the metadata XINFO reports.
// Invariants: length equals the sum of the nodes' live counts; nodes are sorted by master id and their id ranges do not overlap; lastID is at least
// the id of every entry ever added.
type Stream struct {
	nodes  []streamNode
	length int64
	lastID StreamID
	// maxDeleted is the greatest id ever deleted (XDEL, trimming).
	maxDeleted StreamID
	// entriesAdded counts every entry ever added, deleted ones included.
	entriesAdded int64
	// Groups are the stream's consumer groups, sorted by name.
	Groups []*StreamGroup
}

// NewStream returns an empty stream.
func NewStream() *Stream { return &Stream{} }

// Len returns the number of live entries.
func (st *Stream) Len() int64 { return st.length }

// LastID returns the greatest id ever added (or set by XSETID).
func (st *Stream) LastID() StreamID { return st.lastID }

// MaxDeletedID returns the greatest id ever deleted.
func (st *Stream) MaxDeletedID() StreamID { return st.maxDeleted }

// EntriesAdded returns how many entries were ever added.
func (st *Stream) EntriesAdded() int64 { return st.entriesAdded }

// Encoding names the representation for OBJECT ENCODING.
func (st *Stream) Encoding() string { return "stream" }

// Nodes returns the number of nodes (XINFO STREAM's radix-tree-keys).
func (st *Stream) Nodes() int { return len(st.nodes) }

// Clone returns a deep copy for COPY and moves between shards.
func (st *Stream) Clone() any {
	c := *st
	c.nodes = make([]streamNode, len(st.nodes))
	for i, n := range st.nodes {
		n.data = Own(n.data)
		c.nodes[i] = n
	}
	c.Groups = make([]*StreamGroup, len(st.Groups))
	for i, g := range st.Groups {
		c.Groups[i] = g.clone()
	}
	return &c
}

// StreamLimits are the node size limits, stream-node-max-entries and
// stream-node-max-bytes; zero means no limit (bytes are then capped at 1 GB, as in Redis).
type StreamLimits struct {
	MaxEntries, MaxBytes int64
}

// Append adds an entry with an id greater than LastID. fv alternates fields and values.
func (st *Stream) Append(id StreamID, fv [][]byte, lim StreamLimits) {
	n := st.tailFor(fv, lim)
	if n == nil {
		if len(st.nodes) > 0 {
			st.nodes[len(st.nodes)-1].seal()
		}
		st.nodes = append(st.nodes, newStreamNode(id, fv))
		n = &st.nodes[len(st.nodes)-1]
	}
	n.appendEntry(id, fv)
	st.length++
	st.entriesAdded++
	st.lastID = id
}

// tailFor returns the last node when the entry fits in it by Redis's rule, else nil.
func (st *Stream) tailFor(fv [][]byte, lim StreamLimits) *streamNode {
	if len(st.nodes) == 0 {
		return nil
	}
	n := &st.nodes[len(st.nodes)-1]
	maxBytes := lim.MaxBytes
	if maxBytes <= 0 || maxBytes > 1<<30 {
		maxBytes = 1 << 30
	}
	var payload int64
	for _, b := range fv {
		payload += int64(len(b))
	}
	if n.listpackBytes()+payload >= maxBytes {
		return nil
	}
	if lim.MaxEntries > 0 && int64(n.live+n.deleted) >= lim.MaxEntries {
		return nil
	}
	return n
}

// seal gives a node that will take no more entries (a newer node exists) a data slice
// of its exact size: append left up to half of it unused, and streams are long.
func (n *streamNode) seal() {
	if cap(n.data)-len(n.data) > len(n.data)/8 {
		n.data = append(make([]byte, 0, len(n.data)), n.data...)
	}
}

// listpackBytes is the node's size as a Redis listpack.
func (n *streamNode) listpackBytes() int64 {
	return n.redisSize + lpIntElem(int64(n.live)) + lpIntElem(int64(n.deleted))
}

func newStreamNode(id StreamID, fv [][]byte) streamNode {
	n := streamNode{master: id}
	nf := len(fv) / 2
	n.data = binary.AppendUvarint(n.data, uint64(nf))
	// Header and end byte, the master field count, the fields, the zero terminator.
	n.redisSize = 7 + lpIntElem(int64(nf)) + lpIntElem(0)
	for i := 0; i < len(fv); i += 2 {
		n.data = appendBytes(n.data, fv[i])
		n.redisSize += lpStringElem(fv[i])
	}
	n.entriesAt = int32(len(n.data))
	return n
}

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// sameFields reports whether fv's fields are the node's master fields.
func (n *streamNode) sameFields(fv [][]byte) bool {
	p := n.data
	nf, k := binary.Uvarint(p)
	if int(nf) != len(fv)/2 {
		return false
	}
	p = p[k:]
	for i := 0; i < len(fv); i += 2 {
		l, k := binary.Uvarint(p)
		f := p[k : k+int(l)]
		if string(f) != string(fv[i]) {
			return false
		}
		p = p[k+int(l):]
	}
	return true
}

func (n *streamNode) appendEntry(id StreamID, fv [][]byte) {
	same := n.sameFields(fv)
	msd := id.Ms - n.master.Ms
	seqd := int64(id.Seq - n.master.Seq)
	var flags byte
	if same {
		flags = entrySameFields
	}
	n.data = append(n.data, flags)
	n.data = binary.AppendUvarint(n.data, msd)
	n.data = binary.AppendVarint(n.data, seqd)
	nf := len(fv) / 2
	size := lpIntElem(int64(flags)) + lpIntElem(int64(msd)) + lpIntElem(seqd)
	if same {
		for i := 1; i < len(fv); i += 2 {
			n.data = appendBytes(n.data, fv[i])
			size += lpStringElem(fv[i])
		}
		size += lpIntElem(int64(nf + 3))
	} else {
		n.data = binary.AppendUvarint(n.data, uint64(nf))
		size += lpIntElem(int64(nf))
		for _, b := range fv {
			n.data = appendBytes(n.data, b)
			size += lpStringElem(b)
		}
		size += lpIntElem(int64(2*nf + 4))
	}
	n.redisSize += size
	n.live++
	n.last = id
}

// lpIntElem and lpStringElem are the sizes of elements in a Redis listpack (encoding
// plus back length), for redisSize; the listpack code in list_encoding.go knows them.
func lpIntElem(v int64) int64 { return int64(lpIntSize(v) + 1) }

func lpStringElem(b []byte) int64 { return int64(lpEntrySize(b)) }

// decoded is one entry read from a node.
type decoded struct {
	id      StreamID
	flags   byte
	next    int // offset of the following entry
	fvStart int // offset of the field/value part, after the ids
}

// decodeAt reads the header of the entry at off and finds where it ends.
func (n *streamNode) decodeAt(off int) decoded {
	p := n.data
	d := decoded{flags: p[off]}
	i := off + 1
	msd, k := binary.Uvarint(p[i:])
	i += k
	seqd, k := binary.Varint(p[i:])
	i += k
	d.id = StreamID{n.master.Ms + msd, n.master.Seq + uint64(seqd)}
	d.fvStart = i
	var count uint64
	if d.flags&entrySameFields != 0 {
		count, _ = binary.Uvarint(p)
	} else {
		nf, k := binary.Uvarint(p[i:])
		i += k
		count = 2 * nf
	}
	for range count {
		l, k := binary.Uvarint(p[i:])
		i += k + int(l)
	}
	d.next = i
	return d
}

// fields appends the entry's fields and values, alternating, to fv. The slices alias
// the node's data: valid until the stream changes.
func (n *streamNode) fields(d decoded, fv [][]byte) [][]byte {
	p := n.data
	i := d.fvStart
	if d.flags&entrySameFields != 0 {
		nf, k := binary.Uvarint(p)
		m := k
		for range nf {
			fl, k := binary.Uvarint(p[m:])
			f := p[m+k : m+k+int(fl)]
			m += k + int(fl)
			vl, k := binary.Uvarint(p[i:])
			v := p[i+k : i+k+int(vl)]
			i += k + int(vl)
			fv = append(fv, f, v)
		}
		return fv
	}
	nf, k := binary.Uvarint(p[i:])
	i += k
	for range 2 * nf {
		l, k := binary.Uvarint(p[i:])
		fv = append(fv, p[i+k:i+k+int(l)])
		i += k + int(l)
	}
	return fv
}

// nodeFor returns the index of the node whose range may hold id: the last node whose
// master id is <= id, or -1.
func (st *Stream) nodeFor(id StreamID) int {
	i := sort.Search(len(st.nodes), func(i int) bool { return id.Less(st.nodes[i].master) })
	return i - 1
}

// StreamIter walks live entries in one direction. Obtain it with Stream.Seek.
type StreamIter struct {
	st  *Stream
	rev bool
	// node and offs: the current node and, for reverse walks, its entry offsets.
	node int
	pos  int
	offs []int
	fv   [][]byte
	// idsOnly skips decoding fields: Next returns no fv.
	idsOnly bool
}

// Seek returns an iterator over live entries from id onwards (rev false: ids >= from,
// ascending; rev true: ids <= from, descending).
func (st *Stream) Seek(from StreamID, rev bool) StreamIter {
	it := StreamIter{st: st, rev: rev}
	it.reset(from)
	return it
}

func (it *StreamIter) reset(from StreamID) {
	st := it.st
	i := st.nodeFor(from)
	if !it.rev {
		if i < 0 {
			i = 0
		}
		it.node = i
		it.pos = -1
		if i < len(st.nodes) {
			it.pos = int(st.nodes[i].entriesAt)
			// Skip entries below from in the first node.
			n := &st.nodes[i]
			for it.pos < len(n.data) {
				d := n.decodeAt(it.pos)
				if !d.id.Less(from) {
					break
				}
				it.pos = d.next
			}
		}
		return
	}
	it.node = i
	if i >= 0 {
		it.loadOffsets()
		n := &st.nodes[i]
		for it.pos >= 0 && from.Less(n.decodeAt(it.offs[it.pos]).id) {
			it.pos--
		}
	}
}

// loadOffsets collects the current node's entry offsets for a reverse walk.
func (it *StreamIter) loadOffsets() {
	n := &it.st.nodes[it.node]
	it.offs = it.offs[:0]
	for off := int(n.entriesAt); off < len(n.data); {
		it.offs = append(it.offs, off)
		off = n.decodeAt(off).next
	}
	it.pos = len(it.offs) - 1
}

// Next returns the next live entry; fv alternates fields and values and aliases the
// stream (valid until it changes, and until the next call of Next). ok is false at the
// end.
func (it *StreamIter) Next() (id StreamID, fv [][]byte, ok bool) {
	st := it.st
	for {
		if it.node < 0 || it.node >= len(st.nodes) {
			return StreamID{}, nil, false
		}
		n := &st.nodes[it.node]
		var d decoded
		if it.rev {
			if it.pos < 0 {
				it.node--
				if it.node >= 0 {
					it.loadOffsets()
				}
				continue
			}
			d = n.decodeAt(it.offs[it.pos])
			it.pos--
		} else {
			if it.pos >= len(n.data) {
				it.node++
				if it.node < len(st.nodes) {
					it.pos = int(st.nodes[it.node].entriesAt)
				}
				continue
			}
			d = n.decodeAt(it.pos)
			it.pos = d.next
		}
		if d.flags&entryDeleted != 0 {
			continue
		}
		if it.idsOnly {
			return d.id, nil, true
		}
		it.fv = n.fields(d, it.fv[:0])
		return d.id, it.fv, true
	}
}

// FirstID returns the id of the first live entry (0-0 when empty).
func (st *Stream) FirstID() StreamID {
	it := st.Seek(StreamID{}, false)
	it.idsOnly = true
	id, _, ok := it.Next()
	if !ok {
		return StreamID{}
	}
	return id
}

// LastEntryID returns the id of the last live entry (0-0 when empty).
func (st *Stream) LastEntryID() StreamID {
	it := st.Seek(MaxStreamID, true)
	it.idsOnly = true
	id, _, ok := it.Next()
	if !ok {
		return StreamID{}
	}
	return id
}

// Delete marks the entry id deleted and reports whether it was live.
func (st *Stream) Delete(id StreamID) bool {
	i := st.nodeFor(id)
	if i < 0 {
		return false
	}
	n := &st.nodes[i]
	if n.last.Less(id) {
		return false
	}
	for off := int(n.entriesAt); off < len(n.data); {
		d := n.decodeAt(off)
		if d.id == id {
			if d.flags&entryDeleted != 0 {
				return false
			}
			st.markDeleted(i, off)
			if st.maxDeleted.Less(id) {
				st.maxDeleted = id
			}
			if n.live == 0 {
				st.removeNode(i)
			}
			return true
		}
		if id.Less(d.id) {
			return false
		}
		off = d.next
	}
	return false
}

func (st *Stream) markDeleted(node, off int) {
	n := &st.nodes[node]
	n.data[off] |= entryDeleted
	n.live--
	n.deleted++
	st.length--
}

func (st *Stream) removeNode(i int) {
	copy(st.nodes[i:], st.nodes[i+1:])
	st.nodes[len(st.nodes)-1] = streamNode{}
	st.nodes = st.nodes[:len(st.nodes)-1]
}

// dropHead removes the first k nodes in O(1); append reallocates the slice later.
func (st *Stream) dropHead(k int) {
	for i := range k {
		st.nodes[i] = streamNode{}
	}
	st.nodes = st.nodes[k:]
	if len(st.nodes) == 0 {
		st.nodes = nil
	}
}

// TrimSpec says how to trim: by length (MinID unset) or by id, exactly or by whole
// nodes only, with an optional limit on the entries removed (0: none).
type TrimSpec struct {
	ByID   bool
	MaxLen int64
	MinID  StreamID
	Approx bool
	Limit  int64
}

// Trim removes the oldest entries as spec says and returns how many it removed. Unlike
// XDEL it leaves the max-deleted id alone, as Redis does. It follows redis-server's
// algorithm: whole nodes from the head while they may go, then,
// for exact trimming, single entries from the first node that may not.
func (st *Stream) Trim(spec TrimSpec) int64 {
	var removed int64
	drop := 0
	for drop < len(st.nodes) {
		if !spec.ByID && st.length <= spec.MaxLen {
			break
		}
		n := &st.nodes[drop]
		entries := int64(n.live)
		if spec.Limit > 0 && removed+entries > spec.Limit {
			break
		}
		var whole bool
		if spec.ByID {
			whole = n.last.Less(spec.MinID)
		} else {
			whole = st.length-entries >= spec.MaxLen
		}
		if whole {
			st.length -= entries
			removed += entries
			drop++
			continue
		}
		if !spec.Approx {
			removed += st.trimInside(drop, spec)
		}
		break
	}
	if drop > 0 {
		st.dropHead(drop)
	}
	return removed
}

// trimInside marks entries of node i deleted from its head until the trim condition
// stops holding.
func (st *Stream) trimInside(i int, spec TrimSpec) int64 {
	n := &st.nodes[i]
	var removed int64
	for off := int(n.entriesAt); off < len(n.data); {
		d := n.decodeAt(off)
		if spec.ByID {
			if !d.id.Less(spec.MinID) {
				break
			}
		} else if st.length <= spec.MaxLen {
			break
		}
		if d.flags&entryDeleted == 0 {
			st.markDeleted(i, off)
			removed++
		}
		off = d.next
	}
	return removed
}

// SetLastID changes the last id, entries-added and max-deleted id (XSETID).
func (st *Stream) SetLastID(id StreamID, entriesAdded int64, maxDeleted StreamID) {
	st.lastID = id
	st.entriesAdded = entriesAdded
	st.maxDeleted = maxDeleted
}
