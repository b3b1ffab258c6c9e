package persist

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"

	"github.com/basaltdb/basalt/shard"
)

// Value types: the byte before a key, and the first byte of a DUMP payload. The gaps
// (8) and the module and field-TTL types are recognised only to be refused.
const (
	typeString      = 0
	typeList        = 1 // plain list, before quicklists
	typeSet         = 2
	typeZSet        = 3 // scores as text
	typeHash        = 4
	typeZSet2       = 5 // scores as binary doubles
	typeModulePreGA = 6
	typeModule2     = 7
	typeHashZipmap  = 9
	typeListZiplist = 10
	typeSetIntset   = 11
	typeZSetZiplist = 12
	typeHashZiplist = 13
	typeListQuick   = 14 // quicklist of ziplists
	typeStream      = 15
	typeHashLP      = 16
	typeZSetLP      = 17
	typeListQuick2  = 18 // quicklist of listpack or plain nodes
	typeStream2     = 19
	typeSetLP       = 20
	typeStream3     = 21
	typeHashMetaPre = 22 // 7.4 hashes with field TTLs, before and after GA
	typeHashLPExPre = 23
	typeHashMeta    = 24
	typeHashLPEx    = 25
)

// Opcodes: bytes that, where a value type is expected, introduce something else.
const (
	opFunction2     = 245
	opFunctionPreGA = 246
	opModuleAux     = 247
	opIdle          = 248 // LRU idle seconds of the next key
	opFreq          = 249 // LFU counter of the next key
	opAux           = 250
	opResizeDB      = 251
	opExpireMs      = 252
	opExpireSec     = 253
	opSelectDB      = 254
	opEOF           = 255
)

// Length and string encodings.
const (
	len6, len14  = 0, 1 // the top two bits of the first byte
	lenEncoded   = 3    // ... or: a special string encoding follows in the low 6 bits
	len32, len64 = 0x80, 0x81
	encInt8      = 0
	encInt16     = 1
	encInt32     = 2
	encLZF       = 3
	// intEncodeMaxLen is the longest string tried as an integer ("-2147483648").
	intEncodeMaxLen = 11
	// minCompressLen is the shortest string LZF is tried on, as Redis does.
	minCompressLen = 21
	// Text scores of type 3 use these length bytes for the special values.
	doubleNaN    = 253
	doublePosInf = 254
	doubleNegInf = 255
	// Quicklist 2 node containers.
	quicklistPlain  = 1
	quicklistPacked = 2
)

// Aux fields every file starts with.
const (
	defaultRedisVer  = "7.2.0"
	defaultRedisBits = "64"
)

// RDB versions.
const (
	// DefaultVersion is the version Encoder writes unless told otherwise: 10, the newest
	// redis-server 7.0 loads (7.2 writes 11, 7.4 writes 12).
	DefaultVersion = 10
	// MaxVersion is the newest version Decoder reads.
	MaxVersion = 12
)

// Options configure an Encoder or a value encoding.
type Options struct {
	// Version is the RDB version written, 7..12; 0 means DefaultVersion (10, the
	// newest redis-server 7.0 loads). Below 11 listpack sets are written as plain sets,
	// below 10 every packed value is written in its plain form.
	Version int
	// NoCompression turns off LZF for strings longer than 20 bytes (rdbcompression no).
	NoCompression bool
	// NoChecksum writes a zero checksum, which loaders take as "not computed"
	// (rdbchecksum no).
	NoChecksum bool
}

func (o Options) version() int {
	if o.Version == 0 {
		return DefaultVersion
	}
	return o.Version
}

// Encoder writes one RDB stream. Call Header, then for each non-empty database
// SelectDB, ResizeDB and Key for each key, and finally Close, which writes the EOF
// opcode and the checksum. The first write error sticks: later calls return it.
//
// Owner: one goroutine. Cost: one scratch buffer reused across keys.
type Encoder struct {
	w       *bufio.Writer
	opt     Options
	crc     uint64
	err     error
	scratch []byte
}

// NewEncoder returns an encoder writing to w.
func NewEncoder(w io.Writer, opt Options) *Encoder {
	return &Encoder{w: bufio.NewWriterSize(w, 64<<10), opt: opt}
}

