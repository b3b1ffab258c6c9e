package coord

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/basaltdb/basalt/proto"
)

// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT.
//
// Atomicity. A script runs as one transaction. Its Lua code runs on a goroutine of its
// own while the transaction holds its claims; every redis.call goes to the shard that
// owns the command's keys and runs there (post and wait) under those claims, so no other
// client observes a state between two calls. The client's loop is never blocked: it only
// waits for the transaction like for any multi-shard command. Commands that need the
// coordinator themselves (keys on several shards, KEYS, FLUSHALL, ...) are started on the
// client's loop as steps of the script's transaction.
//
// Which claims. A script may touch keys it did not declare in KEYS, and the keys it
// touches are only known as it runs, while claims must be taken up front in the global
// order. So:
//   - a script that has not yet run cleanly (its first run) claims every shard;
//   - a script that once ran touching only its declared keys claims just those keys;
//   - when such a script touches an undeclared key before it wrote anything, the run is
//     abandoned (nothing was changed, nothing observed) and started again claiming every
//     shard; the script is marked and claims every shard from then on;
//   - when it touches an undeclared key after a write, the claims cannot grow without
//     risking a deadlock, so the call fails with errUndeclaredAfterWrite (what the script
//     wrote stays, as after any script error; still nobody saw a partial state), and the
//     script claims every shard from its next run on.
//
// Fast path: a script in key-claim mode whose declared keys all live on one shard runs
// entirely on that shard's loop, in one hop (runScriptOnShard), like a single-shard
// MULTI/EXEC block: it waits for transactions holding its keys, then nothing else runs
// on that loop until it ends. A run there that outlives busy-reply-threshold before
// writing is moved off the loop (lua_busy.go), so that loop's clients get BUSY and can
// SCRIPT KILL it; one that wrote first keeps its loop until it ends.
//
// AOF: a script is logged by its effects, several writes as one MULTI/EXEC block (see
// runCaptured).
//
// Read-only scripts (EVAL_RO, EVALSHA_RO, no-writes) take shared claims.
//
// Inside MULTI/EXEC a script is claimed as a whole-shard write by EXEC (see init) and
// runs under EXEC's claims.

const (
	errNoScript             = "NOSCRIPT No matching script. Please use EVAL."
	errNegativeKeys         = "ERR Number of keys can't be negative"
	errTooManyKeys          = "ERR Number of keys can't be greater than number of args"
	errScriptUnknownCommand = "ERR Unknown Redis command called from script"
	errScriptArity          = "ERR Wrong number of args calling Redis command from script"
	errScriptNoScript       = "ERR This Redis command is not allowed from script"
	errScriptReadOnly       = "ERR Write commands are not allowed from read-only scripts."
	errScriptNoArgs         = "ERR Please specify at least one argument for this redis lib call"
	errScriptArgType        = "ERR Lua redis lib command arguments must be strings or integers"
	errScriptWriteFlagRO    = "ERR Can not execute a script with write flag using *_ro command."
	errUndeclaredAfterWrite = "ERR Script accessed a key it did not declare in KEYS after writing; from its next run on it claims every shard"
	// errScriptRestart aborts a run that must start again with every shard claimed; the
	// client never sees it.
	errScriptRestart = "ERR script restarts claiming every shard"
)

func init() {
	// EXEC claims a script as a write of every shard: the keys it touches are unknown.
	for _, name := range []string{"eval", "evalsha", "fcall"} {
		globalClaims[name] = true
	}
	for _, name := range []string{"eval_ro", "evalsha_ro", "fcall_ro"} {
		globalClaims[name] = false
	}
}

// Script flags, from a script's shebang line or a function's registration.
const (
	scriptNoWrites = 1 << iota
	scriptAllowOOM
	scriptAllowStale
	scriptNoCluster
	scriptAllowCrossSlot
)

var scriptFlagNames = []string{"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"}

// luaScript is one compiled EVAL script. Immutable after creation but for the two
// learned flags, which any run may set.
type luaScript struct {
	sha   string
	body  []byte
	proto *lua.FunctionProto
	// shebang is set when the body starts with "#!lua"; flags are then its flags, and a
	// script without no-writes counts as writing.
	shebang bool
	flags   int
	// clean is set once a run touched only declared keys; undeclared once a run touched
	// another key. Only clean and not undeclared scripts run with key claims.
	clean, undeclared atomic.Bool
	// slow is set once a run on the single-shard fast path outlived
	// busy-reply-threshold; the script then runs off the loops (see lua_busy.go).
	slow atomic.Bool
}

// scriptEngine is a server's script cache, function libraries and Lua state pool.
// Any goroutine may use it; mu guards scripts and gen.
type scriptEngine struct {
	mu      sync.RWMutex
	scripts map[string]*luaScript
	gen     uint64
	pool    sync.Pool
	funcs   functionRegistry
	running runningScripts
}

// engines maps a Server to its script engine; the server struct stays as it is.
var engines sync.Map

// scripts returns the server's script engine, creating it on first use.
func (s *Server) scripts() *scriptEngine {
	if e, ok := engines.Load(s); ok {
		return e.(*scriptEngine)
	}
	e, _ := engines.LoadOrStore(s, newScriptEngine())
	return e.(*scriptEngine)
}

