package coord

// Cluster replicas and failover. CLUSTER REPLICATE makes this node a replica of a
// master through the ordinary replication link (replica.go); the bus tells the others.
// When a master is FAIL, its replicas hold an election, as Redis Cluster's do: after a
// short random delay a replica takes a new current epoch and asks the masters that
// serve slots for their vote; a master grants one vote per epoch, and only for a
// replica of a failed master (or one asking with FORCE); the replica with a majority
// takes its master's slots under the new epoch, which wins them on every node, and
// stops replicating. The old master, when it comes back, and the other replicas see
// the slots go to the new master and replicate it.

import (
	"math/rand/v2"
	"strings"
	"time"

	"github.com/basaltdb/basalt/proto"
)

// election is a replica's failover in progress.
type election struct {
	at    int64  // Unix ms when it starts (scheduled), 0 when it started
	epoch uint64 // the epoch asked for, once started
	end   int64  // Unix ms when it gives up
	force bool
	votes map[string]bool
}

// replicateLocked makes this node a replica of master: the bus announces it, and the
// replication link syncs from master's address. cs.mu is held.
func (cs *clusterState) replicateLocked(master *clusterNode) {
	me := cs.myself
	for i, o := range cs.owner {
		if o == me {
			cs.owner[i] = nil
		}
	}
	me.master = master.id
	cs.election = nil
	host, port := master.ip, master.port
	srv := cs.srv
	go func() {
		srv.startReplication(host, port) // replica.go
		srv.cfg.mu.Lock()
		srv.cfg.ReplicaOf = "" // the node table, not the config file, says whom to follow
		srv.cfg.mu.Unlock()
	}()
}

// mastersServing counts the masters that serve slots, the electorate.
func (cs *clusterState) mastersServing() int {
	n := 0
	for _, x := range cs.nodes {
		if x.master == "" && !x.handshake && cs.ownsAny(x) {
			n++
		}
	}
	return n
}

// electionStep runs a replica's failover from the cron. cs.mu is held.
func (cs *clusterState) electionStep(now int64) {
	me := cs.myself
	m := cs.nodes[me.master]
	e := cs.election
	if m == nil || !cs.ownsAny(m) || (!m.fail && (e == nil || !e.force)) {
		cs.election = nil
		return
	}
	timeout := max(cs.nodeTimeout().Milliseconds()*2, 2000)
	switch {
	case e == nil && cs.opts.noFailover:
		// cluster-replica-no-failover: only CLUSTER FAILOVER starts one.
	case e == nil:
		// As in Redis, the replicas that are behind wait a second more for each
		// better one, so that the most up-to-date replica is elected first.
		cs.election = &election{at: now + 500 + rand.Int64N(500) + 1000*int64(cs.rankLocked(m))}
	case e.epoch == 0 && now >= e.at:
		cs.startElectionLocked(now, timeout)
	case e.epoch != 0 && now > e.end:
		// No majority in time: try again later with a new epoch.
		cs.election = &election{at: now + timeout, force: e.force}
	}
}

// rankLocked counts the other replicas of master whose offset is ahead of this one's.
func (cs *clusterState) rankLocked(master *clusterNode) int {
	mine, rank := cs.srv.replOffset(), 0
	for _, n := range cs.nodes {
		if n != cs.myself && n.master == master.id && !n.fail && n.offset > mine {
			rank++
		}
	}
	return rank
}

func (cs *clusterState) startElectionLocked(now, timeout int64) {
	e := cs.election
	cs.currentEpoch++
	e.epoch, e.end, e.votes = cs.currentEpoch, now+timeout, map[string]bool{}
	req := cs.messageLocked("auth-req", nil)
	req.CurrentEpoch, req.Force = e.epoch, e.force
	cs.broadcastLocked(req)
	cs.changedLocked()
}

// grantVoteLocked decides a master's vote on a replica's request, as Redis does:
// once per epoch, only for a replica of a failed master (unless forced), and not
// twice for replicas of one master within twice the node timeout.
func (cs *clusterState) grantVoteLocked(from *clusterNode, m *busMsg, now int64) bool {
	me := cs.myself
	if me.master != "" || !cs.ownsAny(me) || m.CurrentEpoch < cs.currentEpoch || cs.lastVote >= m.CurrentEpoch {
		return false
	}
	master := cs.nodes[from.master]
	if master == nil || master.master != "" || (!master.fail && !m.Force) {
		return false
	}
	if at, ok := cs.votedFor[master.id]; ok && now-at < 2*cs.nodeTimeout().Milliseconds() {
		return false
	}
	cs.lastVote = m.CurrentEpoch
	cs.votedFor[master.id] = now
	return true
}

