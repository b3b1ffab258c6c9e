package coord

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The libraries Redis scripts expect beside Lua's own: bit (LuaBitOp), cjson and
// cmsgpack. No maintained gopher-lua module implements them with Redis's behaviour
// (cjson's number format and empty-table rule, LuaBitOp's 32-bit semantics), so they
// are ours, small, and follow the behaviour of the C modules Redis embeds.

// openBit installs the bit table: 32-bit operations on numbers, results as signed
// 32-bit integers.
func openBit(L *lua.LState, g *lua.LTable) {
	b := L.NewTable()
	toBit := func(L *lua.LState, i int) int32 {
		f := float64(L.CheckNumber(i))
		// LuaBitOp normalises through a 2^52+2^51 bias: the value modulo 2^32.
		return int32(uint32(int64(math.Floor(f+0.5)) & 0xffffffff))
	}
	fold := func(op func(a, b int32) int32) lua.LGFunction {
		return func(L *lua.LState) int {
			acc := toBit(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				acc = op(acc, toBit(L, i))
			}
			L.Push(lua.LNumber(acc))
			return 1
		}
	}
	shift := func(op func(a int32, n uint) int32) lua.LGFunction {
		return func(L *lua.LState) int {
			L.Push(lua.LNumber(op(toBit(L, 1), uint(toBit(L, 2))&31)))
			return 1
		}
	}
	fns := map[string]lua.LGFunction{
		"tobit":   func(L *lua.LState) int { L.Push(lua.LNumber(toBit(L, 1))); return 1 },
		"bnot":    func(L *lua.LState) int { L.Push(lua.LNumber(^toBit(L, 1))); return 1 },
		"band":    fold(func(a, b int32) int32 { return a & b }),
		"bor":     fold(func(a, b int32) int32 { return a | b }),
		"bxor":    fold(func(a, b int32) int32 { return a ^ b }),
		"lshift":  shift(func(a int32, n uint) int32 { return int32(uint32(a) << n) }),
		"rshift":  shift(func(a int32, n uint) int32 { return int32(uint32(a) >> n) }),
		"arshift": shift(func(a int32, n uint) int32 { return a >> n }),
		"rol": shift(func(a int32, n uint) int32 {
			return int32(uint32(a)<<n | uint32(a)>>((32-n)&31))
		}),
		"ror": shift(func(a int32, n uint) int32 {
			return int32(uint32(a)>>n | uint32(a)<<((32-n)&31))
		}),
		"bswap": func(L *lua.LState) int {
			v := uint32(toBit(L, 1))
			L.Push(lua.LNumber(int32(v>>24 | v>>8&0xff00 | v<<8&0xff0000 | v<<24)))
			return 1
		},
		"tohex": func(L *lua.LState) int {
			v := toBit(L, 1)
			n := 8
			if L.GetTop() >= 2 {
				n = int(toBit(L, 2))
			}
			digits := "0123456789abcdef"
			if n < 0 {
				n, digits = -n, "0123456789ABCDEF"
			}
			n = min(n, 8)
			out := make([]byte, n)
			u := uint32(v)
			for i := n - 1; i >= 0; i-- {
				out[i] = digits[u&15]
				u >>= 4
			}
			L.Push(lua.LString(out))
			return 1
		},
	}
	for name, fn := range fns {
		b.RawSetString(name, L.NewFunction(fn))
	}
	g.RawSetString("bit", b)
}

// openJSON installs cjson: encode, decode and null.
func (vm *luaVM) openJSON(g *lua.LTable) {
	L := vm.L
	vm.jsonNull = L.NewUserData()
	t := L.NewTable()
	t.RawSetString("null", vm.jsonNull)
	t.RawSetString("encode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.ArgError(1, "expected 1 argument")
		}
		var buf bytes.Buffer
		if msg := vm.encodeJSON(&buf, L.Get(1), 0); msg != "" {
			L.RaiseError("%s", msg)
		}
		L.Push(lua.LString(buf.String()))
		return 1
	}))
	t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			L.RaiseError("Expected value but found invalid token at character 1")
		}
		if dec.More() {
			L.RaiseError("Expected the end but found invalid token")
		}
		L.Push(vm.jsonToLua(v))
		return 1
	}))
	g.RawSetString("cjson", t)
}

