package shard

import (
	"errors"
	"fmt"
)

// Accessors for package persist, which converts streams to and from Redis's RDB
// layout (a radix tree of listpacks plus the groups). Basalt's nodes hold the same
// entries, with the same flags and node boundaries, in a different byte format, so the
// conversion goes entry by entry through these functions. Like everything in a Stream,
// they belong to the owning shard's loop (or to a goroutine that owns a copy).

// StreamNodeEntry is one entry of a node, deleted or not. FV alternates fields and
// values and, when read from a node, aliases the stream.
type StreamNodeEntry struct {
	ID         StreamID
	Deleted    bool
	SameFields bool
	FV         [][]byte
}

// StreamNodeInfo is a node's header: its master id and fields and its counters.
type StreamNodeInfo struct {
	Master        StreamID
	MasterFields  [][]byte
	Live, Deleted int
}

// EachNode calls fn for each node in order, with its header and its entries (deleted
// ones included); the slices alias the stream and are valid during the call only. It
// stops at the first error fn returns.
func (st *Stream) EachNode(fn func(info StreamNodeInfo, entries []StreamNodeEntry) error) error {
	var entries []StreamNodeEntry
	for i := range st.nodes {
		n := &st.nodes[i]
		info := StreamNodeInfo{Master: n.master, Live: int(n.live), Deleted: int(n.deleted)}
		info.MasterFields = n.masterFields(nil)
		entries = entries[:0]
		for off := int(n.entriesAt); off < len(n.data); {
			d := n.decodeAt(off)
			fv := n.fields(d, nil)
			entries = append(entries, StreamNodeEntry{
				ID: d.id, Deleted: d.flags&entryDeleted != 0, SameFields: d.flags&entrySameFields != 0, FV: fv,
			})
			off = d.next
		}
		if err := fn(info, entries); err != nil {
			return err
		}
	}
	return nil
}

// masterFields appends the node's master field names to dst.
func (n *streamNode) masterFields(dst [][]byte) [][]byte {
	p := n.data
	nf, k := uvarint(p)
	for range nf {
		l, m := uvarint(p[k:])
		dst = append(dst, p[k+m:k+m+int(l)])
		k += m + int(l)
	}
	return dst
}

func uvarint(p []byte) (uint64, int) {
	var v uint64
	var s uint
	for i, b := range p {
		v |= uint64(b&0x7f) << s
		if b < 0x80 {
			return v, i + 1
		}
		s += 7
	}
	return 0, len(p)
}

// ErrStreamNode reports a node that breaks the stream's invariants.
var ErrStreamNode = errors.New("invalid stream node")

// AppendNode adds a node read from a file after the stream's last node: master is its
// master id, masterFields the field names its same-fields entries use, entries its
// entries in id order (Deleted ones included). The ids must grow, start at or after
// master, and follow the previous node's. The counters (length, last id, ...) are set
// afterwards with SetLastID and the length follows the nodes.
func (st *Stream) AppendNode(master StreamID, masterFields [][]byte, entries []StreamNodeEntry) error {
	if len(entries) == 0 {
		return fmt.Errorf("%w: no entries", ErrStreamNode)
	}
	if k := len(st.nodes); k > 0 && !st.nodes[k-1].last.Less(master) {
		return fmt.Errorf("%w: master id %s is not after the previous node", ErrStreamNode, master)
	}
	fv := make([][]byte, 0, 2*len(masterFields))
	for _, f := range masterFields {
		fv = append(fv, f, nil)
	}
	n := newStreamNode(master, fv)
	prev, first := master, true
	for _, e := range entries {
		if e.ID.Less(prev) || (!first && e.ID == prev) {
			return fmt.Errorf("%w: entry %s out of order", ErrStreamNode, e.ID)
		}
		if len(e.FV)%2 != 0 {
			return fmt.Errorf("%w: entry %s has a field without a value", ErrStreamNode, e.ID)
		}
		prev, first = e.ID, false
		off := len(n.data)
		n.appendEntry(e.ID, e.FV)
		if e.Deleted {
			n.data[off] |= entryDeleted
			n.live--
			n.deleted++
		}
	}
	n.seal()
	st.nodes = append(st.nodes, n)
	st.length += int64(n.live)
	return nil
}

// ImportGroup adds a group read from a file; it fails when the name is taken.
func (st *Stream) ImportGroup(name []byte, last StreamID, entriesRead int64) (*StreamGroup, error) {
	g := st.AddGroup(name, last, entriesRead)
	if g == nil {
		return nil, fmt.Errorf("%w: duplicate group %q", ErrStreamNode, name)
	}
	return g, nil
}

// ImportPending adds an entry to the group's PEL with no consumer yet; ImportConsumer
// then hands it to one. The ids must grow.
func (g *StreamGroup) ImportPending(id StreamID, deliveryTime, deliveryCount int64) error {
	if n := len(g.pel); n > 0 && !g.pel[n-1].ID.Less(id) {
		return fmt.Errorf("%w: group PEL id %s out of order", ErrStreamNode, id)
	}
	g.pel = append(g.pel, &PendingEntry{ID: id, DeliveryTime: deliveryTime, DeliveryCount: deliveryCount})
	return nil
}

// ImportConsumer adds a consumer read from a file, owning the group PEL entries ids.
func (g *StreamGroup) ImportConsumer(name []byte, seen, active int64, ids []StreamID) error {
	c, created := g.AddConsumer(name, seen)
	if !created {
		return fmt.Errorf("%w: duplicate consumer %q", ErrStreamNode, name)
	}
	c.ActiveTime = active
	for _, id := range ids {
		e := g.pel.find(id)
		if e == nil {
			return fmt.Errorf("%w: consumer PEL id %s is not in the group PEL", ErrStreamNode, id)
		}
		if e.Consumer != nil {
			return fmt.Errorf("%w: PEL id %s has two consumers", ErrStreamNode, id)
		}
		e.Consumer = c
		c.pel.insert(e)
	}
	return nil
}

// CheckImported reports a group PEL entry that no consumer owns.
func (g *StreamGroup) CheckImported() error {
	for _, e := range g.pel {
		if e.Consumer == nil {
			return fmt.Errorf("%w: group PEL id %s has no consumer", ErrStreamNode, e.ID)
		}
	}
	return nil
}

// EstimateEntriesRead returns how many entries were added up to and including id, or
// -1 when deletions make it unknowable: what a group that delivered up to id has read.
// Loading the old RDB layout, which lacks the counter, fills it in this way, as Redis
// does.
func (st *Stream) EstimateEntriesRead(id StreamID) int64 { return st.estimateEntriesRead(id) }
