package coord_test

// Differential tests of ACL that need more than one connection, a config file or an ACL
// file: disconnections (ACL DELUSER, channel permissions taken from subscribers, CLIENT
// KILL USER, ACL LOAD), the ACL log, CLIENT LIST's user field, requirepass, HELLO AUTH,
// the user and aclfile directives with ACL LOAD and ACL SAVE, start-up errors and ACL
// GENPASS. Every step runs on redis-server 7.0 (the oracle) and then on Basalt, on
// fresh servers for every run. The single-connection paths (rules, GETUSER, DRYRUN,
// denials of commands, keys and channels, MULTI, scripts) are in the corpus,
// testdata/diff/acl.txt.
//
// A step is "X: ..." where X names a connection, dialed at its first step (and sent
// HELLO 3 first in RESP3 runs):
//
//	A: ACL WHOAMI             send a command; the replies must be equal byte for byte
//	A: HELLO 3 -> type        only the types of the replies are compared (server info)
//	A: ACL LOG -> log 3       the entries compared without age and client ids (and
//	                          without the fields Redis 7.2 adds); redis-server must
//	                          answer 3 entries (any number without one)
//	A: CLIENT LIST -> users   the name= and user= fields of the named clients, sorted
//	A: BLPOP q 0 -> sent      send without reading the reply (a later read reads it)
//	A: INFO clients -> until blocked_clients:1
//	                          repeat the command until its reply contains the text
//	A: read                   read one more reply (a pushed message); nothing is sent
//	A: closed                 the server closed A; redis-server must have closed it
//
// Paths in replies (ACL LOAD errors) are compared with the server's directory replaced
// by {dir}; both directories have names of the same length, so bulk lengths agree.
//
//	go test ./coord/ -run 'ACL' -v
//	go test ./coord/ -run 'ACL' -acl.redis    # against two redis-servers: checks the tests

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/basaltdb/basalt/coord"
)

var aclAgainstRedis = flag.Bool("acl.redis", false, "run the ACL tests against a second redis-server in place of Basalt, to check the tests themselves")

// aclCloseTimeout is how long a server may take to close a connection it must close.
const aclCloseTimeout = time.Second

// aclStep is one parsed step of an ACL scenario.
type aclStep struct {
	text string
	conn byte
	args []string // nil for read and closed
	// kind is "" (compare the replies), "type", "log", "users", "sent", "until", "read"
	// or "closed".
	kind string
	// until is the text to wait for with kind "until".
	until string
	// entries is the number of entries redis-server's ACL LOG reply must have with kind
	// "log"; -1 for any.
	entries int
}

func parseACLStep(text string) (aclStep, error) {
	st := aclStep{text: text, entries: -1}
	if len(text) < 4 || text[0] < 'A' || text[0] > 'Z' || text[1:3] != ": " {
		return st, fmt.Errorf("step %q does not start with a connection letter and \": \"", text)
	}
	st.conn = text[0]
	body := text[3:]
	switch body {
	case "read", "closed":
		st.kind = body
		return st, nil
	}
	args, err := splitArgs(body)
	if err != nil || len(args) == 0 {
		return st, fmt.Errorf("step %q: cannot split the command: %v", text, err)
	}
	// An unquoted -> starts the expectation; a quoted one is part of an argument.
	if i := slices.Index(args, "->"); i >= 0 {
		want := args[i+1:]
		args = args[:i]
		if len(want) == 0 || len(args) == 0 {
			return st, fmt.Errorf("step %q: nothing before or after ->", text)
		}
		switch want[0] {
		case "type", "users", "sent":
			if len(want) != 1 {
				return st, fmt.Errorf("step %q: %s takes no argument", text, want[0])
			}
		case "log":
			if len(want) > 2 {
				return st, fmt.Errorf("step %q: log takes at most a number of entries", text)
			}
			if len(want) == 2 {
				n, err := strconv.Atoi(want[1])
				if err != nil || n < 0 {
					return st, fmt.Errorf("step %q: bad number of entries %q", text, want[1])
				}
				st.entries = n
			}
		case "until":
			if len(want) != 2 {
				return st, fmt.Errorf("step %q: until takes one text", text)
			}
			st.until = want[1]
		default:
			return st, fmt.Errorf("step %q: unknown expectation %q", text, want[0])
		}
		st.kind = want[0]
	}
	st.args = args
	return st, nil
}

func parseACLSteps(t *testing.T, texts []string) []aclStep {
	t.Helper()
	var steps []aclStep
	for _, text := range texts {
		st, err := parseACLStep(text)
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, st)
	}
	return steps
}

// aclServerSpec says how to start the two servers of a run.
type aclServerSpec struct {
	threads int
	// conf is the text of a config file given at start-up ("" for none); {dir} stands
	// for the server's own directory.
	conf string
	// files are written in the server's directory before it starts, {dir} replaced.
	files map[string]string
}

// aclSide is one of the two servers of a run: the oracle (0) or the server under test.
type aclSide struct {
	name string
	addr string
	dir  string
	conf string // path of the config file, if any
}

// startACLPair starts redis-server and Basalt (a second redis-server with -acl.redis)
// after writing their files; the test's cleanup stops them.
func startACLPair(t *testing.T, spec aclServerSpec) [2]aclSide {
	t.Helper()
	var sides [2]aclSide
	for i := range sides {
		s := &sides[i]
		s.name = "redis"
		if i == 1 {
			s.name = "basalt"
		}
		s.dir = t.TempDir()
		writeACLFiles(t, s.dir, spec.files)
		if spec.conf != "" {
			s.conf = filepath.Join(s.dir, "server.conf")
			writeACLFiles(t, s.dir, map[string]string{"server.conf": spec.conf})
		}
		if i == 0 || *aclAgainstRedis {
			var lead []string
			if s.conf != "" {
				lead = []string{s.conf}
			}
			s.addr = startRedisWith(t, lead, s.dir)
			continue
		}
		_, s.addr = startBasaltWith(t, func(cfg *coord.Config) {
			cfg.Threads = spec.threads
			cfg.Dir = s.dir
			if s.conf != "" {
				if err := coord.ParseConfigFile(cfg, s.conf); err != nil {
					t.Fatalf("basalt does not take the config file: %v\n%s", err, spec.conf)
				}
				cfg.File = s.conf
			}
		})
	}
	return sides
}

// writeACLFiles writes files (name to content) in dir, with {dir} in the content
// replaced by dir.
func writeACLFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		content = strings.ReplaceAll(content, "{dir}", dir)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// aclRun plays steps on the two servers of a run; its connections outlive one call of
// play, so a test can change files between groups of steps.
type aclRun struct {
	t      *testing.T
	sides  [2]aclSide
	resp   int
	conns  [2]map[byte]*diffConn
	closed map[byte]bool
}

