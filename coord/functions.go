package coord

import (
	"bytes"
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/basaltdb/basalt/persist"
	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// FUNCTION LOAD|DELETE|FLUSH|LIST|STATS|KILL|DUMP|RESTORE, FCALL and FCALL_RO.
//
// A library is Lua code that starts with "#!lua name=<library>" and registers functions
// with redis.register_function when it runs. FUNCTION LOAD compiles the code and runs it
// once in a pooled state to validate it and learn its functions; every pooled state
// loads the libraries again, lazily, when the registry's generation has moved since it
// last did (libFunction). FCALL then runs a registered function like a script (see
// scripting.go for claims and atomicity), with KEYS and ARGV as its two arguments.

// functionRegistry holds the loaded libraries. mu guards every field.
type functionRegistry struct {
	mu     sync.RWMutex
	libs   map[string]*functionLibrary
	byName map[string]*libFunction
	gen    uint64
}

// functionLibrary is one loaded library. Immutable once registered.
type functionLibrary struct {
	name  string
	code  []byte
	proto *lua.FunctionProto
	funcs []*libFunction
}

// libFunction is one registered function.
type libFunction struct {
	name, description string
	hasDescription    bool
	flags             int
	lib               *functionLibrary
	// clean, undeclared and slow are learned as for scripts (scripting.go).
	clean, undeclared, slow atomic.Bool
}

// libraryLoad collects a library's registrations while its code runs.
type libraryLoad struct {
	funcs []*libFunction
	// callbacks are the registered closures, by function name.
	callbacks map[string]*lua.LFunction
}

// parseLibraryHeader reads "#!<engine> name=<name>" from the first line of code.
func parseLibraryHeader(code []byte) (string, string) {
	if len(code) < 2 || code[0] != '#' || code[1] != '!' {
		return "", "ERR Missing library metadata"
	}
	end := bytes.IndexByte(code, '\n')
	if end < 0 {
		return "", "ERR Invalid library metadata"
	}
	// The first line splits with redis-cli's quoting rules, as Redis splits it, so
	// name="foo" names foo.
	parts, err := SplitArgs(string(code[:end]))
	if err != nil || len(parts) == 0 {
		return "", "ERR Invalid library metadata"
	}
	engine := parts[0][2:]
	name, named := "", false
	for _, p := range parts[1:] {
		if len(p) < 5 || !strings.EqualFold(p[:5], "name=") {
			return "", "ERR Invalid metadata value given: " + p
		}
		if named {
			return "", "ERR Invalid metadata value, name argument was given multiple times"
		}
		name, named = p[5:], true
	}
	if !named {
		return "", "ERR Library name was not given"
	}
	if !validFunctionName(name) {
		return "", errFunctionName
	}
	if !strings.EqualFold(engine, "lua") {
		return "", "ERR Engine '" + engine + "' not found"
	}
	return name, ""
}

const errFunctionName = "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

func validFunctionName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// compileLibrary compiles code and runs it in a pooled state to collect its functions.
func (e *scriptEngine) compileLibrary(code []byte) (*functionLibrary, string) {
	name, msg := parseLibraryHeader(code)
	if msg != "" {
		return nil, msg
	}
	body := append([]byte("--"), code[2:]...)
	p, err := compileLua(body, "user_function")
	if err != nil {
		return nil, "ERR Error compiling function: " + err.Error()
	}
	lib := &functionLibrary{name: name, code: append([]byte(nil), code...), proto: p}
	vm := e.pool.Get().(*luaVM)
	defer e.pool.Put(vm)
	load, msg := vm.runLibrary(lib)
	if msg != "" {
		return nil, "ERR Error registering functions: " + msg
	}
	if len(load.funcs) == 0 {
		return nil, "ERR No functions registered"
	}
	lib.funcs = load.funcs
	for _, f := range lib.funcs {
		f.lib = lib
	}
	return lib, ""
}

// functionLoadTimeout bounds the run of a library's top-level code (FUNCTION LOAD).
const functionLoadTimeout = 500 * time.Millisecond

// runLibrary runs a library's code in this state and returns what it registered.
// During the load only register_function and log are usable: the library sees a redis
// table without call and pcall, as in Redis.
func (vm *luaVM) runLibrary(lib *functionLibrary) (*libraryLoad, string) {
	L := vm.L
	load := &libraryLoad{callbacks: map[string]*lua.LFunction{}}
	vm.loading = load
	defer func() { vm.loading = nil; L.SetTop(0) }()
	fn := L.NewFunctionFromProto(lib.proto)
	fn.Env = vm.loadEnv()
	// A library's top-level code only registers functions; one that runs on (a loop
	// at load time) is stopped after redis-server's 500 ms, or it would hold its event
	// loop for ever.
	ctx, cancel := context.WithTimeout(context.Background(), functionLoadTimeout)
	defer cancel()
	L.SetContext(ctx)
	defer L.RemoveContext()
	L.Push(fn)
	if err := L.PCall(0, 0, nil); err != nil {
		if ctx.Err() != nil {
			return nil, "ERR FUNCTION LOAD timeout"
		}
		var obj lua.LValue = lua.LString(err.Error())
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
		}
		if t, ok := obj.(*lua.LTable); ok {
			e, _ := t.RawGetString("err").(lua.LString)
			return nil, string(e)
		}
		return nil, "ERR " + lua.LVAsString(obj)
	}
	return load, ""
}

