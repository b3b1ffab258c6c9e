package persist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Validating readers for the packed blobs found in RDB files: listpack, ziplist, intset
// and zipmap. Each walks the whole blob, checks every length, encoding and cross-check
// the format has (header sizes, back lengths, previous-entry lengths, counts,
// terminators) and hands each element to a callback, so that a corrupt blob is reported
// before any value is built from it.

// blobError is a defect inside a blob, at an offset relative to the blob's first byte.
type blobError struct {
	kind string
	off  int
	msg  string
}

func (e *blobError) Error() string {
	return fmt.Sprintf("bad %s at byte %d of the blob: %s", e.kind, e.off, e.msg)
}

// elemFn receives one element: its bytes (valid during the call only; integers come as
// decimal text in a scratch buffer).
type elemFn func(v []byte) error

// errStopWalk ends a walk early; the walker returns it as is.
var errStopWalk = errors.New("walk stopped")

// walkListpack validates listpack lp and calls fn with each element in order. It
// returns the number of elements.
func walkListpack(lp []byte, fn elemFn) (int, error) {
	var num [20]byte
	return walkListpackRaw(lp, func(v []byte, _ bool) error { return fn(v) }, &num)
}

// walkListpackRaw is walkListpack whose callback also learns whether the entry is a
// string entry (not an integer one); num is the scratch buffer for integers.
func walkListpackRaw(lp []byte, fn func(v []byte, isStr bool) error, num *[20]byte) (int, error) {
	bad := func(off int, msg string) (int, error) { return 0, &blobError{"listpack", off, msg} }
	if len(lp) < 7 {
		return bad(0, "shorter than a header")
	}
	if int(binary.LittleEndian.Uint32(lp)) != len(lp) {
		return bad(0, "header size does not match the blob")
	}
	if lp[len(lp)-1] != 0xFF {
		return bad(len(lp)-1, "no terminator")
	}
	n := 0
	p := 6
	for p < len(lp)-1 {
		v, size, err := lpEntry(lp, p, num)
		if err != nil {
			return bad(p, err.Error())
		}
		end := p + size
		k := backlenSize(size)
		if end+k > len(lp)-1 {
			return bad(p, "entry runs past the end")
		}
		var want [5]byte
		if string(appendBacklen(want[:0], size)) != string(lp[end:end+k]) {
			return bad(end, "back length does not match the entry")
		}
		if err := fn(v, lp[p] >= 0x80 && (lp[p]&0xC0 == 0x80 || lp[p]&0xF0 == 0xE0 || lp[p] == 0xF0)); err != nil {
			return 0, err
		}
		n++
		p = end + k
	}
	if c := int(binary.LittleEndian.Uint16(lp[4:])); c != 65535 && c != n {
		return bad(4, fmt.Sprintf("header counts %d entries, holds %d", c, n))
	}
	return n, nil
}

// lpEntry decodes the listpack entry at p, checking its bounds; size excludes the back
// length.
func lpEntry(lp []byte, p int, num *[20]byte) (v []byte, size int, err error) {
	rest := lp[p : len(lp)-1]
	need := func(k int) error {
		if len(rest) < k {
			return errors.New("entry runs past the end")
		}
		return nil
	}
	b := rest[0]
	var ival int64
	switch {
	case b < 0x80:
		return strconv.AppendInt(num[:0], int64(b), 10), 1, nil
	case b&0xC0 == 0x80:
		l := int(b & 0x3F)
		if err := need(1 + l); err != nil {
			return nil, 0, err
		}
		return rest[1 : 1+l], 1 + l, nil
	case b&0xE0 == 0xC0:
		if err := need(2); err != nil {
			return nil, 0, err
		}
		u := int64(b&0x1F)<<8 | int64(rest[1])
		if u >= 1<<12 {
			u -= 1 << 13
		}
		return strconv.AppendInt(num[:0], u, 10), 2, nil
	case b&0xF0 == 0xE0:
		if err := need(2); err != nil {
			return nil, 0, err
		}
		l := int(b&0x0F)<<8 | int(rest[1])
		if err := need(2 + l); err != nil {
			return nil, 0, err
		}
		return rest[2 : 2+l], 2 + l, nil
	case b == 0xF0:
		if err := need(5); err != nil {
			return nil, 0, err
		}
		l := uint64(binary.LittleEndian.Uint32(rest[1:]))
		if uint64(len(rest)) < 5+l {
			return nil, 0, errors.New("entry runs past the end")
		}
		return rest[5 : 5+l], 5 + int(l), nil
	case b == 0xF1:
		size = 3
	case b == 0xF2:
		size = 4
	case b == 0xF3:
		size = 5
	case b == 0xF4:
		size = 9
	default:
		return nil, 0, fmt.Errorf("invalid encoding byte 0x%02x", b)
	}
	if err := need(size); err != nil {
		return nil, 0, err
	}
	switch size {
	case 3:
		ival = int64(int16(binary.LittleEndian.Uint16(rest[1:])))
	case 4:
		u := uint32(rest[1]) | uint32(rest[2])<<8 | uint32(rest[3])<<16
		ival = int64(int32(u<<8) >> 8)
	case 5:
		ival = int64(int32(binary.LittleEndian.Uint32(rest[1:])))
	default:
		ival = int64(binary.LittleEndian.Uint64(rest[1:]))
	}
	return strconv.AppendInt(num[:0], ival, 10), size, nil
}

