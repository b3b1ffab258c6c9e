package coord

// The cluster bus: how Basalt nodes tell each other who they are, which slots they
// serve and which nodes seem down. Each node listens on its bus port (port + 10000
// unless cluster-port says otherwise) and keeps one outgoing link to every node it
// knows, on which it sends pings and reads pongs; a node answers a ping or a meet on
// the connection it came on. A message is a 4-byte big-endian length and a JSON body:
// Basalt's own format, not Redis's binary one, so Basalt nodes cluster only with
// Basalt nodes.
//
// What travels: the sender's id, address, role, config epoch and slots, the cluster's
// current epoch, and gossip about the other nodes the sender knows (address and
// whether it thinks they fail). A receiver takes a slot claimed by a sender whose
// config epoch is higher than the owner's it knows; learns about unknown nodes from
// gossip and meets them; and marks a node FAIL once a majority of the masters serving
// slots found it unreachable (PFAIL) within twice the node timeout, telling the others.

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// busNode is what a message says about one node.
type busNode struct {
	ID          string `json:"id"`
	IP          string `json:"ip,omitempty"`
	Port        int    `json:"port"`
	BusPort     int    `json:"bus"`
	Master      string `json:"master,omitempty"`
	ConfigEpoch uint64 `json:"epoch"`
	PFail       bool   `json:"pfail,omitempty"`
	Fail        bool   `json:"fail,omitempty"`
	// Offset is a replica's replication offset, for its rank in elections.
	Offset int64 `json:"offset,omitempty"`
}

// busMsg is one bus message.
type busMsg struct {
	Type         string    `json:"type"` // meet, ping, pong, fail
	Sender       busNode   `json:"sender"`
	Slots        [][2]int  `json:"slots,omitempty"`
	CurrentEpoch uint64    `json:"current"`
	YourIP       string    `json:"yourip,omitempty"`
	Gossip       []busNode `json:"gossip,omitempty"`
	FailID       string    `json:"fail,omitempty"`
	// Force asks masters to vote although the sender's master is not failing
	// (CLUSTER FAILOVER FORCE).
	Force bool `json:"force,omitempty"`
}

const maxBusMsg = 1 << 20

func writeBusMsg(w io.Writer, m *busMsg) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	buf := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(buf, uint32(len(body)))
	copy(buf[4:], body)
	_, err = w.Write(buf)
	return err
}

func readBusMsg(r *bufio.Reader) (*busMsg, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head[:])
	if n > maxBusMsg {
		return nil, errors.New("cluster bus message too long")
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	m := &busMsg{}
	if err := json.Unmarshal(body, m); err != nil {
		return nil, err
	}
	return m, nil
}

// busLink is the outgoing link to one node.
type busLink struct {
	cs   *clusterState
	node *clusterNode
	once sync.Once
	done chan struct{}
	mu   sync.Mutex
	conn net.Conn
	// wmu keeps the pings and a broadcast from interleaving on the connection.
	wmu sync.Mutex
}

// send writes m on the link's connection c.
func (l *busLink) send(c net.Conn, m *busMsg) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	_ = c.SetWriteDeadline(time.Now().Add(l.cs.nodeTimeout() + time.Second))
	err := writeBusMsg(c, m)
	if err == nil {
		l.cs.sent.Add(1)
	}
	return err
}

func (l *busLink) close() {
	l.once.Do(func() {
		close(l.done)
		l.mu.Lock()
		if l.conn != nil {
			l.conn.Close()
		}
		l.mu.Unlock()
	})
}

// pingEvery is how often a link pings: a tenth of the node timeout, within 100 ms
// and 1 s.
func (cs *clusterState) pingEvery() time.Duration {
	return min(max(cs.nodeTimeout()/10, 100*time.Millisecond), time.Second)
}

// startBus opens the bus port and starts the links, the failure detector and the
// nodes.conf writer.
func (cs *clusterState) startBus() error {
	addr := net.JoinHostPort(cs.srv.busHost(), strconv.Itoa(cs.listenBus))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go func() {
		<-cs.stop
		ln.Close()
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go cs.serveInbound(c)
		}
	}()
	cs.mu.Lock()
	for _, n := range cs.nodes {
		if !n.myself {
			cs.linkLocked(n)
		}
	}
	cs.mu.Unlock()
	go cs.cron()
	go cs.saver()
	return nil
}

