package coord_test

// Differential tests of COMMAND and its subcommands: the command table's facts, as
// COMMAND INFO, COMMAND DOCS, COMMAND GETKEYS and COMMAND LIST report them, must match
// the installed redis-server (7.0) for every command Basalt implements.
//
// What is compared, and what is not:
//   - COMMAND INFO byte for byte in RESP2 and RESP3, except that the text of a key
//     spec's notes is not compared (ours are in our own words; the field must be there
//     all the same), that subcommands Basalt does not implement are dropped from
//     Redis's entry of a container, and that subcommands are compared sorted by name
//     (redis-server lists them in the order of a randomly seeded hash table).
//   - COMMAND DOCS only for the fields Basalt provides (summary, since, group,
//     subcommands): since and group by value, summary by presence, and the fields in
//     Redis's order.
//   - The commands in newerThanOracle are not compared: their facts come from
//     Redis 7.2, and redis-server 7.0 does not know them.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// newerThanOracle lists the commands Basalt describes as Redis 7.2 does and
// redis-server 7.0 does not know, with the reason they are left out of comparisons.
var newerThanOracle = map[string]string{
	"client|no-touch": "added in Redis 7.2",
	"client|setinfo":  "added in Redis 7.2",
	"zrank":           "WITHSCORE, arity -3, added in Redis 7.2",
	"zrevrank":        "WITHSCORE, arity -3, added in Redis 7.2",
}

// respNode is one parsed RESP2/RESP3 reply. Aggregates keep their elements (a map two
// per entry) so that tests can rewrite them and serialize the result again.
type respNode struct {
	head string // the header line without CRLF: "*10", "$3", "+OK", ":1", "_"
	bulk string // the payload of a bulk string, blob error or verbatim string
	kids []*respNode
}

// parseRESP parses exactly one reply.
func parseRESP(raw []byte) (*respNode, error) {
	r := bufio.NewReader(bytes.NewReader(raw))
	n, err := readRESPNode(r)
	if err != nil {
		return nil, err
	}
	if r.Buffered() > 0 {
		return nil, fmt.Errorf("%d bytes after the reply", r.Buffered())
	}
	return n, nil
}

func readRESPNode(r *bufio.Reader) (*respNode, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return nil, fmt.Errorf("malformed line %q", line)
	}
	n := &respNode{head: line[:len(line)-2]}
	switch n.head[0] {
	case '$', '!', '=':
		size, err := strconv.Atoi(n.head[1:])
		if err != nil {
			return nil, fmt.Errorf("bad length in %q", line)
		}
		if size < 0 {
			return n, nil
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		n.bulk = string(buf[:size])
	case '*', '~', '>', '%':
		count, err := strconv.Atoi(n.head[1:])
		if err != nil {
			return nil, fmt.Errorf("bad length in %q", line)
		}
		if n.head[0] == '%' {
			count *= 2
		}
		for i := 0; i < count; i++ {
			kid, err := readRESPNode(r)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, kid)
		}
	case '+', '-', ':', '_', ',', '#', '(':
	default:
		return nil, fmt.Errorf("unexpected reply type in %q", line)
	}
	return n, nil
}

// isAggregate tells arrays, sets, pushes and maps (not null arrays) from the rest.
func (n *respNode) isAggregate() bool {
	return strings.IndexByte("*~>%", n.head[0]) >= 0 && !strings.HasPrefix(n.head[1:], "-")
}

// text is the string a simple string or bulk string carries.
func (n *respNode) text() string {
	switch n.head[0] {
	case '$', '!', '=':
		return n.bulk
	}
	return n.head[1:]
}

// pairs reads a map, or a flat array of pairs (a RESP2 map), as key -> value, and
// returns the keys in order too.
func (n *respNode) pairs() (keys []string, values map[string]*respNode) {
	values = map[string]*respNode{}
	for i := 0; i+1 < len(n.kids); i += 2 {
		k := n.kids[i].text()
		keys = append(keys, k)
		values[k] = n.kids[i+1]
	}
	return keys, values
}

// raw serializes n again, with aggregate lengths taken from its current elements.
func (n *respNode) raw() []byte {
	var b bytes.Buffer
	n.writeTo(&b)
	return b.Bytes()
}

