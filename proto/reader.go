package proto

import (
	"errors"
)

// InlineMax is the longest line (inline request or a `*`/`$` header) accepted before the
// request is rejected; Redis uses the same 64 KiB bound.
const InlineMax = 64 * 1024

// DefaultMaxBulk is the default proto-max-bulk-len (512 MB).
const DefaultMaxBulk = 512 * 1024 * 1024

// maxMultibulk bounds the argument count of one request (Redis: INT_MAX, and 1024*1024
// before the client is authenticated); it keeps a hostile header from sizing a huge slice.
const maxMultibulk = 1<<31 - 1

// ProtocolError is a malformed request. The server answers `-ERR <text>` and closes the
// connection, as redis-server does.
type ProtocolError string

func (e ProtocolError) Error() string { return string(e) }

// The protocol errors, with redis-server's exact texts.
const (
	ErrInvalidMultibulk ProtocolError = "Protocol error: invalid multibulk length"
	ErrInvalidBulk      ProtocolError = "Protocol error: invalid bulk length"
	ErrBigMultibulk     ProtocolError = "Protocol error: too big mbulk count string"
	ErrBigBulkCount     ProtocolError = "Protocol error: too big bulk count string"
	ErrBigInline        ProtocolError = "Protocol error: too big inline request"
	ErrUnbalancedQuotes ProtocolError = "Protocol error: unbalanced quotes in request"
)

// expectedDollar is the error for a multibulk argument that does not start with '$':
// "Protocol error: expected '$', got 'X'". redis-server turns CR and LF in an error reply
// into spaces, so X is a space for those bytes and the text is exactly what it sends.
// It allocates; it is only called on the way to closing the connection.
func expectedDollar(c byte) ProtocolError {
	if c == '\r' || c == '\n' {
		c = ' '
	}
	return ProtocolError("Protocol error: expected '$', got '" + string([]byte{c}) + "'")
}

// errIncomplete is internal: more bytes are needed.
var errIncomplete = errors.New("incomplete request")

// Request is one parsed command. Args alias the buffer passed to Parse or, for inline
// requests with quotes, the Request's own scratch space; they are valid until that buffer
// is reused or the next Parse into this Request, whichever comes first. Callers that keep
// an argument past that point must copy it.
//
// A Request is reused across Parse calls so that parsing does not allocate once Args and
// the scratch space have grown to the connection's usual request shape.
type Request struct {
	Args    [][]byte
	scratch []byte
}

// Parser splits a byte stream into requests. It holds only limits; it is owned by one
// connection and is not safe for concurrent use. The zero value uses redis-server's
// default limits.
//
// Parse is stateless between calls: an incomplete request is parsed again from its first
// byte when more input arrives. Headers are rescanned, bulk payloads are not.
type Parser struct {
	// MaxBulk is proto-max-bulk-len: the largest accepted bulk argument (0: DefaultMaxBulk).
	MaxBulk int64
	// MaxArgs bounds the multibulk count (1024*1024 for unauthenticated clients in Redis;
	// 0: INT_MAX, as redis-server).
	MaxArgs int64
	// need is set by an incomplete Parse; see Need.
	need int64
}

// Need returns, after Parse reported an incomplete request, a length of buf below which
// parsing again cannot succeed (0 when unknown). It lets a connection receiving a large
// value skip re-parsing until the value's bytes are all there.
func (p *Parser) Need() int64 { return p.need }

