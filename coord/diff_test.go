package coord_test

// Differential tests: the same requests go to Basalt and to a real redis-server (the
// oracle) and the replies must be equal byte for byte, in RESP2 and RESP3, with one
// shard and with several.
//
// The corpus lives in testdata/diff/*.txt. Its format:
//
//	# a comment; blank lines are ignored
//	SET key "a value with \x00 escapes"   one command, split like redis-cli splits
//	@sort          the next command's reply is an array, set or map compared after sorting
//	@sort-pairs    the next command's reply is a flat array of pairs compared after
//	               sorting the pairs (CONFIG GET with several names in RESP2)
//	@skip-resp3    the next command is not sent when the connection speaks RESP3
//	@skip-resp2    the next command is not sent when the connection speaks RESP2
//	@ignore        the next command is sent to both servers but its reply not compared
//	@flushall      reset both servers (FLUSHALL)
//	@sleep 50      wait 50 milliseconds (both servers see the same delay)
//
// Every file starts with an implicit FLUSHALL on a fresh connection (database 0), so
// files do not depend on one another. Each file runs against Basalt with 1 and with 4
// shards, in RESP2 and RESP3 (after HELLO 3, whose reply is not compared), one command
// at a time and pipelined. One file in one mode:
//
//	go test ./coord/ -run 'DiffCorpus/threads=4/resp3$/^strings$' -v -diff.show
//
// Replies that legitimately depend on the version of the oracle (redis-server 7.0 here,
// Redis 7.2 in the design) or on the wall clock stay out of the corpus.

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// showDiff logs every command with Redis's reply, to help writing the corpus:
// go test ./coord/ -run DiffCorpus -v -diff.show
var showDiff = flag.Bool("diff.show", false, "log every corpus command and redis-server's reply")

// minCorpusCommands keeps an empty or truncated corpus from passing.
const minCorpusCommands = 400

// maxMismatchesPerRun bounds the report of one file in one mode; a desynchronised
// connection would otherwise repeat the same failure for every later line.
const maxMismatchesPerRun = 40

// replyTimeout is how long a server may take to answer one command.
const replyTimeout = 5 * time.Second

// diffCmd is one command of the corpus, with the directives that precede it.
type diffCmd struct {
	file string
	line int
	args []string

	sorted    bool // compare the array/set/map reply after sorting its elements
	sortPairs bool // compare the array reply after sorting its (key, value) pairs
	skipResp3 bool
	skipResp2 bool
	ignore    bool // send but do not compare the reply

	// Pseudo-commands (directives that act by themselves); args is nil for them.
	flushall bool
	sleep    time.Duration
}

func (c diffCmd) String() string {
	var b strings.Builder
	for i, a := range c.args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quoteArg(a))
	}
	return b.String()
}

