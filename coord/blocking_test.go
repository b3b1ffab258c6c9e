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
)

// waitBlocked waits until the server reports n blocked clients.
func waitBlocked(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	want := "blocked_clients:" + strconv.Itoa(n)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.Info(context.Background(), "clients").Val(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("never saw %s:\n%s", want, c.Info(context.Background(), "clients").Val())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A client blocked on keys of several shards wakes when any of them gets an element.
func TestBlockingPopAcrossShards(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	admin := newClient(t, addr)
	var keys []string
	for i := 0; i < 8; i++ {
		keys = append(keys, "bq:"+strconv.Itoa(i))
	}
	for _, k := range keys {
		waiter := newClient(t, addr)
		got := make(chan []string, 1)
		go func() {
			v, err := waiter.BLPop(ctx, 5*time.Second, keys...).Result()
			if err != nil {
				v = []string{"error", err.Error()}
			}
			got <- v
		}()
		waitBlocked(t, admin, 1)
		if err := admin.RPush(ctx, k, "x", "y").Err(); err != nil {
			t.Fatal(err)
		}
		v := <-got
		if len(v) != 2 || v[0] != k || v[1] != "x" {
			t.Fatalf("BLPOP woken by a push to %s returned %v", k, v)
		}
		if n := admin.LLen(ctx, k).Val(); n != 1 {
			t.Fatalf("LLEN %s = %d after one pop of two", k, n)
		}
		waitBlocked(t, admin, 0)
		admin.Del(ctx, k)
	}
}

// Waiters on one key are served first come, first served, one element each.
func TestBlockingFIFO(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	admin := newClient(t, addr)
	const n = 4
	results := make([]chan string, n)
	for i := 0; i < n; i++ {
		results[i] = make(chan string, 1)
		c := newClient(t, addr)
		go func(i int) {
			v, err := c.BRPop(ctx, 5*time.Second, "fifo").Result()
			if err != nil {
				results[i] <- "error: " + err.Error()
				return
			}
			results[i] <- v[1]
		}(i)
		waitBlocked(t, admin, i+1)
	}
	for i := 0; i < n; i++ {
		admin.LPush(ctx, "fifo", "v"+strconv.Itoa(i))
		if got := <-results[i]; got != "v"+strconv.Itoa(i) {
			t.Fatalf("waiter %d got %q, want v%d", i, got, i)
		}
	}
}

func TestBlockingTimeoutsAndUnblock(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	c := newClient(t, addr)
	start := time.Now()
	// go-redis rounds timeouts to seconds; send a fractional one by hand.
	if err := c.Do(ctx, "blpop", "none1", "none2", "0.15").Err(); err != redis.Nil {
		t.Fatalf("BLPOP timeout: %v", err)
	}
	if d := time.Since(start); d < 140*time.Millisecond || d > 2*time.Second {
		t.Fatalf("BLPOP with a 150ms timeout took %v", d)
	}
	if err := c.Do(ctx, "blpop", "k", "-1").Err(); err == nil || err.Error() != "ERR timeout is negative" {
		t.Fatalf("negative timeout: %v", err)
	}
	if err := c.Do(ctx, "blpop", "k", "abc").Err(); err == nil || err.Error() != "ERR timeout is not a float or out of range" {
		t.Fatalf("bad timeout: %v", err)
	}

	admin := newClient(t, addr)
	for _, mode := range []string{"TIMEOUT", "ERROR"} {
		blocked := newClient(t, addr)
		id := blocked.ClientID(ctx).Val()
		done := make(chan error, 1)
		go func() { done <- blocked.BLPop(ctx, 0, "forever").Err() }()
		waitBlocked(t, admin, 1)
		if n := admin.Do(ctx, "client", "unblock", id, mode).Val(); n != int64(1) {
			t.Fatalf("CLIENT UNBLOCK %d %s = %v", id, mode, n)
		}
		err := <-done
		if mode == "TIMEOUT" && err != redis.Nil {
			t.Fatalf("unblocked with TIMEOUT: %v", err)
		}
		if mode == "ERROR" && (err == nil || !strings.HasPrefix(err.Error(), "UNBLOCKED")) {
			t.Fatalf("unblocked with ERROR: %v", err)
		}
		waitBlocked(t, admin, 0)
	}
	if n := admin.Do(ctx, "client", "unblock", 99999).Val(); n != int64(0) {
		t.Fatalf("CLIENT UNBLOCK of an unknown client = %v", n)
	}
}

// Inside MULTI a blocking command does not wait.
func TestBlockingInsideMulti(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, startBasalt(t, 4))
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.BLPop(ctx, 0, "empty1", "empty2")
		p.RPush(ctx, "full", "a")
		p.BLPop(ctx, 0, "empty1", "full")
		return nil
	})
	if err != nil && err != redis.Nil {
		t.Fatal(err)
	}
	if cmds[0].Err() != redis.Nil {
		t.Fatalf("BLPOP on empty lists inside MULTI: %v", cmds[0].Err())
	}
	if v := cmds[2].(*redis.StringSliceCmd).Val(); len(v) != 2 || v[0] != "full" || v[1] != "a" {
		t.Fatalf("BLPOP inside MULTI = %v", v)
	}
}

