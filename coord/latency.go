package coord

import (
	"fmt"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/basaltdb/basalt/proto"
)

// Latency observation: per-command latency histograms (INFO latencystats, LATENCY
// HISTOGRAM, the Prometheus histograms) and the latency monitor (LATENCY LATEST,
// HISTORY, RESET, DOCTOR).
//
// Histograms live per loop and per command, written only by their loop with no atomics;
// readers copy them by posting to every loop (snapshotLoops, the metrics collector) and
// merge the copies. The latency monitor is server-wide behind a mutex: it records only
// events slower than latency-monitor-threshold, which are rare by definition.

// Histogram layout: log-linear, like HdrHistogram with about 6% precision. Values are
// nanoseconds. Values below 32 have a bucket each; above, every power of two is split
// into 16 equal sub-buckets, so a bucket's index is exponent*16 + the top five bits.
const (
	histSubBits = 4
	histSub     = 1 << histSubBits
	histBuckets = (64-histSubBits)*histSub + 2*histSub
)

// latencyHist counts one command's durations on one loop. Owner: that loop. Cost: 8 KB,
// allocated on the command's first call on the loop; observe is a few arithmetic
// operations and one increment.
type latencyHist struct {
	counts [histBuckets]uint64
	total  uint64
}

// histIndex is the bucket of a duration of ns nanoseconds.
func histIndex(ns uint64) int {
	if ns < 2*histSub {
		return int(ns)
	}
	e := bits.Len64(ns) - histSubBits - 1
	return e*histSub + int(ns>>e)
}

// histUpper is the largest value bucket i holds.
func histUpper(i int) uint64 {
	if i < 2*histSub {
		return uint64(i)
	}
	e := i/histSub - 1
	m := uint64(i - e*histSub)
	return (m+1)<<e - 1
}

func (h *latencyHist) observe(d time.Duration) {
	ns := uint64(max(d, 0))
	h.counts[histIndex(ns)]++
	h.total++
}

func (h *latencyHist) merge(o *latencyHist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
}

// percentile returns the upper bound, in nanoseconds, of the bucket holding the p-th
// percentile (0 < p <= 100), as HdrHistogram reports "highest equivalent value".
func (h *latencyHist) percentile(p float64) uint64 {
	if h.total == 0 {
		return 0
	}
	rank := uint64(p/100*float64(h.total) + 0.5)
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return histUpper(i)
		}
	}
	return histUpper(histBuckets - 1)
}

// cumulativeAt returns how many durations were at most ns nanoseconds; ns must be a
// bucket boundary (a power of two minus one is).
func (h *latencyHist) cumulativeAt(ns uint64) uint64 {
	var n uint64
	for i, c := range h.counts {
		if histUpper(i) > ns {
			break
		}
		n += c
	}
	return n
}

// observe records a command's duration in this loop's histogram for it.
func (ls *loopState) observe(cmd *Command, d time.Duration) {
	if ls.hists == nil {
		ls.hists = make([]*latencyHist, len(all))
	}
	h := ls.hists[cmd.id]
	if h == nil {
		h = new(latencyHist)
		ls.hists[cmd.id] = h
	}
	h.observe(d)
}

// copyHists copies the loop's histograms; it runs on the loop.
func (ls *loopState) copyHists() map[int]*latencyHist {
	out := make(map[int]*latencyHist)
	for id, h := range ls.hists {
		if h != nil && h.total > 0 {
			c := *h
			out[id] = &c
		}
	}
	return out
}

// mergeHists sums per-loop histogram copies by command id.
func mergeHists(parts []map[int]*latencyHist) map[int]*latencyHist {
	out := make(map[int]*latencyHist)
	for _, p := range parts {
		for id, h := range p {
			if have := out[id]; have != nil {
				have.merge(h)
			} else {
				c := *h
				out[id] = &c
			}
		}
	}
	return out
}