// quoteArg renders one argument the way the corpus would write it.
func quoteArg(a string) string {
	plain := a != ""
	for i := 0; i < len(a); i++ {
		c := a[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		return a
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(a); i++ {
		c := a[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c >= 0x7f:
			fmt.Fprintf(&b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// splitArgs splits a corpus line into arguments as redis-cli does: whitespace separates
// arguments; "double quotes" allow \x41-style hex escapes and \n \r \t \b \a and any
// other escaped character literally; 'single quotes' allow only \'. A closing quote
// must be followed by whitespace or the end of the line.
func splitArgs(line string) ([]string, error) {
	var args []string
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, nil
		}
		var cur []byte
		inDouble, inSingle, done := false, false, false
		for !done {
			if inDouble {
				if i >= len(line) {
					return nil, errors.New("unbalanced double quotes")
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					v, _ := strconv.ParseUint(line[i+2:i+4], 16, 8)
					cur = append(cur, byte(v))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					switch line[i] {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, line[i])
					}
				case c == '"':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, errors.New("closing quote must be followed by a space")
					}
					done = true
				default:
					cur = append(cur, c)
				}
			} else if inSingle {
				if i >= len(line) {
					return nil, errors.New("unbalanced single quotes")
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case c == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, errors.New("closing quote must be followed by a space")
					}
					done = true
				default:
					cur = append(cur, c)
				}
			} else {
				if i >= len(line) {
					break
				}
				switch c := line[i]; {
				case isSpace(c):
					done = true
				case c == '"':
					inDouble = true
				case c == '\'':
					inSingle = true
				default:
					cur = append(cur, c)
				}
			}
			if i < len(line) {
				i++
			}
		}
		args = append(args, string(cur))
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// parseCorpusFile reads one corpus file.
func parseCorpusFile(path string) ([]diffCmd, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(path)
	var cmds []diffCmd
	var pending diffCmd
	havePending := false
	for i, raw := range strings.Split(string(data), "\n") {
		lineNo := i + 1
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "@") {
			fields := strings.Fields(line)
			switch fields[0] {
			case "@sort":
				pending.sorted = true
			case "@sort-pairs":
				pending.sortPairs = true
			case "@skip-resp3":
				pending.skipResp3 = true
			case "@skip-resp2":
				pending.skipResp2 = true
			case "@ignore":
				pending.ignore = true
			case "@flushall":
				cmds = append(cmds, diffCmd{file: name, line: lineNo, flushall: true})
				continue
			case "@sleep":
				if len(fields) != 2 {
					return nil, fmt.Errorf("%s:%d: @sleep needs milliseconds", name, lineNo)
				}
				ms, err := strconv.Atoi(fields[1])
				if err != nil || ms < 0 {
					return nil, fmt.Errorf("%s:%d: bad @sleep %q", name, lineNo, fields[1])
				}
				cmds = append(cmds, diffCmd{file: name, line: lineNo, sleep: time.Duration(ms) * time.Millisecond})
				continue
			default:
				return nil, fmt.Errorf("%s:%d: unknown directive %s", name, lineNo, fields[0])
			}
			if len(fields) != 1 {
				return nil, fmt.Errorf("%s:%d: directive %s takes no argument", name, lineNo, fields[0])
			}
			havePending = true
			continue
		}
		args, err := splitArgs(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, lineNo, err)
		}
		if len(args) == 0 {
			return nil, fmt.Errorf("%s:%d: no arguments", name, lineNo)
		}
		c := pending
		c.file, c.line, c.args = name, lineNo, args
		cmds = append(cmds, c)
		pending, havePending = diffCmd{}, false
	}
	if havePending {
		return nil, fmt.Errorf("%s: directive at the end of the file applies to no command", name)
	}
	return cmds, nil
}

// loadCorpus reads every testdata/diff/*.txt file and returns them by file name, with
// the number of command lines.
func loadCorpus(t *testing.T) (files []string, corpus map[string][]diffCmd, commands int) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "diff", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	corpus = make(map[string][]diffCmd)
	for _, p := range paths {
		cmds, err := parseCorpusFile(p)
		if err != nil {
			t.Fatalf("bad corpus: %v", err)
		}
		n := 0
		for _, c := range cmds {
			if c.args != nil {
				n++
			}
		}
		if n == 0 {
			t.Fatalf("corpus file %s has no commands", p)
		}
		commands += n
		files = append(files, filepath.Base(p))
		corpus[filepath.Base(p)] = cmds
	}
	sort.Strings(files)
	return files, corpus, commands
}

// diffConn is a raw client connection to one server.
type diffConn struct {
	name string
	c    net.Conn
	r    *bufio.Reader
}

func dialDiff(t *testing.T, name, addr string) *diffConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("cannot connect to %s at %s: %v", name, addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &diffConn{name: name, c: c, r: bufio.NewReader(c)}
}

// pipeline writes all commands at once and then reads exactly one reply for each. On
// an error it returns the replies read so far.
func (d *diffConn) pipeline(cmds [][]string) ([][]byte, error) {
	_ = d.c.SetDeadline(time.Now().Add(replyTimeout + time.Duration(len(cmds))*10*time.Millisecond))
	var req []byte
	for _, args := range cmds {
		req = append(req, encodeCommand(args)...)
	}
	// Write while reading: a server may answer before it has read the whole batch.
	written := make(chan error, 1)
	go func() {
		_, err := d.c.Write(req)
		written <- err
	}()
	var replies [][]byte
	var err error
	for range cmds {
		var reply []byte
		reply, err = readReply(d.r)
		if err != nil {
			err = fmt.Errorf("%s: reading reply %d of %d: %w (read so far %q)", d.name, len(replies)+1, len(cmds), err, reply)
			break
		}
		replies = append(replies, reply)
	}
	if werr := <-written; werr != nil && err == nil {
		err = fmt.Errorf("%s: write: %w", d.name, werr)
	}
	return replies, err
}

// do sends one command and reads exactly one reply.
func (d *diffConn) do(args []string) ([]byte, error) {
	_ = d.c.SetDeadline(time.Now().Add(replyTimeout))
	if _, err := d.c.Write(encodeCommand(args)); err != nil {
		return nil, fmt.Errorf("%s: write: %w", d.name, err)
	}
	reply, err := readReply(d.r)
	if err != nil {
		return reply, fmt.Errorf("%s: reading the reply: %w (read so far %q)", d.name, err, reply)
	}
	return reply, nil
}

