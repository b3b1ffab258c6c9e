package coord

// The ACL command family, AUTH's user check, the ACL log and the ACL file.

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// aclFault is why admit refused the command being dispatched, kept for the ACL log,
// which reject writes (a command held back behind pipelined ones is admitted again).
type aclFault struct {
	reason          int
	object, command string
}

// aclRefusal checks the command against the client's user: "" when it may run.
func (cl *client) aclRefusal(u *aclUser, cmd *Command, args [][]byte) string {
	reason, pos := u.check(cmd, args)
	if reason == aclOK {
		if cmd.Name == "sort" || cmd.Name == "sort_ro" {
			return sortRefusal(u, cmd, args)
		}
		return ""
	}
	cl.aclFault = aclFault{reason: reason, object: cmd.FullName(), command: cmd.FullName()}
	if reason != aclDeniedCmd {
		cl.aclFault.object = string(args[pos])
	}
	return noPermMessage(reason, cmd)
}

// sortRefusal is SORT's refusal of BY (with a pattern) and GET for a user who may not
// read every key, since they name keys no ACL check sees: "" when the options are
// allowed or the parse stops first at an error the command itself reports.
func sortRefusal(u *aclUser, cmd *Command, args [][]byte) string {
	full := false
	for _, s := range u.selectors {
		if r, _ := s.checkCommand(cmd, args); r != aclOK {
			continue
		}
		if s.allKeys || slices.ContainsFunc(s.keys, func(p aclKeyPattern) bool { return p.pattern == "*" && p.perm&aclKeyRead != 0 }) {
			full = true
		}
	}
	if full {
		return ""
	}
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "asc" || opt == "desc" || opt == "alpha":
		case opt == "limit" && left >= 2:
			if _, ok := proto.ParseInt(args[j+1]); !ok {
				return ""
			}
			if _, ok := proto.ParseInt(args[j+2]); !ok {
				return ""
			}
			j += 2
		case opt == "store" && cmd.Name == "sort" && left >= 1:
			j++
		case opt == "by" && left >= 1:
			if strings.Contains(string(args[j+1]), "*") {
				return "ERR BY option of SORT denied due to insufficient ACL permissions."
			}
			j++
		case opt == "get" && left >= 1:
			return "ERR GET option of SORT denied due to insufficient ACL permissions."
		default:
			return ""
		}
	}
	return ""
}

