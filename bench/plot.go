package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// LoadResults reads --json outputs: single results and comparisons (whose runs are
// all taken).
func LoadResults(paths []string) ([]*Result, error) {
	var out []*Result
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var probe struct {
			Rounds *int `json:"rounds"`
		}
		if err := json.Unmarshal(data, &probe); err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", p, err)
		}
		if probe.Rounds != nil {
			var c Comparison
			if err := json.Unmarshal(data, &c); err != nil {
				return nil, fmt.Errorf("cannot read %s: %w", p, err)
			}
			out = append(out, c.A.Runs...)
			out = append(out, c.B.Runs...)
			continue
		}
		var r Result
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", p, err)
		}
		out = append(out, &r)
	}
	return out, nil
}

// series groups results by label and then by pipeline depth, keeping label order.
type series struct {
	labels []string
	runs   map[string]map[int][]*Result
}

func groupResults(results []*Result) *series {
	s := &series{runs: map[string]map[int][]*Result{}}
	for _, r := range results {
		byDepth, ok := s.runs[r.Label]
		if !ok {
			byDepth = map[int][]*Result{}
			s.runs[r.Label] = byDepth
			s.labels = append(s.labels, r.Label)
		}
		byDepth[r.Workload.Pipeline] = append(byDepth[r.Workload.Pipeline], r)
	}
	return s
}

// Plot draws throughput-pipeline.png (median ops/s against pipeline depth, one line per
// label) and latency-pipeline-N.png for each depth in latencyDepths that has results
// (median latency at each percentile, on a scale where every "nine" takes the same
// width). It returns the files written.
func Plot(results []*Result, outDir string, latencyDepths []int) ([]string, error) {
	if len(results) == 0 {
		return nil, fmt.Errorf("no results to plot")
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	s := groupResults(results)
	var files []string
	p, err := throughputChart(s)
	if err != nil {
		return nil, err
	}
	name := filepath.Join(outDir, "throughput-pipeline.png")
	if err := p.Save(16*vg.Centimeter, 10*vg.Centimeter, name); err != nil {
		return nil, err
	}
	files = append(files, name)
	for _, depth := range latencyDepths {
		p, ok, err := latencyChart(s, depth)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		name := filepath.Join(outDir, fmt.Sprintf("latency-pipeline-%d.png", depth))
		if err := p.Save(16*vg.Centimeter, 10*vg.Centimeter, name); err != nil {
			return nil, err
		}
		files = append(files, name)
	}
	return files, nil
}

func throughputChart(s *series) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Throughput against pipeline depth"
	p.X.Label.Text = "pipeline depth (requests in flight per connection)"
	p.Y.Label.Text = "ops/s"
	p.X.Scale = plot.LogScale{}
	p.Legend.Top = true
	p.Legend.Left = true
	var lines []any
	depthSet := map[int]bool{}
	for _, label := range s.labels {
		byDepth := s.runs[label]
		var depths []int
		for d := range byDepth {
			depths = append(depths, d)
			depthSet[d] = true
		}
		slices.Sort(depths)
		pts := make(plotter.XYs, len(depths))
		for i, d := range depths {
			pts[i].X = float64(d)
			pts[i].Y = medianMetric(byDepth[d], func(r *Result) float64 { return r.Totals.OpsPerSec })
		}
		lines = append(lines, label, pts)
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return nil, err
	}
	var ticks plot.ConstantTicks
	for d := range depthSet {
		ticks = append(ticks, plot.Tick{Value: float64(d), Label: strconv.Itoa(d)})
	}
	slices.SortFunc(ticks, func(a, b plot.Tick) int { return int(a.Value - b.Value) })
	p.X.Tick.Marker = ticks
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	return p, nil
}

// nines maps a percentile to the number of nines it has (90 -> 1, 99 -> 2, 99.9 -> 3),
// the usual x axis of latency-by-percentile plots.
func nines(percentile float64) float64 { return -math.Log10(1 - percentile/100) }

func latencyChart(s *series, depth int) (*plot.Plot, bool, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Latency by percentile, pipeline %d", depth)
	p.X.Label.Text = "percentile"
	p.Y.Label.Text = "latency (ms)"
	p.Legend.Top = true
	p.Legend.Left = true
	var lines []any
	for _, label := range s.labels {
		runs := s.runs[label][depth]
		if len(runs) == 0 || len(runs[0].Totals.Latency.Percentiles) == 0 {
			continue
		}
		var pts plotter.XYs
		for i, pt := range runs[0].Totals.Latency.Percentiles {
			if pt.Percentile <= 0 || pt.Percentile >= 100 {
				continue // 0 and 100 sit at minus and plus infinity on this axis
			}
			ms := medianMetric(runs, func(r *Result) float64 {
				if i < len(r.Totals.Latency.Percentiles) {
					return r.Totals.Latency.Percentiles[i].Ms
				}
				return 0
			})
			pts = append(pts, plotter.XY{X: nines(pt.Percentile), Y: ms})
		}
		lines = append(lines, fmt.Sprintf("%s (%d conns)", label, runs[0].Workload.Threads*runs[0].Workload.Clients), pts)
	}
	if len(lines) == 0 {
		return nil, false, nil
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return nil, false, err
	}
	var ticks plot.ConstantTicks
	for _, pc := range []float64{50, 90, 99, 99.9, 99.99, 99.999} {
		ticks = append(ticks, plot.Tick{Value: nines(pc), Label: strconv.FormatFloat(pc, 'f', -1, 64) + "%"})
	}
	p.X.Tick.Marker = ticks
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	return p, true, nil
}

func medianMetric(runs []*Result, f func(*Result) float64) float64 {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	return median(v)
}