func newScriptEngine() *scriptEngine {
	e := &scriptEngine{scripts: map[string]*luaScript{}}
	e.pool.New = func() any { return newLuaVM() }
	e.funcs.libs = map[string]*functionLibrary{}
	e.funcs.byName = map[string]*libFunction{}
	return e
}

// lookup finds a cached script by SHA1 (any case).
func (e *scriptEngine) lookup(sha []byte) (*luaScript, uint64) {
	key := strings.ToLower(string(sha))
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.scripts[key], e.gen
}

// load compiles body and caches it, or returns the cached script. errMsg is the
// client-visible compile or shebang error.
func (e *scriptEngine) load(body []byte) (sc *luaScript, gen uint64, errMsg string) {
	sum := sha1.Sum(body)
	sha := hex.EncodeToString(sum[:])
	if sc, gen := e.lookup([]byte(sha)); sc != nil {
		return sc, gen, ""
	}
	sc = &luaScript{sha: sha, body: append([]byte(nil), body...)}
	code := sc.body
	if len(code) >= 2 && code[0] == '#' && code[1] == '!' {
		flags, msg := parseShebang(code)
		if msg != "" {
			return nil, 0, msg
		}
		sc.shebang, sc.flags = true, flags
		// The shebang line becomes a comment, so line numbers stay right.
		code = append([]byte("--"), code[2:]...)
	}
	p, err := compileLua(code, "user_script")
	if err != nil {
		return nil, 0, "ERR Error compiling script (new function): " + err.Error()
	}
	sc.proto = p
	e.mu.Lock()
	defer e.mu.Unlock()
	if have := e.scripts[sha]; have != nil {
		return have, e.gen, ""
	}
	e.scripts[sha] = sc
	return sc, e.gen, ""
}

// parseShebang reads "#!lua [flags=a,b]" on a script's first line.
func parseShebang(code []byte) (int, string) {
	line := string(code[2:])
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	parts := strings.Split(line, " ")
	if parts[0] != "lua" {
		return 0, "ERR Unexpected engine in script shebang: #!" + parts[0]
	}
	flags := 0
	for _, p := range parts[1:] {
		if p == "" {
			continue
		}
		list, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return 0, "ERR Unknown lua shebang option: " + p
		}
		f, msg := parseScriptFlags(strings.Split(list, ","), "ERR Unexpected flag in script shebang: ")
		if msg != "" {
			return 0, msg
		}
		flags |= f
	}
	return flags, ""
}

// parseScriptFlags maps flag names to bits; an unknown name yields prefix+name.
func parseScriptFlags(names []string, prefix string) (int, string) {
	flags := 0
	for _, n := range names {
		if n == "" {
			continue
		}
		found := false
		for i, known := range scriptFlagNames {
			if n == known {
				flags |= 1 << i
				found = true
			}
		}
		if !found {
			return 0, prefix + n
		}
	}
	return flags, ""
}

// scriptMemory is what INFO memory reports of scripts and functions: the counts, and
// the bytes of their source (the compiled code and the Lua states are not measured).
type scriptMemory struct {
	scripts, functions, libraries int
	evalBytes, functionBytes      int64
}

func (e *scriptEngine) memory() scriptMemory {
	var m scriptMemory
	e.mu.RLock()
	m.scripts = len(e.scripts)
	for _, sc := range e.scripts {
		m.evalBytes += int64(len(sc.body) + len(sc.sha))
	}
	e.mu.RUnlock()
	reg := &e.funcs
	reg.mu.RLock()
	m.functions, m.libraries = len(reg.byName), len(reg.libs)
	for _, lib := range reg.libs {
		m.functionBytes += int64(len(lib.code))
	}
	reg.mu.RUnlock()
	return m
}

// flush empties the script cache.
func (e *scriptEngine) flush() {
	e.mu.Lock()
	e.scripts = map[string]*luaScript{}
	e.gen++
	e.mu.Unlock()
}

// parseNumKeys reads EVAL's and FCALL's numkeys argument.
func parseNumKeys(args [][]byte) (int, string) {
	n, ok := proto.ParseInt(args[2])
	switch {
	case !ok:
		return 0, proto.ErrNotInt
	case n < 0:
		return 0, errNegativeKeys
	case n > int64(len(args)-3):
		return 0, errTooManyKeys
	}
	return int(n), ""
}

// EVAL script numkeys [key ...] [arg ...], and EVALSHA, EVAL_RO, EVALSHA_RO.
func evalCmd(readOnly, bySHA bool) clientHandler {
	return func(cl *client, args [][]byte, w *proto.Writer) {
		cl.feedScript(args)
		if bySHA && len(args[1]) != 40 {
			w.Error(errNoScript)
			return
		}
		numKeys, msg := parseNumKeys(args)
		if msg != "" {
			w.Error(msg)
			return
		}
		e := cl.srv.scripts()
		var sc *luaScript
		var gen uint64
		if bySHA {
			if sc, gen = e.lookup(args[1]); sc == nil {
				w.Error(errNoScript)
				return
			}
		} else if sc, gen, msg = e.load(args[1]); msg != "" {
			w.Error(msg)
			return
		}
		if readOnly && sc.shebang && sc.flags&scriptNoWrites == 0 {
			w.Error(errScriptWriteFlagRO)
			return
		}
		if msg := cl.scriptRefusal(sc.flags); sc.shebang && msg != "" {
			w.Error(msg)
			return
		}
		own := ownArgs(args[3:])
		r := &scriptRun{
			srv: cl.srv, cl: cl, script: sc, gen: gen,
			name: sc.sha, kind: "user_script",
			keys: own[:numKeys], argv: own[numKeys:],
			readOnly: readOnly || (sc.shebang && sc.flags&scriptNoWrites != 0),
			allowOOM: sc.shebang && sc.flags&scriptAllowOOM != 0,
		}
		r.cmd = lookupCommand(args[0], &r.scratch)
		r.trackReads = cl.track != nil && cl.track.deferReads
		cl.runScript(r)
	}
}

