package coord_test

import (
	"context"
	"testing"

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