// backlenSize is the size of a listpack back length l.
func backlenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// appendBacklen appends back length l: the most significant 7-bit group first, each
// later group with the high bit set.
func appendBacklen(dst []byte, l int) []byte {
	k := backlenSize(l)
	dst = append(dst, byte(l>>(7*(k-1))&127))
	for i := k - 2; i >= 0; i-- {
		dst = append(dst, byte(l>>(7*i))&127|128)
	}
	return dst
}

// walkZiplist validates ziplist zl (the packed format of RDB versions before 10) and
// calls fn with each element. It returns the number of elements.
func walkZiplist(zl []byte, fn elemFn) (int, error) {
	bad := func(off int, msg string) (int, error) { return 0, &blobError{"ziplist", off, msg} }
	const header = 10
	if len(zl) < header+1 {
		return bad(0, "shorter than a header")
	}
	if int(binary.LittleEndian.Uint32(zl)) != len(zl) {
		return bad(0, "header size does not match the blob")
	}
	if zl[len(zl)-1] != 0xFF {
		return bad(len(zl)-1, "no terminator")
	}
	tail := int(binary.LittleEndian.Uint32(zl[4:]))
	var num [20]byte
	n, prev, last := 0, 0, header
	p := header
	end := len(zl) - 1
	for p < end {
		// Previous entry's length: one byte, or 0xFE and four bytes.
		var pl, k int
		if zl[p] < 0xFE {
			pl, k = int(zl[p]), 1
		} else if zl[p] == 0xFE && p+5 <= end {
			pl, k = int(binary.LittleEndian.Uint32(zl[p+1:])), 5
		} else {
			return bad(p, "invalid previous-entry length")
		}
		if pl != prev {
			return bad(p, "previous-entry length does not match")
		}
		q := p + k
		if q >= end {
			return bad(q, "entry runs past the end")
		}
		v, size, err := zlValue(zl[q:end], &num)
		if err != nil {
			return bad(q, err.Error())
		}
		if err := fn(v); err != nil {
			return 0, err
		}
		n++
		last = p
		prev = k + size
		p = q + size
	}
	if tail != last {
		return bad(4, "tail offset does not point to the last entry")
	}
	if c := int(binary.LittleEndian.Uint16(zl[8:])); c != 65535 && c != n {
		return bad(8, fmt.Sprintf("header counts %d entries, holds %d", c, n))
	}
	return n, nil
}

