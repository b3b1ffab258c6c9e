package shard

import (
	"strings"
	"unsafe"

	"github.com/basaltdb/basalt/proto"
)

// Memory estimates: MEMORY USAGE and DEBUG OBJECT.
//
// The figures are what our own representation costs in the Go heap, counted from the
// capacities of the byte slices and the sizes of the structs and map entries, not what
// redis-server would use for the same value. Map entries are costed at their key and
// value plus a fixed overhead per slot, an approximation of Go's swiss tables. Large
// collections are sampled, as Redis does: the average of the first samples elements
// stands for all of them.

// mapSlotOverhead approximates a map slot's cost beyond its key and value: the control
// byte, load-factor slack and group headers.
const mapSlotOverhead = 10

// DefaultMemorySamples is how many elements MEMORY USAGE samples without SAMPLES.
const DefaultMemorySamples = 5

func init() {
	register("memory|usage", memoryUsageCommand)
}

// KeyOverhead estimates what a key costs besides its value: its entry in the dense
// entry array and its slot in the index map.
func KeyOverhead(key string) int64 {
	const entrySize = int64(unsafe.Sizeof(entry{}))
	const indexSlot = int64(unsafe.Sizeof("")) + 4 + mapSlotOverhead
	return entrySize + indexSlot + int64(len(key))
}

// MemoryUsage estimates the bytes o's value occupies. samples bounds how many elements
// of a large collection are looked at (0: all of them). Cost: O(samples), or O(nodes) for
// lists and streams, whose node slices are summed whole.
func (o *Object) MemoryUsage(samples int) int64 {
	switch o.Type {
	case TypeString:
		return int64(cap(o.Str))
	}
	switch c := o.Coll.(type) {
	case *List:
		return c.memoryUsage()
	case *Set:
		return c.memoryUsage(samples)
	case *ZSet:
		return c.memoryUsage(samples)
	case *Hash:
		return c.memoryUsage(samples)
	case *Stream:
		return c.memoryUsage()
	}
	return 0
}

// sampled extrapolates the cost of n elements from the cost of the first ones: each
// visits elements in order and returns false to stop.
func sampled(n, samples int, each func(visit func(cost int64) bool)) int64 {
	if n == 0 {
		return 0
	}
	if samples <= 0 || samples > n {
		samples = n
	}
	var seen int
	var total int64
	each(func(cost int64) bool {
		total += cost
		seen++
		return seen < samples
	})
	if seen == 0 {
		return 0
	}
	return total * int64(n) / int64(seen)
}

func (l *List) memoryUsage() int64 {
	size := int64(unsafe.Sizeof(*l)) + int64(cap(l.nodes))*int64(unsafe.Sizeof([]byte(nil)))
	for _, n := range l.nodes[l.lo:l.hi] {
		size += int64(cap(n))
	}
	return size
}

func (st *Set) memoryUsage(samples int) int64 {
	size := int64(unsafe.Sizeof(*st))
	switch st.enc {
	case setIntset:
		return size + int64(cap(st.ints))*8
	case setListpack:
		return size + int64(cap(st.lp))
	}
	const slot = int64(unsafe.Sizeof("")) // the members array
	size += int64(cap(st.members)-len(st.members))*slot + int64(st.index.slots())*8
	return size + sampled(len(st.members), samples, func(visit func(int64) bool) {
		for _, m := range st.members {
			if !visit(slot + int64(len(m))) {
				return
			}
		}
	})
}

func (z *ZSet) memoryUsage(samples int) int64 {
	size := int64(unsafe.Sizeof(*z))
	if z.tree == nil {
		return size + int64(cap(z.lp))
	}
	const dict = int64(unsafe.Sizeof("")) + 8 + mapSlotOverhead
	size += int64(unsafe.Sizeof(*z.tree)) + int64(z.tree.leaves)*int64(unsafe.Sizeof(ztLeaf{})) +
		int64(z.tree.inners)*int64(unsafe.Sizeof(ztInner{}))
	return size + sampled(z.tree.length, samples, func(visit func(int64) bool) {
		z.tree.walk(0, false, func(m []byte, _ float64) bool { return visit(dict + int64(len(m))) })
	})
}

func (h *Hash) memoryUsage(samples int) int64 {
	size := int64(unsafe.Sizeof(*h))
	if h.table == nil {
		return size + int64(cap(h.lp))
	}
	const ent = int64(unsafe.Sizeof(hashEntry{}))
	t := h.table
	size += int64(unsafe.Sizeof(*t)) + int64(cap(t.entries)-len(t.entries))*ent + int64(t.index.slots())*8
	return size + sampled(len(t.entries), samples, func(visit func(int64) bool) {
		for _, e := range t.entries {
			if !visit(ent + int64(cap(e.kv))) {
				return
			}
		}
	})
}

func (st *Stream) memoryUsage() int64 {
	size := st.fixedUsage()
	for i := range st.nodes {
		size += int64(cap(st.nodes[i].data))
	}
	return size
}

// fixedUsage is a stream's cost besides its nodes' entry bytes. Consumer groups are
// costed at their struct; their pending entries are not walked.
func (st *Stream) fixedUsage() int64 {
	return int64(unsafe.Sizeof(*st)) + int64(cap(st.nodes))*int64(unsafe.Sizeof(streamNode{})) +
		int64(len(st.Groups))*int64(unsafe.Sizeof(StreamGroup{}))
}

// QuicklistStats describes a list's nodes as DEBUG OBJECT's ql_* fields do: the number
// of nodes and the bytes of their packed entries.
func (l *List) QuicklistStats() (nodes int, bytes int64) {
	for _, n := range l.nodes[l.lo:l.hi] {
		bytes += int64(len(n))
	}
	return int(l.hi - l.lo), bytes
}

// IdleSeconds returns how long ago o was last accessed, by the shard's clock of the
// current command (OBJECT IDLETIME's figure).
func (s *Shard) IdleSeconds(o *Object) int64 {
	return max(int64(s.clock())-int64(o.Access), 0)
}

// MEMORY USAGE key [SAMPLES count]
func memoryUsageCommand(s *Shard, a Args, w *proto.Writer) {
	samples := DefaultMemorySamples
	for i := 3; i < len(a); i++ {
		if !strings.EqualFold(string(a[i]), "samples") || i+1 >= len(a) {
			w.Error(proto.ErrSyntax)
			return
		}
		n, ok := proto.ParseInt(a[i+1])
		if !ok {
			w.Error(proto.ErrNotInt)
			return
		}
		if n < 0 {
			w.Error(proto.ErrSyntax)
			return
		}
		samples = int(min(n, 1<<30))
		i++
	}
	e, ok := s.peek(a[2])
	if !ok {
		w.Null()
		return
	}
	w.Int(KeyOverhead(e.key) + e.MemoryUsage(samples))
}

// EstimateMemory estimates the bytes the shard's keys and values occupy from at most
// samples evenly spaced entries of each database (entries are dense, so positions are
// a fair sample), each value itself sampled as MEMORY USAGE does by default. Cost:
// O(databases × samples), whatever the number of keys; it reads entries without
// touching access times, statistics or a running snapshot.
func (s *Shard) EstimateMemory(samples int) int64 {
	var total int64
	for _, d := range s.dbs {
		n := d.Len()
		if n == 0 {
			continue
		}
		k := min(max(samples, 1), n)
		var sum int64
		for i := 0; i < k; i++ {
			e := d.at(i * n / k)
			sum += KeyOverhead(e.key) + e.MemoryUsage(DefaultMemorySamples)
		}
		total += sum * int64(n) / int64(k)
	}
	return total
}
