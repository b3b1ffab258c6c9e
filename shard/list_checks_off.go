//go:build !(invariants || race)

package shard

// listChecks is off in normal builds; see list_checks_on.go.
const listChecks = false
