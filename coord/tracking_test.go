package coord_test

// Client-side caching tests. Invalidations reach other connections (and, redirected,
// a third one), which the one-connection diff corpus cannot express: the scripts below
// run against Basalt and redis-server and compare the raw bytes every connection
// receives after each step, as the Pub/Sub scripts do. A script may name a connection's
// client id as $ID<n> (ids differ between the servers) and wait with SLEEP <ms>.

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
	"github.com/redis/rueidis"
)

// trackScripts are the differential scripts, by name. Each runs in RESP2 and RESP3.
// Keys written by one command share a hash tag, so that with several shards the
// command still runs on one of them and BCAST batches its keys as Redis does.
var trackScripts = map[string]struct {
	conns int
	steps []psStep
}{
	"default": {2, []psStep{
		step(0, "CLIENT TRACKING on"),
		step(0, "GET a"),
		step(1, "SET a 1"),
		step(1, "SET a 2"),
		step(0, "GET a"),
		step(0, "MGET {t}a {t}b"),
		step(1, "MSET {t}a 2 {t}b 3"),
		step(1, "DEL a"),
		step(0, "CLIENT TRACKINGINFO"),
		step(0, "CLIENT GETREDIR"),
		step(0, "GET b"),
		step(0, "SET b 5"),
		step(0, "HGETALL h"),
		step(1, "HSET h f v"),
		step(0, "GET c"),
		step(0, "CLIENT TRACKING off"),
		step(1, "SET c 6"),
		step(0, "CLIENT TRACKINGINFO"),
		step(0, "CLIENT GETREDIR"),
	}},
	"redirect": {3, []psStep{
		step(1, "SUBSCRIBE __redis__:invalidate"),
		step(0, "CLIENT TRACKING on REDIRECT $ID1"),
		step(0, "CLIENT GETREDIR"),
		step(0, "CLIENT TRACKINGINFO"),
		step(0, "GET k"),
		step(2, "SET k v"),
		step(0, "GET k"),
		step(0, "SET k w"),
		step(0, "GET k"),
		step(2, "FLUSHDB"),
		step(0, "FLUSHALL"),
		step(1, "UNSUBSCRIBE"),
		step(0, "GET k"),
		step(2, "SET k x"),
	}},
	"redirect-broken": {3, []psStep{
		step(0, "CLIENT TRACKING on REDIRECT $ID1"),
		step(0, "GET k"),
		step(1, "QUIT"),
		step(2, "SET k 1"),
		step(0, "CLIENT TRACKINGINFO"),
		step(0, "GET k"),
		step(2, "SET k 2"),
		step(0, "CLIENT TRACKING on"),
		step(0, "CLIENT TRACKINGINFO"),
	}},
	"bcast": {2, []psStep{
		step(0, "CLIENT TRACKING on BCAST PREFIX u PREFIX v"),
		step(1, "MSET u{t}1 a v{t}2 b w{t} c u{t}0 d"),
		step(1, "SET u{t}1 x"),
		step(1, "SET x{t} x"),
		step(0, "CLIENT TRACKINGINFO"),
		step(0, "CLIENT TRACKING on BCAST PREFIX w"),
		step(1, "SET w{t} 1"),
		step(0, "SET w{t} 2"),
		step(0, "CLIENT TRACKING off"),
		step(0, "CLIENT TRACKING on BCAST"),
		step(1, "SET anything 1"),
		step(0, "CLIENT TRACKINGINFO"),
		step(0, "CLIENT TRACKING off"),
		step(1, "SET u{t}1 y"),
	}},
	// One message per prefix for all the keys a transaction or a command writes.
	"bcast-batch": {3, []psStep{
		step(1, "SUBSCRIBE __redis__:invalidate"),
		step(0, "CLIENT TRACKING on BCAST REDIRECT $ID1 PREFIX a: PREFIX b:"),
		step(0, "MULTI", "INCR a:1{t}", "INCR a:2{t}", "INCR b:1{t}", "INCR b:2{t}", "INCR c:1{t}", "EXEC"),
		step(2, "MSET a:x{t} 1 b:y{t} 2 a:z{t} 3"),
		step(0, "CLIENT TRACKING off"),
		step(0, "CLIENT TRACKING on BCAST REDIRECT $ID1 NOLOOP PREFIX a:"),
		step(0, "MULTI", "SET a:1{t} x", "SET a:2{t} y", "EXEC"),
		step(2, "MULTI", "SET a:1{t} z", "SET a:3{t} w", "EXEC"),
	}},
	// A read in a transaction is tracked once it ran: a write before it in the same
	// transaction does not invalidate it; one after it does.
	"exec-reads": {2, []psStep{
		step(0, "CLIENT TRACKING on"),
		step(0, "MULTI", "MSET x{t} 1 y{t} 2", "GET y{t}", "EXEC"),
		step(1, "SET y{t} 3"),
		step(0, "MULTI", "GET x{t}", "SET x{t} 5", "EXEC"),
		step(0, "PING"),
	}},
	// Only the keys a script's calls read are tracked.
	"script-reads": {2, []psStep{
		step(0, "CLIENT TRACKING on"),
		step(1, "MSET key1{t} 1 key2{t} 1"),
		step(0, "EVAL redis.call('set','key3{t}','bar') 2 key1{t} key2{t}"),
		step(1, "MSET key2{t} 2 key1{t} 2"),
		step(0, "EVAL redis.call('get','key2{t}') 2 key1{t} key2{t}"),
		step(1, "MSET key2{t} 2 key3{t} 2"),
		step(0, "EVAL_RO redis.call('get','key1{t}') 1 key1{t}"),
		step(1, "SET key1{t} 9"),
	}},
	// A blocked move that is served writes its keys like the command: the invalidation
	// follows the reply.
	"blocked-move": {2, []psStep{
		step(1, "RPUSH list2{t} a"),
		step(0, "CLIENT TRACKING on"),
		step(0, "LRANGE list2{t} 0 -1"),
		step(0, "BLMOVE list1{t} list2{t} LEFT LEFT 0"),
		step(1, "RPUSH list1{t} foo"),
		step(0, "PING"),
	}},
	"optin-optout": {2, []psStep{
		step(0, "CLIENT TRACKING on OPTIN"),
		step(0, "GET a"),
		step(1, "SET a 1"),
		step(0, "CLIENT CACHING yes"),
		step(0, "CLIENT TRACKINGINFO"),
		step(0, "GET a"),
		step(1, "SET a 2"),
		step(0, "CLIENT CACHING yes", "PING", "GET a"),
		step(1, "SET a 3"),
		step(0, "CLIENT TRACKING off"),
		step(0, "CLIENT TRACKING on OPTOUT"),
		step(0, "GET b"),
		step(1, "SET b 1"),
		step(0, "CLIENT CACHING no"),
		step(0, "CLIENT TRACKINGINFO"),
		step(0, "GET b"),
		step(1, "SET b 2"),
		step(0, "CLIENT TRACKING on"),
		step(0, "CLIENT TRACKINGINFO"),
	}},
	"noloop": {2, []psStep{
		step(0, "CLIENT TRACKING on NOLOOP"),
		step(0, "GET a"),
		step(0, "SET a 1"),
		step(0, "GET a"),
		step(1, "SET a 2"),
		step(0, "CLIENT TRACKING off"),
		step(0, "CLIENT TRACKING on BCAST NOLOOP PREFIX a"),
		step(0, "SET ab 1"),
		step(1, "SET ab 2"),
		step(0, "CLIENT TRACKINGINFO"),
	}},
	"flush": {2, []psStep{
		step(0, "CLIENT TRACKING on"),
		step(1, "CLIENT TRACKING on BCAST"),
		step(0, "GET a"),
		step(0, "FLUSHALL"),
		step(1, "FLUSHDB"),
		step(0, "CLIENT TRACKING off"),
		step(1, "FLUSHALL"),
	}},
	"expiry": {2, []psStep{
		step(0, "CLIENT TRACKING on"),
		step(1, "SET e v PX 300"),
		step(0, "GET e"),
		step(1, "SLEEP 500"),
		step(1, "GET e"),
	}},
	"errors": {2, []psStep{
		step(0, "CLIENT TRACKING"),
		step(0, "CLIENT TRACKING foo"),
		step(0, "CLIENT TRACKING on foo"),
		step(0, "CLIENT TRACKING on PREFIX"),
		step(0, "CLIENT TRACKING on REDIRECT"),
		step(0, "CLIENT TRACKING on REDIRECT abc"),
		step(0, "CLIENT TRACKING on REDIRECT 999999"),
		step(0, "CLIENT TRACKING on REDIRECT $ID1 REDIRECT $ID1"),
		step(0, "CLIENT TRACKING on PREFIX a"),
		step(0, "CLIENT TRACKING on BCAST PREFIX a PREFIX ab"),
		step(0, "CLIENT TRACKING on OPTIN OPTOUT"),
		step(0, "CLIENT TRACKING on BCAST OPTIN"),
		step(0, "CLIENT CACHING yes"),
		step(0, "CLIENT CACHING maybe"),
		step(0, "CLIENT CACHING"),
		step(0, "CLIENT GETREDIR x"),
		step(0, "CLIENT TRACKINGINFO x"),
		step(0, "CLIENT TRACKING on OPTIN"),
		step(0, "CLIENT CACHING no"),
		step(0, "CLIENT CACHING maybe"),
		step(0, "CLIENT TRACKING on OPTOUT"),
		step(0, "CLIENT CACHING yes"),
		step(0, "CLIENT TRACKING on BCAST"),
		step(0, "CLIENT TRACKING off"),
		step(0, "CLIENT TRACKING on BCAST PREFIX ab PREFIX b"),
		step(0, "CLIENT TRACKING on BCAST PREFIX a"),
		step(0, "CLIENT TRACKING on BCAST PREFIX abc"),
		step(0, "CLIENT TRACKING on"),
		step(0, "CLIENT TRACKING on OPTIN"),
		step(0, "CLIENT TRACKING off PREFIX x"),
		step(0, "CLIENT TRACKINGINFO"),
		step(0, "RESET"),
		step(0, "CLIENT TRACKINGINFO"),
	}},
}

