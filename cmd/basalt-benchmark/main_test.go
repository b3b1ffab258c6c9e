package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/basaltdb/basalt/proto"
)

// fakeServer answers +OK to every request and remembers what it saw: enough to check
// what the flags make the generator send, without a real server.
type fakeServer struct {
	addr string
	mu   sync.Mutex
	seen map[string]int // "NAME arg-count" -> requests
	keys map[string]bool
}

func startFake(t *testing.T) *fakeServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s := &fakeServer{addr: l.Addr().String(), seen: map[string]int{}, keys: map[string]bool{}}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *fakeServer) serve(c net.Conn) {
	defer c.Close()
	var p proto.Parser
	var req proto.Request
	buf := make([]byte, 0, 64<<10)
	tmp := make([]byte, 64<<10)
	for {
		n, err := c.Read(tmp)
		if err != nil {
			return
		}
		buf = append(buf, tmp[:n]...)
		var out []byte
		off := 0
		for {
			m, err := p.Parse(buf[off:], &req)
			if err != nil || m == 0 {
				break
			}
			s.mu.Lock()
			s.seen[strings.ToUpper(string(req.Args[0]))+" "+strconv.Itoa(len(req.Args))]++
			if len(req.Args) > 1 {
				s.keys[string(req.Args[1])] = true
			}
			s.mu.Unlock()
			off += m
			out = append(out, "+OK\r\n"...)
		}
		buf = buf[:copy(buf, buf[off:])]
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

func (s *fakeServer) count(what string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[what]
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

// runApp runs the command line and returns its standard output.
func runApp(t *testing.T, args ...string) (string, error) {
	t.Helper()
	app := newApp()
	var out, errOut bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errOut
	err := app.Run(append([]string{"basalt-benchmark"}, args...))
	return out.String(), err
}

func TestRunJSON(t *testing.T) {
	s := startFake(t)
	out, err := runApp(t, "-p", portOf(s.addr), "--threads", "1", "--clients", "4", "--pipeline", "8",
		"--requests", "1000", "--command", "SET user:__key__ __data__", "--key-prefix", "k",
		"--key-pattern", "sequential", "--key-min", "0", "--key-max", "999", "--data-size", "10-20", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Workload struct {
			Pipeline    int    `json:"pipeline"`
			KeyPattern  string `json:"key_pattern"`
			DataSizeMax int    `json:"data_size_max"`
		}
		Totals struct {
			Ops    int64 `json:"ops"`
			Errors int64 `json:"errors"`
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if res.Totals.Ops != 1000 || res.Workload.Pipeline != 8 || res.Workload.KeyPattern != "sequential" || res.Workload.DataSizeMax != 20 {
		t.Errorf("result %+v", res)
	}
	if n := s.count("SET 3"); n != 1000 {
		t.Errorf("server saw %d SETs, want 1000", n)
	}
	if !s.keys["user:k000000000000"] || !s.keys["user:k000000000999"] || len(s.keys) != 1000 {
		t.Errorf("server saw %d distinct keys, want user:k000000000000..user:k000000000999", len(s.keys))
	}
}

func TestRunTextAndRatio(t *testing.T) {
	s := startFake(t)
	out, err := runApp(t, "--port", portOf(s.addr), "-t", "2", "-c", "2", "-n", "2200", "--ratio", "1:10")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 threads x 2 clients", "SET __key__ __data__", "GET __key__", "Totals", "p99.9 ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	sets, gets := s.count("SET 3"), s.count("GET 2")
	if sets+gets != 2200 || sets < 100 || sets > 320 {
		t.Errorf("%d SETs and %d GETs for 1:10 of 2200", sets, gets)
	}
}

func TestTestTime(t *testing.T) {
	s := startFake(t)
	start := time.Now()
	if _, err := runApp(t, "-p", portOf(s.addr), "-t", "1", "-c", "1", "--test-time", "0.3", "--command", "PING"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 5*time.Second {
		t.Errorf("--test-time 0.3 ran %v", d)
	}
	if s.count("PING 1") == 0 {
		t.Error("no PING sent")
	}
}

func TestCompareAndPlot(t *testing.T) {
	a, b := startFake(t), startFake(t)
	args := []string{"-p", portOf(a.addr), "--label", "fast", "--compare", b.addr, "--compare-label", "slow",
		"--rounds", "3", "-t", "1", "-c", "2", "-n", "300", "--command", "INCR c:__rand_int__"}
	out, err := runApp(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"medians of 3 rounds", "A fast", "B slow", "A/B"} {
		if !strings.Contains(out, want) {
			t.Errorf("comparison output lacks %q:\n%s", want, out)
		}
	}
	if a.count("INCR 2") != 900 || b.count("INCR 2") != 900 {
		t.Errorf("servers saw %d and %d INCRs, want 900 each", a.count("INCR 2"), b.count("INCR 2"))
	}
	js, err := runApp(t, append(args, "--json", "--pipeline", "4")...)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "cmp.json")
	if err := os.WriteFile(path, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runApp(t, "plot", "--out", dir, "--latency-pipelines", "4", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"throughput-pipeline.png", "latency-pipeline-4.png"} {
		if !strings.Contains(out, name) {
			t.Errorf("plot output lacks %s: %q", name, out)
		}
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}

func TestHandshakeFlags(t *testing.T) {
	s := startFake(t)
	if _, err := runApp(t, "-p", portOf(s.addr), "-t", "1", "-c", "3", "-n", "10", "--auth", "pw", "--command", "PING"); err != nil {
		t.Fatal(err)
	}
	if n := s.count("AUTH 2"); n != 3 {
		t.Errorf("%d AUTH, want one per connection (3)", n)
	}
	if _, err := runApp(t, "-p", portOf(s.addr), "-t", "1", "-c", "2", "-n", "10", "--resp", "3", "--auth", "pw", "--command", "PING"); err != nil {
		t.Fatal(err)
	}
	if n := s.count("HELLO 5"); n != 2 {
		t.Errorf("%d HELLO 3 AUTH default pw, want 2", n)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--data-size", "10-5"},
		{"--data-size", "big"},
		{"--test-time", "soon"},
		{"--key-pattern", "pareto"},
		{"--ratio", "1"},
		{"--resp", "4"},
		{"--command", "GET __key__", "--command", "SET __key__ x", "--command-ratio", "1"},
		{"--compare", "nohostport"},
		{"extra-argument"},
	} {
		if _, err := runApp(t, append([]string{"-p", "1"}, args...)...); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

func TestParsers(t *testing.T) {
	for in, want := range map[string]time.Duration{"10": 10 * time.Second, "0.5": 500 * time.Millisecond, "1m": time.Minute, "250ms": 250 * time.Millisecond} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if lo, hi, err := parseSize("32-512"); err != nil || lo != 32 || hi != 512 {
		t.Errorf("parseSize(32-512) = %d, %d, %v", lo, hi, err)
	}
	if w, err := parseWeights("1:0:9", 3); err != nil || w[0] != 1 || w[1] != 0 || w[2] != 9 {
		t.Errorf("parseWeights(1:0:9) = %v, %v", w, err)
	}
}
