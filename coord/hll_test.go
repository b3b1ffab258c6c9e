package coord_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestHLLInterop moves HyperLogLogs between Basalt and redis-server as plain strings
// (GET on one, SET on the other): each must accept the other's bytes, estimate the same
// cardinality and, after more PFADDs on both sides, still hold identical bytes. This is
// what replication, RDB files and client-side copies rely on.
func TestHLLInterop(t *testing.T) {
	ctx := context.Background()
	rc := redis.NewClient(&redis.Options{Addr: startRedis(t), Protocol: 2, DisableIdentity: true})
	bc := redis.NewClient(&redis.Options{Addr: startBasalt(t, 4), Protocol: 2, DisableIdentity: true})
	defer rc.Close()
	defer bc.Close()

	elements := func(prefix string, n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s:%d", prefix, i)
		}
		return out
	}
	// Sizes on both sides of the sparse-to-dense promotion.
	for _, n := range []int{0, 1, 10, 500, 3000, 50000} {
		key := fmt.Sprintf("hll:%d", n)
		for name, pair := range map[string][2]*redis.Client{"basalt->redis": {bc, rc}, "redis->basalt": {rc, bc}} {
			from, to := pair[0], pair[1]
			t.Run(fmt.Sprintf("%s/%d", name, n), func(t *testing.T) {
				from.Del(ctx, key)
				to.Del(ctx, key)
				if err := from.PFAdd(ctx, key, elements("e", n)...).Err(); err != nil {
					t.Fatalf("PFADD: %v", err)
				}
				raw, err := from.Get(ctx, key).Result()
				if err != nil {
					t.Fatalf("GET: %v", err)
				}
				if err := to.Set(ctx, key, raw, 0).Err(); err != nil {
					t.Fatalf("SET: %v", err)
				}
				want, err1 := from.PFCount(ctx, key).Result()
				got, err2 := to.PFCount(ctx, key).Result()
				if err1 != nil || err2 != nil || got != want {
					t.Fatalf("PFCOUNT: %d (%v) on the receiver, %d (%v) on the sender", got, err2, want, err1)
				}
				more := elements("more", 700)
				from.PFAdd(ctx, key, more...)
				to.PFAdd(ctx, key, more...)
				a, _ := from.Get(ctx, key).Result()
				b, _ := to.Get(ctx, key).Result()
				if a != b {
					t.Fatalf("after more PFADDs the values differ (%d and %d bytes)", len(a), len(b))
				}
			})
		}
	}
}

// TestHLLCorruptDifferential sets the same seeded random HLL-like strings (valid sparse
// HLLs with a few bytes changed, inserted or dropped, and random headers) on Basalt and
// redis-server and compares every reply of the HLL commands on them byte for byte, GET
// of the results included. Corrupt values must give Redis's errors, or Redis's exact
// partial results, and never crash.
func TestHLLCorruptDifferential(t *testing.T) {
	rconn, err := net.Dial("tcp", startRedis(t))
	if err != nil {
		t.Fatal(err)
	}
	bconn, err := net.Dial("tcp", startBasalt(t, 4))
	if err != nil {
		t.Fatal(err)
	}
	defer rconn.Close()
	defer bconn.Close()
	rr, br := bufio.NewReader(rconn), bufio.NewReader(bconn)
	do := func(args ...string) (string, string) {
		t.Helper()
		req := encodeCommand(args)
		if _, err := rconn.Write(req); err != nil {
			t.Fatal(err)
		}
		if _, err := bconn.Write(req); err != nil {
			t.Fatal(err)
		}
		want, err1 := readReply(rr)
		got, err2 := readReply(br)
		if err1 != nil || err2 != nil {
			t.Fatalf("%q: redis %v, basalt %v", args, err1, err2)
		}
		return string(want), string(got)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	compared := 0
	seen := map[string]int{} // reply kinds, to check that the generator reaches them all
	for round := range 600 {
		v := randomHLL(rng)
		do("SET", "k", string(v))
		do("SET", "{k}2", string(v))
		script := [][]string{
			{"PFCOUNT", "k"},
			{"PFCOUNT", "k", "nokey"},
			{"PFDEBUG", "DECODE", "k"},
			{"PFADD", "k", fmt.Sprint("a", round), fmt.Sprint("b", round)},
			{"GET", "k"},
			{"PFCOUNT", "k"},
			{"PFMERGE", "m", "k"},
			{"GET", "m"},
			{"PFMERGE", "{k}m", "{k}2"},
			{"GET", "{k}m"},
			{"PFDEBUG", "TODENSE", "{k}2"},
			{"GET", "{k}2"},
			{"DEL", "m", "{k}m"},
		}
		for _, args := range script {
			want, got := do(args...)
			compared++
			seen[replyKind(want)]++
			if want != got {
				t.Fatalf("round %d, value %q\n%q:\n redis:  %.300q\n basalt: %.300q", round, v, args, want, got)
			}
		}
	}
	t.Logf("%d replies compared; kinds: %v", compared, seen)
	for _, kind := range []string{"-INVALIDOBJ", "-WRONGTYPE", ":1", "+OK", "$"} {
		if seen[kind] == 0 {
			t.Errorf("the generator never led to the reply %q", kind)
		}
	}
}

// randomHLL returns a string that is often an HLL: a random valid sparse HLL (runs of
// zeros and values summing to 16384 registers), then with some luck a byte changed,
// inserted or dropped, and a header that is now and then wrong.
func randomHLL(rng *rand.Rand) []byte {
	v := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80")
	for left := 16384; left > 0; {
		switch n := min(left, 1+rng.IntN(3000)); rng.IntN(3) {
		case 0:
			n = min(n, 64)
			v = append(v, byte(n-1))
			left -= n
		case 1:
			v = append(v, byte(0x40|(n-1)>>8), byte(n-1))
			left -= n
		default:
			n = min(n, 1+rng.IntN(4))
			v = append(v, byte(0x80|rng.IntN(32)<<2|(n-1)))
			left -= n
		}
	}
	for range rng.IntN(3) {
		p := 16 + rng.IntN(len(v)-16)
		switch rng.IntN(3) {
		case 0:
			v[p] = byte(rng.IntN(256))
		case 1:
			v = append(v[:p], append([]byte{byte(rng.IntN(256))}, v[p:]...)...)
		default:
			if len(v) > 17 {
				v = append(v[:p], v[p+1:]...)
			}
		}
	}
	switch rng.IntN(10) {
	case 0:
		v[4] = byte(rng.IntN(3)) // dense with the wrong size, or an unknown encoding
	case 1:
		v[15] = 0 // a valid cached cardinality of 0
	case 2:
		v = v[:rng.IntN(20)]
	}
	return v
}

// replyKind names a raw reply for statistics: an error's code, an integer's value, or
// the type byte.
func replyKind(raw string) string {
	line, _, _ := strings.Cut(raw, "\r\n")
	switch {
	case strings.HasPrefix(line, "-"):
		code, _, _ := strings.Cut(line, " ")
		return code
	case strings.HasPrefix(line, ":"), strings.HasPrefix(line, "+"):
		return line
	}
	return raw[:1]
}
