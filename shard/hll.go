package shard

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/basaltdb/basalt/proto"
)

// HyperLogLog commands. An HLL is an ordinary string value whose bytes are Redis's own
// representation, so that GET, SET, DUMP-like copies and replication move it between
// Basalt and redis-server unchanged and PFCOUNT gives the same numbers on both sides:
//
//	"HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes | cached cardinality (8 bytes LE)
//
// The top bit of the last cardinality byte marks the cache stale. A dense HLL is followed
// by 16384 registers of 6 bits packed from the least significant bit of each byte up
// (12288 bytes). A sparse HLL is followed by run-length opcodes:
//
//	ZERO  00xxxxxx           xxxxxx+1 (1..64) registers are 0
//	XZERO 01xxxxxx yyyyyyyy  xxxxxxyyyyyyyy+1 (1..16384) registers are 0
//	VAL   1vvvvvxx           xx+1 (1..4) registers hold vvvvv+1 (1..32)
//
// A sparse HLL becomes dense when a register needs a value above 32 or when it would
// grow beyond hll-sparse-max-bytes. Where the representation is corrupt, the operations
// below do exactly what redis-server does with the same bytes (including the partial
// updates it leaves behind), bounded to the string so that no input can crash us.

func init() {
	register("pfadd", pfaddCommand)
	register("pfcount", pfcountCommand)
	register("pfmerge", pfmergeCommand)
	register("pfdebug", pfdebugCommand)
	register("pfselftest", pfselftestCommand)
}

// Geometry of Redis's HLL: 2^14 registers of 6 bits; a hash leaves 50 bits to count
// trailing zeros in.
const (
	hllP          = 14
	hllQ          = 64 - hllP
	hllRegisters  = 1 << hllP
	hllRegMask    = hllRegisters - 1
	hllBits       = 6
	hllRegMax     = 1<<hllBits - 1
	hllHeaderSize = 16
	hllDenseSize  = hllHeaderSize + (hllRegisters*hllBits+7)/8
	hllSeed       = 0xadc83b19

	hllEncDense  = 0
	hllEncSparse = 1
	// hllEncOffset is the position of the encoding byte, hllCardOffset that of the
	// cached cardinality.
	hllEncOffset  = 4
	hllCardOffset = 8
	hllStaleBit   = 0x80

	// The largest value and run a VAL opcode holds, and the longest ZERO run (longer
	// zero runs take an XZERO).
	sparseValMax     = 32
	sparseValMaxLen  = 4
	sparseZeroMaxLen = 64
)

// HyperLogLog errors, in redis-server's words.
const (
	errHLLInvalid   = "INVALIDOBJ Corrupted HLL object detected"
	errHLLNotHLL    = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errHLLNoKey     = "ERR The specified key does not exist"
	errHLLNotSparse = "ERR HLL encoding is not sparse"
)

