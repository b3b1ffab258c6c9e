// Command basalt-benchmark is a memtier-style load generator for any server that speaks
// RESP: Basalt, redis-server or anything else.
//
//	basalt-benchmark -p 6379 --threads 2 --clients 25 --pipeline 16 --ratio 1:10
//	basalt-benchmark --command "LPUSH list:__key__ __data__" --test-time 10s
//	basalt-benchmark -p 7000 --compare 127.0.0.1:6379 --rounds 5 --json
//	basalt-benchmark plot --out bench/results bench/results/*.json
//
// The flags go into a bench.Config; the work is done by package bench.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/basaltdb/basalt/bench"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintf(os.Stderr, "basalt-benchmark: %v\n", err)
		os.Exit(1)
	}
}

func newApp() *cli.App {
	def := bench.DefaultConfig()
	return &cli.App{
		Writer:    os.Stdout,
		ErrWriter: os.Stderr,
		Name:      "basalt-benchmark",
		Usage:     "load generator for Redis-compatible servers (memtier-style)",
		Version:   version,
		Description: "Opens threads x clients connections, keeps --pipeline requests in flight on each and\n" +
			"reports throughput and HdrHistogram latency percentiles. Command templates take the\n" +
			"placeholders __key__ (prefix + 12-digit key number), __data__ (a value of --data-size\n" +
			"bytes) and __rand_int__ (the key number alone, as in redis-benchmark); each occurrence\n" +
			"draws anew.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "server", Aliases: []string{"s", "host"}, Value: "127.0.0.1", Usage: "server `HOST`"},
			&cli.IntFlag{Name: "port", Aliases: []string{"p"}, Value: 6379, Usage: "server `PORT`"},
			&cli.StringFlag{Name: "label", Usage: "name of the server in reports (default HOST:PORT)"},
			&cli.StringFlag{Name: "auth", Aliases: []string{"a"}, Usage: "`PASSWORD` sent with AUTH on connect"},
			&cli.IntFlag{Name: "resp", Value: 2, Usage: "protocol `VERSION` (3 sends HELLO 3 first)"},
			&cli.IntFlag{Name: "threads", Aliases: []string{"t"}, Value: def.Threads, Usage: "OS threads running the load (GOMAXPROCS)"},
			&cli.IntFlag{Name: "clients", Aliases: []string{"c"}, Value: def.Clients, Usage: "connections per thread"},
			&cli.IntFlag{Name: "pipeline", Aliases: []string{"P"}, Value: def.Pipeline, Usage: "requests in flight per connection"},
			&cli.Int64Flag{Name: "requests", Aliases: []string{"n"}, Value: def.Requests, Usage: "total requests over all connections"},
			&cli.StringFlag{Name: "test-time", Usage: "run for `DURATION` (\"10s\", or seconds) instead of a request count"},
			&cli.Float64Flag{Name: "rate", Usage: "send `N` requests per second in all (open loop; latency counts from when a batch was due); 0: as fast as replies come"},
			&cli.StringFlag{Name: "ratio", Value: "1:10", Usage: "`SET:GET` ratio of the default workload"},
			&cli.StringSliceFlag{Name: "command", Usage: "command `TEMPLATE` (repeatable; replaces --ratio)"},
			&cli.StringFlag{Name: "command-ratio", Usage: "weights of the --command templates, e.g. 1:9 (default equal)"},
			&cli.StringFlag{Name: "key-pattern", Value: "uniform", Usage: "uniform, sequential, gaussian or zipf"},
			&cli.Int64Flag{Name: "key-min", Value: def.Keys.Min, Usage: "smallest key number"},
			&cli.Int64Flag{Name: "key-max", Value: def.Keys.Max, Usage: "largest key number"},
			&cli.StringFlag{Name: "key-prefix", Value: def.KeyPrefix, Usage: "text before the key number"},
			&cli.Float64Flag{Name: "key-median", Usage: "centre of the gaussian pattern (default: middle of the range)"},
			&cli.Float64Flag{Name: "key-stddev", Usage: "standard deviation of the gaussian pattern (default: range/6)"},
			&cli.Float64Flag{Name: "zipf-exp", Value: 0.99, Usage: "exponent of the zipf pattern (not 1)"},
			&cli.StringFlag{Name: "data-size", Aliases: []string{"d"}, Value: "32", Usage: "value `SIZE` in bytes, or a range MIN-MAX"},
			&cli.Uint64Flag{Name: "seed", Value: def.Seed, Usage: "random seed"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
			&cli.StringFlag{Name: "compare", Usage: "also run against `HOST:PORT`, alternating A B A B, and print medians and A/B"},
			&cli.StringFlag{Name: "compare-label", Usage: "name of the --compare server in reports"},
			&cli.IntFlag{Name: "rounds", Value: 3, Usage: "rounds of --compare"},
			&cli.BoolFlag{Name: "hide-progress", Usage: "no progress line (it is shown only on a terminal anyway)"},
		},
		Action: run,
		Commands: []*cli.Command{{
			Name:      "plot",
			Usage:     "draw PNG charts from --json results",
			ArgsUsage: "RESULT.json...",
			Description: "Throughput against pipeline depth (one line per label) and latency by percentile\n" +
				"(one chart per pipeline depth in --latency-pipelines).",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "out", Value: "bench/results", Usage: "output `DIR`"},
				&cli.StringFlag{Name: "latency-pipelines", Value: "1,16", Usage: "pipeline depths to draw latency charts for"},
			},
			Action: plot,
		}},
	}
}

