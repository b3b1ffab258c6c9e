package coord

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/zeebo/xxh3"

	"github.com/basaltdb/basalt/shard"
)

// Server is a running Basalt: N gnet event loops, each owning one shard.
//
// Concurrency: loop i alone touches shards[i] and loops[i].clients. Everything else
// here is written before the loops accept commands (ready is closed after) or is atomic.
type Server struct {
	// cluster is the cluster state, nil unless cluster-enabled (cluster.go).
	cluster *clusterState
	// acl is the users and the ACL log (acl.go).
	acl aclState
	gnet.BuiltinEventEngine

	cfg      *Config
	settings *shard.Settings
	n        int
	shards   []*shard.Shard
	loops    []*loopState
	// loopOf maps a gnet loop handle to its shard index; read-only once ready.
	loopOf map[gnet.EventLoop]int

	eng      gnet.Engine
	addrs    []string
	ready    chan struct{}
	isReady  atomic.Bool
	stopped  chan struct{}
	bootOnce sync.Once
	stopOnce sync.Once
	// doorbells keep the peer ends of the connections used to discover loop handles.
	doorbells []net.Conn

	// early holds clients that connected before the loops were bound; woken on ready.
	earlyMu sync.Mutex
	early   []gnet.Conn

	// qbufLimit mirrors client-query-buffer-limit for the read path.
	qbufLimit atomic.Int64

	// txMu orders multi-shard transactions: claims are posted to the shards under it,
	// so every shard sees transactions in the same order.
	txMu sync.Mutex

	// persist is the RDB state; misconf is set while writes are refused because the
	// last background save failed (stop-writes-on-bgsave-error).
	persist persistence
	misconf atomic.Bool
	// noReplicas is set while min-replicas-to-write refuses writes (config.go).
	noReplicas atomic.Bool
	// repl is the replication state (repl.go); replicaOf is the link to this server's
	// master while it is a replica, and readOnlyReplica refuses clients' writes then
	// (replica.go).
	repl            replState
	replicaOf       atomic.Pointer[replLink]
	readOnlyReplica atomic.Bool
	serveStale      atomic.Bool // replica-serve-stale-data
	// pause is CLIENT PAUSE's state, pauseMode its mode for the dispatch path (pause.go).
	pause     pauseState
	pauseMode atomic.Int32
	aof       aofState
	// loading is set until the start-up load finished (-LOADING for clients); replay
	// lists the AOF files the loader still feeds in; loaded is closed after it.
	loading atomic.Bool
	replay  []string
	loaded  chan struct{}
	// loadRDBPath is the RDB file (or AOF base) to load; loadErr why loading failed;
	// loadStart, loadTotal and loadDone feed INFO's loading progress.
	loadRDBPath string
	loadErr     error
	// loadedReplID and loadedReplOff are the repl-id and repl-offset aux fields of the
	// RDB file loaded at start-up, if any (repl.go: restoreReplInfo).
	loadedReplID        string
	loadedReplOff       int64
	loadStart           time.Time
	loadTotal, loadDone atomic.Int64

	// blockedClients counts clients waiting in a blocking command (INFO).
	blockedClients atomic.Int64

	// obs is the slow log, latency monitor and MONITOR state (latency.go); metrics the
	// Prometheus listener, nil when metrics-port is 0 (metrics.go).
	obs     observer
	metrics *metricsServer
	// startupHeap is the heap in use before any data was loaded (MEMORY STATS).
	startupHeap uint64

	// pubsub is the subscription summary and the loops' subscription tables (pubsub.go).
	pubsub pubsubIndex
	// tracking is the client-side caching state (tracking.go).
	tracking trackRegistry

	nextClientID atomic.Uint64
	connected    atomic.Int64
	totalConns   atomic.Int64
	rejected     atomic.Int64
	// migrations counts connections moved to another loop (migrate.go).
	migrations  atomic.Int64
	startTime   time.Time
	log         *logger
	shutdownErr error
}

