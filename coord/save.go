package coord

import (
	"errors"
	"fmt"
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
)

// RDB snapshots: SAVE, BGSAVE, save points, and the save at shutdown.
//
// A save cuts every shard at one point of the global transaction order (atCut), then
// each shard serializes its slice in small steps on its own loop (shard.Snapshot) while
// it keeps serving; the records go in chunks to one writer goroutine that merges them
// into one RDB file, written to a temporary name and renamed over dbfilename when
// complete. Memory grows by the chunks in flight, not by a copy of the dataset.

const (
	// chunkBytes is the size at which a shard hands its encoded records to the writer.
	chunkBytes = 64 << 10
	// stepEntries and stepTime bound one snapshot step: the shard serves its clients
	// between steps, so a step adds at most about stepTime to a command's latency.
	stepEntries = 256
	stepTime    = time.Millisecond
	// maxQueuedBytes is the encoded data waiting for the writer above which shards pause
	// their steps (writes to not-yet-saved keys still encode them: that is bounded by the
	// write rate).
	maxQueuedBytes = 16 << 20
)

// errMsgSaveInProgress is Redis's reply to SAVE or BGSAVE during a background save.
const errMsgSaveInProgress = "ERR Background save already in progress"

var (
	errSaveInProgress = errors.New("a save is already in progress")
	errSaveAborted    = errors.New("the save was discarded by FLUSHALL")
)

// persistence is the server's RDB state (INFO persistence).
type persistence struct {
	mu sync.Mutex
	// saving is set while a save runs; bgsave tells BGSAVE from SAVE.
	saving, bgsave bool
	started        time.Time
	// scheduled is set by BGSAVE SCHEDULE while another save runs.
	scheduled bool

	lastSave       time.Time
	lastStatusOK   bool
	lastBgsaveTime int64 // seconds, -1 before the first
	saves          int64
	keysTotal      int64
	keysDone       atomic.Int64
	// dirtyAtSave is the sum of the shards' dirty counters at the cut of the last
	// successful save; the difference from the current sum is rdb_changes_since_last_save.
	dirtyAtSave int64
	// lastTry is when the last automatic save was attempted (a failed one is retried
	// after a pause, as Redis does).
	lastTry time.Time
	// loaded and expiredOnLoad are the start-up load's figures.
	loaded, expiredOnLoad int64
}

// rdbPath is where dbfilename lives.
func (c *Config) rdbPath() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	dir := c.Dir
	if dir == "" {
		dir = "."
	}
	return filepath.Join(dir, c.DBFilename)
}

// rdbOptions reads rdbcompression (and the version written).
func (c *Config) rdbOptions() persist.Options {
	c.mu.Lock()
	defer c.mu.Unlock()
	return persist.Options{Version: persist.DefaultVersion, NoCompression: !c.RDBCompression, NoChecksum: !c.RDBChecksum}
}

// atCut runs part on every shard at one point of the global transaction order. It
// claims every shard exclusively, as FLUSHALL does, and runs the parts while every claim
// is held, so a multi-shard transaction is wholly before or wholly after the cut on
// every shard. It blocks: call it from a goroutine of its own, never from a loop.
func (s *Server) atCut(part func(sh *shard.Shard)) { s.atCutThen(nil, part) }

// atCutThen is atCut with a step that runs once every claim is held and before the
// parts: nothing writes anywhere meanwhile.
func (s *Server) atCutThen(first func(), part func(sh *shard.Shard)) {
	reqs := make([]*lockRequest, s.n)
	var granted, done sync.WaitGroup
	granted.Add(s.n)
	done.Add(s.n)
	s.txMu.Lock()
	for i := range s.n {
		r := &lockRequest{global: true, mode: lockExclusive, hold: true, granted: granted.Done}
		reqs[i] = r
		s.run(i, func() { s.loops[i].locks.request(r) })
	}
	s.txMu.Unlock()
	granted.Wait()
	if first != nil {
		first()
	}
	for i := range s.n {
		s.run(i, func() {
			part(s.shards[i])
			s.loops[i].locks.release(reqs[i])
			done.Done()
		})
	}
	done.Wait()
}