// sortedIDs returns the command ids of hs in command-table order.
func sortedIDs(hs map[int]*latencyHist) []int {
	ids := make([]int, 0, len(hs))
	for id := range hs {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// latencyStatsLine is one INFO latencystats line:
// latency_percentiles_usec_<cmd>:p50=1.003,p99=2.007,p99.9=2.007
func latencyStatsLine(name string, h *latencyHist, percentiles []float64) string {
	var b strings.Builder
	b.WriteString("latency_percentiles_usec_")
	b.WriteString(name)
	b.WriteByte(':')
	for i, p := range percentiles {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("p" + strconv.FormatFloat(p, 'f', -1, 64) + "=")
		b.WriteString(strconv.FormatFloat(float64(h.percentile(p))/1000, 'f', 3, 64))
	}
	return b.String()
}

// parsePercentiles parses latency-tracking-info-percentiles: numbers within [0, 100].
func parsePercentiles(list []string) ([]float64, error) {
	out := make([]float64, 0, len(list))
	for _, s := range list {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || f > 100 {
			return nil, fmt.Errorf("latency-tracking-info-percentiles: %q is not a percentile between 0 and 100", s)
		}
		out = append(out, f)
	}
	return out, nil
}

// latencyMonitor keeps the latest samples of each latency event (LATENCY LATEST and
// HISTORY): one sample per second, the largest of that second.
//
// Concurrency: any loop records into it under mu; recording happens only for events
// slower than the threshold.
type latencyMonitor struct {
	mu     sync.Mutex
	events map[string]*latencySeries
}

// latencySamples is how many samples each event keeps, as in Redis.
const latencySamples = 160

type latencySample struct {
	at int64 // Unix seconds
	ms int64
}

// latencySeries is one event's ring of samples plus its all-time maximum.
type latencySeries struct {
	samples [latencySamples]latencySample
	next    int
	n       int
	max     int64
}

// record adds a sample of ms milliseconds for event at time now.
func (m *latencyMonitor) record(event string, ms int64, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = map[string]*latencySeries{}
	}
	s := m.events[event]
	if s == nil {
		s = &latencySeries{}
		m.events[event] = s
	}
	s.max = max(s.max, ms)
	sec := now.Unix()
	if s.n > 0 {
		last := &s.samples[(s.next+latencySamples-1)%latencySamples]
		if last.at == sec {
			last.ms = max(last.ms, ms)
			return
		}
	}
	s.samples[s.next] = latencySample{at: sec, ms: ms}
	s.next = (s.next + 1) % latencySamples
	s.n = min(s.n+1, latencySamples)
}

// history returns event's samples, oldest first.
func (s *latencySeries) history() []latencySample {
	out := make([]latencySample, 0, s.n)
	for i := 0; i < s.n; i++ {
		out = append(out, s.samples[(s.next-s.n+i+2*latencySamples)%latencySamples])
	}
	return out
}

// eventNames returns the recorded event names, sorted.
func (m *latencyMonitor) eventNames() []string {
	names := make([]string, 0, len(m.events))
	for n := range m.events {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// recordLatency feeds the latency monitor with a command that took d, when the monitor
// is on and d reaches its threshold. Fast commands are a separate event, as in Redis.
func (o *observer) recordLatency(cmd *Command, d time.Duration) {
	event := "command"
	if cmd.Flags&FlagFast != 0 {
		event = "fast-command"
	}
	o.recordEvent(event, d)
}

// recordEvent feeds the latency monitor with an event that took d ("command",
// "expire-cycle", ...), when the monitor is on and d reaches its threshold.
func (o *observer) recordEvent(event string, d time.Duration) {
	th := o.monitorThresholdMs.Load()
	if th <= 0 {
		return
	}
	if ms := d.Milliseconds(); ms >= th {
		o.latency.record(event, ms, time.Now())
	}
}

// LATENCY LATEST
func latencyLatestCmd(cl *client, _ [][]byte, w *proto.Writer) {
	m := &cl.srv.obs.latency
	m.mu.Lock()
	defer m.mu.Unlock()
	names := m.eventNames()
	w.Array(len(names))
	for _, n := range names {
		s := m.events[n]
		last := s.samples[(s.next+latencySamples-1)%latencySamples]
		w.Array(4)
		w.BulkString(n)
		w.Int(last.at)
		w.Int(last.ms)
		w.Int(s.max)
	}
}

// LATENCY HISTORY event
func latencyHistoryCmd(cl *client, args [][]byte, w *proto.Writer) {
	m := &cl.srv.obs.latency
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.events[string(args[2])]
	if s == nil {
		w.Array(0)
		return
	}
	h := s.history()
	w.Array(len(h))
	for _, sm := range h {
		w.Array(2)
		w.Int(sm.at)
		w.Int(sm.ms)
	}
}

// LATENCY RESET [event ...]
func latencyResetCmd(cl *client, args [][]byte, w *proto.Writer) {
	m := &cl.srv.obs.latency
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	if len(args) == 2 {
		n = len(m.events)
		m.events = nil
	} else {
		for _, a := range args[2:] {
			if _, ok := m.events[string(a)]; ok {
				delete(m.events, string(a))
				n++
			}
		}
	}
	w.Int(int64(n))
}

// LATENCY HISTOGRAM [command ...]
//
// For each command with calls, its call count and a cumulative histogram in powers of
// two of microseconds, listing only the buckets where the count grows.
func latencyHistogramCmd(cl *client, args [][]byte, _ *proto.Writer) {
	var only map[int]bool
	if len(args) > 2 {
		only = map[int]bool{}
		for _, a := range args[2:] {
			// Unknown names are skipped; a container command names all its subcommands.
			c := lookupName(string(a))
			if c == nil {
				continue
			}
			if len(c.Subs) > 0 {
				for _, s := range c.Subs {
					only[s.id] = true
				}
			}
			only[c.id] = true
		}
	}
	parts := make([]map[int]*latencyHist, cl.srv.n)
	srv := cl.srv
	own := cl.loop.idx
	cl.fanoutWith(srv.n, func(ack func(int)) {
		// This loop's histograms are read now, before this call is counted: as in Redis,
		// LATENCY HISTOGRAM does not report itself.
		parts[own] = cl.loop.copyHists()
		ack(own)
		for i := 0; i < srv.n; i++ {
			if i == own {
				continue
			}
			i := i
			srv.run(i, func() {
				parts[i] = srv.loops[i].copyHists()
				ack(i)
			})
		}
	}, func(w *proto.Writer) {
		hs := mergeHists(parts)
		ids := sortedIDs(hs)
		if only != nil {
			kept := ids[:0]
			for _, id := range ids {
				if only[id] {
					kept = append(kept, id)
				}
			}
			ids = kept
		}
		w.Map(len(ids))
		for _, id := range ids {
			h := hs[id]
			w.BulkString(all[id].FullName())
			w.Map(2)
			w.BulkString("calls")
			w.Int(int64(h.total))
			w.BulkString("histogram_usec")
			writeCDF(w, h)
		}
	})
}

// writeCDF writes h as (bucket upper bound in µs, cumulative count) pairs over power of
// two buckets starting at 1 µs (1024 ns), only where the count grows.
func writeCDF(w *proto.Writer, h *latencyHist) {
	type point struct{ usec, count int64 }
	var pts []point
	var prev uint64
	for e := 10; e < 64 && prev < h.total; e++ {
		bound := uint64(1)<<e - 1
		c := h.cumulativeAt(bound)
		if c > prev {
			pts = append(pts, point{int64((bound + 1) / 1000), int64(c)})
		}
		prev = c
	}
	w.Map(len(pts))
	for _, p := range pts {
		w.Int(p.usec)
		w.Int(p.count)
	}
}

// lookupName finds a command or "parent|sub" subcommand by name, any case.
func lookupName(name string) *Command {
	name = strings.ToLower(name)
	parent, sub, ok := strings.Cut(name, "|")
	c := byName[parent]
	if c == nil || !ok {
		return c
	}
	return lookupSub(c, []byte(sub))
}

// LATENCY DOCTOR
//
// A plain report of the recorded events, in our words.
func latencyDoctorCmd(cl *client, _ [][]byte, w *proto.Writer) {
	m := &cl.srv.obs.latency
	m.mu.Lock()
	var b strings.Builder
	names := m.eventNames()
	if cl.srv.obs.monitorThresholdMs.Load() <= 0 {
		b.WriteString("The latency monitor is off: set latency-monitor-threshold to a number of milliseconds (CONFIG SET latency-monitor-threshold 100) to record events slower than that.\n")
	} else if len(names) == 0 {
		b.WriteString("No latency spike was recorded since the monitor was started or last reset.\n")
	} else {
		b.WriteString("Latency spikes recorded:\n\n")
		for i, n := range names {
			s := m.events[n]
			var sum int64
			h := s.history()
			for _, sm := range h {
				sum += sm.ms
			}
			fmt.Fprintf(&b, "%d. %s: %d spikes, average %dms, worst %dms.\n", i+1, n, len(h), sum/int64(len(h)), s.max)
		}
		b.WriteString("\nSLOWLOG GET lists the slow commands; large values deleted or expired at once also block a shard.\n")
	}
	m.mu.Unlock()
	w.Verbatim("txt", b.String())
}

// LATENCY HELP
func latencyHelpCmd(_ *client, _ [][]byte, w *proto.Writer) {
	helpReply(w, "LATENCY", []string{
		"DOCTOR", "    Return a human readable latency analysis report.",
		"HISTORY <event>", "    Return time-latency samples for the <event> class.",
		"LATEST", "    Return the latest latency samples for all events.",
		"RESET [<event> ...]", "    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]", "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
	})
}

// observer is the server-wide state of the slow log, the latency monitor and MONITOR,
// and the mirrors of their configuration that loops read on every command.
//
// Concurrency: the atomics are written by applySettings; slow and latency have their
// own mutexes; monitors is described in monitor.go.
type observer struct {
	tracking           atomic.Bool
	slowerThanUs       atomic.Int64
	slowMaxLen         atomic.Int64
	monitorThresholdMs atomic.Int64
	percentiles        atomic.Pointer[[]float64]

	slow     slowlog
	latency  latencyMonitor
	monitors monitorSet
}

// apply mirrors the configuration; it runs with c.mu held (see Config.OnChange).
func (o *observer) apply(c *Config) {
	o.tracking.Store(c.LatencyTracking)
	o.slowerThanUs.Store(c.SlowlogLogSlowerThan)
	o.slowMaxLen.Store(c.SlowlogMaxLen)
	o.slow.trim(int(c.SlowlogMaxLen))
	o.monitorThresholdMs.Store(c.LatencyMonitorThreshold)
	p, err := parsePercentiles(c.LatencyTrackingInfoPercentiles)
	if err == nil {
		o.percentiles.Store(&p)
	}
}

// latencyStats writes INFO latencystats: the configured percentiles of every command
// with calls, in microseconds.
func (s *Server) latencyStats(b *strings.Builder, snaps []loopSnapshot) {
	parts := make([]map[int]*latencyHist, len(snaps))
	for i := range snaps {
		parts[i] = snaps[i].hists
	}
	hs := mergeHists(parts)
	var pct []float64
	if p := s.obs.percentiles.Load(); p != nil {
		pct = *p
	}
	for _, id := range sortedIDs(hs) {
		b.WriteString(latencyStatsLine(all[id].FullName(), hs[id], pct))
		b.WriteString("\r\n")
	}
}
