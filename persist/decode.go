package persist

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/basaltdb/basalt/shard"
)

// Error is a defect in RDB input: Offset is the position in the stream (or payload) of
// the byte where reading failed.
type Error struct {
	Offset int64
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("rdb: at byte %d: %s", e.Offset, e.Msg) }

// KeyFunc receives one loaded key: its database, the key (owned by the callee) and the
// value with its TTL (ExpireAt, absolute Unix ms; already-expired keys are passed too,
// the caller decides). An error stops the load and is returned as is.
type KeyFunc func(db int, key []byte, o shard.Object) error

// Decoder reads RDB streams of versions 1 to 12.
type Decoder struct {
	// Settings holds the encoding thresholds values are rebuilt under.
	Settings *shard.Settings
	// Now is the clock (Unix ms) an LRU idle time is counted back from; 0 leaves
	// Access at zero.
	Now int64
	// Function, when set, receives each function library's code (RDB_OPCODE_FUNCTION2);
	// otherwise libraries are skipped.
	Function func(code []byte) error
	// Aux, when set, receives each aux field.
	Aux func(key, val []byte) error

	r       *bufio.Reader
	off     int64
	crc     uint64
	version int
	// seen and scratch are reused by the listpack checks of adopt.go.
	seen    map[uint64]struct{}
	scratch [2][]byte
}

// NewDecoder returns a decoder that builds values under settings.
func NewDecoder(settings *shard.Settings) *Decoder {
	return &Decoder{Settings: settings}
}

// failf returns an *Error at the current offset.
func (d *Decoder) failf(format string, args ...any) error {
	return &Error{Offset: d.off, Msg: fmt.Sprintf(format, args...)}
}

func (d *Decoder) readByte() (byte, error) {
	b, err := d.r.ReadByte()
	if err != nil {
		return 0, d.failf("unexpected end of input")
	}
	d.off++
	d.crc = crcByte(d.crc, b)
	return b, nil
}

// readN reads n bytes into a new slice, growing it as data arrives so that a corrupt
// length cannot make it allocate more than the input holds.
func (d *Decoder) readN(n uint64) ([]byte, error) {
	const chunk = 1 << 20
	start := d.off
	out := make([]byte, 0, min(n, chunk))
	for uint64(len(out)) < n {
		k := int(min(n-uint64(len(out)), chunk))
		l := len(out)
		out = append(out, make([]byte, k)...)
		m, err := io.ReadFull(d.r, out[l:])
		d.crc = crcUpdate(d.crc, out[l:l+m])
		d.off += int64(m)
		if err != nil {
			return nil, &Error{Offset: d.off, Msg: fmt.Sprintf("unexpected end of input in a %d-byte string that starts at byte %d", n, start)}
		}
	}
	return out, nil
}

// readLen reads an RDB length; encoded reports the special string encodings (then n is
// the encoding number).
func (d *Decoder) readLen() (n uint64, encoded bool, err error) {
	b, err := d.readByte()
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case len6:
		return uint64(b & 0x3F), false, nil
	case len14:
		c, err := d.readByte()
		return uint64(b&0x3F)<<8 | uint64(c), false, err
	case lenEncoded:
		return uint64(b & 0x3F), true, nil
	}
	switch b {
	case len32:
		p, err := d.readN(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(p)), false, nil
	case len64:
		p, err := d.readN(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(p), false, nil
	}
	return 0, false, d.failf("invalid length encoding 0x%02x", b)
}

// readCount reads a plain length (not a string encoding).
func (d *Decoder) readCount() (uint64, error) {
	n, enc, err := d.readLen()
	if err == nil && enc {
		err = d.failf("string encoding where a length was expected")
	}
	return n, err
}

// readString reads an RDB string in any of its encodings.
func (d *Decoder) readString() ([]byte, error) {
	n, enc, err := d.readLen()
	if err != nil {
		return nil, err
	}
	if !enc {
		return d.readN(n)
	}
	switch n {
	case encInt8, encInt16, encInt32:
		p, err := d.readN(1 << n)
		if err != nil {
			return nil, err
		}
		var v int64
		switch n {
		case encInt8:
			v = int64(int8(p[0]))
		case encInt16:
			v = int64(int16(binary.LittleEndian.Uint16(p)))
		default:
			v = int64(int32(binary.LittleEndian.Uint32(p)))
		}
		return strconv.AppendInt(nil, v, 10), nil
	case encLZF:
		at := d.off
		clen, err := d.readCount()
		if err != nil {
			return nil, err
		}
		ulen, err := d.readCount()
		if err != nil {
			return nil, err
		}
		c, err := d.readN(clen)
		if err != nil {
			return nil, err
		}
		if ulen > 1<<32 || ulen < clen/2 {
			return nil, &Error{Offset: at, Msg: "implausible LZF lengths"}
		}
		out, err := lzfDecompress(c, int(ulen))
		if err != nil {
			return nil, &Error{Offset: at, Msg: err.Error()}
		}
		return out, nil
	}
	return nil, d.failf("invalid string encoding %d", n)
}

