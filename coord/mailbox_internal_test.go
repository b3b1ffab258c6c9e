package coord

import (
	"sync"
	"testing"
	"time"
)

// TestRunKeepsOrder posts many messages from two goroutines to one loop at once, far
// past the 1,024 tasks after which gnet's Execute stops being FIFO: each producer's
// messages must still run in the order it posted them. The transaction protocol relies
// on it (claims are granted in the order they were posted).
func TestRunKeepsOrder(t *testing.T) {
	srv, _ := startInternal(t, 2)

	const producers, perProducer = 2, 20000
	var (
		last   [producers]int // owned by loop 0
		broken [producers]int
		done   sync.WaitGroup
	)
	done.Add(producers * perProducer)
	for p := range producers {
		go func() {
			for i := 1; i <= perProducer; i++ {
				srv.run(0, func() {
					if i != last[p]+1 && broken[p] == 0 {
						broken[p] = i
					}
					last[p] = i
					done.Done()
				})
			}
		}()
	}
	finished := make(chan struct{})
	go func() { done.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(30 * time.Second):
		t.Fatal("posted messages did not all run")
	}
	// done.Wait ordered the loop's writes before these reads.
	for p := range producers {
		if broken[p] != 0 {
			t.Errorf("producer %d: message %d ran out of order", p, broken[p])
		}
	}
}

// TestRunWhileAwake posts from inside the loop's own callbacks, where run skips the
// doorbell because the loop is awake: each message posts the next, alternating between
// two loops and to itself, and every one must still run (settle picks them up).
func TestRunWhileAwake(t *testing.T) {
	srv, _ := startInternal(t, 2)
	const hops = 20000
	finished := make(chan int, 1)
	var step func(i int)
	step = func(i int) {
		if i == hops {
			finished <- i
			return
		}
		// Every third message stays on its loop, the others cross to the other one.
		next := i % 2
		if i%3 == 0 {
			next = (i + 1) % 2
		}
		srv.run(next, func() { step(i + 1) })
	}
	srv.run(0, func() { step(0) })
	select {
	case <-finished:
	case <-time.After(30 * time.Second):
		t.Fatal("a message posted to an awake loop never ran")
	}
}
