package coord

// Cluster mode (cluster-enabled yes): Redis Cluster's 16,384 hash slots spread over
// Basalt nodes, with CLUSTER's commands, MOVED / CROSSSLOT / CLUSTERDOWN redirections
// as cluster clients expect them, and a node table kept in cluster-config-file in
// Redis's nodes.conf format. The nodes talk over a cluster bus of Basalt's own
// (cluster_bus.go): Basalt nodes form clusters with each other, not with redis-server
// nodes. Slots and shards are different things: a slot (CRC16 of the key's hash tag)
// says which node serves a key, and inside that node xxh3 picks the shard as before.
//
// The node table is guarded by one mutex and changes rarely; the command path reads
// an immutable routing snapshot (clusterRoute) through one atomic pointer.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

const clusterSlots = 16384

// keySlot is the hash slot of a key (shard/slots.go).
func keySlot(key []byte) int { return shard.KeySlot(key) }

// slotSet is a bitmap of slots.
type slotSet [clusterSlots / 64]uint64

func (s *slotSet) has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }
func (s *slotSet) set(i int)      { s[i/64] |= 1 << (i % 64) }

// ranges lists the set's runs of consecutive slots.
func (s *slotSet) ranges() [][2]int {
	var out [][2]int
	for i := 0; i < clusterSlots; i++ {
		if !s.has(i) {
			continue
		}
		j := i
		for j+1 < clusterSlots && s.has(j+1) {
			j++
		}
		out = append(out, [2]int{i, j})
		i = j
	}
	return out
}

// clusterNode is one node of the table, as this node knows it.
type clusterNode struct {
	id            string
	ip            string
	port, busPort int
	myself        bool
	// master is the id of the node this one replicates ("" for a master).
	master      string
	configEpoch uint64
	// handshake is set for a node met by address whose id is not known yet.
	handshake bool
	pfail     bool
	fail      bool
	failTime  int64
	pingSent  int64 // Unix ms of the oldest ping not answered, 0 when none
	pongRecv  int64 // Unix ms of the last pong
	created   int64
	linked    bool // the outgoing bus link is connected
	// reports are the masters that said this node is failing, with when they said it.
	reports map[string]int64
	// link is the outgoing bus link's state (cluster_bus.go).
	link *busLink
	// offset is a replica's replication offset, as it last said.
	offset int64
}

func (n *clusterNode) addr() string { return n.ip + ":" + strconv.Itoa(n.port) }

// flags is the node's flags as CLUSTER NODES shows them.
func (n *clusterNode) flags() string {
	var f []string
	if n.myself {
		f = append(f, "myself")
	}
	if n.master == "" {
		f = append(f, "master")
	} else {
		f = append(f, "slave")
	}
	if n.pfail {
		f = append(f, "fail?")
	}
	if n.fail {
		f = append(f, "fail")
	}
	if n.handshake {
		f = append(f, "handshake")
	}
	if n.ip == "" && !n.myself {
		f = append(f, "noaddr")
	}
	return strings.Join(f, ",")
}

// clusterState is the node table and this node's view of the slots.
type clusterState struct {
	mu           sync.Mutex
	myself       *clusterNode
	nodes        map[string]*clusterNode
	owner        [clusterSlots]*clusterNode
	currentEpoch uint64
	lastVote     uint64
	ok           bool
	file         string
	// timeoutMs is cluster-node-timeout, which CONFIG SET may change under the bus.
	timeoutMs  atomic.Int64
	sent, recv atomic.Int64
	// route is the snapshot the command path reads.
	route atomic.Pointer[clusterRoute]
	// started is when cluster mode started.
	started time.Time
	// election is this replica's failover in progress; votedFor is when this master
	// last voted for a replica of each master (cluster_failover.go).
	election *election
	votedFor map[string]int64
	// migrating and importing are the slots being moved out of and into this node
	// (cluster_migrate.go).
	migrating, importing map[int]*clusterNode
	// opts are the cluster directives that may change at run time; listenBus is the
	// port the bus listens on.
	opts      clusterOptions
	listenBus int
	// save is signalled when the table changed and nodes.conf must be written.
	save chan struct{}
	srv  *Server
	stop chan struct{}
}

// clusterOptions are the cluster-* directives the cluster reads as it runs.
type clusterOptions struct {
	requireFull, allowReads, noFailover bool
	announceIP                          string
	announcePort, announceBus           int
}

// clusterOptionsOf reads them from c, whose lock the caller holds or does not need.
func clusterOptionsOf(c *Config) clusterOptions {
	return clusterOptions{
		requireFull: c.ClusterRequireFullCoverage, allowReads: c.ClusterAllowReadsWhenDown,
		noFailover: c.ClusterReplicaNoFailover, announceIP: c.ClusterAnnounceIP,
		announcePort: c.ClusterAnnouncePort, announceBus: c.ClusterAnnounceBusPort,
	}
}

// nodeTimeout is cluster-node-timeout.
func (cs *clusterState) nodeTimeout() time.Duration {
	return time.Duration(cs.timeoutMs.Load()) * time.Millisecond
}

// setOptions applies changed cluster directives.
func (cs *clusterState) setOptions(o clusterOptions, timeoutMs int) {
	cs.timeoutMs.Store(int64(max(timeoutMs, 1)))
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if o == cs.opts {
		return
	}
	cs.opts = o
	cs.announceLocked()
	cs.changedLocked()
}

