package coord_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/basaltdb/basalt/coord"
	"github.com/redis/go-redis/v9"
)

// The replication tests run one body per arrangement of roles: a replStarter starts
// "the server under test" for one role, Basalt or redis-server. Each body also runs
// with redis-server in every role ("redis-redis"), which shows that the test itself
// asks only for what Redis does.

// replStarter starts a server for one role of a replication test and returns its
// address ("127.0.0.1:port"); the test's cleanup stops it.
type replStarter func(t *testing.T) string

// basaltNode starts an in-process Basalt with the given number of shards.
func basaltNode(threads int) replStarter {
	return func(t *testing.T) string {
		t.Helper()
		return startBasalt(t, threads)
	}
}

// redisNode starts a redis-server oracle set up for the replication tests.
func redisNode(t *testing.T) string {
	t.Helper()
	return startRedisIn(t, t.TempDir(), redisReplArgs()...)
}

// redisReplArgs are the redis-server directives of every oracle in these tests, then
// extra: DEBUG DIGEST is allowed, and a master starts a full sync at once instead of
// waiting repl-diskless-sync-delay (5 s by default) for more replicas.
func redisReplArgs(extra ...string) []string {
	return append([]string{
		"--enable-debug-command", "yes",
		"--repl-diskless-sync-delay", "0",
	}, extra...)
}

// replClient is a client whose reads wait longer than WAIT's 5 s timeout.
func replClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:            addr,
		Protocol:        2,
		DisableIdentity: true,
		ReadTimeout:     10 * time.Second,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// withDB runs f on a connection of its own after an explicit SELECT db, then closes the
// connection, so that no pooled connection is left in another database.
func withDB(t *testing.T, addr string, db int, f func(conn *redis.Conn)) {
	t.Helper()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, PoolSize: 1})
	defer c.Close()
	conn := c.Conn()
	defer conn.Close()
	if err := conn.Select(ctx, db).Err(); err != nil {
		t.Fatalf("SELECT %d on %s: %v", db, addr, err)
	}
	f(conn)
}

// checkCmds fails the test at the first command of a pipeline that failed.
func checkCmds(t *testing.T, what string, cmds []redis.Cmder) {
	t.Helper()
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil && err != redis.Nil {
			t.Fatalf("%s: %v failed: %v", what, cmd.Args(), err)
		}
	}
}

// replInfoField returns the value of name in an INFO text, "" when it is absent.
func replInfoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimRight(line, "\r")
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	return ""
}