// loadEnv is the global environment of library code. While it loads, the only global
// is a redis table limited to registration, logging and the version, as in Redis (math,
// string, getmetatable and the rest are not there yet); once loaded, its functions see
// the usual read-only globals and the full redis table, without register_function.
func (vm *luaVM) loadEnv() *lua.LTable {
	L := vm.L
	real := vm.libs["redis"]
	limited := L.NewTable()
	for _, name := range []string{"log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING",
		"REDIS_VERSION", "REDIS_VERSION_NUM"} {
		limited.RawSetString(name, real.RawGetString(name))
	}
	limited.RawSetString("register_function", L.NewFunction(vm.registerFunction))
	proxied := L.NewTable()
	meta := L.NewTable()
	meta.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		v := limited.RawGet(L.Get(2))
		if v == lua.LNil {
			L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(L.Get(2)))
		}
		L.Push(v)
		return 1
	}))
	meta.RawSetString("__newindex", L.NewFunction(vm.globalSet))
	L.SetMetatable(proxied, meta)
	env := L.NewTable()
	envMeta := L.NewTable()
	envMeta.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		if vm.loading == nil {
			// Run time: the globals every script sees, redis through its read-only
			// proxy (the real table would let a function replace redis.call for every
			// later run of this pooled state).
			return vm.globalGet(L)
		}
		if s, ok := L.Get(2).(lua.LString); ok && s == "redis" {
			L.Push(proxied)
			return 1
		}
		return vm.globalMissing(L)
	}))
	envMeta.RawSetString("__newindex", L.NewFunction(vm.globalSet))
	L.SetMetatable(env, envMeta)
	return env
}