// BLMOVE and BRPOPLPUSH move the element between lists on any shards.
func TestBlockingMove(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	admin := newClient(t, addr)
	for i := 0; i < 6; i++ {
		src, dst := "src:"+strconv.Itoa(i), "dst:"+strconv.Itoa(i)
		c := newClient(t, addr)
		got := make(chan string, 1)
		go func() {
			var v string
			var err error
			if i%2 == 0 {
				v, err = c.BLMove(ctx, src, dst, "LEFT", "RIGHT", 5*time.Second).Result()
			} else {
				// BRPOPLPUSH is deprecated in Redis, but clients still send it.
				v, err = c.Do(ctx, "brpoplpush", src, dst, "5").Text()
			}
			if err != nil {
				v = "error: " + err.Error()
			}
			got <- v
		}()
		waitBlocked(t, admin, 1)
		admin.RPush(ctx, src, "m"+strconv.Itoa(i))
		if v := <-got; v != "m"+strconv.Itoa(i) {
			t.Fatalf("move %d returned %q", i, v)
		}
		if v := admin.LRange(ctx, dst, 0, -1).Val(); len(v) != 1 || v[0] != "m"+strconv.Itoa(i) {
			t.Fatalf("destination %s = %v", dst, v)
		}
		if admin.Exists(ctx, src).Val() != 0 {
			t.Fatalf("source %s still exists", src)
		}
	}
}

// Many producers and consumers on lists of several shards: every element pushed is
// popped exactly once.
func TestBlockingNoLostElements(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	keys := []string{"work:a", "work:b", "work:c"}
	const producers, perProducer, consumers = 4, 200, 6
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < consumers; i++ {
		c := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true, ReadTimeout: 5 * time.Second})
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				args := []any{"blpop"}
				for _, k := range keys {
					args = append(args, k)
				}
				v, err := c.Do(ctx, append(args, "0.1")...).StringSlice()
				if err == redis.Nil {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[v[1]]++
				mu.Unlock()
			}
		}()
	}
	var pw sync.WaitGroup
	for p := 0; p < producers; p++ {
		c := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true})
		defer c.Close()
		pw.Add(1)
		go func() {
			defer pw.Done()
			for i := 0; i < perProducer; i++ {
				c.RPush(ctx, keys[i%len(keys)], strconv.Itoa(p)+":"+strconv.Itoa(i))
			}
		}()
	}
	pw.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == producers*perProducer || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != producers*perProducer {
		t.Fatalf("popped %d distinct elements of %d", len(seen), producers*perProducer)
	}
	for v, n := range seen {
		if n != 1 {
			t.Fatalf("%s popped %d times", v, n)
		}
	}
}