// loopState is what coord keeps per event loop besides the shard.
// Owner: that loop.
type loopState struct {
	srv     *Server
	idx     int
	handle  gnet.EventLoop
	clients map[uint64]*client
	locks   *lockTable
	watches watchTable
	blocked blockTable
	// readyKeys are keys with waiters that gained elements, served after the command.
	readyKeys []lockKey
	// scriptCall is set while a script's call runs on this loop (runShardCommand).
	scriptCall bool
	stats      []cmdStat
	// errStats counts error replies by their first word (INFO errorstats).
	errStats map[string]int64
	cmds     int64
	netIn    int64
	netOut   int64
	// dirty mirrors the shard's dirty counter for the save-point check, published by cron.
	dirty atomic.Int64
	// capture, when set, collects the AOF records of the commands this loop runs for a
	// transaction, which appends them as one block.
	capture *[]aofRecord

	// obs is the server's observer; hists are this loop's per-command latency
	// histograms, by command id, allocated on first use (latency.go).
	obs   *observer
	hists []*latencyHist
	// hops counts batches of single-shard commands received from other loops, squashed
	// those that carried more than one command and squashedN the commands they carried;
	// queued counts messages posted to this loop and not yet run (metrics.go).
	hops, squashed, squashedN int64
	queued                    atomic.Int64
	// mail is the loop's inbox for run: messages that must arrive in the order they
	// were posted. awake is set while the loop runs a callback that settles its inbox
	// before returning; posting to an awake loop skips the doorbell's system call.
	mail  mailbox
	awake atomic.Bool
	// bcastPending is set when BCAST invalidations wait for the callback's end
	// (tracking.go).
	bcastPending bool
	// paused lists the connections parked by CLIENT PAUSE (pause.go).
	paused []*client
	// migrateConns are MIGRATE's kept connections to targets (cluster_migrate.go).
	migrateConns map[string]*migrateConn
	// pfKeys collects the keys of a prefetch (parseAhead, group.exec), pfSeconds the
	// argument after each key (nil for none).
	pfKeys, pfSeconds [][]byte
	// clock times the commands this loop runs; chain, while chaining, is when the last
	// command ended (clock.go).
	clock    loopClock
	chain    int64
	chaining bool
}

// cmdStat is one command's counters on one loop (INFO commandstats).
type cmdStat struct {
	calls, usec, rejected, failed int64
}

// internalConn marks the connections the server makes to itself to learn loop handles.
type internalConn struct{}

