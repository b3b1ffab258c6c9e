package coord_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// XREADGROUP BLOCK over streams on several shards wakes when any of them gets an
// entry, returns that stream only, and records the delivery in that group's PEL.
func TestXReadGroupBlockAcrossShards(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	admin := newClient(t, addr)
	var keys []string
	for i := 0; i < 8; i++ {
		k := "xg:" + strconv.Itoa(i)
		keys = append(keys, k)
		if err := admin.XGroupCreateMkStream(ctx, k, "g", "$").Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i, k := range keys {
		waiter := newClient(t, addr)
		streams := append([]string{}, keys...)
		for range keys {
			streams = append(streams, ">")
		}
		got := make(chan []redis.XStream, 1)
		go func() {
			v, err := waiter.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c" + strconv.Itoa(i), Streams: streams, Block: 5 * time.Second}).Result()
			if err != nil {
				t.Errorf("XREADGROUP: %v", err)
			}
			got <- v
		}()
		waitBlocked(t, admin, 1)
		id := strconv.Itoa(i+1) + "-1"
		if err := admin.XAdd(ctx, &redis.XAddArgs{Stream: k, ID: id, Values: []string{"f", "v"}}).Err(); err != nil {
			t.Fatal(err)
		}
		v := <-got
		if len(v) != 1 || v[0].Stream != k || len(v[0].Messages) != 1 || v[0].Messages[0].ID != id {
			t.Fatalf("XREADGROUP woken by XADD to %s returned %+v", k, v)
		}
		p, err := admin.XPending(ctx, k, "g").Result()
		if err != nil || p.Count != 1 || p.Consumers["c"+strconv.Itoa(i)] != 1 {
			t.Fatalf("XPENDING after the wake-up: %+v, %v", p, err)
		}
		waitBlocked(t, admin, 0)
	}
}

// A client blocked in XREADGROUP gets NOGROUP when the group is destroyed, and a
// timeout when nothing comes.
func TestXReadGroupBlockDestroyAndTimeout(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	admin := newClient(t, addr)
	admin.XGroupCreateMkStream(ctx, "xd", "g", "$")
	admin.XGroupCreateMkStream(ctx, "xe", "g", "$")
	waiter := newClient(t, addr)
	got := make(chan error, 1)
	go func() {
		_, err := waiter.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"xe", "xd", ">", ">"}, Block: 5 * time.Second}).Result()
		got <- err
	}()
	waitBlocked(t, admin, 1)
	if n, err := admin.XGroupDestroy(ctx, "xd", "g").Result(); n != 1 || err != nil {
		t.Fatalf("XGROUP DESTROY: %d, %v", n, err)
	}
	err := <-got
	if err == nil || err.Error() != "NOGROUP the consumer group this client was blocked on no longer exists" {
		t.Fatalf("blocked XREADGROUP after DESTROY: %v", err)
	}
	start := time.Now()
	_, err = waiter.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"xe", ">"}, Block: 50 * time.Millisecond}).Result()
	if !errors.Is(err, redis.Nil) || time.Since(start) < 40*time.Millisecond {
		t.Fatalf("XREADGROUP BLOCK 50: %v after %v", err, time.Since(start))
	}
}

