package proto

import (
	"bytes"
	"errors"
	"strconv"
	"testing"
	"unsafe"
)

// FuzzParse feeds arbitrary bytes to the parser, request after request, and checks:
//   - Parse never panics and consumes between 0 and len(buf) bytes;
//   - a failure is a ProtocolError with nothing consumed and no arguments;
//   - arguments lie inside the consumed bytes (or, for quoted inline words, the
//     Request's scratch space);
//   - a request is self-delimiting: its exact bytes parse to the same arguments, and every
//     shorter prefix of them asks for more input;
//   - the arguments re-encoded as a multibulk request, or as a quoted inline line, parse
//     back to the same arguments.
//
// The seed corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Parser
		var r Request
		off := 0
		for off < len(data) {
			rest := data[off:]
			n, err := p.Parse(rest, &r)
			if n < 0 || n > len(rest) {
				t.Fatalf("Parse(%q) consumed %d of %d bytes", rest, n, len(rest))
			}
			if err != nil {
				var pe ProtocolError
				if !errors.As(err, &pe) {
					t.Fatalf("Parse(%q) returned a non-protocol error %v", rest, err)
				}
				if n != 0 || len(r.Args) != 0 {
					t.Fatalf("Parse(%q) failed but consumed %d bytes, %d args", rest, n, len(r.Args))
				}
				return
			}
			if n == 0 {
				if len(r.Args) != 0 {
					t.Fatalf("Parse(%q) wants more bytes but returned %d args", rest, len(r.Args))
				}
				return
			}
			for i, a := range r.Args {
				if !within(a, rest[:n]) && !within(a, r.scratch) {
					t.Fatalf("Parse(%q): arg %d %q lies outside the request and scratch", rest[:n], i, a)
				}
			}
			args := copyArgs(r.Args)
			checkSelfDelimiting(t, rest[:n], args)
			checkRoundTrip(t, appendMultibulk(nil, args), args)
			if line, ok := appendInline(nil, args); ok {
				checkRoundTrip(t, line, args)
			}
			off += n
		}
	})
}

// checkSelfDelimiting parses exactly the bytes of one request: it must consume all of them
// and yield the same arguments, and every shorter prefix must ask for more input.
func checkSelfDelimiting(t *testing.T, req []byte, want [][]byte) {
	t.Helper()
	var p Parser
	var r Request
	n, err := p.Parse(req, &r)
	if err != nil || n != len(req) || !equalArgs(r.Args, want) {
		t.Fatalf("Parse(%q) alone = %d, %v, %q; want %d, nil, %q", req, n, err, r.Args, len(req), want)
	}
	step := 1
	if len(req) > 512 {
		step = len(req)/256 + 1 // keep the fuzzer fast on big inputs
	}
	for k := len(req) - 1; k >= 0; k -= step {
		if n, err := p.Parse(req[:k], &r); n != 0 || err != nil {
			t.Fatalf("Parse(prefix %q of %q) = %d, %v; want 0, nil", req[:k], req, n, err)
		}
	}
}

func checkRoundTrip(t *testing.T, wire []byte, want [][]byte) {
	t.Helper()
	var p Parser
	var r Request
	n, err := p.Parse(wire, &r)
	if err != nil || n != len(wire) || !equalArgs(r.Args, want) {
		t.Fatalf("re-encoded %q parsed as %d, %v, %q; want %d, nil, %q", wire, n, err, r.Args, len(wire), want)
	}
}

// appendMultibulk encodes args as a RESP multibulk request.
func appendMultibulk(dst []byte, args [][]byte) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// appendInline encodes args as an inline request with every argument in double quotes,
// escaping what the inline splitter would otherwise interpret. It reports false when the
// line would be too long for an inline request.
func appendInline(dst []byte, args [][]byte) ([]byte, bool) {
	const hex = "0123456789abcdef"
	for i, a := range args {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, '"')
		for _, c := range a {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c < ' ' || c >= 0x7f:
				dst = append(dst, '\\', 'x', hex[c>>4], hex[c&15])
			default:
				dst = append(dst, c)
			}
		}
		dst = append(dst, '"')
	}
	if len(dst) > InlineMax {
		return nil, false
	}
	return append(dst, '\r', '\n'), true
}

// within reports whether a lies inside b's backing array between b[0] and b[len(b)].
func within(a, b []byte) bool {
	if len(a) == 0 {
		return true
	}
	if len(b) == 0 {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	return p >= start && p+uintptr(len(a)) <= start+uintptr(len(b))
}

func copyArgs(args [][]byte) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = append([]byte{}, a...)
	}
	return out
}

func equalArgs(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
