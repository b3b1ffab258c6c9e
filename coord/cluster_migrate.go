package coord

// Moving slots between live nodes, as redis-cli --cluster reshard does it: the target
// marks the slot IMPORTING, the source MIGRATING; the source's keys of the slot move
// with MIGRATE (DUMP here, RESTORE-ASKING there); then SETSLOT NODE gives the slot to
// the target, which takes a new config epoch so that its claim wins everywhere.
// Meanwhile the source answers -ASK for the slot's keys it no longer has (the command
// runs on the key's shard, which alone knows), and the target serves the slot to a
// connection that sent ASKING.

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/basaltdb/basalt/persist"
	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// CLUSTER SETSLOT slot IMPORTING node-id | MIGRATING node-id | NODE node-id | STABLE
func clusterSetslotCmd(cl *client, args [][]byte, w *proto.Writer) {
	cs := cl.clusterOn(w)
	if cs == nil {
		return
	}
	if cs.myself.master != "" {
		w.Error("ERR Please use SETSLOT only with masters.")
		return
	}
	slot, ok := parseSlot(args[2], w)
	if !ok {
		return
	}
	action := strings.ToLower(string(args[3]))
	if (action == "stable") != (len(args) == 4) || len(args) > 5 {
		w.Error("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
		return
	}
	var id string
	if len(args) == 5 {
		id = string(args[4])
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	n := cs.nodes[id]
	switch action {
	case "migrating", "importing":
		mine := cs.owner[slot] == cs.myself
		switch {
		case action == "migrating" && !mine:
			w.Error(fmt.Sprintf("ERR I'm not the owner of hash slot %d", slot))
		case action == "importing" && mine:
			w.Error(fmt.Sprintf("ERR I'm already the owner of hash slot %d", slot))
		case n == nil:
			w.Error("ERR I don't know about node " + id)
		case n.master != "":
			w.Error("ERR Target node is not a master")
		default:
			if action == "migrating" {
				cs.migrating[slot] = n
			} else {
				cs.importing[slot] = n
			}
			cs.changedLocked()
			w.OK()
		}
	case "stable":
		delete(cs.migrating, slot)
		delete(cs.importing, slot)
		cs.changedLocked()
		w.OK()
	case "node":
		switch {
		case n == nil:
			w.Error("ERR Unknown node " + id)
		case n.master != "":
			w.Error("ERR Target node is not a master")
		case cs.owner[slot] == cs.myself && n != cs.myself:
			// The slot may go only once its keys went: count them first.
			cs.mu.Unlock()
			cl.keysInSlot(slot, 1, func(w *proto.Writer, keys [][]byte, _ int) {
				cs.mu.Lock()
				defer cs.mu.Unlock()
				if len(keys) > 0 {
					w.Error(fmt.Sprintf("ERR Can't assign hashslot %d to a different node while I still hold keys for this hash slot.", slot))
					return
				}
				cs.giveSlotLocked(slot, cs.nodes[id])
				w.OK()
			})
			cs.mu.Lock()
		default:
			cs.giveSlotLocked(slot, n)
			w.OK()
		}
	default:
		w.Error("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
	}
}

// giveSlotLocked assigns slot to n at the end of a move. The importing node takes a
// new config epoch, without an election, as Redis does: its claim must beat the old
// owner's everywhere.
func (cs *clusterState) giveSlotLocked(slot int, n *clusterNode) {
	if n == nil {
		return
	}
	delete(cs.migrating, slot)
	if n == cs.myself && cs.importing[slot] != nil {
		delete(cs.importing, slot)
		if cs.myself.configEpoch == 0 || cs.myself.configEpoch != cs.maxEpochLocked() {
			cs.currentEpoch++
			cs.myself.configEpoch = cs.currentEpoch
		}
	}
	cs.owner[slot] = n
	cs.changedLocked()
	cs.broadcastLocked(cs.messageLocked("pong", nil))
}

// askFor decides, on the key's shard, whether a command on a slot this node is
// migrating must go to the target: -ASK when none of its keys is here any more,
// -TRYAGAIN when some are and some are not. "" lets it run.
func (cs *clusterState) askFor(sh *shard.Shard, cmd *Command, args [][]byte) string {
	r := cs.route.Load()
	if len(r.migrating) == 0 {
		return ""
	}
	slot, target := -1, ""
	missing, present := 0, 0
	for _, p := range cmd.keyPositions(args) {
		if slot < 0 {
			slot = keySlot(args[p])
			if target = r.migrating[slot]; target == "" {
				return ""
			}
		}
		if sh.Exists(args[p]) {
			present++
		} else {
			missing++
		}
	}
	switch {
	case missing == 0:
		return ""
	case present > 0:
		return "TRYAGAIN Multiple keys request during rehashing of slot"
	}
	return "ASK " + strconv.Itoa(slot) + " " + target
}

// ASKING
func askingCmd(cl *client, _ [][]byte, w *proto.Writer) {
	if cl.clusterOn(w) != nil {
		cl.clusterAsking = true
		w.OK()
	}
}

// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
// [AUTH password | AUTH2 username password] [KEYS key [key ...]]
//
// Each of the keys' shards sends its keys to the target (RESTORE, or RESTORE-ASKING in
// cluster mode) and deletes them once the target took them (unless COPY), while the
// keys are claimed: no write slips between the copy and the delete. The shard's loop
// waits on the target meanwhile, as redis-server waits as a whole.
func migrateCmd(cl *client, args [][]byte, w *proto.Writer) {
	args = ownArgs(args)
	var opt migrateOptions
	opt.host = string(args[1])
	port, ok := proto.ParseInt(args[2])
	if !ok {
		w.Error(proto.ErrNotInt)
		return
	}
	opt.port = int(port)
	db, ok1 := proto.ParseInt(args[4])
	timeout, ok2 := proto.ParseInt(args[5])
	if !ok1 || !ok2 {
		w.Error(proto.ErrNotInt)
		return
	}
	if timeout <= 0 {
		timeout = 1000
	}
	opt.db, opt.timeout = db, time.Duration(timeout)*time.Millisecond
	keys := [][]byte{args[3]}
	for i := 6; i < len(args); i++ {
		more := len(args) - i - 1
		switch a := strings.ToLower(string(args[i])); {
		case a == "copy":
			opt.copy = true
		case a == "replace":
			opt.replace = true
		case a == "auth" && more >= 1:
			opt.auth = [][]byte{[]byte("AUTH"), args[i+1]}
			i++
		case a == "auth2" && more >= 2:
			opt.auth = [][]byte{[]byte("AUTH"), args[i+1], args[i+2]}
			i += 2
		case a == "keys":
			if len(args[3]) != 0 {
				w.Error("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
				return
			}
			keys = args[i+1:]
			i = len(args)
		default:
			w.Error(proto.ErrSyntax)
			return
		}
	}
	opt.asking = cl.srv.cluster != nil
	byShard := map[int][][]byte{}
	t := cl.newTxn(opt.copy)
	for _, k := range keys {
		s := cl.srv.shardOf(k)
		byShard[s] = append(byShard[s], k)
		t.claim(cl.db, k, !opt.copy)
	}
	shards := make([]int, 0, len(byShard))
	for s := range byShard {
		shards = append(shards, s)
	}
	results := make([]migrateResult, len(shards))
	t.last(shards, func(sh *shard.Shard, i int) {
		results[i] = cl.srv.migrateFrom(sh, cl.db, byShard[sh.ID], &opt)
	}, func(w *proto.Writer) {
		moved := 0
		for _, r := range results {
			if r.err != "" {
				w.Error(r.err)
				return
			}
			moved += r.moved
		}
		if moved == 0 {
			w.Simple("NOKEY")
			return
		}
		w.OK()
	})
}

type migrateOptions struct {
	host          string
	port          int
	db            int64
	timeout       time.Duration
	copy, replace bool
	asking        bool
	auth          [][]byte
}

type migrateResult struct {
	moved int
	err   string
}

// migrateFrom sends sh's keys to the target and deletes those it took. It runs on
// sh's loop.
func (s *Server) migrateFrom(sh *shard.Shard, db int, keys [][]byte, opt *migrateOptions) migrateResult {
	var cmds [][][]byte
	var sent [][]byte
	if opt.auth != nil {
		cmds = append(cmds, opt.auth)
	}
	cmds = append(cmds, [][]byte{[]byte("SELECT"), []byte(strconv.FormatInt(opt.db, 10))})
	restore := []byte("RESTORE")
	if opt.asking {
		restore = []byte("RESTORE-ASKING")
	}
	for _, k := range keys {
		o, ok := sh.Peek(k)
		if !ok {
			continue
		}
		payload, err := persist.AppendPayload(nil, o)
		if err != nil {
			return migrateResult{err: "ERR " + err.Error()}
		}
		ttl := int64(0)
		if o.ExpireAt > 0 {
			ttl = max(o.ExpireAt-sh.Now(), 1)
		}
		c := [][]byte{restore, k, []byte(strconv.FormatInt(ttl, 10)), payload}
		if opt.replace {
			c = append(c, []byte("REPLACE"))
		}
		cmds = append(cmds, c)
		sent = append(sent, k)
	}
	if len(sent) == 0 {
		return migrateResult{}
	}
	replies, err := s.loops[sh.ID].migrateExchange(opt, cmds)
	if err != nil {
		return migrateResult{err: err.Error()}
	}
	first := len(cmds) - len(sent)
	for i, r := range replies {
		if strings.HasPrefix(r, "-") {
			msg := strings.TrimPrefix(r, "-")
			if i < first || !strings.HasPrefix(msg, "ERR ") {
				return migrateResult{err: "ERR Target instance replied with error: " + msg}
			}
			return migrateResult{err: "ERR Target instance replied with error: " + strings.TrimPrefix(msg, "ERR ")}
		}
	}
	if !opt.copy {
		ls := s.loops[sh.ID]
		for _, k := range sent {
			deleted := sh.Remove(k)
			notifyDeleted(sh, k, deleted)
			ls.record(s, db, [][]byte{[]byte("DEL"), k})
		}
	}
	return migrateResult{moved: len(sent)}
}

// The errors of a failed exchange, in redis-server's words; its connect is
// non-blocking, so a refused connection shows when it writes.
var (
	errMigrateConnect = errors.New("IOERR error or timeout connecting to the client")
	errMigrateWrite   = errors.New("IOERR error or timeout writing to target instance")
	errMigrateRead    = errors.New("IOERR error or timeout reading to target instance")
)

// migrateConn is a connection to a MIGRATE target, kept by the shard's loop for the
// next MIGRATE to the same address (redis-cli sends one per ten keys while it moves a
// slot), as Redis keeps them; one idle for migrateIdle is dialled again.
type migrateConn struct {
	conn     net.Conn
	r        *bufio.Reader
	lastUsed time.Time
}

const migrateIdle = 10 * time.Second

// migrateExchange sends cmds to the target in one write and reads one reply line per
// command (RESTORE, AUTH and SELECT answer a status or an error). A kept connection
// that fails before any reply is dialled again once: the target may have closed it.
func (ls *loopState) migrateExchange(opt *migrateOptions, cmds [][][]byte) ([]string, error) {
	addr := net.JoinHostPort(opt.host, strconv.Itoa(opt.port))
	var out []byte
	for _, cmd := range cmds {
		out = appendRESP(out, cmd...) // aof.go
	}
	for attempt := 0; ; attempt++ {
		mc, fresh, err := ls.migrateConnTo(addr, opt.timeout)
		if err != nil {
			return nil, err
		}
		replies, err := mc.exchange(out, len(cmds), opt.timeout)
		if err == nil {
			mc.lastUsed = time.Now()
			return replies, nil
		}
		mc.conn.Close()
		delete(ls.migrateConns, addr)
		if fresh || attempt > 0 {
			return nil, err
		}
	}
}

// migrateConnTo returns the kept connection to addr or dials one; fresh says it is new.
func (ls *loopState) migrateConnTo(addr string, timeout time.Duration) (*migrateConn, bool, error) {
	if mc := ls.migrateConns[addr]; mc != nil {
		if time.Since(mc.lastUsed) < migrateIdle {
			return mc, false, nil
		}
		mc.conn.Close()
		delete(ls.migrateConns, addr)
	}
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return nil, false, errMigrateConnect
		}
		return nil, false, errMigrateWrite
	}
	mc := &migrateConn{conn: c, r: bufio.NewReader(c), lastUsed: time.Now()}
	if ls.migrateConns == nil {
		ls.migrateConns = map[string]*migrateConn{}
	}
	ls.migrateConns[addr] = mc
	return mc, true, nil
}

func (mc *migrateConn) exchange(out []byte, n int, timeout time.Duration) ([]string, error) {
	_ = mc.conn.SetDeadline(time.Now().Add(timeout + time.Duration(n)*time.Millisecond))
	if _, err := mc.conn.Write(out); err != nil {
		return nil, errMigrateWrite
	}
	replies := make([]string, n)
	for i := range n {
		line, err := mc.r.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if err != nil || line == "" || (line[0] != '+' && line[0] != '-') {
			return nil, errMigrateRead
		}
		replies[i] = line
	}
	return replies, nil
}

// migrateKeys finds MIGRATE's keys: the key argument, or those after KEYS.
func migrateKeys(a [][]byte) []int {
	if len(a) > 3 && len(a[3]) > 0 {
		return []int{3}
	}
	for i := 6; i < len(a); i++ {
		if strings.EqualFold(string(a[i]), "keys") {
			pos := make([]int, 0, len(a)-i-1)
			for j := i + 1; j < len(a); j++ {
				pos = append(pos, j)
			}
			return pos
		}
		switch strings.ToLower(string(a[i])) {
		case "auth":
			i++
		case "auth2":
			i += 2
		}
	}
	return nil
}