// New builds a server from cfg without starting it.
func New(cfg *Config) (*Server, error) {
	n := cfg.Threads
	if n <= 0 {
		n = runtime.NumCPU()
	}
	if n > 1024 {
		return nil, fmt.Errorf("threads %d is more than 1024", n)
	}
	s := &Server{
		cfg:      cfg,
		settings: shard.NewSettings(),
		n:        n,
		loopOf:   make(map[gnet.EventLoop]int),
		ready:    make(chan struct{}),
		loaded:   make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	s.log = newLogger(cfg)
	s.repl.id, s.repl.id2, s.repl.off2, s.repl.db = newReplID(), strings.Repeat("0", 40), -1, -1
	s.persist.lastStatusOK = true
	s.persist.lastBgsaveTime = -1
	s.persist.lastSave = time.Now()
	s.acl.init()
	cfg.userLines = s.acl.configLines
	if err := s.loadUsers(); err != nil { // acl_cmds.go
		return nil, err
	}
	s.applySettings()
	cfg.OnChange = func(string) { s.applySettings() }
	for i := 0; i < n; i++ {
		sh := shard.New(i, cfg.Databases, s.settings)
		s.shards = append(s.shards, sh)
		s.loops = append(s.loops, &loopState{
			srv:      s,
			idx:      i,
			clients:  make(map[uint64]*client),
			locks:    newLockTable(),
			watches:  watchTable{},
			blocked:  blockTable{},
			stats:    make([]cmdStat, len(all)),
			errStats: make(map[string]int64),
			obs:      &s.obs,
		})
		ls := s.loops[i]
		ls.mail.doorbell = gnet.RunnableFunc(func(context.Context) error {
			ls.awake.Store(true)
			ls.drain()
			ls.settle()
			return nil
		})
		sh.Ready = func(db int, key string) { s.keyReady(ls, db, key) }
		sh.Notify = s.notifier(i) // notify.go
		sh.Expired = func(db int, key string) {
			if len(ls.watches) > 0 {
				ls.watches.expired(lockKey{db, key})
			}
			s.invalidateKey(ls.idx, db, []byte(key)) // tracking.go
			s.journalExpired(db, key)
			s.notifyKey(ls.idx, db, shard.NotifyExpired, "expired", key)
			if len(ls.blocked) > 0 {
				s.keyReady(ls, db, key) // a waiter may fail on its key's expiry
			}
		}
		s.wireEviction(ls, sh) // evict.go
	}
	s.initPubsub()
	s.initTracking()
	for _, b := range cfg.Bind {
		host := b
		optional := false
		if len(host) > 0 && host[0] == '-' {
			optional = true
			host = host[1:]
		}
		switch host {
		case "*":
			host = "0.0.0.0"
		case "::*":
			host = "::"
		}
		if optional && host == "::" {
			// gnet binds 0.0.0.0 without IPV6_V6ONLY sharing; the optional IPv6
			// wildcard would clash with it, so it is skipped as Redis skips a failed
			// optional address.
			continue
		}
		s.addrs = append(s.addrs, "tcp://"+net.JoinHostPort(host, strconv.Itoa(cfg.Port)))
	}
	if len(s.addrs) == 0 {
		s.addrs = []string{"tcp://" + net.JoinHostPort("0.0.0.0", strconv.Itoa(cfg.Port))}
	}
	return s, nil
}

// applySettings mirrors configuration that shards read into their atomics.
func (s *Server) applySettings() {
	if s.isReady.Load() && !s.loading.Load() {
		s.applyAppendOnly(s.cfg.AppendOnly)
	}
	s.aof.mu.Lock()
	s.aof.fsync = s.cfg.AppendFsync
	s.aof.timestamps = s.cfg.AOFTimestampEnabled
	s.aof.mu.Unlock()
	need, lag := s.cfg.MinReplicasToWrite, s.cfg.MinReplicasMaxLag
	s.noReplicas.Store(need > 0 && lag > 0 && s.goodReplicas(lag) < need)
	s.repl.applySize(max(s.cfg.ReplBacklogSize, replBacklogMin))
	if s.replicaOf.Load() != nil {
		s.readOnlyReplica.Store(s.cfg.ReplicaReadOnly)
	}
	s.serveStale.Store(s.cfg.ReplicaServeStaleData)
	s.updateMisconf(s.cfg.Save, s.cfg.StopWritesOnBgsaveErr)
	s.settings.MaxBulk.Store(s.cfg.ProtoMaxBulkLen)
	s.applyNotifyClasses() // notify.go
	s.settings.ActiveExpireEffort.Store(int64(s.cfg.ActiveExpireEffort))
	s.qbufLimit.Store(s.cfg.ClientQueryBufferLimit)
	s.settings.ListMaxListpackSize.Store(int64(s.cfg.ListMaxListpackSize))
	s.settings.HashMaxListpackEntries.Store(int64(s.cfg.HashMaxListpackEntries))
	s.settings.HashMaxListpackValue.Store(s.cfg.HashMaxListpackValue)
	s.settings.SetMaxIntsetEntries.Store(int64(s.cfg.SetMaxIntsetEntries))
	s.settings.SetMaxListpackEntries.Store(int64(s.cfg.SetMaxListpackEntries))
	s.settings.SetMaxListpackValue.Store(int64(s.cfg.SetMaxListpackValue))
	s.settings.ZSetMaxListpackEntries.Store(int64(s.cfg.ZSetMaxListpackEntries))
	s.settings.ZSetMaxListpackValue.Store(int64(s.cfg.ZSetMaxListpackValue))
	s.settings.StreamNodeMaxEntries.Store(int64(s.cfg.StreamNodeMaxEntries))
	s.settings.StreamNodeMaxBytes.Store(s.cfg.StreamNodeMaxBytes)
	s.settings.HLLSparseMaxBytes.Store(s.cfg.HLLSparseMaxBytes)
	s.applyMaxMemory() // evict.go
	s.obs.apply(s.cfg)
	s.acl.syncPassword(s.cfg.RequirePass) // acl.go
	s.acl.maxLen.Store(s.cfg.ACLLogMaxLen)
	if s.cluster != nil {
		s.cluster.setOptions(clusterOptionsOf(s.cfg), s.cfg.ClusterNodeTimeout) // cluster.go
	}
}

// Serve runs a server with cfg until SIGTERM, SIGINT or SHUTDOWN.
func Serve(cfg *Config) error {
	s, err := New(cfg)
	if err != nil {
		return err
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	go func() {
		for {
			select {
			case sig := <-sigs:
				s.log.warning("Received %s scheduling shutdown...", sigName(sig))
				// Like Redis, a failed save cancels a signal-initiated shutdown.
				if s.wantsSaveOnShutdown(false, false) && s.saveForShutdown() != nil {
					continue
				}
				s.Stop()
				return
			case <-s.stopped:
				return
			}
		}
	}()
	return s.Run()
}

func sigName(sig os.Signal) string {
	if sig == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

// Run serves until Stop. It returns the listener's error, if any.
func (s *Server) Run() error {
	s.startTime = time.Now()
	s.startupHeap = heapBytes()
	startGCTuner()
	s.log.notice("Basalt starting, pid=%d, %d shards", os.Getpid(), s.n)
	if err := s.loadAtStartup(); err != nil {
		s.log.warning("Fatal error loading the DB: %v. Exiting.", err)
		s.stopOnce.Do(func() { close(s.stopped) })
		return err
	}
	opts := []gnet.Option{
		gnet.WithMulticore(true),
		gnet.WithNumEventLoop(s.n),
		gnet.WithLoadBalancing(gnet.LeastConnections),
		gnet.WithTicker(true),
		gnet.WithReuseAddr(true),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithLogger(gnetLogger{s.log}),
	}
	if s.cfg.TCPKeepalive > 0 {
		opts = append(opts, gnet.WithTCPKeepAlive(time.Duration(s.cfg.TCPKeepalive)*time.Second))
	}
	if s.cfg.ClusterEnabled {
		if err := s.startCluster(); err != nil { // cluster.go
			s.log.warning("Cluster mode: %v. Exiting.", err)
			s.stopOnce.Do(func() { close(s.stopped) })
			return err
		}
		defer s.cluster.stopBus()
	}
	s.startMetrics() // metrics.go; a listener that cannot bind is logged, not fatal
	defer s.stopMetrics()
	var err error
	if len(s.addrs) == 1 {
		err = gnet.Run(s, s.addrs[0], opts...)
	} else {
		err = gnet.Rotate(s, s.addrs, opts...)
	}
	s.stopAOF()
	s.stopReplication() // replica.go
	s.killReplicas("", 0)
	// The loops have exited: the shards are free to touch from here.
	for _, sh := range s.shards {
		sh.CloseEviction()
	}
	s.stopOnce.Do(func() { close(s.stopped) })
	for _, d := range s.doorbells {
		d.Close()
	}
	if err != nil {
		return fmt.Errorf("cannot serve on %v: %w", s.addrs, err)
	}
	s.log.notice("Basalt is now ready to exit, bye bye...")
	return s.shutdownErr
}

// Start runs the server in the background and returns once it accepts commands. It is
// how tests start a real server.
func Start(cfg *Config) (*Server, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Run() }()
	select {
	case <-s.loaded:
		if s.loadErr != nil {
			s.Stop()
			return nil, s.loadErr
		}
		return s, nil
	case err := <-errc:
		if err == nil {
			err = errors.New("server stopped during start-up")
		}
		return nil, err
	case <-time.After(10 * time.Second):
		s.Stop()
		return nil, errors.New("server did not become ready in 10s")
	}
}

// Stop shuts the server down and waits until the loops have exited. Safe to call from
// any goroutine except an event loop, and more than once.
func (s *Server) Stop() {
	s.stopAsync()
	<-s.stopped
}

// stopAsync asks the engine to stop without waiting; event loops use it (SHUTDOWN).
func (s *Server) stopAsync() {
	go func() {
		select {
		case <-s.ready:
		case <-s.stopped:
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.eng.Stop(ctx)
	}()
}

// Shards returns the number of shards.
func (s *Server) Shards() int { return s.n }

// OnBoot records the engine; loops are not running yet.
func (s *Server) OnBoot(eng gnet.Engine) gnet.Action {
	s.eng = eng
	return gnet.None
}

// OnTick runs on gnet's ticker goroutine. The first tick binds shards to loops; later
// ticks post each shard's cron (active expiry, idle clients) to its own loop.
func (s *Server) OnTick() (time.Duration, gnet.Action) {
	s.bootOnce.Do(func() { go s.bindLoops() })
	hz := s.cfg.hz()
	if s.isReady.Load() {
		for i := range s.loops {
			i := i
			_ = s.loops[i].handle.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
				s.cron(i, hz)
				s.trackLimit(i) // tracking.go
				// Expiries and evictions of the cron may have invalidated keys.
				s.flushBroadcasts(i)
				return nil
			}))
		}
		s.checkSavePoints()
		s.checkAOFRewrite()
		s.replCron() // repl.go
	}
	return time.Second / time.Duration(hz), gnet.None
}

