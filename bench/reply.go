package bench

import (
	"bytes"
	"fmt"

	"github.com/basaltdb/basalt/proto"
)

// replyKind classifies a reply for the counters of a run.
type replyKind uint8

const (
	replyValue replyKind = iota
	replyError           // -ERR ... or a RESP3 blob error
	replyNull            // $-1, *-1 or RESP3 _: a miss, for GET
)

// scanReply finds the end of the first complete RESP2 or RESP3 reply in b without
// copying or allocating. It returns 0 when b holds only part of a reply. It checks no
// more than it needs to find the end: the server is trusted to speak RESP.
func scanReply(b []byte) (n int, kind replyKind, err error) {
	pos := 0
	pending := 1 // replies still to skip, nested elements included
	first := true
	for pending > 0 {
		if pos >= len(b) {
			return 0, 0, nil
		}
		eol := bytes.IndexByte(b[pos:], '\n')
		if eol < 0 {
			return 0, 0, nil
		}
		if eol < 2 || b[pos+eol-1] != '\r' {
			return 0, 0, fmt.Errorf("malformed reply line %q", b[pos:pos+eol+1])
		}
		typ, body := b[pos], b[pos+1:pos+eol-1]
		pos += eol + 1
		pending--
		switch typ {
		case '+', ':', ',', '#', '(':
		case '-':
			if first {
				kind = replyError
			}
		case '_':
			if first {
				kind = replyNull
			}
		case '$', '!', '=':
			size, ok := proto.ParseInt(body)
			if !ok {
				return 0, 0, fmt.Errorf("bad bulk length %q", body)
			}
			if size < 0 {
				if first {
					kind = replyNull
				}
				break
			}
			if first && typ == '!' {
				kind = replyError
			}
			pos += int(size) + 2
			if pos > len(b) {
				return 0, 0, nil
			}
		case '*', '~', '>', '%', '|':
			count, ok := proto.ParseInt(body)
			if !ok {
				return 0, 0, fmt.Errorf("bad aggregate length %q", body)
			}
			if count < 0 {
				if first {
					kind = replyNull
				}
				break
			}
			if typ == '%' || typ == '|' {
				count *= 2
			}
			pending += int(count)
			if typ == '|' {
				// An attribute precedes the reply it describes, which still counts.
				pending++
				continue
			}
		default:
			return 0, 0, fmt.Errorf("unknown reply type %q", typ)
		}
		first = false
	}
	return pos, kind, nil
}
