package coord_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/basaltdb/basalt/coord"
)

// The libraries' source goes to the RDB writer and comes back through the loader hook:
// a new server that loads them serves the same functions.
func TestFunctionLibrariesRoundTrip(t *testing.T) {
	ctx := context.Background()
	srv, addr := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 2 })
	c := scriptClient(t, addr)
	code := "#!lua name=lib1\nredis.register_function('double', function(keys, args) return tonumber(args[1]) * 2 end)"
	if err := c.FunctionLoad(ctx, code).Err(); err != nil {
		t.Fatal(err)
	}
	libs := srv.FunctionLibraries()
	if len(libs) != 1 || string(libs[0]) != code {
		t.Fatalf("FunctionLibraries = %q", libs)
	}
	srv2, addr2 := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 2 })
	for _, l := range libs {
		if err := srv2.LoadFunctionLibrary(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv2.LoadFunctionLibrary([]byte("#!lua name=bad\nreturn 1")); err == nil {
		t.Fatal("a library without functions loaded")
	}
	c2 := scriptClient(t, addr2)
	if n, err := c2.FCall(ctx, "double", nil, 21).Int(); err != nil || n != 42 {
		t.Fatalf("FCALL after load: %d %v", n, err)
	}
	// Functions that keep to their declared keys take the single-shard fast path; the
	// replies are the same.
	reg := "#!lua name=lib2\nredis.register_function('bump', function(keys) return redis.call('incr', keys[1]) end)"
	if err := c2.FunctionLoad(ctx, reg).Err(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if n, err := c2.FCall(ctx, "bump", []string{"k"}).Int(); err != nil || n != i {
			t.Fatalf("bump %d: %d %v", i, n, err)
		}
	}
}

// FUNCTION DUMP payloads travel both ways between redis-server and Basalt: a library
// dumped by one is restored by the other and serves the same reply, and a payload dumped
// back is restored again by the first.
func TestFunctionDumpRestoreWithRedis(t *testing.T) {
	ctx := context.Background()
	_, addr := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 2 })
	b := scriptClient(t, addr)
	r := scriptClient(t, startRedis(t))
	// A library longer than 20 bytes is LZF-compressed in the payload by both servers.
	long := "#!lua name=big\n" + strings.Repeat("-- padding padding padding\n", 40) +
		"redis.register_function('big', function() return 'big' end)"
	for _, code := range []string{
		"#!lua name=lib1\nredis.register_function('triple', function(keys, args) return tonumber(args[1]) * 3 end)",
		long,
	} {
		if err := r.FunctionLoad(ctx, code).Err(); err != nil {
			t.Fatal(err)
		}
	}
	fromRedis, err := r.FunctionDump(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.FunctionRestore(ctx, fromRedis).Err(); err != nil {
		t.Fatalf("Basalt restoring redis-server's dump: %v", err)
	}
	if n, err := b.FCall(ctx, "triple", nil, 14).Int(); err != nil || n != 42 {
		t.Fatalf("FCALL triple on Basalt: %d %v", n, err)
	}
	if err := b.FunctionRestore(ctx, fromRedis).Err(); err == nil || err.Error() != "ERR Library big already exists" && err.Error() != "ERR Library lib1 already exists" {
		t.Fatalf("second restore: %v", err)
	}
	fromBasalt, err := b.FunctionDump(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.FunctionRestore(ctx, fromBasalt).Err(); err == nil {
		t.Fatal("redis-server restored libraries it already has")
	}
	if err := r.FunctionFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := r.FunctionRestore(ctx, fromBasalt).Err(); err != nil {
		t.Fatalf("redis-server restoring Basalt's dump: %v", err)
	}
	if s, err := r.FCall(ctx, "big", nil).Text(); err != nil || s != "big" {
		t.Fatalf("FCALL big on redis-server: %q %v", s, err)
	}
	// REPLACE swaps a library of the same name; FLUSH drops the others.
	if err := b.FunctionLoad(ctx, "#!lua name=extra\nredis.register_function('extra', function() return 1 end)").Err(); err != nil {
		t.Fatal(err)
	}
	if err := b.Do(ctx, "function", "restore", fromRedis, "replace").Err(); err != nil {
		t.Fatal(err)
	}
	if err := b.Do(ctx, "function", "restore", fromRedis, "flush").Err(); err != nil {
		t.Fatal(err)
	}
	if err := b.FCall(ctx, "extra", nil).Err(); err == nil || !strings.Contains(err.Error(), "Function not found") {
		t.Fatalf("FCALL extra after RESTORE FLUSH: %v", err)
	}
}

// TestFunctionStatsWhileRunning: FUNCTION STATS names the running function and its whole
// command (numkeys included), other clients get the BUSY reply that names FUNCTION KILL
// (SCRIPT KILL gets it too), FUNCTION KILL stops the function, and FCALL finds it
// whatever the case of its name; the same against redis-server.
func TestFunctionStatsWhileRunning(t *testing.T) {
	ctx := context.Background()
	for name, addr := range map[string]string{"redis": startRedis(t), "basalt": startBasalt(t, 2)} {
		t.Run(name, func(t *testing.T) {
			admin := newClient(t, addr)
			admin.ConfigSet(ctx, "busy-reply-threshold", "10")
			defer admin.ConfigSet(ctx, "busy-reply-threshold", "5000")
			code := "#!lua name=spin\nredis.register_function('spin', function() local a = 1 while true do a = a + 1 end end)"
			if err := admin.FunctionLoadReplace(ctx, code).Err(); err != nil {
				t.Fatal(err)
			}
			runner := newClient(t, addr)
			done := make(chan error, 1)
			go func() { done <- runner.Do(ctx, "FCALL", "SPIN", "0").Err() }()
			var stats []any
			for i := 0; i < 200; i++ {
				time.Sleep(10 * time.Millisecond)
				// Past busy-reply-threshold (10 ms) other clients get BUSY. redis-server
				// only answers STATS by then; Basalt may answer it sooner from another loop.
				v, err := admin.Do(ctx, "FUNCTION", "STATS").Slice()
				if err != nil || len(v) < 2 {
					continue
				}
				if r, _ := v[1].([]any); len(r) == 6 && r[5].(int64) >= 50 {
					stats = v
					break
				}
			}
			if stats == nil {
				t.Fatal("FUNCTION STATS never showed a running script")
			}
			running, _ := stats[1].([]any)
			if len(running) != 6 || running[1] != "spin" || fmt.Sprint(running[3]) != "[FCALL SPIN 0]" {
				t.Errorf("running_script %v", running)
			}
			busy := "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
			if err := admin.Ping(ctx).Err(); err == nil || err.Error() != busy {
				t.Errorf("PING while a function runs: %v", err)
			}
			if err := admin.Do(ctx, "SCRIPT", "KILL").Err(); err == nil || err.Error() != busy {
				t.Errorf("SCRIPT KILL while a function runs: %v", err)
			}
			if err := admin.Do(ctx, "FUNCTION", "KILL").Err(); err != nil {
				t.Fatalf("FUNCTION KILL: %v", err)
			}
			if err := <-done; err == nil || !strings.Contains(err.Error(), "killed") {
				t.Errorf("killed function: %v", err)
			}
		})
	}
}