func newACLRun(t *testing.T, sides [2]aclSide, resp int) *aclRun {
	return &aclRun{t: t, sides: sides, resp: resp,
		conns:  [2]map[byte]*diffConn{{}, {}},
		closed: map[byte]bool{}}
}

// conn returns connection c to side i, dialing it (and sending HELLO 3 in RESP3 runs)
// at its first use.
func (r *aclRun) conn(i int, c byte) *diffConn {
	if d := r.conns[i][c]; d != nil {
		return d
	}
	d := dialDiff(r.t, fmt.Sprintf("%s %c", r.sides[i].name, c), r.sides[i].addr)
	r.conns[i][c] = d
	if r.resp == 3 {
		// A server that requires a password answers NOAUTH: the connection stays in
		// RESP2 until a HELLO with AUTH, on both sides alike.
		reply, err := d.do([]string{"HELLO", "3"})
		if err != nil || len(reply) == 0 || (reply[0] != '%' && !bytes.HasPrefix(reply, []byte("-NOAUTH"))) {
			r.t.Fatalf("%s: HELLO 3 answered %q, %v", d.name, reply, err)
		}
	}
	return d
}

// play runs the steps on both servers, each on redis-server first, and reports every
// difference with the whole transcript.
func (r *aclRun) play(steps []aclStep) {
	t := r.t
	t.Helper()
	var transcript strings.Builder
	mismatches := 0
	for _, st := range steps {
		if r.closed[st.conn] {
			t.Fatalf("step %q: connection %c was closed by an earlier step", st.text, st.conn)
		}
		var views [2]string
		var raws [2][]byte
		for i := range r.sides {
			raws[i], views[i] = r.step(i, st)
		}
		mark := ""
		if views[0] != views[1] {
			mismatches++
			mark = "   <-- differs"
		}
		fmt.Fprintf(&transcript, "\t%s%s\n\t\tredis:  %s\n\t\tbasalt: %s\n", st.text, mark,
			indentView(views[0]), indentView(views[1]))
		// The scenario must still show what it says on redis-server.
		switch {
		case st.kind == "closed" && views[0] != "closed":
			t.Errorf("step %q: redis-server did not close the connection (%s): fix the scenario", st.text, views[0])
		case st.kind == "until" && !strings.HasPrefix(views[0], "a reply with"):
			t.Errorf("step %q: redis-server never answered %q: fix the scenario", st.text, st.until)
		case st.kind == "log" && st.entries >= 0:
			if _, entries, ok := splitReply(raws[0]); !ok || len(entries) != st.entries {
				t.Errorf("step %q: redis-server's ACL LOG has not %d entries: %q: fix the scenario", st.text, st.entries, raws[0])
			}
		}
		if st.kind == "closed" {
			r.closed[st.conn] = true
		}
	}
	if mismatches > 0 {
		t.Errorf("%d of %d replies differ:\n%s", mismatches, len(steps), transcript.String())
	} else if testing.Verbose() {
		t.Logf("transcript:\n%s", transcript.String())
	}
}

func indentView(v string) string { return strings.ReplaceAll(v, "\n", "\n\t\t        ") }

// step plays one step on side i and returns the raw reply and the text compared.
func (r *aclRun) step(i int, st aclStep) ([]byte, string) {
	d := r.conn(i, st.conn)
	switch st.kind {
	case "closed":
		data, closed := readUntilClosed(d.c, aclCloseTimeout)
		if !closed {
			return data, fmt.Sprintf("still open after %v (read %q)", aclCloseTimeout, data)
		}
		if len(data) > 0 {
			return data, fmt.Sprintf("closed after sending %q", data)
		}
		return data, "closed"
	case "read":
		_ = d.c.SetDeadline(time.Now().Add(aclCloseTimeout))
		reply, err := readReply(d.r)
		if err != nil {
			return reply, fmt.Sprintf("nothing to read: %s (read %q)", ioErrorKind(err), reply)
		}
		return reply, fmt.Sprintf("%q", reply)
	case "sent":
		_ = d.c.SetDeadline(time.Now().Add(replyTimeout))
		if _, err := d.c.Write(encodeCommand(st.args)); err != nil {
			return nil, fmt.Sprintf("cannot send: %s", ioErrorKind(err))
		}
		return nil, "sent"
	case "until":
		deadline := time.Now().Add(aclCloseTimeout)
		for {
			reply, err := d.do(st.args)
			if err != nil {
				return reply, fmt.Sprintf("no reply: %s (read %q)", ioErrorKind(err), reply)
			}
			if bytes.Contains(reply, []byte(st.until)) {
				return reply, fmt.Sprintf("a reply with %q", st.until)
			}
			if time.Now().After(deadline) {
				return reply, fmt.Sprintf("no reply with %q in %v; the last: %q", st.until, aclCloseTimeout, reply)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	reply, err := d.do(st.args)
	if err != nil {
		return reply, fmt.Sprintf("no reply: %s (read %q)", ioErrorKind(err), reply)
	}
	reply = bytes.ReplaceAll(reply, []byte(r.sides[i].dir), []byte("{dir}"))
	switch st.kind {
	case "type":
		return reply, fmt.Sprintf("a reply of type %q", reply[:1])
	case "log":
		return reply, aclLogView(reply)
	case "users":
		return reply, clientUsersView(reply)
	}
	return reply, fmt.Sprintf("%q", reply)
}

// ioErrorKind names an I/O error without the addresses it mentions.
func ioErrorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), isConnReset(err):
		return "the connection was closed"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "I/O error"
}

// scalarText returns the text of a simple reply: status, error, integer, double,
// boolean, big number or bulk string; "" for anything else.
func scalarText(raw []byte) string {
	if len(raw) < 3 {
		return ""
	}
	switch raw[0] {
	case '+', '-', ':', ',', '#', '(':
		return strings.TrimSuffix(string(raw[1:]), "\r\n")
	case '$', '=':
		nl := bytes.IndexByte(raw, '\n')
		n, err := strconv.Atoi(string(raw[1 : nl-1]))
		if err != nil || n < 0 || nl+1+n > len(raw) {
			return ""
		}
		return string(raw[nl+1 : nl+1+n])
	}
	return ""
}

// aclLogFields are the fields of an ACL LOG entry that depend neither on the time nor
// on client ids.
var aclLogFields = []string{"count", "reason", "context", "object", "username"}

// aclLogFields72 are the fields Redis 7.2 adds after the seven of the 7.0 oracle; an
// entry may have them or not.
const aclLogFields72 = ",entry-id,timestamp-created,timestamp-last-updated"

// aclLogView renders an ACL LOG reply without what depends on the time or on client
// ids: per entry, the names of its fields (those Redis 7.2 adds left out), the values
// of aclLogFields and the name, user and cmd fields of its client-info.
func aclLogView(raw []byte) string {
	_, entries, ok := splitReply(raw)
	if !ok {
		return fmt.Sprintf("not an array: %q", raw)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d entries", len(entries))
	for _, e := range entries {
		_, kv, ok := splitReply(e)
		if !ok || len(kv)%2 != 0 {
			fmt.Fprintf(&b, "\nan entry that is not a map: %q", e)
			continue
		}
		var names []string
		fields := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			k := scalarText(kv[i])
			names = append(names, k)
			fields[k] = scalarText(kv[i+1])
		}
		fmt.Fprintf(&b, "\nfields %s:", strings.TrimSuffix(strings.Join(names, ","), aclLogFields72))
		for _, k := range aclLogFields {
			fmt.Fprintf(&b, " %s=%q", k, fields[k])
		}
		info := clientInfoFields(fields["client-info"])
		fmt.Fprintf(&b, " client-info name=%q user=%q cmd=%q", info["name"], info["user"], info["cmd"])
	}
	return b.String()
}

// clientInfoFields splits one line of CLIENT LIST or CLIENT INFO into its fields.
func clientInfoFields(line string) map[string]string {
	fields := map[string]string{}
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok {
			fields[k] = v
		}
	}
	return fields
}

