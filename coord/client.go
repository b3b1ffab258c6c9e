package coord

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Reply modes (CLIENT REPLY).
const (
	replyOn = iota
	replyOff
	// replySkipArmed is set by CLIENT REPLY SKIP itself; it becomes replySkip once that
	// command (which has no reply) completes.
	replySkipArmed
	replySkip
)

// client is one connection's state.
//
// Owner: the event loop the connection lives on. Remote loops touch only the batch and
// fanout values handed to them, never the client itself.
type client struct {
	srv  *Server
	conn gnet.Conn
	loop *loopState
	id   uint64

	db     int
	authed bool
	// user is the user the connection authenticated as (the default user until AUTH);
	// aclFault is why admit last refused a command, for the ACL log (acl_cmds.go).
	user     *aclSlot
	aclFault aclFault
	// clusterReadonly is set by READONLY (cluster.go), clusterAsking by ASKING for the
	// next command (cluster_migrate.go).
	clusterReadonly, clusterAsking bool
	// loader is the server's own connection that replays the AOF at start-up.
	loader  bool
	name    string
	libName string
	libVer  string
	addr    string
	laddr   string

	replyMode int
	// confirming is set by (un)subscribe commands: their confirmations reach the client
	// whatever CLIENT REPLY says, as redis-server 7 sends them (endReply).
	confirming bool
	noEvict    bool
	noTouch    bool
	closed     bool
	// closeAfterReply is set by QUIT and by protocol errors.
	closeAfterReply bool
	// monitoring is set by MONITOR (monitor.go).
	monitoring bool
	// timed is the multi-shard command in flight, timed from dispatch to reply for the
	// slow log and INFO commandstats.
	timed timedCommand

	createdAt       int64
	lastInteraction int64
	lastCmd         string

	parser proto.Parser
	req    proto.Request
	out    proto.Writer
	cmds   commandCache
	ahead  lookahead
	// keyShard is the shard of keyShardOf, the running request's args[1], when the
	// look ahead computed it, else -1: route then hashes each key only once.
	keyShard   int
	keyShardOf []byte
	// mig is the client's shard affinity, which may move it to another loop
	// (migrate.go).
	mig migration
	// replHello is what the connection said with REPLCONF before PSYNC (repl.go).
	replHello *replHello
	// paused is set while the connection waits for CLIENT PAUSE to end (pause.go).
	paused bool
	// holdOut keeps serve from writing the replies of a client about to move.
	holdOut bool

	// batch holds pipelined commands sent to other shards and the replies of commands
	// that ran here after them; nil when nothing is in flight.
	batch *batch
	// spareBatch is the last finished batch, kept for reuse: a pipelining client would
	// otherwise grow a new one per read.
	spareBatch *batch
	// async is an in-flight coordinator operation (multi-shard or global command).
	async *fanout
	// behind are the pipelined multi-shard commands started while async was in flight,
	// in request order; each becomes async once the one before it answered
	// (dispatchBehind).
	behind []behindTxn

	// multi is the open MULTI block, exec the running EXEC.
	multi *multiState
	exec  *execState
	// blocked is the waiter of a blocking command in progress.
	blocked *waiter
	// watched lists the WATCHed keys; watchDirty is set when one of them changes.
	watched    []watchedKey
	watchDirty *atomic.Bool

	// Pub/Sub (pubsub.go): sub holds the client's subscriptions and undelivered
	// messages, nil until its first subscription; obufSoftSince is when the output
	// first stayed above the normal class's soft limit.
	sub           *subState
	obufSoftSince int64
	// track is the client's CLIENT TRACKING state, nil while tracking is off
	// (tracking.go).
	track *trackState
}

func newClient(s *Server, c gnet.Conn) *client {
	now := time.Now().UnixMilli()
	cl := &client{
		srv:             s,
		conn:            c,
		id:              s.nextClientID.Add(1),
		keyShard:        -1,
		createdAt:       now,
		lastInteraction: now,
		user:            s.acl.def,
		authed:          !s.acl.authRequired(),
	}
	if a := c.RemoteAddr(); a != nil {
		cl.addr = a.String()
	}
	// gnet reports the listener's address (0.0.0.0:port); CLIENT LIST wants the
	// address this connection was accepted on.
	if sa, err := unix.Getsockname(c.Fd()); err == nil {
		switch a := sa.(type) {
		case *unix.SockaddrInet4:
			cl.laddr = (&net.TCPAddr{IP: a.Addr[:], Port: a.Port}).String()
		case *unix.SockaddrInet6:
			cl.laddr = (&net.TCPAddr{IP: a.Addr[:], Port: a.Port}).String()
		}
	}
	if cl.laddr == "" && c.LocalAddr() != nil {
		cl.laddr = c.LocalAddr().String()
	}
	return cl
}

// attach registers the client with its loop; it must run on that loop.
func (cl *client) attach() {
	i, ok := cl.srv.loopOf[cl.conn.EventLoop()]
	if !ok {
		panic("BUG: connection on an event loop that owns no shard")
	}
	cl.loop = cl.srv.loops[i]
	cl.loop.clients[cl.id] = cl
}

