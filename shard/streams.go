package shard

import (
	"bytes"
	"math"
	"strconv"

	"github.com/basaltdb/basalt/proto"
)

// The stream commands: XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID and XINFO
// STREAM, plus the per-shard steps of XREAD. The data structure is in
// stream_encoding.go. The consumer-group commands are in stream_group_cmds.go; XINFO
// STREAM FULL shows the groups with writeGroupFull from there.

func init() {
	register("xadd", xaddCmd)
	register("xrange", xrangeCmd(false))
	register("xrevrange", xrangeCmd(true))
	register("xlen", xlenCmd)
	register("xdel", xdelCmd)
	register("xtrim", xtrimCmd)
	register("xsetid", xsetidCmd)
	register("xinfo|stream", xinfoStreamCmd)
}

// Errors of the stream commands, worded as redis-server words them. They live here
// until proto/errors.go gathers them.
const (
	errStreamID          = "ERR Invalid stream ID specified as stream command argument"
	errXAddSmaller       = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	errXAddZero          = "ERR The ID specified in XADD must be greater than 0-0"
	errTooLarge          = "ERR Elements are too large to be stored"
	errLimitNoStrategy   = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
	errStreamExhausted   = "ERR The stream has exhausted the last possible ID, unable to add more items"
	errMaxLenNegative    = "ERR The MAXLEN argument must be >= 0."
	errLimitNegative     = "ERR The LIMIT argument must be >= 0."
	errLimitWithoutApprx = "ERR syntax error, LIMIT cannot be used without the special ~ option"
	errMaxLenAndMinID    = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
	errStartInterval     = "ERR invalid start ID for the interval"
	errEndInterval       = "ERR invalid end ID for the interval"
	errSetIDSmallerTop   = "ERR The ID specified in XSETID is smaller than the target stream top item"
	errSetIDArgMaxDel    = "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
	errSetIDEntriesAdded = "ERR The entries_added specified in XSETID is smaller than the target stream length"
	errEntriesAddedNeg   = "ERR entries_added must be positive"
)

// ParseStreamID reads "ms-seq" or "ms" (seq then defaults to missingSeq). Unless strict,
// "-" and "+" stand for the smallest and greatest ids.
func ParseStreamID(b []byte, missingSeq uint64, strict bool) (StreamID, bool) {
	if len(b) > 127 {
		return StreamID{}, false
	}
	if !strict && len(b) == 1 {
		switch b[0] {
		case '-':
			return StreamID{}, true
		case '+':
			return MaxStreamID, true
		}
	}
	ms, seq, hasSeq := b, []byte(nil), false
	if i := bytes.IndexByte(b, '-'); i >= 0 {
		ms, seq, hasSeq = b[:i], b[i+1:], true
	}
	m, ok := parseUint(ms)
	if !ok {
		return StreamID{}, false
	}
	if !hasSeq {
		return StreamID{m, missingSeq}, true
	}
	s, ok := parseUint(seq)
	if !ok {
		return StreamID{}, false
	}
	return StreamID{m, s}, true
}

// parseUint reads an unsigned decimal as strtoull does for Redis: an optional '+' sign,
// digits, no overflow.
func parseUint(b []byte) (uint64, bool) {
	if len(b) > 0 && b[0] == '+' {
		b = b[1:]
	}
	if len(b) == 0 || b[0] == '-' {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b), 10, 64)
	return v, err == nil
}

// parseIntervalID reads a range bound: an id, "-", "+", or "(id" excluding id.
func parseIntervalID(b []byte, missingSeq uint64, start bool) (StreamID, string) {
	if len(b) > 1 && b[0] == '(' {
		id, ok := ParseStreamID(b[1:], missingSeq, true)
		if !ok {
			return id, errStreamID
		}
		if start {
			if id, ok = id.Next(); !ok {
				return id, errStartInterval
			}
		} else if id, ok = id.Prev(); !ok {
			return id, errEndInterval
		}
		return id, ""
	}
	id, ok := ParseStreamID(b, missingSeq, false)
	if !ok {
		return id, errStreamID
	}
	return id, ""
}

