package coord

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Lua states for scripts and functions.
//
// A luaVM is one gopher-lua state with Redis's script environment: the libraries
// scripts expect (base without file access, table, string, math, cjson, cmsgpack, bit),
// the redis table, and a global table that raises on reads of undefined names
// and on every write. States are pooled (Server.scripts.pool): a script run takes one
// for its duration, so each state is used by one goroutine at a time. Compiled chunks
// are shared by every state (gopher-lua's FunctionProto is immutable); each state keeps
// the closures it made from them, by SHA1.

// luaVM is one pooled Lua state. Owner: the goroutine of the script run that took it
// from the pool; it touches no server state by itself, only through run.
type luaVM struct {
	L *lua.LState
	// globals holds the real global names; scripts see them through a read-only proxy.
	globals *lua.LTable
	proxy   *lua.LTable
	// argArena, argEnds and argSlices are reused by every redis.call for its arguments.
	argArena  []byte
	argEnds   []int
	argSlices [][]byte
	// killCtx is checked between instructions; killCancel is what KILL calls.
	killCtx    context.Context
	killCancel context.CancelFunc
	// fns caches closures by SHA1, valid while gen matches the script cache's.
	fns map[string]*lua.LFunction
	gen uint64
	// libGen is the function-library generation loaded into this state; libFns its
	// registered functions by name.
	libGen uint64
	libFns map[string]*lua.LFunction
	// run is the script run using the state, nil while pooled.
	run *scriptRun
	// loading collects register_function calls while a library's code runs.
	loading *libraryLoad
	// jsonNull is cjson.null, a value distinct from every other.
	jsonNull *lua.LUserData
	// libs holds the library tables (redis, string, cjson, ...) behind the read-only
	// proxies scripts see; realOf maps each proxy, _G's too, to the table it reads
	// from (protectLibraries).
	libs   map[string]*lua.LTable
	realOf map[*lua.LTable]*lua.LTable
	// rnd is the rand48 state of math.random.
	rnd uint64
}

// newLuaVM builds a state with the script environment.
func newLuaVM() *luaVM {
	// The data stack grows on demand up to what Lua 5.1 allows a C call (8,000 values,
	// LUAI_MAXCSTACK): unpack of 7,999 values into redis.call works in Redis. It starts
	// at gopher-lua's default, so an idle pooled state costs no more than before.
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 1024,
		RegistrySize: lua.RegistrySize, RegistryMaxSize: 16 * 1024})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	vm := &luaVM{L: L, fns: map[string]*lua.LFunction{}, libFns: map[string]*lua.LFunction{}}
	// Pooled states start from different points, or two runs on two fresh states would
	// draw the same numbers.
	vm.rnd = rand.Uint64() & (1<<48 - 1)
	g := L.G.Global
	// No file or module access: scripts must be self-contained and deterministic.
	// getfenv and setfenv are gone as in Redis 7.0: getfenv(0) is the real globals
	// table, through which a script could change every later run in this state.
	for _, name := range []string{"dofile", "loadfile", "module", "require", "newproxy",
		"collectgarbage", "print", "getfenv", "setfenv"} {
		g.RawSetString(name, lua.LNil)
	}
	g.RawSetString("loadstring", L.NewFunction(vm.loadString))
	g.RawSetString("load", L.NewFunction(vm.loadReader))
	g.RawSetString("error", L.NewFunction(vm.luaError))
	g.RawSetString("tostring", luaToString(L, g.RawGetString("tostring")))
	g.RawSetString("pcall", L.NewFunction(vm.pcall))
	vm.openRedis(g)
	vm.openMath(g)
	openBit(L, g)
	vm.openJSON(g)
	openMsgpack(L, g)
	openStruct(L, g)
	vm.globals = g
	vm.proxy = L.NewTable()
	meta := L.NewTable()
	// Reads go from the proxy to the globals table directly (no Go call, no allocation
	// per global read); only a miss reaches globalMissing, through g's own metatable.
	meta.RawSetString("__index", g)
	gmeta := L.NewTable()
	gmeta.RawSetString("__index", L.NewFunction(vm.globalMissing))
	L.SetMetatable(g, gmeta)
	meta.RawSetString("__newindex", L.NewFunction(vm.globalSet))
	meta.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(vm.proxy, meta)
	g.RawSetString("_G", vm.proxy)
	vm.protectLibraries(meta)
	return vm
}