// scriptRefusal is the error that refuses a function or a script with a shebang, whose
// flags are flags, as a whole, or "": as Redis does, one that may write does not start
// when writes are refused (MISCONF, NOREPLICAS) or memory is over maxmemory and it
// lacks allow-oom. A script without a shebang starts, and only its calls fail.
func (cl *client) scriptRefusal(flags int) string {
	switch {
	case flags&scriptNoCluster != 0 && cl.srv.cluster != nil:
		return "ERR Can not run script on cluster, 'no-cluster' flag is set."
	case flags&scriptNoWrites != 0 || cl.loader:
		return ""
	case cl.srv.misconf.Load():
		return proto.ErrMisconf
	case flags&scriptAllowOOM == 0 && cl.srv.overMemory():
		return errOOM
	case cl.srv.noReplicas.Load():
		return errNoReplicas
	case cl.srv.readOnlyReplica.Load():
		return errReadOnly
	}
	return ""
}

// scriptRun is one execution of a script or function.
//
// Owner: created on the client's loop; while the Lua code runs, its goroutine owns the
// run, and the client's loop reads the result only after the goroutine acknowledged
// the end (the fanout's counter orders the two).
type scriptRun struct {
	srv *Server
	cl  *client
	// slot is the hash slot the run's keys are in, -1 before the first; readonly and
	// crossSlot are the caller's READONLY and the allow-cross-slot-keys flag (cluster
	// mode, cluster.go).
	slot                int
	readonly, crossSlot bool
	// acl, when the caller's user is restricted, checks the calls (acl_cmds.go).
	acl *scriptACL
	// script is the EVAL script, or nil for a function (fn).
	script *luaScript
	gen    uint64
	fn     *libFunction
	// name and kind appear in errors: "script: <name>, on @<kind>:<line>".
	name, kind string
	keys, argv [][]byte
	// callArgs is the FCALL as the client sent it (FUNCTION STATS shows it).
	callArgs [][]byte
	readOnly bool
	// oomAtStart is set when the server was over maxmemory as the run began: until it
	// writes, the run's deny-oom calls then fail with OOM, as in Redis.
	oomAtStart bool
	// allowOOM is the allow-oom flag: no call of the run is refused over maxmemory.
	allowOOM bool

	db          int
	resp3Client bool
	// resp3 is the protocol the script speaks to redis.call (redis.setresp).
	resp3 bool
	// declared lists the claimed keys when the run holds key claims, nil when it holds
	// every shard.
	declared map[lockKey]bool
	// claims is the transaction whose claims cover the calls (the EXEC's inside EXEC).
	claims *txn
	// onShard is set when the whole run executes on the loop of shard (the fast path
	// of runScriptOnShard).
	onShard bool
	shard   int
	// wrote is set once the run called a write command (KILL reads it).
	wrote   atomic.Bool
	restart bool
	// errLine is the script line of the last raised error.
	errLine int
	// killed is set by SCRIPT KILL / FUNCTION KILL; the Lua code then stops.
	killed atomic.Bool
	// phase arbitrates, on the fast path, between the first write and the busy
	// watchdog moving the run off the loop (lua_busy.go).
	phase atomic.Int32
	reply proto.Writer
	// inExec is set for a script run by EXEC, whose writes EXEC's own block logs.
	inExec bool
	// effects collects the writes of the run for the AOF, logged when it ends (see
	// logEffects); effectsMu guards it against the client loop's steps.
	effectsMu sync.Mutex
	effects   []aofRecord
	// scratch lower-cases command names.
	scratch [32]byte
	// cmd is the EVAL or FCALL variant that started the run. notes are the commandstats
	// and errorstats of calls counted on no shard's loop (refusals, SELECT), applied on
	// the client's loop with the reply (settleRun); errCounted is set when the reply
	// is an error that a call already counted.
	cmd        *Command
	notes      []statNote
	errCounted bool
	// trackReads is set when the caller tracks the keys its script's calls read
	// (tracking.go).
	trackReads bool
	// monitorLines are the MONITOR lines of the run's calls.
	monitorLines [][]byte
}

// statNote is one call's contribution to INFO commandstats and errorstats.
type statNote struct {
	cmd              *Command
	calls            int64
	rejected, failed bool
	// err is the error reply to count, "" for none.
	err string
}

// monitor notes a call for MONITOR.
func (r *scriptRun) monitor(cmd *Command, args [][]byte) {
	if m := &r.srv.obs.monitors; m.count.Load() != 0 && cmd.Flags&(FlagAdmin|FlagSkipMonitor) == 0 {
		r.monitorLines = append(r.monitorLines, monitorLine(time.Now(), r.db, "lua", cmd, args))
	}
}

