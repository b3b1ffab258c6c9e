package coord

import (
	"bufio"
	"bytes"
	"context"
	"errors"
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

	"github.com/basaltdb/basalt/persist"
	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
	"github.com/panjf2000/gnet/v2"
)

// Replication, replica side. REPLICAOF starts a link: a goroutine that connects to the
// master, introduces this server (REPLCONF), asks PSYNC with the stream position it has,
// loads the snapshot of a full sync, and then applies the master's stream. The stream's
// commands go into the server through a private connection of the loader kind (as AOF
// replay does), so they run through the same dispatch, transactions and shards as any
// client's, in the master's order; that connection is exempt from read-only. The link
// counts the bytes of the commands that were applied (slave_repl_offset) and reports it
// with REPLCONF ACK every second and when the master asks (GETACK).

// errReadOnly refuses writes from clients on a read-only replica.
const errReadOnly = "READONLY You can't write against a read only replica."

// errMasterDown refuses commands without the stale flag while the link is down and
// replica-serve-stale-data is no.
const errMasterDown = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."

// masterDown reports whether a replica must refuse stale reads: its link is not
// connected and replica-serve-stale-data is no.
func (s *Server) masterDown() bool {
	l := s.replicaOf.Load()
	return l != nil && !s.serveStale.Load() && l.getState() != "connected"
}

// deniedStale reports whether cmd may not run on a stale replica: it lacks the stale
// flag, or it is an EXEC with such a command queued.
func (cl *client) deniedStale(cmd *Command) bool {
	return cl.orQueued(cmd, nil, func(c *Command, _ [][]byte) bool { return c.Flags&FlagStale == 0 })
}

// replLink is this server's connection to its master.
type replLink struct {
	srv        *Server
	host       string
	port       int
	stop       chan struct{}
	stopOnce   sync.Once
	state      atomic.Value // string: connect, connecting, sync, connected
	lastIO     atomic.Int64 // unix ms of the last byte from the master
	downSince  atomic.Int64 // unix ms the link went down
	syncing    atomic.Bool
	readOff    atomic.Int64 // stream bytes read (slave_read_repl_offset)
	appliedOff atomic.Int64 // stream bytes applied (slave_repl_offset)

	mu   sync.Mutex
	conn net.Conn // the current connection to the master, nil between attempts
	id   string   // the master's replication id, once known
}

func (l *replLink) getState() string {
	if s, ok := l.state.Load().(string); ok {
		return s
	}
	return "connect"
}

// isReplica reports whether this server replicates a master.
func (s *Server) isReplica() bool { return s.replicaOf.Load() != nil }

// REPLICAOF host port | NO ONE (and SLAVEOF).
func replicaofCmd(cl *client, args [][]byte, w *proto.Writer) {
	srv := cl.srv
	if srv.cluster != nil {
		w.Error("ERR REPLICAOF not allowed in cluster mode.")
		return
	}
	if strings.EqualFold(string(args[1]), "no") && strings.EqualFold(string(args[2]), "one") {
		if srv.isReplica() {
			srv.stopReplication()
			srv.log.notice("MASTER MODE enabled (user request from 'id=%d addr=%s')", cl.id, cl.addr)
		}
		w.OK()
		return
	}
	port, ok := proto.ParseInt(args[2])
	if !ok || port < 0 || port > 65535 {
		w.Error("ERR Invalid master port")
		return
	}
	host := string(args[1])
	if l := srv.replicaOf.Load(); l != nil && strings.EqualFold(l.host, host) && l.port == int(port) {
		w.Simple("OK Already connected to specified master")
		return
	}
	srv.startReplication(host, int(port))
	srv.log.notice("REPLICAOF %s:%d enabled (user request from 'id=%d addr=%s')", host, port, cl.id, cl.addr)
	w.OK()
}

