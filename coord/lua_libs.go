package coord

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
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

// jsonConfig is one state's cjson settings, as lua-cjson keeps them per Lua state:
// they persist from one script to the next that runs in the same state.
type jsonConfig struct {
	encodeMaxDepth, decodeMaxDepth int
	precision                      int
	// invalidNumbers: 0 refuses NaN and Inf, 1 writes them as C prints them, 2 as null.
	invalidNumbers int
	// sparseConvert, sparseRatio and sparseSafe: see jsonArrayLength.
	sparseConvert           bool
	sparseRatio, sparseSafe int
	keepBuffer              bool
}

// openJSON installs cjson: encode, decode, null and the configuration functions of
// lua-cjson 2.1.0 that Redis scripts can call. decode_invalid_numbers is absent: the
// decoder is Go's, which cannot read the hex, Inf and NaN numbers it would enable.
func (vm *luaVM) openJSON(g *lua.LTable) {
	L := vm.L
	cfg := &jsonConfig{encodeMaxDepth: 1000, decodeMaxDepth: 1000, precision: 14,
		sparseRatio: 2, sparseSafe: 10, keepBuffer: true}
	vm.jsonNull = L.NewUserData()
	t := L.NewTable()
	t.RawSetString("null", vm.jsonNull)
	t.RawSetString("encode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.ArgError(1, "expected 1 argument")
		}
		var buf bytes.Buffer
		if msg := vm.encodeJSON(cfg, &buf, L.Get(1), 0); msg != "" {
			jsonError(L, msg)
		}
		L.Push(lua.LString(buf.String()))
		return 1
	}))
	t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		// Token by token, so that nesting beyond decode_max_depth fails where cjson's
		// parser would, before the rest of the input is read.
		v, err := vm.decodeJSON(cfg, dec, 0)
		if err != nil {
			if _, deep := err.(jsonDepthError); deep {
				jsonError(L, err.Error())
			}
			L.RaiseError("Expected value but found invalid token at character 1")
		}
		if dec.More() {
			L.RaiseError("Expected the end but found invalid token")
		}
		L.Push(v)
		return 1
	}))
	// The configuration functions return the setting after the call; an argument sets
	// it. Arguments are checked as lua-cjson's json_integer_option and
	// json_enum_option do.
	var fn string
	// maxArgs also pads the arguments with nil, so that results pushed later never
	// read as arguments.
	maxArgs := func(L *lua.LState, name string, n int) {
		fn = name
		if L.GetTop() > n {
			structArgError(L, fn, n+1, "found too many arguments")
		}
		L.SetTop(n)
	}
	intOption := func(L *lua.LState, i int, setting *int, lo, hi int) {
		if L.Get(i) != lua.LNil {
			// luaL_checkinteger truncates, and lua-cjson stores the result in a C int.
			v := int(int32(luaCheckInteger(L, fn, i)))
			if v < lo || v > hi {
				// lua-cjson names argument 1 whichever argument it was.
				structArgError(L, fn, 1, fmt.Sprintf("expected integer between %d and %d", lo, hi))
			}
			*setting = v
		}
		L.Push(lua.LNumber(*setting))
	}
	// enumOption takes a boolean or one of options (options[0] is false, options[1]
	// true) and returns the setting as a boolean when it is one of those two.
	enumOption := func(L *lua.LState, i int, setting *int, options ...string) {
		if v := L.Get(i); v != lua.LNil {
			if b, ok := v.(lua.LBool); ok {
				*setting = 0
				if b {
					*setting = 1
				}
			} else {
				name := structCheckString(L, fn, i)
				found := false
				for n, o := range options {
					if o == name {
						*setting, found = n, true
					}
				}
				if !found {
					structArgError(L, fn, i, fmt.Sprintf("invalid option '%s'", name))
				}
			}
		}
		if *setting <= 1 {
			L.Push(lua.LBool(*setting == 1))
		} else {
			L.Push(lua.LString(options[*setting]))
		}
	}
	boolOption := func(L *lua.LState, i int, setting *bool) {
		n := 0
		if *setting {
			n = 1
		}
		enumOption(L, i, &n, "off", "on")
		*setting = n == 1
	}
	config := map[string]lua.LGFunction{
		"encode_max_depth": func(L *lua.LState) int {
			maxArgs(L, "encode_max_depth", 1)
			intOption(L, 1, &cfg.encodeMaxDepth, 1, math.MaxInt32)
			return 1
		},
		"decode_max_depth": func(L *lua.LState) int {
			maxArgs(L, "decode_max_depth", 1)
			intOption(L, 1, &cfg.decodeMaxDepth, 1, math.MaxInt32)
			return 1
		},
		"encode_number_precision": func(L *lua.LState) int {
			maxArgs(L, "encode_number_precision", 1)
			intOption(L, 1, &cfg.precision, 1, 14)
			return 1
		},
		// The encoder has no buffer to keep; the setting only answers.
		"encode_keep_buffer": func(L *lua.LState) int {
			maxArgs(L, "encode_keep_buffer", 1)
			boolOption(L, 1, &cfg.keepBuffer)
			return 1
		},
		"encode_invalid_numbers": func(L *lua.LState) int {
			maxArgs(L, "encode_invalid_numbers", 1)
			enumOption(L, 1, &cfg.invalidNumbers, "off", "on", "null")
			return 1
		},
		"encode_sparse_array": func(L *lua.LState) int {
			maxArgs(L, "encode_sparse_array", 3)
			boolOption(L, 1, &cfg.sparseConvert)
			intOption(L, 2, &cfg.sparseRatio, 0, math.MaxInt32)
			intOption(L, 3, &cfg.sparseSafe, 0, math.MaxInt32)
			return 3
		},
	}
	for name, fn := range config {
		t.RawSetString(name, L.NewFunction(fn))
	}
	g.RawSetString("cjson", t)
}