// replInfoInt returns the integer value of name in an INFO text, -1 when it is absent or
// not an integer.
func replInfoInt(info, name string) int64 {
	n, err := strconv.ParseInt(replInfoField(info, name), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// infoText returns INFO section of c, or the error as text.
func infoText(c *redis.Client, section string) string {
	s, err := c.Info(context.Background(), section).Result()
	if err != nil {
		return fmt.Sprintf("(INFO %s failed: %v)", section, err)
	}
	return s
}

// waitInfo polls INFO section of c until ok accepts it and returns that text; after
// timeout it fails the test with the last INFO it got.
func waitInfo(t *testing.T, c *redis.Client, section string, timeout time.Duration, what string, ok func(info string) bool) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		info, err := c.Info(context.Background(), section).Result()
		if err == nil && ok(info) {
			return info
		}
		if err != nil {
			info = fmt.Sprintf("(INFO %s failed: %v)", section, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v on %s; last INFO %s:\n%s", what, timeout, c.Options().Addr, section, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// syncedPair starts a master loaded with every type and a replica attached with
// REPLICAOF, writes writeMix's commands (keys prefixed with prefix) and waits until the
// replica acknowledged them and holds the same data.
func syncedPair(t *testing.T, startMaster, startReplica replStarter, prefix string) (string, *redis.Client, *redis.Client) {
	t.Helper()
	masterAddr := startMaster(t)
	master := replClient(t, masterAddr)
	loadEveryType(t, masterAddr)
	replica := replClient(t, startReplica(t))
	attachReplica(t, replica, masterAddr)
	writeMix(t, masterAddr, prefix)
	waitAck(t, master, replica)
	waitSameDigest(t, master, replica)
	return masterAddr, master, replica
}

// attachReplica makes replica a replica of the master at masterAddr with REPLICAOF,
// which must answer OK, and waits for the link to come up.
func attachReplica(t *testing.T, replica *redis.Client, masterAddr string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(masterAddr)
	if got, err := replica.Do(context.Background(), "replicaof", host, port).Result(); err != nil || got != "OK" {
		t.Fatalf("REPLICAOF %s %s = %#v, %v; want OK", host, port, got, err)
	}
	waitInfo(t, replica, "replication", 20*time.Second, "the replica's link to "+masterAddr+" comes up", linkUp)
}

// linkUp accepts the INFO replication of a replica whose link to its master is up.
func linkUp(info string) bool {
	return replInfoField(info, "role") == "slave" && replInfoField(info, "master_link_status") == "up"
}

// waitAck runs WAIT 1 5000 on the master, which must answer that one replica
// acknowledged every write so far.
func waitAck(t *testing.T, master, replica *redis.Client) {
	t.Helper()
	n, err := master.Do(context.Background(), "wait", 1, 5000).Int64()
	if err != nil || n != 1 {
		t.Fatalf("WAIT 1 5000 on the master = %d, %v; want 1\nmaster INFO replication:\n%s\nreplica INFO replication:\n%s",
			n, err, infoText(master, "replication"), infoText(replica, "replication"))
	}
}

// waitSameDigest polls DEBUG DIGEST on master and replica until they are equal: WAIT
// only says that the replica received the writes, not that it applied them.
func waitSameDigest(t *testing.T, master, replica *redis.Client) {
	t.Helper()
	ctx := context.Background()
	const timeout = 5 * time.Second
	deadline := time.Now().Add(timeout)
	for {
		dm, errM := master.Do(ctx, "debug", "digest").Text()
		dr, errR := replica.Do(ctx, "debug", "digest").Text()
		if errM == nil && errR == nil && dm == dr {
			if dm == strings.Repeat("0", 40) {
				t.Fatalf("DEBUG DIGEST of master and replica is that of an empty dataset")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("DEBUG DIGEST differs after %v: master %q (%v), replica %q (%v)\n"+
				"master INFO keyspace:\n%s\nreplica INFO keyspace:\n%s\nmaster INFO replication:\n%s\nreplica INFO replication:\n%s",
				timeout, dm, errM, dr, errR, infoText(master, "keyspace"), infoText(replica, "keyspace"),
				infoText(master, "replication"), infoText(replica, "replication"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loadEveryType writes data of every type into databases 0, 3 and 9 of the server at
// addr: strings (integers, a large value), small and large lists, hashes, sets (intsets
// too), sorted sets, a stream with a consumer group and pending entries, a HyperLogLog,
// a bitmap, and keys with TTLs. Key names start with "db<n>:".
func loadEveryType(t *testing.T, addr string) {
	t.Helper()
	ctx := context.Background()
	for _, db := range []int{0, 3, 9} {
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, DB: db})
		k := func(name string) string { return fmt.Sprintf("db%d:%s", db, name) }
		p := c.Pipeline()
		p.Set(ctx, k("str"), "hello", 0)
		p.Set(ctx, k("int"), "12345", 0)
		p.Set(ctx, k("negint"), "-42", 0)
		p.Set(ctx, k("maxint"), "9223372036854775807", 0)
		p.Set(ctx, k("big"), strings.Repeat("basalt-replication-", 20000), 0) // 380 KB
		p.Set(ctx, k("ttl"), "expires-later", time.Hour)
		p.RPush(ctx, k("list"), "a", "b", "c", 1, 2)
		p.SAdd(ctx, k("intset"), 3, 1, 2, -5)
		p.SAdd(ctx, k("set"), "x", "y", "z")
		p.ZAdd(ctx, k("zset"), redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: -0.25, Member: "b"}, redis.Z{Score: 1e21, Member: "c"})
		p.HSet(ctx, k("hash"), "f1", "v1", "f2", "v2", "n", 3)
		for i := range 600 { // past every listpack and intset limit
			p.SAdd(ctx, k("bigintset"), i*7)
			if i < 300 {
				p.RPush(ctx, k("biglist"), fmt.Sprint("e", i))
				p.SAdd(ctx, k("bigset"), fmt.Sprint("m", i))
				p.ZAdd(ctx, k("bigzset"), redis.Z{Score: float64(i) / 3, Member: fmt.Sprint("m", i)})
				p.HSet(ctx, k("bighash"), fmt.Sprint("f", i), i)
			}
		}
		p.XAdd(ctx, &redis.XAddArgs{Stream: k("stream"), ID: "1-1", Values: []string{"f", "v", "g", "w"}})
		p.XAdd(ctx, &redis.XAddArgs{Stream: k("stream"), ID: "2-0", Values: []string{"f", "v2"}})
		p.XAdd(ctx, &redis.XAddArgs{Stream: k("stream"), ID: "3-5", Values: []string{"other", "1"}})
		p.XGroupCreate(ctx, k("stream"), "grp", "0")
		p.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "grp", Consumer: "alice", Streams: []string{k("stream"), ">"}, Count: 2})
		hll := make([]any, 100)
		for i := range hll {
			hll[i] = fmt.Sprint("visitor", i)
		}
		p.PFAdd(ctx, k("hll"), hll...)
		p.SetBit(ctx, k("bitmap"), 7, 1)
		p.SetBit(ctx, k("bitmap"), 1000, 1)
		p.SetBit(ctx, k("bitmap"), 100000, 1)
		p.Expire(ctx, k("hash"), 2*time.Hour)
		p.PExpire(ctx, k("bigzset"), 3*time.Hour)
		p.ExpireAt(ctx, k("bitmap"), time.Now().Add(24*time.Hour))
		cmds, _ := p.Exec(ctx)
		checkCmds(t, fmt.Sprintf("loading db %d on %s", db, addr), cmds)
		c.Close()
	}
}

// writeMix runs on the master at addr the writes that must reach its replica: a
// MULTI/EXEC block, MSET over many keys, DEL of several keys, EVAL that writes, EXPIRE
// and PEXPIRE, a key that expires on the master, INCRBYFLOAT, SPOP, LMOVE, XADD and
// XREADGROUP, a BLPOP served by an LPUSH from another connection, FLUSHDB of database 9
// and writes after SELECT 3. Its own keys start with prefix; it also changes some keys
// of loadEveryType, but never db0:str.
func writeMix(t *testing.T, addr, prefix string) {
	t.Helper()
	ctx := context.Background()
	c := replClient(t, addr)
	k := func(name string) string { return prefix + name }

	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, k("tx:a"), "1", 0)
		p.Incr(ctx, k("tx:a"))
		p.RPush(ctx, k("tx:list"), "x", "y")
		p.HSet(ctx, k("tx:hash"), "f", "v")
		p.SAdd(ctx, k("tx:set"), "m", 5)
		p.ZIncrBy(ctx, k("tx:zset"), 2.5, "m")
		p.Append(ctx, "db0:int", "0")
		return nil
	})
	if err != nil {
		t.Fatalf("MULTI/EXEC: %v", err)
	}
	checkCmds(t, "MULTI/EXEC", cmds)

	pairs := make([]any, 0, 400)
	for i := range 200 {
		pairs = append(pairs, k(fmt.Sprint("mset:", i)), fmt.Sprint("value-", i))
	}
	if err := c.MSet(ctx, pairs...).Err(); err != nil {
		t.Fatalf("MSET: %v", err)
	}
	del := []string{k("tx:set"), k("no-such-key")}
	for i := range 10 {
		del = append(del, k(fmt.Sprint("mset:", i)))
	}
	if n, err := c.Del(ctx, del...).Result(); err != nil || n != int64(len(del)-1) {
		t.Fatalf("DEL %v = %d, %v; want %d", del, n, err, len(del)-1)
	}
	if err := c.Del(ctx, "db0:negint", "db0:set", "db0:big").Err(); err != nil {
		t.Fatalf("DEL of loaded keys: %v", err)
	}

	const script = "redis.call('set', KEYS[1], ARGV[1]); return redis.call('incr', KEYS[2])"
	if n, err := c.Eval(ctx, script, []string{k("lua:s"), k("lua:n")}, "from-lua").Int64(); err != nil || n != 1 {
		t.Fatalf("EVAL = %d, %v; want 1", n, err)
	}
	if err := c.Eval(ctx, script, []string{k("lua:s2"), "db0:int"}, "again").Err(); err != nil {
		t.Fatalf("EVAL incrementing db0:int: %v", err)
	}

	if ok, err := c.Expire(ctx, k("mset:10"), time.Hour).Result(); err != nil || !ok {
		t.Fatalf("EXPIRE = %v, %v", ok, err)
	}
	if ok, err := c.PExpire(ctx, k("mset:11"), 90*time.Minute).Result(); err != nil || !ok {
		t.Fatalf("PEXPIRE = %v, %v", ok, err)
	}
	// A key that expires on the master: the master's deletion must reach the replica.
	if err := c.Set(ctx, k("short"), "soon gone", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if ok, err := c.PExpire(ctx, k("short"), 30*time.Millisecond).Result(); err != nil || !ok {
		t.Fatalf("PEXPIRE 30 = %v, %v", ok, err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		n, err := c.Exists(ctx, k("short")).Result()
		if err == nil && n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a key with PEXPIRE 30 still exists on the master after 5 s: EXISTS = %d, %v", n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	if err := c.Set(ctx, k("float"), "10.5", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if f, err := c.IncrByFloat(ctx, k("float"), 0.1).Result(); err != nil || f != 10.6 {
		t.Fatalf("INCRBYFLOAT = %v, %v; want 10.6", f, err)
	}

	members := make([]any, 20)
	for i := range members {
		members[i] = fmt.Sprint("m", i)
	}
	if err := c.SAdd(ctx, k("spop"), members...).Err(); err != nil {
		t.Fatalf("SADD: %v", err)
	}
	if err := c.SPop(ctx, k("spop")).Err(); err != nil {
		t.Fatalf("SPOP: %v", err)
	}
	if got, err := c.SPopN(ctx, k("spop"), 3).Result(); err != nil || len(got) != 3 {
		t.Fatalf("SPOP 3 = %v, %v", got, err)
	}
	if got, err := c.SPop(ctx, "db0:intset").Result(); err != nil || got == "" {
		t.Fatalf("SPOP of an intset = %q, %v", got, err)
	}

	if err := c.RPush(ctx, k("lmove:src"), "a", "b", "c").Err(); err != nil {
		t.Fatalf("RPUSH: %v", err)
	}
	if got, err := c.LMove(ctx, k("lmove:src"), k("lmove:dst"), "LEFT", "RIGHT").Result(); err != nil || got != "a" {
		t.Fatalf("LMOVE = %q, %v; want a", got, err)
	}
	if err := c.LMove(ctx, "db0:list", "db0:list", "RIGHT", "LEFT").Err(); err != nil {
		t.Fatalf("LMOVE rotating db0:list: %v", err)
	}

	for i := range 3 {
		if err := c.XAdd(ctx, &redis.XAddArgs{Stream: k("stream"), Values: []any{"n", i}}).Err(); err != nil {
			t.Fatalf("XADD: %v", err)
		}
	}
	if err := c.XAdd(ctx, &redis.XAddArgs{Stream: "db0:stream", Values: []any{"late", "entry"}}).Err(); err != nil {
		t.Fatalf("XADD: %v", err)
	}
	if err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "grp", Consumer: "bob", Streams: []string{"db0:stream", ">"}, Count: 1}).Err(); err != nil {
		t.Fatalf("XREADGROUP: %v", err)
	}

	// BLPOP on one connection, served by an LPUSH from another.
	blocker := replClient(t, addr)
	type popped struct {
		val []string
		err error
	}
	done := make(chan popped, 1)
	go func() {
		val, err := blocker.BLPop(ctx, 5*time.Second, k("blpop")).Result()
		done <- popped{val, err}
	}()
	waitInfo(t, c, "clients", 5*time.Second, "BLPOP blocks", func(info string) bool {
		return replInfoInt(info, "blocked_clients") == 1
	})
	if err := c.LPush(ctx, k("blpop"), "first", "second").Err(); err != nil {
		t.Fatalf("LPUSH: %v", err)
	}
	if got := <-done; got.err != nil || len(got.val) != 2 || got.val[0] != k("blpop") {
		t.Fatalf("BLPOP served by LPUSH = %q, %v", got.val, got.err)
	}

	withDB(t, addr, 9, func(conn *redis.Conn) {
		if err := conn.Set(ctx, k("doomed"), "x", 0).Err(); err != nil {
			t.Fatalf("SET in db 9: %v", err)
		}
		if err := conn.FlushDB(ctx).Err(); err != nil {
			t.Fatalf("FLUSHDB in db 9: %v", err)
		}
		if err := conn.Set(ctx, k("after-flush"), "y", 0).Err(); err != nil {
			t.Fatalf("SET in db 9: %v", err)
		}
	})
	withDB(t, addr, 3, func(conn *redis.Conn) {
		p := conn.Pipeline()
		p.Set(ctx, k("in-db3"), "three", 0)
		p.HIncrBy(ctx, "db3:hash", "n", 10)
		p.SAdd(ctx, "db3:intset", 99)
		p.Del(ctx, "db3:str")
		p.Expire(ctx, "db3:list", time.Hour)
		p.ZAdd(ctx, "db3:zset", redis.Z{Score: 7, Member: "d"})
		cmds, _ := p.Exec(ctx)
		checkCmds(t, "writes after SELECT 3", cmds)
	})
}

// checkMasterRole checks ROLE on a master with one replica at replicaAddr:
// ["master", offset > 0, [[ip, port, offset]]].
func checkMasterRole(t *testing.T, master *redis.Client, replicaAddr string) {
	t.Helper()
	_, replicaPort, _ := net.SplitHostPort(replicaAddr)
	reply, err := master.Do(context.Background(), "role").Slice()
	if err != nil || len(reply) != 3 {
		t.Fatalf("ROLE on the master = %#v, %v; want 3 elements", reply, err)
	}
	if reply[0] != "master" {
		t.Errorf("ROLE[0] on the master = %#v, want \"master\"", reply[0])
	}
	if off, ok := reply[1].(int64); !ok || off <= 0 {
		t.Errorf("ROLE[1] on the master = %#v, want an integer offset > 0", reply[1])
	}
	replicas, ok := reply[2].([]any)
	if !ok || len(replicas) != 1 {
		t.Fatalf("ROLE[2] on the master = %#v, want a list of one replica", reply[2])
	}
	entry, ok := replicas[0].([]any)
	if !ok || len(entry) != 3 {
		t.Fatalf("ROLE replica entry = %#v, want [ip, port, offset]", replicas[0])
	}
	if entry[0] != "127.0.0.1" || fmt.Sprint(entry[1]) != replicaPort {
		t.Errorf("ROLE replica entry = %#v, want ip 127.0.0.1 and port %s", entry, replicaPort)
	}
	if _, err := strconv.ParseInt(fmt.Sprint(entry[2]), 10, 64); err != nil {
		t.Errorf("ROLE replica entry = %#v: offset is not an integer", entry)
	}
}

// A redis-server replica of Basalt receives a dataset of every type in several
// databases by full sync, then the stream of writes: transactions, scripts, expiries,
// random pops, blocking pops, FLUSHDB, other databases. Basalt counts the replica's
// acknowledgements for WAIT and reports it in INFO and ROLE.
func TestReplicationRedisReplicaOfBasalt(t *testing.T) {
	for _, threads := range []int{1, 4} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			testRedisReplicaOf(t, basaltNode(threads))
		})
	}
	t.Run("redis-redis", func(t *testing.T) { testRedisReplicaOf(t, redisNode) })
}

