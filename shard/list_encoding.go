package shard

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/basaltdb/basalt/proto"
)

// This file holds the list value: packed nodes in Redis's listpack byte layout, and the
// List that strings them together the way Redis's quicklist does.
//
// A listpack is one []byte: a 6-byte header (total bytes as uint32, element count as
// uint16, both little endian; a count of 65535 means "walk to count"), the entries, and
// a 0xFF terminator. An entry is an encoding byte (with its length or integer payload),
// the payload, and a back length: the size of encoding and payload written so that it
// reads from right to left, which lets iteration run in both directions. Strings that
// are canonical 64-bit integers are stored as integers of 1 to 9 bytes.
//
// Keeping Redis's byte layout costs nothing over a layout of our own and buys three
// things: node sizes equal redis-server's, so the listpack/quicklist conversions happen
// at the very same element as in Redis; a node can be written to an RDB file as is; and
// a listpack read from an RDB file can be adopted without re-encoding.

const (
	lpHeaderSize = 6
	lpEOF        = 0xFF
	// lpOverhead is the size of an empty listpack: header and terminator.
	lpOverhead = lpHeaderSize + 1
	// lpCountUnknown in the header's count field means the count did not fit.
	lpCountUnknown = 65535
)

// Entry encodings: the first byte of an entry.
const (
	lpEnc7BitUint    = 0x00 // 0xxxxxxx
	lpEnc6BitStr     = 0x80 // 10xxxxxx, then the bytes
	lpEnc13BitInt    = 0xC0 // 110xxxxx yyyyyyyy
	lpEnc12BitStr    = 0xE0 // 1110xxxx yyyyyyyy, then the bytes
	lpEnc32BitStr    = 0xF0 // then a uint32 length and the bytes
	lpEnc16BitInt    = 0xF1
	lpEnc24BitInt    = 0xF2
	lpEnc32BitInt    = 0xF3
	lpEnc64BitInt    = 0xF4
	lpEncodingLarger = 0xF5 // first value not used by any entry
)

// lpNew returns an empty listpack with room for extra bytes of entries.
func lpNew(extra int) []byte {
	lp := make([]byte, lpOverhead, lpOverhead+extra)
	lp[lpHeaderSize] = lpEOF
	lpSetHeader(lp, 0)
	return lp
}

// lpSetHeader records lp's total size and its element count n.
func lpSetHeader(lp []byte, n int) {
	binary.LittleEndian.PutUint32(lp[0:4], uint32(len(lp)))
	binary.LittleEndian.PutUint16(lp[4:6], uint16(min(n, lpCountUnknown)))
}

// lpLen returns the number of entries in lp.
func lpLen(lp []byte) int {
	n := int(binary.LittleEndian.Uint16(lp[4:6]))
	if n < lpCountUnknown {
		return n
	}
	n = 0
	for p := lpFirst(lp); p >= 0; p = lpNext(lp, p) {
		n++
	}
	return n
}

// lpFirst returns the offset of the first entry, or -1 when lp is empty.
func lpFirst(lp []byte) int {
	if lp[lpHeaderSize] == lpEOF {
		return -1
	}
	return lpHeaderSize
}

// lpLast returns the offset of the last entry, or -1 when lp is empty.
func lpLast(lp []byte) int { return lpPrev(lp, len(lp)-1) }

// lpNext returns the offset of the entry after the one at p, or -1 at the end.
func lpNext(lp []byte, p int) int {
	p += lpEntrySizeAt(lp, p)
	if lp[p] == lpEOF {
		return -1
	}
	return p
}

// lpPrev returns the offset of the entry before offset p (an entry or the terminator),
// or -1 when p is the first.
func lpPrev(lp []byte, p int) int {
	if p <= lpHeaderSize {
		return -1
	}
	l, k := lpReadBacklen(lp, p-1)
	return p - k - l
}

// lpSeek returns the offset of entry i (0 <= i < n, n being lpLen), walking from the
// nearer end.
func lpSeek(lp []byte, i, n int) int {
	if i < n/2 {
		p := lpHeaderSize
		for ; i > 0; i-- {
			p += lpEntrySizeAt(lp, p)
		}
		return p
	}
	p := len(lp) - 1
	for j := n; j > i; j-- {
		p = lpPrev(lp, p)
	}
	return p
}