// clientUsersView renders a CLIENT LIST or CLIENT INFO reply as the sorted name and
// user of its clients that have a name.
func clientUsersView(raw []byte) string {
	text := scalarText(raw)
	if text == "" {
		return fmt.Sprintf("not a bulk string: %q", raw)
	}
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := clientInfoFields(line)
		if f["name"] == "" {
			continue
		}
		lines = append(lines, fmt.Sprintf("name=%s user=%s", f["name"], f["user"]))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// aclScenarios need several connections. Every run has fresh servers: users, the ACL
// log, requirepass and functions start from the defaults.
var aclScenarios = []struct {
	name  string
	steps []string
}{
	{"DELUSER disconnects the user's clients", []string{
		"D: CLIENT SETNAME D",
		"D: ACL SETUSER bob on >pw1 ~* &* +@all",
		"D: ACL SETUSER carol on >pw2 ~* &* +@all",
		"A: CLIENT SETNAME A", "A: AUTH bob pw1",
		"B: CLIENT SETNAME B", "B: AUTH bob pw1",
		"C: CLIENT SETNAME C", "C: AUTH carol pw2",
		"E: CLIENT SETNAME E", "E: AUTH bob pw1", "E: SUBSCRIBE news",
		"G: AUTH bob pw1", "G: BLPOP q 0 -> sent",
		"D: INFO clients -> until blocked_clients:1",
		"D: CLIENT LIST -> users",
		"A: CLIENT INFO -> users",
		"D: ACL DELUSER bob nosuch",
		// Gone at once for the commands that follow.
		"D: CLIENT LIST -> users",
		"D: PUBSUB NUMSUB news",
		"D: RPUSH q x",
		"A: closed", "B: closed", "E: closed", "G: closed",
		"D: INFO clients -> until blocked_clients:0",
		"C: ACL WHOAMI",
		"D: ACL WHOAMI",
		"D: CLIENT LIST -> users",
		"D: PUBSUB NUMSUB news",
		// The name is free again; a new bob is another user.
		"D: ACL SETUSER bob on >pw3 +acl|whoami",
		"F: AUTH bob pw1",
		"F: AUTH bob pw3",
		"F: ACL WHOAMI",
	}},
	{"DELUSER of one's own user answers, then closes", []string{
		"D: ACL SETUSER bob on nopass ~* &* +@all",
		"A: AUTH bob x",
		"A: ACL DELUSER bob",
		"A: closed",
		"D: ACL USERS",
	}},
	{"AUTH inside a transaction changes the user of the commands after it", []string{
		"D: ACL SETUSER bob on >pw1 ~k:* +get +exec +acl|whoami",
		"A: SET x 1",
		"A: MULTI",
		"A: GET x",
		"A: AUTH bob pw1",
		"A: GET x",
		"A: ACL WHOAMI",
		"A: EXEC",
		"A: ACL WHOAMI",
		"D: ACL LOG -> log",
	}},
	{"QUIT needs no permission", []string{
		"D: ACL SETUSER bob on nopass -@all",
		"A: AUTH bob x",
		"A: PING",
		"A: QUIT",
		"A: closed",
	}},
	{"RESET returns to the default user", []string{
		"D: ACL SETUSER bob on >pw1 -@all +get",
		"A: AUTH bob pw1",
		"A: RESET",
		"A: ACL WHOAMI",
		"A: AUTH bob pw1",
		"D: CONFIG SET requirepass secret",
		"A: RESET",
		"A: PING",
		"A: AUTH secret",
		"A: ACL WHOAMI",
	}},
	{"DELUSER of several users, default refused", []string{
		"D: ACL SETUSER bob on nopass +@all",
		"D: ACL SETUSER carol on nopass +@all",
		"A: AUTH bob x", "B: AUTH carol x",
		"D: ACL DELUSER bob default carol",
		"A: ACL WHOAMI", "B: ACL WHOAMI",
		"D: ACL DELUSER carol bob",
		"A: closed", "B: closed",
		"D: ACL USERS",
	}},
	{"SETUSER off, resetpass and new rules keep the user's clients", []string{
		"D: ACL SETUSER bob on >pw1 ~* &* +@all",
		"A: AUTH bob pw1",
		"D: ACL SETUSER bob off resetpass -get",
		"A: ACL WHOAMI",
		"A: GET x",
		"A: SET x 1",
		"B: AUTH bob pw1",
		"B: ACL WHOAMI",
		"D: ACL SETUSER bob on nopass",
		"B: AUTH bob anything",
		"D: ACL SETUSER bob reset",
		"A: PING",
		"B: ECHO x",
		// AUTH needs no permission.
		"A: AUTH default x",
		"A: ACL WHOAMI",
		"A: GET x",
	}},
	{"subscribers lose channels and are disconnected", []string{
		"D: ACL SETUSER ps on nopass resetchannels &ch:* &news +@all",
		"A: AUTH ps x", "A: SUBSCRIBE ch:1",
		"B: AUTH ps x", "B: PSUBSCRIBE ch:*",
		"C: AUTH ps x", "C: SUBSCRIBE news",
		"E: AUTH ps x", "E: SSUBSCRIBE news",
		"F: AUTH ps x",
		"D: PUBLISH ch:1 hello",
		"A: read", "B: read",
		// More channels: nobody is disconnected.
		"D: ACL SETUSER ps &more",
		"A: PING", "B: PING", "C: PING", "E: PING",
		"D: PUBSUB NUMPAT",
		// ch:* as a pattern subscription needs the literal &ch:* pattern.
		"D: ACL SETUSER ps resetchannels &ch:1 &news",
		"D: PUBLISH ch:5 gone",
		"B: closed",
		"A: PING", "C: PING", "E: PING", "F: PING",
		"D: PUBSUB NUMPAT",
		"D: ACL SETUSER ps resetchannels &ch:*",
		"D: PUBLISH news gone",
		"D: SPUBLISH news gone",
		"C: closed", "E: closed",
		"A: PING", "F: PING",
		"D: PUBLISH ch:1 again",
		"A: read",
		"D: ACL SETUSER ps allchannels",
		"A: PING",
		"D: PUBSUB NUMSUB ch:1 news",
		// A subscribed client of another user is not affected.
		"D: ACL SETUSER other on nopass resetchannels &x +@all",
		"G: AUTH other x", "G: SUBSCRIBE x",
		"D: ACL SETUSER ps resetchannels",
		"A: closed",
		"G: PING",
		"F: PING",
	}},
	{"a subscriber's own publish and subscribe are checked", []string{
		"D: ACL SETUSER ps on nopass resetchannels &ch:* +@all",
		"A: AUTH ps x",
		"A: SUBSCRIBE ch:1 other",
		"A: SUBSCRIBE ch:1",
		"A: PSUBSCRIBE ch:1*",
		"A: PSUBSCRIBE ch:*",
		"A: PING",
		// Unsubscribing needs no permission.
		"A: UNSUBSCRIBE other",
		"A: PUNSUBSCRIBE x*",
		"D: ACL LOG -> log 2",
	}},
	{"the ACL log", []string{
		"D: CLIENT SETNAME D",
		"D: ACL LOG -> log 0",
		"D: ACL SETUSER bob on >pw1 ~k:* &ch:* +get +multi +exec +eval +fcall +publish",
		"A: CLIENT SETNAME A",
		"A: AUTH bob pw1",
		"A: HSET k:1 f v",
		"A: hset k:1 f v",
		"A: GET x",
		"A: PUBLISH other m",
		"A: AUTH bob wrong",
		"A: auth nosuch pw",
		"A: MULTI", "A: GET y", "A: GET k:1", "A: EXEC",
		`A: EVAL "return redis.call('get', 'z')" 0`,
		`A: EVAL "return redis.pcall('hset', 'k:1', 'f', 'v')" 0`,
		"D: FUNCTION LOAD \"#!lua name=acllib\\nredis.register_function('aclset', function(keys, args) return redis.call('set', keys[1], args[1]) end)\"",
		"A: FCALL aclset 1 k:1 v",
		"D: ACL LOG -> log 9",
		"D: ACL LOG 2 -> log 2",
		"D: ACL LOG 0 -> log 0",
		"D: ACL LOG RESET",
		"D: ACL LOG -> log 0",
		"B: CLIENT SETNAME B",
		"B: HELLO 3 AUTH bob wrong",
		"B: hello 2 auth bob wrong",
		"B: HELLO 2 AUTH bob wrong",
		"D: ACL LOG -> log 2",
		// Rules that change between MULTI and EXEC: the EXEC refuses the command.
		"D: ACL LOG RESET",
		"A: MULTI", "A: GET k:1", "A: PUBLISH ch:1 m",
		"D: ACL SETUSER bob -get resetchannels",
		"A: EXEC",
		"D: ACL LOG -> log 2",
		// The default user's denials and failed AUTH are logged too.
		"D: ACL SETUSER default -flushall",
		"D: FLUSHALL",
		"D: AUTH bob nope",
		"D: ACL LOG 2 -> log 2",
	}},
	{"acllog-max-len bounds the log", []string{
		"D: CONFIG SET acllog-max-len 2",
		"D: ACL SETUSER bob on nopass ~k:* +get",
		"A: AUTH bob x",
		"A: GET a", "A: GET b", "A: GET c",
		"D: ACL LOG -> log 2",
		"D: CONFIG SET acllog-max-len 1",
		"D: ACL LOG -> log",
		"A: GET d",
		"D: ACL LOG -> log 1",
		"D: CONFIG SET acllog-max-len 0",
		"A: GET e",
		"D: ACL LOG -> log 0",
	}},
	{"a blocked command is served after its user changed", []string{
		"D: ACL SETUSER bob on nopass ~q:* +@all",
		"A: AUTH bob x",
		"A: BLPOP q:1 0 -> sent",
		"B: AUTH bob x",
		"B: BLMOVE q:2 q:3 LEFT LEFT 0 -> sent",
		"D: INFO clients -> until blocked_clients:2",
		"D: ACL SETUSER bob -blpop resetkeys ~other",
		"D: RPUSH q:1 a",
		"A: read",
		"D: RPUSH q:2 b",
		"B: read",
		"D: LRANGE q:3 0 -1",
		"A: BLPOP q:1 0",
		"D: ACL LOG -> log 1",
	}},
	{"SORT BY and GET need access to every key", []string{
		"D: RPUSH s:l 2 1 3",
		"D: MSET w_1 10 w_2 20 w_3 5 o_1 a o_2 b o_3 c",
		"D: ACL SETUSER sorter on nopass ~s:* +@all",
		"D: ACL SETUSER reader on nopass %R~* +@all",
		"D: ACL SETUSER sel on nopass ~s:* +@all (~* +sort)",
		"A: AUTH sorter x",
		"A: SORT s:l",
		"A: SORT s:l BY w_*",
		"A: SORT s:l GET o_*",
		"A: SORT s:l GET #",
		"A: SORT s:l BY nosort",
		"A: SORT s:l BY nosort GET o_*",
		"A: SORT_RO s:l BY w_*",
		"A: SORT s:l LIMIT 0 1 BY w_* ALPHA",
		"B: AUTH reader x",
		"B: SORT s:l BY w_* GET o_* GET #",
		"B: SORT_RO s:l BY w_* GET o_*",
		"C: AUTH sel x",
		"C: SORT s:l BY w_* GET o_*",
		"C: SORT_RO s:l BY w_* GET o_*",
		"D: ACL LOG -> log 0",
	}},
	{"CLIENT KILL USER", []string{
		"D: ACL SETUSER bob on nopass ~* &* +@all",
		"D: ACL SETUSER carol on nopass ~* &* +@all",
		"A: AUTH bob x", "B: AUTH bob x", "C: AUTH carol x",
		"D: CLIENT KILL USER nosuch",
		"D: CLIENT KILL USER bob",
		"D: CLIENT LIST -> users",
		"A: closed", "B: closed",
		"C: PING",
		"D: CLIENT KILL USER bob",
		// SKIPME is yes by default.
		"C: CLIENT KILL USER carol",
		"C: PING",
		"C: CLIENT KILL USER carol SKIPME no",
		"C: closed",
		"E: AUTH bob x",
		"D: CLIENT KILL USER bob SKIPME yes ID 999999",
		"E: PING",
		"D: CLIENT KILL USER",
		// A later USER replaces an earlier one.
		"D: CLIENT KILL USER bob USER carol",
		"E: PING",
		"D: CLIENT KILL USER carol USER bob",
		"E: closed",
	}},
	{"CLIENT LIST shows each client's user", []string{
		"D: CLIENT SETNAME D",
		"D: ACL SETUSER bob on >pw1 +@all",
		"A: CLIENT SETNAME A",
		"B: CLIENT SETNAME B",
		"D: CLIENT LIST -> users",
		"A: AUTH bob pw1",
		"D: CLIENT LIST -> users",
		"B: AUTH bob wrong",
		"D: CLIENT LIST -> users",
		"A: AUTH default x",
		"B: AUTH bob pw1",
		"D: CLIENT LIST -> users",
		"B: CLIENT INFO -> users",
		"D: CLIENT LIST TYPE normal -> users",
	}},
	{"requirepass is the default user's password", []string{
		"D: CONFIG SET requirepass secret",
		"D: ACL GETUSER default",
		"D: ACL LIST",
		"D: CONFIG GET requirepass",
		// Connections made before keep their authentication; new ones need AUTH.
		"D: PING",
		"A: PING",
		"A: GET x",
		"A: ACL WHOAMI",
		"A: HELLO 3",
		"A: AUTH wrong",
		"A: AUTH secret",
		"A: ACL WHOAMI",
		"B: AUTH default wrong",
		"B: AUTH default secret",
		"C: HELLO 3 AUTH default wrong",
		"C: HELLO 3 AUTH default secret -> type",
		"C: ACL WHOAMI",
		// ACL SETUSER on default leaves CONFIG GET requirepass as it was.
		"D: ACL SETUSER default >other",
		"D: CONFIG GET requirepass",
		"E: AUTH other",
		"E: AUTH secret",
		"D: CONFIG SET requirepass another",
		"D: ACL GETUSER default",
		"F: AUTH secret",
		"F: AUTH other",
		"F: AUTH another",
		"D: CONFIG SET requirepass \"\"",
		"D: ACL GETUSER default",
		"D: CONFIG GET requirepass",
		"G: PING",
		"G: ACL WHOAMI",
	}},
	{"a default user that is off or has no password", []string{
		"D: ACL SETUSER bob on >pw1 +@all",
		"D: ACL SETUSER default resetpass",
		"A: PING",
		"A: AUTH default x",
		"A: AUTH x",
		"A: AUTH bob pw1",
		"A: ACL WHOAMI",
		"D: PING",
		"D: ACL SETUSER default off nopass",
		"B: PING",
		"B: AUTH default x",
		"B: HELLO 3 AUTH bob pw1 -> type",
		"B: ACL WHOAMI",
		"D: ACL WHOAMI",
		"D: ACL SETUSER default on",
		"C: PING",
	}},
	{"HELLO AUTH as another user", []string{
		"D: ACL SETUSER bob on >pw1 ~* &* +@all",
		"D: ACL SETUSER carol on >pw2 +acl|whoami",
		"A: HELLO 3 AUTH bob pw1 -> type",
		"A: ACL WHOAMI",
		"A: HELLO 2 AUTH bob wrong",
		"A: ACL WHOAMI",
		"A: HELLO 3 AUTH carol pw2 SETNAME withhello -> type",
		"A: ACL WHOAMI",
		"A: CLIENT GETNAME",
		"A: HELLO 2 AUTH bob pw1 -> type",
		"A: CLIENT GETNAME",
		"A: HELLO 3 AUTH bob",
		"A: HELLO 3 AUTH nosuch pw1",
		"A: ACL WHOAMI",
		"A: HELLO 4 AUTH bob pw1",
		"A: ACL WHOAMI",
	}},
	{"scripts and functions run with the caller's user", []string{
		"D: SET k:1 v1",
		"D: SET r:1 r1",
		"D: ACL SETUSER carol on >pw1 ~k:* %R~r:* +get +eval +evalsha +eval_ro +fcall +fcall_ro",
		"D: SCRIPT LOAD \"return redis.call('set', KEYS[1], ARGV[1])\"",
		"D: FUNCTION LOAD \"#!lua name=acllib2\\nredis.register_function('getter', function(keys) return redis.call('get', keys[1]) end)\\nredis.register_function{function_name='ro_getter', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}\"",
		"A: AUTH carol pw1",
		"A: EVALSHA 55b22c0d0cedf3866879ce7c854970626dcef0c3 1 k:1 v",
		"A: FCALL getter 1 k:1",
		"A: FCALL getter 1 r:1",
		"A: FCALL_RO ro_getter 1 r:1",
		"A: FCALL getter 1 x",
		`A: EVAL "return redis.call('get', 'r:1')" 0`,
		`A: EVAL "return redis.call('get', KEYS[1])" 1 r:1`,
		`A: EVAL_RO "return redis.call('get', KEYS[1])" 1 r:1`,
		`A: EVAL "return redis.call('get', 'x')" 0`,
		`A: EVAL "return redis.acl_check_cmd('get', 'r:1')" 0`,
		`A: EVAL "return redis.acl_check_cmd('set', 'k:1', 'v')" 0`,
		"D: ACL LOG -> log",
		// The rules in force when the script runs are those of its caller now.
		"D: ACL SETUSER carol +set",
		"A: EVALSHA 55b22c0d0cedf3866879ce7c854970626dcef0c3 1 k:1 v",
		"D: GET k:1",
	}},
	{"a reader with %R~ cannot write", []string{
		"D: SET r:1 v",
		"D: RPUSH r:l a b",
		"D: ACL SETUSER reader on nopass %R~r:* %W~w:* +@all",
		"A: AUTH reader x",
		"A: GET r:1",
		"A: LRANGE r:l 0 -1",
		"A: SET r:1 w",
		"A: LPOP r:l",
		"A: SORT r:l ALPHA",
		"A: SORT r:l ALPHA STORE w:sorted",
		"A: SORT r:l ALPHA STORE r:sorted",
		"A: LMOVE r:l w:l LEFT LEFT",
		"A: COPY r:1 w:1",
		"A: GET w:1",
		"D: GET w:1",
		"A: SET w:2 x",
		"A: APPEND w:2 y",
		"A: GETDEL w:2",
		"A: DEL w:2",
		"D: ACL LOG -> log",
		// Another client's writes are visible to the reader.
		"D: SET r:1 changed",
		"A: GET r:1",
	}},
}

// TestACLScenarios plays every scenario on fresh servers, Basalt with 1 and 4 shards,
// in RESP2 and RESP3.
func TestACLScenarios(t *testing.T) {
	parsed := make([][]aclStep, len(aclScenarios))
	for i, sc := range aclScenarios {
		parsed[i] = parseACLSteps(t, sc.steps)
	}
	for _, threads := range []int{1, 4} {
		for _, resp := range []int{2, 3} {
			for i, sc := range aclScenarios {
				t.Run(fmt.Sprintf("threads=%d/resp%d/%s", threads, resp, sc.name), func(t *testing.T) {
					t.Parallel()
					sides := startACLPair(t, aclServerSpec{threads: threads})
					run := newACLRun(t, sides, resp)
					run.play(parsed[i])
				})
			}
		}
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// rewrittenUserLines returns the user lines of a config file.
func rewrittenUserLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "user ") {
			users = append(users, line)
		}
	}
	return users
}

