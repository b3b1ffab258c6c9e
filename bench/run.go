package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Config is one workload. The zero value is not runnable: start from DefaultConfig.
type Config struct {
	Addr  string // host:port
	Label string // a name for reports ("basalt"); Addr when empty

	// Threads*Clients connections are opened. Threads is how many OS threads the
	// caller lets Go use (cmd/basalt-benchmark sets GOMAXPROCS to it); Run itself
	// only multiplies.
	Threads, Clients int
	Pipeline         int // requests in flight per connection

	// Requests is the total over all connections; Duration, when set, wins.
	Requests int64
	Duration time.Duration
	// Rate, when above 0, is the total requests per second to send (open loop): each
	// connection sends its batches on a schedule, and a reply's latency counts from
	// when its batch was due, so a server that falls behind is charged for the queue
	// it builds. Two servers compared at one rate carry the same load, which a run as
	// fast as possible does not give them.
	Rate float64

	// Commands are templates (see ParseTemplate); Weights, as long as Commands or
	// empty for equal weights, set how often each is picked.
	Commands []string
	Weights  []int

	KeyPrefix string
	Keys      KeySpace
	// DataMin..DataMax bound the value sizes of __data__ (equal for a fixed size).
	DataMin, DataMax int

	Password string // sent with AUTH (or HELLO 3 AUTH) on connect when set
	RESP3    bool   // switch the connections to RESP3 with HELLO 3
	Seed     uint64 // random seed; runs with the same seed draw the same keys
}

// DefaultConfig is memtier's default workload on redis-benchmark's keys: 4 threads of
// 50 clients, 1 SET for 10 GETs over key:000000000000..key:000000999999 with 32-byte
// values, 100,000 requests.
func DefaultConfig() Config {
	return Config{
		Addr:      "127.0.0.1:6379",
		Threads:   4,
		Clients:   50,
		Pipeline:  1,
		Requests:  100_000,
		Commands:  []string{"SET __key__ __data__", "GET __key__"},
		Weights:   []int{1, 10},
		KeyPrefix: "key:",
		Keys:      KeySpace{Min: 0, Max: 999_999},
		DataMin:   32,
		DataMax:   32,
		Seed:      1,
	}
}

// RatioCommands turns a memtier-style "SET:GET" ratio such as "1:10" into templates and
// weights; a zero side is left out.
func RatioCommands(ratio string) ([]string, []int, error) {
	s, g, ok := strings.Cut(ratio, ":")
	var sets, gets int
	if ok {
		_, err1 := fmt.Sscanf(s, "%d", &sets)
		_, err2 := fmt.Sscanf(g, "%d", &gets)
		ok = err1 == nil && err2 == nil && sets >= 0 && gets >= 0 && sets+gets > 0
	}
	if !ok {
		return nil, nil, fmt.Errorf("bad ratio %q (want SET:GET, e.g. 1:10)", ratio)
	}
	var cmds []string
	var weights []int
	if sets > 0 {
		cmds, weights = append(cmds, "SET __key__ __data__"), append(weights, sets)
	}
	if gets > 0 {
		cmds, weights = append(cmds, "GET __key__"), append(weights, gets)
	}
	return cmds, weights, nil
}

// Latency histograms cover 1 µs to 60 s at 3 significant digits (0.1% resolution),
// which costs 140 KB per histogram: one per connection and template, so memtier's
// default 200 connections with SET and GET hold 56 MB. Fewer digits would save memory
// at the price of p99.9 resolution.
const (
	histMin, histMax = 1, 60_000_000
	histDigits       = 3
)

// workload is a validated Config, shared read-only by the connections of a run.
type workload struct {
	cfg       *Config
	templates []*Template
	cumWeight []int // cumulative weights, for picking a template
	values    *valueSource
	keys      *keyState
}