// protectLibraries makes the library tables read-only, as Redis 7 does: a script that
// replaced redis.call or added to string would change every later script run in this
// pooled state. Each library is reached through an empty proxy that reads from it and
// refuses writes; rawset and setmetatable refuse the proxies and _G too, and _G's
// metatable, which getmetatable shows, is itself read-only. rawget, next, pairs and
// ipairs look through a proxy at its table, so scripts still see the libraries' and
// the globals' contents as in Redis. gmeta is _G's metatable.
func (vm *luaVM) protectLibraries(gmeta *lua.LTable) {
	L := vm.L
	g := vm.globals
	vm.libs = map[string]*lua.LTable{}
	vm.realOf = map[*lua.LTable]*lua.LTable{vm.proxy: g}
	refuse := L.NewFunction(vm.globalSet)
	guard := func(real *lua.LTable) *lua.LTable {
		p := L.NewTable()
		meta := L.NewTable()
		meta.RawSetString("__index", real)
		meta.RawSetString("__newindex", refuse)
		meta.RawSetString("__metatable", lua.LFalse)
		L.SetMetatable(p, meta)
		vm.realOf[p] = real
		return p
	}
	for _, name := range []string{"redis", "string", "table", "math", "bit", "cjson", "cmsgpack", "struct"} {
		if real, ok := g.RawGetString(name).(*lua.LTable); ok {
			vm.libs[name] = real
			g.RawSetString(name, guard(real))
		}
	}
	gmeta.RawSetString("__metatable", guard(L.NewTable()))
	// Strings share one metatable whose __index is the string library: getmetatable('')
	// shows a read-only view of it, and methods ('a'):upper() look through the
	// library's proxy, so neither route reaches the real tables.
	if smt, ok := L.GetMetatable(lua.LString("")).(*lua.LTable); ok {
		smt.RawSetString("__index", g.RawGetString("string"))
		smt.RawSetString("__metatable", guard(smt))
	}
	// wrap replaces a base function by one that hands a proxy given as its first
	// argument to before (which may raise, or replace the argument) and then calls it.
	wrap := func(name string, before func(L *lua.LState, proxy, real *lua.LTable)) {
		orig := g.RawGetString(name).(*lua.LFunction)
		g.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			top := L.GetTop()
			if t, ok := L.Get(1).(*lua.LTable); ok {
				if real, isProxy := vm.realOf[t]; isProxy {
					before(L, t, real)
				}
			}
			L.Push(orig)
			for i := 1; i <= top; i++ {
				L.Push(L.Get(i))
			}
			L.Call(top, lua.MultRet)
			return L.GetTop() - top
		}))
	}
	for _, name := range []string{"rawset", "setmetatable"} {
		wrap(name, func(L *lua.LState, _, _ *lua.LTable) {
			// Raised from a built-in, so without a script position, as in Redis.
			vm.noteLine(L)
			L.Error(lua.LString("Attempt to modify a readonly table"), 0)
		})
	}
	for _, name := range []string{"rawget", "next", "pairs", "ipairs"} {
		wrap(name, func(L *lua.LState, _, real *lua.LTable) { L.Replace(1, real) })
	}
}

// globalGet reads a global; an undefined one is an error, as in Redis.
func (vm *luaVM) globalGet(L *lua.LState) int {
	name := L.Get(2)
	v := vm.globals.RawGet(name)
	if v == lua.LNil {
		vm.noteLine(L)
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(name))
	}
	L.Push(v)
	return 1
}

// globalMissing is the lookup of an undefined global: an error, as in Redis.
func (vm *luaVM) globalMissing(L *lua.LState) int {
	vm.noteLine(L)
	L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(L.Get(2)))
	return 0
}

// globalSet rejects every global write: state must not leak from one run to the next.
func (vm *luaVM) globalSet(L *lua.LState) int {
	vm.noteLine(L)
	L.RaiseError("Attempt to modify a readonly table")
	return 0
}

