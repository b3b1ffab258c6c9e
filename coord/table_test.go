package coord

import (
	"testing"

	"github.com/basaltdb/basalt/shard"
)

// Every table row has exactly one kind of handler, and every handler has a row.
func TestTableAndHandlersAgree(t *testing.T) {
	rows := map[string]bool{}
	for _, c := range all {
		name := c.FullName()
		rows[name] = true
		if len(c.Subs) > 0 {
			// A container runs a handler only when it may be called bare (COMMAND).
			if (c.shard != nil || c.client != nil) != (c.Arity == -1) {
				t.Errorf("%s: handler presence does not match arity %d", name, c.Arity)
			}
			continue
		}
		if c.shard == nil && c.client == nil {
			t.Errorf("%s has no handler", name)
		}
		if c.shard != nil && c.client != nil {
			t.Errorf("%s has both a shard and a client handler", name)
		}
		if c.multi != nil && c.shard == nil {
			t.Errorf("%s has a multi-shard handler but no shard handler", name)
		}
		if c.shard != nil && c.multi == nil && (c.keysFn != nil || c.LastKey != c.FirstKey) {
			t.Errorf("%s takes several keys but has no multi-shard handler", name)
		}
		if c.Arity == 0 {
			t.Errorf("%s has arity 0", name)
		}
		if c.Summary == "" {
			t.Errorf("%s has no summary", name)
		}
	}
	for _, n := range shard.Names() {
		if !rows[n] {
			t.Errorf("shard handler %q has no table row", n)
		}
	}
	for n := range clientHandlers {
		if !rows[n] {
			t.Errorf("client handler %q has no table row", n)
		}
	}
	for n := range multiHandlers {
		if !rows[n] {
			t.Errorf("multi-shard handler %q has no table row", n)
		}
	}
}

func TestHashTag(t *testing.T) {
	f := func(key, want string) {
		t.Helper()
		if got := string(hashTag([]byte(key))); got != want {
			t.Errorf("hashTag(%q) = %q, want %q", key, got, want)
		}
	}
	f("foo", "foo")
	f("{user1}:a", "user1")
	f("a{user1}b", "user1")
	f("{}x", "{}x")
	f("{x", "{x")
	f("a}{b}", "b")
	f("{a}{b}", "a")
}
