package shard

import (
	"bytes"
	"sort"
)

// Consumer groups: the pending entries list (PEL) and the consumers of a StreamGroup.
//
// A group's PEL holds one *PendingEntry per entry delivered and not yet acknowledged,
// sorted by id; each consumer keeps a second sorted list of the same pointers, the
// entries delivered to it, as Redis does, so XPENDING over one consumer and XREADGROUP
// history reads do not scan the whole group. An entry is in exactly one consumer's
// list and in the group's list, and its Consumer field names that consumer.
//
// Both lists are sorted slices: deliveries of new entries append at the tail (ids only
// grow), XACK of the oldest entries removes from the head, and a lookup is a binary
// search. A removal in the middle moves the tail (a memmove of pointers), which is
// cheap next to the network round trip of the command that asks for it.
//
// Consumers are a slice sorted by name (XINFO CONSUMERS lists them in that order, as
// Redis's radix tree does), and so are a stream's groups.
//
// Owner: the shard's loop, like the stream value that holds the groups.

// PendingEntry is one delivered, unacknowledged entry of a group.
type PendingEntry struct {
	ID StreamID
	// DeliveryTime is when the entry was last delivered, in Unix milliseconds.
	DeliveryTime int64
	// DeliveryCount counts the deliveries.
	DeliveryCount int64
	// Consumer is the consumer the entry was last delivered to.
	Consumer *StreamConsumer
}

// pelList is a list of pending entries sorted by id.
type pelList []*PendingEntry

// search returns the index of the first entry whose id is >= id.
func (p pelList) search(id StreamID) int {
	return sort.Search(len(p), func(i int) bool { return !p[i].ID.Less(id) })
}

// find returns the entry with this id, or nil.
func (p pelList) find(id StreamID) *PendingEntry {
	if i := p.search(id); i < len(p) && p[i].ID == id {
		return p[i]
	}
	return nil
}

// insert adds e, which must not be in the list yet.
func (p *pelList) insert(e *PendingEntry) {
	l := *p
	if n := len(l); n == 0 || l[n-1].ID.Less(e.ID) {
		*p = append(l, e)
		return
	}
	i := l.search(e.ID)
	l = append(l, nil)
	copy(l[i+1:], l[i:])
	l[i] = e
	*p = l
}

// remove drops the entry with this id and reports whether it was there.
func (p *pelList) remove(id StreamID) bool {
	l := *p
	i := l.search(id)
	if i == len(l) || l[i].ID != id {
		return false
	}
	copy(l[i:], l[i+1:])
	l[len(l)-1] = nil
	*p = l[:len(l)-1]
	return true
}

// StreamConsumer is one consumer of a group.
type StreamConsumer struct {
	Name []byte
	// SeenTime is the last time the consumer tried to read or claim, ActiveTime the
	// last time it got something (-1: never), both in Unix milliseconds.
	SeenTime, ActiveTime int64
	pel                  pelList
}

// Pending returns the consumer's pending entries, in id order. The slice belongs to
// the consumer: read it only.
func (c *StreamConsumer) Pending() []*PendingEntry { return c.pel }

// Pending returns the group's pending entries, in id order. The slice belongs to the
// group: read it only.
func (g *StreamGroup) Pending() []*PendingEntry { return g.pel }

// Consumers returns the group's consumers, sorted by name. Read only.
func (g *StreamGroup) Consumers() []*StreamConsumer { return g.consumers }

// consumerIndex returns where a consumer named name is or would be.
func (g *StreamGroup) consumerIndex(name []byte) (int, bool) {
	i := sort.Search(len(g.consumers), func(i int) bool { return bytes.Compare(g.consumers[i].Name, name) >= 0 })
	return i, i < len(g.consumers) && bytes.Equal(g.consumers[i].Name, name)
}

// Consumer returns the consumer named name, or nil.
func (g *StreamGroup) Consumer(name []byte) *StreamConsumer {
	if i, ok := g.consumerIndex(name); ok {
		return g.consumers[i]
	}
	return nil
}