// announceLocked sets this node's address as the bus tells it: the announced values,
// or the real ones. cs.mu is held.
func (cs *clusterState) announceLocked() {
	me := cs.myself
	if cs.opts.announceIP != "" {
		me.ip = cs.opts.announceIP
	}
	me.port = cs.srv.cfg.Port
	if cs.opts.announcePort != 0 {
		me.port = cs.opts.announcePort
	}
	me.busPort = cs.listenBus
	if cs.opts.announceBus != 0 {
		me.busPort = cs.opts.announceBus
	}
}

// clusterRoute is an immutable view of the slots for the command path.
type clusterRoute struct {
	ok bool
	// owner[slot] is -1 for an unassigned slot, 0 for this node, else 1 + the index
	// of the node's address in addrs.
	owner [clusterSlots]int16
	addrs []string
	// master is the owner index of this replica's master, -2 on a master: READONLY
	// connections read its slots here.
	master int16
	// migrating maps the slots being moved out to the target's address; importing
	// lists those being moved in.
	migrating map[int]string
	importing map[int]bool
	// allowReads is cluster-allow-reads-when-down.
	allowReads bool
}

// Redirection errors, in redis-server's words.
const (
	errCrossSlot   = "CROSSSLOT Keys in request don't hash to the same slot"
	errClusterDown = "CLUSTERDOWN The cluster is down"
	errSlotUnbound = "CLUSTERDOWN Hash slot not served"
	errNoCluster   = "ERR This instance has cluster support disabled"
)

// newNodeID is a random 40-hex-digit node name.
func newNodeID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// startCluster sets up cluster mode from the configuration: the node table from
// cluster-config-file when it exists, else a new node, and the bus.
func (s *Server) startCluster() error {
	cfg := s.cfg
	cs := &clusterState{
		nodes:     map[string]*clusterNode{},
		file:      cfg.ClusterConfigFile,
		save:      make(chan struct{}, 1),
		srv:       s,
		stop:      make(chan struct{}),
		started:   time.Now(),
		votedFor:  map[string]int64{},
		migrating: map[int]*clusterNode{},
		importing: map[int]*clusterNode{},
	}
	if !filepath.IsAbs(cs.file) {
		cs.file = filepath.Join(cfg.Dir, cs.file)
	}
	if err := cs.load(); err != nil {
		return err
	}
	if cs.myself == nil {
		cs.myself = &clusterNode{id: newNodeID(), myself: true, created: time.Now().UnixMilli()}
		cs.nodes[cs.myself.id] = cs.myself
	}
	cs.listenBus = cfg.ClusterPort
	if cs.listenBus == 0 {
		cs.listenBus = cfg.Port + 10000
	}
	cs.mu.Lock()
	cs.opts = clusterOptionsOf(cfg)
	cs.timeoutMs.Store(int64(max(cfg.ClusterNodeTimeout, 1)))
	cs.announceLocked()
	cs.changedLocked()
	if m := cs.nodes[cs.myself.master]; m != nil {
		// A replica restarted from its nodes.conf follows its master again.
		cs.replicateLocked(m)
	}
	cs.mu.Unlock()
	for _, sh := range s.shards {
		// The loops do not run yet: the shards are free to touch.
		sh.EnableSlotIndex()
	}
	s.cluster = cs
	if err := cs.writeFile(); err != nil {
		return fmt.Errorf("cluster-config-file %s: %w", cs.file, err)
	}
	return cs.startBus() // cluster_bus.go
}

// clusterWritableDelay is how long a master stays down after it starts (Redis's
// CLUSTER_WRITABLE_DELAY).
const clusterWritableDelay = 2 * time.Second

// changedLocked recomputes the state and the route after a change, and asks for the
// table to be saved. cs.mu is held.
func (cs *clusterState) changedLocked() {
	cs.recomputeLocked()
	select {
	case cs.save <- struct{}{}:
	default:
	}
}

// recomputeLocked derives the cluster state and the command path's route from the
// table. cs.mu is held.
func (cs *clusterState) recomputeLocked() {
	ok := true
	r := &clusterRoute{master: -2, allowReads: cs.opts.allowReads}
	index := map[*clusterNode]int16{}
	for i, n := range cs.owner {
		switch {
		case n == nil:
			r.owner[i] = -1
			ok = ok && !cs.opts.requireFull
			continue
		case n.fail:
			ok = ok && !cs.opts.requireFull
		}
		if n == cs.myself {
			r.owner[i] = 0
			continue
		}
		k, seen := index[n]
		if !seen {
			r.addrs = append(r.addrs, n.addr())
			k = int16(len(r.addrs))
			index[n] = k
		}
		r.owner[i] = k
	}
	// A node that cannot reach a majority of the masters serving slots is down: it may
	// be on the minority side of a partition.
	size, reachable := 0, 0
	for n := range index {
		if n.master == "" {
			size++
			if !n.pfail && !n.fail {
				reachable++
			}
		}
	}
	if cs.ownsAny(cs.myself) {
		size++
		reachable++
	}
	if reachable < size/2+1 {
		ok = false
	}
	if m := cs.nodes[cs.myself.master]; m != nil {
		if k, ok := index[m]; ok {
			r.master = k
		}
	}
	if len(cs.migrating) > 0 {
		r.migrating = map[int]string{}
		for s, n := range cs.migrating {
			r.migrating[s] = n.addr()
		}
	}
	if len(cs.importing) > 0 {
		r.importing = map[int]bool{}
		for s := range cs.importing {
			r.importing[s] = true
		}
	}
	if ok && !cs.ok && cs.myself.master == "" && time.Since(cs.started) < clusterWritableDelay {
		// As Redis: a master that just started stays down a moment, giving the
		// cluster a chance to tell it that it lost its slots (cron looks again).
		ok = false
	}
	cs.ok, r.ok = ok, ok
	cs.route.Store(r)
}

