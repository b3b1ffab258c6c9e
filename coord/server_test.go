package coord_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/basaltdb/basalt/coord"
)

func newClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// Replies to a long pipeline whose keys spread over every shard come back in request
// order, and each command sees the effect of the earlier ones on the same key.
func TestPipelineOrderAcrossShards(t *testing.T) {
	for _, threads := range []int{1, 4} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			ctx := context.Background()
			c := newClient(t, startBasalt(t, threads))
			pipe := c.Pipeline()
			var gets []*redis.StringCmd
			var incrs []*redis.IntCmd
			for i := 0; i < 500; i++ {
				k := "key:" + strconv.Itoa(i)
				pipe.Set(ctx, k, "v"+strconv.Itoa(i), 0)
				gets = append(gets, pipe.Get(ctx, k))
				incrs = append(incrs, pipe.Incr(ctx, "n:"+strconv.Itoa(i%7)))
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			seen := map[int]int64{}
			for i := range gets {
				if got, want := gets[i].Val(), "v"+strconv.Itoa(i); got != want {
					t.Fatalf("GET #%d = %q, want %q", i, got, want)
				}
				seen[i%7]++
				if got := incrs[i].Val(); got != seen[i%7] {
					t.Fatalf("INCR #%d = %d, want %d", i, got, seen[i%7])
				}
			}
		})
	}
}

func TestMultiKeyCommandsAcrossShards(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, startBasalt(t, 4))
	var kv []any
	var keys []string
	for i := 0; i < 40; i++ {
		k := "mk" + strconv.Itoa(i)
		keys = append(keys, k)
		kv = append(kv, k, "val"+strconv.Itoa(i))
	}
	if err := c.MSet(ctx, kv...).Err(); err != nil {
		t.Fatal(err)
	}
	vals, err := c.MGet(ctx, append(keys, "missing")...).Result()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vals[:40] {
		if v != "val"+strconv.Itoa(i) {
			t.Fatalf("MGET[%d] = %v", i, v)
		}
	}
	if vals[40] != nil {
		t.Fatalf("MGET of a missing key = %v, want nil", vals[40])
	}
	if n := c.Exists(ctx, append(keys, keys[0], "missing")...).Val(); n != 41 {
		t.Fatalf("EXISTS = %d, want 41 (duplicates count)", n)
	}
	if ok := c.MSetNX(ctx, "fresh1", "a", keys[5], "b").Val(); ok {
		t.Fatal("MSETNX with an existing key succeeded")
	}
	if c.Exists(ctx, "fresh1").Val() != 0 {
		t.Fatal("MSETNX set a key although it failed")
	}
	if ok := c.MSetNX(ctx, "fresh1", "a", "fresh2", "b", "fresh3", "c").Val(); !ok {
		t.Fatal("MSETNX with new keys failed")
	}
	if n := c.DBSize(ctx).Val(); n != 43 {
		t.Fatalf("DBSIZE = %d, want 43", n)
	}
	got, err := c.Keys(ctx, "mk1*").Result()
	if err != nil || len(got) != 11 {
		t.Fatalf("KEYS mk1* = %v, %v; want 11 keys", got, err)
	}
	if n := c.Del(ctx, keys[:10]...).Val(); n != 10 {
		t.Fatalf("DEL = %d, want 10", n)
	}

	// RENAME moves value and TTL together, whichever shards the names hash to.
	for i := 0; i < 20; i++ {
		src, dst := "src"+strconv.Itoa(i), "dst"+strconv.Itoa(i)
		c.Set(ctx, src, "payload", time.Hour)
		if err := c.Rename(ctx, src, dst).Err(); err != nil {
			t.Fatal(err)
		}
		if c.Exists(ctx, src).Val() != 0 || c.Get(ctx, dst).Val() != "payload" {
			t.Fatalf("RENAME %s %s did not move the value", src, dst)
		}
		if ttl := c.TTL(ctx, dst).Val(); ttl < 59*time.Minute {
			t.Fatalf("RENAME lost the TTL: %v", ttl)
		}
		if ok := c.RenameNX(ctx, dst, keys[20]).Val(); ok {
			t.Fatal("RENAMENX onto an existing key succeeded")
		}
		if n := c.Copy(ctx, dst, "copy"+strconv.Itoa(i), 3, false).Val(); n != 1 {
			t.Fatal("COPY to db 3 failed")
		}
	}
	if err := c.Rename(ctx, "nosuchkey", "x").Err(); err == nil || err.Error() != "ERR no such key" {
		t.Fatalf("RENAME of a missing key: %v", err)
	}
	if v, err := c.Do(ctx, "select", "3").Result(); err != nil || v != "OK" {
		t.Fatal(v, err)
	}
}

