package coord_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/basaltdb/basalt/coord"
)

// freePort returns a loopback TCP port that was free a moment ago. Another process may
// take it before the caller binds it; the start helpers retry for that reason.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("cannot find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startBasalt starts an in-process Basalt with the given number of shards on a free
// loopback port, waits until it answers PING and stops it when the test ends. It
// returns the server's address ("127.0.0.1:port").
func startBasalt(t testing.TB, threads int) string {
	t.Helper()
	_, addr := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = threads })
	return addr
}

// startBasaltWith starts a server on a free port in a temporary directory after setup
// has adjusted its configuration; the test's cleanup stops it.
func startBasaltWith(t testing.TB, setup func(cfg *coord.Config)) (*coord.Server, string) {
	t.Helper()
	var lastErr error
	dir := t.TempDir()
	for attempt := 0; attempt < 3; attempt++ {
		cfg := coord.DefaultConfig()
		cfg.Port = freePort(t)
		cfg.Bind = []string{"127.0.0.1"}
		cfg.LogLevel = "warning"
		cfg.Dir = dir
		cfg.MetricsPort = 0
		// Tests use DEBUG (RELOAD, DIGEST, ...), as Redis's own test servers do.
		cfg.EnableDebugCommand = "yes"
		setup(cfg)
		srv, err := coord.Start(cfg)
		if err != nil {
			lastErr = err
			continue
		}
		t.Cleanup(srv.Stop)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port))
		if err := waitPing(addr, 10*time.Second); err != nil {
			t.Fatalf("basalt with %d threads on %s does not answer PING: %v", cfg.Threads, addr, err)
		}
		return srv, addr
	}
	t.Fatalf("cannot start basalt: %v", lastErr)
	return nil, ""
}

// syncBuffer is a bytes.Buffer safe for the writes of a child process and a reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startRedis starts a real redis-server (the oracle of the differential tests) on a free
// loopback port without persistence, waits until it answers PING and kills it when the
// test ends. It fails the test, never skips it, when redis-server is not installed:
// `make test` installs it.
func startRedis(t testing.TB) string {
	t.Helper()
	return startRedisIn(t, t.TempDir())
}

// startRedisIn starts redis-server with dir as its working directory (where it loads
// and saves dump.rdb), with extra directives appended to the command line.
func startRedisIn(t testing.TB, dir string, extra ...string) string {
	t.Helper()
	return startRedisWith(t, nil, dir, extra...)
}

// startRedisWith is startRedisIn with lead before the directives on the command line
// (a config file, which Sentinel mode requires).
func startRedisWith(t testing.TB, lead []string, dir string, extra ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed (make test installs the Debian package redis-server): %v", err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := freePort(t)
		out := &syncBuffer{}
		cmd := exec.Command(bin, append(append(append([]string(nil), lead...),
			"--save", "",
			"--appendonly", "no",
			"--bind", "127.0.0.1",
			"--port", strconv.Itoa(port),
			"--dir", dir,
			"--daemonize", "no",
			"--logfile", ""), extra...)...)
		cmd.Stdout = out
		cmd.Stderr = out
		cmd.SysProcAttr = &syscall.SysProcAttr{}
		setParentDeathSignal(cmd.SysProcAttr)
		// The parent-death signal fires when the thread that started the child exits,
		// so the child is started from a goroutine that keeps its thread until the
		// server has exited.
		started := make(chan error, 1)
		exited := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			if err := cmd.Start(); err != nil {
				started <- err
				close(exited)
				return
			}
			started <- nil
			_ = cmd.Wait()
			close(exited)
		}()
		if err := <-started; err != nil {
			t.Fatalf("cannot run %s: %v", bin, err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		err := waitPing(addr, 10*time.Second)
		if err == nil {
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
			})
			return addr
		}
		_ = cmd.Process.Kill()
		<-exited
		lastErr = fmt.Errorf("%v; output:\n%s", err, out.String())
	}
	t.Fatalf("cannot start redis-server: %v", lastErr)
	return ""
}

// setParentDeathSignal asks the kernel to kill the child when the test binary dies
// before its cleanups run (a timeout, a panic, SIGPIPE from "go test | head"), so that
// no redis-server outlives the test. The field exists on Linux only; elsewhere this does
// nothing.
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	f := reflect.ValueOf(attr).Elem().FieldByName("Pdeathsig")
	if f.IsValid() && f.CanSet() {
		f.Set(reflect.ValueOf(syscall.SIGKILL))
	}
}

// waitPing dials addr until a PING gets +PONG or the timeout passes.
func waitPing(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		lastErr = pingOnce(addr)
		if lastErr == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return lastErr
}

func pingOnce(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	// A server with requirepass is up too: it answers NOAUTH.
	if line != "+PONG\r\n" && !strings.HasPrefix(line, "-NOAUTH") {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// encodeCommand renders args as a RESP multibulk request.
func encodeCommand(args []string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// readReply reads exactly one complete RESP2 or RESP3 reply from r and returns its raw
// bytes, nested aggregates included. An attribute (|) is returned together with the
// reply it decorates. It does not validate more than it needs to find the reply's end.
func readReply(r *bufio.Reader) ([]byte, error) {
	var out []byte
	if err := readReplyInto(r, &out); err != nil {
		return out, err
	}
	return out, nil
}

func readReplyInto(r *bufio.Reader, out *[]byte) error {
	line, err := r.ReadBytes('\n')
	*out = append(*out, line...)
	if err != nil {
		return err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return fmt.Errorf("malformed reply line %q", line)
	}
	body := string(line[1 : len(line)-2])
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return nil
	case '$', '!', '=':
		n, err := strconv.Atoi(body)
		if err != nil {
			return fmt.Errorf("bad length in %q", line)
		}
		if n < 0 {
			return nil // RESP2 null bulk string
		}
		buf := make([]byte, n+2)
		if _, err := readFull(r, buf); err != nil {
			*out = append(*out, buf...)
			return err
		}
		*out = append(*out, buf...)
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return fmt.Errorf("bulk of %d bytes not followed by CRLF", n)
		}
		return nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return fmt.Errorf("bad length in %q", line)
		}
		if n < 0 {
			return nil // RESP2 null array
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readReplyInto(r, out); err != nil {
				return err
			}
		}
		if line[0] == '|' {
			// An attribute decorates the reply that follows it.
			return readReplyInto(r, out)
		}
		return nil
	default:
		return fmt.Errorf("unknown reply type in %q", line)
	}
}

func readFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// splitReply splits the raw bytes of an array, set or map reply into its header line
// and the raw bytes of each element (a map has two elements per entry). ok is false for
// any other reply.
func splitReply(raw []byte) (header []byte, elems [][]byte, ok bool) {
	if len(raw) == 0 || (raw[0] != '*' && raw[0] != '~' && raw[0] != '%') {
		return nil, nil, false
	}
	r := bufio.NewReader(bytes.NewReader(raw))
	line, err := r.ReadBytes('\n')
	if err != nil {
		return nil, nil, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(line[1:])))
	if err != nil || n < 0 {
		return nil, nil, false
	}
	if raw[0] == '%' {
		n *= 2
	}
	for i := 0; i < n; i++ {
		e, err := readReply(r)
		if err != nil {
			return nil, nil, false
		}
		elems = append(elems, e)
	}
	return line, elems, true
}
