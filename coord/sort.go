package coord

import (
	"bytes"
	"slices"
	"strings"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// SORT and SORT_RO. Their BY and GET patterns name keys derived from the elements, which
// may live on any shard, so the command runs on the client's loop as a transaction that
// claims every shard: one hop reads the source on its shard, one hop per pattern kind
// reads the pattern keys from the shards that own them, the sort runs here, and a STORE
// writes the destination on its shard in the last hop.

const errSortScore = "ERR One or more scores can't be converted into double"

// sortPattern is a parsed BY or GET pattern. The first '*' stands for the element; a
// "->field" after it (with a non-empty field) reads a hash field instead of a string.
// "#" alone is the element itself; a pattern without '*' finds nothing.
type sortPattern struct {
	self, none            bool
	prefix, suffix, field []byte
}

func parseSortPattern(p []byte) sortPattern {
	if len(p) == 1 && p[0] == '#' {
		return sortPattern{self: true}
	}
	star := bytes.IndexByte(p, '*')
	if star < 0 {
		return sortPattern{none: true}
	}
	sp := sortPattern{prefix: p[:star], suffix: p[star+1:]}
	if f := bytes.Index(sp.suffix, []byte("->")); f >= 0 && f+2 < len(sp.suffix) {
		sp.field = sp.suffix[f+2:]
		sp.suffix = sp.suffix[:f]
	}
	return sp
}

// key returns the key the pattern names for elem.
func (p *sortPattern) key(elem []byte) []byte {
	k := make([]byte, 0, len(p.prefix)+len(elem)+len(p.suffix))
	k = append(k, p.prefix...)
	k = append(k, elem...)
	return append(k, p.suffix...)
}

// sortOptions are SORT's parsed arguments, owned by the command.
type sortOptions struct {
	src         []byte
	desc, alpha bool
	dontsort    bool
	by          *sortPattern
	gets        []sortPattern
	store       []byte
	// fromScript is set for a SORT called by a script.
	fromScript      bool
	limStart, limCt int64
}

// parseSort reads SORT's (or, with readOnly, SORT_RO's) options from owned args. It
// returns the error to reply, if any.
func parseSort(args [][]byte, readOnly bool) (o sortOptions, errMsg string) {
	o.src = args[1]
	o.limCt = -1
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "asc":
			o.desc = false
		case opt == "desc":
			o.desc = true
		case opt == "alpha":
			o.alpha = true
		case opt == "limit" && left >= 2:
			start, ok1 := proto.ParseInt(args[j+1])
			count, ok2 := proto.ParseInt(args[j+2])
			if !ok1 || !ok2 {
				return o, proto.ErrNotInt
			}
			o.limStart, o.limCt = start, count
			j += 2
		case opt == "store" && !readOnly && left >= 1:
			o.store = args[j+1]
			j++
		case opt == "by" && left >= 1:
			p := parseSortPattern(args[j+1])
			o.by = &p
			o.dontsort = bytes.IndexByte(args[j+1], '*') < 0
			j++
		case opt == "get" && left >= 1:
			o.gets = append(o.gets, parseSortPattern(args[j+1]))
			j++
		default:
			return o, proto.ErrSyntax
		}
	}
	return o, ""
}

// sortKeys finds SORT's keys as COMMAND GETKEYS shows them: the source and the last
// STORE destination.
func sortKeys(a [][]byte) []int {
	pos := []int{1}
	store := 0
	for j := 2; j < len(a); j++ {
		switch strings.ToLower(string(a[j])) {
		case "limit":
			j += 2
		case "get", "by":
			j++
		case "store":
			if j+1 < len(a) {
				store = j + 1
			}
			j++
		}
	}
	if store > 0 {
		pos = append(pos, store)
	}
	return pos
}

// sortLookup is one pattern key to read: for element elem, under pattern p.
type sortLookup struct {
	key, field []byte
	val        []byte
	found      bool
}

// fetchPatterns reads the keys of lookups from their shards in one hop (none when there
// is nothing to read), then calls then.
func fetchPatterns(t *txn, lookups []sortLookup, then func()) {
	slot := map[int]int{}
	var shards []int
	var byShard [][]int
	for i := range lookups {
		s := t.cl.srv.shardOf(lookups[i].key)
		j, ok := slot[s]
		if !ok {
			j = len(shards)
			slot[s] = j
			shards = append(shards, s)
			byShard = append(byShard, nil)
		}
		byShard[j] = append(byShard[j], i)
	}
	if len(shards) == 0 {
		then()
		return
	}
	t.hop(shards, func(sh *shard.Shard, i int) {
		for _, k := range byShard[i] {
			l := &lookups[k]
			l.val, l.found = sh.SortLookup(l.key, l.field)
		}
	}, then)
}

// sortItem is one element with what it sorts by.
type sortItem struct {
	elem  []byte
	score float64
	cmp   []byte // ALPHA BY: the weight, nil when missing
}

// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
// [STORE destination]
func sortCmd(cl *client, args [][]byte, w *proto.Writer) { sortGeneric(cl, args, false, w) }

// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
func sortROCmd(cl *client, args [][]byte, w *proto.Writer) { sortGeneric(cl, args, true, w) }

func sortGeneric(cl *client, args [][]byte, readOnly bool, w *proto.Writer) {
	args = ownArgs(args)
	o, errMsg := parseSort(args, readOnly)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	o.fromScript = cl.exec != nil && cl.exec.script
	store := o.store != nil
	t := cl.newTxn(!store)
	t.claimAll(store)
	var elems [][]byte
	var isSet, wrong bool
	t.hop([]int{cl.srv.shardOf(o.src)}, func(sh *shard.Shard, _ int) {
		elems, isSet, wrong = sh.SortSource(o.src)
	}, func() {
		if wrong {
			t.answer(func(w *proto.Writer) { w.Error(proto.ErrWrongType) })
			return
		}
		sortElements(t, &o, elems, isSet)
	})
}

