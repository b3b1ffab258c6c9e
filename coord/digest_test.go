package coord_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DEBUG DIGEST and DEBUG DIGEST-VALUE equal redis-server's for the same dataset: every
// type, small and large encodings, TTLs, several databases, with 1 and 4 shards.
func TestDebugDigestMatchesRedis(t *testing.T) {
	ctx := context.Background()
	oracle := newClient(t, startRedisIn(t, t.TempDir(), "--enable-debug-command", "yes"))
	load := func(c *redis.Client) {
		t.Helper()
		c.FlushAll(ctx)
		c.Set(ctx, "str", "hello", 0)
		c.Set(ctx, "int", "12345", 0)
		c.Set(ctx, "ttl", "v", time.Hour)
		c.RPush(ctx, "list", "a", "b", "c", 1, 2)
		c.SAdd(ctx, "intset", 3, 1, 2)
		c.SAdd(ctx, "set", "x", "y", "z")
		c.ZAdd(ctx, "zset", redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: -0.1, Member: "b"}, redis.Z{Score: 1e21, Member: "c"})
		c.HSet(ctx, "hash", "f1", "v1", "f2", "v2", "n", 3)
		c.XAdd(ctx, &redis.XAddArgs{Stream: "stream", ID: "1-1", Values: []string{"f", "v", "g", "w"}})
		c.XAdd(ctx, &redis.XAddArgs{Stream: "stream", ID: "2-0", Values: []string{"f", "v2"}})
		c.XAdd(ctx, &redis.XAddArgs{Stream: "stream", ID: "3-5", Values: []string{"other", "1"}})
		c.XDel(ctx, "stream", "2-0")
		for i := range 300 { // past every listpack limit
			c.RPush(ctx, "biglist", fmt.Sprint("e", i))
			c.SAdd(ctx, "bigset", fmt.Sprint("m", i))
			c.ZAdd(ctx, "bigzset", redis.Z{Score: float64(i) / 3, Member: fmt.Sprint("m", i)})
			c.HSet(ctx, "bighash", fmt.Sprint("f", i), i)
		}
		c.Do(ctx, "select", 5)
		c.Set(ctx, "db5", "yes", 0)
		c.Do(ctx, "select", 0)
	}
	keys := []any{"debug", "digest-value", "str", "int", "ttl", "list", "intset", "set", "zset", "hash",
		"stream", "biglist", "bigset", "bigzset", "bighash", "missing"}
	load(oracle)
	want := oracle.Do(ctx, keys...).Val()
	wantAll := oracle.Do(ctx, "debug", "digest").Val()
	for _, threads := range []int{1, 4} {
		t.Run(fmt.Sprint("threads=", threads), func(t *testing.T) {
			c := newClient(t, startBasalt(t, threads))
			if got := c.Do(ctx, "debug", "digest").Val(); got != "0000000000000000000000000000000000000000" {
				t.Errorf("DEBUG DIGEST of an empty dataset = %v", got)
			}
			load(c)
			got := c.Do(ctx, keys...).Val()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("DEBUG DIGEST-VALUE\n got %v\nwant %v", got, want)
			}
			if got := c.Do(ctx, "debug", "digest").Val(); got != wantAll {
				t.Errorf("DEBUG DIGEST = %v, want %v", got, wantAll)
			}
			if got := c.Do(ctx, "debug", "digest-value").Val(); fmt.Sprint(got) != "[]" {
				t.Errorf("DEBUG DIGEST-VALUE without keys = %v", got)
			}
		})
	}
}