// registerFunction is redis.register_function(name, fn) and
// redis.register_function{function_name=..., callback=..., flags={...}, description=...}.
func (vm *luaVM) registerFunction(L *lua.LState) int {
	load := vm.loading
	fail := func(msg string) int {
		t := L.CreateTable(0, 1)
		t.RawSetString("err", lua.LString(msg))
		L.Error(t, 0)
		return 0
	}
	if load == nil {
		return fail("ERR redis.register_function can only be called on FUNCTION LOAD command")
	}
	f := &libFunction{}
	var cb *lua.LFunction
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			return fail("ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var bad string
		t.ForEach(func(k, v lua.LValue) {
			if bad != "" {
				return
			}
			switch lua.LVAsString(k) {
			case "function_name":
				s, ok := v.(lua.LString)
				if !ok {
					bad = "ERR function_name argument given to redis.register_function must be a string"
				}
				f.name = string(s)
			case "description":
				s, ok := v.(lua.LString)
				if !ok {
					bad = "ERR description argument given to redis.register_function must be a string"
				}
				f.description, f.hasDescription = string(s), true
			case "callback":
				c, ok := v.(*lua.LFunction)
				if !ok {
					bad = "ERR callback argument given to redis.register_function must be a function"
				}
				cb = c
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					bad = "ERR flags argument to redis.register_function must be a table representing function flags"
					return
				}
				var names []string
				notString := false
				ft.ForEach(func(_, n lua.LValue) {
					s, ok := n.(lua.LString)
					notString = notString || !ok
					names = append(names, string(s))
				})
				flags, msg := parseScriptFlags(names, "ERR unknown flag given")
				if msg != "" || notString {
					bad = "ERR unknown flag given"
				}
				f.flags = flags
			default:
				bad = "ERR unknown argument given to redis.register_function"
			}
		})
		if bad != "" {
			return fail(bad)
		}
		if f.name == "" {
			return fail("ERR redis.register_function must get a function name argument")
		}
		if cb == nil {
			return fail("ERR redis.register_function must get a callback argument")
		}
	case 2:
		s, ok := L.Get(1).(lua.LString)
		if !ok {
			return fail("ERR first argument to redis.register_function must be a string")
		}
		c, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			return fail("ERR second argument to redis.register_function must be a function")
		}
		f.name, cb = string(s), c
	default:
		return fail("ERR wrong number of arguments to redis.register_function")
	}
	if !validFunctionName(f.name) {
		return fail(errFunctionName)
	}
	if _, dup := load.callbacks[f.name]; dup {
		return fail("ERR Function already exists in the library")
	}
	load.funcs = append(load.funcs, f)
	load.callbacks[f.name] = cb
	return 0
}

// libFunction returns this state's closure for f, loading every library into the
// state first when the registry changed since the state last did.
func (vm *luaVM) libFunction(reg *functionRegistry, f *libFunction) *lua.LFunction {
	reg.mu.RLock()
	gen := reg.gen
	var libs []*functionLibrary
	if vm.libGen != gen || len(vm.libFns) == 0 {
		for _, lib := range reg.libs {
			libs = append(libs, lib)
		}
	}
	reg.mu.RUnlock()
	if libs != nil {
		clear(vm.libFns)
		for _, lib := range libs {
			load, msg := vm.runLibrary(lib)
			if msg != "" {
				continue
			}
			for name, cb := range load.callbacks {
				vm.libFns[name] = cb
			}
		}
		vm.libGen = gen
	}
	return vm.libFns[f.name]
}

// FUNCTION LOAD [REPLACE] function-code
func functionLoadCmd(cl *client, args [][]byte, w *proto.Writer) {
	replace := false
	code := args[len(args)-1]
	for _, a := range args[2 : len(args)-1] {
		if !strings.EqualFold(string(a), "replace") {
			w.Error("ERR Unknown option given: " + string(a))
			return
		}
		replace = true
	}
	e := cl.srv.scripts()
	lib, msg := e.compileLibrary(code)
	if msg != "" {
		w.Error(msg)
		return
	}
	if msg := e.funcs.add(lib, replace); msg != "" {
		w.Error(msg)
		return
	}
	w.BulkString(lib.name)
}

// add registers lib, replacing a library of the same name when replace is set.
func (reg *functionRegistry) add(lib *functionLibrary, replace bool) string {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	old := reg.libs[lib.name]
	if old != nil && !replace {
		return "ERR Library '" + lib.name + "' already exists"
	}
	for _, f := range lib.funcs {
		if have := reg.byName[funcKey(f.name)]; have != nil && have.lib != old {
			return "ERR Function " + f.name + " already exists"
		}
	}
	if old != nil {
		for _, f := range old.funcs {
			delete(reg.byName, funcKey(f.name))
		}
	}
	reg.libs[lib.name] = lib
	for _, f := range lib.funcs {
		reg.byName[funcKey(f.name)] = f
	}
	reg.gen++
	return ""
}

