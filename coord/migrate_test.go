package coord_test

import (
	"net"
	"strings"
	"testing"
)

// MIGRATE between standalone servers answers as redis-server's does, with Basalt as
// the source, the target or both: moved, copied and replaced keys, KEYS, NOKEY, a key
// the target already has, a target that is not there; the TTL goes along.
func TestMigrateMatchesRedis(t *testing.T) {
	type pair struct{ name, src, dst string }
	pairs := []pair{
		{"redis-to-redis", startRedis(t), startRedis(t)},
		{"basalt-to-redis", startBasalt(t, 2), startRedis(t)},
		{"redis-to-basalt", startRedis(t), startBasalt(t, 2)},
		{"basalt-to-basalt", startBasalt(t, 2), startBasalt(t, 4)},
	}
	deadPort := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		_, p, _ := net.SplitHostPort(l.Addr().String())
		return p
	}()
	var want []string
	for _, p := range pairs {
		src, dst := dialDiff(t, "src", p.src), dialDiff(t, "dst", p.dst)
		host, port, _ := net.SplitHostPort(p.dst)
		steps := []struct {
			on   *diffConn
			args []string
		}{
			{src, []string{"set", "k", "v"}},
			{src, []string{"set", "t", "x", "px", "100000"}},
			{src, []string{"rpush", "l", "a", "b", "c"}},
			{src, []string{"migrate", host, port, "k", "0", "1000"}},
			{src, []string{"exists", "k"}},
			{dst, []string{"get", "k"}},
			{src, []string{"migrate", host, port, "", "0", "1000", "keys", "t", "l", "nosuch"}},
			{dst, []string{"lrange", "l", "0", "-1"}},
			{dst, []string{"eval", "return redis.call('pttl', 't') > 90000 and 1 or 0", "0"}},
			{src, []string{"migrate", host, port, "nosuch", "0", "1000"}},
			{src, []string{"set", "k", "v2"}},
			{src, []string{"migrate", host, port, "k", "0", "1000"}},
			{src, []string{"migrate", host, port, "k", "0", "1000", "copy", "replace"}},
			{src, []string{"get", "k"}},
			{dst, []string{"get", "k"}},
			{src, []string{"migrate", host, port, "k", "0", "1000", "keys", "k"}},
			{src, []string{"migrate", host, port, "k", "0", "1000", "bogus"}},
			{src, []string{"migrate", "127.0.0.1", deadPort, "k", "0", "200"}},
			{src, []string{"exists", "k"}},
		}
		var got []string
		for _, st := range steps {
			r, err := st.on.do(st.args)
			if err != nil {
				t.Fatalf("%s: %v: %v", p.name, st.args, err)
			}
			got = append(got, string(r))
		}
		if want == nil {
			want = got
			continue
		}
		for i := range steps {
			if got[i] != want[i] {
				t.Errorf("%s: %s:\n\tredis-to-redis: %q\n\tthis pair:      %q", p.name, strings.Join(steps[i].args, " "), want[i], got[i])
			}
		}
	}
}
