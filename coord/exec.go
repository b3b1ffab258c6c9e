package coord

import "github.com/basaltdb/basalt/proto"

// execState is a running EXEC: the queued commands, their replies so far, and the
// transaction that holds the claims of all of them.
type execState struct {
	t       *txn
	replies proto.Writer
	next    int
}

// commandDone records the reply of the current command and runs the next one.
func (e *execState) commandDone(reply func(w *proto.Writer)) {
	reply(&e.replies)
	e.next++
}