// BZPOPMIN and BZMPOP wake when another client adds to a sorted set on any shard.
func TestBlockingSortedSets(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	admin := newClient(t, addr)
	for i := 0; i < 4; i++ {
		keys := []string{"bzw:a" + strconv.Itoa(i), "bzw:b" + strconv.Itoa(i)}
		c := newClient(t, addr)
		got := make(chan string, 1)
		go func() {
			if i%2 == 0 {
				v, err := c.BZPopMin(ctx, 5*time.Second, keys...).Result()
				if err != nil {
					got <- "error: " + err.Error()
					return
				}
				got <- v.Key + " " + v.Member.(string)
				return
			}
			k, zs, err := c.BZMPop(ctx, 5*time.Second, "max", 2, keys...).Result()
			if err != nil {
				got <- "error: " + err.Error()
				return
			}
			got <- k + " " + zs[0].Member.(string) + " " + strconv.Itoa(len(zs))
		}()
		waitBlocked(t, admin, 1)
		admin.ZAdd(ctx, keys[1], redis.Z{Score: 1, Member: "low"}, redis.Z{Score: 2, Member: "high"})
		want := keys[1] + " low"
		if i%2 == 1 {
			want = keys[1] + " high 2"
		}
		if v := <-got; v != want {
			t.Fatalf("round %d: got %q, want %q", i, v, want)
		}
	}
}

// A key that holds another type when its waiters are served (it gained elements and
// was replaced by a string inside one MULTI) serves no one: the waiters stay blocked
// and take the next element, as redis-server's do. Compared with redis-server, with one
// shard and four.
func TestBlockedClientsSkipAWrongTypeWake(t *testing.T) {
	ctx := context.Background()
	servers := map[string]string{"redis": startRedis(t), "one shard": startBasalt(t, 1), "four shards": startBasalt(t, 4)}
	cases := []struct {
		name, push, repush string
		block              func(c *redis.Client) ([]string, error)
		want               string
	}{
		{"BLPOP", "LPUSH wk a", "LPUSH wk b", func(c *redis.Client) ([]string, error) {
			return c.BLPop(ctx, 5*time.Second, "wk").Result()
		}, "[wk b]"},
		{"BZPOPMIN", "ZADD wk 0 foo", "ZADD wk 1 bar", func(c *redis.Client) ([]string, error) {
			z, err := c.BZPopMin(ctx, 5*time.Second, "wk").Result()
			if err != nil {
				return nil, err
			}
			return []string{z.Key, z.Member.(string), strconv.FormatFloat(z.Score, 'g', -1, 64)}, nil
		}, "[wk bar 1]"},
	}
	for name, addr := range servers {
		for _, tc := range cases {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				admin := newClient(t, addr)
				admin.Del(ctx, "wk")
				waiter := newClient(t, addr)
				got := make(chan string, 1)
				go func() {
					v, err := tc.block(waiter)
					if err != nil {
						got <- "error: " + err.Error()
						return
					}
					got <- "[" + strings.Join(v, " ") + "]"
				}()
				waitBlocked(t, admin, 1)
				args := []any{}
				for _, w := range strings.Fields(tc.push) {
					args = append(args, w)
				}
				pipe := admin.TxPipeline()
				pipe.Do(ctx, args...)
				pipe.Del(ctx, "wk")
				pipe.Set(ctx, "wk", "foo", 0)
				if _, err := pipe.Exec(ctx); err != nil {
					t.Fatal(err)
				}
				admin.Del(ctx, "wk")
				args = args[:0]
				for _, w := range strings.Fields(tc.repush) {
					args = append(args, w)
				}
				if err := admin.Do(ctx, args...).Err(); err != nil {
					t.Fatal(err)
				}
				if v := <-got; v != tc.want {
					t.Errorf("%s woke with %s, want %s", tc.name, v, tc.want)
				}
			})
		}
	}
}

