package coord

import (
	"math"
	"math/big"
	"strconv"

	lua "github.com/yuin/gopher-lua"

	"github.com/basaltdb/basalt/proto"
)

// Conversions between Lua values and replies, as Redis defines them for scripts.
//
// A command called from a script answers into a proto.Writer like any other; the reply
// bytes are then read back into Lua values (replyToLua). A script's return value is
// written to the caller with luaToReply. Both follow redis-server's rules: numbers
// truncate to integers, false is a null, arrays stop at the first nil, {err=...} and
// {ok=...} tables are error and status replies, and RESP3 types are tables with a
// single field (map, set, double, big_number, verbatim_string).

// replyToLua reads one RESP reply from b and pushes its Lua form. It returns the bytes
// after the reply and, for an error reply, its text (the pushed value is then the
// {err=...} table).
func replyToLua(L *lua.LState, b []byte) (rest []byte, errMsg string, isErr bool) {
	v, rest, errMsg, isErr := parseReply(L, b)
	L.Push(v)
	return rest, errMsg, isErr
}

// parseReply decodes one reply. The writer produced it, so it is well formed; a
// truncated reply is a bug.
func parseReply(L *lua.LState, b []byte) (v lua.LValue, rest []byte, errMsg string, isErr bool) {
	if len(b) < 3 {
		panic("BUG: truncated reply read back into a script")
	}
	end := indexCRLF(b)
	line, after := b[1:end], b[end+2:]
	switch b[0] {
	case '+':
		t := L.CreateTable(0, 1)
		t.RawSetString("ok", lua.LString(line))
		return t, after, "", false
	case '-':
		// The command counted its error (INFO errorstats); the flag, which Redis sets
		// too and scripts can see, keeps EVAL from counting it again when returned.
		t := L.CreateTable(0, 2)
		t.RawSetString("err", lua.LString(line))
		t.RawSetString("ignore_error_stats_update", lua.LTrue)
		return t, after, string(line), true
	case ':':
		n, _ := strconv.ParseInt(string(line), 10, 64)
		return lua.LNumber(n), after, "", false
	case '$', '=':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, after, "", false
		}
		s := after[:n]
		after = after[n+2:]
		if b[0] == '=' {
			t := L.CreateTable(0, 1)
			vt := L.CreateTable(0, 2)
			vt.RawSetString("format", lua.LString(s[:3]))
			vt.RawSetString("string", lua.LString(s[4:]))
			t.RawSetString("verbatim_string", vt)
			return t, after, "", false
		}
		return lua.LString(s), after, "", false
	case '*', '~', '>':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, after, "", false
		}
		arr := L.CreateTable(n, 0)
		for i := 1; i <= n; i++ {
			var elem lua.LValue
			elem, after, _, _ = parseReply(L, after)
			arr.RawSetInt(i, elem)
		}
		if b[0] == '~' {
			// A set becomes {set={member=true, ...}}.
			set := L.CreateTable(0, n)
			arr.ForEach(func(_, m lua.LValue) { set.RawSet(m, lua.LTrue) })
			t := L.CreateTable(0, 1)
			t.RawSetString("set", set)
			return t, after, "", false
		}
		return arr, after, "", false
	case '%':
		n, _ := strconv.Atoi(string(line))
		m := L.CreateTable(0, n)
		for range n {
			var k, val lua.LValue
			k, after, _, _ = parseReply(L, after)
			val, after, _, _ = parseReply(L, after)
			m.RawSet(k, val)
		}
		t := L.CreateTable(0, 1)
		t.RawSetString("map", m)
		return t, after, "", false
	case '_':
		return lua.LNil, after, "", false
	case '#':
		return lua.LBool(len(line) == 1 && line[0] == 't'), after, "", false
	case ',':
		f, _ := strconv.ParseFloat(string(line), 64)
		switch string(line) {
		case "inf":
			f = math.Inf(1)
		case "-inf":
			f = math.Inf(-1)
		case "nan":
			f = math.NaN()
		}
		t := L.CreateTable(0, 1)
		t.RawSetString("double", lua.LNumber(f))
		return t, after, "", false
	case '(':
		t := L.CreateTable(0, 1)
		t.RawSetString("big_number", lua.LString(line))
		return t, after, "", false
	}
	panic("BUG: unknown reply type read back into a script: " + string(b[:1]))
}

func indexCRLF(b []byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	panic("BUG: reply without CRLF read back into a script")
}

// luaToReply writes a script's return value. resp3Script is the protocol the script
// chose with redis.setresp: only a RESP3 script turns booleans into RESP3 booleans.
func luaToReply(w *proto.Writer, v lua.LValue, resp3Script bool, depth int) {
	switch v := v.(type) {
	case lua.LString:
		w.BulkString(string(v))
	case lua.LNumber:
		w.Int(luaInt(float64(v)))
	case lua.LBool:
		switch {
		case resp3Script:
			w.Bool(bool(v))
		case bool(v):
			w.Int(1)
		default:
			w.Null()
		}
	case *lua.LTable:
		tableToReply(w, v, resp3Script, depth)
	default:
		w.Null()
	}
}

// luaInt truncates a Lua number toward zero as C's cast does on the platforms Redis
// runs on: NaN and values out of range become the smallest integer.
func luaInt(f float64) int64 {
	if math.IsNaN(f) || f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 {
		return math.MinInt64
	}
	return int64(f)
}

// tableToReply writes a table: a special single-field table, or an array up to the
// first nil. Redis stops descending at a fixed depth to protect its C stack; we do too,
// so a self-referencing table cannot recurse forever.
func tableToReply(w *proto.Writer, t *lua.LTable, resp3Script bool, depth int) {
	if depth > 1000 {
		w.Error("ERR reached lua stack limit")
		return
	}
	if e, ok := t.RawGetString("err").(lua.LString); ok {
		w.Error(string(e))
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		w.Simple(string(s))
		return
	}
	if d, ok := t.RawGetString("double").(lua.LNumber); ok {
		w.Double(float64(d))
		return
	}
	if n, ok := t.RawGetString("big_number").(lua.LString); ok {
		if bn, ok := new(big.Int).SetString(string(n), 10); ok {
			w.BigNumber(bn)
		} else if w.RESP3() {
			w.Raw([]byte("(" + string(n) + "\r\n"))
		} else {
			w.BulkString(string(n))
		}
		return
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		var keys, vals []lua.LValue
		m.ForEach(func(k, v lua.LValue) { keys, vals = append(keys, k), append(vals, v) })
		w.Map(len(keys))
		for i := range keys {
			luaToReply(w, keys[i], resp3Script, depth+1)
			luaToReply(w, vals[i], resp3Script, depth+1)
		}
		return
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		var members []lua.LValue
		s.ForEach(func(k, _ lua.LValue) { members = append(members, k) })
		w.Set(len(members))
		for _, k := range members {
			luaToReply(w, k, resp3Script, depth+1)
		}
		return
	}
	if vs, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		f, _ := vs.RawGetString("format").(lua.LString)
		s, _ := vs.RawGetString("string").(lua.LString)
		w.Verbatim(string(f), string(s))
		return
	}
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	w.Array(n)
	for i := 1; i <= n; i++ {
		luaToReply(w, t.RawGetInt(i), resp3Script, depth+1)
	}
}