// noPermMessage is the refusal of a command, in redis-server 7.0's words.
func noPermMessage(reason int, cmd *Command) string {
	switch reason {
	case aclDeniedKey:
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case aclDeniedChannel:
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return "NOPERM this user has no permissions to run the '" + cmd.FullName() + "' command"
}

// scriptACLMessage is the refusal of a call from a script.
func scriptACLMessage(reason int) string {
	switch reason {
	case aclDeniedCmd:
		return "ERR The user executing the script can't run this command or subcommand"
	case aclDeniedKey:
		return "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments"
	case aclDeniedChannel:
		return "ERR The user executing the script can't publish to the channel mentioned in the command"
	}
	return "ERR The user executing the script is lacking the permissions for the command"
}

// dryrunMessage is ACL DRYRUN's answer for a refused command.
func dryrunMessage(reason int, cmd *Command, arg []byte) string {
	switch reason {
	case aclDeniedKey:
		return "This user has no permissions to access the '" + string(arg) + "' key"
	case aclDeniedChannel:
		return "This user has no permissions to access the '" + string(arg) + "' channel"
	}
	return "This user has no permissions to run the '" + cmd.FullName() + "' command"
}

// recheckQueued marks the queued commands that the user may no longer run, as Redis
// checks them again at EXEC: they answer an error, the others run. A queued AUTH (or
// HELLO AUTH) that will succeed changes the user the commands after it are checked as.
func (cl *client) recheckQueued(cmds []queued) {
	slot := cl.user
	u := slot.cur.Load()
	if u.open && !slices.ContainsFunc(cmds, func(q queued) bool { return q.cmd.Name == "auth" || q.cmd.Name == "hello" }) {
		return
	}
	for i := range cmds {
		q := &cmds[i]
		if user, pass, ok := authArgs(q.cmd, q.args); ok {
			if s := cl.srv.acl.lookup(string(user)); s != nil && s.cur.Load().checkPassword(pass) {
				slot, u = s, s.cur.Load()
			}
		}
		reason, pos := u.check(q.cmd, q.args)
		if reason == aclOK {
			continue
		}
		why := "no permission to execute the command or subcommand"
		object := q.cmd.FullName()
		switch reason {
		case aclDeniedKey:
			why, object = "no permission to touch the specified keys", string(q.args[pos])
		case aclDeniedChannel:
			why, object = "no permission to access one of the channels used as arguments", string(q.args[pos])
		}
		q.refused = "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + why
		// The entry describes the client as Redis sees it then: running EXEC, as the
		// user a queued AUTH made it.
		cl.lastCmd = "exec"
		was := cl.user
		cl.user = slot
		info := cl.describe(time.Now().UnixMilli())
		cl.user = was
		cl.srv.acl.logDenial(reason, aclCtxMulti, object, slot.name, info)
	}
}

// authArgs finds the credentials of an AUTH or HELLO ... AUTH command line.
func authArgs(cmd *Command, args [][]byte) (user, pass []byte, ok bool) {
	switch {
	case cmd.Name == "auth" && len(args) == 2:
		return []byte("default"), args[1], true
	case cmd.Name == "auth" && len(args) == 3:
		return args[1], args[2], true
	case cmd.Name == "hello":
		for i := 2; i+2 < len(args); i++ {
			if strings.EqualFold(string(args[i]), "auth") {
				user, pass, ok = args[i+1], args[i+2], true
				i += 2
			}
		}
	}
	return user, pass, ok
}

// scriptACL is what a script run needs to check its calls: the caller's user, its
// name and client description for the log.
type scriptACL struct {
	user        *aclUser
	name, cinfo string
	ctx         int
}

// logFault writes the refusal admit found to the ACL log.
func (cl *client) logFault() {
	f := cl.aclFault
	if f.reason == aclOK {
		return
	}
	cl.aclFault = aclFault{}
	ctx := aclCtxToplevel
	// As in Redis, the entry shows the refused command as the client's last one.
	cl.lastCmd = f.command
	if cl.multi != nil {
		ctx = aclCtxMulti
	}
	cl.srv.acl.logDenial(f.reason, ctx, f.object, cl.user.name, cl.describe(time.Now().UnixMilli()))
}

// aclLogEntry is one ACL LOG entry; repeats of the same refusal within a minute count
// in the entry instead of adding one.
type aclLogEntry struct {
	count           int64
	reason, context int
	object, user    string
	cinfo           string
	id              int64
	created, last   int64 // Unix milliseconds
}

// logDenial records a refusal (reason aclDenied*) in the log and INFO stats.
func (a *aclState) logDenial(reason, ctx int, object, user, cinfo string) {
	maxLen := a.maxLen.Load()
	a.denied[reason].Add(1)
	now := time.Now().UnixMilli()
	a.logMu.Lock()
	defer a.logMu.Unlock()
	for i, e := range a.log[:min(10, len(a.log))] {
		if e.reason == reason && e.context == ctx && e.object == object && e.user == user && now-e.last <= 60000 {
			e.count++
			e.cinfo, e.last = cinfo, now
			copy(a.log[1:i+1], a.log[:i])
			a.log[0] = e
			return
		}
	}
	e := &aclLogEntry{count: 1, reason: reason, context: ctx, object: object, user: user, cinfo: cinfo, id: a.nextID, created: now, last: now}
	a.nextID++
	a.log = append([]*aclLogEntry{e}, a.log...)
	if int64(len(a.log)) > maxLen {
		a.log = a.log[:maxLen]
	}
}

// checkAuth authenticates cl as user with pass, logging a failure.
func (cl *client) checkAuth(user, pass []byte, cmdName string) bool {
	slot := cl.srv.acl.lookup(string(user))
	if slot != nil {
		if u := slot.cur.Load(); u.checkPassword(pass) {
			cl.user, cl.authed = slot, true
			return true
		}
	}
	ctx := aclCtxToplevel
	if cl.multi != nil {
		ctx = aclCtxMulti
	}
	cl.srv.acl.logDenial(aclDeniedAuth, ctx, cmdName, string(user), cl.describe(time.Now().UnixMilli()))
	return false
}

// ACL SETUSER username [rule ...]
func aclSetuserCmd(cl *client, args [][]byte, w *proto.Writer) {
	name := string(args[2])
	if hasSpaces(name) {
		w.Error("ERR Usernames can't contain spaces or null characters")
		return
	}
	rules := make([]string, len(args)-3)
	for i, a := range args[3:] {
		rules[i] = string(a)
	}
	slot, before, err := cl.srv.acl.setUser(name, rules, cl.srv.pubsubDefaultAll())
	if err != nil {
		w.Error(err.Error())
		return
	}
	after := slot.cur.Load()
	if before == nil || !lostChannels(before, after) {
		w.OK()
		return
	}
	// Subscribers of the user that lost a channel or pattern are disconnected.
	cl.killClients(func(c *client) bool {
		return c.user == slot && c.sub != nil && !c.keepsChannels(after)
	}, func(w *proto.Writer) { w.OK() })
}

// lostChannels reports whether after allows fewer channels than before, by pattern.
func lostChannels(before, after *aclUser) bool {
	var upcoming []string
	for _, s := range after.selectors {
		if s.allChannels {
			return false
		}
		upcoming = append(upcoming, s.channels...)
	}
	for _, s := range before.selectors {
		if s.allChannels {
			return true
		}
		for _, ch := range s.channels {
			if !slices.Contains(upcoming, ch) {
				return true
			}
		}
	}
	return false
}

// keepsChannels reports whether u still allows every subscription of c.
func (c *client) keepsChannels(u *aclUser) bool {
	for kind, names := range c.sub.names {
		for _, n := range names {
			if !u.channelPermitted(n, kind == subPattern) {
				return false
			}
		}
	}
	return true
}

// killClients closes, on every loop, the clients match selects (the calling client
// after its reply), then answers with done.
func (cl *client) killClients(match func(c *client) bool, done func(w *proto.Writer)) {
	srv, self := cl.srv, cl.id
	cl.fanout(srv.allShards(), func(sh *shard.Shard, _ int) {
		for _, c := range srv.loops[sh.ID].clients {
			if !match(c) {
				continue
			}
			c.user, c.authed = srv.acl.def, false
			if c.id == self {
				c.closeAfterReply = true
			} else {
				c.kill()
			}
		}
	}, done)
}

// ACL DELUSER username [username ...]
func aclDeluserCmd(cl *client, args [][]byte, w *proto.Writer) {
	for _, a := range args[2:] {
		if string(a) == "default" {
			w.Error("ERR The 'default' user cannot be removed")
			return
		}
	}
	a := &cl.srv.acl
	var gone []*aclSlot
	a.mu.Lock()
	for _, name := range args[2:] {
		if slot := a.users[string(name)]; slot != nil {
			delete(a.users, string(name))
			slot.cur.Store(newUser(slot.name, false).seal()) // off: nothing allowed
			gone = append(gone, slot)
		}
	}
	a.mu.Unlock()
	if len(gone) == 0 {
		w.Int(0)
		return
	}
	cl.killClients(func(c *client) bool { return slices.Contains(gone, c.user) },
		func(w *proto.Writer) { w.Int(int64(len(gone))) })
}

// ACL GETUSER username
func aclGetuserCmd(cl *client, args [][]byte, w *proto.Writer) {
	slot := cl.srv.acl.lookup(string(args[2]))
	if slot == nil {
		w.Null()
		return
	}
	u := slot.cur.Load()
	w.Map(6)
	w.BulkString("flags")
	flags := []string{"off"}
	if u.enabled {
		flags[0] = "on"
	}
	if u.nopass {
		flags = append(flags, "nopass")
	}
	if u.sanitize != "" {
		flags = append(flags, u.sanitize)
	}
	w.Set(len(flags))
	for _, f := range flags {
		w.BulkString(f)
	}
	w.BulkString("passwords")
	w.Array(len(u.passwords))
	for _, p := range u.passwords {
		w.BulkString(p)
	}
	writeSelector(w, u.selectors[0])
	w.BulkString("selectors")
	w.Array(len(u.selectors) - 1)
	for _, s := range u.selectors[1:] {
		w.Map(3)
		writeSelector(w, s)
	}
}

func writeSelector(w *proto.Writer, s *aclSelector) {
	w.BulkString("commands")
	w.BulkString(s.commandRules())
	w.BulkString("keys")
	w.BulkString(s.keysText())
	w.BulkString("channels")
	w.BulkString(s.channelsText())
}

// ACL USERS
func aclUsersCmd(cl *client, _ [][]byte, w *proto.Writer) {
	users := cl.srv.acl.sorted()
	w.Array(len(users))
	for _, s := range users {
		w.BulkString(s.name)
	}
}

// ACL LIST
func aclListCmd(cl *client, _ [][]byte, w *proto.Writer) {
	users := cl.srv.acl.sorted()
	w.Array(len(users))
	for _, s := range users {
		w.BulkString("user " + s.name + " " + s.cur.Load().describe())
	}
}

// ACL WHOAMI
func aclWhoamiCmd(cl *client, _ [][]byte, w *proto.Writer) {
	w.BulkString(cl.user.name)
}

// ACL CAT [category]
func aclCatCmd(_ *client, args [][]byte, w *proto.Writer) {
	if len(args) == 2 {
		w.Array(len(aclOrder))
		for _, c := range aclOrder {
			w.BulkString(c)
		}
		return
	}
	if len(args) > 3 {
		w.Error(subcommandSyntax(args))
		return
	}
	cat := -1
	for i, c := range aclOrder {
		if strings.EqualFold(c, string(args[2])) {
			cat = i
		}
	}
	if cat < 0 {
		w.Error("ERR Unknown category '" + truncate(string(args[2]), 128) + "'")
		return
	}
	masks := aclCategoryMasks()
	var names []string
	for _, c := range all {
		if masks[c.id]&(1<<cat) != 0 {
			names = append(names, c.FullName())
		}
	}
	w.Array(len(names))
	for _, n := range names {
		w.BulkString(n)
	}
}

// ACL GENPASS [bits]
func aclGenpassCmd(_ *client, args [][]byte, w *proto.Writer) {
	if len(args) > 3 {
		w.Error(subcommandSyntax(args))
		return
	}
	bits := int64(256)
	if len(args) == 3 {
		n, ok := proto.ParseInt(args[2])
		if !ok {
			w.Error(proto.ErrNotInt)
			return
		}
		bits = n
	}
	if bits <= 0 || bits > 4096 {
		w.Error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
		return
	}
	chars := (bits + 3) / 4
	buf := make([]byte, (chars+1)/2)
	_, _ = rand.Read(buf)
	w.BulkString(hex.EncodeToString(buf)[:chars])
}

// ACL LOG [count | RESET]
func aclLogCmd(cl *client, args [][]byte, w *proto.Writer) {
	if len(args) > 3 {
		w.Error(subcommandSyntax(args))
		return
	}
	a := &cl.srv.acl
	count := int64(10)
	if len(args) == 3 {
		if strings.EqualFold(string(args[2]), "reset") {
			a.logMu.Lock()
			a.log = nil
			a.logMu.Unlock()
			w.OK()
			return
		}
		n, ok := proto.ParseInt(args[2])
		if !ok {
			w.Error(proto.ErrNotInt)
			return
		}
		count = max(n, 0)
	}
	a.logMu.Lock()
	entries := a.log[:min(int(min(count, int64(len(a.log)))), len(a.log))]
	entries = append([]*aclLogEntry(nil), entries...)
	a.logMu.Unlock()
	now := time.Now().UnixMilli()
	w.Array(len(entries))
	for _, e := range entries {
		w.Map(10)
		w.BulkString("count")
		w.Int(e.count)
		w.BulkString("reason")
		w.BulkString([...]string{"", "command", "key", "auth", "channel"}[e.reason])
		w.BulkString("context")
		w.BulkString([...]string{"toplevel", "multi", "lua"}[e.context])
		w.BulkString("object")
		w.BulkString(e.object)
		w.BulkString("username")
		w.BulkString(e.user)
		w.BulkString("age-seconds")
		w.Double(float64(now-e.last) / 1000)
		w.BulkString("client-info")
		w.BulkString(e.cinfo)
		w.BulkString("entry-id")
		w.Int(e.id)
		w.BulkString("timestamp-created")
		w.Int(e.created)
		w.BulkString("timestamp-last-updated")
		w.Int(e.last)
	}
}

// ACL DRYRUN username command [arg ...]
func aclDryrunCmd(cl *client, args [][]byte, w *proto.Writer) {
	slot := cl.srv.acl.lookup(string(args[2]))
	if slot == nil {
		w.Error("ERR User '" + string(args[2]) + "' not found")
		return
	}
	line := args[3:]
	cmd := lookupCommand(line[0], &cl.cmds.scratch)
	if cmd != nil && len(cmd.Subs) > 0 && len(line) >= 2 {
		cmd = lookupSub(cmd, line[1])
	}
	if cmd == nil {
		w.Error("ERR Command '" + string(line[0]) + "' not found")
		return
	}
	if (cmd.Arity > 0 && len(line) != cmd.Arity) || len(line) < -cmd.Arity {
		w.Error("ERR wrong number of arguments for '" + cmd.FullName() + "' command")
		return
	}
	u := slot.cur.Load()
	if reason, pos := u.check(cmd, line); reason != aclOK {
		w.BulkString(dryrunMessage(reason, cmd, line[pos]))
		return
	}
	w.OK()
}

// errNoACLFile refuses ACL LOAD and SAVE without an aclfile.
const errNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

// ACL SAVE
func aclSaveCmd(cl *client, _ [][]byte, w *proto.Writer) {
	path := cl.srv.cfg.ACLFile
	if path == "" {
		w.Error(errNoACLFile)
		return
	}
	if err := cl.srv.acl.save(path); err != nil {
		cl.srv.log.warning("Saving the ACL file: %v", err)
		w.Error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	w.OK()
}

// ACL LOAD
func aclLoadCmd(cl *client, _ [][]byte, w *proto.Writer) {
	path := cl.srv.cfg.ACLFile
	if path == "" {
		w.Error(errNoACLFile)
		return
	}
	changed, err := cl.srv.acl.load(path, cl.srv.pubsubDefaultAll())
	if err != nil {
		w.Error("ERR " + err.Error())
		return
	}
	// Connections of the users replaced are closed, as Redis does.
	cl.killClients(func(c *client) bool { return slices.Contains(changed, c.user) },
		func(w *proto.Writer) { w.OK() })
}

// configLines lists the users as "user" lines, in name order.
func (a *aclState) configLines() []string {
	var out []string
	for _, s := range a.sorted() {
		out = append(out, "user "+s.name+" "+s.cur.Load().describe())
	}
	return out
}

// save writes every user to path, as ACL LIST shows them, through a temporary file.
func (a *aclState) save(path string) error {
	var b strings.Builder
	for _, l := range a.configLines() {
		b.WriteString(l + "\n")
	}
	return replaceFile(path, []byte(b.String())) // config_rewrite.go
}

// load replaces the users with those of the ACL file at path, all or nothing. The
// default user is reset to its defaults when the file does not define it. It returns
// the slots of the other users before the load, whose connections must close (Redis
// replaces every user but the default one, changed or not).
func (a *aclState) load(path string, pubsubAll bool) ([]*aclSlot, error) {
	f, err := os.Open(path)
	if err != nil {
		why := err.Error()
		var pe *os.PathError
		if errors.As(err, &pe) {
			why = pe.Err.Error()
			why = strings.ToUpper(why[:1]) + why[1:] // as strerror words it
		}
		return nil, fmt.Errorf("Error loading ACLs, opening file '%s': %s", path, why)
	}
	defer f.Close()
	users := map[string]*aclUser{}
	var errs strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		words := strings.Fields(sc.Text())
		if len(words) == 0 {
			continue
		}
		if words[0] != "user" || len(words) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", path, n)
			continue
		}
		name := words[1]
		if users[name] != nil {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", name, n)
			continue
		}
		u := newUser(name, pubsubAll)
		rules, err := mergeSelectorArgs(words[2:])
		if err != nil {
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", path, n)
			continue
		}
		// As Redis: every unknown command or category is reported, and the first
		// other error of the line.
		syntax := false
		for _, r := range rules {
			switch err := u.apply(r, pubsubAll); {
			case err == nil:
			case err == errACLUnknown:
				fmt.Fprintf(&errs, "%s:%d: Error in applying operation '%s': %s. ", path, n, r, err)
			case !syntax:
				fmt.Fprintf(&errs, "%s:%d: %s. ", path, n, err)
				syntax = true
			}
		}
		users[name] = u.seal()
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if errs.Len() > 0 {
		errs.WriteString("WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
		return nil, fmt.Errorf("%s", errs.String())
	}
	if users["default"] == nil {
		users["default"] = defaultUser()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var replaced []*aclSlot
	for name, slot := range a.users {
		if slot == a.def {
			continue
		}
		delete(a.users, name)
		slot.cur.Store(newUser(name, false).seal())
		replaced = append(replaced, slot)
	}
	for name, u := range users {
		if name == "default" {
			a.def.cur.Store(u)
			continue
		}
		slot := &aclSlot{name: name}
		slot.cur.Store(u)
		a.users[name] = slot
	}
	return replaced, nil
}

// ACL HELP
func aclHelpCmd(_ *client, _ [][]byte, w *proto.Writer) {
	helpReply(w, "ACL", []string{
		"CAT [<category>]", "    List all commands that belong to <category>, or all command categories",
		"    when no category is specified.",
		"DELUSER <username> [<username> ...]", "    Delete a list of users.",
		"DRYRUN <username> <command> [<arg> ...]", "    Returns whether the user can execute the given command without executing the command.",
		"GETUSER <username>", "    Get the user's details.",
		"GENPASS [<bits>]", "    Generate a secure 256-bit user password. The optional `bits` argument can",
		"    be used to specify a different size.",
		"LIST", "    Show users details in config file format.",
		"LOAD", "    Reload users from the ACL file.",
		"LOG [<count> | RESET]", "    Show the ACL log entries.",
		"SAVE", "    Save the current config to the ACL file.",
		"SETUSER <username> <attribute> [<attribute> ...]", "    Create or modify a user with the specified attributes.",
		"USERS", "    List all the registered usernames.",
		"WHOAMI", "    Return the current connection username.",
	})
}

// subcommandSyntax is Redis's answer to a subcommand with the wrong arguments.
func subcommandSyntax(args [][]byte) string {
	return "ERR unknown subcommand or wrong number of arguments for '" + truncate(string(args[1]), 128) + "'. Try " + strings.ToUpper(string(args[0])) + " HELP."
}

// pubsubDefaultAll reports whether acl-pubsub-default gives new users every channel.
func (s *Server) pubsubDefaultAll() bool {
	return strings.EqualFold(s.cfg.aclPubsubDefault(), "allchannels")
}

// loadUsers applies the user directives and then the ACL file at start-up.
func (s *Server) loadUsers() error {
	cfg := s.cfg
	if cfg.ACLFile != "" && len(cfg.Users) > 0 {
		return fmt.Errorf("configuring users in the config file and an ACL file at the same time is invalid: define either an aclfile or user directives, not both")
	}
	s.acl.setDefaultPassword(cfg.requirePass())
	for _, words := range cfg.Users {
		name := words[0]
		if hasSpaces(name) {
			return fmt.Errorf("spaces are not allowed in ACL user names")
		}
		rules := words[1:]
		if name == "default" {
			rules = append([]string{"reset"}, rules...)
		}
		if _, _, err := s.acl.setUser(name, rules, s.pubsubDefaultAll()); err != nil {
			return fmt.Errorf("loading the ACL rules of user '%s': %s", name, strings.TrimPrefix(err.Error(), "ERR "))
		}
	}
	if cfg.ACLFile != "" {
		if _, err := os.Stat(cfg.ACLFile); err != nil {
			return fmt.Errorf("aborting start-up because of ACL errors: %v", err)
		}
		if _, err := s.acl.load(cfg.ACLFile, s.pubsubDefaultAll()); err != nil {
			return fmt.Errorf("aborting start-up because of ACL errors: %v", err)
		}
	}
	return nil
}
