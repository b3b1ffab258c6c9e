package coord_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestClientPauseMatchesRedis runs one CLIENT PAUSE scenario against redis-server and
// Basalt and compares the transcripts: what waits and what does not under WRITE and
// ALL, blocked_clients, expiry held during the pause, the end by UNPAUSE and by
// timeout, and the errors.
func TestClientPauseMatchesRedis(t *testing.T) {
	run := func(addr string) string {
		ctx := context.Background()
		var out strings.Builder
		admin := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
		defer admin.Close()
		other := func() *redis.Client {
			return redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1, ReadTimeout: 10 * time.Second})
		}
		note := func(what string, v any, err error) {
			fmt.Fprintf(&out, "%s: %v %v\n", what, v, err)
		}
		blocked := func(want int64) {
			deadline := time.Now().Add(5 * time.Second)
			var info string
			for time.Now().Before(deadline) {
				info, _ = admin.Info(ctx, "clients").Result()
				if strings.Contains(info, fmt.Sprintf("blocked_clients:%d\r\n", want)) {
					fmt.Fprintf(&out, "blocked_clients reached %d\n", want)
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
			fmt.Fprintf(&out, "blocked_clients never %d: %q\n", want, info)
		}
		for _, args := range [][]any{{"client", "pause", "abc"}, {"client", "pause", "-1"}, {"client", "pause", "10", "sometimes"},
			{"client", "pause", "10", "write", "extra"}} {
			err := admin.Do(ctx, args...).Err()
			note(fmt.Sprint(args), "", err)
		}
		admin.Do(ctx, "client", "unpause")
		admin.PFAdd(ctx, "hll", "a")
		admin.Set(ctx, "k", "v", 0)

		note("pause write", "", admin.Do(ctx, "client", "pause", 60000, "write").Err())
		reader := other()
		v, err := reader.Get(ctx, "k").Result()
		note("GET during WRITE pause", v, err)
		v2, err := reader.EvalRO(ctx, "return redis.call('publish','ch','m')", nil).Result()
		note("EVAL_RO publish", v2, err)
		expired := func() string {
			info, _ := admin.Info(ctx, "stats").Result()
			for _, l := range strings.Split(info, "\r\n") {
				if strings.HasPrefix(l, "expired_keys:") {
					return l
				}
			}
			return ""
		}
		before := expired()
		admin.Do(ctx, "client", "unpause")
		admin.Set(ctx, "ttl", "v", 20*time.Millisecond)
		admin.Do(ctx, "client", "pause", 60000, "write")
		time.Sleep(100 * time.Millisecond)
		_, err = reader.Get(ctx, "ttl").Result()
		note("GET of a key past its TTL during the pause", "", err)
		note("expired_keys held", expired() == before, nil)

		writers := []*redis.Client{other(), other(), other()}
		done := make(chan string, 3)
		go func() { r, err := writers[0].Set(ctx, "k", "v2", 0).Result(); done <- fmt.Sprint("SET ", r, err) }()
		go func() { r, err := writers[1].PFCount(ctx, "hll").Result(); done <- fmt.Sprint("PFCOUNT ", r, err) }()
		go func() { r, err := writers[2].Publish(ctx, "ch", "m").Result(); done <- fmt.Sprint("PUBLISH ", r, err) }()
		blocked(3)
		select {
		case r := <-done:
			fmt.Fprintf(&out, "answered during the pause: %s\n", r)
		case <-time.After(50 * time.Millisecond):
		}
		admin.Do(ctx, "client", "unpause")
		var got []string
		for range 3 {
			got = append(got, <-done)
		}
		note("after UNPAUSE", len(got), nil)
		for _, g := range got {
			if !strings.Contains(g, "<nil>") {
				fmt.Fprintf(&out, "failed: %s\n", g)
			}
		}
		blocked(0)
		_, err = reader.Get(ctx, "ttl").Result()
		note("GET of the key after the pause", "", err)
		note("expired_keys moved", expired() != before, nil)

		start := time.Now()
		admin.Do(ctx, "client", "pause", 300, "all")
		pinger := other()
		p, err := pinger.Ping(ctx).Result()
		note("PING under ALL", p, err)
		note("PING waited for the timeout", time.Since(start) >= 250*time.Millisecond, nil)
		for _, c := range append(writers, reader, pinger) {
			c.Close()
		}
		return out.String()
	}
	want := run(startRedis(t))
	got := run(startBasalt(t, 2))
	if got != want {
		t.Fatalf("transcripts differ\nredis:\n%s\nbasalt:\n%s", want, got)
	}
}