// wake resumes the client on its own loop once work it waited for is done. Any loop may
// call it. Unlike gnet's Conn.Wake it also reaches a client whose connection has
// closed meanwhile, so that the client's transaction still runs to its end.
func (cl *client) wake() {
	cl.srv.run(cl.loop.idx, func() {
		if cl.closed {
			cl.serve()
			return
		}
		// A move needs a callback of the connection's own, which Wake brings
		// (migrate.go). Until then the replies wait: the peer cannot send more before it
		// has them, so the callback comes before its next request.
		hold := cl.mig.want
		cl.holdOut = hold
		action := cl.serve()
		cl.holdOut = false
		if action == gnet.Close {
			_ = cl.conn.Close()
			return
		}
		if hold && cl.out.Len() > 0 && cl.conn.Wake(nil) != nil {
			cl.flush()
		}
	})
}

// inflight reports whether the client waits for another loop.
func (cl *client) inflight() bool {
	return cl.batch != nil || cl.async != nil || cl.exec != nil || cl.blocked != nil || cl.paused
}

// serve finishes whatever came back from other loops, then runs buffered commands until
// the input is exhausted or a command must wait for another loop. Replies are written
// once, at the end.
func (cl *client) serve() gnet.Action {
	// Pub/Sub: messages delivered before these commands run go out before their replies.
	cl.takePending()
	for {
		if cl.batch != nil {
			if cl.batch.pending.Load() != 0 {
				break
			}
			cl.finishBatch()
		}
		if cl.async != nil {
			if cl.async.pending.Load() != 0 {
				cl.settleBehind()
				// More of a pipeline may have arrived in a later read: it may start
				// behind the commands in flight too.
				if cl.async.pipelined && !cl.closed && !cl.closeAfterReply && cl.readCommands() {
					continue
				}
				break
			}
			f := cl.async
			cl.async = nil
			if at := f.finished.Load(); at != 0 && cl.timed.cmd != nil {
				cl.timed.end = at
			}
			if cl.exec != nil {
				// A command inside EXEC finished: its reply joins the EXEC's replies.
				f.done(&cl.exec.replies)
				continue
			}
			mark := cl.out.Len()
			f.done(&cl.out)
			if f.drop {
				cl.out.Truncate(mark)
			}
			if cl.async != nil {
				// done started the command's next step; it inherits the reply mode.
				cl.async.drop = f.drop
			} else {
				cl.finishTimed()
			}
			continue
		}
		if len(cl.behind) > 0 {
			// The next pipelined multi-shard command's turn to answer. This runs even
			// for a closed connection: a write still has to release its claims.
			q := cl.behind[0]
			n := copy(cl.behind, cl.behind[1:])
			cl.behind[n] = behindTxn{}
			cl.behind = cl.behind[:n]
			cl.timed = q.timed
			if !q.settled {
				cl.async = q.f
				continue
			}
			if !q.drop {
				cl.out.Raw(q.out.Bytes())
			}
			cl.finishTimed()
			continue
		}
		if cl.blocked != nil {
			if st := cl.blocked.state.Load(); st == waitWaiting || st == waitServing {
				break
			}
			cl.finishBlocked()
			continue
		}
		if cl.exec != nil {
			cl.exec.step(cl)
			continue
		}
		if cl.closeAfterReply || cl.closed {
			break
		}
		if !cl.readCommands() {
			break
		}
	}
	if cl.closed {
		// The connection is gone; its in-flight work still had to finish (a transaction
		// releases its claims in its last hop), but there is no one to answer.
		cl.out.Reset()
		return gnet.None
	}
	if !cl.holdOut || cl.inflight() {
		cl.flush()
	}
	if cl.track != nil && cl.track.deferred.Len() > 0 && !cl.inflight() {
		cl.releaseDeferred() // tracking.go
	}
	if cl.closeAfterReply && !cl.inflight() {
		return gnet.Close
	}
	return gnet.None
}

// flush writes the replies gathered in out.
func (cl *client) flush() {
	if cl.out.Len() > 0 {
		cl.loop.netOut += int64(cl.out.Len())
		_, _ = cl.conn.Write(cl.out.Bytes())
		// Pub/Sub: client-output-buffer-limit for replies that gnet could not send yet.
		cl.checkOutputLimit()
		if cap(cl.out.Bytes()) > 64*1024 {
			// Do not keep a large reply's buffer for the connection's lifetime.
			resp3 := cl.out.RESP3()
			cl.out = proto.Writer{}
			cl.out.SetRESP3(resp3)
		} else {
			cl.out.Reset()
		}
	}
}