// busHost is the address the bus listens on: the first bind address.
func (s *Server) busHost() string {
	if len(s.cfg.Bind) > 0 && s.cfg.Bind[0] != "*" {
		return s.cfg.Bind[0]
	}
	return ""
}

// stopCluster closes the bus and the links.
func (cs *clusterState) stopBus() {
	close(cs.stop)
	cs.mu.Lock()
	for _, n := range cs.nodes {
		if n.link != nil {
			n.link.close()
		}
	}
	cs.mu.Unlock()
}

// meet adds a node known only by address and starts its link, which introduces this
// node with a meet message.
func (cs *clusterState) meet(ip string, port, bus int) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, n := range cs.nodes {
		if n.ip == ip && n.port == port && n.handshake {
			return
		}
	}
	n := &clusterNode{id: newNodeID(), ip: ip, port: port, busPort: bus, handshake: true, created: time.Now().UnixMilli()}
	cs.nodes[n.id] = n
	cs.linkLocked(n)
}

// linkLocked starts n's outgoing link; cs.mu is held.
func (cs *clusterState) linkLocked(n *clusterNode) {
	if n.link != nil {
		n.link.close()
	}
	l := &busLink{cs: cs, node: n, done: make(chan struct{})}
	n.link = l
	go l.run()
}

// run keeps the link connected and pinging until it is closed.
func (l *busLink) run() {
	cs := l.cs
	for {
		select {
		case <-l.done:
			return
		default:
		}
		cs.mu.Lock()
		addr := net.JoinHostPort(l.node.ip, strconv.Itoa(l.node.busPort))
		cs.mu.Unlock()
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			select {
			case <-l.done:
				return
			case <-time.After(cs.pingEvery()):
			}
			continue
		}
		l.mu.Lock()
		l.conn = c
		l.mu.Unlock()
		l.session(c)
		c.Close()
		cs.mu.Lock()
		l.node.linked = false
		cs.mu.Unlock()
	}
}

// session pings over one connection and handles the pongs, until either fails.
func (l *busLink) session(c net.Conn) {
	cs := l.cs
	remote := hostOf(c.RemoteAddr())
	errc := make(chan error, 1)
	go func() {
		r := bufio.NewReader(c)
		for {
			m, err := readBusMsg(r)
			if err != nil {
				errc <- err
				return
			}
			cs.handle(m, remote, l.node)
		}
	}()
	tick := time.NewTicker(cs.pingEvery())
	defer tick.Stop()
	for {
		typ := "ping"
		cs.mu.Lock()
		if l.node.handshake {
			typ = "meet"
		}
		if l.node.pingSent == 0 {
			l.node.pingSent = time.Now().UnixMilli()
		}
		m := cs.messageLocked(typ, l.node)
		cs.mu.Unlock()
		if err := l.send(c, m); err != nil {
			return
		}
		select {
		case <-l.done:
			return
		case <-errc:
			return
		case <-tick.C:
		}
	}
}

func hostOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	h, _, _ := net.SplitHostPort(a.String())
	return h
}

// serveInbound answers the pings and meets of one incoming connection.
func (cs *clusterState) serveInbound(c net.Conn) {
	defer c.Close()
	go func() {
		<-cs.stop
		c.Close()
	}()
	remote := hostOf(c.RemoteAddr())
	r := bufio.NewReader(c)
	for {
		m, err := readBusMsg(r)
		if err != nil {
			return
		}
		if reply := cs.handle(m, remote, nil); reply != nil {
			_ = c.SetWriteDeadline(time.Now().Add(cs.nodeTimeout() + time.Second))
			if writeBusMsg(c, reply) != nil {
				return
			}
			cs.sent.Add(1)
		}
	}
}

