package coord_test

// Cluster mode: three Basalt nodes made a cluster by redis-cli --cluster create (the
// tool operators use), used through go-redis's cluster client; single-node replies
// compared with a redis-server in cluster mode; failure detection; a restart from
// nodes.conf.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/basaltdb/basalt/coord"
)

// clusterNode starts a Basalt node in cluster mode with a short node timeout.
func startClusterNode(t *testing.T) (*coord.Server, string) {
	t.Helper()
	return startBasaltWith(t, func(cfg *coord.Config) {
		cfg.ClusterEnabled = true
		cfg.ClusterNodeTimeout = 1000
		cfg.ClusterPort = freePort(t)
		cfg.Threads = 2
	})
}

// createCluster runs redis-cli --cluster create over the nodes.
func createCluster(t *testing.T, addrs ...string) {
	t.Helper()
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-yes")
	out, err := exec.Command("redis-cli", args...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "[OK] All 16384 slots covered") {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
}

// waitClusterState polls CLUSTER INFO on addr until cluster_state is want.
func waitClusterState(t *testing.T, addr, want string, timeout time.Duration) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	deadline := time.Now().Add(timeout)
	for {
		info, err := c.Do(context.Background(), "cluster", "info").Text()
		if err == nil && strings.Contains(info, "cluster_state:"+want+"\r\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster_state of %s is not %s within %v: %v\n%s", addr, want, timeout, err, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestClusterThreeNodes(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatalf("redis-cli is not installed (make test installs redis-tools): %v", err)
	}
	ctx := context.Background()
	var addrs []string
	for range 3 {
		_, addr := startClusterNode(t)
		addrs = append(addrs, addr)
	}
	createCluster(t, addrs...)
	for _, a := range addrs {
		waitClusterState(t, a, "ok", 10*time.Second)
	}

	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, Protocol: 2})
	defer cc.Close()
	const n = 300
	for i := range n {
		if err := cc.Set(ctx, "key:"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatalf("SET through the cluster client: %v", err)
		}
	}
	for i := range n {
		if v, err := cc.Get(ctx, "key:"+strconv.Itoa(i)).Int(); err != nil || v != i {
			t.Fatalf("GET key:%d = %d, %v", i, v, err)
		}
	}
	// Every node holds the keys of its own slots, and only those.
	total := 0
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a, Protocol: 2})
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		total += len(keys)
		for _, k := range keys {
			slot, err := c.Do(ctx, "cluster", "keyslot", k).Int()
			if err != nil {
				t.Fatal(err)
			}
			owner := slotOwner(t, c, slot)
			if owner != a {
				t.Fatalf("%s holds %s of slot %d, which %s serves", a, k, slot, owner)
			}
			if got, err := c.Do(ctx, "cluster", "countkeysinslot", slot).Int(); err != nil || got < 1 {
				t.Fatalf("CLUSTER COUNTKEYSINSLOT %d on %s = %d, %v", slot, a, got, err)
			}
		}
		c.Close()
	}
	if total != n {
		t.Fatalf("the nodes hold %d keys, want %d", total, n)
	}

	// A node that does not serve a key redirects; keys of two slots are refused; hash
	// tags put keys in one slot, on one node.
	c := redis.NewClient(&redis.Options{Addr: addrs[0], Protocol: 2})
	defer c.Close()
	var foreign string
	for i := range n {
		k := "key:" + strconv.Itoa(i)
		slot, _ := c.Do(ctx, "cluster", "keyslot", k).Int()
		if slotOwner(t, c, slot) != addrs[0] {
			foreign = k
			want := fmt.Sprintf("MOVED %d %s", slot, slotOwner(t, c, slot))
			if err := c.Get(ctx, k).Err(); err == nil || err.Error() != want {
				t.Fatalf("GET %s on %s: %v, want %q", k, addrs[0], err, want)
			}
			break
		}
	}
	if foreign == "" {
		t.Fatal("the first node serves every key")
	}
	// A script may not reach a key this node does not serve, declared or not.
	if err := c.Eval(ctx, "return redis.call('get', KEYS[1])", []string{foreign}).Err(); err == nil || !strings.HasPrefix(err.Error(), "MOVED ") {
		t.Fatalf("EVAL declaring a foreign key: %v, want MOVED", err)
	}
	if err := c.Eval(ctx, "return redis.call('get', '"+foreign+"')", nil).Err(); err == nil ||
		!strings.HasPrefix(err.Error(), "ERR Script attempted to access a non local key in a cluster node") {
		t.Fatalf("EVAL reaching an undeclared foreign key: %v", err)
	}
	if err := cc.MSet(ctx, "{user:1}:name", "ann", "{user:1}:age", 42).Err(); err != nil {
		t.Fatalf("MSET of one hash tag: %v", err)
	}
	if err := cc.Do(ctx, "mset", "a", "1", "b", "2").Err(); err == nil || !strings.HasPrefix(err.Error(), "CROSSSLOT") {
		t.Fatalf("MSET over two slots: %v, want CROSSSLOT", err)
	}
	if _, err := cc.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "{user:1}:visits")
		p.Get(ctx, "{user:1}:name")
		return nil
	}); err != nil {
		t.Fatalf("MULTI/EXEC on one hash tag: %v", err)
	}

	// CLUSTER NODES agrees everywhere on who serves what.
	var views []string
	for _, a := range addrs {
		views = append(views, slotView(t, a))
	}
	if views[0] != views[1] || views[1] != views[2] {
		t.Fatalf("the nodes disagree on the slots:\n%s", strings.Join(views, "\n--\n"))
	}
}

