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
			w.Null()
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

// writeCommandInfo writes one COMMAND INFO entry in Redis 7's ten-element shape: name,
// arity, flags, first key, last key, step, ACL categories, tips, key specs and
// subcommands. In RESP3, as in Redis, flags, categories, tips and key specs are sets,
// and so is an empty list of subcommands, while a non-empty one is an array.
func writeCommandInfo(w *proto.Writer, c *Command) {
	w.Array(10)
	w.BulkString(c.FullName())
	w.Int(int64(c.Arity))
	writeStatusSet(w, "", c.Flags.Names())
	w.Int(int64(c.FirstKey))
	w.Int(int64(c.LastKey))
	w.Int(int64(c.Step))
	writeStatusSet(w, "@", c.categories)
	w.Set(len(c.Tips))
	for _, tip := range c.Tips {
		w.BulkString(tip)
	}
	w.Set(len(c.KeySpecs))
	for _, k := range c.KeySpecs {
		writeKeySpec(w, k)
	}
	if len(c.Subs) == 0 {
		w.Set(0)
		return
	}
	w.Array(len(c.Subs))
	for _, s := range c.Subs {
		writeCommandInfo(w, s)
	}
}

// writeStatusSet writes names as a set of simple strings, each after prefix.
func writeStatusSet(w *proto.Writer, prefix string, names []string) {
	w.Set(len(names))
	for _, n := range names {
		w.Simple(prefix + n)
	}
}

// writeKeySpec writes one key spec as COMMAND INFO shows it: a map of notes (when
// there are any), flags, begin_search and find_keys (a range or a key count).
func writeKeySpec(w *proto.Writer, k KeySpec) {
	if k.Notes != "" {
		w.Map(4)
		w.BulkString("notes")
		w.BulkString(k.Notes)
	} else {
		w.Map(3)
	}
	w.BulkString("flags")
	writeStatusSet(w, "", k.Flags.Names())

	if k.Unknown {
		for _, field := range []string{"begin_search", "find_keys"} {
			w.BulkString(field)
			w.Map(2)
			w.BulkString("type")
			w.BulkString("unknown")
			w.BulkString("spec")
			w.Map(0)
		}
		return
	}
	w.BulkString("begin_search")
	w.Map(2)
	w.BulkString("type")
	if k.Keyword != "" {
		w.BulkString("keyword")
		w.BulkString("spec")
		w.Map(2)
		w.BulkString("keyword")
		w.BulkString(k.Keyword)
		w.BulkString("startfrom")
	} else {
		w.BulkString("index")
		w.BulkString("spec")
		w.Map(1)
		w.BulkString("index")
	}
	w.Int(int64(k.BeginIndex))

	w.BulkString("find_keys")
	w.Map(2)
	w.BulkString("type")
	if k.KeyNum {
		w.BulkString("keynum")
		w.BulkString("spec")
		w.Map(3)
		w.BulkString("keynumidx")
		w.Int(int64(k.KeyNumIdx))
		w.BulkString("firstkey")
		w.Int(int64(k.FirstKey))
		w.BulkString("keystep")
		w.Int(int64(k.KeyStep))
		return
	}
	w.BulkString("range")
	w.BulkString("spec")
	w.Map(3)
	w.BulkString("lastkey")
	w.Int(int64(k.LastKey))
	w.BulkString("keystep")
	w.Int(int64(k.KeyStep))
	w.BulkString("limit")
	w.Int(int64(k.Limit))
}

// COMMAND DOCS [command-name ...]
//
// Each command's documentation is a map like Redis's, with a subset of its fields:
// summary (in our words), since, group and, for a container, subcommands. Basalt leaves
// out complexity, doc_flags, deprecated_since, replaced_by, history and arguments.
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
				for _, a := range c.categories {
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

// COMMAND GETKEYS errors, in Redis's words.
const (
	errGetkeysUnknown = "ERR Invalid command specified"
	errGetkeysNoKeys  = "ERR The command has no key arguments"
	errGetkeysArity   = "ERR Invalid number of arguments specified for command"
	errGetkeysBadArgs = "ERR Invalid arguments specified for command"
)

// COMMAND GETKEYS command [arg ...]
func commandGetkeysCmd(_ *client, args [][]byte, w *proto.Writer) {
	line := args[2:]
	var scratch [32]byte
	c := lookupCommand(line[0], &scratch)
	if c != nil && len(c.Subs) > 0 && len(line) >= 2 {
		c = lookupSub(c, line[1])
	}
	switch {
	case c == nil:
		w.Error(errGetkeysUnknown)
		return
	case len(c.KeySpecs) == 0 && c.keysFn == nil:
		w.Error(errGetkeysNoKeys)
		return
	case (c.Arity > 0 && len(line) != c.Arity) || len(line) < -c.Arity:
		w.Error(errGetkeysArity)
		return
	}
	pos := c.keyPositions(line)
	if len(pos) == 0 {
		w.Error(errGetkeysBadArgs)
		return
	}
	w.Array(len(pos))
	for _, p := range pos {
		w.Bulk(line[p])
	}
}

// keyPositions returns the indexes of the keys in a full command line (the command name
// at index 0).
func (c *Command) keyPositions(line [][]byte) []int {
	if c.keysFn != nil {
		return c.keysFn(line)
	}
	var pos []int
	if c.FirstKey > 0 {
		last := c.LastKey
		if last < 0 {
			last += len(line)
		}
		for i := c.FirstKey; i <= last && i < len(line); i += c.Step {
			pos = append(pos, i)
		}
	}
	return pos
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