// lpIntSize is the size of the encoding of integer v.
func lpIntSize(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= -32768 && v <= 32767:
		return 3
	case v >= -8388608 && v <= 8388607:
		return 4
	case v >= -2147483648 && v <= 2147483647:
		return 5
	}
	return 9
}

// lpValueSize returns the size of v's encoding without the back length, and v as an
// integer when it is stored as one (a canonical decimal int64, as Redis decides).
func lpValueSize(v []byte) (size int, n int64, isInt bool) {
	if n, ok := proto.ParseInt(v); ok {
		return lpIntSize(n), n, true
	}
	switch {
	case len(v) < 64:
		return 1 + len(v), 0, false
	case len(v) < 4096:
		return 2 + len(v), 0, false
	}
	return 5 + len(v), 0, false
}

// lpBacklenSize is the number of bytes the back length l takes.
func lpBacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// lpEntrySize is the number of bytes v takes as an entry.
func lpEntrySize(v []byte) int {
	s, _, _ := lpValueSize(v)
	return s + lpBacklenSize(s)
}

// lpAppendEntry appends the encoding of v as an entry to dst.
func lpAppendEntry(dst, v []byte) []byte {
	size, n, isInt := lpValueSize(v)
	if isInt {
		dst = lpAppendInt(dst, n)
	} else {
		switch l := len(v); {
		case l < 64:
			dst = append(dst, lpEnc6BitStr|byte(l))
		case l < 4096:
			dst = append(dst, lpEnc12BitStr|byte(l>>8), byte(l))
		default:
			dst = append(dst, lpEnc32BitStr)
			dst = binary.LittleEndian.AppendUint32(dst, uint32(l))
		}
		dst = append(dst, v...)
	}
	return lpAppendBacklen(dst, size)
}