// runWait runs fn on shard i's loop and waits for it.
func (s *Server) runWait(i int, fn func()) {
	done := make(chan struct{})
	s.run(i, func() {
		fn()
		close(done)
	})
	<-done
}

// chunk is encoded records of one database from one shard.
type chunk struct {
	db  int
	buf []byte
}

// chunkQueue carries chunks from the shards to the writer.
type chunkQueue struct {
	mu     sync.Mutex
	cond   sync.Cond
	items  []chunk
	closed bool
	bytes  atomic.Int64
}

func (q *chunkQueue) push(c chunk) {
	q.mu.Lock()
	q.items = append(q.items, c)
	q.bytes.Add(int64(len(c.buf)))
	q.mu.Unlock()
	q.cond.Signal()
}

func (q *chunkQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Signal()
}

// pop returns the next chunk, or false once the queue is closed and drained.
func (q *chunkQueue) pop() (chunk, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	if len(q.items) == 0 {
		return chunk{}, false
	}
	c := q.items[0]
	q.items[0] = chunk{}
	q.items = q.items[1:]
	q.bytes.Add(-int64(len(c.buf)))
	return c, true
}

// shardSaver encodes one shard's records. Owner: the shard's loop.
type shardSaver struct {
	sn    *shard.Snapshot
	queue *chunkQueue
	opt   persist.Options
	cutMs int64
	db    int
	buf   []byte
	keys  *atomic.Int64
	err   error
	dirty int64
}

func (sv *shardSaver) emit(db int, key string, o *shard.Object) {
	if o.ExpireAt != 0 && o.ExpireAt <= sv.cutMs {
		return // expired at the cut: Redis leaves such keys out too
	}
	if db != sv.db || len(sv.buf) >= chunkBytes {
		sv.flush()
		sv.db = db
	}
	var err error
	sv.buf, err = persist.AppendKey(sv.buf, key, o, -1, -1, sv.opt)
	if err != nil && sv.err == nil {
		sv.err = fmt.Errorf("key %q: %w", key, err)
	}
	sv.keys.Add(1)
}

func (sv *shardSaver) flush() {
	if len(sv.buf) > 0 {
		sv.queue.push(chunk{db: sv.db, buf: sv.buf})
		sv.buf = make([]byte, 0, chunkBytes+chunkBytes/4)
	}
}

// save writes an RDB snapshot of the whole keyspace to dbfilename. It blocks until the
// file is complete; bg says whether it runs for BGSAVE (INFO and the log tell them apart).
func (s *Server) save(bg bool) error { return s.saveNotify(bg, nil) }

// saveNotify is save that also sends nil on started once the cut is taken (or the
// error that prevented it).
func (s *Server) saveNotify(bg bool, started chan<- error) error {
	p := &s.persist
	p.mu.Lock()
	if p.saving {
		p.mu.Unlock()
		if started != nil {
			started <- errSaveInProgress
		}
		return errSaveInProgress
	}
	p.saving, p.bgsave, p.started = true, bg, time.Now()
	p.saves++
	p.keysDone.Store(0)
	p.mu.Unlock()
	if bg {
		s.log.notice("Background saving started")
	}
	dirty, err := s.writeSnapshot(s.cfg.rdbPath(), started)
	p.mu.Lock()
	p.saving, p.bgsave = false, false
	elapsed := time.Since(p.started)
	if bg {
		p.lastBgsaveTime = int64(elapsed.Round(time.Second) / time.Second)
	}
	if err == nil {
		p.lastStatusOK = true
		p.lastSave = time.Now()
		p.dirtyAtSave = dirty
	} else if bg && !errors.Is(err, errSaveAborted) {
		p.lastStatusOK = false
	}
	scheduled := p.scheduled
	p.scheduled = false
	p.mu.Unlock()
	s.cfg.mu.Lock()
	points, stop := s.cfg.Save, s.cfg.StopWritesOnBgsaveErr
	s.cfg.mu.Unlock()
	s.updateMisconf(points, stop)
	switch {
	case err != nil:
		s.log.warning("Error saving DB on disk: %v", err)
	case bg:
		s.log.notice("Background saving terminated with success")
	default:
		s.log.notice("DB saved on disk")
	}
	if scheduled {
		go func() { _ = s.save(true) }()
	}
	return err
}