// Many consumers of one group, reading with and without BLOCK while producers add to
// streams on several shards: every entry is delivered exactly once, acknowledged, and
// none is lost.
func TestXReadGroupStress(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	admin := newClient(t, addr)
	const streams, perStream, consumers = 4, 500, 8
	var keys []string
	for i := range streams {
		k := "stress:" + strconv.Itoa(i)
		keys = append(keys, k)
		if err := admin.XGroupCreateMkStream(ctx, k, "g", "0").Err(); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var dup []string
	total := streams * perStream
	done := make(chan struct{})
	var wg sync.WaitGroup
	for c := range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := newClient(t, addr)
			name := "c" + strconv.Itoa(c)
			args := append([]string{}, keys...)
			for range keys {
				args = append(args, ">")
			}
			for {
				select {
				case <-done:
					return
				default:
				}
				res, err := cl.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: name, Streams: args, Count: 7, Block: 20 * time.Millisecond}).Result()
				if errors.Is(err, redis.Nil) {
					continue
				}
				if err != nil {
					t.Errorf("%s: %v", name, err)
					return
				}
				for _, s := range res {
					ids := make([]string, 0, len(s.Messages))
					mu.Lock()
					for _, m := range s.Messages {
						key := s.Stream + "/" + m.ID
						if prev, ok := seen[key]; ok {
							dup = append(dup, key+" to "+prev+" and "+name)
						}
						seen[key] = name
						ids = append(ids, m.ID)
					}
					n := len(seen)
					mu.Unlock()
					if a, err := cl.XAck(ctx, s.Stream, "g", ids...).Result(); err != nil || a != int64(len(ids)) {
						t.Errorf("XACK %v: %d, %v", ids, a, err)
					}
					if n == total {
						select {
						case <-done:
						default:
							close(done)
						}
					}
				}
			}
		}()
	}
	var pw sync.WaitGroup
	for i, k := range keys {
		pw.Add(1)
		go func() {
			defer pw.Done()
			p := newClient(t, addr)
			for j := range perStream {
				if err := p.XAdd(ctx, &redis.XAddArgs{Stream: k, ID: fmt.Sprintf("%d-%d", j+1, i), Values: []string{"n", strconv.Itoa(j)}}).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	pw.Wait()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		close(done)
		wg.Wait()
		t.Fatalf("only %d of %d entries delivered", len(seen), total)
	}
	wg.Wait()
	if len(dup) > 0 {
		t.Fatalf("delivered twice: %s", strings.Join(dup[:min(len(dup), 5)], "; "))
	}
	for _, k := range keys {
		p, err := admin.XPending(ctx, k, "g").Result()
		if err != nil || p.Count != 0 {
			t.Fatalf("%s PEL after acks: %+v, %v", k, p, err)
		}
		info, err := admin.XInfoGroups(ctx, k).Result()
		if err != nil || len(info) != 1 || info[0].EntriesRead != perStream || info[0].Lag != 0 {
			t.Fatalf("%s XINFO GROUPS: %+v, %v", k, info, err)
		}
	}
}

// XINFO CONSUMERS and XINFO STREAM FULL report Redis 7.2's activity fields, which the
// 7.0 oracle of the differential corpus lacks: inactive is -1 until the consumer gets
// an entry, then the time since it did.
func TestXInfoConsumerActivity(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, startBasalt(t, 2))
	c.XAdd(ctx, &redis.XAddArgs{Stream: "act", ID: "1-1", Values: []string{"f", "v"}})
	c.XGroupCreate(ctx, "act", "g", "0")
	c.XGroupCreateConsumer(ctx, "act", "g", "idle")
	c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "busy", Streams: []string{"act", ">"}})
	v, err := c.Do(ctx, "XINFO", "CONSUMERS", "act", "g").Slice()
	if err != nil || len(v) != 2 {
		t.Fatalf("XINFO CONSUMERS: %v, %v", v, err)
	}
	busy, idle := v[0].([]any), v[1].([]any)
	if len(busy) != 8 || busy[1] != "busy" || busy[6] != "inactive" || busy[7].(int64) < 0 || busy[7].(int64) > 5000 {
		t.Fatalf("busy consumer: %v", busy)
	}
	if idle[1] != "idle" || idle[7] != int64(-1) {
		t.Fatalf("idle consumer: %v", idle)
	}
	full := fmt.Sprint(c.Do(ctx, "XINFO", "STREAM", "act", "FULL").Val())
	if !strings.Contains(full, "active-time -1 pel-count 0") || strings.Count(full, "active-time") != 2 {
		t.Fatalf("XINFO STREAM FULL: %s", full)
	}
}

