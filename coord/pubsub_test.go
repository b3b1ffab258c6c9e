package coord_test

// Pub/Sub tests. Message delivery needs several connections, which the one-connection
// diff corpus cannot express: scripts below run the same steps against Basalt (with
// several loops, so that subscribers and publishers live on different loops) and
// redis-server, and compare the raw bytes every connection receives after each step.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// psStep is one step of a pub/sub script: connection conn writes cmds in one write
// (pipelined), then every connection's output is collected until it goes quiet.
type psStep struct {
	conn int
	cmds [][]string
}

func step(conn int, cmds ...string) psStep {
	s := psStep{conn: conn}
	for _, c := range cmds {
		s.cmds = append(s.cmds, strings.Fields(c))
	}
	return s
}

// psScripts are the differential scripts, by name. Each runs in RESP2 and RESP3.
var psScripts = map[string]struct {
	conns int
	steps []psStep
}{
	"messages": {2, []psStep{
		step(0, "SUBSCRIBE ch1 ch2"),
		step(1, "PUBLISH ch1 hello"),
		step(1, "PUBLISH nope x"),
		step(0, "PSUBSCRIBE ch*"),
		step(1, "PUBLISH ch2 m2"),
		step(1, "PUBLISH chX m3"),
		step(0, "PING"),
		step(0, "PING x"),
		step(0, "GET k"),
		step(0, "PUBSUB NUMPAT"),
		step(0, "UNSUBSCRIBE ch1"),
		step(1, "PUBLISH ch1 m4"),
		step(0, "PUNSUBSCRIBE"),
		step(0, "UNSUBSCRIBE"),
		step(0, "UNSUBSCRIBE"),
		step(0, "PUNSUBSCRIBE nope"),
		step(0, "PING"),
		step(1, "PUBLISH ch2 gone"),
	}},
	"shard": {2, []psStep{
		step(0, "SSUBSCRIBE s1 s2"),
		step(1, "SPUBLISH s1 v"),
		step(1, "PUBLISH s1 v"),
		step(0, "SUBSCRIBE s1"),
		step(1, "PUBLISH s1 w"),
		step(1, "SPUBLISH s2 w"),
		step(0, "SET k v"),
		step(1, "PUBSUB SHARDCHANNELS s1"),
		step(1, "PUBSUB SHARDCHANNELS s2"),
		step(1, "PUBSUB SHARDNUMSUB s1 s2 s3"),
		step(1, "PUBSUB NUMSUB s1"),
		step(0, "SUNSUBSCRIBE s1"),
		step(0, "SUNSUBSCRIBE"),
		step(0, "SUNSUBSCRIBE"),
		step(0, "UNSUBSCRIBE"),
		step(0, "SET k v"),
	}},
	"counts": {4, []psStep{
		step(0, "SUBSCRIBE a b"),
		step(1, "SUBSCRIBE a"),
		step(2, "PSUBSCRIBE a*"),
		step(2, "PSUBSCRIBE b?"),
		step(3, "PUBSUB NUMSUB a b c"),
		step(3, "PUBSUB NUMPAT"),
		step(3, "PUBSUB CHANNELS b"),
		step(3, "PUBSUB CHANNELS c*"),
		step(3, "PUBLISH a x"),
		step(3, "PUBLISH ab x"),
		step(3, "PUBLISH b x"),
		step(0, "RESET"),
		step(3, "PUBSUB NUMSUB a b"),
		step(3, "PUBLISH a y"),
		step(1, "QUIT"),
		step(3, "PUBSUB NUMSUB a"),
		step(3, "PUBLISH a z"),
		step(2, "PUNSUBSCRIBE a*"),
		step(3, "PUBSUB NUMPAT"),
		step(3, "PUBSUB CHANNELS"),
	}},
	"pipelined": {2, []psStep{
		step(0, "PING", "SUBSCRIBE a", "PING", "SUBSCRIBE b", "GET x", "PSUBSCRIBE c*"),
		step(1, "SET k 1", "PUBLISH a 1", "PUBLISH b 2", "GET k", "PUBLISH cc 3", "INCR k", "PUBLISH a 4"),
		step(0, "UNSUBSCRIBE a b", "PING", "PUNSUBSCRIBE", "GET x"),
	}},
	"self": {1, []psStep{
		step(0, "SUBSCRIBE a"),
		step(0, "PUBLISH a x"),
		step(0, "PING", "PUBLISH a y", "ECHO z"),
		// RESP3 only (RESP2 refuses both while subscribed): inside a script the message
		// reaches the client before the script's reply, inside MULTI within EXEC's.
		step(0, "EVAL return(redis.call('publish','a','e')) 0"),
		step(0, "MULTI"),
		step(0, "PUBLISH a m"),
		step(0, "EXEC"),
		step(0, "SSUBSCRIBE s"),
		step(0, "SPUBLISH s x"),
		step(0, "UNSUBSCRIBE a"),
		step(0, "GET x"),
		step(0, "SUNSUBSCRIBE s"),
		step(0, "GET x"),
	}},
	// Redis matches a channel against its patterns in hash-table order, so no channel
	// below matches two patterns of one client.
	"glob": {2, []psStep{
		step(0, `PSUBSCRIBE h?llo`),
		step(0, `PSUBSCRIBE x[^e]y`),
		step(0, `PSUBSCRIBE \*star`),
		step(1, "PUBLISH hello 1"),
		step(1, "PUBLISH hallo 2"),
		step(1, "PUBLISH xay 3"),
		step(1, "PUBLISH xey 4"),
		step(1, "PUBLISH *star 5"),
		step(1, "PUBLISH xstar 6"),
		step(1, "PUBLISH HELLO 7"),
		step(0, `PUNSUBSCRIBE h?llo x[^e]y \*star`),
	}},
	"multi": {2, []psStep{
		step(0, "MULTI", "SUBSCRIBE a", "SSUBSCRIBE s", "PUBLISH a x", "EXEC"),
		step(1, "PUBLISH a y"),
		step(0, "UNSUBSCRIBE"),
		step(1, "MULTI", "PUBLISH a z", "PUBLISH nope z", "EXEC"),
	}},
	"errors": {1, []psStep{
		step(0, "SUBSCRIBE"),
		step(0, "PSUBSCRIBE"),
		step(0, "SSUBSCRIBE"),
		step(0, "PUBLISH a"),
		step(0, "SPUBLISH a b c"),
		step(0, "PUBSUB"),
		step(0, "PUBSUB foo"),
		step(0, "PUBSUB CHANNELS a b"),
		step(0, "PUBSUB SHARDCHANNELS a b"),
		step(0, "PUBSUB NUMPAT x"),
		step(0, "PUBSUB NUMSUB"),
		step(0, "PUBSUB SHARDNUMSUB"),
		step(0, "SUBSCRIBE a"),
		step(0, "PUBSUB CHANNELS"),
		step(0, "MULTI"),
		step(0, "CLIENT ID"),
		step(0, "QUIT"),
	}},
}

