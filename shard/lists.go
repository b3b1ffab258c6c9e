package shard

import (
	"fmt"
	"math"

	"github.com/basaltdb/basalt/proto"
)

// List commands. The value type is List (list_encoding.go). Every handler here needs all
// of its keys on this shard; for LMOVE, RPOPLPUSH and LMPOP over several shards the
// coordinator composes the exported steps at the end of this file.
//
// Encodings follow Redis 7.2: a list starts as a listpack and becomes a quicklist before
// an addition would break list-max-listpack-size (checked once per command, with all the
// elements it adds, as Redis does); it turns back into a listpack when removals leave it
// one node within half the limit.

func init() {
	register("lpush", lpushCommand)
	register("rpush", rpushCommand)
	register("lpushx", lpushxCommand)
	register("rpushx", rpushxCommand)
	register("lpop", lpopCommand)
	register("rpop", rpopCommand)
	register("llen", llenCommand)
	register("lrange", lrangeCommand)
	register("lindex", lindexCommand)
	register("lset", lsetCommand)
	register("linsert", linsertCommand)
	register("lrem", lremCommand)
	register("ltrim", ltrimCommand)
	register("lpos", lposCommand)
	register("lmove", lmoveCommand)
	register("rpoplpush", rpoplpushCommand)
	register("lmpop", lmpopCommand)
}

// LPUSH key element [element ...]
func lpushCommand(s *Shard, a Args, w *proto.Writer) { s.pushCommand(a, true, false, w) }

// RPUSH key element [element ...]
func rpushCommand(s *Shard, a Args, w *proto.Writer) { s.pushCommand(a, false, false, w) }

// LPUSHX key element [element ...]
func lpushxCommand(s *Shard, a Args, w *proto.Writer) { s.pushCommand(a, true, true, w) }

// RPUSHX key element [element ...]
func rpushxCommand(s *Shard, a Args, w *proto.Writer) { s.pushCommand(a, false, true, w) }

// pushCommand is the four push commands: to the head when left, only onto an existing
// list when existing.
func (s *Shard) pushCommand(a Args, left, existing bool, w *proto.Writer) {
	l, ok := s.writeList(a[1], w)
	if !ok {
		return
	}
	if l == nil {
		if existing {
			w.Int(0)
			return
		}
		l = s.newListKey(a[1])
	}
	s.pushValues(l, a[2:], left)
	s.notify(NotifyList, listEvent(left, "lpush", "rpush"), a[1])
	w.Int(int64(l.Len()))
	s.listReady(a[1])
}

// LPOP key [count]
func lpopCommand(s *Shard, a Args, w *proto.Writer) { s.popCommand(a, true, w) }

// RPOP key [count]
func rpopCommand(s *Shard, a Args, w *proto.Writer) { s.popCommand(a, false, w) }

// popCommand is LPOP (left) and RPOP: one element as a bulk string, or with a count an
// array of up to count elements in the order they leave the list.
func (s *Shard) popCommand(a Args, left bool, w *proto.Writer) {
	if len(a) > 3 {
		name := "rpop"
		if left {
			name = "lpop"
		}
		w.Error(fmt.Sprintf(proto.ErrWrongArgsFmt, name))
		return
	}
	count := int64(-1) // no count: a single bulk reply
	if len(a) == 3 {
		n, ok := parseInt(a[2])
		if !ok || n < 0 {
			w.Error(proto.ErrMustBePositive)
			return
		}
		count = n
	}
	l, ok := s.writeList(a[1], w)
	if !ok {
		return
	}
	switch {
	case l == nil && count < 0:
		w.Null()
		return
	case l == nil:
		w.NullArray()
		return
	case count == 0:
		w.Array(0)
		return
	}
	n := 1
	if count > 0 {
		n = int(min(count, int64(l.Len())))
		w.Array(n)
	}
	s.popInto(w, l, left, n)
	s.notify(NotifyList, listEvent(left, "lpop", "rpop"), a[1])
	s.afterRemoval(a[1], l)
}