// TestACLConfigUsers starts both servers with users declared by user directives in a
// config file, then checks them, ACL LOAD and SAVE without an ACL file and the user
// lines CONFIG REWRITE writes.
func TestACLConfigUsers(t *testing.T) {
	conf := "# users\n" +
		"user alice on >pw1 ~k:* &ch:* +@all -flushall\n" +
		"user bob off >pw2 ~* +@read\n" +
		"user default on nopass ~* &* +@all\n" +
		"user erin\n" +
		"user carol on #" + sha256Hex("pw3") + " nopass resetpass >pw3 (~s:* +set) %R~r:*\n"
	for _, threads := range []int{1, 4} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			sides := startACLPair(t, aclServerSpec{threads: threads, conf: conf})
			run := newACLRun(t, sides, 2)
			run.play(parseACLSteps(t, []string{
				"A: ACL LIST",
				"A: ACL USERS",
				"A: ACL GETUSER default",
				"A: ACL GETUSER carol",
				"B: AUTH alice pw1",
				"B: GET k:1",
				"B: GET x",
				"B: FLUSHALL",
				"C: AUTH bob pw2",
				"C: AUTH carol pw3",
				"C: SET s:1 v",
				"C: GET r:1",
				"A: ACL LOAD",
				"A: ACL SAVE",
				"A: ACL SETUSER dave on >pw4 ~d:* +@hash",
				"A: ACL DELUSER bob",
				"A: CONFIG REWRITE",
			}))
			want, got := rewrittenUserLines(t, sides[0].conf), rewrittenUserLines(t, sides[1].conf)
			if len(want) != 5 {
				t.Errorf("redis-server rewrote %d user lines, want 5: fix the test:\n%s", len(want), strings.Join(want, "\n"))
			}
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Errorf("the user lines of the rewritten config file differ\nredis:\n\t%s\nbasalt:\n\t%s",
					strings.Join(want, "\n\t"), strings.Join(got, "\n\t"))
			}
		})
	}
}

