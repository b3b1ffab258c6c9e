package coord

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// logger writes Redis-style log lines ("pid:M 24 Nov 2026 04:21:37.123 * message") to
// the logfile, or stdout when none is set. Safe for concurrent use.
type logger struct {
	mu    sync.Mutex
	out   io.Writer
	level int
	pid   int
}

const (
	levelDebug = iota
	levelVerbose
	levelNotice
	levelWarning
	levelNothing
)

func newLogger(cfg *Config) *logger {
	l := &logger{out: os.Stdout, pid: os.Getpid(), level: levelNotice}
	switch cfg.LogLevel {
	case "debug":
		l.level = levelDebug
	case "verbose":
		l.level = levelVerbose
	case "warning":
		l.level = levelWarning
	case "nothing":
		l.level = levelNothing
	}
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err == nil {
			l.out = f
		} else {
			fmt.Fprintf(os.Stderr, "cannot open log file %q: %v\n", cfg.LogFile, err)
		}
	}
	return l
}

func (l *logger) logf(level int, mark byte, format string, args ...any) {
	if level < l.level {
		return
	}
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.out, "%d:M %s %c %s\n", l.pid, time.Now().Format("02 Jan 2006 15:04:05.000"), mark, msg)
}

func (l *logger) verbose(format string, args ...any) { l.logf(levelVerbose, '-', format, args...) }
func (l *logger) notice(format string, args ...any)  { l.logf(levelNotice, '*', format, args...) }
func (l *logger) warning(format string, args ...any) { l.logf(levelWarning, '#', format, args...) }

// gnetLogger routes gnet's own messages into ours: its informational chatter at verbose
// level, problems as warnings.
type gnetLogger struct{ l *logger }

func (g gnetLogger) Debugf(format string, args ...any) { g.l.logf(levelDebug, '.', format, args...) }
func (g gnetLogger) Infof(format string, args ...any)  { g.l.verbose(format, args...) }
func (g gnetLogger) Warnf(format string, args ...any)  { g.l.warning(format, args...) }
func (g gnetLogger) Errorf(format string, args ...any) { g.l.warning(format, args...) }
func (g gnetLogger) Fatalf(format string, args ...any) { g.l.warning(format, args...) }