// runTrackScript runs a script against addr and returns, per step, what each
// connection received. want, when not nil, is what the oracle's connections received.
func runTrackScript(t *testing.T, addr string, resp, conns int, steps []psStep, want [][]string) [][]string {
	t.Helper()
	flusher := redis.NewClient(&redis.Options{Addr: addr})
	err := flusher.FlushAll(context.Background()).Err()
	flusher.Close()
	if err != nil {
		t.Fatal(err)
	}
	cs := make([]*psConn, conns)
	ids := make([]string, conns)
	for i := range cs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		cs[i] = &psConn{c: c, r: bufio.NewReader(c)}
		_, _ = c.Write(encodeCommand([]string{"CLIENT", "ID"}))
		ids[i] = strings.TrimSpace(strings.TrimPrefix(string(cs[i].quiet(t, 1)), ":"))
		if resp == 3 {
			_, _ = c.Write(encodeCommand([]string{"HELLO", "3"}))
			cs[i].quiet(t, 1)
		}
	}
	var got [][]string
	for _, s := range steps {
		var req []byte
		for _, cmd := range s.cmds {
			if cmd[0] == "SLEEP" {
				ms, _ := strconv.Atoi(cmd[1])
				time.Sleep(time.Duration(ms) * time.Millisecond)
				continue
			}
			args := make([]string, len(cmd))
			for j, a := range cmd {
				if strings.HasPrefix(a, "$ID") {
					n, _ := strconv.Atoi(a[3:])
					a = ids[n]
				}
				args[j] = a
			}
			req = append(req, encodeCommand(args)...)
		}
		if len(req) > 0 {
			if _, err := cs[s.conn].c.Write(req); err != nil {
				t.Fatal(err)
			}
		}
		out := make([]string, conns)
		order := []int{s.conn}
		for i := range cs {
			if i != s.conn {
				order = append(order, i)
			}
		}
		// Every connection waits for its quiet period at the same time.
		var wg sync.WaitGroup
		for _, i := range order {
			expect := 0
			if want != nil {
				expect = len(want[len(got)][i])
			} else if i == s.conn && len(req) > 0 {
				expect = 1
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = string(cs[i].quiet(t, expect))
			}()
		}
		wg.Wait()
		// The redirect target's id differs between the servers.
		getredir := strings.Contains(strings.ToUpper(fmt.Sprint(s.cmds)), "GETREDIR")
		for i := range out {
			if !strings.Contains(out[i], "redir") && !(getredir && i == s.conn) {
				continue
			}
			for n, id := range ids {
				out[i] = strings.ReplaceAll(out[i], ":"+id+"\r\n", ":$ID"+strconv.Itoa(n)+"\r\n")
			}
		}
		got = append(got, out)
	}
	return got
}