// bindLoops learns the handle of every event loop by registering one loopback
// connection per loop (least-connections balancing spreads them), so that shard i can
// be reached by message before any client has connected to loop i.
func (s *Server) bindLoops() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.log.warning("cannot bind loops: %v", err)
		s.stopAsync()
		return
	}
	defer ln.Close()
	ctx := gnet.NewContext(context.Background(), internalConn{})
	for attempts := 0; len(s.loopOf) < s.n; attempts++ {
		if attempts > 64*s.n {
			s.log.warning("cannot reach every event loop")
			s.stopAsync()
			return
		}
		dial, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			s.log.warning("cannot bind loops: %v", err)
			s.stopAsync()
			return
		}
		peer, err := ln.Accept()
		if err != nil {
			dial.Close()
			s.stopAsync()
			return
		}
		ch, err := s.eng.Register(gnet.NewNetConnContext(ctx, dial))
		if err != nil {
			dial.Close()
			peer.Close()
			time.Sleep(time.Millisecond)
			continue
		}
		res := <-ch
		if res.Err != nil {
			peer.Close()
			continue
		}
		s.doorbells = append(s.doorbells, peer)
		if _, seen := s.loopOf[res.Conn.EventLoop()]; !seen {
			i := len(s.loopOf)
			s.loopOf[res.Conn.EventLoop()] = i
			s.loops[i].handle = res.Conn.EventLoop()
		}
	}
	s.isReady.Store(true)
	close(s.ready)
	go func() {
		s.finishLoading()
		s.cfg.mu.Lock()
		to := strings.Fields(s.cfg.ReplicaOf)
		s.cfg.mu.Unlock()
		if len(to) == 2 && s.loadErr == nil {
			if port, err := strconv.Atoi(to[1]); err == nil {
				s.startReplication(to[0], port) // replica.go
			}
		}
	}()
	s.log.notice("Ready to accept connections on %v", s.addrs)
	s.earlyMu.Lock()
	for _, c := range s.early {
		_ = c.Wake(nil)
	}
	s.early = nil
	s.earlyMu.Unlock()
}