// addArgs are XADD's and XTRIM's options.
type addArgs struct {
	trim       TrimSpec
	trimming   bool
	limitGiven bool
	noMkStream bool
	// approxPos is the "~" argument of an approximate trim and limitPos the LIMIT
	// keyword (0: none), for the journal's exact rewrite (exactTrim).
	approxPos, limitPos int
	// idPos is XADD's id argument; autoSeq is set for "ms-*", autoID for "*".
	idPos          int
	id             StreamID
	autoID, autoSq bool
}

// parseAddOrTrim reads the options of XADD (xadd true, up to the id) or XTRIM, as Redis
// does: the first argument that is not an option is XADD's id.
func parseAddOrTrim(a Args, xadd bool, maxEntries int64) (addArgs, string) {
	var p addArgs
	i := 2
	for ; i < len(a); i++ {
		more := len(a) - 1 - i
		opt := a[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
		case more >= 1 && (eqFold(opt, "maxlen") || eqFold(opt, "minid")):
			byID := eqFold(opt, "minid")
			if p.trimming {
				return p, errMaxLenAndMinID
			}
			if more >= 2 && len(a[i+1]) == 1 && (a[i+1][0] == '~' || a[i+1][0] == '=') {
				p.trim.Approx = a[i+1][0] == '~'
				if p.trim.Approx {
					p.approxPos = i + 1
				}
				i++
			}
			i++
			p.trimming = true
			p.trim.ByID = byID
			if byID {
				id, ok := ParseStreamID(a[i], 0, true)
				if !ok {
					return p, errStreamID
				}
				p.trim.MinID = id
			} else {
				n, ok := proto.ParseInt(a[i])
				if !ok {
					return p, proto.ErrNotInt
				}
				if n < 0 {
					return p, errMaxLenNegative
				}
				p.trim.MaxLen = n
			}
			continue
		case more >= 1 && eqFold(opt, "limit"):
			n, ok := proto.ParseInt(a[i+1])
			if !ok {
				return p, proto.ErrNotInt
			}
			if n < 0 {
				return p, errLimitNegative
			}
			p.trim.Limit = n
			p.limitGiven = true
			p.limitPos = i
			i++
			continue
		case xadd && eqFold(opt, "nomkstream"):
			p.noMkStream = true
			continue
		case xadd:
		default:
			return p, proto.ErrSyntax
		}
		break
	}
	if p.limitGiven {
		if !p.trimming {
			return p, errLimitNoStrategy
		}
		if !p.trim.Approx {
			return p, errLimitWithoutApprx
		}
	} else if p.trim.Approx {
		// At most 100 nodes' worth of work, within redis-server's bounds.
		p.trim.Limit = 100 * maxEntries
		if p.trim.Limit <= 0 {
			p.trim.Limit = 10000
		}
		p.trim.Limit = min(p.trim.Limit, 1000000)
	}
	p.idPos = i
	return p, ""
}

// parseAddID reads XADD's id argument: "*", "ms-*" or an explicit id.
func (p *addArgs) parseAddID(b []byte) bool {
	if len(b) == 1 && b[0] == '*' {
		p.autoID = true
		return true
	}
	if n := len(b); n >= 2 && b[n-2] == '-' && b[n-1] == '*' {
		ms, ok := parseUint(b[:n-2])
		if !ok || n-2 > 127 {
			return false
		}
		p.id, p.autoSq = StreamID{Ms: ms}, true
		return true
	}
	id, ok := ParseStreamID(b, 0, true)
	p.id = id
	return ok
}

// nextID picks the id of a new entry after last, or reports an error.
func (p *addArgs) nextID(last StreamID, now int64) (StreamID, string) {
	switch {
	case p.autoID:
		if uint64(now) > last.Ms {
			return StreamID{Ms: uint64(now)}, ""
		}
		id, _ := last.Next()
		return id, ""
	case p.autoSq:
		switch {
		case p.id.Ms > last.Ms:
			return p.id, ""
		case p.id.Ms == last.Ms && last.Seq < math.MaxUint64:
			return StreamID{last.Ms, last.Seq + 1}, ""
		case p.id.Ms == last.Ms:
			// Redis reports the sequence overflow this way.
			return p.id, errTooLarge
		}
		return p.id, errXAddSmaller
	}
	if !last.Less(p.id) {
		return p.id, errXAddSmaller
	}
	return p.id, ""
}

