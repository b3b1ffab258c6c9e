// Package proto owns the Redis wire protocol: the request parser (RESP multibulk and
// inline commands), the reply Writer (RESP2 and RESP3), the client-visible error texts
// and the one place where bytes and strings are converted without copying.
//
// It imports nothing from this repository. Parser and Writer values belong to one
// goroutine at a time; nothing here is safe for concurrent use.
//
// Slices handed out by the parser alias the caller's buffer. Every function that returns
// such an aliasing slice says so in its doc comment; keep a value past the buffer's life
// only by copying it.
package proto

import "unsafe"

// String views b as a string without copying. The caller promises that b is not modified
// while the string is in use (used for map look-ups, where Go does not retain the key).
func String(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// Bytes returns a read-only view of s's bytes without copying; the caller must not
// modify them.
func Bytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