func (e *Encoder) write(p []byte) error {
	if e.err != nil {
		return e.err
	}
	e.crc = crcUpdate(e.crc, p)
	_, e.err = e.w.Write(p)
	return e.err
}

// Header writes the magic string and version, then the aux fields Redis writes
// (redis-ver, redis-bits, ctime, used-mem, aof-base) followed by extra, in order.
func (e *Encoder) Header(ctime int64, extra ...[2]string) error {
	v := e.opt.version()
	if v < 7 || v > MaxVersion {
		return fmt.Errorf("rdb: cannot write version %d", v)
	}
	e.write(fmt.Appendf(nil, "REDIS%04d", v))
	aux := [][2]string{{"redis-ver", defaultRedisVer}, {"redis-bits", defaultRedisBits}, {"ctime", strconv.FormatInt(ctime, 10)}, {"used-mem", "0"}, {"aof-base", "0"}}
	for _, a := range append(aux, extra...) {
		e.Aux(a[0], a[1])
	}
	return e.err
}

// Aux writes one aux field.
func (e *Encoder) Aux(key, val string) error {
	b := append(e.scratch[:0], opAux)
	b = appendString(b, []byte(key), !e.opt.NoCompression)
	b = appendString(b, []byte(val), !e.opt.NoCompression)
	e.scratch = b
	return e.write(b)
}

// SelectDB starts database db.
func (e *Encoder) SelectDB(db int) error {
	e.scratch = appendLen(append(e.scratch[:0], opSelectDB), uint64(db))
	return e.write(e.scratch)
}

// ResizeDB writes the sizing hint for the current database: the number of keys and of
// keys with a TTL.
func (e *Encoder) ResizeDB(keys, expires int) error {
	b := appendLen(append(e.scratch[:0], opResizeDB), uint64(keys))
	e.scratch = appendLen(b, uint64(expires))
	return e.write(e.scratch)
}

// Key writes key with o's value and TTL. idle >= 0 writes an LRU idle time in seconds,
// freq >= 0 an LFU counter (a server writes at most one of them).
func (e *Encoder) Key(key []byte, o *shard.Object, idle int64, freq int) error {
	b, err := AppendKey(e.scratch[:0], string(key), o, idle, freq, e.opt)
	e.scratch = b
	if err != nil {
		return err
	}
	return e.write(b)
}

// Close writes the EOF opcode and the checksum, and flushes.
func (e *Encoder) Close() error {
	e.write([]byte{opEOF})
	if e.err != nil {
		return e.err
	}
	var sum [8]byte
	if !e.opt.NoChecksum {
		binary.LittleEndian.PutUint64(sum[:], e.crc)
	}
	if e.opt.version() < 5 {
		return e.w.Flush()
	}
	if _, err := e.w.Write(sum[:]); err != nil {
		return err
	}
	return e.w.Flush()
}

// appendLen appends an RDB length: 6, 14, 32 or 64 bits as the value needs.
func appendLen(dst []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(dst, byte(n))
	case n < 1<<14:
		return append(dst, byte(n>>8)|len14<<6, byte(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, len32), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, len64), n)
}

// appendString appends an RDB string: as an integer when it is the canonical text of
// one that fits 32 bits, LZF-compressed when compress is set, it is longer than 20 bytes
// and compression saves more than 4 bytes, raw otherwise.
func appendString(dst, s []byte, compress bool) []byte {
	if v, ok := canonicalInt32(s); ok {
		switch {
		case v >= math.MinInt8 && v <= math.MaxInt8:
			return append(dst, 3<<6|encInt8, byte(v))
		case v >= math.MinInt16 && v <= math.MaxInt16:
			return binary.LittleEndian.AppendUint16(append(dst, 3<<6|encInt16), uint16(v))
		}
		return binary.LittleEndian.AppendUint32(append(dst, 3<<6|encInt32), uint32(v))
	}
	if compress && len(s) >= minCompressLen {
		bp := lzfBufs.Get().(*[]byte)
		c, ok := lzfCompress(*bp, s, len(s)-4)
		if ok {
			dst = append(dst, 3<<6|encLZF)
			dst = appendLen(dst, uint64(len(c)))
			dst = appendLen(dst, uint64(len(s)))
			dst = append(dst, c...)
		}
		if cap(c) <= 1<<20 {
			*bp = c[:0]
		}
		lzfBufs.Put(bp)
		if ok {
			return dst
		}
	}
	return append(appendLen(dst, uint64(len(s))), s...)
}

