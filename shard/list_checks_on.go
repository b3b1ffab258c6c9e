//go:build invariants || race

package shard

// listChecks turns on List.mustBeValid after every list write: under -race and with the
// invariants build tag.
const listChecks = true