// popInto removes n elements (1 <= n <= length) from the head or tail of l and writes
// them as bulk strings in the order they leave.
func (s *Shard) popInto(w *proto.Writer, l *List, left bool, n int) {
	start := 0
	if !left {
		start = l.Len() - n
	}
	writeElements(w, l, left, n)
	l.deleteRange(start, n)
	s.dirty += int64(n)
}

// writeElements writes n elements of l as bulk strings, from the head forward when
// fromHead, else from the tail backward.
func writeElements(w *proto.Writer, l *List, fromHead bool, n int) {
	if fromHead {
		it := l.iterAt(0)
		for range n {
			v, _ := it.next()
			w.Bulk(v)
		}
		return
	}
	it := l.iterAt(l.Len() - 1)
	for range n {
		v, _ := it.prev()
		w.Bulk(v)
	}
}

// LLEN key
func llenCommand(s *Shard, a Args, w *proto.Writer) {
	l, ok := s.readList(a[1], w)
	switch {
	case !ok:
	case l == nil:
		w.Int(0)
	default:
		w.Int(int64(l.Len()))
	}
}

// LRANGE key start stop
func lrangeCommand(s *Shard, a Args, w *proto.Writer) {
	start, ok1 := parseInt(a[2])
	stop, ok2 := parseInt(a[3])
	if !ok1 || !ok2 {
		w.Error(proto.ErrNotInt)
		return
	}
	l, ok := s.readList(a[1], w)
	if !ok {
		return
	}
	if l == nil {
		w.Array(0)
		return
	}
	from, n := listRange(start, stop, l.Len())
	w.Array(n)
	if n == 0 {
		return
	}
	it := l.iterAt(from)
	for range n {
		v, _ := it.next()
		w.Bulk(v)
	}
}

// listRange resolves LRANGE's inclusive start and stop (negative ones count from the
// end) against a list of length: the first position and the number of elements.
func listRange(start, stop int64, length int) (from, n int) {
	ln := int64(length)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	start = max(start, 0)
	if start > stop || start >= ln {
		return 0, 0
	}
	stop = min(stop, ln-1)
	return int(start), int(stop - start + 1)
}

// listIndex resolves an index (negative counts from the end) against a list of length,
// reporting whether it is inside.
func listIndex(i int64, length int) (int, bool) {
	if i < 0 {
		i += int64(length)
	}
	if i < 0 || i >= int64(length) {
		return 0, false
	}
	return int(i), true
}

// LINDEX key index
func lindexCommand(s *Shard, a Args, w *proto.Writer) {
	l, ok := s.readList(a[1], w)
	if !ok {
		return
	}
	if l == nil {
		w.Null()
		return
	}
	idx, ok := parseInt(a[2])
	if !ok {
		w.Error(proto.ErrNotInt)
		return
	}
	i, ok := listIndex(idx, l.Len())
	if !ok {
		w.Null()
		return
	}
	it := l.iterAt(i)
	v, _ := it.next()
	w.Bulk(v)
}

// LSET key index element
func lsetCommand(s *Shard, a Args, w *proto.Writer) {
	l, ok := s.writeList(a[1], w)
	if !ok {
		return
	}
	if l == nil {
		w.Error(proto.ErrNoSuchKey)
		return
	}
	idx, ok := parseInt(a[2])
	if !ok {
		w.Error(proto.ErrNotInt)
		return
	}
	// Like Redis, make room for the new element before knowing that the index is valid:
	// a listpack may become a quicklist even when LSET fails.
	fill := s.listFill()
	l.growFor(fill, len(a[3]), 1)
	i, ok := listIndex(idx, l.Len())
	if !ok {
		w.Error(proto.ErrIndexRange)
		return
	}
	l.set(i, a[3])
	s.dirty++
	s.notify(NotifyList, "lset", a[1])
	l.shrink(fill)
	if listChecks {
		l.mustBeValid()
	}
	w.OK()
}

