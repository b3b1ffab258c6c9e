package coord

import "time"

// A command needs the clock twice: the wall time its expiry checks compare against, and
// its duration for INFO commandstats, the slow log and the latency histograms.
// time.Now reads the wall and the monotonic clock (two vDSO calls) and time.Since one
// more; at a few hundred thousand commands a second per loop those three calls were 6%
// of a GET profile. A loop's clock reads only the monotonic clock per command and
// derives the wall time from the last full reading, taken again once it is a
// millisecond old, so a stepped system clock shows within a millisecond.
//
// Commands that run back to back in one pass over a batch (a client's pipelined read,
// a group of commands from another loop) share readings too: each starts when the one
// before it ended, so a command costs one reading. Its duration then includes the
// parsing and routing that preceded it, a fraction of a microsecond.

// clockBase anchors the monotonic readings; time.Since on it is one vDSO call.
var clockBase = time.Now()

// clockNow returns monotonic nanoseconds since clockBase, a reading that also fits an
// atomic.Int64.
func clockNow() int64 { return int64(time.Since(clockBase)) }

// wallRefresh is how old the last full reading may grow before the next is taken.
const wallRefresh = int64(time.Millisecond)

// loopClock derives Unix milliseconds from monotonic readings. One loop owns each.
type loopClock struct {
	wallNs, mono int64
}

// unixMilli returns the wall time at the monotonic reading mono.
func (c *loopClock) unixMilli(mono int64) int64 {
	if d := mono - c.mono; d < 0 || d >= wallRefresh || c.wallNs == 0 {
		now := time.Now()
		c.wallNs, c.mono = now.UnixNano(), int64(now.Sub(clockBase))
	}
	return (c.wallNs + mono - c.mono) / int64(time.Millisecond)
}

// beginChain starts a pass over a batch whose commands share clock readings.
func (ls *loopState) beginChain() { ls.chaining, ls.chain = true, 0 }

// endChain ends it: a later command, run after the loop may have slept, reads the clock.
func (ls *loopState) endChain() { ls.chaining, ls.chain = false, 0 }

// stamp returns the start of a command that is about to run.
func (ls *loopState) stamp() int64 {
	if ls.chain != 0 {
		return ls.chain
	}
	return clockNow()
}

// since returns the time since start and, inside a chain, makes now the next start.
func (ls *loopState) since(start int64) time.Duration {
	end := clockNow()
	if ls.chaining {
		ls.chain = end
	}
	return time.Duration(end - start)
}