// messageLocked builds a message from this node; to is the receiver, if known.
func (cs *clusterState) messageLocked(typ string, to *clusterNode) *busMsg {
	me := cs.myself
	m := &busMsg{
		Type:         typ,
		Sender:       busNode{ID: me.id, IP: me.ip, Port: me.port, BusPort: me.busPort, Master: me.master, ConfigEpoch: me.configEpoch, Offset: cs.srv.replOffset()},
		Slots:        cs.slotsOf(me),
		CurrentEpoch: cs.currentEpoch,
	}
	if to != nil {
		m.YourIP = to.ip
	}
	for _, n := range cs.nodes {
		if n.myself || n.handshake {
			continue
		}
		m.Gossip = append(m.Gossip, busNode{ID: n.id, IP: n.ip, Port: n.port, BusPort: n.busPort,
			Master: n.master, ConfigEpoch: n.configEpoch, PFail: n.pfail, Fail: n.fail})
	}
	return m
}

// handle applies a message received from remoteIP; via is the node whose outgoing
// link it came back on (nil for an incoming connection). It returns the pong to send
// back for a ping or a meet.
func (cs *clusterState) handle(m *busMsg, remoteIP string, via *clusterNode) *busMsg {
	cs.recv.Add(1)
	now := time.Now().UnixMilli()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	changed := false
	me := cs.myself
	if me.ip == "" && m.YourIP != "" && cs.opts.announceIP == "" {
		me.ip, changed = m.YourIP, true
	}
	sender := cs.nodes[m.Sender.ID]
	if via != nil && cs.nodes[via.id] == via && via.handshake {
		// The answer to a meet: the node now has its real id.
		delete(cs.nodes, via.id)
		if sender == nil {
			via.id, via.handshake = m.Sender.ID, false
			cs.nodes[via.id] = via
			sender = via
		} else {
			via.link.close()
		}
		changed = true
	}
	if sender == nil {
		if m.Type != "meet" || m.Sender.ID == me.id {
			return nil
		}
		sender = &clusterNode{id: m.Sender.ID, created: now}
		cs.nodes[sender.id] = sender
		cs.linkLocked(sender)
		changed = true
	}
	if sender.myself {
		return nil
	}
	ip := m.Sender.IP
	if ip == "" {
		ip = remoteIP
	}
	if sender.ip != ip || sender.port != m.Sender.Port || sender.busPort != m.Sender.BusPort ||
		sender.master != m.Sender.Master || sender.configEpoch != m.Sender.ConfigEpoch {
		sender.ip, sender.port, sender.busPort = ip, m.Sender.Port, m.Sender.BusPort
		sender.master, sender.configEpoch = m.Sender.Master, m.Sender.ConfigEpoch
		changed = true
	}
	sender.pongRecv, sender.pingSent, sender.offset = now, 0, m.Sender.Offset
	if via != nil {
		sender.linked = true
	}
	if sender.pfail || sender.fail {
		sender.pfail, sender.fail = false, false
		changed = true
	}
	if m.CurrentEpoch > cs.currentEpoch {
		cs.currentEpoch, changed = m.CurrentEpoch, true
	}
	// Two masters with one config epoch: the one with the smaller id takes a new one.
	if sender.master == "" && me.master == "" && sender.configEpoch == me.configEpoch && sender.id > me.id {
		cs.currentEpoch++
		me.configEpoch = cs.currentEpoch
		changed = true
	}
	lost := map[*clusterNode]bool{}
	for _, r := range m.Slots {
		for s := max(r[0], 0); s <= r[1] && s < clusterSlots; s++ {
			if o := cs.owner[s]; o != sender && (o == nil || o.configEpoch < sender.configEpoch) {
				if o != nil {
					lost[o] = true
				}
				cs.owner[s], changed = sender, true
			}
		}
	}
	// A master that lost all its slots to the sender (a promoted replica) follows it as
	// a replica, and so do its replicas, as in Redis.
	if sender.master == "" && len(lost) > 0 {
		if follow := cs.nodes[me.master]; (me.master == "" && lost[me] && !cs.ownsAny(me)) ||
			(follow != nil && lost[follow] && !cs.ownsAny(follow)) {
			cs.replicateLocked(sender)
			changed = true
		}
	}
	for _, g := range m.Gossip {
		if g.ID == me.id {
			continue
		}
		n := cs.nodes[g.ID]
		if n == nil {
			if g.IP != "" && !sender.handshake && !cs.meetingLocked(g.IP, g.Port) {
				h := &clusterNode{id: newNodeID(), ip: g.IP, port: g.Port, busPort: g.BusPort, handshake: true, created: now}
				cs.nodes[h.id] = h
				cs.linkLocked(h)
			}
			continue
		}
		if sender.master == "" && cs.ownsAny(sender) && (g.PFail || g.Fail) {
			if n.reports == nil {
				n.reports = map[string]int64{}
			}
			n.reports[sender.id] = now
		} else if n.reports != nil {
			delete(n.reports, sender.id)
		}
	}
	switch m.Type {
	case "auth-req":
		if cs.grantVoteLocked(sender, m, now) {
			ack := cs.messageLocked("auth-ack", sender)
			ack.CurrentEpoch = m.CurrentEpoch
			cs.changedLocked()
			return ack
		}
	case "auth-ack":
		cs.countVoteLocked(sender, m.CurrentEpoch)
	}
	if m.Type == "fail" {
		if n := cs.nodes[m.FailID]; n != nil && !n.myself && !n.fail {
			n.fail, n.pfail, n.failTime, changed = true, false, now, true
		}
	}
	if changed {
		cs.changedLocked()
	}
	if m.Type == "ping" || m.Type == "meet" {
		return cs.messageLocked("pong", sender)
	}
	return nil
}