func (s *Shard) streamLimits() StreamLimits {
	return StreamLimits{
		MaxEntries: s.Settings.StreamNodeMaxEntries.Load(),
		MaxBytes:   s.Settings.StreamNodeMaxBytes.Load(),
	}
}

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value
// [field value ...]
func xaddCmd(s *Shard, a Args, w *proto.Writer) {
	lim := s.streamLimits()
	p, errMsg := parseAddOrTrim(a, true, lim.MaxEntries)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	fields := len(a) - p.idPos - 1
	if fields < 2 || fields%2 == 1 {
		w.Error("ERR wrong number of arguments for 'xadd' command")
		return
	}
	if !p.parseAddID(a[p.idPos]) {
		w.Error(errStreamID)
		return
	}
	if !p.autoID && !p.autoSq && p.id.IsZero() {
		w.Error(errXAddZero)
		return
	}
	st, ok := lookupColl[*Stream](s, a[1], TypeStream, false, w)
	if !ok {
		return
	}
	if st == nil {
		if p.noMkStream {
			w.Null()
			return
		}
		st = NewStream()
		s.put(a[1], Object{Type: TypeStream, Coll: st})
	}
	if st.lastID == MaxStreamID {
		w.Error(errStreamExhausted)
		return
	}
	id, errMsg := p.nextID(st.lastID, s.now)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	st.Append(id, a[p.idPos+1:], lim)
	s.dirty++
	var buf [48]byte
	idText := id.AppendTo(buf[:0])
	w.Bulk(idText)
	s.notify(NotifyStream, "xadd", a[1])
	if p.trimming && st.Trim(p.trim) > 0 {
		s.notify(NotifyStream, "xtrim", a[1])
	}
	if (p.autoID || p.autoSq || p.trim.Approx) && s.Journaling() {
		// A generated id is replayed as the id it became, an approximate trim as the
		// exact one it came to.
		rec := append([][]byte(nil), a...)
		rec[p.idPos] = idText
		s.Propagate(p.exactTrim(rec, st)...)
	}
	s.listReady(a[1])
}

// exactTrim returns the command a with its approximate trim ("~", whose reach depends
// on node boundaries a replay may not share) rewritten as the exact trim it came to, as
// Redis propagates it: "=" and the stream's length (MAXLEN) or first id (MINID) after
// the trim, without LIMIT, which only "~" allows. a is returned as is without "~".
func (p *addArgs) exactTrim(a [][]byte, st *Stream) [][]byte {
	if !p.trim.Approx {
		return a
	}
	rec := make([][]byte, 0, len(a))
	for i := 0; i < len(a); i++ {
		switch {
		case i == p.approxPos:
			rec = append(rec, []byte("="))
		case i == p.approxPos+1 && p.trim.ByID:
			first := MaxStreamID // an empty stream keeps nothing, as in Redis
			if st.Len() > 0 {
				first = st.FirstID()
			}
			rec = append(rec, first.AppendTo(nil))
		case i == p.approxPos+1:
			rec = append(rec, strconv.AppendInt(nil, st.Len(), 10))
		case p.limitPos > 0 && i == p.limitPos:
			i++ // LIMIT and its count
		default:
			rec = append(rec, a[i])
		}
	}
	return rec
}

// XRANGE key start end [COUNT count] / XREVRANGE key end start [COUNT count]
func xrangeCmd(rev bool) Handler {
	return func(s *Shard, a Args, w *proto.Writer) {
		lowArg, highArg := a[2], a[3]
		if rev {
			lowArg, highArg = highArg, lowArg
		}
		low, errMsg := parseIntervalID(lowArg, 0, true)
		if errMsg == "" {
			var high StreamID
			high, errMsg = parseIntervalID(highArg, math.MaxUint64, false)
			if errMsg == "" {
				xrangeReply(s, a, low, high, rev, w)
				return
			}
		}
		w.Error(errMsg)
	}
}