// sortedReply returns an array or set reply with its elements in byte order, and a map
// with its entries in the order of their keys; any other reply unchanged. With pairs,
// an array is taken as a flat list of key-value pairs (RESP2 maps, e.g. CONFIG GET)
// and its pairs are sorted as units.
func sortedReply(raw []byte, pairs bool) []byte {
	header, elems, ok := splitReply(raw)
	if !ok {
		return raw
	}
	step := 1
	if pairs || header[0] == '%' {
		step = 2
	}
	if len(elems)%step != 0 {
		return raw
	}
	var units [][]byte
	for i := 0; i < len(elems); i += step {
		units = append(units, bytes.Join(elems[i:i+step], nil))
	}
	sort.Slice(units, func(i, j int) bool { return bytes.Compare(units[i], units[j]) < 0 })
	out := append([]byte(nil), header...)
	for _, u := range units {
		out = append(out, u...)
	}
	return out
}

// TestDiffCorpus runs every corpus file against Basalt (1 and 4 shards) and redis-server
// in RESP2 and RESP3, one command at a time and pipelined, and compares the replies byte
// for byte.
func TestDiffCorpus(t *testing.T) {
	files, corpus, commands := loadCorpus(t)
	if commands < minCorpusCommands {
		t.Fatalf("the corpus has %d command lines in %d files, want at least %d", commands, len(files), minCorpusCommands)
	}
	t.Logf("corpus: %d command lines in %d files", commands, len(files))

	// DEBUG is allowed on both sides, as the test servers of Redis's own suite allow it.
	redisAddr := startRedisIn(t, t.TempDir(), "--enable-debug-command", "yes")
	sent := 0
	for _, threads := range []int{1, 4} {
		basaltAddr := startBasalt(t, threads)
		for _, mode := range []struct {
			resp      int
			pipelined bool
		}{{2, false}, {3, false}, {2, true}, {3, true}} {
			kind := fmt.Sprintf("resp%d", mode.resp)
			if mode.pipelined {
				kind += "-pipelined"
			}
			for _, file := range files {
				name := fmt.Sprintf("threads=%d/%s/%s", threads, kind, strings.TrimSuffix(file, ".txt"))
				t.Run(name, func(t *testing.T) {
					sent += runDiffFile(t, corpus[file], mode.resp, mode.pipelined, redisAddr, basaltAddr)
				})
			}
		}
	}
	// A -run pattern that selects some files only may select none: no error then.
	if f := flag.Lookup("test.run"); sent == 0 && (f == nil || !strings.Contains(f.Value.String(), "/")) {
		t.Fatal("no command was sent")
	}
}