// shardOf returns the shard that owns key: xxh3 of its hash tag, modulo the shard count.
func (s *Server) shardOf(key []byte) int {
	if s.n == 1 {
		return 0
	}
	return int(xxh3.Hash(hashTag(key)) % uint64(s.n))
}

// hashTag returns the key's Redis Cluster hash tag (shard/slots.go).
func hashTag(key []byte) []byte { return shard.HashTag(key) }

// mailbox is a loop's FIFO inbox. gnet's Execute is no FIFO: past 1,024 queued tasks it
// puts new ones in a second queue that runs after the first, so a later task may run
// before an earlier one. The coordinator needs the order (transactions are granted in
// the order they were posted, and a connection's messages must not overtake each
// other), so messages queue here and Execute only rings the doorbell: a drain task,
// posted when the inbox turns non-empty, runs everything queued so far, in order.
type mailbox struct {
	mu    sync.Mutex
	q     []func()
	armed bool // a drain is posted and has not started yet
	// spare is the drained slice, kept for reuse; only the loop touches it.
	spare []func()
	// doorbell is the drain task, built once: ringing allocates nothing.
	doorbell gnet.Runnable
}

// run posts fn to shard i's loop. fn runs on that loop's goroutine, after every
// message posted to that loop before it.
func (s *Server) run(i int, fn func()) {
	ls := s.loops[i]
	ls.queued.Add(1) // the queue depth the metrics report
	mb := &ls.mail
	mb.mu.Lock()
	mb.q = append(mb.q, fn)
	ring := !mb.armed
	mb.armed = true
	mb.mu.Unlock()
	if !ring || ls.awake.Load() {
		// Rung already, or the loop is inside a callback and looks at its inbox before
		// it returns to the poller (settle).
		return
	}
	if err := ls.handle.Execute(context.Background(), mb.doorbell); err != nil {
		// The engine is shutting down: run nothing; the client is being closed too.
		s.log.verbose("hop to shard %d dropped: %v", i, err)
	}
}

