package coord_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/basaltdb/basalt/coord"
)

// TestSentinelFailover puts two Basalt servers under a real Redis Sentinel: when the
// master stops, Sentinel promotes the replica (REPLICAOF NO ONE and CONFIG REWRITE in
// one MULTI, then INFO until role:master), the data written before is there, writes
// work, and the promoted server's config file no longer names a master.
func TestSentinelFailover(t *testing.T) {
	ctx := context.Background()
	masterSrv, masterAddr := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 2 })
	mhost, mport, _ := net.SplitHostPort(masterAddr)

	// The replica starts from a config file, as Sentinel's CONFIG REWRITE needs one.
	confDir := t.TempDir()
	conf := filepath.Join(confDir, "replica.conf")
	if err := os.WriteFile(conf, []byte("# replica under Sentinel\nreplicaof "+mhost+" "+mport+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, replicaAddr := startBasaltWith(t, func(cfg *coord.Config) {
		cfg.Threads = 2
		if err := coord.ParseConfigFile(cfg, conf); err != nil {
			t.Fatal(err)
		}
		cfg.File = conf
	})
	master, replica := replClient(t, masterAddr), replClient(t, replicaAddr)
	waitInfo(t, replica, "replication", 20*time.Second, "the replica's link comes up", linkUp)
	if err := master.Set(ctx, "before-failover", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	waitAck(t, master, replica)

	sdir := t.TempDir()
	sconf := filepath.Join(sdir, "sentinel.conf")
	if err := os.WriteFile(sconf, []byte(strings.Join([]string{
		"sentinel monitor basalt " + mhost + " " + mport + " 1",
		"sentinel down-after-milliseconds basalt 500",
		"sentinel failover-timeout basalt 10000",
		"",
	}, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	sentinel := replClient(t, startRedisWith(t, []string{sconf}, sdir, "--sentinel"))
	// Sentinel learns the replica from the master's INFO.
	deadline := time.Now().Add(20 * time.Second)
	for {
		reps, err := sentinel.Do(ctx, "sentinel", "replicas", "basalt").Slice()
		if err == nil && len(reps) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Sentinel does not list the replica: %v %v", reps, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	masterSrv.Stop()
	_, rport, _ := net.SplitHostPort(replicaAddr)
	deadline = time.Now().Add(30 * time.Second)
	for {
		addr, err := sentinel.Do(ctx, "sentinel", "get-master-addr-by-name", "basalt").StringSlice()
		if err == nil && len(addr) == 2 && addr[1] == rport {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Sentinel did not promote the replica: master is %v (%v); replica INFO:\n%s", addr, err, infoText(replica, "replication"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if role := replInfoField(infoText(replica, "replication"), "role"); role != "master" {
		t.Fatalf("the promoted replica's role is %q", role)
	}
	if v, err := replica.Get(ctx, "before-failover").Result(); err != nil || v != "1" {
		t.Fatalf("GET before-failover on the promoted replica = %q, %v", v, err)
	}
	if err := replica.Set(ctx, "after-failover", "1", 0).Err(); err != nil {
		t.Fatalf("SET on the promoted replica: %v", err)
	}
	text, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(text), "replicaof") || !strings.Contains(string(text), "# replica under Sentinel") {
		t.Fatalf("after the failover the replica's config file is:\n%s", text)
	}
}
