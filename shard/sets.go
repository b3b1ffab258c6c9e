package shard

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/basaltdb/basalt/proto"
)

// Set commands. The value type is Set (set_encoding.go). Every handler here needs all
// of its keys on this shard; for SMOVE, the algebra commands and SINTERCARD over several
// shards the coordinator composes the exported steps at the end of this file with the
// pure functions CombineSets and InterCard.

func init() {
	register("sadd", saddCommand)
	register("srem", sremCommand)
	register("scard", scardCommand)
	register("sismember", sismemberCommand)
	register("smismember", smismemberCommand)
	register("smembers", smembersCommand)
	register("spop", spopCommand)
	register("srandmember", srandmemberCommand)
	register("smove", smoveCommand)
	register("sinter", sinterCommand)
	register("sunion", sunionCommand)
	register("sdiff", sdiffCommand)
	register("sinterstore", sinterstoreCommand)
	register("sunionstore", sunionstoreCommand)
	register("sdiffstore", sdiffstoreCommand)
	register("sintercard", sintercardCommand)
	register("sscan", sscanCommand)
}

// SADD key member [member ...]
func saddCommand(s *Shard, a Args, w *proto.Writer) {
	st, ok := s.writeSet(a[1], w)
	if !ok {
		return
	}
	w.Int(int64(s.addMembers(a[1], st, a[2:])))
}

// notifyAdded reports SADD's event when members were added.
func (s *Shard) notifyAdded(key []byte, added int) int {
	if added > 0 {
		s.notify(NotifySet, "sadd", key)
	}
	return added
}

// addMembers adds members to st, the set at key, or to a new set stored there when st
// is nil, and returns how many were new. As Redis 7.2 does, the number of arguments
// picks a new set's encoding, and converts an existing small set up front when they
// cannot all fit.
func (s *Shard) addMembers(key []byte, st *Set, members [][]byte) int {
	lim := s.setLimits()
	if st == nil {
		st = newSetFor(members[0], len(members), lim)
		s.db.insert(key, Object{Type: TypeSet, Coll: st, Access: s.clock()})
		s.notify(NotifyNew, "new", key)
	} else if (st.enc == setListpack && len(members) > lim.listpackEntries) ||
		(st.enc == setIntset && len(members) > lim.intsetEntries) {
		st.convert(setHashtable, len(members))
	}
	added := 0
	for _, m := range members {
		if st.add(m, lim) {
			added++
		}
	}
	s.dirty += int64(added)
	if listChecks {
		st.mustBeValid()
	}
	return s.notifyAdded(key, added)
}

// SREM key member [member ...]
func sremCommand(s *Shard, a Args, w *proto.Writer) {
	st, ok := s.writeSet(a[1], w)
	if !ok {
		return
	}
	if st == nil {
		w.Int(0)
		return
	}
	s.removeEach(a[1], a[2:], st.remove, st.Len, NotifySet, "srem", w)
	s.afterSetRemoval(a[1], st)
}

// SCARD key
func scardCommand(s *Shard, a Args, w *proto.Writer) {
	st, ok := s.readSet(a[1], w)
	switch {
	case !ok:
	case st == nil:
		w.Int(0)
	default:
		w.Int(int64(st.Len()))
	}
}

// SISMEMBER key member
func sismemberCommand(s *Shard, a Args, w *proto.Writer) {
	st, ok := s.readSet(a[1], w)
	switch {
	case !ok:
	case st != nil && st.contains(a[2]):
		w.Int(1)
	default:
		w.Int(0)
	}
}

// SMISMEMBER key member [member ...]
func smismemberCommand(s *Shard, a Args, w *proto.Writer) {
	st, ok := s.readSet(a[1], w)
	if !ok {
		return
	}
	w.Array(len(a) - 2)
	for _, m := range a[2:] {
		if st != nil && st.contains(m) {
			w.Int(1)
		} else {
			w.Int(0)
		}
	}
}

// SMEMBERS key
func smembersCommand(s *Shard, a Args, w *proto.Writer) {
	st, ok := s.readSet(a[1], w)
	if ok {
		WriteSet(w, st)
	}
}

// WriteSet writes the members of st (nil: no members) as a set reply: an array in
// RESP2, a set in RESP3.
func WriteSet(w *proto.Writer, st *Set) {
	if st == nil {
		w.Set(0)
		return
	}
	w.Set(st.Len())
	st.each(func(m []byte) bool {
		w.Bulk(m)
		return true
	})
}