// writeSnapshot cuts the shards, merges their records into path and returns the sum of
// the shards' dirty counters at the cut.
func (s *Server) writeSnapshot(path string, started chan<- error) (dirty int64, err error) {
	return s.writeSnapshotWith(path, started, nil)
}

// writeSnapshotWith is writeSnapshot with a step run at the cut (atCutThen's first).
func (s *Server) writeSnapshotWith(path string, started chan<- error, atCutStep func()) (dirty int64, err error) {
	notify := func(err error) {
		if started != nil {
			started <- err
			started = nil
		}
	}
	defer func() { notify(err) }()
	tmp := filepath.Join(filepath.Dir(path), "temp-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".rdb")
	f, err := os.Create(tmp)
	if err != nil {
		return 0, fmt.Errorf("failed opening the temp RDB file %s (in server root dir %s) for saving: %w", filepath.Base(tmp), filepath.Dir(path), err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	opt := s.cfg.rdbOptions()
	queue := &chunkQueue{}
	queue.cond.L = &queue.mu
	savers := make([]*shardSaver, s.n)
	keys, expiring := make([]int, s.cfg.Databases), make([]int, s.cfg.Databases)
	var total int64
	cutMs := time.Now().UnixMilli()
	// The replication id and offset at the cut go into the file, so that a master
	// restarted from it can continue its replicas' streams (repl.go).
	var replAux [][2]string
	s.atCutThen(func() {
		if atCutStep != nil {
			atCutStep()
		}
		replAux = s.replSaveInfo()
	}, func(sh *shard.Shard) {
		sv := &shardSaver{queue: queue, opt: opt, cutMs: cutMs, keys: &s.persist.keysDone,
			buf: make([]byte, 0, chunkBytes+chunkBytes/4), dirty: sh.Dirty()}
		sv.sn = sh.StartSnapshot(sv.emit)
		savers[sh.ID] = sv
	})
	notify(nil)
	for _, sv := range savers {
		dirty += sv.dirty
		for db := range keys {
			keys[db] += sv.sn.Keys[db]
			expiring[db] += sv.sn.Expiring[db]
			total += int64(sv.sn.Keys[db])
		}
	}
	s.persist.mu.Lock()
	s.persist.keysTotal = total
	s.persist.mu.Unlock()

	written := make(chan error, 1)
	libs := s.FunctionLibraries()
	go func() { written <- mergeChunks(f, opt, queue, keys, expiring, libs, replAux) }()
	var wg sync.WaitGroup
	for i, sv := range savers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done := false; !done; {
				for queue.bytes.Load() > maxQueuedBytes {
					time.Sleep(time.Millisecond)
				}
				s.runWait(i, func() {
					start := time.Now()
					for !done && time.Since(start) < stepTime {
						done = sv.sn.Step(stepEntries)
					}
					if done {
						sv.flush()
					}
				})
			}
		}()
	}
	wg.Wait()
	queue.close()
	if err = <-written; err != nil {
		return 0, err
	}
	for _, sv := range savers {
		if sv.err != nil {
			return 0, sv.err
		}
		if sv.sn.Aborted() {
			return 0, errSaveAborted
		}
	}
	if err = f.Sync(); err != nil {
		return 0, err
	}
	if err = f.Close(); err != nil {
		return 0, err
	}
	if err = os.Rename(tmp, path); err != nil {
		return 0, err
	}
	return dirty, nil
}

// mergeChunks writes the RDB stream: header, the chunks as they arrive with a SELECTDB
// (and the first time a RESIZEDB) wherever the database changes, EOF and checksum.
func mergeChunks(f *os.File, opt persist.Options, queue *chunkQueue, keys, expiring []int, libs [][]byte, aux [][2]string) error {
	enc := persist.NewEncoder(f, opt)
	var err error
	fail := func(e error) {
		if err == nil && e != nil {
			err = e
		}
	}
	fail(enc.Header(time.Now().Unix(), aux...))
	for _, lib := range libs {
		fail(enc.Function(lib))
	}
	cur := -1
	resized := make([]bool, len(keys))
	for {
		c, ok := queue.pop()
		if !ok {
			break
		}
		if err != nil {
			continue // drain, so the shards finish
		}
		if c.db != cur {
			fail(enc.SelectDB(c.db))
			if !resized[c.db] {
				fail(enc.ResizeDB(keys[c.db], expiring[c.db]))
				resized[c.db] = true
			}
			cur = c.db
		}
		fail(enc.Raw(c.buf))
	}
	fail(enc.Close())
	return err
}

// checkSavePoints starts a BGSAVE when a "save seconds changes" point is reached. It
// runs on the ticker goroutine.
func (s *Server) checkSavePoints() {
	s.cfg.mu.Lock()
	points := s.cfg.Save
	s.cfg.mu.Unlock()
	if points == "" {
		return
	}
	p := &s.persist
	p.mu.Lock()
	if p.saving {
		p.mu.Unlock()
		return
	}
	changes := s.dirtyTotal() - p.dirtyAtSave
	since := time.Since(p.lastSave)
	// After a failed save Redis waits 5 seconds before trying again.
	retryOK := p.lastStatusOK || time.Since(p.lastTry) > 5*time.Second
	p.mu.Unlock()
	if !retryOK {
		return
	}
	words := strings.Fields(points)
	for i := 0; i+1 < len(words); i += 2 {
		secs, _ := strconv.ParseInt(words[i], 10, 64)
		n, _ := strconv.ParseInt(words[i+1], 10, 64)
		if changes >= n && since >= time.Duration(secs)*time.Second {
			s.log.notice("%d changes in %d seconds. Saving...", n, secs)
			p.mu.Lock()
			p.lastTry = time.Now()
			p.mu.Unlock()
			go func() { _ = s.save(true) }()
			return
		}
	}
}

// dirtyTotal sums the shards' dirty counters as their crons last published them.
func (s *Server) dirtyTotal() int64 {
	var n int64
	for _, ls := range s.loops {
		n += ls.dirty.Load()
	}
	return n
}

// SAVE: unlike Redis, other clients keep being served while it runs; the caller waits.
func saveCmd(cl *client, _ [][]byte, _ *proto.Writer) {
	srv := cl.srv
	var err error
	cl.fanoutWith(1, func(ack func(int)) {
		go func() {
			err = srv.save(false)
			ack(0)
		}()
	}, func(w *proto.Writer) {
		switch {
		case errors.Is(err, errSaveInProgress):
			w.Error(errMsgSaveInProgress)
		case err != nil:
			w.Error("ERR")
		default:
			w.OK()
		}
	})
}

// BGSAVE [SCHEDULE] replies once the cut is taken, so the snapshot holds every write
// the client made before it and none after.
func bgsaveCmd(cl *client, args [][]byte, w *proto.Writer) {
	if len(args) > 2 || (len(args) == 2 && !strings.EqualFold(string(args[1]), "schedule")) {
		w.Error(proto.ErrSyntax)
		return
	}
	srv := cl.srv
	if srv.persist.inProgress() {
		w.Error(errMsgSaveInProgress)
		return
	}
	if cl.exec != nil {
		// Inside EXEC the transaction's claims would hold up the cut: Redis too only
		// schedules the save then.
		go func() { _ = srv.save(true) }()
		w.Simple("Background saving scheduled")
		return
	}
	started := make(chan error, 1)
	cl.fanoutWith(1, func(ack func(int)) {
		go func() {
			_ = srv.saveNotify(true, started)
		}()
		go func() {
			<-started
			ack(0)
		}()
	}, func(w *proto.Writer) { w.Simple("Background saving started") })
}

// LASTSAVE
func lastsaveCmd(cl *client, _ [][]byte, w *proto.Writer) {
	p := &cl.srv.persist
	p.mu.Lock()
	t := p.lastSave.Unix()
	p.mu.Unlock()
	w.Int(t)
}

func (p *persistence) inProgress() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.saving
}