func newWorkload(cfg *Config) (*workload, error) {
	if cfg.Threads < 1 || cfg.Clients < 1 || cfg.Pipeline < 1 {
		return nil, fmt.Errorf("threads, clients and pipeline must be at least 1")
	}
	if cfg.Requests < 1 && cfg.Duration <= 0 {
		return nil, fmt.Errorf("give a number of requests or a test time")
	}
	if len(cfg.Commands) == 0 {
		return nil, fmt.Errorf("no command to send")
	}
	if len(cfg.Weights) != 0 && len(cfg.Weights) != len(cfg.Commands) {
		return nil, fmt.Errorf("%d weights for %d commands", len(cfg.Weights), len(cfg.Commands))
	}
	if cfg.DataMin < 0 || cfg.DataMax < cfg.DataMin {
		return nil, fmt.Errorf("bad data size range %d-%d", cfg.DataMin, cfg.DataMax)
	}
	keys, err := newKeyState(cfg.Keys)
	if err != nil {
		return nil, err
	}
	w := &workload{cfg: cfg, values: newValueSource(cfg.DataMin, cfg.DataMax), keys: keys}
	total := 0
	for i, text := range cfg.Commands {
		t, err := ParseTemplate(text)
		if err != nil {
			return nil, err
		}
		weight := 1
		if len(cfg.Weights) != 0 {
			weight = cfg.Weights[i]
		}
		if weight < 0 {
			return nil, fmt.Errorf("negative weight for %q", text)
		}
		total += weight
		w.templates = append(w.templates, t)
		w.cumWeight = append(w.cumWeight, total)
	}
	if total == 0 {
		return nil, fmt.Errorf("all command weights are zero")
	}
	return w, nil
}

// pick returns the index of a template drawn by weight.
func (w *workload) pick(g *keyGen) int {
	if len(w.templates) == 1 {
		return 0
	}
	r := g.rng.IntN(w.cumWeight[len(w.cumWeight)-1])
	for i, c := range w.cumWeight {
		if r < c {
			return i
		}
	}
	panic("BUG: weighted pick past the last template")
}

// runState is what connections share during a run.
type runState struct {
	w       *workload
	tickets atomic.Int64 // requests left to claim, when the run counts requests
	stop    atomic.Bool  // set when the test time is up or the context ends
}

// claim takes up to n requests for one batch and returns how many it got.
func (s *runState) claim(n int) int {
	if s.stop.Load() {
		return 0
	}
	if s.w.cfg.Duration > 0 {
		return n
	}
	left := s.tickets.Add(-int64(n))
	if left >= 0 {
		return n
	}
	if got := int64(n) + left; got > 0 {
		return int(got)
	}
	return 0
}

// conn is one client connection and its counters. Only its own goroutine touches it
// during a run, except ops and latencySum, which the progress line reads atomically.
type conn struct {
	st     *runState
	nc     net.Conn
	keys   *keyGen
	wbuf   []byte
	rbuf   []byte
	r, w   int   // unread bytes of rbuf are rbuf[r:w]
	picked []int // template index of each request of the batch in flight
	hists  []*hdrhistogram.Histogram
	errs   []int64
	nulls  []int64
	// firstErr is the first error reply, kept to tell the user what went wrong.
	firstErr string

	ops        atomic.Int64
	latencySum atomic.Int64 // microseconds
}

func dial(ctx context.Context, st *runState, stream uint64) (*conn, error) {
	cfg := st.w.cfg
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to %s: %w", cfg.Addr, err)
	}
	c := &conn{
		st:     st,
		nc:     nc,
		keys:   newKeyGen(st.w.keys, cfg.Seed, stream),
		wbuf:   make([]byte, 0, 64<<10),
		rbuf:   make([]byte, 64<<10),
		picked: make([]int, cfg.Pipeline),
		errs:   make([]int64, len(st.w.templates)),
		nulls:  make([]int64, len(st.w.templates)),
	}
	for range st.w.templates {
		c.hists = append(c.hists, hdrhistogram.New(histMin, histMax, histDigits))
	}
	if err := c.handshake(); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// handshake sends HELLO 3 and AUTH as configured and checks their replies.
