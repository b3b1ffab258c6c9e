package shard

import "time"

// The methods in this file are the per-shard steps the coordinator composes into
// multi-shard commands. Like everything in Shard, they run on the shard's own loop, after
// Begin selected the database. Values they return are copies the caller may keep.

// StringValue returns a copy of key's string value. exists is false for a missing key;
// wrongType is true when the key holds another type.
func (s *Shard) StringValue(key []byte) (val []byte, exists, wrongType bool) {
	e, ok := s.read(key)
	if !ok {
		return nil, false, false
	}
	if e.Type != TypeString {
		return nil, true, true
	}
	return Own(e.Str), true, false
}

// SetString stores a string under key, dropping any TTL, as MSET does.
func (s *Shard) SetString(key, val []byte) {
	s.put(key, Object{Type: TypeString, Str: Own(val)})
}

// Touch refreshes key's access time and reports whether it exists.
func (s *Shard) Touch(key []byte) bool {
	_, ok := s.write(key)
	return ok
}

// Present reports whether key is stored in database db, expired or not. Unlike Exists
// it never deletes, so the coordinator can observe a key without changing it.
func (s *Shard) Present(db int, key []byte) bool {
	_, ok := s.dbs[db].find(key)
	return ok
}

// Live reports whether key exists in database db and has not expired, without deleting
// it if it has.
func (s *Shard) Live(db int, key []byte) bool {
	i, ok := s.dbs[db].find(key)
	if !ok {
		return false
	}
	at := s.dbs[db].at(i).ExpireAt
	return at == 0 || at > time.Now().UnixMilli()
}
