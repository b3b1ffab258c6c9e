// Package shard owns one slice of the keyspace: the databases, their keys and values,
// the expiry index, per-shard statistics and the per-shard part of every command.
//
// A Shard belongs to exactly one event loop, and only that loop's goroutine may call its
// methods; there are no locks. Command handlers here are pure functions of
// (shard, arguments, reply writer): routing, hops between loops and multi-shard
// atomicity are coord's job. shard imports proto and nothing else from this repository.
//
// One file per command family (strings.go, keys.go, ...), each registering its handlers
// in init under the command's lower-case name.
package shard