func TestTrackingDiffScripts(t *testing.T) {
	for _, threads := range []int{1, 4} {
		for name, sc := range trackScripts {
			for _, resp := range []int{2, 3} {
				t.Run(fmt.Sprintf("threads=%d/%s/resp%d", threads, name, resp), func(t *testing.T) {
					// The scripts mostly wait for quiet periods: each runs in parallel
					// with the others, on servers of its own.
					t.Parallel()
					redisAddr, basaltAddr := startRedis(t), startBasalt(t, threads)
					want := runTrackScript(t, redisAddr, resp, sc.conns, sc.steps, nil)
					got := runTrackScript(t, basaltAddr, resp, sc.conns, sc.steps, want)
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
}

// trackInfoField returns one field of an INFO section.
func trackInfoField(t *testing.T, c *redis.Client, section, name string) string {
	t.Helper()
	for _, line := range strings.Split(c.Info(context.Background(), section).Val(), "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO %s has no %s", section, name)
	return ""
}

// trackingConns opens an admin client and a raw connection to addr, with send, which
// writes a command on the raw one and returns what arrives until it goes quiet.
func trackingConns(t *testing.T, addr string) (*redis.Client, net.Conn, *psConn, func(...string) string) {
	admin := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { admin.Close() })
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	p := &psConn{c: conn, r: bufio.NewReader(conn)}
	send := func(args ...string) string {
		_, _ = conn.Write(encodeCommand(args))
		return string(p.quiet(t, 1))
	}
	return admin, conn, p, send
}

// TestTrackingInfo checks the INFO counters and tracking-table-max-keys, whose
// eviction invalidates keys as Redis does.
func TestTrackingInfo(t *testing.T) {
	addr := startBasalt(t, 4)
	ctx := context.Background()
	admin, _, _, send := trackingConns(t, addr)
	send("HELLO", "3")
	send("CLIENT", "TRACKING", "on")
	for i := range 10 {
		send("GET", "k"+strconv.Itoa(i))
	}
	check := func(section, name, want string) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for {
			got := trackInfoField(t, admin, section, name)
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s = %s, want %s", name, got, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	check("clients", "tracking_clients", "1")
	check("stats", "tracking_total_keys", "10")
	check("stats", "tracking_total_items", "10")
	check("stats", "tracking_total_prefixes", "0")
	admin.ConfigSet(ctx, "tracking-table-max-keys", "4")
	// A tracked read evicts its shard's other keys while the tables are over the limit;
	// a shard left with only the key just read cannot, so the count may stand a key or
	// so over it until the loops' cron evicts the rest, as Redis's cron does.
	for i := 10; i < 30; i++ {
		send("GET", "k"+strconv.Itoa(i))
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		n, _ := strconv.Atoi(trackInfoField(t, admin, "stats", "tracking_total_keys"))
		if n <= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tracking_total_keys = %d past tracking-table-max-keys 4", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	send("CLIENT", "TRACKING", "off")
	send("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "b")
	check("stats", "tracking_total_prefixes", "2")
	send("CLIENT", "TRACKING", "off")
	check("clients", "tracking_clients", "0")
	check("stats", "tracking_total_prefixes", "0")
}

// TestTrackingRueidis runs rueidis's client-side cache against Basalt with 4 shards: a
// cached read is invalidated when another connection writes the key, whichever shard
// owns it.
func TestTrackingRueidis(t *testing.T) {
	addr := startBasalt(t, 4)
	ctx := context.Background()
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	writer := redis.NewClient(&redis.Options{Addr: addr})
	defer writer.Close()
	for i := range 16 {
		key := "cached:" + strconv.Itoa(i)
		if err := writer.Set(ctx, key, "old", 0).Err(); err != nil {
			t.Fatal(err)
		}
		read := func() (string, bool) {
			r := rc.DoCache(ctx, rc.B().Get().Key(key).Cache(), time.Minute)
			v, err := r.ToString()
			if err != nil {
				t.Fatal(err)
			}
			return v, r.IsCacheHit()
		}
		if v, _ := read(); v != "old" {
			t.Fatalf("%s = %q, want old", key, v)
		}
		if v, hit := read(); v != "old" || !hit {
			t.Fatalf("%s = %q (cache hit %v), want a cached old", key, v, hit)
		}
		if err := writer.Set(ctx, key, "new", 0).Err(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Second)
		for {
			v, _ := read()
			if v == "new" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still %q a second after another connection wrote it", key, v)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// BenchmarkTracking measures a read and write round trip for a RESP3 connection with
// tracking off (the hot path must not notice the feature) and on (every GET registers
// its key, every SET invalidates it and a push follows the reply).
func BenchmarkTracking(b *testing.B) {
	addr := startBasalt(b, 4)
	for _, mode := range []string{"off", "on"} {
		b.Run("tracking="+mode, func(b *testing.B) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			for _, cmd := range [][]string{{"HELLO", "3"}, {"CLIENT", "TRACKING", mode}} {
				_, _ = c.Write(encodeCommand(cmd))
				if _, err := readReply(r); err != nil {
					b.Fatal(err)
				}
			}
			get := encodeCommand([]string{"GET", "bench"})
			set := encodeCommand([]string{"SET", "bench", "v"})
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				_, _ = c.Write(get)
				if _, err := readReply(r); err != nil {
					b.Fatal(err)
				}
				_, _ = c.Write(set)
				if _, err := readReply(r); err != nil {
					b.Fatal(err)
				}
				if mode == "on" {
					// The SET invalidates the key the GET registered.
					if _, err := readReply(r); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// Lowering tracking-table-max-keys evicts the extra keys by itself, as Redis's cron
// does, with one invalidation each, down to the limit and not below, though the keys
// spread over four shards that evict at once.
func TestTrackingLimitLowered(t *testing.T) {
	addr := startBasalt(t, 4)
	admin, conn, p, send := trackingConns(t, addr)
	send("HELLO", "3")
	send("CLIENT", "TRACKING", "on")
	const keys, limit = 40, 3
	for i := range keys {
		send("GET", "k"+strconv.Itoa(i))
	}
	if err := admin.ConfigSet(context.Background(), "tracking-table-max-keys", strconv.Itoa(limit)).Err(); err != nil {
		t.Fatal(err)
	}
	// Nothing else is sent: every frame that arrives is an invalidation.
	got := 0
	deadline := time.Now().Add(5 * time.Second)
	for got < keys-limit && time.Now().Before(deadline) {
		_ = conn.SetReadDeadline(deadline)
		frame, err := readReply(p.r)
		if err != nil {
			t.Fatalf("after %d invalidations: %v", got, err)
		}
		if !strings.Contains(string(frame), "invalidate") {
			t.Fatalf("unexpected frame %q", frame)
		}
		got++
	}
	if extra := p.quiet(t, 0); len(extra) > 0 {
		t.Fatalf("more than %d invalidations: then %q", keys-limit, extra)
	}
	if got != keys-limit {
		t.Fatalf("%d invalidations, want %d", got, keys-limit)
	}
	if n := trackInfoField(t, admin, "stats", "tracking_total_keys"); n != strconv.Itoa(limit) {
		t.Fatalf("tracking_total_keys = %s, want %d", n, limit)
	}
}