// lzfBufs recycles compression output buffers (kept empty; those grown past 1 MB are
// dropped rather than kept alive).
var lzfBufs = sync.Pool{New: func() any { return new([]byte) }}

// canonicalInt32 parses s when it is the canonical decimal form of a 32-bit integer:
// no sign on zero, no leading zeros, no '+', at most 11 bytes.
func canonicalInt32(s []byte) (int32, bool) {
	if len(s) == 0 || len(s) > intEncodeMaxLen {
		return 0, false
	}
	neg := s[0] == '-'
	d := s
	if neg {
		d = s[1:]
	}
	if len(d) == 0 || (d[0] == '0' && (len(d) > 1 || neg)) {
		return 0, false
	}
	var v int64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
		if v > 1<<31 {
			return 0, false
		}
	}
	if neg {
		v = -v
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, false
	}
	return int32(v), true
}

// appendBinaryDouble appends a zset2 score: an IEEE 754 double, little endian.
func appendBinaryDouble(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

// appendTextDouble appends a score in the text form of old zsets (type 3).
func appendTextDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, doubleNaN)
	case math.IsInf(f, 1):
		return append(dst, doublePosInf)
	case math.IsInf(f, -1):
		return append(dst, doubleNegInf)
	}
	s := strconv.AppendFloat(nil, f, 'g', 17, 64)
	return append(append(dst, byte(len(s))), s...)
}

// appendValue appends o's value in the RDB encoding that matches its current encoding
// and returns the value type byte.
func appendValue(dst []byte, o *shard.Object, opt Options) (byte, []byte, error) {
	v := opt.version()
	compress := !opt.NoCompression
	switch o.Type {
	case shard.TypeString:
		return typeString, appendString(dst, o.Str, compress), nil
	case shard.TypeList:
		l := o.Coll.(*shard.List)
		if v >= 10 {
			nodes, _ := l.ListNodes()
			dst = appendLen(dst, uint64(len(nodes)))
			for _, n := range nodes {
				dst = appendLen(dst, quicklistPacked)
				dst = appendString(dst, n, compress)
			}
			return typeListQuick2, dst, nil
		}
		dst = appendLen(dst, uint64(l.Len()))
		l.Each(func(e []byte) bool { dst = appendString(dst, e, compress); return true })
		return typeList, dst, nil
	case shard.TypeSet:
		st := o.Coll.(*shard.Set)
		if ints, ok := st.Intset(); ok {
			return typeSetIntset, appendString(dst, appendIntset(nil, ints), compress), nil
		}
		if lp := st.SetListpack(); lp != nil && v >= 11 {
			return typeSetLP, appendString(dst, lp, compress), nil
		}
		dst = appendLen(dst, uint64(st.Len()))
		st.Each(func(m []byte) bool { dst = appendString(dst, m, compress); return true })
		return typeSet, dst, nil
	case shard.TypeZSet:
		z := o.Coll.(*shard.ZSet)
		if lp := z.ZSetListpack(); lp != nil && v >= 10 {
			return typeZSetLP, appendString(dst, lp, compress), nil
		}
		dst = appendLen(dst, uint64(z.Len()))
		t := byte(typeZSet2)
		if v < 8 {
			t = typeZSet
		}
		z.Each(func(m []byte, sc float64) bool {
			dst = appendString(dst, m, compress)
			if t == typeZSet2 {
				dst = appendBinaryDouble(dst, sc)
			} else {
				dst = appendTextDouble(dst, sc)
			}
			return true
		})
		return t, dst, nil
	case shard.TypeHash:
		h := o.Coll.(*shard.Hash)
		if lp := h.HashListpack(); lp != nil && v >= 10 {
			return typeHashLP, appendString(dst, lp, compress), nil
		}
		dst = appendLen(dst, uint64(h.Len()))
		h.Each(func(f, val []byte) bool {
			dst = appendString(dst, f, compress)
			dst = appendString(dst, val, compress)
			return true
		})
		return typeHash, dst, nil
	case shard.TypeStream:
		return appendStream(dst, o.Coll.(*shard.Stream), v, compress)
	}
	return 0, dst, fmt.Errorf("rdb: cannot encode a %s value", shard.TypeName(o.Type))
}