// TestACLFile starts both servers with an ACL file, then compares what ACL SAVE writes
// and what ACL LOAD does with good, bad and missing files.
func TestACLFile(t *testing.T) {
	initial := "user alice on #" + sha256Hex("pw1") + " ~k:* resetchannels &ch:* -@all +@read +set\n" +
		"user default on nopass ~* &* +@all\n"
	for _, threads := range []int{1, 4} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			sides := startACLPair(t, aclServerSpec{threads: threads,
				conf:  "aclfile {dir}/users.acl\n",
				files: map[string]string{"users.acl": initial}})
			run := newACLRun(t, sides, 2)
			files := func(content string) {
				t.Helper()
				for _, s := range sides {
					writeACLFiles(t, s.dir, map[string]string{"users.acl": content})
				}
			}
			compareFiles := func(what string) {
				t.Helper()
				var texts [2]string
				for i, s := range sides {
					data, err := os.ReadFile(filepath.Join(s.dir, "users.acl"))
					if err != nil {
						t.Fatalf("%s: %s: %v", what, s.name, err)
					}
					texts[i] = string(data)
				}
				if texts[0] != texts[1] {
					t.Errorf("%s: the ACL files differ\nredis:\n%s\nbasalt:\n%s", what, texts[0], texts[1])
				}
			}
			run.play(parseACLSteps(t, []string{
				"A: CONFIG GET aclfile",
				"A: ACL LIST",
				"B: AUTH alice pw1",
				"B: GET k:1",
				"B: SET k:1 v",
				"B: DEL k:1",
				"B: GET x",
				"A: ACL SETUSER carol on >pw3 ~c:* +@hash (~s:* +set)",
				"A: ACL SETUSER alice -set",
				"A: ACL SETUSER default -flushall",
				"A: ACL SAVE",
			}))
			compareFiles("after ACL SAVE")
			// The saved file is what ACL LIST shows, a user a line.
			data, _ := os.ReadFile(filepath.Join(sides[0].dir, "users.acl"))
			if !strings.Contains(string(data), "user carol on #"+sha256Hex("pw3")) {
				t.Errorf("redis-server's saved ACL file has no carol: fix the test:\n%s", data)
			}

			files("user default on nopass ~* &* +@all -flushall\nuser dave on nopass ~d:* &* +@all\n\n")
			run.play(parseACLSteps(t, []string{
				"C: AUTH alice pw1",
				"A: ACL LOAD",
				// Every client of a user other than default is disconnected, even one
				// whose user the file keeps as it was.
				"B: closed", "C: closed",
				"A: ACL LIST",
				"A: FLUSHALL",
				"A: ACL WHOAMI",
				"D: AUTH dave x",
				"D: SET d:1 v",
				"D: GET k:1",
			}))

			// A file with errors changes nothing and disconnects nobody.
			files("user default on nopass ~* &* +@all\nuser dave on bogus +nosuch\ngarbage line\n")
			run.play(parseACLSteps(t, []string{
				"A: ACL LOAD",
				"A: ACL LIST",
				"D: ACL WHOAMI",
			}))
			files("user default on nopass ~* &* +@all\nuser erin on +nosuch1 +nosuch2\nuser frank on >x bogus\n")
			run.play(parseACLSteps(t, []string{"A: ACL LOAD"}))
			files("user default on nopass ~* &* +@all\nuser dup on\nuser dup off\n")
			run.play(parseACLSteps(t, []string{"A: ACL LOAD"}))
			files("# a comment\nuser default on nopass ~* &* +@all\n")
			run.play(parseACLSteps(t, []string{"A: ACL LOAD"}))
			files("user\n")
			run.play(parseACLSteps(t, []string{"A: ACL LOAD"}))
			files("user \"quoted name\" on\n")
			run.play(parseACLSteps(t, []string{"A: ACL LOAD"}))
			// A file without a default user gives default its initial rules again.
			files("user gina on nopass +@all\n")
			run.play(parseACLSteps(t, []string{
				"A: ACL LOAD",
				"D: closed",
				"A: ACL LIST",
			}))
			for _, s := range sides {
				if err := os.Remove(filepath.Join(s.dir, "users.acl")); err != nil {
					t.Fatal(err)
				}
			}
			run.play(parseACLSteps(t, []string{
				"A: ACL LOAD",
				"A: ACL LIST",
				"A: ACL SAVE",
			}))
			compareFiles("after ACL SAVE to a missing file")
		})
	}
}

