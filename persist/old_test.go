package persist

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/basaltdb/basalt/shard"
)

// The encodings of RDB versions before 10 (ziplist, zipmap, quicklist of ziplists, the
// plain list and the text-score zset) cannot be produced by redis-server 7.0 any more,
// but it still loads them. These tests build them with small writers of their own,
// check that redis-server loads the file, and compare its view with the decoder's.

// testZiplist encodes elems as a ziplist, integers in the narrowest encoding.
func testZiplist(elems []string) []byte {
	var body []byte
	prev, last := 0, 10
	for _, e := range elems {
		off := 10 + len(body)
		var ent []byte
		if prev < 254 {
			ent = append(ent, byte(prev))
		} else {
			ent = binary.LittleEndian.AppendUint32(append(ent, 0xFE), uint32(prev))
		}
		if n, err := strconv.ParseInt(e, 10, 64); err == nil && strconv.FormatInt(n, 10) == e {
			switch {
			case n >= 0 && n <= 12:
				ent = append(ent, 0xF1+byte(n))
			case n >= -128 && n <= 127:
				ent = append(ent, 0xFE, byte(n))
			case n >= -32768 && n <= 32767:
				ent = binary.LittleEndian.AppendUint16(append(ent, 0xC0), uint16(n))
			case n >= -1<<23 && n < 1<<23:
				ent = append(ent, 0xF0, byte(n), byte(n>>8), byte(n>>16))
			case n >= -1<<31 && n < 1<<31:
				ent = binary.LittleEndian.AppendUint32(append(ent, 0xD0), uint32(n))
			default:
				ent = binary.LittleEndian.AppendUint64(append(ent, 0xE0), uint64(n))
			}
		} else {
			switch l := len(e); {
			case l < 64:
				ent = append(ent, byte(l))
			case l < 16384:
				ent = append(ent, 0x40|byte(l>>8), byte(l))
			default:
				ent = binary.BigEndian.AppendUint32(append(ent, 0x80), uint32(l))
			}
			ent = append(ent, e...)
		}
		body = append(body, ent...)
		prev, last = len(ent), off
	}
	zl := binary.LittleEndian.AppendUint32(nil, uint32(10+len(body)+1))
	zl = binary.LittleEndian.AppendUint32(zl, uint32(last))
	zl = binary.LittleEndian.AppendUint16(zl, uint16(min(len(elems), 65535)))
	return append(append(zl, body...), 0xFF)
}

// testZipmap encodes field/value pairs as a zipmap.
func testZipmap(pairs []string) []byte {
	zm := []byte{byte(min(len(pairs)/2, 254))}
	put := func(s string) {
		if len(s) < 254 {
			zm = append(zm, byte(len(s)))
		} else {
			zm = binary.LittleEndian.AppendUint32(append(zm, 254), uint32(len(s)))
		}
	}
	for i := 0; i < len(pairs); i += 2 {
		put(pairs[i])
		zm = append(zm, pairs[i]...)
		put(pairs[i+1])
		zm = append(zm, 0) // no free bytes
		zm = append(zm, pairs[i+1]...)
	}
	return append(zm, 0xFF)
}

// oldRecords returns records of every pre-10 encoding, keyed by name.
func oldRecords() map[string][]byte {
	str := func(s string) []byte { return appendString(nil, []byte(s), false) }
	rec := func(t byte, key string, payload ...[]byte) []byte {
		b := append([]byte{t}, str(key)...)
		for _, p := range payload {
			b = append(b, p...)
		}
		return b
	}
	var mixed []string
	for i := range 40 {
		mixed = append(mixed, strconv.Itoa(i*i*i*i*i-5), "e"+strconv.Itoa(i), strings.Repeat("x", i*10))
	}
	mixed = append(mixed, "-9223372036854775808", "9223372036854775807", "-129", "300", strings.Repeat("long", 5000))
	var pairs, zpairs []string
	for i := range 30 {
		pairs = append(pairs, "f"+strconv.Itoa(i), strconv.Itoa(i*1000))
		zpairs = append(zpairs, "m"+strconv.Itoa(i), strconv.FormatFloat(float64(i)/8-1, 'g', -1, 64))
	}
	zpairs = append(zpairs, "int", "17")
	lenOf := func(n int) []byte { return appendLen(nil, uint64(n)) }
	plainList := lenOf(len(mixed))
	for _, e := range mixed {
		plainList = append(plainList, str(e)...)
	}
	scores := []float64{1.5, -2, 1e100, 0, math.Inf(1), math.Inf(-1)}
	textZSet := lenOf(len(scores))
	for i, sc := range scores {
		textZSet = append(textZSet, str("t"+strconv.Itoa(i))...)
		textZSet = appendTextDouble(textZSet, sc)
	}
	quick := append(lenOf(3), str(string(testZiplist(mixed[:30])))...)
	quick = append(quick, str(string(testZiplist(mixed[30:60])))...)
	quick = append(quick, str(string(testZiplist(mixed[60:])))...)
	return map[string][]byte{
		"zipmap":        rec(typeHashZipmap, "zipmap", str(string(testZipmap(pairs)))),
		"zipmap-long":   rec(typeHashZipmap, "zipmap-long", str(string(testZipmap([]string{"k", strings.Repeat("v", 300)})))),
		"ziplist-list":  rec(typeListZiplist, "ziplist-list", str(string(testZiplist(mixed)))),
		"ziplist-hash":  rec(typeHashZiplist, "ziplist-hash", str(string(testZiplist(pairs)))),
		"ziplist-zset":  rec(typeZSetZiplist, "ziplist-zset", str(string(testZiplist(zpairs)))),
		"quicklist":     rec(typeListQuick, "quicklist", quick),
		"plain-list":    rec(typeList, "plain-list", plainList),
		"text-zset":     rec(typeZSet, "text-zset", textZSet),
		"intset16":      rec(typeSetIntset, "intset16", str(string(appendIntset(nil, []int64{-5, 1, 300})))),
		"intset32":      rec(typeSetIntset, "intset32", str(string(appendIntset(nil, []int64{-70000, 1, 70000})))),
		"intset64":      rec(typeSetIntset, "intset64", str(string(appendIntset(nil, []int64{-1 << 40, 1 << 40})))),
		"expiring-list": append(binary.LittleEndian.AppendUint64([]byte{opExpireMs}, uint64(time.Now().Add(time.Hour).UnixMilli())), rec(typeListZiplist, "expiring-list", str(string(testZiplist([]string{"a"}))))...),
	}
}