// psConn is one scripted connection.
type psConn struct {
	c net.Conn
	r *bufio.Reader
}

// quiet collects what arrives on the connection until nothing more comes for a while.
// It waits up to two seconds for the first expect bytes, so that a slow run (-race, a
// loaded machine) does not look like a missing message.
func (p *psConn) quiet(t *testing.T, expect int) []byte {
	t.Helper()
	var out []byte
	for {
		wait := 40 * time.Millisecond
		if len(out) < expect {
			wait = 2 * time.Second
		}
		_ = p.c.SetReadDeadline(time.Now().Add(wait))
		frame, err := readReply(p.r)
		out = append(out, frame...)
		if err != nil {
			return out
		}
	}
}

// runPsScript runs a script against addr and returns, per step, what each connection
// received. want, when not nil, is what the oracle's connections received.
func runPsScript(t *testing.T, addr string, resp, conns int, steps []psStep, want [][]string) [][]string {
	t.Helper()
	cs := make([]*psConn, conns)
	for i := range cs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		cs[i] = &psConn{c: c, r: bufio.NewReader(c)}
		if resp == 3 {
			_, _ = c.Write(encodeCommand([]string{"HELLO", "3"}))
			cs[i].quiet(t, 1)
		}
	}
	var got [][]string
	for _, s := range steps {
		var req []byte
		for _, cmd := range s.cmds {
			req = append(req, encodeCommand(cmd)...)
		}
		if _, err := cs[s.conn].c.Write(req); err != nil {
			t.Fatal(err)
		}
		// The sender always gets a reply: read it first, then what the others got.
		out := make([]string, conns)
		order := []int{s.conn}
		for i := range cs {
			if i != s.conn {
				order = append(order, i)
			}
		}
		for _, i := range order {
			expect := 0
			if want != nil {
				expect = len(want[len(got)][i])
			} else if i == s.conn {
				expect = 1
			}
			out[i] = string(cs[i].quiet(t, expect))
		}
		got = append(got, out)
	}
	return got
}

func TestPubsubDiffScripts(t *testing.T) {
	redisAddr := startRedis(t)
	basaltAddr := startBasalt(t, 4)
	for name, sc := range psScripts {
		for _, resp := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/resp%d", name, resp), func(t *testing.T) {
				want := runPsScript(t, redisAddr, resp, sc.conns, sc.steps, nil)
				got := runPsScript(t, basaltAddr, resp, sc.conns, sc.steps, want)
				for i := range want {
					for c := range want[i] {
						if got[i][c] != want[i][c] {
							t.Errorf("step %d (%v on conn %d), conn %d:\nbasalt %q\nredis  %q",
								i, sc.steps[i].cmds, sc.steps[i].conn, c, got[i][c], want[i][c])
						}
					}
				}
			})
		}
	}
}

