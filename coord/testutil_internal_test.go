package coord

import (
	"net"
	"testing"
)

// startInternal starts a server with the given number of shards on a free loopback
// port, for tests that call its unexported methods; it stops with the test.
func startInternal(t *testing.T, threads int) (*Server, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg := DefaultConfig()
	cfg.Port, cfg.Bind, cfg.Threads, cfg.LogLevel, cfg.Dir = port, []string{"127.0.0.1"}, threads, "warning", t.TempDir()
	srv, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv, port
}