// readCommands parses and runs commands from the input buffer. It returns true when it
// stopped because an operation completed synchronously and serve should look again, and
// false when input is exhausted or the client now waits.
func (cl *client) readCommands() bool {
	buffered := int64(cl.conn.InboundBuffered())
	if buffered > cl.srv.qbufLimit.Load() {
		cl.srv.log.warning("Closing client that reached max query buffer length: id=%d addr=%s", cl.id, cl.addr)
		cl.closeAfterReply = true
		_, _ = cl.conn.Discard(-1)
		return false
	}
	if need := cl.parser.Need(); need > 0 && buffered < need {
		// A large bulk is still arriving; parsing now would only rescan its headers.
		return false
	}
	buf, _ := cl.conn.Peek(-1)
	if len(buf) == 0 {
		return false
	}
	cl.loop.netIn += int64(len(buf))
	cl.parser.MaxBulk = cl.srv.settings.MaxBulk.Load()
	cl.loop.beginChain()
	off := 0
	again := false
	ahead := &cl.ahead
	for off < len(buf) {
		var args [][]byte
		var n int
		cl.keyShard = -1
		if ahead.next < ahead.n {
			args, n = ahead.reqs[ahead.next].Args, ahead.lens[ahead.next]
			cl.keyShard, cl.keyShardOf = ahead.shards[ahead.next], nil
			if cl.keyShard >= 0 {
				cl.keyShardOf = args[1]
			}
			ahead.next++
		} else {
			var err error
			n, err = cl.parser.Parse(buf[off:], &cl.req)
			if err != nil {
				var pe proto.ProtocolError
				if errors.As(err, &pe) {
					w, mark := cl.beginReply()
					w.Error("ERR " + pe.Error())
					cl.endReply(w, mark)
					cl.srv.log.verbose("Protocol error (%s) from client: id=%d addr=%s", pe.Error(), cl.id, cl.addr)
				}
				cl.closeAfterReply = true
				off = len(buf)
				break
			}
			if n == 0 {
				break
			}
			args = cl.req.Args
			if off+n < len(buf) {
				// More commands follow this one: a pipeline. A read holding a single
				// command never pays for a look ahead.
				cl.parseAhead(buf[off+n:])
			}
		}
		if len(args) == 0 {
			off += n
			continue
		}
		consumed, stop := cl.dispatch(args)
		cl.keyShard = -1
		if consumed {
			off += n
		}
		if stop {
			again = cl.batch == nil && !cl.paused && (cl.async == nil || cl.async.pending.Load() == 0)
			break
		}
	}
	// The window aliases buf, which is discarded below.
	for i := range ahead.n {
		clear(ahead.reqs[i].Args)
	}
	ahead.n, ahead.next = 0, 0
	if !again && cl.async != nil && cl.batch == nil && cl.async.pending.Load() == 0 {
		// The input ran out behind pipelined multi-shard commands, the first of which
		// already answered without a hop: nothing will wake the client for it.
		again = true
	}
	// The counter above saw the whole buffer; count only what was consumed.
	cl.loop.netIn -= int64(len(buf) - off)
	if cl.batch != nil && !cl.batch.sent {
		cl.batch.send(cl.srv)
	}
	if off > 0 {
		// gnet's Discard treats n <= 0 as "discard everything".
		_, _ = cl.conn.Discard(off)
	}
	cl.lastInteraction = cl.loop.clock.unixMilli(cl.loop.stamp())
	cl.loop.endChain()
	return again
}

// beginReply returns where the next locally produced reply goes and the mark to pass to
// endReply: straight to the output when nothing is in flight, else to the batch's side
// buffer so that it leaves after the replies of earlier commands.
func (cl *client) beginReply() (*proto.Writer, int) {
	if cl.batch == nil {
		return &cl.out, cl.out.Len()
	}
	cl.batch.beginLocal()
	return &cl.batch.side, cl.batch.side.Len()
}

// endReply closes a reply started with beginReply, applying CLIENT REPLY OFF|SKIP.
func (cl *client) endReply(w *proto.Writer, mark int) {
	drop := cl.suppressReply() && !cl.confirming
	cl.confirming = false
	if cl.batch != nil && w == &cl.batch.side {
		cl.batch.endLocal(drop)
		return
	}
	if drop {
		w.Truncate(mark)
	}
}

// suppressReply reports whether the current command's reply is dropped. CLIENT REPLY
// SKIP arms a skip for the command after it.
func (cl *client) suppressReply() bool {
	switch cl.replyMode {
	case replyOff:
		return true
	case replySkipArmed:
		cl.replyMode = replySkip
		return true
	case replySkip:
		cl.replyMode = replyOn
		return true
	}
	return false
}

