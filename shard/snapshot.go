package shard

// Point-in-time snapshots without fork().
//
// A snapshot starts at a cut (the coordinator starts every shard's snapshot inside one
// transaction that holds every shard, so no multi-shard write straddles the cut) and
// hands each key's value as of the cut to an emit function exactly once, while the shard
// goes on serving reads and writes between steps.
//
// Each entry carries the epoch of the last snapshot that wrote it (entry.saved), and new
// entries are stamped with the running epoch. An entry is pending while a snapshot runs
// and its stamp is older. Two paths write pending entries:
//   - Step walks each DB's dense entry array from the top down, a bounded amount at a
//     time, and emits the pending entries it meets;
//   - every change to an entry begins with DB.find or DB.removeAt, which emit the entry
//     first when it is pending, so the snapshot sees the value before the change.
//
// Walking downward is what makes the swap-remove of the entry array safe: removal moves
// the last entry into the hole. If the hole is below the cursor, the moved entry either
// came from below the cursor too (still pending, still ahead of the walk) or from above
// it (already written, skipped by its stamp); a hole above the cursor only receives
// entries from above it. New entries are appended with the running epoch and skipped.
// FLUSHALL, FLUSHDB and SWAPDB finish the snapshot first: they change which DB an entry
// belongs to wholesale, which the per-entry stamps cannot follow.
//
// The cost is one predictable branch per lookup while no snapshot runs, four bytes per
// entry that were padding anyway, and no second copy of the dataset: memory grows only by
// the serialized bytes in flight.

// Snapshot is a running point-in-time traversal of one shard's keyspace.
//
// Owner: the shard's loop, like the shard itself.
type Snapshot struct {
	shard *Shard
	epoch uint32
	emit  func(db int, key string, o *Object)
	// cursor[db] is one past the next position Step examines in that DB.
	cursor []int
	db     int
	// Keys and Expiring are each DB's key counts at the cut, for RESIZEDB.
	Keys, Expiring []int
	aborted        bool
}

// dbSnapshot links a DB to the running snapshot and says which database number the DB
// had at the cut.
type dbSnapshot struct {
	sn  *Snapshot
	num int
}

// StartSnapshot begins a snapshot of every database at this instant. emit receives each
// key that exists now, with its value as of now, exactly once, on the shard's loop: from
// Step, or from the command about to change or delete the key. emit must copy what it
// keeps; it must not call back into the shard. It panics if a snapshot is running.
func (s *Shard) StartSnapshot(emit func(db int, key string, o *Object)) *Snapshot {
	if s.snapshot != nil {
		panic("BUG: a snapshot is already running on shard")
	}
	s.epoch++
	sn := &Snapshot{shard: s, epoch: s.epoch, emit: emit,
		cursor: make([]int, len(s.dbs)), Keys: make([]int, len(s.dbs)), Expiring: make([]int, len(s.dbs))}
	for n, d := range s.dbs {
		d.epoch = s.epoch
		d.snap = &dbSnapshot{sn: sn, num: n}
		sn.cursor[n] = d.Len()
		sn.Keys[n], sn.Expiring[n] = d.Len(), d.Expiring()
	}
	s.snapshot = sn
	return sn
}

// Snapshotting reports whether a snapshot is running on the shard.
func (s *Shard) Snapshotting() bool { return s.snapshot != nil }

// Step emits pending entries until it has examined about budget entries, and reports
// whether the snapshot is complete. After completion the shard no longer refers to it.
func (sn *Snapshot) Step(budget int) (done bool) {
	s := sn.shard
	if s.snapshot != sn {
		return true
	}
	for budget > 0 && sn.db < len(s.dbs) {
		d := s.dbs[sn.db]
		c := min(sn.cursor[sn.db], d.Len())
		for ; c > 0 && budget > 0; budget-- {
			c--
			d.snap.save(d, c)
		}
		sn.cursor[sn.db] = c
		if c == 0 {
			sn.db++
		}
	}
	if sn.db < len(s.dbs) {
		return false
	}
	sn.detach()
	return true
}

// Abort stops the snapshot without emitting the rest (the output failed, or FLUSHALL
// discards the save as Redis kills its child).
func (sn *Snapshot) Abort() {
	if sn.shard.snapshot == sn {
		sn.aborted = true
		sn.detach()
	}
}

// Aborted reports whether the snapshot was stopped before completion.
func (sn *Snapshot) Aborted() bool { return sn.aborted }

// AbortSnapshot aborts the running snapshot, if any.
func (s *Shard) AbortSnapshot() {
	if s.snapshot != nil {
		s.snapshot.Abort()
	}
}

func (sn *Snapshot) detach() {
	s := sn.shard
	for _, d := range s.dbs {
		d.snap = nil
	}
	s.snapshot = nil
}

// finishSnapshot emits everything still pending, for commands that cannot let the
// snapshot go on incrementally.
func (s *Shard) finishSnapshot() {
	if sn := s.snapshot; sn != nil {
		for !sn.Step(1 << 30) {
		}
	}
}

// save emits entry i of d if the snapshot has not written it yet.
func (ds *dbSnapshot) save(d *DB, i int) {
	e := d.at(i)
	if e.saved == ds.sn.epoch {
		return
	}
	e.saved = ds.sn.epoch
	ds.sn.emit(ds.num, e.key, &e.Object)
}