func testRedisReplicaOf(t *testing.T, startMaster replStarter) {
	masterAddr := startMaster(t)
	master := replClient(t, masterAddr)
	loadEveryType(t, masterAddr)

	host, port, _ := net.SplitHostPort(masterAddr)
	replicaAddr := startRedisIn(t, t.TempDir(), redisReplArgs("--replicaof", host, port)...)
	replica := replClient(t, replicaAddr)
	waitInfo(t, replica, "replication", 20*time.Second, "the redis replica's link to the master comes up", linkUp)

	writeMix(t, masterAddr, "w:")
	waitAck(t, master, replica)
	waitSameDigest(t, master, replica)

	waitInfo(t, master, "replication", 5*time.Second, "the master lists one online replica", func(info string) bool {
		return replInfoField(info, "role") == "master" && replInfoField(info, "connected_slaves") == "1" &&
			strings.Contains(replInfoField(info, "slave0"), "state=online")
	})
	checkMasterRole(t, master, replicaAddr)
}

// Basalt replicates a redis-server master after REPLICAOF: the full sync of a dataset of
// every type, then the stream of writes, acknowledged for the master's WAIT. As a
// replica it refuses writes from clients and answers reads; REPLICAOF NO ONE makes it a
// master again that keeps its data and no longer follows the old master.
func TestReplicationBasaltReplicaOfRedis(t *testing.T) {
	for _, threads := range []int{1, 4} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			testReplicaOfRedis(t, basaltNode(threads))
		})
	}
	t.Run("redis-redis", func(t *testing.T) { testReplicaOfRedis(t, redisNode) })
}

