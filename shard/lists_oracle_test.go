package shard

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

// TestListOracle72 plays random list commands against the shard and against a Redis 7.2
// server (not the 7.0 oracle of coord's tests: 7.0 has no listpack-encoded lists) and
// requires equal replies, equal OBJECT ENCODING, and, for quicklists, the node count and
// total node size DEBUG OBJECT reports. It runs only when BASALT_REDIS72 names such a
// server, started with --enable-debug-command yes; it flushes that server.
//
//	BASALT_REDIS72=127.0.0.1:7272 go test ./shard/ -run ListOracle72 -v
func TestListOracle72(t *testing.T) {
	addr := os.Getenv("BASALT_REDIS72")
	if addr == "" {
		t.Skip("BASALT_REDIS72 is not set")
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	redis := func(args ...[]byte) string {
		req := fmt.Appendf(nil, "*%d\r\n", len(args))
		for _, a := range args {
			req = fmt.Appendf(req, "$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		return readRawReply(t, r)
	}
	b := func(s string) []byte { return []byte(s) }
	seeds := uint64(40)
	if testing.Short() {
		seeds = 5
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		rng := rand.New(rand.NewPCG(seed, seed*7))
		s := newTestShard()
		redis(b("FLUSHALL"))
		fill := []int{-2, -1, 5, 3, 1, 0, -3, 100, -5, -6}[rng.IntN(10)]
		redis(b("CONFIG"), b("SET"), b("list-max-listpack-size"), b(strconv.Itoa(fill)))
		s.Settings.ListMaxListpackSize.Store(int64(fill))
		keys := []string{"k0", "k1", "k2"}
		value := func() []byte {
			switch rng.IntN(10) {
			case 0:
				return b(strconv.Itoa(rng.IntN(300) - 150))
			case 1:
				return b(strconv.FormatInt(rng.Int64()-rng.Int64(), 10))
			case 2:
				return b(strings.Repeat("x", 50+rng.IntN(300)))
			case 3:
				if rng.IntN(5) == 0 {
					return b(strings.Repeat("y", 3000+rng.IntN(6000)))
				}
			case 4:
				return b(strings.Repeat("z", rng.IntN(70)))
			}
			return b("v" + strconv.Itoa(rng.IntN(20)))
		}
		number := func(lo, hi int) []byte { return b(strconv.Itoa(lo + rng.IntN(hi-lo))) }
		end := func() []byte { return b([]string{"LEFT", "RIGHT"}[rng.IntN(2)]) }
		w := proto.NewWriter(false)
		for step := range 3000 {
			k, k2 := b(keys[rng.IntN(3)]), b(keys[rng.IntN(3)])
			var args [][]byte
			switch rng.IntN(17) {
			case 0, 1, 2:
				args = [][]byte{b([]string{"LPUSH", "RPUSH", "LPUSHX", "RPUSHX"}[rng.IntN(4)]), k}
				n := 1 + rng.IntN(3)
				if rng.IntN(6) == 0 {
					n = 1 + rng.IntN(60)
				}
				for range n {
					args = append(args, value())
				}
			case 3:
				args = [][]byte{b([]string{"LPOP", "RPOP"}[rng.IntN(2)]), k}
				if rng.IntN(2) == 0 {
					args = append(args, number(0, 40))
				}
			case 4:
				args = [][]byte{b("LINSERT"), k, b([]string{"BEFORE", "AFTER"}[rng.IntN(2)]), value(), value()}
			case 5:
				args = [][]byte{b("LSET"), k, number(-40, 40), value()}
			case 6:
				args = [][]byte{b("LREM"), k, number(-3, 4), value()}
			case 7:
				args = [][]byte{b("LTRIM"), k, number(-5, 15), number(-10, 190)}
			case 8:
				args = [][]byte{b("LMOVE"), k, k2, end(), end()}
			case 9:
				args = [][]byte{b("RPOPLPUSH"), k, k2}
			case 10:
				args = [][]byte{b("LMPOP"), b("2"), k, k2, end(), b("COUNT"), number(1, 31)}
			case 11:
				args = [][]byte{b("LRANGE"), k, b("0"), b("-1")}
			case 12:
				args = [][]byte{b("LINDEX"), k, number(-50, 50)}
			case 13:
				args = [][]byte{b("LPOS"), k, value(), b("RANK"), b([]string{"1", "2", "-1", "-2"}[rng.IntN(4)]),
					b("COUNT"), number(0, 4), b("MAXLEN"), number(0, 50)}
			case 14, 15:
				args = [][]byte{b("OBJECT"), b("ENCODING"), k}
			case 16:
				args = [][]byte{b("LLEN"), k}
			}
			if want, got := redis(args...), exec(s, w, args); got != want {
				t.Fatalf("seed %d fill %d step %d: %.200q\nredis %.300q\ngot   %.300q", seed, fill, step, args, want, got)
			}
			for _, key := range keys {
				a := [][]byte{b("OBJECT"), b("ENCODING"), b(key)}
				if want, got := redis(a...), exec(s, w, a); got != want {
					t.Fatalf("seed %d fill %d step %d, after %s: encoding of %s: redis %q, got %q", seed, fill, step, args[0], key, want, got)
				}
				e, ok := s.peek(b(key))
				if !ok || !e.Coll.(*List).quick {
					continue
				}
				l := e.Coll.(*List)
				size := 0
				for _, n := range l.live() {
					size += len(n)
				}
				ours := fmt.Sprintf("ql_nodes:%d ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:0 ql_uncompressed_size:%d",
					l.numNodes(), float64(l.count)/float64(l.numNodes()), l.fill, size)
				if theirs := redis(b("DEBUG"), b("OBJECT"), b(key)); !strings.Contains(theirs, ours) {
					t.Fatalf("seed %d fill %d step %d, after %s: %s\nredis %s\nours  %s", seed, fill, step, args[0], key, theirs, ours)
				}
			}
		}
	}
}

// readRawReply reads one RESP2 reply and returns its bytes.
func readRawReply(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	switch line[0] {
	case '$':
		if n < 0 {
			return line
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatal(err)
		}
		return line + string(buf)
	case '*':
		for range max(n, 0) {
			line += readRawReply(t, r)
		}
	}
	return line
}