// AddConsumer creates a consumer seen at now; created is false (and the existing one
// returned) when the name is taken.
func (g *StreamGroup) AddConsumer(name []byte, now int64) (c *StreamConsumer, created bool) {
	i, ok := g.consumerIndex(name)
	if ok {
		return g.consumers[i], false
	}
	c = &StreamConsumer{Name: Own(name), SeenTime: now, ActiveTime: -1}
	g.consumers = append(g.consumers, nil)
	copy(g.consumers[i+1:], g.consumers[i:])
	g.consumers[i] = c
	return c, true
}

// DeleteConsumer removes a consumer and its pending entries (from the group's PEL
// too) and returns how many entries it had pending.
func (g *StreamGroup) DeleteConsumer(name []byte) int64 {
	i, ok := g.consumerIndex(name)
	if !ok {
		return 0
	}
	c := g.consumers[i]
	for _, e := range c.pel {
		g.pel.remove(e.ID)
	}
	copy(g.consumers[i:], g.consumers[i+1:])
	g.consumers[len(g.consumers)-1] = nil
	g.consumers = g.consumers[:len(g.consumers)-1]
	return int64(len(c.pel))
}

// Deliver records that id was delivered to c at now: a new pending entry, or, when
// the group already had one for id (after XGROUP SETID moved back), that entry moved
// to c with its counter restarted, as Redis does.
func (g *StreamGroup) Deliver(id StreamID, c *StreamConsumer, now int64) {
	if e := g.pel.find(id); e != nil {
		if e.Consumer != c {
			e.Consumer.pel.remove(id)
			c.pel.insert(e)
			e.Consumer = c
		}
		e.DeliveryTime, e.DeliveryCount = now, 1
		return
	}
	e := &PendingEntry{ID: id, DeliveryTime: now, DeliveryCount: 1, Consumer: c}
	g.pel.insert(e)
	c.pel.insert(e)
}

// Ack removes id from the PEL and reports whether it was pending.
func (g *StreamGroup) Ack(id StreamID) bool {
	e := g.pel.find(id)
	if e == nil {
		return false
	}
	g.pel.remove(id)
	e.Consumer.pel.remove(id)
	return true
}

// claim gives the pending entry e to c (e may be new, with no consumer, from
// XCLAIM FORCE: it then enters the group's PEL).
func (g *StreamGroup) claim(e *PendingEntry, c *StreamConsumer) {
	if e.Consumer == c {
		return
	}
	if e.Consumer == nil {
		g.pel.insert(e)
	} else {
		e.Consumer.pel.remove(e.ID)
	}
	c.pel.insert(e)
	e.Consumer = c
}

// clone returns a deep copy of the group: new consumers and pending entries with the
// same links between them.
func (g *StreamGroup) clone() *StreamGroup {
	cg := &StreamGroup{Name: Own(g.Name), LastID: g.LastID, EntriesRead: g.EntriesRead}
	byOld := make(map[*StreamConsumer]*StreamConsumer, len(g.consumers))
	cg.consumers = make([]*StreamConsumer, len(g.consumers))
	for i, c := range g.consumers {
		nc := &StreamConsumer{Name: Own(c.Name), SeenTime: c.SeenTime, ActiveTime: c.ActiveTime}
		nc.pel = make(pelList, 0, len(c.pel))
		byOld[c] = nc
		cg.consumers[i] = nc
	}
	cg.pel = make(pelList, len(g.pel))
	for i, e := range g.pel {
		ne := *e
		ne.Consumer = byOld[e.Consumer]
		cg.pel[i] = &ne
		ne.Consumer.pel = append(ne.Consumer.pel, &ne)
	}
	return cg
}

// Group returns the group named name, or nil.
func (st *Stream) Group(name []byte) *StreamGroup {
	if i, ok := st.groupIndex(name); ok {
		return st.Groups[i]
	}
	return nil
}

