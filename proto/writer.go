package proto

import (
	"math"
	"math/big"
	"strconv"
)

// Writer builds replies in RESP2 or RESP3. Handlers call the method for the reply's
// logical type; the Writer picks the wire form for the connection's protocol, so no
// handler ever branches on the protocol version (RESP3 maps become flat arrays in
// RESP2, doubles become bulk strings, booleans become integers, and so on).
//
// A Writer is owned by one goroutine at a time. Its buffer grows by append; Reset keeps
// the capacity so the hot path does not allocate.
type Writer struct {
	buf   []byte
	resp3 bool
}

// NewWriter returns a Writer for RESP3 when resp3 is true and RESP2 otherwise.
func NewWriter(resp3 bool) *Writer { return &Writer{resp3: resp3} }

// SetRESP3 switches the wire protocol (HELLO 2|3).
func (w *Writer) SetRESP3(on bool) { w.resp3 = on }

// RESP3 reports whether the writer emits RESP3.
func (w *Writer) RESP3() bool { return w.resp3 }

// Bytes returns the buffered reply bytes. They alias the Writer's buffer: valid until the
// next write or Reset.
func (w *Writer) Bytes() []byte { return w.buf }

// Len returns the number of buffered bytes.
func (w *Writer) Len() int { return len(w.buf) }

// Reset empties the buffer and keeps its capacity.
func (w *Writer) Reset() { w.buf = w.buf[:0] }

// Truncate drops everything written after the first n bytes.
func (w *Writer) Truncate(n int) { w.buf = w.buf[:n] }

// Raw appends already-encoded RESP bytes.
func (w *Writer) Raw(b []byte) { w.buf = append(w.buf, b...) }

func (w *Writer) line(prefix byte, s string) {
	w.buf = append(w.buf, prefix)
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

func (w *Writer) header(prefix byte, n int64) {
	w.buf = append(w.buf, prefix)
	w.buf = strconv.AppendInt(w.buf, n, 10)
	w.buf = append(w.buf, '\r', '\n')
}

// Simple writes a simple string (`+OK`). s must not contain CR or LF.
func (w *Writer) Simple(s string) { w.line('+', s) }

// OK writes `+OK`.
func (w *Writer) OK() { w.buf = append(w.buf, "+OK\r\n"...) }

// Error writes an error reply; msg is the full text including its code (`ERR ...`,
// `WRONGTYPE ...`). CR and LF in msg are replaced by spaces as Redis does, so a client
// value echoed in an error cannot break the framing.
func (w *Writer) Error(msg string) {
	w.buf = append(w.buf, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.buf = append(w.buf, c)
	}
	w.buf = append(w.buf, '\r', '\n')
}

// Int writes an integer reply.
func (w *Writer) Int(n int64) { w.header(':', n) }

// Bulk writes a bulk string.
func (w *Writer) Bulk(b []byte) {
	w.header('$', int64(len(b)))
	w.buf = append(w.buf, b...)
	w.buf = append(w.buf, '\r', '\n')
}

// BulkString writes a bulk string from a Go string.
func (w *Writer) BulkString(s string) {
	w.header('$', int64(len(s)))
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// BulkInt writes n formatted in decimal as a bulk string.
func (w *Writer) BulkInt(n int64) {
	var tmp [20]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null writes the null reply in the form used where a bulk string is expected
// (`$-1` in RESP2, `_` in RESP3).
func (w *Writer) Null() {
	if w.resp3 {
		w.buf = append(w.buf, "_\r\n"...)
		return
	}
	w.buf = append(w.buf, "$-1\r\n"...)
}

// NullArray writes the null reply where an array is expected (`*-1` in RESP2).
func (w *Writer) NullArray() {
	if w.resp3 {
		w.buf = append(w.buf, "_\r\n"...)
		return
	}
	w.buf = append(w.buf, "*-1\r\n"...)
}

// Array writes an array header for n elements that follow.
func (w *Writer) Array(n int) { w.header('*', int64(n)) }

// Map writes a map header for n key/value pairs that follow (2n elements). RESP2 sees a
// flat array.
func (w *Writer) Map(n int) {
	if w.resp3 {
		w.header('%', int64(n))
		return
	}
	w.header('*', int64(2*n))
}

// Set writes a set header for n elements. RESP2 sees an array.
func (w *Writer) Set(n int) {
	if w.resp3 {
		w.header('~', int64(n))
		return
	}
	w.header('*', int64(n))
}

// Push writes an out-of-band push header (pub/sub messages, invalidations). RESP2 sees an
// array.
func (w *Writer) Push(n int) {
	if w.resp3 {
		w.header('>', int64(n))
		return
	}
	w.header('*', int64(n))
}

// Attribute writes an attribute header for n pairs. In RESP2 attributes do not exist;
// the caller must not write the pairs (see RESP3 to decide).
func (w *Writer) Attribute(n int) {
	if w.resp3 {
		w.header('|', int64(n))
	}
}

// Bool writes a boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
func (w *Writer) Bool(b bool) {
	switch {
	case w.resp3 && b:
		w.buf = append(w.buf, "#t\r\n"...)
	case w.resp3:
		w.buf = append(w.buf, "#f\r\n"...)
	case b:
		w.buf = append(w.buf, ":1\r\n"...)
	default:
		w.buf = append(w.buf, ":0\r\n"...)
	}
}

// Double writes a floating point reply: `,<value>` in RESP3, a bulk string in RESP2,
// formatted as redis-server formats reply doubles.
func (w *Writer) Double(f float64) {
	var tmp [32]byte
	b := AppendDouble(tmp[:0], f)
	if w.resp3 {
		w.buf = append(w.buf, ',')
		w.buf = append(w.buf, b...)
		w.buf = append(w.buf, '\r', '\n')
		return
	}
	w.Bulk(b)
}

// AppendDouble formats f the way redis-server formats doubles in replies: `inf`, `-inf`,
// `nan`, otherwise up to 17 significant digits.
func AppendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

// BigNumber writes an arbitrary precision integer: `(` in RESP3, a bulk string in RESP2.
func (w *Writer) BigNumber(n *big.Int) {
	s := n.String()
	if w.resp3 {
		w.line('(', s)
		return
	}
	w.BulkString(s)
}

// Verbatim writes a verbatim string with a three letter format (`txt`, `mkd`). RESP2 sees
// a plain bulk string.
func (w *Writer) Verbatim(format string, s string) {
	if !w.resp3 {
		w.BulkString(s)
		return
	}
	w.header('=', int64(len(s)+4))
	w.buf = append(w.buf, format...)
	w.buf = append(w.buf, ':')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}