// luaError is Lua's error() that also records the line, for the "on @user_script:N"
// part of the final error.
func (vm *luaVM) luaError(L *lua.LState) int {
	v := L.Get(1)
	level := L.OptInt(2, 1)
	vm.noteLine(L)
	if n, ok := v.(lua.LNumber); ok {
		v = lua.LString(n.String())
	}
	L.Error(v, level)
	return 0
}

// raise fails the running Lua code with a Redis error (a table {err=...}), as the
// functions of the redis table do: the final error shows msg without a position.
func (vm *luaVM) raise(L *lua.LState, msg string) {
	vm.noteLine(L)
	t := L.CreateTable(0, 1)
	t.RawSetString("err", lua.LString("ERR "+msg))
	L.Error(t, 0)
}

// pcall is Lua's pcall, except that an error raised as a Redis error table reaches the
// handler as its text, as in Redis.
func (vm *luaVM) pcall(L *lua.LState) int {
	L.CheckAny(1)
	err := L.PCall(L.GetTop()-1, lua.MultRet, nil)
	if err == nil {
		L.Insert(lua.LTrue, 1)
		return L.GetTop()
	}
	var obj lua.LValue = lua.LString(err.Error())
	if ae, ok := err.(*lua.ApiError); ok {
		obj = ae.Object
	}
	if t, ok := obj.(*lua.LTable); ok {
		if e, ok := t.RawGetString("err").(lua.LString); ok {
			obj = e
		}
	}
	L.SetTop(0)
	L.Push(lua.LFalse)
	L.Push(obj)
	return 2
}

// noteLine records the line of the Lua code that called the running Go function.
func (vm *luaVM) noteLine(L *lua.LState) {
	if vm.run == nil {
		return
	}
	if dbg, ok := L.GetStack(1); ok {
		if _, err := L.GetInfo("l", dbg, lua.LNil); err == nil && dbg.CurrentLine > 0 {
			vm.run.errLine = dbg.CurrentLine
		}
	}
}

// function returns this state's closure for a compiled chunk, making it on first use.
func (vm *luaVM) function(sc *luaScript, gen uint64) *lua.LFunction {
	if vm.gen != gen {
		clear(vm.fns)
		vm.gen = gen
	}
	fn := vm.fns[sc.sha]
	if fn == nil {
		fn = vm.L.NewFunctionFromProto(sc.proto)
		fn.Env = vm.proxy
		vm.fns[sc.sha] = fn
	}
	return fn
}

// setArgs sets the KEYS and ARGV globals of a run.
func (vm *luaVM) setArgs(keys, argv [][]byte) {
	L := vm.L
	kt := L.CreateTable(len(keys), 0)
	for i, k := range keys {
		kt.RawSetInt(i+1, lua.LString(k))
	}
	at := L.CreateTable(len(argv), 0)
	for i, a := range argv {
		at.RawSetInt(i+1, lua.LString(a))
	}
	vm.globals.RawSetString("KEYS", kt)
	vm.globals.RawSetString("ARGV", at)
}

