package shard

import (
	"strconv"

	"github.com/basaltdb/basalt/proto"
)

// The consumer-group commands: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO GROUPS
// and XINFO CONSUMERS, plus the per-shard steps of XREADGROUP, whose coordinator part
// (several streams, blocking) is in package coord. The data structures are in
// stream_groups.go. Times come from the shard's command clock (s.now), so one command
// sees one instant, as in Redis.

func init() {
	register("xgroup|create", xgroupCreateCmd)
	register("xgroup|setid", xgroupSetidCmd)
	register("xgroup|destroy", xgroupDestroyCmd)
	register("xgroup|createconsumer", xgroupCreateConsumerCmd)
	register("xgroup|delconsumer", xgroupDelConsumerCmd)
	register("xgroup|help", helpCmd(xgroupHelp))
	register("xinfo|groups", xinfoGroupsCmd)
	register("xinfo|consumers", xinfoConsumersCmd)
	register("xinfo|help", helpCmd(xinfoHelp))
	register("xack", xackCmd)
	register("xpending", xpendingCmd)
	register("xclaim", xclaimCmd)
	register("xautoclaim", xautoclaimCmd)
}

// Errors of the group commands, as redis-server words them.
const (
	errBusyGroup        = "BUSYGROUP Consumer Group name already exists"
	errXGroupNoKey      = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
	errEntriesReadNeg   = "ERR value for ENTRIESREAD must be positive or -1"
	errXReadGroupDollar = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
	errMissingGroup     = "ERR Missing GROUP option for XREADGROUP"
	errGroupGone        = "NOGROUP the consumer group this client was blocked on no longer exists"
	errCountPositive    = "ERR COUNT must be > 0"
	errCountTooHigh     = "ERR Insufficient memory, failed allocating transient memory, COUNT too high."
)

// noGroup is the NOGROUP error of XPENDING, XCLAIM and XAUTOCLAIM.
func noGroup(key, group []byte) string {
	return "NOGROUP No such key '" + string(key) + "' or consumer group '" + string(group) + "'"
}

// noGroupFor is the NOGROUP error of XGROUP and XINFO CONSUMERS.
func noGroupFor(key, group []byte) string {
	return "NOGROUP No such consumer group '" + string(group) + "' for key name '" + string(key) + "'"
}

func subcommandSyntax(a Args, parent string) string {
	return "ERR unknown subcommand or wrong number of arguments for '" + string(a[1]) + "'. Try " + parent + " HELP."
}

var xgroupHelp = []string{
	"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
	"HELP",
	"    Prints this help.",
}

var xinfoHelp = []string{
	"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
	"HELP",
	"    Prints this help.",
}

// helpCmd answers a HELP subcommand with lines, as status replies.
func helpCmd(lines []string) Handler {
	return func(_ *Shard, _ Args, w *proto.Writer) {
		w.Array(len(lines))
		for _, l := range lines {
			w.Simple(l)
		}
	}
}

// groupOptions reads XGROUP CREATE's and SETID's options from a[5:]: MKSTREAM (CREATE
// only) and ENTRIESREAD.
func groupOptions(a Args, create bool) (mkstream bool, entriesRead int64, errMsg string) {
	entriesRead = -1
	for i := 5; i < len(a); i++ {
		switch {
		case create && eqFold(a[i], "mkstream"):
			mkstream = true
		case eqFold(a[i], "entriesread") && i+1 < len(a):
			n, ok := proto.ParseInt(a[i+1])
			if !ok {
				return false, 0, proto.ErrNotInt
			}
			if n < -1 {
				return false, 0, errEntriesReadNeg
			}
			entriesRead = n
			i++
		default:
			return false, 0, subcommandSyntax(a, "XGROUP")
		}
	}
	return mkstream, entriesRead, ""
}

// xgroupTarget finds the stream and group an XGROUP subcommand acts on. It writes the
// error and returns ok false when the key is missing (unless mkstream), holds another
// type, or, when needGroup, has no such group.
func xgroupTarget(s *Shard, a Args, mkstream, needGroup bool, w *proto.Writer) (st *Stream, g *StreamGroup, ok bool) {
	st, ok = lookupColl[*Stream](s, a[2], TypeStream, false, w)
	if !ok {
		return nil, nil, false
	}
	if st == nil {
		if mkstream {
			return nil, nil, true
		}
		w.Error(errXGroupNoKey)
		return nil, nil, false
	}
	g = st.Group(a[3])
	if g == nil && needGroup {
		w.Error(noGroupFor(a[2], a[3]))
		return nil, nil, false
	}
	return st, g, true
}

// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
func xgroupCreateCmd(s *Shard, a Args, w *proto.Writer) {
	mkstream, entriesRead, errMsg := groupOptions(a, true)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	st, _, ok := xgroupTarget(s, a, mkstream, false, w)
	if !ok {
		return
	}
	if len(a) > 8 {
		w.Error(subcommandSyntax(a, "XGROUP"))
		return
	}
	var id StreamID
	if isDollar(a[4]) {
		if st != nil {
			id = st.lastID
		}
	} else if id, ok = ParseStreamID(a[4], 0, true); !ok {
		w.Error(errStreamID)
		return
	}
	if st == nil {
		st = NewStream()
		s.put(a[2], Object{Type: TypeStream, Coll: st})
	}
	if st.AddGroup(a[3], id, entriesRead) == nil {
		w.Error(errBusyGroup)
		return
	}
	s.dirty++
	s.notify(NotifyStream, "xgroup-create", a[2])
	w.OK()
}

func isDollar(b []byte) bool { return len(b) == 1 && b[0] == '$' }

// XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
func xgroupSetidCmd(s *Shard, a Args, w *proto.Writer) {
	_, entriesRead, errMsg := groupOptions(a, false)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	st, g, ok := xgroupTarget(s, a, false, true, w)
	if !ok {
		return
	}
	if len(a) != 5 && len(a) != 7 {
		w.Error(subcommandSyntax(a, "XGROUP"))
		return
	}
	var id StreamID
	if isDollar(a[4]) {
		id = st.lastID
	} else if id, ok = ParseStreamID(a[4], 0, false); !ok {
		w.Error(errStreamID)
		return
	}
	g.LastID, g.EntriesRead = id, entriesRead
	s.dirty++
	s.notify(NotifyStream, "xgroup-setid", a[2])
	w.OK()
}

// XGROUP DESTROY key group
func xgroupDestroyCmd(s *Shard, a Args, w *proto.Writer) {
	st, g, ok := xgroupTarget(s, a, false, false, w)
	if !ok {
		return
	}
	if g == nil {
		w.Int(0)
		return
	}
	st.DeleteGroup(a[3])
	s.dirty++
	s.notify(NotifyStream, "xgroup-destroy", a[2])
	w.Int(1)
	// Consumers blocked on the group wake up to learn that it is gone.
	s.listReady(a[2])
}

// XGROUP CREATECONSUMER key group consumer
func xgroupCreateConsumerCmd(s *Shard, a Args, w *proto.Writer) {
	_, g, ok := xgroupTarget(s, a, false, true, w)
	if !ok {
		return
	}
	if _, created := g.AddConsumer(a[4], s.now); created {
		s.dirty++
		s.notify(NotifyStream, "xgroup-createconsumer", a[2])
		w.Int(1)
		return
	}
	w.Int(0)
}

// XGROUP DELCONSUMER key group consumer
func xgroupDelConsumerCmd(s *Shard, a Args, w *proto.Writer) {
	_, g, ok := xgroupTarget(s, a, false, true, w)
	if !ok {
		return
	}
	if g.Consumer(a[4]) == nil {
		w.Int(0)
		return
	}
	s.dirty++
	w.Int(g.DeleteConsumer(a[4]))
	s.notify(NotifyStream, "xgroup-delconsumer", a[2])
}

// streamGroupOf finds key's stream and its group for XPENDING, XCLAIM and XAUTOCLAIM,
// writing WRONGTYPE or NOGROUP when they are not there.
func streamGroupOf(s *Shard, key, group []byte, read bool, w *proto.Writer) (*Stream, *StreamGroup, bool) {
	st, ok := lookupColl[*Stream](s, key, TypeStream, read, w)
	if !ok {
		return nil, nil, false
	}
	var g *StreamGroup
	if st != nil {
		g = st.Group(group)
	}
	if g == nil {
		w.Error(noGroup(key, group))
		return nil, nil, false
	}
	return st, g, true
}

