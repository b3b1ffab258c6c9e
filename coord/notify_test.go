package coord_test

// Keyspace notification tests: each script runs against redis-server and Basalt (one
// shard and four) with a subscriber on '__key*__:*'; the messages it receives must be
// the same. With four shards a multi-shard command publishes from several loops, whose
// messages may interleave differently than Redis's single thread publishes them, so
// there the comparison is per key: every key's messages in the same order.

import (
	"bufio"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/basaltdb/basalt/coord"
)

// notifyScript is a scenario: notify-keyspace-events flags and the commands to run, one
// per line, words separated by spaces; "SLEEP ms" pauses the script, a line starting
// with "& " is sent on a second connection without waiting for its reply (a blocking
// command) and "WAIT" reads that reply. "DUMP-RESTORE src dst ttl [option ...]" restores
// the DUMP of src under dst.
type notifyScript struct {
	name, flags string
	cmds        []string
}

var notifyScripts = []notifyScript{
	{"strings", "KEA", []string{
		"SET s 1", "SET s 2 NX", "SET s 3 XX", "SETNX s 4", "SETNX s2 4", "SETEX s3 100 x",
		"PSETEX s4 1000 x", "GETSET s 5", "GETDEL s2", "GETDEL nosuch", "GETEX s3 PERSIST",
		"GETEX s3 EX 100", "GETEX s3", "APPEND s ab", "APPEND s5 ab", "SETRANGE s 1 zz",
		"SETRANGE s6 2 x", "INCR n", "DECR n", "INCRBY n 5", "DECRBY n 2", "INCRBYFLOAT f 1.5",
		"INCR s", "MSET m1 1 m2 2", "MSETNX m3 1 m4 2", "MSETNX m3 1 m5 2", "SET s 1 KEEPTTL",
		"SET s 1 GET", "SET s 1 EX 100", "SET s 1 PX 0", "GET s", "STRLEN s", "SET p 1 PXAT 1",
		"GETEX s PXAT 1", "SETRANGE s 0 \"\"", "APPEND s \"\"", "INCRBYFLOAT s x", "GETSET s 7",
	}},
	{"keys", "KEA", []string{
		"SET a 1", "SET b 2", "EXPIRE a 100", "PEXPIRE a 100000", "EXPIREAT a 99999999999",
		"PEXPIREAT a 99999999999999", "PERSIST a", "PERSIST a", "EXPIRE a 100 NX", "EXPIRE a -1",
		"SET a 1", "RENAME a c", "RENAME c c", "RENAMENX c b", "RENAMENX c d", "DEL b d nosuch",
		"UNLINK c", "SET x 1", "COPY x y", "COPY x y REPLACE", "MOVE y 1", "SET y 1",
		"MOVE x 1", "TOUCH x y", "EXPIRE y 0", "PEXPIREAT x 1", "SET z 1", "DEL z",
	}},
	{"lists", "KEA", []string{
		"LPUSH l a b c", "RPUSH l d", "LPUSHX l e", "RPUSHX l f", "LPUSHX nl a", "LINSERT l BEFORE a x",
		"LINSERT l BEFORE zz x", "LSET l 0 y", "LREM l 1 y", "LREM l 1 nothing", "LTRIM l 0 10",
		"LTRIM l 1 -2", "LPOP l", "RPOP l 2", "LMOVE l l2 LEFT RIGHT", "RPOPLPUSH l l2",
		"LMOVE l2 l2 LEFT LEFT", "LMPOP 2 nl l2 LEFT COUNT 1", "LRANGE l2 0 -1", "LPOP l 10",
		"LPOP l2 10", "RPUSH t a b", "LTRIM t 5 10", "RPUSH q a", "RPOP q",
	}},
	{"hashes", "KEA", []string{
		"HSET h a 1 b 2", "HSET h a 1", "HMSET h c 3", "HSETNX h a 1", "HSETNX h d 4",
		"HINCRBY h n 1", "HINCRBYFLOAT h f 1.5", "HDEL h a nosuch", "HDEL h nosuch", "HDEL h b c d n f",
		"HGET h a", "HGETALL h",
	}},
	{"sets", "KEA", []string{
		"SADD s a b c", "SADD s a", "SREM s a", "SREM s zz", "SMOVE s s2 b", "SMOVE s s2 zz",
		"SPOP s", "SADD s x y z", "SPOP s 2", "SPOP s 5", "SADD s 1 2 3", "SINTERSTORE d s s2",
		"SUNIONSTORE d s s2", "SDIFFSTORE d s s2", "SINTERSTORE d nosuch", "SINTERSTORE d2 nosuch",
		"SMOVE s2 s b", "SRANDMEMBER s",
	}},
	{"zsets", "KEA", []string{
		"ZADD z 1 a 2 b", "ZADD z 1 a", "ZADD z INCR 5 a", "ZINCRBY z 1 b", "ZADD z XX 3 c",
		"ZREM z c", "ZREM z a", "ZADD z 1 a 3 c 4 d 5 e", "ZREMRANGEBYRANK z 0 0",
		"ZREMRANGEBYSCORE z 3 3", "ZREMRANGEBYLEX z - +", "ZADD z 1 a 3 c 4 d 5 e",
		"ZPOPMIN z", "ZPOPMAX z 2", "ZMPOP 1 z MIN COUNT 5", "ZADD z 1 a 2 b", "ZADD y 1 a",
		"ZUNIONSTORE u 2 z y", "ZINTERSTORE u 2 z y", "ZDIFFSTORE u 2 z y",
		"ZINTERSTORE u 2 z nosuch", "ZRANGESTORE r z 0 -1", "ZRANGESTORE r z 5 6",
		"ZREMRANGEBYRANK z 0 -1",
	}},
	{"streams", "KEA", []string{
		"XADD x 1-1 a 1", "XADD x 2-1 a 2", "XADD x NOMKSTREAM * a 1", "XADD nx NOMKSTREAM * a 1",
		"XDEL x 1-1", "XDEL x 9-9", "XTRIM x MAXLEN 0", "XADD x 5-1 a 3", "XGROUP CREATE x g $",
		"XGROUP CREATE y g $ MKSTREAM", "XGROUP CREATECONSUMER x g c", "XGROUP SETID x g 0",
		"XREADGROUP GROUP g c2 COUNT 1 STREAMS x >", "XGROUP DELCONSUMER x g c2",
		"XGROUP DESTROY x g", "XSETID x 9-9", "XADD x MAXLEN 1 10-1 a 1", "XGROUP CREATE x g2 0",
		"& XREADGROUP GROUP g2 c9 BLOCK 5000 STREAMS x >", "SLEEP 50", "XADD x 11-1 a 1", "WAIT",
		"XGROUP CREATE z g 0 MKSTREAM", "XAUTOCLAIM x g2 c7 0 0", "XCLAIM x g2 c8 0 10-1",
		"XACK x g2 10-1",
	}},
	{"bits-hll-geo", "KEA", []string{
		"SETBIT b 7 1", "SETBIT b 7 1", "BITFIELD b SET u8 0 255", "BITFIELD b GET u8 0",
		"BITFIELD b INCRBY u8 0 1", "BITOP OR d b b", "BITOP AND d nosuch", "PFADD p a b",
		"PFADD p a", "PFADD p", "PFMERGE p2 p", "PFCOUNT p", "GEOADD g 13.361389 38.115556 Palermo",
		"GEOADD g 15.087269 37.502669 Catania",
		"GEOSEARCHSTORE g2 g FROMLONLAT 15 37 BYRADIUS 200 km",
		"GEORADIUS g 15 37 200 km STORE g3",
	}},
	{"expired", "KEA", []string{
		"DEBUG SET-ACTIVE-EXPIRE 0", "SET e 1 PX 1", "SLEEP 20", "GET e", "SET e 1 PX 1",
		"HSET eh a 1", "PEXPIRE eh 1", "SLEEP 20", "EXISTS eh", "GET e", "DEBUG SET-ACTIVE-EXPIRE 1",
		"SET ae 1 PX 1", "SLEEP 400",
	}},
	{"classes-Elg", "Elg", []string{
		"LPUSH l a", "SET s 1", "DEL s", "EXPIRE l 100", "HSET h a 1", "LPOP l",
	}},
	{"classes-Kx$", "Kx$", []string{
		"SET s 1 PX 1", "SLEEP 20", "GET s", "SET t 1", "DEL t", "INCR n",
	}},
	{"keymiss", "Em", []string{
		"GET nosuch", "SET s 1", "GET s", "HGET nosuch a", "LRANGE nosuch 0 1", "MGET a b s",
		"EXISTS nosuch", "SMEMBERS nosuch", "ZSCORE nosuch a", "TYPE nosuch", "STRLEN nosuch",
	}},
	{"new", "KEn", []string{
		"SET s 1", "SET s 2", "LPUSH l a", "HSET h a 1", "SADD s2 a", "ZADD z 1 a",
		"XADD x 1-1 a 1", "SETBIT b 1 1", "PFADD p a", "INCR n", "APPEND a x", "RENAME s s3",
		"COPY s3 s4", "SUNIONSTORE s5 s2",
	}},
	{"nothing", "", []string{"SET s 1", "DEL s", "GET nosuch"}},
	{"blocking", "KEA", []string{
		"RPUSH l a b", "BLPOP l 1", "BRPOP l 1", "& BLPOP bl 5", "SLEEP 50", "RPUSH bl x", "WAIT",
		"& BLMOVE bl2 dl LEFT RIGHT 5", "SLEEP 50", "LPUSH bl2 y", "WAIT",
		"& BZPOPMIN bz 5", "SLEEP 50", "ZADD bz 1 a 2 b", "WAIT", "BZPOPMAX bz 1",
		"ZADD bz 1 a", "BZMPOP 1 1 bz MIN", "RPUSH l a", "BLMPOP 1 1 l RIGHT",
	}},
	{"multi-shard", "KEA", []string{
		"RPUSH la a b", "LMOVE la lb RIGHT LEFT", "LMOVE la lb RIGHT LEFT", "RPOPLPUSH lb lc",
		"LMPOP 3 nx ly lb LEFT COUNT 5", "SADD sa 1 2", "SADD sb 2 3", "SMOVE sa sb 1",
		"SMOVE sa sb 2", "SINTERSTORE sd sa sb", "SUNIONSTORE sd sa sb", "SDIFFSTORE sd sb sa",
		"SINTERSTORE sd nx sb", "ZADD za 1 a", "ZADD zb 2 b", "ZUNIONSTORE zd 2 za zb",
		"ZINTERSTORE zd 2 za zb", "ZRANGESTORE zr zb 0 -1", "ZMPOP 2 nx zb MAX", "SET ba x",
		"BITOP NOT bd ba", "BITOP AND bd nx", "PFADD pa a", "PFMERGE pd pa", "MSET k1 1 k2 2 k3 3",
		"MSETNX k4 1 k5 2", "DEL k1 k2 k3 k4 k5 nx", "SET r1 1", "SET r2 2", "RENAME r1 r2",
		"RENAMENX r2 r3", "COPY r3 r4", "COPY r3 r4 REPLACE", "COPY r3 r5 DB 2", "EXISTS r3 nx ny",
		"SORT sb STORE so", "SORT nx STORE so", "GEOADD ga 13.36 38.11 P",
		"GEOSEARCHSTORE gd ga FROMLONLAT 13 38 BYRADIUS 200 km", "MGET k1 k2",
	}},
	{"misc", "KEA", []string{
		"SET a 1", "SELECT 3", "SET b 1", "SELECT 0", "SWAPDB 0 3", "FLUSHDB", "SET c 1",
		"FLUSHALL", "SET d 1", "MULTI", "SET e 1", "LPUSH f 1", "DEL d", "EXEC",
		"EVAL return redis.call('set',KEYS[1],'1') 1 g", "SET h 1", "DUMP h",
		"EVAL return{redis.call('set',KEYS[1],'1'),redis.call('lpush',KEYS[2],'x'),redis.call('del',KEYS[3])} 3 g1 g2 h",
		"MULTI", "SET m1 1", "RENAME m1 m2", "SADD m3 a", "SMOVE m3 m4 a", "EXEC",
		"DUMP-RESTORE h h2 0", "DUMP-RESTORE h h2 0 REPLACE", "DUMP-RESTORE h h2 1 ABSTTL REPLACE",
	}},
}

