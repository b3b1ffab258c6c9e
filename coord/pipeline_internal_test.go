package coord

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestPipelinedWriteReleasesBeforeItsTurn: of two pipelined MSETs, the first waits for
// a claim the test holds on one of its keys; the second, over other keys, runs at once.
// Its keys must be readable by another connection while the first still waits: a
// pipelined write drops its claims once it ran everywhere, not when the replies before
// it have left (client.settleBehind).
func TestPipelinedWriteReleasesBeforeItsTurn(t *testing.T) {
	srv, port := startInternal(t, 4)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	ctx := context.Background()

	// Hold key "held" exclusively on its shard, as a transaction between hops would.
	held := &lockRequest{keys: []lockKey{{0, "held"}}, modes: []lockMode{lockExclusive}, hold: true}
	granted := make(chan struct{})
	held.granted = func() { close(granted) }
	s := srv.shardOf([]byte("held"))
	srv.run(s, func() { srv.loops[s].locks.request(held) })
	<-granted

	keys := func(prefix string) []string {
		out := make([]string, 8) // over 4 shards, 8 keys are all on one with odds 4^-7
		for i := range out {
			out[i] = prefix + strconv.Itoa(i)
		}
		return out
	}
	first, second := append([]string{"held"}, keys("first:")...), keys("second:")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var pipe strings.Builder
	for _, ks := range [][]string{first, second} {
		fmt.Fprintf(&pipe, "*%d\r\n$4\r\nMSET\r\n", 1+2*len(ks))
		for _, k := range ks {
			fmt.Fprintf(&pipe, "$%d\r\n%s\r\n$3\r\nnew\r\n", len(k), k)
		}
	}
	if _, err := conn.Write([]byte(pipe.String())); err != nil {
		t.Fatal(err)
	}

	reader := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true})
	defer reader.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		vals, err := reader.MGet(ctx, second...).Result()
		if err != nil {
			t.Fatal(err)
		}
		if vals[0] == "new" {
			for i := range vals {
				if vals[i] != "new" {
					t.Fatalf("partial MSET: %v", vals)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second MSET is not readable while the first waits: %v", vals)
		}
	}
	// Neither MSET may have answered: the first still waits, and the second's reply
	// waits its turn.
	_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	r := bufio.NewReader(conn)
	if line, err := r.ReadString('\n'); err == nil {
		t.Fatalf("a reply came ahead of the first MSET's: %q", line)
	}
	srv.run(s, func() { srv.loops[s].locks.release(held) })
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := range 2 {
		if line, err := r.ReadString('\n'); err != nil || line != "+OK\r\n" {
			t.Fatalf("MSET %d answered %q, %v", i+1, line, err)
		}
	}
	if v, err := reader.Get(ctx, "held").Result(); err != nil || v != "new" {
		t.Fatalf("GET held = %q, %v after the first MSET answered", v, err)
	}
}
