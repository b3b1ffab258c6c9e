package coord

// Pub/Sub: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, their UN- forms, PUBLISH, SPUBLISH and
// PUBSUB.
//
// Where subscriptions live. Each event loop keeps its own tables (loopSubs): channel ->
// the subscribers on that loop, in subscription order, and the list of patterns with
// their local subscribers. Only that loop touches them. A server-wide summary
// (pubsubIndex) records, per channel and per pattern, how many subscribers each loop
// has; it changes only when a subscription is added or removed and is read by every
// PUBLISH under a read lock, so that a message is posted only to the loops that have a
// subscriber for it. The summary also answers PUBSUB CHANNELS/NUMSUB/NUMPAT and INFO.
//
// The publish path. PUBLISH asks the summary which loops to reach, delivers on its own
// loop at once, and posts one task per other loop (gnet's per-loop task queue, FIFO).
// Each task counts the receivers on its loop; the publisher replies with the sum once
// every task has answered (fanoutWith), which is what makes the count exact and, because
// a connection runs its next command only after that, keeps one publisher's messages in
// publish order at every subscriber. Messages for a subscriber are appended to its
// pending buffer and written to its connection by its own loop, after the command that
// may be running on it: a push never lands in the middle of a reply.
//
// For keyspace notifications, Server.publishFromLoop delivers a message from any
// loop's goroutine with one call and does not wait for a count.

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Subscription kinds: each has its own namespace, confirmation words and message word.
const (
	subChannel = iota
	subPattern
	subShard
	numSubKinds
)

var (
	subWords   = [numSubKinds]string{"subscribe", "psubscribe", "ssubscribe"}
	unsubWords = [numSubKinds]string{"unsubscribe", "punsubscribe", "sunsubscribe"}
)

// pubsubIndex is the server-wide summary of subscriptions and the per-loop tables.
//
// Concurrency: mu guards names; loops[i] is touched only by loop i.
type pubsubIndex struct {
	mu sync.RWMutex
	// clients counts the clients with at least one subscription (INFO pubsub_clients).
	clients atomic.Int64
	// names[kind] maps a channel (or pattern) to its subscriber counts.
	names [numSubKinds]map[string]*subCounts
	loops []*loopSubs
}

// subCounts is how many subscribers a channel or pattern has, in total and per loop.
type subCounts struct {
	total   int64
	perLoop []int32
}

// loopSubs is one loop's subscription tables. Owner: that loop.
type loopSubs struct {
	// subs[subChannel] and subs[subShard] map a channel to its local subscribers in
	// subscription order; subs[subPattern] does the same for patterns.
	subs [numSubKinds]map[string][]*client
	// patterns lists the local patterns in first-subscription order, the order in
	// which a message is matched against them.
	patterns []string
	// flush lists clients with undelivered messages; flushPosted says a task that
	// writes them is queued.
	flush       []*client
	flushPosted bool
	// targets is scratch space for the loops a PUBLISH from this loop must reach.
	targets []int
}

// subState is a client's subscriptions. Owner: the client's loop.
type subState struct {
	// names[kind] lists the client's channels or patterns in subscription order;
	// has[kind] indexes them.
	names [numSubKinds][]string
	has   [numSubKinds]map[string]bool
	// pending holds messages not yet written to the connection.
	pending proto.Writer
	// softSince is when the output first stayed above the soft limit (Unix seconds),
	// 0 while it is below.
	softSince int64
	// dropped is set once the client is being closed for its output buffer.
	dropped bool
}

func (s *Server) initPubsub() {
	if s.pubsub.loops != nil {
		return
	}
	for k := range s.pubsub.names {
		s.pubsub.names[k] = make(map[string]*subCounts)
	}
	for range s.n {
		ls := &loopSubs{}
		for k := range ls.subs {
			ls.subs[k] = make(map[string][]*client)
		}
		s.pubsub.loops = append(s.pubsub.loops, ls)
	}
}

// subCount returns the client's channel and pattern subscriptions (the number SUBSCRIBE
// and PSUBSCRIBE confirmations report) and its shard-channel subscriptions.
func (cl *client) subCount() (normal, shardCh int) {
	if cl.sub == nil {
		return 0, 0
	}
	return len(cl.sub.names[subChannel]) + len(cl.sub.names[subPattern]), len(cl.sub.names[subShard])
}

// subscribed reports whether the client is in subscribed mode (Redis's pubsub client
// type): it has at least one subscription of any kind.
func (cl *client) subscribed() bool {
	n, sh := cl.subCount()
	return n+sh > 0
}