// drain runs the messages queued for the loop, oldest first. Messages posted while it
// runs (one may post to its own loop) wait for the next drain, which they ring for.
func (ls *loopState) drain() {
	mb := &ls.mail
	mb.mu.Lock()
	q := mb.q
	mb.q, mb.spare = mb.spare[:0], nil
	mb.armed = false
	mb.mu.Unlock()
	for i, fn := range q {
		ls.queued.Add(-1)
		q[i] = nil
		fn()
	}
	if cap(q) <= 4096 {
		mb.spare = q[:0]
	}
}

// settle ends a callback of the loop: messages posted while it was awake did not ring
// the doorbell, so they run now. Clearing awake before looking pairs with run, which
// appends before it reads awake: a message is either seen here or rings.
//
// queued counts messages from before their append until they run, so when it reads 0
// after awake was cleared, any message still on its way will see awake clear and ring:
// most callbacks end without taking the inbox's lock, which posting loops contend for.
func (ls *loopState) settle() {
	mb := &ls.mail
	for {
		if ls.bcastPending {
			ls.srv.flushBroadcasts(ls.idx)
		}
		ls.awake.Store(false)
		if ls.queued.Load() == 0 {
			return
		}
		mb.mu.Lock()
		pending := len(mb.q) > 0
		mb.mu.Unlock()
		if !pending {
			return
		}
		ls.awake.Store(true)
		ls.drain()
	}
}

