package coord_test

// Differential tests of WATCH with two connections per server: connection A watches
// keys and runs a transaction, connection B changes (or only reads) the keys in
// between. Every scenario runs against redis-server and against Basalt with 1 and 4
// shards, in RESP2 and RESP3, step by step on both servers, and every reply must be
// equal byte for byte. The single-connection transaction paths are in the corpus
// (testdata/diff/transactions.txt).
//
// A step is "A: command", "B: command" or "sleep <ms>". "A: EXEC -> nil" also checks
// that redis-server's EXEC reply is a null (the watch was broken), "-> ran" that it is
// an array (the transaction ran), "-> abort" that it is an EXECABORT error: a scenario
// that no longer shows what its name says fails even when both servers agree.
//
//	go test ./coord/ -run 'DiffWatch/threads=4/resp3/' -v

import (
	"bytes"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// watchScenarios are the WATCH cases that need a second client. Keys w:1 ... w:8 are
// meant to spread over the shards.
var watchScenarios = []struct {
	name  string
	steps []string
}{
	{"SET by another client", []string{
		"A: SET w:1 1", "A: WATCH w:1", "B: SET w:1 2",
		"A: MULTI", "A: INCR w:1", "A: EXEC -> nil", "A: GET w:1",
	}},
	{"SET of the same value by another client", []string{
		"A: SET w:1 1", "A: WATCH w:1", "B: SET w:1 1",
		"A: MULTI", "A: INCR w:1", "A: EXEC -> nil", "A: GET w:1",
	}},
	{"SET by another client between MULTI and EXEC", []string{
		"A: SET w:1 1", "A: WATCH w:1", "A: MULTI", "A: INCR w:1",
		"B: SET w:1 5", "A: EXEC -> nil", "A: GET w:1",
	}},
	{"missing key then SET by another client", []string{
		"A: WATCH w:1", "B: SET w:1 x",
		"A: MULTI", "A: SET w:1 y", "A: EXEC -> nil", "A: GET w:1",
	}},
	{"missing key stays missing", []string{
		"A: WATCH w:1", "B: GET w:1", "B: DEL w:1",
		"A: MULTI", "A: SET w:1 y", "A: EXEC -> ran", "A: GET w:1",
	}},
	{"reads by another client", []string{
		"A: MSET w:1 1 w:2 2", "A: WATCH w:1 w:2",
		"B: GET w:1", "B: MGET w:1 w:2", "B: EXISTS w:1 w:2", "B: TTL w:1", "B: TYPE w:2",
		"B: STRLEN w:1", "B: GETEX w:1", "B: TOUCH w:1 w:2",
		"A: MULTI", "A: INCR w:1", "A: EXEC -> ran",
	}},
	{"failed and empty writes by another client", []string{
		"A: MSET w:1 abc w:2 2", "A: WATCH w:1 w:2 w:3",
		"B: INCR w:1", "B: SETNX w:1 x", "B: SET w:3 x XX", "B: MSETNX w:3 x w:2 y",
		"B: PERSIST w:1", "B: SETRANGE w:1 0 \"\"", "B: DEL w:3", "B: RENAMENX w:1 w:2",
		"B: EXPIRE w:3 100",
		"A: MULTI", "A: GET w:1", "A: EXEC -> ran",
	}},
	{"APPEND of nothing by another client", []string{
		"A: SET w:1 abc", "A: WATCH w:1", "B: APPEND w:1 \"\"",
		"A: MULTI", "A: GET w:1", "A: EXEC -> nil",
	}},
	{"EXPIRE by another client", []string{
		"A: SET w:1 abc", "A: WATCH w:1", "B: EXPIRE w:1 1000",
		"A: MULTI", "A: TTL w:1", "A: EXEC -> nil",
	}},
	{"GETEX with a new TTL by another client", []string{
		"A: SET w:1 abc", "A: WATCH w:1", "B: GETEX w:1 PX 1000000",
		"A: MULTI", "A: GET w:1", "A: EXEC -> nil",
	}},
	{"DEL by another client", []string{
		"A: SET w:1 abc", "A: WATCH w:1", "B: DEL w:1",
		"A: MULTI", "A: SET w:1 again", "A: EXEC -> nil", "A: EXISTS w:1",
	}},
	{"multi-key DEL by another client", []string{
		"A: MSET w:1 1 w:2 2 w:3 3 w:4 4", "A: WATCH w:4", "B: DEL w:1 w:2 w:3 w:4 w:5",
		"A: MULTI", "A: GET w:4", "A: EXEC -> nil",
	}},
	{"MSET by another client", []string{
		"A: MSET w:1 1 w:2 2", "A: WATCH w:2", "B: MSET w:5 5 w:6 6 w:7 7 w:2 22 w:8 8",
		"A: MULTI", "A: GET w:2", "A: EXEC -> nil",
	}},
	{"RENAME onto the watched key", []string{
		"A: SET w:1 src", "A: WATCH w:2", "B: RENAME w:1 w:2",
		"A: MULTI", "A: GET w:2", "A: EXEC -> nil", "A: MGET w:1 w:2",
	}},
	{"RENAME onto an existing watched key", []string{
		"A: MSET w:1 src w:2 dst", "A: WATCH w:2", "B: RENAME w:1 w:2",
		"A: MULTI", "A: GET w:2", "A: EXEC -> nil",
	}},
	{"RENAME away from the watched key", []string{
		"A: SET w:1 src", "A: WATCH w:1", "B: RENAME w:1 w:7",
		"A: MULTI", "A: GET w:1", "A: EXEC -> nil",
	}},
	{"COPY onto and from watched keys", []string{
		"A: SET w:1 src", "A: WATCH w:1", "B: COPY w:1 w:3",
		"A: MULTI", "A: GET w:3", "A: EXEC -> ran",
		"A: WATCH w:4", "B: COPY w:1 w:4",
		"A: MULTI", "A: GET w:4", "A: EXEC -> nil",
	}},
	{"MOVE by another client", []string{
		"A: SET w:1 v", "A: WATCH w:1", "B: MOVE w:1 3",
		"A: MULTI", "A: GET w:1", "A: EXEC -> nil",
	}},
	{"FLUSHALL by another client", []string{
		"A: MSET w:1 1 w:2 2", "A: WATCH w:1", "B: FLUSHALL",
		"A: MULTI", "A: SET w:1 again", "A: EXEC -> nil", "A: DBSIZE",
	}},
	{"FLUSHALL by another client of a missing watched key", []string{
		"A: SET w:2 2", "A: WATCH w:1", "B: FLUSHALL",
		"A: MULTI", "A: SET w:1 again", "A: EXEC -> ran", "A: DBSIZE",
	}},
	{"FLUSHDB by another client", []string{
		"A: SET w:1 1", "A: WATCH w:1", "B: FLUSHDB ASYNC",
		"A: MULTI", "A: GET w:1", "A: EXEC -> nil",
	}},
	{"FLUSHDB of another database", []string{
		"A: SET w:1 1", "A: WATCH w:1", "B: SELECT 1", "B: SET w:1 other", "B: FLUSHDB",
		"A: MULTI", "A: GET w:1", "A: EXEC -> ran",
	}},
	{"SWAPDB by another client", []string{
		"A: SET w:1 1", "A: WATCH w:1", "B: SWAPDB 0 1",
		"A: MULTI", "A: GET w:1", "A: EXEC -> nil",
		"A: WATCH w:2", "B: SWAPDB 0 1",
		"A: MULTI", "A: GET w:2", "A: EXEC -> ran",
	}},
	{"SWAPDB brings the watched key in", []string{
		"B: SELECT 5", "B: SET w:1 from5", "A: WATCH w:1", "B: SWAPDB 5 0",
		"A: MULTI", "A: GET w:1", "A: EXEC -> nil",
	}},
	{"writes to the same name in another database", []string{
		"A: SET w:1 1", "A: WATCH w:1", "B: SELECT 2", "B: SET w:1 2", "B: DEL w:1",
		"A: MULTI", "A: GET w:1", "A: EXEC -> ran",
	}},
	{"watch in database 3", []string{
		"A: SELECT 3", "A: WATCH w:1", "B: SELECT 3", "B: SET w:1 x",
		"A: MULTI", "A: GET w:1", "A: EXEC -> nil",
	}},
	{"watch follows the database of WATCH, not of EXEC", []string{
		"A: WATCH w:1", "A: SELECT 4", "B: SET w:1 x",
		"A: MULTI", "A: GET w:1", "A: EXEC -> nil",
	}},
	{"keys on different shards, one modified", []string{
		"A: MSET w:1 1 w:2 2 w:3 3 w:4 4 w:5 5 w:6 6 w:7 7 w:8 8",
		"A: WATCH w:1 w:2 w:3 w:4 w:5 w:6 w:7 w:8", "B: INCR w:6",
		"A: MULTI", "A: MSET w:1 a w:2 b w:3 c w:4 d w:5 e w:6 f w:7 g w:8 h", "A: EXEC -> nil",
		"A: MGET w:1 w:2 w:3 w:4 w:5 w:6 w:7 w:8",
	}},
	{"keys on different shards, watched in several WATCHes", []string{
		"A: WATCH w:1 w:2", "A: WATCH w:3", "A: WATCH w:4 w:5 w:6 w:7 w:8", "B: SET w:8 x",
		"A: MULTI", "A: MSET w:1 a w:2 b", "A: EXEC -> nil",
	}},
	{"keys on different shards, none modified", []string{
		"A: MSET w:1 1 w:2 2 w:3 3 w:4 4",
		"A: WATCH w:1 w:2 w:3 w:4 w:5 w:6 w:7 w:8", "B: SET other 1", "B: MGET w:1 w:2 w:3 w:4",
		"A: MULTI", "A: MSET w:1 a w:2 b w:3 c w:4 d w:5 e", "A: INCR w:6", "A: EXEC -> ran",
		"A: MGET w:1 w:2 w:3 w:4 w:5 w:6",
	}},
	{"UNWATCH then modification", []string{
		"A: SET w:1 1", "A: WATCH w:1 w:2", "A: UNWATCH", "B: SET w:1 2", "B: SET w:2 2",
		"A: MULTI", "A: INCR w:1", "A: EXEC -> ran",
	}},
	{"DISCARD clears the watches", []string{
		"A: SET w:1 1", "A: WATCH w:1", "A: MULTI", "A: INCR w:1", "A: DISCARD",
		"B: SET w:1 2", "A: MULTI", "A: INCR w:1", "A: EXEC -> ran",
	}},
	{"EXEC clears the watches", []string{
		"A: SET w:1 1", "A: WATCH w:1", "A: MULTI", "A: INCR w:1", "A: EXEC -> ran",
		"B: SET w:1 10", "A: MULTI", "A: INCR w:1", "A: EXEC -> ran",
	}},
	{"a failed EXEC clears the watches too", []string{
		"A: SET w:1 1", "A: WATCH w:1", "B: SET w:1 2", "A: MULTI", "A: EXEC -> nil",
		"B: SET w:1 3", "A: MULTI", "A: INCR w:1", "A: EXEC -> ran",
	}},
	{"another client's transaction", []string{
		"A: SET w:1 1", "A: WATCH w:1 w:2",
		"B: MULTI", "B: SET w:2 x", "B: INCR w:1", "B: EXEC -> ran",
		"A: MULTI", "A: INCR w:1", "A: EXEC -> nil",
	}},
	{"another client's transaction discarded or aborted", []string{
		"A: SET w:1 1", "A: WATCH w:1",
		"B: MULTI", "B: SET w:1 x", "B: DISCARD",
		"B: MULTI", "B: SET w:1 y", "B: NOSUCHCOMMAND", "B: EXEC -> abort",
		"A: MULTI", "A: INCR w:1", "A: EXEC -> ran",
	}},
	{"two clients watch one key: the first EXEC wins", []string{
		"A: SET w:1 1", "A: WATCH w:1", "B: WATCH w:1",
		"A: MULTI", "A: INCR w:1", "B: MULTI", "B: INCR w:1",
		"A: EXEC -> ran", "B: EXEC -> nil", "B: GET w:1",
	}},
	{"a queuing error wins over a broken watch", []string{
		"A: SET w:1 1", "A: WATCH w:1", "A: MULTI", "A: GET", "B: SET w:1 2", "A: EXEC -> abort",
	}},
	{"WATCH inside MULTI is refused and watches nothing", []string{
		"A: SET w:1 1", "A: MULTI", "A: WATCH w:1", "A: INCR w:1", "B: SET w:1 5", "A: EXEC -> ran",
		"A: GET w:1",
	}},
	{"expiry after WATCH", []string{
		"A: SET w:1 v PX 50", "A: WATCH w:1", "sleep 100",
		"A: MULTI", "A: SET w:1 new", "A: EXEC -> nil", "A: GET w:1",
	}},
	{"expiry after WATCH, key read by another client", []string{
		"A: SET w:1 v PX 50", "A: WATCH w:1", "sleep 100", "B: GET w:1",
		"A: MULTI", "A: SET w:1 new", "A: EXEC -> nil",
	}},
	{"expiry between MULTI and EXEC", []string{
		"A: SET w:1 v PX 50", "A: WATCH w:1", "A: MULTI", "A: SET w:1 new", "sleep 100",
		"A: EXEC -> nil",
	}},
	{"already expired when watched", []string{
		"A: SET w:1 v PX 20", "sleep 60", "A: WATCH w:1", "sleep 60",
		"A: MULTI", "A: SET w:1 new", "A: EXEC -> ran", "A: GET w:1",
	}},
	{"already expired when watched, then read by another client", []string{
		"A: SET w:1 v PX 20", "sleep 60", "A: WATCH w:1", "B: GET w:1",
		"A: MULTI", "A: SET w:1 new", "A: EXEC -> ran",
	}},
	{"already expired when watched, then set by another client", []string{
		"A: SET w:1 v PX 20", "sleep 60", "A: WATCH w:1", "B: SET w:1 other",
		"A: MULTI", "A: SET w:1 new", "A: EXEC -> nil", "A: GET w:1",
	}},
	{"already expired when watched, then FLUSHALL by another client", []string{
		"A: SET w:1 v PX 20", "A: SET w:2 v", "sleep 60", "A: WATCH w:1", "B: FLUSHALL",
		"A: MULTI", "A: SET w:1 new", "A: EXEC -> ran",
	}},
	{"missing when watched, then set with a short TTL that runs out", []string{
		"A: WATCH w:1", "B: SET w:1 v PX 20", "sleep 60",
		"A: MULTI", "A: SET w:1 new", "A: EXEC -> nil",
	}},
}

// watchStep is one parsed scenario step.
type watchStep struct {
	text  string
	conn  int // 0 is A, 1 is B
	args  []string
	sleep time.Duration
	want  string // "", "nil", "ran" or "abort": what redis-server's reply must be
}

func parseWatchStep(text string) (watchStep, error) {
	st := watchStep{text: text}
	if ms, ok := strings.CutPrefix(text, "sleep "); ok {
		n, err := strconv.Atoi(ms)
		if err != nil {
			return st, err
		}
		st.sleep = time.Duration(n) * time.Millisecond
		return st, nil
	}
	who, cmd, ok := strings.Cut(text, ": ")
	if !ok || (who != "A" && who != "B") {
		return st, fmt.Errorf("step %q does not start with A: or B:", text)
	}
	if who == "B" {
		st.conn = 1
	}
	if c, want, ok := strings.Cut(cmd, " -> "); ok {
		if want != "nil" && want != "ran" && want != "abort" {
			return st, fmt.Errorf("step %q: unknown expectation %q", text, want)
		}
		cmd, st.want = c, want
	}
	args, err := splitArgs(cmd)
	if err != nil || len(args) == 0 {
		return st, fmt.Errorf("step %q: %v", text, err)
	}
	st.args = args
	return st, nil
}

// execOutcome classifies an EXEC reply for the expectations of a step.
func execOutcome(reply []byte) string {
	switch {
	case bytes.Equal(reply, []byte("*-1\r\n")) || bytes.Equal(reply, []byte("_\r\n")):
		return "nil"
	case bytes.HasPrefix(reply, []byte("-EXECABORT ")):
		return "abort"
	case len(reply) > 0 && reply[0] == '*':
		return "ran"
	}
	return fmt.Sprintf("%q", reply)
}

// TestDiffWatch plays every WATCH scenario with two connections per server against
// redis-server and Basalt and compares the replies.
func TestDiffWatch(t *testing.T) {
	parsed := make([][]watchStep, len(watchScenarios))
	for i, sc := range watchScenarios {
		for _, text := range sc.steps {
			st, err := parseWatchStep(text)
			if err != nil {
				t.Fatalf("scenario %q: %v", sc.name, err)
			}
			parsed[i] = append(parsed[i], st)
		}
	}
	redisAddr := startRedis(t)
	sent := 0
	for _, threads := range []int{1, 4} {
		basaltAddr := startBasalt(t, threads)
		for _, resp := range []int{2, 3} {
			for i, sc := range watchScenarios {
				t.Run(fmt.Sprintf("threads=%d/resp%d/%s", threads, resp, sc.name), func(t *testing.T) {
					sent += runWatchScenario(t, parsed[i], resp, redisAddr, basaltAddr)
				})
			}
		}
	}
	// A -run pattern that selects some scenarios only may select none: no error then.
	if f := flag.Lookup("test.run"); sent == 0 && (f == nil || !strings.Contains(f.Value.String(), "/")) {
		t.Fatal("no command was sent")
	}
}

// runWatchScenario plays one scenario on two fresh connections to each server, every
// step on redis-server and then on Basalt, so that both see the same delays. It returns
// the number of commands sent to each server.
func runWatchScenario(t *testing.T, steps []watchStep, resp int, redisAddr, basaltAddr string) int {
	conns := [2][2]*diffConn{} // [server][A or B]
	for s, sv := range []struct{ name, addr string }{{"redis", redisAddr}, {"basalt", basaltAddr}} {
		for c := range 2 {
			d := dialDiff(t, fmt.Sprintf("%s %c", sv.name, 'A'+c), sv.addr)
			if resp == 3 {
				reply, err := d.do([]string{"HELLO", "3"})
				if err != nil || len(reply) == 0 || reply[0] != '%' {
					t.Fatalf("%s: HELLO 3 answered %q, %v", d.name, reply, err)
				}
			}
			conns[s][c] = d
		}
		if reply, err := conns[s][0].do([]string{"FLUSHALL"}); err != nil || string(reply) != "+OK\r\n" {
			t.Fatalf("%s: FLUSHALL answered %q, %v", sv.name, reply, err)
		}
	}
	// The whole transcript is shown once, with the steps that differ marked.
	var transcript strings.Builder
	sent, mismatches := 0, 0
	for _, st := range steps {
		if st.sleep > 0 {
			time.Sleep(st.sleep)
			fmt.Fprintf(&transcript, "\t%s\n", st.text)
			continue
		}
		want, errR := conns[0][st.conn].do(st.args)
		got, errB := conns[1][st.conn].do(st.args)
		sent++
		mark := ""
		if !bytes.Equal(want, got) {
			mismatches++
			mark = "   <-- differs"
		}
		fmt.Fprintf(&transcript, "\t%s%s\n\t\tredis:  %q\n\t\tbasalt: %q\n", st.text, mark, want, got)
		if errR != nil || errB != nil {
			t.Fatalf("connection broken: redis: %v, basalt: %v\n%s", errR, errB, transcript.String())
		}
		if st.want != "" {
			if o := execOutcome(want); o != st.want {
				t.Errorf("%s: redis-server's reply is %s, the scenario expects %s: fix the scenario", st.text, o, st.want)
			}
		}
	}
	if mismatches > 0 {
		t.Errorf("%d of %d replies differ:\n%s", mismatches, sent, transcript.String())
	}
	return sent
}