// SPOP key [count]
func spopCommand(s *Shard, a Args, w *proto.Writer) {
	switch {
	case len(a) > 3:
		w.Error(proto.ErrSyntax)
		return
	case len(a) == 3:
		s.spopCount(a, w)
		return
	}
	st, ok := s.writeSet(a[1], w)
	if !ok {
		return
	}
	if st == nil {
		w.Null()
		return
	}
	var buf [64]byte
	i := st.randomIndex()
	m := st.appendAt(buf[:0], i)
	w.Bulk(m)
	// A random pop is replayed as the removal of what it popped.
	s.Propagate([]byte("SREM"), a[1], m)
	st.removeIndex(i)
	s.dirty++
	s.notify(NotifySet, "spop", a[1])
	s.afterSetRemoval(a[1], st)
}

// spopMoveFactor decides SPOP's strategy with a count, as Redis's does: when the
// members left would be fewer than count/spopMoveFactor, the set is rebuilt from the
// members that stay instead of removing the popped ones one by one.
const spopMoveFactor = 5

// spopCount is SPOP key count: a set reply of up to count distinct random members.
func (s *Shard) spopCount(a Args, w *proto.Writer) {
	count, ok := parseInt(a[2])
	if !ok || count < 0 {
		w.Error(proto.ErrMustBePositive)
		return
	}
	st, ok := s.writeSet(a[1], w)
	if !ok {
		return
	}
	if st == nil || count == 0 {
		w.Set(0)
		return
	}
	size := st.Len()
	if count >= int64(size) {
		WriteSet(w, st)
		s.dirty += int64(size)
		s.remove(a[1])
		s.Propagate([]byte("DEL"), a[1])
		s.notify(NotifySet, "spop", a[1])
		s.notify(NotifyGeneric, "del", a[1])
		return
	}
	journal := s.Journaling()
	srem := [][]byte{[]byte("SREM"), a[1]}
	n := int(count)
	s.dirty += int64(n)
	s.notify(NotifySet, "spop", a[1])
	w.Set(n)
	var buf []byte
	remaining := size - n
	if remaining*spopMoveFactor > n {
		for range n {
			i := st.randomIndex()
			buf = st.appendAt(buf[:0], i)
			w.Bulk(buf)
			if journal {
				srem = append(srem, Own(buf))
			}
			st.removeIndex(i)
		}
		if journal {
			s.Propagate(srem...)
		}
		return
	}
	// Few members stay: move them to a new set, reply with what is left in the old one.
	// As in Redis 7.2, the new set of a hashtable starts as a listpack.
	var kept *Set
	switch st.enc {
	case setIntset:
		kept = &Set{enc: setIntset}
	default:
		kept = &Set{enc: setListpack, lp: lpNew(0)}
	}
	lim := s.setLimits()
	for range remaining {
		i := st.randomIndex()
		buf = st.appendAt(buf[:0], i)
		kept.add(buf, lim)
		st.removeIndex(i)
	}
	st.each(func(m []byte) bool {
		w.Bulk(m)
		if journal {
			srem = append(srem, Own(m))
		}
		return true
	})
	if journal {
		s.Propagate(srem...)
	}
	if i, found := s.db.find(a[1]); found {
		s.db.at(i).Coll = kept
	}
}

// SRANDMEMBER key [count]
func srandmemberCommand(s *Shard, a Args, w *proto.Writer) {
	switch {
	case len(a) > 3:
		w.Error(proto.ErrSyntax)
		return
	case len(a) == 3:
		s.srandmemberCount(a, w)
		return
	}
	st, ok := s.readSet(a[1], w)
	if !ok {
		return
	}
	if st == nil {
		w.Null()
		return
	}
	var buf [64]byte
	w.Bulk(st.appendAt(buf[:0], st.randomIndex()))
}