// LINSERT key BEFORE|AFTER pivot element
func linsertCommand(s *Shard, a Args, w *proto.Writer) {
	var after bool
	switch {
	case eqFold(a[2], "after"):
		after = true
	case eqFold(a[2], "before"):
	default:
		w.Error(proto.ErrSyntax)
		return
	}
	l, ok := s.writeList(a[1], w)
	if !ok {
		return
	}
	if l == nil {
		w.Int(0)
		return
	}
	// As in Redis, the encoding may change even when the pivot is missing.
	l.growFor(s.listFill(), len(a[4]), 1)
	m := newMatcher(a[3])
	ni, off, found := l.find(&m)
	if !found {
		w.Int(-1)
		return
	}
	l.insert(ni, off, a[4], after)
	s.dirty++
	s.notify(NotifyList, "linsert", a[1])
	if listChecks {
		l.mustBeValid()
	}
	w.Int(int64(l.Len()))
	s.listReady(a[1])
}

// LREM key count element
func lremCommand(s *Shard, a Args, w *proto.Writer) {
	count, ok := parseInt(a[2])
	if !ok {
		w.Error(proto.ErrNotInt)
		return
	}
	l, ok := s.writeList(a[1], w)
	if !ok {
		return
	}
	if l == nil {
		w.Int(0)
		return
	}
	fromTail := count < 0
	limit := count
	switch {
	case count == math.MinInt64:
		// Redis negates the count and gets the same number back: no limit.
		limit = 0
	case fromTail:
		limit = -count
	}
	removed := l.removeMatches(a[3], int(limit), fromTail)
	s.dirty += int64(removed)
	if removed > 0 {
		s.notify(NotifyList, "lrem", a[1])
		s.afterRemoval(a[1], l)
	}
	w.Int(int64(removed))
}