// slotOwner asks c's node which address serves slot (CLUSTER SLOTS: start, end, then
// the master's ip, port and id first).
func slotOwner(t *testing.T, c *redis.Client, slot int) string {
	t.Helper()
	ranges, err := c.Do(context.Background(), "cluster", "slots").Slice()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ranges {
		f, ok := r.([]any)
		if !ok || len(f) < 3 {
			t.Fatalf("CLUSTER SLOTS entry %v", r)
		}
		start, _ := f[0].(int64)
		end, _ := f[1].(int64)
		node, _ := f[2].([]any)
		if int64(slot) < start || int64(slot) > end || len(node) < 2 {
			continue
		}
		ip, _ := node[0].(string)
		port, _ := node[1].(int64)
		return net.JoinHostPort(ip, strconv.FormatInt(port, 10))
	}
	return ""
}

// slotView is a node's CLUSTER NODES reduced to "id addr slots" lines, sorted.
func slotView(t *testing.T, addr string) string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	text, err := c.ClusterNodes(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 {
			continue
		}
		lines = append(lines, f[0]+" "+strings.Split(f[1], "@")[0]+" "+strings.Join(f[8:], " "))
	}
	return strings.Join(sortedCopy(lines), "\n")
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// A node whose process stops is marked FAIL by the others once the node timeout
// passed, the cluster goes down (a slot is served by a failed node), and it is up
// again when the node comes back from its nodes.conf, with the same id and slots.
func TestClusterFailureAndRestart(t *testing.T) {
	ctx := context.Background()
	var addrs []string
	var servers []*coord.Server
	var cfgs []*coord.Config
	for range 3 {
		srv, addr := startBasaltWith(t, func(cfg *coord.Config) {
			cfg.ClusterEnabled = true
			cfg.ClusterNodeTimeout = 500
			cfg.ClusterPort = freePort(t)
			cfg.Threads = 1
			cfgs = append(cfgs, cfg)
		})
		servers = append(servers, srv)
		addrs = append(addrs, addr)
	}
	cfgs = cfgs[len(cfgs)-3:]
	createCluster(t, addrs...)
	waitClusterState(t, addrs[0], "ok", 10*time.Second)
	c2 := redis.NewClient(&redis.Options{Addr: addrs[2], Protocol: 2})
	id2, err := c2.Do(ctx, "cluster", "myid").Text()
	c2.Close()
	if err != nil {
		t.Fatal(err)
	}

	servers[2].Stop()
	waitClusterState(t, addrs[0], "fail", 10*time.Second)
	c0 := redis.NewClient(&redis.Options{Addr: addrs[0], Protocol: 2})
	defer c0.Close()
	nodes, _ := c0.ClusterNodes(ctx).Result()
	if !strings.Contains(nodes, id2) || !strings.Contains(lineOf(nodes, id2), "fail") {
		t.Fatalf("the stopped node is not flagged fail:\n%s", nodes)
	}
	if err := c0.Get(ctx, "anything").Err(); err == nil || err.Error() != "CLUSTERDOWN The cluster is down" {
		t.Fatalf("GET while the cluster is down: %v", err)
	}

	// The same port, directory and config file: the node comes back as itself.
	old := cfgs[2]
	var srv *coord.Server
	for attempt := 0; ; attempt++ {
		cfg := coord.DefaultConfig()
		cfg.Port, cfg.Bind, cfg.Dir, cfg.LogLevel, cfg.MetricsPort = old.Port, old.Bind, old.Dir, old.LogLevel, 0
		cfg.ClusterEnabled, cfg.ClusterNodeTimeout, cfg.ClusterPort, cfg.Threads = true, old.ClusterNodeTimeout, old.ClusterPort, 1
		srv, err = coord.Start(cfg)
		if err == nil {
			break
		}
		if attempt == 20 {
			t.Fatalf("restart: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(srv.Stop)
	if err := waitPing(addrs[2], 10*time.Second); err != nil {
		t.Fatal(err)
	}
	waitClusterState(t, addrs[0], "ok", 10*time.Second)
	c2 = redis.NewClient(&redis.Options{Addr: addrs[2], Protocol: 2})
	defer c2.Close()
	if got, _ := c2.Do(ctx, "cluster", "myid").Text(); got != id2 {
		t.Fatalf("the restarted node's id is %q, was %q", got, id2)
	}
	if a, b := slotView(t, addrs[0]), slotView(t, addrs[2]); a != b {
		t.Fatalf("after the restart the nodes disagree:\n%s\n--\n%s", a, b)
	}
}

func lineOf(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// One node in cluster mode answers the slot commands, their errors and the
// redirections as a redis-server node in cluster mode does, byte for byte.
func TestClusterRepliesMatchRedis(t *testing.T) {
	_, basalt := startClusterNode(t)
	redisAddr := startRedisIn(t, t.TempDir(), "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	steps := [][]string{
		{"cluster", "keyslot", "foo"},
		{"cluster", "keyslot", "{user1}:a"},
		{"cluster", "keyslot", "a{}b"},
		{"cluster", "keyslot", "{}{x}"},
		{"cluster", "keyslot", ""},
		{"get", "foo"},
		{"set", "foo", "bar"},
		{"cluster", "addslots", "99999"},
		{"cluster", "addslots", "x"},
		{"cluster", "addslotsrange", "10", "5"},
		{"cluster", "addslotsrange", "1", "2", "3"},
		{"cluster", "addslots", "5", "5"},
		{"cluster", "delslots", "7"},
		{"cluster", "addslotsrange", "0", "16383"},
		{"@wait-ok"},
		{"cluster", "addslots", "42"},
		{"cluster", "countkeysinslot", "x"},
		{"cluster", "countkeysinslot", "16384"},
		{"cluster", "getkeysinslot", "1", "-1"},
		{"set", "foo", "bar"},
		{"set", "{foo}x", "1"},
		{"mget", "foo", "{foo}x"},
		{"mget", "foo", "bar"},
		{"cluster", "countkeysinslot", "12182"},
		{"@sorted", "cluster", "getkeysinslot", "12182", "10"},
		{"select", "0"},
		{"select", "1"},
		{"multi"},
		{"set", "a", "1"},
		{"set", "b", "1"},
		{"exec"},
		{"multi"},
		{"set", "{t}a", "1"},
		{"set", "{t}b", "2"},
		{"exec"},
		{"eval", "return redis.call('get', 'a')", "0"},
		{"eval", "redis.call('set', 'a', '1'); return redis.call('get', 'b')", "0"},
		{"eval", "redis.call('set', KEYS[1], '1'); return redis.call('get', '{x}2')", "1", "{x}1"},
		{"eval", "redis.call('set', KEYS[1], '1'); return redis.call('get', 'b')", "1", "{x}1"},
		{"eval", "#!lua flags=allow-cross-slot-keys\nredis.call('set', 'a', '1'); return redis.call('get', 'b')", "0"},
		{"eval", "#!lua\nredis.call('set', 'a', '1'); return redis.call('get', 'b')", "0"},
		{"eval", "#!lua flags=no-cluster\nreturn 1", "0"},
		{"eval", "return redis.call('mget', 'a', 'b')", "0"},
		{"readonly"},
		{"readwrite"},
		{"cluster", "forget", "0000000000000000000000000000000000000000"},
		{"cluster", "meet", "not-an-ip", "7000"},
		{"cluster", "set-config-epoch", "-1"},
		{"cluster", "nosuch"},
		{"cluster", "delslotsrange", "0", "16383"},
		{"get", "foo"},
		{"cluster", "flushslots"},
		// Part of the slots, full coverage not required: up, except the unserved slots.
		{"config", "set", "cluster-require-full-coverage", "no"},
		{"cluster", "addslotsrange", "0", "100"},
		{"@wait-ok"},
		{"get", "foo"},
		{"get", "{a}"},
		{"cluster", "keyslot", "{a}"},
		// Full coverage required again: down (redis-server looks at the state again
		// only after an event, here a DELSLOTS); reads may go on when allowed.
		{"config", "set", "cluster-require-full-coverage", "yes"},
		{"cluster", "delslots", "100"},
		{"@wait-fail"},
		{"get", "{foo}"},
		{"config", "set", "cluster-allow-reads-when-down", "yes"},
		{"@sleep"},
		{"get", "{foo}"},
		{"set", "{foo}", "x"},
		{"multi"},
		{"get", "{foo}"},
		{"exec"},
		{"config", "get", "cluster-require-full-coverage"},
		{"config", "get", "cluster-allow-reads-when-down"},
		{"config", "get", "cluster-replica-no-failover"},
	}
	conns := [2]*diffConn{dialDiff(t, "redis", redisAddr), dialDiff(t, "basalt", basalt)}
	for _, st := range steps {
		switch st[0] {
		case "@wait-ok", "@wait-fail":
			// Both servers change the state a moment later, not at once.
			state := strings.TrimPrefix(st[0], "@wait-")
			waitClusterState(t, redisAddr, state, 10*time.Second)
			waitClusterState(t, basalt, state, 10*time.Second)
			continue
		case "@sleep":
			time.Sleep(300 * time.Millisecond) // redis-server applies a change in its cron
			continue
		}
		sorted := st[0] == "@sorted" // an order that depends on hashing
		if sorted {
			st = st[1:]
		}
		var replies [2][]byte
		for i, c := range conns {
			r, err := c.do(st)
			if err != nil {
				t.Fatalf("%v: %v", st, err)
			}
			if sorted {
				r = sortedReply(r, false)
			}
			replies[i] = r
		}
		if string(replies[0]) != string(replies[1]) {
			t.Errorf("%s:\n\tredis:  %q\n\tbasalt: %q", strings.Join(st, " "), replies[0], replies[1])
		}
	}
}

// A replica added with redis-cli --cluster add-node --cluster-slave takes over when its
// master stops, with the data it replicated; the master comes back as its replica.
func TestClusterAutomaticFailover(t *testing.T) {
	ctx := context.Background()
	start := func(port, bus int, dir string) (*coord.Server, error) {
		cfg := coord.DefaultConfig()
		cfg.Port, cfg.Bind, cfg.Dir, cfg.LogLevel, cfg.MetricsPort = port, []string{"127.0.0.1"}, dir, "warning", 0
		cfg.ClusterEnabled, cfg.ClusterNodeTimeout, cfg.ClusterPort, cfg.Threads = true, 500, bus, 1
		return coord.Start(cfg)
	}
	type node struct {
		port, bus int
		dir       string
		srv       *coord.Server
		addr      string
	}
	var nodes []*node
	for range 4 {
		n := &node{port: freePort(t), bus: freePort(t), dir: t.TempDir()}
		srv, err := start(n.port, n.bus, n.dir)
		if err != nil {
			t.Fatal(err)
		}
		n.srv, n.addr = srv, "127.0.0.1:"+strconv.Itoa(n.port)
		t.Cleanup(func() { n.srv.Stop() })
		if err := waitPing(n.addr, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	createCluster(t, nodes[0].addr, nodes[1].addr, nodes[2].addr)
	c0 := redis.NewClient(&redis.Options{Addr: nodes[0].addr, Protocol: 2})
	defer c0.Close()
	masterID, err := c0.Do(ctx, "cluster", "myid").Text()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("redis-cli", "--cluster", "add-node", nodes[3].addr, nodes[0].addr,
		"--cluster-slave", "--cluster-master-id", masterID).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "[OK] New node added correctly") {
		t.Fatalf("redis-cli --cluster add-node --cluster-slave: %v\n%s", err, out)
	}
	replica := redis.NewClient(&redis.Options{Addr: nodes[3].addr, Protocol: 2})
	defer replica.Close()
	waitInfo(t, replica, "replication", 20*time.Second, "the new replica syncs", linkUp)

	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[1].addr}, Protocol: 2})
	defer cc.Close()
	const n = 200
	for i := range n {
		if err := cc.Set(ctx, "k"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Every write reached the replica before its master stops.
	if got, err := c0.Do(ctx, "wait", 1, 5000).Int(); err != nil || got != 1 {
		t.Fatalf("WAIT 1 on the master = %d, %v", got, err)
	}

	nodes[0].srv.Stop()
	waitInfo(t, replica, "replication", 20*time.Second, "the replica is promoted", func(info string) bool {
		return replInfoField(info, "role") == "master"
	})
	waitClusterState(t, nodes[1].addr, "ok", 20*time.Second)
	cc.ReloadState(ctx)
	for i := range n {
		var v int
		var err error
		for attempt := 0; attempt < 50; attempt++ {
			if v, err = cc.Get(ctx, "k"+strconv.Itoa(i)).Int(); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond) // the client learns the new slot map
		}
		if err != nil || v != i {
			t.Fatalf("after the failover GET k%d = %d, %v", i, v, err)
		}
	}

	// The old master restarts from its nodes.conf and follows the new one.
	var srv *coord.Server
	for attempt := 0; ; attempt++ {
		if srv, err = start(nodes[0].port, nodes[0].bus, nodes[0].dir); err == nil {
			break
		}
		if attempt == 20 {
			t.Fatalf("restart: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(srv.Stop)
	old := redis.NewClient(&redis.Options{Addr: nodes[0].addr, Protocol: 2})
	defer old.Close()
	waitInfo(t, old, "replication", 20*time.Second, "the old master becomes a replica of the new one", func(info string) bool {
		return replInfoField(info, "role") == "slave" && replInfoField(info, "master_port") == strconv.Itoa(nodes[3].port) &&
			replInfoField(info, "master_link_status") == "up"
	})
}

// A fourth master joins a loaded cluster with redis-cli --cluster add-node and takes
// slots with their keys through redis-cli --cluster reshard (SETSLOT, MIGRATE); during
// a move the source answers -ASK for keys it no longer has and the target serves them
// after ASKING.
func TestClusterReshard(t *testing.T) {
	ctx := context.Background()
	var addrs []string
	for range 4 {
		_, addr := startClusterNode(t)
		addrs = append(addrs, addr)
	}
	createCluster(t, addrs[:3]...)
	waitClusterState(t, addrs[0], "ok", 10*time.Second)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs[:3], Protocol: 2})
	defer cc.Close()
	const n = 400
	for i := range n {
		if err := cc.Set(ctx, "key:"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("redis-cli", "--cluster", "add-node", addrs[3], addrs[0]).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "[OK] New node added correctly") {
		t.Fatalf("redis-cli --cluster add-node: %v\n%s", err, out)
	}
	newNode := redis.NewClient(&redis.Options{Addr: addrs[3], Protocol: 2})
	defer newNode.Close()
	newID, err := newNode.Do(ctx, "cluster", "myid").Text()
	if err != nil {
		t.Fatal(err)
	}
	// The new node must know the cluster before slots go to it.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(slotView(t, addrs[0]), newID) || strings.Count(slotView(t, addrs[3]), "\n") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the new node did not join:\n%s", slotView(t, addrs[3]))
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, err = exec.Command("redis-cli", "--cluster", "reshard", addrs[0], "--cluster-from", "all",
		"--cluster-to", newID, "--cluster-slots", "1000", "--cluster-yes").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Moving slot") {
		t.Fatalf("redis-cli --cluster reshard: %v\n%s", err, out)
	}
	held, err := newNode.DBSize(ctx).Result()
	if err != nil || held == 0 {
		t.Fatalf("the new master holds %d keys after the reshard (%v)", held, err)
	}
	out, err = exec.Command("redis-cli", "--cluster", "check", addrs[1]).CombinedOutput()
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("[OK] %d keys in 4 masters", n)) ||
		!strings.Contains(string(out), "[OK] All nodes agree about slots configuration") {
		t.Fatalf("redis-cli --cluster check after the reshard: %v\n%s", err, out)
	}
	cc.ReloadState(ctx)
	for i := range n {
		if v, err := cc.Get(ctx, "key:"+strconv.Itoa(i)).Int(); err != nil || v != i {
			t.Fatalf("after the reshard GET key:%d = %d, %v", i, v, err)
		}
	}

	// A move by hand: the slot of "askme" goes from its owner to another master.
	c0 := redis.NewClient(&redis.Options{Addr: addrs[0], Protocol: 2})
	defer c0.Close()
	slot, _ := c0.Do(ctx, "cluster", "keyslot", "askme").Int()
	src := slotOwner(t, c0, slot)
	dst := addrs[0]
	if dst == src {
		dst = addrs[1]
	}
	srcC := redis.NewClient(&redis.Options{Addr: src, Protocol: 2})
	defer srcC.Close()
	dstC := redis.NewClient(&redis.Options{Addr: dst, Protocol: 2})
	defer dstC.Close()
	srcID, _ := srcC.Do(ctx, "cluster", "myid").Text()
	dstID, _ := dstC.Do(ctx, "cluster", "myid").Text()
	if err := dstC.Do(ctx, "cluster", "setslot", slot, "importing", srcID).Err(); err != nil {
		t.Fatal(err)
	}
	if err := srcC.Do(ctx, "cluster", "setslot", slot, "migrating", dstID).Err(); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("ASK %d %s", slot, dst)
	if err := srcC.Get(ctx, "askme").Err(); err == nil || err.Error() != want {
		t.Fatalf("GET of a missing key of a migrating slot: %v, want %s", err, want)
	}
	if err := dstC.Get(ctx, "askme").Err(); err == nil || !strings.HasPrefix(err.Error(), "MOVED ") {
		t.Fatalf("GET on the importing node without ASKING: %v, want MOVED", err)
	}
	// ASKING and the command must travel on one connection.
	conn := dialDiff(t, "basalt", dst)
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"asking"}, "+OK\r\n"},
		{[]string{"set", "askme", "v"}, "+OK\r\n"},
		{[]string{"get", "askme"}, "-MOVED "},
	} {
		r, err := conn.do(step.args)
		if err != nil || !strings.HasPrefix(string(r), step.want) {
			t.Fatalf("%v on the importing node: %q, %v; want %q", step.args, r, err, step.want)
		}
	}
	for _, c := range []*redis.Client{dstC, srcC} {
		if err := c.Do(ctx, "cluster", "setslot", slot, "node", dstID).Err(); err != nil {
			t.Fatal(err)
		}
	}
	cc.ReloadState(ctx)
	if v, err := cc.Get(ctx, "askme").Result(); err != nil || v != "v" {
		t.Fatalf("GET askme after the move = %q, %v", v, err)
	}
}

// A cluster node's /metrics carries CLUSTER INFO under redis_exporter's names.
func TestClusterMetrics(t *testing.T) {
	srv, addr := startBasaltWith(t, func(cfg *coord.Config) {
		cfg.ClusterEnabled = true
		cfg.ClusterPort = freePort(t)
		cfg.MetricsPort = freePort(t)
	})
	m := scrape(t, srv)
	if m["redis_cluster_enabled"] != 1 || m["redis_cluster_state"] != 0 || m["redis_cluster_known_nodes"] != 1 {
		t.Fatalf("before slots: enabled %v state %v known nodes %v", m["redis_cluster_enabled"], m["redis_cluster_state"], m["redis_cluster_known_nodes"])
	}
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	if err := c.Do(context.Background(), "cluster", "addslotsrange", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	waitClusterState(t, addr, "ok", 10*time.Second)
	m = scrape(t, srv)
	if m["redis_cluster_state"] != 1 || m["redis_cluster_slots_assigned"] != 16384 || m["redis_cluster_slots_ok"] != 16384 {
		t.Fatalf("after ADDSLOTSRANGE: state %v assigned %v ok %v", m["redis_cluster_state"], m["redis_cluster_slots_assigned"], m["redis_cluster_slots_ok"])
	}
}