// runDiffFile plays one corpus file on fresh connections and reports every mismatch. It
// returns the number of commands sent to each server. With pipelined, the commands
// between two directives that act by themselves (@flushall, @sleep) are written in one
// batch before any reply is read, so that replies of commands routed to different
// shards must still come back in request order.
func runDiffFile(t *testing.T, cmds []diffCmd, resp int, pipelined bool, redisAddr, basaltAddr string) int {
	redis := dialDiff(t, "redis", redisAddr)
	basalt := dialDiff(t, "basalt", basaltAddr)
	both := []*diffConn{redis, basalt}
	if resp == 3 {
		// HELLO's reply names the server, version and client id: not compared.
		for _, d := range both {
			reply, err := d.do([]string{"HELLO", "3"})
			if err != nil {
				t.Fatalf("HELLO 3: %v", err)
			}
			if len(reply) == 0 || reply[0] != '%' {
				t.Fatalf("%s answered HELLO 3 with %q, want a map", d.name, reply)
			}
		}
	}
	flush := func(where string) bool {
		for _, d := range both {
			reply, err := d.do([]string{"FLUSHALL"})
			if err != nil || string(reply) != "+OK\r\n" {
				t.Errorf("%s: %s FLUSHALL: %q %v", where, d.name, reply, err)
				return false
			}
		}
		return true
	}
	if !flush("start of file") {
		return 0
	}
	sent, mismatches := 0, 0
	// check compares the replies to one command; false stops the file.
	check := func(c diffCmd, want, got []byte) bool {
		if *showDiff {
			shown := want
			if len(shown) > 300 {
				shown = shown[:300]
			}
			t.Logf("%s:%d: %s -> %q (%d bytes)", c.file, c.line, c, shown, len(want))
		}
		if c.ignore {
			return true
		}
		if c.sorted || c.sortPairs {
			want, got = sortedReply(want, c.sortPairs), sortedReply(got, c.sortPairs)
		}
		if bytes.Equal(want, got) {
			return true
		}
		mismatches++
		t.Errorf("%s:%d: %s\n%s", c.file, c.line, c, describeMismatch(want, got))
		if mismatches >= maxMismatchesPerRun {
			t.Errorf("%s: %d mismatches, the rest of the file is skipped", c.file, mismatches)
			return false
		}
		return true
	}
	var batch []diffCmd
	// play sends the batch (one command unless pipelined) and checks every reply.
	play := func() bool {
		if len(batch) == 0 {
			return true
		}
		args := make([][]string, len(batch))
		for k, c := range batch {
			args[k] = c.args
		}
		want, errR := redis.pipeline(args)
		got, errB := basalt.pipeline(args)
		sent += len(batch)
		for k, c := range batch {
			if k >= len(want) || k >= len(got) {
				var w, g []byte
				if k < len(want) {
					w = want[k]
				}
				if k < len(got) {
					g = got[k]
				}
				t.Errorf("%s:%d: %s\n\tredis:  %q %v\n\tbasalt: %q %v\n\t(connection broken: rest of the file skipped)",
					c.file, c.line, c, w, errR, g, errB)
				return false
			}
			if !check(c, want[k], got[k]) {
				return false
			}
		}
		if errR != nil || errB != nil {
			t.Errorf("%s:%d: after this batch of %d commands: redis: %v, basalt: %v (rest of the file skipped)",
				batch[0].file, batch[0].line, len(args), errR, errB)
			return false
		}
		batch = batch[:0]
		return true
	}
	for _, c := range cmds {
		switch {
		case c.flushall:
			if !play() || !flush(fmt.Sprintf("%s:%d", c.file, c.line)) {
				return sent
			}
			continue
		case c.sleep > 0:
			if !play() {
				return sent
			}
			time.Sleep(c.sleep)
			continue
		case c.skipResp3 && resp == 3, c.skipResp2 && resp == 2:
			continue
		}
		batch = append(batch, c)
		if !pipelined && !play() {
			return sent
		}
	}
	play()
	return sent
}

// describeMismatch shows two different replies: whole when they are short, otherwise
// their lengths and a window around the first byte that differs.
func describeMismatch(want, got []byte) string {
	const short, window = 600, 100
	if len(want) <= short && len(got) <= short {
		return fmt.Sprintf("\tredis:  %q\n\tbasalt: %q", want, got)
	}
	at := 0
	for at < len(want) && at < len(got) && want[at] == got[at] {
		at++
	}
	cut := func(b []byte) []byte {
		from, to := max(at-window, 0), min(at+window, len(b))
		if from > len(b) {
			from = len(b)
		}
		return b[from:to]
	}
	return fmt.Sprintf("\tredis:  %d bytes, basalt: %d bytes, first difference at byte %d\n\tredis:  ...%q...\n\tbasalt: ...%q...",
		len(want), len(got), at, cut(want), cut(got))
}

// readUntilClosed reads everything the server sends until it closes the connection or
// the timeout passes; closed reports whether the server closed it.
func readUntilClosed(c net.Conn, timeout time.Duration) (data []byte, closed bool) {
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		data = append(data, buf[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return data, false
			}
			return data, errors.Is(err, io.EOF) || isConnReset(err)
		}
	}
}

func isConnReset(err error) bool {
	return strings.Contains(err.Error(), "connection reset")
}