// Many clients on different loops incrementing counters on every shard lose no update.
func TestConcurrentIncrementsLoseNothing(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	const clients, rounds, counters = 8, 200, 16
	var wg sync.WaitGroup
	for g := 0; g < clients; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true})
			defer c.Close()
			for r := 0; r < rounds; r++ {
				pipe := c.Pipeline()
				for k := 0; k < counters; k++ {
					pipe.Incr(ctx, "ctr"+strconv.Itoa(k))
				}
				if _, err := pipe.Exec(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	c := newClient(t, addr)
	for k := 0; k < counters; k++ {
		if n, _ := c.Get(ctx, "ctr"+strconv.Itoa(k)).Int(); n != clients*rounds {
			t.Fatalf("ctr%d = %d, want %d", k, n, clients*rounds)
		}
	}
}

// A full SCAN returns every key that exists throughout, even while other keys are
// deleted concurrently.
func TestScanCoversEveryShard(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	c := newClient(t, addr)
	for i := 0; i < 2000; i++ {
		c.Set(ctx, "stable:"+strconv.Itoa(i), "x", 0)
		c.Set(ctx, "churn:"+strconv.Itoa(i), "x", 0)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true})
		defer d.Close()
		for i := 0; i < 2000; i++ {
			d.Del(ctx, "churn:"+strconv.Itoa(i))
		}
	}()
	seen := map[string]bool{}
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, "stable:*", 50).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			seen[k] = true
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	<-done
	if len(seen) != 2000 {
		t.Fatalf("SCAN saw %d stable keys, want 2000", len(seen))
	}
	if keys, _, _ := c.Scan(ctx, 0, "*", 10).Result(); len(keys) > 10*4 {
		t.Fatalf("SCAN COUNT 10 returned %d keys", len(keys))
	}
	if err := c.Do(ctx, "scan", "notanumber").Err(); err == nil || err.Error() != "ERR invalid cursor" {
		t.Fatalf("SCAN with a bad cursor: %v", err)
	}
}

// Keys with a TTL disappear by themselves (active expiry), and are never visible after
// their deadline (lazy expiry).
func TestExpiry(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, startBasalt(t, 4))
	for i := 0; i < 200; i++ {
		c.Set(ctx, "tmp"+strconv.Itoa(i), "x", 30*time.Millisecond)
	}
	c.Set(ctx, "keep", "x", 0)
	time.Sleep(40 * time.Millisecond)
	if v, err := c.Get(ctx, "tmp7").Result(); err != redis.Nil {
		t.Fatalf("expired key read back: %q %v", v, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.DBSize(ctx).Val() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("active expiry left %d keys", c.DBSize(ctx).Val())
		}
		time.Sleep(20 * time.Millisecond)
	}
	info := c.Info(ctx, "stats").Val()
	if !strings.Contains(info, "expired_keys:200") {
		t.Fatalf("INFO stats does not count 200 expired keys:\n%s", info)
	}
}

func TestIntrospection(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	c := newClient(t, addr)
	c.Set(ctx, "a", "1", 0)
	c.Set(ctx, "b", "2", time.Hour)
	info := c.Info(ctx, "keyspace").Val()
	if !strings.Contains(info, "db0:keys=2,expires=1") {
		t.Fatalf("INFO keyspace:\n%s", info)
	}
	stats := c.Info(ctx, "commandstats").Val()
	if !strings.Contains(stats, "cmdstat_set:calls=2") {
		t.Fatalf("INFO commandstats:\n%s", stats)
	}
	if n := c.Do(ctx, "command", "count").Val().(int64); n < 60 {
		t.Fatalf("COMMAND COUNT = %d", n)
	}
	keys, err := c.Do(ctx, "command", "getkeys", "mset", "k1", "v1", "k2", "v2").StringSlice()
	if err != nil || strings.Join(keys, ",") != "k1,k2" {
		t.Fatalf("COMMAND GETKEYS = %v, %v", keys, err)
	}
	c.Do(ctx, "client", "setname", "me")
	list := c.ClientList(ctx).Val()
	if !strings.Contains(list, "name=me") {
		t.Fatalf("CLIENT LIST:\n%s", list)
	}

	// CLIENT KILL by id closes a connection that lives on another loop.
	other := newClient(t, addr)
	other.Ping(ctx)
	id := other.ClientID(ctx).Val()
	if n := c.ClientKillByFilter(ctx, "ID", strconv.FormatInt(id, 10)).Val(); n != 1 {
		t.Fatalf("CLIENT KILL ID = %d", n)
	}
}

