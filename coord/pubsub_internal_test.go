package coord

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPublishFromLoop checks the hook keyspace notifications use: a message published by
// the server from any loop reaches channel and pattern subscribers on every loop, and
// the messages one loop sends arrive in order.
func TestPublishFromLoop(t *testing.T) {
	srv, port := startInternal(t, 3)

	type sub struct {
		c net.Conn
		r *bufio.Reader
	}
	var subs []sub
	for i := 0; i < 6; i++ {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cmd := "SUBSCRIBE __keyspace@0__:k\r\n"
		if i%2 == 1 {
			cmd = "PSUBSCRIBE __key*@0__:*\r\n"
		}
		if _, err := c.Write([]byte(cmd)); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		for j := 0; j < 6; j++ { // the confirmation: 3 header/bulk lines and their data
			if _, err := r.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
		}
		subs = append(subs, sub{c, r})
	}
	const perLoop = 50
	for loop := 0; loop < srv.n; loop++ {
		loop := loop
		srv.run(loop, func() {
			for i := 0; i < perLoop; i++ {
				srv.publishFromLoop(loop, []byte("__keyspace@0__:k"), []byte(fmt.Sprintf("%d:%d", loop, i)))
			}
		})
	}
	for si, s := range subs {
		_ = s.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		next := make([]int, srv.n)
		for got := 0; got < srv.n*perLoop; got++ {
			// A message frame ends with the payload's bulk: read lines until it.
			var payload string
			lines := 7
			if si%2 == 1 {
				lines = 9
			}
			for j := 0; j < lines; j++ {
				line, err := s.r.ReadString('\n')
				if err != nil {
					t.Fatalf("subscriber %d after %d messages: %v", si, got, err)
				}
				payload = strings.TrimSuffix(line, "\r\n")
			}
			var loop, seq int
			if _, err := fmt.Sscanf(payload, "%d:%d", &loop, &seq); err != nil {
				t.Fatalf("subscriber %d: payload %q: %v", si, payload, err)
			}
			if seq != next[loop] {
				t.Fatalf("subscriber %d: loop %d message %d arrived when %d was due", si, loop, seq, next[loop])
			}
			next[loop]++
		}
	}
}