// settleRun shows the run's calls to MONITOR and counts, on the client's loop as the
// reply goes out, what the calls left in notes and the run's own failure. As in Redis, an error a call already counted
// (an error table from redis.call or redis.pcall, which carries
// ignore_error_stats_update) makes EVAL fail without being counted again.
func (cl *client) settleRun(r *scriptRun) {
	for _, line := range r.monitorLines {
		cl.srv.obs.monitors.send(line)
	}
	ls := cl.loop
	for _, n := range r.notes {
		if n.cmd != nil {
			st := &ls.stats[n.cmd.id]
			st.calls += n.calls
			if n.rejected {
				st.rejected++
			}
			if n.failed {
				st.failed++
			}
		}
		if n.err != "" {
			ls.countError(n.err)
		}
	}
	if b := r.reply.Bytes(); len(b) > 0 && b[0] == '-' {
		if r.cmd != nil {
			ls.stats[r.cmd.id].failed++
		}
		if !r.errCounted {
			ls.countErrorBytes(b[1:])
		}
	}
}

// runScript starts r as a transaction of cl: it takes the claims, runs the Lua code on
// its own goroutine, and replies when the code has finished and the claims are gone.
func (cl *client) runScript(r *scriptRun) {
	r.db = cl.db
	r.resp3Client = cl.out.RESP3()
	r.oomAtStart = !cl.loader && cl.srv.overMemory()
	r.inExec = cl.exec != nil
	r.slot, r.readonly = -1, cl.clusterReadonly
	if cl.srv.cluster != nil {
		for _, k := range r.keys {
			r.slot = keySlot(k) // the declared keys share one slot, or EVAL was refused
			break
		}
		// A script without a shebang may touch keys of several (local) slots, as in
		// Redis; one with flags, and a function, only with allow-cross-slot-keys.
		flags := scriptAllowCrossSlot
		if r.script != nil && r.script.shebang {
			flags = r.script.flags
		} else if r.fn != nil {
			flags = r.fn.flags
		}
		r.crossSlot = flags&scriptAllowCrossSlot != 0
	}
	if u := cl.user.cur.Load(); !u.open && !cl.loader {
		// The calls are checked against the caller's user; the log entry of a refused
		// one describes the caller as it was when the script started.
		r.acl = &scriptACL{user: u, name: cl.user.name, cinfo: cl.describe(time.Now().UnixMilli()), ctx: aclCtxLua}
	}
	if cl.exec == nil && r.keyClaims() && !r.isSlow() {
		if s, ok := r.keysShard(); ok {
			cl.runScriptOnShard(r, s)
			return
		}
	}
	t := cl.newTxn(r.readOnly)
	r.claims = t
	switch {
	case cl.exec != nil:
		r.claims = cl.exec.t
	case r.keyClaims():
		r.declared = make(map[lockKey]bool, len(r.keys))
		for _, k := range r.keys {
			t.claim(cl.db, k, !r.readOnly)
			r.declared[lockKey{cl.db, string(k)}] = true
		}
	default:
		t.claimAll(!r.readOnly)
	}
	begin := func() {
		cl.fanoutWith(1, func(ack func(int)) {
			go func() {
				r.execute()
				ack(0)
			}()
		}, func(w *proto.Writer) {
			finish := func(w *proto.Writer) {
				if r.restart {
					again := *r.fresh()
					cl.runScript(&again)
					return
				}
				w.Raw(r.reply.Bytes())
				cl.settleRun(r)
			}
			if t.locked {
				t.release(nil, nil, finish)
				return
			}
			finish(w)
		})
	}
	if len(t.shards) == 0 {
		begin()
		return
	}
	t.schedule(true, nil, nil, begin)
}

// keysShard returns the shard that owns every declared key (the client's own shard
// when there are none).
func (r *scriptRun) keysShard() (int, bool) {
	target := r.cl.loop.idx
	for i, k := range r.keys {
		s := r.srv.shardOf(k)
		if i > 0 && s != target {
			return 0, false
		}
		target = s
	}
	return target, true
}

// runScriptOnShard is the fast path of a script whose declared keys all live on one
// shard and that keeps to them: the whole script runs on that shard's loop, in one hop,
// its calls executed in place. Like a single-shard command it first waits for any
// transaction holding one of its keys; while it runs, the loop does nothing else, so no
// claims are needed. A call outside the shard's declared keys restarts the script on
// the general path (or fails after a write), as in key-claim mode.
func (cl *client) runScriptOnShard(r *scriptRun, s int) {
	r.onShard, r.shard = true, s
	srv := cl.srv
	req := &lockRequest{}
	mode := lockExclusive
	if r.readOnly {
		mode = lockShared
	}
	for _, k := range r.keys {
		req.keys = append(req.keys, lockKey{r.db, string(k)})
		req.modes = append(req.modes, mode)
	}
	cl.fanoutWith(1, func(ack func(int)) {
		start := func() {
			ls := srv.loops[s]
			if ls.locks.active() && ls.locks.conflictsHeld(req) {
				req.granted = func() { r.execute(); ack(s) }
				ls.locks.request(req)
				return
			}
			r.execute()
			ack(s)
		}
		if s == cl.loop.idx {
			start()
		} else {
			srv.run(s, start)
		}
	}, func(w *proto.Writer) {
		if r.restart {
			cl.runScript(r.fresh())
			return
		}
		w.Raw(r.reply.Bytes())
		cl.settleRun(r)
	})
}