// oldFile writes the records in an RDB file of version 9 (Redis 6.x).
func oldFile(t *testing.T, recs map[string][]byte) []byte {
	var buf bytes.Buffer
	e := NewEncoder(&buf, Options{Version: 9})
	e.Header(time.Now().Unix())
	e.SelectDB(0)
	for _, r := range recs {
		e.Raw(r)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOldEncodingsAgainstRedis(t *testing.T) {
	recs := oldRecords()
	data := oldFile(t, recs)
	got := decodeAll(t, data, shard.NewSettings())
	if len(got) != len(recs) {
		t.Fatalf("decoded %d keys, want %d", len(got), len(recs))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "old.rdb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if bin, err := exec.LookPath("redis-check-rdb"); err == nil {
		if out, err := exec.Command(bin, filepath.Join(dir, "old.rdb")).CombinedOutput(); err != nil || !bytes.Contains(out, []byte("RDB looks OK")) {
			t.Fatalf("redis-check-rdb: %v\n%s", err, out)
		}
	}
	c := redisServer(t, dir, "old.rdb")
	if n := c.DBSize(context.Background()).Val(); n != int64(len(recs)) {
		t.Fatalf("redis-server loaded %d keys, want %d", n, len(recs))
	}
	for k := range recs {
		if g, want := canon(got[k]), redisCanon(t, c, k); g != want {
			t.Errorf("%s: decoded %.300s\nredis has %.300s", k, g, want)
		}
	}
	// Loaded values take Basalt's encodings under the default thresholds.
	for k, want := range map[string]string{"zipmap": "listpack", "zipmap-long": "hashtable", "ziplist-hash": "listpack", "ziplist-zset": "listpack", "quicklist": "quicklist", "intset64": "intset", "ziplist-list": "quicklist", "expiring-list": "listpack"} {
		if enc := encodingOf(got[k]); enc != want {
			t.Errorf("%s: encoding %s, want %s", k, enc, want)
		}
	}
	if got["expiring-list"].ExpireAt == 0 {
		t.Error("expiring-list lost its TTL")
	}
}

// TestOldBlobCorruption flips bytes inside each old-format record: the decoder must
// return an error or a value, never panic.
func TestOldBlobCorruption(t *testing.T) {
	settings := shard.NewSettings()
	for name, r := range oldRecords() {
		if r[0] == opExpireMs {
			continue
		}
		// A record is type, key (short, so one length byte) and value; a payload is
		// type and value.
		r = append([]byte{r[0]}, r[2+int(r[1]):]...)
		for i := 1; i < len(r); i += max(1, len(r)/300) {
			for _, x := range []byte{1, 0x80, 0xFF} {
				c := bytes.Clone(r)
				c[i] ^= x
				p := append(c, 0x0a, 0)
				p = binary.LittleEndian.AppendUint64(p, crcUpdate(0, p))
				func() {
					defer func() {
						if e := recover(); e != nil {
							t.Fatalf("%s: byte %d ^ %#x: panic %v", name, i, x, e)
						}
					}()
					DecodePayload(p, settings)
				}()
			}
		}
	}
}

func TestOldPayloads(t *testing.T) {
	settings := shard.NewSettings()
	for name, r := range oldRecords() {
		if r[0] == opExpireMs {
			continue
		}
		p := append([]byte{r[0]}, r[2+int(r[1]):]...)
		p = append(p, 9, 0)
		p = binary.LittleEndian.AppendUint64(p, crcUpdate(0, p))
		if _, err := DecodePayload(p, settings); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestVersion4File reads a file in the oldest layout still met in the wild: no aux
// fields, expiry in seconds, no checksum after EOF.
func TestVersion4File(t *testing.T) {
	recs := oldRecords()
	f := []byte("REDIS0004")
	f = append(f, opSelectDB, 2)
	f = binary.LittleEndian.AppendUint32(append(f, opExpireSec), 2000000000)
	f = append(f, recs["zipmap"]...)
	f = append(f, recs["text-zset"]...)
	f = append(f, opEOF)
	got := map[string]shard.Object{}
	err := NewDecoder(shard.NewSettings()).Decode(bytes.NewReader(f), func(db int, key []byte, o shard.Object) error {
		if db != 2 {
			t.Errorf("%s in db %d", key, db)
		}
		got[string(key)] = o
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got["zipmap"].ExpireAt != 2000000000000 || got["text-zset"].ExpireAt != 0 {
		t.Errorf("expiries: %d %d", got["zipmap"].ExpireAt, got["text-zset"].ExpireAt)
	}
	if canon(got["text-zset"]) != `zset "t5"@-Inf,"t1"@-2,"t3"@0,"t0"@1.5,"t2"@1e+100,"t4"@+Inf` {
		t.Errorf("text zset: %s", canon(got["text-zset"]))
	}
}