// updateMisconf refuses writes while the last background save failed, save points are
// configured and stop-writes-on-bgsave-error is on, as Redis does.
func (s *Server) updateMisconf(savePoints string, stopWrites bool) {
	s.persist.mu.Lock()
	failed := !s.persist.lastStatusOK
	s.persist.mu.Unlock()
	s.misconf.Store(failed && stopWrites && savePoints != "")
}

// wantsSaveOnShutdown reports whether shutting down must save first: SAVE asks for it,
// NOSAVE forbids it, and otherwise it happens when save points are configured.
func (s *Server) wantsSaveOnShutdown(save, nosave bool) bool {
	if save || nosave {
		return save
	}
	s.cfg.mu.Lock()
	defer s.cfg.mu.Unlock()
	return s.cfg.Save != ""
}

// saveForShutdown waits for a running background save, then saves.
func (s *Server) saveForShutdown() error {
	s.log.notice("Saving the final RDB snapshot before exiting.")
	for s.persist.inProgress() {
		time.Sleep(10 * time.Millisecond)
	}
	err := s.save(false)
	if err != nil {
		s.log.warning("Error trying to save the DB, can't exit.")
	}
	return err
}

// persistInfo writes INFO persistence with Redis's field names. Fields about fork and
// copy-on-write are zero: snapshots copy nothing.
func (s *Server) persistInfo(field func(string, any), dirty int64) {
	p := &s.persist
	p.mu.Lock()
	defer p.mu.Unlock()
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	status := "ok"
	if !p.lastStatusOK {
		status = "err"
	}
	current := int64(-1)
	if p.saving && p.bgsave {
		current = int64(time.Since(p.started) / time.Second)
	}
	processed, total := int64(0), int64(0)
	if p.saving {
		processed, total = p.keysDone.Load(), p.keysTotal
	}
	loading := s.loading.Load()
	field("loading", b(loading))
	field("async_loading", 0)
	if loading {
		// Progress of the RDB part of the load (an AOF's commands count as done).
		total, done := s.loadTotal.Load(), s.loadDone.Load()
		perc := 100.0
		if total > 0 {
			perc = float64(done) * 100 / float64(total)
		}
		elapsed := time.Since(s.loadStart).Seconds()
		eta := 1
		if done > 0 && total > done {
			eta = int(elapsed * float64(total-done) / float64(done))
		}
		field("loading_start_time", s.loadStart.Unix())
		field("loading_total_bytes", total)
		field("loading_rdb_used_mem", 0)
		field("loading_loaded_bytes", done)
		field("loading_loaded_perc", fmt.Sprintf("%.2f", perc))
		field("loading_eta_seconds", eta)
	}
	field("current_cow_peak", 0)
	field("current_cow_size", 0)
	field("current_cow_size_age", 0)
	field("current_fork_perc", "0.00")
	field("current_save_keys_processed", processed)
	field("current_save_keys_total", total)
	field("rdb_changes_since_last_save", dirty-p.dirtyAtSave)
	field("rdb_bgsave_in_progress", b(p.saving && p.bgsave))
	field("rdb_last_save_time", p.lastSave.Unix())
	field("rdb_last_bgsave_status", status)
	field("rdb_last_bgsave_time_sec", p.lastBgsaveTime)
	field("rdb_current_bgsave_time_sec", current)
	field("rdb_saves", p.saves)
	field("rdb_last_cow_size", 0)
	field("rdb_last_load_keys_expired", p.expiredOnLoad)
	field("rdb_last_load_keys_loaded", p.loaded)
	p.mu.Unlock()
	s.aofInfo(field)
	p.mu.Lock()
}

// loadedKey is one key read from an RDB file, on its way to its shard.
type loadedKey struct {
	db  int
	key []byte
	o   shard.Object
}

// debugReload saves, empties every shard and loads the file back (DEBUG RELOAD): a test
// of the whole RDB path. The file is decoded before the cut; the shards swap datasets
// inside it, so no client sees a partial dataset (replica.go: replaceDataset).
func (s *Server) debugReload() error {
	if err := s.save(false); err != nil {
		return err
	}
	f, err := os.Open(s.cfg.rdbPath())
	if err != nil {
		return err
	}
	defer f.Close()
	return s.replaceDataset(f)
}