func xrangeReply(s *Shard, a Args, low, high StreamID, rev bool, w *proto.Writer) {
	count := int64(-1)
	for j := 4; j < len(a); j++ {
		if !eqFold(a[j], "count") || j+1 >= len(a) {
			w.Error(proto.ErrSyntax)
			return
		}
		n, ok := proto.ParseInt(a[j+1])
		if !ok {
			w.Error(proto.ErrNotInt)
			return
		}
		count = max(n, 0)
		j++
	}
	st, ok := lookupColl[*Stream](s, a[1], TypeStream, true, w)
	if !ok {
		return
	}
	if count == 0 {
		w.NullArray()
		return
	}
	if st == nil {
		w.Array(0)
		return
	}
	WriteStreamRange(w, st, low, high, rev, count)
}

// WriteStreamRange writes the entries between low and high (inclusive) as an array of
// [id, [field, value, ...]], at most count of them (count < 0: all), and returns how
// many it wrote.
func WriteStreamRange(w *proto.Writer, st *Stream, low, high StreamID, rev bool, count int64) int64 {
	if high.Less(low) {
		w.Array(0)
		return 0
	}
	// A first walk over the ids only counts the entries for the array header, so the
	// second can write them straight to w. Both start from one seek.
	from := low
	if rev {
		from = high
	}
	start := st.Seek(from, rev)
	counter := start
	counter.offs = append([]int(nil), start.offs...)
	counter.idsOnly = true
	n := walkRange(counter, low, high, rev, count, nil)
	w.Array(int(n))
	walkRange(start, low, high, rev, n, w)
	return n
}

// walkRange visits up to count entries (count < 0: all) from it while they are between
// low and high, and writes them to w unless w is nil; it returns how many it visited.
func walkRange(it StreamIter, low, high StreamID, rev bool, count int64, w *proto.Writer) int64 {
	var n int64
	var buf [48]byte
	for count < 0 || n < count {
		id, fv, ok := it.Next()
		if !ok || (!rev && high.Less(id)) || (rev && id.Less(low)) {
			break
		}
		n++
		if w == nil {
			continue
		}
		w.Array(2)
		w.Bulk(id.AppendTo(buf[:0]))
		w.Array(len(fv))
		for _, b := range fv {
			w.Bulk(b)
		}
	}
	return n
}

// XLEN key
func xlenCmd(s *Shard, a Args, w *proto.Writer) {
	st, ok := lookupColl[*Stream](s, a[1], TypeStream, true, w)
	if !ok {
		return
	}
	if st == nil {
		w.Int(0)
		return
	}
	w.Int(st.Len())
}

// XDEL key id [id ...]
func xdelCmd(s *Shard, a Args, w *proto.Writer) {
	ids := make([]StreamID, 0, len(a)-2)
	for _, b := range a[2:] {
		id, ok := ParseStreamID(b, 0, true)
		if !ok {
			w.Error(errStreamID)
			return
		}
		ids = append(ids, id)
	}
	st, ok := lookupColl[*Stream](s, a[1], TypeStream, false, w)
	if !ok {
		return
	}
	if st == nil {
		w.Int(0)
		return
	}
	var n int64
	for _, id := range ids {
		if st.Delete(id) {
			n++
		}
	}
	if n > 0 {
		s.dirty++
		s.notify(NotifyStream, "xdel", a[1])
	}
	w.Int(n)
}

// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
func xtrimCmd(s *Shard, a Args, w *proto.Writer) {
	p, errMsg := parseAddOrTrim(a, false, s.Settings.StreamNodeMaxEntries.Load())
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	if !p.trimming {
		w.Error(proto.ErrSyntax)
		return
	}
	st, ok := lookupColl[*Stream](s, a[1], TypeStream, false, w)
	if !ok {
		return
	}
	if st == nil {
		w.Int(0)
		return
	}
	n := st.Trim(p.trim)
	if n > 0 {
		s.dirty++
		s.notify(NotifyStream, "xtrim", a[1])
		if p.trim.Approx && s.Journaling() {
			s.Propagate(p.exactTrim(a, st)...)
		}
	}
	w.Int(n)
}

// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
func xsetidCmd(s *Shard, a Args, w *proto.Writer) {
	id, ok := ParseStreamID(a[2], 0, true)
	if !ok {
		w.Error(errStreamID)
		return
	}
	added := int64(-1)
	var maxDel StreamID
	for i := 3; i < len(a); i += 2 {
		more := i+1 < len(a)
		switch {
		case more && eqFold(a[i], "entriesadded"):
			n, ok := proto.ParseInt(a[i+1])
			if !ok {
				w.Error(proto.ErrNotInt)
				return
			}
			if n < 0 {
				w.Error(errEntriesAddedNeg)
				return
			}
			added = n
		case more && eqFold(a[i], "maxdeletedid"):
			m, ok := ParseStreamID(a[i+1], 0, true)
			if !ok {
				w.Error(errStreamID)
				return
			}
			if id.Less(m) {
				w.Error(errSetIDArgMaxDel)
				return
			}
			maxDel = m
		default:
			w.Error(proto.ErrSyntax)
			return
		}
	}
	st, ok := lookupColl[*Stream](s, a[1], TypeStream, false, w)
	if !ok {
		return
	}
	if st == nil {
		w.Error(proto.ErrNoSuchKey)
		return
	}
	if st.length > 0 {
		if id.Less(st.LastEntryID()) {
			w.Error(errSetIDSmallerTop)
			return
		}
		if added != -1 && st.length > added {
			w.Error(errSetIDEntriesAdded)
			return
		}
	}
	if added == -1 {
		added = st.entriesAdded
	}
	if maxDel.IsZero() {
		maxDel = st.maxDeleted
	}
	st.SetLastID(id, added, maxDel)
	s.dirty++
	s.notify(NotifyStream, "xsetid", a[1])
	w.OK()
}

// XINFO STREAM key [FULL [COUNT count]]
func xinfoStreamCmd(s *Shard, a Args, w *proto.Writer) {
	st, ok := lookupColl[*Stream](s, a[2], TypeStream, true, w)
	if !ok {
		return
	}
	if st == nil {
		w.Error(proto.ErrNoSuchKey)
		return
	}
	full, count := false, int64(10)
	// Redis answers any malformed option list with this error, naming the subcommand
	// as the client spelled it.
	badArgs := "ERR unknown subcommand or wrong number of arguments for '" + string(a[1]) + "'. Try XINFO HELP."
	if len(a) > 3 {
		if !eqFold(a[3], "full") || (len(a) > 4 && (len(a) != 6 || !eqFold(a[4], "count"))) {
			w.Error(badArgs)
			return
		}
		full = true
		if len(a) == 6 {
			n, ok := proto.ParseInt(a[5])
			if !ok {
				w.Error(proto.ErrNotInt)
				return
			}
			count = n
			if count < 0 {
				count = 10
			}
		}
	}
	if full {
		w.Map(9)
	} else {
		w.Map(10)
	}
	var buf [48]byte
	w.BulkString("length")
	w.Int(st.length)
	w.BulkString("radix-tree-keys")
	w.Int(int64(len(st.nodes)))
	w.BulkString("radix-tree-nodes")
	w.Int(st.radixNodes())
	w.BulkString("last-generated-id")
	w.Bulk(st.lastID.AppendTo(buf[:0]))
	w.BulkString("max-deleted-entry-id")
	w.Bulk(st.maxDeleted.AppendTo(buf[:0]))
	w.BulkString("entries-added")
	w.Int(st.entriesAdded)
	w.BulkString("recorded-first-entry-id")
	w.Bulk(st.FirstID().AppendTo(buf[:0]))
	if full {
		w.BulkString("entries")
		if count == 0 {
			count = -1
		}
		WriteStreamRange(w, st, StreamID{}, MaxStreamID, false, count)
		w.BulkString("groups")
		w.Array(len(st.Groups))
		for _, g := range st.Groups {
			writeGroupFull(w, st, g, count)
		}
		return
	}
	w.BulkString("groups")
	w.Int(int64(len(st.Groups)))
	for _, first := range []bool{true, false} {
		if first {
			w.BulkString("first-entry")
		} else {
			w.BulkString("last-entry")
		}
		it := st.Seek(StreamID{}, false)
		if !first {
			it = st.Seek(MaxStreamID, true)
		}
		id, fv, ok := it.Next()
		if !ok {
			w.Null()
			continue
		}
		w.Array(2)
		w.Bulk(id.AppendTo(buf[:0]))
		w.Array(len(fv))
		for _, b := range fv {
			w.Bulk(b)
		}
	}
}