// srandmemberCount is SRANDMEMBER key count: an array of count distinct members (all of
// them when count is at least the size), or with a negative count of -count members
// drawn independently.
func (s *Shard) srandmemberCount(a Args, w *proto.Writer) {
	count, ok := parseInt(a[2])
	switch {
	case !ok:
		w.Error(proto.ErrNotInt)
		return
	case count == math.MinInt64:
		w.Error(proto.ErrLposRankRange)
		return
	}
	st, ok := s.readSet(a[1], w)
	if !ok {
		return
	}
	if st == nil || count == 0 {
		w.Array(0)
		return
	}
	size := st.Len()
	var buf []byte
	switch {
	case count < 0:
		w.Array(int(-count))
		for range -count {
			buf = st.appendAt(buf[:0], st.randomIndex())
			w.Bulk(buf)
		}
	case count >= int64(size):
		w.Array(size)
		st.each(func(m []byte) bool {
			w.Bulk(m)
			return true
		})
	case count*3 > int64(size):
		// Many of the members: a partial shuffle of all positions.
		w.Array(int(count))
		perm := rand.Perm(size)
		for _, i := range perm[:count] {
			buf = st.appendAt(buf[:0], i)
			w.Bulk(buf)
		}
	default:
		w.Array(int(count))
		picked := make(map[int]struct{}, count)
		for len(picked) < int(count) {
			i := st.randomIndex()
			if _, dup := picked[i]; dup {
				continue
			}
			picked[i] = struct{}{}
			buf = st.appendAt(buf[:0], i)
			w.Bulk(buf)
		}
	}
}

// SMOVE source destination member
func smoveCommand(s *Shard, a Args, w *proto.Writer) {
	src, srcExists, srcWrong := s.setAt(a[1])
	dst, _, dstWrong := s.setAt(a[2])
	switch {
	case !srcExists:
		w.Int(0)
		return
	case srcWrong || dstWrong:
		w.Error(proto.ErrWrongType)
		return
	case src == dst:
		if src.contains(a[3]) {
			w.Int(1)
		} else {
			w.Int(0)
		}
		return
	}
	if !src.remove(a[3]) {
		w.Int(0)
		return
	}
	s.dirty++
	s.notify(NotifySet, "srem", a[1])
	s.afterSetRemoval(a[1], src)
	if s.addMembers(a[2], dst, a[3:4]) == 0 {
		s.unchanged = a[2]
	}
	w.Int(1)
}

// setAt looks key up for a write: the set (nil when missing), whether the key exists and
// whether it holds another type.
func (s *Shard) setAt(key []byte) (st *Set, exists, wrongType bool) {
	e, found := s.write(key)
	if !found {
		return nil, false, false
	}
	if e.Type != TypeSet {
		return nil, true, true
	}
	return e.Coll.(*Set), true, false
}

// SetOp is a set algebra operation.
type SetOp uint8

// The operations of SINTER, SUNION and SDIFF.
const (
	SetInter SetOp = iota
	SetUnion
	SetDiff
)

// SINTER key [key ...]
func sinterCommand(s *Shard, a Args, w *proto.Writer) { s.algebraCommand(SetInter, a[1:], nil, w) }

// SUNION key [key ...]
func sunionCommand(s *Shard, a Args, w *proto.Writer) { s.algebraCommand(SetUnion, a[1:], nil, w) }

// SDIFF key [key ...]
func sdiffCommand(s *Shard, a Args, w *proto.Writer) { s.algebraCommand(SetDiff, a[1:], nil, w) }

// SINTERSTORE destination key [key ...]
func sinterstoreCommand(s *Shard, a Args, w *proto.Writer) {
	s.algebraCommand(SetInter, a[2:], a[1], w)
}

// SUNIONSTORE destination key [key ...]
func sunionstoreCommand(s *Shard, a Args, w *proto.Writer) {
	s.algebraCommand(SetUnion, a[2:], a[1], w)
}

// SDIFFSTORE destination key [key ...]
func sdiffstoreCommand(s *Shard, a Args, w *proto.Writer) {
	s.algebraCommand(SetDiff, a[2:], a[1], w)
}

// algebraCommand computes op over the sets at keys and replies with the members, or,
// with a destination, stores them there and replies with their number.
func (s *Shard) algebraCommand(op SetOp, keys [][]byte, dst []byte, w *proto.Writer) {
	sets, ok := s.setsAt(keys, w)
	if !ok {
		return
	}
	res := CombineSets(op, sets, s.Settings)
	if dst == nil {
		WriteSet(w, res)
		return
	}
	n := s.SetStore(dst, res)
	if n > 0 {
		s.notify(NotifySet, SetStoreEvent(op), dst)
	}
	w.Int(int64(n))
}