// A value renamed, copied or moved onto a key, or a database swapped in, serves the
// pops blocked on it, as a push does (Redis signals the key ready). "src" and "dst" land on different shards with
// four, so both the single-shard and the cross-shard RENAME and COPY are covered.
func TestBlockedClientsWakeOnValueMovedIntoPlace(t *testing.T) {
	ctx := context.Background()
	servers := map[string]string{"redis": startRedis(t), "one shard": startBasalt(t, 1), "four shards": startBasalt(t, 4)}
	cases := []struct {
		name  string
		fill  [][]any // builds the source
		place []any   // puts it at dst
		want  string
	}{
		{"RENAME list", [][]any{{"RPUSH", "src", "a", "b"}}, []any{"RENAME", "src", "dst"}, "[dst a]"},
		{"RENAME same tag", [][]any{{"RPUSH", "{t}src", "a"}}, []any{"RENAME", "{t}src", "{t}dst"}, "[{t}dst a]"},
		{"COPY list", [][]any{{"RPUSH", "src", "c"}}, []any{"COPY", "src", "dst"}, "[dst c]"},
		{"MOVE list", [][]any{{"SELECT", "1"}, {"RPUSH", "dst", "m"}}, []any{"MOVE", "dst", "0"}, "[dst m]"},
		{"SWAPDB", [][]any{{"SELECT", "1"}, {"RPUSH", "dst", "s"}}, []any{"SWAPDB", "1", "0"}, "[dst s]"},
	}
	for name, addr := range servers {
		for _, tc := range cases {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				dst := tc.place[2]
				if tc.name == "MOVE list" || tc.name == "SWAPDB" {
					dst = "dst"
				}
				admin := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
				defer admin.Close()
				admin.Do(ctx, "FLUSHALL")
				waiter := newClient(t, addr)
				got := make(chan string, 1)
				go func() {
					v, err := waiter.BLPop(ctx, 5*time.Second, dst.(string)).Result()
					if err != nil {
						got <- "error: " + err.Error()
						return
					}
					got <- "[" + strings.Join(v, " ") + "]"
				}()
				waitBlocked(t, admin, 1)
				for _, c := range tc.fill {
					if err := admin.Do(ctx, c...).Err(); err != nil {
						t.Fatal(err)
					}
				}
				admin.Do(ctx, "SELECT", "0")
				if tc.name == "MOVE list" {
					admin.Do(ctx, "SELECT", "1")
				}
				if err := admin.Do(ctx, tc.place...).Err(); err != nil {
					t.Fatal(err)
				}
				if v := <-got; v != tc.want {
					t.Errorf("woke with %s, want %s", v, tc.want)
				}
			})
		}
	}
}

// A blocked BRPOPLPUSH that is served pushes onto its destination: a client watching the
// destination must see its transaction fail, as it would after a plain push.
func TestServedBlockedMoveTouchesWatchedDestination(t *testing.T) {
	ctx := context.Background()
	servers := map[string]string{"redis": startRedis(t), "one shard": startBasalt(t, 1), "four shards": startBasalt(t, 4)}
	// With four shards most of these destinations live on another shard than src.
	dsts := []string{"{t}dst", "dst:0", "dst:1", "dst:2", "dst:3"}
	for name, addr := range servers {
		for _, dst := range dsts {
			t.Run(name+"/"+dst, func(t *testing.T) {
				src := "src"
				if strings.HasPrefix(dst, "{t}") {
					src = "{t}src"
				}
				admin := newClient(t, addr)
				admin.Del(ctx, src, dst)
				mover := newClient(t, addr)
				got := make(chan string, 1)
				go func() {
					v, err := mover.Do(ctx, "BRPOPLPUSH", src, dst, 5).Text()
					if err != nil {
						v = "error: " + err.Error()
					}
					got <- v
				}()
				waitBlocked(t, admin, 1)
				watcher := newClient(t, addr)
				err := watcher.Watch(ctx, func(tx *redis.Tx) error {
					if err := admin.LPush(ctx, src, "element").Err(); err != nil {
						return err
					}
					if v := <-got; v != "element" {
						t.Errorf("BRPOPLPUSH returned %q", v)
					}
					_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.Get(ctx, "somekey")
						return nil
					})
					return err
				}, dst)
				if err != redis.TxFailedErr {
					t.Errorf("EXEC after the served move onto the watched key: %v, want an aborted transaction", err)
				}
				if v := admin.LRange(ctx, dst, 0, -1).Val(); len(v) != 1 || v[0] != "element" {
					t.Errorf("%s holds %v", dst, v)
				}
			})
		}
	}
}