// confirmCount is the count a confirmation of kind reports.
func (cl *client) confirmCount(kind int) int {
	n, sh := cl.subCount()
	if kind == subShard {
		return sh
	}
	return n
}

// subscribe adds one subscription and reports whether it is new.
func (cl *client) subscribe(kind int, name string) bool {
	if cl.sub == nil {
		cl.sub = &subState{}
	}
	st := cl.sub
	if st.has[kind] == nil {
		st.has[kind] = make(map[string]bool)
	}
	if st.has[kind][name] {
		return false
	}
	if !cl.subscribed() {
		cl.srv.pubsub.clients.Add(1)
	}
	st.has[kind][name] = true
	st.names[kind] = append(st.names[kind], name)
	ls := cl.srv.pubsub.loops[cl.loop.idx]
	local := ls.subs[kind][name]
	if len(local) == 0 && kind == subPattern {
		ls.patterns = append(ls.patterns, name)
	}
	ls.subs[kind][name] = append(local, cl)
	cl.srv.pubsub.adjust(kind, name, cl.loop.idx, 1)
	return true
}

// unsubscribe removes one subscription and reports whether the client had it.
func (cl *client) unsubscribe(kind int, name string) bool {
	st := cl.sub
	if st == nil || !st.has[kind][name] {
		return false
	}
	delete(st.has[kind], name)
	st.names[kind] = removeString(st.names[kind], name)
	ls := cl.srv.pubsub.loops[cl.loop.idx]
	local := ls.subs[kind][name]
	for i, c := range local {
		if c == cl {
			local = append(local[:i], local[i+1:]...)
			break
		}
	}
	if len(local) == 0 {
		delete(ls.subs[kind], name)
		if kind == subPattern {
			ls.patterns = removeString(ls.patterns, name)
		}
	} else {
		ls.subs[kind][name] = local
	}
	cl.srv.pubsub.adjust(kind, name, cl.loop.idx, -1)
	if !cl.subscribed() {
		cl.srv.pubsub.clients.Add(-1)
	}
	return true
}

