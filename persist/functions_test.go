package persist

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// A FUNCTION DUMP payload round-trips, long libraries compressed or not, and the
// decoder tells a bad footer from a record that is not a library.
func TestFunctionPayloadRoundTrip(t *testing.T) {
	libs := [][]byte{
		[]byte("#!lua name=a\nredis.register_function('a', function() return 1 end)"),
		[]byte("#!lua name=b\n" + strings.Repeat("-- the same line again\n", 50)),
	}
	p := AppendFunctionPayload(nil, libs)
	if len(p) >= len(libs[0])+len(libs[1]) {
		t.Errorf("the repetitive library was not compressed: %d bytes", len(p))
	}
	got, err := DecodeFunctionPayload(p)
	if err != nil || len(got) != 2 || !bytes.Equal(got[0], libs[0]) || !bytes.Equal(got[1], libs[1]) {
		t.Fatalf("DecodeFunctionPayload = %q, %v", got, err)
	}
	if got, err := DecodeFunctionPayload(AppendFunctionPayload(nil, nil)); err != nil || len(got) != 0 {
		t.Fatalf("empty payload: %q, %v", got, err)
	}
	bad := append([]byte(nil), p...)
	bad[3] ^= 1
	if _, err := DecodeFunctionPayload(bad); !errors.Is(err, ErrPayload) {
		t.Fatalf("corrupt payload: %v", err)
	}
	// A string record (type 0) in a valid frame.
	if _, err := DecodeFunctionPayload(appendFooter([]byte{0, 1, 'k', 1, 'v'})); !errors.Is(err, ErrNotFunction) {
		t.Fatalf("value record: %v", err)
	}
	// A library record cut short: like redis-server, its length runs into the footer.
	cut := appendFooter([]byte{opFunction2})
	if _, err := DecodeFunctionPayload(cut); !errors.Is(err, ErrFunctionRecord) {
		t.Fatalf("truncated record: %v", err)
	}
}

// appendFooter frames body as a payload of DumpVersion.
func appendFooter(body []byte) []byte {
	b := append(body, DumpVersion, 0)
	c := crcUpdate(0, b)
	for i := 0; i < 8; i++ {
		b = append(b, byte(c>>(8*i)))
	}
	return b
}