// keyClaims reports whether the run may claim only its declared keys.
func (r *scriptRun) keyClaims() bool {
	if r.script != nil {
		return r.script.clean.Load() && !r.script.undeclared.Load()
	}
	return r.fn.clean.Load() && !r.fn.undeclared.Load()
}

// markUndeclared records that the script touched an undeclared key.
func (r *scriptRun) markUndeclared() {
	if r.script != nil {
		r.script.undeclared.Store(true)
	} else {
		r.fn.undeclared.Store(true)
	}
}

// fresh is a copy of the run's inputs for a new attempt.
func (r *scriptRun) fresh() *scriptRun {
	return &scriptRun{srv: r.srv, cl: r.cl, acl: r.acl, slot: r.slot, readonly: r.readonly, crossSlot: r.crossSlot, script: r.script, gen: r.gen, fn: r.fn,
		name: r.name, kind: r.kind, keys: r.keys, argv: r.argv, callArgs: r.callArgs, readOnly: r.readOnly, oomAtStart: r.oomAtStart,
		cmd: r.cmd, trackReads: r.trackReads}
}

// execute runs the Lua code and leaves the reply in r.reply. It runs on the run's own
// goroutine.
func (r *scriptRun) execute() {
	e := r.srv.scripts()
	vm := e.pool.Get().(*luaVM)
	vm.run = r
	e.running.add(r)
	defer func() {
		r.logEffects()
		e.running.remove(r)
		vm.run = nil
		vm.globals.RawSetString("KEYS", lua.LNil)
		vm.globals.RawSetString("ARGV", lua.LNil)
		vm.L.SetTop(0)
		e.pool.Put(vm)
	}()
	var fn *lua.LFunction
	if r.script != nil {
		fn = vm.function(r.script, r.gen)
	} else {
		fn = vm.libFunction(&e.funcs, r.fn)
		if fn == nil {
			r.reply.Error("ERR Function not found")
			return
		}
	}
	L := vm.L
	r.reply.SetRESP3(r.resp3Client)
	L.SetContext(vm.killContext(r))
	defer L.RemoveContext()
	if r.script != nil {
		vm.setArgs(r.keys, r.argv)
		L.Push(fn)
		err := L.PCall(0, 1, nil)
		r.finish(L, err)
		return
	}
	// A function receives KEYS and ARGV as its two arguments.
	L.Push(fn)
	for _, list := range [][][]byte{r.keys, r.argv} {
		t := L.CreateTable(len(list), 0)
		for i, a := range list {
			t.RawSetInt(i+1, lua.LString(a))
		}
		L.Push(t)
	}
	err := L.PCall(2, 1, nil)
	r.finish(L, err)
}

// finish writes the script's result or error. A clean run (no undeclared key) makes
// the script eligible for key claims.
func (r *scriptRun) finish(L *lua.LState, err error) {
	if r.onShard && r.phase.Load() == phaseMoving {
		r.restart = true
		r.markSlow()
	}
	if r.restart {
		return
	}
	if r.declared == nil && !r.touchedUndeclared() {
		if r.script != nil {
			r.script.clean.Store(true)
		} else {
			r.fn.clean.Store(true)
		}
	}
	if err != nil {
		var ae *lua.ApiError
		if errors.As(err, &ae) {
			r.errCounted = statsCounted(ae.Object)
		}
		r.reply.Error(r.errorText(err))
		return
	}
	v := L.Get(-1)
	L.Pop(1)
	r.errCounted = statsCounted(v)
	luaToReply(&r.reply, v, r.resp3, 0)
}

// statsCounted reports whether v is an error table whose error was counted already.
func statsCounted(v lua.LValue) bool {
	t, ok := v.(*lua.LTable)
	return ok && t.RawGetString("ignore_error_stats_update") == lua.LTrue
}

func (r *scriptRun) touchedUndeclared() bool {
	if r.script != nil {
		return r.script.undeclared.Load()
	}
	return r.fn.undeclared.Load()
}

// errorText formats a failed run as Redis does: the error's text, then
// " script: <name>, on @<kind>:<line>.".
func (r *scriptRun) errorText(err error) string {
	if r.killed.Load() && !r.wrote.Load() {
		return "ERR Script killed by user with SCRIPT KILL..."
	}
	var obj lua.LValue = lua.LString(err.Error())
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		obj = ae.Object
	}
	line := r.errLine
	var msg string
	switch o := obj.(type) {
	case *lua.LTable:
		e, _ := o.RawGetString("err").(lua.LString)
		msg = string(e)
	case lua.LString:
		msg = "ERR " + string(o)
		if n, ok := leadingLine(string(o), r.kind+":"); ok {
			line = n
		}
	case *lua.LNilType:
		msg = "ERR nil"
	default:
		msg = "ERR " + obj.String()
	}
	return msg + " script: " + r.name + ", on @" + r.kind + ":" + strconv.Itoa(max(line, 1)) + "."
}