func (st *Stream) groupIndex(name []byte) (int, bool) {
	i := sort.Search(len(st.Groups), func(i int) bool { return bytes.Compare(st.Groups[i].Name, name) >= 0 })
	return i, i < len(st.Groups) && bytes.Equal(st.Groups[i].Name, name)
}

// AddGroup creates a group that will deliver entries after last; it returns nil when
// the name is taken.
func (st *Stream) AddGroup(name []byte, last StreamID, entriesRead int64) *StreamGroup {
	i, ok := st.groupIndex(name)
	if ok {
		return nil
	}
	g := &StreamGroup{Name: Own(name), LastID: last, EntriesRead: entriesRead}
	st.Groups = append(st.Groups, nil)
	copy(st.Groups[i+1:], st.Groups[i:])
	st.Groups[i] = g
	return g
}

// DeleteGroup removes a group and reports whether it existed.
func (st *Stream) DeleteGroup(name []byte) bool {
	i, ok := st.groupIndex(name)
	if !ok {
		return false
	}
	copy(st.Groups[i:], st.Groups[i+1:])
	st.Groups[len(st.Groups)-1] = nil
	st.Groups = st.Groups[:len(st.Groups)-1]
	return true
}

// Has reports whether a live entry has this id.
func (st *Stream) Has(id StreamID) bool {
	it := st.Seek(id, false)
	it.idsOnly = true
	got, _, ok := it.Next()
	return ok && got == id
}

// Entries-read accounting, as Redis 7 does it. A group counts the entries it read so
// that XINFO can report its lag (entries added but not yet read) without walking the
// stream. The counter stays exact while reads move forward over a stream with no
// deleted entries ahead; otherwise it is estimated from the stream's counters when
// that is possible, and unknown (-1) when it is not.

// estimateEntriesRead returns how many entries were added up to and including id, or
// -1 when the deletions in the stream make that unknowable.
func (st *Stream) estimateEntriesRead(id StreamID) int64 {
	if st.entriesAdded == 0 {
		return 0
	}
	if st.length == 0 && !st.lastID.Less(id) {
		return st.entriesAdded
	}
	switch id.Cmp(st.lastID) {
	case 0:
		return st.entriesAdded
	case 1:
		return -1
	}
	first := st.FirstID()
	if st.maxDeleted.IsZero() || st.maxDeleted.Less(first) {
		switch id.Cmp(first) {
		case -1:
			return st.entriesAdded - st.length
		case 0:
			return st.entriesAdded - st.length + 1
		}
	}
	return -1
}

// hasTombstonesFrom reports whether a deleted entry may lie at or after start.
func (st *Stream) hasTombstonesFrom(start StreamID) bool {
	if st.length == 0 || st.maxDeleted.IsZero() {
		return false
	}
	if st.maxDeleted.Less(st.FirstID()) {
		return false
	}
	return !st.maxDeleted.Less(start)
}

// groupLag returns the group's lag (entries added and not read) and whether it is
// known.
func (st *Stream) groupLag(g *StreamGroup) (int64, bool) {
	if st.entriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead >= 0 && !st.hasTombstonesFrom(g.LastID) {
		return st.entriesAdded - g.EntriesRead, true
	}
	if read := st.estimateEntriesRead(g.LastID); read >= 0 {
		return st.entriesAdded - read, true
	}
	return 0, false
}

// advance moves the group's last-delivered id to id, an entry it is delivering, and
// keeps its entries-read counter.
func (st *Stream) advance(g *StreamGroup, id StreamID) {
	if !g.LastID.Less(id) {
		return
	}
	if g.EntriesRead >= 0 && !st.hasTombstonesFrom(id) {
		g.EntriesRead++
	} else if st.entriesAdded > 0 {
		g.EntriesRead = st.estimateEntriesRead(id)
	}
	g.LastID = id
}