// admit looks the command up and makes the checks that may refuse it before it runs:
// msg is the error to answer instead ("" when it may run), and cmd is nil for an unknown
// command. It writes nothing, so that a command behind pipelined ones in flight can be
// held back instead (dispatchBehind).
func (cl *client) admit(args [][]byte) (cmd *Command, msg string) {
	cmd = cl.cmds.lookup(args[0])
	if cmd == nil {
		return nil, unknownCommand(args)
	}
	if len(cmd.Subs) > 0 && len(args) >= 2 {
		sub := lookupSub(cmd, args[1])
		if sub == nil {
			return cmd, "ERR unknown subcommand '" + truncate(string(args[1]), 128) + "'. Try " + strings.ToUpper(string(args[0])) + " HELP."
		}
		cmd = sub
	}
	switch {
	case (cmd.Arity > 0 && len(args) != cmd.Arity) || len(args) < -cmd.Arity:
		return cmd, "ERR wrong number of arguments for '" + cmd.FullName() + "' command"
	case cmd.Flags&FlagAdmin != 0 && cmd.Name == "debug" && !cl.debugAllowed():
		return cmd, errDebugNotAllowed
	case !cl.authed && cmd.Flags&FlagNoAuth == 0 && cl.srv.acl.authRequired():
		return cmd, proto.ErrNoAuth
	}
	if cl.aclFault.reason != aclOK {
		cl.aclFault = aclFault{}
	}
	if u := cl.user.cur.Load(); !u.open && !cl.loader {
		if msg := cl.aclRefusal(u, cmd, args); msg != "" { // acl_cmds.go
			return cmd, msg
		}
	}
	if cl.srv.cluster != nil && !cl.loader {
		asking := cl.clusterAsking
		if cmd.Name != "asking" {
			cl.clusterAsking = false // ASKING counts for the next command only
		}
		if cmd.hasKeys() {
			if msg := cl.clusterRedirect(cmd, args, asking); msg != "" { // cluster.go
				return cmd, msg
			}
		}
		if msg := clusterOnlyDB0(cmd, args); msg != "" {
			return cmd, msg
		}
	}
	switch {
	case cl.srv.loading.Load() && !cl.loader && cmd.Flags&FlagLoading == 0:
		return cmd, proto.ErrLoading
	case cl.srv.misconf.Load() && (cmd.Flags&FlagWrite != 0 || cmd.Name == "ping"):
		return cmd, proto.ErrMisconf
	case cl.rejectsOnOOM(cmd) && cl.srv.overMemory():
		return cmd, errOOM // evict.go
	case cl.srv.noReplicas.Load() && cl.writes(cmd):
		return cmd, errNoReplicas
	case cl.srv.readOnlyReplica.Load() && !cl.loader && cl.writes(cmd):
		return cmd, errReadOnly // replica.go
	case cl.srv.replicaOf.Load() != nil && !cl.loader && cl.srv.masterDown() && cl.deniedStale(cmd):
		return cmd, errMasterDown // replica.go
	case cl.sub != nil && !cl.out.RESP3() && cl.subscribed() && !pubsubAllowed(cmd):
		// Pub/Sub: in RESP2 a subscribed client may run only the subscription commands.
		return cmd, "ERR Can't execute '" + cmd.FullName() + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
	case cmd.Flags&FlagAllowBusy == 0 && cl.srv.scriptBusy():
		// While a script runs past busy-reply-threshold, other clients get BUSY, as in
		// Redis (lua_busy.go). One atomic load when no script runs.
		return cmd, cl.srv.busyError()
	}
	return cmd, ""
}

// errDebugNotAllowed is redis-server's refusal of DEBUG under enable-debug-command.
const errDebugNotAllowed = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."

// debugAllowed applies enable-debug-command (fixed at start-up) to this connection.
func (cl *client) debugAllowed() bool {
	switch cl.srv.cfg.EnableDebugCommand {
	case "yes":
		return true
	case "local":
		host, _, err := net.SplitHostPort(cl.addr)
		ip := net.ParseIP(host)
		return err == nil && ip != nil && ip.IsLoopback()
	}
	return false
}

// errNoReplicas refuses writes while min-replicas-to-write cannot be met.
const errNoReplicas = "NOREPLICAS Not enough good replicas to write."

// writes reports whether cmd writes: a write command, or an EXEC with one queued.
func (cl *client) writes(cmd *Command) bool {
	return cl.orQueued(cmd, nil, func(c *Command, _ [][]byte) bool { return c.Flags&FlagWrite != 0 })
}

// orQueued reports whether is holds for cmd or, when cmd is the EXEC of a transaction,
// for one of its queued commands: the checks that refuse an EXEC as a whole (writes,
// OOM, stale data, a pause) look at what it would run.
func (cl *client) orQueued(cmd *Command, args [][]byte, is func(*Command, [][]byte) bool) bool {
	if is(cmd, args) {
		return true
	}
	if cmd.Name != "exec" || cl.multi == nil {
		return false
	}
	for _, q := range cl.multi.cmds {
		if is(q.cmd, q.args) {
			return true
		}
	}
	return false
}

// dispatch runs or routes one command. consumed is false when the command must wait for
// earlier pipelined commands and will be parsed again; stop is true when the caller must
// stop reading input.
func (cl *client) dispatch(args [][]byte) (consumed, stop bool) {
	cmd, msg := cl.admit(args)
	if cl.async != nil {
		return cl.dispatchBehind(cmd, msg, args)
	}
	if msg != "" {
		cl.reject(cmd, msg)
		return true, false
	}
	if cl.srv.pauseMode.Load() != pauseNone && cl.pausedFor(cmd, args) {
		cl.park() // pause.go: the command runs once the pause ends
		return false, true
	}
	if cl.multi != nil && !runsInMulti(cmd) {
		w, mark := cl.beginReply()
		cl.queue(cmd, args, w)
		cl.endReply(w, mark)
		return true, false
	}
	if cl.track != nil {
		cl.trackCommand(cmd, args) // tracking.go
	}
	if cmd.client != nil {
		if cmd.barrier && cl.batch != nil {
			return false, true
		}
		cl.lastCmd = cmd.FullName()
		start := cl.loop.stamp()
		w, mark := cl.beginReply()
		cl.feedQueued(cmd) // MONITOR shows EXEC's queued commands ahead of it
		cmd.client(cl, args, w)
		cl.journalFunction(cmd, args, w, mark)
		d := cl.loop.account(cmd, w, mark, start)
		cl.logSlow(cmd, args, d)
		cl.feedMonitors(cmd, args)
		if cl.async != nil {
			cl.async.drop = cl.suppressReply()
			if cmd.Group == "scripting" && cl.exec == nil && cl.timed.cmd == nil {
				// The script runs after this returns: INFO commandstats and the slow log
				// take its time when it answers (finishTimed), as Redis's do.
				cl.timed = timedCommand{cmd: cmd, args: ownArgs(args), start: time.Now()}
			}
			return true, true
		}
		cl.endReply(w, mark)
		return true, cl.exec != nil || cl.blocked != nil || cl.closeAfterReply
	}
	if cmd.shard == nil {
		panic("BUG: command without handler: " + cmd.FullName())
	}
	target, multi := cl.route(cmd, args)
	if multi {
		cl.mig.run = 0
		if cl.batch != nil {
			return false, true
		}
		cl.startMulti(cmd, args)
		// A one-step multi-shard command lets the commands behind it start too.
		if !cl.pipelinesMulti(cmd) {
			return true, true
		}
		cl.async.pipelined = true
		return true, false
	}
	cl.lastCmd = cmd.FullName()
	if cmd.FirstKey > 0 || cmd.keysFn != nil {
		cl.noteShard(target) // migrate.go
	}
	if target == cl.loop.idx && !cl.loop.blockedByClaims(cmd, args, cl.db) {
		w, mark := cl.beginReply()
		cl.srv.setWriter(target, cl.id) // tracking.go: NOLOOP
		d := cl.loop.runShardCommand(cl.srv.shards[target], cmd, args, cl.db, w)
		cl.logSlow(cmd, args, d)
		cl.feedMonitors(cmd, args)
		cl.endReply(w, mark)
		return true, false
	}
	if cl.batch == nil {
		cl.batch = cl.newBatch()
	}
	cl.batch.queue(target, cmd, cl.db, args, cl.suppressReply())
	cl.feedMonitors(cmd, args)
	return true, false
}