// setsAt looks up the sets at keys (nil for a missing key) for a read, writing
// WRONGTYPE and returning false when one holds another type.
func (s *Shard) setsAt(keys [][]byte, w *proto.Writer) ([]*Set, bool) {
	sets := make([]*Set, len(keys))
	for i, k := range keys {
		st, ok := s.readSet(k, w)
		if !ok {
			return nil, false
		}
		sets[i] = st
	}
	return sets, true
}

// CombineSets returns a new set holding the intersection, union or difference (the
// first set's members that no other has) of sets, where nil stands for a missing key,
// or nil when the result is empty. The result's encoding follows the thresholds in
// settings, as a set built by adding its members one by one would. It reads sets only,
// so it may run on any goroutine that owns them.
func CombineSets(op SetOp, sets []*Set, settings *Settings) *Set {
	lim := setLimits{
		intsetEntries:   int(min(settings.SetMaxIntsetEntries.Load(), 1<<30)),
		listpackEntries: int(settings.SetMaxListpackEntries.Load()),
		listpackValue:   int(settings.SetMaxListpackValue.Load()),
	}
	res := &Set{enc: setIntset}
	switch op {
	case SetInter:
		interEach(sets, func(m []byte) bool {
			res.add(m, lim)
			return true
		})
	case SetUnion:
		for _, st := range sets {
			if st == nil {
				continue
			}
			st.each(func(m []byte) bool {
				res.add(m, lim)
				return true
			})
		}
	case SetDiff:
		if sets[0] == nil {
			break
		}
		sets[0].each(func(m []byte) bool {
			for _, other := range sets[1:] {
				if other != nil && other.contains(m) {
					return true
				}
			}
			res.add(m, lim)
			return true
		})
	}
	if res.Len() == 0 {
		return nil
	}
	return res
}

// interEach calls emit with every member common to all sets (none when one is nil),
// walking the smallest, until emit returns false.
func interEach(sets []*Set, emit func(m []byte) bool) {
	smallest := -1
	for i, st := range sets {
		if st == nil {
			return
		}
		if smallest < 0 || st.Len() < sets[smallest].Len() {
			smallest = i
		}
	}
	if smallest < 0 {
		return
	}
	first := sets[smallest]
	first.each(func(m []byte) bool {
		for _, other := range sets {
			if other != first && !other.contains(m) {
				return true
			}
		}
		return emit(m)
	})
}

// InterCard returns the number of members common to all sets (nil stands for a missing
// key), counting no further than limit when limit > 0.
func InterCard(sets []*Set, limit int) int {
	n := 0
	interEach(sets, func([]byte) bool {
		n++
		return limit <= 0 || n < limit
	})
	return n
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]
func sintercardCommand(s *Shard, a Args, w *proto.Writer) {
	keys, limit, errMsg := ParseInterCard(a)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	sets, ok := s.setsAt(keys, w)
	if !ok {
		return
	}
	w.Int(int64(InterCard(sets, limit)))
}

// ParseInterCard parses SINTERCARD numkeys key [key ...] [LIMIT limit]. keys alias a.
// On a bad argument errMsg is Redis's error text; the checks run in Redis's order.
func ParseInterCard(a Args) (keys [][]byte, limit int, errMsg string) {
	numkeys, ok := parseInt(a[1])
	if !ok || numkeys <= 0 {
		return nil, 0, proto.ErrNumkeysPositive
	}
	if numkeys > int64(len(a)-2) {
		return nil, 0, proto.ErrNumkeysOverArgs
	}
	end := 2 + int(numkeys)
	for j := end; j < len(a); j++ {
		if eqFold(a[j], "limit") && j+1 < len(a) {
			j++
			l, ok := parseInt(a[j])
			if !ok || l < 0 {
				return nil, 0, proto.ErrLimitNegative
			}
			limit = int(min(l, math.MaxInt))
			continue
		}
		return nil, 0, proto.ErrSyntax
	}
	return a[2:end], limit, ""
}

