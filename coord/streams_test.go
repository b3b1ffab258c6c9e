package coord_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// XREAD BLOCK over streams on several shards wakes when any of them gets an entry
// after the id it waits for, and returns that stream only.
func TestXReadBlockAcrossShards(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	admin := newClient(t, addr)
	var keys []string
	for i := 0; i < 8; i++ {
		keys = append(keys, "xs:"+strconv.Itoa(i))
	}
	for i, k := range keys {
		waiter := newClient(t, addr)
		streams := append(append([]string{}, keys...), make([]string, len(keys))...)
		for j := range keys {
			streams[len(keys)+j] = "$"
		}
		got := make(chan []redis.XStream, 1)
		go func() {
			v, err := waiter.XRead(ctx, &redis.XReadArgs{Streams: streams, Block: 5 * time.Second}).Result()
			if err != nil {
				t.Errorf("XREAD: %v", err)
			}
			got <- v
		}()
		waitBlocked(t, admin, 1)
		id := strconv.Itoa(i+1) + "-1"
		if err := admin.XAdd(ctx, &redis.XAddArgs{Stream: k, ID: id, Values: []string{"f", "v"}}).Err(); err != nil {
			t.Fatal(err)
		}
		v := <-got
		if len(v) != 1 || v[0].Stream != k || len(v[0].Messages) != 1 || v[0].Messages[0].ID != id || v[0].Messages[0].Values["f"] != "v" {
			t.Fatalf("XREAD woken by XADD to %s returned %+v", k, v)
		}
		waitBlocked(t, admin, 0)
	}
}

// "$" is resolved when XREAD starts waiting: entries already there are not returned,
// and a non-blocking XREAD over several shards returns every stream with new entries.
func TestXReadDollarAndTimeout(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	c := newClient(t, addr)
	for i := 0; i < 4; i++ {
		c.XAdd(ctx, &redis.XAddArgs{Stream: "xd:" + strconv.Itoa(i), ID: "1-1", Values: []string{"a", "1"}})
	}
	all, err := c.XRead(ctx, &redis.XReadArgs{Streams: []string{"xd:0", "xd:1", "xd:2", "xd:3", "0", "0", "1-1", "0"}}).Result()
	if err != nil || len(all) != 3 || all[0].Stream != "xd:0" || all[1].Stream != "xd:1" || all[2].Stream != "xd:3" {
		t.Fatalf("non-blocking XREAD over shards: %+v, %v", all, err)
	}
	start := time.Now()
	_, err = c.XRead(ctx, &redis.XReadArgs{Streams: []string{"xd:0", "xd:1", "$", "$"}, Block: 50 * time.Millisecond}).Result()
	if err != redis.Nil {
		t.Fatalf("XREAD BLOCK with $ on streams with entries: %v, want a timeout", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Fatalf("XREAD BLOCK 50 returned after %v", d)
	}
	waiter := newClient(t, addr)
	got := make(chan []redis.XStream, 1)
	go func() {
		v, _ := waiter.XRead(ctx, &redis.XReadArgs{Streams: []string{"xd:2", "xd:new", "$", "$"}, Count: 1, Block: 5 * time.Second}).Result()
		got <- v
	}()
	waitBlocked(t, c, 1)
	c.XAdd(ctx, &redis.XAddArgs{Stream: "xd:new", ID: "5-5", Values: []string{"b", "2"}})
	v := <-got
	if len(v) != 1 || v[0].Stream != "xd:new" || v[0].Messages[0].ID != "5-5" {
		t.Fatalf("XREAD woken by a new stream returned %+v", v)
	}
}
