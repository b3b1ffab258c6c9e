package coord

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The struct library of Redis's Lua (Roberto Ierusalimschy's lua_struct 0.2):
// struct.pack(fmt, ...), struct.unpack(fmt, data [, pos]) and struct.size(fmt). Scripts
// use it to read and write binary records kept in strings, so the byte layout, the
// numbers (Lua doubles, as in Redis) and the error texts follow redis-server exactly.
//
// Format characters: '>' and '<' set big and little endian (little by default), '!n'
// the maximum alignment (default 1, '!' alone 8), ' ' is ignored, 'x' a zero byte,
// b/B h/H l/L T i/In I/In signed and unsigned integers of 1, 2, 8, 8 and n bytes
// (default 4, at most 32), f and d a float and a double, 'cn' n bytes of a string ('c0':
// the whole string when packing, a length taken from the previous value when
// unpacking), 's' a zero-terminated string.

const (
	structMaxIntSize = 32
	structMaxAlign   = 8
)

// structFormat walks a format string, keeping the endianness and alignment options.
type structFormat struct {
	L      *lua.LState
	fn     string
	fmt    string
	pos    int
	big    bool
	align  int
	option byte
}

func openStruct(L *lua.LState, g *lua.LTable) {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(structSize))
	g.RawSetString("struct", t)
}

// structArgError raises the message of Lua 5.1's luaL_argerror.
func structArgError(L *lua.LState, fn string, n int, msg string) {
	L.RaiseError("bad argument #%d to '%s' (%s)", n, fn, msg)
}

// structCheckString is luaL_checkstring: a string, or a number converted to one.
func structCheckString(L *lua.LState, fn string, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	structArgError(L, fn, n, "string expected, got "+structTypeName(L, fn, n))
	return ""
}

// structCheckNumber is luaL_checknumber: a number, or a string that reads as one.
func structCheckNumber(L *lua.LState, fn string, n int) float64 {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, err := parseLuaNumber(string(v)); err == nil {
			return f
		}
	}
	structArgError(L, fn, n, "number expected, got "+structTypeName(L, fn, n))
	return 0
}

// structTypeName names the type of argument n for an error. pack pushes a marker after
// its arguments before reading them, so there a missing value reads as nil.
func structTypeName(L *lua.LState, fn string, n int) string {
	if n > L.GetTop() && (fn != "pack" || n == 1) {
		return "no value"
	}
	return L.Get(n).Type().String()
}

// parseLuaNumber reads a numeric string as Lua's tonumber does (decimal or 0x
// hexadecimal, surrounding spaces allowed).
func parseLuaNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if v, err := strconv.ParseInt(s, 0, 64); err == nil {
		return float64(v), nil
	}
	return strconv.ParseFloat(s, 64)
}

func newStructFormat(L *lua.LState, fn string) *structFormat {
	return &structFormat{L: L, fn: fn, fmt: structCheckString(L, fn, 1), align: 1}
}

// next reads the next option and returns its size (0 for options without one), or
// false at the end of the format.
func (f *structFormat) next() (int, bool) {
	if f.pos >= len(f.fmt) {
		return 0, false
	}
	f.option = f.fmt[f.pos]
	f.pos++
	switch f.option {
	case 'b', 'B', 'x':
		return 1, true
	case 'h', 'H':
		return 2, true
	case 'l', 'L', 'T', 'd':
		return 8, true
	case 'f':
		return 4, true
	case 'c':
		return f.number(1), true
	case 'i', 'I':
		n := f.number(4)
		if n > structMaxIntSize {
			f.L.RaiseError("integral size %d is larger than limit of %d", n, structMaxIntSize)
		}
		return n, true
	}
	return 0, true
}