func (c *conn) handshake() error {
	cfg := c.st.w.cfg
	var args []string
	switch {
	case cfg.RESP3 && cfg.Password != "":
		args = []string{"HELLO", "3", "AUTH", "default", cfg.Password}
	case cfg.RESP3:
		args = []string{"HELLO", "3"}
	case cfg.Password != "":
		args = []string{"AUTH", cfg.Password}
	default:
		return nil
	}
	req := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		req = fmt.Appendf(req, "$%d\r\n%s\r\n", len(a), a)
	}
	_ = c.nc.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.nc.SetDeadline(time.Time{})
	if _, err := c.nc.Write(req); err != nil {
		return err
	}
	var reply []byte
	buf := make([]byte, 4096)
	for {
		n, kind, err := scanReply(reply)
		if err != nil {
			return err
		}
		if n > 0 {
			if kind == replyError {
				return fmt.Errorf("%s: %s refused: %s", cfg.Addr, args[0], firstLine(reply[1:]))
			}
			if n != len(reply) {
				return fmt.Errorf("%s: unexpected bytes after the %s reply", cfg.Addr, args[0])
			}
			return nil
		}
		m, err := c.nc.Read(buf)
		if err != nil {
			return fmt.Errorf("%s: no answer to %s: %w", cfg.Addr, args[0], err)
		}
		reply = append(reply, buf[:m]...)
	}
}

// loop sends batches until the run ends.
func (c *conn) loop() error {
	w := c.st.w
	var due time.Time
	var every time.Duration
	if w.cfg.Rate > 0 {
		// This connection's share of the rate, one batch of Pipeline requests at a time;
		// the connections start spread over one interval.
		conns := float64(w.cfg.Threads * w.cfg.Clients)
		every = time.Duration(float64(w.cfg.Pipeline) * conns / w.cfg.Rate * float64(time.Second))
		due = time.Now().Add(time.Duration(c.keys.rng.Int64N(int64(every) + 1)))
	}
	for {
		k := c.st.claim(w.cfg.Pipeline)
		if k == 0 {
			return nil
		}
		c.wbuf = c.wbuf[:0]
		keys := 0
		for i := range k {
			c.picked[i] = w.pick(c.keys)
			keys += w.templates[c.picked[i]].Keys
		}
		c.keys.reserve(keys)
		for i := range k {
			c.wbuf = w.templates[c.picked[i]].appendRequest(c.wbuf, w.cfg.KeyPrefix, c.keys, w.values)
		}
		start := time.Now()
		if every > 0 {
			if wait := due.Sub(start); wait > 0 {
				time.Sleep(wait)
			}
			start, due = due, due.Add(every)
		}
		if _, err := c.nc.Write(c.wbuf); err != nil {
			return err
		}
		if err := c.readReplies(k, start); err != nil {
			return err
		}
	}
}

// readReplies reads the k replies of the batch sent at start. Every reply completed by
// one read gets that read's time: one clock call per system call, not per reply.
func (c *conn) readReplies(k int, start time.Time) error {
	var sum int64
	done := 0
	for done < k {
		if c.r == c.w {
			c.r, c.w = 0, 0
		} else if c.w == len(c.rbuf) {
			// A reply larger than what is left of the buffer: make room.
			if c.r > 0 {
				c.w = copy(c.rbuf, c.rbuf[c.r:c.w])
				c.r = 0
			} else {
				c.rbuf = append(c.rbuf, make([]byte, len(c.rbuf))...)
			}
		}
		m, err := c.nc.Read(c.rbuf[c.w:])
		if err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("%s closed the connection", c.st.w.cfg.Addr)
			}
			return err
		}
		c.w += m
		us := max(time.Since(start).Microseconds(), histMin)
		for done < k {
			n, kind, err := scanReply(c.rbuf[c.r:c.w])
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
			t := c.picked[done]
			_ = c.hists[t].RecordValue(min(us, histMax))
			switch kind {
			case replyError:
				if c.errs[t] == 0 && c.firstErr == "" {
					c.firstErr = firstLine(c.rbuf[c.r : c.r+n])
				}
				c.errs[t]++
			case replyNull:
				c.nulls[t]++
			}
			c.r += n
			sum += us
			done++
		}
	}
	c.ops.Add(int64(k))
	c.latencySum.Add(sum)
	return nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\r\n")
	return s
}

