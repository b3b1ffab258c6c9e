package shard

import (
	"strings"
	"testing"
	"time"
)

func TestMatch(t *testing.T) {
	f := func(pattern, str string, nocase, want bool) {
		t.Helper()
		if got := Match([]byte(pattern), []byte(str), nocase); got != want {
			t.Errorf("Match(%q, %q, nocase=%v) = %v, want %v", pattern, str, nocase, got, want)
		}
		if got := match(pattern, str, nocase); got != want {
			t.Errorf("match on strings (%q, %q) = %v, want %v", pattern, str, got, want)
		}
	}
	// Literals and wildcards.
	f("", "", false, true)
	f("", "a", false, false)
	f("abc", "abc", false, true)
	f("abc", "abd", false, false)
	f("abc", "ab", false, false)
	f("ab", "abc", false, false)
	f("*", "anything", false, true)
	f("*", "", false, false) // as Redis: only "" matches ""
	f("**", "", false, false)
	f("a*", "a", false, true)
	f("a**", "a", false, true)
	f("*a", "a", false, true)
	f("*a*", "bab", false, true)
	f("a*b*c", "aXbYc", false, true)
	f("a*b*c", "aXbY", false, false)
	f("a*?", "a", false, false)
	f("a*?", "ab", false, true)
	f("h?llo", "hello", false, true)
	f("h?llo", "hllo", false, false)
	f("???", "abc", false, true)
	f("*.txt", "notes.txt", false, true)
	f("*.txt", "notes.txt.bak", false, false)
	f("*ab*ab", "abababab", false, true)
	f("*aab", "aaaab", false, true)

	// Classes.
	f("h[ae]llo", "hallo", false, true)
	f("h[ae]llo", "hillo", false, false)
	f("h[^e]llo", "hallo", false, true)
	f("h[^e]llo", "hello", false, false)
	f("h[a-b]llo", "hbllo", false, true)
	f("h[a-b]llo", "hcllo", false, false)
	f("h[b-a]llo", "hallo", false, true) // reversed range
	f("[a-c-e]", "d", false, false)
	f("[a-c-e]", "-", false, true)
	f("[]", "a", false, false)     // empty class
	f("[]a]", "a]", false, false)  // `]` closes at once, so the class is empty
	f("[^]a]", "xa]", false, true) // [^] matches any byte, then "a]"
	f("[^]a]", "xa", false, false)
	f("[^]a]", "x", false, false)
	f("[^]", "x", false, true)
	f(`[\]]`, "]", false, true)
	f(`[\-]`, "-", false, true)
	f(`[a\`, `\`, false, true) // unterminated: runs to the end
	f("[a", "a", false, true)
	f("[a", "b", false, false)
	f("[^b", "a", false, true)
	f("a[", "a", false, false)
	f("[a-]", "b", false, false) // range a..] swallows the bracket: class is unterminated
	f("[a-]", "^", false, true)  // '^' lies between ']' and 'a'
	f("x[a-]y", "xa", false, true)

	// Escapes.
	f(`\*`, "*", false, true)
	f(`\*`, "a", false, false)
	f(`\?`, "?", false, true)
	f(`\[a]`, "[a]", false, true)
	f(`a\`, `a\`, false, true) // a trailing backslash is literal
	f(`a\\`, `a\`, false, true)
	f(`\a`, "a", false, true)

	// nocase.
	f("HELLO", "hello", true, true)
	f("HELLO", "hello", false, false)
	f("h[A-Z]llo", "hello", true, true)
	f("h[A-Z]llo", "hello", false, false)
	f("h[E]llo", "hello", true, true)
	f(`h[\E]llo`, "hello", true, false) // escaped class bytes compare exactly
	f(`\H*`, "hello", true, true)

	// Bytes that are not ASCII.
	f("\xff*", "\xff\x00", false, true)
	f("[\x80-\xff]", "\x90", false, true)
}

// TestMatchNoBlowup checks that many stars against a long non-matching string stay
// polynomial (a naive recursive matcher takes ages here).
func TestMatchNoBlowup(t *testing.T) {
	pattern := []byte(strings.Repeat("*a", 30) + "b")
	str := []byte(strings.Repeat("a", 5000))
	start := time.Now()
	if Match(pattern, str, false) {
		t.Fatal("matched")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestMatchAllocs(t *testing.T) {
	p, s := []byte("h*[a-z]?o*"), []byte("hello world")
	if n := testing.AllocsPerRun(100, func() { Match(p, s, true) }); n != 0 {
		t.Errorf("Match allocates %v times", n)
	}
}

// Like Redis, a match that passes more than 1000 runs of stars (a final one aside)
// fails; up to 1000 it is an ordinary match.
func TestMatchStarNesting(t *testing.T) {
	for _, c := range []struct {
		groups   int
		trailing bool
		want     bool
	}{{999, false, true}, {1000, false, true}, {1001, false, false}, {1000, true, true}, {1001, true, false}} {
		pattern := strings.Repeat("*?", c.groups)
		if c.trailing {
			pattern += "*"
		}
		str := strings.Repeat("a", c.groups)
		if got := Match([]byte(pattern), []byte(str), false); got != c.want {
			t.Errorf("%d groups (trailing star %v): %v, want %v", c.groups, c.trailing, got, c.want)
		}
	}
}
