package coord_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestSlowlogMultiShard checks that a command whose keys span shards reaches the slow
// log, timed from dispatch to reply.
func TestSlowlogMultiShard(t *testing.T) {
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: startBasalt(t, 4)})
	defer c.Close()
	do(t, c, "CONFIG", "SET", "slowlog-log-slower-than", "0")
	do(t, c, "SLOWLOG", "RESET")
	var args []any
	for i := 0; i < 16; i++ {
		args = append(args, fmt.Sprintf("key%d", i), "v")
	}
	do(t, c, append([]any{"MSET"}, args...)...)
	logs, err := c.SlowLogGet(ctx, 10).Result()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range logs {
		if len(l.Args) > 0 && l.Args[0] == "MSET" {
			found = true
		}
	}
	if !found {
		t.Fatalf("the cross-shard MSET is not in the slow log: %+v", logs)
	}
}