// INFO counts the keys clients are blocked on, and apart those an XREADGROUP waiter also
// watches for deletion, over every shard.
func TestInfoBlockingKeys(t *testing.T) {
	ctx := context.Background()
	addr := startBasalt(t, 4)
	admin := newClient(t, addr)
	check := func(keys, noKey string) {
		t.Helper()
		if got := infoField(t, admin, "total_blocking_keys"); got != keys {
			t.Errorf("total_blocking_keys %s, want %s", got, keys)
		}
		if got := infoField(t, admin, "total_blocking_keys_on_nokey"); got != noKey {
			t.Errorf("total_blocking_keys_on_nokey %s, want %s", got, noKey)
		}
	}
	check("0", "0")
	popper := newClient(t, addr)
	go popper.BLPop(ctx, 5*time.Second, "bl:a", "bl:b")
	waitBlocked(t, admin, 1)
	check("2", "0")
	admin.XGroupCreateMkStream(ctx, "bl:s", "g", "$")
	reader := newClient(t, addr)
	go reader.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"bl:s", ">"}, Block: 5 * time.Second})
	waitBlocked(t, admin, 2)
	check("3", "1")
	admin.RPush(ctx, "bl:b", "x")
	admin.XAdd(ctx, &redis.XAddArgs{Stream: "bl:s", Values: []string{"f", "v"}})
	waitBlocked(t, admin, 0)
	check("0", "0")
}

// A waiter that cannot be served does not hold back the ones behind it on the same key:
// an XREAD waiting past a later id lets an earlier one through, and a BLPOP on a key
// that became a stream lets an XREADGROUP behind it fail when the key is deleted; the
// same against redis-server.
func TestWaitersBehindAnUnservableOneAreServed(t *testing.T) {
	ctx := context.Background()
	servers := map[string]string{"redis": startRedis(t), "one shard": startBasalt(t, 1), "four shards": startBasalt(t, 4)}
	for name, addr := range servers {
		t.Run(name, func(t *testing.T) {
			admin := newClient(t, addr)
			admin.Del(ctx, "wq:s", "wq:k")
			admin.XAdd(ctx, &redis.XAddArgs{Stream: "wq:s", ID: "1", Values: []string{"f", "v"}})
			read := func(after string) chan string {
				got := make(chan string, 1)
				c := newClient(t, addr)
				go func() {
					res, err := c.XRead(ctx, &redis.XReadArgs{Streams: []string{"wq:s", after}, Block: 5 * time.Second}).Result()
					if err != nil {
						got <- err.Error()
						return
					}
					got <- res[0].Messages[0].ID
				}()
				return got
			}
			late := read("10")
			waitBlocked(t, admin, 1)
			early := read("5")
			waitBlocked(t, admin, 2)
			admin.XAdd(ctx, &redis.XAddArgs{Stream: "wq:s", ID: "7", Values: []string{"f", "v"}})
			if v := <-early; v != "7-0" {
				t.Errorf("XREAD past 5 got %s, want 7-0", v)
			}
			admin.XAdd(ctx, &redis.XAddArgs{Stream: "wq:s", ID: "11", Values: []string{"f", "v"}})
			if v := <-late; v != "11-0" {
				t.Errorf("XREAD past 10 got %s, want 11-0", v)
			}

			popper := newClient(t, addr)
			popped := make(chan string, 1)
			go func() {
				v, err := popper.BLPop(ctx, 5*time.Second, "wq:k").Result()
				popped <- fmt.Sprint(v, err)
			}()
			waitBlocked(t, admin, 1)
			admin.XAdd(ctx, &redis.XAddArgs{Stream: "wq:k", ID: "666", Values: []string{"f", "v"}})
			admin.XGroupCreate(ctx, "wq:k", "g", "$")
			reader := newClient(t, addr)
			failed := make(chan error, 1)
			go func() {
				_, err := reader.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"wq:k", ">"}, Block: 5 * time.Second}).Result()
				failed <- err
			}()
			waitBlocked(t, admin, 2)
			admin.Del(ctx, "wq:k")
			if err := <-failed; err == nil || !strings.HasPrefix(err.Error(), "NOGROUP") && !strings.HasPrefix(err.Error(), "UNBLOCKED") {
				t.Errorf("XREADGROUP behind a BLPOP after DEL: %v", err)
			}
			admin.RPush(ctx, "wq:k", "x")
			if v := <-popped; v != "[wq:k x] <nil>" {
				t.Errorf("BLPOP got %s", v)
			}
		})
	}
}