// redirect decides whether this node serves the command line, as redis-server's
// getNodeByQuery does: "" when it does, else the error that redirects the client.
// EXEC looks at every queued command together.
func (cl *client) clusterRedirect(cmd *Command, args [][]byte, asking bool) string {
	r := cl.srv.cluster.route.Load()
	first, slot := []byte(nil), -1
	check := func(key []byte) string {
		sl := keySlot(key)
		if first == nil {
			first, slot = key, sl
			if r.owner[sl] < 0 {
				return errSlotUnbound
			}
			return ""
		}
		if sl != slot {
			return errCrossSlot
		}
		return ""
	}
	visit := func(c *Command, line [][]byte) string {
		if c.keysFn == nil && c.FirstKey > 0 {
			// The common fixed key range, walked without building a position list.
			last := c.LastKey
			if last < 0 {
				last += len(line)
			}
			for i := c.FirstKey; i <= last && i < len(line); i += c.Step {
				if msg := check(line[i]); msg != "" {
					return msg
				}
			}
			return ""
		}
		for _, p := range c.keyPositions(line) {
			if msg := check(line[p]); msg != "" {
				return msg
			}
		}
		return ""
	}
	if cmd.Name == "exec" {
		if cl.multi == nil {
			return ""
		}
		for _, q := range cl.multi.cmds {
			if msg := visit(q.cmd, q.args); msg != "" {
				return msg
			}
		}
	} else if msg := visit(cmd, args); msg != "" {
		return msg
	}
	if first == nil {
		return ""
	}
	if !r.ok {
		if !r.allowReads {
			return errClusterDown
		}
		if cl.writes(cmd) {
			return "CLUSTERDOWN The cluster is down and only accepts read commands"
		}
	}
	if o := r.owner[slot]; o > 0 {
		if r.importing[slot] && (asking || cmd.Flags&FlagAsking != 0) {
			return "" // a key of a slot on its way here, asked for after -ASK
		}
		if o == r.master && cl.clusterReadonly && cmd.Name != "exec" && cmd.Flags&FlagWrite == 0 {
			return "" // READONLY: a replica serves its master's slots for reads
		}
		return "MOVED " + strconv.Itoa(slot) + " " + r.addrs[o-1]
	}
	return ""
}

// clusterCheck refuses a script's call that this node may not run in cluster mode,
// in redis-server 7.0's words: a key of a slot served elsewhere (or of two slots), a
// down cluster, or keys of another slot than the run's earlier ones.
func (r *scriptRun) clusterCheck(cmd *Command, args [][]byte) string {
	route := r.srv.cluster.route.Load()
	slot := -1
	for _, p := range cmd.keyPositions(args) {
		s := keySlot(args[p])
		switch {
		case slot < 0:
			slot = s
		case s != slot:
			return "ERR Script attempted to access a non local key in a cluster node"
		}
	}
	if slot < 0 {
		return ""
	}
	o := route.owner[slot]
	switch {
	case o < 0:
		return "ERR Script attempted to access a non local key in a cluster node"
	case !route.ok && !route.allowReads:
		return "ERR Script attempted to execute a command while the cluster is down"
	case !route.ok && cmd.Flags&FlagWrite != 0:
		return "ERR Script attempted to execute a write command while the cluster is down and readonly"
	case o > 0 && !(o == route.master && r.readonly && cmd.Flags&FlagWrite == 0):
		return "ERR Script attempted to access a non local key in a cluster node"
	}
	if !r.crossSlot {
		if r.slot < 0 {
			r.slot = slot
		} else if r.slot != slot {
			return "ERR Script attempted to access keys that do not hash to the same slot"
		}
	}
	return ""
}

// clusterOnlyDB0 refuses, in cluster mode, the commands that reach another database
// than 0, in redis-server's words.
func clusterOnlyDB0(cmd *Command, args [][]byte) string {
	switch cmd.Name {
	case "swapdb":
		return "ERR SWAPDB is not allowed in cluster mode"
	case "move":
		return "ERR MOVE is not allowed in cluster mode"
	case "copy":
		for i := 3; i+1 < len(args); i++ {
			if strings.EqualFold(string(args[i]), "db") && string(args[i+1]) != "0" {
				return "ERR Copying to another database is not allowed in cluster mode"
			}
		}
	}
	return ""
}