func testReplicaOfRedis(t *testing.T, startReplica replStarter) {
	ctx := context.Background()
	masterAddr, master, replica := syncedPair(t, redisNode, startReplica, "w:")

	const readonly = "READONLY You can't write against a read only replica."
	if err := replica.Set(ctx, "w:client-write", "x", 0).Err(); err == nil || err.Error() != readonly {
		t.Errorf("SET from a client on the replica: error %v, want %q", err, readonly)
	}
	if got, err := replica.Get(ctx, "db0:str").Result(); err != nil || got != "hello" {
		t.Errorf("GET db0:str on the replica = %q, %v; want hello", got, err)
	}

	_, port, _ := net.SplitHostPort(masterAddr)
	mport, _ := strconv.ParseInt(port, 10, 64)
	role, err := replica.Do(ctx, "role").Slice()
	if err != nil || len(role) != 5 {
		t.Errorf("ROLE on the replica = %#v, %v; want 5 elements", role, err)
	} else {
		off, isInt := role[4].(int64)
		if role[0] != "slave" || role[1] != "127.0.0.1" || role[2] != mport || role[3] != "connected" || !isInt || off <= 0 {
			t.Errorf("ROLE on the replica = %#v; want [slave 127.0.0.1 %d connected <offset > 0>]", role, mport)
		}
	}

	if got, err := replica.Do(ctx, "replicaof", "no", "one").Result(); err != nil || got != "OK" {
		t.Fatalf("REPLICAOF NO ONE = %#v, %v; want OK", got, err)
	}
	if info := infoText(replica, "replication"); replInfoField(info, "role") != "master" {
		t.Errorf("INFO replication after REPLICAOF NO ONE:\n%s\nwant role:master", info)
	}
	if err := replica.Set(ctx, "w:promoted", "own write", 0).Err(); err != nil {
		t.Errorf("SET after REPLICAOF NO ONE: %v", err)
	}

	// The old master sees the replica go, and its later writes stay there.
	waitInfo(t, master, "replication", 5*time.Second, "the redis master drops the promoted replica", func(info string) bool {
		return replInfoField(info, "connected_slaves") == "0"
	})
	p := master.Pipeline()
	p.Set(ctx, "w:after-promotion", "master only", 0)
	p.Set(ctx, "db0:str", "changed on the old master", 0)
	p.Set(ctx, "w:promoted", "old master's value", 0)
	cmds, _ := p.Exec(ctx)
	checkCmds(t, "writes on the old master", cmds)
	if n, err := master.Do(ctx, "wait", 1, 100).Int64(); err != nil || n != 0 {
		t.Errorf("WAIT 1 100 on the old master = %d, %v; want 0", n, err)
	}
	if n, err := replica.Exists(ctx, "w:after-promotion").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS w:after-promotion on the promoted replica = %d, %v; want 0", n, err)
	}
	for key, want := range map[string]string{"db0:str": "hello", "w:promoted": "own write"} {
		if got, err := replica.Get(ctx, key).Result(); err != nil || got != want {
			t.Errorf("GET %s on the promoted replica = %q, %v; want %q", key, got, err, want)
		}
	}
}

// A Basalt replica of Basalt whose link the master kills reconnects by itself and
// continues from the master's backlog: one full sync, then one partial resync, and the
// writes made meanwhile and afterwards all arrive.
func TestReplicationBasaltChainAndResync(t *testing.T) {
	t.Run("threads=2", func(t *testing.T) { testChainAndResync(t, basaltNode(2)) })
	t.Run("redis-redis", func(t *testing.T) { testChainAndResync(t, redisNode) })
}

func testChainAndResync(t *testing.T, start replStarter) {
	ctx := context.Background()
	aAddr, a, b := syncedPair(t, start, start, "w1:")

	if n, err := a.Do(ctx, "client", "kill", "type", "replica").Int64(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL TYPE replica on A = %d, %v; want 1", n, err)
	}
	// Written while B is (most likely) away: the partial resync brings them from A's backlog.
	p := a.Pipeline()
	p.Set(ctx, "w2:while-away", "backlog", 0)
	p.Incr(ctx, "w2:counter")
	p.RPush(ctx, "db0:list", "while-away")
	cmds, _ := p.Exec(ctx)
	checkCmds(t, "writes on A after the kill", cmds)

	waitInfo(t, a, "stats", 20*time.Second, "B syncs again after the kill", func(info string) bool {
		return replInfoInt(info, "sync_full")+replInfoInt(info, "sync_partial_ok") >= 2
	})
	waitInfo(t, b, "replication", 20*time.Second, "B's link to A comes up again", linkUp)

	writeMix(t, aAddr, "w3:")
	waitAck(t, a, b)
	waitSameDigest(t, a, b)

	if stats := infoText(a, "stats"); replInfoField(stats, "sync_full") != "1" || replInfoField(stats, "sync_partial_ok") != "1" {
		t.Errorf("A's INFO stats has sync_full:%s sync_partial_ok:%s; want 1 and 1 (one full sync, then a partial resync)\n"+
			"A INFO replication:\n%s\nB INFO replication:\n%s",
			replInfoField(stats, "sync_full"), replInfoField(stats, "sync_partial_ok"), infoText(a, "replication"), infoText(b, "replication"))
	}
}

// TestReplicationReplicaAOFAndConfig runs a Basalt replica with appendonly yes: after a
// full sync its AOF must hold the master's dataset (the sync replaced what was there),
// so a restart without a master loads exactly that. A second restart with the replicaof
// directive in the configuration syncs again by itself.
func TestReplicationReplicaAOFAndConfig(t *testing.T) {
	ctx := context.Background()
	masterAddr := redisNode(t)
	master := replClient(t, masterAddr)
	loadEveryType(t, masterAddr)
	dir := t.TempDir()
	start := func(replicaOf string) (*coord.Server, *redis.Client) {
		srv, addr := startBasaltWith(t, func(cfg *coord.Config) {
			cfg.Threads, cfg.Dir, cfg.AppendOnly, cfg.ReplicaOf = 2, dir, true, replicaOf
		})
		return srv, replClient(t, addr)
	}
	srv, replica := start("")
	if err := replica.Set(ctx, "replica-only", "gone after the sync", 0).Err(); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(masterAddr)
	if err := replica.Do(ctx, "replicaof", host, port).Err(); err != nil {
		t.Fatalf("REPLICAOF: %v", err)
	}
	waitInfo(t, replica, "replication", 20*time.Second, "the replica's link comes up", linkUp)
	writeMix(t, masterAddr, "aof:")
	waitAck(t, master, replica)
	waitSameDigest(t, master, replica)
	want, err := replica.Do(ctx, "debug", "digest").Text()
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()

	srv, replica = start("")
	if got, err := replica.Do(ctx, "debug", "digest").Text(); err != nil || got != want {
		t.Fatalf("after a restart from the AOF the digest is %q (%v), want the master's %q", got, err, want)
	}
	if n, err := replica.Exists(ctx, "replica-only").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS replica-only after the restart = %d, %v; the full sync had replaced it", n, err)
	}
	srv.Stop()

	_, replica = start(host + " " + port)
	waitInfo(t, replica, "replication", 20*time.Second, "the link from the replicaof directive comes up", linkUp)
	if err := master.Set(ctx, "after-restart", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	waitAck(t, master, replica)
	waitSameDigest(t, master, replica)
}

