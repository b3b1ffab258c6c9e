package coord

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// GC pacing for a large, long-lived heap.
//
// Go's default GOGC=100 collects when the heap reaches twice the data that survived the
// last collection. For a server whose heap is a keyspace of hundreds of megabytes, that
// doubles the resident memory for garbage that is mostly a few replies and overwritten
// values. After every collection the tuner sets GOGC so that the next one comes after
// max(gcMinHeadroom, live/gcHeadroomDivisor) bytes of new allocation: generous for a
// small heap, where collections would otherwise run back to back, and a quarter of the
// data for a big one. The price is more frequent collections under a write load on a
// big keyspace (each one scans every key); reads allocate nothing, so they never pay it.
// An eighth measured 15-25% slower for pipelined SET and MSET over a million keys than
// a quarter; the resident memory once writes stop is the same, as the idle collection
// below returns the garbage.
//
// Garbage left when writes stop would otherwise stay resident until the next collection,
// which an idle server never reaches; like Java's periodic GC of an idle heap, the tuner
// collects and returns the garbage to the OS once the allocation rate has dropped to
// almost nothing for a quarter of a second (gcIdleCheck).
//
// A GOGC set in the environment wins: the tuner then stays off.
const (
	gcMinHeadroom     = 16 << 20
	gcHeadroomDivisor = 4
)

var gcTunerOnce sync.Once

// startGCTuner starts the process-wide tuner once; later servers in the same process
// (tests) share it.
func startGCTuner() {
	if os.Getenv("GOGC") != "" {
		return
	}
	gcTunerOnce.Do(func() {
		var t gcTuner
		t.samples = []metrics.Sample{liveHeapSample()}
		t.arm()
		go t.idleLoop()
	})
}

type gcTuner struct {
	samples []metrics.Sample
	percent int
}

// gcSentinel is garbage whose finalizer runs once per collection. It is bigger than the
// tiny allocator's 16 bytes, whose objects may share a block and never be finalized.
type gcSentinel struct{ _ [32]byte }

// arm plants a sentinel for the next collection to find.
func (t *gcTuner) arm() {
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
		t.tune()
		t.arm()
	})
}

// tune runs on the finalizer goroutine after a collection.
func (t *gcTuner) tune() {
	metrics.Read(t.samples)
	if t.samples[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	p := gcPercentFor(t.samples[0].Value.Uint64())
	if p != t.percent {
		t.percent = p
		debug.SetGCPercent(p)
	}
}

// gcPercentFor returns the GOGC that allows max(gcMinHeadroom, live/gcHeadroomDivisor)
// bytes of growth over live bytes, between 10 and 400.
func gcPercentFor(live uint64) int {
	headroom := max(uint64(gcMinHeadroom), live/gcHeadroomDivisor)
	p := headroom * 100 / max(live, 1)
	return int(min(max(p, 10), 400))
}

func liveHeapSample() metrics.Sample { return metrics.Sample{Name: "/gc/heap/live:bytes"} }

const (
	// gcIdleCheck is how often the idle collector looks at the heap.
	gcIdleCheck = 250 * time.Millisecond
	// gcIdleAlloc is the allocation per gcIdleCheck below which the server is idle.
	gcIdleAlloc = 256 << 10
	// gcIdleGarbage is the garbage worth an idle collection.
	gcIdleGarbage = 8 << 20
)

// idleLoop returns garbage to the OS once allocation has stopped: a gcIdleCheck with less than
// gcIdleAlloc allocated, after at least gcIdleGarbage became garbage since the last
// collection.
func (t *gcTuner) idleLoop() {
	s := []metrics.Sample{
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	var lastAllocs uint64
	for range time.Tick(gcIdleCheck) {
		metrics.Read(s)
		allocs, live, inUse := s[0].Value.Uint64(), s[1].Value.Uint64(), s[2].Value.Uint64()
		// Free pages not yet returned count as garbage: they are resident all the same.
		if idleCollect(allocs-lastAllocs, live, inUse+s[3].Value.Uint64()) {
			debug.FreeOSMemory()
		}
		lastAllocs = allocs
	}
}

// idleCollect reports whether a server that allocated allocated bytes in the last
// gcIdleCheck, with resident bytes of heap (objects and free pages) of which live
// survived the last collection, should collect now.
func idleCollect(allocated, live, resident uint64) bool {
	return allocated < gcIdleAlloc && resident > live+gcIdleGarbage
}
