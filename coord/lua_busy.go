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

// errBusyScript answers other clients while a script runs past busy-reply-threshold.
const errBusyScript = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."

// scriptsRunning counts the script runs in progress in the process, so that the BUSY
// check of dispatch costs one atomic load while no script runs.
var scriptsRunning atomic.Int32

// runningScripts is the set of script runs in progress. mu guards runs; oldestStart is the
// start (Unix ns) of the longest-running one, 0 when none runs.
type runningScripts struct {
	mu          sync.Mutex
	runs        map[*scriptRun]runningScript
	oldestStart atomic.Int64
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
	for _, rs := range s.runs {
		if t := rs.started.UnixNano(); at == 0 || t < at {
			at = t
		}
	}
	s.oldestStart.Store(at)
}

type runningScript struct {
	started time.Time
	cancel  context.CancelFunc
}

// killContext returns the context the run's Lua state checks between instructions;
// KILL cancels it.
func (r *scriptRun) killContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	e := r.srv.scripts()
	e.running.mu.Lock()
	if rs, ok := e.running.runs[r]; ok {
		rs.cancel = cancel
		e.running.runs[r] = rs
	}
	e.running.mu.Unlock()
	return ctx, cancel
}

func (s *runningScripts) add(r *scriptRun) {
	s.mu.Lock()
	if s.runs == nil {
		s.runs = map[*scriptRun]runningScript{}
	}
	s.runs[r] = runningScript{started: time.Now()}
	s.updateOldest()
	s.mu.Unlock()
	scriptsRunning.Add(1)
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
	found, killed := false, false
	for r, rs := range s.runs {
		if (r.fn != nil) != functions {
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
