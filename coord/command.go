package coord

import (
	"sort"
	"strings"

	"github.com/basaltdb/basalt/proto"
	"github.com/basaltdb/basalt/shard"
)

// COMMAND and its subcommands, all generated from the command table.

// COMMAND
func commandCmd(_ *client, _ [][]byte, w *proto.Writer) {
	w.Array(len(table))
	for _, c := range table {
		writeCommandInfo(w, c)
	}
}

// COMMAND COUNT
func commandCountCmd(_ *client, _ [][]byte, w *proto.Writer) { w.Int(int64(len(table))) }

// COMMAND INFO [command-name ...]
func commandInfoCmd(_ *client, args [][]byte, w *proto.Writer) {
	if len(args) == 2 {
		commandCmd(nil, nil, w)
		return
	}
	w.Array(len(args) - 2)
	for _, a := range args[2:] {
		if c := findByFullName(string(a)); c != nil {
			writeCommandInfo(w, c)
		} else {
			w.NullArray()
		}
	}
}

// findByFullName finds "name" or "parent|sub", case-insensitively.
func findByFullName(name string) *Command {
	name = strings.ToLower(name)
	parent, sub, hasSub := strings.Cut(name, "|")
	c := byName[parent]
	if c == nil || !hasSub {
		return c
	}
	for _, s := range c.Subs {
		if s.Name == sub {
			return s
		}
	}
	return nil
}

// writeCommandInfo writes one COMMAND INFO entry in Redis 7's ten-element shape.
func writeCommandInfo(w *proto.Writer, c *Command) {
	w.Array(10)
	w.BulkString(c.FullName())
	w.Int(int64(c.Arity))
	flags := c.Flags.Names()
	w.Set(len(flags))
	for _, f := range flags {
		w.Simple(f)
	}
	w.Int(int64(c.FirstKey))
	w.Int(int64(c.LastKey))
	w.Int(int64(c.Step))
	cats := c.aclCategories()
	w.Set(len(cats))
	for _, a := range cats {
		w.Simple("@" + a)
	}
	w.Array(0) // tips
	if c.FirstKey > 0 {
		// One key spec: keys from FirstKey, up to LastKey, every Step.
		w.Array(1)
		w.Map(3)
		w.BulkString("flags")
		w.Set(0)
		w.BulkString("begin_search")
		w.Map(2)
		w.BulkString("type")
		w.BulkString("index")
		w.BulkString("spec")
		w.Map(1)
		w.BulkString("index")
		w.Int(int64(c.FirstKey))
		w.BulkString("find_keys")
		w.Map(2)
		w.BulkString("type")
		w.BulkString("range")
		w.BulkString("spec")
		w.Map(3)
		last := c.LastKey
		if last > 0 {
			last -= c.FirstKey
		}
		w.BulkString("lastkey")
		w.Int(int64(last))
		w.BulkString("keystep")
		w.Int(int64(c.Step))
		w.BulkString("limit")
		w.Int(0)
	} else {
		w.Array(0)
	}
	w.Array(len(c.Subs))
	for _, s := range c.Subs {
		writeCommandInfo(w, s)
	}
}

// COMMAND DOCS [command-name ...]
func commandDocsCmd(_ *client, args [][]byte, w *proto.Writer) {
	var cmds []*Command
	if len(args) == 2 {
		cmds = table
	} else {
		for _, a := range args[2:] {
			if c := findByFullName(string(a)); c != nil {
				cmds = append(cmds, c)
			}
		}
	}
	w.Map(len(cmds))
	for _, c := range cmds {
		w.BulkString(c.FullName())
		writeDocs(w, c)
	}
}

func writeDocs(w *proto.Writer, c *Command) {
	n := 3
	if len(c.Subs) > 0 {
		n++
	}
	w.Map(n)
	w.BulkString("summary")
	w.BulkString(c.Summary)
	w.BulkString("since")
	w.BulkString(c.Since)
	w.BulkString("group")
	w.BulkString(c.Group)
	if len(c.Subs) > 0 {
		w.BulkString("subcommands")
		w.Map(len(c.Subs))
		for _, s := range c.Subs {
			w.BulkString(s.FullName())
			writeDocs(w, s)
		}
	}
}

// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
func commandListCmd(_ *client, args [][]byte, w *proto.Writer) {
	keep := func(*Command) bool { return true }
	if len(args) > 2 {
		if len(args) != 5 || !strings.EqualFold(string(args[2]), "filterby") {
			w.Error(proto.ErrSyntax)
			return
		}
		val := string(args[4])
		switch strings.ToLower(string(args[3])) {
		case "module":
			keep = func(*Command) bool { return false }
		case "aclcat":
			keep = func(c *Command) bool {
				for _, a := range c.aclCategories() {
					if strings.EqualFold(a, val) {
						return true
					}
				}
				return false
			}
		case "pattern":
			keep = func(c *Command) bool { return shard.Match([]byte(val), []byte(c.FullName()), true) }
		default:
			w.Error(proto.ErrSyntax)
			return
		}
	}
	var names []string
	for _, c := range all {
		if keep(c) {
			names = append(names, c.FullName())
		}
	}
	sort.Strings(names)
	w.Array(len(names))
	for _, n := range names {
		w.BulkString(n)
	}
}

// COMMAND GETKEYS command [arg ...]
func commandGetkeysCmd(_ *client, args [][]byte, w *proto.Writer) {
	line := args[2:]
	var scratch [32]byte
	c := lookupCommand(line[0], &scratch)
	if c == nil {
		w.Error("ERR Invalid command specified")
		return
	}
	if len(c.Subs) > 0 && len(line) >= 2 {
		if sub := lookupSub(c, line[1]); sub != nil {
			c = sub
		}
	}
	if (c.Arity > 0 && len(line) != c.Arity) || len(line) < -c.Arity {
		w.Error("ERR Invalid number of arguments specified for command")
		return
	}
	var pos []int
	if c.keysFn != nil {
		pos = c.keysFn(line)
	} else if c.FirstKey > 0 {
		last := c.LastKey
		if last < 0 {
			last += len(line)
		}
		for i := c.FirstKey; i <= last && i < len(line); i += c.Step {
			pos = append(pos, i)
		}
	}
	if len(pos) == 0 {
		w.Error("ERR The command has no key arguments")
		return
	}
	w.Array(len(pos))
	for _, p := range pos {
		w.Bulk(line[p])
	}
}

// COMMAND HELP
func commandHelpCmd(_ *client, _ [][]byte, w *proto.Writer) {
	helpReply(w, "COMMAND", []string{
		"(no subcommand)", "    Describe every command.",
		"COUNT", "    Return the number of commands.",
		"INFO [<command-name> ...]", "    Describe the given commands, or all.",
		"DOCS [<command-name> ...]", "    Document the given commands, or all.",
		"LIST [FILTERBY (MODULE <name>|ACLCAT <category>|PATTERN <pattern>)]", "    List command names.",
		"GETKEYS <full-command>", "    Return the keys of a full command line.",
		"HELP", "    Print this help.",
	})
}