func removeString(list []string, s string) []string {
	for i, have := range list {
		if have == s {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// adjust records one subscriber more (d = 1) or less (d = -1) on loop for name.
func (x *pubsubIndex) adjust(kind int, name string, loop int, d int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	c := x.names[kind][name]
	if c == nil {
		c = &subCounts{perLoop: make([]int32, len(x.loops))}
		x.names[kind][name] = c
	}
	c.total += int64(d)
	c.perLoop[loop] += int32(d)
	if c.total == 0 {
		delete(x.names[kind], name)
	}
}

// leavePubsub drops every subscription of a client whose connection closed (or that
// ran RESET), without confirmations.
func (cl *client) leavePubsub() {
	if cl.sub == nil {
		return
	}
	for kind := range cl.sub.names {
		for len(cl.sub.names[kind]) > 0 {
			cl.unsubscribe(kind, cl.sub.names[kind][0])
		}
	}
	cl.sub = nil
}

// subscribeCmd is SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE: one confirmation per argument.
func subscribeCmd(kind int) clientHandler {
	return func(cl *client, args [][]byte, w *proto.Writer) {
		if cl.exec != nil && kind == subShard {
			w.Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
			return
		}
		cl.confirming = cl.exec == nil
		for _, a := range args[1:] {
			name := string(a)
			cl.subscribe(kind, name)
			w.Push(3)
			w.BulkString(subWords[kind])
			w.BulkString(name)
			w.Int(int64(cl.confirmCount(kind)))
		}
	}
}

// unsubscribeCmd is UNSUBSCRIBE, PUNSUBSCRIBE and SUNSUBSCRIBE. Without arguments it
// leaves every subscription of its kind, and when there is none it still confirms once,
// with a null name.
func unsubscribeCmd(kind int) clientHandler {
	return func(cl *client, args [][]byte, w *proto.Writer) {
		cl.confirming = cl.exec == nil
		var names []string
		if len(args) > 1 {
			for _, a := range args[1:] {
				names = append(names, string(a))
			}
		} else if cl.sub != nil {
			names = append(names, cl.sub.names[kind]...)
		}
		if len(names) == 0 {
			w.Push(3)
			w.BulkString(unsubWords[kind])
			w.Null()
			w.Int(int64(cl.confirmCount(kind)))
			return
		}
		for _, name := range names {
			cl.unsubscribe(kind, name)
			w.Push(3)
			w.BulkString(unsubWords[kind])
			w.BulkString(name)
			w.Int(int64(cl.confirmCount(kind)))
		}
	}
}

// pubMessage is one published message, shared read-only by every loop it reaches.
type pubMessage struct {
	kind    int // subChannel (PUBLISH) or subShard (SPUBLISH)
	channel []byte
	// body is the channel and the payload as two bulk strings, the common tail of every
	// frame that carries the message.
	body []byte
}

func newMessage(kind int, channel, payload []byte) *pubMessage {
	var w proto.Writer
	w.Bulk(channel)
	w.Bulk(payload)
	body := w.Bytes()
	// channel points into body, so that the message is one allocation besides itself.
	start := len(strconv.Itoa(len(channel))) + 3
	return &pubMessage{kind: kind, channel: body[start : start+len(channel)], body: body}
}

// PUBLISH channel message
func publishCmd(cl *client, args [][]byte, w *proto.Writer) {
	cl.publish(newMessage(subChannel, args[1], args[2]), w)
	cl.srv.replicateOnly(cl.db, args) // repl.go
}

// SPUBLISH shardchannel message
func spublishCmd(cl *client, args [][]byte, w *proto.Writer) {
	cl.publish(newMessage(subShard, args[1], args[2]), w)
	cl.srv.replicateOnly(cl.db, args)
}

// publish delivers m on every loop with a receiver and answers the number of receivers.
func (cl *client) publish(m *pubMessage, w *proto.Writer) {
	srv := cl.srv
	own := cl.loop.idx
	ls := srv.pubsub.loops[own]
	targets := srv.pubsub.targets(m, ls.targets[:0])
	ls.targets = targets[:0]
	var local int64
	remote := make([]int, 0, len(targets))
	self := cl
	if cl.exec != nil && cl.exec.script {
		self = nil // its frames wait in pending, flushed before the script answers
	}
	for _, t := range targets {
		if t == own {
			local = srv.pubsub.loops[own].deliver(m, self, w)
			continue
		}
		remote = append(remote, t)
	}
	ls.postFlush(srv, own)
	if len(remote) == 0 {
		w.Int(local)
		return
	}
	counts := make([]int64, len(remote))
	cl.fanoutWith(len(remote), func(ack func(int)) {
		for i, t := range remote {
			i, t := i, t
			srv.run(t, func() {
				lt := srv.pubsub.loops[t]
				counts[i] = lt.deliver(m, nil, nil)
				lt.postFlush(srv, t)
				ack(t)
			})
		}
	}, func(w *proto.Writer) {
		total := local
		for _, c := range counts {
			total += c
		}
		w.Int(total)
	})
}

// targets appends to out the loops that have a subscriber for m: to its channel, or,
// for PUBLISH, to a pattern that matches it.
func (x *pubsubIndex) targets(m *pubMessage, out []int) []int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var seen uint64 // loops already in out, when there are at most 64
	add := func(c *subCounts) {
		for i, n := range c.perLoop {
			if n == 0 {
				continue
			}
			if i < 64 {
				if seen&(1<<i) != 0 {
					continue
				}
				seen |= 1 << i
			} else if containsInt(out, i) {
				continue
			}
			out = append(out, i)
		}
	}
	if c := x.names[m.kind][string(m.channel)]; c != nil {
		add(c)
	}
	if m.kind == subChannel {
		for p, c := range x.names[subPattern] {
			if shard.Match([]byte(p), m.channel, false) {
				add(c)
			}
		}
	}
	return out
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// deliver queues m for its receivers on this loop and returns how many there were. A
// receiver counts once per matching subscription, as Redis counts. It runs on the
// loop that owns ls. self, when not nil, is the publishing client, whose copy goes into
// w just before the PUBLISH reply instead of waiting for a flush.
func (ls *loopSubs) deliver(m *pubMessage, self *client, w *proto.Writer) int64 {
	var n int64
	word := "message"
	if m.kind == subShard {
		word = "smessage"
	}
	for _, c := range ls.subs[m.kind][string(m.channel)] {
		ls.frame(c, self, w, word, "", m)
		n++
	}
	if m.kind == subChannel {
		for _, p := range ls.patterns {
			if !shard.Match([]byte(p), m.channel, false) {
				continue
			}
			for _, c := range ls.subs[subPattern][p] {
				ls.frame(c, self, w, "pmessage", p, m)
				n++
			}
		}
	}
	return n
}

// frame writes one message frame for client c: into its pending buffer, or, when c is
// the publisher, into the reply writer after anything still pending for it.
func (ls *loopSubs) frame(c *client, self *client, w *proto.Writer, word, pattern string, m *pubMessage) {
	if c.closed || c.sub == nil || c.sub.dropped {
		return
	}
	out := &c.sub.pending
	if c == self && w != nil {
		if c.sub.pending.Len() > 0 {
			w.Raw(c.sub.pending.Bytes())
			c.sub.pending.Reset()
		}
		out = w
	} else if out.Len() == 0 {
		ls.flush = append(ls.flush, c)
	}
	out.SetRESP3(c.out.RESP3())
	if pattern != "" {
		out.Push(4)
		out.BulkString(word)
		out.BulkString(pattern)
	} else {
		out.Push(3)
		out.BulkString(word)
	}
	out.Raw(m.body)
}

// flushAll writes every pending message of this loop's clients. It runs on the loop,
// between commands.
func (ls *loopSubs) flushAll() {
	ls.flushPosted = false
	for _, c := range ls.flush {
		c.flushPending()
	}
	clear(ls.flush)
	ls.flush = ls.flush[:0]
}

// postFlush makes sure a task that writes this loop's pending messages is queued behind
// the current one. A delivery made while a command runs must not interleave with its
// reply; and under load, the deliveries already queued on the loop run before the
// flush, so that a subscriber gets many messages in one write, as Redis writes a
// client's buffer once per event-loop iteration.
func (ls *loopSubs) postFlush(srv *Server, loop int) {
	if ls.flushPosted || len(ls.flush) == 0 {
		return
	}
	ls.flushPosted = true
	srv.run(loop, func() { ls.flushAll() })
}

// takePending moves the client's undelivered messages to the front of its output. The
// client's serve calls it before running commands, so that a reply never overtakes a
// message delivered before its command.
func (cl *client) takePending() {
	if cl.sub == nil || cl.sub.pending.Len() == 0 || cl.out.Len() > 0 {
		return
	}
	cl.out.Raw(cl.sub.pending.Bytes())
	cl.sub.pending.Reset()
}

// flushPending writes the client's pending messages and enforces its output limits.
func (cl *client) flushPending() {
	st := cl.sub
	if st == nil || st.pending.Len() == 0 {
		return
	}
	if cl.closed || st.dropped {
		st.pending.Reset()
		return
	}
	cl.loop.netOut += int64(st.pending.Len())
	_, _ = cl.conn.Write(st.pending.Bytes())
	if cap(st.pending.Bytes()) > 64*1024 {
		st.pending = proto.Writer{}
	} else {
		st.pending.Reset()
	}
	cl.checkOutputLimit()
}

// Output buffer classes of client-output-buffer-limit, in CONFIG GET's order.
const (
	obufNormal = iota
	obufReplica
	obufPubsub
	numObufClasses
)

// obufLimit is one class of client-output-buffer-limit.
type obufLimit struct {
	hard, soft, softSeconds int64
}

// checkOutputLimit closes the connection when the bytes gnet still holds for it exceed
// its class's hard limit, or have stayed above the soft limit for longer than the soft
// period, as Redis does for slow consumers. It runs on the client's loop after a write.
func (cl *client) checkOutputLimit() {
	class := obufNormal
	if cl.subscribed() {
		class = obufPubsub
	}
	lim := cl.srv.cfg.obufLimits()[class]
	if lim.hard == 0 && lim.soft == 0 {
		return
	}
	used := int64(cl.conn.OutboundBuffered())
	over := lim.hard > 0 && used >= lim.hard
	if !over && lim.soft > 0 {
		var since *int64
		if cl.sub != nil {
			since = &cl.sub.softSince
		} else {
			since = &cl.obufSoftSince
		}
		now := time.Now().Unix()
		switch {
		case used < lim.soft:
			*since = 0
		case *since == 0:
			*since = now
		case now-*since > lim.softSeconds:
			over = true
		}
	}
	if !over {
		return
	}
	if cl.sub != nil {
		cl.sub.dropped = true
		cl.sub.pending.Reset()
	}
	cl.srv.log.warning("Client id=%d addr=%s closed for overcoming of output buffer limits.", cl.id, cl.addr)
	cl.closeAfterReply = true
	_ = cl.conn.Close()
}

// publishFromLoop delivers a message published by the server itself, such as a
// keyspace notification ("__keyspace@0__:key" / "__keyevent@0__:set"), to every
// subscriber of channel and of the patterns matching it, on every loop. It must be
// called on loop's goroutine (typically from a shard's command or expiry on that loop);
// it does not wait for the other loops, and messages it sends from one loop reach each
// subscriber in the order they were sent. The arguments may be reused once it returns.
func (s *Server) publishFromLoop(loop int, channel, payload []byte) {
	m := newMessage(subChannel, channel, payload)
	ls := s.pubsub.loops[loop]
	targets := s.pubsub.targets(m, ls.targets[:0])
	ls.targets = targets[:0]
	for _, t := range targets {
		if t == loop {
			ls.deliver(m, nil, nil)
			ls.postFlush(s, loop)
			continue
		}
		t := t
		s.run(t, func() {
			lt := s.pubsub.loops[t]
			lt.deliver(m, nil, nil)
			lt.postFlush(s, t)
		})
	}
}

// PUBSUB CHANNELS [pattern], PUBSUB SHARDCHANNELS [pattern]
func pubsubChannelsCmd(kind int) clientHandler {
	return func(cl *client, args [][]byte, w *proto.Writer) {
		var pattern []byte
		if len(args) > 3 {
			w.Error("ERR unknown subcommand or wrong number of arguments for '" + truncate(string(args[1]), 128) + "'. Try PUBSUB HELP.")
			return
		}
		if len(args) == 3 {
			pattern = args[2]
		}
		x := &cl.srv.pubsub
		x.mu.RLock()
		var names []string
		for name := range x.names[kind] {
			if pattern == nil || shard.Match(pattern, []byte(name), false) {
				names = append(names, name)
			}
		}
		x.mu.RUnlock()
		w.Array(len(names))
		for _, n := range names {
			w.BulkString(n)
		}
	}
}

// PUBSUB NUMSUB [channel ...], PUBSUB SHARDNUMSUB [shardchannel ...]
func pubsubNumsubCmd(kind int) clientHandler {
	return func(cl *client, args [][]byte, w *proto.Writer) {
		x := &cl.srv.pubsub
		counts := make([]int64, len(args)-2)
		x.mu.RLock()
		for i, a := range args[2:] {
			if c := x.names[kind][string(a)]; c != nil {
				counts[i] = c.total
			}
		}
		x.mu.RUnlock()
		w.Array(2 * len(counts))
		for i, a := range args[2:] {
			w.Bulk(a)
			w.Int(counts[i])
		}
	}
}

// PUBSUB NUMPAT
func pubsubNumpatCmd(cl *client, _ [][]byte, w *proto.Writer) {
	w.Int(int64(cl.srv.pubsubNames()[subPattern]))
}

// pubsubNames returns the number of distinct channels, patterns and shard channels
// that have a subscriber (INFO stats).
func (s *Server) pubsubNames() (names [numSubKinds]int) {
	x := &s.pubsub
	x.mu.RLock()
	for k := range x.names {
		names[k] = len(x.names[k])
	}
	x.mu.RUnlock()
	return names
}

// PUBSUB HELP
func pubsubHelpCmd(_ *client, _ [][]byte, w *proto.Writer) {
	helpReply(w, "PUBSUB", []string{
		"CHANNELS [<pattern>]", "    List the channels with subscribers, optionally only those matching <pattern>.",
		"NUMPAT", "    Count the distinct patterns with subscribers.",
		"NUMSUB [<channel> ...]", "    Count each channel's subscribers (pattern subscriptions not included).",
		"SHARDCHANNELS [<pattern>]", "    List the shard channels with subscribers, optionally only those matching <pattern>.",
		"SHARDNUMSUB [<shardchannel> ...]", "    Count each shard channel's subscribers.",
		"HELP", "    Print this help.",
	})
}

// pubsubAllowed is the RESP2 subscribed-mode filter: the commands a client may run
// while it has subscriptions and speaks RESP2.
func pubsubAllowed(cmd *Command) bool {
	switch cmd.Name {
	case "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe",
		"psubscribe", "punsubscribe", "quit", "reset":
		return true
	}
	return false
}

// subs returns how many subscriptions of kind the client has (CLIENT LIST).
func (cl *client) subs(kind int) int {
	if cl.sub == nil {
		return 0
	}
	return len(cl.sub.names[kind])
}

// clientType is the client's class for CLIENT LIST TYPE and CLIENT KILL TYPE.
func (cl *client) clientType() string {
	if cl.subscribed() {
		return "pubsub"
	}
	return "normal"
}