// startReplication makes the server a replica of host:port. Its own replicas are
// dropped: they must sync with what this server becomes.
func (s *Server) startReplication(host string, port int) {
	s.stopReplication()
	l := &replLink{srv: s, host: host, port: port, stop: make(chan struct{})}
	l.state.Store("connect")
	l.downSince.Store(time.Now().UnixMilli())
	r := &s.repl
	r.mu.Lock()
	drop := r.replicas
	r.replicas = nil
	r.link = l
	// The stream this server feeds from now on is its master's, at the master's offsets.
	r.active.Store(false)
	r.backlog = backlog{}
	r.mu.Unlock()
	for _, rc := range drop {
		rc.close()
	}
	s.settings.Journal.Store(s.aof.on.Load())
	s.replicaOf.Store(l)
	s.updateHoldExpiry() // pause.go
	s.cfg.mu.Lock()
	s.cfg.ReplicaOf = host + " " + strconv.Itoa(port) // what CONFIG REWRITE writes
	s.cfg.mu.Unlock()
	s.readOnlyReplica.Store(s.cfg.replicaReadOnly())
	go l.run()
}

// stopReplication ends the link, if any; the server becomes a master that keeps its
// data, and starts a new history whose previous id is its master's, as Redis does.
func (s *Server) stopReplication() {
	l := s.replicaOf.Load()
	if l == nil {
		return
	}
	s.replicaOf.Store(nil)
	s.readOnlyReplica.Store(false)
	s.updateHoldExpiry() // pause.go
	s.cfg.mu.Lock()
	s.cfg.ReplicaOf = ""
	s.cfg.mu.Unlock()
	l.stopOnce.Do(func() { close(l.stop) })
	l.mu.Lock()
	if l.conn != nil {
		_ = l.conn.Close()
	}
	l.mu.Unlock()
	r := &s.repl
	r.mu.Lock()
	r.link = nil
	if l.id != "" {
		r.id2, r.off2 = l.id, r.off+1
	}
	r.id = newReplID()
	r.mu.Unlock()
}

// killMasterLink closes the connection to the master (CLIENT KILL TYPE master); the
// link reconnects by itself.
func (s *Server) killMasterLink() int {
	l := s.replicaOf.Load()
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return 0
	}
	_ = l.conn.Close()
	return 1
}

// killReplicas closes the replicas matching addr and id (empty and 0 match any), for
// CLIENT KILL TYPE replica.
func (s *Server) killReplicas(addr string, id uint64) int {
	r := &s.repl
	r.mu.Lock()
	var kill []*replicaConn
	for _, rc := range r.replicas {
		if (addr == "" || rc.conn.RemoteAddr().String() == addr) && (id == 0 || rc.id == id) {
			kill = append(kill, rc)
		}
	}
	r.mu.Unlock()
	for _, rc := range kill {
		rc.close()
	}
	return len(kill)
}

// run keeps the link up until it is stopped: a failed session is retried every second.
func (l *replLink) run() {
	for {
		err := l.session()
		select {
		case <-l.stop:
			return
		default:
		}
		l.state.Store("connect")
		l.downSince.Store(time.Now().UnixMilli())
		if err != nil {
			l.srv.log.warning("Connection with master lost or failed: %v", err)
		}
		select {
		case <-l.stop:
			return
		case <-time.After(time.Second):
		}
	}
}

// deadlineConn renews the read deadline before every read: a master silent for longer
// than repl-timeout is given up.
type deadlineConn struct {
	net.Conn
	l *replLink
}

func (c deadlineConn) Read(p []byte) (int, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(c.l.srv.cfg.replTimeout()))
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.l.lastIO.Store(time.Now().UnixMilli())
	}
	return n, err
}