// FUNCTION DELETE library-name
func functionDeleteCmd(cl *client, args [][]byte, w *proto.Writer) {
	reg := &cl.srv.scripts().funcs
	reg.mu.Lock()
	defer reg.mu.Unlock()
	lib := reg.libs[string(args[2])]
	if lib == nil {
		w.Error("ERR Library not found")
		return
	}
	for _, f := range lib.funcs {
		delete(reg.byName, funcKey(f.name))
	}
	delete(reg.libs, lib.name)
	reg.gen++
	w.OK()
}

// FUNCTION FLUSH [ASYNC|SYNC]
func functionFlushCmd(cl *client, args [][]byte, w *proto.Writer) {
	if len(args) > 3 {
		w.Error("ERR unknown subcommand or wrong number of arguments for '" + string(args[1]) + "'. Try FUNCTION HELP.")
		return
	}
	if len(args) == 3 && !strings.EqualFold(string(args[2]), "sync") && !strings.EqualFold(string(args[2]), "async") {
		w.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	cl.srv.scripts().funcs.flush()
	w.OK()
}

func (reg *functionRegistry) flush() {
	reg.mu.Lock()
	reg.libs = map[string]*functionLibrary{}
	reg.byName = map[string]*libFunction{}
	reg.gen++
	reg.mu.Unlock()
}

// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
func functionListCmd(cl *client, args [][]byte, w *proto.Writer) {
	withCode, pattern, hasPattern := false, "", false
	for i := 2; i < len(args); i++ {
		switch a := strings.ToLower(string(args[i])); {
		case a == "withcode" && !withCode:
			withCode = true
		case a == "libraryname" && !hasPattern:
			if i+1 >= len(args) {
				w.Error("ERR library name argument was not given")
				return
			}
			pattern, hasPattern = string(args[i+1]), true
			i++
		default:
			w.Error("ERR Unknown argument " + string(args[i]))
			return
		}
	}
	reg := &cl.srv.scripts().funcs
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	var libs []*functionLibrary
	for _, lib := range reg.libs {
		if hasPattern {
			if !shard.Match([]byte(pattern), []byte(lib.name), false) {
				continue
			}
		}
		libs = append(libs, lib)
	}
	sort.Slice(libs, func(i, j int) bool { return libs[i].name < libs[j].name })
	w.Array(len(libs))
	for _, lib := range libs {
		n := 3
		if withCode {
			n++
		}
		w.Map(n)
		w.BulkString("library_name")
		w.BulkString(lib.name)
		w.BulkString("engine")
		w.BulkString("LUA")
		w.BulkString("functions")
		w.Array(len(lib.funcs))
		for _, f := range lib.funcs {
			w.Map(3)
			w.BulkString("name")
			w.BulkString(f.name)
			w.BulkString("description")
			if f.hasDescription {
				w.BulkString(f.description)
			} else {
				w.Null()
			}
			w.BulkString("flags")
			var names []string
			for i, fn := range scriptFlagNames {
				if f.flags&(1<<i) != 0 {
					names = append(names, fn)
				}
			}
			w.Set(len(names))
			for _, fn := range names {
				w.Simple(fn)
			}
		}
		if withCode {
			w.BulkString("library_code")
			w.Bulk(lib.code)
		}
	}
}

// funcKey is a function's key in funcRegistry.byName: FCALL finds functions whatever
// the case of their names, as redis-server does.
func funcKey(name string) string { return strings.ToLower(name) }

// FUNCTION STATS
func functionStatsCmd(cl *client, _ [][]byte, w *proto.Writer) {
	e := cl.srv.scripts()
	reg := &e.funcs
	reg.mu.RLock()
	libs, funcs := len(reg.libs), len(reg.byName)
	reg.mu.RUnlock()
	w.Map(2)
	w.BulkString("running_script")
	if r := e.running.oldest(true); r != nil {
		w.Map(3)
		w.BulkString("name")
		w.BulkString(r.name)
		w.BulkString("command")
		w.Array(len(r.callArgs))
		for _, a := range r.callArgs {
			w.Bulk(a)
		}
		w.BulkString("duration_ms")
		w.Int(r.elapsedMs())
	} else {
		w.Null()
	}
	w.BulkString("engines")
	w.Map(1)
	w.BulkString("LUA")
	w.Map(2)
	w.BulkString("libraries_count")
	w.Int(int64(libs))
	w.BulkString("functions_count")
	w.Int(int64(funcs))
}

// FUNCTION KILL
func functionKillCmd(cl *client, _ [][]byte, w *proto.Writer) {
	msg := cl.srv.scripts().running.kill(true)
	if msg == "" {
		w.OK()
		return
	}
	w.Error(msg)
}

// FUNCTION DUMP: every library, in the payload format of redis-server's FUNCTION DUMP.
func functionDumpCmd(cl *client, _ [][]byte, w *proto.Writer) {
	w.Bulk(persist.AppendFunctionPayload(nil, cl.srv.FunctionLibraries()))
}

// Restore policies: what FUNCTION RESTORE does with the libraries already loaded.
const (
	restoreAppend  = iota // keep them; a library name in both is an error
	restoreReplace        // keep them, but the payload's library of the same name wins
	restoreFlush          // drop them all
)

// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]
//
// Every library of the payload is compiled before anything changes, and the registry
// changes under one lock, so a failed restore leaves the libraries as they were.
func functionRestoreCmd(cl *client, args [][]byte, w *proto.Writer) {
	if len(args) > 4 {
		w.Error("ERR unknown subcommand or wrong number of arguments for '" + string(args[1]) + "'. Try FUNCTION HELP.")
		return
	}
	policy := restoreAppend
	if len(args) == 4 {
		switch strings.ToLower(string(args[3])) {
		case "append":
		case "replace":
			policy = restoreReplace
		case "flush":
			policy = restoreFlush
		default:
			w.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	codes, err := persist.DecodeFunctionPayload(args[2])
	if err != nil {
		switch {
		case errors.Is(err, persist.ErrPayload):
			w.Error("ERR DUMP payload version or checksum are wrong")
		case errors.Is(err, persist.ErrNotFunction):
			w.Error("ERR given type is not a function")
		default:
			w.Error("ERR Failed loading library payload")
		}
		return
	}
	libs, msg := cl.srv.scripts().compilePayload(codes)
	if msg == "" {
		msg = cl.srv.scripts().funcs.restore(libs, policy)
	}
	if msg != "" {
		w.Error(msg)
		return
	}
	w.OK()
}

// compilePayload compiles the libraries of a FUNCTION RESTORE payload, which must not
// clash among themselves.
func (e *scriptEngine) compilePayload(codes [][]byte) ([]*functionLibrary, string) {
	libs := make([]*functionLibrary, 0, len(codes))
	libNames, funcNames := map[string]bool{}, map[string]bool{}
	for _, code := range codes {
		lib, msg := e.compileLibrary(code)
		if msg != "" {
			return nil, msg
		}
		if libNames[lib.name] {
			return nil, "ERR Library '" + lib.name + "' already exists"
		}
		libNames[lib.name] = true
		for _, f := range lib.funcs {
			if funcNames[f.name] {
				return nil, "ERR Function " + f.name + " already exists"
			}
			funcNames[f.name] = true
		}
		libs = append(libs, lib)
	}
	return libs, ""
}

// restore joins libs into the registry under policy, or changes nothing and returns
// Redis's error (which, unlike FUNCTION LOAD's, does not quote the library name).
func (reg *functionRegistry) restore(libs []*functionLibrary, policy int) string {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if policy == restoreFlush {
		reg.libs = map[string]*functionLibrary{}
		reg.byName = map[string]*libFunction{}
	}
	replaced := map[*functionLibrary]bool{}
	for _, lib := range libs {
		if old := reg.libs[lib.name]; old != nil {
			if policy != restoreReplace {
				return "ERR Library " + lib.name + " already exists"
			}
			replaced[old] = true
		}
	}
	for _, lib := range libs {
		for _, f := range lib.funcs {
			if have := reg.byName[funcKey(f.name)]; have != nil && !replaced[have.lib] {
				return "ERR Function " + f.name + " already exists"
			}
		}
	}
	for old := range replaced {
		for _, f := range old.funcs {
			delete(reg.byName, funcKey(f.name))
		}
	}
	for _, lib := range libs {
		reg.libs[lib.name] = lib
		for _, f := range lib.funcs {
			reg.byName[funcKey(f.name)] = f
		}
	}
	reg.gen++
	return ""
}

// FUNCTION HELP
func functionHelpCmd(_ *client, _ [][]byte, w *proto.Writer) {
	lines := []string{
		"FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).",
		"HELP",
		"    Prints this help.",
	}
	w.Array(len(lines))
	for _, l := range lines {
		w.Simple(l)
	}
}

// FCALL function numkeys [key ...] [arg ...], and FCALL_RO.
func fcallCmd(readOnly bool) clientHandler {
	return func(cl *client, args [][]byte, w *proto.Writer) {
		cl.feedScript(args)
		n, msg := parseNumKeys(args)
		if msg == proto.ErrNotInt {
			msg = "ERR Bad number of keys provided"
		}
		if msg != "" {
			w.Error(msg)
			return
		}
		reg := &cl.srv.scripts().funcs
		reg.mu.RLock()
		f := reg.byName[funcKey(string(args[1]))]
		reg.mu.RUnlock()
		if f == nil {
			w.Error("ERR Function not found")
			return
		}
		if readOnly && f.flags&scriptNoWrites == 0 {
			w.Error(errScriptWriteFlagRO)
			return
		}
		if msg := cl.scriptRefusal(f.flags); msg != "" {
			w.Error(msg)
			return
		}
		own := ownArgs(args)
		r := &scriptRun{
			srv: cl.srv, cl: cl, fn: f, name: f.name, kind: "user_function",
			callArgs: own, keys: own[3 : 3+n], argv: own[3+n:],
			readOnly: readOnly || f.flags&scriptNoWrites != 0,
			allowOOM: f.flags&scriptAllowOOM != 0,
		}
		r.cmd = lookupCommand(args[0], &r.scratch)
		r.trackReads = cl.track != nil && cl.track.deferReads
		cl.runScript(r)
	}
}

// FunctionLibraries returns the source code of every loaded function library, sorted
// by library name, for the RDB writer (each one is written as an RDB_OPCODE_FUNCTION2
// record). Any goroutine may call it.
func (s *Server) FunctionLibraries() [][]byte {
	reg := &s.scripts().funcs
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	names := make([]string, 0, len(reg.libs))
	for name := range reg.libs {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([][]byte, len(names))
	for i, n := range names {
		out[i] = reg.libs[n].code
	}
	return out
}

// LoadFunctionLibrary loads one library's code read from an RDB file (the callback of
// persist.Decoder.Function). A library that exists already is replaced.
func (s *Server) LoadFunctionLibrary(code []byte) error {
	e := s.scripts()
	lib, msg := e.compileLibrary(code)
	if msg != "" {
		return &functionLoadError{msg}
	}
	if msg := e.funcs.add(lib, true); msg != "" {
		return &functionLoadError{msg}
	}
	return nil
}

type functionLoadError struct{ msg string }

func (e *functionLoadError) Error() string { return "cannot load function library: " + e.msg }
