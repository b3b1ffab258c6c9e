package coord

import (
	"strconv"
	"sync"
	"time"

	"github.com/basaltdb/basalt/proto"
)

// The slow log: commands that ran longer than slowlog-log-slower-than microseconds,
// newest first, at most slowlog-max-len of them (SLOWLOG GET|LEN|RESET).
//
// Which commands are logged: those that run on the client's own loop (connection and
// server commands, single-shard commands on the client's shard) and single-shard
// commands sent to another shard, with the time their handler ran. The coordinator
// part of multi-shard commands is not timed as one command.

// Limits on what one entry keeps of a command line, as in Redis.
const (
	slowlogMaxArgs     = 32
	slowlogMaxArgBytes = 128
)

// slowEntry is one logged command. Its strings are copies.
type slowEntry struct {
	id     int64
	at     int64 // Unix seconds
	usec   int64
	args   []string
	addr   string
	client string
}

// slowlog holds the entries, newest last. Concurrency: any loop appends under mu, only
// for commands slower than the threshold; the check before costs one atomic load.
type slowlog struct {
	mu      sync.Mutex
	entries []slowEntry
	nextID  int64
}

// add logs a command; maxLen is slowlog-max-len.
func (s *slowlog) add(e slowEntry, maxLen int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.id = s.nextID
	s.nextID++
	s.entries = append(s.entries, e)
	if over := len(s.entries) - maxLen; over > 0 {
		s.entries = append(s.entries[:0], s.entries[over:]...)
	}
}

// trim applies a new slowlog-max-len.
func (s *slowlog) trim(maxLen int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if over := len(s.entries) - maxLen; over > 0 {
		s.entries = append(s.entries[:0], s.entries[over:]...)
	}
}

// slowArgs copies a command line as a slow log entry keeps it: at most 32 arguments,
// the last replaced by a count of the rest, each cut at 128 bytes with a count of the
// rest.
func slowArgs(args [][]byte) []string {
	n := min(len(args), slowlogMaxArgs)
	out := make([]string, n)
	for i := 0; i < n; i++ {
		if i == slowlogMaxArgs-1 && len(args) > slowlogMaxArgs {
			out[i] = "... (" + strconv.Itoa(len(args)-slowlogMaxArgs+1) + " more arguments)"
			break
		}
		a := args[i]
		if len(a) > slowlogMaxArgBytes {
			out[i] = string(a[:slowlogMaxArgBytes]) + "... (" + strconv.Itoa(len(a)-slowlogMaxArgBytes) + " more bytes)"
		} else {
			out[i] = string(a)
		}
	}
	return out
}

// logSlow records the client's command in the slow log when it took long enough. It
// runs on the client's loop; args may alias the read buffer (they are copied).
func (cl *client) logSlow(cmd *Command, args [][]byte, d time.Duration) {
	o := &cl.srv.obs
	th := o.slowerThanUs.Load()
	if th < 0 || d.Microseconds() < th || cmd.Flags&FlagSkipSlowlog != 0 {
		return
	}
	o.slow.add(slowEntry{
		at:     time.Now().Unix(),
		usec:   d.Microseconds(),
		args:   slowArgs(args),
		addr:   cl.addr,
		client: cl.name,
	}, int(o.slowMaxLen.Load()))
}

// SLOWLOG GET [count]
func slowlogGetCmd(cl *client, args [][]byte, w *proto.Writer) {
	count := int64(10)
	if len(args) > 3 {
		w.Error("ERR unknown subcommand or wrong number of arguments for '" + string(args[1]) + "'. Try SLOWLOG HELP.")
		return
	}
	if len(args) == 3 {
		n, ok := proto.ParseInt(args[2])
		if !ok || n < -1 {
			w.Error("ERR count should be greater than or equal to -1")
			return
		}
		count = n
	}
	s := &cl.srv.obs.slow
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.entries)
	if count >= 0 && int64(n) > count {
		n = int(count)
	}
	w.Array(n)
	for i := 0; i < n; i++ {
		e := &s.entries[len(s.entries)-1-i]
		w.Array(6)
		w.Int(e.id)
		w.Int(e.at)
		w.Int(e.usec)
		w.Array(len(e.args))
		for _, a := range e.args {
			w.BulkString(a)
		}
		w.BulkString(e.addr)
		w.BulkString(e.client)
	}
}

// SLOWLOG LEN
func slowlogLenCmd(cl *client, _ [][]byte, w *proto.Writer) {
	s := &cl.srv.obs.slow
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Int(int64(len(s.entries)))
}

// SLOWLOG RESET
func slowlogResetCmd(cl *client, _ [][]byte, w *proto.Writer) {
	s := &cl.srv.obs.slow
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = nil
	w.OK()
}

// SLOWLOG HELP
func slowlogHelpCmd(_ *client, _ [][]byte, w *proto.Writer) {
	helpReply(w, "SLOWLOG", []string{
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
		"HELP",
		"    Prints this help.",
	})
}

// length returns the number of entries.
func (s *slowlog) length() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// lastID returns the id of the newest entry ever logged, or -1.
func (s *slowlog) lastID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextID - 1
}

// timedCommand is a command whose reply comes after hops.
type timedCommand struct {
	cmd   *Command
	args  [][]byte
	start time.Time
	// end is when its last hop finished (clockNow), 0 if none did.
	end int64
}

// finishTimed records the multi-shard command that just replied: its time from
// dispatch until its last hop finished (or until now) goes to INFO commandstats and,
// when long enough, the slow log. A pipelined command that then waited for the replies
// of the ones before it is not charged for that wait.
func (cl *client) finishTimed() {
	tc := cl.timed
	if tc.cmd == nil {
		return
	}
	cl.timed = timedCommand{}
	d := time.Since(tc.start)
	if tc.end != 0 {
		if e := time.Duration(tc.end) - tc.start.Sub(clockBase); e >= 0 && e < d {
			d = e
		}
	}
	cl.loop.stats[tc.cmd.id].usec += d.Microseconds()
	cl.logSlow(tc.cmd, tc.args, d)
}