// TestReplicationReplicaKeepsExpiredKeys compares a Basalt replica with a redis-server
// replica of the same master: a key whose TTL passed is missing for reads on both, but
// stays until the master's DEL (DBSIZE counts it), so that a replica never deletes what
// the master may still write to.
func TestReplicationReplicaKeepsExpiredKeys(t *testing.T) {
	ctx := context.Background()
	masterAddr := redisNode(t)
	master := replClient(t, masterAddr)
	if err := master.Do(ctx, "debug", "set-active-expire", "0").Err(); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(masterAddr)
	replicas := map[string]*redis.Client{
		"redis":  replClient(t, startRedisIn(t, t.TempDir(), redisReplArgs("--replicaof", host, port)...)),
		"basalt": replClient(t, startBasalt(t, 2)),
	}
	if err := replicas["basalt"].Do(ctx, "replicaof", host, port).Err(); err != nil {
		t.Fatal(err)
	}
	for name, r := range replicas {
		waitInfo(t, r, "replication", 20*time.Second, name+" replica's link comes up", linkUp)
	}
	for _, k := range []string{"a", "b", "c"} {
		if err := master.Set(ctx, k, "v", 100*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
	}
	master.Set(ctx, "keep", "v", 0)
	if n, err := master.Do(ctx, "wait", 2, 5000).Int64(); err != nil || n != 2 {
		t.Fatalf("WAIT 2 5000 = %d, %v", n, err)
	}
	time.Sleep(300 * time.Millisecond)
	look := func(when string, wantSize int64) {
		t.Helper()
		for name, r := range replicas {
			// Wait for the DELs to arrive (WAIT does not tell they were applied).
			deadline := time.Now().Add(5 * time.Second)
			size, _ := r.DBSize(ctx).Result()
			for size != wantSize && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
				size, _ = r.DBSize(ctx).Result()
			}
			get := r.Get(ctx, "a")
			ttl, _ := r.TTL(ctx, "b").Result()
			ex, _ := r.Exists(ctx, "c").Result()
			if size != wantSize || get.Err() != redis.Nil || ex != 0 || ttl != -2*time.Nanosecond {
				t.Errorf("%s, %s replica: DBSIZE %d (want %d), GET a %v, EXISTS c %d, TTL b %v; want nil, 0, -2",
					when, name, size, wantSize, get, ex, ttl)
			}
		}
	}
	look("after the TTLs passed", 4)
	// Reads on the master expire the keys there, and its DELs reach the replicas.
	master.Get(ctx, "a")
	master.Exists(ctx, "b", "c")
	look("after the master's DELs", 1)
}

// TestReplicationMetrics checks redis_exporter's replication series on both ends of a
// Basalt master and replica.
func TestReplicationMetrics(t *testing.T) {
	ctx := context.Background()
	masterSrv, masterAddr := startWithMetrics(t, 2)
	replicaSrv, replicaAddr := startWithMetrics(t, 2)
	master, replica := replClient(t, masterAddr), replClient(t, replicaAddr)
	host, port, _ := net.SplitHostPort(masterAddr)
	if err := replica.Do(ctx, "replicaof", host, port).Err(); err != nil {
		t.Fatal(err)
	}
	waitInfo(t, replica, "replication", 20*time.Second, "the replica's link comes up", linkUp)
	master.Set(ctx, "k", "v", 0)
	waitAck(t, master, replica)
	m := scrape(t, masterSrv)
	_, rport, _ := net.SplitHostPort(replicaAddr)
	series := `redis_connected_slave_offset_bytes{slave_ip="127.0.0.1",slave_port="` + rport + `",slave_state="online"}`
	if m["redis_connected_slaves"] != 1 || m["redis_replica_resyncs_full"] != 1 || m[series] <= 0 || m["redis_master_repl_offset"] <= 0 {
		t.Errorf("master metrics: connected_slaves %v, resyncs_full %v, %s %v, master_repl_offset %v",
			m["redis_connected_slaves"], m["redis_replica_resyncs_full"], series, m[series], m["redis_master_repl_offset"])
	}
	r := scrape(t, replicaSrv)
	if r["redis_master_link_up"] != 1 || r["redis_slave_repl_offset"] <= 0 || r["redis_master_sync_in_progress"] != 0 {
		t.Errorf("replica metrics: master_link_up %v, slave_repl_offset %v, master_sync_in_progress %v",
			r["redis_master_link_up"], r["redis_slave_repl_offset"], r["redis_master_sync_in_progress"])
	}
}

