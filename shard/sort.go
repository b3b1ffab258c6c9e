package shard

// The per-shard steps of SORT and SORT_RO. The command runs on the client's loop (its
// BY and GET patterns name keys on any shard); it reads the source, the pattern keys
// and writes a STORE destination through these. Like everything in Shard they run on
// the shard's loop, after Begin selected the database.

// SortSource returns copies of the elements of the list, set or sorted set at key, in
// the value's own order: list order, the set's encoding order, or ascending score. It
// returns nil when there is no such key; wrongType is true when the key holds another
// type. isSet is true for a set. It counts a hit or a miss. Costs one allocation for
// all the elements and one for the slice.
func (s *Shard) SortSource(key []byte) (elems [][]byte, isSet, wrongType bool) {
	e, found := s.read(key)
	if !found {
		return nil, false, false
	}
	var buf []byte
	var ends []int
	add := func(v []byte) {
		buf = append(buf, v...)
		ends = append(ends, len(buf))
	}
	switch e.Type {
	case TypeList:
		l := e.Coll.(*List)
		if l.Len() > 0 {
			it := l.iterAt(0)
			for range l.Len() {
				v, _ := it.next()
				add(v)
			}
		}
	case TypeSet:
		isSet = true
		e.Coll.(*Set).each(func(m []byte) bool {
			add(m)
			return true
		})
	case TypeZSet:
		e.Coll.(*ZSet).walk(0, false, func(m []byte, _ float64) bool {
			add(m)
			return true
		})
	default:
		return nil, false, true
	}
	elems = make([][]byte, len(ends))
	start := 0
	for i, end := range ends {
		elems[i] = buf[start:end:end]
		start = end
	}
	return elems, isSet, false
}

// SortLookup returns a copy of the string at key or, when field is not nil, of that
// field of the hash at key. ok is false when the key or the field is missing or the key
// holds another type. It counts a hit or a miss.
func (s *Shard) SortLookup(key, field []byte) (val []byte, ok bool) {
	e, found := s.read(key)
	if !found {
		return nil, false
	}
	if field == nil {
		if e.Type != TypeString {
			return nil, false
		}
		return Own(e.Str), true
	}
	if e.Type != TypeHash {
		return nil, false
	}
	var num [20]byte
	v, ok := e.Coll.(*Hash).get(field, &num)
	if !ok {
		return nil, false
	}
	return Own(v), true
}

// ListStore stores a new list of vals under key, replacing any value and its TTL, and
// returns its length. No vals deletes key instead. The values are copied. It calls the
// Ready hook.
func (s *Shard) ListStore(key []byte, vals [][]byte) int {
	if len(vals) == 0 {
		if s.remove(key) {
			s.notify(NotifyGeneric, "del", key)
		}
		return 0
	}
	l := newList()
	s.pushValues(l, vals, false)
	s.put(key, Object{Type: TypeList, Coll: l})
	s.notify(NotifyList, "sortstore", key)
	s.listReady(key)
	return len(vals)
}

// SortScore parses a SORT weight as Redis does with strtod: leading spaces are skipped,
// the empty string is 0, and anything left unparsed, NaN, or a value out of range is an
// error.
func SortScore(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	if i == len(b) {
		return 0, false
	}
	return parseScore(b[i:])
}