// TestACLStartupErrors checks that both servers refuse to start with an ACL file that
// is missing or has errors, with users both in the config file and in an ACL file, or
// with a bad user directive.
func TestACLStartupErrors(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed: %v", err)
	}
	cases := []struct {
		name  string
		conf  string
		files map[string]string
	}{
		{"missing ACL file", "aclfile {dir}/missing.acl\n", nil},
		{"ACL file with errors", "aclfile {dir}/users.acl\n", map[string]string{"users.acl": "user bob on bogus\n"}},
		{"ACL file and user directives", "aclfile {dir}/users.acl\nuser alice on nopass +@all\n",
			map[string]string{"users.acl": "user bob on nopass +@all\n"}},
		{"bad user directive", "user bob on bogus\n", nil},
		{"unknown command in a user directive", "user bob on +nosuch\n", nil},
		{"user directive without rules", "user\n", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// redis-server must exit with an error.
			dir := t.TempDir()
			writeACLFiles(t, dir, tc.files)
			writeACLFiles(t, dir, map[string]string{"server.conf": tc.conf})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, bin, filepath.Join(dir, "server.conf"),
				"--port", strconv.Itoa(freePort(t)), "--bind", "127.0.0.1", "--save", "",
				"--dir", dir, "--daemonize", "no", "--logfile", "").CombinedOutput()
			if err == nil || ctx.Err() != nil {
				t.Fatalf("redis-server did not refuse to start (%v): fix the case\n%s", err, out)
			}
			if *aclAgainstRedis {
				return
			}
			dir = t.TempDir()
			writeACLFiles(t, dir, tc.files)
			writeACLFiles(t, dir, map[string]string{"server.conf": tc.conf})
			cfg := coord.DefaultConfig()
			cfg.Port = freePort(t)
			cfg.Bind = []string{"127.0.0.1"}
			cfg.Dir = dir
			cfg.MetricsPort = 0
			cfg.LogLevel = "warning"
			err = coord.ParseConfigFile(cfg, filepath.Join(dir, "server.conf"))
			if err == nil {
				var srv *coord.Server
				srv, err = coord.Start(cfg)
				if err == nil {
					srv.Stop()
					t.Fatalf("basalt started; redis-server refuses to, saying:\n%s", out)
				}
			}
			for _, line := range strings.Split(string(out), "\n") {
				if strings.Contains(line, "rror") || strings.HasPrefix(line, ">>>") {
					t.Logf("redis-server: %s", line)
				}
			}
			t.Logf("basalt: %v", err)
		})
	}
}

