package coord

import (
	"bufio"
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

	"github.com/panjf2000/gnet/v2"

	"github.com/basaltdb/basalt/persist"
	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// The append-only file, in Redis 7's multi-part layout: appenddirname holds a manifest,
// one base file (an RDB snapshot, or commands without aof-use-rdb-preamble) and one
// incremental file of commands written since the base was cut.
//
// Order. Every write is appended while its effect is still private: a single-shard
// command right after it ran, on its shard's loop; a multi-shard transaction before it
// releases its claims. Two writes that touch a common key are ordered by the shard or
// the claim they share, and so are their appends; writes with nothing in common may
// land in either order, which replays to the same dataset. A transaction's commands go
// in as one MULTI/EXEC block. Commands whose replay would differ (relative TTLs, random
// pops, float increments, blocking pops, expiry) are appended in a rewritten form that
// replays to the same value; shard handlers ask for that with shard.Shard.Propagate.
//
// Durability. appendfsync always writes and fsyncs before the command's reply is
// produced; everysec writes every few milliseconds and fsyncs once a second in the
// background; no leaves both to the kernel.

const (
	aofManifestSuffix = ".manifest"
	aofFlushInterval  = 5 * time.Millisecond
)

// aofRecord is one command to append, with its database.
type aofRecord struct {
	db   int
	args [][]byte
}

// aofFile names one file of the manifest.
type aofFile struct {
	name string
	seq  int
	kind byte // 'b' base, 'i' incremental
}

// aofState is the server's AOF. on is read on every write without the mutex.
type aofState struct {
	on atomic.Bool

	mu   sync.Mutex
	file *os.File
	buf  []byte
	// db is the database of the last SELECT in the current file (-1: none yet).
	db        int
	fsync     string
	lastFsync time.Time
	// timestamps is aof-timestamp-enabled; lastTS is the second of the last "#TS:"
	// annotation written.
	timestamps bool
	lastTS     int64
	writeErr   error
	base       aofFile
	incr       aofFile
	// baseSize and incrSize drive auto-aof-rewrite-*; incrSize counts bytes appended.
	baseSize, incrSize int64

	rewriting        bool
	rewriteStarted   time.Time
	lastRewriteSecs  int64
	lastRewriteOK    bool
	rewrites         int64
	rewriteScheduled bool

	stopFlusher chan struct{}
}

func (c *Config) aofPaths() (dir, prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.Dir
	if d == "" {
		d = "."
	}
	return filepath.Join(d, c.AppendDirName), c.AppendFilename
}

// appendRESP encodes args as a RESP array of bulk strings.
func appendRESP(b []byte, args ...[]byte) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// appendRecords appends records to the AOF, as one MULTI/EXEC block when block is set.
// It is called on loops and must stay short; with appendfsync always it also writes and
// fsyncs, which is the price of that setting.
func (s *Server) appendRecords(block bool, recs ...aofRecord) {
	if len(recs) == 0 || !s.journaling() {
		return
	}
	if s.repl.active.Load() {
		s.feedReplicas(block, recs) // repl.go
	}
	if !s.aof.on.Load() {
		return
	}
	a := &s.aof
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.file == nil {
		return
	}
	before := len(a.buf)
	if a.timestamps {
		// One annotation per second that has writes, as redis-server writes them.
		if now := time.Now().Unix(); now > a.lastTS {
			a.buf = append(a.buf, "#TS:"...)
			a.buf = strconv.AppendInt(a.buf, now, 10)
			a.buf = append(a.buf, '\r', '\n')
			a.lastTS = now
		}
	}
	a.buf = appendRecordsRESP(a.buf, &a.db, block, recs)
	a.incrSize += int64(len(a.buf) - before)
	if a.fsync == "always" {
		a.flushLocked(true)
	}
}

// appendRecordsRESP encodes records as commands, with a SELECT wherever the database
// differs from *db (the stream's current one, updated), and MULTI/EXEC around them when
// block is set and there are several, as redis-server 7.0 propagates a transaction: the
// SELECT before MULTI (7.2 moved it inside), and a single write bare.
func appendRecordsRESP(b []byte, db *int, block bool, recs []aofRecord) []byte {
	selectDB := func(n int) {
		if n != *db {
			b = appendRESP(b, []byte("SELECT"), []byte(strconv.Itoa(n)))
			*db = n
		}
	}
	block = block && len(recs) > 1
	if block {
		selectDB(recs[0].db)
		b = appendRESP(b, []byte("MULTI"))
	}
	for _, r := range recs {
		selectDB(r.db)
		b = appendRESP(b, r.args...)
	}
	if block {
		b = appendRESP(b, []byte("EXEC"))
	}
	return b
}

// journal appends one command.
func (s *Server) journal(db int, args ...[]byte) {
	if s.journaling() {
		s.appendRecords(false, aofRecord{db, args})
	}
}

// flushLocked writes the buffer to the incremental file, and fsyncs when sync is set.
func (a *aofState) flushLocked(sync bool) {
	if len(a.buf) > 0 {
		if _, err := a.file.Write(a.buf); err != nil {
			a.writeErr = err
		} else {
			a.writeErr = nil
		}
		a.buf = a.buf[:0]
	}
	if sync {
		if err := a.file.Sync(); err != nil {
			a.writeErr = err
		}
		a.lastFsync = time.Now()
	}
}

// flusher writes the buffer every few milliseconds and, under everysec, fsyncs once a
// second, off the loops.
func (s *Server) flusher(stop chan struct{}) {
	tick := time.NewTicker(aofFlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		a := &s.aof
		a.mu.Lock()
		if a.file != nil {
			a.flushLocked(a.fsync == "everysec" && time.Since(a.lastFsync) >= time.Second)
		}
		a.mu.Unlock()
	}
}

// record appends one command run on this loop: to the running transaction's capture
// when there is one, else to the AOF.
func (ls *loopState) record(srv *Server, db int, args [][]byte) {
	if ls.capture != nil {
		*ls.capture = append(*ls.capture, aofRecord{db, ownArgs(args)})
		return
	}
	srv.appendRecords(false, aofRecord{db, args})
}

// journalCommand appends what a shard handler that just ran must replay as: the
// commands it asked for with Propagate, or its own arguments if it changed anything.
func (ls *loopState) journalCommand(srv *Server, sh *shard.Shard, args [][]byte, db int, dirtyBefore int64) {
	recs, explicit := sh.TakePropagated()
	if !srv.journaling() {
		return
	}
	if explicit {
		for _, r := range recs {
			ls.record(srv, db, r)
		}
		return
	}
	if sh.Dirty() != dirtyBefore {
		ls.record(srv, db, args)
	}
}

// manifest renders the manifest as Redis 7 writes it.
func (a *aofState) manifest() string {
	var b strings.Builder
	for _, f := range []aofFile{a.base, a.incr} {
		if f.name != "" {
			fmt.Fprintf(&b, "file %s seq %d type %c\n", f.name, f.seq, f.kind)
		}
	}
	return b.String()
}

// readManifest parses dir/prefix.manifest; ok is false when there is none.
func readManifest(dir, prefix string) (base aofFile, incrs []aofFile, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, prefix+aofManifestSuffix))
	if errors.Is(err, os.ErrNotExist) {
		return base, nil, false, nil
	}
	if err != nil {
		return base, nil, false, err
	}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		var af aofFile
		for i := 0; i+1 < len(f); i += 2 {
			switch f[i] {
			case "file":
				af.name = f[i+1]
			case "seq":
				af.seq, _ = strconv.Atoi(f[i+1])
			case "type":
				af.kind = f[i+1][0]
			}
		}
		if af.name == "" || strings.ContainsAny(af.name, "/\\") {
			return base, nil, true, fmt.Errorf("invalid AOF manifest line %d: %q", n+1, line)
		}
		switch af.kind {
		case 'b':
			base = af
		case 'i':
			incrs = append(incrs, af)
		case 'h':
			// history files are left for deletion
		default:
			return base, nil, true, fmt.Errorf("invalid AOF manifest line %d: %q", n+1, line)
		}
	}
	return base, incrs, true, nil
}