// TestReplicationMinReplicas checks min-replicas-to-write on a master, with Basalt and
// with redis-server as the master: writes are refused with NOREPLICAS until a replica
// is online and ACKing, and again once it is gone.
func TestReplicationMinReplicas(t *testing.T) {
	for name, start := range map[string]replStarter{"basalt": basaltNode(2), "redis-redis": redisNode} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			masterAddr := start(t)
			master := replClient(t, masterAddr)
			if err := master.ConfigSet(ctx, "min-replicas-to-write", "1").Err(); err != nil {
				t.Fatal(err)
			}
			if err := master.Set(ctx, "k", "v", 0).Err(); err == nil || err.Error() != "NOREPLICAS Not enough good replicas to write." {
				t.Fatalf("SET without replicas: %v", err)
			}
			host, port, _ := net.SplitHostPort(masterAddr)
			replicaAddr := startRedisIn(t, t.TempDir(), redisReplArgs("--replicaof", host, port)...)
			replica := replClient(t, replicaAddr)
			waitInfo(t, replica, "replication", 20*time.Second, "the replica's link comes up", linkUp)
			deadline := time.Now().Add(10 * time.Second)
			for master.Set(ctx, "k", "v", 0).Err() != nil {
				if time.Now().After(deadline) {
					t.Fatalf("SET still refused with an online replica: %v\n%s", master.Set(ctx, "k", "v", 0).Err(), infoText(master, "replication"))
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err := replica.Do(ctx, "replicaof", "no", "one").Err(); err != nil {
				t.Fatal(err)
			}
			deadline = time.Now().Add(10 * time.Second)
			for {
				err := master.Set(ctx, "k", "v", 0).Err()
				if err != nil && err.Error() == "NOREPLICAS Not enough good replicas to write." {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("SET after the replica left: %v\n%s", err, infoText(master, "replication"))
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// TestReplicationCommandForms runs commands whose propagation must be rewritten or
// spans shards and databases (random pops, float increments, relative TTLs, approximate
// trims, blocking-free forms of blocking commands, cross-database moves, functions)
// on a Basalt master with a redis-server replica, and compares the datasets.
func TestReplicationCommandForms(t *testing.T) {
	ctx := context.Background()
	masterAddr := startBasalt(t, 4)
	master := replClient(t, masterAddr)
	host, port, _ := net.SplitHostPort(masterAddr)
	replica := replClient(t, startRedisIn(t, t.TempDir(), redisReplArgs("--replicaof", host, port)...))
	waitInfo(t, replica, "replication", 20*time.Second, "the replica's link comes up", linkUp)
	lib := "#!lua name=formslib\nredis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)"
	cmds := [][]any{
		{"sadd", "s", "a", "b", "c", "d", "e", "f"}, {"spop", "s"}, {"spop", "s", 2},
		{"set", "f", "1.5"}, {"incrbyfloat", "f", "0.1"}, {"hincrbyfloat", "h", "x", "2.25"},
		{"set", "ttl1", "v", "ex", 100}, {"expire", "ttl1", 200, "gt"}, {"getex", "ttl1", "px", 50000},
		{"set", "ttl2", "v", "keepttl"}, {"setex", "ttl3", 1000, "v"}, {"psetex", "ttl4", 100000, "v"},
		{"getdel", "ttl4"}, {"persist", "ttl3"},
		{"xadd", "st", "maxlen", "~", 5, "*", "f", "v"}, {"xadd", "st", "*", "f", "v2"}, {"xtrim", "st", "maxlen", "~", 1},
		{"xgroup", "create", "st", "g", "0"}, {"xreadgroup", "group", "g", "c", "count", 1, "streams", "st", ">"},
		{"xautoclaim", "st", "g", "c2", 0, "0-0"},
		{"rpush", "l", "a", "b", "c", "d"}, {"lmpop", 1, "l", "left", "count", 2}, {"lset", "l", 0, "z"},
		{"linsert", "l", "before", "z", "y"}, {"ltrim", "l", 0, 1}, {"lmove", "l", "l2", "left", "right"},
		{"blpop", "l", "l2", 1}, {"blmove", "l2", "l3", "left", "left", 1},
		{"zadd", "z", 1, "a", 2, "b", 3, "c"}, {"zpopmin", "z"}, {"bzpopmax", "z", 1}, {"zrangestore", "z2", "z", 0, -1},
		{"zunionstore", "{u}z3", 1, "{u}z4"}, {"zadd", "z5", "incr", 2, "q"},
		{"mset", "a1", "1", "a2", "2", "a3", "3"}, {"msetnx", "a4", "4", "a5", "5"}, {"rename", "a1", "a9"},
		{"copy", "a2", "a2copy"}, {"copy", "a3", "a3", "db", 5}, {"move", "a9", 6}, {"swapdb", 6, 7},
		{"sunionstore", "s2", "s", "s"}, {"sort", "l3", "alpha", "store", "sorted"},
		{"setbit", "b1", 7, 1}, {"setbit", "b2", 100, 1}, {"bitop", "or", "b3", "b1", "b2"},
		{"bitfield", "bf", "incrby", "u8", 0, 300, "overflow", "sat", "incrby", "i8", 8, -200},
		{"pfadd", "p1", "x", "y"}, {"pfadd", "p2", "z"}, {"pfmerge", "p3", "p1", "p2"},
		{"geoadd", "geo", 13.36, 38.11, "pa", 15.08, 37.5, "ca"}, {"geosearchstore", "geo2", "geo", "fromlonlat", 15, 37, "byradius", 200, "km", "asc"},
		{"setrange", "sr", 5, "x"}, {"append", "sr", "yy"}, {"incr", "ctr"}, {"decrby", "ctr", 5},
		{"function", "load", lib}, {"fcall", "bump", 1, "fc", 7},
		{"eval", "local m = redis.call('spop', KEYS[1]); if m then redis.call('set', KEYS[2], m) end; return m", 2, "s", "{s}spopped"},
		{"hset", "h2", "a", "1", "b", "2"}, {"hdel", "h2", "a"}, {"unlink", "sorted", "nosuch"},
		{"set", "nx", "1", "nx", "get"}, {"flushdb", "async"},
	}
	for _, c := range cmds {
		if err := master.Do(ctx, c...).Err(); err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", c, err)
		}
	}
	// The flush cleared database 0; write something back so the digest is not empty.
	for _, c := range cmds[:12] {
		master.Do(ctx, c...)
	}
	waitAck(t, master, replica)
	waitSameDigest(t, master, replica)
	for _, db := range []int{5, 6, 7} {
		m, r := redis.NewClient(&redis.Options{Addr: masterAddr, DB: db}), redis.NewClient(&redis.Options{Addr: replica.Options().Addr, DB: db})
		mk, _ := m.Keys(ctx, "*").Result()
		rk, _ := r.Keys(ctx, "*").Result()
		if fmt.Sprint(mk) != fmt.Sprint(rk) {
			t.Errorf("db %d: master keys %v, replica keys %v", db, mk, rk)
		}
		m.Close()
		r.Close()
	}
}

// TestReplicationUnderLoad attaches a redis-server replica to a four-shard Basalt master
// while eight clients write (single-key, multi-shard, transactions, scripts, expiries),
// breaks the link twice during the load, and then compares the datasets: the snapshot
// cut and the stream must fit exactly, whatever ran across the cut.
func TestReplicationUnderLoad(t *testing.T) {
	ctx := context.Background()
	masterAddr := startBasalt(t, 4)
	master := replClient(t, masterAddr)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: masterAddr, Protocol: 2, PoolSize: 2})
			defer c.Close()
			rng := rand.New(rand.NewSource(int64(w)))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := func() string { return fmt.Sprint("k", rng.Intn(200)) }
				var err error
				switch rng.Intn(8) {
				case 0:
					err = c.Set(ctx, k(), i, 0).Err()
				case 1:
					err = c.Incr(ctx, "ctr:"+k()).Err()
				case 2:
					err = c.LPush(ctx, "l:"+k(), i).Err()
				case 3:
					err = c.MSet(ctx, k(), i, k(), i, k(), i).Err()
				case 4:
					_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.IncrBy(ctx, "tx:"+k(), 2)
						p.HIncrBy(ctx, "h:"+k(), "f", 1)
						return nil
					})
				case 5:
					err = c.Eval(ctx, "redis.call('incr', KEYS[1]); return redis.call('sadd', KEYS[2], ARGV[1])", []string{"e:" + k(), "{e}s"}, i).Err()
				case 6:
					err = c.Del(ctx, k(), "ctr:"+k()).Err()
				case 7:
					err = c.Set(ctx, "ttl:"+k(), i, time.Duration(1+rng.Intn(50))*time.Millisecond).Err()
				}
				if err != nil && err != redis.Nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	host, port, _ := net.SplitHostPort(masterAddr)
	replica := replClient(t, startRedisIn(t, t.TempDir(), redisReplArgs("--replicaof", host, port)...))
	waitInfo(t, replica, "replication", 20*time.Second, "the replica's link comes up under load", linkUp)
	for range 2 {
		time.Sleep(300 * time.Millisecond)
		if err := master.Do(ctx, "client", "kill", "type", "replica").Err(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		waitInfo(t, replica, "replication", 20*time.Second, "the link comes back under load", linkUp)
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	waitAck(t, master, replica)
	waitSameDigest(t, master, replica)
	stats := infoText(master, "stats")
	t.Logf("sync_full %s, sync_partial_ok %s", replInfoField(stats, "sync_full"), replInfoField(stats, "sync_partial_ok"))
}

// TestReplicationMasterRestartContinues restarts a Basalt master from its RDB file: the
// file carries the replication id and offset, so its redis-server replica, at that
// offset, continues with a partial resync instead of a full one, as with a restarted
// Redis master.
func TestReplicationMasterRestartContinues(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	port := 0
	start := func() (*coord.Server, string) {
		if port == 0 {
			srv, addr := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads, cfg.Dir = 2, dir })
			_, p, _ := net.SplitHostPort(addr)
			port, _ = strconv.Atoi(p)
			return srv, addr
		}
		// The same port again, so that the replica finds its master: binding may fail
		// for a moment after the previous server let go of it.
		var lastErr error
		for range 50 {
			cfg := coord.DefaultConfig()
			cfg.Port, cfg.Bind, cfg.Dir, cfg.Threads = port, []string{"127.0.0.1"}, dir, 2
			cfg.LogLevel, cfg.MetricsPort, cfg.EnableDebugCommand = "warning", 0, "yes"
			srv, err := coord.Start(cfg)
			if err == nil {
				t.Cleanup(srv.Stop)
				return srv, net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			}
			lastErr = err
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("cannot restart the master on port %d: %v", port, lastErr)
		return nil, ""
	}
	srv, masterAddr := start()
	master := replClient(t, masterAddr)
	host, p, _ := net.SplitHostPort(masterAddr)
	replica := replClient(t, startRedisIn(t, t.TempDir(), redisReplArgs("--replicaof", host, p)...))
	waitInfo(t, replica, "replication", 20*time.Second, "the replica's link comes up", linkUp)
	loadEveryType(t, masterAddr)
	waitAck(t, master, replica)
	if err := master.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Stop()

	srv, masterAddr = start()
	master = replClient(t, masterAddr)
	waitInfo(t, master, "stats", 20*time.Second, "the replica comes back", func(info string) bool {
		return replInfoInt(info, "sync_full")+replInfoInt(info, "sync_partial_ok") >= 1
	})
	stats := infoText(master, "stats")
	if replInfoField(stats, "sync_partial_ok") != "1" || replInfoField(stats, "sync_full") != "0" {
		t.Fatalf("after the restart: sync_full %s, sync_partial_ok %s; want a partial resync\n%s",
			replInfoField(stats, "sync_full"), replInfoField(stats, "sync_partial_ok"), infoText(master, "replication"))
	}
	writeMix(t, masterAddr, "restart:")
	waitAck(t, master, replica)
	waitSameDigest(t, master, replica)

	// Restarted without its file, the master has a new history: the replica's PSYNC
	// fails and it syncs in full, and the link must then stay (a redis-server replica
	// sends newlines while it flushes its old data; they once broke the link).
	srv.Stop()
	if err := os.Remove(filepath.Join(dir, "dump.rdb")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	_, masterAddr = start()
	master = replClient(t, masterAddr)
	waitInfo(t, master, "stats", 20*time.Second, "the replica syncs again", func(info string) bool {
		return replInfoInt(info, "sync_full") >= 1
	})
	time.Sleep(300 * time.Millisecond)
	stats = infoText(master, "stats")
	if replInfoField(stats, "sync_full") != "1" || replInfoField(stats, "sync_partial_ok") != "0" || replInfoField(stats, "sync_partial_err") != "1" {
		t.Fatalf("after a restart without the file: sync_full %s, sync_partial_ok %s, sync_partial_err %s; want 1, 0, 1",
			replInfoField(stats, "sync_full"), replInfoField(stats, "sync_partial_ok"), replInfoField(stats, "sync_partial_err"))
	}
	master.Set(ctx, "after-second-restart", "1", 0)
	waitAck(t, master, replica)
	waitSameDigest(t, master, replica)
}

// TestReplicationPublishAndGetdel checks two propagation forms against redis-server as
// the master: PUBLISH reaches the replica's subscribers, and GETDEL goes as DEL.
func TestReplicationPublishAndGetdel(t *testing.T) {
	for name, start := range map[string]replStarter{"basalt": basaltNode(2), "redis-redis": redisNode} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			masterAddr := start(t)
			master := replClient(t, masterAddr)
			host, port, _ := net.SplitHostPort(masterAddr)
			replicaAddr := startRedisIn(t, t.TempDir(), redisReplArgs("--replicaof", host, port)...)
			replica := replClient(t, replicaAddr)
			waitInfo(t, replica, "replication", 20*time.Second, "the replica's link comes up", linkUp)
			sub := replica.Subscribe(ctx, "news")
			defer sub.Close()
			if _, err := sub.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			if err := master.Publish(ctx, "news", "from the master").Err(); err != nil {
				t.Fatal(err)
			}
			select {
			case m := <-sub.Channel():
				if m.Payload != "from the master" {
					t.Fatalf("replica subscriber got %q", m.Payload)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the replica's subscriber got nothing")
			}
			master.Set(ctx, "gd", "v", 0)
			if v, err := master.GetDel(ctx, "gd").Result(); err != nil || v != "v" {
				t.Fatalf("GETDEL = %q, %v", v, err)
			}
			waitAck(t, master, replica)
			if n, _ := replica.Exists(ctx, "gd").Result(); n != 0 {
				t.Fatal("GETDEL's deletion did not reach the replica")
			}
		})
	}
}

