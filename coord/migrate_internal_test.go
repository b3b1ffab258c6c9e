package coord

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// keysOnTwoShards returns two keys that live on different shards of srv.
func keysOnTwoShards(t *testing.T, srv *Server) (string, string) {
	t.Helper()
	a := "mover:a"
	for i := 0; i < 1000; i++ {
		b := "mover:b" + strconv.Itoa(i)
		if srv.shardOf([]byte(b)) != srv.shardOf([]byte(a)) {
			return a, b
		}
	}
	t.Fatal("no two keys on different shards")
	return "", ""
}

func migratedConnections(t *testing.T, c *redis.Client) int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "migrated_connections:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("INFO stats has no migrated_connections")
	return 0
}

// incrRun sends n INCRs of key on c, pipelined by depth, and checks that the replies
// count up from first.
func incrRun(t *testing.T, c *redis.Client, key string, n, depth int, first int64) {
	t.Helper()
	ctx := context.Background()
	want := first
	for sent := 0; sent < n; sent += depth {
		p := c.Pipeline()
		cmds := make([]*redis.IntCmd, depth)
		for i := range cmds {
			cmds[i] = p.Incr(ctx, key)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range cmds {
			if cmd.Val() != want {
				t.Fatalf("INCR %s = %d, want %d", key, cmd.Val(), want)
			}
			want++
		}
	}
}

func TestConnectionMovesToTheShardOfItsKeys(t *testing.T) {
	srv, port := startInternal(t, 2)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1, DB: 5, ClientName: "mover"})
	defer c.Close()
	admin := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DB: 5})
	defer admin.Close()
	ka, kb := keysOnTwoShards(t, srv)
	id, err := c.ClientID(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}

	incrRun(t, c, ka, migrateAfter*3, 1, 1)
	// The connection now lives on ka's shard, having moved there or not.
	before := migratedConnections(t, admin)
	incrRun(t, c, kb, migrateAfter*3, 1, 1)
	if got := migratedConnections(t, admin); got != before+1 {
		t.Fatalf("after a run on the other shard: migrated_connections %d, want %d", got, before+1)
	}
	incrRun(t, c, kb, migrateAfter*3, 16, migrateAfter*3+1)
	if got := migratedConnections(t, admin); got != before+1 {
		t.Fatalf("after a run on its own shard: migrated_connections %d, want %d", got, before+1)
	}
	// Back: the second move of a connection waits for a longer run, pipelined this time.
	incrRun(t, c, ka, migrateAfter*16, 16, migrateAfter*3+1)
	if got := migratedConnections(t, admin); got != before+2 {
		t.Fatalf("after a pipelined run back: migrated_connections %d, want %d", got, before+2)
	}

	// The client's state moved with it.
	if got, err := c.ClientGetName(ctx).Result(); err != nil || got != "mover" {
		t.Fatalf("CLIENT GETNAME = %q, %v", got, err)
	}
	if got, err := c.ClientID(ctx).Result(); err != nil || got != id {
		t.Fatalf("CLIENT ID = %d, %v; want %d", got, err, id)
	}
	list, err := admin.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, fmt.Sprintf("id=%d ", id)) || !strings.Contains(list, "name=mover ") {
		t.Fatalf("CLIENT LIST does not show the moved client:\n%s", list)
	}
	for key, want := range map[string]string{ka: strconv.Itoa(migrateAfter*3 + migrateAfter*16), kb: strconv.Itoa(migrateAfter * 6)} {
		if got, err := admin.Get(ctx, key).Result(); err != nil || got != want {
			t.Fatalf("GET %s in db 5 = %q, %v; want %s", key, got, err, want)
		}
	}
}

func TestConnectionsThatStayOnTheirLoop(t *testing.T) {
	srv, port := startInternal(t, 2)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer admin.Close()
	ka, kb := keysOnTwoShards(t, srv)
	before := migratedConnections(t, admin)

	// RESP3: another client's tracking redirect may name it, and finds it by its loop.
	resp3 := redis.NewClient(&redis.Options{Addr: addr, Protocol: 3, PoolSize: 1})
	defer resp3.Close()
	incrRun(t, resp3, ka, migrateAfter*3, 1, 1)
	incrRun(t, resp3, kb, migrateAfter*3, 1, 1)

	// WATCH: the watched keys' registrations name the client's loop.
	w := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1})
	defer w.Close()
	if err := w.Watch(ctx, func(tx *redis.Tx) error {
		for _, key := range []string{ka, kb} {
			for i := 0; i < migrateAfter*3; i++ {
				if err := tx.Incr(ctx, key).Err(); err != nil {
					return err
				}
			}
		}
		return nil
	}, "watched"); err != nil {
		t.Fatal(err)
	}
	if got := migratedConnections(t, admin); got != before {
		t.Fatalf("migrated_connections %d, want %d: a RESP3 or watching client moved", got, before)
	}
}

// TestMovingConnectionsLoseNoWrites hammers two hot keys on different shards from
// pipelining connections that switch keys, so connections move back and forth while
// the others keep writing: every INCR must be counted once, and each connection must
// see its replies in order.
func TestMovingConnectionsLoseNoWrites(t *testing.T) {
	srv, port := startInternal(t, 2)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ctx := context.Background()
	ka, kb := keysOnTwoShards(t, srv)
	const clients, rounds, runs, depth = 8, 6, 8, 16
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for ci := 0; ci < clients; ci++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1})
			defer c.Close()
			last := map[string]int64{}
			for r := 0; r < rounds; r++ {
				key := ka
				if (r+ci)%2 == 1 {
					key = kb
				}
				for run := 0; run < runs; run++ {
					p := c.Pipeline()
					cmds := make([]*redis.IntCmd, depth)
					for i := range cmds {
						cmds[i] = p.Incr(ctx, key)
					}
					if _, err := p.Exec(ctx); err != nil {
						errs <- err
						return
					}
					for _, cmd := range cmds {
						if cmd.Val() <= last[key] {
							errs <- fmt.Errorf("client %d: INCR %s = %d after %d", ci, key, cmd.Val(), last[key])
							return
						}
						last[key] = cmd.Val()
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	admin := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer admin.Close()
	a, _ := admin.Get(ctx, ka).Int64()
	b, _ := admin.Get(ctx, kb).Int64()
	if want := int64(clients * rounds * runs * depth); a+b != want {
		t.Fatalf("INCRs counted %d + %d = %d, want %d", a, b, a+b, want)
	}
	if migratedConnections(t, admin) == 0 {
		t.Fatal("no connection moved")
	}
}