// XACK key group id [id ...]
func xackCmd(s *Shard, a Args, w *proto.Writer) {
	st, ok := lookupColl[*Stream](s, a[1], TypeStream, false, w)
	if !ok {
		return
	}
	var g *StreamGroup
	if st != nil {
		g = st.Group(a[2])
	}
	if g == nil {
		w.Int(0)
		return
	}
	ids := make([]StreamID, len(a)-3)
	for i, b := range a[3:] {
		if ids[i], ok = ParseStreamID(b, 0, true); !ok {
			w.Error(errStreamID)
			return
		}
	}
	var n int64
	for _, id := range ids {
		if g.Ack(id) {
			n++
		}
	}
	if n > 0 {
		s.dirty++
	}
	w.Int(n)
}

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
func xpendingCmd(s *Shard, a Args, w *proto.Writer) {
	if len(a) != 3 && (len(a) < 6 || len(a) > 9) {
		w.Error(proto.ErrSyntax)
		return
	}
	var minIdle, count int64
	var start, end StreamID
	var consumer []byte
	if len(a) >= 6 {
		at := 3
		if eqFold(a[3], "idle") {
			n, ok := proto.ParseInt(a[4])
			if !ok {
				w.Error(proto.ErrNotInt)
				return
			}
			if len(a) < 8 {
				w.Error(proto.ErrSyntax)
				return
			}
			minIdle = n
			at = 5
		}
		n, ok := proto.ParseInt(a[at+2])
		if !ok {
			w.Error(proto.ErrNotInt)
			return
		}
		count = max(n, 0)
		var errMsg string
		if start, errMsg = parseIntervalID(a[at], 0, true); errMsg == "" {
			end, errMsg = parseIntervalID(a[at+1], MaxStreamID.Seq, false)
		}
		if errMsg != "" {
			w.Error(errMsg)
			return
		}
		if at+3 < len(a) {
			consumer = a[at+3]
		}
	}
	_, g, ok := streamGroupOf(s, a[1], a[2], true, w)
	if !ok {
		return
	}
	if len(a) == 3 {
		pendingSummary(g, w)
		return
	}
	pel := g.pel
	if consumer != nil {
		c := g.Consumer(consumer)
		if c == nil {
			w.Array(0)
			return
		}
		pel = c.pel
	}
	var hits []*PendingEntry
	for i := pel.search(start); i < len(pel) && count > 0 && !end.Less(pel[i].ID); i++ {
		e := pel[i]
		if minIdle != 0 && s.now-e.DeliveryTime < minIdle {
			continue
		}
		hits = append(hits, e)
		count--
	}
	var buf [48]byte
	w.Array(len(hits))
	for _, e := range hits {
		w.Array(4)
		w.Bulk(e.ID.AppendTo(buf[:0]))
		w.Bulk(e.Consumer.Name)
		w.Int(max(s.now-e.DeliveryTime, 0))
		w.Int(e.DeliveryCount)
	}
}

// pendingSummary is XPENDING's short form: count, smallest and greatest id, and the
// consumers with pending entries.
func pendingSummary(g *StreamGroup, w *proto.Writer) {
	w.Array(4)
	w.Int(int64(len(g.pel)))
	if len(g.pel) == 0 {
		w.Null()
		w.Null()
		w.NullArray()
		return
	}
	var buf [48]byte
	w.Bulk(g.pel[0].ID.AppendTo(buf[:0]))
	w.Bulk(g.pel[len(g.pel)-1].ID.AppendTo(buf[:0]))
	n := 0
	for _, c := range g.consumers {
		if len(c.pel) > 0 {
			n++
		}
	}
	w.Array(n)
	for _, c := range g.consumers {
		if len(c.pel) == 0 {
			continue
		}
		w.Array(2)
		w.Bulk(c.Name)
		w.Bulk(strconv.AppendInt(buf[:0], int64(len(c.pel)), 10))
	}
}

// claimArgs are XCLAIM's options.
type claimArgs struct {
	minIdle      int64
	deliveryTime int64 // -1: now
	retryCount   int64 // -1: count deliveries
	force        bool
	justID       bool
	lastID       StreamID
	ids          []StreamID
}