// TestReplicationReplicaStoresPastTTL pauses a Basalt and a redis-server replica of the
// same master while the master sets keys whose TTL passes before the replicas apply
// them: a replica stores them anyway (missing for reads, counted by DBSIZE) and leaves
// them to the master's DEL.
func TestReplicationReplicaStoresPastTTL(t *testing.T) {
	ctx := context.Background()
	masterAddr := redisNode(t)
	master := replClient(t, masterAddr)
	master.Do(ctx, "debug", "set-active-expire", "0")
	host, port, _ := net.SplitHostPort(masterAddr)
	replicas := map[string]*redis.Client{
		"redis":  replClient(t, startRedisIn(t, t.TempDir(), redisReplArgs("--replicaof", host, port)...)),
		"basalt": replClient(t, startBasalt(t, 2)),
	}
	replicas["basalt"].Do(ctx, "replicaof", host, port)
	for name, r := range replicas {
		waitInfo(t, r, "replication", 20*time.Second, name+" replica's link comes up", linkUp)
		if err := r.Do(ctx, "client", "pause", 60000, "write").Err(); err != nil {
			t.Fatal(err)
		}
	}
	master.Set(ctx, "a", "v", 50*time.Millisecond)
	master.Do(ctx, "set", "b", "v", "pxat", time.Now().Add(50*time.Millisecond).UnixMilli())
	master.Set(ctx, "c", "v", 0)
	master.PExpire(ctx, "c", 50*time.Millisecond)
	time.Sleep(150 * time.Millisecond)
	for name, r := range replicas {
		r.Do(ctx, "client", "unpause")
		deadline := time.Now().Add(5 * time.Second)
		for {
			n, _ := r.DBSize(ctx).Result()
			if n == 3 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s replica: DBSIZE %d, want 3 (keys past their TTL kept for the master's DEL)", name, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if n, _ := r.Exists(ctx, "a", "b", "c").Result(); n != 0 {
			t.Errorf("%s replica: EXISTS a b c = %d, want 0", name, n)
		}
	}
}

// TestReplicationRDBBackupFromReplica takes a backup with `redis-cli --rdb` (REPLCONF
// rdb-only, then SYNC) from a Basalt replica, as operators take backups from replicas,
// and loads it into a fresh redis-server: the dataset is the master's.
func TestReplicationRDBBackupFromReplica(t *testing.T) {
	ctx := context.Background()
	masterAddr := redisNode(t)
	master := replClient(t, masterAddr)
	loadEveryType(t, masterAddr)
	replicaAddr := startBasalt(t, 2)
	replica := replClient(t, replicaAddr)
	attachReplica(t, replica, masterAddr)
	waitAck(t, master, replica)
	waitSameDigest(t, master, replica)

	dir := t.TempDir()
	host, port, _ := net.SplitHostPort(replicaAddr)
	out, err := exec.Command("redis-cli", "-h", host, "-p", port, "--rdb", filepath.Join(dir, "dump.rdb")).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --rdb: %v\n%s", err, out)
	}
	restored := replClient(t, startRedisIn(t, dir, "--enable-debug-command", "yes"))
	want, _ := master.Do(ctx, "debug", "digest").Text()
	if got, err := restored.Do(ctx, "debug", "digest").Text(); err != nil || got != want {
		t.Fatalf("the backup restored into redis-server has digest %q (%v), the master %q", got, err, want)
	}
}