// writeManifest replaces the manifest atomically.
func writeManifest(dir, prefix, content string) error {
	tmp := filepath.Join(dir, "temp-"+prefix+aofManifestSuffix)
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, prefix+aofManifestSuffix))
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// rewriteAOF writes a new base from a snapshot and starts a new incremental file at the
// same cut, then switches the manifest to them and deletes the old files. It is
// BGREWRITEAOF, and how appendonly yes starts.
func (s *Server) rewriteAOF() error {
	a := &s.aof
	a.mu.Lock()
	if a.rewriting {
		a.mu.Unlock()
		return errRewriteInProgress
	}
	a.rewriting, a.rewriteStarted = true, time.Now()
	a.mu.Unlock()
	err := s.doRewriteAOF()
	a.mu.Lock()
	a.rewriting = false
	a.lastRewriteOK = err == nil
	a.lastRewriteSecs = int64(time.Since(a.rewriteStarted).Round(time.Second) / time.Second)
	if err == nil {
		a.rewrites++
	}
	a.mu.Unlock()
	if err != nil {
		s.log.warning("Background AOF rewrite failed: %v", err)
	} else {
		s.log.notice("Background AOF rewrite finished successfully")
	}
	return err
}

var errRewriteInProgress = errors.New("an AOF rewrite is already in progress")

