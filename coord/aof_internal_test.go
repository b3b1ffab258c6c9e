package coord

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzReadAOFCommand feeds arbitrary bytes to the AOF command reader: it must never
// panic, every command it returns must be a complete RESP array, and the lengths it
// reports must add up to no more than the input.
func FuzzReadAOFCommand(f *testing.F) {
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"))
	f.Add([]byte("#TS:1700000000\r\n*1\r\n$5\r\nMULTI\r\n#TS:1700000001\r\n*1\r\n$4\r\nEXEC\r\n"))
	f.Add([]byte("#TS:17\r\n"))
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nshort"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		total := 0
		for {
			cmd, n, err := readAOFCommand(r)
			total += n
			if total > len(data) {
				t.Fatalf("lengths add up to %d of %d bytes", total, len(data))
			}
			if err != nil {
				return
			}
			if len(cmd) > n || len(cmd) < 4 || cmd[0] != '*' || !bytes.HasSuffix(cmd, []byte("\r\n")) {
				t.Fatalf("command %q of length %d", cmd, n)
			}
		}
	})
}