// encodeJSON writes v as cjson does: numbers with 14 significant digits, arrays for
// tables whose keys are 1..n, objects otherwise, an empty table as {}.
func (vm *luaVM) encodeJSON(buf *bytes.Buffer, v lua.LValue, depth int) string {
	if depth > 1000 {
		return "Cannot serialise, excessive nesting (1001)"
	}
	switch v := v.(type) {
	case *lua.LNilType:
		buf.WriteString("null")
	case lua.LBool:
		buf.WriteString(strconv.FormatBool(bool(v)))
	case lua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return "Cannot serialise number: must not be NaN or Inf"
		}
		buf.WriteString(luaNumberString(f))
	case lua.LString:
		writeJSONString(buf, string(v))
	case *lua.LUserData:
		if v == vm.jsonNull {
			buf.WriteString("null")
			return ""
		}
		return "Cannot serialise userdata: type not supported"
	case *lua.LTable:
		n, isArray := arrayLength(v)
		if isArray && n > 0 {
			buf.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					buf.WriteByte(',')
				}
				if msg := vm.encodeJSON(buf, v.RawGetInt(i), depth+1); msg != "" {
					return msg
				}
			}
			buf.WriteByte(']')
			return ""
		}
		buf.WriteByte('{')
		first := true
		var bad string
		v.ForEach(func(k, val lua.LValue) {
			if bad != "" {
				return
			}
			var key string
			switch k := k.(type) {
			case lua.LString:
				key = string(k)
			case lua.LNumber:
				key = luaNumberString(float64(k))
			default:
				bad = "Cannot serialise " + k.Type().String() + ": table key must be a number or string"
				return
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			writeJSONString(buf, key)
			buf.WriteByte(':')
			bad = vm.encodeJSON(buf, val, depth+1)
		})
		buf.WriteByte('}')
		return bad
	default:
		return "Cannot serialise " + v.Type().String() + ": type not supported"
	}
	return ""
}

// arrayLength reports whether every key of t is a positive integer, and the largest.
func arrayLength(t *lua.LTable) (int, bool) {
	n, count := 0, 0
	ok := true
	t.ForEach(func(k, _ lua.LValue) {
		f, isNum := k.(lua.LNumber)
		if !isNum || float64(f) != math.Floor(float64(f)) || f < 1 {
			ok = false
			return
		}
		count++
		n = max(n, int(f))
	})
	// cjson refuses excessively sparse arrays; it encodes them as objects here.
	if ok && n > 10 && n > count*2 {
		return 0, false
	}
	return n, ok
}

// writeJSONString escapes s as cjson does (it escapes '/' too).
func writeJSONString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '/':
			buf.WriteString(`\/`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		case '\b':
			buf.WriteString(`\b`)
		case '\f':
			buf.WriteString(`\f`)
		default:
			if c < 0x20 || c == 0x7f {
				buf.WriteString(`\u00`)
				buf.WriteByte("0123456789abcdef"[c>>4])
				buf.WriteByte("0123456789abcdef"[c&15])
			} else {
				buf.WriteByte(c)
			}
		}
	}
	buf.WriteByte('"')
}

// jsonToLua converts a decoded JSON value.
func (vm *luaVM) jsonToLua(v any) lua.LValue {
	L := vm.L
	switch v := v.(type) {
	case nil:
		return vm.jsonNull
	case bool:
		return lua.LBool(v)
	case json.Number:
		f, _ := v.Float64()
		return lua.LNumber(f)
	case string:
		return lua.LString(v)
	case []any:
		t := L.CreateTable(len(v), 0)
		for i, e := range v {
			t.RawSetInt(i+1, vm.jsonToLua(e))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(v))
		for k, e := range v {
			t.RawSetString(k, vm.jsonToLua(e))
		}
		return t
	}
	return lua.LNil
}

// openMsgpack installs cmsgpack: pack(values...) and unpack(data).
func openMsgpack(L *lua.LState, g *lua.LTable) {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() == 0 {
			L.RaiseError("MessagePack pack needs input.")
		}
		var out []byte
		for i := 1; i <= L.GetTop(); i++ {
			out = packMsgpack(out, L.Get(i), 0)
		}
		L.Push(lua.LString(out))
		return 1
	}))
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int {
		data := []byte(L.CheckString(1))
		n := 0
		for len(data) > 0 {
			v, rest, ok := unpackMsgpack(L, data)
			if !ok {
				L.RaiseError("Missing bytes in input.")
			}
			L.Push(v)
			data = rest
			n++
		}
		return n
	}))
	g.RawSetString("cmsgpack", t)
}

func packMsgpack(out []byte, v lua.LValue, depth int) []byte {
	if depth > 16 {
		return append(out, 0xc0)
	}
	switch v := v.(type) {
	case lua.LBool:
		if v {
			return append(out, 0xc3)
		}
		return append(out, 0xc2)
	case lua.LNumber:
		f := float64(v)
		if f == math.Trunc(f) && f >= -9.2e18 && f <= 9.2e18 {
			return packMsgpackInt(out, int64(f))
		}
		if float64(float32(f)) == f {
			out = append(out, 0xca)
			return binary.BigEndian.AppendUint32(out, math.Float32bits(float32(f)))
		}
		out = append(out, 0xcb)
		return binary.BigEndian.AppendUint64(out, math.Float64bits(f))
	case lua.LString:
		n := len(v)
		switch {
		case n < 32:
			out = append(out, 0xa0|byte(n))
		case n < 1<<8:
			out = append(out, 0xd9, byte(n))
		case n < 1<<16:
			out = append(out, 0xda)
			out = binary.BigEndian.AppendUint16(out, uint16(n))
		default:
			out = append(out, 0xdb)
			out = binary.BigEndian.AppendUint32(out, uint32(n))
		}
		return append(out, v...)
	case *lua.LTable:
		n, isArray := arrayLength(v)
		if isArray {
			out = msgpackHeader(out, n, 0x90, 0xdc)
			for i := 1; i <= n; i++ {
				out = packMsgpack(out, v.RawGetInt(i), depth+1)
			}
			return out
		}
		var keys []lua.LValue
		v.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		out = msgpackHeader(out, len(keys), 0x80, 0xde)
		for _, k := range keys {
			out = packMsgpack(out, k, depth+1)
			out = packMsgpack(out, v.RawGet(k), depth+1)
		}
		return out
	}
	return append(out, 0xc0)
}