// leadingLine reads N from a message that starts with "<prefix>N:".
func leadingLine(msg, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(msg, prefix)
	if !ok {
		return 0, false
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(rest[:i])
	return n, err == nil
}

// redisCall is redis.call (protected false) and redis.pcall (protected true).
func (vm *luaVM) redisCall(L *lua.LState, protected bool) int {
	r := vm.run
	fail := func(msg string, counted bool) int {
		t := L.CreateTable(0, 2)
		t.RawSetString("err", lua.LString(msg))
		if counted {
			t.RawSetString("ignore_error_stats_update", lua.LTrue)
		}
		if protected {
			L.Push(t)
			return 1
		}
		vm.noteLine(L)
		L.Error(t, 0)
		return 0
	}
	if r == nil {
		return fail("ERR redis.call is not available while a library loads", false)
	}
	n := L.GetTop()
	if n == 0 {
		return fail(errScriptNoArgs, false)
	}
	// The arguments are copied into buffers the state reuses: every command path
	// copies what it keeps (as it must for arguments in a connection's read buffer),
	// and the call is over before the next one reuses them.
	arena := vm.argArena[:0]
	ends := vm.argEnds[:0]
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			arena = append(arena, v...)
		case lua.LNumber:
			arena = append(arena, luaNumberString(float64(v))...)
		default:
			return fail(errScriptArgType, false)
		}
		ends = append(ends, len(arena))
	}
	args := vm.argSlices[:0]
	start := 0
	for _, end := range ends {
		args = append(args, arena[start:end:end])
		start = end
	}
	vm.argArena, vm.argEnds, vm.argSlices = arena, ends, args
	if r.restart {
		return fail(errScriptRestart, false)
	}
	reply, msg, counted := r.command(args)
	if msg != "" {
		return fail(msg, counted)
	}
	_, emsg, isErr := replyToLua(L, reply)
	if isErr && !protected {
		L.Pop(1)
		// The command counted its own error reply.
		return fail(emsg, true)
	}
	return 1
}

