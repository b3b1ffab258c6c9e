package coord

// Client-side caching: CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR, CLIENT
// TRACKINGINFO and the invalidation messages.
//
// Where the state lives. A tracking client's options live on the client (trackState,
// touched only by its loop) and, for the loops that send invalidations, in an immutable
// tracker published in the server-wide registry (trackRegistry, under a read-mostly
// lock). In the default mode each shard's loop keeps its own table key -> ids of the
// clients that read the key while tracking (trackLoop.keys): a tracked read posts the
// key to the table of the shard that owns it before the read itself is queued there, so
// no write can slip between the read and its registration. In BCAST mode the prefixes
// are server-wide and every write checks them.
//
// The invalidation path. A write, an expiry or an eviction on a shard looks the key up
// in that shard's table and posts one message per client to the loop of the client
// that receives it (the tracking client or its REDIRECT target), which appends it to
// the receiver's pending Pub/Sub buffer (pubsub.go): it is written after the command
// that may be running there, never in the middle of a reply. When nobody tracks, a
// write costs one atomic load (trackRegistry.active).

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// trackInvalidateChannel is where a RESP2 client redirected to receives invalidations.
const trackInvalidateChannel = "__redis__:invalidate"

// trackState is a tracking client's options. Owner: the client's loop.
type trackState struct {
	bcast, optin, optout, noloop bool
	redirect                     uint64
	prefixes                     []string
	// caching is CLIENT CACHING's answer for the next command: +1 yes, -1 no, 0 unset.
	caching int8
	// broken is set once an invalidation found the redirect target gone.
	broken bool
	// deferReads is set for an EXEC or a script whose single-shard reads register as
	// they run (rememberRead), not before the transaction or the script.
	deferReads bool
	// deferred holds invalidations that arrived while the client waited for another
	// loop: they follow the reply it waits for (its own write may have caused them, and
	// Redis answers the write first).
	deferred proto.Writer
}

// tracker is the registry's immutable copy of a tracking client's delivery options.
type tracker struct {
	id     uint64
	loop   int
	bcast  bool
	noloop bool
	// redirect is the client receiving the messages (0: the client itself), on
	// redirLoop.
	redirect  uint64
	redirLoop int
}

// trackRegistry is the server-wide tracking state.
//
// Concurrency: mu guards clients and prefixes; loops[i] is touched only by loop i.
type trackRegistry struct {
	// active counts the tracking clients: zero means writes skip tracking entirely.
	active atomic.Int64
	// bcast counts the BCAST clients: zero means writes skip the prefix table.
	bcast atomic.Int64
	// keys and items count the default-mode table's keys and (key, client) pairs over
	// every shard (INFO tracking_total_keys / tracking_total_items).
	keys, items atomic.Int64

	mu       sync.RWMutex
	clients  map[uint64]*tracker
	prefixes map[string][]uint64
	loops    []*trackLoop
}

// trackLoop is one shard's tracking table. Owner: that shard's loop.
type trackLoop struct {
	keys map[lockKey]map[uint64]struct{}
	// writer is the client whose command runs on the loop now (0: unknown), for NOLOOP.
	writer uint64
	// bcast holds the BCAST invalidations of the running callback: prefix -> written
	// key -> its writer (broadcast, flushBroadcasts).
	bcast map[string]map[string]uint64
}

func (s *Server) initTracking() {
	if s.tracking.loops != nil {
		return
	}
	s.tracking.clients = map[uint64]*tracker{}
	s.tracking.prefixes = map[string][]uint64{}
	for range s.n {
		s.tracking.loops = append(s.tracking.loops, &trackLoop{keys: map[lockKey]map[uint64]struct{}{}})
	}
}

// lookup returns the tracker of client id, nil when it does not track.
func (r *trackRegistry) lookup(id uint64) *tracker {
	r.mu.RLock()
	t := r.clients[id]
	r.mu.RUnlock()
	return t
}

