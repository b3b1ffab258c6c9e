package coord_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestDumpRestoreWithRedis moves every type in every encoding from redis-server to
// Basalt with DUMP and RESTORE, and back, comparing the values at each step.
func TestDumpRestoreWithRedis(t *testing.T) {
	ctx := context.Background()
	rc := redis.NewClient(&redis.Options{Addr: startRedis(t)})
	bc := redis.NewClient(&redis.Options{Addr: startBasalt(t, 4)})
	defer rc.Close()
	defer bc.Close()
	must := func(c *redis.Client, args ...any) {
		t.Helper()
		if err := c.Do(ctx, args...).Err(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	must(rc, "flushall")
	must(rc, "set", "str", "plain")
	must(rc, "set", "int", "-42")
	must(rc, "set", "long", string(make([]byte, 300)))
	for i := range 5 {
		must(rc, "rpush", "list", i, "x"+strconv.Itoa(i))
		must(rc, "sadd", "intset", i*10)
		must(rc, "sadd", "set", "m"+strconv.Itoa(i))
		must(rc, "hset", "hash", "f"+strconv.Itoa(i), i)
		must(rc, "zadd", "zset", float64(i)/4, "m"+strconv.Itoa(i))
	}
	for i := range 1000 {
		must(rc, "rpush", "biglist", fmt.Sprintf("element %d of a long list", i))
		must(rc, "sadd", "bigset", i)
		must(rc, "hset", "bighash", "f"+strconv.Itoa(i), i)
		must(rc, "zadd", "bigzset", i, "m"+strconv.Itoa(i))
	}
	keys := rc.Keys(ctx, "*").Val()
	slices.Sort(keys)
	read := func(c *redis.Client, k string) string {
		switch c.Type(ctx, k).Val() {
		case "string":
			return c.Get(ctx, k).Val()
		case "list":
			return fmt.Sprint(c.LRange(ctx, k, 0, -1).Val())
		case "set":
			m := c.SMembers(ctx, k).Val()
			slices.Sort(m)
			return fmt.Sprint(m)
		case "hash":
			return fmt.Sprint(c.HGetAll(ctx, k).Val())
		case "zset":
			return fmt.Sprint(c.ZRangeWithScores(ctx, k, 0, -1).Val())
		}
		return "?"
	}
	for _, k := range keys {
		p, err := rc.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := bc.Restore(ctx, k, 0, p).Err(); err != nil {
			t.Fatalf("%s: RESTORE into Basalt: %v", k, err)
		}
		if got, want := read(bc, k), read(rc, k); got != want {
			t.Fatalf("%s: Basalt has %.200s, Redis %.200s", k, got, want)
		}
		back, err := bc.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := rc.RestoreReplace(ctx, k+":back", 0, back).Err(); err != nil {
			t.Fatalf("%s: RESTORE into Redis: %v", k, err)
		}
		if got, want := read(rc, k+":back"), read(rc, k); got != want {
			t.Fatalf("%s: round trip gives %.200s, want %.200s", k, got, want)
		}
	}
}

// TestRestoreWakesBlockedPop checks that a list created by RESTORE serves a client
// blocked on its key, as a push would.
func TestRestoreWakesBlockedPop(t *testing.T) {
	ctx := context.Background()
	rc := redis.NewClient(&redis.Options{Addr: startRedis(t)})
	addr := startBasalt(t, 4)
	waiter := redis.NewClient(&redis.Options{Addr: addr})
	bc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	defer waiter.Close()
	defer bc.Close()
	rc.Del(ctx, "src")
	rc.RPush(ctx, "src", "a", "b")
	p := rc.Dump(ctx, "src").Val()
	got := make(chan []string, 1)
	go func() { got <- waiter.BLPop(ctx, 0, "blocked").Val() }()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(bc.ClientList(ctx).Val(), "cmd=blpop") {
		if time.Now().After(deadline) {
			t.Fatal("the BLPOP never blocked")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := bc.Restore(ctx, "blocked", 0, p).Err(); err != nil {
		t.Fatal(err)
	}
	if v := <-got; fmt.Sprint(v) != "[blocked a]" {
		t.Fatalf("BLPOP got %v", v)
	}
	if n := bc.LLen(ctx, "blocked").Val(); n != 1 {
		t.Fatalf("LLEN after the pop: %d", n)
	}
}

// TestRestoreIdletime checks that RESTORE ... IDLETIME sets the idle time OBJECT
// IDLETIME reports (kept out of the corpus: it depends on the clock).
func TestRestoreIdletime(t *testing.T) {
	ctx := context.Background()
	bc := redis.NewClient(&redis.Options{Addr: startBasalt(t, 2)})
	defer bc.Close()
	bc.Set(ctx, "src", "v", 0)
	p := bc.Dump(ctx, "src").Val()
	if err := bc.Do(ctx, "restore", "idle", 0, p, "idletime", 1000).Err(); err != nil {
		t.Fatal(err)
	}
	if idle := bc.ObjectIdleTime(ctx, "idle").Val(); idle < 1000*time.Second || idle > 1002*time.Second {
		t.Fatalf("OBJECT IDLETIME after RESTORE IDLETIME 1000: %v", idle)
	}
}
