package shard

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/basaltdb/basalt/proto"
)

func TestDelExistsTouchType(t *testing.T) {
	s := newTestShard()
	putList(s, "list")
	script(t, s,
		"MSET a 1 b 2 c 3", ok,
		"EXISTS a a nokey b", num(3),
		"TOUCH a a nokey", num(2),
		"TYPE a", "+string\r\n",
		"TYPE list", "+list\r\n",
		"TYPE nokey", "+none\r\n",
		"DEL a a nokey", num(1),
		"UNLINK b c list", num(3),
		"EXISTS a b c list", num(0),
		"DEL nokey", num(0),
	)
}

func TestExpireOptions(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"SET k v", ok,
		"EXPIRE k 100 NX XX", fail(proto.ErrExpireNXCompat),
		"EXPIRE k 100 NX GT", fail(proto.ErrExpireNXCompat),
		"EXPIRE k 100 nx lt", fail(proto.ErrExpireNXCompat),
		"EXPIRE k 100 GT LT", fail(proto.ErrExpireGTLT),
		"EXPIRE k 100 FOO", fail("ERR Unsupported option FOO"),
		"EXPIRE k abc FOO", fail("ERR Unsupported option FOO"),
		"EXPIRE k abc", fail(proto.ErrNotInt),
		"EXPIRE k 9223372036854776", fail("ERR invalid expire time in 'expire' command"),
		"EXPIRE k -9223372036854776", fail("ERR invalid expire time in 'expire' command"),
		"PEXPIRE k 9223372036854775807", fail("ERR invalid expire time in 'pexpire' command"),
		"EXPIREAT k 9223372036854776", fail("ERR invalid expire time in 'expireat' command"),
		"TTL k", num(-1),
		"EXPIRE k 100 XX", num(0),
		"EXPIRE k 100 GT", num(0),
		"EXPIRE k 100 LT", num(1),
		"EXPIRE k 100 NX", num(0),
		"EXPIRE k 200 GT", num(1),
		"EXPIRE k 200 GT", num(0),
		"EXPIRE k 300 LT", num(0),
		"EXPIRE k 50 LT", num(1),
		"EXPIRE k 60 XX", num(1),
		"TTL k", num(60),
		"EXPIRE nokey 100", num(0),
		"PEXPIREAT k 9223372036854775807", num(1),
		"PTTL k", num(9223372036854775807-testNow),
		"EXPIRETIME k", num(9223372036854776),
		"PEXPIRETIME k", num(9223372036854775807),
		"PERSIST k", num(1),
		"PERSIST k", num(0),
		"PERSIST nokey", num(0),
		"EXPIRETIME k", num(-1),
		"PEXPIRETIME nokey", num(-2),
	)
}

func TestExpireTimes(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"SET k v", ok,
		"PEXPIRE k 1499", num(1),
		"TTL k", num(1),
		"PEXPIRE k 1500", num(1),
		"TTL k", num(2),
		"PTTL k", num(1500),
		"EXPIREAT k 1700000010", num(1),
		"TTL k", num(10),
		"EXPIRETIME k", num(1700000010),
		"PEXPIREAT k 1700000010123", num(1),
		"EXPIRETIME k", num(1700000010),
		"TTL k", num(10),
		"PEXPIRETIME k", num(1700000010123),
		"PEXPIREAT k 1700000010500", num(1),
		"EXPIRETIME k", num(1700000011),
		"TTL k", num(11),
		"TTL nokey", num(-2),
		"PTTL nokey", num(-2),
		"EXPIRETIME nokey", num(-2),
		// A time already past deletes the key.
		"EXPIRE k -1", num(1),
		"EXISTS k", num(0),
		"SET k v", ok,
		"EXPIRE k 0", num(1),
		"EXISTS k", num(0),
		"SET k v", ok,
		"EXPIREAT k 1", num(1),
		"EXISTS k", num(0),
		"SET k v", ok,
		"PEXPIREAT k 1700000000000", num(1),
		"EXISTS k", num(0),
		"SET k v", ok,
		"PEXPIRE k 10", num(1),
	)
	// The clock moves past the TTL: the key is gone for every command.
	s.now += 10
	script(t, s,
		"GET k", null,
		"TTL k", num(-2),
	)
	if s.Stats.ExpiredKeys != 1 {
		t.Errorf("ExpiredKeys = %d, want 1", s.Stats.ExpiredKeys)
	}
}

