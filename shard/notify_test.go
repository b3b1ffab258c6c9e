package shard

import (
	"reflect"
	"strings"
	"testing"

	"github.com/basaltdb/basalt/proto"
)

func TestParseNotifyClasses(t *testing.T) {
	f := func(flags string, want uint32) {
		t.Helper()
		if got := ParseNotifyClasses(flags); got != want {
			t.Errorf("ParseNotifyClasses(%q) = %#x, want %#x", flags, got, want)
		}
	}
	f("", 0)
	f("K", NotifyKeyspace)
	f("E$", NotifyKeyevent|NotifyString)
	f("KEA", NotifyKeyspace|NotifyKeyevent|notifyAll)
	f("Am", notifyAll|NotifyKeyMiss)
	f("gln", NotifyGeneric|NotifyList|NotifyNew)
	f("xetd", NotifyExpired|NotifyEvicted|NotifyStream|NotifyModule)
	if notifyAll&(NotifyKeyMiss|NotifyNew) != 0 {
		t.Error("A must leave out m and n, as in Redis")
	}
}

// recordEvents makes s record every event its hook receives as "db event key".
func recordEvents(s *Shard, flags string) *[]string {
	var got []string
	s.Settings.NotifyClasses.Store(ParseNotifyClasses(flags))
	s.Notify = func(db int, _ uint32, event string, key []byte) {
		got = append(got, strings.Join([]string{string(rune('0' + db)), event, string(key)}, " "))
	}
	return &got
}

func TestNotifyEvents(t *testing.T) {
	run := func(flags string, cmds []string, want []string) {
		t.Helper()
		s := New(0, 16, NewSettings())
		s.Begin(0)
		got := recordEvents(s, flags)
		w := proto.NewWriter(false)
		for _, c := range cmds {
			a := Args{}
			for _, word := range strings.Fields(c) {
				a = append(a, []byte(word))
			}
			h := Lookup(strings.ToLower(string(a[0])))
			if h == nil {
				t.Fatalf("no handler for %s", a[0])
			}
			h(s, a, w)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%s %q:\n got %q\nwant %q", flags, cmds, *got, want)
		}
	}
	run("KEA", []string{"LPUSH l a", "LPOP l"}, []string{"0 lpush l", "0 lpop l", "0 del l"})
	run("KEAn", []string{"SET s 1", "SET s 2"}, []string{"0 new s", "0 set s", "0 set s"})
	run("El", []string{"SET s 1", "RPUSH l a b", "LTRIM l 5 6"}, []string{"0 rpush l", "0 ltrim l"})
	run("Em", []string{"GET nosuch", "SET s 1", "GET s"}, []string{"0 keymiss nosuch"})
	run("Eg", []string{"SET a 1", "MOVE a 3"}, []string{"0 move_from a", "3 move_to a"})
	run("", []string{"SET s 1", "DEL s"}, nil)
}

// With notifications off, SET allocates nothing, as before notifications existed.
func TestNotifyOffAllocs(t *testing.T) {
	s, keys := benchShard(64)
	recordEvents(s, "")
	w := proto.NewWriter(false)
	args := [][]byte{[]byte("SET"), keys[1], make([]byte, 64)}
	if n := testing.AllocsPerRun(100, func() {
		w.Reset()
		setCommand(s, args, w)
	}); n != 0 {
		t.Errorf("SET allocates %v times with notifications off", n)
	}
}

// BenchmarkSetNotifyOn is BenchmarkSet with every class on and a hook that does
// nothing: the cost of deciding to publish, without the publishing.
func BenchmarkSetNotifyOn(b *testing.B) {
	s, keys := benchShard(64)
	s.Settings.NotifyClasses.Store(ParseNotifyClasses("KEA"))
	s.Notify = func(int, uint32, string, []byte) {}
	w := proto.NewWriter(false)
	args := [][]byte{[]byte("SET"), nil, make([]byte, 64)}
	b.ReportAllocs()
	b.SetBytes(64)
	i := 0
	for b.Loop() {
		args[1] = keys[i%benchKeys]
		i++
		w.Reset()
		setCommand(s, args, w)
	}
	benchSink = w.Len()
}