// radixNodes counts the nodes of the radix tree Redis would keep for this stream's
// node keys (the 16-byte big-endian master ids), for XINFO's radix-tree-nodes.
func (st *Stream) radixNodes() int64 {
	keys := make([][16]byte, len(st.nodes))
	for i, n := range st.nodes {
		putID(keys[i][:], n.master)
	}
	return radixCount(keys, 0)
}

func putID(b []byte, id StreamID) {
	for i := range 8 {
		b[i] = byte(id.Ms >> (56 - 8*i))
		b[8+i] = byte(id.Seq >> (56 - 8*i))
	}
}

// radixCount counts the nodes of a compressed radix tree over sorted, distinct,
// equal-length keys that share their first depth bytes: a leaf marks the end of a
// key; a node with one way on is a compressed run of bytes, one with several a branch.
func radixCount(keys [][16]byte, depth int) int64 {
	if len(keys) == 0 {
		return 1
	}
	if depth == 16 {
		return 1
	}
	if keys[0][depth] == keys[len(keys)-1][depth] {
		// Every key continues with the same byte: one compressed node covers the
		// common run.
		end := depth
		for end < 16 && keys[0][end] == keys[len(keys)-1][end] {
			end++
		}
		return 1 + radixCount(keys, end)
	}
	n := int64(1)
	for i := 0; i < len(keys); {
		j := i
		for j < len(keys) && keys[j][depth] == keys[i][depth] {
			j++
		}
		n += radixCount(keys[i:j], depth+1)
		i = j
	}
	return n
}

// XReadArgs are XREAD's parsed arguments. Keys and IDs alias the command's arguments.
type XReadArgs struct {
	// Count caps the entries per stream; 0 means no cap.
	Count int64
	// Block is set by BLOCK; BlockMs is its timeout, 0 waiting forever.
	Block   bool
	BlockMs int64
	Keys    [][]byte
	IDs     [][]byte
}

// Errors of XREAD's argument parsing.
const (
	errXReadUnbalanced = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
	errXReadGroup      = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
	errXReadNoAck      = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
	errXReadGT         = "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
	errTimeoutNotInt   = "ERR timeout is not an integer or out of range"
)

// ParseXRead reads XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id
// [id ...], reporting errors in the order Redis finds them.
func ParseXRead(a Args) (XReadArgs, string) {
	x, errMsg := parseStreamRead(a, false)
	return x.XReadArgs, errMsg
}