func lpAppendInt(dst []byte, v int64) []byte {
	u := uint64(v)
	switch lpIntSize(v) {
	case 1:
		return append(dst, byte(v))
	case 2:
		u &= 1<<13 - 1
		return append(dst, lpEnc13BitInt|byte(u>>8), byte(u))
	case 3:
		return append(dst, lpEnc16BitInt, byte(u), byte(u>>8))
	case 4:
		return append(dst, lpEnc24BitInt, byte(u), byte(u>>8), byte(u>>16))
	case 5:
		return append(dst, lpEnc32BitInt, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	dst = append(dst, lpEnc64BitInt)
	return binary.LittleEndian.AppendUint64(dst, u)
}

// lpAppendBacklen appends the back length l: its most significant 7-bit group first,
// every later byte with the high bit set, so that a reader going right to left finds the
// least significant group first and knows from the high bit whether more follow.
func lpAppendBacklen(dst []byte, l int) []byte {
	k := lpBacklenSize(l)
	dst = append(dst, byte(l>>(7*(k-1))))
	for i := k - 2; i >= 0; i-- {
		dst = append(dst, byte(l>>(7*i))&127|128)
	}
	return dst
}

// lpReadBacklen reads a back length that ends at offset end, returning it and its size.
func lpReadBacklen(lp []byte, end int) (l, k int) {
	for shift := 0; ; shift += 7 {
		b := lp[end-k]
		l |= int(b&127) << shift
		k++
		if b&128 == 0 {
			return l, k
		}
	}
}

// lpDecode decodes the entry at p: a string (aliasing lp) or, when isInt, the integer
// n, and the size of its encoding without the back length.
func lpDecode(lp []byte, p int) (str []byte, n int64, isInt bool, size int) {
	b := lp[p]
	switch {
	case b < 0x80:
		return nil, int64(b), true, 1
	case b&0xC0 == lpEnc6BitStr:
		l := int(b & 0x3F)
		return lp[p+1 : p+1+l], 0, false, 1 + l
	case b&0xE0 == lpEnc13BitInt:
		u := int64(b&0x1F)<<8 | int64(lp[p+1])
		if u >= 1<<12 {
			u -= 1 << 13
		}
		return nil, u, true, 2
	case b&0xF0 == lpEnc12BitStr:
		l := int(b&0x0F)<<8 | int(lp[p+1])
		return lp[p+2 : p+2+l], 0, false, 2 + l
	}
	switch b {
	case lpEnc32BitStr:
		l := int(binary.LittleEndian.Uint32(lp[p+1:]))
		return lp[p+5 : p+5+l], 0, false, 5 + l
	case lpEnc16BitInt:
		return nil, int64(int16(binary.LittleEndian.Uint16(lp[p+1:]))), true, 3
	case lpEnc24BitInt:
		u := uint32(lp[p+1]) | uint32(lp[p+2])<<8 | uint32(lp[p+3])<<16
		return nil, int64(int32(u<<8) >> 8), true, 4
	case lpEnc32BitInt:
		return nil, int64(int32(binary.LittleEndian.Uint32(lp[p+1:]))), true, 5
	case lpEnc64BitInt:
		return nil, int64(binary.LittleEndian.Uint64(lp[p+1:])), true, 9
	}
	panic("BUG: listpack entry with encoding byte " + strconv.Itoa(int(b)))
}

// lpEntrySizeAt returns the size of the entry at p, back length included.
func lpEntrySizeAt(lp []byte, p int) int {
	_, _, _, size := lpDecode(lp, p)
	return size + lpBacklenSize(size)
}

// lpValue returns the entry at p as bytes: a slice of lp for a string, the decimal
// form written into num for an integer.
func lpValue(lp []byte, p int, num *[20]byte) []byte {
	str, n, isInt, _ := lpDecode(lp, p)
	if isInt {
		return strconv.AppendInt(num[:0], n, 10)
	}
	return str
}

// lpInsert inserts v as an entry at offset p (an entry, which moves right, or the
// terminator) of lp, which holds n entries, and returns the listpack.
func lpInsert(lp []byte, p, n int, v []byte) []byte {
	size := lpEntrySize(v)
	old := len(lp)
	if cap(lp)-old < size {
		grown := make([]byte, old, growCap(old+size))
		copy(grown, lp)
		lp = grown
	}
	lp = lp[:old+size]
	copy(lp[p+size:], lp[p:old])
	lpAppendEntry(lp[p:p], v)
	lpSetHeader(lp, n+1)
	return lp
}

// growCap picks the capacity for a listpack that needs need bytes: doubling while small,
// a quarter more once large, so that growing a node does not waste half of it.
func growCap(need int) int {
	if need < 256 {
		return max(need*2, 16)
	}
	return need + need/4
}

// lpDelete removes the k entries that start at offset p from lp, which holds n entries,
// and returns the listpack. It never reallocates.
func lpDelete(lp []byte, p, k, n int) []byte {
	end := p
	for range k {
		end += lpEntrySizeAt(lp, end)
	}
	lp = append(lp[:p], lp[end:]...)
	lpSetHeader(lp, n-k)
	return lpShrinkCap(lp)
}

// lpShrinkCap gives lp a smaller buffer when it uses less than a quarter of its own.
func lpShrinkCap(lp []byte) []byte {
	if cap(lp) > 256 && len(lp) < cap(lp)/4 {
		return append(make([]byte, 0, growCap(len(lp))), lp...)
	}
	return lp
}

// lpReplace replaces the entry at p with v and returns the listpack.
func lpReplace(lp []byte, p, n int, v []byte) []byte {
	oldSize := lpEntrySizeAt(lp, p)
	newSize := lpEntrySize(v)
	switch {
	case newSize > oldSize:
		grow := newSize - oldSize
		old := len(lp)
		if cap(lp)-old < grow {
			grown := make([]byte, old, growCap(old+grow))
			copy(grown, lp)
			lp = grown
		}
		lp = lp[:old+grow]
		copy(lp[p+newSize:], lp[p+oldSize:old])
	case newSize < oldSize:
		lp = append(lp[:p+newSize], lp[p+oldSize:]...)
	}
	lpAppendEntry(lp[p:p], v)
	lpSetHeader(lp, n)
	return lp
}

// lpMatcher compares entries with one value the way Redis does: an integer entry
// matches a value that reads as the same integer, a string entry the same bytes.
type lpMatcher struct {
	v     []byte
	n     int64
	isInt bool
}

func newMatcher(v []byte) lpMatcher {
	n, ok := proto.ParseInt(v)
	return lpMatcher{v: v, n: n, isInt: ok}
}

// match reports whether the entry at p of lp equals the matcher's value.
func (m *lpMatcher) match(lp []byte, p int) bool {
	str, n, isInt, _ := lpDecode(lp, p)
	if isInt {
		return m.isInt && m.n == n
	}
	return !m.isInt && bytes.Equal(str, m.v)
}

// lpRemoveMatches deletes matching entries of lp in one pass: the first skip matches
// stay, then up to limit (all when limit is 0) go. It returns the listpack and the number
// of entries removed.
func lpRemoveMatches(lp []byte, m *lpMatcher, skip, limit int) ([]byte, int) {
	n := lpLen(lp)
	removed := 0
	dst := lpHeaderSize
	for p := lpHeaderSize; lp[p] != lpEOF; {
		size := lpEntrySizeAt(lp, p)
		drop := false
		if (limit == 0 || removed < limit) && m.match(lp, p) {
			if skip > 0 {
				skip--
			} else {
				drop = true
				removed++
			}
		}
		if !drop {
			if dst != p {
				copy(lp[dst:], lp[p:p+size])
			}
			dst += size
		}
		p += size
	}
	lp[dst] = lpEOF
	lp = lp[:dst+1]
	lpSetHeader(lp, n-removed)
	return lpShrinkCap(lp), removed
}

// lpCountMatches counts the entries of lp that match.
func lpCountMatches(lp []byte, m *lpMatcher) int {
	c := 0
	for p := lpFirst(lp); p >= 0; p = lpNext(lp, p) {
		if m.match(lp, p) {
			c++
		}
	}
	return c
}

// List node size limits, as Redis's list-max-listpack-size sets them.
const (
	// nodeSafetyLimit caps the bytes of a node whose limit is a count of elements.
	nodeSafetyLimit = 8192
	// nodeInsertOverhead is what Redis adds to a value's length when it estimates
	// whether one more entry fits a node.
	nodeInsertOverhead = 8
	// quicklist fill bounds, as Redis clamps a new quicklist's setting.
	fillMin = -5
	fillMax = 1<<15 - 1
	// unlimited stands for "no limit" in nodeLimit.
	unlimited = int(^uint(0) >> 1)
)

// nodeSizeLevels are the byte limits of fill -1 to -5.
var nodeSizeLevels = [...]int{4096, 8192, 16384, 32768, 65536}

// nodeLimit turns a list-max-listpack-size value into a node's byte and element limits;
// exactly one of them is not unlimited.
func nodeLimit(fill int) (size, count int) {
	if fill >= 0 {
		return unlimited, max(fill, 1)
	}
	return nodeSizeLevels[min(-fill-1, len(nodeSizeLevels)-1)], unlimited
}

// nodeExceeds reports whether a node of size bytes holding count entries breaks the
// limit fill sets. A count limit comes with the safety limit on bytes.
func nodeExceeds(fill, size, count int) bool {
	sizeLimit, countLimit := nodeLimit(fill)
	if sizeLimit != unlimited {
		return size > sizeLimit
	}
	return size > nodeSafetyLimit || count > countLimit
}

// List is a list value, Object.Coll of a TypeList. Small lists are one listpack (the
// "listpack" encoding); past list-max-listpack-size they become a sequence of listpack
// nodes (the "quicklist" encoding), and back to one listpack when they shrink under half
// the limit, exactly where Redis 7.2 converts.
//
// Owner: the shard's loop. Invariants: count is the sum of the nodes' counts; a
// listpack-encoded list has exactly one node, which is empty only while the command that
// emptied it deletes the key; a quicklist has no empty node. Cost: one allocation per
// node of up to about 8 KB (the default), and nodes[lo:hi] is a slice with spare room at
// both ends, so pushes and pops at either end are amortized O(1); reaching index i costs
// O(nodes + entries of one node).
type List struct {
	nodes  [][]byte
	lo, hi int32
	// fill is the quicklist's node limit, list-max-listpack-size when it was created.
	fill int32
	// quick selects the quicklist encoding.
	quick bool
	count int
}

// newList returns an empty listpack-encoded list.
func newList() *List {
	return &List{nodes: [][]byte{lpNew(0)}, hi: 1}
}

// Len returns the number of elements.
func (l *List) Len() int { return l.count }

// Encoding returns the name OBJECT ENCODING reports.
func (l *List) Encoding() string {
	if l.quick {
		return "quicklist"
	}
	return "listpack"
}

// Clone returns a deep copy with the same encoding (COPY, and moves between shards).
func (l *List) Clone() any {
	c := &List{nodes: make([][]byte, l.hi-l.lo), hi: l.hi - l.lo, fill: l.fill, quick: l.quick, count: l.count}
	for i, n := range l.live() {
		c.nodes[i] = append([]byte(nil), n...)
	}
	return c
}

// live returns the nodes in order.
func (l *List) live() [][]byte { return l.nodes[l.lo:l.hi] }

// numNodes returns the number of nodes.
func (l *List) numNodes() int { return int(l.hi - l.lo) }

// node returns node i (0 is the head).
func (l *List) node(i int) []byte { return l.nodes[int(l.lo)+i] }

func (l *List) setNode(i int, lp []byte) { l.nodes[int(l.lo)+i] = lp }

// insertNode makes lp node i, shifting nodes i.. to the right. It moves the shorter
// side of i by one slot; when that side has no spare slot left, the nodes are first
// re-centered with n/2+1 free slots at each end, so that inserting at either end costs
// O(1) amortized.
func (l *List) insertNode(i int, lp []byte) {
	n := l.numNodes()
	front := i < n-i
	if (front && l.lo == 0) || (!front && int(l.hi) == len(l.nodes)) {
		room := n/2 + 1
		dst := l.nodes
		if len(dst) < n+2*room {
			dst = make([][]byte, n+2*room)
		}
		copy(dst[room:room+n], l.live())
		clear(dst[:room])
		clear(dst[room+n:])
		l.nodes, l.lo, l.hi = dst, int32(room), int32(room+n)
	}
	if front {
		l.lo--
		live := l.live()
		copy(live[:i], live[1:i+1])
	} else {
		l.hi++
		live := l.live()
		copy(live[i+1:], live[i:n])
	}
	l.setNode(i, lp)
}

// removeNode drops node i.
func (l *List) removeNode(i int) {
	n := l.numNodes()
	live := l.live()
	if i < n/2 {
		copy(live[1:i+1], live[:i])
		live[0] = nil
		l.lo++
	} else {
		copy(live[i:], live[i+1:])
		live[n-1] = nil
		l.hi--
	}
	if l.lo == l.hi {
		l.lo, l.hi = 0, 0
	}
	if cap(l.nodes) > 64 && l.numNodes() < cap(l.nodes)/4 {
		l.nodes = append(make([][]byte, 0, 2*l.numNodes()), l.live()...)
		l.lo, l.hi = 0, int32(len(l.nodes))
	}
}

// nodeAllowsInsert reports whether node lp may take one more entry of vlen bytes under
// the list's fill, as Redis estimates it.
func (l *List) nodeAllowsInsert(lp []byte, vlen int) bool {
	return !nodeExceeds(int(l.fill), len(lp)+vlen+nodeInsertOverhead, lpLen(lp)+1)
}

// nodesAllowMerge reports whether nodes a and b fit in one.
func (l *List) nodesAllowMerge(a, b []byte) bool {
	return !nodeExceeds(int(l.fill), len(a)+len(b)-lpOverhead, lpLen(a)+lpLen(b))
}

// growFor converts a listpack-encoded list to a quicklist before elements of addBytes
// bytes in all (their lengths, as Redis counts them) and addCount entries are added,
// when the result would break list-max-listpack-size fill.
func (l *List) growFor(fill, addBytes, addCount int) {
	if l.quick || !nodeExceeds(fill, len(l.node(0))+addBytes, l.count+addCount) {
		return
	}
	l.quick = true
	l.fill = int32(min(max(fill, fillMin), fillMax))
	if l.count == 0 {
		l.removeNode(0)
	}
}

// shrink converts a quicklist back to a listpack after elements were removed, when one
// node is left and it is within half of the list-max-listpack-size fill.
func (l *List) shrink(fill int) {
	if !l.quick || l.numNodes() != 1 {
		return
	}
	sizeLimit, countLimit := nodeLimit(fill)
	if len(l.node(0)) > sizeLimit/2 || l.count > countLimit/2 {
		return
	}
	l.quick = false
}

// push adds v at the head (left) or the tail.
func (l *List) push(v []byte, left bool) {
	l.count++
	n := l.numNodes()
	if !l.quick {
		lp := l.node(0)
		at := len(lp) - 1
		if left {
			at = lpHeaderSize
		}
		l.setNode(0, lpInsert(lp, at, lpLen(lp), v))
		return
	}
	i := n - 1
	if left {
		i = 0
	}
	if n > 0 && l.nodeAllowsInsert(l.node(i), len(v)) {
		lp := l.node(i)
		at := len(lp) - 1
		if left {
			at = lpHeaderSize
		}
		l.setNode(i, lpInsert(lp, at, lpLen(lp), v))
		return
	}
	lp := lpInsert(lpNew(l.endNodeRoom(n, v)), lpHeaderSize, 0, v)
	if left {
		l.insertNode(0, lp)
	} else {
		l.insertNode(n, lp)
	}
}

// endNodeRoom is the capacity, beyond the header, for a node that a push starts at an
// end of a quicklist of n nodes. A list that has grown to a few nodes is likely to keep
// growing at that end, so the node gets its whole byte limit at once: grown entry by
// entry it went through a dozen reallocations on the way to 8 KB, which allocated and
// copied five to six times the bytes it ended up holding.
func (l *List) endNodeRoom(n int, v []byte) int {
	need := lpEntrySize(v)
	if sizeLimit, _ := nodeLimit(int(l.fill)); sizeLimit != unlimited && n >= 4 {
		return max(need, sizeLimit-lpOverhead)
	}
	return need
}

// locate returns the node holding element i (0 <= i < count), i's position in it and
// the node's count, walking nodes from the nearer end.
func (l *List) locate(i int) (ni, off, n int) {
	if i < l.count/2 {
		for ni = 0; ; ni++ {
			n = lpLen(l.node(ni))
			if i < n {
				return ni, i, n
			}
			i -= n
		}
	}
	j := l.count - 1 - i // position counted from the tail
	for ni = l.numNodes() - 1; ; ni-- {
		n = lpLen(l.node(ni))
		if j < n {
			return ni, n - 1 - j, n
		}
		j -= n
	}
}

// deleteRange removes n elements starting at element start (0 <= start, start+n <=
// count), dropping nodes that become empty.
func (l *List) deleteRange(start, n int) {
	if n <= 0 {
		return
	}
	ni, off, cnt := l.locate(start)
	l.count -= n
	for n > 0 {
		k := min(n, cnt-off)
		n -= k
		lp := l.node(ni)
		if k == cnt && l.quick {
			l.removeNode(ni)
		} else {
			l.setNode(ni, lpDelete(lp, lpSeek(lp, off, cnt), k, cnt))
			ni++
		}
		if n > 0 {
			off, cnt = 0, lpLen(l.node(ni))
		}
	}
}

// set replaces element i (0 <= i < count) with v, in place as Redis 7.2 does even when
// the node grows past the fill.
func (l *List) set(i int, v []byte) {
	ni, off, cnt := l.locate(i)
	lp := l.node(ni)
	l.setNode(ni, lpReplace(lp, lpSeek(lp, off, cnt), cnt, v))
}

// insert adds v before (or, when after, after) element off of node ni, splitting and
// merging quicklist nodes as Redis does.
func (l *List) insert(ni, off int, v []byte, after bool) {
	l.count++
	lp := l.node(ni)
	cnt := lpLen(lp)
	at := func(lp []byte, off, cnt int) int {
		if after {
			if off == cnt-1 {
				return len(lp) - 1
			}
			return lpSeek(lp, off+1, cnt)
		}
		return lpSeek(lp, off, cnt)
	}
	if !l.quick {
		l.setNode(0, lpInsert(lp, at(lp, off, cnt), cnt, v))
		return
	}
	full := !l.nodeAllowsInsert(lp, len(v))
	atTail := after && off == cnt-1
	atHead := !after && off == 0
	availNext := atTail && ni+1 < l.numNodes() && l.nodeAllowsInsert(l.node(ni+1), len(v))
	availPrev := atHead && ni > 0 && l.nodeAllowsInsert(l.node(ni-1), len(v))
	switch {
	case !full:
		l.setNode(ni, lpInsert(lp, at(lp, off, cnt), cnt, v))
	case atTail && availNext:
		next := l.node(ni + 1)
		l.setNode(ni+1, lpInsert(next, lpHeaderSize, lpLen(next), v))
	case atHead && availPrev:
		prev := l.node(ni - 1)
		l.setNode(ni-1, lpInsert(prev, len(prev)-1, lpLen(prev), v))
	case atTail || atHead:
		fresh := lpInsert(lpNew(lpEntrySize(v)), lpHeaderSize, 0, v)
		if after {
			l.insertNode(ni+1, fresh)
		} else {
			l.insertNode(ni, fresh)
		}
	default:
		// Split the node at the pivot; the part on the side of the new element takes it.
		var keep, moved []byte
		if after {
			keep, moved = lpSplit(lp, off+1, cnt)
			moved = lpInsert(moved, lpHeaderSize, lpLen(moved), v)
			l.setNode(ni, keep)
			l.insertNode(ni+1, moved)
		} else {
			moved, keep = lpSplit(lp, off, cnt)
			moved = lpInsert(moved, len(moved)-1, lpLen(moved), v)
			l.setNode(ni, keep)
			l.insertNode(ni, moved)
			ni++
		}
		l.mergeAround(ni)
	}
}

// lpSplit splits lp (cnt entries) before entry at into two new listpacks.
func lpSplit(lp []byte, at, cnt int) (head, tail []byte) {
	p := lpHeaderSize
	if at == cnt {
		p = len(lp) - 1
	} else if at > 0 {
		p = lpSeek(lp, at, cnt)
	}
	head = lpNew(p - lpHeaderSize)
	head = append(head[:lpHeaderSize], lp[lpHeaderSize:p]...)
	head = append(head, lpEOF)
	lpSetHeader(head, at)
	tail = lpNew(len(lp) - p)
	tail = append(tail[:lpHeaderSize], lp[p:]...)
	lpSetHeader(tail, cnt-at)
	return head, tail
}

// mergeNodes joins node i+1 into node i.
func (l *List) mergeNodes(i int) {
	a, b := l.node(i), l.node(i+1)
	n := lpLen(a) + lpLen(b)
	var merged []byte
	if cap(a)-len(a) >= len(b)-lpOverhead || len(a) >= len(b) {
		merged = append(a[:len(a)-1], b[lpHeaderSize:]...)
	} else {
		size := len(a) - lpOverhead
		merged = b
		old := len(merged)
		if cap(merged)-old < size {
			merged = append(make([]byte, 0, growCap(old+size)), merged...)
		}
		merged = merged[:old+size]
		copy(merged[lpHeaderSize+size:], merged[lpHeaderSize:old])
		copy(merged[lpHeaderSize:], a[lpHeaderSize:len(a)-1])
	}
	lpSetHeader(merged, n)
	l.setNode(i, merged)
	l.removeNode(i + 1)
}

// mergeAround tries the merges Redis tries after splitting node center: the two nodes
// before it, the two after it, then center with its neighbours.
func (l *List) mergeAround(center int) {
	if center >= 2 && l.nodesAllowMerge(l.node(center-1), l.node(center-2)) {
		l.mergeNodes(center - 2)
		center--
	}
	if center+2 < l.numNodes() && l.nodesAllowMerge(l.node(center+1), l.node(center+2)) {
		l.mergeNodes(center + 1)
	}
	if center >= 1 && l.nodesAllowMerge(l.node(center), l.node(center-1)) {
		l.mergeNodes(center - 1)
		center--
	}
	if center+1 < l.numNodes() && l.nodesAllowMerge(l.node(center), l.node(center+1)) {
		l.mergeNodes(center)
	}
}

// removeMatches deletes elements equal to v: all of them when limit is 0, otherwise up
// to limit, the first ones from the head, or from the tail when fromTail. It returns how
// many went.
func (l *List) removeMatches(v []byte, limit int, fromTail bool) int {
	m := newMatcher(v)
	removed := 0
	process := func(ni int) (dropped bool) {
		lp := l.node(ni)
		want := 0 // 0: every match
		skip := 0
		if limit > 0 {
			want = limit - removed
			if fromTail {
				c := lpCountMatches(lp, &m)
				want = min(want, c)
				skip = c - want
			}
			if want == 0 {
				return false
			}
		}
		lp, k := lpRemoveMatches(lp, &m, skip, want)
		removed += k
		l.count -= k
		if k > 0 && lpLen(lp) == 0 && l.quick {
			l.removeNode(ni)
			return true
		}
		l.setNode(ni, lp)
		return false
	}
	if fromTail {
		for ni := l.numNodes() - 1; ni >= 0 && (limit == 0 || removed < limit); ni-- {
			process(ni)
		}
		return removed
	}
	for ni := 0; ni < l.numNodes() && (limit == 0 || removed < limit); {
		if !process(ni) {
			ni++
		}
	}
	return removed
}

// mustBeValid panics when l breaks its invariants: the encoding's shape, the count, and
// every node's header and terminator. It costs O(nodes); list writes call it when
// listChecks is on.
func (l *List) mustBeValid() {
	if !l.quick && l.numNodes() != 1 {
		panic(fmt.Sprintf("BUG: listpack-encoded list with %d nodes", l.numNodes()))
	}
	total := 0
	for i, lp := range l.live() {
		n := lpLen(lp)
		if int(binary.LittleEndian.Uint32(lp[0:4])) != len(lp) || lp[len(lp)-1] != lpEOF {
			panic(fmt.Sprintf("BUG: list node %d: header says %d bytes, has %d", i, binary.LittleEndian.Uint32(lp[0:4]), len(lp)))
		}
		if n == 0 && l.quick {
			panic(fmt.Sprintf("BUG: quicklist node %d is empty", i))
		}
		total += n
	}
	if total != l.count {
		panic(fmt.Sprintf("BUG: list count %d, nodes hold %d", l.count, total))
	}
}

// find returns the node holding the first element equal to m's value, and the
// element's index in that node.
func (l *List) find(m *lpMatcher) (ni, off int, ok bool) {
	for ni = 0; ni < l.numNodes(); ni++ {
		lp := l.node(ni)
		off = 0
		for p := lpFirst(lp); p >= 0; p = lpNext(lp, p) {
			if m.match(lp, p) {
				return ni, off, true
			}
			off++
		}
	}
	return 0, 0, false
}

// listIter walks a list in either direction. The values it returns alias the list (or
// the iterator's own number buffer): valid until the list changes or the iterator moves.
type listIter struct {
	l   *List
	ni  int // current node
	p   int // offset of the current entry in node ni; -1 past either end
	num [20]byte
}

// iterAt returns an iterator on element i (0 <= i < count).
func (l *List) iterAt(i int) listIter {
	ni, off, cnt := l.locate(i)
	return listIter{l: l, ni: ni, p: lpSeek(l.node(ni), off, cnt)}
}

// valid reports whether the iterator is on an element.
func (it *listIter) valid() bool { return it.p >= 0 }

// equal reports whether the current element equals m's value.
func (it *listIter) equal(m *lpMatcher) bool { return m.match(it.l.node(it.ni), it.p) }

// next returns the current element and moves toward the tail.
func (it *listIter) next() ([]byte, bool) {
	if it.p < 0 {
		return nil, false
	}
	lp := it.l.node(it.ni)
	str, n, isInt, size := lpDecode(lp, it.p)
	if isInt {
		str = strconv.AppendInt(it.num[:0], n, 10)
	}
	it.p += size + lpBacklenSize(size)
	if lp[it.p] == lpEOF {
		it.p = -1
		for it.p < 0 && it.ni+1 < it.l.numNodes() {
			it.ni++
			it.p = lpFirst(it.l.node(it.ni))
		}
	}
	return str, true
}

// prev returns the current element and moves toward the head.
func (it *listIter) prev() ([]byte, bool) {
	if it.p < 0 {
		return nil, false
	}
	lp := it.l.node(it.ni)
	str, n, isInt, _ := lpDecode(lp, it.p)
	if isInt {
		str = strconv.AppendInt(it.num[:0], n, 10)
	}
	it.p = lpPrev(lp, it.p)
	for it.p < 0 && it.ni > 0 {
		it.ni--
		it.p = lpLast(it.l.node(it.ni))
	}
	return str, true
}

// skip moves one element toward the tail, or toward the head when backward, without
// decoding the element.
func (it *listIter) skip(backward bool) {
	if it.p < 0 {
		return
	}
	lp := it.l.node(it.ni)
	if backward {
		it.p = lpPrev(lp, it.p)
		for it.p < 0 && it.ni > 0 {
			it.ni--
			it.p = lpLast(it.l.node(it.ni))
		}
		return
	}
	it.p = lpNext(lp, it.p)
	for it.p < 0 && it.ni+1 < it.l.numNodes() {
		it.ni++
		it.p = lpFirst(it.l.node(it.ni))
	}
}
