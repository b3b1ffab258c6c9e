package persist

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/basaltdb/basalt/shard"
)

// canon renders a value as comparable text: elements in their order for lists and
// sorted sets, sorted for sets and hashes.
func canon(o shard.Object) string {
	var parts []string
	switch o.Type {
	case shard.TypeString:
		return "string " + strconv.Quote(string(o.Str))
	case shard.TypeList:
		o.Coll.(*shard.List).Each(func(v []byte) bool { parts = append(parts, strconv.Quote(string(v))); return true })
	case shard.TypeSet:
		o.Coll.(*shard.Set).Each(func(v []byte) bool { parts = append(parts, strconv.Quote(string(v))); return true })
		slices.Sort(parts)
	case shard.TypeHash:
		o.Coll.(*shard.Hash).Each(func(f, v []byte) bool {
			parts = append(parts, strconv.Quote(string(f))+"="+strconv.Quote(string(v)))
			return true
		})
		slices.Sort(parts)
	case shard.TypeZSet:
		o.Coll.(*shard.ZSet).Each(func(m []byte, sc float64) bool {
			parts = append(parts, strconv.Quote(string(m))+"@"+strconv.FormatFloat(sc, 'g', -1, 64))
			return true
		})
	}
	return shard.TypeName(o.Type) + " " + strings.Join(parts, ",")
}

func encodingOf(o shard.Object) string {
	if e, ok := o.Coll.(interface{ Encoding() string }); ok {
		return e.Encoding()
	}
	return "string"
}

// sample builds one value of every type in every encoding, keyed by a descriptive name.
func sample(settings *shard.Settings) map[string]shard.Object {
	r := rand.New(rand.NewPCG(1, 2))
	out := map[string]shard.Object{}
	str := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	}
	out["str:int"] = shard.Object{Type: shard.TypeString, Str: []byte("-123456")}
	out["str:int64"] = shard.Object{Type: shard.TypeString, Str: []byte("9223372036854775807")}
	out["str:bin"] = shard.Object{Type: shard.TypeString, Str: str(100)}
	out["str:compressible"] = shard.Object{Type: shard.TypeString, Str: bytes.Repeat([]byte("basalt "), 500)}
	out["str:empty"] = shard.Object{Type: shard.TypeString, Str: []byte{}}
	out["str:ttl"] = shard.Object{Type: shard.TypeString, Str: []byte("v"), ExpireAt: time.Now().Add(time.Hour).UnixMilli()}
	list := func(n int, big bool) shard.Object {
		b := shard.NewListBuilder(settings)
		for i := range n {
			if big && i%7 == 0 {
				b.Append(str(300))
			} else if i%2 == 0 {
				b.Append([]byte(strconv.Itoa(i * 1000003)))
			} else {
				b.Append([]byte("elem-" + strconv.Itoa(i)))
			}
		}
		return shard.Object{Type: shard.TypeList, Coll: b.List()}
	}
	out["list:listpack"] = list(10, false)
	out["list:quicklist"] = list(5000, true)
	set := func(n int, ints bool, long bool) shard.Object {
		b := shard.NewSetBuilder(settings, n)
		for i := range n {
			switch {
			case ints:
				b.Add([]byte(strconv.Itoa(i*i*7919 - 40000)))
			case long:
				b.Add(append([]byte("m"+strconv.Itoa(i)), str(70)...))
			default:
				b.Add([]byte("m" + strconv.Itoa(i)))
			}
		}
		return shard.Object{Type: shard.TypeSet, Coll: b.Set()}
	}
	out["set:intset"] = set(100, true, false)
	out["set:intset64"] = shard.Object{Type: shard.TypeSet, Coll: func() *shard.Set {
		b := shard.NewSetBuilder(settings, 2)
		b.Add([]byte("-9223372036854775808"))
		b.Add([]byte("9223372036854775807"))
		return b.Set()
	}()}
	out["set:listpack"] = set(50, false, false)
	out["set:hashtable"] = set(1000, false, false)
	out["set:hashtable-ints"] = set(1000, true, false)
	out["set:hashtable-long"] = set(5, false, true)
	hash := func(n int, long bool) shard.Object {
		b := shard.NewHashBuilder(settings)
		for i := range n {
			v := []byte(strconv.Itoa(i))
			if long {
				v = str(100)
			}
			b.Add([]byte("f"+strconv.Itoa(i)), v)
		}
		return shard.Object{Type: shard.TypeHash, Coll: b.Hash()}
	}
	out["hash:listpack"] = hash(20, false)
	out["hash:hashtable"] = hash(1000, false)
	out["hash:hashtable-long"] = hash(3, true)
	zset := func(n int) shard.Object {
		b := shard.NewZSetBuilder(settings, n, 0)
		for i := range n {
			sc := float64(i) * 1.5
			switch i % 5 {
			case 1:
				sc = -float64(i)
			case 2:
				sc = math.Inf(1)
			case 3:
				sc = 1e300 / float64(i+1)
			}
			b.Add([]byte("z"+strconv.Itoa(i)), sc)
		}
		return shard.Object{Type: shard.TypeZSet, Coll: b.ZSet()}
	}
	out["zset:listpack"] = zset(30)
	out["zset:skiplist"] = zset(1000)
	return out
}