// LTRIM key start stop
func ltrimCommand(s *Shard, a Args, w *proto.Writer) {
	start, ok1 := parseInt(a[2])
	stop, ok2 := parseInt(a[3])
	if !ok1 || !ok2 {
		w.Error(proto.ErrNotInt)
		return
	}
	l, ok := s.writeList(a[1], w)
	if !ok {
		return
	}
	if l == nil {
		w.OK()
		return
	}
	length := l.Len()
	from, n := listRange(start, stop, length)
	if n == 0 {
		from = length
	}
	tail := length - from - n
	l.deleteRange(from+n, tail)
	l.deleteRange(0, from)
	// Redis signals the key as modified even when nothing was trimmed; a dirty count
	// of at least one makes WATCH see it too.
	s.dirty += int64(max(from+tail, 1))
	s.notify(NotifyList, "ltrim", a[1])
	s.afterRemoval(a[1], l)
	w.OK()
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
func lposCommand(s *Shard, a Args, w *proto.Writer) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(a); j++ {
		more := j+1 < len(a)
		switch {
		case eqFold(a[j], "rank") && more:
			j++
			r, ok := parseInt(a[j])
			switch {
			case !ok:
				w.Error(proto.ErrNotInt)
				return
			case r == math.MinInt64:
				w.Error(proto.ErrLposRankRange)
				return
			case r == 0:
				w.Error(proto.ErrLposRankZero)
				return
			}
			rank = r
		case eqFold(a[j], "count") && more:
			j++
			c, ok := parseInt(a[j])
			if !ok || c < 0 {
				w.Error(proto.ErrLposCountNeg)
				return
			}
			count = c
		case eqFold(a[j], "maxlen") && more:
			j++
			m, ok := parseInt(a[j])
			if !ok || m < 0 {
				w.Error(proto.ErrLposMaxlenNeg)
				return
			}
			maxlen = m
		default:
			w.Error(proto.ErrSyntax)
			return
		}
	}
	backward := rank < 0
	if backward {
		rank = -rank
	}
	l, ok := s.readList(a[1], w)
	if !ok {
		return
	}
	if l == nil {
		if count >= 0 {
			w.Array(0)
		} else {
			w.Null()
		}
		return
	}
	n := l.Len()
	start := 0
	if backward {
		start = n - 1
	}
	m := newMatcher(a[2])
	it := l.iterAt(start)
	var found [16]int64
	positions := found[:0]
	var matches int64
	for index := 0; it.valid() && (maxlen == 0 || int64(index) < maxlen); index++ {
		if it.equal(&m) {
			matches++
			if matches >= rank {
				pos := int64(index)
				if backward {
					pos = int64(n - 1 - index)
				}
				if count < 0 {
					w.Int(pos)
					return
				}
				positions = append(positions, pos)
				if count > 0 && matches-rank+1 >= count {
					break
				}
			}
		}
		it.skip(backward)
	}
	if count < 0 {
		w.Null()
		return
	}
	w.Array(len(positions))
	for _, p := range positions {
		w.Int(p)
	}
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
func lmoveCommand(s *Shard, a Args, w *proto.Writer) {
	fromLeft, ok1 := parseListEnd(a[3])
	toLeft, ok2 := parseListEnd(a[4])
	if !ok1 || !ok2 {
		w.Error(proto.ErrSyntax)
		return
	}
	s.moveElement(a[1], a[2], fromLeft, toLeft, w)
}

// RPOPLPUSH source destination
func rpoplpushCommand(s *Shard, a Args, w *proto.Writer) {
	s.moveElement(a[1], a[2], false, true, w)
}

// parseListEnd reads LEFT (true) or RIGHT.
func parseListEnd(b []byte) (left, ok bool) {
	switch {
	case eqFold(b, "left"):
		return true, true
	case eqFold(b, "right"):
		return false, true
	}
	return false, false
}

// moveElement pops an element from one end of src and pushes it onto one end of dst,
// which may be the same list, replying with the element.
func (s *Shard) moveElement(src, dst []byte, fromLeft, toLeft bool, w *proto.Writer) {
	from, ok := s.writeList(src, w)
	if !ok {
		return
	}
	if from == nil {
		w.Null()
		return
	}
	to, ok := s.writeList(dst, w)
	if !ok {
		return
	}
	var buf [64]byte
	pos := 0
	if !fromLeft {
		pos = from.Len() - 1
	}
	it := from.iterAt(pos)
	elem, _ := it.next()
	v := append(buf[:0], elem...)
	fromQuicklist := from.quick
	from.deleteRange(pos, 1)
	if to == nil {
		to = s.newListKey(dst)
	}
	// Redis pops an integer out of a quicklist as an integer object, which its
	// conversion check does not count in bytes.
	added := len(v)
	if _, isInt := proto.ParseInt(v); isInt && fromQuicklist {
		added = 0
	}
	to.growFor(s.listFill(), added, 1)
	to.push(v, toLeft)
	w.Bulk(v)
	s.dirty++
	s.notify(NotifyList, listEvent(toLeft, "lpush", "rpush"), dst)
	s.notify(NotifyList, listEvent(fromLeft, "lpop", "rpop"), src)
	s.afterRemoval(src, from)
	s.listReady(dst)
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
func lmpopCommand(s *Shard, a Args, w *proto.Writer) {
	keys, left, count, errMsg := ParseListMPop(a, 1)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	for _, key := range keys {
		l, ok := s.writeList(key, w)
		if !ok {
			return
		}
		if l == nil || l.Len() == 0 {
			continue
		}
		n := min(count, l.Len())
		w.Array(2)
		w.Bulk(key)
		w.Array(n)
		s.popInto(w, l, left, n)
		s.notify(NotifyList, listEvent(left, "lpop", "rpop"), key)
		s.afterRemoval(key, l)
		return
	}
	w.NullArray()
}

// ParseListMPop parses the arguments of LMPOP (numkeys at index 1) and BLMPOP (at
// index 2): numkeys key [key ...] LEFT|RIGHT [COUNT count]. keys alias a. On a bad
// argument errMsg is Redis's error text; the checks run in Redis's order.
func ParseListMPop(a Args, numkeysAt int) (keys [][]byte, left bool, count int, errMsg string) {
	numkeys, ok := parseInt(a[numkeysAt])
	if !ok || numkeys <= 0 {
		return nil, false, 0, proto.ErrNumkeysPositive
	}
	endAt := int64(numkeysAt) + numkeys + 1
	if numkeys >= int64(len(a)) || endAt >= int64(len(a)) {
		return nil, false, 0, proto.ErrSyntax
	}
	if left, ok = parseListEnd(a[endAt]); !ok {
		return nil, false, 0, proto.ErrSyntax
	}
	count = -1
	for j := int(endAt) + 1; j < len(a); j++ {
		if count == -1 && eqFold(a[j], "count") && j+1 < len(a) {
			j++
			c, ok := parseInt(a[j])
			if !ok || c <= 0 {
				return nil, false, 0, proto.ErrCountPositive
			}
			count = int(c)
			continue
		}
		return nil, false, 0, proto.ErrSyntax
	}
	if count == -1 {
		count = 1
	}
	return a[numkeysAt+1 : endAt], left, count, ""
}

// readList looks key up for a read command on a list: l is nil when the key does not
// exist. On a value of another type it writes WRONGTYPE and returns false.
func (s *Shard) readList(key []byte, w *proto.Writer) (l *List, ok bool) {
	return lookupColl[*List](s, key, TypeList, true, w)
}

// writeList is readList for write commands (no hit or miss is counted).
func (s *Shard) writeList(key []byte, w *proto.Writer) (l *List, ok bool) {
	return lookupColl[*List](s, key, TypeList, false, w)
}

// listFill is list-max-listpack-size.
func (s *Shard) listFill() int { return int(s.Settings.ListMaxListpackSize.Load()) }

// newListKey stores an empty list under key, which must not exist, and returns it. The
// caller adds elements before the command ends.
func (s *Shard) newListKey(key []byte) *List {
	l := newList()
	s.db.insert(key, Object{Type: TypeList, Coll: l, Access: s.clock()})
	s.notify(NotifyNew, "new", key)
	return l
}

// pushValues adds vals to l one by one at the head (left) or the tail, converting the
// encoding first when they would not fit a listpack.
func (s *Shard) pushValues(l *List, vals [][]byte, left bool) {
	size := 0
	for _, v := range vals {
		size += len(v)
	}
	l.growFor(s.listFill(), size, len(vals))
	for _, v := range vals {
		l.push(v, left)
	}
	s.dirty += int64(len(vals))
	if listChecks {
		l.mustBeValid()
	}
}

// afterRemoval deletes key when elements were removed from its list l and none is left,
// or else lets l go back to a listpack.
func (s *Shard) afterRemoval(key []byte, l *List) {
	if l.Len() > 0 {
		l.shrink(s.listFill())
		if listChecks {
			l.mustBeValid()
		}
		return
	}
	if i, ok := s.db.find(key); ok {
		s.db.removeAt(i)
		s.notify(NotifyGeneric, "del", key)
	}
}

// listReady tells the Ready hook that the list (or sorted set) at key gained elements.
func (s *Shard) listReady(key []byte) { s.readyIn(s.db, key) }

// readyIn tells the Ready hook that key in database d holds a value that blocked pops
// may take: elements pushed, or a whole value renamed, copied or moved into place (the
// waiters check the type).
func (s *Shard) readyIn(d *DB, key []byte) {
	if s.Ready == nil {
		return
	}
	if i, ok := d.find(key); ok {
		s.Ready(s.dbNumber(d), d.at(i).key)
	}
}

// The per-shard steps of list commands whose keys span shards (LMOVE, RPOPLPUSH, LMPOP)
// and of the blocking pops. Like everything in Shard they run on the shard's loop,
// after Begin selected the database.

// ListPop removes up to count (>= 1) elements from the head (left) or the tail of the
// list at key and returns copies, in the order they left the list. exists is false when
// there is no such key; wrongType is true, and nothing changes, when the key holds
// another type. A list left empty is deleted. Costs one allocation for all the values.
func (s *Shard) ListPop(key []byte, left bool, count int) (vals [][]byte, exists, wrongType bool) {
	e, found := s.write(key)
	if !found {
		return nil, false, false
	}
	if e.Type != TypeList {
		return nil, true, true
	}
	l := e.Coll.(*List)
	n := min(max(count, 1), l.Len())
	if n == 0 {
		return nil, true, false
	}
	vals = make([][]byte, n)
	size := 0
	it := s.listEndIter(l, left)
	for range n {
		size += len(iterStep(&it, left))
	}
	buf := make([]byte, 0, size)
	it = s.listEndIter(l, left)
	for i := range n {
		v := iterStep(&it, left)
		buf = append(buf, v...)
		vals[i] = buf[len(buf)-len(v) : len(buf) : len(buf)]
	}
	start := 0
	if !left {
		start = l.Len() - n
	}
	l.deleteRange(start, n)
	s.dirty += int64(n)
	s.notify(NotifyList, listEvent(left, "lpop", "rpop"), key)
	s.afterRemoval(key, l)
	return vals, true, false
}

// listEndIter returns an iterator on the head (left) or tail element of a non-empty l.
func (s *Shard) listEndIter(l *List, left bool) listIter {
	if left {
		return l.iterAt(0)
	}
	return l.iterAt(l.Len() - 1)
}

// iterStep returns the iterator's element and moves it away from the end it started at.
func iterStep(it *listIter, fromHead bool) []byte {
	var v []byte
	if fromHead {
		v, _ = it.next()
	} else {
		v, _ = it.prev()
	}
	return v
}

// ListPush adds vals at the head (left, each in turn, as LPUSH does) or the tail of the
// list at key, creating it when missing, and returns the new length. wrongType is true,
// and nothing changes, when the key holds another type. The values are copied. It calls
// the Ready hook.
func (s *Shard) ListPush(key []byte, left bool, vals [][]byte) (length int64, wrongType bool) {
	e, found := s.write(key)
	var l *List
	switch {
	case !found:
		if len(vals) == 0 {
			return 0, false
		}
		l = s.newListKey(key)
	case e.Type != TypeList:
		return 0, true
	default:
		l = e.Coll.(*List)
	}
	s.pushValues(l, vals, left)
	if len(vals) > 0 {
		s.notify(NotifyList, listEvent(left, "lpush", "rpush"), key)
		s.listReady(key)
	}
	return int64(l.Len()), false
}

// ListMove is LMOVE on this shard for a served BLMOVE or BRPOPLPUSH: it moves one
// element from src to dst and writes the element, or WRONGTYPE, as LMOVE answers.
func (s *Shard) ListMove(src, dst []byte, fromLeft, toLeft bool, w *proto.Writer) {
	s.moveElement(src, dst, fromLeft, toLeft, w)
}

// ListLen returns the length of the list at key, 0 when there is no such key.
// wrongType is true when the key holds another type. It counts no hit or miss.
func (s *Shard) ListLen(key []byte) (n int64, wrongType bool) {
	i, ok := s.lookup(key)
	if !ok {
		return 0, false
	}
	e := s.db.at(i)
	if e.Type != TypeList {
		return 0, true
	}
	return int64(e.Coll.(*List).Len()), false
}

// IsList reports whether key exists and whether its value is a list.
func (s *Shard) IsList(key []byte) (exists, isList bool) {
	i, ok := s.lookup(key)
	if !ok {
		return false, false
	}
	return true, s.db.at(i).Type == TypeList
}
