package coord_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestOOMScoreAdj runs basalt-server as its own process and checks the oom_score_adj
// the kernel holds for it as oom-score-adj and oom-score-adj-values change.
func TestOOMScoreAdj(t *testing.T) {
	ctx := context.Background()
	cmd, addr := startProcess(t, t.TempDir())
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	path := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/oom_score_adj"
	read := func() int {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	base := read()
	set := func(name, value string) {
		t.Helper()
		if err := c.ConfigSet(ctx, name, value).Err(); err != nil {
			t.Fatalf("CONFIG SET %s %s: %v", name, value, err)
		}
	}
	set("oom-score-adj-values", "100 200 300")
	if got := read(); got != base {
		t.Fatalf("with oom-score-adj no the values moved oom_score_adj from %d to %d", base, got)
	}
	set("oom-score-adj", "absolute")
	if got := read(); got != 100 {
		t.Errorf("absolute 100: oom_score_adj %d", got)
	}
	set("oom-score-adj", "relative")
	if got := read(); got != min(1000, base+100) {
		t.Errorf("relative 100 from %d: oom_score_adj %d", base, got)
	}
	set("oom-score-adj-values", "2000 2000 2000")
	if got := read(); got != 1000 {
		t.Errorf("relative 2000: oom_score_adj %d, want it clamped to 1000", got)
	}
	set("oom-score-adj", "no")
	if got := read(); got != base {
		t.Errorf("oom-score-adj no: oom_score_adj %d, want the starting %d back", got, base)
	}
}
