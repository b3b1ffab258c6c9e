package persist

import (
	"encoding/binary"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// A snapshot is encoded on every shard's loop in parallel and merged into one stream
// by one writer: the shards append records with AppendKey into chunks, and the writer
// interleaves the chunks with Raw, adding SelectDB where the database changes. A record
// is self-contained, so chunks of one database from different shards may interleave in
// any order.

// AppendKey appends the record Encoder.Key writes (expiry, idle or frequency opcodes,
// value type, key, value) to dst.
func AppendKey(dst []byte, key string, o *shard.Object, idle int64, freq int, opt Options) ([]byte, error) {
	if o.ExpireAt != 0 {
		dst = binary.LittleEndian.AppendUint64(append(dst, opExpireMs), uint64(o.ExpireAt))
	}
	if idle >= 0 {
		dst = appendLen(append(dst, opIdle), uint64(idle))
	}
	if freq >= 0 {
		dst = append(dst, opFreq, byte(min(freq, 255)))
	}
	typePos := len(dst)
	dst = append(dst, 0)
	dst = appendString(dst, proto.Bytes(key), !opt.NoCompression)
	t, dst, err := appendValue(dst, o, opt)
	if err != nil {
		return dst[:typePos], err
	}
	dst[typePos] = t
	return dst, nil
}

// Raw writes records made by AppendKey with the same options.
func (e *Encoder) Raw(p []byte) error { return e.write(p) }

// Function writes one function library's source (RDB_OPCODE_FUNCTION2); Redis writes
// them after the aux fields, before the databases.
func (e *Encoder) Function(code []byte) error {
	b := append(e.scratch[:0], opFunction2)
	b = appendString(b, code, !e.opt.NoCompression)
	e.scratch = b
	return e.write(b)
}