// number reads the optional count after an option.
func (f *structFormat) number(def int) int {
	if f.pos >= len(f.fmt) || !isDigit(f.fmt[f.pos]) {
		return def
	}
	a := 0
	for f.pos < len(f.fmt) && isDigit(f.fmt[f.pos]) {
		d := int(f.fmt[f.pos] - '0')
		if a > math.MaxInt32/10 || a*10 > math.MaxInt32-d {
			f.L.RaiseError("integral size overflow")
		}
		a = a*10 + d
		f.pos++
	}
	return a
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// padding is how many zero bytes align an option of size at offset n.
func (f *structFormat) padding(n, size int) int {
	if size == 0 || f.option == 'c' {
		return 0
	}
	a := min(size, f.align) // a power of 2: '!' accepts nothing else
	return (a - n&(a-1)) & (a - 1)
}

// control applies an option that is not a value: endianness, alignment, a space.
func (f *structFormat) control() {
	switch f.option {
	case ' ':
	case '>':
		f.big = true
	case '<':
		f.big = false
	case '!':
		a := f.number(structMaxAlign)
		if a == 0 || a&(a-1) != 0 {
			f.L.RaiseError("alignment %d is not a power of 2", a)
		}
		f.align = a
	default:
		structArgError(f.L, f.fn, 1, "invalid format option '"+string(f.option)+"'")
	}
}

// putInt appends n as a size-byte integer. Like lua_struct, a negative number goes
// through int64 and bytes beyond the eighth are zero.
func (f *structFormat) putInt(dst []byte, n float64, size int) []byte {
	if n < 0 {
		return f.putBits(dst, uint64(int64(n)), size)
	}
	return f.putBits(dst, uint64(n), size)
}

// putBits appends the low size bytes of v (zeros beyond the eighth) in f's byte order.
func (f *structFormat) putBits(dst []byte, v uint64, size int) []byte {
	start := len(dst)
	for i := 0; i < size; i++ {
		dst = append(dst, byte(v))
		v >>= 8
	}
	if f.big {
		b := dst[start:]
		for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
	}
	return dst
}

func (f *structFormat) getInt(p []byte, signed bool) float64 {
	var v uint64
	for i := range p {
		b := p[len(p)-1-i]
		if f.big {
			b = p[i]
		}
		v = v<<8 | uint64(b)
	}
	if !signed {
		return float64(v)
	}
	if bits := len(p) * 8; bits > 0 && bits < 64 && v&(1<<(bits-1)) != 0 {
		v |= ^uint64(0) << (bits - 1)
	}
	return float64(int64(v))
}

func (f *structFormat) order() binary.ByteOrder {
	if f.big {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// struct.pack(fmt, v1, v2, ...)
func structPack(L *lua.LState) int {
	f := newStructFormat(L, "pack")
	arg := 2
	var out []byte
	for {
		size, ok := f.next()
		if !ok {
			break
		}
		for pad := f.padding(len(out), size); pad > 0; pad-- {
			out = append(out, 0)
		}
		switch f.option {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			out = f.putInt(out, structCheckNumber(L, "pack", arg), size)
			arg++
		case 'x':
			out = append(out, 0)
		case 'f':
			out = f.putBits(out, uint64(math.Float32bits(float32(structCheckNumber(L, "pack", arg)))), 4)
			arg++
		case 'd':
			out = f.putBits(out, math.Float64bits(structCheckNumber(L, "pack", arg)), 8)
			arg++
		case 'c', 's':
			s := structCheckString(L, "pack", arg)
			arg++
			if size == 0 {
				size = len(s)
			}
			if len(s) < size {
				// lua_struct reports the argument after the string.
				structArgError(L, "pack", arg, "string too short")
			}
			out = append(out, s[:size]...)
			if f.option == 's' {
				out = append(out, 0)
			}
		default:
			f.control()
		}
	}
	L.Push(lua.LString(out))
	return 1
}

// struct.unpack(fmt, data [, pos]): the values, then the position after them.
func structUnpack(L *lua.LState) int {
	f := newStructFormat(L, "unpack")
	data := structCheckString(L, "unpack", 2)
	pos := 1
	if L.GetTop() >= 3 && L.Get(3) != lua.LNil {
		pos = int(structCheckNumber(L, "unpack", 3))
	}
	if pos <= 0 {
		structArgError(L, "unpack", 3, "offset must be 1 or greater")
	}
	pos--
	var vals []lua.LValue
	short := func(size int) {
		if size > len(data) || pos > len(data)-size {
			structArgError(L, "unpack", 2, "data string too short")
		}
	}
	for {
		size, ok := f.next()
		if !ok {
			break
		}
		pos += f.padding(pos, size)
		short(size)
		switch f.option {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			signed := f.option >= 'a'
			vals = append(vals, lua.LNumber(f.getInt([]byte(data[pos:pos+size]), signed)))
		case 'x':
		case 'f':
			vals = append(vals, lua.LNumber(math.Float32frombits(f.order().Uint32([]byte(data[pos:pos+4])))))
		case 'd':
			vals = append(vals, lua.LNumber(math.Float64frombits(f.order().Uint64([]byte(data[pos:pos+8])))))
		case 'c':
			if size == 0 {
				var prev lua.LNumber
				ok := len(vals) > 0
				if ok {
					prev, ok = structToNumber(vals[len(vals)-1])
				}
				if !ok {
					L.RaiseError("format 'c0' needs a previous size")
				}
				size = int(prev)
				vals = vals[:len(vals)-1]
				short(size)
			}
			vals = append(vals, lua.LString(data[pos:pos+size]))
		case 's':
			end := strings.IndexByte(data[pos:], 0)
			if end < 0 {
				L.RaiseError("unfinished string in data")
			}
			vals = append(vals, lua.LString(data[pos:pos+end]))
			size = end + 1
		default:
			f.control()
		}
		pos += size
	}
	for _, v := range vals {
		L.Push(v)
	}
	L.Push(lua.LNumber(pos + 1))
	return len(vals) + 1
}

// structToNumber is lua_isnumber/lua_tonumber: a number or a numeric string.
func structToNumber(v lua.LValue) (lua.LNumber, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return v, true
	case lua.LString:
		n, err := parseLuaNumber(string(v))
		return lua.LNumber(n), err == nil
	}
	return 0, false
}

// struct.size(fmt): the bytes a format packs to; 's' and 'c0' have no fixed size.
func structSize(L *lua.LState) int {
	f := newStructFormat(L, "size")
	pos := 0
	for {
		size, ok := f.next()
		if !ok {
			break
		}
		pos += f.padding(pos, size)
		if f.option == 's' {
			structArgError(L, "size", 1, "option 's' has no fixed size")
		} else if f.option == 'c' && size == 0 {
			structArgError(L, "size", 1, "option 'c0' has no fixed size")
		}
		if !isAlnum(f.option) {
			f.control()
		}
		pos += size
	}
	L.Push(lua.LNumber(pos))
	return 1
}

func isAlnum(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