// session is one connection to the master: handshake, sync, then the stream until the
// connection fails or the link stops.
func (l *replLink) session() error {
	s := l.srv
	l.state.Store("connecting")
	addr := net.JoinHostPort(l.host, strconv.Itoa(l.port))
	conn, err := net.DialTimeout("tcp", addr, s.cfg.replTimeout())
	if err != nil {
		return err
	}
	l.mu.Lock()
	select {
	case <-l.stop:
		l.mu.Unlock()
		conn.Close()
		return nil
	default:
	}
	l.conn = conn
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.conn = nil
		l.mu.Unlock()
		conn.Close()
	}()
	s.log.notice("MASTER <-> REPLICA sync started: connected to %s", addr)
	r := bufio.NewReaderSize(deadlineConn{conn, l}, 64<<10)
	call := func(args ...string) (string, error) {
		bs := make([][]byte, len(args))
		for i, a := range args {
			bs[i] = []byte(a)
		}
		if _, err := conn.Write(appendRESP(nil, bs...)); err != nil {
			return "", err
		}
		return readStatusLine(r)
	}
	if reply, err := call("PING"); err != nil {
		return err
	} else if reply[0] == '-' && !strings.HasPrefix(reply, "-NOAUTH") {
		return fmt.Errorf("error reply to PING from master: %s", reply)
	}
	if user, pass := s.cfg.masterAuth(); pass != "" {
		auth := []string{"AUTH", pass}
		if user != "" {
			auth = []string{"AUTH", user, pass}
		}
		if reply, err := call(auth...); err != nil {
			return err
		} else if reply[0] == '-' {
			return fmt.Errorf("unable to AUTH to MASTER: %s", reply)
		}
	}
	// Both are hints: an old master's error does not stop the sync, as in Redis.
	if _, err := call("REPLCONF", "listening-port", strconv.Itoa(s.cfg.Port)); err != nil {
		return err
	}
	if _, err := call("REPLCONF", "capa", "eof", "capa", "psync2"); err != nil {
		return err
	}
	psyncID, psyncOff := "?", "-1"
	l.mu.Lock()
	if l.id != "" {
		psyncID, psyncOff = l.id, strconv.FormatInt(l.appliedOff.Load()+1, 10)
	}
	l.mu.Unlock()
	reply, err := call("PSYNC", psyncID, psyncOff)
	if err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(reply, "+FULLRESYNC"):
		f := strings.Fields(reply)
		if len(f) != 3 {
			return fmt.Errorf("bad FULLRESYNC reply from master: %q", reply)
		}
		off, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return fmt.Errorf("bad FULLRESYNC offset from master: %q", reply)
		}
		s.log.notice("Full resync from master: %s:%d", f[1], off)
		l.state.Store("sync")
		l.syncing.Store(true)
		err = l.fullSync(r)
		l.syncing.Store(false)
		if err != nil {
			return err
		}
		l.mu.Lock()
		l.id = f[1]
		l.mu.Unlock()
		l.readOff.Store(off)
		l.appliedOff.Store(off)
		s.repl.mu.Lock()
		s.repl.id, s.repl.off = f[1], off
		s.repl.mu.Unlock()
	case strings.HasPrefix(reply, "+CONTINUE"):
		if f := strings.Fields(reply); len(f) == 2 {
			l.mu.Lock()
			if f[1] != l.id {
				// The master's history moved on (it was promoted): keep the old id for
				// our own PSYNC peers, as Redis does.
				s.repl.mu.Lock()
				s.repl.id2, s.repl.off2 = l.id, l.appliedOff.Load()+1
				s.repl.id = f[1]
				s.repl.mu.Unlock()
				l.id = f[1]
			}
			l.mu.Unlock()
		}
		s.log.notice("Successful partial resynchronization with master.")
	default:
		return fmt.Errorf("unexpected reply to PSYNC from master: %s", reply)
	}
	l.state.Store("connected")
	s.log.notice("MASTER <-> REPLICA sync: Finished with success")
	return l.stream(conn, r)
}

// readStatusLine reads one line of reply, skipping the empty lines a master sends to
// keep the connection alive while it prepares a snapshot.
func readStatusLine(r *bufio.Reader) (string, error) {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if line != "" {
			return line, nil
		}
	}
}

// fullSync receives the master's snapshot (a sized bulk, or an EOF-marked one from a
// diskless master) into a file and swaps the dataset for it.
func (l *replLink) fullSync(r *bufio.Reader) error {
	s := l.srv
	path := filepath.Join(s.cfg.dir(), fmt.Sprintf("temp-%d.%d.rdb", time.Now().Unix(), os.Getpid()))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	defer f.Close()
	if err := readSyncPayload(r, f); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	select {
	case <-l.stop:
		// REPLICAOF NO ONE or another master meanwhile: keep the dataset.
		return errors.New("replication stopped during the transfer")
	default:
	}
	s.log.notice("MASTER <-> REPLICA sync: Loading DB in memory")
	if err := s.replaceDataset(f); err != nil {
		return err
	}
	if s.aof.on.Load() {
		// The AOF's base predates the new dataset: rewrite it before the stream goes on,
		// as Redis restarts its AOF after a full sync.
		for s.persist.inProgress() {
			time.Sleep(10 * time.Millisecond)
		}
		if err := s.rewriteAOF(); err != nil {
			return err
		}
	}
	return nil
}