func (s *Server) doRewriteAOF() error {
	dir, prefix := s.cfg.aofPaths()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("can't create the AOF directory %s: %w", dir, err)
	}
	a := &s.aof
	a.mu.Lock()
	seq := max(a.base.seq, a.incr.seq) + 1
	a.mu.Unlock()
	base := aofFile{name: fmt.Sprintf("%s.%d.base.rdb", prefix, seq), seq: seq, kind: 'b'}
	incr := aofFile{name: fmt.Sprintf("%s.%d.incr.aof", prefix, seq), seq: seq, kind: 'i'}
	newIncr, err := os.OpenFile(filepath.Join(dir, incr.name), os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	var oldFile *os.File
	var old []aofFile
	// At the cut no write runs anywhere: what follows goes to the new incremental file.
	switchFiles := func() {
		a.mu.Lock()
		if a.file != nil {
			a.flushLocked(true)
			oldFile = a.file
		}
		old = []aofFile{a.base, a.incr}
		a.file, a.db, a.incrSize, a.lastTS = newIncr, -1, 0, 0
		a.mu.Unlock()
	}
	_, err = s.writeSnapshotWith(filepath.Join(dir, base.name), nil, switchFiles)
	if err != nil {
		// Keep appending, to the new file: the old manifest does not list it, so put
		// it back under the old name's successor only once a rewrite succeeds. Until
		// then the records are also kept: copy them back to the old file.
		a.mu.Lock()
		if oldFile != nil {
			a.flushLocked(true)
			if data, rerr := os.ReadFile(filepath.Join(dir, incr.name)); rerr == nil {
				_, _ = oldFile.Write(data)
			}
			a.file.Close()
			a.file = oldFile
			a.db = -1
		}
		a.mu.Unlock()
		os.Remove(filepath.Join(dir, incr.name))
		return err
	}
	info, _ := os.Stat(filepath.Join(dir, base.name))
	a.mu.Lock()
	a.base, a.incr = base, incr
	if info != nil {
		a.baseSize = info.Size()
	}
	manifest := a.manifest()
	a.mu.Unlock()
	if err := writeManifest(dir, prefix, manifest); err != nil {
		return err
	}
	if oldFile != nil {
		oldFile.Close()
	}
	for _, f := range old {
		if f.name != "" {
			os.Remove(filepath.Join(dir, f.name))
		}
	}
	return nil
}

// startAOF turns the AOF on at run time (CONFIG SET appendonly yes) or at start-up when
// no AOF exists yet: a rewrite creates the base and the first incremental file.
func (s *Server) startAOF() error {
	a := &s.aof
	a.mu.Lock()
	a.db = -1
	a.mu.Unlock()
	// Appends start at the cut, into the rewrite's new incremental file.
	s.setJournaling(true)
	if err := s.rewriteAOF(); err != nil {
		s.setJournaling(false)
		return err
	}
	s.startFlusher()
	return nil
}

func (s *Server) startFlusher() {
	a := &s.aof
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopFlusher == nil {
		a.stopFlusher = make(chan struct{})
		go s.flusher(a.stopFlusher)
	}
}

