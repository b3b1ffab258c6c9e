package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Result is what one run measured. Its JSON form is the --json output and the input of
// the charts; field names are part of that interface.
type Result struct {
	Label    string         `json:"label"`
	Server   string         `json:"server"`
	Workload WorkloadInfo   `json:"workload"`
	Seconds  float64        `json:"seconds"`
	Commands []CommandStats `json:"commands"`
	Totals   CommandStats   `json:"totals"`
	// PerConn is how the operations spread over the connections. Every connection
	// draws from one pool of requests, so a server that serves some connections less
	// often than others (a hop that is slower than a local run, say) shows a low
	// minimum here even when its total throughput looks fine.
	PerConn ConnSpread `json:"ops_per_connection"`
	// FirstError is the first error reply seen, if any: a wrong template or a server
	// that does not know the command shows up here rather than as a fast run.
	FirstError string `json:"first_error,omitempty"`
}

// WorkloadInfo records the settings a result was measured with.
type WorkloadInfo struct {
	Threads    int     `json:"threads"`
	Clients    int     `json:"clients"`
	Pipeline   int     `json:"pipeline"`
	Requests   int64   `json:"requests,omitempty"`
	TestTime   float64 `json:"test_time_seconds,omitempty"`
	Rate       float64 `json:"rate,omitempty"`
	KeyPattern string  `json:"key_pattern"`
	KeyMin     int64   `json:"key_min"`
	KeyMax     int64   `json:"key_max"`
	DataMin    int     `json:"data_size_min"`
	DataMax    int     `json:"data_size_max"`
	RESP3      bool    `json:"resp3,omitempty"`
}

// CommandStats are the counters and latency of one command template (or of all).
type CommandStats struct {
	Command   string  `json:"command"`
	Ops       int64   `json:"ops"`
	OpsPerSec float64 `json:"ops_per_sec"`
	Errors    int64   `json:"errors"`
	// Nulls counts null replies: the misses of GET.
	Nulls   int64   `json:"nulls"`
	Latency Latency `json:"latency_ms"`
}

// ConnSpread is the smallest, median and largest operation count of one connection.
type ConnSpread struct {
	Min    int64 `json:"min"`
	Median int64 `json:"median"`
	Max    int64 `json:"max"`
}

func spreadOf(conns []*conn) ConnSpread {
	if len(conns) == 0 {
		return ConnSpread{}
	}
	ops := make([]int64, len(conns))
	for i, c := range conns {
		ops[i] = c.ops.Load()
	}
	slices.Sort(ops)
	return ConnSpread{Min: ops[0], Median: ops[len(ops)/2], Max: ops[len(ops)-1]}
}

// Latency is a latency distribution in milliseconds.
type Latency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99.9"`
	Max  float64 `json:"max"`
	// Percentiles is the distribution at fixed points, for latency-by-percentile plots.
	Percentiles []Percentile `json:"percentiles"`
}

// Percentile is one point of a latency distribution.
type Percentile struct {
	Percentile float64 `json:"percentile"`
	Ms         float64 `json:"ms"`
}

// distributionPoints are the percentiles kept in Latency.Percentiles.
var distributionPoints = []float64{0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100}

func latencyOf(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	l := Latency{
		Mean: h.Mean() / 1000,
		P50:  ms(h.ValueAtPercentile(50)),
		P90:  ms(h.ValueAtPercentile(90)),
		P99:  ms(h.ValueAtPercentile(99)),
		P999: ms(h.ValueAtPercentile(99.9)),
		Max:  ms(h.Max()),
	}
	for _, p := range distributionPoints {
		v := h.ValueAtPercentile(p)
		if p == 100 {
			v = h.Max()
		}
		l.Percentiles = append(l.Percentiles, Percentile{Percentile: p, Ms: ms(v)})
	}
	return l
}

