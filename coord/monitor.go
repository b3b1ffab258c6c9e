package coord

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/basaltdb/basalt/proto"
)

// MONITOR: every command the server runs, one status line each, sent to the clients
// that asked for it:
//
//	+1700000000.123456 [0 127.0.0.1:50000] "SET" "k" "v"
//
// A command is fed once it has been accepted and dispatched, from the loop of the client
// that sent it; lines reach a monitor through gnet's AsyncWrite, which any goroutine may
// call. Lines from one client arrive in its order; lines from clients on different loops
// interleave as their loops run. Admin commands and those flagged skip_monitor are not
// shown, and AUTH's arguments are redacted, as in Redis. Commands queued by MULTI show
// when EXEC runs, before the EXEC line.

// monitorSet is the clients in MONITOR mode. Concurrency: count is read on every
// command with one atomic load; the list changes under mu (MONITOR, disconnects).
type monitorSet struct {
	count   atomic.Int32
	mu      sync.Mutex
	clients []*client
}

func (m *monitorSet) add(cl *client) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clients = append(m.clients, cl)
	m.count.Store(int32(len(m.clients)))
}

// remove forgets cl; it is a no-op for a client that never ran MONITOR.
func (m *monitorSet) remove(cl *client) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, c := range m.clients {
		if c == cl {
			m.clients = append(m.clients[:i], m.clients[i+1:]...)
			break
		}
	}
	m.count.Store(int32(len(m.clients)))
}

// send delivers one line to every monitor. Monitors are written asynchronously; a write
// to a connection closing meanwhile fails harmlessly.
func (m *monitorSet) send(line []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.clients {
		_ = c.conn.AsyncWrite(line, nil)
	}
}

// feedMonitors shows a command to the monitors, if there are any. It runs on the
// client's loop after the command was dispatched; args may alias the read buffer.
func (cl *client) feedMonitors(cmd *Command, args [][]byte) {
	if cl.srv.obs.monitors.count.Load() == 0 || cmd.Flags&(FlagAdmin|FlagSkipMonitor) != 0 {
		return
	}
	cl.sendMonitor(cmd, args)
}

// sendMonitor sends the monitors the line of a command of cl.
func (cl *client) sendMonitor(cmd *Command, args [][]byte) {
	cl.srv.obs.monitors.send(monitorLine(time.Now(), cl.db, cl.addr, cmd, args))
}

// feedScript shows an EVAL or FCALL as its handler starts, whatever comes of it. Those
// commands skip the feed after dispatch (skip_monitor) so that, as in Redis, their line
// comes before the lines of the calls their script makes.
func (cl *client) feedScript(args [][]byte) {
	if cl.srv.obs.monitors.count.Load() == 0 {
		return
	}
	var scratch [32]byte
	cl.sendMonitor(lookupCommand(args[0], &scratch), args)
}

// feedQueued shows the commands an EXEC is about to run, ahead of the EXEC line, as
// Redis shows them when they run. It runs before the EXEC handler, which consumes them.
func (cl *client) feedQueued(cmd *Command) {
	m := &cl.srv.obs.monitors
	if m.count.Load() == 0 || cmd.Name != "exec" || cl.multi == nil || cl.multi.aborted {
		return
	}
	if cl.watchDirty != nil && cl.watchDirty.Load() {
		return // a WATCHed key changed: EXEC runs nothing
	}
	for _, q := range cl.multi.cmds {
		cl.feedMonitors(q.cmd, q.args)
	}
}

// monitorLine formats one MONITOR line, arguments quoted as Redis's sdscatrepr does.
func monitorLine(now time.Time, db int, addr string, cmd *Command, args [][]byte) []byte {
	b := make([]byte, 0, 64)
	b = append(b, '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	usec := strconv.Itoa(now.Nanosecond() / 1000)
	for i := len(usec); i < 6; i++ {
		b = append(b, '0')
	}
	b = append(b, usec...)
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(db), 10)
	b = append(b, ' ')
	b = append(b, addr...)
	b = append(b, ']')
	redact := cmd.Name == "auth" || (cmd.Name == "hello" && len(args) > 2)
	secret := migrateSecrets(cmd, args)
	for i, a := range args {
		b = append(b, ' ')
		if redact && i > 0 && (cmd.Name == "auth" || i > 2) || secret[i] {
			b = append(b, `"(redacted)"`...)
			continue
		}
		b = appendRepr(b, a)
	}
	return append(b, "\r\n"...)
}

// migrateSecrets marks MIGRATE's credentials (after AUTH, after AUTH2), which MONITOR
// shows redacted as Redis does; nil for other commands.
func migrateSecrets(cmd *Command, args [][]byte) map[int]bool {
	if cmd.Name != "migrate" {
		return nil
	}
	out := map[int]bool{}
	for i := 6; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "auth":
			out[i+1] = true
			i++
		case "auth2":
			out[i+1], out[i+2] = true, true
			i += 2
		case "keys":
			return out
		}
	}
	return out
}

// appendRepr appends s quoted: printable bytes as they are, \\ \" \n \r \t \a \b
// escaped, other bytes as \xHH.
func appendRepr(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, c := range s {
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c >= ' ' && c <= '~' {
				b = append(b, c)
			} else {
				b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			}
		}
	}
	return append(b, '"')
}

// MONITOR
func monitorCmd(cl *client, _ [][]byte, w *proto.Writer) {
	if cl.monitoring {
		// Like Redis, a second MONITOR on the same connection gets no reply.
		return
	}
	cl.monitoring = true
	cl.srv.obs.monitors.add(cl)
	w.OK()
}

// stateFlags are the CLIENT LIST flags for the client's command state, in Redis's
// order: x in MULTI, b blocked, d a WATCHed key changed.
func (cl *client) stateFlags() string {
	f := ""
	if cl.multi != nil {
		f += "x"
	}
	if cl.blocked != nil {
		f += "b"
	}
	if cl.watchDirty != nil && cl.watchDirty.Load() {
		f += "d"
	}
	return f
}

// multiCount is CLIENT LIST's multi field: commands queued in MULTI, or -1 outside it.
func (cl *client) multiCount() int {
	if cl.multi == nil {
		return -1
	}
	return len(cl.multi.cmds)
}
