package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildServer compiles this command into a temporary directory and returns its path.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "basalt-server")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestStartupErrors(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	badFile := filepath.Join(dir, "basalt.conf")
	conf := "# test\nport 7000\n\nmaxmemory lots\n"
	if err := os.WriteFile(badFile, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}

	f := func(args []string, want string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("%q: got %v, want exit status 1; stderr:\n%s", args, err, stderr.String())
		}
		if got := strings.TrimSpace(stderr.String()); got != want {
			t.Errorf("%q: stderr %q\nwant %q", args, got, want)
		}
	}
	f([]string{"--port", "7000", "--no-such-directive", "1"},
		"basalt-server: --no-such-directive: unknown directive 'no-such-directive'")
	f([]string{"--hz", "fast"},
		`basalt-server: --hz: invalid value "fast" for 'hz': argument couldn't be parsed into an integer`)
	f([]string{badFile},
		"basalt-server: "+badFile+`:4: invalid value "lots" for 'maxmemory': argument must be a memory value`)
	f([]string{filepath.Join(dir, "missing.conf")},
		"basalt-server: cannot read config file: open "+filepath.Join(dir, "missing.conf")+
			": no such file or directory")
	f([]string{"--daemonize", "yes"}, `basalt-server: --daemonize: invalid value "yes" for 'daemonize': `+
		"basalt-server does not daemonize; run it in the foreground under a supervisor "+
		"(systemd, a container runtime) and set daemonize no")
}

func TestHelpAndVersion(t *testing.T) {
	bin := buildServer(t)
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "basalt-server version") {
		t.Errorf("--version: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "basalt-server [config-file] [--directive value ...]") {
		t.Errorf("--help: %v\n%s", err, out)
	}
}
