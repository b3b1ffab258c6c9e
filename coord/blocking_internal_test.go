package coord

import (
	"testing"
	"time"

	"github.com/basaltdb/basalt/proto"
)

// parseTimeout follows Redis 7.2's getTimeoutFromObjectOrReply: a long double in
// seconds, to milliseconds rounded up, out of range past a Unix-millisecond deadline.
// redis-server 7.0 (the differential tests' oracle) overflows on the hex case and calls
// it negative; 7.2's unit/type/list asserts "out of range".
func TestParseTimeout(t *testing.T) {
	const notFloat = "ERR timeout is not a float or out of range"
	const outOfRange = "ERR timeout is out of range"
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"0", 0, ""},
		{"-0", 0, ""},
		{"1", time.Second, ""},
		{"0.15", 150 * time.Millisecond, ""},
		{"0.0001", time.Millisecond, ""}, // rounded up, not down to "forever"
		{"0x10", 16 * time.Second, ""},
		{"1e3", 1000 * time.Second, ""},
		{"-1", 0, proto.ErrTimeoutNegative},
		{"-inf", 0, proto.ErrTimeoutNegative},
		{"inf", 0, outOfRange},
		{"0x7FFFFFFFFFFFFF", 0, outOfRange},
		{"9223372036854775", 0, outOfRange},
		{"1e400", 0, outOfRange}, // a long double holds it
		{"1e5000", 0, notFloat},
		{"abc", 0, notFloat},
		{"nan", 0, notFloat},
		{" 1", 0, notFloat},
		{"1_0", 0, notFloat},
	} {
		got, err := parseTimeout([]byte(tc.in))
		if err != tc.err || (err == "" && got != tc.want) {
			t.Errorf("parseTimeout(%q) = %v, %q; want %v, %q", tc.in, got, err, tc.want, tc.err)
		}
	}
	// Longer than a Duration holds, yet a valid deadline: waits as long as it can.
	if got, err := parseTimeout([]byte("9223372036854")); err != "" || got < 290*365*24*time.Hour {
		t.Errorf("parseTimeout(9223372036854) = %v, %q", got, err)
	}
}