// readDouble reads a score in the text form of type 3.
func (d *Decoder) readDouble() (float64, error) {
	l, err := d.readByte()
	if err != nil {
		return 0, err
	}
	switch l {
	case doubleNaN:
		return math.NaN(), nil
	case doublePosInf:
		return math.Inf(1), nil
	case doubleNegInf:
		return math.Inf(-1), nil
	}
	p, err := d.readN(uint64(l))
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(p), 64)
	if err != nil {
		return 0, d.failf("invalid double %q", p)
	}
	return f, nil
}

// Decode reads a whole RDB stream from r and calls fn for each key. It verifies the
// checksum when the file has one (version 5 and later, and not zero).
func (d *Decoder) Decode(r io.Reader, fn KeyFunc) error {
	d.r = bufio.NewReaderSize(r, 64<<10)
	d.off, d.crc = 0, 0
	magic, err := d.readN(9)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(magic, []byte("REDIS")) {
		return &Error{Offset: 0, Msg: "not an RDB file (no REDIS magic)"}
	}
	v, err := strconv.Atoi(string(magic[5:]))
	if err != nil || v < 1 || v > MaxVersion {
		return &Error{Offset: 5, Msg: fmt.Sprintf("unsupported RDB version %q", magic[5:])}
	}
	d.version = v
	db := 0
	var expireAt, idle int64 = 0, -1
	for {
		at := d.off
		op, err := d.readByte()
		if err != nil {
			return err
		}
		switch op {
		case opExpireSec:
			p, err := d.readN(4)
			if err != nil {
				return err
			}
			expireAt = int64(int32(binary.LittleEndian.Uint32(p))) * 1000
			continue
		case opExpireMs:
			p, err := d.readN(8)
			if err != nil {
				return err
			}
			expireAt = int64(binary.LittleEndian.Uint64(p))
			continue
		case opIdle:
			n, err := d.readCount()
			if err != nil {
				return err
			}
			idle = int64(min(n, math.MaxInt32))
			continue
		case opFreq:
			if _, err := d.readByte(); err != nil {
				return err
			}
			continue
		case opSelectDB:
			n, err := d.readCount()
			if err != nil {
				return err
			}
			if n > math.MaxInt32 {
				return &Error{Offset: at, Msg: "database number out of range"}
			}
			db = int(n)
			continue
		case opResizeDB:
			if _, err := d.readCount(); err != nil {
				return err
			}
			if _, err := d.readCount(); err != nil {
				return err
			}
			continue
		case opAux:
			k, err := d.readString()
			if err != nil {
				return err
			}
			val, err := d.readString()
			if err != nil {
				return err
			}
			if d.Aux != nil {
				if err := d.Aux(k, val); err != nil {
					return err
				}
			}
			continue
		case opFunction2:
			code, err := d.readString()
			if err != nil {
				return err
			}
			if d.Function != nil {
				if err := d.Function(code); err != nil {
					return err
				}
			}
			continue
		case opFunctionPreGA:
			return &Error{Offset: at, Msg: "pre-release function format is not supported"}
		case opModuleAux:
			return &Error{Offset: at, Msg: "module data is not supported"}
		case opEOF:
			return d.checksum()
		}
		key, err := d.readString()
		if err != nil {
			return err
		}
		o, ok, err := d.readValue(op, at)
		if err != nil {
			return err
		}
		o.ExpireAt = expireAt
		if idle >= 0 && d.Now > 0 {
			o.Access = uint32(max(d.Now/1000-idle, 0))
		}
		expireAt, idle = 0, -1
		if !ok {
			continue // an empty collection: Redis skips those too
		}
		if err := fn(db, key, o); err != nil {
			return err
		}
	}
}

// checksum reads and verifies the trailing CRC-64.
func (d *Decoder) checksum() error {
	if d.version < 5 {
		return nil
	}
	want := d.crc
	at := d.off
	p, err := d.readN(8)
	if err != nil {
		return err
	}
	got := binary.LittleEndian.Uint64(p)
	if got != 0 && got != want {
		return &Error{Offset: at, Msg: fmt.Sprintf("checksum mismatch: file says %016x, content is %016x", got, want)}
	}
	return nil
}

// Load decodes the RDB stream r with values rebuilt under settings, calling fn for
// each key (see Decoder.Decode). LRU idle times count back from the current clock.
func Load(r io.Reader, settings *shard.Settings, fn KeyFunc) error {
	d := NewDecoder(settings)
	d.Now = time.Now().UnixMilli()
	return d.Decode(r, fn)
}