// readSyncPayload copies the snapshot of a full sync from r to w: a bulk of the size
// its header gives, or, from a diskless master, the bytes up to the 40-byte mark its
// "$EOF:<mark>" header names. Empty lines before the header are the master's
// keep-alives.
func readSyncPayload(r *bufio.Reader, w io.Writer) error {
	header, err := readStatusLine(r)
	if err != nil {
		return err
	}
	if len(header) < 2 || header[0] != '$' {
		return fmt.Errorf("bad protocol from MASTER, the first byte is not '$': %q", header)
	}
	if mark, ok := strings.CutPrefix(header, "$EOF:"); ok {
		if len(mark) != 40 {
			return fmt.Errorf("bad EOF mark from master: %q", header)
		}
		return copyUntilMark(w, r, []byte(mark))
	}
	n, err := strconv.ParseInt(header[1:], 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("bad bulk length from master: %q", header)
	}
	_, err = io.CopyN(w, r, n)
	return err
}

// copyUntilMark copies r to w up to the 40-byte mark that ends a diskless transfer.
func copyUntilMark(w io.Writer, r *bufio.Reader, mark []byte) error {
	var tail []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			tail = append(tail, buf[:n]...)
			if bytes.HasSuffix(tail, mark) {
				_, werr := w.Write(tail[:len(tail)-len(mark)])
				return werr
			}
			if keep := len(tail) - len(mark); keep > 0 {
				if _, werr := w.Write(tail[:keep]); werr != nil {
					return werr
				}
				tail = append(tail[:0], tail[keep:]...)
			}
		}
		if err != nil {
			return err
		}
	}
}

// replaceDataset decodes an RDB file and swaps every shard's data for it at one cut, so
// no client sees a mix: a full sync's snapshot, and DEBUG RELOAD's file.
func (s *Server) replaceDataset(f io.Reader) error {
	perShard := make([][]loadedKey, s.n)
	dec := persist.NewDecoder(s.settings)
	dec.Now = time.Now().UnixMilli()
	dec.Function = s.LoadFunctionLibrary
	err := dec.Decode(f, func(db int, key []byte, o shard.Object) error {
		if db < 0 || db >= s.cfg.Databases {
			return fmt.Errorf("database %d is out of range (databases %d)", db, s.cfg.Databases)
		}
		i := s.shardOf(key)
		perShard[i] = append(perShard[i], loadedKey{db, key, o})
		return nil
	})
	if err != nil {
		return err
	}
	s.atCut(func(sh *shard.Shard) {
		s.loops[sh.ID].touchLive(sh, -1)
		sh.Flush(-1)
		for _, k := range perShard[sh.ID] {
			sh.Begin(k.db)
			sh.Put(k.key, k.o)
		}
	})
	return nil
}

// stream applies the master's commands through a private connection into this server
// until the connection fails or the link stops.
func (l *replLink) stream(conn net.Conn, r *bufio.Reader) error {
	s := l.srv
	feed, err := s.loaderConnection()
	if err != nil {
		return err
	}
	defer feed.Close()
	// lens carries each forwarded command's length to the reply reader, which counts it
	// applied once its reply is back.
	lens := make(chan int, 4096)
	// readerDone is closed when the reply reader stops: the feed failed, or lens closed.
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		fr := bufio.NewReaderSize(feed, 64<<10)
		for n := range lens {
			reply, err := readOneReply(fr)
			if err != nil {
				return
			}
			if len(reply) > 0 && reply[0] == '-' {
				s.log.warning("Error applying a command from the master: %s", strings.TrimSpace(string(reply[1:])))
			}
			l.appliedOff.Add(int64(n))
			s.repl.mu.Lock()
			s.repl.off = l.appliedOff.Load()
			s.repl.mu.Unlock()
		}
	}()
	defer func() {
		close(lens)
		_ = feed.Close()
		<-readerDone
	}()
	errFeed := errors.New("the connection that applies the master's stream closed")
	ack := func() error {
		_, err := conn.Write(appendRESP(nil, []byte("REPLCONF"), []byte("ACK"), []byte(strconv.FormatInt(l.appliedOff.Load(), 10))))
		return err
	}
	if err := ack(); err != nil {
		return err
	}
	// The periodic ACK shares the socket with GETACK's answers.
	var writeMu sync.Mutex
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				writeMu.Lock()
				_ = ack()
				writeMu.Unlock()
			}
		}
	}()
	fw := bufio.NewWriterSize(feed, 64<<10)
	for {
		cmd, _, err := readAOFCommand(r)
		if err != nil {
			return err
		}
		l.readOff.Add(int64(len(cmd)))
		if isGetAck(cmd) {
			if err := fw.Flush(); err != nil {
				return err
			}
			// Answer with what was applied up to here.
			for l.appliedOff.Load()+int64(len(cmd)) < l.readOff.Load() {
				select {
				case <-readerDone:
					return errFeed
				case <-time.After(100 * time.Microsecond):
				}
			}
			l.appliedOff.Add(int64(len(cmd)))
			writeMu.Lock()
			err := ack()
			writeMu.Unlock()
			if err != nil {
				return err
			}
			continue
		}
		if _, err := fw.Write(cmd); err != nil {
			return err
		}
		select {
		case lens <- len(cmd):
		case <-readerDone:
			return errFeed
		}
		if r.Buffered() == 0 {
			if err := fw.Flush(); err != nil {
				return err
			}
		}
	}
}