// luaNumberString formats a number passed to redis.call as Redis 7.2 does (Lua's own
// "%.14g" would lose precision): an integer up to 2^62 as an integer, anything else as
// the shortest digits that read back as the same double, written out plainly unless
// the exponent is far from the digits, then as d.ddde+X.
func luaNumberString(f float64) string {
	if f >= -(1<<62) && f <= 1<<62 && f == math.Trunc(f) {
		return strconv.FormatInt(int64(f), 10)
	}
	sign := ""
	if math.Signbit(f) {
		sign, f = "-", -f
	}
	switch {
	case f == 0:
		return sign + "0"
	case math.IsInf(f, 0):
		return sign + "inf"
	case math.IsNaN(f):
		return sign + "nan"
	}
	mant, e, _ := strings.Cut(strconv.FormatFloat(f, 'e', -1, 64), "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(e) // f = d.ddd x 10^exp
	nd := len(digits)
	k := exp - (nd - 1) // f = digits x 10^k
	absExp := max(exp, -exp)
	switch {
	case k >= 0 && absExp < nd+7:
		return sign + digits + strings.Repeat("0", k)
	case k < 0 && (k > -7 || absExp < 4):
		if point := nd + k; point > 0 {
			return sign + digits[:point] + "." + digits[point:]
		}
		return sign + "0." + strings.Repeat("0", -(nd+k)) + digits
	}
	out := sign + digits[:1]
	if nd > 1 {
		out += "." + digits[1:]
	}
	if exp < 0 {
		return out + "e-" + strconv.Itoa(-exp)
	}
	return out + "e+" + strconv.Itoa(exp)
}

// command runs one redis.call under the run's claims and returns its reply, or the
// script-level error that kept it from running and whether that error is counted in
// INFO errorstats already: a refusal is counted, as Redis counts it, against the
// command's rejected_calls.
func (r *scriptRun) command(args [][]byte) ([]byte, string, bool) {
	refuse := func(cmd *Command, msg string) ([]byte, string, bool) {
		r.notes = append(r.notes, statNote{cmd: cmd, rejected: cmd != nil, err: msg})
		return nil, msg, true
	}
	cmd := lookupCommand(args[0], &r.scratch)
	if cmd == nil {
		return refuse(nil, errScriptUnknownCommand)
	}
	if len(cmd.Subs) > 0 && len(args) >= 2 {
		sub := lookupSub(cmd, args[1])
		if sub == nil {
			// Redis looks a subcommand up as a command of its own.
			return refuse(nil, errScriptUnknownCommand)
		}
		cmd = sub
	}
	if (cmd.Arity > 0 && len(args) != cmd.Arity) || len(args) < -cmd.Arity {
		return refuse(cmd, errScriptArity)
	}
	if cmd.Flags&FlagNoScript != 0 {
		return refuse(cmd, errScriptNoScript)
	}
	if r.srv.cluster != nil && !r.cl.loader {
		if msg := r.clusterCheck(cmd, args); msg != "" { // cluster.go
			return refuse(cmd, msg)
		}
	}
	if r.acl != nil {
		if reason, pos := r.acl.user.check(cmd, args); reason != aclOK {
			object := cmd.FullName()
			if reason != aclDeniedCmd {
				object = string(args[pos])
			}
			r.srv.acl.logDenial(reason, r.acl.ctx, object, r.acl.name, r.acl.cinfo)
			return refuse(cmd, scriptACLMessage(reason))
		}
	}
	if (cmd.Name == "xread" || cmd.Name == "xreadgroup") && streamBlockOption(args) {
		// A script cannot wait: Redis refuses the BLOCK option there outright.
		var w proto.Writer
		w.SetRESP3(r.resp3)
		msg := "ERR " + cmd.Name + " command is not allowed with BLOCK option from scripts"
		w.Error(msg)
		// The command itself refuses BLOCK in Redis: a failed call.
		r.notes = append(r.notes, statNote{cmd: cmd, calls: 1, failed: true, err: msg})
		return w.Bytes(), "", false
	}
	write := cmd.Flags&FlagWrite != 0
	if r.readOnly && cmd.writesOrReplicates() { // pause.go
		return refuse(cmd, errScriptReadOnly)
	}
	if write && r.srv.noReplicas.Load() {
		return refuse(cmd, errNoReplicas)
	}
	if write && r.srv.readOnlyReplica.Load() && !r.cl.loader {
		return refuse(cmd, errReadOnly) // replica.go
	}
	if cmd.Flags&FlagDenyOOM != 0 && r.oomAtStart && !r.wrote.Load() && !r.allowOOM {
		return refuse(cmd, errOOM)
	}
	if r.killed.Load() {
		return nil, "ERR Script killed by user with SCRIPT KILL...", false
	}
	// Shown as "[db lua]" after the EVAL line (runScript), with the database as the
	// call leaves it, as Redis feeds a command after it ran; the lines wait for the
	// reply (settleRun).
	defer r.monitor(cmd, args)
	var w proto.Writer
	w.SetRESP3(r.resp3)
	if cmd.Name == "select" {
		note := statNote{cmd: cmd, calls: 1}
		n, ok := proto.ParseInt(args[1])
		switch {
		case !ok:
			note.err = proto.ErrNotInt
		case n < 0 || n >= int64(r.srv.cfg.Databases):
			note.err = "ERR DB index is out of range"
		default:
			r.db = int(n)
			w.OK()
		}
		if note.err != "" {
			w.Error(note.err)
			note.failed = true
		}
		r.notes = append(r.notes, note)
		return w.Bytes(), "", false
	}
	// Undeclared keys are detected in every mode: a run holding every shard only learns
	// from them, one holding key claims must not go on.
	if !r.covers(cmd, args) {
		r.markUndeclared()
	}
	if (r.declared != nil || r.onShard) && !r.covers(cmd, args) {
		if !r.wrote.Load() {
			r.restart = true
			return nil, errScriptRestart, false
		}
		return nil, errUndeclaredAfterWrite, false
	}
	if write {
		if r.onShard && !r.claimWrite() {
			// The busy watchdog is moving the run off the loop: nothing written yet.
			r.restart = true
			return nil, errScriptRestart, false
		}
		r.wrote.Store(true)
	}
	if r.onShard {
		// covers kept every call on this shard's declared keys, and we are on its loop.
		r.runCaptured(r.shard, cmd, args, &w)
		return w.Bytes(), "", false
	}
	if cmd.client != nil {
		return r.viaClient(func(cl *client, w *proto.Writer) { cl.runClientCounted(cmd, args, w) }), "", false
	}
	s, multi := r.cl.route(cmd, args)
	if multi {
		return r.viaClient(func(cl *client, _ *proto.Writer) {
			t := &txn{cl: cl, db: r.db, readOnly: !write, claims: make([]*lockRequest, cl.srv.n), exec: &execState{t: r.claims}}
			cmd.multi(t, cmd, args)
			if write {
				r.addEffects(aofRecord{r.db, ownArgs(args)})
			}
		}), "", false
	}
	r.srv.runWait(s, func() { r.runCaptured(s, cmd, args, &w) })
	return w.Bytes(), "", false
}

// streamBlockOption reports whether an XREAD or XREADGROUP names BLOCK among the
// options before STREAMS (after it come keys and ids, which may be called "block").
func streamBlockOption(args [][]byte) bool {
	for i := 1; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "streams":
			return false
		case "block":
			return true
		case "group":
			i += 2 // the group and consumer names
		case "count":
			i++
		}
	}
	return false
}

// AOF. Like Redis, a script is logged by its effects, the write commands it called,
// and when it wrote more than once they are logged as one MULTI ... EXEC block, so a
// replay (or a replica reading the log) never applies half a script. The writes are
// collected while the script runs, into the loop's capture as for EXEC, and appended
// when it ends, while its claims (or, on the fast path, the shard's loop) still keep
// any conflicting write from being logged first. Inside EXEC the loop already captures
// into EXEC's block, which the calls join.

// runCaptured runs a call on shard s from that shard's loop, collecting what it logs.
func (r *scriptRun) runCaptured(s int, cmd *Command, args [][]byte, w *proto.Writer) {
	ls, sh := r.srv.loops[s], r.srv.shards[s]
	r.srv.setWriter(s, r.cl.id) // tracking.go: NOLOOP spares the script's caller
	ls.scriptCall = true
	defer func() { ls.scriptCall = false }()
	if r.trackReads {
		defer r.srv.rememberRead(s, r.cl.id, r.db, cmd, args)
	}
	if ls.capture != nil || !r.srv.journaling() {
		ls.runShardCommand(sh, cmd, args, r.db, w)
		return
	}
	var recs []aofRecord
	ls.capture = &recs
	ls.runShardCommand(sh, cmd, args, r.db, w)
	ls.capture = nil
	r.addEffects(recs...)
}

