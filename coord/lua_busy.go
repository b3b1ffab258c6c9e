package coord

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Running scripts, for SCRIPT KILL, FUNCTION KILL and FUNCTION STATS.
//
// Several scripts may run at once in Basalt (on keys of different shards), so KILL
// stops every running script of its kind that has not written; it answers UNKILLABLE
// when only scripts that wrote are running, as Redis does for its single one.

const (
	errNotBusy    = "NOTBUSY No scripts in execution right now."
	errUnkillable = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
)

// errBusyScript answers other clients while a script runs past busy-reply-threshold;
// errBusyFunction while that script is a function. They also answer SCRIPT KILL while
// only functions run, and FUNCTION KILL while only scripts do, as in Redis.
const (
	errBusyScript   = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errBusyFunction = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
)

// busyError is the BUSY reply for the longest-running script's kind.
func (s *Server) busyError() string {
	if s.scripts().running.oldestIsFunction.Load() {
		return errBusyFunction
	}
	return errBusyScript
}

// scriptsRunning counts the script runs in progress in the process, so that the BUSY
// check of dispatch costs one atomic load while no script runs.
var scriptsRunning atomic.Int32

// runningScripts is the set of script runs in progress. mu guards runs; oldestStart is the
// start (Unix ns) of the longest-running one, 0 when none runs.
type runningScripts struct {
	mu          sync.Mutex
	runs        map[*scriptRun]runningScript
	oldestStart atomic.Int64
	// oldestIsFunction tells whether that run is a function (FCALL) or a script.
	oldestIsFunction atomic.Bool
	// watching is set while the fast-path watchdog runs.
	watching bool
}

// scriptBusy reports whether a script has been running for longer than
// busy-reply-threshold (0 disables BUSY replies). Any goroutine may call it.
func (s *Server) scriptBusy() bool {
	if scriptsRunning.Load() == 0 {
		return false
	}
	since := s.scripts().running.oldestStart.Load()
	if since == 0 {
		return false
	}
	limit := s.cfg.busyReplyThreshold()
	return limit > 0 && time.Now().UnixNano()-since > int64(limit)*int64(time.Millisecond)
}

func (c *Config) busyReplyThreshold() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.BusyReplyThreshold
}

// updateOldest recomputes oldestStart; mu is held.
func (s *runningScripts) updateOldest() {
	var at int64
	function := false
	for r, rs := range s.runs {
		if t := rs.started.UnixNano(); at == 0 || t < at {
			at, function = t, r.fn != nil
		}
	}
	s.oldestIsFunction.Store(function)
	s.oldestStart.Store(at)
}

type runningScript struct {
	started time.Time
	cancel  context.CancelFunc
}

// killContext returns the context the run's Lua state checks between instructions;
// KILL cancels it. A state keeps its context from run to run until one is cancelled:
// the run is out of the running set (so out of KILL's reach) before its state is reused.
func (vm *luaVM) killContext(r *scriptRun) context.Context {
	if vm.killCtx == nil || vm.killCtx.Err() != nil {
		vm.killCtx, vm.killCancel = context.WithCancel(context.Background())
	}
	e := r.srv.scripts()
	e.running.mu.Lock()
	if rs, ok := e.running.runs[r]; ok {
		rs.cancel = vm.killCancel
		e.running.runs[r] = rs
	}
	e.running.mu.Unlock()
	return vm.killCtx
}

func (s *runningScripts) add(r *scriptRun) {
	s.mu.Lock()
	if s.runs == nil {
		s.runs = map[*scriptRun]runningScript{}
	}
	s.runs[r] = runningScript{started: time.Now()}
	s.updateOldest()
	if r.onShard && !s.watching {
		s.watching = true
		go s.watch(r.srv)
	}
	s.mu.Unlock()
	scriptsRunning.Add(1)
}

// Long scripts on the fast path. A script whose keys live on one shard runs on that
// shard's loop (runScriptOnShard), which serves nothing else meanwhile, so the loop's
// other clients could not even send SCRIPT KILL. The watchdog below moves such a run
// off the loop once it outlives busy-reply-threshold, if it has not written: the run
// is abandoned (it changed nothing, and nobody saw it) and started again with key
// claims on a goroutine of its own, where clients of every loop get BUSY and may
// KILL it; the script is marked slow and keeps off the fast path from then on. A run
// that wrote before the threshold stays on its loop until it ends: its loop's clients
// wait (clients of other loops get BUSY and may stop it with SHUTDOWN NOSAVE).

// Phases of a fast-path run, for the watchdog.
const (
	phaseReading int32 = iota // no write yet: the run may still move
	phaseWrote                // it wrote: it stays
	phaseMoving               // the watchdog stopped it to move it
)

// watchInterval is how often the watchdog looks at the fast-path runs.
const watchInterval = 20 * time.Millisecond

// claimWrite lets a fast-path run write unless the watchdog is moving it.
func (r *scriptRun) claimWrite() bool {
	return r.phase.CompareAndSwap(phaseReading, phaseWrote) || r.phase.Load() == phaseWrote
}

// watch runs while fast-path runs are in progress and moves the long ones.
func (s *runningScripts) watch(srv *Server) {
	for {
		time.Sleep(watchInterval)
		limit := time.Duration(srv.cfg.busyReplyThreshold()) * time.Millisecond
		s.mu.Lock()
		onShard := false
		for r, rs := range s.runs {
			if !r.onShard {
				continue
			}
			onShard = true
			if limit > 0 && time.Since(rs.started) > limit && r.phase.CompareAndSwap(phaseReading, phaseMoving) && rs.cancel != nil {
				rs.cancel()
			}
		}
		if !onShard {
			s.watching = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// isSlow reports whether the script (or function) once outlived busy-reply-threshold
// on the fast path.
func (r *scriptRun) isSlow() bool {
	if r.script != nil {
		return r.script.slow.Load()
	}
	return r.fn.slow.Load()
}

func (r *scriptRun) markSlow() {
	if r.script != nil {
		r.script.slow.Store(true)
	} else {
		r.fn.slow.Store(true)
	}
}

func (s *runningScripts) remove(r *scriptRun) {
	s.mu.Lock()
	delete(s.runs, r)
	s.updateOldest()
	s.mu.Unlock()
	scriptsRunning.Add(-1)
}

// kill stops the running scripts (functions when functions is set) that wrote nothing.
// It returns "" when it stopped one, else the error to answer.
func (s *runningScripts) kill(functions bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	found, killed, other := false, false, false
	for r, rs := range s.runs {
		if (r.fn != nil) != functions {
			other = true
			continue
		}
		found = true
		if r.wrote.Load() {
			continue
		}
		r.killed.Store(true)
		if rs.cancel != nil {
			rs.cancel()
		}
		killed = true
	}
	switch {
	case killed:
		return ""
	case found:
		return errUnkillable
	case other && functions:
		return errBusyScript // only scripts run: SCRIPT KILL is the way
	case other:
		return errBusyFunction
	}
	return errNotBusy
}

// oldest returns the longest-running script (function when functions is set), or nil.
func (s *runningScripts) oldest(functions bool) *scriptRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *scriptRun
	var at time.Time
	for r, rs := range s.runs {
		if (r.fn != nil) == functions && (best == nil || rs.started.Before(at)) {
			best, at = r, rs.started
		}
	}
	return best
}

// elapsedMs is how long the run has been running.
func (r *scriptRun) elapsedMs() int64 {
	e := r.srv.scripts()
	e.running.mu.Lock()
	defer e.running.mu.Unlock()
	if rs, ok := e.running.runs[r]; ok {
		return time.Since(rs.started).Milliseconds()
	}
	return 0
}