// stopAOF turns the AOF off (CONFIG SET appendonly no, shutdown), flushing what is
// buffered.
func (s *Server) stopAOF() {
	a := &s.aof
	s.setJournaling(false)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopFlusher != nil {
		close(a.stopFlusher)
		a.stopFlusher = nil
	}
	if a.file != nil {
		a.flushLocked(true)
		a.file.Close()
		a.file = nil
	}
}

// openAOF reads the manifest for loading at start-up: rdbBase is the base when it is an
// RDB file, replay the files of commands. ok is false when there is no AOF (the RDB, if
// any, is loaded instead).
func (s *Server) openAOF() (rdbBase string, replay []string, ok bool, err error) {
	base, incrs, rdbBase, replay, ok, err := s.aofLoadPaths()
	if err != nil || !ok {
		return "", nil, ok, err
	}
	a := &s.aof
	if base.name != "" {
		dir, _ := s.cfg.aofPaths()
		if info, err := os.Stat(filepath.Join(dir, base.name)); err == nil {
			a.baseSize = info.Size()
		}
	}
	a.base = base
	if len(incrs) > 0 {
		a.incr = incrs[len(incrs)-1]
	}
	return rdbBase, replay, true, nil
}

// aofLoadPaths reads the manifest: the base when it is an RDB file, and the files whose
// commands replay, in order (an AOF-format base first).
func (s *Server) aofLoadPaths() (base aofFile, incrs []aofFile, rdbBase string, replay []string, ok bool, err error) {
	dir, prefix := s.cfg.aofPaths()
	base, incrs, ok, err = readManifest(dir, prefix)
	if err != nil || !ok {
		return base, incrs, "", nil, ok, err
	}
	if base.name != "" {
		path := filepath.Join(dir, base.name)
		if strings.HasSuffix(base.name, ".rdb") {
			rdbBase = path
		} else {
			replay = append(replay, path)
		}
	}
	for _, f := range incrs {
		replay = append(replay, filepath.Join(dir, f.name))
	}
	return base, incrs, rdbBase, replay, true, nil
}

// debugLoadAOF empties the dataset and loads it back from the AOF, as DEBUG LOADAOF
// does: buffered writes are written and fsynced first; other clients get -LOADING and
// nothing is appended while the files replay. The AOF then goes on in the same file.
func (s *Server) debugLoadAOF() error {
	a := &s.aof
	a.mu.Lock()
	off := a.file == nil || a.rewriting
	a.mu.Unlock()
	if off {
		return errors.New("the append only file is off or being rewritten")
	}
	s.loading.Store(true)
	defer s.loading.Store(false)
	var ok bool
	var err error
	var rdbBase string
	var replay []string
	// At the cut nothing writes anywhere: the buffer holds every write made before it.
	s.atCutThen(func() {
		a.mu.Lock()
		if a.file != nil {
			a.flushLocked(true)
		}
		a.mu.Unlock()
		if _, _, rdbBase, replay, ok, err = s.aofLoadPaths(); err == nil && ok {
			s.setJournaling(false)
		}
	}, func(sh *shard.Shard) {
		if err == nil && ok {
			s.loops[sh.ID].touchLive(sh, -1)
			sh.Flush(-1)
		}
	})
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("no AOF manifest")
	}
	defer s.setJournaling(true)
	if rdbBase != "" {
		if err := s.loadRDBFile(rdbBase); err != nil {
			return err
		}
	}
	if len(replay) > 0 {
		if err := s.replayAOF(replay); err != nil {
			return err
		}
	}
	for _, sh := range s.shards {
		s.runWait(sh.ID, sh.ResetDirty)
	}
	s.log.notice("Append Only File loaded by DEBUG LOADAOF")
	return nil
}

