package shard

// prefetch asks the CPU to start loading the cache line at addr and returns at once. It
// never faults, whatever addr is.
//
//go:noescape
func prefetch(addr uintptr)