// SSCAN key cursor [MATCH pattern] [COUNT count]
//
// The cursor is read by parseScanCursor (hashes.go).
//
// Small encodings (intset, listpack) return every member and cursor 0 at once, as
// Redis does. A hashtable is walked by position from high to low like SCAN (see
// Shard.Scan): the cursor is the number of positions left plus one.
func sscanCommand(s *Shard, a Args, w *proto.Writer) {
	cursor, ok := parseScanCursor(a[2])
	if !ok {
		w.Error(proto.ErrCursor)
		return
	}
	st, ok := s.readSet(a[1], w)
	if !ok {
		return
	}
	if st == nil {
		w.Array(2)
		w.BulkString("0")
		w.Array(0)
		return
	}
	count, pattern, errMsg := parseScanOptions(a, 3)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	var found [][]byte
	next := uint64(0)
	if st.enc != setHashtable {
		st.each(func(m []byte) bool {
			if pattern == nil || Match(pattern, m, false) {
				found = append(found, Own(m))
			}
			return true
		})
	} else {
		left := len(st.members)
		if cursor != 0 && cursor-1 < uint64(left) {
			left = int(cursor - 1)
		}
		for ; left > 0 && count > 0; count-- {
			left--
			m := st.members[left]
			if pattern == nil || match(pattern, m, false) {
				found = append(found, []byte(m))
			}
		}
		if left > 0 {
			next = uint64(left) + 1
		}
	}
	w.Array(2)
	var num [20]byte
	w.Bulk(strconv.AppendUint(num[:0], next, 10))
	w.Array(len(found))
	for _, m := range found {
		w.Bulk(m)
	}
}

// readSet looks key up for a read command on a set: st is nil when the key does not
// exist. On a value of another type it writes WRONGTYPE and returns false.
func (s *Shard) readSet(key []byte, w *proto.Writer) (st *Set, ok bool) {
	return lookupColl[*Set](s, key, TypeSet, true, w)
}

// writeSet is readSet for write commands (no hit or miss is counted).
func (s *Shard) writeSet(key []byte, w *proto.Writer) (st *Set, ok bool) {
	return lookupColl[*Set](s, key, TypeSet, false, w)
}

// afterSetRemoval deletes key when members were removed from its set st and none is
// left.
func (s *Shard) afterSetRemoval(key []byte, st *Set) {
	if listChecks {
		st.mustBeValid()
	}
	if st.Len() > 0 {
		return
	}
	if i, ok := s.db.find(key); ok {
		s.db.removeAt(i)
		s.notify(NotifyGeneric, "del", key)
	}
}

// The per-shard steps of set commands whose keys span shards (SMOVE, SINTER, SUNION,
// SDIFF and their STORE forms, SINTERCARD). Like everything in Shard they run on the
// shard's loop, after Begin selected the database.

// SetClone returns a copy of the set at key, which the caller owns, or nil when there
// is no such key. wrongType is true when the key holds another type. It counts a hit or
// a miss. Costs a copy of the whole set.
func (s *Shard) SetClone(key []byte) (st *Set, wrongType bool) {
	e, found := s.read(key)
	if !found {
		return nil, false
	}
	if e.Type != TypeSet {
		return nil, true
	}
	return e.Coll.(*Set).clone(), false
}

// SetStore stores st under key, replacing any value and its TTL, and returns its size.
// The shard takes ownership of st. A nil or empty st deletes key instead.
func (s *Shard) SetStore(key []byte, st *Set) int {
	if st == nil || st.Len() == 0 {
		if s.remove(key) {
			s.notify(NotifyGeneric, "del", key)
		}
		return 0
	}
	s.put(key, Object{Type: TypeSet, Coll: st})
	return st.Len()
}

// SetCheck reports whether key exists and whether it holds another type than a set.
func (s *Shard) SetCheck(key []byte) (exists, wrongType bool) {
	_, exists, wrongType = s.setAt(key)
	return exists, wrongType
}

// SetRemove removes member from the set at key, deleting the key when it empties, and
// reports whether it was there. wrongType is true, and nothing changes, when the key
// holds another type.
func (s *Shard) SetRemove(key, member []byte) (removed, wrongType bool) {
	st, _, wrongType := s.setAt(key)
	if st == nil {
		return false, wrongType
	}
	if !st.remove(member) {
		return false, false
	}
	s.dirty++
	s.notify(NotifySet, "srem", key)
	s.afterSetRemoval(key, st)
	return true, false
}

// SetAdd adds members (at least one) to the set at key as SADD does, creating it when
// missing, and returns how many were new. wrongType is true, and nothing changes, when
// the key holds another type. The members are copied.
func (s *Shard) SetAdd(key []byte, members [][]byte) (added int, wrongType bool) {
	st, _, wrongType := s.setAt(key)
	if wrongType {
		return 0, true
	}
	return s.addMembers(key, st, members), false
}