// TestDiffProtocolErrors sends malformed requests as raw bytes and checks that Basalt
// answers what redis-server answers and then closes the connection, as it does.
func TestDiffProtocolErrors(t *testing.T) {
	big := strings.Repeat("a", 70000)
	digits := strings.Repeat("1", 70000)
	cases := []struct {
		name  string
		req   string
		chunk int // if > 0, the request is written in pieces of this many bytes
	}{
		{"multibulk length not a number", "*abc\r\n", 0},
		{"multibulk length too big", "*3000000000\r\n", 0},
		{"negative bulk length", "*1\r\n$-5\r\n", 0},
		{"bulk length not a number", "*1\r\n$abc\r\n", 0},
		{"bulk length over proto-max-bulk-len", "*1\r\n$1000000000000\r\n", 0},
		{"bulk without dollar", "*1\r\nfoo\r\n", 0},
		{"second bulk without dollar", "*2\r\n$3\r\nGET\r\n:1\r\n", 0},
		{"unbalanced double quote inline", "\"unbalanced\r\n", 0},
		{"unbalanced single quote inline", "set 'a b\r\n", 0},
		{"closing quote followed by a letter", "ECHO \"a\"b\r\n", 0},
		{"valid command then error", "PING\r\n*x\r\n", 0},
		{"multibulk valid command then error", "*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n", 0},
		{"too big inline request", big, 0},
		{"too big multibulk count", "*" + digits, 0},
		{"too big bulk count", "*1\r\n$" + digits, 0},
		// The server keeps these connections open: the test waits for its timeout.
		{"empty and null multibulk are skipped", "*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n", 0},
		{"dollar line is an inline command", "$4\r\nPING\r\n", 0},
		{"pipeline written byte by byte", "*3\r\n$3\r\nSET\r\n$5\r\nproto\r\n$2\r\nab\r\nGET proto\r\n*2\r\n$3\r\nDEL\r\n$5\r\nproto\r\n", 1},
		{"pipeline written in pieces of 5 bytes", "*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\nPING\r\n*1\r\n$4\r\nPING\r\n", 5},
	}
	redisAddr := startRedis(t)
	for _, threads := range []int{1, 4} {
		basaltAddr := startBasalt(t, threads)
		for _, tc := range cases {
			t.Run(fmt.Sprintf("threads=%d/%s", threads, tc.name), func(t *testing.T) {
				// Both servers at once: a connection that stays open costs a timeout.
				var replies [2][]byte
				var closed [2]bool
				var errs [2]error
				var wg sync.WaitGroup
				for i, addr := range []string{redisAddr, basaltAddr} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						c, err := net.DialTimeout("tcp", addr, 5*time.Second)
						if err != nil {
							errs[i] = err
							return
						}
						defer c.Close()
						if err := writeInPieces(c, []byte(tc.req), tc.chunk); err != nil {
							errs[i] = err
							return
						}
						replies[i], closed[i] = readUntilClosed(c, time.Second)
					}()
				}
				wg.Wait()
				if errs[0] != nil || errs[1] != nil {
					t.Fatalf("redis: %v, basalt: %v", errs[0], errs[1])
				}
				if !bytes.Equal(replies[0], replies[1]) {
					t.Errorf("request %q\n\tredis:  %q\n\tbasalt: %q", abbreviate(tc.req), replies[0], replies[1])
				}
				if closed[0] != closed[1] {
					t.Errorf("request %q: redis closed the connection: %v, basalt: %v", abbreviate(tc.req), closed[0], closed[1])
				}
			})
		}
	}
}