// A client blocked in XREADGROUP fails when its stream goes away or changes type, with
// the error the command would get now, as in Redis 7.2 (redis-server 7.0, the oracle
// of the differential tests, answers "UNBLOCKED the stream key no longer exists"
// instead, so this test pins 7.2's replies). A blocked XREAD ignores the same changes
// and is served by the next stream at its key.
func TestBlockedStreamReadsWhenTheKeyGoes(t *testing.T) {
	ctx := context.Background()
	noGroup := "NOGROUP No such key 'xk' or consumer group 'g' in XREADGROUP with GROUP option"
	wrongType := "WRONGTYPE Operation against a key holding the wrong kind of value"
	cases := []struct {
		name   string
		change func(c *redis.Client)
		want   string
	}{
		{"DEL", func(c *redis.Client) { c.Del(ctx, "xk") }, noGroup},
		{"SET", func(c *redis.Client) { c.Set(ctx, "xk", "v", 0) }, wrongType},
		{"MULTI DEL SADD", func(c *redis.Client) {
			c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Del(ctx, "xk")
				p.SAdd(ctx, "xk", "e")
				return nil
			})
		}, wrongType},
		// With four shards the other keys put this DEL on the coordinator's path.
		{"multi-shard DEL", func(c *redis.Client) { c.Del(ctx, "xk", "o:1", "o:2", "o:3", "o:4", "o:5", "o:6") }, noGroup},
		{"RENAME onto it", func(c *redis.Client) { c.Set(ctx, "o:7", "v", 0); c.Rename(ctx, "o:7", "xk") }, wrongType},
		{"FLUSHALL", func(c *redis.Client) { c.FlushAll(ctx) }, noGroup},
		{"FLUSHDB", func(c *redis.Client) { c.FlushDB(ctx) }, noGroup},
		{"expiry", func(c *redis.Client) { c.PExpire(ctx, "xk", 10*time.Millisecond) }, noGroup},
	}
	for _, threads := range []int{1, 4} {
		addr := startBasalt(t, threads)
		admin := newClient(t, addr)
		for _, tc := range cases {
			t.Run(strconv.Itoa(threads)+"/"+tc.name, func(t *testing.T) {
				admin.Del(ctx, "xk")
				admin.XAdd(ctx, &redis.XAddArgs{Stream: "xk", ID: "666", Values: []string{"f", "v"}})
				admin.XGroupCreate(ctx, "xk", "g", "$")
				waiter := newClient(t, addr)
				got := make(chan error, 1)
				go func() {
					_, err := waiter.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "alice", Streams: []string{"xk", ">"}, Block: 5 * time.Second}).Result()
					got <- err
				}()
				waitBlocked(t, admin, 1)
				tc.change(admin)
				if err := <-got; err == nil || err.Error() != tc.want {
					t.Errorf("blocked XREADGROUP after %s: %v, want %q", tc.name, err, tc.want)
				}
				waitBlocked(t, admin, 0)
			})
		}
		t.Run(strconv.Itoa(threads)+"/XREAD waits on", func(t *testing.T) {
			admin.Del(ctx, "xk")
			admin.XAdd(ctx, &redis.XAddArgs{Stream: "xk", ID: "666", Values: []string{"f", "v"}})
			waiter := newClient(t, addr)
			got := make(chan string, 1)
			go func() {
				res, err := waiter.XRead(ctx, &redis.XReadArgs{Streams: []string{"xk", "$"}, Block: 5 * time.Second}).Result()
				if err != nil {
					got <- err.Error()
					return
				}
				got <- res[0].Messages[0].ID
			}()
			waitBlocked(t, admin, 1)
			admin.Set(ctx, "xk", "v", 0)
			admin.Del(ctx, "xk")
			admin.XAdd(ctx, &redis.XAddArgs{Stream: "xk", ID: "667", Values: []string{"f", "v"}})
			if v := <-got; v != "667-0" {
				t.Errorf("blocked XREAD got %s, want the entry added after SET and DEL", v)
			}
		})
	}
}
