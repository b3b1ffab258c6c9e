package coord

import (
	"fmt"
	"strings"
	"time"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// Connection commands: they touch only the client and run on its loop.

// redisVersion is the Redis version Basalt reports; clients pick features by it.
const redisVersion = "7.2.4"

// PING [message]
func pingCmd(cl *client, args [][]byte, w *proto.Writer) {
	if len(args) <= 2 && !cl.out.RESP3() && cl.subscribed() {
		// A RESP2 subscriber can only read arrays: Redis answers it ["pong", message].
		w.Array(2)
		w.BulkString("pong")
		if len(args) == 2 {
			w.Bulk(args[1])
		} else {
			w.BulkString("")
		}
		return
	}
	switch len(args) {
	case 1:
		w.Simple("PONG")
	case 2:
		w.Bulk(args[1])
	default:
		w.Error("ERR wrong number of arguments for 'ping' command")
	}
}

// ECHO message
func echoCmd(_ *client, args [][]byte, w *proto.Writer) { w.Bulk(args[1]) }

// HELLO [protover [AUTH username password] [SETNAME clientname]]
func helloCmd(cl *client, args [][]byte, w *proto.Writer) {
	proto3 := cl.out.RESP3()
	if len(args) >= 2 {
		v, ok := proto.ParseInt(args[1])
		if !ok {
			w.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			w.Error(proto.ErrNoProto)
			return
		}
		proto3 = v == 3
	}
	var user, pass, name []byte
	auth, setname := false, false
	for i := 2; i < len(args); i++ {
		more := len(args) - i - 1
		switch opt := strings.ToLower(string(args[i])); {
		case opt == "auth" && more >= 2:
			auth, user, pass = true, args[i+1], args[i+2]
			i += 2
		case opt == "setname" && more >= 1:
			setname, name = true, args[i+1]
			i++
		default:
			w.Error("ERR Syntax error in HELLO option '" + string(args[i]) + "'")
			return
		}
	}
	if auth && !cl.checkAuth(user, pass, string(args[0])) { // acl_cmds.go
		w.Error(proto.ErrWrongPass)
		return
	}
	if !cl.authed && cl.srv.acl.authRequired() {
		w.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if setname {
		if !validClientName(name) {
			w.Error("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
		cl.name = string(name)
	}
	cl.setRESP3(proto3, w)
	w.Map(7)
	w.BulkString("server")
	w.BulkString("redis")
	w.BulkString("version")
	w.BulkString(redisVersion)
	w.BulkString("proto")
	if proto3 {
		w.Int(3)
	} else {
		w.Int(2)
	}
	w.BulkString("id")
	w.Int(int64(cl.id))
	w.BulkString("mode")
	w.BulkString("standalone")
	w.BulkString("role")
	w.BulkString("master")
	w.BulkString("modules")
	w.Array(0)
}

// setRESP3 switches the client's protocol, including the writer of the current reply.
func (cl *client) setRESP3(on bool, w *proto.Writer) {
	cl.out.SetRESP3(on)
	w.SetRESP3(on)
}

// AUTH [username] password
func authCmd(cl *client, args [][]byte, w *proto.Writer) {
	if len(args) > 3 {
		w.Error(proto.ErrSyntax)
		return
	}
	user, pass := []byte("default"), args[1]
	if len(args) == 3 {
		user, pass = args[1], args[2]
	} else if cl.srv.acl.def.cur.Load().nopass {
		w.Error(proto.ErrAuthNoPass)
		return
	}
	if !cl.checkAuth(user, pass, string(args[0])) { // acl_cmds.go
		w.Error(proto.ErrWrongPass)
		return
	}
	w.OK()
}

// SELECT index
func selectCmd(cl *client, args [][]byte, w *proto.Writer) {
	n, ok := proto.ParseInt(args[1])
	if !ok {
		w.Error(proto.ErrNotInt)
		return
	}
	if cl.srv.cluster != nil && n != 0 {
		w.Error("ERR SELECT is not allowed in cluster mode")
		return
	}
	if n < 0 || n >= int64(cl.srv.cfg.Databases) {
		w.Error(proto.ErrDBIndex)
		return
	}
	cl.db = int(n)
	w.OK()
}

// QUIT
func quitCmd(cl *client, _ [][]byte, w *proto.Writer) {
	w.OK()
	cl.closeAfterReply = true
}

// RESET
func resetCmd(cl *client, _ [][]byte, w *proto.Writer) {
	cl.multi = nil
	cl.unwatch()
	cl.leavePubsub()
	cl.stopTracking()
	cl.db = 0
	cl.name = ""
	cl.replyMode = replyOn
	cl.noEvict, cl.noTouch = false, false
	cl.user, cl.authed = cl.srv.acl.def, !cl.srv.acl.authRequired()
	cl.setRESP3(false, w)
	w.Simple("RESET")
}

// validClientName reports whether a client or library name has only printable
// characters other than space, as Redis requires.
func validClientName(name []byte) bool {
	for _, c := range name {
		if c < '!' || c > '~' {
			return false
		}
	}
	return true
}

// CLIENT ID
func clientIDCmd(cl *client, _ [][]byte, w *proto.Writer) { w.Int(int64(cl.id)) }

// CLIENT SETNAME connection-name
func clientSetnameCmd(cl *client, args [][]byte, w *proto.Writer) {
	if !validClientName(args[2]) {
		w.Error("ERR Client names cannot contain spaces, newlines or special characters.")
		return
	}
	cl.name = string(args[2])
	w.OK()
}

// CLIENT GETNAME
func clientGetnameCmd(cl *client, _ [][]byte, w *proto.Writer) {
	if cl.name == "" {
		w.Null()
		return
	}
	w.BulkString(cl.name)
}

// CLIENT SETINFO LIB-NAME|LIB-VER value
func clientSetinfoCmd(cl *client, args [][]byte, w *proto.Writer) {
	attr := strings.ToLower(string(args[2]))
	if attr != "lib-name" && attr != "lib-ver" {
		w.Error("ERR Unrecognized option '" + string(args[2]) + "'")
		return
	}
	if !validClientName(args[3]) {
		w.Error("ERR " + attr + " cannot contain spaces, newlines or special characters.")
		return
	}
	if attr == "lib-name" {
		cl.libName = string(args[3])
	} else {
		cl.libVer = string(args[3])
	}
	w.OK()
}

// CLIENT REPLY ON|OFF|SKIP
func clientReplyCmd(cl *client, args [][]byte, w *proto.Writer) {
	switch strings.ToLower(string(args[2])) {
	case "on":
		cl.replyMode = replyOn
		w.OK()
	case "off":
		cl.replyMode = replyOff
	case "skip":
		if cl.replyMode != replyOff {
			cl.replyMode = replySkipArmed
		}
	default:
		w.Error(proto.ErrSyntax)
	}
}

// onOff parses the ON|OFF argument of CLIENT NO-EVICT and NO-TOUCH.
func onOff(arg []byte, set func(bool), w *proto.Writer) {
	switch strings.ToLower(string(arg)) {
	case "on":
		set(true)
		w.OK()
	case "off":
		set(false)
		w.OK()
	default:
		w.Error(proto.ErrSyntax)
	}
}

// CLIENT NO-EVICT ON|OFF
func clientNoEvictCmd(cl *client, args [][]byte, w *proto.Writer) {
	onOff(args[2], func(b bool) { cl.noEvict = b }, w)
}

// CLIENT NO-TOUCH ON|OFF
func clientNoTouchCmd(cl *client, args [][]byte, w *proto.Writer) {
	onOff(args[2], func(b bool) { cl.noTouch = b }, w)
}

// CLIENT INFO
func clientInfoCmd(cl *client, _ [][]byte, w *proto.Writer) {
	w.Verbatim("txt", cl.describe(time.Now().UnixMilli())+"\n")
}

// describe formats the client as one CLIENT LIST line (without newline).
func (cl *client) describe(now int64) string {
	flags := "N"
	if cl.replyMode == replyOff {
		flags = "N"
	}
	if cl.monitoring {
		flags += "O"
	}
	if cl.subscribed() {
		flags += "P"
	}
	flags += cl.stateFlags() // monitor.go: x, b, d
	if cl.noEvict {
		flags += "e"
	}
	if cl.noTouch {
		flags += "T"
	}
	if len(flags) > 1 {
		flags = flags[1:]
	}
	resp := 2
	if cl.out.RESP3() {
		resp = 3
	}
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=%d multi=%d qbuf=%d qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=%d events=r cmd=%s user=%s redir=-1 resp=%d lib-name=%s lib-ver=%s",
		cl.id, cl.addr, cl.laddr, cl.conn.Fd(), cl.name, (now-cl.createdAt)/1000, (now-cl.lastInteraction)/1000,
		flags, cl.db, cl.subs(subChannel), cl.subs(subPattern), cl.subs(subShard), cl.multiCount(), cl.conn.InboundBuffered(), cap(cl.out.Bytes()), cl.lastCmd, cl.user.name, resp, cl.libName, cl.libVer)
}

// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID client-id ...]
func clientListCmd(cl *client, args [][]byte, w *proto.Writer) {
	var ids map[uint64]bool
	typ := ""
	for i := 2; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "type":
			if i+1 >= len(args) {
				w.Error(proto.ErrSyntax)
				return
			}
			typ = strings.ToLower(string(args[i+1]))
			switch typ {
			case "normal", "master", "replica", "slave", "pubsub":
			default:
				w.Error("ERR Unknown client type '" + string(args[i+1]) + "'")
				return
			}
			i++
		case "id":
			if i+1 >= len(args) {
				w.Error(proto.ErrSyntax)
				return
			}
			ids = map[uint64]bool{}
			for i++; i < len(args); i++ {
				id, ok := proto.ParseInt(args[i])
				if !ok || id <= 0 {
					w.Error("ERR Invalid client ID")
					return
				}
				ids[uint64(id)] = true
			}
		default:
			w.Error(proto.ErrSyntax)
			return
		}
	}
	lines := make([][]string, cl.srv.n)
	srv := cl.srv
	cl.lastCmd = "client|list"
	cl.fanout(srv.allShards(), func(sh *shard.Shard, i int) {
		now := time.Now().UnixMilli()
		for _, c := range srv.loops[sh.ID].clients {
			if ids != nil && !ids[c.id] {
				continue
			}
			if typ != "" && typ != c.clientType() {
				continue
			}
			lines[i] = append(lines[i], c.describe(now))
		}
	}, func(w *proto.Writer) {
		var b strings.Builder
		for _, l := range lines {
			for _, line := range l {
				b.WriteString(line)
				b.WriteByte('\n')
			}
		}
		w.Verbatim("txt", b.String())
	})
}

// kill closes another client of this loop. gnet closes the connection later, from its
// task queue; the client leaves the loop's list now, so that a command right after
// the kill (CLIENT LIST) no longer sees it, as in Redis.
func (cl *client) kill() {
	_ = cl.conn.Close()
	delete(cl.loop.clients, cl.id)
}

// CLIENT KILL ip:port | CLIENT KILL [ID id] [TYPE type] [USER name] [ADDR ip:port]
// [LADDR ip:port] [SKIPME yes|no] [MAXAGE seconds]
func clientKillCmd(cl *client, args [][]byte, w *proto.Writer) {
	type filter struct {
		id          uint64
		addr, laddr string
		user        *aclSlot
		typ         string
		skipme      bool
		maxAge      int64
	}
	f := filter{skipme: true}
	legacy := len(args) == 3
	if legacy {
		f.addr = string(args[2])
		f.skipme = false
	} else {
		if len(args)%2 != 0 {
			w.Error(proto.ErrSyntax)
			return
		}
		for i := 2; i < len(args); i += 2 {
			val := string(args[i+1])
			switch strings.ToLower(string(args[i])) {
			case "id":
				id, ok := proto.ParseInt([]byte(val))
				if !ok || id <= 0 {
					w.Error("ERR client-id should be greater than 0")
					return
				}
				f.id = uint64(id)
			case "type":
				f.typ = strings.ToLower(val)
				switch f.typ {
				case "normal", "master", "replica", "slave", "pubsub":
				default:
					w.Error("ERR Unknown client type '" + val + "'")
					return
				}
			case "user":
				if f.user = cl.srv.acl.lookup(val); f.user == nil {
					w.Error("ERR No such user '" + val + "'")
					return
				}
			case "addr":
				f.addr = val
			case "laddr":
				f.laddr = val
			case "skipme":
				switch strings.ToLower(val) {
				case "yes":
					f.skipme = true
				case "no":
					f.skipme = false
				default:
					w.Error(proto.ErrSyntax)
					return
				}
			case "maxage":
				n, ok := proto.ParseInt([]byte(val))
				if !ok {
					w.Error(proto.ErrNotInt)
					return
				}
				f.maxAge = n
			default:
				w.Error(proto.ErrSyntax)
				return
			}
		}
	}
	killed := make([]int, cl.srv.n)
	srv := cl.srv
	self := cl.id
	cl.fanout(srv.allShards(), func(sh *shard.Shard, i int) {
		now := time.Now().UnixMilli()
		for _, c := range srv.loops[sh.ID].clients {
			switch {
			case f.id != 0 && c.id != f.id,
				f.addr != "" && c.addr != f.addr,
				f.laddr != "" && c.laddr != f.laddr,
				f.user != nil && c.user != f.user,
				f.typ != "" && f.typ != c.clientType(),
				f.maxAge > 0 && (now-c.createdAt)/1000 < f.maxAge,
				f.skipme && c.id == self:
				continue
			}
			killed[i]++
			if c.id == self {
				c.closeAfterReply = true
			} else {
				c.kill()
			}
		}
	}, func(w *proto.Writer) {
		total := 0
		for _, k := range killed {
			total += k
		}
		// Replicas and the master link are no loop's clients (repl.go, replica.go).
		if f.user == nil || f.user == srv.acl.def {
			switch f.typ {
			case "replica", "slave", "":
				if f.laddr == "" && f.maxAge == 0 {
					total += srv.killReplicas(f.addr, f.id)
				}
			case "master":
				total += srv.killMasterLink()
			}
		}
		if legacy {
			if total == 0 {
				w.Error("ERR No such client")
			} else {
				w.OK()
			}
			return
		}
		w.Int(int64(total))
	})
}

// helpReply writes a HELP subcommand's lines as status replies.
func helpReply(w *proto.Writer, name string, lines []string) {
	w.Array(len(lines) + 1)
	w.Simple(name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		w.Simple(l)
	}
}

// CLIENT HELP
func clientHelpCmd(_ *client, _ [][]byte, w *proto.Writer) {
	helpReply(w, "CLIENT", []string{
		"ID", "    Return this connection's id.",
		"SETNAME <name>", "    Name this connection.",
		"GETNAME", "    Return this connection's name.",
		"LIST [TYPE <type>] [ID <id> ...]", "    Describe open connections.",
		"INFO", "    Describe this connection.",
		"KILL <ip:port> | <filter> <value> ...", "    Close matching connections.",
		"REPLY ON|OFF|SKIP", "    Control whether the server replies to this connection.",
		"NO-EVICT ON|OFF", "    Exempt this connection from client eviction.",
		"NO-TOUCH ON|OFF", "    Keep this connection's reads from updating access times.",
		"SETINFO LIB-NAME|LIB-VER <value>", "    Record the client library's name or version.",
		"PAUSE <timeout> [WRITE|ALL]", "    Hold every client's commands, or those that may write, for <timeout> ms.",
		"UNPAUSE", "    End a CLIENT PAUSE.",
		"HELP", "    Print this help.",
	})
}
