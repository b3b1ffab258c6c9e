package coord

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/basaltdb/basalt/proto"
)

// Replication, master side. The replication stream is the AOF's command stream (the
// records of appendRecords, with their SELECTs and MULTI/EXEC blocks), fed to a backlog
// and to every attached replica; a full sync sends an RDB snapshot cut at a point of the
// stream, so the replica replays exactly what followed the cut.
//
// A replica connects as a client, introduces itself with REPLCONF and asks PSYNC (or
// SYNC). From then on its socket is no client of an event loop: its descriptor is
// duplicated out of gnet (as a migrating connection's is) and served by two goroutines
// of its own, one writing the snapshot and then the stream, one reading its REPLCONF
// ACKs. The loops only append to the stream, under the replication mutex, wherever the
// AOF is appended to.

// replBacklogMin is the smallest replication backlog, as in Redis.
const replBacklogMin = 16 * 1024

// replicaOutputLimit drops a replica whose unsent stream grows past it, as Redis's
// client-output-buffer-limit for replicas (256mb hard) does.
const replicaOutputLimit = 256 << 20

// replState is the server's replication state, master side and (link) replica side.
type replState struct {
	// active is set once a replica attached: from then on writes are journaled and fed
	// to the backlog, as Redis keeps its backlog once created.
	active atomic.Bool
	// size is repl-backlog-size.
	size atomic.Int64

	mu sync.Mutex
	// id is master_replid; id2 and off2 the previous id and the offset up to which it is
	// valid (master_replid2, second_repl_offset), for replicas of a former master.
	id, id2 string
	off     int64 // master_repl_offset: bytes of stream since id began
	off2    int64
	backlog backlog
	// db is the database of the last SELECT in the stream (-1: the next record selects).
	db       int
	replicas []*replicaConn
	waiters  []*replWaiter // clients blocked in WAIT
	scratch  []byte
	lastPing time.Time

	syncFull, syncPartialOK, syncPartialErr int64

	// link is the connection to this server's master while it is a replica (replica.go).
	link *replLink
}

// newReplID returns a fresh 40-character replication id.
func newReplID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// backlog is the ring of the last bytes of the stream, for partial resyncs.
type backlog struct {
	buf   []byte
	next  int   // where the next byte goes
	first int64 // offset of the oldest byte held
	n     int   // bytes held
}

func (b *backlog) add(p []byte) {
	size := len(b.buf)
	if size == 0 {
		return
	}
	if len(p) >= size {
		b.first += int64(b.n + len(p) - size)
		copy(b.buf, p[len(p)-size:])
		b.next, b.n = 0, size
		return
	}
	k := copy(b.buf[b.next:], p)
	copy(b.buf, p[k:])
	b.next = (b.next + len(p)) % size
	if over := b.n + len(p) - size; over > 0 {
		b.first += int64(over)
		b.n = size
	} else {
		b.n += len(p)
	}
}

// since returns a copy of the bytes from offset off on; off must be within
// [first, first+n].
func (b *backlog) since(off int64) []byte {
	skip := int(off - b.first)
	count := b.n - skip
	out := make([]byte, count)
	if count == 0 {
		return out
	}
	size := len(b.buf)
	start := ((b.next-b.n+skip)%size + size) % size
	k := copy(out, b.buf[start:min(start+count, size)])
	copy(out[k:], b.buf[:count-k])
	return out
}

// resize keeps the newest bytes that fit in size.
func (b *backlog) resize(size int) {
	if size == len(b.buf) {
		return
	}
	held := b.since(b.first)
	if len(held) > size {
		b.first += int64(len(held) - size)
		held = held[len(held)-size:]
	}
	b.buf = make([]byte, size)
	copy(b.buf, held)
	b.n, b.next = len(held), len(held)%size
}

// replicaConn is an attached replica, seen from its master.
type replicaConn struct {
	srv  *Server
	id   uint64
	conn net.Conn
	ip   string
	port int // its listening-port (REPLCONF), 0 when it gave none

	mu    sync.Mutex
	cond  sync.Cond
	out   []byte // stream not yet written
	state string // wait_bgsave, send_bulk, online
	gone  bool

	ackOff atomic.Int64
	ackAt  atomic.Int64 // unix ms of the last ACK (or of the sync's end)
}