func run(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", c.Args().First())
	}
	cfg, err := configFrom(c)
	if err != nil {
		return err
	}
	runtime.GOMAXPROCS(cfg.Threads)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var progress io.Writer
	if f, ok := c.App.ErrWriter.(*os.File); ok && !c.Bool("hide-progress") && isTerminal(f) {
		progress = f
	}
	if other := c.String("compare"); other != "" {
		return compare(ctx, c, cfg, other, progress)
	}
	res, err := bench.Run(ctx, cfg, progress)
	if res == nil {
		return err
	}
	if c.Bool("json") {
		if werr := bench.WriteJSON(c.App.Writer, res); werr != nil {
			return werr
		}
	} else if werr := res.WriteText(c.App.Writer); werr != nil {
		return werr
	}
	if errors.Is(err, context.Canceled) {
		return nil // interrupted: the partial result is printed
	}
	return err
}

func compare(ctx context.Context, c *cli.Context, cfg bench.Config, other string, progress io.Writer) error {
	if _, _, err := net.SplitHostPort(other); err != nil {
		return fmt.Errorf("--compare wants HOST:PORT: %w", err)
	}
	asJSON := c.Bool("json")
	after := func(r *bench.Result) {
		// Each run's line goes to stderr in JSON mode, so stdout stays one document.
		out := c.App.Writer
		if asJSON {
			out = c.App.ErrWriter
		}
		fmt.Fprintf(out, "%s: %.0f ops/s, p50 %.3f ms, p99 %.3f ms\n", r.Label, r.Totals.OpsPerSec, r.Totals.Latency.P50, r.Totals.Latency.P99)
	}
	cmp, err := bench.Compare(ctx, cfg, other, c.String("compare-label"), c.Int("rounds"), progress, after)
	if err != nil {
		return err
	}
	if asJSON {
		return cmp.WriteJSON(c.App.Writer)
	}
	return cmp.WriteText(c.App.Writer)
}

// configFrom turns the flags into a bench.Config.
func configFrom(c *cli.Context) (bench.Config, error) {
	cfg := bench.DefaultConfig()
	cfg.Addr = net.JoinHostPort(c.String("server"), strconv.Itoa(c.Int("port")))
	cfg.Label = c.String("label")
	cfg.Password = c.String("auth")
	switch c.Int("resp") {
	case 2:
	case 3:
		cfg.RESP3 = true
	default:
		return cfg, fmt.Errorf("--resp must be 2 or 3")
	}
	cfg.Threads, cfg.Clients, cfg.Pipeline = c.Int("threads"), c.Int("clients"), c.Int("pipeline")
	cfg.Requests = c.Int64("requests")
	if cfg.Rate = c.Float64("rate"); cfg.Rate < 0 {
		return cfg, fmt.Errorf("--rate must not be negative")
	}
	if t := c.String("test-time"); t != "" {
		d, err := parseDuration(t)
		if err != nil {
			return cfg, err
		}
		cfg.Duration = d
	}
	if cmds := c.StringSlice("command"); len(cmds) > 0 {
		cfg.Commands, cfg.Weights = cmds, nil
		if r := c.String("command-ratio"); r != "" {
			w, err := parseWeights(r, len(cmds))
			if err != nil {
				return cfg, err
			}
			cfg.Weights = w
		}
	} else {
		cmds, weights, err := bench.RatioCommands(c.String("ratio"))
		if err != nil {
			return cfg, err
		}
		cfg.Commands, cfg.Weights = cmds, weights
	}
	pattern, err := bench.ParseKeyPattern(c.String("key-pattern"))
	if err != nil {
		return cfg, err
	}
	cfg.KeyPrefix = c.String("key-prefix")
	cfg.Keys = bench.KeySpace{
		Min: c.Int64("key-min"), Max: c.Int64("key-max"), Pattern: pattern,
		Median: c.Float64("key-median"), StdDev: c.Float64("key-stddev"), ZipfExp: c.Float64("zipf-exp"),
	}
	cfg.DataMin, cfg.DataMax, err = parseSize(c.String("data-size"))
	if err != nil {
		return cfg, err
	}
	cfg.Seed = c.Uint64("seed")
	return cfg, nil
}

// parseDuration accepts a Go duration or, as memtier's --test-time, plain seconds.
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(s, 64); err == nil && n > 0 {
		return time.Duration(n * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("bad --test-time %q (want e.g. 10s or 10)", s)
	}
	return d, nil
}

// parseSize reads "100" or "32-512".
func parseSize(s string) (int, int, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err1 := strconv.Atoi(lo)
	b := a
	var err2 error
	if isRange {
		b, err2 = strconv.Atoi(hi)
	}
	if err1 != nil || err2 != nil || a < 0 || b < a {
		return 0, 0, fmt.Errorf("bad --data-size %q (want SIZE or MIN-MAX)", s)
	}
	return a, b, nil
}

// parseWeights reads "1:9" for n templates.
func parseWeights(s string, n int) ([]int, error) {
	parts := strings.Split(s, ":")
	if len(parts) != n {
		return nil, fmt.Errorf("--command-ratio %q has %d weights for %d commands", s, len(parts), n)
	}
	w := make([]int, n)
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("bad weight %q in --command-ratio", p)
		}
		w[i] = v
	}
	return w, nil
}

// isTerminal reports whether f is a character device: the progress line uses carriage
// returns that only make sense on a terminal, not in a log file.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func plot(c *cli.Context) error {
	if c.NArg() == 0 {
		return fmt.Errorf("give the JSON result files to plot")
	}
	var depths []int
	for _, f := range strings.Split(c.String("latency-pipelines"), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil {
			return fmt.Errorf("bad --latency-pipelines entry %q", f)
		}
		depths = append(depths, d)
	}
	results, err := bench.LoadResults(c.Args().Slice())
	if err != nil {
		return err
	}
	files, err := bench.Plot(results, c.String("out"), depths)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(c.App.Writer, f)
	}
	return nil
}
