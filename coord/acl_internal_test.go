package coord

import (
	"strings"
	"testing"

	"github.com/basaltdb/basalt/shard"
)

// benchUser builds a user from rules, as ACL SETUSER would.
func benchUser(tb testing.TB, rules string) *aclUser {
	u := newUser("bench", false)
	for _, r := range strings.Fields(rules) {
		if err := u.apply(r, false); err != nil {
			tb.Fatalf("rule %q: %v", r, err)
		}
	}
	return u.seal()
}

func commandLine(tb testing.TB, words ...string) (*Command, [][]byte) {
	line := make([][]byte, len(words))
	for i, w := range words {
		line[i] = []byte(w)
	}
	c := aclLookup(words[0])
	if c == nil {
		tb.Fatalf("no command %q", words[0])
	}
	return c, line
}

// The check a restricted user's commands pay: one key, ten keys, and a refusal.
func BenchmarkACLCheck(b *testing.B) {
	u := benchUser(b, "on nopass ~app:* ~cache:* &app:* +@all -@dangerous")
	mset := []string{"mset"}
	for i := range 10 {
		mset = append(mset, "app:"+strings.Repeat("k", i+1), "v")
	}
	for _, tc := range []struct {
		name string
		line []string
		want int
	}{
		{"get", []string{"get", "app:1"}, aclOK},
		{"mset10", mset, aclOK},
		{"get-denied", []string{"get", "other"}, aclDeniedKey},
		{"flushall-denied", []string{"flushall"}, aclDeniedCmd},
	} {
		c, line := commandLine(b, tc.line...)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r, _ := u.check(c, line); r != tc.want {
					b.Fatalf("reason %d, want %d", r, tc.want)
				}
			}
		})
	}
}

// The default user skips every check.
func BenchmarkACLCheckOpen(b *testing.B) {
	u := defaultUser()
	c, line := commandLine(b, "get", "k")
	b.ReportAllocs()
	for b.Loop() {
		if r, _ := u.check(c, line); r != aclOK {
			b.Fatal(r)
		}
	}
}

// The prefix shortcut of "literal*" key patterns must agree with the glob matcher.
func TestACLKeyPatternPrefix(t *testing.T) {
	patterns := []string{"*", "app:*", "a*", "", "app:", "a\\*b*", "a?*", "a[bc]*", "*x", "a*b*", "ä*"}
	keys := []string{"", "a", "app:", "app:1", "ap", "a*b", "a*bc", "ab", "ax", "x", "äb", "APP:1"}
	for _, p := range patterns {
		s := newSelector(false)
		if err := s.apply("%RW~" + p); err != nil {
			t.Fatalf("~%s: %v", p, err)
		}
		kp := &s.keys[0]
		_, short := globPrefix(p)
		if short != (kp.prefix != nil) {
			t.Errorf("~%s: prefix shortcut %v, want %v", p, kp.prefix != nil, short)
		}
		for _, k := range keys {
			want := shard.Match([]byte(p), []byte(k), false)
			if got := kp.match([]byte(k)); got != want {
				t.Errorf("~%s against %q: %v, glob says %v", p, k, got, want)
			}
		}
	}
}