// continueAOF opens the last incremental file for appending after loading.
func (s *Server) continueAOF() error {
	dir, _ := s.cfg.aofPaths()
	a := &s.aof
	a.mu.Lock()
	name := a.incr.name
	a.mu.Unlock()
	if name == "" {
		return s.startAOF()
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	info, _ := f.Stat()
	a.mu.Lock()
	a.file, a.db, a.lastTS = f, -1, 0
	if info != nil {
		a.incrSize = info.Size()
	}
	a.mu.Unlock()
	s.setJournaling(true)
	s.startFlusher()
	return nil
}

// loaderConn marks the connection through which the server replays AOF commands into
// itself, so that replay goes through the same dispatch, transactions and shards as any
// client; it is exempt from -LOADING.
type loaderConn struct{}

// replayAOF feeds the files' commands to the server through a private connection and
// checks every reply. It runs once the loops are bound; the server answers -LOADING to
// everyone else meanwhile. A truncated last command is cut off and ignored, as Redis
// does with aof-load-truncated yes.
func (s *Server) replayAOF(files []string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	dial, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return err
	}
	peer, err := ln.Accept()
	if err != nil {
		dial.Close()
		return err
	}
	defer peer.Close()
	ctx := gnet.NewContext(context.Background(), loaderConn{})
	ch, err := s.eng.Register(gnet.NewNetConnContext(ctx, dial))
	if err != nil {
		dial.Close()
		return err
	}
	if res := <-ch; res.Err != nil {
		return res.Err
	}
	// The sender ends with an ECHO of a token: the connection answers in order, so its
	// reply is the last one, whatever happened before.
	token := "basalt-aof-replay-done-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	var sent atomic.Int64
	errc := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(peer, 256<<10)
		var err error
		for _, path := range files {
			if err = s.sendAOFFile(path, w, &sent); err != nil {
				break
			}
		}
		_, _ = w.Write(appendRESP(nil, []byte("ECHO"), []byte(token)))
		_ = w.Flush()
		errc <- err
	}()
	r := bufio.NewReaderSize(peer, 256<<10)
	marker := fmt.Sprintf("$%d\r\n%s\r\n", len(token), token)
	var got int64
	var firstErr error
	for {
		reply, err := readOneReply(r)
		if err != nil {
			return fmt.Errorf("reading replay replies: %w", err)
		}
		if string(reply) == marker {
			break
		}
		got++
		// Like Redis, only a command the server does not know stops the load; an
		// error reply from a known command is reported and replay goes on.
		if len(reply) > 0 && reply[0] == '-' {
			msg := strings.TrimSpace(string(reply[1:]))
			if strings.HasPrefix(msg, "ERR unknown command") && firstErr == nil {
				firstErr = fmt.Errorf("unknown command reading the append only file (command %d): %s", got, msg)
			} else {
				s.log.verbose("AOF command %d answered: %s", got, msg)
			}
		}
	}
	if err := <-errc; err != nil {
		return err
	}
	return firstErr
}

// sendAOFFile writes the commands of one AOF file to w, counting them.
func (s *Server) sendAOFFile(path string, w *bufio.Writer, sent *atomic.Int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 256<<10)
	var off int64
	for {
		cmd, n, err := readAOFCommand(r)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				s.cfg.mu.Lock()
				truncatedOK := s.cfg.AOFLoadTruncated
				s.cfg.mu.Unlock()
				if !truncatedOK {
					return fmt.Errorf("unexpected end of file reading the append only file %s at byte %d (aof-load-truncated is no)", filepath.Base(path), off)
				}
				s.log.warning("!!! Warning: short read while loading the AOF file %s!!!", filepath.Base(path))
				s.log.warning("AOF %s loaded anyway because aof-load-truncated is enabled (the last %d bytes were cut)", filepath.Base(path), n)
				return os.Truncate(path, off)
			}
			return fmt.Errorf("bad file format reading the append only file %s at byte %d: %w", filepath.Base(path), off, err)
		}
		off += int64(n)
		if _, err := w.Write(cmd); err != nil {
			return err
		}
		sent.Add(1)
	}
}