func msgpackHeader(out []byte, n int, fix, code16 byte) []byte {
	switch {
	case n < 16:
		return append(out, fix|byte(n))
	case n < 1<<16:
		out = append(out, code16)
		return binary.BigEndian.AppendUint16(out, uint16(n))
	}
	out = append(out, code16+1)
	return binary.BigEndian.AppendUint32(out, uint32(n))
}

func packMsgpackInt(out []byte, n int64) []byte {
	switch {
	case n >= 0 && n < 128:
		return append(out, byte(n))
	case n < 0 && n >= -32:
		return append(out, byte(n))
	case n >= 0 && n < 1<<8:
		return append(out, 0xcc, byte(n))
	case n >= 0 && n < 1<<16:
		return binary.BigEndian.AppendUint16(append(out, 0xcd), uint16(n))
	case n >= 0 && n < 1<<32:
		return binary.BigEndian.AppendUint32(append(out, 0xce), uint32(n))
	case n >= 0:
		return binary.BigEndian.AppendUint64(append(out, 0xcf), uint64(n))
	case n >= -128:
		return append(out, 0xd0, byte(n))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(out, 0xd1), uint16(n))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(out, 0xd2), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(out, 0xd3), uint64(n))
}

// unpackMsgpack decodes one value; ok is false when the input ends early.
func unpackMsgpack(L *lua.LState, b []byte) (lua.LValue, []byte, bool) {
	if len(b) == 0 {
		return lua.LNil, b, false
	}
	c := b[0]
	b = b[1:]
	need := func(n int) bool { return len(b) >= n }
	str := func(n int) (lua.LValue, []byte, bool) {
		if !need(n) {
			return lua.LNil, b, false
		}
		return lua.LString(b[:n]), b[n:], true
	}
	array := func(n int) (lua.LValue, []byte, bool) {
		t := L.CreateTable(n, 0)
		for i := 1; i <= n; i++ {
			var v lua.LValue
			var ok bool
			if v, b, ok = unpackMsgpack(L, b); !ok {
				return lua.LNil, b, false
			}
			t.RawSetInt(i, v)
		}
		return t, b, true
	}
	mapping := func(n int) (lua.LValue, []byte, bool) {
		t := L.CreateTable(0, n)
		for range n {
			var k, v lua.LValue
			var ok bool
			if k, b, ok = unpackMsgpack(L, b); !ok {
				return lua.LNil, b, false
			}
			if v, b, ok = unpackMsgpack(L, b); !ok {
				return lua.LNil, b, false
			}
			if k != lua.LNil {
				t.RawSet(k, v)
			}
		}
		return t, b, true
	}
	switch {
	case c < 0x80:
		return lua.LNumber(c), b, true
	case c >= 0xe0:
		return lua.LNumber(int8(c)), b, true
	case c&0xe0 == 0xa0:
		return str(int(c & 0x1f))
	case c&0xf0 == 0x90:
		return array(int(c & 0x0f))
	case c&0xf0 == 0x80:
		return mapping(int(c & 0x0f))
	}
	fixed := map[byte]int{0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8, 0xca: 4, 0xcb: 8,
		0xd9: 1, 0xda: 2, 0xdb: 4, 0xc4: 1, 0xc5: 2, 0xc6: 4, 0xdc: 2, 0xdd: 4, 0xde: 2, 0xdf: 4}
	switch c {
	case 0xc0:
		return lua.LNil, b, true
	case 0xc2:
		return lua.LFalse, b, true
	case 0xc3:
		return lua.LTrue, b, true
	}
	size, known := fixed[c]
	if !known || !need(size) {
		return lua.LNil, b, false
	}
	raw := b[:size]
	b = b[size:]
	var u uint64
	for _, x := range raw {
		u = u<<8 | uint64(x)
	}
	switch c {
	case 0xcc, 0xcd, 0xce, 0xcf:
		return lua.LNumber(float64(u)), b, true
	case 0xd0:
		return lua.LNumber(int8(u)), b, true
	case 0xd1:
		return lua.LNumber(int16(u)), b, true
	case 0xd2:
		return lua.LNumber(int32(u)), b, true
	case 0xd3:
		return lua.LNumber(int64(u)), b, true
	case 0xca:
		return lua.LNumber(math.Float32frombits(uint32(u))), b, true
	case 0xcb:
		return lua.LNumber(math.Float64frombits(u)), b, true
	case 0xd9, 0xda, 0xdb, 0xc4, 0xc5, 0xc6:
		return str(int(u))
	case 0xdc, 0xdd:
		return array(int(u))
	}
	return mapping(int(u))
}
