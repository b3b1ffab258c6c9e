//go:build !race

package shard

// RaceDetector is true in a build with the race detector (see race_on.go).
const RaceDetector = false