// meetingLocked reports whether a handshake with ip:port is under way.
func (cs *clusterState) meetingLocked(ip string, port int) bool {
	for _, n := range cs.nodes {
		if n.handshake && n.ip == ip && n.port == port {
			return true
		}
	}
	return false
}

// cron drops stale handshakes and finds failing nodes, ten times a second.
func (cs *clusterState) cron() {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-cs.stop:
			return
		case <-tick.C:
		}
		cs.detectFailures()
	}
}

func (cs *clusterState) detectFailures() {
	now := time.Now().UnixMilli()
	timeout := cs.nodeTimeout().Milliseconds()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	changed := false
	masters := 0
	for _, n := range cs.nodes {
		if n.master == "" && !n.handshake && cs.ownsAny(n) {
			masters++
		}
	}
	needed := masters/2 + 1
	var failed []*clusterNode
	for _, n := range cs.nodes {
		if n.myself {
			continue
		}
		if n.handshake {
			if now-n.created > max(timeout, 1000) {
				delete(cs.nodes, n.id)
				n.link.close()
			}
			continue
		}
		last := max(n.pongRecv, n.created)
		if !n.pfail && !n.fail && now-last > timeout {
			n.pfail, changed = true, true
		}
		if !n.pfail || n.fail {
			continue
		}
		votes := 0
		for id, at := range n.reports {
			if now-at > 2*timeout {
				delete(n.reports, id)
				continue
			}
			votes++
		}
		if cs.myself.master == "" && cs.ownsAny(cs.myself) {
			votes++
		}
		if votes >= needed {
			n.fail, n.pfail, n.failTime = true, false, now
			failed = append(failed, n)
			changed = true
		}
	}
	if cs.myself.master != "" {
		cs.electionStep(now) // cluster_failover.go
	}
	for _, n := range failed {
		m := cs.messageLocked("fail", nil)
		m.FailID = n.id
		cs.broadcastLocked(m)
	}
	switch {
	case changed:
		cs.changedLocked()
	case !cs.ok:
		cs.recomputeLocked() // the start-up delay may be over
	}
}

// broadcastLocked sends m on every connected outgoing link, without waiting.
func (cs *clusterState) broadcastLocked(m *busMsg) {
	for _, n := range cs.nodes {
		l := n.link
		if l == nil || n.myself {
			continue
		}
		l.mu.Lock()
		c := l.conn
		l.mu.Unlock()
		if c == nil {
			continue
		}
		go func() { _ = l.send(c, m) }()
	}
}