func TestNotifyScripts(t *testing.T) {
	// DEBUG SET-ACTIVE-EXPIRE must work on the oracle too: with active expiry left on,
	// redis-server expires the "expired" script's keys in whatever order its cycle
	// meets them, and the comparison turns on timing.
	redisAddr := startRedisIn(t, t.TempDir(), "--enable-debug-command", "yes")
	one := startBasalt(t, 1)
	four := startBasalt(t, 4)
	for _, sc := range notifyScripts {
		t.Run(sc.name, func(t *testing.T) {
			want := runNotifyScript(t, redisAddr, sc)
			if len(want) == 0 && sc.flags != "" {
				t.Fatalf("redis-server published nothing: the script tests nothing")
			}
			if got := runNotifyScript(t, one, sc); !reflect.DeepEqual(got, want) {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Errorf("one shard: message %d differs:\n got %q\nwant %q", i, got[i:min(i+6, len(got))], want[i:min(i+6, len(want))])
			}
			got := runNotifyScript(t, four, sc)
			if g, w := perKey(got), perKey(want); !reflect.DeepEqual(g, w) {
				for k := range w {
					if !reflect.DeepEqual(g[k], w[k]) {
						t.Errorf("four shards, key %q:\n got %q\nwant %q", k, g[k], w[k])
					}
				}
				for k := range g {
					if w[k] == nil {
						t.Errorf("four shards, key %q: unexpected %q", k, g[k])
					}
				}
			}
		})
	}
}