// startMulti runs a command whose keys span shards as a transaction of the coordinator.
func (cl *client) startMulti(cmd *Command, args [][]byte) {
	cl.lastCmd = cmd.FullName()
	if cmd.multi == nil {
		panic("BUG: keys on several shards for a command without a multi-shard handler: " + cmd.FullName())
	}
	cl.loop.stats[cmd.id].calls++
	cl.loop.cmds++
	own := ownArgs(args)
	t := cl.newTxn(cmd.Flags&FlagWrite == 0)
	if cmd.Flags&FlagWrite != 0 {
		t.journal = own
	}
	// Claims from own may point into it; a handler's own later claims are copied.
	t.ownedKeys = true
	t.claimCommand(cmd, own, cl.db)
	t.ownedKeys = false
	cl.timed = timedCommand{cmd: cmd, args: own, start: time.Now()}
	cmd.multi(t, cmd, own)
	cl.feedMonitors(cmd, args)
	if cl.async != nil {
		cl.async.drop = cl.suppressReply()
	}
}

// behindTxn is a pipelined multi-shard command waiting for its turn to answer. Once
// its hops are done it is settled ahead of its turn (settleBehind): its reply waits in
// out.
type behindTxn struct {
	f       *fanout
	timed   timedCommand
	settled bool
	drop    bool
	out     proto.Writer
}

// settleBehind completes every pipelined multi-shard command whose hops are done, ahead
// of its turn to answer: a write drops its claims as soon as it ran on every shard
// rather than after the replies before it have left, so that other connections do not
// queue behind a reply order that is only this connection's concern. The completion
// runs as it would in its turn, with async pointing at it; the reply is kept for the
// turn.
func (cl *client) settleBehind() {
	for i := range cl.behind {
		e := &cl.behind[i]
		if e.settled || e.f.pending.Load() != 0 {
			continue
		}
		head, timed := cl.async, cl.timed
		cl.async, cl.timed = e.f, e.timed
		e.drop = e.f.drop
		e.out.SetRESP3(cl.out.RESP3())
		for cl.async != nil && cl.async.pending.Load() == 0 {
			f := cl.async
			cl.async = nil
			if at := f.finished.Load(); at != 0 {
				cl.timed.end = at
			}
			f.done(&e.out)
		}
		if cl.async != nil {
			// A further step is in flight; it answers in its turn.
			e.f = cl.async
		} else {
			e.settled = true
		}
		e.timed = cl.timed
		cl.async, cl.timed = head, timed
	}
}

// pipelinesMulti reports whether multi-shard command cmd, admitted and started, may
// have more of its kind start behind it before it answers: a one-step command
// (pipelined) on a plain connection.
func (cl *client) pipelinesMulti(cmd *Command) bool {
	return cmd.pipelined && cl.async != nil && cl.multi == nil && cl.exec == nil &&
		cl.blocked == nil && cl.sub == nil && cl.track == nil && !cl.closeAfterReply
}

// dispatchBehind runs a command that arrives while pipelined multi-shard commands of
// this connection are in flight. Only another one-step multi-shard command that admit
// let through may start: it posts its claims after theirs, so every shard runs them in
// request order, and its reply waits its turn in behind. Anything else, refusals
// included, stays in the buffer until they answered (consumed is false), so no later
// command or error overtakes them.
func (cl *client) dispatchBehind(cmd *Command, refused string, args [][]byte) (consumed, stop bool) {
	if cmd == nil || refused != "" || !cl.pipelinesMulti(cmd) {
		return false, true
	}
	if _, multi := cl.route(cmd, args); !multi {
		return false, true
	}
	head, timed := cl.async, cl.timed
	cl.async = nil
	cl.startMulti(cmd, args)
	if cl.async == nil {
		panic("BUG: pipelined multi-shard command " + cmd.FullName() + " started no operation")
	}
	cl.async.pipelined = true
	cl.behind = append(cl.behind, behindTxn{f: cl.async, timed: cl.timed})
	cl.async, cl.timed = head, timed
	return true, false
}