// parseStreamRead reads the options XREAD and XREADGROUP share; withGroup accepts GROUP
// and NOACK (XREADGROUP) instead of refusing them (XREAD).
func parseStreamRead(a Args, withGroup bool) (XReadGroupArgs, string) {
	var x XReadGroupArgs
	for i := 1; i < len(a); i++ {
		more := len(a) - i - 1
		switch {
		case eqFold(a[i], "block") && more > 0:
			i++
			ms, ok := proto.ParseInt(a[i])
			if !ok {
				return x, errTimeoutNotInt
			}
			if ms < 0 {
				return x, proto.ErrTimeoutNegative
			}
			x.Block, x.BlockMs = true, ms
		case eqFold(a[i], "count") && more > 0:
			i++
			n, ok := proto.ParseInt(a[i])
			if !ok {
				return x, proto.ErrNotInt
			}
			x.Count = max(n, 0)
		case eqFold(a[i], "streams") && more > 0:
			if more%2 != 0 {
				return x, errXReadUnbalanced
			}
			x.Keys, x.IDs = a[i+1:i+1+more/2], a[i+1+more/2:]
			if withGroup && x.Group == nil {
				return x, errMissingGroup
			}
			return x, ""
		case eqFold(a[i], "group") && more >= 2:
			if !withGroup {
				return x, errXReadGroup
			}
			x.Group, x.Consumer = a[i+1], a[i+2]
			i += 2
		case eqFold(a[i], "noack"):
			if !withGroup {
				return x, errXReadNoAck
			}
			x.NoAck = true
		default:
			return x, proto.ErrSyntax
		}
	}
	return x, proto.ErrSyntax
}

// XReadKeyPositions returns the positions of XREAD's keys as Redis's key spec finds
// them: after the first STREAMS, the first half of the remaining arguments. It does not
// validate the command: when the keys differ from what ParseXRead reads, the command
// fails before touching any key.
func XReadKeyPositions(a [][]byte) []int { return streamsKeyPositions(a, 1) }

// streamsKeyPositions finds the first STREAMS from argument from on and returns the
// positions of the first half of the arguments after it.
func streamsKeyPositions(a [][]byte, from int) []int {
	for i := from; i < len(a); i++ {
		if !eqFold(a[i], "streams") {
			continue
		}
		pos := make([]int, (len(a)-i-1)/2)
		for j := range pos {
			pos[j] = i + 1 + j
		}
		return pos
	}
	return nil
}

// StreamReadID resolves an XREAD id argument for key: "$" is the stream's last id (0-0
// when there is no stream). It checks key's type first, as Redis does.
func (s *Shard) StreamReadID(key, arg []byte) (StreamID, string) {
	e, ok := s.peek(key)
	var st *Stream
	if ok {
		if e.Type != TypeStream {
			return StreamID{}, proto.ErrWrongType
		}
		st = e.Coll.(*Stream)
	}
	switch {
	case len(arg) == 1 && arg[0] == '$':
		if st == nil {
			return StreamID{}, ""
		}
		return st.lastID, ""
	case len(arg) == 1 && arg[0] == '>':
		return StreamID{}, errXReadGT
	}
	id, ok := ParseStreamID(arg, 0, true)
	if !ok {
		return id, errStreamID
	}
	return id, ""
}

// StreamReady reports whether the stream at key has a live entry with an id greater
// than after; wrongType when the key holds another type.
func (s *Shard) StreamReady(key []byte, after StreamID) (ready, wrongType bool) {
	i, ok := s.lookup(key)
	if !ok {
		return false, false
	}
	e := s.db.at(i)
	if e.Type != TypeStream {
		return false, true
	}
	return e.Coll.(*Stream).hasAfter(after), false
}

// hasAfter reports whether a live entry has an id greater than after.
func (st *Stream) hasAfter(after StreamID) bool {
	// The last id bounds every live id: most calls end here.
	if st.length == 0 || !after.Less(st.lastID) {
		return false
	}
	return after.Less(st.LastEntryID())
}

// StreamReadAfter writes the entries of key with ids greater than after, at most count
// of them (0: all), as XRANGE does, if the stream is ready (see StreamReady); it reports
// whether it wrote anything.
func (s *Shard) StreamReadAfter(key []byte, after StreamID, count int64, w *proto.Writer) bool {
	e, ok := s.read(key)
	if !ok || e.Type != TypeStream {
		return false
	}
	st := e.Coll.(*Stream)
	if !st.hasAfter(after) {
		return false
	}
	from, _ := after.Next()
	if count == 0 {
		count = -1
	}
	WriteStreamRange(w, st, from, MaxStreamID, false, count)
	return true
}
