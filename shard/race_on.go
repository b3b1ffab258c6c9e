//go:build race

package shard

// RaceDetector is true in a build with the race detector. The detector makes sync.Pool
// drop pooled objects at random, and ristretto batches accesses in pooled buffers, so
// tests of frequency-based eviction outcomes consult it.
const RaceDetector = true
