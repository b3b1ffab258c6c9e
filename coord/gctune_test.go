package coord

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestGCPercentFor(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 400},
		{1 << 20, 400},        // tiny heap: capped
		{8 << 20, 200},        // 16 MB of headroom over 8 MB
		{32 << 20, 50},        // still the 16 MB floor
		{128 << 20, 25},       // a quarter of the data
		{1 << 30, 25},         // a quarter of the data
		{uint64(1) << 40, 25}, // no overflow
	} {
		if got := gcPercentFor(c.live); got != c.want {
			t.Errorf("gcPercentFor(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}

// TestGCTunerFollowsLiveHeap checks the tuner end to end: once a big live heap survives
// a collection, GOGC drops to a quarter; when it is gone, GOGC rises again.
func TestGCTunerFollowsLiveHeap(t *testing.T) {
	var tuner gcTuner
	tuner.samples = append(tuner.samples, liveHeapSample())
	big := make([][]byte, 256)
	for i := range big {
		big[i] = make([]byte, 1<<20)
	}
	runtime.GC()
	tuner.tune()
	if got := debug.SetGCPercent(100); got > 30 {
		t.Errorf("GOGC with 256 MB live = %d, want at most 30", got)
	}
	runtime.KeepAlive(big)
	big = nil
	runtime.GC()
	tuner.percent = 0
	tuner.tune()
	if got := debug.SetGCPercent(100); got < 100 {
		t.Errorf("GOGC with a small live heap = %d, want at least 100", got)
	}
}

func TestIdleCollect(t *testing.T) {
	for _, c := range []struct {
		allocated, live, inUse uint64
		want                   bool
	}{
		{0, 100 << 20, 200 << 20, true},         // idle with 100 MB of garbage
		{10 << 20, 100 << 20, 200 << 20, false}, // still writing: the pacer handles it
		{0, 100 << 20, 104 << 20, false},        // too little garbage to bother
		{100 << 10, 100 << 20, 120 << 20, true}, // a trickle of allocation is idle
	} {
		if got := idleCollect(c.allocated, c.live, c.inUse); got != c.want {
			t.Errorf("idleCollect(%d, %d, %d) = %v, want %v", c.allocated, c.live, c.inUse, got, c.want)
		}
	}
}

// TestGCTunerOneIdleLoop guards against the tuner starting an idle collector per
// collection: under a write load that was one more goroutine every few seconds.
func TestGCTunerOneIdleLoop(t *testing.T) {
	t.Setenv("GOGC", "")
	startGCTuner()
	for range 5 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // the finalizer re-arms on its own goroutine
	}
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	if n := strings.Count(stacks, "(*gcTuner).idleLoop"); n != 1 {
		t.Fatalf("%d idle collectors running, want 1", n)
	}
	debug.SetGCPercent(100)
}
