package coord_test

// Raw pipelines against redis-server: each case writes its bytes in the given chunks
// and reads until the server closes the connection, and the whole byte stream must be
// the same as redis-server's. The cases aim at the look-ahead window that parses a
// pipelined read once (client.parseAhead): windows longer than one pass, empty requests
// inside them, a request cut between two writes, a malformed request after good ones,
// and MULTI inside a window.

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// rawPipeline builds n commands alternating SET and GET over keys spread on every shard.
func rawPipeline(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		key := fmt.Sprintf("%s:%d", prefix, i/2)
		if i%2 == 0 {
			b.Write(encodeCommand([]string{"SET", key, fmt.Sprint(i)}))
		} else {
			b.Write(encodeCommand([]string{"GET", key}))
		}
	}
	return b.String()
}

var rawPipeCases = []struct {
	name   string
	chunks []string
}{
	{"two windows and more", []string{rawPipeline("a", 75) + "QUIT\r\n"}},
	{"empty requests inside", []string{
		rawPipeline("b", 5) + "*0\r\n\r\n*-1\r\n" + rawPipeline("c", 5) + "\r\n\r\n" +
			"*1\r\n$4\r\nPING\r\n" + "PING inline\r\n" + "QUIT\r\n"}},
	{"cut between writes", func() []string {
		p := rawPipeline("d", 40)
		cut := len(p) - 7
		return []string{p[:cut], p[cut:] + "QUIT\r\n"}
	}()},
	{"large value cut", []string{
		rawPipeline("e", 10) + "*3\r\n$3\r\nSET\r\n$1\r\nv\r\n$20000\r\n" + strings.Repeat("x", 9000),
		strings.Repeat("y", 11000) + "\r\n" + rawPipeline("f", 6) + "GET v\r\nQUIT\r\n"}},
	{"malformed after good", []string{
		rawPipeline("g", 20) + "*2\r\n$3\r\nGET\r\nxyz\r\n" + rawPipeline("h", 4)}},
	{"bad length after good", []string{rawPipeline("i", 3) + "*1\r\n$-5\r\n" + rawPipeline("j", 3)}},
	{"multi inside a window", []string{
		rawPipeline("k", 6) + "MULTI\r\n" + rawPipeline("l", 6) + "EXEC\r\n" +
			"MULTI\r\nSET m 1\r\nNOSUCHCMD\r\nEXEC\r\n" + rawPipeline("n", 6) + "QUIT\r\n"}},
	// redis-server 7 sends (un)subscribe confirmations whatever CLIENT REPLY says; a
	// SKIP is still spent on the command that confirms.
	{"confirmations under reply off, RESP3", []string{
		"CLIENT REPLY OFF\r\nHELLO 3\r\nSUBSCRIBE a b\r\nPSUBSCRIBE c*\r\nPING\r\n" +
			"CLIENT REPLY SKIP\r\nUNSUBSCRIBE a\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n" +
			"CLIENT REPLY OFF\r\nPUNSUBSCRIBE\r\nUNSUBSCRIBE\r\nQUIT\r\n"}},
	{"confirmations under reply skip, RESP2", []string{
		"CLIENT REPLY SKIP\r\nSUBSCRIBE a\r\nPING\r\nUNSUBSCRIBE\r\nCLIENT REPLY OFF\r\n" +
			"SUBSCRIBE b\r\nUNSUBSCRIBE b\r\nCLIENT REPLY ON\r\nPING\r\nQUIT\r\n"}},
	{"errors inside a window", []string{
		rawPipeline("o", 4) + "GET\r\nSET x\r\nNOSUCH a b\r\nLPUSH o:0 x\r\n" +
			rawPipeline("p", 4) + "QUIT\r\n"}},
}

func TestRawPipelinesMatchRedis(t *testing.T) {
	redisAddr := startRedis(t)
	one, four := startBasalt(t, 1), startBasalt(t, 4)
	for _, tc := range rawPipeCases {
		t.Run(tc.name, func(t *testing.T) {
			want := rawExchange(t, redisAddr, tc.chunks)
			if len(want) == 0 {
				t.Fatal("redis-server answered nothing: the case tests nothing")
			}
			for name, addr := range map[string]string{"one shard": one, "four shards": four} {
				if got := rawExchange(t, addr, tc.chunks); !bytes.Equal(got, want) {
					i := 0
					for i < len(got) && i < len(want) && got[i] == want[i] {
						i++
					}
					t.Errorf("%s: replies differ at byte %d:\n got %q\nwant %q", name, i,
						got[max(0, i-40):min(len(got), i+80)], want[max(0, i-40):min(len(want), i+80)])
				}
			}
		})
	}
}

// rawExchange flushes the server, writes chunks with a pause between them so that each
// arrives in its own read, and returns everything the server sent until it closed the
// connection.
func rawExchange(t *testing.T, addr string, chunks []string) []byte {
	t.Helper()
	flush := dialNotify(t, addr)
	flush.do(t, "FLUSHALL")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, chunk := range chunks {
		if i > 0 {
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := c.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading until the server closes: %v (after %d bytes)", err, len(out))
	}
	return out
}
