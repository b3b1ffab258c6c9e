// Package persist reads and writes Redis's RDB format: the value codec that DUMP and
// RESTORE use, and the stream (header, databases, expiries, checksum) that snapshots,
// the AOF preamble and full resynchronisation are built on.
//
// Encoder writes an RDB stream (version 10 by default, the one redis-server 7.0 loads)
// holding every value in the encoding Basalt keeps it in: listpack blobs go out as they
// are, large values as plain sets, hashes and zset2. Decoder reads files of RDB versions
// 1 to 12 as written by any redis-server, validates every packed blob (listpack, ziplist,
// intset, zipmap) byte by byte and rebuilds the values under the shard's encoding
// thresholds. Bytes from outside are untrusted: corruption and truncation are errors that
// name the byte offset, never a panic and never a silently partial result.
//
// Concurrency: an Encoder or Decoder belongs to one goroutine. Values passed to Encoder
// must not change during the call (the caller runs on the owning shard's loop, or holds a
// copy); objects handed out by Decoder are new and owned by the callback.
//
// Imports: shard and the standard library; never coord.
package persist