// murmur64A is MurmurHash64A, the hash Redis feeds HLLs with; the byte order of its
// 8-byte blocks is little-endian, as on the machines Redis runs on.
func murmur64A(data []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ uint64(len(data))*m
	for len(data) >= 8 {
		k := binary.LittleEndian.Uint64(data)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		data = data[8:]
	}
	if len(data) > 0 {
		for i := len(data) - 1; i >= 0; i-- {
			h ^= uint64(data[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPosition returns the register an element goes to and the value it proposes: one
// more than the number of trailing zeros in the rest of its hash, at most hllQ+1.
func hllPosition(ele []byte) (index int, count uint8) {
	h := murmur64A(ele, hllSeed)
	index = int(h & hllRegMask)
	h >>= hllP
	h |= 1 << hllQ
	return index, uint8(bits.TrailingZeros64(h) + 1)
}

// denseGet reads register i of a dense register array.
func denseGet(regs []byte, i int) uint8 {
	bit := i * hllBits
	b, shift := bit/8, uint(bit%8)
	v := uint(regs[b]) >> shift
	if b+1 < len(regs) {
		v |= uint(regs[b+1]) << (8 - shift)
	}
	return uint8(v & hllRegMax)
}

// denseSet writes register i of a dense register array.
func denseSet(regs []byte, i int, v uint8) {
	bit := i * hllBits
	b, shift := bit/8, uint(bit%8)
	regs[b] = regs[b]&^byte(hllRegMax<<shift) | v<<shift
	if b+1 < len(regs) {
		regs[b+1] = regs[b+1]&^byte(hllRegMax>>(8-shift)) | v>>(8-shift)
	}
}

// denseGroup decodes the four registers packed in three bytes of a dense array; the
// register array is exactly 4096 such groups. Bulk readers (PFCOUNT, PFMERGE) use it
// rather than denseGet, which costs several times more per register.
func denseGroup(b []byte) (r0, r1, r2, r3 uint8) {
	_ = b[2]
	return b[0] & hllRegMax, (b[0]>>6 | b[1]<<2) & hllRegMax, (b[1]>>4 | b[2]<<4) & hllRegMax, b[2] >> 2
}

// denseRaise raises register i to v when it is lower, reporting whether it changed.
func denseRaise(regs []byte, i int, v uint8) bool {
	if denseGet(regs, i) >= v {
		return false
	}
	denseSet(regs, i, v)
	return true
}

// isHLL reports whether a string value passes Redis's HLL check: the magic, a known
// encoding and, for dense, the exact size. Sparse opcodes are checked only when used.
func isHLL(v []byte) bool {
	if len(v) < hllHeaderSize || string(v[:4]) != "HYLL" || v[hllEncOffset] > hllEncSparse {
		return false
	}
	return v[hllEncOffset] != hllEncDense || len(v) == hllDenseSize
}

// newHLL returns an empty HLL as PFADD creates it: sparse, one XZERO opcode covering
// every register, cached cardinality 0.
func newHLL() []byte {
	v := make([]byte, hllHeaderSize+2, hllHeaderSize+64)
	copy(v, "HYLL")
	v[hllEncOffset] = hllEncSparse
	putXZero(v[hllHeaderSize:], hllRegisters)
	return v
}

func invalidateCard(v []byte) { v[hllCardOffset+7] |= hllStaleBit }

// cachedCard returns the cached cardinality, if it is valid.
func cachedCard(v []byte) (uint64, bool) {
	c := binary.LittleEndian.Uint64(v[hllCardOffset:])
	return c, c>>63 == 0
}

// Sparse opcodes. A second XZERO byte past the end of the string reads as 0, as the
// terminating NUL does in Redis.
func isZero(op byte) bool  { return op&0xc0 == 0 }
func isXZero(op byte) bool { return op&0xc0 == 0x40 }
func isVal(op byte) bool   { return op&0x80 != 0 }
func valValue(op byte) int { return int(op>>2&0x1f) + 1 }
func valLen(op byte) int   { return int(op&3) + 1 }
func zeroLen(op byte) int  { return int(op&0x3f) + 1 }

func xzeroLen(v []byte, p int) int {
	n := int(v[p]&0x3f) << 8
	if p+1 < len(v) {
		n |= int(v[p+1])
	}
	return n + 1
}

// sparseOp decodes the opcode at p: the registers it covers, their value and its size.
func sparseOp(v []byte, p int) (span, value, size int) {
	switch op := v[p]; {
	case isZero(op):
		return zeroLen(op), 0, 1
	case isVal(op):
		return valLen(op), valValue(op), 1
	default:
		return xzeroLen(v, p), 0, 2
	}
}

func valOp(value, n int) byte { return byte(0x80 | (value-1)<<2 | (n - 1)) }

func putXZero(dst []byte, n int) {
	dst[0] = byte(0x40 | (n-1)>>8)
	dst[1] = byte(n - 1)
}

// putZeros writes the shortest opcode for a run of n zero registers and returns its size.
func putZeros(dst []byte, n int) int {
	if n > sparseZeroMaxLen {
		putXZero(dst, n)
		return 2
	}
	dst[0] = byte(n - 1)
	return 1
}

// sparseToDense returns the dense form of a sparse HLL, keeping its header (cached
// cardinality and unused bytes included). ok is false when the opcodes do not describe
// exactly hllRegisters registers; a run past the last register fails at once (as in
// redis-server since the fix for CVE-2025-32023, which 7.0.15 as Debian ships has). A
// dense HLL is returned as is.
func sparseToDense(v []byte) (dense []byte, ok bool) {
	if v[hllEncOffset] == hllEncDense {
		return v, true
	}
	dense = make([]byte, hllDenseSize)
	copy(dense, v[:hllHeaderSize])
	dense[hllEncOffset] = hllEncDense
	regs := dense[hllHeaderSize:]
	idx := 0
	for p := hllHeaderSize; p < len(v); {
		span, value, size := sparseOp(v, p)
		p += size
		if value == 0 {
			idx += span
			continue
		}
		if idx+span > hllRegisters {
			return dense, false
		}
		for range span {
			denseSet(regs, idx, uint8(value))
			idx++
		}
	}
	return dense, idx == hllRegisters
}

// sparseSet raises register index of a sparse HLL to count, rewriting the opcode that
// covers it in place (splitting a run into at most three opcodes, then merging equal
// neighbouring VAL opcodes), or promoting the HLL to dense when count does not fit the
// sparse form or the string would outgrow maxBytes. It returns the HLL (which may be a
// new slice) and 1 when the register changed, 0 when it already held count or more,
// -1 when the representation is corrupt.
func sparseSet(v []byte, index int, count uint8, maxBytes int64) ([]byte, int) {
	if count > sparseValMax {
		return promoteSet(v, index, count)
	}
	// Find the opcode covering index.
	end := len(v)
	p, prev, first, span := hllHeaderSize, -1, 0, 0
	for p < end {
		var size int
		span, _, size = sparseOp(v, p)
		if index <= first+span-1 {
			break
		}
		prev = p
		p += size
		first += span
	}
	if p >= end {
		return v, -1 // the opcodes cover fewer registers
	}
	op := v[p]
	oldSize := 1
	if isXZero(op) {
		oldSize = 2
	}
	next := p + oldSize
	if next >= end {
		next = -1
	}
	switch {
	case isVal(op) && valValue(op) >= int(count):
		return v, 0
	case isVal(op) && span == 1, isZero(op) && span == 1:
		v[p] = valOp(int(count), 1)
		return mergeVals(v, prev), 1
	}

	// Split the run into [before] VAL(count) [after].
	var seq [5]byte
	n := 0
	last := first + span - 1
	if isVal(op) {
		cur := valValue(op)
		if index != first {
			seq[n] = valOp(cur, index-first)
			n++
		}
		seq[n] = valOp(int(count), 1)
		n++
		if index != last {
			seq[n] = valOp(cur, last-index)
			n++
		}
	} else {
		if index != first {
			n += putZeros(seq[n:], index-first)
		}
		seq[n] = valOp(int(count), 1)
		n++
		if index != last {
			n += putZeros(seq[n:], last-index)
		}
	}
	delta := n - oldSize
	if delta > 0 && int64(len(v)+delta) > maxBytes {
		return promoteSet(v, index, count)
	}
	switch {
	case delta > 0:
		v = append(v, make([]byte, delta)...)
		if next >= 0 {
			copy(v[next+delta:], v[next:end])
		}
	case delta < 0:
		if next >= 0 {
			copy(v[next+delta:], v[next:end])
		}
		v = v[:end+delta]
	}
	copy(v[p:], seq[:n])
	return mergeVals(v, prev), 1
}

// mergeVals is the last step of sparseSet: it joins neighbouring VAL opcodes of equal
// value whose runs fit one opcode, scanning at most five opcodes from the one before the
// change, and marks the cached cardinality stale.
func mergeVals(v []byte, prev int) []byte {
	p := prev
	if p < 0 {
		p = hllHeaderSize
	}
	for scan := 5; p < len(v) && scan > 0; {
		scan--
		op := v[p]
		switch {
		case isXZero(op):
			p += 2
			continue
		case isZero(op):
			p++
			continue
		}
		if p+1 < len(v) && isVal(v[p+1]) && valValue(op) == valValue(v[p+1]) {
			if n := valLen(op) + valLen(v[p+1]); n <= sparseValMaxLen {
				v[p+1] = valOp(valValue(op), n)
				copy(v[p:], v[p+1:])
				v = v[:len(v)-1]
				continue
			}
		}
		p++
	}
	invalidateCard(v)
	return v
}

// promoteSet converts a sparse HLL to dense and sets register index there.
func promoteSet(v []byte, index int, count uint8) ([]byte, int) {
	dense, ok := sparseToDense(v)
	if !ok {
		return v, -1
	}
	denseSet(dense[hllHeaderSize:], index, count)
	return dense, 1
}

// hllAdd adds one element, with sparseSet's results.
func hllAdd(v, ele []byte, maxBytes int64) ([]byte, int) {
	index, count := hllPosition(ele)
	if v[hllEncOffset] == hllEncDense {
		if denseRaise(v[hllHeaderSize:], index, count) {
			return v, 1
		}
		return v, 0
	}
	return sparseSet(v, index, count, maxBytes)
}

// hllHistogram counts registers by value. ok is false for a sparse HLL whose opcodes do
// not cover exactly hllRegisters registers.
func hllHistogram(v []byte, histo *[64]int) (ok bool) {
	if v[hllEncOffset] == hllEncDense {
		for regs := v[hllHeaderSize:]; len(regs) >= 3; regs = regs[3:] {
			r0, r1, r2, r3 := denseGroup(regs)
			histo[r0]++
			histo[r1]++
			histo[r2]++
			histo[r3]++
		}
		return true
	}
	idx := 0
	for p := hllHeaderSize; p < len(v); {
		span, value, size := sparseOp(v, p)
		histo[value] += span
		idx += span
		p += size
	}
	return idx == hllRegisters
}

// hllEstimate is Ertl's improved estimator ("New cardinality estimation algorithms for
// HyperLogLog sketches", 2017) over a register histogram, as Redis computes it since 5.0.
// Registers above hllQ+1 cannot come from a hash and are ignored.
func hllEstimate(histo *[64]int) uint64 {
	const m = float64(hllRegisters)
	const alphaInf = 0.721347520444481703680 // 1 / (2 ln 2)
	z := m * hllTau((m-float64(histo[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += m * hllSigma(float64(histo[0])/m)
	e := math.Round(alphaInf * m * m / z)
	if !(e < 1<<63) {
		// Only impossible registers (every one above hllQ) get here, with z = 0. Redis's
		// llroundl then answers the x86 "integer indefinite", 1<<63, which also reads as
		// a stale cache; Go's float conversion would give another value.
		return 1 << 63
	}
	return uint64(e)
}

// hllSigma and hllTau are the series of Ertl's estimator for the registers that are 0
// and that reached the maximum; both iterate until the sum stops changing.
func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		z += x * y
		y += y
		if z == prev {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		z -= math.Pow(1-x, 2) * y
		if z == prev {
			return z / 3
		}
	}
}

// HLLUnion is the register-wise maximum of several HLLs, which PFCOUNT of several keys
// and PFMERGE compute. It is plain data (16 KB): the coordinator fills one on the
// client's loop from copies of the values and hands it to the destination's shard.
type HLLUnion struct {
	regs [hllRegisters]uint8
	// dense is set when any input was dense: PFMERGE then writes a dense destination.
	dense bool
}

var unionPool = sync.Pool{New: func() any { return new(HLLUnion) }}

// NewHLLUnion returns an empty union from a pool; Release gives it back.
func NewHLLUnion() *HLLUnion { return unionPool.Get().(*HLLUnion) }

// Release resets u and returns it to the pool. u must not be used afterwards.
func (u *HLLUnion) Release() {
	*u = HLLUnion{}
	unionPool.Put(u)
}

// Add merges one key's value into u, given as StringValue reports it: exists is false
// for a missing key (an empty HLL), wrongType true for a value of another type. It
// returns the error reply the key deserves, or "".
func (u *HLLUnion) Add(val []byte, exists, wrongType bool) string {
	switch {
	case !exists:
		return ""
	case wrongType:
		return proto.ErrWrongType
	case !isHLL(val):
		return errHLLNotHLL
	}
	if val[hllEncOffset] == hllEncDense {
		u.dense = true
		regs := val[hllHeaderSize:]
		for i := 0; i < hllRegisters; i, regs = i+4, regs[3:] {
			r0, r1, r2, r3 := denseGroup(regs)
			u.regs[i] = max(u.regs[i], r0)
			u.regs[i+1] = max(u.regs[i+1], r1)
			u.regs[i+2] = max(u.regs[i+2], r2)
			u.regs[i+3] = max(u.regs[i+3], r3)
		}
		return ""
	}
	i := 0
	for p := hllHeaderSize; p < len(val); {
		span, value, size := sparseOp(val, p)
		p += size
		if value == 0 {
			i += span
			continue
		}
		if i+span > hllRegisters {
			return errHLLInvalid
		}
		for range span {
			u.regs[i] = max(u.regs[i], uint8(value))
			i++
		}
	}
	if i != hllRegisters {
		return errHLLInvalid
	}
	return ""
}

// Count returns the estimated cardinality of the union.
func (u *HLLUnion) Count() int64 {
	var histo [64]int
	for _, r := range u.regs {
		histo[r]++
	}
	return int64(hllEstimate(&histo))
}

// HLLStore is PFMERGE's last step on the destination's shard: it raises dst's registers
// to the union's (creating dst as an empty sparse HLL when missing, converting it to
// dense when any input was dense) and marks its cached cardinality stale. dst was
// checked as one of the inputs, so it is missing or a valid HLL. It returns an error
// reply or "".
func (s *Shard) HLLStore(dst []byte, u *HLLUnion) string {
	e, found := s.write(dst)
	if !found {
		s.put(dst, Object{Type: TypeString, Flags: flagRaw, Str: newHLL()})
		e, _ = s.write(dst)
	}
	e.Flags = flagRaw
	v := e.Str
	if u.dense {
		var ok bool
		if v, ok = sparseToDense(v); !ok {
			return errHLLInvalid
		}
	}
	maxBytes := s.Settings.HLLSparseMaxBytes.Load()
	for i, r := range u.regs {
		if r == 0 {
			continue
		}
		if v[hllEncOffset] == hllEncDense {
			denseRaise(v[hllHeaderSize:], i, r)
		} else {
			v, _ = sparseSet(v, i, r, maxBytes)
		}
	}
	invalidateCard(v)
	e.Str = v
	s.dirty++
	s.notify(NotifyString, "pfadd", dst)
	return ""
}

// PFADD key [element ...]
func pfaddCommand(s *Shard, a Args, w *proto.Writer) {
	e, ok := s.writeString(a[1], w)
	if !ok {
		return
	}
	updated := 0
	var v []byte
	if e == nil {
		v = newHLL()
		updated++
	} else {
		if !isHLL(e.Str) {
			w.Error(errHLLNotHLL)
			return
		}
		e.Flags = flagRaw
		v = e.Str
	}
	maxBytes := s.Settings.HLLSparseMaxBytes.Load()
	failed := false
	for _, ele := range a[2:] {
		var r int
		v, r = hllAdd(v, ele, maxBytes)
		if r < 0 {
			// Like Redis, keep what the earlier elements changed, without counting it.
			failed = true
			break
		}
		updated += r
	}
	if !failed && updated > 0 {
		invalidateCard(v)
		s.dirty += int64(updated)
	}
	if e == nil {
		s.put(a[1], Object{Type: TypeString, Flags: flagRaw, Str: v})
	} else {
		e.Str = v
	}
	if !failed && updated > 0 {
		s.notify(NotifyString, "pfadd", a[1])
	}
	switch {
	case failed:
		w.Error(errHLLInvalid)
	case updated > 0:
		w.Int(1)
	default:
		w.Int(0)
	}
}

// PFCOUNT key [key ...]
//
// With one key the estimate is cached in the value, which makes this read a write. With
// several (here all on this shard) it is the estimate of their union, not cached.
func pfcountCommand(s *Shard, a Args, w *proto.Writer) {
	if len(a) > 2 {
		u := NewHLLUnion()
		defer u.Release()
		for _, key := range a[1:] {
			if msg := s.addToUnion(u, key); msg != "" {
				w.Error(msg)
				return
			}
		}
		w.Int(u.Count())
		return
	}
	e, found := s.read(a[1])
	switch {
	case !found:
		w.Int(0)
		return
	case e.Type != TypeString:
		w.Error(proto.ErrWrongType)
		return
	case !isHLL(e.Str):
		w.Error(errHLLNotHLL)
		return
	}
	e.Flags = flagRaw
	card, ok := cachedCard(e.Str)
	if !ok {
		var histo [64]int
		if !hllHistogram(e.Str, &histo) {
			w.Error(errHLLInvalid)
			return
		}
		card = hllEstimate(&histo)
		binary.LittleEndian.PutUint64(e.Str[hllCardOffset:], card)
		s.dirty++
	}
	w.Int(int64(card))
}

// addToUnion merges key's value into u and returns the error reply it deserves, or "".
func (s *Shard) addToUnion(u *HLLUnion, key []byte) string {
	e, found := s.read(key)
	if !found {
		return ""
	}
	return u.Add(e.Str, true, e.Type != TypeString)
}

// PFMERGE destkey [sourcekey ...]
//
// The destination is an input too, so PFMERGE dest alone creates an empty HLL.
func pfmergeCommand(s *Shard, a Args, w *proto.Writer) {
	u := NewHLLUnion()
	defer u.Release()
	for _, key := range a[1:] {
		if msg := s.addToUnion(u, key); msg != "" {
			w.Error(msg)
			return
		}
	}
	if msg := s.HLLStore(a[1], u); msg != "" {
		w.Error(msg)
		return
	}
	w.OK()
}

// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
func pfdebugCommand(s *Shard, a Args, w *proto.Writer) {
	e, found := s.write(a[2])
	switch {
	case !found:
		w.Error(errHLLNoKey)
		return
	case e.Type != TypeString:
		w.Error(proto.ErrWrongType)
		return
	case !isHLL(e.Str):
		w.Error(errHLLNotHLL)
		return
	}
	e.Flags = flagRaw
	switch sub := a[1]; {
	case eqFold(sub, "getreg"):
		if e.Str[hllEncOffset] == hllEncSparse {
			dense, ok := sparseToDense(e.Str)
			if !ok {
				w.Error(errHLLInvalid)
				return
			}
			e.Str = dense
			s.dirty++
		}
		regs := e.Str[hllHeaderSize:]
		w.Array(hllRegisters)
		for i := range hllRegisters {
			w.Int(int64(denseGet(regs, i)))
		}
	case eqFold(sub, "decode"):
		if e.Str[hllEncOffset] != hllEncSparse {
			w.Error(errHLLNotSparse)
			return
		}
		w.BulkString(decodeSparse(e.Str))
	case eqFold(sub, "encoding"):
		if e.Str[hllEncOffset] == hllEncDense {
			w.Simple("dense")
		} else {
			w.Simple("sparse")
		}
	case eqFold(sub, "todense"):
		if e.Str[hllEncOffset] != hllEncSparse {
			w.Int(0)
			return
		}
		dense, ok := sparseToDense(e.Str)
		if !ok {
			w.Error(errHLLInvalid)
			return
		}
		e.Str = dense
		s.dirty++
		w.Int(1)
	default:
		w.Error(fmt.Sprintf("ERR Unknown PFDEBUG subcommand '%s'", sub))
	}
}

// decodeSparse spells a sparse HLL's opcodes as PFDEBUG DECODE does: "z:len" for ZERO,
// "Z:len" for XZERO, "v:value,len" for VAL, separated by spaces.
func decodeSparse(v []byte) string {
	var b strings.Builder
	for p := hllHeaderSize; p < len(v); {
		span, value, size := sparseOp(v, p)
		switch {
		case isZero(v[p]):
			fmt.Fprintf(&b, "z:%d ", span)
		case isXZero(v[p]):
			fmt.Fprintf(&b, "Z:%d ", span)
		default:
			fmt.Fprintf(&b, "v:%d,%d ", value, span)
		}
		p += size
	}
	return strings.TrimRight(b.String(), " ")
}

// PFSELFTEST
//
// Checks this implementation from the inside: register packing, sparse and dense
// representations agreeing on every register and estimate, and the estimate's error
// staying within bounds.
func pfselftestCommand(_ *Shard, _ Args, w *proto.Writer) {
	if msg := hllSelfTest(); msg != "" {
		w.Error(msg)
		return
	}
	w.OK()
}

// hllSelfTest returns "" when every check passes, else an error reply.
func hllSelfTest() string {
	rng := rand.New(rand.NewPCG(1, 2))
	regs := make([]byte, hllDenseSize-hllHeaderSize)
	want := make([]uint8, hllRegisters)
	for range 20 {
		for i := range want {
			want[i] = uint8(rng.IntN(hllRegMax + 1))
			denseSet(regs, i, want[i])
		}
		for i := range want {
			if got := denseGet(regs, i); got != want[i] {
				return fmt.Sprintf("ERR TESTFAILED Register error at %d: got %d, want %d", i, got, want[i])
			}
		}
	}
	// The sparse copy follows the dense one while it is small (its updates cost O(size)).
	const sparseUpTo = 3000
	sparse, dense := newHLL(), newHLL()
	dense, _ = sparseToDense(dense)
	var ele [8]byte
	for n := uint64(1); n <= 100_000; n++ {
		binary.LittleEndian.PutUint64(ele[:], rng.Uint64())
		dense, _ = hllAdd(dense, ele[:], math.MaxInt64)
		if n <= sparseUpTo {
			sparse, _ = hllAdd(sparse, ele[:], math.MaxInt64)
		}
		if n&(n-1) != 0 && n%10_000 != 0 {
			continue
		}
		var hs, hd [64]int
		if !hllHistogram(dense, &hd) {
			return "ERR TESTFAILED dense histogram"
		}
		if n <= sparseUpTo && (!hllHistogram(sparse, &hs) || hs != hd) {
			return fmt.Sprintf("ERR TESTFAILED sparse and dense representations differ after %d elements", n)
		}
		est := float64(hllEstimate(&hd))
		// 5 standard errors of 1.04/sqrt(m), and at least 1 for tiny sets.
		if tol := max(5*1.04/math.Sqrt(hllRegisters)*float64(n), 1); math.Abs(est-float64(n)) > tol {
			return fmt.Sprintf("ERR TESTFAILED Too big error. card:%d abserr:%f", n, math.Abs(est-float64(n)))
		}
	}
	return ""
}