// Run runs one workload and returns its result. When progress is not nil it receives a
// line every second ("\r"-terminated, for a terminal). Cancelling ctx ends the run
// early; the result then covers what was done.
func Run(ctx context.Context, cfg Config, progress io.Writer) (*Result, error) {
	w, err := newWorkload(&cfg)
	if err != nil {
		return nil, err
	}
	st := &runState{w: w}
	st.tickets.Store(cfg.Requests)
	conns, err := dialAll(ctx, st, cfg.Threads*cfg.Clients)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, c := range conns {
			c.nc.Close()
		}
	}()

	start := time.Now()
	var wg sync.WaitGroup
	errc := make(chan error, len(conns))
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.loop(); err != nil && !st.stop.Swap(true) {
				errc <- err
				// The others may wait for replies that will not come.
				for _, o := range conns {
					_ = o.nc.SetDeadline(time.Now())
				}
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	runErr := st.watch(ctx, conns, start, finished, progress)
	elapsed := time.Since(start)
	select {
	case err := <-errc:
		return nil, err
	default:
	}
	res := collect(&cfg, w, conns, elapsed)
	return res, runErr
}

// dialAll opens n connections in parallel: a few hundred sequential handshakes would
// take longer than a short run.
func dialAll(ctx context.Context, st *runState, n int) ([]*conn, error) {
	conns := make([]*conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			conns[i], errs[i] = dial(ctx, st, uint64(i))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, c := range conns {
			if c != nil {
				c.nc.Close()
			}
		}
		// One cause is enough: every connection fails the same way.
		for _, e := range errs {
			if e != nil {
				return nil, e
			}
		}
	}
	return conns, nil
}

// watch waits for the run to end: all connections done, the test time up or ctx
// cancelled. It prints the progress line every second meanwhile.
func (s *runState) watch(ctx context.Context, conns []*conn, start time.Time, finished <-chan struct{}, progress io.Writer) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var deadline <-chan time.Time
	if d := s.w.cfg.Duration; d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		deadline = timer.C
	}
	var lastOps, lastLat int64
	lastTime := start
	for {
		select {
		case <-finished:
			if progress != nil {
				fmt.Fprint(progress, "\r\x1b[K")
			}
			return nil
		case <-deadline:
			s.stop.Store(true)
		case <-ctx.Done():
			s.stop.Store(true)
			// Unblock connections waiting for replies that may never come.
			for _, c := range conns {
				_ = c.nc.SetDeadline(time.Now())
			}
			<-finished
			return ctx.Err()
		case now := <-tick.C:
			if progress == nil {
				continue
			}
			var ops, lat int64
			for _, c := range conns {
				ops += c.ops.Load()
				lat += c.latencySum.Load()
			}
			fmt.Fprint(progress, progressLine(s.w.cfg, now.Sub(start), ops, ops-lastOps, now.Sub(lastTime), lat-lastLat))
			lastOps, lastLat, lastTime = ops, lat, now
		}
	}
}

// progressLine is memtier's one-line status: elapsed time, how far along, current and
// average ops/s and the mean latency of the last second.
func progressLine(cfg *Config, elapsed time.Duration, ops, deltaOps int64, delta time.Duration, deltaLat int64) string {
	var done float64
	if cfg.Duration > 0 {
		done = float64(elapsed) / float64(cfg.Duration)
	} else {
		done = float64(ops) / float64(cfg.Requests)
	}
	cur := float64(deltaOps) / delta.Seconds()
	avg := float64(ops) / elapsed.Seconds()
	var lat float64
	if deltaOps > 0 {
		lat = float64(deltaLat) / float64(deltaOps) / 1000
	}
	return fmt.Sprintf("\r\x1b[K[%s %3.0f%%, %3.0f s] %d conns: %d ops, %.0f (avg %.0f) ops/s, %.3f ms mean latency",
		labelOf(cfg), min(done, 1)*100, elapsed.Seconds(), cfg.Threads*cfg.Clients, ops, cur, avg, lat)
}

func labelOf(cfg *Config) string {
	if cfg.Label != "" {
		return cfg.Label
	}
	return cfg.Addr
}
