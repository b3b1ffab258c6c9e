// Package bench is Basalt's load generator: a memtier-style client that speaks RESP to
// any Redis-compatible server and measures throughput and latency.
//
// A run opens Threads*Clients connections. Each connection is one goroutine that keeps
// Pipeline requests in flight: it renders a batch of requests from command templates
// into one buffer, writes it with one system call, then reads the replies. A reply's
// latency runs from just before its batch was written to the read that completed it,
// and lands in the connection's own HdrHistogram; histograms are merged when the run
// ends, so the hot path takes no lock and allocates nothing.
//
// What the package owns: key generators (keys.go), command templates (template.go), a
// RESP reply scanner (reply.go), the connection loop and the run (run.go), results and
// their text and JSON forms (result.go), A/B comparisons (compare.go) and charts
// (plot.go). It uses proto for number parsing and nothing else from this repository:
// it must work against redis-server as well as against Basalt.
//
// The scripts beside this file (compare.sh, mem-elements.sh, plot.sh) start Basalt and
// redis-server side by side and drive this tool and redis-benchmark against both.
package bench