// parseClaim reads XCLAIM's arguments after the group's checks, as Redis orders them:
// min-idle-time, ids up to the first argument that is not one, then options.
func parseClaim(a Args, now int64) (claimArgs, string) {
	c := claimArgs{deliveryTime: -1, retryCount: -1}
	n, ok := proto.ParseInt(a[4])
	if !ok {
		return c, "ERR Invalid min-idle-time argument for XCLAIM"
	}
	c.minIdle = max(n, 0)
	j := 5
	for ; j < len(a); j++ {
		id, ok := ParseStreamID(a[j], 0, true)
		if !ok {
			break
		}
		c.ids = append(c.ids, id)
	}
	for ; j < len(a); j++ {
		more := j+1 < len(a)
		opt := a[j]
		var bad string
		switch {
		case eqFold(opt, "force"):
			c.force = true
			continue
		case eqFold(opt, "justid"):
			c.justID = true
			continue
		case eqFold(opt, "idle") && more:
			bad = "ERR Invalid IDLE option argument for XCLAIM"
		case eqFold(opt, "time") && more:
			bad = "ERR Invalid TIME option argument for XCLAIM"
		case eqFold(opt, "retrycount") && more:
			bad = "ERR Invalid RETRYCOUNT option argument for XCLAIM"
		case eqFold(opt, "lastid") && more:
			j++
			id, ok := ParseStreamID(a[j], 0, true)
			if !ok {
				return c, errStreamID
			}
			c.lastID = id
			continue
		default:
			return c, "ERR Unrecognized XCLAIM option '" + string(opt) + "'"
		}
		j++
		v, ok := proto.ParseInt(a[j])
		if !ok {
			return c, bad
		}
		switch {
		case eqFold(opt, "idle"):
			c.deliveryTime = now - v
		case eqFold(opt, "time"):
			c.deliveryTime = v
		default:
			c.retryCount = v
		}
	}
	if c.deliveryTime < 0 || c.deliveryTime > now {
		c.deliveryTime = now
	}
	return c, ""
}

// claimTo returns the consumer named name, creating it; it marks it seen at now.
func (g *StreamGroup) claimTo(name []byte, now int64) *StreamConsumer {
	c, _ := g.AddConsumer(name, now)
	c.SeenTime = now
	return c
}

// writeEntry writes the entry id as [id, [field, value, ...]] and reports true, or
// writes nothing and reports false when the stream has no such entry.
func writeEntry(w *proto.Writer, st *Stream, id StreamID) bool {
	it := st.Seek(id, false)
	got, fv, ok := it.Next()
	if !ok || got != id {
		return false
	}
	var buf [48]byte
	w.Array(2)
	w.Bulk(id.AppendTo(buf[:0]))
	w.Array(len(fv))
	for _, b := range fv {
		w.Bulk(b)
	}
	return true
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-ms]
// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
func xclaimCmd(s *Shard, a Args, w *proto.Writer) {
	st, g, ok := streamGroupOf(s, a[1], a[2], false, w)
	if !ok {
		return
	}
	c, errMsg := parseClaim(a, s.now)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	if g.LastID.Less(c.lastID) {
		g.LastID = c.lastID
		s.dirty++
	}
	var claimed []StreamID
	var to *StreamConsumer
	for _, id := range c.ids {
		e := g.pel.find(id)
		if !st.Has(id) {
			// An entry deleted from the stream leaves the PEL.
			if e != nil {
				g.Ack(id)
				s.dirty++
			}
			continue
		}
		if e == nil {
			if !c.force {
				continue
			}
			e = &PendingEntry{ID: id, DeliveryTime: s.now, DeliveryCount: 1}
		} else if c.minIdle > 0 && s.now-e.DeliveryTime < c.minIdle {
			continue
		}
		if to == nil {
			s.notifyNewConsumer(a[1], g, a[3])
			to = g.claimTo(a[3], s.now)
		}
		g.claim(e, to)
		e.DeliveryTime = c.deliveryTime
		if c.retryCount >= 0 {
			e.DeliveryCount = c.retryCount
		} else if !c.justID {
			e.DeliveryCount++
		}
		to.ActiveTime = s.now
		claimed = append(claimed, id)
		s.dirty++
	}
	writeClaimed(w, st, claimed, c.justID)
}

