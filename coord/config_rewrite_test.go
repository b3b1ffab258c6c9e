package coord_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/basaltdb/basalt/coord"
	"github.com/redis/go-redis/v9"
)

// TestConfigRewrite checks CONFIG REWRITE: without a config file the answer is
// redis-server's; with one, the rewritten file keeps its comments, has each directive
// once where it was, and read back it gives the running configuration exactly.
func TestConfigRewrite(t *testing.T) {
	ctx := context.Background()
	oracle := redis.NewClient(&redis.Options{Addr: startRedis(t), Protocol: 2})
	defer oracle.Close()
	plain := redis.NewClient(&redis.Options{Addr: startBasalt(t, 1), Protocol: 2})
	defer plain.Close()
	want := oracle.Do(ctx, "config", "rewrite").Err()
	if got := plain.Do(ctx, "config", "rewrite").Err(); want == nil || got == nil || got.Error() != want.Error() {
		t.Fatalf("CONFIG REWRITE without a config file: basalt %v, redis %v", got, want)
	}

	conf := filepath.Join(t.TempDir(), "basalt.conf")
	original := "# the operator's notes\nmaxmemory 10mb\nslave-read-only yes\n\n# keep me\nmaxmemory 30mb\nhz 10\n"
	if err := os.WriteFile(conf, []byte(original), 0o644); err != nil {
		t.Fatal(err)
	}
	_, addr := startBasaltWith(t, func(cfg *coord.Config) {
		if err := coord.ParseConfigFile(cfg, conf); err != nil {
			t.Fatal(err)
		}
		cfg.File = conf
	})
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	for _, kv := range [][2]string{{"maxmemory", "20mb"}, {"hz", "25"}, {"save", "100 1 50 2"},
		{"maxmemory-policy", "allkeys-lru"}, {"notify-keyspace-events", "KEA"}, {"replica-read-only", "no"},
		{"masterauth", "a secret with spaces"}} {
		if err := c.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatalf("CONFIG SET %s %s: %v", kv[0], kv[1], err)
		}
	}
	if err := c.Do(ctx, "config", "rewrite").Err(); err != nil {
		t.Fatalf("CONFIG REWRITE: %v", err)
	}
	text, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	got := string(text)
	for _, line := range []string{"# the operator's notes", "# keep me", "maxmemory 20mb", "replica-read-only no", "hz 25"} {
		if strings.Count(got, line+"\n") != 1 {
			t.Errorf("the rewritten file has %d lines %q, want 1:\n%s", strings.Count(got, line+"\n"), line, got)
		}
	}
	if strings.Count(got, "maxmemory ") != 1 || strings.Index(got, "maxmemory 20mb") > strings.Index(got, "# keep me") {
		t.Errorf("maxmemory is not once, in the place of its first line:\n%s", got)
	}
	// Read back, the file gives what the server runs with. Its dir directive changes
	// the working directory, which the package's other tests rely on.
	wd, _ := os.Getwd()
	defer func() { _ = os.Chdir(wd) }()
	back := coord.DefaultConfig()
	if err := coord.ParseConfigFile(back, conf); err != nil {
		t.Fatalf("the rewritten file does not load: %v\n%s", err, got)
	}
	running, err := c.ConfigGet(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range back.Get([]string{"*"}) {
		switch kv[0] {
		case "port", "bind", "dir", "loglevel", "enable-debug-command", "metrics-port":
			continue // set by the test harness, not the file
		}
		if running[kv[0]] != kv[1] {
			t.Errorf("%s: the rewritten file gives %q, the server runs with %q", kv[0], kv[1], running[kv[0]])
		}
	}
}
