package coord_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"testing"
)

// benchSink keeps the compiler from discarding benchmark results.
var benchSink int

// benchPipeline measures whole-server cost per command: a raw connection sends
// pipelines of depth requests and reads every reply. Allocations are the process's,
// server included, so they show what the server path allocates per command.
func benchPipeline(b *testing.B, threads, depth int, request func(i int) string) {
	addr := startBasalt(b, threads)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReaderSize(conn, 1<<16)
	// Warm the keys so GETs hit and SETs overwrite.
	var warm bytes.Buffer
	for i := 0; i < 1000; i++ {
		warm.WriteString(encodeSet("key:"+strconv.Itoa(i), "value-of-100-bytes-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"))
	}
	if _, err := conn.Write(warm.Bytes()); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		if _, err := readReply(r); err != nil {
			b.Fatal(err)
		}
	}
	batches := make([][]byte, 16)
	for j := range batches {
		var buf bytes.Buffer
		for k := 0; k < depth; k++ {
			buf.WriteString(request(j*depth + k))
		}
		batches[j] = buf.Bytes()
	}
	b.ReportAllocs()
	cpu0 := processCPU(b)
	b.ResetTimer()
	for i := 0; i < b.N; i += depth {
		if _, err := conn.Write(batches[(i/depth)%len(batches)]); err != nil {
			b.Fatal(err)
		}
		for k := 0; k < depth; k++ {
			reply, err := readReply(r)
			if err != nil {
				b.Fatal(err)
			}
			benchSink += len(reply)
		}
	}
	b.StopTimer()
	// Wall time per command is mostly the round trip of one connection; CPU time
	// (server and this client together) is what a change to the server path moves.
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU is the user and system time this process has used, in nanoseconds.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func encodeSet(k, v string) string {
	return fmt.Sprintf("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(k), k, len(v), v)
}

func encodeGet(k string) string {
	return fmt.Sprintf("*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(k), k)
}

func BenchmarkServerGetP16Threads1(b *testing.B) {
	benchPipeline(b, 1, 16, func(i int) string { return encodeGet("key:" + strconv.Itoa(i%1000)) })
}

func BenchmarkServerGetP16Threads2(b *testing.B) {
	benchPipeline(b, 2, 16, func(i int) string { return encodeGet("key:" + strconv.Itoa(i%1000)) })
}

func BenchmarkServerGetP16Threads4(b *testing.B) {
	benchPipeline(b, 4, 16, func(i int) string { return encodeGet("key:" + strconv.Itoa(i%1000)) })
}

func BenchmarkServerSetP16Threads1(b *testing.B) {
	benchPipeline(b, 1, 16, func(i int) string {
		return encodeSet("key:"+strconv.Itoa(i%1000), "value-of-100-bytes-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
	})
}

func BenchmarkServerGetP1Threads1(b *testing.B) {
	benchPipeline(b, 1, 1, func(i int) string { return encodeGet("key:" + strconv.Itoa(i%1000)) })
}