func TestRename(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"RENAME nokey x", fail(proto.ErrNoSuchKey),
		"RENAMENX nokey x", fail(proto.ErrNoSuchKey),
		"SET k v", ok,
		"RENAME k k", ok,
		"RENAMENX k k", num(0),
		"SET k2 v2", ok,
		"RENAMENX k k2", num(0),
		"EXPIRE k 100", num(1),
		"RENAME k k3", ok,
		"EXISTS k", num(0),
		"GET k3", bulk("v"),
		"TTL k3", num(100),
		"RENAME k3 k2", ok,
		"GET k2", bulk("v"),
		"TTL k2", num(100),
		"RENAMENX k2 k4", num(1),
		"TTL k4", num(100),
		"SET plain x", ok,
		"RENAME plain k4", ok,
		"TTL k4", num(-1),
	)
	// An expired destination is reaped first; src must be found again afterwards.
	script(t, s,
		"MSET a 1 b 2 c 3", ok,
		"PEXPIRE a 5", num(1),
	)
	s.now += 5
	script(t, s,
		"RENAMENX b a", num(1),
		"GET a", bulk("2"),
		"EXISTS b", num(0),
	)
}

func TestCopy(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"SET k3 v", ok,
		"EXPIRE k3 100", num(1),
		"SET k2 v2", ok,
		"COPY k3 k3", fail(proto.ErrSameObject),
		"COPY k3 k4 DB", fail(proto.ErrSyntax),
		"COPY k3 k4 DB 99", fail(proto.ErrDBIndex),
		"COPY k3 k4 DB abc", fail(proto.ErrNotInt),
		"COPY k3 k4 DB -1", fail(proto.ErrDBIndex),
		"COPY k3 k4 DB 2147483648", fail(proto.ErrIntRange),
		"COPY k3 k4 FOO", fail(proto.ErrSyntax),
		"COPY k3 k2", num(0),
		"COPY k3 k2 REPLACE", num(1),
		"GET k2", bulk("v"),
		"TTL k2", num(100),
		"COPY k3 k3 DB 1", num(1),
		"COPY nokey k3 DB 1", num(0),
		"COPY k3 k3 db 1", num(0),
		"COPY k3 k3 DB 1 replace", num(1),
		"COPY k3 k3 DB 0", fail(proto.ErrSameObject),
		"SET n 12", ok,
		"APPEND n 3", num(3),
		"COPY n n2", num(1),
		"OBJECT ENCODING n2", bulk("raw"),
	)
	// The copy is independent of the original.
	script(t, s,
		"APPEND n2 4", num(4),
		"GET n", bulk("123"),
	)
	s.Begin(1)
	s.now = testNow
	script(t, s,
		"GET k3", bulk("v"),
		"TTL k3", num(100),
	)
}

func TestMove(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"SET k v", ok,
		"EXPIRE k 100", num(1),
		"MOVE k abc", fail(proto.ErrNotInt),
		"MOVE k 99", fail(proto.ErrDBIndex),
		"MOVE k -1", fail(proto.ErrDBIndex),
		"MOVE k 99999999999", fail(proto.ErrIntRange),
		"MOVE k 0", fail(proto.ErrSameObject),
		"MOVE nokey 1", num(0),
		"MOVE k 1", num(1),
		"EXISTS k", num(0),
		"SET k other", ok,
		"MOVE k 1", num(0),
		"GET k", bulk("other"),
	)
	s.Begin(1)
	s.now = testNow
	script(t, s,
		"GET k", bulk("v"),
		"TTL k", num(100),
	)
}

func TestObject(t *testing.T) {
	s := newTestShard()
	putList(s, "list")
	var help strings.Builder
	fmt.Fprintf(&help, "*%d\r\n", len(objectHelp))
	for _, l := range objectHelp {
		help.WriteString("+" + l + "\r\n")
	}
	script(t, s,
		"SET k v", ok,
		"OBJECT ENCODING k", bulk("embstr"),
		"OBJECT ENCODING list", bulk("quicklist"),
		"OBJECT ENCODING nokey", null,
		"OBJECT REFCOUNT k", num(1),
		"OBJECT REFCOUNT nokey", null,
		"OBJECT IDLETIME k", num(0),
		"OBJECT IDLETIME nokey", null,
		"OBJECT FREQ k", fail(proto.ErrLFUNotSelected),
		"OBJECT FREQ nokey", null,
		"OBJECT HELP", help.String(),
	)
	s.now += 61_000
	script(t, s,
		"OBJECT IDLETIME k", num(61),
		// OBJECT does not touch the key; GET does.
		"OBJECT IDLETIME k", num(61),
		"GET k", bulk("v"),
		"OBJECT IDLETIME k", num(0),
	)
	if !strings.HasPrefix(help.String(), "*15\r\n+OBJECT <subcommand>") {
		t.Errorf("help: %q", help.String())
	}
}