// addEffects records writes of the run for logEffects; a run inside EXEC logs them
// at once, as before EXEC collected them.
func (r *scriptRun) addEffects(recs ...aofRecord) {
	if len(recs) == 0 {
		return
	}
	if r.inExec {
		r.srv.appendRecords(false, recs...)
		return
	}
	r.effectsMu.Lock()
	r.effects = append(r.effects, recs...)
	r.effectsMu.Unlock()
}

// logEffects appends the run's writes to the AOF: one block when there are several.
func (r *scriptRun) logEffects() {
	r.effectsMu.Lock()
	recs := r.effects
	r.effects = nil
	r.effectsMu.Unlock()
	r.srv.appendRecords(len(recs) > 1, recs...)
}

// covers reports whether the run's key claims cover every key of the command.
func (r *scriptRun) covers(cmd *Command, args [][]byte) bool {
	if r.onShard && cmd.client != nil {
		// Client handlers need the client's loop, which may be this very loop.
		return false
	}
	if cmd.keysFn == nil && cmd.FirstKey > 0 {
		// The common fixed key range, walked without building a position list.
		last := cmd.LastKey
		if last < 0 {
			last += len(args)
		}
		n := 0
		for i := cmd.FirstKey; i <= last && i < len(args); i += cmd.Step {
			if !r.isDeclared(args[i]) {
				return false
			}
			n++
		}
		if n > 0 {
			return true
		}
	}
	positions := keyPositionsOf(cmd, args)
	if len(positions) == 0 {
		_, global := globalClaims[cmd.Name]
		return !global && cmd.client == nil || cmd.Name == "ping" || cmd.Name == "echo" || cmd.Name == "time"
	}
	for _, p := range positions {
		if !r.isDeclared(args[p]) {
			return false
		}
	}
	return true
}

// isDeclared reports whether key is one of the run's KEYS in the database the run
// started in.
func (r *scriptRun) isDeclared(key []byte) bool {
	if r.db != r.cl.db && r.cl.exec == nil {
		return false
	}
	for _, k := range r.keys {
		if string(k) == string(key) {
			return true
		}
	}
	return false
}

// viaClient runs start on the client's loop as a step of the script's transaction and
// waits for its reply. start may begin coordinator work (a fanout); its steps run as
// they would inside EXEC, under the script's claims, and the reply is the last step's.
//
// While the script runs, the client's in-flight operation is the script itself; start's
// fanouts temporarily take its place and hand it back when the command is done.
func (r *scriptRun) viaClient(start func(cl *client, w *proto.Writer)) []byte {
	cl := r.cl
	done := make(chan []byte, 1)
	var w proto.Writer
	w.SetRESP3(r.resp3)
	r.srv.run(cl.loop.idx, func() {
		outer := cl.async
		cl.async = nil
		db, exec := cl.db, cl.exec
		// The command's transaction views (newTxn) see an EXEC whose claims are the
		// script's, so they run under them instead of queueing behind them.
		cl.db, cl.exec = r.db, &execState{t: r.claims, script: true}
		start(cl, &w)
		cl.exec = exec
		r.follow(outer, db, &w, done)
	})
	return <-done
}

// follow hands the reply to the script once start's last step is done, restoring the
// client's in-flight operation and database.
func (r *scriptRun) follow(outer *fanout, db int, w *proto.Writer, done chan<- []byte) {
	cl := r.cl
	if cl.async == nil {
		cl.async = outer
		cl.db = db
		done <- w.Bytes()
		return
	}
	step := cl.async
	step.drop = outer.drop
	next := step.done
	step.done = func(*proto.Writer) {
		// The step's own continuation may start another step (a txn hop).
		cl.db = r.db
		next(w)
		r.follow(outer, db, w, done)
	}
	if step.pending.Load() == 0 {
		// Every part ran synchronously on this loop; nobody else will wake the client.
		cl.wake()
	}
}

// SCRIPT LOAD script
func scriptLoadCmd(cl *client, args [][]byte, w *proto.Writer) {
	sc, _, msg := cl.srv.scripts().load(args[2])
	if msg != "" {
		w.Error(msg)
		return
	}
	w.BulkString(sc.sha)
}

// SCRIPT EXISTS sha1 [sha1 ...]
func scriptExistsCmd(cl *client, args [][]byte, w *proto.Writer) {
	e := cl.srv.scripts()
	w.Array(len(args) - 2)
	for _, a := range args[2:] {
		if sc, _ := e.lookup(a); sc != nil {
			w.Int(1)
		} else {
			w.Int(0)
		}
	}
}

// SCRIPT FLUSH [ASYNC|SYNC]
func scriptFlushCmd(cl *client, args [][]byte, w *proto.Writer) {
	if len(args) > 3 || len(args) == 3 && !strings.EqualFold(string(args[2]), "sync") && !strings.EqualFold(string(args[2]), "async") {
		w.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	cl.srv.scripts().flush()
	w.OK()
}

// SCRIPT KILL
func scriptKillCmd(cl *client, _ [][]byte, w *proto.Writer) {
	msg := cl.srv.scripts().running.kill(false)
	if msg == "" {
		w.OK()
		return
	}
	w.Error(msg)
}

// SCRIPT HELP
func scriptHelpCmd(_ *client, _ [][]byte, w *proto.Writer) {
	lines := []string{
		"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
		"HELP",
		"    Prints this help.",
	}
	w.Array(len(lines))
	for _, l := range lines {
		w.Simple(l)
	}
}