// A blocked client that closes its connection in the instant its wait is served is
// counted out of blocked_clients once. The close and the served wake both counted it
// out, and INFO showed -1 blocked clients for good (Redis's list unit then failed every
// later test that waits for a blocked client).
func TestBlockedCloseWhileServed(t *testing.T) {
	addr := startBasalt(t, 2)
	admin := dialRaw(t, addr)
	blocked := func() string {
		for _, line := range strings.Split(admin.do("INFO", "clients"), "\r\n") {
			if v, ok := strings.CutPrefix(line, "blocked_clients:"); ok {
				return v
			}
		}
		t.Fatal("INFO clients has no blocked_clients")
		return ""
	}
	waitBlocked := func(want string) {
		deadline := time.Now().Add(5 * time.Second)
		for blocked() != want {
			if time.Now().After(deadline) {
				t.Fatalf("blocked_clients = %s, want %s\n%s", blocked(), want, admin.do("CLIENT", "LIST"))
			}
			time.Sleep(time.Millisecond)
		}
	}
	for i := range 100 {
		key := "{t}src" + strconv.Itoa(i)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(encodeCommand([]string{"BRPOPLPUSH", key, "{t}dst", "0"})); err != nil {
			t.Fatal(err)
		}
		t.Logf("iteration %d", i)
		waitBlocked("1")
		// The push and the close race: the serve may be under way as the close arrives.
		// Each round has its own key, since a value pushed after the close stays.
		if _, err := admin.c.Write(encodeCommand([]string{"LPUSH", key, "x"})); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if _, err := readReply(admin.r); err != nil {
			t.Fatal(err)
		}
		waitBlocked("0")
	}
}

// TestBlockedCheckOnExpiredKey matches redis-server 7.0 (the oracle): when SWAPDB
// brings a blocked client's key into its database but the key's TTL has passed, the
// client stays blocked and the check deletes the key (expired_keys counts it). Redis
// 7.2 leaves the key for its next access, and its list unit expects that order in the
// replication stream.
func TestBlockedCheckOnExpiredKey(t *testing.T) {
	run := func(addr string) string {
		ctx := context.Background()
		var out strings.Builder
		r := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 4})
		defer r.Close()
		r.FlushAll(ctx)
		r.Do(ctx, "debug", "set-active-expire", "0")
		defer r.Do(ctx, "debug", "set-active-expire", "1")
		one := r.Conn()
		defer one.Close()
		one.Select(ctx, 1)
		one.RPush(ctx, "k", "hello")
		one.PExpire(ctx, "k", 100*time.Millisecond)
		waiter := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DB: 9, PoolSize: 1})
		defer waiter.Close()
		id, _ := waiter.ClientID(ctx).Result()
		done := make(chan string, 1)
		go func() {
			v, err := waiter.BRPop(ctx, 0, "k").Result()
			done <- fmt.Sprint(v, err)
		}()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if info, _ := r.Info(ctx, "clients").Result(); strings.Contains(info, "blocked_clients:1\r\n") {
				break
			}
		}
		time.Sleep(110 * time.Millisecond)
		stats := func() string {
			info, _ := r.Info(ctx, "keyspace", "stats").Result()
			var keep []string
			for _, l := range strings.Split(info, "\r\n") {
				if strings.HasPrefix(l, "db") || strings.HasPrefix(l, "expired_keys:") {
					keep = append(keep, strings.Split(l, ",avg_ttl")[0])
				}
			}
			return strings.Join(keep, " ")
		}
		fmt.Fprintf(&out, "before: %s\n", stats())
		r.Do(ctx, "swapdb", 1, 9)
		// Basalt checks the waiter in a message after SWAPDB's reply: wait for it (at
		// most 2 s; a server that never deletes shows up in the transcript).
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline) && !strings.Contains(stats(), "expired_keys:1"); {
			time.Sleep(5 * time.Millisecond)
		}
		fmt.Fprintf(&out, "after SWAPDB: %s\n", stats())
		r.ClientUnblock(ctx, id)
		fmt.Fprintf(&out, "unblocked: %s\n", <-done)
		n, _ := waiter.Exists(ctx, "k").Result()
		fmt.Fprintf(&out, "EXISTS k %d: %s\n", n, stats())
		return out.String()
	}
	want, got := run(startRedisIn(t, t.TempDir(), "--enable-debug-command", "yes")), run(startBasalt(t, 2))
	if got != want {
		t.Fatalf("redis:\n%s\nbasalt:\n%s", want, got)
	}
}
