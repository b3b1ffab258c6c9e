package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// Placeholders a command template may contain, alone or inside a larger argument
// ("user:__key__"). Every occurrence draws anew: "MSET __key__ __data__ __key__
// __data__" writes two different keys with two values.
const (
	// KeyPlaceholder becomes the key prefix and the key number, zero-padded to 12
	// digits like redis-benchmark's keys ("key:000000001234").
	KeyPlaceholder = "__key__"
	// DataPlaceholder becomes a value of --data-size bytes.
	DataPlaceholder = "__data__"
	// RandIntPlaceholder becomes the 12-digit key number alone, as redis-benchmark's
	// __rand_int__ does, so its commands can be replayed here unchanged.
	RandIntPlaceholder = "__rand_int__"
)

// keyDigits is the width keys are padded to; with the default "key:" prefix a key is
// 16 bytes, the size the memory comparison asks for.
const keyDigits = 12

type partKind uint8

const (
	literalPart partKind = iota
	keyPart
	dataPart
	randIntPart
)

type part struct {
	kind partKind
	text string // literalPart only
}

// templateArg is one argument of a template. An argument with no placeholder keeps its
// whole RESP encoding ready to copy.
type templateArg struct {
	parts   []part
	encoded []byte // non-nil when the argument is a literal
	literal int    // bytes of literal text in parts
	keys    int    // key and rand-int placeholders in parts
	datas   int    // data placeholders in parts
}

// Template is a parsed command with placeholders. It is immutable after ParseTemplate
// and shared by all connections.
type Template struct {
	Text   string // as given, for reports
	header []byte // "*<argc>\r\n"
	args   []templateArg
	// Keys is the number of key draws one request makes (for sequential reservations).
	Keys int
}

// ParseTemplate splits a command line into arguments the way redis-cli does for simple
// input: spaces separate arguments, and double or single quotes group words.
func ParseTemplate(text string) (*Template, error) {
	words, err := splitWords(text)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("empty command template")
	}
	t := &Template{Text: text}
	t.header = fmt.Appendf(nil, "*%d\r\n", len(words))
	for _, w := range words {
		a := parseArg(w)
		t.Keys += a.keys
		t.args = append(t.args, a)
	}
	return t, nil
}

func parseArg(w string) templateArg {
	var a templateArg
	for len(w) > 0 {
		i, kind, n := nextPlaceholder(w)
		if i < 0 {
			a.parts = append(a.parts, part{kind: literalPart, text: w})
			a.literal += len(w)
			break
		}
		if i > 0 {
			a.parts = append(a.parts, part{kind: literalPart, text: w[:i]})
			a.literal += i
		}
		a.parts = append(a.parts, part{kind: kind})
		if kind == dataPart {
			a.datas++
		} else {
			a.keys++
		}
		w = w[i+n:]
	}
	if a.keys == 0 && a.datas == 0 {
		a.encoded = fmt.Appendf(nil, "$%d\r\n%s\r\n", a.literal, w0(a.parts))
	}
	return a
}

// w0 returns the text of a literal argument (empty for "").
func w0(parts []part) string {
	if len(parts) == 0 {
		return ""
	}
	return parts[0].text
}

// nextPlaceholder finds the first placeholder in w: its index, kind and length.
func nextPlaceholder(w string) (int, partKind, int) {
	best, kind, n := -1, literalPart, 0
	for _, p := range [...]struct {
		s string
		k partKind
	}{{KeyPlaceholder, keyPart}, {DataPlaceholder, dataPart}, {RandIntPlaceholder, randIntPart}} {
		if i := strings.Index(w, p.s); i >= 0 && (best < 0 || i < best) {
			best, kind, n = i, p.k, len(p.s)
		}
	}
	return best, kind, n
}

func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
				continue
			}
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote, inWord = c, true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unbalanced quotes in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// valueSource hands out values: slices of one buffer of printable bytes, with a length
// drawn from [min, max]. Values alias the buffer, which is never written after
// construction, so connections share it.
type valueSource struct {
	buf      []byte
	min, max int
}

func newValueSource(minSize, maxSize int) *valueSource {
	buf := make([]byte, maxSize)
	for i := range buf {
		// A repeating alphabet rather than one letter: still cheap, and a server that
		// compressed values would not get a free ride.
		buf[i] = 'a' + byte(i*7%26)
	}
	return &valueSource{buf: buf, min: minSize, max: maxSize}
}

// size draws a value length for one placeholder.
func (v *valueSource) size(g *keyGen) int {
	if v.min == v.max {
		return v.min
	}
	return v.min + g.rng.IntN(v.max-v.min+1)
}

// appendRequest renders one request into dst. It allocates nothing once dst has room.
func (t *Template) appendRequest(dst []byte, prefix string, g *keyGen, v *valueSource) []byte {
	dst = append(dst, t.header...)
	for i := range t.args {
		a := &t.args[i]
		if a.encoded != nil {
			dst = append(dst, a.encoded...)
			continue
		}
		dst = appendArg(dst, a, prefix, g, v)
	}
	return dst
}

// appendArg renders an argument with placeholders. Its length depends on what the
// placeholders draw, so the numbers are drawn first into a small scratch array.
func appendArg(dst []byte, a *templateArg, prefix string, g *keyGen, v *valueSource) []byte {
	var keys [8]int64
	var sizes [8]int
	var drawnKeys []int64
	var drawnSizes []int
	if a.keys <= len(keys) && a.datas <= len(sizes) {
		drawnKeys, drawnSizes = keys[:0], sizes[:0]
	}
	n := a.literal
	for _, p := range a.parts {
		switch p.kind {
		case keyPart, randIntPart:
			k := g.next()
			drawnKeys = append(drawnKeys, k)
			n += digitsWidth(k)
			if p.kind == keyPart {
				n += len(prefix)
			}
		case dataPart:
			s := v.size(g)
			drawnSizes = append(drawnSizes, s)
			n += s
		}
	}
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, '\r', '\n')
	ki, di := 0, 0
	for _, p := range a.parts {
		switch p.kind {
		case literalPart:
			dst = append(dst, p.text...)
		case keyPart:
			dst = append(dst, prefix...)
			dst = appendPadded(dst, drawnKeys[ki])
			ki++
		case randIntPart:
			dst = appendPadded(dst, drawnKeys[ki])
			ki++
		case dataPart:
			dst = append(dst, v.buf[:drawnSizes[di]]...)
			di++
		}
	}
	return append(dst, '\r', '\n')
}

// digitsWidth is the length of appendPadded's output for k.
func digitsWidth(k int64) int {
	n := 1
	for x := k; x >= 10; x /= 10 {
		n++
	}
	return max(n, keyDigits)
}

// appendPadded writes k in decimal, zero-padded to keyDigits.
func appendPadded(dst []byte, k int64) []byte {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + k%10)
		k /= 10
		if k == 0 {
			break
		}
	}
	for len(buf)-i < keyDigits {
		i--
		buf[i] = '0'
	}
	return append(dst, buf[i:]...)
}