// push queues stream bytes for the replica.
func (rc *replicaConn) push(p []byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.gone {
		return
	}
	if len(rc.out)+len(p) > replicaOutputLimit {
		rc.srv.log.warning("Client id=%d addr=%s scheduled to be closed ASAP for overcoming of output buffer limits.", rc.id, rc.conn.RemoteAddr())
		rc.closeLocked()
		return
	}
	rc.out = append(rc.out, p...)
	rc.cond.Signal()
}

func (rc *replicaConn) closeLocked() {
	if !rc.gone {
		rc.gone = true
		_ = rc.conn.Close()
		rc.cond.Broadcast()
	}
}

// close drops the replica: its socket, and its place among the replicas.
func (rc *replicaConn) close() {
	rc.mu.Lock()
	rc.closeLocked()
	rc.mu.Unlock()
	r := &rc.srv.repl
	r.mu.Lock()
	for i, x := range r.replicas {
		if x == rc {
			r.replicas = append(r.replicas[:i], r.replicas[i+1:]...)
			break
		}
	}
	r.mu.Unlock()
	rc.srv.updateGoodReplicas()
}

func (rc *replicaConn) online() bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.state == "online"
}

func (rc *replicaConn) setState(st string) {
	rc.mu.Lock()
	rc.state = st
	rc.mu.Unlock()
}

// feedReplicas appends records to the stream. It runs on loops, wherever the AOF is
// appended to, so the stream has the AOF's order.
func (s *Server) feedReplicas(block bool, recs []aofRecord) {
	r := &s.repl
	r.mu.Lock()
	r.scratch = appendRecordsRESP(r.scratch[:0], &r.db, block, recs)
	r.feedLocked(r.scratch)
	if cap(r.scratch) > 64<<10 {
		r.scratch = nil
	}
	r.mu.Unlock()
}

// replicateOnly feeds a command to the replicas but not to the AOF: PUBLISH, which
// replicas deliver to their own subscribers, as Redis propagates it.
func (s *Server) replicateOnly(db int, args [][]byte) {
	if s.repl.active.Load() {
		s.feedReplicas(false, []aofRecord{{db, args}})
	}
}

func (r *replState) feedLocked(p []byte) {
	r.off += int64(len(p))
	r.backlog.add(p)
	for _, rc := range r.replicas {
		rc.push(p)
	}
}

// activate creates the backlog and starts feeding the stream; it runs at a cut (no write
// anywhere) or with r.mu held by the caller of activateLocked.
func (s *Server) activateLocked() {
	r := &s.repl
	if r.active.Load() {
		return
	}
	r.backlog = backlog{buf: make([]byte, s.backlogSize()), first: r.off + 1}
	r.db = -1
	r.active.Store(true)
	s.settings.Journal.Store(true)
}

func (s *Server) backlogSize() int { return int(s.repl.size.Load()) }

// applySize follows repl-backlog-size.
func (r *replState) applySize(size int64) {
	r.size.Store(size)
	r.mu.Lock()
	if r.active.Load() {
		r.backlog.resize(int(size))
	}
	r.mu.Unlock()
}

// replHello is what a would-be replica told with REPLCONF before PSYNC.
type replHello struct {
	port int
	ip   string
	eof  bool
	// rdbOnly asks for the snapshot alone (redis-cli --rdb): no stream follows, and a
	// replica may serve it too.
	rdbOnly bool
}