// openRedis installs the redis table.
func (vm *luaVM) openRedis(g *lua.LTable) {
	L := vm.L
	r := L.NewTable()
	set := func(name string, fn lua.LGFunction) { r.RawSetString(name, L.NewFunction(fn)) }
	set("call", func(L *lua.LState) int { return vm.redisCall(L, false) })
	set("pcall", func(L *lua.LState) int { return vm.redisCall(L, true) })
	set("error_reply", func(L *lua.LState) int {
		msg, ok := L.Get(1).(lua.LString)
		if !ok || L.GetTop() != 1 {
			vm.raise(L, "wrong number or type of arguments")
		}
		s := strings.TrimPrefix(string(msg), "-")
		if !strings.Contains(s, " ") {
			s = "ERR " + s
		}
		t := L.CreateTable(0, 1)
		t.RawSetString("err", lua.LString(s))
		L.Push(t)
		return 1
	})
	set("status_reply", func(L *lua.LState) int {
		msg, ok := L.Get(1).(lua.LString)
		if !ok || L.GetTop() != 1 {
			vm.raise(L, "wrong number or type of arguments")
		}
		t := L.CreateTable(0, 1)
		t.RawSetString("ok", msg)
		L.Push(t)
		return 1
	})
	set("sha1hex", func(L *lua.LState) int {
		if L.GetTop() != 1 {
			vm.raise(L, "wrong number of arguments")
		}
		sum := sha1.Sum([]byte(L.ToString(1)))
		L.Push(lua.LString(hex.EncodeToString(sum[:])))
		return 1
	})
	set("log", vm.redisLog)
	set("acl_check_cmd", func(L *lua.LState) int {
		// Whether the caller's user may run the command line (acl.go).
		n := L.GetTop()
		if n == 0 {
			vm.raise(L, "Please specify at least one argument for this redis lib call")
		}
		args := make([][]byte, n)
		for i := 1; i <= n; i++ {
			switch v := L.Get(i).(type) {
			case lua.LString:
				args[i-1] = []byte(v)
			case lua.LNumber:
				args[i-1] = []byte(luaNumberString(float64(v)))
			default:
				vm.raise(L, "Lua redis lib command arguments must be strings or integers")
			}
		}
		var scratch [32]byte
		cmd := lookupCommand(args[0], &scratch)
		if cmd != nil && len(cmd.Subs) > 0 && n >= 2 {
			cmd = lookupSub(cmd, args[1])
		}
		if cmd == nil {
			vm.raise(L, "Invalid command passed to redis.acl_check_cmd()")
		}
		ok := vm.run == nil || vm.run.acl == nil
		if !ok {
			reason, _ := vm.run.acl.user.check(cmd, args)
			ok = reason == aclOK
		}
		L.Push(lua.LBool(ok))
		return 1
	})
	set("setresp", func(L *lua.LState) int {
		if L.GetTop() != 1 {
			vm.raise(L, "redis.setresp() requires one argument.")
		}
		n := L.ToInt(1)
		if n != 2 && n != 3 {
			vm.raise(L, "RESP version must be 2 or 3.")
		}
		if vm.run != nil {
			vm.run.resp3 = n == 3
		}
		return 0
	})
	set("set_repl", func(L *lua.LState) int {
		if L.GetTop() != 1 {
			vm.raise(L, "redis.set_repl() requires one argument.")
		}
		if n := L.ToInt(1); n&^3 != 0 {
			vm.raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
		}
		return 0
	})
	// Effects replication is the only mode since Redis 7: the call is a no-op that
	// answers true.
	set("replicate_commands", func(L *lua.LState) int { L.Push(lua.LTrue); return 1 })
	set("breakpoint", func(L *lua.LState) int { L.Push(lua.LFalse); return 1 })
	set("debug", func(*lua.LState) int { return 0 })
	for name, v := range map[string]int{"LOG_DEBUG": 0, "LOG_VERBOSE": 1, "LOG_NOTICE": 2, "LOG_WARNING": 3,
		"REPL_NONE": 0, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_AOF": 1, "REPL_ALL": 3} {
		r.RawSetString(name, lua.LNumber(v))
	}
	r.RawSetString("REDIS_VERSION", lua.LString(redisVersion))
	r.RawSetString("REDIS_VERSION_NUM", lua.LNumber(redisVersionNum()))
	g.RawSetString("redis", r)
}

// redisVersionNum is redisVersion as 0x00MMmmpp.
func redisVersionNum() int {
	parts := strings.Split(redisVersion, ".")
	n := 0
	for _, p := range parts {
		v, _ := strconv.Atoi(p)
		n = n<<8 | v
	}
	return n
}

// redisLog writes redis.log(level, message...) to the server log.
func (vm *luaVM) redisLog(L *lua.LState) int {
	if L.GetTop() < 2 {
		vm.raise(L, "redis.log() requires two arguments or more.")
	}
	level, ok := L.Get(1).(lua.LNumber)
	if !ok {
		vm.raise(L, "First argument must be a number (log level).")
	}
	if level < 0 || level > 3 {
		vm.raise(L, "Invalid debug level.")
	}
	parts := make([]string, 0, L.GetTop()-1)
	for i := 2; i <= L.GetTop(); i++ {
		parts = append(parts, L.ToString(i))
	}
	if vm.run != nil {
		msg := strings.Join(parts, " ")
		lg := vm.run.srv.log
		switch int(level) {
		case 0:
			lg.logf(levelDebug, '.', "%s", msg)
		case 1:
			lg.verbose("%s", msg)
		case 2:
			lg.notice("%s", msg)
		default:
			lg.warning("%s", msg)
		}
	}
	return 0
}