// jsonError raises msg with the script position in front, as the other library
// errors here do. Redis adds that position only when the error leaves the script: a
// pcall inside it sees the bare message from lua-cjson.
func jsonError(L *lua.LState, msg string) {
	L.RaiseError("%s", msg)
}

// luaCheckInteger is luaL_checkinteger: a number or a string that converts to one,
// truncated.
func luaCheckInteger(L *lua.LState, fn string, n int) int64 {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return int64(float64(v))
	case lua.LString:
		if f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64); err == nil {
			return int64(f)
		}
	}
	got := L.Get(n).Type().String()
	if n > L.GetTop() {
		got = "no value"
	}
	structArgError(L, fn, n, "number expected, got "+got)
	return 0
}

// jsonDepthError is cjson's error for input nested beyond decode_max_depth.
type jsonDepthError struct{ depth, offset int }

func (e jsonDepthError) Error() string {
	return fmt.Sprintf("Found too many nested data structures (%d) at character %d", e.depth, e.offset)
}

// decodeJSON reads one value from dec; depth is the number of arrays and objects
// around it.
func (vm *luaVM) decodeJSON(cfg *jsonConfig, dec *json.Decoder, depth int) (lua.LValue, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok := tok.(type) {
	case nil:
		return vm.jsonNull, nil
	case bool:
		return lua.LBool(tok), nil
	case json.Number:
		f, _ := tok.Float64()
		return lua.LNumber(f), nil
	case string:
		return lua.LString(tok), nil
	}
	// A delimiter: tokens never start with a closing one.
	if depth+1 > cfg.decodeMaxDepth {
		// cjson counts the opening bracket in and reports the offset just past it.
		return nil, jsonDepthError{depth + 1, int(dec.InputOffset())}
	}
	t := vm.L.NewTable()
	if tok == json.Delim('[') {
		for i := 1; dec.More(); i++ {
			v, err := vm.decodeJSON(cfg, dec, depth+1)
			if err != nil {
				return nil, err
			}
			t.RawSetInt(i, v)
		}
	} else {
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := vm.decodeJSON(cfg, dec, depth+1)
			if err != nil {
				return nil, err
			}
			t.RawSetString(k.(string), v)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return t, nil
}

// encodeJSON writes v as cjson does: numbers with encode_number_precision significant
// digits, arrays for tables whose keys are 1..n (unless too sparse), objects
// otherwise, an empty table as {}. depth counts the tables around v.
func (vm *luaVM) encodeJSON(cfg *jsonConfig, buf *bytes.Buffer, v lua.LValue, depth int) string {
	switch v := v.(type) {
	case *lua.LNilType:
		buf.WriteString("null")
	case lua.LBool:
		buf.WriteString(strconv.FormatBool(bool(v)))
	case lua.LNumber:
		return writeJSONNumber(cfg, buf, float64(v))
	case lua.LString:
		writeJSONString(buf, string(v))
	case *lua.LUserData:
		if v == vm.jsonNull {
			buf.WriteString("null")
			return ""
		}
		return "Cannot serialise userdata: type not supported"
	case *lua.LTable:
		// This check also stops circular references.
		if depth+1 > cfg.encodeMaxDepth {
			return fmt.Sprintf("Cannot serialise, excessive nesting (%d)", depth+1)
		}
		n, isArray := jsonArrayLength(cfg, v)
		if n < 0 {
			return "Cannot serialise table: excessively sparse array"
		}
		if isArray && n > 0 {
			buf.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					buf.WriteByte(',')
				}
				if msg := vm.encodeJSON(cfg, buf, v.RawGetInt(i), depth+1); msg != "" {
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
			if !first {
				buf.WriteByte(',')
			}
			first = false
			switch k := k.(type) {
			case lua.LString:
				writeJSONString(buf, string(k))
			case lua.LNumber:
				buf.WriteByte('"')
				if bad = writeJSONNumber(cfg, buf, float64(k)); bad != "" {
					return
				}
				buf.WriteByte('"')
			default:
				bad = "Cannot serialise " + k.Type().String() + ": table key must be a number or string"
				return
			}
			buf.WriteByte(':')
			bad = vm.encodeJSON(cfg, buf, val, depth+1)
		})
		buf.WriteByte('}')
		return bad
	default:
		return "Cannot serialise " + v.Type().String() + ": type not supported"
	}
	return ""
}

