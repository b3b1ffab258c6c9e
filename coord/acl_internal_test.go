package coord

import (
	"strings"
	"testing"
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