// cron is the per-loop periodic task: active expiry and idle-client timeouts.
func (s *Server) cron(i int, hz int) {
	sh := s.shards[i]
	s.loops[i].dirty.Store(sh.Dirty())
	sh.Housekeep()
	if s.settings.ActiveExpire.Load() {
		// Redis spends up to 25% of each cron period on active expiry.
		start := time.Now()
		sh.ActiveExpireCycle(time.Second / time.Duration(hz) / 4)
		s.obs.recordEvent("expire-cycle", time.Since(start)) // latency.go
	}
	if t := s.cfg.timeoutSeconds(); t > 0 {
		now := time.Now().UnixMilli()
		for _, c := range s.loops[i].clients {
			// Subscribers wait for messages, not commands: Redis never times them out.
			if c.inflight() || c.subscribed() {
				continue
			}
			if now-c.lastInteraction > int64(t)*1000 {
				_ = c.conn.Close()
			}
		}
	}
}

// OnOpen registers a client on the loop that accepted it.
func (s *Server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if _, ok := c.Context().(internalConn); ok {
		return nil, gnet.None
	}
	if m, ok := c.Context().(migrant); ok {
		m.cl.arrive(c) // migrate.go
		return nil, gnet.None
	}
	if _, ok := c.Context().(loaderConn); ok {
		cl := newClient(s, c)
		cl.loader, cl.authed = true, true
		c.SetContext(cl)
		cl.attach()
		return nil, gnet.None
	}
	if max := s.cfg.maxClients(); max > 0 && s.connected.Load() >= int64(max) {
		s.rejected.Add(1)
		return []byte("-" + "ERR max number of clients reached" + "\r\n"), gnet.Close
	}
	cl := newClient(s, c)
	c.SetContext(cl)
	s.connected.Add(1)
	s.totalConns.Add(1)
	if !s.isReady.Load() {
		s.earlyMu.Lock()
		if !s.isReady.Load() {
			s.early = append(s.early, c)
		}
		s.earlyMu.Unlock()
		return nil, gnet.None
	}
	cl.attach()
	return nil, gnet.None
}

// OnClose forgets the client.
func (s *Server) OnClose(c gnet.Conn, _ error) gnet.Action {
	cl, ok := c.Context().(*client)
	if !ok {
		return gnet.None
	}
	if cl.loop != nil {
		delete(cl.loop.clients, cl.id)
	}
	cl.unwatch()
	cl.leavePubsub()
	cl.stopTracking() // tracking.go
	if wt := cl.blocked; wt != nil {
		// A value served in the instant before the close is lost with the connection,
		// as it would be had the client closed just after receiving it.
		wt.state.CompareAndSwap(waitWaiting, waitDone)
		if wt.timer != nil {
			wt.timer.Stop()
		}
		cl.unregister(wt)
		s.blockedClients.Add(-1)
		// A serve already under way still wakes the client: with the waiter gone, that
		// wake must not count the client out of blocked_clients a second time.
		cl.blocked = nil
	}
	cl.unpark() // pause.go
	cl.closed = true
	if cl.monitoring {
		s.obs.monitors.remove(cl)
	}
	s.connected.Add(-1)
	return gnet.None
}

// OnTraffic runs a client's commands: new bytes arrived, or a hop it waited for came back.
func (s *Server) OnTraffic(c gnet.Conn) gnet.Action {
	cl, ok := c.Context().(*client)
	if !ok {
		// Nothing is ever sent on the loop-discovery connections.
		_, _ = c.Discard(-1)
		return gnet.None
	}
	if !s.isReady.Load() {
		return gnet.None
	}
	if cl.loop == nil {
		cl.attach()
	}
	ls := cl.loop
	ls.awake.Store(true)
	action := cl.serve()
	if action == gnet.None && cl.mig.want && !cl.inflight() && cl.migrate() {
		// Returning Close makes gnet drop the old descriptor before this loop polls
		// again (migrate.go).
		action = gnet.Close
	}
	ls.settle()
	return action
}