// route finds the shard that owns every key of the command. multi is true when the keys
// live on more than one shard.
func (cl *client) route(cmd *Command, args [][]byte) (target int, multi bool) {
	target = -1
	visit := func(key []byte) {
		s := cl.srv.shardOf(key)
		if target < 0 {
			target = s
		} else if s != target {
			multi = true
		}
	}
	if cmd.keysFn != nil {
		for _, i := range cmd.keysFn(args) {
			visit(args[i])
		}
	} else if cmd.FirstKey > 0 {
		last := cmd.LastKey
		if last < 0 {
			last += len(args)
		}
		i := cmd.FirstKey
		if i == 1 && cl.keyShard >= 0 && len(args) > 1 && sameSlice(args[1], cl.keyShardOf) {
			target = cl.keyShard
			i += cmd.Step
		}
		for ; i <= last && i < len(args); i += cmd.Step {
			visit(args[i])
			if multi {
				break
			}
		}
	}
	if target < 0 {
		// A command without keys in its arguments runs on the client's own shard.
		target = cl.loop.idx
	}
	return target, multi
}

// sameSlice reports whether a and b are the same non-empty bytes in memory, not just
// equal ones.
func sameSlice(a, b []byte) bool {
	return len(a) > 0 && len(a) == len(b) && &a[0] == &b[0]
}

// reject answers a command that never ran: unknown, wrong arity, not authenticated.
func (cl *client) reject(cmd *Command, msg string) {
	if cmd != nil && cmd.Name == "exec" {
		// A rejected EXEC discards the transaction and says why, as Redis does; a
		// cluster redirection is answered as it is.
		if !isRedirect(msg) {
			msg = "EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR ")
		}
		cl.multi = nil
		cl.unwatch()
	}
	w, mark := cl.beginReply()
	w.Error(msg)
	if cmd != nil {
		cl.loop.stats[cmd.id].rejected++
	}
	if cl.multi != nil {
		// A command rejected while queueing makes EXEC fail, as in Redis.
		cl.multi.aborted = true
	}
	cl.loop.countError(msg)
	cl.logFault() // acl_cmds.go
	cl.endReply(w, mark)
}

// runClientCounted runs a connection-side command from EXEC or a script and counts it
// in INFO commandstats, as Redis counts the commands a transaction or script runs; the
// shard-side ones are counted where they run.
func (cl *client) runClientCounted(cmd *Command, args [][]byte, w *proto.Writer) {
	start, mark := cl.loop.stamp(), w.Len()
	cmd.client(cl, args, w)
	cl.loop.account(cmd, w, mark, start)
}

// account records a command's call, duration and failure, and returns the duration.
// It runs on ls's loop.
func (ls *loopState) account(cmd *Command, w *proto.Writer, mark int, start int64) time.Duration {
	d := ls.since(start)
	st := &ls.stats[cmd.id]
	st.calls++
	st.usec += d.Microseconds()
	ls.cmds++
	if b := w.Bytes(); len(b) > mark && b[mark] == '-' {
		st.failed++
		ls.countErrorBytes(b[mark+1:])
	}
	// Latency histograms and the latency monitor (latency.go).
	if ls.obs.tracking.Load() {
		ls.observe(cmd, d)
	}
	ls.obs.recordLatency(cmd, d)
	return d
}

// countError counts an error reply under its first word (INFO errorstats).
func (ls *loopState) countError(msg string) {
	code := msg
	if i := strings.IndexByte(msg, ' '); i > 0 {
		code = msg[:i]
	}
	ls.errStats[code]++
}