// REPLCONF <option> <value> [<option> <value> ...]
func replconfCmd(cl *client, args [][]byte, w *proto.Writer) {
	if len(args)%2 == 0 {
		w.Error(proto.ErrSyntax)
		return
	}
	if cl.replHello == nil {
		cl.replHello = &replHello{}
	}
	h := cl.replHello
	for i := 1; i < len(args); i += 2 {
		opt, val := strings.ToLower(string(args[i])), args[i+1]
		switch opt {
		case "listening-port":
			n, ok := proto.ParseInt(val)
			if !ok || n < 0 || n > 65535 {
				w.Error("ERR value is out of range")
				return
			}
			h.port = int(n)
		case "ip-address":
			h.ip = string(val)
		case "capa":
			if strings.EqualFold(string(val), "eof") {
				h.eof = true
			}
		case "ack", "fack", "getack":
			// ACKs arrive on a replica's own socket, which no loop reads (replicaConn);
			// GETACK is for replicas. Neither gets a reply from a client, as in Redis.
			return
		case "rdb-only":
			n, ok := proto.ParseInt(val)
			if !ok || (n != 0 && n != 1) {
				w.Error("ERR value is out of range")
				return
			}
			h.rdbOnly = n == 1
		case "rdb-filter-only":
		default:
			w.Error("ERR Unrecognized REPLCONF option: " + string(args[i]))
			return
		}
	}
	w.Simple("OK")
}

// PSYNC <replid> <offset>, and SYNC: the connection becomes a replica.
func psyncCmd(cl *client, args [][]byte, w *proto.Writer) {
	srv := cl.srv
	psync := strings.EqualFold(string(args[0]), "psync")
	id, off := "", int64(-1)
	if psync {
		n, ok := proto.ParseInt(args[2])
		if !ok {
			w.Error(proto.ErrNotInt)
			return
		}
		id, off = string(args[1]), n
	}
	rdbOnly := cl.replHello != nil && cl.replHello.rdbOnly
	if srv.isReplica() && !rdbOnly {
		w.Error("ERR Basalt does not serve replicas while it is a replica itself")
		return
	}
	nc, err := dupConn(cl.conn) // migrate.go
	if err != nil {
		w.Error("ERR " + err.Error())
		return
	}
	rc := &replicaConn{srv: srv, id: cl.id, conn: nc, state: "wait_bgsave"}
	rc.cond.L = &rc.mu
	rc.ip, _, _ = net.SplitHostPort(cl.addr)
	if h := cl.replHello; h != nil {
		rc.port = h.port
		if h.ip != "" {
			rc.ip = h.ip
		}
	}
	// The loop lets go of the socket; the replica's goroutines own the duplicate. The
	// replies before PSYNC's leave when this callback ends; a message to the loop runs
	// after that, so the stream cannot overtake them.
	cl.closeAfterReply = true
	if rdbOnly {
		srv.run(cl.loop.idx, func() {
			go func() {
				defer nc.Close()
				if err := srv.fullSync(rc, psync, false); err != nil {
					srv.log.warning("Snapshot for %s failed: %v", rc.ip, err)
				}
			}()
		})
		return
	}
	srv.run(cl.loop.idx, func() { go srv.serveReplica(rc, psync, id, off) })
}

// serveReplica runs a replica's sync, then writes its stream until it goes.
func (s *Server) serveReplica(rc *replicaConn, psync bool, id string, off int64) {
	defer rc.close()
	s.log.notice("Replica %s:%d asks for synchronization", rc.ip, rc.port)
	go rc.readAcks()
	if psync && s.partialSync(rc, id, off) {
		// The stream may already be appending to rc.out: read its size under the lock.
		rc.mu.Lock()
		pending := len(rc.out)
		rc.mu.Unlock()
		s.log.notice("Partial resynchronization request from %s:%d accepted. Sending %d bytes of backlog starting from offset %d.", rc.ip, rc.port, pending, off)
	} else if err := s.fullSync(rc, psync, true); err != nil {
		s.log.warning("Full synchronization with replica %s:%d failed: %v", rc.ip, rc.port, err)
		return
	}
	rc.ackAt.Store(time.Now().UnixMilli())
	rc.setState("online")
	s.updateGoodReplicas()
	s.log.notice("Synchronization with replica %s:%d succeeded", rc.ip, rc.port)
	for {
		rc.mu.Lock()
		for len(rc.out) == 0 && !rc.gone {
			rc.cond.Wait()
		}
		if rc.gone {
			rc.mu.Unlock()
			return
		}
		buf := rc.out
		rc.out = nil
		rc.mu.Unlock()
		if _, err := rc.conn.Write(buf); err != nil {
			return
		}
	}
}

