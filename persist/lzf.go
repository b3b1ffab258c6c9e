package persist

import (
	"errors"
	"math/bits"
	"sync"
)

// LZF, the compression Redis applies to long strings in RDB files. A stream is a
// sequence of items, each starting with a control byte c:
//   - c < 32: a literal run of c+1 bytes follows;
//   - otherwise a back reference: length L = c>>5 (when 7, a further byte is added),
//     then a byte that, with the low 5 bits of c, forms the distance D (13 bits); the
//     item copies L+2 bytes starting D+1 bytes back in the output.
//
// The compressor below is a plain greedy one with a hash of the next three bytes; the
// format leaves the search strategy to the writer, so any valid stream decodes the same.

const (
	lzfMaxLit  = 32
	lzfMaxOff  = 1 << 13
	lzfMaxRef  = 7 + 255 + 2
	lzfHashLog = 14
)

var errLZF = errors.New("invalid LZF stream")

// lzfTables recycles compressor hash tables, all zero while in the pool.
var lzfTables = sync.Pool{New: func() any { return new([1 << lzfHashLog]int32) }}

// lzfCompress compresses in into buf (reusing its storage) and returns the result when
// it is at most limit bytes, or false when it would be larger (the caller then stores
// the string raw).
func lzfCompress(buf, in []byte, limit int) ([]byte, bool) {
	if len(in) < 4 || limit <= 0 {
		return buf[:0], false
	}
	// The hash table (position+1 of the last occurrence of each hash) is sized to the
	// input, so that short strings, the common case, do not pay for clearing 64 KB.
	// Pooled tables are all zero: the part a call used is cleared before Put.
	hashBits := min(max(bits.Len(uint(len(in))), 8), lzfHashLog)
	tp := lzfTables.Get().(*[1 << lzfHashLog]int32)
	table := tp[:1<<hashBits]
	defer func() {
		clear(table)
		lzfTables.Put(tp)
	}()
	shift := 32 - hashBits
	out := append(buf[:0], 0) // out[litPos] is the open literal run's control byte
	litPos, lit := 0, 0
	literal := func(b byte) {
		out = append(out, b)
		lit++
		if lit == lzfMaxLit {
			out[litPos] = lzfMaxLit - 1
			litPos, lit = len(out), 0
			out = append(out, 0)
		}
	}
	i := 0
	for i+2 < len(in) {
		if len(out) > limit {
			return out[:0], false
		}
		h := (uint32(in[i])<<16 | uint32(in[i+1])<<8 | uint32(in[i+2])) * 2654435761 >> shift
		ref := int(table[h]) - 1
		table[h] = int32(i + 1)
		off := i - ref - 1
		if ref < 0 || off >= lzfMaxOff || in[ref] != in[i] || in[ref+1] != in[i+1] || in[ref+2] != in[i+2] {
			literal(in[i])
			i++
			continue
		}
		n, most := 3, min(lzfMaxRef, len(in)-i)
		for n < most && in[ref+n] == in[i+n] {
			n++
		}
		if lit > 0 {
			out[litPos] = byte(lit - 1)
		} else {
			out = out[:len(out)-1]
		}
		if l := n - 2; l < 7 {
			out = append(out, byte(l<<5|off>>8), byte(off))
		} else {
			out = append(out, byte(7<<5|off>>8), byte(l-7), byte(off))
		}
		i += n
		litPos, lit = len(out), 0
		out = append(out, 0)
	}
	for ; i < len(in); i++ {
		literal(in[i])
	}
	if lit > 0 {
		out[litPos] = byte(lit - 1)
	} else {
		out = out[:len(out)-1]
	}
	if len(out) > limit {
		return out[:0], false
	}
	return out, true
}

// lzfDecompress expands in, which must produce exactly n bytes.
func lzfDecompress(in []byte, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	for i := 0; i < len(in); {
		c := int(in[i])
		i++
		if c < lzfMaxLit {
			l := c + 1
			if i+l > len(in) || len(out)+l > n {
				return nil, errLZF
			}
			out = append(out, in[i:i+l]...)
			i += l
			continue
		}
		l := c >> 5
		if l == 7 {
			if i >= len(in) {
				return nil, errLZF
			}
			l += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, errLZF
		}
		ref := len(out) - (c&0x1f)<<8 - int(in[i]) - 1
		i++
		l += 2
		if ref < 0 || len(out)+l > n {
			return nil, errLZF
		}
		for k := range l {
			out = append(out, out[ref+k])
		}
	}
	if len(out) != n {
		return nil, errLZF
	}
	return out, nil
}
