package shard

// maxStarNesting is how many runs of stars a match may pass (Redis's recursion limit).
const maxStarNesting = 1000

// byteSeq lets the matcher read keys stored as strings and arguments held as []byte
// without converting (and so copying) either.
type byteSeq interface{ ~string | ~[]byte }

// Match reports whether str matches the glob pattern as KEYS, SCAN MATCH and the other
// pattern-taking commands of Redis define it:
//
//   - `*` matches any run of bytes, `?` any single byte;
//   - `[abc]`, `[^abc]` and ranges `[a-z]` (reversed ranges work too) match one byte; a
//     `\` inside a class takes the next byte literally, a `]` right after `[` or `[^`
//     closes an empty class, and a class left open runs to the end of the pattern;
//   - `\x` matches x literally, and a trailing lone `\` matches a backslash.
//
// nocase folds ASCII letters, except for bytes escaped inside a class, which Redis
// compares exactly. Like Redis, only the empty pattern matches the empty string (not even
// `*` does: KEYS and SCAN special-case a lone `*` before calling the matcher).
//
// The matcher keeps a single backtrack point, the most recent `*`: every other token
// consumes exactly one byte, so a later star makes earlier ones irrelevant. That bounds
// the work by len(pattern)*len(str), and patterns such as `*a*a*a*a*b` cannot blow up
// exponentially. It does not allocate.
//
// Redis's matcher recurses once per star and gives up (no match) past a depth of
// maxStarNesting; the same patterns fail here, so KEYS answers alike: a match that has
// to pass more than maxStarNesting runs of stars, a final one aside, fails.
func Match(pattern, str []byte, nocase bool) bool {
	return match(pattern, str, nocase)
}

func match[P, S byteSeq](pattern P, str S, nocase bool) bool {
	if len(str) == 0 {
		return len(pattern) == 0
	}
	p, s := 0, 0
	// starP is the pattern position right after the latest star (-1: none yet), starS
	// the string position that star is currently assumed to stretch to.
	starP, starS := -1, 0
	// stars counts the runs of stars passed so far, each once (backtracking passes the
	// later ones again); farthest is the position after the last one counted.
	stars, farthest := 0, -1
	for s < len(str) {
		if p < len(pattern) {
			if pattern[p] == '*' {
				for p < len(pattern) && pattern[p] == '*' {
					p++
				}
				if p == len(pattern) {
					return true
				}
				if p > farthest {
					if stars++; stars > maxStarNesting {
						return false
					}
					farthest = p
				}
				starP, starS = p, s
				continue
			}
			if n, ok := matchOne(pattern, p, str[s], nocase); ok {
				p += n
				s++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		p, s = starP, starS
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchOne matches the single-byte token at pattern[p] (which is not a star) against c.
// It returns the token's length in the pattern and whether c matched.
func matchOne[P byteSeq](pattern P, p int, c byte, nocase bool) (int, bool) {
	switch pattern[p] {
	case '?':
		return 1, true
	case '\\':
		if len(pattern)-p >= 2 {
			return 2, sameByte(pattern[p+1], c, nocase)
		}
		return 1, sameByte('\\', c, nocase)
	case '[':
		return matchClass(pattern, p, c, nocase)
	}
	return 1, sameByte(pattern[p], c, nocase)
}

// matchClass matches the `[...]` class starting at pattern[start] against c.
func matchClass[P byteSeq](pattern P, start int, c byte, nocase bool) (int, bool) {
	i := start + 1
	negate := i < len(pattern) && pattern[i] == '^'
	if negate {
		i++
	}
	matched := false
	for i < len(pattern) {
		switch {
		case pattern[i] == '\\' && len(pattern)-i >= 2:
			i++
			if pattern[i] == c {
				matched = true
			}
		case pattern[i] == ']':
			return i + 1 - start, matched != negate
		case len(pattern)-i >= 3 && pattern[i+1] == '-':
			lo, hi, b := pattern[i], pattern[i+2], c
			if lo > hi {
				lo, hi = hi, lo
			}
			if nocase {
				lo, hi, b = lower(lo), lower(hi), lower(b)
			}
			if lo <= b && b <= hi {
				matched = true
			}
			i += 2
		default:
			if sameByte(pattern[i], c, nocase) {
				matched = true
			}
		}
		i++
	}
	// An unterminated class swallows the rest of the pattern, as in Redis.
	return len(pattern) - start, matched != negate
}

func sameByte(a, b byte, nocase bool) bool {
	if nocase {
		return lower(a) == lower(b)
	}
	return a == b
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