// TestACLGenpass checks ACL GENPASS: hexadecimal digits, as many as redis-server gives
// for the number of bits (rounded up to 4), and different every time.
func TestACLGenpass(t *testing.T) {
	sides := startACLPair(t, aclServerSpec{threads: 1})
	var conns [2]*bufio.ReadWriter
	for i, s := range sides {
		c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		conns[i] = bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c))
	}
	genpass := func(i int, args ...string) string {
		t.Helper()
		if _, err := conns[i].Write(encodeCommand(append([]string{"ACL", "GENPASS"}, args...))); err != nil {
			t.Fatal(err)
		}
		if err := conns[i].Flush(); err != nil {
			t.Fatal(err)
		}
		reply, err := readReply(conns[i].Reader)
		if err != nil || len(reply) == 0 || reply[0] != '$' {
			t.Fatalf("%s: ACL GENPASS %s answered %q, %v", sides[i].name, strings.Join(args, " "), reply, err)
		}
		return scalarText(reply)
	}
	isHex := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if !strings.ContainsRune("0123456789abcdef", rune(s[i])) {
				return false
			}
		}
		return s != ""
	}
	cases := []struct {
		bits string
		want int
	}{{"", 64}, {"32", 8}, {"1", 1}, {"3", 1}, {"4", 1}, {"5", 2}, {"7", 2}, {"8", 2}, {"9", 3},
		{"63", 16}, {"64", 16}, {"65", 17}, {"255", 64}, {"256", 64}, {"257", 65}, {"4095", 1024}, {"4096", 1024}}
	for _, tc := range cases {
		var args []string
		if tc.bits != "" {
			args = []string{tc.bits}
		}
		for i := range sides {
			p := genpass(i, args...)
			if len(p) != tc.want || !isHex(p) {
				t.Errorf("%s: ACL GENPASS %s = %q (%d characters), want %d lowercase hexadecimal digits",
					sides[i].name, tc.bits, p, len(p), tc.want)
			}
		}
	}
	for i := range sides {
		seen := map[string]bool{}
		for range 20 {
			p := genpass(i)
			if seen[p] {
				t.Errorf("%s: ACL GENPASS gave %q twice in 20 calls", sides[i].name, p)
			}
			seen[p] = true
		}
		// Every hexadecimal digit shows up somewhere in 20 passwords of 64 digits.
		all := strings.Join(sortedKeys(seen), "")
		for _, d := range "0123456789abcdef" {
			if !strings.ContainsRune(all, d) {
				t.Errorf("%s: the digit %c is in none of 20 passwords", sides[i].name, d)
			}
		}
		// Short passwords are random too: 8 of 32 bits rarely repeat in 10 calls.
		short := map[string]bool{}
		for range 10 {
			short[genpass(i, "32")] = true
		}
		if len(short) < 9 {
			t.Errorf("%s: 10 calls of ACL GENPASS 32 gave %d different passwords", sides[i].name, len(short))
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestACLStepParse checks the scenario step parser and the views of ACL LOG and CLIENT
// LIST replies.
func TestACLStepParse(t *testing.T) {
	f := func(text, kind string, args ...string) {
		t.Helper()
		st, err := parseACLStep(text)
		if err != nil {
			t.Fatalf("parseACLStep(%q): %v", text, err)
		}
		if st.kind != kind || fmt.Sprintf("%q", st.args) != fmt.Sprintf("%q", args) {
			t.Fatalf("parseACLStep(%q) = kind %q args %q, want %q %q", text, st.kind, st.args, kind, args)
		}
	}
	f("A: ACL WHOAMI", "", "ACL", "WHOAMI")
	f(`B: EVAL "return 'a -> b'" 0`, "", "EVAL", "return 'a -> b'", "0")
	f("C: HELLO 3 AUTH u p -> type", "type", "HELLO", "3", "AUTH", "u", "p")
	f("D: ACL LOG -> log 3", "log", "ACL", "LOG")
	f("E: CLIENT LIST -> users", "users", "CLIENT", "LIST")
	f("F: BLPOP q 0 -> sent", "sent", "BLPOP", "q", "0")
	f("G: INFO clients -> until blocked_clients:1", "until", "INFO", "clients")
	f("H: read", "read")
	f("I: closed", "closed")
	if st, _ := parseACLStep("D: ACL LOG -> log 3"); st.entries != 3 {
		t.Errorf("log 3: entries %d", st.entries)
	}
	for _, bad := range []string{"ACL WHOAMI", "a: PING", "A:PING", "A: PING -> nothing", "A: PING -> log x",
		"A: PING -> type x", "A: PING -> until", "A: PING ->  ", `A: ECHO "x`} {
		if _, err := parseACLStep(bad); err == nil {
			t.Errorf("parseACLStep(%q) succeeded, want an error", bad)
		}
	}

	// An entry as redis-server 7.0 sends it; the count is an integer, the rest bulks.
	entry := func(resp3 bool, extra string) string {
		fields := []string{"count", "2", "reason", "key", "context", "toplevel", "object", "x",
			"username", "bob", "age-seconds", "0.123", "client-info", "id=7 addr=a name=A user=bob cmd=get"}
		var b strings.Builder
		n := len(fields) / 2
		if extra != "" {
			n += 3
		}
		if resp3 {
			fmt.Fprintf(&b, "%%%d\r\n", n)
		} else {
			fmt.Fprintf(&b, "*%d\r\n", 2*n)
		}
		for i, f := range fields {
			if i == 1 {
				fmt.Fprintf(&b, ":%s\r\n", f)
			} else {
				fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(f), f)
			}
		}
		b.WriteString(extra)
		return b.String()
	}
	v7 := "*1\r\n" + entry(false, "")
	v72 := "*1\r\n" + entry(true, "$8\r\nentry-id\r\n:0\r\n$17\r\ntimestamp-created\r\n:1\r\n$22\r\ntimestamp-last-updated\r\n:1\r\n")
	want := "1 entries\nfields count,reason,context,object,username,age-seconds,client-info:" +
		` count="2" reason="key" context="toplevel" object="x" username="bob" client-info name="A" user="bob" cmd="get"`
	for _, raw := range []string{v7, v72} {
		if got := aclLogView([]byte(raw)); got != want {
			t.Errorf("aclLogView(%q) =\n%s\nwant\n%s", raw, got, want)
		}
	}
	if got := aclLogView([]byte("-ERR x\r\n")); !strings.HasPrefix(got, "not an array") {
		t.Errorf("aclLogView of an error = %q", got)
	}
	list := "id=3 addr=a name=B user=default\nid=4 addr=b name= user=bob\nid=5 addr=c name=A user=bob\n"
	if got := clientUsersView([]byte(fmt.Sprintf("$%d\r\n%s\r\n", len(list), list))); got != "name=A user=bob\nname=B user=default" {
		t.Errorf("clientUsersView = %q", got)
	}
}

// A replica authenticates to its master as a user (masteruser / masterauth) that may
// run only what replication needs, with Basalt and redis-server as master; a user
// without PSYNC gets no sync, and the master's ACL log names the refused command.
func TestACLReplicationUser(t *testing.T) {
	ctx := context.Background()
	const rules = "on >replpw +psync +replconf +ping"
	masters := map[string]func(t *testing.T, rules string) string{
		"basalt-master": func(t *testing.T, rules string) string {
			_, addr := startBasaltWith(t, func(cfg *coord.Config) {
				cfg.Users = [][]string{append([]string{"repl"}, strings.Fields(rules)...)}
			})
			return addr
		},
		"redis-master": func(t *testing.T, rules string) string {
			return startRedisIn(t, t.TempDir(), redisReplArgs(append([]string{"--user", "repl"}, strings.Fields(rules)...)...)...)
		},
	}
	for name, start := range masters {
		t.Run(name, func(t *testing.T) {
			masterAddr := start(t, rules)
			master := replClient(t, masterAddr)
			if err := master.Set(ctx, "k", "v1", 0).Err(); err != nil {
				t.Fatal(err)
			}
			replica := replClient(t, startBasalt(t, 2))
			for _, kv := range [][2]string{{"masteruser", "repl"}, {"masterauth", "replpw"}} {
				if err := replica.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
					t.Fatalf("CONFIG SET %s: %v", kv[0], err)
				}
			}
			attachReplica(t, replica, masterAddr)
			if err := master.Set(ctx, "k", "v2", 0).Err(); err != nil {
				t.Fatal(err)
			}
			waitAck(t, master, replica)
			deadline := time.Now().Add(5 * time.Second)
			for {
				v, err := replica.Get(ctx, "k").Result()
				if err == nil && v == "v2" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("GET k on the replica = %q, %v; want v2", v, err)
				}
				time.Sleep(20 * time.Millisecond)
			}

			// The same user without PSYNC: the link never comes up, and the master
			// logs the refusal.
			if err := master.Do(ctx, "acl", "setuser", "repl", "-psync").Err(); err != nil {
				t.Fatal(err)
			}
			if err := master.Do(ctx, "acl", "log", "reset").Err(); err != nil {
				t.Fatal(err)
			}
			if err := master.Do(ctx, "client", "kill", "type", "replica").Err(); err != nil {
				t.Fatal(err)
			}
			deadline = time.Now().Add(10 * time.Second)
			for {
				entries, err := master.Do(ctx, "acl", "log").Slice()
				if err == nil && len(entries) > 0 {
					got := fmt.Sprint(entries[0])
					if !strings.Contains(got, "psync") || !strings.Contains(got, "repl") {
						t.Fatalf("ACL LOG on the master: %s; want the refused psync of user repl", got)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no ACL LOG entry on the master after its replica lost PSYNC (%v)", err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if info := infoText(replica, "replication"); linkUp(info) {
				t.Fatalf("the replica's link is up although its user may not PSYNC:\n%s", info)
			}
		})
	}
}

// CONFIG SET acllog-max-len while other connections are refused and logged: under
// -race this catches the log reading the limit from the configuration unlocked; the
// log then holds no more entries than the last limit.
func TestACLLogLimitChangesUnderLoad(t *testing.T) {
	addr := startBasalt(t, 2)
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer admin.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
		defer c.Close()
		for i := range 300 {
			// Distinct users make distinct entries.
			_ = c.Do(ctx, "auth", "nobody"+strconv.Itoa(i), "pw").Err()
		}
	}()
	for i := range 100 {
		if err := admin.ConfigSet(ctx, "acllog-max-len", strconv.Itoa(5+i%7)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if err := admin.ConfigSet(ctx, "acllog-max-len", "4").Err(); err != nil {
		t.Fatal(err)
	}
	_ = admin.Do(ctx, "auth", "last", "pw").Err() // a new entry trims the log, as in Redis
	n, err := admin.Do(ctx, "acl", "log", "100").Slice()
	if err != nil || len(n) != 4 {
		t.Fatalf("ACL LOG after acllog-max-len 4 holds %d entries (%v)", len(n), err)
	}
}