// partialSync continues the replica's stream from the backlog when it holds offset off
// of the stream named id; it attaches the replica when it does.
func (s *Server) partialSync(rc *replicaConn, id string, off int64) bool {
	r := &s.repl
	r.mu.Lock()
	ok := r.active.Load() && (id == r.id || (id == r.id2 && off <= r.off2)) &&
		off >= r.backlog.first && off <= r.off+1
	if !ok {
		if id != "?" {
			r.syncPartialErr++
		}
		r.mu.Unlock()
		return false
	}
	rc.out = r.backlog.since(off)
	r.replicas = append(r.replicas, rc)
	r.syncPartialOK++
	myID := r.id
	r.mu.Unlock()
	// The backlog follows the reply: the writer sends out once this line is written.
	rc.mu.Lock()
	_, err := rc.conn.Write([]byte("+CONTINUE " + myID + "\r\n"))
	rc.mu.Unlock()
	if err != nil {
		rc.close()
	}
	return true
}

// fullSync sends a snapshot cut at the replica's attachment to the stream (with
// stream), then what the stream gathered meanwhile follows through the writer; without
// stream (REPLCONF rdb-only) the snapshot alone.
func (s *Server) fullSync(rc *replicaConn, psync, stream bool) error {
	if err := s.claimSnapshot(); err != nil {
		return err
	}
	defer s.releaseSnapshot()
	dir := s.cfg.dir()
	path := filepath.Join(dir, fmt.Sprintf("temp-repl-%d-%d.rdb", os.Getpid(), rc.id))
	defer os.Remove(path)
	var cutOff int64
	var cutID string
	attach := func() {
		r := &s.repl
		r.mu.Lock()
		if !stream {
			cutOff, cutID = r.off, r.id
			r.mu.Unlock()
			return
		}
		s.activateLocked()
		// The replica's stream starts here, with a SELECT of its own.
		r.db = -1
		r.replicas = append(r.replicas, rc)
		r.syncFull++
		cutOff, cutID = r.off, r.id
		r.mu.Unlock()
	}
	started := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		_, err := s.writeSnapshotWith(path, started, attach)
		done <- err
	}()
	if err := <-started; err != nil {
		<-done
		return err
	}
	if psync {
		if _, err := rc.conn.Write([]byte(fmt.Sprintf("+FULLRESYNC %s %d\r\n", cutID, cutOff))); err != nil {
			<-done
			return err
		}
	}
	// A newline now and then keeps the replica from timing out while the snapshot is
	// written, as Redis does.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for waiting := true; waiting; {
		select {
		case err := <-done:
			if err != nil {
				return err
			}
			waiting = false
		case <-tick.C:
			if _, err := rc.conn.Write([]byte("\n")); err != nil {
				<-done
				return err
			}
		}
	}
	rc.setState("send_bulk")
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := rc.conn.Write([]byte("$" + strconv.FormatInt(info.Size(), 10) + "\r\n")); err != nil {
		return err
	}
	_, err = io.Copy(rc.conn, f)
	return err
}

