package shard

import "sort"

// handlers maps a command name (lower case, "parent|sub" for subcommands) to the
// function that runs it on one shard. Each family file registers its commands in init;
// coord's command table looks them up, and a test checks that table and registry agree.
var handlers = map[string]Handler{}

func register(name string, h Handler) {
	if _, dup := handlers[name]; dup {
		panic("BUG: shard handler registered twice: " + name)
	}
	handlers[name] = h
}

// Lookup returns the shard handler for a command name, or nil.
func Lookup(name string) Handler { return handlers[name] }

// Names returns every registered command name, sorted.
func Names() []string {
	names := make([]string, 0, len(handlers))
	for n := range handlers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
