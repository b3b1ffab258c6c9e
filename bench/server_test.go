package bench

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/basaltdb/basalt/coord"
)

// Test servers: an in-process Basalt and a real redis-server, each on a free loopback
// port and stopped when the test ends.

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("cannot find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startBasalt(t testing.TB, threads int) string {
	t.Helper()
	var lastErr error
	for range 3 { // the free port may be taken before the server binds it
		cfg := coord.DefaultConfig()
		cfg.Port = freePort(t)
		cfg.Bind = []string{"127.0.0.1"}
		cfg.LogLevel = "warning"
		cfg.Dir = t.TempDir()
		cfg.Threads = threads
		srv, err := coord.Start(cfg)
		if err != nil {
			lastErr = err
			continue
		}
		t.Cleanup(srv.Stop)
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port))
	}
	t.Fatalf("cannot start basalt: %v", lastErr)
	return ""
}

// startRedis fails rather than skips without redis-server: `make deps` installs it.
func startRedis(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed (make deps installs it): %v", err)
	}
	var lastErr error
	for range 3 {
		port := freePort(t)
		cmd := exec.Command(bin, "--save", "", "--appendonly", "no", "--bind", "127.0.0.1",
			"--port", strconv.Itoa(port), "--dir", t.TempDir(), "--logfile", "")
		if err := cmd.Start(); err != nil {
			t.Fatalf("cannot run %s: %v", bin, err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if lastErr = waitPing(addr, 5*time.Second); lastErr == nil {
			t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
			return addr
		}
		_ = cmd.Process.Kill()
		<-done
	}
	t.Fatalf("cannot start redis-server: %v", lastErr)
	return ""
}

func waitPing(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		_, err := command(addr, "PING")
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// command sends one command and returns the first line of its reply without CRLF.
func command(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	req := fmt.Sprintf("*%d\r\n", len(args))
	for _, a := range args {
		req += fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(req)); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSuffix(line, "\r\n"), err
}