func sortedStrings(keys [][]byte) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = string(k)
	}
	slices.Sort(out)
	return out
}

func TestKeys(t *testing.T) {
	s := newTestShard()
	script(t, s,
		"MSET hello 1 hallo 2 hxllo 3 world 4", ok,
		`SET "" empty`, ok,
		"SET gone x PX 5", ok,
	)
	s.now += 5
	f := func(pattern string, want ...string) {
		t.Helper()
		got := sortedStrings(s.Keys([]byte(pattern), nil))
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("KEYS %q = %q, want %q", pattern, got, want)
		}
	}
	f("*", "", "hallo", "hello", "hxllo", "world")
	f("**", "hallo", "hello", "hxllo", "world")
	f("h?llo", "hallo", "hello", "hxllo")
	f("h[ae]llo", "hallo", "hello")
	f("h[^e]llo", "hallo", "hxllo")
	f("w*", "world")
	f("", "")
	f("g*")
	f("wor*", "world")
	checkInvariants(t, s)
}

// scanAll runs a whole SCAN, calling between before each step, and returns every key
// returned with its count.
func scanAll(t *testing.T, s *Shard, count int, match []byte, typ string, between func()) map[string]int {
	t.Helper()
	seen := map[string]int{}
	var pos uint64
	for steps := 0; ; steps++ {
		if steps > 100000 {
			t.Fatal("scan does not terminate")
		}
		if between != nil {
			between()
		}
		var keys [][]byte
		pos, keys = s.Scan(pos, count, match, typ, nil)
		for _, k := range keys {
			seen[string(k)]++
		}
		if pos == 0 {
			return seen
		}
	}
}

func TestScan(t *testing.T) {
	s := newTestShard()
	for i := range 1000 {
		s.setString(fmt.Appendf(nil, "key:%d", i), []byte("v"), 0, false)
	}
	putList(s, "list")
	seenOnce(t, scanAll(t, s, 7, nil, "", nil), 1001)
	if seen := scanAll(t, s, 0, nil, "LIST", nil); len(seen) != 1 || seen["list"] != 1 {
		t.Errorf("TYPE list: %v", seen)
	}
	if seen := scanAll(t, s, 100, []byte("key:1?"), "string", nil); len(seen) != 10 {
		t.Errorf("MATCH key:1?: %d keys", len(seen))
	}
	if next, keys := New(0, 1, NewSettings()).Scan(0, 10, nil, "", nil); next != 0 || len(keys) != 0 {
		t.Errorf("empty shard: %d, %q", next, keys)
	}

	// Keys that exist for the whole scan are returned even while others are deleted and
	// added between steps.
	removed := 0
	added := 0
	seen := scanAll(t, s, 5, nil, "", func() {
		s.remove(fmt.Appendf(nil, "key:%d", removed*3))
		removed++
		s.setString(fmt.Appendf(nil, "new:%d", added), []byte("v"), 0, false)
		added++
	})
	for i := range 1000 {
		k := fmt.Sprintf("key:%d", i)
		if i%3 == 0 && i/3 < removed {
			continue
		}
		if seen[k] == 0 {
			t.Fatalf("%s existed throughout the scan but was not returned", k)
		}
	}
	checkInvariants(t, s)

	// A stale cursor from a DB that shrank is clamped, not out of range.
	s.Flush(0)
	if next, keys := s.Scan(500, 10, nil, "", nil); next != 0 || len(keys) != 0 {
		t.Errorf("stale cursor: %d, %q", next, keys)
	}
}

func TestRandomKey(t *testing.T) {
	s := newTestShard()
	if _, ok := s.RandomKey(); ok {
		t.Fatal("RandomKey on an empty DB")
	}
	for i := range 300 {
		s.setString(fmt.Appendf(nil, "dead:%d", i), []byte("v"), testNow+1, false)
	}
	s.setString([]byte("live"), []byte("v"), 0, false)
	s.now = testNow + 1
	// Most probes hit expired keys; the fallback still finds the live one.
	for range 5 {
		k, ok := s.RandomKey()
		if !ok || string(k) != "live" {
			t.Fatalf("RandomKey = %q, %v", k, ok)
		}
	}
	checkInvariants(t, s)
	s.remove([]byte("live"))
	for i := range 300 {
		s.setString(fmt.Appendf(nil, "dead2:%d", i), []byte("v"), testNow+1, false)
	}
	if k, ok := s.RandomKey(); ok {
		t.Fatalf("RandomKey with only expired keys = %q", k)
	}
	checkInvariants(t, s)
}