// writeJSONNumber writes f as C's %.<precision>g, which is what cjson's fpconv
// produces; NaN and Inf per encode_invalid_numbers.
func writeJSONNumber(cfg *jsonConfig, buf *bytes.Buffer, f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		switch {
		case cfg.invalidNumbers == 0:
			return "Cannot serialise number: must not be NaN or Inf"
		case cfg.invalidNumbers == 2:
			buf.WriteString("null")
		case math.IsNaN(f):
			// cjson writes "nan" whatever the sign, as some platforms print "-nan".
			buf.WriteString("nan")
		case f > 0:
			buf.WriteString("inf")
		default:
			buf.WriteString("-inf")
		}
		return ""
	}
	buf.WriteString(strconv.FormatFloat(f, 'g', cfg.precision, 64))
	return ""
}

// jsonArrayLength is cjson's lua_array_length: the largest key when every key is a
// positive integer (isArray), -1 for an excessively sparse array that
// encode_sparse_array does not convert to an object.
func jsonArrayLength(cfg *jsonConfig, t *lua.LTable) (int, bool) {
	n, count, isArray := integerKeys(t)
	if !isArray {
		return 0, false
	}
	if cfg.sparseRatio > 0 && n > count*cfg.sparseRatio && n > cfg.sparseSafe {
		if !cfg.sparseConvert {
			return -1, false
		}
		return 0, false
	}
	return n, true
}

// integerKeys reports whether every key of t is a positive integer (ok), the largest
// (n) and how many there are (count).
func integerKeys(t *lua.LTable) (n, count int, ok bool) {
	ok = true
	t.ForEach(func(k, _ lua.LValue) {
		f, isNum := k.(lua.LNumber)
		if !isNum || float64(f) != math.Floor(float64(f)) || f < 1 {
			ok = false
			return
		}
		count++
		n = max(n, int(f))
	})
	return n, count, ok
}

// arrayLength reports whether cmsgpack packs t as an array, and its length: every key a
// positive integer, and the array not excessively sparse (it packs those as maps).
func arrayLength(t *lua.LTable) (int, bool) {
	n, count, ok := integerKeys(t)
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
		return unpackMsgpackFull(L, 0, 0)
	}))
	t.RawSetString("unpack_one", L.NewFunction(func(L *lua.LState) int {
		var offset int64
		if L.Get(2) != lua.LNil {
			offset = luaCheckInteger(L, "unpack_one", 2)
		}
		return unpackMsgpackFull(L, 1, offset)
	}))
	t.RawSetString("unpack_limit", L.NewFunction(func(L *lua.LState) int {
		limit := luaCheckInteger(L, "unpack_limit", 2)
		var offset int64
		if L.Get(3) != lua.LNil {
			offset = luaCheckInteger(L, "unpack_limit", 3)
		}
		return unpackMsgpackFull(L, limit, offset)
	}))
	g.RawSetString("cmsgpack", t)
}

// unpackMsgpackFull is lua-cmsgpack's mp_unpack_full: it decodes at most limit
// values of argument 1 from byte offset on. limit and offset both 0 is unpack, which
// decodes everything and returns only the values; otherwise the values follow the
// offset to continue from, -1 once the input is used up.
func unpackMsgpackFull(L *lua.LState, limit, offset int64) int {
	data := []byte(L.CheckString(1))
	all := limit == 0 && offset == 0
	if offset < 0 || limit < 0 {
		// lua-cmsgpack prints the input length where it means the limit.
		L.RaiseError("Invalid request to unpack with offset of %d and limit of %d.", int32(offset), int32(len(data)))
	}
	if offset > int64(len(data)) {
		L.RaiseError("Start offset %d greater than input length %d.", int32(offset), int32(len(data)))
	}
	if all {
		limit = math.MaxInt32
	}
	rest := data[offset:]
	var values []lua.LValue
	for len(rest) > 0 && int64(len(values)) < limit {
		v, r, ok := unpackMsgpack(L, rest)
		if !ok {
			L.RaiseError("Missing bytes in input.")
		}
		values = append(values, v)
		rest = r
	}
	if !all {
		next := int64(len(data) - len(rest))
		if len(rest) == 0 {
			next = -1
		}
		L.Push(lua.LNumber(next))
	}
	for _, v := range values {
		L.Push(v)
	}
	if all {
		return len(values)
	}
	return len(values) + 1
}

// msgpackMaxNesting is lua-cmsgpack's LUACMSGPACK_MAX_NESTING: a table this deep is
// packed as nil, which also makes circular references packable.
const msgpackMaxNesting = 16

func packMsgpack(out []byte, v lua.LValue, depth int) []byte {
	if _, isTable := v.(*lua.LTable); isTable && depth >= msgpackMaxNesting {
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