// readAOFCommand reads one RESP array command and returns its bytes and the length it
// took in the file, counting the annotation lines before it.
func readAOFCommand(r *bufio.Reader) ([]byte, int, error) {
	skipped := 0
	line, err := r.ReadSlice('\n')
	// Annotations ("#TS:<unix seconds>" with aof-timestamp-enabled) stand on lines of
	// their own between commands; redis-server skips them on load, and so do we.
	for err == nil && len(line) > 0 && line[0] == '#' {
		skipped += len(line)
		line, err = r.ReadSlice('\n')
	}
	if err == io.EOF && len(line) == 0 {
		return nil, skipped, io.EOF
	}
	if err != nil {
		return nil, skipped + len(line), io.ErrUnexpectedEOF
	}
	if len(line) < 3 || line[0] != '*' || line[len(line)-2] != '\r' {
		return nil, 0, errors.New("expected a multibulk command")
	}
	n, ok := proto.ParseInt(line[1 : len(line)-2])
	if !ok || n < 1 {
		return nil, 0, errors.New("invalid multibulk length")
	}
	out := append([]byte(nil), line...)
	for i := int64(0); i < n; i++ {
		hdr, err := r.ReadSlice('\n')
		if err != nil {
			return nil, skipped + len(out) + len(hdr), io.ErrUnexpectedEOF
		}
		if len(hdr) < 3 || hdr[0] != '$' || hdr[len(hdr)-2] != '\r' {
			return nil, 0, errors.New("expected a bulk string")
		}
		l, ok := proto.ParseInt(hdr[1 : len(hdr)-2])
		if !ok || l < 0 {
			return nil, 0, errors.New("invalid bulk length")
		}
		out = append(out, hdr...)
		start := len(out)
		out = append(out, make([]byte, l+2)...)
		if got, err := io.ReadFull(r, out[start:]); err != nil {
			return nil, skipped + start + got, io.ErrUnexpectedEOF
		}
		if out[len(out)-2] != '\r' || out[len(out)-1] != '\n' {
			return nil, 0, errors.New("bulk string not terminated by CRLF")
		}
	}
	return out, skipped + len(out), nil
}

// readOneReply reads one complete RESP2 reply; it returns its first line, whole for a
// bulk string.
func readOneReply(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return nil, err
	}
	switch line[0] {
	case '$':
		n, _ := strconv.Atoi(strings.TrimSpace(string(line[1:])))
		if n >= 0 {
			body := make([]byte, n+2)
			if _, err := io.ReadFull(r, body); err != nil {
				return nil, err
			}
			line = append(line, body...)
		}
	case '*':
		n, _ := strconv.Atoi(strings.TrimSpace(string(line[1:])))
		for i := 0; i < n; i++ {
			if _, err := readOneReply(r); err != nil {
				return nil, err
			}
		}
	}
	return line, nil
}

// aofInfo writes INFO persistence's AOF fields.
func (s *Server) aofInfo(field func(string, any)) {
	a := &s.aof
	a.mu.Lock()
	defer a.mu.Unlock()
	on := 0
	if a.on.Load() {
		on = 1
	}
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	status := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "err"
	}
	current := int64(-1)
	if a.rewriting {
		current = int64(time.Since(a.rewriteStarted) / time.Second)
	}
	field("aof_enabled", on)
	field("aof_rewrite_in_progress", b(a.rewriting))
	field("aof_rewrite_scheduled", b(a.rewriteScheduled))
	field("aof_last_rewrite_time_sec", a.lastRewriteSecs)
	field("aof_current_rewrite_time_sec", current)
	field("aof_last_bgrewrite_status", status(a.lastRewriteOK))
	field("aof_rewrites", a.rewrites)
	field("aof_rewrites_consecutive_failures", 0)
	field("aof_last_write_status", status(a.writeErr == nil))
	field("aof_last_cow_size", 0)
	field("module_fork_in_progress", 0)
	field("module_fork_last_cow_size", 0)
	if on == 1 {
		field("aof_current_size", a.baseSize+a.incrSize)
		field("aof_base_size", a.baseSize)
		field("aof_pending_rewrite", 0)
		field("aof_buffer_length", len(a.buf))
		field("aof_pending_bio_fsync", 0)
		field("aof_delayed_fsync", 0)
	}
}

// BGREWRITEAOF
func bgrewriteaofCmd(cl *client, _ [][]byte, w *proto.Writer) {
	srv := cl.srv
	srv.aof.mu.Lock()
	busy := srv.aof.rewriting
	srv.aof.mu.Unlock()
	if busy {
		w.Error("ERR Background append only file rewriting already in progress")
		return
	}
	if srv.persist.inProgress() {
		srv.aof.mu.Lock()
		srv.aof.rewriteScheduled = true
		srv.aof.mu.Unlock()
		go func() {
			for srv.persist.inProgress() {
				time.Sleep(10 * time.Millisecond)
			}
			srv.aof.mu.Lock()
			srv.aof.rewriteScheduled = false
			srv.aof.mu.Unlock()
			_ = srv.backgroundRewrite()
		}()
		w.Simple("Background append only file rewriting scheduled")
		return
	}
	go func() { _ = srv.backgroundRewrite() }()
	w.Simple("Background append only file rewriting started")
}

