package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
)

// Comparison is the outcome of Compare: every run of both servers, the median of each
// metric over the rounds, and the ratio of A's median to B's.
type Comparison struct {
	Rounds int         `json:"rounds"`
	A      CompareSide `json:"a"`
	B      CompareSide `json:"b"`
	// Ratio is A/B for each metric: above 1 means A has more throughput, or more
	// latency.
	Ratio Summary `json:"ratio"`
}

// CompareSide is one server's runs and their medians.
type CompareSide struct {
	Label  string    `json:"label"`
	Server string    `json:"server"`
	Runs   []*Result `json:"runs"`
	Median Summary   `json:"median"`
}

// Summary is the handful of numbers a comparison reports per server.
type Summary struct {
	OpsPerSec float64 `json:"ops_per_sec"`
	P50       float64 `json:"p50_ms"`
	P99       float64 `json:"p99_ms"`
	P999      float64 `json:"p99.9_ms"`
	Max       float64 `json:"max_ms"`
}

// Compare runs the workload against a (cfg.Addr) and b alternately, A B A B, for
// rounds rounds, so that slow drifts of the machine (thermal throttling, a neighbour's
// job) hit both servers alike. after, when not nil, sees each run as it finishes.
func Compare(ctx context.Context, cfg Config, b, labelB string, rounds int, progress io.Writer, after func(*Result)) (*Comparison, error) {
	if rounds < 1 {
		return nil, fmt.Errorf("rounds must be at least 1")
	}
	cfgB := cfg
	cfgB.Addr, cfgB.Label = b, labelB
	cmp := &Comparison{Rounds: rounds}
	cmp.A.Label, cmp.A.Server = labelOf(&cfg), cfg.Addr
	cmp.B.Label, cmp.B.Server = labelOf(&cfgB), cfgB.Addr
	for range rounds {
		for _, side := range []struct {
			cfg  *Config
			into *CompareSide
		}{{&cfg, &cmp.A}, {&cfgB, &cmp.B}} {
			res, err := Run(ctx, *side.cfg, progress)
			if err != nil {
				return nil, err
			}
			side.into.Runs = append(side.into.Runs, res)
			if after != nil {
				after(res)
			}
		}
	}
	cmp.A.Median = medianOf(cmp.A.Runs)
	cmp.B.Median = medianOf(cmp.B.Runs)
	a, bm := cmp.A.Median, cmp.B.Median
	cmp.Ratio = Summary{
		OpsPerSec: ratio(a.OpsPerSec, bm.OpsPerSec),
		P50:       ratio(a.P50, bm.P50),
		P99:       ratio(a.P99, bm.P99),
		P999:      ratio(a.P999, bm.P999),
		Max:       ratio(a.Max, bm.Max),
	}
	return cmp, nil
}

// medianOf takes each metric's median on its own: the run with the median throughput
// need not be the one with the median p99.
func medianOf(runs []*Result) Summary {
	pick := func(f func(*Result) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		return median(v)
	}
	return Summary{
		OpsPerSec: pick(func(r *Result) float64 { return r.Totals.OpsPerSec }),
		P50:       pick(func(r *Result) float64 { return r.Totals.Latency.P50 }),
		P99:       pick(func(r *Result) float64 { return r.Totals.Latency.P99 }),
		P999:      pick(func(r *Result) float64 { return r.Totals.Latency.P999 }),
		Max:       pick(func(r *Result) float64 { return r.Totals.Latency.Max }),
	}
}

// median of v; the mean of the two middle values for an even count.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// sanitize replaces the NaN of a ratio with a zero divisor by 0, because encoding/json
// refuses NaN.
func (c *Comparison) sanitize() {
	for _, f := range []*float64{&c.Ratio.OpsPerSec, &c.Ratio.P50, &c.Ratio.P99, &c.Ratio.P999, &c.Ratio.Max} {
		if math.IsNaN(*f) || math.IsInf(*f, 0) {
			*f = 0
		}
	}
}

// WriteJSON writes the comparison as indented JSON.
func (c *Comparison) WriteJSON(out io.Writer) error {
	c.sanitize()
	return WriteJSON(out, c)
}

// WriteText writes the medians of both servers and their ratio as a table.
func (c *Comparison) WriteText(out io.Writer) error {
	fmt.Fprintf(out, "medians of %d rounds (A B A B ...)\n", c.Rounds)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tOps/sec\tp50 ms\tp99 ms\tp99.9 ms\tMax ms\t")
	row := func(name string, s Summary, ops, lat string) {
		fmt.Fprintf(tw, "%s\t"+ops+"\t"+lat+"\t"+lat+"\t"+lat+"\t"+lat+"\t\n",
			name, s.OpsPerSec, s.P50, s.P99, s.P999, s.Max)
	}
	row("A "+c.A.Label, c.A.Median, "%.0f", "%.3f")
	row("B "+c.B.Label, c.B.Median, "%.0f", "%.3f")
	row("A/B", c.Ratio, "%.2f", "%.2f")
	return tw.Flush()
}