// TestPubsubManyLoops checks delivery and exact receiver counts with go-redis
// subscribers spread over every loop and several publishers, and that each publisher's
// messages reach every subscriber in publish order.
func TestPubsubManyLoops(t *testing.T) {
	addr := startBasalt(t, 4)
	ctx := context.Background()
	const subs, pubs, perPub = 24, 4, 300
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: pubs + 2})
	defer rdb.Close()

	type sub struct {
		ps   *redis.PubSub
		next [pubs]int
	}
	all := make([]*sub, subs)
	for i := range all {
		// Half subscribe to the channel, half to a pattern: a pattern match counts too.
		var ps *redis.PubSub
		if i%2 == 0 {
			ps = rdb.Subscribe(ctx, "news")
		} else {
			ps = rdb.PSubscribe(ctx, "ne*")
		}
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		all[i] = &sub{ps: ps}
		defer ps.Close()
	}
	n, err := rdb.PubSubNumSub(ctx, "news").Result()
	if err != nil || n["news"] != subs/2 {
		t.Fatalf("NUMSUB news = %v, %v; want %d", n, err, subs/2)
	}

	var wg sync.WaitGroup
	errs := make(chan error, subs+pubs)
	for _, s := range all {
		wg.Add(1)
		go func(s *sub) {
			defer wg.Done()
			ch := s.ps.Channel(redis.WithChannelSize(pubs * perPub))
			for got := 0; got < pubs*perPub; got++ {
				select {
				case m := <-ch:
					var p, seq int
					if _, err := fmt.Sscanf(m.Payload, "%d:%d", &p, &seq); err != nil {
						errs <- err
						return
					}
					if seq != s.next[p] {
						errs <- fmt.Errorf("publisher %d: got message %d, want %d", p, seq, s.next[p])
						return
					}
					s.next[p]++
				case <-time.After(10 * time.Second):
					errs <- fmt.Errorf("timed out after %d messages", got)
					return
				}
			}
		}(s)
	}
	for p := 0; p < pubs; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			if p == 0 {
				// One publisher pipelines all its messages in one write.
				cmds, err := rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
					for i := 0; i < perPub; i++ {
						pipe.Publish(ctx, "news", fmt.Sprintf("%d:%d", p, i))
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
				for _, c := range cmds {
					if n := c.(*redis.IntCmd).Val(); n != subs {
						errs <- fmt.Errorf("pipelined PUBLISH returned %d; want %d", n, subs)
						return
					}
				}
				return
			}
			for i := 0; i < perPub; i++ {
				n, err := rdb.Publish(ctx, "news", fmt.Sprintf("%d:%d", p, i)).Result()
				if err != nil || n != subs {
					errs <- fmt.Errorf("PUBLISH returned %d, %v; want %d", n, err, subs)
					return
				}
			}
		}(p)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestPubsubIntrospection checks CLIENT LIST, INFO and PUBSUB counts with subscribers on
