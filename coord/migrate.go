package coord

import (
	"context"
	"net"
	"os"

	"github.com/panjf2000/gnet/v2"
)

// Connection migration. A connection whose commands all land on one other shard (a hot
// key, a client that works on one hash tag) pays a round trip between loops for every
// command. After a run of such commands the connection moves to the loop that owns
// that shard, where its commands run inline. The client's state travels with it; the
// socket is handed over by duplicating its descriptor, so the peer sees nothing.
//
// A connection moves only when nothing of it is in flight and nothing else refers to
// it by loop: no batch, transaction, MULTI, blocking command, WATCH, subscription,
// tracking or MONITOR, nothing buffered in either direction, and RESP2 (a RESP3
// connection may be the target of another client's tracking redirect, found by its
// loop).

// migrateAfter is how many consecutive commands for one other shard make a connection
// move. Each move of the same connection doubles it, so a client that alternates
// between hot keys of different shards settles instead of bouncing.
const migrateAfter = 32

// migrateTries bounds the attempts of one wish to move: a connection that always has
// input waiting when it is looked at stays where it is.
const migrateTries = 16

// migration is a client's shard affinity, kept on the client.
type migration struct {
	shard int // the other shard the current run of commands went to
	run   int // consecutive commands for shard
	moves int // times this connection moved
	tries int // failed attempts of the current wish
	want  bool
}

// migrant is the context a moving connection's new gnet.Conn carries to OnOpen on
// its new loop; migrated marks the old one, which is closing.
type (
	migrant  struct{ cl *client }
	migrated struct{}
)

// noteShard records that a single-shard command with keys ran for shard target.
func (cl *client) noteShard(target int) {
	m := &cl.mig
	if target == cl.loop.idx {
		m.run = 0
		return
	}
	if target != m.shard {
		m.shard, m.run = target, 0
	}
	m.run++
	if m.run >= migrateAfter<<min(m.moves, 8) {
		m.want = true
	}
}

// movable reports whether the client can move now; settled is false when it cannot
// because of what it is doing rather than what it is.
func (cl *client) movable() (ok, settled bool) {
	switch {
	case cl.srv.n < 2, cl.closed, cl.closeAfterReply, cl.loader, cl.monitoring,
		cl.multi != nil, cl.sub != nil, cl.track != nil, len(cl.watched) > 0, cl.out.RESP3():
		return false, true
	case len(cl.behind) > 0,
		cl.conn.InboundBuffered() > 0, cl.conn.OutboundBuffered() > 0:
		return false, false
	}
	if _, tcp := cl.conn.RemoteAddr().(*net.TCPAddr); !tcp {
		return false, true
	}
	select {
	case <-cl.srv.stopped:
		return false, true
	default:
	}
	return true, true
}

// migrate moves the client to the loop of the shard its commands went to, once nothing
// of it is in flight (its callers wait for that). It runs in a callback of the client's
// loop whose caller closes the old connection when it returns
// true: gnet then drops the descriptor from this loop's poller before the loop polls
// again, so no byte meant for the new loop is read here.
func (cl *client) migrate() bool {
	m := &cl.mig
	ok, settled := cl.movable()
	if !ok {
		m.tries++
		if settled || m.tries >= migrateTries {
			m.want, m.run, m.tries = false, 0, 0
		}
		return false
	}
	nc, err := dupConn(cl.conn)
	if err != nil {
		m.want, m.run = false, 0
		return false
	}
	from, to := cl.loop, cl.srv.loops[m.shard]
	old := cl.conn
	delete(from.clients, cl.id)
	old.SetContext(migrated{})
	m.want, m.run, m.tries = false, 0, 0
	m.moves++
	ch, err := to.handle.Enroll(gnet.NewContext(context.Background(), migrant{cl}), nc)
	if err != nil {
		// The engine is stopping: stay, and let the shutdown close the connection.
		_ = nc.Close()
		old.SetContext(cl)
		from.clients[cl.id] = cl
		return false
	}
	srv := cl.srv
	srv.migrations.Add(1)
	go func() {
		if res := <-ch; res.Err != nil {
			// The new loop could not take the socket; it is closed, the client gone.
			srv.log.verbose("connection migration failed: id=%d: %v", cl.id, res.Err)
			srv.connected.Add(-1)
		}
	}()
	return true
}

// dupConn duplicates a connection's socket into a net.Conn of its own, which stays open
// when gnet closes the original descriptor (a migrating client, a replica).
func dupConn(c gnet.Conn) (net.Conn, error) {
	fd, err := c.Dup()
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "conn")
	defer f.Close()
	return net.FileConn(f)
}

// arrive installs a moved client on the loop whose OnOpen received its connection.
func (cl *client) arrive(c gnet.Conn) {
	cl.conn = c
	c.SetContext(cl)
	cl.attach()
}