func (n *respNode) writeTo(b *bytes.Buffer) {
	switch {
	case n.isAggregate():
		count := len(n.kids)
		if n.head[0] == '%' {
			count /= 2
		}
		fmt.Fprintf(b, "%c%d\r\n", n.head[0], count)
		for _, k := range n.kids {
			k.writeTo(b)
		}
	case strings.IndexByte("$!=", n.head[0]) >= 0 && !strings.HasPrefix(n.head[1:], "-"):
		fmt.Fprintf(b, "%c%d\r\n%s\r\n", n.head[0], len(n.bulk), n.bulk)
	default:
		b.WriteString(n.head + "\r\n")
	}
}

// normalizeInfo rewrites the COMMAND INFO entries in a reply (one entry, or an array of
// entries and nulls) so that only the differences this file accepts vanish: the text of
// key-spec notes, the subcommands keep rejects, and the order of subcommands. It
// returns the names of the subcommands it dropped.
func normalizeInfo(n *respNode, keep func(name string) bool) (dropped []string) {
	if !n.isAggregate() {
		return nil
	}
	if len(n.kids) != 10 || n.kids[0].head[0] != '$' || n.kids[1].head[0] != ':' {
		// An array of entries.
		for _, e := range n.kids {
			dropped = append(dropped, normalizeInfo(e, keep)...)
		}
		return dropped
	}
	if specs := n.kids[8]; specs.isAggregate() {
		for _, spec := range specs.kids {
			for i := 0; i+1 < len(spec.kids); i += 2 {
				if spec.kids[i].text() == "notes" {
					spec.kids[i+1] = &respNode{head: "$", bulk: "(notes not compared)"}
				}
			}
		}
	}
	subs := n.kids[9]
	var kept []*respNode
	for _, s := range subs.kids {
		name := s.kids[0].text()
		if !keep(name) {
			dropped = append(dropped, name)
			continue
		}
		dropped = append(dropped, normalizeInfo(s, keep)...)
		kept = append(kept, s)
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].kids[0].text() < kept[j].kids[0].text() })
	subs.kids = kept
	return dropped
}

// commandPeers holds one connection to Basalt and one to redis-server speaking the same
// protocol version.
type commandPeers struct {
	resp           int
	basalt, oracle *diffConn
}

func dialCommandPeers(t *testing.T, basaltAddr, redisAddr string, resp int) *commandPeers {
	t.Helper()
	p := &commandPeers{resp: resp, basalt: dialDiff(t, "basalt", basaltAddr), oracle: dialDiff(t, "redis", redisAddr)}
	if resp == 3 {
		for _, c := range []*diffConn{p.basalt, p.oracle} {
			reply, err := c.do([]string{"HELLO", "3"})
			if err != nil || reply[0] != '%' {
				t.Fatalf("%s: HELLO 3 = %q, %v", c.name, reply, err)
			}
		}
	}
	return p
}

// both sends args to both servers and returns their parsed replies.
func (p *commandPeers) both(t *testing.T, args ...string) (basalt, oracle *respNode) {
	t.Helper()
	parse := func(c *diffConn) *respNode {
		raw, err := c.do(args)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		n, err := parseRESP(raw)
		if err != nil {
			t.Fatalf("%s: %v: cannot parse %q: %v", c.name, args, raw, err)
		}
		return n
	}
	return parse(p.basalt), parse(p.oracle)
}