// backgroundRewrite rewrites the AOF. With appendonly no it still writes a base and a
// manifest, as Redis does, which a later start with appendonly yes would load.
func (s *Server) backgroundRewrite() error { return s.rewriteAOF() }

// checkAOFRewrite starts a rewrite when the incremental file grew past
// auto-aof-rewrite-percentage of the base and auto-aof-rewrite-min-size.
func (s *Server) checkAOFRewrite() {
	if !s.aof.on.Load() {
		return
	}
	s.cfg.mu.Lock()
	perc, minSize := s.cfg.AutoAOFRewritePercentage, s.cfg.AutoAOFRewriteMinSize
	s.cfg.mu.Unlock()
	a := &s.aof
	a.mu.Lock()
	size, base, busy := a.baseSize+a.incrSize, a.baseSize, a.rewriting
	a.mu.Unlock()
	if perc == 0 || busy || size < minSize || s.persist.inProgress() {
		return
	}
	if base == 0 {
		base = 1
	}
	if growth := (size - base) * 100 / base; growth >= int64(perc) {
		s.log.notice("Starting automatic rewriting of AOF on %d%% growth", growth)
		go func() { _ = s.rewriteAOF() }()
	}
}

// applyAppendOnly follows CONFIG SET appendonly.
func (s *Server) applyAppendOnly(on bool) {
	if on == s.aof.on.Load() {
		return
	}
	if on {
		go func() {
			if err := s.startAOF(); err != nil {
				s.log.warning("Can't enable the append only file: %v", err)
			}
		}()
		return
	}
	s.stopAOF()
}

// journalExpired is the shard's Expired hook's AOF half: a key deleted because its TTL
// passed is replayed as DEL, as Redis propagates it.
func (s *Server) journalExpired(db int, key string) {
	if s.journaling() {
		s.appendRecords(false, aofRecord{db, [][]byte{[]byte("DEL"), []byte(key)}})
	}
}

// countingReader counts the bytes read through it, for INFO's loading progress.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// loadBatch is how many keys travel to a shard in one message while loading.
const loadBatch = 512

// loadRDBFile loads an RDB file while the loops serve (-LOADING to clients): the file is
// decoded on this goroutine and the keys go to their shards in batches, by message.
func (s *Server) loadRDBFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil {
		s.loadTotal.Store(info.Size())
	}
	nowMs := time.Now().UnixMilli()
	var loaded, expired int64
	batches := make([][]loadedKey, s.n)
	send := func(i int) {
		b := batches[i]
		batches[i] = nil
		s.run(i, func() {
			sh := s.shards[i]
			for _, k := range b {
				sh.Begin(k.db)
				sh.Put(k.key, k.o)
			}
		})
	}
	dec := persist.NewDecoder(s.settings)
	dec.Now = nowMs
	dec.Function = s.LoadFunctionLibrary
	dec.Aux = func(k, v []byte) error {
		switch string(k) {
		case "repl-id":
			s.loadedReplID = string(v)
		case "repl-offset":
			s.loadedReplOff, _ = strconv.ParseInt(string(v), 10, 64)
		}
		return nil
	}
	err = dec.Decode(countingReader{f, &s.loadDone}, func(db int, key []byte, o shard.Object) error {
		if db < 0 || db >= s.cfg.Databases {
			return fmt.Errorf("database %d is out of range (databases %d)", db, s.cfg.Databases)
		}
		if o.ExpireAt != 0 && o.ExpireAt <= nowMs {
			expired++
			return nil
		}
		i := s.shardOf(key)
		batches[i] = append(batches[i], loadedKey{db, key, o})
		if len(batches[i]) >= loadBatch {
			send(i)
		}
		loaded++
		return nil
	})
	for i := range batches {
		if len(batches[i]) > 0 {
			send(i)
		}
	}
	// The loops run messages in order: once this runs, every batch has been stored.
	for _, sh := range s.shards {
		s.runWait(sh.ID, sh.ResetDirty)
	}
	if err != nil {
		return fmt.Errorf("short read or corrupt RDB file %s: %w", path, err)
	}
	s.persist.mu.Lock()
	s.persist.loaded, s.persist.expiredOnLoad = loaded, expired
	s.persist.mu.Unlock()
	s.log.notice("Done loading RDB, keys loaded: %d, keys expired: %d.", loaded, expired)
	return nil
}