// Parse reads one request from buf. It returns the number of bytes consumed. When buf
// holds no complete request it returns n == 0 and err == nil; the caller waits for more
// bytes. An empty request (a blank inline line, `*0` or a negative count such as `*-1`)
// consumes its bytes and returns a Request with no Args, which callers skip. A
// ProtocolError is fatal for the connection.
//
// Framing follows redis-server byte for byte, including its quirks: a `*`/`$` header ends
// at the first CR and the byte after it is skipped unchecked, as are the two bytes after a
// bulk payload; a header or inline line that holds a NUL byte before its terminator is
// never complete (redis-server searches with strchr), so it waits until the line is too
// big. A line is too big when more than InlineMax bytes precede its terminator; this is
// what redis-server does when bytes arrive one by one (with larger reads it sometimes
// accepts a somewhat longer line).
//
// The returned Args alias buf: valid only while buf is (see Request).
func (p *Parser) Parse(buf []byte, r *Request) (n int, err error) {
	r.Args = r.Args[:0]
	p.need = 0
	if len(buf) == 0 {
		return 0, nil
	}
	if buf[0] == '*' {
		n, err = p.parseMultibulk(buf, r)
	} else {
		n, err = p.parseInline(buf, r)
	}
	if err != nil {
		r.Args = r.Args[:0] // drop the arguments of a partial or bad request
		if err == errIncomplete {
			return 0, nil
		}
	}
	return n, err
}

// findLineEnd returns the index of the first term byte in b, or -1 when there is none
// within the first InlineMax+1 bytes (so a line is too big exactly when it returns -1 and
// len(b) > InlineMax). Like C's strchr on redis-server's NUL-terminated query buffer, it
// does not look past a NUL byte. Lines are short, so a plain loop that checks both bytes
// at once beats two bytes.IndexByte calls.
func findLineEnd(b []byte, term byte) int {
	if len(b) > InlineMax+1 {
		b = b[:InlineMax+1]
	}
	for i, c := range b {
		if c == term {
			return i
		}
		if c == 0 {
			return -1
		}
	}
	return -1
}

// headerLine finds the `*<n>` or `$<n>` header at the start of b. It returns the bytes
// between the type byte and the CR and the index of the byte after the header, or
// errIncomplete, or tooBig when more than InlineMax bytes come without a CR.
func headerLine(b []byte, tooBig ProtocolError) (line []byte, next int, err error) {
	cr := findLineEnd(b, '\r')
	if cr < 0 {
		if len(b) > InlineMax {
			return nil, 0, tooBig
		}
		return nil, 0, errIncomplete
	}
	// The byte after CR must have arrived; like redis-server we do not check it is LF.
	if cr+1 >= len(b) {
		return nil, 0, errIncomplete
	}
	if cr == 0 {
		// The type byte itself is CR; the caller rejects it.
		return nil, 2, nil
	}
	return b[1:cr], cr + 2, nil
}

// parseLength parses a protocol length the way redis-server's string2ll does; see
// ParseInt.
func parseLength(b []byte) (int64, bool) { return ParseInt(b) }

func (p *Parser) parseMultibulk(buf []byte, r *Request) (int, error) {
	line, pos, err := headerLine(buf, ErrBigMultibulk)
	if err != nil {
		return 0, err
	}
	count, ok := parseLength(line)
	maxArgs := p.MaxArgs
	if maxArgs <= 0 {
		maxArgs = maxMultibulk
	}
	if !ok || count > maxArgs {
		return 0, ErrInvalidMultibulk
	}
	if count <= 0 {
		return pos, nil
	}
	maxBulk := p.MaxBulk
	if maxBulk <= 0 {
		maxBulk = DefaultMaxBulk
	}
	for i := int64(0); i < count; i++ {
		if pos >= len(buf) {
			return 0, errIncomplete
		}
		// redis-server looks for the whole header line before it checks the '$'.
		line, next, err := headerLine(buf[pos:], ErrBigBulkCount)
		if err != nil {
			return 0, err
		}
		if buf[pos] != '$' {
			return 0, expectedDollar(buf[pos])
		}
		size, ok := parseLength(line)
		if !ok || size < 0 || size > maxBulk {
			return 0, ErrInvalidBulk
		}
		start := pos + next
		// The payload and two more bytes (unchecked, as in redis-server) must be here.
		// Compared this way round so that a huge MaxBulk cannot overflow an int.
		if size > int64(len(buf)-start-2) {
			// The request cannot complete before this bulk does: let the caller wait for
			// that many bytes instead of rescanning the headers on every read.
			p.need = int64(start) + size + 2
			return 0, errIncomplete
		}
		end := start + int(size)
		r.Args = append(r.Args, buf[start:end:end])
		pos = end + 2
	}
	return pos, nil
}