// Pipelined replies with CLIENT REPLY OFF are dropped, including remote ones.
func TestClientReplyOff(t *testing.T) {
	addr := startBasalt(t, 4)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "CLIENT REPLY OFF\r\nSET a 1\r\nSET b 2\r\nGET a\r\nCLIENT REPLY ON\r\nGET b\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	want := "+OK\r\n$1\r\n2\r\n"
	buf := make([]byte, 0, 64)
	for len(buf) < len(want) {
		tmp := make([]byte, 64)
		n, err := conn.Read(tmp)
		if err != nil {
			t.Fatalf("read: %v (got %q)", err, buf)
		}
		buf = append(buf, tmp[:n]...)
	}
	if string(buf) != want {
		t.Fatalf("got %q, want %q", buf, want)
	}
}

func TestAuth(t *testing.T) {
	ctx := context.Background()
	_, addr := startBasaltWith(t, func(cfg *coordConfig) { cfg.Threads = 2; cfg.RequirePass = "s3cret" })
	c := newClient(t, addr)
	if err := c.Get(ctx, "x").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Fatalf("GET before AUTH: %v", err)
	}
	if err := c.Do(ctx, "auth", "wrong").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Fatalf("AUTH wrong: %v", err)
	}
	authed := redis.NewClient(&redis.Options{Addr: addr, Password: "s3cret", DisableIdentity: true})
	defer authed.Close()
	if err := authed.Set(ctx, "x", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
}

type coordConfig = coord.Config

// CONFIG SET list-max-listpack-size reaches every shard's encoding decisions.
func TestConfigListMaxListpackSize(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, startBasalt(t, 4))
	if v := c.ConfigGet(ctx, "list-max-ziplist-size").Val(); v["list-max-ziplist-size"] != "-2" {
		t.Fatalf("default list-max-ziplist-size = %v", v)
	}
	if err := c.ConfigSet(ctx, "list-max-listpack-size", "4").Err(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		k := "enc:" + strconv.Itoa(i)
		c.RPush(ctx, k, 1, 2, 3, 4)
		if e := c.ObjectEncoding(ctx, k).Val(); e != "listpack" {
			t.Fatalf("%s with 4 elements is %s", k, e)
		}
		c.RPush(ctx, k, 5)
		if e := c.ObjectEncoding(ctx, k).Val(); e != "quicklist" {
			t.Fatalf("%s with 5 elements is %s, want quicklist", k, e)
		}
	}
}

// A client that disconnects while its multi-shard transaction is in flight must not
// leave its claims behind: later commands on the same keys still run.
func TestDisconnectDuringTransaction(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	var keys []string
	for i := 0; i < 16; i++ {
		keys = append(keys, "dc:"+strconv.Itoa(i))
	}
	for round := 0; round < 50; round++ {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		req := "*33\r\n$4\r\nMSET\r\n"
		for _, k := range keys {
			req += "$" + strconv.Itoa(len(k)) + "\r\n" + k + "\r\n$1\r\nx\r\n"
		}
		req += "MULTI\r\nSET dc:0 y\r\nDEL dc:1 dc:2 dc:3\r\nEXEC\r\n"
		conn.Write([]byte(req))
		conn.Close()
	}
	c := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true, ReadTimeout: 3 * time.Second})
	defer c.Close()
	if err := c.MSet(ctx, "dc:0", "z", "dc:5", "z", "dc:9", "z").Err(); err != nil {
		t.Fatalf("MSET after abandoned transactions: %v", err)
	}
	if _, err := c.MGet(ctx, keys...).Result(); err != nil {
		t.Fatalf("MGET after abandoned transactions: %v", err)
	}
}
