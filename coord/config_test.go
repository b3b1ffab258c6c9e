package coord

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestConfigTable checks the directive table's own invariants: lower-case unique names,
// one accessor that fits the kind, and defaults that parse.
func TestConfigTable(t *testing.T) {
	for _, d := range directives {
		for _, n := range append([]string{d.name}, d.aliases...) {
			if n != strings.ToLower(n) {
				t.Errorf("%s: name %q is not lower case", d.name, n)
			}
		}
		accessors := 0
		for _, set := range []bool{d.intp != nil, d.int64p != nil, d.boolp != nil, d.strp != nil, d.listp != nil} {
			if set {
				accessors++
			}
		}
		if accessors != 1 {
			t.Errorf("%s: %d accessors, want 1", d.name, accessors)
		}
		var fits bool
		switch d.kind {
		case kindInt:
			fits = d.intp != nil || d.int64p != nil
		case kindBytes:
			fits = d.int64p != nil
		case kindBool:
			fits = d.boolp != nil
		case kindString, kindEnum:
			fits = d.strp != nil
		case kindList:
			fits = d.listp != nil
		}
		if !fits {
			t.Errorf("%s: accessor does not fit its kind", d.name)
		}
		if d.kind == kindEnum && len(d.enum) == 0 {
			t.Errorf("%s: enum without values", d.name)
		}
		if _, err := d.parse(d.splitValue(d.def)); err != nil {
			t.Errorf("%s: default %q: %v", d.name, d.def, err)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c := DefaultConfig()
	if c.Port != 6379 || c.Databases != 16 || c.MaxClients != 10000 || c.TCPKeepalive != 300 ||
		c.LogLevel != "notice" || c.Dir != "." || c.Hz != 10 || c.ActiveExpireEffort != 1 ||
		c.ProtoMaxBulkLen != 512<<20 || c.ClientQueryBufferLimit != 1<<30 ||
		!reflect.DeepEqual(c.Bind, []string{"*", "-::*"}) || c.Save != "3600 1 300 100 60 10000" ||
		c.MaxMemoryPolicy != "noeviction" || !c.ProtectedMode || c.TCPBacklog != 511 ||
		c.DBFilename != "dump.rdb" || c.SlowlogLogSlowerThan != 10000 || c.SlowlogMaxLen != 128 ||
		!c.LatencyTracking || !c.SetProcTitle || c.LFULogFactor != 10 || c.LFUDecayTime != 1 {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestConfigSplitArgs(t *testing.T) {
	f := func(in string, want []string, wantErr string) {
		t.Helper()
		got, err := SplitArgs(in)
		if wantErr != "" {
			if err == nil || err.Error() != wantErr {
				t.Errorf("SplitArgs(%q) error = %v, want %q", in, err, wantErr)
			}
			return
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	f("", nil, "")
	f("   \t ", nil, "")
	f("port 6379", []string{"port", "6379"}, "")
	f("  save   900 1\t300 10  ", []string{"save", "900", "1", "300", "10"}, "")
	f(`requirepass "a b"`, []string{"requirepass", "a b"}, "")
	f(`requirepass 'a b'`, []string{"requirepass", "a b"}, "")
	f(`x "tab\there\n\x41\x4a\\\"q\z"`, []string{"x", "tab\there\nAJ\\\"qz"}, "")
	f(`x "\x4"`, []string{"x", "x4"}, "")
	f(`x 'it\'s' 'back\slash'`, []string{"x", "it's", `back\slash`}, "")
	f(`x ""`, []string{"x", ""}, "")
	f(`x ''`, []string{"x", ""}, "")
	f(`x ab"c d"e`, nil, "closing quote must be followed by a space")
	f(`x ab"c d"`, []string{"x", "abc d"}, "")
	f(`x "abc`, nil, "unbalanced quotes")
	f(`x 'abc`, nil, "unbalanced quotes")
	f(`x 'a'b`, nil, "closing quote must be followed by a space")
	f(`x #notacomment`, []string{"x", "#notacomment"}, "")
}

func TestConfigParseBytes(t *testing.T) {
	f := func(in string, want int64, ok bool) {
		t.Helper()
		got, gotOK := parseBytes(in)
		if gotOK != ok || (ok && got != want) {
			t.Errorf("parseBytes(%q) = %d, %v; want %d, %v", in, got, gotOK, want, ok)
		}
	}
	f("0", 0, true)
	f("123", 123, true)
	f("01", 1, true)
	f("1b", 1, true)
	f("1k", 1000, true)
	f("1kb", 1024, true)
	f("1KB", 1024, true)
	f("2m", 2000000, true)
	f("2mb", 2<<20, true)
	f("2Mb", 2<<20, true)
	f("1g", 1000000000, true)
	f("1gb", 1<<30, true)
	f("1GB", 1<<30, true)
	f("9223372036854775807", 1<<63-1, true)
	f("9223372036854775808", 0, false)
	f("8589934592gb", 0, false)
	f("", 0, false)
	f("kb", 0, false)
	f("-1", 0, false)
	f("+1", 0, false)
	f("1.5gb", 0, false)
	f("1tb", 0, false)
	f("1kbb", 0, false)
	f(" 1", 0, false)
}

func TestConfigParseStrictInt(t *testing.T) {
	f := func(in string, want int64, ok bool) {
		t.Helper()
		got, gotOK := parseStrictInt(in)
		if gotOK != ok || (ok && got != want) {
			t.Errorf("parseStrictInt(%q) = %d, %v; want %d, %v", in, got, gotOK, want, ok)
		}
	}
	f("0", 0, true)
	f("-1", -1, true)
	f("42", 42, true)
	f("01", 0, false)
	f("-0", 0, false)
	f("+1", 0, false)
	f("1.5", 0, false)
	f("", 0, false)
	f("-", 0, false)
	f("99999999999999999999", 0, false)
}

func TestConfigKeyspaceEvents(t *testing.T) {
	// Expected forms as CONFIG GET notify-keyspace-events shows them in redis-server 7.0.
	f := func(in, want string) {
		t.Helper()
		c := DefaultConfig()
		if err := c.Set([][2]string{{"notify-keyspace-events", in}}); err != nil {
			t.Fatalf("set %q: %v", in, err)
		}
		if got := c.Get([]string{"notify-keyspace-events"})[0][1]; got != want {
			t.Errorf("notify-keyspace-events %q reads back %q, want %q", in, got, want)
		}
	}
	f("", "")
	f("KEA", "AKE")
	f("KA", "AK")
	f("Kg$lshzxe", "g$lshzxeK")
	f("Kg$lshzxetd", "AK")
	f("Kg$lshzxetdmn", "AKm")
	f("KEAn", "AKE")
	f("Kgd", "gdK")
	f("KEmn", "nKEm")
	f("dt", "td")
	f("tn", "tn")
	f("mE", "Em")

	c := DefaultConfig()
	err := c.Set([][2]string{{"notify-keyspace-events", "KZ"}})
	want := "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - " +
		"Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// writeFile creates name in dir with the given lines and returns its path.
func writeFile(t *testing.T, dir, name string, lines ...string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigParseFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // relative includes and the dir directive resolve here

	f := func(lines []string, want map[string]string) {
		t.Helper()
		p := writeFile(t, dir, "basalt.conf", lines...)
		c := DefaultConfig()
		if err := ParseConfigFile(c, p); err != nil {
			t.Fatalf("ParseConfigFile: %v", err)
		}
		for name, v := range want {
			got := c.Get([]string{name})
			if len(got) != 1 || got[0][1] != v {
				t.Errorf("%s = %q, want %q", name, got, v)
			}
		}
	}
	f([]string{
		"# a comment",
		"",
		"   # an indented comment",
		"port 7000",
		"PORT 7001",
		"bind 127.0.0.1 ::1",
		`requirepass "pa ss\x21"`,
		`logfile ''`,
		"maxmemory 2GB",
		"proto-max-bulk-len 64mb",
		"client-query-buffer-limit 2147483648",
		"appendonly YES",
		"daemonize no",
		"io-threads 4",
		"hz 1000",
		"loglevel Warning",
		"maxmemory-policy allkeys-lru",
		"unixsocket ''",
		"lazyfree-lazy-user-flush yes",
		"slowlog-log-slower-than -1",
		"notify-keyspace-events Ex",
		"timeout 30\r",
	}, map[string]string{
		"port": "7001", "bind": "127.0.0.1 ::1", "requirepass": "pa ss!", "logfile": "",
		"maxmemory": "2147483648", "proto-max-bulk-len": "67108864",
		"client-query-buffer-limit": "2147483648", "appendonly": "yes", "daemonize": "no",
		"threads": "4", "io-threads": "4", "hz": "500", "loglevel": "warning",
		"maxmemory-policy": "allkeys-lru", "lazyfree-lazy-user-flush": "yes",
		"slowlog-log-slower-than": "-1", "notify-keyspace-events": "xE", "timeout": "30",
	})

	// save: the first line replaces the default, later lines add, "" clears.
	f([]string{"save 900 1", "save 300 10", `save "60 10000"`}, map[string]string{"save": "900 1 300 10 60 10000"})
	f([]string{"save 900 1", `save ""`}, map[string]string{"save": ""})
	f([]string{`save ""`, "save 60 1"}, map[string]string{"save": "60 1"})
	f([]string{"hz 0"}, map[string]string{"hz": "1"})

	// include: relative to the working directory, absolute, and by glob.
	writeFile(t, dir, "rel.conf", "port 7100", "maxclients 77")
	sub := filepath.Join(dir, "conf.d")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, sub, "a.conf", "databases 4")
	writeFile(t, sub, "b.conf", "databases 8", "timeout 9")
	abs := writeFile(t, dir, "abs.conf", "tcp-keepalive 60")
	f([]string{"port 1", "include rel.conf", "include " + abs, "include conf.d/*.conf", "timeout 10"},
		map[string]string{"port": "7100", "maxclients": "77", "tcp-keepalive": "60",
			"databases": "8", "timeout": "10"})
	f([]string{"include rel.conf", "port 1"}, map[string]string{"port": "1"})
}

func TestConfigParseFileErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, dir, "bad.conf", "port 1", "# fine", "nope 1")
	writeFile(t, dir, "loop.conf", "include loop.conf")

	f := func(lines []string, want string) {
		t.Helper()
		writeFile(t, dir, "basalt.conf", lines...)
		err := ParseConfigFile(DefaultConfig(), "basalt.conf")
		if err == nil || err.Error() != want {
			t.Errorf("got error %v\nwant %s", err, want)
		}
	}
	f([]string{"port 1", "", "foo bar"}, "basalt.conf:3: unknown directive 'foo'")
	f([]string{"# x", "# y", "port abc"},
		`basalt.conf:3: invalid value "abc" for 'port': argument couldn't be parsed into an integer`)
	f([]string{"port 70000"},
		`basalt.conf:1: invalid value "70000" for 'port': argument must be between 0 and 65535 inclusive`)
	f([]string{"port 1 2"}, "basalt.conf:1: wrong number of arguments for 'port'")
	f([]string{"requirepass"}, "basalt.conf:1: wrong number of arguments for 'requirepass'")
	f([]string{"maxmemory 1tb"},
		`basalt.conf:1: invalid value "1tb" for 'maxmemory': argument must be a memory value`)
	f([]string{"appendonly maybe"},
		`basalt.conf:1: invalid value "maybe" for 'appendonly': argument must be 'yes' or 'no'`)
	f([]string{"loglevel loud"},
		`basalt.conf:1: invalid value "loud" for 'loglevel': argument(s) must be one of the following: `+
			"debug, verbose, notice, warning, nothing")
	f([]string{"active-expire-effort 11"},
		`basalt.conf:1: invalid value "11" for 'active-expire-effort': argument must be between 1 and 10 inclusive`)
	f([]string{"proto-max-bulk-len 1kb"},
		`basalt.conf:1: invalid value "1kb" for 'proto-max-bulk-len': argument must be between 1048576 and 9223372036854775807 inclusive`)
	f([]string{"save 900"}, `basalt.conf:1: invalid value "900" for 'save': Invalid save parameters`)
	f([]string{"save 900 1", "save 60"}, `basalt.conf:2: invalid value "60" for 'save': Invalid save parameters`)
	f([]string{"dbfilename a/b.rdb"},
		`basalt.conf:1: invalid value "a/b.rdb" for 'dbfilename': dbfilename can't be a path, just a filename`)
	f([]string{"x", `requirepass "abc`}, "basalt.conf:1: unknown directive 'x'")
	f([]string{`requirepass "abc`}, "basalt.conf:1: unbalanced quotes")
	f([]string{`requirepass "a"b`}, "basalt.conf:1: closing quote must be followed by a space")
	f([]string{"dir " + filepath.Join(dir, "missing")},
		`basalt.conf:1: invalid value "`+filepath.Join(dir, "missing")+`" for 'dir': No such file or directory`)
	f([]string{"daemonize yes"}, `basalt.conf:1: invalid value "yes" for 'daemonize': `+
		"basalt-server does not daemonize; run it in the foreground under a supervisor "+
		"(systemd, a container runtime) and set daemonize no")
	f([]string{"unixsocket /tmp/basalt.sock"}, `basalt.conf:1: invalid value "/tmp/basalt.sock" `+
		"for 'unixsocket': unix sockets are not supported; listen on TCP (bind, port)")
	f([]string{"port 1", "include bad.conf"},
		"bad.conf:3: unknown directive 'nope' (included from basalt.conf:2)")
	f([]string{"include missing.conf"},
		`basalt.conf:1: include "missing.conf": open missing.conf: no such file or directory`)
	f([]string{"include a b"}, "basalt.conf:1: wrong number of arguments for 'include'")
	if err := ParseConfigFile(DefaultConfig(), "loop.conf"); err == nil ||
		!strings.Contains(err.Error(), "includes nested more than 16 deep") {
		t.Errorf("include loop: got %v", err)
	}
	if err := ParseConfigFile(DefaultConfig(), "absent.conf"); err == nil ||
		err.Error() != "cannot read config file: open absent.conf: no such file or directory" {
		t.Errorf("absent file: got %v", err)
	}
}

func TestConfigDirDirective(t *testing.T) {
	start := t.TempDir()
	t.Chdir(start)
	target := t.TempDir()
	c := DefaultConfig()
	c.EnableProtectedConfigs = "yes"
	if got := c.Get([]string{"dir"})[0][1]; got != absDir(start) {
		t.Errorf("default dir reads %q, want %q", got, start)
	}
	if err := c.ApplyDirective("dir", []string{target}); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if wd != c.Dir || c.Get([]string{"dir"})[0][1] != wd {
		t.Errorf("after dir: cwd %q, Dir %q", wd, c.Dir)
	}
	// CONFIG SET dir moves back when a later parameter of the same command fails.
	err := c.Set([][2]string{{"dir", start}, {"hz", "abc"}})
	if err == nil {
		t.Fatal("expected an error")
	}
	if wd, _ := os.Getwd(); wd != c.Dir || c.Dir != absDir(target) {
		t.Errorf("after failed set: cwd %q, Dir %q, want %q", wd, c.Dir, target)
	}
	if err := c.Set([][2]string{{"dir", start}}); err != nil {
		t.Fatal(err)
	}
	if wd, _ := os.Getwd(); wd != absDir(start) {
		t.Errorf("after set: cwd %q, want %q", wd, start)
	}
	err = c.Set([][2]string{{"dir", filepath.Join(start, "missing")}})
	want := "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestConfigGet(t *testing.T) {
	c := DefaultConfig()
	c.Save = "900 1"
	c.Bind = []string{"127.0.0.1", "-::1"}
	f := func(patterns []string, want ...string) {
		t.Helper()
		var got []string
		for _, kv := range c.Get(patterns) {
			got = append(got, kv[0]+"="+kv[1])
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Get(%q) = %q, want %q", patterns, got, want)
		}
	}
	f([]string{"port"}, "port=6379")
	f([]string{"PORT"}, "PORT=6379") // an exact name is echoed as given, as redis-server 7.0 does
	f([]string{"nope"})
	f([]string{"nope*"})
	f([]string{"hz", "HZ", "h?"}, "hz=10")
	f([]string{"maxmemory*"}, "maxmemory=0", "maxmemory-policy=noeviction", "maxmemory-samples=5", "maxmemory-eviction-tenacity=10")
	f([]string{"MAXMEM*"}, "maxmemory=0", "maxmemory-policy=noeviction", "maxmemory-samples=5", "maxmemory-eviction-tenacity=10")
	f([]string{"*threads"}, "threads=0", "io-threads=0")
	f([]string{"io-threads"}, "io-threads=0")
	f([]string{"bind", "save", "appendonly", "proto-max-bulk-len"},
		"bind=127.0.0.1 -::1", "save=900 1", "appendonly=no", "proto-max-bulk-len=536870912")
	f([]string{"lazyfree-lazy-[es]*"}, "lazyfree-lazy-eviction=no", "lazyfree-lazy-expire=no",
		"lazyfree-lazy-server-del=no")
	f([]string{"lfu-*", "lfu-log-factor"}, "lfu-log-factor=10", "lfu-decay-time=1")

	all := c.Get([]string{"*"})
	names := 0
	for _, d := range directives {
		names += 1 + len(d.aliases)
	}
	if len(all) != names {
		t.Errorf("Get(*) returned %d names, want %d", len(all), names)
	}
}

func TestConfigSet(t *testing.T) {
	f := func(args []string, wantErr string) {
		t.Helper()
		c := DefaultConfig()
		c.EnableProtectedConfigs = "yes"
		var changed []string
		c.OnChange = func(name string) { changed = append(changed, name) }
		before := c.Get([]string{"*"})
		var pairs [][2]string
		for i := 0; i+1 < len(args); i += 2 {
			pairs = append(pairs, [2]string{args[i], args[i+1]})
		}
		err := c.Set(pairs)
		if wantErr == "" {
			if err != nil {
				t.Errorf("Set(%q): %v", args, err)
			}
			if len(changed) != len(pairs) {
				t.Errorf("Set(%q): OnChange saw %q", args, changed)
			}
			return
		}
		if err == nil || err.Error() != wantErr {
			t.Errorf("Set(%q) = %v\nwant %s", args, err, wantErr)
		}
		if after := c.Get([]string{"*"}); !reflect.DeepEqual(before, after) {
			t.Errorf("Set(%q) failed but changed the configuration", args)
		}
		if len(changed) != 0 {
			t.Errorf("Set(%q) failed but OnChange saw %q", args, changed)
		}
	}
	const failed = "ERR CONFIG SET failed (possibly related to argument '"
	f([]string{"hz", "20", "maxmemory", "1gb", "requirepass", "s3cret"}, "")
	protected := DefaultConfig()
	if err := protected.Set([][2]string{{"dir", "/tmp"}}); err == nil || err.Error() != failed+"dir') - can't set protected config" {
		t.Errorf("CONFIG SET dir without enable-protected-configs: %v", err)
	}
	f([]string{"HZ", "20", "io-threads", "1"}, failed+"io-threads') - can't set immutable config")
	f([]string{"foo", "bar"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'")
	f([]string{"hz", "5", "FOO", "bar"}, "ERR Unknown option or number of arguments for CONFIG SET - 'FOO'")
	f([]string{"port", "1234"}, failed+"port') - can't set immutable config")
	f([]string{"hz", "abc", "databases", "3"}, failed+"databases') - can't set immutable config")
	f([]string{"databases", "3", "foo", "1"}, failed+"databases') - can't set immutable config")
	f([]string{"hz", "abc"}, failed+"hz') - argument couldn't be parsed into an integer")
	f([]string{"HZ", "abc"}, failed+"hz') - argument couldn't be parsed into an integer")
	f([]string{"hz", "-5"}, failed+"hz') - argument must be between 0 and 2147483647 inclusive")
	f([]string{"hz", "1", "hz", "2"}, failed+"hz') - duplicate parameter")
	f([]string{"HZ", "1", "hz", "2"}, failed+"hz') - duplicate parameter")
	f([]string{"maxmemory", "1mb", "hz", "abc"}, failed+"hz') - argument couldn't be parsed into an integer")
	f([]string{"hz", "abc", "maxmemory", "abc"}, failed+"hz') - argument couldn't be parsed into an integer")
	f([]string{"maxmemory", "-1"}, failed+"maxmemory') - argument must be a memory value")
	f([]string{"appendonly", "maybe"}, failed+"appendonly') - argument must be 'yes' or 'no'")
	f([]string{"maxmemory-policy", "foo"}, failed+"maxmemory-policy') - argument(s) must be one of the "+
		"following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, "+
		"allkeys-lfu, allkeys-random, noeviction")
	f([]string{"maxclients", "0"}, failed+"maxclients') - argument must be between 1 and 4294967295 inclusive")
	f([]string{"active-expire-effort", "20"}, failed+"active-expire-effort') - argument must be between 1 and 10 inclusive")
	f([]string{"proto-max-bulk-len", "100"}, failed+"proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive")
	f([]string{"slowlog-log-slower-than", "-5"}, failed+"slowlog-log-slower-than') - argument must be between -1 and 9223372036854775807 inclusive")
	f([]string{"save", "900 1 abc"}, failed+"save') - Invalid save parameters")
	f([]string{"save", "0 0"}, failed+"save') - Invalid save parameters")
	f([]string{"dbfilename", "a/b"}, failed+"dbfilename') - dbfilename can't be a path, just a filename")
	for _, name := range []string{"daemonize", "unixsocket", "logfile", "pidfile", "supervised",
		"tcp-backlog", "bind", "threads", "always-show-logo", "set-proc-title"} {
		f([]string{name, "x"}, failed+name+"') - can't set immutable config")
	}

	c := DefaultConfig()
	var changed []string
	c.OnChange = func(name string) { changed = append(changed, name) }
	err := c.Set([][2]string{{"hz", "1000"}, {"MAXMEMORY", "100mb"}, {"save", "60  0"},
		{"loglevel", "DEBUG"}, {"lazyfree-lazy-expire", "Yes"}, {"requirepass", ""}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(changed, []string{"hz", "maxmemory", "save", "loglevel", "lazyfree-lazy-expire", "requirepass"}) {
		t.Errorf("OnChange saw %q", changed)
	}
	if c.Hz != 500 || c.MaxMemory != 100<<20 || c.Save != "60 0" || c.LogLevel != "debug" || !c.LazyfreeLazyExpire {
		t.Errorf("after set: %+v", c)
	}
}

func TestConfigFromArgs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, dir, "basalt.conf", "port 7000", "hz 20", "save 900 1")

	c, err := ConfigFromArgs([]string{"basalt.conf", "--port", "7001", "--bind", "127.0.0.1", "::1",
		"--slowlog-log-slower-than", "-1", "--save", "60", "5", "--requirepass", "a b"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 7001 || c.Hz != 20 || !reflect.DeepEqual(c.Bind, []string{"127.0.0.1", "::1"}) ||
		c.SlowlogLogSlowerThan != -1 || c.Save != "900 1 60 5" || c.RequirePass != "a b" {
		t.Errorf("got %+v", c)
	}

	c, err = ConfigFromArgs([]string{"--save", "--port", "0"})
	if err != nil || c.Save != "" || c.Port != 0 {
		t.Errorf("--save alone: %v, save %q", err, c.Save)
	}

	f := func(args []string, want string) {
		t.Helper()
		_, err := ConfigFromArgs(args)
		if err == nil || err.Error() != want {
			t.Errorf("ConfigFromArgs(%q) = %v\nwant %s", args, err, want)
		}
	}
	f([]string{"--foo", "1"}, "--foo: unknown directive 'foo'")
	f([]string{"--port", "abc"}, `--port: invalid value "abc" for 'port': argument couldn't be parsed into an integer`)
	f([]string{"--port", "1", "2"}, "--port: wrong number of arguments for 'port'")
	f([]string{"--port"}, `--port: invalid value "" for 'port': argument couldn't be parsed into an integer`)
	f([]string{"basalt.conf", "extra"}, `unexpected argument "extra": directives are given as --name value`)
	f([]string{"missing.conf"}, "cannot read config file: open missing.conf: no such file or directory")
	f([]string{"basalt.conf", "--"}, `unexpected argument "--": directives are given as --name value`)
}

// TestStockRedisConfLoads parses the redis.conf that Debian's redis-server package
// installs (make test installs it): a file written for redis-server must load. Only the
// lines that point outside the test are changed: Basalt runs in the foreground, and
// dir, logfile and pidfile go to a temporary directory.
func TestStockRedisConfLoads(t *testing.T) {
	stock, err := os.ReadFile("/etc/redis/redis.conf")
	if err != nil {
		t.Fatalf("the stock redis.conf (package redis-server): %v", err)
	}
	tmp := t.TempDir()
	var lines []string
	for _, line := range strings.Split(string(stock), "\n") {
		switch f := strings.Fields(line); {
		case len(f) > 0 && f[0] == "daemonize":
			line = "daemonize no"
		case len(f) > 0 && f[0] == "dir":
			line = "dir " + tmp
		case len(f) > 0 && (f[0] == "logfile" || f[0] == "pidfile"):
			line = f[0] + " " + filepath.Join(tmp, f[0])
		}
		lines = append(lines, line)
	}
	path := filepath.Join(tmp, "redis.conf")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	defer func() { _ = os.Chdir(wd) }() // dir changes the working directory
	c := DefaultConfig()
	if err := ParseConfigFile(c, path); err != nil {
		t.Fatalf("the stock redis.conf does not load: %v", err)
	}
	if c.ReplicaReadOnly != true || c.Inert.ListCompressDepth != 0 || c.OOMScoreAdj != "no" || c.AOFTimestampEnabled {
		t.Errorf("stock values not stored: %+v", c.Inert)
	}
}