func (p *Parser) parseInline(buf []byte, r *Request) (int, error) {
	nl := findLineEnd(buf, '\n')
	if nl < 0 {
		if len(buf) > InlineMax {
			return 0, ErrBigInline
		}
		return 0, errIncomplete
	}
	line := buf[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if err := splitInline(line, r); err != nil {
		return 0, err
	}
	return nl + 1, nil
}

// splitInline splits an inline request into arguments the way redis-server does
// (sdssplitargs): runs of C isspace bytes separate words; inside a word only space, tab,
// CR and LF end it (so "a\vb" is one word); "double quotes" take \n \r \t \b \a and \xHH
// escapes and a backslash before any other byte yields that byte; 'single quotes' take
// only \'. A quoted part may follow unquoted bytes of the same word (a"b c" is `ab c`),
// but a closing quote must be followed by isspace or the end of the line.
func splitInline(line []byte, r *Request) error {
	// Arguments without quotes alias line; quoted ones are unescaped into scratch, which
	// is sized first so that earlier arguments never move (unescaping never grows).
	if cap(r.scratch) < len(line) {
		r.scratch = make([]byte, 0, len(line))
	}
	r.scratch = r.scratch[:0]
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return nil
		}
		start := i
		for i < len(line) && !isWordEnd(line[i]) && line[i] != '"' && line[i] != '\'' {
			i++
		}
		if i < len(line) && (line[i] == '"' || line[i] == '\'') {
			var err error
			if i, err = quotedWord(line, start, r); err != nil {
				return err
			}
			continue
		}
		r.Args = append(r.Args, line[start:i:i])
	}
}

// quotedWord reads a word that starts at start and contains quoted parts, unescaping
// into r.scratch, and returns the index after it.
func quotedWord(line []byte, start int, r *Request) (int, error) {
	begin := len(r.scratch)
	i := start
	inDouble, inSingle := false, false
	for {
		if i >= len(line) {
			if inDouble || inSingle {
				return 0, ErrUnbalancedQuotes
			}
			break
		}
		c := line[i]
		if inDouble {
			switch {
			case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
				r.scratch = append(r.scratch, hexVal(line[i+2])<<4|hexVal(line[i+3]))
				i += 4
			case c == '\\' && i+1 < len(line):
				r.scratch = append(r.scratch, unescape(line[i+1]))
				i += 2
			case c == '"':
				if i+1 < len(line) && !isSpace(line[i+1]) {
					return 0, ErrUnbalancedQuotes
				}
				i++
				inDouble = false
				goto done
			default:
				r.scratch = append(r.scratch, c)
				i++
			}
			continue
		}
		if inSingle {
			switch {
			case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
				r.scratch = append(r.scratch, '\'')
				i += 2
			case c == '\'':
				if i+1 < len(line) && !isSpace(line[i+1]) {
					return 0, ErrUnbalancedQuotes
				}
				i++
				inSingle = false
				goto done
			default:
				r.scratch = append(r.scratch, c)
				i++
			}
			continue
		}
		switch {
		case isWordEnd(c):
			goto done
		case c == '"':
			inDouble = true
		case c == '\'':
			inSingle = true
		default:
			r.scratch = append(r.scratch, c)
		}
		i++
	}
done:
	end := len(r.scratch)
	r.Args = append(r.Args, r.scratch[begin:end:end])
	return i, nil
}

// unescape maps the byte after a backslash inside double quotes.
func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}

// isSpace is C's isspace in the C locale: it separates words and must follow a closing
// quote.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// isWordEnd reports the bytes that end an unquoted word; \v and \f do not.
func isWordEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