// countVoteLocked counts a master's vote for this replica's election and promotes the
// replica on a majority.
func (cs *clusterState) countVoteLocked(from *clusterNode, epoch uint64) {
	e := cs.election
	if e == nil || e.epoch == 0 || epoch != e.epoch || from.master != "" || !cs.ownsAny(from) {
		return
	}
	e.votes[from.id] = true
	if len(e.votes) >= cs.mastersServing()/2+1 {
		cs.promoteLocked(e.epoch)
	}
}

// promoteLocked turns this replica into the master of its master's slots under epoch,
// and tells every node.
func (cs *clusterState) promoteLocked(epoch uint64) {
	me := cs.myself
	old := cs.nodes[me.master]
	for i, o := range cs.owner {
		if o == old {
			cs.owner[i] = me
		}
	}
	me.master, me.configEpoch = "", epoch
	cs.currentEpoch = max(cs.currentEpoch, epoch)
	cs.election = nil
	cs.changedLocked()
	cs.broadcastLocked(cs.messageLocked("pong", nil))
	srv := cs.srv
	go func() {
		srv.stopReplication() // replica.go: keeps the data
		srv.log.notice("Cluster failover: this replica is now the master of the failed master's slots (epoch %d)", epoch)
	}()
}

// CLUSTER REPLICATE node-id
func clusterReplicateCmd(cl *client, args [][]byte, w *proto.Writer) {
	cs := cl.clusterOn(w)
	if cs == nil {
		return
	}
	id := string(args[2])
	cs.mu.Lock()
	n := cs.nodes[id]
	msg := ""
	switch {
	case n == nil:
		msg = "ERR Unknown node " + id
	case n == cs.myself:
		msg = "ERR Can't replicate myself"
	case n.master != "":
		msg = "ERR I can only replicate a master, not a replica."
	case cs.myself.master == "" && cs.ownsAny(cs.myself):
		msg = "ERR To set a master the node must be empty and without assigned slots."
	}
	cs.mu.Unlock()
	if msg != "" {
		w.Error(msg)
		return
	}
	cl.whenEmpty(func(w *proto.Writer, empty bool) {
		cs.mu.Lock()
		defer cs.mu.Unlock()
		if cs.myself.master == "" && !empty {
			w.Error("ERR To set a master the node must be empty and without assigned slots.")
			return
		}
		if n := cs.nodes[id]; n != nil {
			cs.replicateLocked(n)
			cs.changedLocked()
		}
		w.OK()
	})
}

// CLUSTER REPLICAS node-id (and its old name SLAVES)
func clusterReplicasCmd(cl *client, args [][]byte, w *proto.Writer) {
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
	case n.master != "":
		w.Error("ERR The specified node is not a master")
		return
	}
	var lines []string
	for _, r := range cs.sortedNodes() {
		if r.master == n.id {
			lines = append(lines, cs.nodeLine(r)+"\n")
		}
	}
	w.Array(len(lines))
	for _, l := range lines {
		w.BulkString(l)
	}
}

// CLUSTER FAILOVER [FORCE|TAKEOVER]: on a replica. TAKEOVER takes the master's slots
// at once under a new epoch, without votes; FORCE, and the plain form, hold an
// election now whether or not the master is failing (Basalt does not wait for the
// master to hand over, as Redis's plain form does).
func clusterFailoverCmd(cl *client, args [][]byte, w *proto.Writer) {
	cs := cl.clusterOn(w)
	if cs == nil {
		return
	}
	takeover := false
	if len(args) == 3 {
		switch strings.ToLower(string(args[2])) {
		case "force":
		case "takeover":
			takeover = true
		default:
			w.Error(proto.ErrSyntax)
			return
		}
	} else if len(args) > 3 {
		w.Error(proto.ErrSyntax)
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	me := cs.myself
	m := cs.nodes[me.master]
	switch {
	case me.master == "":
		w.Error("ERR You should send CLUSTER FAILOVER to a replica")
		return
	case m == nil:
		w.Error("ERR I'm a replica but my master is unknown to me")
		return
	}
	now := time.Now().UnixMilli()
	if takeover {
		cs.currentEpoch++
		cs.promoteLocked(cs.currentEpoch)
	} else {
		cs.election = &election{force: true}
		cs.startElectionLocked(now, max(cs.nodeTimeout().Milliseconds()*2, 2000))
	}
	w.OK()
}