// sortElements sorts the source's elements (reading BY weights first), keeps the LIMIT
// window and hands it to sortFinish.
func sortElements(t *txn, o *sortOptions, elems [][]byte, isSet bool) {
	// A set has no order of its own that replication could rely on: STORE sorts it, and
	// so does a script, whose effects must not depend on it either.
	if o.dontsort && isSet && (o.store != nil || o.fromScript) {
		o.dontsort, o.alpha, o.by = false, true, nil
	}
	n := int64(len(elems))
	start := max(o.limStart, 0)
	end := n - 1
	if o.limCt >= 0 {
		end = start + o.limCt - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	end = min(end, n-1)
	window := func(items []sortItem) []sortItem {
		if end < start {
			return nil
		}
		return items[start : end+1]
	}
	items := make([]sortItem, len(elems))
	for i, e := range elems {
		items[i].elem = e
	}
	if o.dontsort {
		if !isSet && o.desc {
			slices.Reverse(items)
		}
		sortFinish(t, o, window(items))
		return
	}
	var lookups []sortLookup
	byPattern := o.by != nil && !o.by.self && !o.by.none
	if byPattern {
		lookups = make([]sortLookup, len(items))
		for i := range items {
			lookups[i] = sortLookup{key: o.by.key(items[i].elem), field: o.by.field}
		}
	}
	fetchPatterns(t, lookups, func() {
		bad := false
		for i := range items {
			it := &items[i]
			var weight []byte
			switch {
			case !byPattern:
				weight = it.elem
			case lookups[i].found:
				weight = lookups[i].val
			default:
				continue
			}
			if o.alpha {
				if byPattern {
					it.cmp = weight
				}
				continue
			}
			sc, ok := shard.SortScore(weight)
			if !ok {
				bad = true
			}
			it.score = sc
		}
		if bad {
			t.answer(func(w *proto.Writer) { w.Error(errSortScore) })
			return
		}
		slices.SortStableFunc(items, func(a, b sortItem) int {
			c := compareSortItems(&a, &b, o.alpha, byPattern)
			if o.desc {
				return -c
			}
			return c
		})
		sortFinish(t, o, window(items))
	})
}

// compareSortItems orders two elements ascending: by score, ties by the elements'
// bytes; with ALPHA by the BY weights (a missing one first) or the elements' bytes.
func compareSortItems(a, b *sortItem, alpha, byPattern bool) int {
	if !alpha {
		switch {
		case a.score < b.score:
			return -1
		case a.score > b.score:
			return 1
		}
		return bytes.Compare(a.elem, b.elem)
	}
	if !byPattern {
		return bytes.Compare(a.elem, b.elem)
	}
	switch {
	case a.cmp == nil && b.cmp == nil:
		return 0
	case a.cmp == nil:
		return -1
	case b.cmp == nil:
		return 1
	}
	return bytes.Compare(a.cmp, b.cmp)
}

// sortFinish reads the GET patterns of the sorted window, then replies with it or
// stores it.
func sortFinish(t *txn, o *sortOptions, items []sortItem) {
	var lookups []sortLookup
	// at[i*len(gets)+g] is the lookup of GET g for item i, or -1.
	at := make([]int, len(items)*len(o.gets))
	for i := range items {
		for g := range o.gets {
			p := &o.gets[g]
			at[i*len(o.gets)+g] = -1
			if p.self || p.none {
				continue
			}
			at[i*len(o.gets)+g] = len(lookups)
			lookups = append(lookups, sortLookup{key: p.key(items[i].elem), field: p.field})
		}
	}
	fetchPatterns(t, lookups, func() {
		// value returns GET g of item i; ok is false when it is missing.
		value := func(i, g int) (v []byte, ok bool) {
			if o.gets[g].self {
				return items[i].elem, true
			}
			k := at[i*len(o.gets)+g]
			if k < 0 || !lookups[k].found {
				return nil, false
			}
			return lookups[k].val, true
		}
		if o.store == nil {
			t.answer(func(w *proto.Writer) {
				if len(o.gets) == 0 {
					w.Array(len(items))
					for i := range items {
						w.Bulk(items[i].elem)
					}
					return
				}
				w.Array(len(items) * len(o.gets))
				for i := range items {
					for g := range o.gets {
						if v, ok := value(i, g); ok {
							w.Bulk(v)
						} else {
							w.Null()
						}
					}
				}
			})
			return
		}
		var vals [][]byte
		for i := range items {
			if len(o.gets) == 0 {
				vals = append(vals, items[i].elem)
			}
			for g := range o.gets {
				v, _ := value(i, g)
				vals = append(vals, v)
			}
		}
		var stored int
		dst := o.store
		srv, db := t.cl.srv, t.db
		t.last([]int{t.cl.srv.shardOf(dst)}, func(sh *shard.Shard, _ int) {
			stored = sh.ListStore(dst, vals)
			// The AOF gets the stored list itself: a replayed sort of a set could
			// come out in another order.
			ls := srv.loops[sh.ID]
			ls.record(srv, db, [][]byte{[]byte("DEL"), dst})
			if stored > 0 {
				ls.record(srv, db, append([][]byte{[]byte("RPUSH"), dst}, vals...))
			}
		}, func(w *proto.Writer) { w.Int(int64(stored)) })
	})
}