// claimSnapshot waits until no save or AOF rewrite runs, then marks a background save
// in progress (a shard runs one snapshot at a time); BGSAVE meanwhile answers that one
// is in progress, as Redis does while it saves for a replica.
func (s *Server) claimSnapshot() error {
	for {
		select {
		case <-s.stopped:
			return errSaveAborted
		default:
		}
		a, p := &s.aof, &s.persist
		a.mu.Lock()
		ok := false
		if !a.rewriting {
			p.mu.Lock()
			if !p.saving {
				p.saving, p.bgsave, p.started = true, true, time.Now()
				ok = true
			}
			p.mu.Unlock()
		}
		a.mu.Unlock()
		if ok {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Server) releaseSnapshot() {
	p := &s.persist
	p.mu.Lock()
	p.saving, p.bgsave = false, false
	p.mu.Unlock()
}

// readAcks reads what the replica sends: REPLCONF ACK <offset>.
func (rc *replicaConn) readAcks() {
	defer rc.close()
	r := bufio.NewReader(rc.conn)
	for {
		// A replica sends newlines to keep the link alive while it loads the snapshot
		// (Redis does when it flushes its old data): skip anything but an array.
		if b, err := r.Peek(1); err != nil {
			return
		} else if b[0] != '*' {
			if _, err := r.ReadSlice('\n'); err != nil && err != bufio.ErrBufferFull {
				return
			}
			continue
		}
		cmd, _, err := readAOFCommand(r)
		if err != nil {
			return
		}
		args, ok := splitCommand(cmd)
		if !ok || len(args) < 3 || !strings.EqualFold(args[0], "replconf") || !strings.EqualFold(args[1], "ack") {
			continue
		}
		if n, err := strconv.ParseInt(args[2], 10, 64); err == nil {
			rc.ackOff.Store(n)
			rc.ackAt.Store(time.Now().UnixMilli())
			rc.srv.wakeWaiters()
		}
	}
}

// splitCommand splits one RESP array of bulk strings, as readAOFCommand returns it.
func splitCommand(b []byte) ([]string, bool) {
	var p proto.Parser
	var req proto.Request
	n, err := p.Parse(b, &req)
	if err != nil || n == 0 {
		return nil, false
	}
	out := make([]string, len(req.Args))
	for i, a := range req.Args {
		out[i] = string(a)
	}
	return out, true
}

// replCron pings the replicas every repl-ping-replica-period, so that they see their
// master alive and the offsets move, and keeps min-replicas-to-write's view current.
func (s *Server) replCron() {
	r := &s.repl
	if !r.active.Load() {
		return
	}
	s.cfg.mu.Lock()
	period := time.Duration(s.cfg.ReplPingReplicaPeriod) * time.Second
	timeout := int64(max(s.cfg.ReplTimeout, 1)) * 1000
	s.cfg.mu.Unlock()
	r.mu.Lock()
	if len(r.replicas) > 0 && time.Since(r.lastPing) >= period {
		r.lastPing = time.Now()
		r.feedLocked(appendRESP(nil, []byte("PING")))
	}
	// A replica silent for repl-timeout is gone, even if its socket never said so.
	var silent []*replicaConn
	now := time.Now().UnixMilli()
	for _, rc := range r.replicas {
		if rc.online() && now-rc.ackAt.Load() > timeout {
			silent = append(silent, rc)
		}
	}
	r.mu.Unlock()
	for _, rc := range silent {
		s.log.warning("Disconnecting timedout replica (streaming sync): %s:%d", rc.ip, rc.port)
		rc.close()
	}
	s.updateGoodReplicas()
	s.wakeWaiters()
}

// goodReplicas counts the online replicas whose last ACK is at most maxLag seconds old.
func (s *Server) goodReplicas(maxLag int) int {
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now().UnixMilli()
	n := 0
	for _, rc := range r.replicas {
		if rc.online() && now-rc.ackAt.Load() <= int64(maxLag)*1000 {
			n++
		}
	}
	return n
}

// updateGoodReplicas applies min-replicas-to-write and min-replicas-max-lag.
func (s *Server) updateGoodReplicas() {
	s.cfg.mu.Lock()
	need, lag := s.cfg.MinReplicasToWrite, s.cfg.MinReplicasMaxLag
	s.cfg.mu.Unlock()
	s.noReplicas.Store(need > 0 && lag > 0 && s.goodReplicas(lag) < need)
}

// replWaiter is a client blocked in WAIT: it is released once need replicas
// acknowledged offset off (or by its timeout, CLIENT UNBLOCK or its close).
type replWaiter struct {
	cl   *client
	op   *blockOp
	off  int64
	need int
	done atomic.Bool // the WAIT answered; drop the waiter
}

// ackedLocked counts the replicas that acknowledged offset off.
func (r *replState) ackedLocked(off int64) int {
	n := 0
	for _, rc := range r.replicas {
		if rc.ackOff.Load() >= off && rc.online() {
			n++
		}
	}
	return n
}

func (r *replState) acked(off int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ackedLocked(off)
}

// addWaiter registers a WAIT and asks the replicas where they are, as Redis does for a
// client blocked in WAIT.
func (r *replState) addWaiter(wt *replWaiter) {
	r.mu.Lock()
	r.waiters = append(r.waiters, wt)
	if len(r.replicas) > 0 {
		r.feedLocked(appendRESP(nil, []byte("REPLCONF"), []byte("GETACK"), []byte("*")))
	}
	r.mu.Unlock()
}

// wakeWaiters releases the WAITs that enough replicas acknowledged. A WAIT that was not
// blocked yet when its ACKs came is released by a later call (each cron tick makes one).
func (s *Server) wakeWaiters() {
	r := &s.repl
	r.mu.Lock()
	var ready []*replWaiter
	keep := r.waiters[:0]
	for _, wt := range r.waiters {
		if wt.done.Load() {
			continue
		}
		keep = append(keep, wt)
		if r.ackedLocked(wt.off) >= wt.need {
			ready = append(ready, wt)
		}
	}
	clear(r.waiters[len(keep):])
	r.waiters = keep
	r.mu.Unlock()
	for _, wt := range ready {
		s.run(wt.cl.loop.idx, wt.release)
	}
}

// release ends the client's WAIT as a timeout would, so that it answers the count of
// replicas that acknowledged; it runs on the client's loop.
func (wt *replWaiter) release() {
	cl := wt.cl
	if cl.closed {
		wt.done.Store(true)
		return
	}
	if bw := cl.blocked; bw != nil && bw.op == wt.op && bw.state.CompareAndSwap(waitWaiting, waitDone) {
		cl.wake()
	}
}

// replInfo writes INFO replication.
func (s *Server) replInfo(field func(string, any)) {
	r := &s.repl
	size := s.backlogSize()
	if s.isReplica() {
		s.replicaInfo(field) // replica.go
	} else {
		field("role", "master")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	field("connected_slaves", len(r.replicas))
	if !s.isReplica() {
		now := time.Now().UnixMilli()
		for i, rc := range r.replicas {
			rc.mu.Lock()
			st := rc.state
			rc.mu.Unlock()
			field("slave"+strconv.Itoa(i), fmt.Sprintf("ip=%s,port=%d,state=%s,offset=%d,lag=%d",
				rc.ip, rc.port, st, rc.ackOff.Load(), (now-rc.ackAt.Load())/1000))
		}
	}
	field("master_failover_state", "no-failover")
	field("master_replid", r.id)
	field("master_replid2", r.id2)
	field("master_repl_offset", r.off)
	field("second_repl_offset", r.off2)
	field("repl_backlog_active", b2i(r.active.Load()))
	field("repl_backlog_size", size)
	field("repl_backlog_first_byte_offset", r.backlog.first)
	field("repl_backlog_histlen", r.backlog.n)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ROLE
func roleCmd(cl *client, _ [][]byte, w *proto.Writer) {
	srv := cl.srv
	if srv.isReplica() {
		srv.replicaRole(w) // replica.go
		return
	}
	r := &srv.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	w.Array(3)
	w.Bulk([]byte("master"))
	w.Int(r.off)
	w.Array(len(r.replicas))
	for _, rc := range r.replicas {
		w.Array(3)
		w.Bulk([]byte(rc.ip))
		w.Bulk([]byte(strconv.Itoa(rc.port)))
		w.Bulk([]byte(strconv.FormatInt(rc.ackOff.Load(), 10)))
	}
}

// replSaveInfo is what an RDB cut now records of the replication stream, as Redis's
// aux fields repl-stream-db, repl-id and repl-offset: on a master whose stream is fed,
// the id and the offset the dataset corresponds to exactly (the cut runs between
// writes). A replica records nothing: the offset it applied is only known after the
// replies of its master's commands came back, which a cut does not wait for.
func (s *Server) replSaveInfo() [][2]string {
	r := &s.repl
	if s.isReplica() || !r.active.Load() {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return [][2]string{{"repl-stream-db", strconv.Itoa(max(r.db, 0))}, {"repl-id", r.id},
		{"repl-offset", strconv.FormatInt(r.off, 10)}}
}

// restoreReplInfo takes the replication id and offset an RDB file recorded, after the
// server started from it, and opens the backlog there: a replica at that offset of that
// stream continues with +CONTINUE instead of a full sync, as with a restarted Redis.
func (s *Server) restoreReplInfo(id string, off int64) {
	if len(id) != 40 || off < 0 || s.isReplica() {
		return
	}
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	r.id, r.off = id, off
	s.activateLocked()
}