func TestActiveExpireCycle(t *testing.T) {
	s := New(0, 4, NewSettings())
	s.Begin(0)
	past := time.Now().UnixMilli() - 1000
	future := time.Now().UnixMilli() + 3600_000
	for db := range 3 {
		s.Begin(db)
		for i := range 2000 {
			s.setString(fmt.Appendf(nil, "dead:%d", i), []byte("v"), past, false)
		}
		for i := range 100 {
			s.setString(fmt.Appendf(nil, "live:%d", i), []byte("v"), future, false)
			s.setString(fmt.Appendf(nil, "forever:%d", i), []byte("v"), 0, false)
		}
	}
	for range 1000 {
		s.ActiveExpireCycle(time.Second)
		if s.Stats.ExpiredKeys == 6000 {
			break
		}
	}
	if s.Stats.ExpiredKeys != 6000 {
		t.Fatalf("ExpiredKeys = %d, want 6000", s.Stats.ExpiredKeys)
	}
	for db := range 3 {
		if keys, vol := s.KeyCount(db); keys != 200 || vol != 100 {
			t.Errorf("db %d: %d keys, %d volatile; want 200, 100", db, keys, vol)
		}
	}
	if s.Stats.ExpiredStalePerc <= 0 {
		t.Errorf("ExpiredStalePerc = %v", s.Stats.ExpiredStalePerc)
	}
	checkInvariants(t, s)

	// A disabled cycle does nothing.
	s.Begin(0)
	s.setString([]byte("dead"), []byte("v"), past, false)
	s.Settings.ActiveExpire.Store(false)
	s.ActiveExpireCycle(time.Second)
	if keys, _ := s.KeyCount(0); keys != 201 {
		t.Errorf("disabled cycle removed keys: %d left", keys)
	}
}

func TestActiveExpireCycleBudget(t *testing.T) {
	s := New(0, 1, NewSettings())
	s.Begin(0)
	past := time.Now().UnixMilli() - 1000
	for i := range 200000 {
		s.setString(fmt.Appendf(nil, "dead:%d", i), []byte("v"), past, false)
	}
	s.ActiveExpireCycle(time.Microsecond)
	if s.Stats.ExpiredKeys == 0 || s.Stats.ExpiredKeys == 200000 {
		t.Errorf("a 1µs cycle expired %d of 200000 keys", s.Stats.ExpiredKeys)
	}
	if s.Stats.ExpireCycleTimeout != 1 {
		t.Errorf("ExpireCycleTimeout = %d, want 1", s.Stats.ExpireCycleTimeout)
	}
}

// TestRegistered checks that every handler this family promises is registered.
func TestRegistered(t *testing.T) {
	for _, name := range []string{
		"get", "set", "setnx", "setex", "psetex", "getset", "getdel", "getex", "mget",
		"mset", "msetnx", "append", "strlen", "getrange", "substr", "setrange", "incr",
		"decr", "incrby", "decrby", "incrbyfloat", "lcs",
		"del", "unlink", "exists", "touch", "type", "expire", "pexpire", "expireat",
		"pexpireat", "ttl", "pttl", "expiretime", "pexpiretime", "persist", "rename",
		"renamenx", "copy", "move", "object|encoding", "object|refcount",
		"object|idletime", "object|freq", "object|help",
	} {
		if Lookup(name) == nil {
			t.Errorf("no handler for %s", name)
		}
	}
}

// SCAN deletes the expired keys it visits, as Redis does, and still returns every live
// key once: the entry that moves into a reaped position was visited already.
func TestScanReapsExpired(t *testing.T) {
	s := newTestShard()
	for i := range 1000 {
		at := int64(0)
		if i%3 == 0 {
			at = s.now - 1 // already expired: only active expiry or an access reaps it
		}
		s.setString(fmt.Appendf(nil, "key:%d", i), []byte("v"), at, false)
	}
	seenOnce(t, scanAll(t, s, 10, nil, "", nil), 666) // the live keys
	if n := s.db.Len(); n != 666 {
		t.Fatalf("%d keys left after the scan, want 666", n)
	}
}

// seenOnce fails unless a scan without concurrent changes returned want keys, each once.
func seenOnce(t *testing.T, seen map[string]int, want int) {
	t.Helper()
	if len(seen) != want {
		t.Fatalf("full scan saw %d keys, want %d", len(seen), want)
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("%q returned %d times without concurrent changes", k, n)
		}
	}
}