// basaltCommandNames returns every command and subcommand name Basalt knows, from
// COMMAND LIST, and fails when there are suspiciously few.
func basaltCommandNames(t *testing.T, addr string) []string {
	t.Helper()
	raw, err := dialDiff(t, "basalt", addr).do([]string{"COMMAND", "LIST"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := parseRESP(raw)
	if err != nil || !list.isAggregate() {
		t.Fatalf("COMMAND LIST = %q, %v", raw, err)
	}
	var names []string
	for _, n := range list.kids {
		names = append(names, n.text())
	}
	if len(names) < 50 || !contains(names, "get") || !contains(names, "client|list") {
		t.Fatalf("COMMAND LIST names only %d commands: %v", len(names), names)
	}
	return names
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestCommandInfoMatchesRedis compares COMMAND INFO for every command and subcommand
// Basalt knows, one name at a time and several at once (unknown names included), in
// RESP2 and RESP3, and reports every mismatch.
func TestCommandInfoMatchesRedis(t *testing.T) {
	redisAddr := startRedis(t)
	basaltAddr := startBasalt(t, 2)
	names := basaltCommandNames(t, basaltAddr)
	ours := map[string]bool{}
	for _, n := range names {
		ours[n] = true
	}
	for n := range newerThanOracle {
		if !ours[n] {
			t.Errorf("newerThanOracle lists %s, which Basalt does not know", n)
		}
	}
	keepOurs := func(name string) bool { return newerThanOracle[name] == "" }
	redisOnly := map[string]bool{}
	keepRedis := func(name string) bool { return ours[name] && keepOurs(name) }

	compare := func(p *commandPeers, args ...string) {
		t.Helper()
		got, want := p.both(t, args...)
		normalizeInfo(got, keepOurs)
		for _, n := range normalizeInfo(want, keepRedis) {
			redisOnly[n] = true
		}
		if g, w := got.raw(), want.raw(); !bytes.Equal(g, w) {
			t.Errorf("RESP%d %s differs:\n%s", p.resp, strings.Join(args, " "), describeMismatch(w, g))
		}
	}

	compared := 0
	for _, resp := range []int{2, 3} {
		p := dialCommandPeers(t, basaltAddr, redisAddr, resp)
		for _, name := range names {
			if why := newerThanOracle[name]; why != "" {
				continue
			}
			compare(p, "COMMAND", "INFO", name)
			compared++
		}
		compare(p, "COMMAND", "INFO", "get", "nosuchcommand", "Object|Freq", "client|nosuch",
			"object", "get|sub", "", "|", "object|", "SET", "config|get|x", "mset")
		compare(p, "COMMAND", "INFO", "nosuchcommand")
		compare(p, "COMMAND", "INFO", "CONFIG", "command", "CLIENT")
	}
	if compared < 2*(len(names)-len(newerThanOracle)) {
		t.Errorf("compared only %d COMMAND INFO replies", compared)
	}
	var skipped []string
	for n := range redisOnly {
		skipped = append(skipped, n)
	}
	sort.Strings(skipped)
	t.Logf("compared COMMAND INFO of %d names in RESP2 and RESP3; not compared: %v (newer than the oracle) and Redis's subcommands Basalt lacks: %s",
		len(names)-len(newerThanOracle), newerThanOracle, strings.Join(skipped, " "))
}

// TestCommandInfoAgreesWithCommand checks that bare COMMAND, COMMAND INFO without names,
// COMMAND COUNT and COMMAND LIST describe the same commands as COMMAND INFO name.
func TestCommandInfoAgreesWithCommand(t *testing.T) {
	addr := startBasalt(t, 2)
	names := basaltCommandNames(t, addr)
	for _, resp := range []int{2, 3} {
		c := dialDiff(t, "basalt", addr)
		if resp == 3 {
			if _, err := c.do([]string{"HELLO", "3"}); err != nil {
				t.Fatal(err)
			}
		}
		do := func(args ...string) *respNode {
			t.Helper()
			raw, err := c.do(args)
			if err != nil {
				t.Fatal(err)
			}
			n, err := parseRESP(raw)
			if err != nil {
				t.Fatalf("%v: cannot parse %q: %v", args, raw, err)
			}
			return n
		}
		bare := do("COMMAND")
		if got := do("COMMAND", "INFO").raw(); !bytes.Equal(got, bare.raw()) {
			t.Errorf("RESP%d: COMMAND INFO without names differs from COMMAND", resp)
		}
		count, err := strconv.Atoi(do("COMMAND", "COUNT").text())
		if err != nil || count != len(bare.kids) {
			t.Errorf("RESP%d: COMMAND COUNT = %d (%v), COMMAND lists %d", resp, count, err, len(bare.kids))
		}
		var listed []string
		for _, e := range bare.kids {
			name := e.kids[0].text()
			listed = append(listed, name)
			one := do("COMMAND", "INFO", name)
			if len(one.kids) != 1 || !bytes.Equal(one.kids[0].raw(), e.raw()) {
				t.Errorf("RESP%d: COMMAND's entry for %s differs from COMMAND INFO %s", resp, name, name)
			}
			for _, s := range e.kids[9].kids {
				listed = append(listed, s.kids[0].text())
			}
		}
		sort.Strings(listed)
		if strings.Join(listed, " ") != strings.Join(names, " ") {
			t.Errorf("RESP%d: COMMAND LIST = %v, COMMAND describes %v", resp, names, listed)
		}
	}
}

// TestCommandListMatchesRedis checks COMMAND LIST's filters: restricted to the names
// Basalt knows, Redis's answer must be Basalt's.
func TestCommandListMatchesRedis(t *testing.T) {
	redisAddr := startRedis(t)
	basaltAddr := startBasalt(t, 1)
	names := basaltCommandNames(t, basaltAddr)
	ours := map[string]bool{}
	for _, n := range names {
		ours[n] = newerThanOracle[n] == ""
	}
	p := dialCommandPeers(t, basaltAddr, redisAddr, 3)
	filters := [][]string{{"PATTERN", "*"}, {"PATTERN", "client*"}, {"PATTERN", "*E?*"}, {"PATTERN", "nosuch*"},
		{"MODULE", "nosuch"}, {"ACLCAT", "nosuchcategory"}, {"ACLCAT", "@read"}}
	for _, cat := range []string{"keyspace", "read", "write", "string", "admin", "fast", "slow",
		"dangerous", "connection", "Connection"} {
		filters = append(filters, []string{"ACLCAT", cat})
	}
	for _, f := range filters {
		args := append([]string{"COMMAND", "LIST", "FILTERBY"}, f...)
		got, want := p.both(t, args...)
		if got.head[0] != want.head[0] {
			t.Errorf("%v: basalt %q, redis %q", args, got.raw(), want.raw())
			continue
		}
		var g, w []string
		for _, n := range got.kids {
			if newerThanOracle[n.text()] == "" {
				g = append(g, n.text())
			}
		}
		for _, n := range want.kids {
			if ours[n.text()] {
				w = append(w, n.text())
			}
		}
		sort.Strings(g)
		sort.Strings(w)
		if strings.Join(g, " ") != strings.Join(w, " ") {
			t.Errorf("%v:\n\tredis:  %v\n\tbasalt: %v", args, w, g)
		}
	}
}

// TestCommandDocsMatchesRedis compares the fields of COMMAND DOCS that Basalt provides.
func TestCommandDocsMatchesRedis(t *testing.T) {
	redisAddr := startRedis(t)
	basaltAddr := startBasalt(t, 1)
	names := basaltCommandNames(t, basaltAddr)

	// compareDocs compares one command's documentation map and reports differences.
	var compareDocs func(where string, got, want *respNode)
	compareDocs = func(where string, got, want *respNode) {
		t.Helper()
		if got.head[0] != want.head[0] {
			t.Errorf("%s: basalt's docs are %q, redis's %q", where, got.head, want.head)
			return
		}
		gotKeys, gotVals := got.pairs()
		wantKeys, wantVals := want.pairs()
		// Our fields must be Redis's, in Redis's order.
		at := 0
		for _, k := range gotKeys {
			for at < len(wantKeys) && wantKeys[at] != k {
				at++
			}
			if at == len(wantKeys) {
				t.Errorf("%s: field %q is not in Redis's docs or not in Redis's order: basalt %v, redis %v", where, k, gotKeys, wantKeys)
				return
			}
		}
		for _, k := range []string{"summary", "since", "group"} {
			if gotVals[k] == nil {
				t.Errorf("%s: no %s", where, k)
				continue
			}
			if gotVals[k].head[0] != wantVals[k].head[0] {
				t.Errorf("%s: %s is %q, redis's %q", where, k, gotVals[k].head, wantVals[k].head)
			}
		}
		if gotVals["summary"] != nil && gotVals["summary"].text() == "" {
			t.Errorf("%s: empty summary", where)
		}
		for _, k := range []string{"since", "group"} {
			if g, w := gotVals[k], wantVals[k]; g != nil && w != nil && g.text() != w.text() {
				t.Errorf("%s: %s = %q, redis says %q", where, k, g.text(), w.text())
			}
		}
		if (gotVals["subcommands"] == nil) != (wantVals["subcommands"] == nil) {
			t.Errorf("%s: subcommands: basalt has %t, redis has %t", where, gotVals["subcommands"] != nil, wantVals["subcommands"] != nil)
			return
		}
		if subs := gotVals["subcommands"]; subs != nil {
			if subs.head[0] != wantVals["subcommands"].head[0] {
				t.Errorf("%s: subcommands are %q, redis's %q", where, subs.head, wantVals["subcommands"].head)
			}
			subNames, gotSubs := subs.pairs()
			_, wantSubs := wantVals["subcommands"].pairs()
			for _, s := range subNames {
				if newerThanOracle[s] != "" {
					continue
				}
				if wantSubs[s] == nil {
					t.Errorf("%s: redis has no subcommand %s", where, s)
					continue
				}
				compareDocs(where+" > "+s, gotSubs[s], wantSubs[s])
			}
		}
	}

	compared := 0
	for _, resp := range []int{2, 3} {
		p := dialCommandPeers(t, basaltAddr, redisAddr, resp)
		query := func(args ...string) {
			t.Helper()
			got, want := p.both(t, args...)
			where := fmt.Sprintf("RESP%d %s", resp, strings.Join(args, " "))
			if got.head[0] != want.head[0] || len(got.kids) != len(want.kids) {
				t.Errorf("%s: basalt %q..., redis %q...", where, got.head, want.head)
				return
			}
			for i := 0; i+1 < len(got.kids); i += 2 {
				if g, w := got.kids[i].raw(), want.kids[i].raw(); !bytes.Equal(g, w) {
					t.Errorf("%s: entry %d is %q, redis's %q", where, i/2, g, w)
					continue
				}
				compareDocs(fmt.Sprintf("RESP%d COMMAND DOCS > %s", resp, got.kids[i].text()), got.kids[i+1], want.kids[i+1])
				compared++
			}
		}
		for _, name := range names {
			if newerThanOracle[name] == "" {
				query("COMMAND", "DOCS", name)
			}
		}
		query("COMMAND", "DOCS", "get", "nosuchcommand", "OBJECT|freq", "client")
		query("COMMAND", "DOCS", "nosuchcommand")
	}
	if compared < 2*(len(names)-len(newerThanOracle)) {
		t.Errorf("compared only %d COMMAND DOCS entries", compared)
	}
}

// TestCommandGetkeysMatchesRedis compares COMMAND GETKEYS, errors included.
func TestCommandGetkeysMatchesRedis(t *testing.T) {
	redisAddr := startRedis(t)
	basaltAddr := startBasalt(t, 2)
	lines := []string{
		"get k", "GET k", "set k v EX 10 GET", "getex k PERSIST", "mget a b c",
		"mset a 1 b 2 c 3", "mset a 1 b", "msetnx a 1 b 2", "lcs a b LEN", "del a b c",
		"exists a", "touch a b", "expire k 10 NX", "rename a b", "renamenx a b",
		"copy a b DB 1 REPLACE", "move k 1", "object encoding k", "OBJECT FREQ k",
		"object help x", "object nosuch k", "client list x", "client nosuch x",
		"config get maxmemory", "command info get", "ping x", "time x", "dbsize x",
		"nosuchcommand a", "get a b", "incrbyfloat k 1.5 extra", "get", "",
	}
	for _, resp := range []int{2, 3} {
		p := dialCommandPeers(t, basaltAddr, redisAddr, resp)
		for _, line := range lines {
			args := append([]string{"COMMAND", "GETKEYS"}, strings.Fields(line)...)
			got, want := p.both(t, args...)
			if g, w := got.raw(), want.raw(); !bytes.Equal(g, w) {
				t.Errorf("RESP%d %s:\n%s", resp, strings.Join(args, " "), describeMismatch(w, g))
			}
		}
	}
}