// isGetAck reports whether cmd is REPLCONF GETACK.
func isGetAck(cmd []byte) bool {
	args, ok := splitCommand(cmd)
	return ok && len(args) >= 2 && strings.EqualFold(args[0], "replconf") && strings.EqualFold(args[1], "getack")
}

// loaderConnection opens a private connection into this server whose client is of
// the loader kind: exempt from -LOADING and from read-only.
func (s *Server) loaderConnection() (net.Conn, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	dial, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, err
	}
	peer, err := ln.Accept()
	if err != nil {
		dial.Close()
		return nil, err
	}
	ctx := gnet.NewContext(context.Background(), loaderConn{})
	ch, err := s.eng.Register(gnet.NewNetConnContext(ctx, dial))
	if err != nil {
		dial.Close()
		peer.Close()
		return nil, err
	}
	if res := <-ch; res.Err != nil {
		peer.Close()
		return nil, res.Err
	}
	return peer, nil
}

// replOffset is this server's replication offset: the applied one on a replica, the
// stream's on a master.
func (s *Server) replOffset() int64 {
	if l := s.replicaOf.Load(); l != nil {
		return l.appliedOff.Load()
	}
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.off
}

// replicaInfo writes INFO replication's fields of a replica.
func (s *Server) replicaInfo(field func(string, any)) {
	l := s.replicaOf.Load()
	if l == nil {
		return
	}
	field("role", "slave")
	field("master_host", l.host)
	field("master_port", l.port)
	up := l.getState() == "connected"
	field("master_link_status", map[bool]string{true: "up", false: "down"}[up])
	last := int64(-1)
	if io := l.lastIO.Load(); io != 0 {
		last = (time.Now().UnixMilli() - io) / 1000
	}
	field("master_last_io_seconds_ago", last)
	field("master_sync_in_progress", b2i(l.syncing.Load()))
	field("slave_read_repl_offset", l.readOff.Load())
	field("slave_repl_offset", l.appliedOff.Load())
	if !up {
		field("master_link_down_since_seconds", (time.Now().UnixMilli()-l.downSince.Load())/1000)
	}
	s.cfg.mu.Lock()
	prio := s.cfg.ReplicaPriority
	ro := s.cfg.ReplicaReadOnly
	s.cfg.mu.Unlock()
	field("slave_priority", prio)
	field("slave_read_only", b2i(ro))
	field("replica_announced", 1)
}

// replicaRole is ROLE's reply on a replica.
func (s *Server) replicaRole(w *proto.Writer) {
	l := s.replicaOf.Load()
	if l == nil {
		w.Array(0)
		return
	}
	w.Array(5)
	w.Bulk([]byte("slave"))
	w.Bulk([]byte(l.host))
	w.Int(int64(l.port))
	w.Bulk([]byte(l.getState()))
	off := int64(-1)
	if l.getState() == "connected" {
		off = l.appliedOff.Load()
	}
	w.Int(off)
}