// zlValue decodes a ziplist entry's encoding and payload at the start of rest.
func zlValue(rest []byte, num *[20]byte) (v []byte, size int, err error) {
	short := errors.New("entry runs past the end")
	b := rest[0]
	str := func(hdr, l int) ([]byte, int, error) {
		if len(rest) < hdr+l {
			return nil, 0, short
		}
		return rest[hdr : hdr+l], hdr + l, nil
	}
	switch b >> 6 {
	case 0:
		return str(1, int(b&0x3F))
	case 1:
		if len(rest) < 2 {
			return nil, 0, short
		}
		return str(2, int(b&0x3F)<<8|int(rest[1]))
	case 2:
		if b != 0x80 || len(rest) < 5 {
			return nil, 0, errors.New("invalid string encoding")
		}
		l := binary.BigEndian.Uint32(rest[1:])
		if uint64(len(rest)) < 5+uint64(l) {
			return nil, 0, short
		}
		return str(5, int(l))
	}
	var x int64
	switch {
	case b == 0xC0:
		size = 3
	case b == 0xD0:
		size = 5
	case b == 0xE0:
		size = 9
	case b == 0xF0:
		size = 4
	case b == 0xFE:
		size = 2
	case b >= 0xF1 && b <= 0xFD:
		return strconv.AppendInt(num[:0], int64(b&0x0F)-1, 10), 1, nil
	default:
		return nil, 0, fmt.Errorf("invalid encoding byte 0x%02x", b)
	}
	if len(rest) < size {
		return nil, 0, short
	}
	switch size {
	case 2:
		x = int64(int8(rest[1]))
	case 3:
		x = int64(int16(binary.LittleEndian.Uint16(rest[1:])))
	case 4:
		u := uint32(rest[1]) | uint32(rest[2])<<8 | uint32(rest[3])<<16
		x = int64(int32(u<<8) >> 8)
	case 5:
		x = int64(int32(binary.LittleEndian.Uint32(rest[1:])))
	default:
		x = int64(binary.LittleEndian.Uint64(rest[1:]))
	}
	return strconv.AppendInt(num[:0], x, 10), size, nil
}

// walkIntset validates an intset (sorted, distinct integers of 2, 4 or 8 bytes) and
// calls fn with each member.
func walkIntset(is []byte, fn func(v int64) error) (int, error) {
	bad := func(off int, msg string) (int, error) { return 0, &blobError{"intset", off, msg} }
	if len(is) < 8 {
		return bad(0, "shorter than a header")
	}
	w := binary.LittleEndian.Uint32(is)
	if w != 2 && w != 4 && w != 8 {
		return bad(0, fmt.Sprintf("invalid width %d", w))
	}
	n := binary.LittleEndian.Uint32(is[4:])
	if uint64(len(is)-8) != uint64(n)*uint64(w) {
		return bad(4, "length does not match the blob")
	}
	var prev int64
	for i := range int(n) {
		p := 8 + i*int(w)
		var v int64
		switch w {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(is[p:])))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(is[p:])))
		default:
			v = int64(binary.LittleEndian.Uint64(is[p:]))
		}
		if i > 0 && v <= prev {
			return bad(p, "members not sorted or repeated")
		}
		prev = v
		if err := fn(v); err != nil {
			return 0, err
		}
	}
	return int(n), nil
}

// appendIntset encodes sorted distinct members as an intset of the narrowest width.
func appendIntset(dst []byte, ints []int64) []byte {
	w := 2
	for _, v := range ints {
		if v < -1<<31 || v > 1<<31-1 {
			w = 8
			break
		}
		if v < -1<<15 || v > 1<<15-1 {
			w = 4
		}
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(w))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(ints)))
	for _, v := range ints {
		switch w {
		case 2:
			dst = binary.LittleEndian.AppendUint16(dst, uint16(v))
		case 4:
			dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
		default:
			dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
		}
	}
	return dst
}

// walkZipmap validates a zipmap (the hash format of RDB versions before 4) and calls fn
// with each field and value.
func walkZipmap(zm []byte, fn func(f, v []byte) error) (int, error) {
	bad := func(off int, msg string) (int, error) { return 0, &blobError{"zipmap", off, msg} }
	if len(zm) < 2 {
		return bad(0, "shorter than a header")
	}
	p, n := 1, 0
	readLen := func() (int, bool) {
		if p >= len(zm) {
			return 0, false
		}
		switch b := zm[p]; {
		case b < 254:
			p++
			return int(b), true
		case b == 254 && p+5 <= len(zm):
			l := binary.LittleEndian.Uint32(zm[p+1:])
			p += 5
			return int(l), l < 1<<31
		}
		return 0, false
	}
	for {
		if p >= len(zm) {
			return bad(p, "no terminator")
		}
		if zm[p] == 255 {
			if p != len(zm)-1 {
				return bad(p, "bytes after the terminator")
			}
			return n, nil
		}
		kl, ok := readLen()
		if !ok || p+kl > len(zm) {
			return bad(p, "invalid field length")
		}
		f := zm[p : p+kl]
		p += kl
		vl, ok := readLen()
		if !ok || p >= len(zm) {
			return bad(p, "invalid value length")
		}
		free := int(zm[p])
		p++
		if p+vl+free > len(zm) {
			return bad(p, "value runs past the end")
		}
		if err := fn(f, zm[p:p+vl]); err != nil {
			return 0, err
		}
		p += vl + free
		n++
	}
}