// TestReplicationMasterDownMatchesRedis compares a replica whose link is down under
// replica-serve-stale-data no with redis-server's: commands without the stale flag,
// and an EXEC that queued one, get MASTERDOWN; stale ones run; REPLICAOF NO ONE ends it.
func TestReplicationMasterDownMatchesRedis(t *testing.T) {
	run := func(addr string) string {
		ctx := context.Background()
		var out strings.Builder
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1})
		defer c.Close()
		c.Set(ctx, "k", "v", 0)
		c.ConfigSet(ctx, "replica-serve-stale-data", "no")
		// Nothing listens on port 1: the link never comes up.
		c.Do(ctx, "replicaof", "127.0.0.1", "1")
		for _, cmd := range [][]any{{"get", "k"}, {"ping"}, {"dbsize"}, {"config", "get", "replica-serve-stale-data"}, {"echo", "x"}} {
			v, err := c.Do(ctx, cmd...).Result()
			fmt.Fprintf(&out, "%v: %v %v\n", cmd, v, err)
		}
		conn := c.Conn()
		conn.Do(ctx, "multi")
		conn.Do(ctx, "echo", "x")
		v, err := conn.Do(ctx, "exec").Result()
		fmt.Fprintf(&out, "MULTI ECHO EXEC: %v %v\n", v, err)
		conn.Close()
		c.Do(ctx, "replicaof", "no", "one")
		v, err = c.Get(ctx, "k").Result()
		fmt.Fprintf(&out, "after NO ONE: %v %v\n", v, err)
		return out.String()
	}
	want, got := run(startRedis(t)), run(startBasalt(t, 2))
	if got != want || !strings.Contains(want, "MASTERDOWN") {
		t.Fatalf("redis:\n%s\nbasalt:\n%s", want, got)
	}
}

// TestReplicationStreamFormsMatchRedis attaches to the replication stream with SYNC on
// redis-server and on Basalt, runs the same commands and compares the streams command
// by command (timestamps masked): transaction framing (a one-write MULTI goes bare, a
// longer one starts with MULTI and selects inside), and the forms commands are
// propagated in (GETDEL as DEL, PUBLISH, INCRBYFLOAT, EXPIRE, SPOP).
func TestReplicationStreamFormsMatchRedis(t *testing.T) {
	run := func(addr string) string {
		ctx := context.Background()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		conn.Write([]byte("SYNC\r\n"))
		if err := readSyncPayloadForTest(r); err != nil {
			t.Fatalf("%s: SYNC: %v", addr, err)
		}
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1})
		defer c.Close()
		other := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1, DB: 3})
		defer other.Close()
		c.Set(ctx, "a", "1", 0)
		c.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "b", "1", 0); return nil })
		c.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "c", "1", 0); p.Incr(ctx, "c"); return nil })
		other.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "x", "1", 0); p.Set(ctx, "y", "2", 0); return nil })
		c.GetDel(ctx, "a")
		c.Publish(ctx, "ch", "m")
		c.IncrByFloat(ctx, "f", 1.5)
		c.Expire(ctx, "c", 100*time.Second)
		c.SAdd(ctx, "s", "only")
		c.SPop(ctx, "s")
		c.Set(ctx, "end", "1", 0)
		var got []string
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			cmd, _, err := readStreamCommandForTest(r)
			if err != nil {
				t.Fatalf("%s: reading the stream: %v (so far %v)", addr, err, got)
			}
			line := strings.ToLower(strings.Join(cmd, " "))
			if line == "ping" {
				continue
			}
			for i, w := range cmd {
				if len(w) >= 12 && strings.Trim(w, "0123456789") == "" {
					cmd[i] = "<ts>"
				}
			}
			got = append(got, strings.ToLower(strings.Join(cmd, " ")))
			if line == "set end 1" {
				return strings.Join(got, "\n")
			}
		}
	}
	want, got := run(startRedis(t)), run(startBasalt(t, 2))
	if got != want {
		t.Fatalf("redis's stream:\n%s\n\nbasalt's stream:\n%s", want, got)
	}
}

// readSyncPayloadForTest skips a SYNC's keep-alive newlines and its "$<len>" snapshot.
func readSyncPayloadForTest(r *bufio.Reader) error {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimPrefix(line, "$"))
		if err != nil || !strings.HasPrefix(line, "$") {
			return fmt.Errorf("unexpected snapshot header %q", line)
		}
		_, err = io.CopyN(io.Discard, r, int64(n))
		return err
	}
}

// readStreamCommandForTest reads one command (an array of bulk strings) of the stream.
func readStreamCommandForTest(r *bufio.Reader) ([]string, int, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || line[0] != '*' {
		return nil, 0, fmt.Errorf("expected an array, got %q", line)
	}
	out := make([]string, n)
	for i := range out {
		hdr, err := r.ReadString('\n')
		if err != nil {
			return nil, 0, err
		}
		l, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(hdr, "$")))
		if err != nil {
			return nil, 0, fmt.Errorf("expected a bulk, got %q", hdr)
		}
		buf := make([]byte, l+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, 0, err
		}
		out[i] = string(buf[:l])
	}
	return out, n, nil
}