// openMath replaces math.random and math.randomseed with a deterministic generator
// (Redis's rand48), so a script's result depends only on its inputs.
func (vm *luaVM) openMath(g *lua.LTable) {
	L := vm.L
	m := g.RawGetString("math").(*lua.LTable)
	m.RawSetString("random", L.NewFunction(func(L *lua.LState) int {
		// Redis's Lua divides by INT32_MAX, not 2^31.
		r := float64(vm.rand48()%(1<<31-1)) / float64(1<<31-1)
		switch L.GetTop() {
		case 0:
			L.Push(lua.LNumber(r))
		case 1:
			u := L.CheckInt(1)
			if u < 1 {
				L.ArgError(1, "interval is empty")
			}
			L.Push(lua.LNumber(int(r*float64(u)) + 1))
		default:
			l, u := L.CheckInt(1), L.CheckInt(2)
			if l > u {
				L.ArgError(2, "interval is empty")
			}
			L.Push(lua.LNumber(int(r*float64(u-l+1)) + l))
		}
		return 1
	}))
	m.RawSetString("randomseed", L.NewFunction(func(L *lua.LState) int {
		// Lua 5.1 takes a number or a string that reads as one (ARGV[1]).
		n, ok := lua.LVAsNumber(L.Get(1)), false
		switch v := L.Get(1).(type) {
		case lua.LNumber:
			ok = true
		case lua.LString:
			_, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64)
			ok = err == nil
		}
		if !ok {
			L.RaiseError("bad argument #1 to 'randomseed' (number expected, got %s)", L.Get(1).Type().String())
		}
		vm.seed48(int64(n))
		return 0
	}))
}

// luaToString wraps tostring so that numbers read as in Lua 5.1 ("%.14g"):
// gopher-lua writes the shortest round-trip form, so tostring(math.random()) had 16
// digits where Redis's has 14. (Concatenation with .. still uses gopher-lua's form.)
func luaToString(L *lua.LState, builtin lua.LValue) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() == 0 {
			L.RaiseError("bad argument #1 to 'tostring' (value expected)")
		}
		n, ok := L.Get(1).(lua.LNumber)
		if !ok {
			top := L.GetTop()
			L.Push(builtin)
			for i := 1; i <= top; i++ {
				L.Push(L.Get(i))
			}
			L.Call(top, 1)
			return 1
		}
		f := float64(n)
		switch {
		case math.IsInf(f, 1):
			L.Push(lua.LString("inf"))
		case math.IsInf(f, -1):
			L.Push(lua.LString("-inf"))
		case math.IsNaN(f):
			L.Push(lua.LString("nan"))
		default:
			L.Push(lua.LString(strconv.FormatFloat(f, 'g', 14, 64)))
		}
		return 1
	})
}

// seed48 seeds the state's generator. As in Redis 7, a run does not reseed it: each
// script continues the sequence, so math.random differs from one run to the next.
func (vm *luaVM) seed48(seed int64) {
	vm.rnd = uint64(seed)<<16 | 0x330e
}

// rand48 steps a 48-bit linear congruential generator (the lrand48 recurrence) and
// returns its top 31 bits.
func (vm *luaVM) rand48() uint64 {
	vm.rnd = (vm.rnd*0x5DEECE66D + 0xB) & (1<<48 - 1)
	return vm.rnd >> 17
}

// loadString is Lua's loadstring(s [, chunkname]): s compiled as a function of the
// caller's environment, or nil and the syntax error.
func (vm *luaVM) loadString(L *lua.LState) int {
	code := L.CheckString(1)
	return vm.loadChunk(L, []byte(code), L.OptString(2, code))
}