func encodeAll(t testing.TB, objs map[string]shard.Object, opt Options) []byte {
	var buf bytes.Buffer
	e := NewEncoder(&buf, opt)
	if err := e.Header(time.Now().Unix()); err != nil {
		t.Fatal(err)
	}
	e.SelectDB(0)
	e.ResizeDB(len(objs), 1)
	keys := make([]string, 0, len(objs))
	for k := range objs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		o := objs[k]
		if err := e.Key([]byte(k), &o, -1, -1); err != nil {
			t.Fatal(err)
		}
	}
	e.SelectDB(3)
	e.ResizeDB(1, 0)
	o := shard.Object{Type: shard.TypeString, Str: []byte("in db 3")}
	e.Key([]byte("db3"), &o, 10, -1)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decodeAll(t testing.TB, data []byte, settings *shard.Settings) map[string]shard.Object {
	got := map[string]shard.Object{}
	d := NewDecoder(settings)
	err := d.Decode(bytes.NewReader(data), func(db int, key []byte, o shard.Object) error {
		if db != 0 {
			key = []byte(fmt.Sprintf("%d:%s", db, key))
		}
		got[string(key)] = o
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestCRC64CheckValue(t *testing.T) {
	if got := crcUpdate(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64 = %x", got)
	}
	if got := crcUpdate(crcUpdate(0, []byte("1234")), []byte("56789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("incremental crc64 = %x", got)
	}
	c := uint64(0)
	for _, b := range []byte("123456789") {
		c = crcByte(c, b)
	}
	if c != 0xe9c6d914c4b8d9ca {
		t.Fatalf("bytewise crc64 = %x", c)
	}
}

func TestLZF(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 3000 {
		in := make([]byte, n)
		for i := range in {
			if r.IntN(4) == 0 {
				in[i] = byte(r.IntN(256))
			} else {
				in[i] = "abcab"[i%5]
			}
		}
		c, ok := lzfCompress(nil, in, len(in)+len(in)/32+8)
		if !ok {
			if n >= 4 {
				t.Fatalf("n=%d: not compressed with room to spare", n)
			}
			continue
		}
		out, err := lzfDecompress(c, len(in))
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("n=%d: round trip failed: %v", n, err)
		}
	}
	for _, bad := range [][]byte{{0x20, 0}, {0x05, 'a'}, {0xE0}, {0x00, 'a', 0x20, 5}} {
		if _, err := lzfDecompress(bad, 10); err == nil {
			t.Errorf("%x decompressed", bad)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	settings := shard.NewSettings()
	objs := sample(settings)
	for _, opt := range []Options{{}, {NoCompression: true}, {Version: 11}, {Version: 12}, {Version: 9}, {Version: 7}} {
		t.Run(fmt.Sprintf("v%d-nocomp=%v", opt.version(), opt.NoCompression), func(t *testing.T) {
			got := decodeAll(t, encodeAll(t, objs, opt), settings)
			if string(got["3:db3"].Str) != "in db 3" {
				t.Errorf("db 3 key: %q", got["3:db3"].Str)
			}
			for k, want := range objs {
				g, ok := got[k]
				if !ok {
					t.Errorf("%s: missing", k)
					continue
				}
				if canon(g) != canon(want) {
					t.Errorf("%s: got %.200s, want %.200s", k, canon(g), canon(want))
				}
				if encodingOf(g) != encodingOf(want) {
					t.Errorf("%s: encoding %s, want %s", k, encodingOf(g), encodingOf(want))
				}
				if g.ExpireAt != want.ExpireAt {
					t.Errorf("%s: expiry %d, want %d", k, g.ExpireAt, want.ExpireAt)
				}
			}
		})
	}
}

// TestCorruption checks that every truncation and many single-byte changes of a valid
// file fail with an *Error, never a panic or a silent success.
func TestCorruption(t *testing.T) {
	settings := shard.NewSettings()
	objs := sample(settings)
	small := map[string]shard.Object{}
	for k, o := range objs {
		if !strings.Contains(k, "hashtable") && !strings.Contains(k, "skiplist") && !strings.Contains(k, "quicklist") {
			small[k] = o
		}
	}
	data := encodeAll(t, small, Options{})
	nop := func(int, []byte, shard.Object) error { return nil }
	for n := range len(data) {
		err := NewDecoder(settings).Decode(bytes.NewReader(data[:n]), nop)
		var re *Error
		if !errors.As(err, &re) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		c := bytes.Clone(data)
		c[9+r.IntN(len(c)-9)] ^= byte(1 + r.IntN(255))
		if err := NewDecoder(settings).Decode(bytes.NewReader(c), nop); err == nil {
			t.Fatalf("corrupt file loaded")
		}
	}
}

func TestPayload(t *testing.T) {
	settings := shard.NewSettings()
	for k, o := range sample(settings) {
		p, err := AppendPayload(nil, &o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodePayload(p, settings)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if canon(got) != canon(o) {
			t.Errorf("%s: round trip differs", k)
		}
		p[0] ^= 1
		if _, err := DecodePayload(p, settings); !errors.Is(err, ErrPayload) {
			t.Errorf("%s: corrupt payload: %v", k, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	settings := shard.NewSettings()
	objs := sample(settings)
	for k, o := range objs {
		if strings.Contains(k, "hashtable") || strings.Contains(k, "skiplist") || strings.Contains(k, "quicklist") {
			continue
		}
		f.Add(encodeAll(f, map[string]shard.Object{k: o}, Options{}))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Fuzzed bytes rarely carry a valid checksum: zero it so the decoder reaches
		// the values (a zero checksum means "not computed").
		if len(data) > 8 && data[len(data)-9] == opEOF {
			data = bytes.Clone(data)
			clear(data[len(data)-8:])
		}
		NewDecoder(settings).Decode(bytes.NewReader(data), func(int, []byte, shard.Object) error { return nil })
		DecodePayload(data, settings)
	})
}

func benchObjects() map[string]shard.Object {
	settings := shard.NewSettings()
	objs := map[string]shard.Object{}
	for i := range 10000 {
		k := "key:" + strconv.Itoa(i)
		switch i % 4 {
		case 0:
			objs[k] = shard.Object{Type: shard.TypeString, Str: []byte("value-" + strconv.Itoa(i))}
		case 1:
			b := shard.NewHashBuilder(settings)
			for j := range 10 {
				b.Add([]byte("f"+strconv.Itoa(j)), []byte(strconv.Itoa(i*j)))
			}
			objs[k] = shard.Object{Type: shard.TypeHash, Coll: b.Hash()}
		case 2:
			b := shard.NewListBuilder(settings)
			for j := range 10 {
				b.Append([]byte("item-" + strconv.Itoa(j)))
			}
			objs[k] = shard.Object{Type: shard.TypeList, Coll: b.List()}
		default:
			b := shard.NewZSetBuilder(settings, 10, 0)
			for j := range 10 {
				b.Add([]byte("m"+strconv.Itoa(j)), float64(j))
			}
			objs[k] = shard.Object{Type: shard.TypeZSet, Coll: b.ZSet()}
		}
	}
	return objs
}

func BenchmarkEncode10k(b *testing.B) {
	objs := benchObjects()
	b.ReportAllocs()
	for b.Loop() {
		data := encodeAll(b, objs, Options{})
		b.SetBytes(int64(len(data)))
	}
}

func BenchmarkDecode10k(b *testing.B) {
	objs := benchObjects()
	data := encodeAll(b, objs, Options{})
	settings := shard.NewSettings()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		NewDecoder(settings).Decode(bytes.NewReader(data), func(int, []byte, shard.Object) error { return nil })
	}
}

// redisServer starts redis-server on dir/file, or skips the test when it is missing.
func redisServer(t *testing.T, dir, file string, extra ...string) *redis.Client {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	args := append([]string{"--port", strconv.Itoa(port), "--dir", dir, "--dbfilename", file, "--save", "", "--appendonly", "no"}, extra...)
	cmd := exec.Command(bin, args...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
	t.Cleanup(func() { c.Close() })
	for range 100 {
		if c.Ping(context.Background()).Err() == nil {
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("redis-server did not start:\n%s", log.String())
	return nil
}

// redisCanon reads key from a live server in canon's form.
func redisCanon(t *testing.T, c *redis.Client, key string) string {
	ctx := context.Background()
	typ := c.Type(ctx, key).Val()
	var parts []string
	q := func(s string) string { return strconv.Quote(s) }
	switch typ {
	case "string":
		return "string " + q(c.Get(ctx, key).Val())
	case "list":
		for _, v := range c.LRange(ctx, key, 0, -1).Val() {
			parts = append(parts, q(v))
		}
	case "set":
		for _, v := range c.SMembers(ctx, key).Val() {
			parts = append(parts, q(v))
		}
		slices.Sort(parts)
	case "hash":
		for f, v := range c.HGetAll(ctx, key).Val() {
			parts = append(parts, q(f)+"="+q(v))
		}
		slices.Sort(parts)
	case "zset":
		for _, z := range c.ZRangeWithScores(ctx, key, 0, -1).Val() {
			parts = append(parts, q(z.Member.(string))+"@"+strconv.FormatFloat(z.Score, 'g', -1, 64))
		}
	default:
		t.Fatalf("%s: type %s", key, typ)
	}
	return typ + " " + strings.Join(parts, ",")
}

// TestRedisLoadsOurFile writes every type and encoding, has redis-check-rdb accept the
// file and redis-server load it, and compares key by key.
func TestRedisLoadsOurFile(t *testing.T) {
	settings := shard.NewSettings()
	objs := sample(settings)
	dir := t.TempDir()
	data := encodeAll(t, objs, Options{})
	if err := os.WriteFile(filepath.Join(dir, "x.rdb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if bin, err := exec.LookPath("redis-check-rdb"); err == nil {
		if out, err := exec.Command(bin, filepath.Join(dir, "x.rdb")).CombinedOutput(); err != nil || !bytes.Contains(out, []byte("RDB looks OK")) {
			t.Fatalf("redis-check-rdb: %v\n%s", err, out)
		}
	}
	c := redisServer(t, dir, "x.rdb")
	ctx := context.Background()
	if n := c.DBSize(ctx).Val(); n != int64(len(objs)) {
		t.Fatalf("redis-server loaded %d keys, want %d", n, len(objs))
	}
	for k, o := range objs {
		if got := redisCanon(t, c, k); got != canon(o) {
			t.Errorf("%s: redis has %.200s, want %.200s", k, got, canon(o))
		}
		// redis-server 7.0 has no listpack encoding for lists and sets: it converts.
		if want := encodingOf(o); want != "string" && !(want == "listpack" && (o.Type == shard.TypeList || o.Type == shard.TypeSet)) {
			if got := c.ObjectEncoding(ctx, k).Val(); got != want {
				t.Errorf("%s: redis encoding %s, ours %s", k, got, want)
			}
		}
	}
	if ttl := c.PTTL(ctx, "str:ttl").Val(); ttl <= 0 {
		t.Errorf("str:ttl lost its TTL: %v", ttl)
	}
}

// TestWeLoadRedisFile populates a redis-server with every type and encoding (thresholds
// lowered and raised with CONFIG SET), SAVEs, and decodes the file.
func TestWeLoadRedisFile(t *testing.T) {
	dir := t.TempDir()
	c := redisServer(t, dir, "dump.rdb")
	ctx := context.Background()
	do := func(args ...any) {
		if err := c.Do(ctx, args...).Err(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	bigVal := strings.Repeat("compress me ", 40)
	do("set", "s:int", "12345")
	do("set", "s:neg", "-7")
	do("set", "s:big", bigVal)
	do("set", "s:bin", "\x00\xff\r\n")
	do("set", "s:ttl", "x", "px", "3600000")
	for i := range 10 {
		do("rpush", "l:small", i, "e"+strconv.Itoa(i))
		do("sadd", "set:ints", i*1000)
		do("sadd", "set:lp", "m"+strconv.Itoa(i))
		do("hset", "h:lp", "f"+strconv.Itoa(i), i)
		do("zadd", "z:lp", float64(i)/3, "m"+strconv.Itoa(i))
	}
	for i := range 2000 {
		do("rpush", "l:quick", bigVal+strconv.Itoa(i))
		do("sadd", "set:ht", "m"+strconv.Itoa(i))
		do("hset", "h:ht", "f"+strconv.Itoa(i), i)
		do("zadd", "z:sl", i, "m"+strconv.Itoa(i))
	}
	do("config", "set", "list-max-listpack-size", "2")
	for i := range 9 {
		do("rpush", "l:nodes", i)
	}
	do("select", 5)
	do("set", "db5", "five")
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	got := decodeAll(t, data, shard.NewSettings())
	c2 := redis.NewClient(&redis.Options{Addr: c.Options().Addr})
	defer c2.Close()
	keys := c2.Keys(ctx, "*").Val()
	if len(got) != len(keys)+1 {
		t.Errorf("decoded %d keys, redis has %d+1", len(got), len(keys))
	}
	for _, k := range keys {
		if g := canon(got[k]); g != redisCanon(t, c2, k) {
			t.Errorf("%s: decoded %.200s, redis %.200s", k, g, redisCanon(t, c2, k))
		}
	}
	if string(got["5:db5"].Str) != "five" {
		t.Errorf("db 5 key: %q", got["5:db5"].Str)
	}
	if got["s:ttl"].ExpireAt == 0 {
		t.Errorf("s:ttl lost its TTL")
	}
}

func TestCanonicalInt32(t *testing.T) {
	f := func(in string, want int32, wantOK bool) {
		t.Helper()
		got, ok := canonicalInt32([]byte(in))
		if ok != wantOK || got != want {
			t.Errorf("canonicalInt32(%q) = %d, %v; want %d, %v", in, got, ok, want, wantOK)
		}
	}
	f("0", 0, true)
	f("-1", -1, true)
	f("2147483647", math.MaxInt32, true)
	f("-2147483648", math.MinInt32, true)
	f("2147483648", 0, false)
	f("-2147483649", 0, false)
	f("-0", 0, false)
	f("01", 0, false)
	f("+1", 0, false)
	f("", 0, false)
	f("-", 0, false)
	f("1a", 0, false)
	f("99999999999", 0, false)
}
