package shard

// Keyspace notifications: the shard side.
//
// A handler that changes a key names the event, as Redis names it, next to the change:
// s.notify(NotifyList, "lpush", key). Whether anybody hears it is decided by the
// classes of notify-keyspace-events, kept as a bit mask in Settings.NotifyClasses; with
// notifications off (the default) a call costs one atomic load and a branch, and
// nothing is allocated. When the class is on, the Notify hook (set by the coordinator)
// turns the event into the __keyspace@<db>__:<key> and __keyevent@<db>__:<event>
// messages.

// Notification classes, the letters of notify-keyspace-events as bits.
const (
	NotifyKeyspace uint32 = 1 << iota // K: publish to __keyspace@<db>__:<key>
	NotifyKeyevent                    // E: publish to __keyevent@<db>__:<event>
	NotifyGeneric                     // g: DEL, EXPIRE, RENAME, ... on any type
	NotifyString                      // $
	NotifyList                        // l
	NotifySet                         // s
	NotifyHash                        // h
	NotifyZSet                        // z
	NotifyExpired                     // x: a key's TTL passed
	NotifyEvicted                     // e: a key deleted for maxmemory
	NotifyStream                      // t
	NotifyKeyMiss                     // m: a read found no key
	NotifyModule                      // d: module events (none here)
	NotifyNew                         // n: a key was created
)

// notifyLetters maps each class bit (by position) to its letter.
const notifyLetters = "KEg$lshzxetmdn"

// notifyAll is what 'A' stands for: every class but m and n.
const notifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash |
	NotifyZSet | NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule

// ParseNotifyClasses turns a notify-keyspace-events value into class bits. Letters it
// does not know are ignored (the configuration has validated the value).
func ParseNotifyClasses(flags string) uint32 {
	var m uint32
	for i := 0; i < len(flags); i++ {
		if flags[i] == 'A' {
			m |= notifyAll
			continue
		}
		for b := 0; b < len(notifyLetters); b++ {
			if notifyLetters[b] == flags[i] {
				m |= 1 << b
			}
		}
	}
	return m
}

// NotifyHook receives an enabled event for key in database db. It runs on the shard's
// loop, must not call back into the shard, and must not keep key.
type NotifyHook func(db int, class uint32, event string, key []byte)

// notify reports event of class for key in the selected database, if the class is on.
func (s *Shard) notify(class uint32, event string, key []byte) {
	s.notifyDB(s.dbIndex, class, event, key)
}

// notifyDB is notify for database db.
func (s *Shard) notifyDB(db int, class uint32, event string, key []byte) {
	if s.Settings.NotifyClasses.Load()&class == 0 || s.Notify == nil {
		return
	}
	s.Notify(db, class, event, key)
}

// NotifyEvent reports event of class for key in the selected database, if the class is
// on: the coordinator's multi-shard commands call it on the shard where the change
// happened.
func (s *Shard) NotifyEvent(class uint32, event string, key []byte) {
	s.notify(class, event, key)
}

// dbNumber returns the number of database d.
func (s *Shard) dbNumber(d *DB) int {
	for i, x := range s.dbs {
		if x == d {
			return i
		}
	}
	panic("BUG: database not in its shard")
}

// listEvent picks the event of the head (left) or tail form of a list command.
func listEvent(left bool, head, tail string) string {
	if left {
		return head
	}
	return tail
}

// SetStoreEvent names the event of SINTERSTORE, SUNIONSTORE or SDIFFSTORE.
func SetStoreEvent(op SetOp) string {
	switch op {
	case SetInter:
		return "sinterstore"
	case SetUnion:
		return "sunionstore"
	}
	return "sdiffstore"
}

// ZStoreEvent names the event of ZUNIONSTORE, ZINTERSTORE or ZDIFFSTORE.
func ZStoreEvent(op ZSetOp) string {
	switch op {
	case ZUnion:
		return "zunionstore"
	case ZInter:
		return "zinterstore"
	}
	return "zdiffstore"
}

// zremrangeEvents names the events of ZREMRANGEBYRANK, ZREMRANGEBYSCORE and
// ZREMRANGEBYLEX by range kind.
var zremrangeEvents = [...]string{
	zrangeRank:  "zremrangebyrank",
	zrangeScore: "zremrangebyscore",
	zrangeLex:   "zremrangebylex",
}

// notifyNewConsumer reports the consumer XREADGROUP is about to create in g, the group
// of the stream at key, when there is no consumer of that name yet.
func (s *Shard) notifyNewConsumer(key []byte, g *StreamGroup, name []byte) {
	if g.Consumer(name) == nil {
		s.notify(NotifyStream, "xgroup-createconsumer", key)
	}
}

// notifyStored reports event for key after a store command (BITOP, ...) when the key
// now exists: a store of an empty result deleted it instead, which was reported as
// "del".
func (s *Shard) notifyStored(key []byte, class uint32, event string) {
	if s.Settings.NotifyClasses.Load()&class != 0 && s.Exists(key) {
		s.notify(class, event, key)
	}
}

// NotifyStored is notifyStored for the coordinator's multi-shard store commands.
func (s *Shard) NotifyStored(key []byte, class uint32, event string) {
	s.notifyStored(key, class, event)
}