// loadReader is Lua's load(f [, chunkname]): the chunk is the concatenation of f's
// results up to the first nil or empty string.
func (vm *luaVM) loadReader(L *lua.LState) int {
	f := L.CheckFunction(1)
	name := L.OptString(2, "=(load)")
	var code []byte
	for {
		L.Push(f)
		L.Call(0, 1)
		piece := L.Get(-1)
		L.Pop(1)
		if piece == lua.LNil {
			break
		}
		if !lua.LVCanConvToString(piece) {
			// Redis's load answers nil and an error table here, as the error is raised
			// inside the loader.
			e := L.NewTable()
			e.RawSetString("err", lua.LString("ERR "+L.Where(1)+" reader function must return a string"))
			L.Push(lua.LNil)
			L.Push(e)
			return 2
		}
		if piece.String() == "" {
			break
		}
		code = append(code, piece.String()...)
	}
	return vm.loadChunk(L, code, name)
}

// loadChunk compiles code for loadstring and load. The function gets the environment
// of the nearest Lua function on the stack (the script's read-only globals, or a
// library's), never the real globals table that built-ins were made with.
func (vm *luaVM) loadChunk(L *lua.LState, code []byte, name string) int {
	// Lua 5.1 names a chunk in 80 bytes in syntax errors and in 60 at run time.
	proto, err := compileLua(code, chunkID(name, 80))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	renameChunk(proto, chunkID(name, 60))
	fn := L.NewFunctionFromProto(proto)
	fn.Env = vm.proxy
	for level := 1; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if f, err := L.GetInfo("f", dbg, lua.LNil); err == nil {
			if lf, ok := f.(*lua.LFunction); ok && !lf.IsG {
				fn.Env = lf.Env
				break
			}
		}
	}
	L.Push(fn)
	return 1
}

// chunkID is how Lua 5.1 names a chunk in size bytes: "=name" as name, "@file" as
// file (its end when too long), and source text as [string "its first line"], cut to
// fit.
func chunkID(name string, size int) string {
	switch {
	case strings.HasPrefix(name, "="):
		return truncate(name[1:], size-1)
	case strings.HasPrefix(name, "@"):
		if file := name[1:]; len(file) > size-1 {
			return "..." + file[len(file)-(size-1-3):]
		}
		return name[1:]
	}
	room := size - len(` [string "..."] `) - 1
	line := name
	if i := strings.IndexAny(name, "\n\r"); i >= 0 {
		line = name[:i]
	}
	if len(line) > room {
		line = line[:room]
	}
	if len(line) < len(name) {
		return `[string "` + line + `..."]`
	}
	return `[string "` + name + `"]`
}

// renameChunk sets the name that run-time errors show for a chunk and the functions
// defined in it.
func renameChunk(p *lua.FunctionProto, name string) {
	p.SourceName = name
	for _, child := range p.FunctionPrototypes {
		renameChunk(child, name)
	}
}

// compileLua compiles a chunk under Lua's chunk name. Parse errors are reworded in
// Lua 5.1's "name:line: message" form.
func compileLua(code []byte, name string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(string(code)), name)
	if err != nil {
		return nil, luaSyntaxError(err, name, bytes.Count(code, []byte("\n"))+1)
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, luaSyntaxError(err, name, bytes.Count(code, []byte("\n"))+1)
	}
	return proto, nil
}

var parseErrLine = regexp.MustCompile(`line:(\d+)\(column:\d+\) near '([^']*)':\s*(.*)$`)

// luaSyntaxError turns gopher-lua's "name line:L(column:C) near 'T': msg" into
// "name:L: msg near 'T'".
func luaSyntaxError(err error, name string, lines int) error {
	msg := err.Error()
	if m := parseErrLine.FindStringSubmatch(msg); m != nil {
		near := m[2]
		if near == "EOF" {
			near = "<eof>"
		}
		text := m[3]
		if text == "syntax error" {
			text = "unexpected symbol"
		}
		return fmt.Errorf("%s:%s: %s near '%s'", name, m[1], text, near)
	}
	if strings.Contains(msg, " at EOF:") {
		return fmt.Errorf("%s:%d: unexpected symbol near '<eof>'", name, lines)
	}
	return fmt.Errorf("%s: %s", name, strings.TrimSpace(msg))
}