// notifyEnd is the channel of the message that marks the end of a script's events.
const notifyEnd = "__keyspace@0__:__end__"

// runNotifyScript runs sc against addr and returns the messages a '__key*__:*'
// subscriber received, each "channel payload".
func runNotifyScript(t *testing.T, addr string, sc notifyScript) []string {
	t.Helper()
	sub := dialNotify(t, addr)
	cmd := dialNotify(t, addr)
	cmd.do(t, "FLUSHALL")
	cmd.mustOK(t, "DEBUG SET-ACTIVE-EXPIRE 1")
	cmd.do(t, "CONFIG SET notify-keyspace-events "+sc.flags)
	sub.do(t, "PSUBSCRIBE __key*__:*")
	var aux *notifyConn
	for _, line := range sc.cmds {
		if blocking, ok := strings.CutPrefix(line, "& "); ok {
			if aux == nil {
				aux = dialNotify(t, addr)
			}
			if _, err := aux.c.Write(encodeCommand(strings.Fields(blocking))); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if rest, ok := strings.CutPrefix(line, "DUMP-RESTORE "); ok {
			words := strings.Fields(rest)
			payload := bulkText(cmd.do(t, "DUMP "+words[0]))
			restore := append([]string{"RESTORE", words[1], words[2], payload}, words[3:]...)
			if _, err := cmd.c.Write(encodeCommand(restore)); err != nil {
				t.Fatal(err)
			}
			if _, err := readReply(cmd.r); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if line == "WAIT" {
			_ = aux.c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := readReply(aux.r); err != nil {
				t.Fatalf("blocked command: %v", err)
			}
			continue
		}
		if ms, ok := strings.CutPrefix(line, "SLEEP "); ok {
			n, _ := strconv.Atoi(ms)
			time.Sleep(time.Duration(n) * time.Millisecond)
			continue
		}
		if strings.HasPrefix(line, "DEBUG ") {
			cmd.mustOK(t, line)
			continue
		}
		cmd.do(t, line)
	}
	cmd.do(t, "CONFIG SET notify-keyspace-events \"\"")
	cmd.do(t, "PUBLISH "+notifyEnd+" end")
	var got []string
	for {
		_ = sub.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		raw, err := readReply(sub.r)
		if err != nil {
			t.Fatalf("subscriber: %v after %q", err, got)
		}
		_, elems, ok := splitReply(raw)
		if !ok || len(elems) != 4 {
			t.Fatalf("subscriber got %q", raw)
		}
		channel, payload := bulkText(elems[2]), bulkText(elems[3])
		if channel == notifyEnd {
			return got
		}
		got = append(got, channel+" "+payload)
	}
}

// perKey groups messages by the key they are about, keeping each key's order.
func perKey(msgs []string) map[string][]string {
	out := make(map[string][]string)
	for _, m := range msgs {
		channel, payload, _ := strings.Cut(m, " ")
		key := payload
		if rest, ok := strings.CutPrefix(channel, "__keyspace@"); ok {
			_, key, _ = strings.Cut(rest, "__:")
		}
		out[key] = append(out[key], m)
	}
	return out
}

// bulkText returns the text of a raw RESP bulk string.
func bulkText(raw []byte) string {
	_, body, _ := strings.Cut(string(raw), "\r\n")
	return strings.TrimSuffix(body, "\r\n")
}

type notifyConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialNotify(t *testing.T, addr string) *notifyConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &notifyConn{c: c, r: bufio.NewReader(c)}
}

// do sends one command and reads its reply; an empty quoted word "" is an empty argument.
func (n *notifyConn) do(t *testing.T, line string) []byte {
	t.Helper()
	words := strings.Fields(line)
	for i, w := range words {
		if w == `""` {
			words[i] = ""
		}
	}
	if _, err := n.c.Write(encodeCommand(words)); err != nil {
		t.Fatal(err)
	}
	_ = n.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	raw, err := readReply(n.r)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return raw
}

// mustOK runs a command whose refusal would leave the script testing something else.
func (n *notifyConn) mustOK(t *testing.T, line string) {
	t.Helper()
	if raw := n.do(t, line); string(raw) != "+OK\r\n" {
		t.Fatalf("%s: %q", line, raw)
	}
}

// Every key evicted for maxmemory is published once as "evicted" (which keys go is
// random, so this is not compared with redis-server).
func TestNotifyEvictedCount(t *testing.T) {
	_, addr := startBasaltWith(t, func(cfg *coord.Config) {
		cfg.Threads = 2
		cfg.MaxMemory = serverOwnMemory + 200_000
		cfg.MaxMemoryPolicy = "allkeys-random"
		cfg.NotifyKeyspaceEvents = "Ee"
	})
	sub := dialNotify(t, addr)
	cmd := dialNotify(t, addr)
	sub.do(t, "SUBSCRIBE __keyevent@0__:evicted")
	value := strings.Repeat("v", 1000)
	for i := range 1000 {
		cmd.do(t, "SET k:"+strconv.Itoa(i)+" "+value)
	}
	info := string(cmd.do(t, "INFO stats"))
	_, rest, _ := strings.Cut(info, "evicted_keys:")
	evicted, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(rest, "\r\n", 2)[0]))
	if evicted == 0 {
		t.Fatal("nothing was evicted: the test tests nothing")
	}
	cmd.do(t, "PUBLISH __keyevent@0__:evicted __end__")
	seen := make(map[string]bool)
	for {
		_ = sub.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		raw, err := readReply(sub.r)
		if err != nil {
			t.Fatalf("after %d events: %v", len(seen), err)
		}
		_, elems, _ := splitReply(raw)
		key := bulkText(elems[2])
		if key == "__end__" {
			break
		}
		if seen[key] {
			t.Errorf("%s evicted twice", key)
		}
		seen[key] = true
	}
	if len(seen) != evicted {
		t.Errorf("%d evicted events, evicted_keys is %d", len(seen), evicted)
	}
}