func (ls *loopState) countErrorBytes(b []byte) {
	end := len(b)
	for i, c := range b {
		if c == ' ' || c == '\r' {
			end = i
			break
		}
	}
	ls.errStats[string(b[:end])]++
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// unknownCommand formats Redis's unknown-command error. redis-server formats with C's
// "%.128s" and "'%.*s' ", so each string stops at a NUL byte and the argument list stops
// once it reaches 128 bytes, the last argument cut to fit.
func unknownCommand(args [][]byte) string {
	var list []byte
	for _, a := range args[1:] {
		if len(list) >= 128 {
			break
		}
		room := 128 - len(list)
		list = append(list, '\'')
		list = append(list, truncate(cString(a), room)...)
		list = append(list, "' "...)
	}
	return "ERR unknown command '" + truncate(cString(args[0]), 128) + "', with args beginning with: " + string(list)
}

// cString returns b up to its first NUL byte, as C's string functions see it.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// batch is a read batch's commands for other shards: one group per remote shard, each
// sent as one message (squashing), plus the replies of local commands that ran after the
// first remote one. Replies are reassembled in request order when every group is back.
type batch struct {
	cl      *client
	resp3   bool
	pending atomic.Int32
	groups  []*group
	slots   []slot
	side    proto.Writer
	sent    bool
}

// slot is one command's place in the reply order: a reply in group g (g >= 0), or a
// range of the side buffer (g < 0).
type slot struct {
	g, i       int
	start, end int
	drop       bool
}

// group is the part of a batch for one remote shard. Its args are copies owned by the
// message, since the client's read buffer is only valid inside OnTraffic.
type group struct {
	shard int
	b     *batch
	cmds  []remoteCmd
	arena []byte
	// argv backs every command's args, so a hop allocates nothing per command.
	argv [][]byte
	w    proto.Writer
}

type remoteCmd struct {
	cmd        *Command
	db         int
	args       [][]byte
	start, end int
	// dur is how long the handler ran, for the slow log.
	dur time.Duration
}

var groupPool = sync.Pool{New: func() any { return new(group) }}

func (cl *client) newBatch() *batch {
	b := cl.spareBatch
	if b == nil {
		b = &batch{cl: cl}
	}
	cl.spareBatch = nil
	b.resp3 = cl.out.RESP3()
	b.side.SetRESP3(b.resp3)
	return b
}

// recycle empties a finished batch, which no other loop references any more, for the
// client's next one; big buffers are dropped, as in group.reset.
func (b *batch) recycle() {
	clear(b.groups)
	b.groups, b.slots, b.sent = b.groups[:0], b.slots[:0], false
	b.side.Reset()
	if cap(b.slots) > 4096 {
		b.slots = nil
	}
	if cap(b.side.Bytes()) > 64<<10 {
		b.side = proto.Writer{}
	}
	b.cl.spareBatch = b
}

func (b *batch) beginLocal() {
	b.slots = append(b.slots, slot{g: -1, start: b.side.Len()})
}

func (b *batch) endLocal(drop bool) {
	s := &b.slots[len(b.slots)-1]
	s.end = b.side.Len()
	s.drop = drop
}

// queue adds a command for remote shard target, copying its arguments.
func (b *batch) queue(target int, cmd *Command, db int, args [][]byte, drop bool) {
	var g *group
	gi := -1
	for i, have := range b.groups {
		if have.shard == target {
			g, gi = have, i
			break
		}
	}
	if g == nil {
		g = groupPool.Get().(*group)
		g.shard, g.b = target, b
		g.w.SetRESP3(b.resp3)
		gi = len(b.groups)
		b.groups = append(b.groups, g)
	}
	// The copies' slices are fixed up in send: the arena may still move as it grows.
	start := len(g.argv)
	for _, a := range args {
		g.arena = append(g.arena, a...)
		g.argv = append(g.argv, a)
	}
	g.cmds = append(g.cmds, remoteCmd{cmd: cmd, db: db, args: g.argv[start:len(g.argv):len(g.argv)]})
	b.slots = append(b.slots, slot{g: gi, i: len(g.cmds) - 1, drop: drop})
}

// send posts every group to its shard. The last group to finish wakes the client.
func (b *batch) send(s *Server) {
	b.sent = true
	b.pending.Store(int32(len(b.groups)))
	for _, g := range b.groups {
		g := g
		// Re-slice args now: earlier appends to the arena may have moved it.
		g.fixArgs()
		s.run(g.shard, func() { g.exec(s, 0) })
	}
}

// fixArgs points every command's args into the final backing arrays of argv and the
// arena.
func (g *group) fixArgs() {
	off, at := 0, 0
	for ci := range g.cmds {
		n := len(g.cmds[ci].args)
		args := g.argv[at : at+n : at+n]
		for i, a := range args {
			args[i] = g.arena[off : off+len(a) : off+len(a)]
			off += len(a)
		}
		g.cmds[ci].args = args
		at += n
	}
}

// exec runs the group's commands on its shard's loop, from command from on. A command
// whose keys a transaction holds waits, and the rest of the group with it.
func (g *group) exec(s *Server, from int) {
	sh := s.shards[g.shard]
	ls := s.loops[g.shard]
	if from == 0 {
		ls.countHop(len(g.cmds)) // metrics.go
		if len(g.cmds) > 1 {
			keys, seconds := ls.pfKeys[:0], ls.pfSeconds[:0]
			for i := range g.cmds {
				rc := &g.cmds[i]
				if rc.db == g.cmds[0].db && rc.cmd.FirstKey > 0 && rc.cmd.FirstKey < len(rc.args) {
					keys = append(keys, rc.args[rc.cmd.FirstKey])
					seconds = append(seconds, argAfter(rc.args, rc.cmd.FirstKey))
				}
			}
			sh.PrefetchBatch(g.cmds[0].db, keys, seconds)
			clear(keys)
			clear(seconds)
			ls.pfKeys, ls.pfSeconds = keys[:0], seconds[:0]
		}
	}
	ls.beginChain()
	for i := from; i < len(g.cmds); i++ {
		rc := &g.cmds[i]
		if ls.blockedByClaims(rc.cmd, rc.args, rc.db) {
			ls.endChain()
			i := i
			r := commandRequest(rc.cmd, rc.args, rc.db)
			r.granted = func() {
				g.run(sh, ls, rc)
				g.exec(s, i+1)
			}
			ls.locks.request(r)
			return
		}
		g.run(sh, ls, rc)
	}
	ls.endChain()
	// Read the batch before the count drops: once it reaches zero the client may
	// finish the batch and recycle this group at any moment.
	b := g.b
	if b.pending.Add(-1) == 0 {
		b.cl.wake()
	}
}

func (g *group) run(sh *shard.Shard, ls *loopState, rc *remoteCmd) {
	rc.start = g.w.Len()
	ls.srv.setWriter(g.shard, g.b.cl.id) // tracking.go: NOLOOP
	rc.dur = ls.runShardCommand(sh, rc.cmd, rc.args, rc.db, &g.w)
	rc.end = g.w.Len()
}

// blockedByClaims reports whether a single-shard command must wait because a
// transaction holds one of its keys. It costs one comparison when no transaction
// touches this shard.
func (ls *loopState) blockedByClaims(cmd *Command, args [][]byte, db int) bool {
	if !ls.locks.active() {
		return false
	}
	write := cmd.Flags&FlagWrite != 0
	for _, p := range keyPositionsOf(cmd, args) {
		if ls.locks.blocks(db, args[p], write) {
			return true
		}
	}
	return false
}

// commandRequest is the claim a waiting single-shard command queues: held by no one,
// granted when the transactions before it are done with its keys.
func commandRequest(cmd *Command, args [][]byte, db int) *lockRequest {
	r := &lockRequest{}
	mode := lockShared
	if cmd.Flags&FlagWrite != 0 {
		mode = lockExclusive
	}
	for _, p := range keyPositionsOf(cmd, args) {
		r.keys = append(r.keys, lockKey{db, string(args[p])})
		r.modes = append(r.modes, mode)
	}
	return r
}

// finishBatch appends every reply of the completed batch to the output, in order.
func (cl *client) finishBatch() {
	b := cl.batch
	cl.batch = nil
	for _, s := range b.slots {
		if s.drop {
			continue
		}
		if s.g < 0 {
			cl.out.Raw(b.side.Bytes()[s.start:s.end])
			continue
		}
		rc := &b.groups[s.g].cmds[s.i]
		cl.logSlow(rc.cmd, rc.args, rc.dur)
		cl.out.Raw(b.groups[s.g].w.Bytes()[rc.start:rc.end])
	}
	for _, g := range b.groups {
		g.reset()
		groupPool.Put(g)
	}
	b.recycle()
}

// reset empties g for the pool. Stale pointers are cleared and big buffers dropped: a
// pooled group must not keep a bulk load's arena alive.
func (g *group) reset() {
	g.b = nil
	clear(g.cmds)
	clear(g.argv)
	g.cmds, g.argv, g.arena = g.cmds[:0], g.argv[:0], g.arena[:0]
	g.w.Reset()
	if cap(g.arena) > 64<<10 {
		g.arena = nil
	}
	if cap(g.argv) > 4096 {
		g.cmds, g.argv = nil, nil
	}
	if g.w.Len() == 0 && cap(g.w.Bytes()) > 1<<20 {
		g.w = proto.Writer{}
	}
}

// aheadMax bounds the look-ahead window, so its first keys are still cached when they run.
const aheadMax = 32

// lookahead holds the requests of a pipelined read parsed ahead of the one running, so
// that each is parsed once and the keys of a window are prefetched together.
type lookahead struct {
	reqs []proto.Request
	lens []int
	// shards holds the shard of each request's args[1] when the prefetch computed it,
	// else -1: routing then does not hash the key a second time.
	shards  []int
	n, next int
}

// parseAhead parses up to aheadMax complete requests from buf into the client's window
// and prefetches the first key of each command this loop's shard owns
// (shard.PrefetchBatch): the window's cache misses overlap instead of following each
// other. It stops before an incomplete or malformed request, which the caller's own
// parse then meets in turn.
func (cl *client) parseAhead(buf []byte) {
	ahead := &cl.ahead
	if ahead.reqs == nil {
		ahead.reqs = make([]proto.Request, aheadMax)
		ahead.lens = make([]int, aheadMax)
		ahead.shards = make([]int, aheadMax)
	}
	ls := cl.loop
	keys, seconds := ls.pfKeys[:0], ls.pfSeconds[:0]
	// A copy of the parser: an incomplete request at the window's end must not leave
	// its Need, relative to this offset, on the client's parser.
	parser := cl.parser
	off, n := 0, 0
	for n < aheadMax && off < len(buf) {
		k, err := parser.Parse(buf[off:], &ahead.reqs[n])
		if err != nil || k == 0 {
			break
		}
		off += k
		ahead.lens[n] = k
		ahead.shards[n] = -1
		args := ahead.reqs[n].Args
		n++
		if len(args) < 2 || cl.multi != nil {
			continue
		}
		cmd := cl.cmds.lookup(args[0])
		if cmd == nil || cmd.FirstKey != 1 || cmd.keysFn != nil {
			continue
		}
		ahead.shards[n-1] = cl.srv.shardOf(args[1])
		if ahead.shards[n-1] != ls.idx {
			continue
		}
		keys = append(keys, args[1])
		seconds = append(seconds, argAfter(args, 1))
	}
	ahead.n, ahead.next = n, 0
	cl.srv.shards[ls.idx].PrefetchBatch(cl.db, keys, seconds)
	clear(keys)
	clear(seconds)
	ls.pfKeys, ls.pfSeconds = keys[:0], seconds[:0]
}

// argAfter returns the argument after args[i], or nil: for shard.PrefetchBatch, which
// treats it as a member the command may look up in the key's collection.
func argAfter(args [][]byte, i int) []byte {
	if i+1 < len(args) {
		return args[i+1]
	}
	return nil
}