// isRedirect reports whether msg is a cluster redirection or refusal.
func isRedirect(msg string) bool {
	for _, p := range []string{"MOVED ", "ASK ", "CROSSSLOT ", "CLUSTERDOWN ", "TRYAGAIN "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// hasKeys reports whether cluster routing looks at the command: it has keys, or is
// EXEC.
func (c *Command) hasKeys() bool {
	return len(c.KeySpecs) > 0 || c.keysFn != nil || c.Name == "exec"
}

// CLUSTER subcommands. A server without cluster-enabled answers errNoCluster to all
// but KEYSLOT and HELP, as Redis does.

func (cl *client) clusterOn(w *proto.Writer) *clusterState {
	if cl.srv.cluster == nil {
		w.Error(errNoCluster)
		return nil
	}
	return cl.srv.cluster
}

// CLUSTER KEYSLOT key
func clusterKeyslotCmd(cl *client, args [][]byte, w *proto.Writer) {
	if cl.clusterOn(w) != nil {
		w.Int(int64(keySlot(args[2])))
	}
}

// CLUSTER MYID
func clusterMyidCmd(cl *client, _ [][]byte, w *proto.Writer) {
	if cs := cl.clusterOn(w); cs != nil {
		w.BulkString(cs.myself.id)
	}
}

// CLUSTER INFO
func clusterInfoCmd(cl *client, _ [][]byte, w *proto.Writer) {
	if cs := cl.clusterOn(w); cs != nil {
		w.Verbatim("txt", cs.info())
	}
}

// info is CLUSTER INFO's text.
func (cs *clusterState) info() string {
	cs.mu.Lock()
	state := "fail"
	if cs.ok {
		state = "ok"
	}
	assigned, pfail, fail := 0, 0, 0
	for _, n := range cs.owner {
		switch {
		case n == nil:
			continue
		case n.fail:
			fail++
		case n.pfail:
			pfail++
		}
		assigned++
	}
	size := 0
	for _, n := range cs.nodes {
		if n.master == "" && !n.handshake && cs.ownsAny(n) {
			size++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cluster_state:%s\r\ncluster_slots_assigned:%d\r\ncluster_slots_ok:%d\r\ncluster_slots_pfail:%d\r\ncluster_slots_fail:%d\r\n",
		state, assigned, assigned-pfail-fail, pfail, fail)
	fmt.Fprintf(&b, "cluster_known_nodes:%d\r\ncluster_size:%d\r\ncluster_current_epoch:%d\r\ncluster_my_epoch:%d\r\n",
		len(cs.nodes), max(size, 1), cs.currentEpoch, cs.myEpochLocked())
	fmt.Fprintf(&b, "cluster_stats_messages_sent:%d\r\ncluster_stats_messages_received:%d\r\ntotal_cluster_links_buffer_limit_exceeded:0\r\n",
		cs.sent.Load(), cs.recv.Load())
	cs.mu.Unlock()
	return b.String()
}

// myEpochLocked is this node's config epoch, or its master's for a replica.
func (cs *clusterState) myEpochLocked() uint64 {
	if m := cs.nodes[cs.myself.master]; m != nil {
		return m.configEpoch
	}
	return cs.myself.configEpoch
}

func (cs *clusterState) ownsAny(n *clusterNode) bool {
	return slices.Contains(cs.owner[:], n)
}

// slotsOf returns the slot ranges n serves.
func (cs *clusterState) slotsOf(n *clusterNode) [][2]int {
	var set slotSet
	for i, o := range cs.owner {
		if o == n {
			set.set(i)
		}
	}
	return set.ranges()
}

// nodeLine is one CLUSTER NODES line (and nodes.conf line) without the newline.
func (cs *clusterState) nodeLine(n *clusterNode) string {
	master := "-"
	if n.master != "" {
		master = n.master
	}
	link := "disconnected"
	if n.myself || n.linked {
		link = "connected"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s:%d@%d %s %s %d %d %d %s", n.id, n.ip, n.port, n.busPort, n.flags(), master,
		n.pingSent, n.pongRecv, n.configEpoch, link)
	for _, r := range cs.slotsOf(n) {
		if r[0] == r[1] {
			fmt.Fprintf(&b, " %d", r[0])
		} else {
			fmt.Fprintf(&b, " %d-%d", r[0], r[1])
		}
	}
	if n.myself {
		for _, s := range sortedSlots(cs.migrating) {
			fmt.Fprintf(&b, " [%d->-%s]", s, cs.migrating[s].id)
		}
		for _, s := range sortedSlots(cs.importing) {
			fmt.Fprintf(&b, " [%d-<-%s]", s, cs.importing[s].id)
		}
	}
	return b.String()
}

func sortedSlots(m map[int]*clusterNode) []int {
	out := make([]int, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	sort.Ints(out)
	return out
}

// sortedNodes lists the nodes in id order; cs.mu is held.
func (cs *clusterState) sortedNodes() []*clusterNode {
	out := make([]*clusterNode, 0, len(cs.nodes))
	for _, n := range cs.nodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// CLUSTER NODES
func clusterNodesCmd(cl *client, _ [][]byte, w *proto.Writer) {
	cs := cl.clusterOn(w)
	if cs == nil {
		return
	}
	cs.mu.Lock()
	var b strings.Builder
	for _, n := range cs.sortedNodes() {
		b.WriteString(cs.nodeLine(n) + "\n")
	}
	cs.mu.Unlock()
	w.Verbatim("txt", b.String())
}

// CLUSTER SLOTS
func clusterSlotsCmd(cl *client, _ [][]byte, w *proto.Writer) {
	cs := cl.clusterOn(w)
	if cs == nil {
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	type span struct {
		start, end int
		n          *clusterNode
	}
	var spans []span
	for i := 0; i < clusterSlots; i++ {
		n := cs.owner[i]
		if n == nil {
			continue
		}
		j := i
		for j+1 < clusterSlots && cs.owner[j+1] == n {
			j++
		}
		spans = append(spans, span{i, j, n})
		i = j
	}
	w.Array(len(spans))
	for _, sp := range spans {
		replicas := cs.replicasOf(sp.n)
		w.Array(3 + len(replicas))
		w.Int(int64(sp.start))
		w.Int(int64(sp.end))
		for _, n := range append([]*clusterNode{sp.n}, replicas...) {
			w.Array(4)
			w.BulkString(n.ip)
			w.Int(int64(n.port))
			w.BulkString(n.id)
			w.Map(0)
		}
	}
}

// replicasOf lists the known replicas of master n that are not failing.
func (cs *clusterState) replicasOf(n *clusterNode) []*clusterNode {
	var out []*clusterNode
	for _, r := range cs.sortedNodes() {
		if r.master == n.id && !r.fail {
			out = append(out, r)
		}
	}
	return out
}

// CLUSTER SHARDS
func clusterShardsCmd(cl *client, _ [][]byte, w *proto.Writer) {
	cs := cl.clusterOn(w)
	if cs == nil {
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var masters []*clusterNode
	for _, n := range cs.sortedNodes() {
		if n.master == "" && !n.handshake {
			masters = append(masters, n)
		}
	}
	w.Array(len(masters))
	for _, m := range masters {
		w.Map(2)
		w.BulkString("slots")
		ranges := cs.slotsOf(m)
		w.Array(2 * len(ranges))
		for _, r := range ranges {
			w.Int(int64(r[0]))
			w.Int(int64(r[1]))
		}
		w.BulkString("nodes")
		members := append([]*clusterNode{m}, cs.replicasOf(m)...)
		w.Array(len(members))
		for _, n := range members {
			role, health := "master", "online"
			if n.master != "" {
				role = "replica"
			}
			if n.fail || n.pfail {
				health = "failed"
			}
			w.Map(7)
			w.BulkString("id")
			w.BulkString(n.id)
			w.BulkString("port")
			w.Int(int64(n.port))
			w.BulkString("ip")
			w.BulkString(n.ip)
			w.BulkString("endpoint")
			w.BulkString(n.ip)
			w.BulkString("role")
			w.BulkString(role)
			w.BulkString("replication-offset")
			w.Int(0)
			w.BulkString("health")
			w.BulkString(health)
		}
	}
}

// parseSlot reads a slot number, answering Redis's error when it is not one.
func parseSlot(b []byte, w *proto.Writer) (int, bool) {
	n, ok := proto.ParseInt(b)
	if !ok || n < 0 || n >= clusterSlots {
		w.Error("ERR Invalid or out of range slot")
		return 0, false
	}
	return int(n), true
}

// CLUSTER ADDSLOTS slot [slot ...] | DELSLOTS slot [slot ...]
func clusterAddslotsCmd(cl *client, args [][]byte, w *proto.Writer) {
	slots, ok := slotArgs(args[2:], false, w)
	if ok {
		cl.assignSlots(slots, strings.EqualFold(string(args[1]), "addslots"), w)
	}
}

// CLUSTER ADDSLOTSRANGE start end [start end ...] | DELSLOTSRANGE ...
func clusterAddslotsrangeCmd(cl *client, args [][]byte, w *proto.Writer) {
	if len(args)%2 != 0 {
		w.Error("ERR wrong number of arguments for '" + strings.ToLower(string(args[0])) + "|" + strings.ToLower(string(args[1])) + "' command")
		return
	}
	slots, ok := slotArgs(args[2:], true, w)
	if ok {
		cl.assignSlots(slots, strings.EqualFold(string(args[1]), "addslotsrange"), w)
	}
}

// slotArgs reads slot numbers, or start-end pairs when ranges is set.
func slotArgs(args [][]byte, ranges bool, w *proto.Writer) ([]int, bool) {
	var out []int
	if !ranges {
		for _, a := range args {
			n, ok := parseSlot(a, w)
			if !ok {
				return nil, false
			}
			out = append(out, n)
		}
		return out, true
	}
	for i := 0; i+1 < len(args); i += 2 {
		a, ok1 := parseSlot(args[i], w)
		if !ok1 {
			return nil, false
		}
		b, ok2 := parseSlot(args[i+1], w)
		if !ok2 {
			return nil, false
		}
		if a > b {
			w.Error(fmt.Sprintf("ERR start slot number %d is greater than end slot number %d", a, b))
			return nil, false
		}
		for s := a; s <= b; s++ {
			out = append(out, s)
		}
	}
	return out, true
}

// assignSlots adds the slots to this node (add) or removes them from their owner,
// all or nothing, with Redis's checks.
func (cl *client) assignSlots(slots []int, add bool, w *proto.Writer) {
	cs := cl.clusterOn(w)
	if cs == nil {
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if add && cs.myself.master != "" {
		w.Error("ERR Invalid slot assignment: a replica can't own slots")
		return
	}
	seen := map[int]bool{}
	for _, s := range slots {
		switch {
		case add && cs.owner[s] != nil:
			w.Error(fmt.Sprintf("ERR Slot %d is already busy", s))
			return
		case !add && cs.owner[s] == nil:
			w.Error(fmt.Sprintf("ERR Slot %d is already unassigned", s))
			return
		case seen[s]:
			w.Error(fmt.Sprintf("ERR Slot %d specified multiple times", s))
			return
		}
		seen[s] = true
	}
	for _, s := range slots {
		if add {
			cs.owner[s] = cs.myself
		} else {
			cs.owner[s] = nil
		}
	}
	cs.changedLocked()
	w.OK()
}

// CLUSTER FLUSHSLOTS
func clusterFlushslotsCmd(cl *client, _ [][]byte, w *proto.Writer) {
	cs := cl.clusterOn(w)
	if cs == nil {
		return
	}
	cl.whenEmpty(func(w *proto.Writer, empty bool) {
		if !empty {
			w.Error("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.")
			return
		}
		cs.mu.Lock()
		for i, n := range cs.owner {
			if n == cs.myself {
				cs.owner[i] = nil
			}
		}
		cs.changedLocked()
		cs.mu.Unlock()
		w.OK()
	})
}

// CLUSTER MEET ip port [cluster-bus-port]
func clusterMeetCmd(cl *client, args [][]byte, w *proto.Writer) {
	cs := cl.clusterOn(w)
	if cs == nil {
		return
	}
	if len(args) > 5 {
		w.Error(proto.ErrSyntax)
		return
	}
	port, ok1 := proto.ParseInt(args[3])
	bus := port + 10000
	ok2 := true
	if len(args) == 5 {
		bus, ok2 = proto.ParseInt(args[4])
	}
	if !ok1 || !ok2 || port <= 0 || port > 65535 || bus <= 0 || bus > 65535 {
		w.Error("ERR Invalid base port specified: " + string(args[3]))
		return
	}
	ip := string(args[2])
	if net.ParseIP(ip) == nil {
		w.Error("ERR Invalid node address specified: " + ip + ":" + string(args[3]))
		return
	}
	cs.meet(ip, int(port), int(bus))
	w.OK()
}

// CLUSTER FORGET node-id
func clusterForgetCmd(cl *client, args [][]byte, w *proto.Writer) {
	cs := cl.clusterOn(w)
	if cs == nil {
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	n := cs.nodeArgLocked(args[2], w)
	switch {
	case n == nil:
		return
	case n == cs.myself:
		w.Error("ERR I tried hard but I can't forget myself...")
		return
	case cs.myself.master == n.id:
		w.Error("ERR Can't forget my master!")
		return
	}
	cs.forgetLocked(n)
	w.OK()
}

// nodeArgLocked finds the node a command names, answering Redis's error when it is
// unknown. cs.mu is held.
func (cs *clusterState) nodeArgLocked(id []byte, w *proto.Writer) *clusterNode {
	n := cs.nodes[string(id)]
	if n == nil {
		w.Error("ERR Unknown node " + string(id))
	}
	return n
}

// forgetLocked removes n from the table and frees its slots.
func (cs *clusterState) forgetLocked(n *clusterNode) {
	delete(cs.nodes, n.id)
	for i, o := range cs.owner {
		if o == n {
			cs.owner[i] = nil
		}
	}
	for s, o := range cs.migrating {
		if o == n {
			delete(cs.migrating, s)
		}
	}
	for s, o := range cs.importing {
		if o == n {
			delete(cs.importing, s)
		}
	}
	if n.link != nil {
		n.link.close()
	}
	cs.changedLocked()
}

// CLUSTER SET-CONFIG-EPOCH epoch
func clusterSetConfigEpochCmd(cl *client, args [][]byte, w *proto.Writer) {
	cs := cl.clusterOn(w)
	if cs == nil {
		return
	}
	e, ok := proto.ParseInt(args[2])
	if !ok || e < 0 {
		w.Error("ERR Invalid config epoch specified: " + string(args[2]))
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	known := 0
	for _, n := range cs.nodes {
		if !n.handshake {
			known++
		}
	}
	switch {
	case known > 1:
		w.Error("ERR The user can assign a config epoch only when the node does not know any other node.")
	case cs.myself.configEpoch != 0:
		w.Error("ERR Node config epoch is already non-zero")
	default:
		cs.myself.configEpoch = uint64(e)
		cs.currentEpoch = max(cs.currentEpoch, uint64(e))
		cs.changedLocked()
		w.OK()
	}
}

// CLUSTER BUMPEPOCH
func clusterBumpepochCmd(cl *client, _ [][]byte, w *proto.Writer) {
	cs := cl.clusterOn(w)
	if cs == nil {
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	status := "STILL"
	if cs.myself.configEpoch == 0 || cs.myself.configEpoch != cs.maxEpochLocked() {
		cs.currentEpoch++
		cs.myself.configEpoch = cs.currentEpoch
		status = "BUMPED"
		cs.changedLocked()
	}
	w.Simple(fmt.Sprintf("%s %d", status, cs.myself.configEpoch))
}

func (cs *clusterState) maxEpochLocked() uint64 {
	m := cs.currentEpoch
	for _, n := range cs.nodes {
		m = max(m, n.configEpoch)
	}
	return m
}

// CLUSTER COUNTKEYSINSLOT slot
func clusterCountkeysinslotCmd(cl *client, args [][]byte, w *proto.Writer) {
	if cl.clusterOn(w) == nil {
		return
	}
	slot, ok := proto.ParseInt(args[2])
	if !ok {
		w.Error(proto.ErrNotInt)
		return
	}
	if slot < 0 || slot >= clusterSlots {
		w.Error("ERR Invalid slot")
		return
	}
	cl.keysInSlot(int(slot), 0, func(w *proto.Writer, _ [][]byte, count int) { w.Int(int64(count)) })
}

// CLUSTER GETKEYSINSLOT slot count
func clusterGetkeysinslotCmd(cl *client, args [][]byte, w *proto.Writer) {
	if cl.clusterOn(w) == nil {
		return
	}
	slot, ok1 := proto.ParseInt(args[2])
	count, ok2 := proto.ParseInt(args[3])
	if !ok1 || !ok2 {
		w.Error(proto.ErrNotInt)
		return
	}
	if count < 0 || slot < 0 || slot >= clusterSlots {
		w.Error("ERR Invalid slot or number of keys")
		return
	}
	cl.keysInSlot(int(slot), int(count), func(w *proto.Writer, keys [][]byte, _ int) {
		w.Array(len(keys))
		for _, k := range keys {
			w.Bulk(k)
		}
	})
}

// keysInSlot collects up to limit keys of database 0 in slot from the shards' slot
// indexes (shard/slots.go), with the slot's key count, then answers with reply.
func (cl *client) keysInSlot(slot, limit int, reply func(w *proto.Writer, keys [][]byte, count int)) {
	found := make([][][]byte, cl.srv.n)
	counts := make([]int, cl.srv.n)
	t := cl.newTxn(true)
	t.claimAll(false)
	t.last(cl.srv.allShards(), func(sh *shard.Shard, i int) {
		found[i], counts[i] = sh.KeysInSlot(slot, limit, nil)
	}, func(w *proto.Writer) {
		var keys [][]byte
		total := 0
		for i, f := range found {
			keys = append(keys, f...)
			total += counts[i]
		}
		if len(keys) > limit {
			keys = keys[:limit]
		}
		reply(w, keys, total)
	})
}

// whenEmpty runs then, on the client's loop, with whether every database of every
// shard is empty.
func (cl *client) whenEmpty(then func(w *proto.Writer, empty bool)) {
	counts := make([]int, cl.srv.n)
	t := cl.newTxn(true)
	t.claimAll(false)
	t.last(cl.srv.allShards(), func(sh *shard.Shard, i int) {
		for db := range cl.srv.cfg.Databases {
			k, _ := sh.KeyCount(db)
			counts[i] += k
		}
	}, func(w *proto.Writer) {
		total := 0
		for _, c := range counts {
			total += c
		}
		then(w, total == 0)
	})
}

// CLUSTER RESET [HARD|SOFT]
func clusterResetCmd(cl *client, args [][]byte, w *proto.Writer) {
	cs := cl.clusterOn(w)
	if cs == nil {
		return
	}
	hard := false
	if len(args) == 3 {
		switch strings.ToLower(string(args[2])) {
		case "hard":
			hard = true
		case "soft":
		default:
			w.Error(proto.ErrSyntax)
			return
		}
	}
	cl.whenEmpty(func(w *proto.Writer, empty bool) {
		if cs.myself.master == "" && !empty {
			w.Error("ERR CLUSTER RESET can't be called with master nodes containing keys")
			return
		}
		cs.reset(hard)
		w.OK()
	})
}

// reset forgets every other node and every slot; hard also takes a new id and resets
// the epochs.
func (cs *clusterState) reset(hard bool) {
	cs.mu.Lock()
	for _, n := range cs.nodes {
		if n != cs.myself {
			cs.forgetLocked(n)
		}
	}
	cs.owner = [clusterSlots]*clusterNode{}
	cs.myself.master = ""
	if hard {
		cs.currentEpoch, cs.lastVote, cs.myself.configEpoch = 0, 0, 0
		delete(cs.nodes, cs.myself.id)
		cs.myself.id = newNodeID()
		cs.nodes[cs.myself.id] = cs.myself
	}
	cs.changedLocked()
	cs.mu.Unlock()
}

// CLUSTER SAVECONFIG
func clusterSaveconfigCmd(cl *client, _ [][]byte, w *proto.Writer) {
	cs := cl.clusterOn(w)
	if cs == nil {
		return
	}
	if err := cs.writeFile(); err != nil {
		w.Error("ERR error saving the cluster node config: " + err.Error())
		return
	}
	w.OK()
}

// CLUSTER COUNT-FAILURE-REPORTS node-id
func clusterCountFailureReportsCmd(cl *client, args [][]byte, w *proto.Writer) {
	cs := cl.clusterOn(w)
	if cs == nil {
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if n := cs.nodeArgLocked(args[2], w); n != nil {
		w.Int(int64(len(n.reports)))
	}
}

// CLUSTER HELP
func clusterHelpCmd(cl *client, _ [][]byte, w *proto.Writer) {
	if cl.clusterOn(w) == nil {
		return
	}
	helpReply(w, "CLUSTER", []string{
		"ADDSLOTS <slot> [<slot> ...]", "    Assign slots to this node.",
		"ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]", "    Assign slot ranges to this node.",
		"BUMPEPOCH", "    Advance the cluster config epoch.",
		"COUNT-FAILURE-REPORTS <node-id>", "    Return the number of failure reports for <node-id>.",
		"COUNTKEYSINSLOT <slot>", "    Return the number of keys in <slot>.",
		"DELSLOTS <slot> [<slot> ...]", "    Delete slots information from this node.",
		"DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]", "    Delete slot ranges information from this node.",
		"FLUSHSLOTS", "    Delete all slots information from this node.",
		"FORGET <node-id>", "    Remove a node from the cluster.",
		"GETKEYSINSLOT <slot> <count>", "    Return key names stored by this node in a slot.",
		"INFO", "    Return information about the cluster.",
		"KEYSLOT <key>", "    Return the hash slot for <key>.",
		"MEET <ip> <port> [<bus-port>]", "    Connect nodes into a working cluster.",
		"MYID", "    Return the node id.",
		"NODES", "    Return cluster configuration seen by node.",
		"RESET [HARD|SOFT]", "    Reset current node (default: soft).",
		"SAVECONFIG", "    Force saving cluster configuration on disk.",
		"SET-CONFIG-EPOCH <epoch>", "    Set config epoch of current node.",
		"SHARDS", "    Return information about slot range mappings and the nodes associated with them.",
		"SLOTS", "    Return information about slots range mappings.",
	})
}

// writeFile writes the node table to cluster-config-file, as Redis's nodes.conf.
func (cs *clusterState) writeFile() error {
	cs.mu.Lock()
	var b strings.Builder
	for _, n := range cs.sortedNodes() {
		if n.handshake {
			continue
		}
		b.WriteString(cs.nodeLine(n) + "\n")
	}
	fmt.Fprintf(&b, "vars currentEpoch %d lastVoteEpoch %d\n", cs.currentEpoch, cs.lastVote)
	cs.mu.Unlock()
	return replaceFile(cs.file, []byte(b.String())) // config_rewrite.go
}

// load reads cluster-config-file when it exists.
func (cs *clusterState) load() error {
	data, err := os.ReadFile(cs.file)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	bad := func(line int, why string) error {
		return fmt.Errorf("%s:%d: unrecoverable error in the cluster config file: %s", cs.file, line, why)
	}
	type pending struct {
		n     *clusterNode
		slots []string
	}
	var all []pending
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "vars" {
			for j := 1; j+1 < len(f); j += 2 {
				v, _ := strconv.ParseUint(f[j+1], 10, 64)
				switch f[j] {
				case "currentEpoch":
					cs.currentEpoch = v
				case "lastVoteEpoch":
					cs.lastVote = v
				}
			}
			continue
		}
		if len(f) < 8 || len(f[0]) != 40 {
			return bad(i+1, "a node line has fewer than 8 fields")
		}
		n := &clusterNode{id: f[0]}
		addr, bus, _ := strings.Cut(f[1], "@")
		bus, _, _ = strings.Cut(bus, ",")
		host, port, ok := strings.Cut(addr[max(strings.LastIndexByte(addr, ':'), 0):], ":")
		_ = host
		if !ok {
			return bad(i+1, "bad address "+f[1])
		}
		n.ip = addr[:strings.LastIndexByte(addr, ':')]
		n.port, _ = strconv.Atoi(port)
		n.busPort, _ = strconv.Atoi(bus)
		for _, fl := range strings.Split(f[2], ",") {
			switch fl {
			case "myself":
				n.myself = true
				cs.myself = n
			case "fail":
				n.fail = true
			}
		}
		if f[3] != "-" {
			n.master = f[3]
		}
		n.configEpoch, _ = strconv.ParseUint(f[6], 10, 64)
		cs.nodes[n.id] = n
		all = append(all, pending{n, f[8:]})
	}
	for _, p := range all {
		for _, r := range p.slots {
			if strings.HasPrefix(r, "[") {
				continue // a migrating or importing slot: not kept
			}
			a, b, isRange := strings.Cut(r, "-")
			lo, err1 := strconv.Atoi(a)
			hi := lo
			var err2 error
			if isRange {
				hi, err2 = strconv.Atoi(b)
			}
			if err1 != nil || err2 != nil || lo < 0 || hi >= clusterSlots || lo > hi {
				return bad(0, "bad slot range "+r)
			}
			for s := lo; s <= hi; s++ {
				cs.owner[s] = p.n
			}
		}
	}
	if cs.myself == nil && len(cs.nodes) > 0 {
		return bad(0, "no myself line")
	}
	return nil
}

// saver writes nodes.conf after changes, at most every 100 ms.
func (cs *clusterState) saver() {
	for {
		select {
		case <-cs.stop:
			return
		case <-cs.save:
		}
		if err := cs.writeFile(); err != nil {
			cs.srv.log.warning("Writing the cluster config file: %v", err)
		}
		select {
		case <-cs.stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// READONLY lets the connection read its replica's master's slots here; READWRITE ends
// that.

func readonlyCmd(cl *client, _ [][]byte, w *proto.Writer) {
	if cl.clusterOn(w) != nil {
		cl.clusterReadonly = true
		w.OK()
	}
}

func readwriteCmd(cl *client, _ [][]byte, w *proto.Writer) {
	if cl.clusterOn(w) != nil {
		cl.clusterReadonly = false
		w.OK()
	}
}