// loadAtStartup decides what to load once the loops run: with appendonly on and an AOF
// present, its base and command files; else the RDB file, if any. Clients get -LOADING
// until finishLoading is done.
func (s *Server) loadAtStartup() error {
	s.cfg.mu.Lock()
	aofOn := s.cfg.AppendOnly
	s.cfg.mu.Unlock()
	if aofOn {
		base, replay, ok, err := s.openAOF()
		if err != nil {
			return err
		}
		if ok {
			s.loadRDBPath, s.replay = base, replay
			s.loading.Store(base != "" || len(replay) > 0)
			return nil
		}
	}
	if path := s.cfg.rdbPath(); fileExists(path) {
		s.loadRDBPath = path
		s.loading.Store(true)
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// finishLoading loads the RDB file or AOF base, replays the AOF's command files, then
// opens the AOF for appending (or creates it when appendonly is on and none existed). A
// load that fails stops the server.
func (s *Server) finishLoading() {
	defer close(s.loaded)
	defer s.loading.Store(false)
	s.loadStart = time.Now()
	fail := func(err error) {
		s.log.warning("Fatal error loading the DB: %v. Exiting.", err)
		s.loadErr = err
		s.shutdownErr = err
		s.stopAsync()
	}
	if s.loadRDBPath != "" {
		if err := s.loadRDBFile(s.loadRDBPath); err != nil {
			fail(err)
			return
		}
		s.log.notice("DB loaded from disk: %.3f seconds", time.Since(s.loadStart).Seconds())
	}
	s.cfg.mu.Lock()
	aofOn := s.cfg.AppendOnly
	s.cfg.mu.Unlock()
	if !aofOn {
		// Only an RDB start can continue a stream: an AOF's commands go past its base.
		if s.loadedReplID != "" {
			s.restoreReplInfo(s.loadedReplID, s.loadedReplOff) // repl.go
			s.log.notice("Replication id %s and offset %d restored from the RDB file", s.loadedReplID, s.loadedReplOff)
		}
		return
	}
	if len(s.replay) > 0 {
		start := time.Now()
		if err := s.replayAOF(s.replay); err != nil {
			fail(err)
			return
		}
		for _, sh := range s.shards {
			s.runWait(sh.ID, sh.ResetDirty)
		}
		s.log.notice("DB loaded from append only file: %.3f seconds", time.Since(start).Seconds())
	}
	var err error
	if s.aof.incr.name != "" || s.aof.base.name != "" {
		err = s.continueAOF()
	} else {
		err = s.startAOF()
	}
	if err != nil {
		s.log.warning("Can't open the append-only file: %v", err)
	}
}

// setJournaling turns the AOF's logging of writes on or off. Writes are journaled, by
// the coordinator and the shards, while the AOF or the replication stream takes them.
func (s *Server) setJournaling(on bool) {
	s.aof.on.Store(on)
	s.settings.Journal.Store(on || s.repl.active.Load())
}

// journaling reports whether writes are logged (to the AOF or the replication stream).
func (s *Server) journaling() bool { return s.settings.Journal.Load() }

// journalFunction logs a FUNCTION LOAD, DELETE, FLUSH or RESTORE that succeeded: the
// libraries are part of the dataset a replay must rebuild.
func (cl *client) journalFunction(cmd *Command, args [][]byte, w *proto.Writer, mark int) {
	if cmd.Flags&FlagWrite == 0 || cmd.parent == nil || cmd.parent.Name != "function" || !cl.srv.journaling() {
		return
	}
	if out := w.Bytes()[mark:]; len(out) > 0 && out[0] == '-' {
		return
	}
	cl.srv.journal(cl.db, args...)
}