// setWriter records the client whose command is about to run on loop (NOLOOP).
func (s *Server) setWriter(loop int, id uint64) {
	if s.tracking.active.Load() != 0 {
		s.tracking.loops[loop].writer = id
	}
}

// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX prefix ...] [BCAST] [OPTIN] [OPTOUT]
// [NOLOOP]
func clientTrackingCmd(cl *client, args [][]byte, w *proto.Writer) {
	var opts trackState
	var prefixes []string
	redirSet := false
	for i := 3; i < len(args); i++ {
		more := i+1 < len(args)
		switch strings.ToLower(string(args[i])) {
		case "redirect":
			if !more {
				w.Error(proto.ErrSyntax)
				return
			}
			i++
			if redirSet {
				w.Error("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := proto.ParseInt(args[i])
			if !ok {
				w.Error(proto.ErrNotInt)
				return
			}
			opts.redirect, redirSet = uint64(id), true
		case "bcast":
			opts.bcast = true
		case "optin":
			opts.optin = true
		case "optout":
			opts.optout = true
		case "noloop":
			opts.noloop = true
		case "prefix":
			if !more {
				w.Error(proto.ErrSyntax)
				return
			}
			i++
			prefixes = append(prefixes, string(args[i]))
		default:
			w.Error(proto.ErrSyntax)
			return
		}
	}
	switch strings.ToLower(string(args[2])) {
	case "on":
	case "off":
		cl.stopTracking()
		w.OK()
		return
	default:
		w.Error(proto.ErrSyntax)
		return
	}
	if msg := cl.checkTracking(&opts, prefixes); msg != "" {
		w.Error(msg)
		return
	}
	if !redirSet {
		cl.startTracking(opts, prefixes, cl.loop.idx)
		w.OK()
		return
	}
	// The redirect target must exist now (it may go away later): ask every loop.
	srv := cl.srv
	found := make([]bool, srv.n)
	cl.fanout(srv.allShards(), func(sh *shard.Shard, i int) {
		_, found[i] = srv.loops[sh.ID].clients[opts.redirect]
	}, func(w *proto.Writer) {
		for i, ok := range found {
			if ok {
				cl.startTracking(opts, prefixes, i)
				w.OK()
				return
			}
		}
		w.Error("ERR The client ID you want redirect to does not exist")
	})
}

// checkTracking validates CLIENT TRACKING ON's options against each other and against
// the client's current mode, in Redis's order of checks.
func (cl *client) checkTracking(opts *trackState, prefixes []string) string {
	if !opts.bcast && len(prefixes) > 0 {
		return "ERR PREFIX option requires BCAST mode to be enabled"
	}
	cur := cl.track
	if cur != nil && cur.bcast != opts.bcast {
		return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
	}
	if opts.bcast && (opts.optin || opts.optout) {
		return "ERR OPTIN and OPTOUT are not compatible with BCAST"
	}
	if opts.optin && opts.optout {
		return "ERR You can't specify both OPTIN mode and OPTOUT mode"
	}
	if cur != nil && (opts.optin && cur.optout || opts.optout && cur.optin) {
		return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
	}
	if !opts.bcast {
		return ""
	}
	for i, p := range prefixes {
		if cur != nil {
			for _, have := range cur.prefixes {
				if overlaps(p, have) {
					return "ERR Prefix '" + p + "' overlaps with an existing prefix '" + have + "'. Prefixes for a single client must not overlap."
				}
			}
		}
		for _, q := range prefixes[i+1:] {
			if overlaps(p, q) {
				return "ERR Prefix '" + p + "' overlaps with another provided prefix '" + q + "'. Prefixes for a single client must not overlap."
			}
		}
	}
	return ""
}

// overlaps reports whether one prefix is a prefix of the other.
func overlaps(a, b string) bool {
	return strings.HasPrefix(a, b) || strings.HasPrefix(b, a)
}

// startTracking turns tracking on (or changes its options), redirecting to a client on
// loop redirLoop when opts.redirect is set. As in Redis, BCAST prefixes accumulate
// while the mode stays on, and a BCAST client without prefixes tracks every key.
func (cl *client) startTracking(opts trackState, prefixes []string, redirLoop int) {
	r := &cl.srv.tracking
	if cl.track == nil {
		r.active.Add(1)
		if opts.bcast {
			r.bcast.Add(1)
		}
	} else {
		opts.prefixes = cl.track.prefixes
	}
	if opts.bcast && len(prefixes) == 0 && len(opts.prefixes) == 0 {
		prefixes = []string{""}
	}
	t := &tracker{id: cl.id, loop: cl.loop.idx, bcast: opts.bcast, noloop: opts.noloop,
		redirect: opts.redirect, redirLoop: redirLoop}
	r.mu.Lock()
	for _, p := range prefixes {
		if !containsString(opts.prefixes, p) {
			opts.prefixes = append(opts.prefixes, p)
			r.prefixes[p] = append(r.prefixes[p], cl.id)
		}
	}
	r.clients[cl.id] = t
	r.mu.Unlock()
	cl.track = &opts
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stopTracking turns tracking off. Keys the client read stay in the shards' tables
// until written; the deliveries then find no tracker and skip the client.
func (cl *client) stopTracking() {
	st := cl.track
	if st == nil {
		return
	}
	r := &cl.srv.tracking
	r.mu.Lock()
	delete(r.clients, cl.id)
	for _, p := range st.prefixes {
		ids := r.prefixes[p]
		for i, id := range ids {
			if id == cl.id {
				ids = append(ids[:i], ids[i+1:]...)
				break
			}
		}
		if len(ids) == 0 {
			delete(r.prefixes, p)
		} else {
			r.prefixes[p] = ids
		}
	}
	r.mu.Unlock()
	r.active.Add(-1)
	if st.bcast {
		r.bcast.Add(-1)
	}
	cl.track = nil
}

// CLIENT CACHING YES|NO
func clientCachingCmd(cl *client, args [][]byte, w *proto.Writer) {
	st := cl.track
	if st == nil || !(st.optin || st.optout) {
		w.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch strings.ToLower(string(args[2])) {
	case "yes":
		if !st.optin {
			w.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
		st.caching = 1
	case "no":
		if !st.optout {
			w.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
		st.caching = -1
	default:
		w.Error(proto.ErrSyntax)
		return
	}
	w.OK()
}

// CLIENT GETREDIR
func clientGetredirCmd(cl *client, _ [][]byte, w *proto.Writer) {
	if cl.track == nil {
		w.Int(-1)
		return
	}
	w.Int(int64(cl.track.redirect))
}

// CLIENT TRACKINGINFO
func clientTrackinginfoCmd(cl *client, _ [][]byte, w *proto.Writer) {
	st := cl.track
	var flags []string
	redirect := int64(-1)
	if st == nil {
		flags = []string{"off"}
	} else {
		redirect = int64(st.redirect)
		flags = append(flags, "on")
		for _, f := range []struct {
			on   bool
			name string
		}{{st.bcast, "bcast"}, {st.optin, "optin"}, {st.optout, "optout"},
			{st.caching > 0, "caching-yes"}, {st.caching < 0, "caching-no"}, {st.noloop, "noloop"},
			{st.broken, "broken_redirect"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
	}
	w.Map(3)
	w.BulkString("flags")
	w.Set(len(flags))
	for _, f := range flags {
		w.BulkString(f)
	}
	w.BulkString("redirect")
	w.Int(redirect)
	w.BulkString("prefixes")
	var prefixes []string
	if st != nil && st.bcast {
		prefixes = append(prefixes, st.prefixes...)
		sort.Strings(prefixes)
	}
	w.Array(len(prefixes))
	for _, p := range prefixes {
		w.BulkString(p)
	}
}

// trackCommand runs before a command of a tracking client: it registers the keys of a
// read in the default mode (subject to OPTIN/OPTOUT and CLIENT CACHING) with the shards
// that own them, and ends the CLIENT CACHING answer, which covers one command.
//
// As in Redis, CLIENT subcommands and MULTI keep the answer, and EXEC applies it to the
// reads it runs.
func (cl *client) trackCommand(cmd *Command, args [][]byte) {
	st := cl.track
	if (cmd.parent != nil && cmd.parent.Name == "client") || cmd.Name == "multi" {
		return
	}
	caching := st.caching
	st.caching = 0
	script := false
	switch cmd.Name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		script = true
	}
	if cmd.Name == "exec" || script {
		st.deferReads = false
	}
	if st.bcast || (st.optin && caching <= 0) || (st.optout && caching < 0) {
		return
	}
	if script {
		// As in Redis, only what the script's calls read is tracked.
		st.deferReads = true
		return
	}
	if cmd.Name == "exec" && cl.multi != nil {
		// Redis registers a read once it ran, so a write earlier in the transaction
		// does not invalidate the key for this client: the transaction's single-shard
		// reads register on their shard right after they run, within the transaction.
		// Reads that span shards register now.
		st.deferReads = true
		for _, q := range cl.multi.cmds {
			if _, multi := cl.route(q.cmd, q.args); multi {
				cl.trackRead(q.cmd, q.args)
			}
		}
		return
	}
	cl.trackRead(cmd, args)
}

// trackRead registers the keys of a read command with the shards that own them.
func (cl *client) trackRead(cmd *Command, args [][]byte) {
	if cmd.Flags&FlagReadonly == 0 {
		return
	}
	srv := cl.srv
	own := cl.loop.idx
	for _, p := range keyPositionsOf(cmd, args) {
		k := lockKey{cl.db, string(args[p])}
		target := srv.shardOf(args[p])
		if target == own {
			srv.remember(target, k, cl.id)
			continue
		}
		id := cl.id
		srv.run(target, func() { srv.remember(target, k, id) })
	}
}

// rememberRead registers the keys of a read that just ran on loop, the loop of the
// shard that owns them, for client id.
func (s *Server) rememberRead(loop int, id uint64, db int, cmd *Command, args [][]byte) {
	if cmd.Flags&FlagReadonly == 0 {
		return
	}
	for _, p := range keyPositionsOf(cmd, args) {
		s.remember(loop, lockKey{db, string(args[p])}, id)
	}
}

// remember records on loop's table that client id may cache k, and, past
// tracking-table-max-keys, invalidates other keys of this table to make room.
func (s *Server) remember(loop int, k lockKey, id uint64) {
	r := &s.tracking
	tl := r.loops[loop]
	ids := tl.keys[k]
	if ids == nil {
		ids = map[uint64]struct{}{}
		tl.keys[k] = ids
		r.keys.Add(1)
	}
	if _, ok := ids[id]; !ok {
		ids[id] = struct{}{}
		r.items.Add(1)
	}
	limit := int64(s.cfg.trackingMaxKeys())
	for limit > 0 && r.keys.Load() > limit && len(tl.keys) > 1 {
		for victim := range tl.keys {
			if victim != k {
				s.invalidate(loop, victim, 0)
				break
			}
		}
	}
}

// trackLimit evicts keys of loop's table while the tables together hold more than
// tracking-table-max-keys, telling their readers, as Redis does periodically: lowering
// the limit takes effect without waiting for the next tracked read. Each eviction is
// reserved on the shared count first, so that loops evicting at once never take the
// tables below the limit.
func (s *Server) trackLimit(loop int) {
	r := &s.tracking
	if r.active.Load() == 0 {
		return
	}
	limit := int64(s.cfg.trackingMaxKeys())
	if limit <= 0 {
		return
	}
	tl := r.loops[loop]
	for victim := range tl.keys {
		n := r.keys.Load()
		if n <= limit {
			return
		}
		if !r.keys.CompareAndSwap(n, n-1) {
			continue
		}
		// Counted out above, so that no other loop sees the count dip below the truth.
		s.dropTracked(loop, victim, 0)
	}
}

// trackingMaxKeys is tracking-table-max-keys.
func (c *Config) trackingMaxKeys() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.TrackingTableMaxKeys
}

// invalidateKey tells the clients that may cache key of database db that it changed.
// It must run on loop's goroutine, the loop of the shard that owns key (eviction and
// other whole-shard paths call it).
func (s *Server) invalidateKey(loop, db int, key []byte) {
	if s.tracking.active.Load() == 0 {
		return
	}
	s.invalidateWritten(loop, db, [][]byte{key}, 0)
}

// invalidateWritten sends the invalidations of keys of database db, written on loop
// (the loop of the shard that owns them) by client writer (0: none), in both modes.
func (s *Server) invalidateWritten(loop, db int, keys [][]byte, writer uint64) {
	for _, k := range keys {
		s.invalidate(loop, lockKey{db, string(k)}, writer)
	}
	s.broadcast(loop, keys, writer)
}

// invalidate sends the default-mode invalidation of k and forgets who read it. writer,
// when not 0, is the client whose write caused it (NOLOOP).
func (s *Server) invalidate(loop int, k lockKey, writer uint64) {
	if s.dropTracked(loop, k, writer) {
		s.tracking.keys.Add(-1)
	}
}

// dropTracked is invalidate but for the shared key count, which the caller adjusts;
// it reports whether k was tracked.
func (s *Server) dropTracked(loop int, k lockKey, writer uint64) bool {
	r := &s.tracking
	tl := r.loops[loop]
	ids, ok := tl.keys[k]
	if !ok {
		return false
	}
	delete(tl.keys, k)
	r.items.Add(-int64(len(ids)))
	keys := [][]byte{[]byte(k.key)}
	for id := range ids {
		t := r.lookup(id)
		if t == nil || t.bcast || (t.noloop && id == writer) {
			continue
		}
		s.sendInvalidation(loop, t, keys, false)
	}
	return true
}

// trackWritten runs after every command on a shard while someone tracks: when the
// command wrote (the shard's dirty counter moved), it invalidates the written keys. It
// also ends the command's NOLOOP writer.
func (s *Server) trackWritten(loop int, sh *shard.Shard, cmd *Command, args [][]byte, db int, before int64) {
	tl := s.tracking.loops[loop]
	writer := tl.writer
	tl.writer = 0
	if cmd.Flags&FlagWrite == 0 || sh.Dirty() == before {
		return
	}
	var keys [][]byte
	for _, p := range writtenKeyPositions(cmd, args) {
		if p < len(args) && !sh.Unchanged(args[p]) {
			s.invalidate(loop, lockKey{db, string(args[p])}, writer)
			keys = append(keys, args[p])
		}
	}
	s.broadcast(loop, keys, writer)
}

// trackClaimWritten is trackWritten for a multi-shard command's part: the keys it holds
// exclusively on this shard.
func (s *Server) trackClaimWritten(loop int, r *lockRequest, writer uint64) {
	if r == nil || r.global {
		return
	}
	var keys [][]byte
	for i, k := range r.keys {
		if r.modes[i] == lockExclusive {
			s.invalidate(loop, k, writer)
			keys = append(keys, []byte(k.key))
		}
	}
	s.broadcast(loop, keys, writer)
}

// broadcast records the BCAST invalidations of keys written on loop, which
// flushBroadcasts sends when the loop's callback ends: Redis sends them once per
// event-loop iteration, one message per prefix and client, so a transaction or an
// MSET on one shard makes one message per prefix, not one per key.
func (s *Server) broadcast(loop int, keys [][]byte, writer uint64) {
	r := &s.tracking
	if r.bcast.Load() == 0 || len(keys) == 0 {
		return
	}
	tl := r.loops[loop]
	r.mu.RLock()
	for p := range r.prefixes {
		for _, k := range keys {
			if !strings.HasPrefix(string(k), p) {
				continue
			}
			if tl.bcast == nil {
				tl.bcast = map[string]map[string]uint64{}
			}
			written := tl.bcast[p]
			if written == nil {
				written = map[string]uint64{}
				tl.bcast[p] = written
			}
			// As in Redis, the last writer of a key is the one NOLOOP spares.
			written[string(k)] = writer
		}
	}
	r.mu.RUnlock()
	if len(tl.bcast) > 0 {
		s.loops[loop].bcastPending = true
	}
}

// flushBroadcasts sends what broadcast recorded on loop: per prefix in sorted order,
// one message to each client of the prefix with the keys sorted, less the keys a
// NOLOOP client wrote itself.
func (s *Server) flushBroadcasts(loop int) {
	ls := s.loops[loop]
	if !ls.bcastPending {
		return
	}
	ls.bcastPending = false
	r := &s.tracking
	tl := r.loops[loop]
	prefixes := make([]string, 0, len(tl.bcast))
	for p := range tl.bcast {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	type send struct {
		t    *tracker
		keys [][]byte
	}
	var sends []send
	r.mu.RLock()
	for _, p := range prefixes {
		written := tl.bcast[p]
		names := make([]string, 0, len(written))
		for k := range written {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, id := range r.prefixes[p] {
			t := r.clients[id]
			if t == nil {
				continue
			}
			var keys [][]byte
			for _, k := range names {
				if !t.noloop || written[k] != id {
					keys = append(keys, []byte(k))
				}
			}
			if len(keys) > 0 {
				sends = append(sends, send{t, keys})
			}
		}
	}
	r.mu.RUnlock()
	clear(tl.bcast)
	for _, sd := range sends {
		s.sendInvalidation(loop, sd.t, sd.keys, false)
	}
}

// trackFlushed forgets every key of loop's table (FLUSHDB and FLUSHALL clear the whole
// table, as in Redis) and, when notify is set, sends every tracking client the null
// invalidation, except to client self, which gets it after its FLUSH reply
// (trackFlushReply), as in Redis.
func (s *Server) trackFlushed(loop int, notify bool, self uint64) {
	r := &s.tracking
	if r.active.Load() == 0 {
		return
	}
	tl := r.loops[loop]
	for k, ids := range tl.keys {
		r.keys.Add(-1)
		r.items.Add(-int64(len(ids)))
		delete(tl.keys, k)
	}
	if !notify {
		return
	}
	r.mu.RLock()
	all := make([]*tracker, 0, len(r.clients))
	for id, t := range r.clients {
		if id != self {
			all = append(all, t)
		}
	}
	r.mu.RUnlock()
	for _, t := range all {
		s.sendInvalidation(loop, t, nil, true)
	}
}

// trackFlushReply sends the flushing client's own null invalidation: right after its
// reply in w when it receives its messages itself.
func (cl *client) trackFlushReply(w *proto.Writer) {
	st := cl.track
	if st == nil {
		return
	}
	if st.redirect == 0 {
		if w.RESP3() {
			w.Push(2)
			w.BulkString("invalidate")
			w.Null()
		}
		return
	}
	if t := cl.srv.tracking.lookup(cl.id); t != nil {
		cl.srv.sendInvalidation(cl.loop.idx, t, nil, true)
	}
}

// sendInvalidation delivers one invalidation message (keys, or the null of a flush) to
// t's receiver, from loop: to its pending buffer, on its loop.
func (s *Server) sendInvalidation(loop int, t *tracker, keys [][]byte, flush bool) {
	to := t.loop
	if t.redirect != 0 {
		to = t.redirLoop
	}
	if to == loop {
		s.deliverInvalidation(to, t, keys, flush)
		return
	}
	own := make([][]byte, len(keys))
	for i, k := range keys {
		own[i] = append([]byte(nil), k...)
	}
	s.run(to, func() { s.deliverInvalidation(to, t, own, flush) })
}

// deliverInvalidation writes the message for client id of loop: a RESP3 push, or, for
// a RESP2 client that receives another client's messages while subscribed, a message
// on __redis__:invalidate. A RESP2 client cannot receive pushes on its own connection,
// so it gets nothing, as in Redis. When the redirect target is gone, the tracking
// client is told instead (redirBroken).
func (s *Server) deliverInvalidation(loop int, t *tracker, keys [][]byte, flush bool) {
	id, redirected := t.id, t.redirect != 0
	if redirected {
		id = t.redirect
	}
	c := s.loops[loop].clients[id]
	if c == nil || c.closed {
		if redirected {
			s.redirBroken(loop, t)
		}
		return
	}
	resp3 := c.out.RESP3()
	if !resp3 && !(redirected && c.subscribed()) {
		return
	}
	out, deferred := s.trackOutput(loop, c)
	if out == nil {
		return
	}
	if resp3 {
		out.Push(2)
		out.BulkString("invalidate")
	} else {
		out.Array(3)
		out.BulkString("message")
		out.BulkString(trackInvalidateChannel)
	}
	if flush {
		out.Null()
	} else {
		out.Array(len(keys))
		for _, k := range keys {
			out.Bulk(k)
		}
	}
	if !deferred {
		s.pubsub.loops[loop].postFlush(s, loop)
	}
}

// trackOutput returns where a message for client c of loop goes: its pending Pub/Sub
// buffer, or, while c waits for another loop, its deferred invalidations (deferred is
// then true). It is nil when c's output is being dropped.
func (s *Server) trackOutput(loop int, c *client) (out *proto.Writer, deferred bool) {
	if c.sub == nil {
		c.sub = &subState{}
	}
	if c.sub.dropped {
		return nil, false
	}
	// A blocked client being served gets the invalidations its own serve caused after
	// its reply, as in Redis; while it waits, they reach it at once.
	serving := c.blocked != nil && c.blocked.state.Load() != waitWaiting
	if c.track != nil && (c.batch != nil || c.async != nil || serving) {
		out = &c.track.deferred
		out.SetRESP3(c.out.RESP3())
		return out, true
	}
	out = &c.sub.pending
	if out.Len() == 0 {
		ls := s.pubsub.loops[loop]
		ls.flush = append(ls.flush, c)
	}
	out.SetRESP3(c.out.RESP3())
	return out, false
}

// redirBroken tells tracking client t, from loop, that the client it redirects to is
// gone: every message it misses becomes a tracking-redir-broken push (RESP3 only), and
// CLIENT TRACKINGINFO shows broken_redirect, as in Redis.
func (s *Server) redirBroken(loop int, t *tracker) {
	tell := func() {
		c := s.loops[t.loop].clients[t.id]
		if c == nil || c.closed || c.track == nil || c.track.redirect != t.redirect {
			return
		}
		c.track.broken = true
		if !c.out.RESP3() {
			return
		}
		out, deferred := s.trackOutput(t.loop, c)
		if out == nil {
			return
		}
		out.Push(2)
		out.BulkString("tracking-redir-broken")
		out.Int(int64(t.redirect))
		if !deferred {
			s.pubsub.loops[t.loop].postFlush(s, t.loop)
		}
	}
	if t.loop == loop {
		tell()
		return
	}
	s.run(t.loop, tell)
}

// releaseDeferred queues the invalidations held while the client waited, behind the
// replies its serve has just written.
func (cl *client) releaseDeferred() {
	st := cl.track
	if cl.sub == nil {
		cl.sub = &subState{}
	}
	ls := cl.srv.pubsub.loops[cl.loop.idx]
	if cl.sub.pending.Len() == 0 {
		ls.flush = append(ls.flush, cl)
	}
	cl.sub.pending.Raw(st.deferred.Bytes())
	st.deferred.Reset()
	ls.postFlush(cl.srv, cl.loop.idx)
}

// trackingInfo returns INFO's tracking_clients, tracking_total_keys,
// tracking_total_items and tracking_total_prefixes.
func (s *Server) trackingInfo() (clients, keys, items, prefixes int64) {
	r := &s.tracking
	r.mu.RLock()
	prefixes = int64(len(r.prefixes))
	r.mu.RUnlock()
	return r.active.Load(), r.keys.Load(), r.items.Load(), prefixes
}