// several loops.
func TestPubsubIntrospection(t *testing.T) {
	addr := startBasalt(t, 4)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	var pss []*redis.PubSub
	for i := 0; i < 6; i++ {
		ps := rdb.Subscribe(ctx, "c"+strconv.Itoa(i%3), "shared")
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		pss = append(pss, ps)
	}
	ps := rdb.PSubscribe(ctx, "p1", "p2")
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	pss = append(pss, ps)
	ss := rdb.SSubscribe(ctx, "s1")
	if _, err := ss.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	pss = append(pss, ss)
	// Receive returns after the first confirmation; let the rest arrive.
	time.Sleep(50 * time.Millisecond)

	info := rdb.Info(ctx, "stats", "clients").Val()
	for _, want := range []string{"pubsub_channels:4\r\n", "pubsub_patterns:2\r\n", "pubsubshard_channels:1\r\n", "pubsub_clients:8\r\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO lacks %q:\n%s", want, info)
		}
	}
	if n := rdb.PubSubNumPat(ctx).Val(); n != 2 {
		t.Errorf("NUMPAT = %d, want 2", n)
	}
	if n := rdb.PubSubNumSub(ctx, "shared", "c0").Val(); n["shared"] != 6 || n["c0"] != 2 {
		t.Errorf("NUMSUB = %v", n)
	}
	list := rdb.ClientList(ctx).Val()
	for _, want := range []string{"flags=P db=0 sub=2 psub=0 ssub=0", "flags=P db=0 sub=0 psub=2 ssub=0", "flags=P db=0 sub=0 psub=0 ssub=1"} {
		if !strings.Contains(list, want) {
			t.Errorf("CLIENT LIST lacks %q:\n%s", want, list)
		}
	}
	typed, err := rdb.Do(ctx, "CLIENT", "LIST", "TYPE", "pubsub").Text()
	if err != nil || strings.Count(typed, "\n") != 8 {
		t.Errorf("CLIENT LIST TYPE pubsub: %v\n%s", err, typed)
	}
	for _, p := range pss {
		p.Close()
	}
	// Closed subscribers leave every table.
	deadline := time.Now().Add(5 * time.Second)
	for {
		info = rdb.Info(ctx, "stats", "clients").Val()
		if strings.Contains(info, "pubsub_channels:0\r\n") && strings.Contains(info, "pubsub_clients:0\r\n") &&
			strings.Contains(info, "pubsub_patterns:0\r\n") && strings.Contains(info, "pubsubshard_channels:0\r\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscriptions outlive their connections:\n%s", info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPubsubOutputLimit checks that a subscriber that stops reading is disconnected once
// its pending output passes the pubsub hard limit, and that the server keeps serving.
func TestPubsubOutputLimit(t *testing.T) {
	addr := startBasalt(t, 2)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	if err := rdb.ConfigSet(ctx, "client-output-buffer-limit", "pubsub 256kb 128kb 60").Err(); err != nil {
		t.Fatal(err)
	}
	got := rdb.ConfigGet(ctx, "client-output-buffer-limit").Val()["client-output-buffer-limit"]
	if got != "normal 0 0 0 slave 268435456 67108864 60 pubsub 262144 131072 60" {
		t.Fatalf("CONFIG GET client-output-buffer-limit = %q", got)
	}
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	// A small receive buffer makes the kernel hold little, so gnet holds the rest.
	_ = slow.(*net.TCPConn).SetReadBuffer(4096)
	if _, err := slow.Write(encodeCommand([]string{"SUBSCRIBE", "flood"})); err != nil {
		t.Fatal(err)
	}
	if _, err := readReply(bufio.NewReader(slow)); err != nil {
		t.Fatal(err)
	}
	payload := strings.Repeat("x", 16<<10)
	deadline := time.Now().Add(10 * time.Second)
	for sent := 0; ; sent++ {
		n := rdb.Publish(ctx, "flood", payload).Val()
		if n == 0 && sent > 0 {
			break // the slow subscriber is gone
		}
		if time.Now().After(deadline) {
			t.Fatalf("slow subscriber still connected after %d messages (%d MB)", sent, sent*len(payload)>>20)
		}
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ConfigSet(ctx, "client-output-buffer-limit", "pubsub 32mb 8mb 60").Err(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkPublish measures PUBLISH throughput with 1, 10 and 100 subscribers (on a
// channel, reading as fast as they can), against Basalt and, when it can be started,
// redis-server. Publishers run in parallel, one connection each.
//
//	go test ./coord/ -run '^$' -bench 'Publish' -benchtime 2s
func BenchmarkPublish(b *testing.B) {
	servers := []struct{ name, addr string }{{"basalt", startBasalt(b, 0)}}
	servers = append(servers, struct{ name, addr string }{"redis", startRedis(b)})
	for _, srv := range servers {
		for _, subs := range []int{1, 10, 100} {
			b.Run(fmt.Sprintf("%s/subs=%d", srv.name, subs), func(b *testing.B) {
				benchPublish(b, srv.addr, subs)
			})
		}
	}
}

func benchPublish(b *testing.B, addr string, subs int) {
	var readers sync.WaitGroup
	conns := make([]net.Conn, subs)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = c
		_, _ = c.Write(encodeCommand([]string{"SUBSCRIBE", "bench"}))
		r := bufio.NewReaderSize(c, 1<<16)
		if _, err := readReply(r); err != nil {
			b.Fatal(err)
		}
		readers.Add(1)
		go func() {
			defer readers.Done()
			buf := make([]byte, 1<<16)
			for {
				if _, err := r.Read(buf); err != nil {
					return
				}
			}
		}()
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		req := encodeCommand([]string{"PUBLISH", "bench", "0123456789abcdef0123456789abcdef"})
		want := ":" + strconv.Itoa(subs) + "\r\n"
		for pb.Next() {
			if _, err := c.Write(req); err != nil {
				b.Error(err)
				return
			}
			line, err := r.ReadString('\n')
			if err != nil || line != want {
				b.Errorf("PUBLISH answered %q, %v", line, err)
				return
			}
		}
	})
	b.StopTimer()
	for _, c := range conns {
		c.Close()
	}
	readers.Wait()
}
