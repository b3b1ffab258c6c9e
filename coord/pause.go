package coord

import (
	"strings"
	"sync"
	"time"

	"github.com/basaltdb/basalt/proto"
)

// CLIENT PAUSE: for a while, clients' commands wait instead of running (ALL), or only
// those that may write or replicate (WRITE), so that an operator or a failover can let
// replicas catch up with a master that changes nothing. A paused command stays in its
// connection's input and the connection is parked on its loop (counted in
// blocked_clients); when the pause ends every loop resumes its parked connections,
// which parse the command again. Keys do not expire meanwhile (the shards hold expiry,
// as on a replica), so the dataset stays exactly as it was.

const (
	pauseNone = iota
	pauseWrite
	pauseAll
)

// pauseState is the server's pause. mode mirrors the current mode in Server.pauseMode
// for the dispatch path's check.
type pauseState struct {
	mu    sync.Mutex
	mode  int32
	end   time.Time
	timer *time.Timer
}

// CLIENT PAUSE timeout [WRITE|ALL]
func clientPauseCmd(cl *client, args [][]byte, w *proto.Writer) {
	if len(args) > 4 {
		w.Error("ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.")
		return
	}
	ms, ok := parseTimeoutMs(args[2], w) // blocking.go
	if !ok {
		return
	}
	mode := int32(pauseAll)
	if len(args) == 4 {
		switch strings.ToLower(string(args[3])) {
		case "all":
		case "write":
			mode = pauseWrite
		default:
			w.Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	cl.srv.pauseClients(mode, time.Duration(ms)*time.Millisecond)
	w.OK()
}

// CLIENT UNPAUSE
func clientUnpauseCmd(cl *client, _ [][]byte, w *proto.Writer) {
	cl.srv.unpauseClients()
	w.OK()
}

// pauseClients starts or extends the pause: the stricter mode and the later end win,
// as in Redis.
func (s *Server) pauseClients(mode int32, d time.Duration) {
	p := &s.pause
	p.mu.Lock()
	defer p.mu.Unlock()
	if mode > p.mode {
		p.mode = mode
	}
	if end := time.Now().Add(d); end.After(p.end) || p.timer == nil {
		p.end = end
	}
	if p.timer != nil {
		p.timer.Stop()
	}
	p.timer = time.AfterFunc(time.Until(p.end), s.pauseExpired)
	s.pauseMode.Store(p.mode)
	s.updateHoldExpiry()
}

// pauseExpired ends the pause when its time came (a later extension rescheduled it).
func (s *Server) pauseExpired() {
	p := &s.pause
	p.mu.Lock()
	if left := time.Until(p.end); left > 0 && p.mode != pauseNone {
		p.timer = time.AfterFunc(left, s.pauseExpired)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	s.unpauseClients()
}

// unpauseClients ends the pause and resumes every parked connection on its loop.
func (s *Server) unpauseClients() {
	p := &s.pause
	p.mu.Lock()
	p.mode, p.end = pauseNone, time.Time{}
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	s.pauseMode.Store(pauseNone)
	s.updateHoldExpiry()
	p.mu.Unlock()
	for i := range s.loops {
		s.run(i, s.loops[i].resumePaused)
	}
}

// updateHoldExpiry makes the shards keep expired keys while the server is a replica or
// paused.
func (s *Server) updateHoldExpiry() {
	s.settings.HoldExpiry.Store(s.replicaOf.Load() != nil || s.pauseMode.Load() != pauseNone)
}

// pausedFor reports whether the current pause holds cmd back: any command under ALL;
// under WRITE a write, a command that may replicate (PUBLISH, SPUBLISH, PFCOUNT), a
// script or function that may write, or an EXEC with one of those queued.
func (cl *client) pausedFor(cmd *Command, args [][]byte) bool {
	switch cl.srv.pauseMode.Load() {
	case pauseNone:
		return false
	case pauseAll:
		return true
	}
	return cl.orQueued(cmd, args, cl.mayReplicate)
}

// mayReplicate reports whether cmd may write or add to the replication stream.
func (cl *client) mayReplicate(cmd *Command, args [][]byte) bool {
	if cmd.writesOrReplicates() {
		return true
	}
	switch cmd.Name {
	case "eval":
		if len(args) > 1 {
			code := args[1]
			if len(code) < 2 || code[0] != '#' || code[1] != '!' {
				return true
			}
			flags, msg := parseShebang(code)
			return msg != "" || flags&scriptNoWrites == 0
		}
	case "evalsha":
		if len(args) > 1 {
			sc, _ := cl.srv.scripts().lookup(args[1])
			return sc == nil || !sc.shebang || sc.flags&scriptNoWrites == 0
		}
	case "fcall":
		if len(args) > 1 {
			reg := &cl.srv.scripts().funcs
			reg.mu.RLock()
			f := reg.byName[funcKey(string(args[1]))]
			reg.mu.RUnlock()
			return f == nil || f.flags&scriptNoWrites == 0
		}
	}
	return false
}

// park holds the client until the pause ends; the command stays in its input.
func (cl *client) park() {
	if cl.paused {
		return
	}
	cl.paused = true
	cl.loop.paused = append(cl.loop.paused, cl)
	cl.srv.blockedClients.Add(1)
}

// unpark forgets the client's pause (resumed, or closed).
func (cl *client) unpark() bool {
	if !cl.paused {
		return false
	}
	cl.paused = false
	cl.srv.blockedClients.Add(-1)
	return true
}

// resumePaused runs the commands of the loop's parked connections; one that meets a
// new pause parks again.
func (ls *loopState) resumePaused() {
	parked := ls.paused
	ls.paused = nil
	for _, cl := range parked {
		if cl.unpark() && !cl.closed {
			cl.wake()
		}
	}
}

// writesOrReplicates reports whether the command writes or may add to the replication
// stream (Redis's may_replicate commands: PUBLISH, SPUBLISH, PFCOUNT), which neither a
// pause in WRITE mode nor a read-only script lets run.
func (cmd *Command) writesOrReplicates() bool {
	if cmd.Flags&FlagWrite != 0 {
		return true
	}
	switch cmd.Name {
	case "publish", "spublish", "pfcount":
		return true
	}
	return false
}
