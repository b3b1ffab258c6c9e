package bench

import "testing"

func TestScanReply(t *testing.T) {
	f := func(reply string, kind replyKind) {
		t.Helper()
		// Every proper prefix is incomplete; the whole reply ends where it should even
		// with the next reply behind it.
		for i := range len(reply) {
			n, _, err := scanReply([]byte(reply[:i]))
			if err != nil || n != 0 {
				t.Fatalf("prefix %q of %q: n=%d err=%v, want incomplete", reply[:i], reply, n, err)
			}
		}
		n, k, err := scanReply([]byte(reply + "+NEXT\r\n"))
		if err != nil || n != len(reply) || k != kind {
			t.Errorf("%q: n=%d kind=%d err=%v; want n=%d kind=%d", reply, n, k, err, len(reply), kind)
		}
	}
	f("+OK\r\n", replyValue)
	f("-ERR unknown command\r\n", replyError)
	f(":42\r\n", replyValue)
	f("$5\r\nhello\r\n", replyValue)
	f("$0\r\n\r\n", replyValue)
	f("$-1\r\n", replyNull)
	f("*-1\r\n", replyNull)
	f("*0\r\n", replyValue)
	f("*2\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n", replyValue)
	f("$12\r\nwith\r\nCRLF!!\r\n", replyValue)
	// RESP3
	f("_\r\n", replyNull)
	f(",3.14\r\n", replyValue)
	f("#t\r\n", replyValue)
	f("(12345678901234567890\r\n", replyValue)
	f("!10\r\nERR oh no!\r\n", replyError)
	f("=8\r\ntxt:abcd\r\n", replyValue)
	f("%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n:2\r\n", replyValue)
	f("~2\r\n+a\r\n+b\r\n", replyValue)
	f(">3\r\n+message\r\n+ch\r\n+hi\r\n", replyValue)
	f("|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n", replyValue)
}

func TestScanReplyErrors(t *testing.T) {
	for _, bad := range []string{"?\r\n", "+OK\n", "$x\r\nab\r\n", "*y\r\n", "\n"} {
		if _, _, err := scanReply([]byte(bad)); err == nil {
			t.Errorf("scanReply(%q) accepted", bad)
		}
	}
}
