package coord

// Keyspace notifications: the coordinator side.
//
// Shards name events (shard/notify.go); the hook built here turns one into Redis's two
// messages: "__keyspace@<db>__:<key>" carrying the event name (class K) and
// "__keyevent@<db>__:<event>" carrying the key (class E), published in that order
// through publishFromLoop on the loop that owns the shard, so that one shard's events
// reach every subscriber in the order they happened. Events of different shards may
// interleave differently than in Redis, which has a single thread.

import (
	"strconv"

	"github.com/basaltdb/basalt/shard"
)

// applyNotifyClasses mirrors notify-keyspace-events into the shards' class mask.
func (s *Server) applyNotifyClasses() {
	s.settings.NotifyClasses.Store(shard.ParseNotifyClasses(s.cfg.NotifyKeyspaceEvents))
}

// notifier returns the notification hook of loop: it owns scratch buffers for the
// channel names, so publishing allocates only the messages themselves. It must be
// called on loop's goroutine only.
func (s *Server) notifier(loop int) shard.NotifyHook {
	var channel, payload []byte
	return func(db int, class uint32, event string, key []byte) {
		classes := s.settings.NotifyClasses.Load()
		if classes&class == 0 || s.loading.Load() {
			// A dataset being loaded is not news: Redis publishes nothing for it.
			return
		}
		if classes&shard.NotifyKeyspace != 0 {
			channel = append(channel[:0], "__keyspace@"...)
			channel = strconv.AppendInt(channel, int64(db), 10)
			channel = append(channel, "__:"...)
			channel = append(channel, key...)
			payload = append(payload[:0], event...)
			s.publishFromLoop(loop, channel, payload)
		}
		if classes&shard.NotifyKeyevent != 0 {
			channel = append(channel[:0], "__keyevent@"...)
			channel = strconv.AppendInt(channel, int64(db), 10)
			channel = append(channel, "__:"...)
			channel = append(channel, event...)
			s.publishFromLoop(loop, channel, key)
		}
	}
}

// notifyKey publishes event of class for key (a string, as the shards' Expired and
// Evicted hooks give it) from loop, if the class is on. Call it on loop's goroutine.
func (s *Server) notifyKey(loop, db int, class uint32, event, key string) {
	if s.settings.NotifyClasses.Load()&class == 0 {
		return
	}
	s.shards[loop].Notify(db, class, event, []byte(key))
}

// notifyEvicted publishes the "evicted" event (class e) of key in database db, deleted
// for maxmemory by the shard of loop. Call it on loop's goroutine, from the shard's
// Evicted hook.
func (s *Server) notifyEvicted(loop, db int, key string) {
	s.notifyKey(loop, db, shard.NotifyEvicted, "evicted", key)
}

// putNotified stores obj under key on sh as the last step of a cross-shard RENAME or
// COPY and publishes Redis's events for it: "new" (Redis deletes a replaced
// destination and adds it anew, so a replaced key is new too) and event. Pops blocked
// on key are then served, as after a push.
func putNotified(sh *shard.Shard, key []byte, obj shard.Object, event string) {
	replaced := sh.Exists(key)
	sh.Put(key, obj)
	if replaced {
		sh.NotifyEvent(shard.NotifyNew, "new", key)
	}
	sh.NotifyEvent(shard.NotifyGeneric, event, key)
	sh.SignalReady(key)
}

// notifyDeleted publishes "del" for key on sh when deleted is true.
func notifyDeleted(sh *shard.Shard, key []byte, deleted bool) {
	if deleted {
		sh.NotifyEvent(shard.NotifyGeneric, "del", key)
	}
}
