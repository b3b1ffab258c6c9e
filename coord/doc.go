// Package coord owns everything between the network and the shards: the gnet event
// handler, client connections, the command table (dispatch, arity, COMMAND, ACL
// categories), routing of keys to shards, hops between event loops, the coordinator
// part of multi-shard and global commands, and the server configuration.
//
// Goroutines: each gnet event loop i owns shard i, loopState i and the clients accepted
// on it. Code here runs on a client's loop except the parts posted to other loops with
// Server.run, which touch only their target shard and the message they carry.
// coord imports proto and shard; it must not import persist, bench or cmd.
//
// A hop (client C on loop 0 sends GET k, k lives on shard 2):
//
//	loop 0 (C's loop)                          loop 2 (owns k)
//	-----------------                          ---------------
//	OnTraffic: parse "GET k"
//	route(k) = 2, not local
//	batch.queue: copy args into group[2]
//	  (later commands for shard 2 in the
//	   same read join group[2]: squashing)
//	batch.send ── Server.run (inbox) ────────▶ group.exec: run handlers on shard 2,
//	                                           replies into the group's writer
//	                                           pending-- == 0 → client.wake
//	drain (woken) ◀── Server.run (inbox) ─────
//	finishBatch: replies in request order
//	conn.Write, continue with buffered input
//
// Server.run appends to the target loop's FIFO inbox and rings its doorbell (a gnet
// task that drains the inbox) only when the inbox was empty and the loop is not awake
// in a callback; an awake loop drains what arrived before it returns to the poller
// (loopState.settle).
//
// While a batch or fanout is in flight the client parses nothing more, so a later
// command never overtakes an earlier one on the same connection. One exception: a run
// of one-step multi-shard commands (MGET, MSET, DEL, UNLINK, EXISTS, TOUCH) is posted
// at once. Their claims reach every shard in request order, so each shard runs them in
// that order, and their replies leave in that order (client.dispatchBehind); the first
// other command waits until they all answered. A write among them releases its claims
// once it ran on every shard, before its reply's turn (client.settleBehind). Within one batch,
// commands for different shards run in parallel: they touch different keys, and the
// connection reads its own writes, but another client may see two such single-key
// writes of one pipeline land in either order (as with Dragonfly's squashing). Writes
// that must be seen together belong in one command, MULTI/EXEC, or one hash tag. Commands whose keys
// span shards, and commands that depend on connection state (SELECT, HELLO, ...), wait
// for the batch before them (barrier), then run alone as a fanout.
package coord