// collect merges the connections' histograms and counters into a Result.
func collect(cfg *Config, w *workload, conns []*conn, elapsed time.Duration) *Result {
	secs := elapsed.Seconds()
	res := &Result{
		Label:  labelOf(cfg),
		Server: cfg.Addr,
		Workload: WorkloadInfo{
			Threads: cfg.Threads, Clients: cfg.Clients, Pipeline: cfg.Pipeline,
			KeyPattern: cfg.Keys.Pattern.String(), KeyMin: cfg.Keys.Min, KeyMax: cfg.Keys.Max,
			DataMin: cfg.DataMin, DataMax: cfg.DataMax, RESP3: cfg.RESP3, Rate: cfg.Rate,
		},
		Seconds: secs,
	}
	if cfg.Duration > 0 {
		res.Workload.TestTime = cfg.Duration.Seconds()
	} else {
		res.Workload.Requests = cfg.Requests
	}
	total := hdrhistogram.New(histMin, histMax, histDigits)
	res.Totals.Command = "Totals"
	for i, t := range w.templates {
		h := hdrhistogram.New(histMin, histMax, histDigits)
		cs := CommandStats{Command: t.Text}
		for _, c := range conns {
			h.Merge(c.hists[i])
			cs.Errors += c.errs[i]
			cs.Nulls += c.nulls[i]
		}
		total.Merge(h)
		cs.Ops = h.TotalCount()
		cs.OpsPerSec = float64(cs.Ops) / secs
		cs.Latency = latencyOf(h)
		res.Commands = append(res.Commands, cs)
		res.Totals.Errors += cs.Errors
		res.Totals.Nulls += cs.Nulls
	}
	for _, c := range conns {
		if c.firstErr != "" {
			res.FirstError = c.firstErr
			break
		}
	}
	res.Totals.Ops = total.TotalCount()
	res.Totals.OpsPerSec = float64(res.Totals.Ops) / secs
	res.Totals.Latency = latencyOf(total)
	res.PerConn = spreadOf(conns)
	return res
}

// WriteJSON writes v (a Result or a Comparison) as indented JSON.
func WriteJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteText writes a memtier-like table: one row per command and a Totals row.
func (r *Result) WriteText(out io.Writer) error {
	wl := r.Workload
	amount := fmt.Sprintf("%d requests", wl.Requests)
	if wl.TestTime > 0 {
		amount = fmt.Sprintf("%gs", wl.TestTime)
	}
	if wl.Rate > 0 {
		amount += fmt.Sprintf(" at %.0f/s", wl.Rate)
	}
	fmt.Fprintf(out, "%s (%s): %d threads x %d clients, pipeline %d, %s, %s keys %d-%d, values %s bytes, %.2fs\n",
		r.Label, r.Server, wl.Threads, wl.Clients, wl.Pipeline, amount, wl.KeyPattern, wl.KeyMin, wl.KeyMax,
		sizeRange(wl.DataMin, wl.DataMax), r.Seconds)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	rows := r.Commands
	if len(rows) > 1 {
		rows = append(rows[:len(rows):len(rows)], r.Totals)
	}
	width := len("Command")
	for _, c := range rows {
		width = max(width, len(shorten(c.Command, 40)))
	}
	fmt.Fprintf(tw, "%-*s\tOps/sec\tAvg ms\tp50 ms\tp99 ms\tp99.9 ms\tMax ms\tNulls\tErrors\t\n", width, "Command")
	for _, c := range rows {
		l := c.Latency
		fmt.Fprintf(tw, "%-*s\t%.0f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%d\t%d\t\n",
			width, shorten(c.Command, 40), c.OpsPerSec, l.Mean, l.P50, l.P99, l.P999, l.Max, c.Nulls, c.Errors)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	p := r.PerConn
	fmt.Fprintf(out, "ops per connection: min %d, median %d, max %d\n", p.Min, p.Median, p.Max)
	if r.FirstError != "" {
		_, err := fmt.Fprintf(out, "first error reply: %s\n", r.FirstError)
		return err
	}
	return nil
}

func sizeRange(lo, hi int) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d-%d", lo, hi)
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