// writeInPieces writes data in pieces of chunk bytes (all at once if chunk <= 0),
// pausing between pieces so that the server reads them separately.
func writeInPieces(c net.Conn, data []byte, chunk int) error {
	if chunk <= 0 {
		chunk = len(data)
	}
	for len(data) > 0 {
		n := min(chunk, len(data))
		if _, err := c.Write(data[:n]); err != nil {
			return err
		}
		data = data[n:]
		if len(data) > 0 {
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

func abbreviate(s string) string {
	if len(s) > 40 {
		return s[:40] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}

// TestDiffInline sends inline (telnet-style) commands, mixed with multibulk ones, and
// compares each reply.
func TestDiffInline(t *testing.T) {
	steps := []string{
		"PING\r\n",
		"PING\n",
		"ping hello\r\n",
		"SET inl:a hello\r\n",
		"GET inl:a\r\n",
		"ECHO \"hello world\"\r\n",
		"ECHO \"\\x41\\x42\\n\"\r\n",
		"SET 'inl:b' 'x y'\r\n",
		"GET inl:b\r\n",
		"SET inl:c \"\"\r\n",
		"STRLEN inl:c\r\n",
		"\r\n\r\nPING\r\n",
		"   \r\nECHO after-blank\r\n",
		"  GET   inl:a  \r\n",
		"get\r\n",
		"NOSUCHCMD a b\r\n",
		"*2\r\n$3\r\nGET\r\n$5\r\ninl:a\r\n",
		"INCR inl:n\r\n",
		"INCRBY inl:n 41\r\n",
		"DEL inl:a inl:b inl:c inl:n\r\n",
	}
	redisAddr := startRedis(t)
	for _, threads := range []int{1, 4} {
		basaltAddr := startBasalt(t, threads)
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			var conns []*diffConn
			for _, sv := range []struct{ name, addr string }{{"redis", redisAddr}, {"basalt", basaltAddr}} {
				d := dialDiff(t, sv.name, sv.addr)
				reply, err := d.do([]string{"FLUSHALL"})
				if err != nil || string(reply) != "+OK\r\n" {
					t.Fatalf("%s FLUSHALL: %q %v", sv.name, reply, err)
				}
				conns = append(conns, d)
			}
			for _, step := range steps {
				var replies [2][]byte
				var errs [2]error
				for i, d := range conns {
					_ = d.c.SetDeadline(time.Now().Add(replyTimeout))
					if _, err := d.c.Write([]byte(step)); err != nil {
						t.Fatalf("%s: %v", d.name, err)
					}
					replies[i], errs[i] = readReply(d.r)
				}
				if errs[0] != nil || errs[1] != nil {
					t.Fatalf("inline %q\n\tredis:  %q %v\n\tbasalt: %q %v", step, replies[0], errs[0], replies[1], errs[1])
				}
				if !bytes.Equal(replies[0], replies[1]) {
					t.Errorf("inline %q\n\tredis:  %q\n\tbasalt: %q", step, replies[0], replies[1])
				}
			}
		})
	}
}

// TestDiffSplitArgs checks the corpus line splitter.
func TestDiffSplitArgs(t *testing.T) {
	f := func(in string, want ...string) {
		t.Helper()
		got, err := splitArgs(in)
		if err != nil {
			t.Fatalf("splitArgs(%q): %v", in, err)
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Fatalf("splitArgs(%q) = %q, want %q", in, got, want)
		}
	}
	f("SET a b", "SET", "a", "b")
	f("  SET   a\tb  ", "SET", "a", "b")
	f(`SET "a b" c`, "SET", "a b", "c")
	f(`SET "" c`, "SET", "", "c")
	f(`ECHO "\x41\x4a\n\"\\"`, "ECHO", "AJ\n\"\\")
	f(`ECHO 'it\'s' x`, "ECHO", "it's", "x")
	f(`ECHO '\x41'`, "ECHO", `\x41`)
	for _, bad := range []string{`ECHO "abc`, `ECHO 'abc`, `ECHO "a"b`, `ECHO 'a'b`} {
		if _, err := splitArgs(bad); err == nil {
			t.Errorf("splitArgs(%q) succeeded, want an error", bad)
		}
	}
}

// TestDiffReadReply checks the RESP reader against every RESP3 type.
func TestDiffReadReply(t *testing.T) {
	replies := []string{
		"+OK\r\n", "-ERR x\r\n", ":-12\r\n", "$3\r\nabc\r\n", "$0\r\n\r\n", "$-1\r\n",
		"*-1\r\n", "*0\r\n", "*2\r\n$1\r\na\r\n*1\r\n:1\r\n", "_\r\n", ",1.5\r\n",
		",inf\r\n", "#t\r\n", "(12345678901234567890\r\n", "!5\r\nERR x\r\n",
		"=8\r\ntxt:abcd\r\n", "%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n_\r\n", "~2\r\n:1\r\n:2\r\n",
		">2\r\n+message\r\n$1\r\nx\r\n", "|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n",
		"$4\r\na\r\nb\r\n",
	}
	var all []byte
	for _, r := range replies {
		all = append(all, r...)
	}
	br := bufio.NewReader(bytes.NewReader(all))
	for _, want := range replies {
		got, err := readReply(br)
		if err != nil || string(got) != want {
			t.Fatalf("readReply = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := readReply(br); err != io.EOF {
		t.Fatalf("after the last reply: %v, want EOF", err)
	}
	sorts := []struct {
		in, want string
		pairs    bool
	}{
		{"*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", false},
		{"~2\r\n:2\r\n:1\r\n", "~2\r\n:1\r\n:2\r\n", false},
		{"%2\r\n+b\r\n:1\r\n+a\r\n:2\r\n", "%2\r\n+a\r\n:2\r\n+b\r\n:1\r\n", false},
		{"*4\r\n+b\r\n:1\r\n+a\r\n:2\r\n", "*4\r\n+a\r\n:2\r\n+b\r\n:1\r\n", true},
		{"$1\r\nx\r\n", "$1\r\nx\r\n", false},
	}
	for _, s := range sorts {
		if got := string(sortedReply([]byte(s.in), s.pairs)); got != s.want {
			t.Errorf("sortedReply(%q, %v) = %q, want %q", s.in, s.pairs, got, s.want)
		}
	}
}