func writeClaimed(w *proto.Writer, st *Stream, ids []StreamID, justID bool) {
	var buf [48]byte
	w.Array(len(ids))
	for _, id := range ids {
		if justID {
			w.Bulk(id.AppendTo(buf[:0]))
		} else if !writeEntry(w, st, id) {
			w.Null()
		}
	}
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
func xautoclaimCmd(s *Shard, a Args, w *proto.Writer) {
	minIdle, ok := proto.ParseInt(a[4])
	if !ok {
		w.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM")
		return
	}
	minIdle = max(minIdle, 0)
	start, errMsg := parseIntervalID(a[5], 0, true)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	count, justID := int64(100), false
	for j := 6; j < len(a); j++ {
		switch {
		case eqFold(a[j], "count") && j+1 < len(a):
			n, ok := proto.ParseInt(a[j+1])
			// Redis bounds COUNT so that count*10 attempts cannot overflow.
			if !ok || n < 1 || n > (1<<63-1)/16 {
				w.Error(errCountPositive)
				return
			}
			count = n
			j++
		case eqFold(a[j], "justid"):
			justID = true
		default:
			w.Error(proto.ErrSyntax)
			return
		}
	}
	st, g, ok := streamGroupOf(s, a[1], a[2], false, w)
	if !ok {
		return
	}
	// Redis allocates count deleted-id slots up front and answers this when the
	// allocation fails; we refuse what no machine could allocate (over 1 TB).
	if count > 1<<40/16 {
		w.Error(errCountTooHigh)
		return
	}
	attempts := count * 10
	var claimed, deleted []StreamID
	var to *StreamConsumer
	i := g.pel.search(start)
	for ; attempts > 0 && count > 0 && i < len(g.pel); attempts-- {
		e := g.pel[i]
		if !st.Has(e.ID) {
			g.Ack(e.ID)
			deleted = append(deleted, e.ID)
			count--
			s.dirty++
			continue
		}
		i++
		if minIdle > 0 && s.now-e.DeliveryTime < minIdle {
			continue
		}
		if to == nil {
			s.notifyNewConsumer(a[1], g, a[3])
			to = g.claimTo(a[3], s.now)
		}
		g.claim(e, to)
		e.DeliveryTime = s.now
		if !justID {
			e.DeliveryCount++
		}
		to.ActiveTime = s.now
		claimed = append(claimed, e.ID)
		count--
		s.dirty++
	}
	var cursor StreamID
	if i < len(g.pel) {
		cursor = g.pel[i].ID
	}
	var buf [48]byte
	w.Array(3)
	w.Bulk(cursor.AppendTo(buf[:0]))
	writeClaimed(w, st, claimed, justID)
	w.Array(len(deleted))
	for _, id := range deleted {
		w.Bulk(id.AppendTo(buf[:0]))
	}
}

// XINFO GROUPS key
func xinfoGroupsCmd(s *Shard, a Args, w *proto.Writer) {
	st, ok := lookupColl[*Stream](s, a[2], TypeStream, true, w)
	if !ok {
		return
	}
	if st == nil {
		w.Error(proto.ErrNoSuchKey)
		return
	}
	var buf [48]byte
	w.Array(len(st.Groups))
	for _, g := range st.Groups {
		w.Map(6)
		w.BulkString("name")
		w.Bulk(g.Name)
		w.BulkString("consumers")
		w.Int(int64(len(g.consumers)))
		w.BulkString("pending")
		w.Int(int64(len(g.pel)))
		w.BulkString("last-delivered-id")
		w.Bulk(g.LastID.AppendTo(buf[:0]))
		writeEntriesReadAndLag(w, st, g)
	}
}

func writeEntriesReadAndLag(w *proto.Writer, st *Stream, g *StreamGroup) {
	w.BulkString("entries-read")
	if g.EntriesRead < 0 {
		w.Null()
	} else {
		w.Int(g.EntriesRead)
	}
	w.BulkString("lag")
	if lag, ok := st.groupLag(g); ok {
		w.Int(lag)
	} else {
		w.Null()
	}
}

// XINFO CONSUMERS key group
func xinfoConsumersCmd(s *Shard, a Args, w *proto.Writer) {
	st, ok := lookupColl[*Stream](s, a[2], TypeStream, true, w)
	if !ok {
		return
	}
	if st == nil {
		w.Error(proto.ErrNoSuchKey)
		return
	}
	g := st.Group(a[3])
	if g == nil {
		w.Error(noGroupFor(a[2], a[3]))
		return
	}
	// Redis 7.2's fields: 7.0 lacks "inactive".
	w.Array(len(g.consumers))
	for _, c := range g.consumers {
		w.Map(4)
		w.BulkString("name")
		w.Bulk(c.Name)
		w.BulkString("pending")
		w.Int(int64(len(c.pel)))
		w.BulkString("idle")
		w.Int(max(s.now-c.SeenTime, 0))
		w.BulkString("inactive")
		if c.ActiveTime < 0 {
			w.Int(-1)
		} else {
			w.Int(max(s.now-c.ActiveTime, 0))
		}
	}
}

// writeGroupFull writes a group as XINFO STREAM FULL shows it, with at most count
// pending entries in each list (count <= 0: all).
func writeGroupFull(w *proto.Writer, st *Stream, g *StreamGroup, count int64) {
	var buf [48]byte
	w.Map(7)
	w.BulkString("name")
	w.Bulk(g.Name)
	w.BulkString("last-delivered-id")
	w.Bulk(g.LastID.AppendTo(buf[:0]))
	writeEntriesReadAndLag(w, st, g)
	w.BulkString("pel-count")
	w.Int(int64(len(g.pel)))
	w.BulkString("pending")
	pel := limitPEL(g.pel, count)
	w.Array(len(pel))
	for _, e := range pel {
		w.Array(4)
		w.Bulk(e.ID.AppendTo(buf[:0]))
		w.Bulk(e.Consumer.Name)
		w.Int(e.DeliveryTime)
		w.Int(e.DeliveryCount)
	}
	w.BulkString("consumers")
	w.Array(len(g.consumers))
	for _, c := range g.consumers {
		// Redis 7.2's fields: 7.0 lacks "active-time".
		w.Map(5)
		w.BulkString("name")
		w.Bulk(c.Name)
		w.BulkString("seen-time")
		w.Int(c.SeenTime)
		w.BulkString("active-time")
		w.Int(c.ActiveTime)
		w.BulkString("pel-count")
		w.Int(int64(len(c.pel)))
		w.BulkString("pending")
		pel := limitPEL(c.pel, count)
		w.Array(len(pel))
		for _, e := range pel {
			w.Array(3)
			w.Bulk(e.ID.AppendTo(buf[:0]))
			w.Int(e.DeliveryTime)
			w.Int(e.DeliveryCount)
		}
	}
}

func limitPEL(p pelList, count int64) pelList {
	if count > 0 && int64(len(p)) > count {
		return p[:count]
	}
	return p
}

// XReadGroupArgs are XREADGROUP's parsed arguments; the slices alias the command's
// arguments.
type XReadGroupArgs struct {
	XReadArgs
	Group, Consumer []byte
	NoAck           bool
}

// ParseXReadGroup reads XREADGROUP GROUP group consumer [COUNT count] [BLOCK
// milliseconds] [NOACK] STREAMS key [key ...] id [id ...], reporting errors in the
// order Redis finds them.
func ParseXReadGroup(a Args) (XReadGroupArgs, string) { return parseStreamRead(a, true) }

// XReadGroupKeyPositions returns the positions of XREADGROUP's keys as Redis's key
// spec finds them: after the first STREAMS from argument 4 on, the first half of the
// remaining arguments.
func XReadGroupKeyPositions(a [][]byte) []int { return streamsKeyPositions(a, 4) }

// StreamGroupCheck validates one stream of an XREADGROUP: key must hold a stream with
// the group, and arg must be ">" (newOnly: entries never delivered to the group) or an
// id (the consumer's pending entries after it).
func (s *Shard) StreamGroupCheck(key, group, arg []byte) (after StreamID, newOnly bool, errMsg string) {
	e, ok := s.peek(key)
	if ok && e.Type != TypeStream {
		return after, false, proto.ErrWrongType
	}
	if !ok || e.Coll.(*Stream).Group(group) == nil {
		return after, false, noGroupRead(key, group)
	}
	switch {
	case isDollar(arg):
		return after, false, errXReadGroupDollar
	case len(arg) == 1 && arg[0] == '>':
		return after, true, ""
	}
	after, ok = ParseStreamID(arg, 0, true)
	if !ok {
		return after, false, errStreamID
	}
	// Redis marks ">" with the greatest id, so that id given explicitly reads as ">".
	return after, after == MaxStreamID, ""
}

// streamGroupAt returns the stream at key and its group, or nils.
func (s *Shard) streamGroupAt(key, group []byte) (*Stream, *StreamGroup) {
	e, ok := s.write(key)
	if !ok || e.Type != TypeStream {
		return nil, nil
	}
	st := e.Coll.(*Stream)
	return st, st.Group(group)
}

// StreamGroupRead serves one stream of an XREADGROUP that StreamGroupCheck accepted:
// it writes the entries (an array of [id, fields]) to w and reports true, or writes
// nothing and reports false when newOnly is set and the group has nothing new. The
// consumer is created (and marked seen) when something is served.
func (s *Shard) StreamGroupRead(key []byte, x *XReadGroupArgs, after StreamID, newOnly bool, w *proto.Writer) bool {
	st, g := s.streamGroupAt(key, x.Group)
	if g == nil {
		return false
	}
	if newOnly {
		if st.length == 0 || !g.LastID.Less(st.LastEntryID()) {
			return false
		}
		s.notifyNewConsumer(key, g, x.Consumer)
		s.deliverNew(st, g, x, w)
		return true
	}
	s.notifyNewConsumer(key, g, x.Consumer)
	c := g.claimTo(x.Consumer, s.now)
	s.dirty++
	from, ok := after.Next()
	if !ok {
		w.Array(0)
		return true
	}
	var buf [48]byte
	pel := c.pel[c.pel.search(from):]
	if x.Count > 0 && int64(len(pel)) > x.Count {
		pel = pel[:x.Count]
	}
	w.Array(len(pel))
	for _, e := range pel {
		if !writeEntry(w, st, e.ID) {
			w.Array(2)
			w.Bulk(e.ID.AppendTo(buf[:0]))
			w.NullArray()
			continue
		}
		e.DeliveryTime = s.now
		e.DeliveryCount++
	}
	return true
}

// deliverNew writes the entries after the group's last id, up to the count, moves the
// group past them and, unless NOACK, records them as pending for the consumer.
func (s *Shard) deliverNew(st *Stream, g *StreamGroup, x *XReadGroupArgs, w *proto.Writer) {
	c := g.claimTo(x.Consumer, s.now)
	from, _ := g.LastID.Next()
	count := x.Count
	if count == 0 {
		count = -1
	}
	it := st.Seek(from, false)
	it.idsOnly = true
	var ids []StreamID
	for count < 0 || int64(len(ids)) < count {
		id, _, ok := it.Next()
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	WriteStreamRange(w, st, from, ids[len(ids)-1], false, -1)
	for _, id := range ids {
		st.advance(g, id)
		if !x.NoAck {
			g.Deliver(id, c, s.now)
		}
	}
	c.ActiveTime = s.now
	s.dirty++
}

// noGroupRead is XREADGROUP's error for a missing key or group.
func noGroupRead(key, group []byte) string {
	return "NOGROUP No such key '" + string(key) + "' or consumer group '" + string(group) + "' in XREADGROUP with GROUP option"
}

// StreamGroupWaitReady reports whether an XREADGROUP blocked on key for new entries
// should wake: the stream has a live entry past the group's last one, or the group is gone,
// or the key no longer holds a stream (deleted, flushed, overwritten), which Redis 7.2
// answers with the error the command would get now.
func (s *Shard) StreamGroupWaitReady(key, group []byte) bool {
	e, ok := s.peek(key)
	if !ok || e.Type != TypeStream {
		return true
	}
	st := e.Coll.(*Stream)
	g := st.Group(group)
	// A stream whose entries past the group were deleted has nothing to deliver: the
	// waiter keeps waiting, as in Redis (it never answers an empty list).
	return g == nil || st.length > 0 && g.LastID.Less(st.LastEntryID())
}

// StreamGroupServeBlocked serves a woken XREADGROUP: it writes the entries for key, or
// returns the error for a group that was destroyed. wrote is false when nothing was
// left to deliver.
func (s *Shard) StreamGroupServeBlocked(key []byte, x *XReadGroupArgs, w *proto.Writer) (wrote bool, errMsg string) {
	if e, ok := s.peek(key); !ok {
		return false, noGroupRead(key, x.Group)
	} else if e.Type != TypeStream {
		return false, proto.ErrWrongType
	}
	st, g := s.streamGroupAt(key, x.Group)
	if g == nil {
		return false, errGroupGone
	}
	if !g.LastID.Less(st.lastID) {
		return false, ""
	}
	if st.length == 0 || !g.LastID.Less(st.LastEntryID()) {
		return false, ""
	}
	s.notifyNewConsumer(key, g, x.Consumer)
	s.deliverNew(st, g, x, w)
	return true, ""
}
