package coord_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/basaltdb/basalt/coord"
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

// TestExecAbortsWhenMinReplicasTurnsOn: a transaction queued while writes were allowed
// is refused at EXEC once min-replicas-to-write asks for a replica (none is connected),
// and none of it runs; the same against redis-server.
func TestExecAbortsWhenMinReplicasTurnsOn(t *testing.T) {
	ctx := context.Background()
	for name, addr := range map[string]string{"redis": startRedis(t), "basalt": startBasalt(t, 2)} {
		t.Run(name, func(t *testing.T) {
			admin := newClient(t, addr)
			admin.Set(ctx, "xx", "1", 0)
			conn := newClient(t, addr).Conn()
			defer conn.Close()
			conn.Do(ctx, "MULTI")
			if v, err := conn.Do(ctx, "INCR", "xx").Result(); v != "QUEUED" {
				t.Fatalf("INCR in MULTI: %v, %v", v, err)
			}
			if err := admin.ConfigSet(ctx, "min-replicas-to-write", "2").Err(); err != nil {
				t.Fatal(err)
			}
			err := conn.Do(ctx, "EXEC").Err()
			admin.ConfigSet(ctx, "min-replicas-to-write", "0")
			if err == nil || err.Error() != "EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas to write." {
				t.Errorf("EXEC after the gate closed: %v", err)
			}
			if v := admin.Get(ctx, "xx").Val(); v != "1" {
				t.Errorf("xx = %s: part of the refused transaction ran", v)
			}
		})
	}
}

// TestBitWritesCountOnlyChanges: SETBIT and BITFIELD add to rdb_changes_since_last_save
// only when a bit changed or the string grew, BITFIELD once per changed field, as in
// redis-server.
func TestBitWritesCountOnlyChanges(t *testing.T) {
	ctx := context.Background()
	steps := [][]any{
		{"SETBIT", "b", "0", "0"}, {"BITFIELD", "f", "SET", "i5", "0", "0"}, // new keys
		{"SETBIT", "b", "0", "0"}, {"BITFIELD", "f", "SET", "i5", "0", "0"}, // no change
		{"SETBIT", "b", "0", "1"}, {"SETBIT", "b", "0", "1"},
		{"BITFIELD", "f", "SET", "i5", "0", "1", "SET", "i5", "5", "0", "INCRBY", "u2", "10", "1"},
		{"BITFIELD", "f", "SET", "i5", "0", "1", "INCRBY", "u2", "10", "0"},
		{"BITFIELD", "f", "SET", "u8", "64", "0", "SET", "u8", "0", "255"}, // grows: both count
		{"BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "10", "7"},
	}
	var want []int64
	for name, addr := range map[string]string{"redis": startRedis(t), "basalt": startBasalt(t, 1)} {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, addr)
			c.Del(ctx, "b", "f")
			var got []int64
			last := changesSinceSave(t, c)
			for _, s := range steps {
				if err := c.Do(ctx, s...).Err(); err != nil && err != redis.Nil {
					t.Fatalf("%v: %v", s, err)
				}
				now := changesSinceSave(t, c)
				got = append(got, now-last)
				last = now
			}
			if want == nil {
				want = got
			} else if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("changes per step %v, the other server %v", got, want)
			}
		})
	}
}

func changesSinceSave(t *testing.T, c *redis.Client) int64 {
	t.Helper()
	for _, line := range strings.Split(c.Info(context.Background(), "persistence").Val(), "\r\n") {
		if v, ok := strings.CutPrefix(line, "rdb_changes_since_last_save:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatal("no rdb_changes_since_last_save")
	return 0
}

// TestEnableDebugCommand: DEBUG is refused by default with redis-server's message, and
// "local" allows it from a loopback connection; the same against redis-server.
func TestEnableDebugCommand(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{"no", "local"} {
		servers := map[string]string{
			"redis": startRedisIn(t, t.TempDir(), "--enable-debug-command", mode),
			"basalt": func() string {
				_, a := startBasaltWith(t, func(c *coord.Config) { c.EnableDebugCommand = mode })
				return a
			}(),
		}
		var want string
		for name, addr := range servers {
			c := newClient(t, addr)
			got := fmt.Sprint(c.Do(ctx, "DEBUG", "PROTOCOL", "integer").Result())
			if want == "" {
				want = got
			} else if got != want {
				t.Errorf("enable-debug-command %s, %s: %s; the other server: %s", mode, name, got, want)
			}
		}
		if mode == "local" && want != "12345 <nil>" {
			t.Errorf("enable-debug-command local from 127.0.0.1: %s", want)
		}
	}
}
