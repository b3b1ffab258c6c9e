package coord

import (
	"strings"

	"github.com/basaltdb/basalt/shard"
)

// Flag is a command property, as COMMAND INFO lists them.
type Flag uint32

// Command flags. Names match redis-server's COMMAND output.
const (
	FlagWrite Flag = 1 << iota
	FlagReadonly
	FlagDenyOOM
	FlagAdmin
	FlagPubsub
	FlagNoScript
	FlagBlocking
	FlagLoading
	FlagStale
	FlagSkipMonitor
	FlagSkipSlowlog
	FlagFast
	FlagNoAuth
	FlagMayReplicate
	FlagNoMandatoryKeys
	FlagNoMulti
	FlagMovableKeys
	FlagAllowBusy
)

var flagNames = []string{"write", "readonly", "denyoom", "admin", "pubsub", "noscript",
	"blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "fast", "no_auth",
	"may_replicate", "no_mandatory_keys", "no_multi", "movablekeys", "allow_busy"}

// Names returns the flag names in COMMAND's spelling.
func (f Flag) Names() []string {
	var out []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// Command is one row of the command table: the facts about a command that dispatch,
// arity checks, COMMAND, COMMAND DOCS and ACL categories all read. Rows are data; the
// code that runs a command is found by name: a shard handler (per-shard part), a
// multi-shard handler (coordinator part when keys span shards), or a client handler
// (connection and server commands that run on the client's own loop).
type Command struct {
	Name  string
	Arity int // > 0 exact, < 0 minimum, counting the name (and the subcommand)
	Flags Flag
	// FirstKey, LastKey, Step locate the keys: LastKey < 0 counts from the end.
	FirstKey, LastKey, Step int
	// ACL is the command's ACL categories beyond those its flags imply.
	ACL     []string
	Group   string
	Since   string
	Summary string
	Subs    []*Command

	// Filled in by init from the handler registries.
	id     int
	parent *Command
	shard  shard.Handler
	multi  multiHandler
	client clientHandler
	// barrier commands wait until the client's earlier pipelined commands finished.
	barrier bool
	// keysFn overrides FirstKey/LastKey/Step for commands whose keys depend on arguments.
	keysFn func(a [][]byte) []int
}

// FullName is "parent|sub" for subcommands, the name otherwise.
func (c *Command) FullName() string {
	if c.parent != nil {
		return c.parent.Name + "|" + c.Name
	}
	return c.Name
}

const (
	rw   = FlagWrite | FlagDenyOOM
	wr   = FlagWrite
	ro   = FlagReadonly
	fast = FlagFast
)

// table is every command Basalt implements. Arity, flags and key positions are facts
// from Redis's documentation; summaries are ours.
var table = []*Command{
	// connection
	{Name: "ping", Arity: -1, Flags: fast, Group: "connection", Since: "1.0.0", Summary: "Answers PONG, or echoes its argument; checks that the connection is alive."},
	{Name: "echo", Arity: 2, Flags: fast, Group: "connection", Since: "1.0.0", Summary: "Returns its argument."},
	{Name: "hello", Arity: -1, Flags: FlagNoAuth | FlagNoScript | FlagLoading | FlagStale | fast, Group: "connection", Since: "6.0.0", Summary: "Picks the protocol version, optionally authenticates and names the connection, and describes the server."},
	{Name: "auth", Arity: -2, Flags: FlagNoAuth | FlagNoScript | FlagLoading | FlagStale | fast, Group: "connection", Since: "1.0.0", Summary: "Authenticates the connection."},
	{Name: "select", Arity: 2, Flags: FlagLoading | FlagStale | fast, Group: "connection", Since: "1.0.0", Summary: "Switches the connection to another database."},
	{Name: "quit", Arity: -1, Flags: FlagNoAuth | FlagNoScript | FlagLoading | FlagStale | fast, Group: "connection", Since: "1.0.0", Summary: "Closes the connection after the reply."},
	{Name: "reset", Arity: 1, Flags: FlagNoAuth | FlagNoScript | FlagLoading | FlagStale | fast, Group: "connection", Since: "6.2.0", Summary: "Returns the connection to its initial state."},
	{Name: "client", Arity: -2, Group: "connection", Since: "2.4.0", Summary: "Inspects and controls client connections.", Subs: []*Command{
		{Name: "id", Arity: 2, Flags: FlagNoScript | FlagLoading | FlagStale, Summary: "Returns the connection's unique id."},
		{Name: "setname", Arity: 3, Flags: FlagNoScript | FlagLoading | FlagStale, Summary: "Names the connection."},
		{Name: "getname", Arity: 2, Flags: FlagNoScript | FlagLoading | FlagStale, Summary: "Returns the connection's name."},
		{Name: "list", Arity: -2, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Summary: "Describes every open connection."},
		{Name: "info", Arity: 2, Flags: FlagNoScript | FlagLoading | FlagStale, Summary: "Describes this connection."},
		{Name: "kill", Arity: -3, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Summary: "Closes connections chosen by address, id, type, user or name."},
		{Name: "reply", Arity: 3, Flags: FlagNoScript | FlagLoading | FlagStale, Summary: "Turns replies off, on, or off for the next command only."},
		{Name: "no-evict", Arity: 3, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Summary: "Exempts the connection from client eviction."},
		{Name: "no-touch", Arity: 3, Flags: FlagNoScript | FlagLoading | FlagStale, Summary: "Keeps the connection's reads from changing keys' access times."},
		{Name: "setinfo", Arity: 4, Flags: FlagNoScript | FlagLoading | FlagStale, Summary: "Records the client library's name or version."},
		{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, Summary: "Lists CLIENT's subcommands."},
	}},

	// strings
	{Name: "get", Arity: 2, Flags: ro | fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Returns a key's string value."},
	{Name: "set", Arity: -3, Flags: rw, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Stores a string, with options for expiry and conditions."},
	{Name: "setnx", Arity: 3, Flags: rw | fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Stores a string only when the key does not exist."},
	{Name: "setex", Arity: 4, Flags: rw, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.0.0", Summary: "Stores a string with a TTL in seconds."},
	{Name: "psetex", Arity: 4, Flags: rw, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.6.0", Summary: "Stores a string with a TTL in milliseconds."},
	{Name: "getset", Arity: 3, Flags: rw | fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Stores a string and returns the previous one."},
	{Name: "getdel", Arity: 2, Flags: wr | fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "6.2.0", Summary: "Returns a string and deletes its key."},
	{Name: "getex", Arity: -2, Flags: wr | fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "6.2.0", Summary: "Returns a string and changes its TTL."},
	{Name: "mget", Arity: -2, Flags: ro | fast, FirstKey: 1, LastKey: -1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Returns the values of several keys."},
	{Name: "mset", Arity: -3, Flags: rw, FirstKey: 1, LastKey: -1, Step: 2, Group: "string", Since: "1.0.1", Summary: "Stores several strings."},
	{Name: "msetnx", Arity: -3, Flags: rw, FirstKey: 1, LastKey: -1, Step: 2, Group: "string", Since: "1.0.1", Summary: "Stores several strings only when none of the keys exists."},
	{Name: "append", Arity: 3, Flags: rw | fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.0.0", Summary: "Appends to a string, creating it when missing."},
	{Name: "strlen", Arity: 2, Flags: ro | fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.2.0", Summary: "Returns a string's length."},
	{Name: "getrange", Arity: 4, Flags: ro, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.4.0", Summary: "Returns a substring by byte offsets."},
	{Name: "substr", Arity: 4, Flags: ro, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Old name of GETRANGE."},
	{Name: "setrange", Arity: 4, Flags: rw, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.2.0", Summary: "Overwrites part of a string at an offset, padding with zero bytes."},
	{Name: "incr", Arity: 2, Flags: rw | fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Adds one to an integer string."},
	{Name: "decr", Arity: 2, Flags: rw | fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Subtracts one from an integer string."},
	{Name: "incrby", Arity: 3, Flags: rw | fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Adds an integer to an integer string."},
	{Name: "decrby", Arity: 3, Flags: rw | fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Subtracts an integer from an integer string."},
	{Name: "incrbyfloat", Arity: 3, Flags: rw | fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.6.0", Summary: "Adds a floating point number to a numeric string."},
	{Name: "lcs", Arity: -3, Flags: ro, FirstKey: 1, LastKey: 2, Step: 1, Group: "string", Since: "7.0.0", Summary: "Finds the longest common subsequence of two strings."},

	// keyspace
	{Name: "del", Arity: -2, Flags: wr, FirstKey: 1, LastKey: -1, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "1.0.0", Summary: "Deletes keys."},
	{Name: "unlink", Arity: -2, Flags: wr | fast, FirstKey: 1, LastKey: -1, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "4.0.0", Summary: "Deletes keys, reclaiming memory in the background."},
	{Name: "exists", Arity: -2, Flags: ro | fast, FirstKey: 1, LastKey: -1, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "1.0.0", Summary: "Counts how many of the given keys exist."},
	{Name: "touch", Arity: -2, Flags: ro | fast, FirstKey: 1, LastKey: -1, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "3.2.1", Summary: "Refreshes keys' access times and counts the existing ones."},
	{Name: "type", Arity: 2, Flags: ro | fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "1.0.0", Summary: "Returns the type of a key's value."},
	{Name: "expire", Arity: -3, Flags: wr | fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "1.0.0", Summary: "Sets a TTL in seconds."},
	{Name: "pexpire", Arity: -3, Flags: wr | fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "2.6.0", Summary: "Sets a TTL in milliseconds."},
	{Name: "expireat", Arity: -3, Flags: wr | fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "1.2.0", Summary: "Sets an expiry as a Unix time in seconds."},
	{Name: "pexpireat", Arity: -3, Flags: wr | fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "2.6.0", Summary: "Sets an expiry as a Unix time in milliseconds."},
	{Name: "ttl", Arity: 2, Flags: ro | fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "1.0.0", Summary: "Returns the remaining TTL in seconds."},
	{Name: "pttl", Arity: 2, Flags: ro | fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "2.6.0", Summary: "Returns the remaining TTL in milliseconds."},
	{Name: "expiretime", Arity: 2, Flags: ro | fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "7.0.0", Summary: "Returns the expiry as a Unix time in seconds."},
	{Name: "pexpiretime", Arity: 2, Flags: ro | fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "7.0.0", Summary: "Returns the expiry as a Unix time in milliseconds."},
	{Name: "persist", Arity: 2, Flags: wr | fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "2.2.0", Summary: "Removes a key's TTL."},
	{Name: "keys", Arity: 2, Flags: ro, ACL: []string{"keyspace", "dangerous"}, Group: "generic", Since: "1.0.0", Summary: "Lists the keys matching a glob pattern."},
	{Name: "scan", Arity: -2, Flags: ro, ACL: []string{"keyspace"}, Group: "generic", Since: "2.8.0", Summary: "Iterates over the keyspace with a cursor."},
	{Name: "randomkey", Arity: 1, Flags: ro, ACL: []string{"keyspace"}, Group: "generic", Since: "1.0.0", Summary: "Returns a random key."},
	{Name: "rename", Arity: 3, Flags: wr, FirstKey: 1, LastKey: 2, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "1.0.0", Summary: "Renames a key, replacing the destination."},
	{Name: "renamenx", Arity: 3, Flags: wr | fast, FirstKey: 1, LastKey: 2, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "1.0.0", Summary: "Renames a key only when the destination does not exist."},
	{Name: "copy", Arity: -3, Flags: rw, FirstKey: 1, LastKey: 2, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "6.2.0", Summary: "Copies a key's value, optionally to another database."},
	{Name: "move", Arity: 3, Flags: wr | fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace"}, Group: "generic", Since: "1.0.0", Summary: "Moves a key to another database."},
	{Name: "swapdb", Arity: 3, Flags: wr | fast, ACL: []string{"keyspace", "dangerous"}, Group: "server", Since: "4.0.0", Summary: "Exchanges the contents of two databases."},
	{Name: "dbsize", Arity: 1, Flags: ro | fast, ACL: []string{"keyspace"}, Group: "server", Since: "1.0.0", Summary: "Returns the number of keys in the database."},
	{Name: "flushdb", Arity: -1, Flags: wr, ACL: []string{"keyspace", "dangerous"}, Group: "server", Since: "1.0.0", Summary: "Deletes every key of the selected database."},
	{Name: "flushall", Arity: -1, Flags: wr, ACL: []string{"keyspace", "dangerous"}, Group: "server", Since: "1.0.0", Summary: "Deletes every key of every database."},
	{Name: "object", Arity: -2, Group: "generic", Since: "2.2.3", Summary: "Inspects how a value is stored.", Subs: []*Command{
		{Name: "encoding", Arity: 3, Flags: ro, FirstKey: 2, LastKey: 2, Step: 1, ACL: []string{"keyspace"}, Summary: "Returns the internal encoding of a value."},
		{Name: "refcount", Arity: 3, Flags: ro, FirstKey: 2, LastKey: 2, Step: 1, ACL: []string{"keyspace"}, Summary: "Returns the reference count of a value."},
		{Name: "idletime", Arity: 3, Flags: ro, FirstKey: 2, LastKey: 2, Step: 1, ACL: []string{"keyspace"}, Summary: "Returns seconds since the key was last accessed."},
		{Name: "freq", Arity: 3, Flags: ro, FirstKey: 2, LastKey: 2, Step: 1, ACL: []string{"keyspace"}, Summary: "Returns the key's access frequency counter (LFU policies only)."},
		{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, ACL: []string{"keyspace"}, Summary: "Lists OBJECT's subcommands."},
	}},

	// server
	{Name: "info", Arity: -1, Flags: FlagLoading | FlagStale, ACL: []string{"dangerous"}, Group: "server", Since: "1.0.0", Summary: "Reports server state and statistics by section."},
	{Name: "config", Arity: -2, Group: "server", Since: "2.0.0", Summary: "Reads and changes configuration at run time.", Subs: []*Command{
		{Name: "get", Arity: -3, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Summary: "Returns parameters matching glob patterns."},
		{Name: "set", Arity: -4, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Summary: "Changes parameters, all or none."},
		{Name: "resetstat", Arity: 2, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Summary: "Resets the statistics INFO reports."},
		{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, Summary: "Lists CONFIG's subcommands."},
	}},
	{Name: "time", Arity: 1, Flags: FlagLoading | FlagStale | fast, Group: "server", Since: "2.6.0", Summary: "Returns the server's clock."},
	{Name: "debug", Arity: -2, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "server", Since: "1.0.0", Summary: "Debugging aids (SLEEP, SET-ACTIVE-EXPIRE)."},
	{Name: "shutdown", Arity: -1, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale | FlagNoMulti | FlagAllowBusy, Group: "server", Since: "1.0.0", Summary: "Stops the server."},
	{Name: "command", Arity: -1, Flags: FlagLoading | FlagStale, ACL: []string{"connection"}, Group: "server", Since: "2.8.13", Summary: "Describes the commands the server knows.", Subs: []*Command{
		{Name: "count", Arity: 2, Flags: FlagLoading | FlagStale, ACL: []string{"connection"}, Summary: "Returns the number of commands."},
		{Name: "info", Arity: -2, Flags: FlagLoading | FlagStale, ACL: []string{"connection"}, Summary: "Describes the given commands, or all."},
		{Name: "docs", Arity: -2, Flags: FlagLoading | FlagStale, ACL: []string{"connection"}, Summary: "Documents the given commands, or all."},
		{Name: "list", Arity: -2, Flags: FlagLoading | FlagStale, ACL: []string{"connection"}, Summary: "Lists command names, optionally filtered."},
		{Name: "getkeys", Arity: -3, Flags: FlagLoading | FlagStale, ACL: []string{"connection"}, Summary: "Extracts the keys from a full command line."},
		{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, ACL: []string{"connection"}, Summary: "Lists COMMAND's subcommands."},
	}},
}

// byName indexes table by lower-case name.
var byName = map[string]*Command{}

// all lists every command and subcommand by id.
var all []*Command

func init() {
	for _, c := range table {
		byName[c.Name] = c
		index(c)
		for _, sub := range c.Subs {
			sub.parent = c
			if sub.Group == "" {
				sub.Group = c.Group
			}
			if sub.Since == "" {
				sub.Since = c.Since
			}
			index(sub)
		}
	}
}

func index(c *Command) {
	c.id = len(all)
	all = append(all, c)
	c.shard = shard.Lookup(c.FullName())
	c.multi = multiHandlers[c.FullName()]
	c.client = clientHandlers[c.FullName()]
	c.barrier = c.client != nil && c.Name != "ping" && c.Name != "echo"
}

// lookupCommand finds a command by name, case-insensitively, using scratch to lower-case
// without allocating.
func lookupCommand(name []byte, scratch *[32]byte) *Command {
	if len(name) > len(scratch) {
		return nil
	}
	lower := scratch[:len(name)]
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		lower[i] = ch
	}
	return byName[string(lower)]
}

// lookupSub finds a subcommand of c by name, case-insensitively.
func lookupSub(c *Command, name []byte) *Command {
	for _, s := range c.Subs {
		if strings.EqualFold(s.Name, string(name)) {
			return s
		}
	}
	return nil
}

// aclOrder is the order in which Redis lists ACL categories.
var aclOrder = []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash",
	"string", "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting"}

// aclCategories returns the ACL categories of c: the declared ones plus those its flags
// and group imply, as Redis derives them, in Redis's order.
func (c *Command) aclCategories() []string {
	has := map[string]bool{}
	if c.Flags&FlagWrite != 0 {
		has["write"] = true
	}
	if c.Flags&FlagReadonly != 0 {
		has["read"] = true
	}
	if c.Flags&FlagAdmin != 0 {
		has["admin"], has["dangerous"] = true, true
	}
	if c.Flags&FlagPubsub != 0 {
		has["pubsub"] = true
	}
	if c.Flags&FlagBlocking != 0 {
		has["blocking"] = true
	}
	if c.Flags&FlagFast != 0 {
		has["fast"] = true
	} else {
		has["slow"] = true
	}
	switch c.Group {
	case "string":
		has["string"] = true
	case "connection":
		has["connection"] = true
	}
	for _, a := range c.ACL {
		has[a] = true
	}
	var cats []string
	for _, a := range aclOrder {
		if has[a] {
			cats = append(cats, a)
		}
	}
	return cats
}
