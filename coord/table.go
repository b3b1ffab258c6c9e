package coord

import (
	"fmt"
	"slices"
	"strings"

	"github.com/basaltdb/basalt/shard"
)

// Flag is a command property, as COMMAND INFO lists them.
type Flag uint32

// Command flags. Names match redis-server's COMMAND output, and so does their order:
// COMMAND INFO lists a command's flags in the order of these constants.
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
	FlagAsking
	FlagFast
	FlagNoAuth
	FlagMayReplicate
	FlagNoMandatoryKeys
	FlagNoAsyncLoading
	FlagNoMulti
	FlagMovableKeys
	FlagAllowBusy
)

var flagNames = []string{"write", "readonly", "denyoom", "admin", "pubsub", "noscript",
	"blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth",
	"may_replicate", "no_mandatory_keys", "no_async_loading", "no_multi", "movablekeys", "allow_busy"}

// Names returns the flag names in COMMAND's spelling and order.
func (f Flag) Names() []string {
	var out []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// KeyFlag says how a command uses the keys that one key spec finds.
type KeyFlag uint16

// Key-spec flags. Names match redis-server's COMMAND output, and so does their order.
// Exactly one of RO, RW, OW and RM says what happens to the key as a whole; the others
// say what happens to the data in it.
const (
	KeyRO            KeyFlag = 1 << iota // reads the value, never changes it
	KeyRW                                // reads the value and may change it
	KeyOW                                // overwrites the value without reading it
	KeyRM                                // deletes the key
	KeyAccess                            // returns data from the value to the client
	KeyUpdate                            // replaces data in the value
	KeyInsert                            // only adds data to the value
	KeyDelete                            // only removes data from the value
	KeyNotKey                            // the argument names something else, e.g. a shard channel
	KeyIncomplete                        // the spec may miss some of the keys
	KeyVariableFlags                     // the flags depend on other arguments
)

var keyFlagNames = []string{"RO", "RW", "OW", "RM", "access", "update", "insert", "delete",
	"not_key", "incomplete", "variable_flags"}

// Names returns the key-spec flag names in COMMAND's spelling and order.
func (f KeyFlag) Names() []string {
	var out []string
	for i, n := range keyFlagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// KeySpec locates a group of a command's keys and says how the command uses them.
// The search starts at argument BeginIndex (the command name is argument 0, a
// subcommand name argument 1). From there, the keys are found in one of two ways:
//
//   - a range (KeyNum false): the keys run from BeginIndex to LastKey, every KeyStep
//     arguments. LastKey >= 0 counts arguments after the first key (0: the spec finds
//     one key); LastKey < 0 counts from the end of the line (-1: the last argument).
//     Limit, when above 1, keeps only the first 1/Limit of the arguments a negative
//     LastKey reaches.
//   - a key count (KeyNum true): argument BeginIndex+KeyNumIdx holds the number of keys,
//     which start at BeginIndex+FirstKey, every KeyStep arguments (LMPOP's numkeys).
//     Such a command is movablekeys, its legacy key range is empty, and it finds its
//     keys with a keysFn (specKeys unless its row sets another).
//
// These are Redis's "index" begin_search with its "range" and "keynum" find_keys; a
// command that finds its keys after a keyword would need new fields here. A spec with
// Unknown set says only how the command uses keys that no spec can locate (SORT's
// pattern keys and STORE destination): its begin_search and find_keys are "unknown",
// routing ignores it, and the command finds such keys with a keysFn.
type KeySpec struct {
	Flags KeyFlag
	// Notes, when set, explains flags that are not obvious. Our words, not Redis's.
	Notes      string
	Unknown    bool
	BeginIndex int
	LastKey    int
	KeyStep    int
	Limit      int
	KeyNum     bool
	KeyNumIdx  int
	FirstKey   int
	// Keyword, when set, makes the search begin after this word, looked for from
	// argument BeginIndex on, or backwards from the end when BeginIndex is negative
	// (Redis's "keyword" begin_search: XREAD's STREAMS, MIGRATE's KEYS). Such a
	// command is movablekeys and finds its keys with its own keysFn.
	Keyword string
}

// keyAt is the spec of the single key at argument i.
func keyAt(i int, flags KeyFlag) KeySpec {
	return KeySpec{Flags: flags, BeginIndex: i, KeyStep: 1}
}

// keysFrom is the spec of the keys from argument i to lastKey (as KeySpec.LastKey
// counts) every step arguments.
func keysFrom(i, lastKey, step int, flags KeyFlag) KeySpec {
	return KeySpec{Flags: flags, BeginIndex: i, LastKey: lastKey, KeyStep: step}
}

// keysCounted is the spec of keys whose number is argument i, the keys following it.
func keysCounted(i int, flags KeyFlag) KeySpec {
	return KeySpec{Flags: flags, BeginIndex: i, KeyNum: true, KeyNumIdx: 0, FirstKey: 1, KeyStep: 1}
}

// keysAfterKeyword is the spec of keys that follow word, searched from argument i,
// running to lastKey with the given limit (XREAD: the first half of what follows STREAMS).
func keysAfterKeyword(word string, i, lastKey, limit int, flags KeyFlag) KeySpec {
	return KeySpec{Flags: flags, Keyword: word, BeginIndex: i, LastKey: lastKey, KeyStep: 1, Limit: limit}
}

// keysUnknown is the spec of keys that the command finds by reading its arguments or
// data, which no spec can describe.
func keysUnknown(flags KeyFlag, notes string) KeySpec {
	return KeySpec{Flags: flags, Notes: notes, Unknown: true}
}

// withNotes returns k with its notes set.
func (k KeySpec) withNotes(notes string) KeySpec {
	k.Notes = notes
	return k
}

// Command tips, hints for clients and proxies about a command's reply and about where
// to send it in a cluster. Values as COMMAND INFO spells them.
const (
	tipNondetOutput     = "nondeterministic_output"
	tipNondetOrder      = "nondeterministic_output_order"
	tipRequestAllShards = "request_policy:all_shards"
	tipRequestAllNodes  = "request_policy:all_nodes"
	tipRequestMulti     = "request_policy:multi_shard"
	tipRequestSpecial   = "request_policy:special"
	tipAllSucceeded     = "response_policy:all_succeeded"
	tipAggSum           = "response_policy:agg_sum"
	tipAggMin           = "response_policy:agg_min"
	tipResponseSpecial  = "response_policy:special"
)

// Command is one row of the command table: the facts about a command that dispatch,
// arity checks, COMMAND, COMMAND DOCS and ACL categories all read. Rows are data; the
// code that runs a command is found by name: a shard handler (per-shard part), a
// multi-shard handler (coordinator part when keys span shards), or a client handler
// (connection and server commands that run on the client's own loop).
//
// A row is written once, in table, and read-only after init; any goroutine may read it.
type Command struct {
	Name  string
	Arity int // > 0 exact, < 0 minimum, counting the name (and the subcommand)
	Flags Flag
	// ACL is the command's ACL categories beyond those its flags imply and, for a
	// command that is not a container, its group implies (string, connection).
	ACL []string
	// Tips are COMMAND INFO's hints about the reply and cluster routing, in order.
	Tips []string
	// KeySpecs locate the keys, in the order COMMAND INFO lists them.
	KeySpecs []KeySpec
	Group    string
	Since    string // the version that introduced the command (a subcommand inherits it)
	Summary  string // one line, our own words
	Subs     []*Command

	// FirstKey, LastKey, Step locate the keys as one range, as COMMAND INFO's legacy
	// fields do: LastKey < 0 counts from the end. Derived from KeySpecs by init; rows
	// leave them zero.
	FirstKey, LastKey, Step int

	// Filled in by init from the handler registries.
	fullName string
	id       int
	parent   *Command
	shard    shard.Handler
	multi    multiHandler
	client   clientHandler
	// categories is the full list of ACL categories, in Redis's order.
	categories []string
	// barrier commands wait until the client's earlier pipelined commands finished.
	barrier bool
	// pipelined multi-shard commands run in one step, so several of one connection may
	// be in flight at once (client.dispatchBehind).
	pipelined bool
	// keysFn overrides FirstKey/LastKey/Step for commands whose keys depend on arguments.
	keysFn func(a [][]byte) []int
}

// FullName is "parent|sub" for subcommands, the name otherwise.
func (c *Command) FullName() string {
	if c.fullName != "" {
		return c.fullName
	}
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
	// ls: usable while the server loads data or serves stale data as a replica.
	ls = FlagLoading | FlagStale
	// conn: connection commands any client may run before it authenticates.
	conn = FlagNoAuth | FlagNoScript | ls | fast | FlagAllowBusy
	// scriptCall: EVAL, FCALL and their read-only forms.
	scriptCall = FlagNoScript | FlagStale | FlagSkipMonitor | FlagNoMandatoryKeys | FlagMovableKeys
	// clusterAdm: CLUSTER's administrative subcommands.
	clusterAdm = FlagAdmin | FlagStale | FlagNoAsyncLoading
	// adm: server administration.
	adm = FlagAdmin | FlagNoScript | ls
)

// table is every command Basalt implements. Arity, flags, tips, key specs and ACL
// categories are facts from redis-server 7.0's COMMAND output (CLIENT NO-TOUCH and
// CLIENT SETINFO, which 7.0 lacks, from Redis 7.2's); summaries and notes are ours.
// Subcommands are listed in our order: Redis's own order is that of a hash table with
// a random seed, so it changes from one process to the next.
var table = []*Command{
	// connection
	{Name: "ping", Arity: -1, Flags: fast, Tips: []string{tipRequestAllShards, tipAllSucceeded}, Group: "connection", Since: "1.0.0", Summary: "Answers PONG, or echoes its argument; checks that the connection is alive."},
	{Name: "echo", Arity: 2, Flags: ls | fast, Group: "connection", Since: "1.0.0", Summary: "Returns its argument."},
	{Name: "hello", Arity: -1, Flags: conn, Group: "connection", Since: "6.0.0", Summary: "Picks the protocol version, optionally authenticates and names the connection, and describes the server."},
	{Name: "auth", Arity: -2, Flags: conn, Group: "connection", Since: "1.0.0", Summary: "Authenticates the connection."},
	{Name: "select", Arity: 2, Flags: ls | fast, Group: "connection", Since: "1.0.0", Summary: "Switches the connection to another database."},
	{Name: "quit", Arity: -1, Flags: conn, Group: "connection", Since: "1.0.0", Summary: "Closes the connection after the reply."},
	{Name: "reset", Arity: 1, Flags: conn, Group: "connection", Since: "6.2.0", Summary: "Returns the connection to its initial state."},
	{Name: "client", Arity: -2, Group: "connection", Since: "2.4.0", Summary: "Inspects and controls client connections.", Subs: []*Command{
		{Name: "id", Arity: 2, Flags: FlagNoScript | ls, Since: "5.0.0", Summary: "Returns the connection's unique id."},
		{Name: "setname", Arity: 3, Flags: FlagNoScript | ls, Since: "2.6.9", Summary: "Names the connection."},
		{Name: "getname", Arity: 2, Flags: FlagNoScript | ls, Since: "2.6.9", Summary: "Returns the connection's name."},
		{Name: "list", Arity: -2, Flags: adm, Tips: []string{tipNondetOutput}, Since: "2.4.0", Summary: "Describes every open connection."},
		{Name: "info", Arity: 2, Flags: FlagNoScript | ls, Tips: []string{tipNondetOutput}, Since: "6.2.0", Summary: "Describes this connection."},
		{Name: "kill", Arity: -3, Flags: adm, Since: "2.4.0", Summary: "Closes connections chosen by address, id, type, user or name."},
		{Name: "reply", Arity: 3, Flags: FlagNoScript | ls, Since: "3.2.0", Summary: "Turns replies off, on, or off for the next command only."},
		{Name: "no-evict", Arity: 3, Flags: adm, Since: "7.0.0", Summary: "Exempts the connection from client eviction."},
		{Name: "no-touch", Arity: 3, Flags: FlagNoScript | ls, Since: "7.2.0", Summary: "Keeps the connection's reads from changing keys' access times."},
		{Name: "setinfo", Arity: 4, Flags: FlagNoScript | ls, Tips: []string{tipRequestAllNodes, tipAllSucceeded}, Since: "7.2.0", Summary: "Records the client library's name or version."},
		{Name: "unblock", Arity: -3, Flags: adm, Since: "5.0.0", Summary: "Ends another connection's blocking command, as a timeout or an error."},
		{Name: "pause", Arity: -3, Flags: adm, Since: "2.9.50", Summary: "Holds clients' commands (all, or those that may write) for a while."},
		{Name: "unpause", Arity: 2, Flags: adm, Since: "6.2.0", Summary: "Ends CLIENT PAUSE."},
		{Name: "tracking", Arity: -3, Flags: FlagNoScript | ls, Since: "6.0.0", Summary: "Turns server-assisted client-side caching on or off for the connection."},
		{Name: "caching", Arity: 3, Flags: FlagNoScript | ls, Since: "6.0.0", Summary: "Says whether the next command's keys are tracked, in OPTIN or OPTOUT mode."},
		{Name: "getredir", Arity: 2, Flags: FlagNoScript | ls, Since: "6.0.0", Summary: "Returns the id of the client receiving this connection's invalidations."},
		{Name: "trackinginfo", Arity: 2, Flags: FlagNoScript | ls, Since: "6.2.0", Summary: "Describes the connection's client-side caching mode."},
		{Name: "help", Arity: 2, Flags: ls, Since: "5.0.0", Summary: "Lists CLIENT's subcommands."},
	}},

	// pub/sub (pubsub.go)
	{Name: "subscribe", Arity: -2, Flags: FlagPubsub | FlagNoScript | ls, Group: "pubsub", Since: "2.0.0", Summary: "Listens for messages published to the given channels."},
	{Name: "unsubscribe", Arity: -1, Flags: FlagPubsub | FlagNoScript | ls, Group: "pubsub", Since: "2.0.0", Summary: "Stops listening to the given channels, or to all of them."},
	{Name: "psubscribe", Arity: -2, Flags: FlagPubsub | FlagNoScript | ls, Group: "pubsub", Since: "2.0.0", Summary: "Listens for messages published to channels matching the given glob patterns."},
	{Name: "punsubscribe", Arity: -1, Flags: FlagPubsub | FlagNoScript | ls, Group: "pubsub", Since: "2.0.0", Summary: "Stops listening to the given patterns, or to all of them."},
	{Name: "publish", Arity: 3, Flags: FlagPubsub | ls | fast, Group: "pubsub", Since: "2.0.0", Summary: "Sends a message to a channel and returns how many subscriptions received it."},
	{Name: "ssubscribe", Arity: -2, Flags: FlagPubsub | FlagNoScript | ls, KeySpecs: []KeySpec{keysFrom(1, -1, 1, KeyNotKey)}, Group: "pubsub", Since: "7.0.0", Summary: "Listens for messages published to the given shard channels."},
	{Name: "sunsubscribe", Arity: -1, Flags: FlagPubsub | FlagNoScript | ls, KeySpecs: []KeySpec{keysFrom(1, -1, 1, KeyNotKey)}, Group: "pubsub", Since: "7.0.0", Summary: "Stops listening to the given shard channels, or to all of them."},
	{Name: "spublish", Arity: 3, Flags: FlagPubsub | ls | fast, KeySpecs: []KeySpec{keysFrom(1, 0, 1, KeyNotKey)}, Group: "pubsub", Since: "7.0.0", Summary: "Sends a message to a shard channel and returns how many subscribers received it."},
	{Name: "pubsub", Arity: -2, Group: "pubsub", Since: "2.8.0", Summary: "Reports on channels, patterns and their subscribers.", Subs: []*Command{
		{Name: "channels", Arity: -2, Flags: FlagPubsub | ls, Summary: "Lists the channels that have subscribers, optionally only those matching a pattern."},
		{Name: "numsub", Arity: -2, Flags: FlagPubsub | ls, Summary: "Counts the subscribers of each given channel, pattern subscriptions not included."},
		{Name: "numpat", Arity: 2, Flags: FlagPubsub | ls, Summary: "Counts the distinct patterns that have subscribers."},
		{Name: "shardchannels", Arity: -2, Flags: FlagPubsub | ls, Since: "7.0.0", Summary: "Lists the shard channels that have subscribers, optionally only those matching a pattern."},
		{Name: "shardnumsub", Arity: -2, Flags: FlagPubsub | ls, Since: "7.0.0", Summary: "Counts the subscribers of each given shard channel."},
		{Name: "help", Arity: 2, Flags: ls, Since: "6.2.0", Summary: "Lists PUBSUB's subcommands."},
	}},

	// blocking list commands
	{Name: "blpop", Arity: -3, Flags: wr | FlagNoScript | FlagBlocking, ACL: []string{"list"}, KeySpecs: []KeySpec{keysFrom(1, -2, 1, KeyRW|KeyAccess|KeyDelete)}, Group: "list", Since: "2.0.0", Summary: "Pops the head of the first non-empty list among several, waiting for one if all are empty."},
	{Name: "brpop", Arity: -3, Flags: wr | FlagNoScript | FlagBlocking, ACL: []string{"list"}, KeySpecs: []KeySpec{keysFrom(1, -2, 1, KeyRW|KeyAccess|KeyDelete)}, Group: "list", Since: "2.0.0", Summary: "Pops the tail of the first non-empty list among several, waiting for one if all are empty."},
	{Name: "blmove", Arity: 6, Flags: rw | FlagNoScript | FlagBlocking, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyDelete), keyAt(2, KeyRW|KeyInsert)}, Group: "list", Since: "6.2.0", Summary: "Moves an element from one list to another, waiting for one if the source is empty."},
	{Name: "brpoplpush", Arity: 4, Flags: rw | FlagNoScript | FlagBlocking, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyDelete), keyAt(2, KeyRW|KeyInsert)}, Group: "list", Since: "2.2.0", Summary: "Old form of BLMOVE source destination RIGHT LEFT."},
	{Name: "blmpop", Arity: -5, Flags: wr | FlagBlocking | FlagMovableKeys, ACL: []string{"list"}, KeySpecs: []KeySpec{keysCounted(2, KeyRW|KeyAccess|KeyDelete)}, Group: "list", Since: "7.0.0", Summary: "Pops elements from the first non-empty list among several, waiting for one if all are empty."},

	// blocking sorted-set commands
	{Name: "bzpopmin", Arity: -3, Flags: wr | FlagNoScript | FlagBlocking | fast, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keysFrom(1, -2, 1, KeyRW|KeyAccess|KeyDelete)}, Group: "sorted-set", Since: "5.0.0", Summary: "Pops the lowest-scored member of the first non-empty sorted set among several, waiting for one if all are empty."},
	{Name: "bzpopmax", Arity: -3, Flags: wr | FlagNoScript | FlagBlocking | fast, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keysFrom(1, -2, 1, KeyRW|KeyAccess|KeyDelete)}, Group: "sorted-set", Since: "5.0.0", Summary: "Pops the highest-scored member of the first non-empty sorted set among several, waiting for one if all are empty."},
	{Name: "bzmpop", Arity: -5, Flags: wr | FlagBlocking | FlagMovableKeys, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keysCounted(2, KeyRW|KeyAccess|KeyDelete)}, Group: "sorted-set", Since: "7.0.0", Summary: "Pops members from the first non-empty sorted set among several, waiting for one if all are empty."},

	// transactions
	{Name: "multi", Arity: 1, Flags: FlagNoScript | ls | fast | FlagAllowBusy, ACL: []string{"transaction"}, Group: "transactions", Since: "1.2.0", Summary: "Opens a transaction: later commands queue until EXEC."},
	{Name: "exec", Arity: 1, Flags: FlagNoScript | ls | FlagSkipSlowlog, ACL: []string{"transaction"}, Group: "transactions", Since: "1.2.0", Summary: "Runs the queued commands as one atomic transaction."},
	{Name: "discard", Arity: 1, Flags: FlagNoScript | ls | fast | FlagAllowBusy, ACL: []string{"transaction"}, Group: "transactions", Since: "2.0.0", Summary: "Drops the queued commands and closes the transaction."},
	{Name: "watch", Arity: -2, Flags: FlagNoScript | ls | fast | FlagAllowBusy, ACL: []string{"transaction"}, KeySpecs: []KeySpec{keysFrom(1, -1, 1, KeyRO)}, Group: "transactions", Since: "2.2.0", Summary: "Makes the next EXEC fail if any of the keys changes before it."},
	{Name: "unwatch", Arity: 1, Flags: FlagNoScript | ls | fast | FlagAllowBusy, ACL: []string{"transaction"}, Group: "transactions", Since: "2.2.0", Summary: "Forgets every watched key."},

	// scripting (coord/scripting.go, coord/functions.go)
	{Name: "eval", Arity: -3, Flags: scriptCall, ACL: []string{"scripting"}, KeySpecs: []KeySpec{keysCounted(2, KeyRW|KeyAccess|KeyUpdate).withNotes("A script may do anything with its keys.")}, Group: "scripting", Since: "2.6.0", Summary: "Runs a Lua script atomically."},
	{Name: "evalsha", Arity: -3, Flags: scriptCall, ACL: []string{"scripting"}, KeySpecs: []KeySpec{keysCounted(2, KeyRW|KeyAccess|KeyUpdate)}, Group: "scripting", Since: "2.6.0", Summary: "Runs a cached Lua script, named by its SHA1, atomically."},
	{Name: "eval_ro", Arity: -3, Flags: ro | scriptCall, ACL: []string{"scripting"}, KeySpecs: []KeySpec{keysCounted(2, KeyRO|KeyAccess).withNotes("A read-only script only reads its keys.")}, Group: "scripting", Since: "7.0.0", Summary: "Runs a Lua script that may only read."},
	{Name: "evalsha_ro", Arity: -3, Flags: ro | scriptCall, ACL: []string{"scripting"}, KeySpecs: []KeySpec{keysCounted(2, KeyRO|KeyAccess)}, Group: "scripting", Since: "7.0.0", Summary: "Runs a cached Lua script that may only read."},
	{Name: "fcall", Arity: -3, Flags: scriptCall, ACL: []string{"scripting"}, KeySpecs: []KeySpec{keysCounted(2, KeyRW|KeyAccess|KeyUpdate).withNotes("A function may do anything with its keys.")}, Group: "scripting", Since: "7.0.0", Summary: "Calls a function of a loaded library atomically."},
	{Name: "fcall_ro", Arity: -3, Flags: ro | scriptCall, ACL: []string{"scripting"}, KeySpecs: []KeySpec{keysCounted(2, KeyRO|KeyAccess).withNotes("A read-only function only reads its keys.")}, Group: "scripting", Since: "7.0.0", Summary: "Calls a function that may only read."},
	{Name: "script", Arity: -2, Group: "scripting", Since: "2.6.0", Summary: "Manages the cache of Lua scripts.", Subs: []*Command{
		{Name: "load", Arity: 3, Flags: FlagNoScript | FlagStale, ACL: []string{"scripting"}, Tips: []string{tipRequestAllNodes, tipAllSucceeded}, Since: "2.6.0", Summary: "Compiles a script and caches it without running it."},
		{Name: "exists", Arity: -3, Flags: FlagNoScript, ACL: []string{"scripting"}, Tips: []string{tipRequestAllShards, "response_policy:agg_logical_and"}, Since: "2.6.0", Summary: "Tells which SHA1s name cached scripts."},
		{Name: "flush", Arity: -2, Flags: FlagNoScript, ACL: []string{"scripting"}, Tips: []string{tipRequestAllNodes, tipAllSucceeded}, Since: "2.6.0", Summary: "Empties the script cache."},
		{Name: "kill", Arity: 2, Flags: FlagNoScript | FlagAllowBusy, ACL: []string{"scripting"}, Tips: []string{tipRequestAllShards, "response_policy:one_succeeded"}, Since: "2.6.0", Summary: "Stops the running scripts that have not written."},
		{Name: "help", Arity: 2, Flags: ls, ACL: []string{"scripting"}, Since: "5.0.0", Summary: "Describes the SCRIPT subcommands."},
	}},
	{Name: "function", Arity: -2, Group: "scripting", Since: "7.0.0", Summary: "Manages function libraries.", Subs: []*Command{
		{Name: "load", Arity: -3, Flags: rw | FlagNoScript, ACL: []string{"scripting"}, Tips: []string{tipRequestAllShards, tipAllSucceeded}, Since: "7.0.0", Summary: "Loads a library of functions."},
		{Name: "delete", Arity: 3, Flags: wr | FlagNoScript, ACL: []string{"scripting"}, Tips: []string{tipRequestAllShards, tipAllSucceeded}, Since: "7.0.0", Summary: "Deletes a library and its functions."},
		{Name: "flush", Arity: -2, Flags: wr | FlagNoScript, ACL: []string{"scripting"}, Tips: []string{tipRequestAllShards, tipAllSucceeded}, Since: "7.0.0", Summary: "Deletes every library."},
		{Name: "list", Arity: -2, Flags: FlagNoScript, ACL: []string{"scripting"}, Tips: []string{tipNondetOrder}, Since: "7.0.0", Summary: "Describes the loaded libraries, optionally with their code."},
		{Name: "stats", Arity: 2, Flags: FlagNoScript | FlagAllowBusy, ACL: []string{"scripting"}, Tips: []string{tipNondetOutput, tipRequestAllShards, tipResponseSpecial}, Since: "7.0.0", Summary: "Describes the running function and the engines."},
		{Name: "kill", Arity: 2, Flags: FlagNoScript | FlagAllowBusy, ACL: []string{"scripting"}, Tips: []string{tipRequestAllShards, "response_policy:one_succeeded"}, Since: "7.0.0", Summary: "Stops the running functions that have not written."},
		{Name: "dump", Arity: 2, Flags: FlagNoScript, ACL: []string{"scripting"}, Since: "7.0.0", Summary: "Serializes every library into a payload."},
		{Name: "restore", Arity: -3, Flags: rw | FlagNoScript, ACL: []string{"scripting"}, Tips: []string{tipRequestAllShards, tipAllSucceeded}, Since: "7.0.0", Summary: "Loads the libraries of a FUNCTION DUMP payload."},
		{Name: "help", Arity: 2, Flags: ls, ACL: []string{"scripting"}, Since: "7.0.0", Summary: "Describes the FUNCTION subcommands."},
	}},

	// strings
	{Name: "get", Arity: 2, Flags: ro | fast, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "string", Since: "1.0.0", Summary: "Returns a key's string value."},
	{Name: "set", Arity: -3, Flags: rw, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyUpdate|KeyVariableFlags).withNotes("Reads the old value only with the GET option.")}, Group: "string", Since: "1.0.0", Summary: "Stores a string, with options for expiry and conditions."},
	{Name: "setnx", Arity: 3, Flags: rw | fast, KeySpecs: []KeySpec{keyAt(1, KeyOW|KeyInsert)}, Group: "string", Since: "1.0.0", Summary: "Stores a string only when the key does not exist."},
	{Name: "setex", Arity: 4, Flags: rw, KeySpecs: []KeySpec{keyAt(1, KeyOW|KeyUpdate)}, Group: "string", Since: "2.0.0", Summary: "Stores a string with a TTL in seconds."},
	{Name: "psetex", Arity: 4, Flags: rw, KeySpecs: []KeySpec{keyAt(1, KeyOW|KeyUpdate)}, Group: "string", Since: "2.6.0", Summary: "Stores a string with a TTL in milliseconds."},
	{Name: "getset", Arity: 3, Flags: rw | fast, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyUpdate)}, Group: "string", Since: "1.0.0", Summary: "Stores a string and returns the previous one."},
	{Name: "getdel", Arity: 2, Flags: wr | fast, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyDelete)}, Group: "string", Since: "6.2.0", Summary: "Returns a string and deletes its key."},
	{Name: "getex", Arity: -2, Flags: wr | fast, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyUpdate).withNotes("Writes because the TTL may change.")}, Group: "string", Since: "6.2.0", Summary: "Returns a string and changes its TTL."},
	{Name: "mget", Arity: -2, Flags: ro | fast, Tips: []string{tipRequestMulti}, KeySpecs: []KeySpec{keysFrom(1, -1, 1, KeyRO|KeyAccess)}, Group: "string", Since: "1.0.0", Summary: "Returns the values of several keys."},
	{Name: "mset", Arity: -3, Flags: rw, Tips: []string{tipRequestMulti, tipAllSucceeded}, KeySpecs: []KeySpec{keysFrom(1, -1, 2, KeyOW|KeyUpdate)}, Group: "string", Since: "1.0.1", Summary: "Stores several strings."},
	{Name: "msetnx", Arity: -3, Flags: rw, Tips: []string{tipRequestMulti, tipAggMin}, KeySpecs: []KeySpec{keysFrom(1, -1, 2, KeyOW|KeyInsert)}, Group: "string", Since: "1.0.1", Summary: "Stores several strings only when none of the keys exists."},
	{Name: "append", Arity: 3, Flags: rw | fast, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyInsert)}, Group: "string", Since: "2.0.0", Summary: "Appends to a string, creating it when missing."},
	{Name: "strlen", Arity: 2, Flags: ro | fast, KeySpecs: []KeySpec{keyAt(1, KeyRO)}, Group: "string", Since: "2.2.0", Summary: "Returns a string's length."},
	{Name: "getrange", Arity: 4, Flags: ro, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "string", Since: "2.4.0", Summary: "Returns a substring by byte offsets."},
	{Name: "substr", Arity: 4, Flags: ro, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "string", Since: "1.0.0", Summary: "Old name of GETRANGE."},
	{Name: "setrange", Arity: 4, Flags: rw, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate)}, Group: "string", Since: "2.2.0", Summary: "Overwrites part of a string at an offset, padding with zero bytes."},
	{Name: "incr", Arity: 2, Flags: rw | fast, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyUpdate)}, Group: "string", Since: "1.0.0", Summary: "Adds one to an integer string."},
	{Name: "decr", Arity: 2, Flags: rw | fast, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyUpdate)}, Group: "string", Since: "1.0.0", Summary: "Subtracts one from an integer string."},
	{Name: "incrby", Arity: 3, Flags: rw | fast, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyUpdate)}, Group: "string", Since: "1.0.0", Summary: "Adds an integer to an integer string."},
	{Name: "decrby", Arity: 3, Flags: rw | fast, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyUpdate)}, Group: "string", Since: "1.0.0", Summary: "Subtracts an integer from an integer string."},
	{Name: "incrbyfloat", Arity: 3, Flags: rw | fast, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyUpdate)}, Group: "string", Since: "2.6.0", Summary: "Adds a floating point number to a numeric string."},
	{Name: "lcs", Arity: -3, Flags: ro, KeySpecs: []KeySpec{keysFrom(1, 1, 1, KeyRO|KeyAccess)}, Group: "string", Since: "7.0.0", Summary: "Finds the longest common subsequence of two strings."},

	// bitmaps (strings addressed bit by bit)
	{Name: "setbit", Arity: 4, Flags: rw, ACL: []string{"bitmap"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyUpdate)}, Group: "bitmap", Since: "2.2.0", Summary: "Sets or clears one bit of a string, growing it as needed, and returns the old bit."},
	{Name: "getbit", Arity: 3, Flags: ro | fast, ACL: []string{"bitmap"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "bitmap", Since: "2.2.0", Summary: "Returns one bit of a string."},
	{Name: "bitcount", Arity: -2, Flags: ro, ACL: []string{"bitmap"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "bitmap", Since: "2.6.0", Summary: "Counts the set bits of a string, optionally in a byte or bit range."},
	{Name: "bitpos", Arity: -3, Flags: ro, ACL: []string{"bitmap"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "bitmap", Since: "2.8.7", Summary: "Finds the first set or clear bit of a string, optionally in a byte or bit range."},
	{Name: "bitop", Arity: -4, Flags: rw, ACL: []string{"bitmap"}, KeySpecs: []KeySpec{keyAt(2, KeyOW|KeyUpdate), keysFrom(3, -1, 1, KeyRO|KeyAccess)}, Group: "bitmap", Since: "2.6.0", Summary: "Stores the AND, OR, XOR or NOT of strings in a destination key."},
	{Name: "bitfield", Arity: -2, Flags: rw, ACL: []string{"bitmap"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyUpdate|KeyVariableFlags).withNotes("Reads only, unless SET or INCRBY is given.")}, Group: "bitmap", Since: "3.2.0", Summary: "Reads, writes and increments integers of any width up to 64 bits at bit offsets of a string."},
	{Name: "bitfield_ro", Arity: -2, Flags: ro | fast, ACL: []string{"bitmap"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "bitmap", Since: "6.0.0", Summary: "Reads integers at bit offsets of a string; BITFIELD without writes."},

	// HyperLogLogs (strings in Redis's HLL representation)
	{Name: "pfadd", Arity: -2, Flags: rw | fast, ACL: []string{"hyperloglog"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyInsert)}, Group: "hyperloglog", Since: "2.8.9", Summary: "Adds elements to a HyperLogLog, creating it when missing."},
	{Name: "pfcount", Arity: -2, Flags: ro, ACL: []string{"hyperloglog"}, KeySpecs: []KeySpec{keysFrom(1, -1, 1, KeyRW|KeyAccess).withNotes("A single key's estimate is cached in its value, which is then written (and replicated).")}, Group: "hyperloglog", Since: "2.8.9", Summary: "Estimates the number of distinct elements added to one HyperLogLog, or to the union of several."},
	{Name: "pfmerge", Arity: -2, Flags: rw, ACL: []string{"hyperloglog"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyInsert), keysFrom(2, -1, 1, KeyRO|KeyAccess)}, Group: "hyperloglog", Since: "2.8.9", Summary: "Stores the union of HyperLogLogs, the destination included, in the destination."},
	{Name: "pfdebug", Arity: 3, Flags: rw | FlagAdmin, ACL: []string{"hyperloglog"}, KeySpecs: []KeySpec{keyAt(2, KeyRW|KeyAccess)}, Group: "hyperloglog", Since: "2.8.9", Summary: "Shows a HyperLogLog's registers, encoding or sparse opcodes, or converts it to dense."},
	{Name: "pfselftest", Arity: 1, Flags: FlagAdmin, ACL: []string{"hyperloglog"}, Group: "hyperloglog", Since: "2.8.9", Summary: "Checks the HyperLogLog implementation against itself."},

	// lists
	{Name: "lpush", Arity: -3, Flags: rw | fast, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyInsert)}, Group: "list", Since: "1.0.0", Summary: "Adds elements at the head of a list, creating it when missing."},
	{Name: "rpush", Arity: -3, Flags: rw | fast, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyInsert)}, Group: "list", Since: "1.0.0", Summary: "Adds elements at the tail of a list, creating it when missing."},
	{Name: "lpushx", Arity: -3, Flags: rw | fast, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyInsert)}, Group: "list", Since: "2.2.0", Summary: "Adds elements at the head of a list only when the list exists."},
	{Name: "rpushx", Arity: -3, Flags: rw | fast, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyInsert)}, Group: "list", Since: "2.2.0", Summary: "Adds elements at the tail of a list only when the list exists."},
	{Name: "lpop", Arity: -2, Flags: wr | fast, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyDelete)}, Group: "list", Since: "1.0.0", Summary: "Removes and returns elements from the head of a list."},
	{Name: "rpop", Arity: -2, Flags: wr | fast, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyDelete)}, Group: "list", Since: "1.0.0", Summary: "Removes and returns elements from the tail of a list."},
	{Name: "llen", Arity: 2, Flags: ro | fast, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRO)}, Group: "list", Since: "1.0.0", Summary: "Returns the number of elements of a list."},
	{Name: "lrange", Arity: 4, Flags: ro, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "list", Since: "1.0.0", Summary: "Returns the elements between two positions of a list."},
	{Name: "lindex", Arity: 3, Flags: ro, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "list", Since: "1.0.0", Summary: "Returns the element at a position of a list."},
	{Name: "lset", Arity: 4, Flags: rw, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate)}, Group: "list", Since: "1.0.0", Summary: "Replaces the element at a position of a list."},
	{Name: "linsert", Arity: 5, Flags: rw, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyInsert)}, Group: "list", Since: "2.2.0", Summary: "Inserts an element before or after the first occurrence of another."},
	{Name: "lrem", Arity: 4, Flags: wr, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyDelete)}, Group: "list", Since: "1.0.0", Summary: "Removes occurrences of an element from a list."},
	{Name: "ltrim", Arity: 4, Flags: wr, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyDelete)}, Group: "list", Since: "1.0.0", Summary: "Keeps only the elements between two positions of a list."},
	{Name: "lpos", Arity: -3, Flags: ro, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "list", Since: "6.0.6", Summary: "Returns the positions of the elements equal to a value."},
	{Name: "lmove", Arity: 5, Flags: rw, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyDelete), keyAt(2, KeyRW|KeyInsert)}, Group: "list", Since: "6.2.0", Summary: "Moves an element from one end of a list to one end of another."},
	{Name: "rpoplpush", Arity: 3, Flags: rw, ACL: []string{"list"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyDelete), keyAt(2, KeyRW|KeyInsert)}, Group: "list", Since: "1.2.0", Summary: "Moves the tail element of a list to the head of another."},
	{Name: "lmpop", Arity: -4, Flags: wr | FlagMovableKeys, ACL: []string{"list"}, KeySpecs: []KeySpec{keysCounted(1, KeyRW|KeyAccess|KeyDelete)}, Group: "list", Since: "7.0.0", Summary: "Pops elements from the first non-empty list among several keys."},

	// sets
	{Name: "sadd", Arity: -3, Flags: rw | fast, ACL: []string{"set"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyInsert)}, Group: "set", Since: "1.0.0", Summary: "Adds members to a set, creating it when missing."},
	{Name: "srem", Arity: -3, Flags: wr | fast, ACL: []string{"set"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyDelete)}, Group: "set", Since: "1.0.0", Summary: "Removes members from a set."},
	{Name: "scard", Arity: 2, Flags: ro | fast, ACL: []string{"set"}, KeySpecs: []KeySpec{keyAt(1, KeyRO)}, Group: "set", Since: "1.0.0", Summary: "Returns the number of members of a set."},
	{Name: "sismember", Arity: 3, Flags: ro | fast, ACL: []string{"set"}, KeySpecs: []KeySpec{keyAt(1, KeyRO)}, Group: "set", Since: "1.0.0", Summary: "Tells whether a value is a member of a set."},
	{Name: "smismember", Arity: -3, Flags: ro | fast, ACL: []string{"set"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "set", Since: "6.2.0", Summary: "Tells, for each of several values, whether it is a member of a set."},
	{Name: "smembers", Arity: 2, Flags: ro, ACL: []string{"set"}, Tips: []string{tipNondetOrder}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "set", Since: "1.0.0", Summary: "Returns every member of a set."},
	{Name: "spop", Arity: -2, Flags: wr | fast, ACL: []string{"set"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyDelete)}, Group: "set", Since: "1.0.0", Summary: "Removes and returns random members of a set."},
	{Name: "srandmember", Arity: -2, Flags: ro, ACL: []string{"set"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "set", Since: "1.0.0", Summary: "Returns random members of a set, distinct or (negative count) possibly repeated."},
	{Name: "smove", Arity: 4, Flags: wr | fast, ACL: []string{"set"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyDelete), keyAt(2, KeyRW|KeyInsert)}, Group: "set", Since: "1.0.0", Summary: "Moves a member from one set to another."},
	{Name: "sinter", Arity: -2, Flags: ro, ACL: []string{"set"}, Tips: []string{tipNondetOrder}, KeySpecs: []KeySpec{keysFrom(1, -1, 1, KeyRO|KeyAccess)}, Group: "set", Since: "1.0.0", Summary: "Returns the members common to every given set."},
	{Name: "sunion", Arity: -2, Flags: ro, ACL: []string{"set"}, Tips: []string{tipNondetOrder}, KeySpecs: []KeySpec{keysFrom(1, -1, 1, KeyRO|KeyAccess)}, Group: "set", Since: "1.0.0", Summary: "Returns the members of any of the given sets."},
	{Name: "sdiff", Arity: -2, Flags: ro, ACL: []string{"set"}, Tips: []string{tipNondetOrder}, KeySpecs: []KeySpec{keysFrom(1, -1, 1, KeyRO|KeyAccess)}, Group: "set", Since: "1.0.0", Summary: "Returns the members of the first set that no other given set has."},
	{Name: "sinterstore", Arity: -3, Flags: rw, ACL: []string{"set"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate), keysFrom(2, -1, 1, KeyRO|KeyAccess)}, Group: "set", Since: "1.0.0", Summary: "Stores the intersection of sets, deleting the destination when it is empty."},
	{Name: "sunionstore", Arity: -3, Flags: rw, ACL: []string{"set"}, KeySpecs: []KeySpec{keyAt(1, KeyOW|KeyUpdate), keysFrom(2, -1, 1, KeyRO|KeyAccess)}, Group: "set", Since: "1.0.0", Summary: "Stores the union of sets, deleting the destination when it is empty."},
	{Name: "sdiffstore", Arity: -3, Flags: rw, ACL: []string{"set"}, KeySpecs: []KeySpec{keyAt(1, KeyOW|KeyUpdate), keysFrom(2, -1, 1, KeyRO|KeyAccess)}, Group: "set", Since: "1.0.0", Summary: "Stores the difference of sets, deleting the destination when it is empty."},
	{Name: "sintercard", Arity: -3, Flags: ro | FlagMovableKeys, ACL: []string{"set"}, KeySpecs: []KeySpec{keysCounted(1, KeyRO|KeyAccess)}, Group: "set", Since: "7.0.0", Summary: "Counts the members common to every given set, stopping at an optional limit."},
	{Name: "sscan", Arity: -3, Flags: ro, ACL: []string{"set"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "set", Since: "2.8.0", Summary: "Iterates over the members of a set with a cursor."},

	// sorted sets
	{Name: "zadd", Arity: -4, Flags: rw | fast, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate)}, Group: "sorted-set", Since: "1.2.0", Summary: "Adds members to a sorted set or updates their scores, creating it when missing."},
	{Name: "zincrby", Arity: 4, Flags: rw | fast, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyUpdate)}, Group: "sorted-set", Since: "1.2.0", Summary: "Adds an increment to a member's score, adding the member when missing."},
	{Name: "zscore", Arity: 3, Flags: ro | fast, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "1.2.0", Summary: "Returns the score of a member of a sorted set."},
	{Name: "zmscore", Arity: -3, Flags: ro | fast, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "6.2.0", Summary: "Returns the scores of several members of a sorted set."},
	{Name: "zcard", Arity: 2, Flags: ro | fast, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRO)}, Group: "sorted-set", Since: "1.2.0", Summary: "Returns the number of members of a sorted set."},
	{Name: "zrem", Arity: -3, Flags: wr | fast, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyDelete)}, Group: "sorted-set", Since: "1.2.0", Summary: "Removes members from a sorted set, deleting it when none is left."},
	{Name: "zrank", Arity: -3, Flags: ro | fast, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "2.0.0", Summary: "Returns a member's position in ascending score order, optionally with its score."},
	{Name: "zrevrank", Arity: -3, Flags: ro | fast, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "2.0.0", Summary: "Returns a member's position in descending score order, optionally with its score."},
	{Name: "zcount", Arity: 4, Flags: ro | fast, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "2.0.0", Summary: "Counts the members whose scores fall in a range."},
	{Name: "zlexcount", Arity: 4, Flags: ro | fast, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "2.8.9", Summary: "Counts the members in a lexicographic range."},
	{Name: "zrange", Arity: -4, Flags: ro, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "1.2.0", Summary: "Returns members by rank, score or lexicographic range, in either direction."},
	{Name: "zrevrange", Arity: -4, Flags: ro, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "1.2.0", Summary: "Returns members by rank, highest score first."},
	{Name: "zrangebyscore", Arity: -4, Flags: ro, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "1.0.5", Summary: "Returns members whose scores fall in a range, lowest first."},
	{Name: "zrevrangebyscore", Arity: -4, Flags: ro, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "2.2.0", Summary: "Returns members whose scores fall in a range, highest first."},
	{Name: "zrangebylex", Arity: -4, Flags: ro, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "2.8.9", Summary: "Returns members in a lexicographic range, in ascending order."},
	{Name: "zrevrangebylex", Arity: -4, Flags: ro, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "2.8.9", Summary: "Returns members in a lexicographic range, in descending order."},
	{Name: "zpopmin", Arity: -2, Flags: wr | fast, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyDelete)}, Group: "sorted-set", Since: "5.0.0", Summary: "Removes and returns the members with the lowest scores."},
	{Name: "zpopmax", Arity: -2, Flags: wr | fast, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyDelete)}, Group: "sorted-set", Since: "5.0.0", Summary: "Removes and returns the members with the highest scores."},
	{Name: "zremrangebyrank", Arity: 4, Flags: wr, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyDelete)}, Group: "sorted-set", Since: "2.0.0", Summary: "Removes the members in a range of ranks."},
	{Name: "zremrangebyscore", Arity: 4, Flags: wr, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyDelete)}, Group: "sorted-set", Since: "1.2.0", Summary: "Removes the members whose scores fall in a range."},
	{Name: "zremrangebylex", Arity: 4, Flags: wr, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyDelete)}, Group: "sorted-set", Since: "2.8.9", Summary: "Removes the members in a lexicographic range."},
	{Name: "zscan", Arity: -3, Flags: ro, ACL: []string{"sortedset"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "2.8.0", Summary: "Iterates over the members and scores of a sorted set with a cursor."},
	{Name: "zrangestore", Arity: -5, Flags: rw, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyOW|KeyUpdate), keyAt(2, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "6.2.0", Summary: "Stores a range of a sorted set, as ZRANGE selects it, under another key."},
	{Name: "zrandmember", Arity: -2, Flags: ro, ACL: []string{"sortedset"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "6.2.0", Summary: "Returns random members of a sorted set, distinct or (negative count) possibly repeated."},
	{Name: "zmpop", Arity: -4, Flags: wr | FlagMovableKeys, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keysCounted(1, KeyRW|KeyAccess|KeyDelete)}, Group: "sorted-set", Since: "7.0.0", Summary: "Pops the lowest or highest scored members of the first non-empty sorted set among several keys."},
	{Name: "zunion", Arity: -3, Flags: ro | FlagMovableKeys, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keysCounted(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "6.2.0", Summary: "Returns the union of sorted sets, scores combined by weight and aggregate."},
	{Name: "zinter", Arity: -3, Flags: ro | FlagMovableKeys, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keysCounted(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "6.2.0", Summary: "Returns the members common to every given sorted set, scores combined by weight and aggregate."},
	{Name: "zdiff", Arity: -3, Flags: ro | FlagMovableKeys, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keysCounted(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "6.2.0", Summary: "Returns the members of the first sorted set that no other given one has."},
	{Name: "zunionstore", Arity: -4, Flags: rw | FlagMovableKeys, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyOW|KeyUpdate), keysCounted(2, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "2.0.0", Summary: "Stores the union of sorted sets, deleting the destination when it is empty."},
	{Name: "zinterstore", Arity: -4, Flags: rw | FlagMovableKeys, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyOW|KeyUpdate), keysCounted(2, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "2.0.0", Summary: "Stores the intersection of sorted sets, deleting the destination when it is empty."},
	{Name: "zdiffstore", Arity: -4, Flags: rw | FlagMovableKeys, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keyAt(1, KeyOW|KeyUpdate), keysCounted(2, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "6.2.0", Summary: "Stores the difference of sorted sets, deleting the destination when it is empty."},
	{Name: "zintercard", Arity: -3, Flags: ro | FlagMovableKeys, ACL: []string{"sortedset"}, KeySpecs: []KeySpec{keysCounted(1, KeyRO|KeyAccess)}, Group: "sorted-set", Since: "7.0.0", Summary: "Counts the members common to every given sorted set, stopping at an optional limit."},

	// geo (sorted sets scored by geohash)
	{Name: "geoadd", Arity: -5, Flags: rw, ACL: []string{"geo"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate)}, Group: "geo", Since: "3.2.0", Summary: "Adds members at longitude, latitude positions to a geo set, creating it when missing."},
	{Name: "geodist", Arity: -4, Flags: ro, ACL: []string{"geo"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "geo", Since: "3.2.0", Summary: "Returns the distance between two members of a geo set, in a chosen unit."},
	{Name: "geohash", Arity: -2, Flags: ro, ACL: []string{"geo"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "geo", Since: "3.2.0", Summary: "Returns the standard 11-character geohash of members of a geo set."},
	{Name: "geopos", Arity: -2, Flags: ro, ACL: []string{"geo"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "geo", Since: "3.2.0", Summary: "Returns the longitude and latitude of members of a geo set."},
	{Name: "georadius", Arity: -6, Flags: rw | FlagMovableKeys, ACL: []string{"geo"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess), keysAfterKeyword("STORE", 6, 0, 0, KeyOW|KeyUpdate), keysAfterKeyword("STOREDIST", 6, 0, 0, KeyOW|KeyUpdate)}, Group: "geo", Since: "3.2.0", Summary: "Old form of GEOSEARCH around a point, within a radius, optionally storing the result.", keysFn: georadiusKeys(6)},
	{Name: "georadius_ro", Arity: -6, Flags: ro, ACL: []string{"geo"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "geo", Since: "3.2.10", Summary: "GEORADIUS without STORE."},
	{Name: "georadiusbymember", Arity: -5, Flags: rw | FlagMovableKeys, ACL: []string{"geo"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess), keysAfterKeyword("STORE", 5, 0, 0, KeyOW|KeyUpdate), keysAfterKeyword("STOREDIST", 5, 0, 0, KeyOW|KeyUpdate)}, Group: "geo", Since: "3.2.0", Summary: "Old form of GEOSEARCH around a member, within a radius, optionally storing the result.", keysFn: georadiusKeys(5)},
	{Name: "georadiusbymember_ro", Arity: -5, Flags: ro, ACL: []string{"geo"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "geo", Since: "3.2.10", Summary: "GEORADIUSBYMEMBER without STORE."},
	{Name: "geosearch", Arity: -7, Flags: ro, ACL: []string{"geo"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "geo", Since: "6.2.0", Summary: "Returns the members of a geo set inside a circle or box around a member or a point."},
	{Name: "geosearchstore", Arity: -8, Flags: rw, ACL: []string{"geo"}, KeySpecs: []KeySpec{keyAt(1, KeyOW|KeyUpdate), keyAt(2, KeyRO|KeyAccess)}, Group: "geo", Since: "6.2.0", Summary: "Stores the members of a geo set inside a circle or box, with their hashes or distances."},

	// hashes
	{Name: "hset", Arity: -4, Flags: rw | fast, ACL: []string{"hash"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate)}, Group: "hash", Since: "2.0.0", Summary: "Sets fields of a hash, creating it when missing; counts the new fields."},
	{Name: "hsetnx", Arity: 4, Flags: rw | fast, ACL: []string{"hash"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyInsert)}, Group: "hash", Since: "2.0.0", Summary: "Sets a field of a hash only when the field is missing."},
	{Name: "hmset", Arity: -4, Flags: rw | fast, ACL: []string{"hash"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate)}, Group: "hash", Since: "2.0.0", Summary: "Old form of HSET that answers OK."},
	{Name: "hget", Arity: 3, Flags: ro | fast, ACL: []string{"hash"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "hash", Since: "2.0.0", Summary: "Returns the value of one field of a hash."},
	{Name: "hmget", Arity: -3, Flags: ro | fast, ACL: []string{"hash"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "hash", Since: "2.0.0", Summary: "Returns the values of several fields of a hash."},
	{Name: "hgetall", Arity: 2, Flags: ro, ACL: []string{"hash"}, Tips: []string{tipNondetOrder}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "hash", Since: "2.0.0", Summary: "Returns every field of a hash with its value."},
	{Name: "hdel", Arity: -3, Flags: wr | fast, ACL: []string{"hash"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyDelete)}, Group: "hash", Since: "2.0.0", Summary: "Removes fields from a hash, deleting it when none is left."},
	{Name: "hlen", Arity: 2, Flags: ro | fast, ACL: []string{"hash"}, KeySpecs: []KeySpec{keyAt(1, KeyRO)}, Group: "hash", Since: "2.0.0", Summary: "Returns the number of fields of a hash."},
	{Name: "hexists", Arity: 3, Flags: ro | fast, ACL: []string{"hash"}, KeySpecs: []KeySpec{keyAt(1, KeyRO)}, Group: "hash", Since: "2.0.0", Summary: "Tells whether a hash has a field."},
	{Name: "hkeys", Arity: 2, Flags: ro, ACL: []string{"hash"}, Tips: []string{tipNondetOrder}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "hash", Since: "2.0.0", Summary: "Returns the field names of a hash."},
	{Name: "hvals", Arity: 2, Flags: ro, ACL: []string{"hash"}, Tips: []string{tipNondetOrder}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "hash", Since: "2.0.0", Summary: "Returns the values of a hash."},
	{Name: "hincrby", Arity: 4, Flags: rw | fast, ACL: []string{"hash"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyUpdate)}, Group: "hash", Since: "2.0.0", Summary: "Adds an integer to the integer value of a hash field."},
	{Name: "hincrbyfloat", Arity: 4, Flags: rw | fast, ACL: []string{"hash"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyUpdate)}, Group: "hash", Since: "2.6.0", Summary: "Adds a floating point number to the numeric value of a hash field."},
	{Name: "hstrlen", Arity: 3, Flags: ro | fast, ACL: []string{"hash"}, KeySpecs: []KeySpec{keyAt(1, KeyRO)}, Group: "hash", Since: "3.2.0", Summary: "Returns the length of a hash field's value."},
	{Name: "hrandfield", Arity: -2, Flags: ro, ACL: []string{"hash"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "hash", Since: "6.2.0", Summary: "Returns random fields of a hash, optionally with their values."},
	{Name: "hscan", Arity: -3, Flags: ro, ACL: []string{"hash"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "hash", Since: "2.8.0", Summary: "Iterates over the fields of a hash with a cursor."},

	// streams
	{Name: "xadd", Arity: -5, Flags: rw | fast, ACL: []string{"stream"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate).withNotes("Trimming may remove entries, hence update rather than insert.")}, Group: "stream", Since: "5.0.0", Summary: "Appends an entry to a stream, creating it when missing, and optionally trims it."},
	{Name: "xrange", Arity: -4, Flags: ro, ACL: []string{"stream"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "stream", Since: "5.0.0", Summary: "Returns the entries of a stream between two ids, oldest first."},
	{Name: "xrevrange", Arity: -4, Flags: ro, ACL: []string{"stream"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "stream", Since: "5.0.0", Summary: "Returns the entries of a stream between two ids, newest first."},
	{Name: "xlen", Arity: 2, Flags: ro | fast, ACL: []string{"stream"}, KeySpecs: []KeySpec{keyAt(1, KeyRO)}, Group: "stream", Since: "5.0.0", Summary: "Returns the number of entries of a stream."},
	{Name: "xdel", Arity: -3, Flags: wr | fast, ACL: []string{"stream"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyDelete)}, Group: "stream", Since: "5.0.0", Summary: "Deletes entries of a stream by id."},
	{Name: "xtrim", Arity: -4, Flags: wr, ACL: []string{"stream"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyDelete)}, Group: "stream", Since: "5.0.0", Summary: "Removes the oldest entries of a stream, by length or by id."},
	{Name: "xsetid", Arity: -3, Flags: rw | fast, ACL: []string{"stream"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate)}, Group: "stream", Since: "5.0.0", Summary: "Sets a stream's last id and its counters of added and deleted entries."},
	{Name: "xread", Arity: -4, Flags: ro | FlagBlocking | FlagMovableKeys, ACL: []string{"stream"}, KeySpecs: []KeySpec{keysAfterKeyword("STREAMS", 1, -1, 2, KeyRO|KeyAccess)}, Group: "stream", Since: "5.0.0", Summary: "Reads entries after given ids from one or more streams, optionally waiting for new ones.", keysFn: xreadKeys},
	{Name: "xgroup", Arity: -2, Group: "stream", Since: "5.0.0", Summary: "Manages a stream's consumer groups and their consumers.", Subs: []*Command{
		{Name: "create", Arity: -5, Flags: rw, ACL: []string{"stream"}, KeySpecs: []KeySpec{keyAt(2, KeyRW|KeyInsert)}, Summary: "Creates a consumer group, optionally creating an empty stream."},
		{Name: "setid", Arity: -5, Flags: wr, ACL: []string{"stream"}, KeySpecs: []KeySpec{keyAt(2, KeyRW|KeyUpdate)}, Summary: "Moves a consumer group's last delivered id."},
		{Name: "destroy", Arity: 4, Flags: wr, ACL: []string{"stream"}, KeySpecs: []KeySpec{keyAt(2, KeyRW|KeyDelete)}, Summary: "Deletes a consumer group with its pending entries and consumers."},
		{Name: "createconsumer", Arity: 5, Flags: rw, ACL: []string{"stream"}, KeySpecs: []KeySpec{keyAt(2, KeyRW|KeyInsert)}, Since: "6.2.0", Summary: "Adds a consumer to a consumer group."},
		{Name: "delconsumer", Arity: 5, Flags: wr, ACL: []string{"stream"}, KeySpecs: []KeySpec{keyAt(2, KeyRW|KeyDelete)}, Summary: "Removes a consumer and its pending entries from a consumer group."},
		{Name: "help", Arity: 2, Flags: ls, ACL: []string{"stream"}, Since: "5.0.0", Summary: "Lists XGROUP's subcommands."},
	}},
	{Name: "xreadgroup", Arity: -7, Flags: wr | FlagBlocking | FlagMovableKeys, ACL: []string{"stream"}, KeySpecs: []KeySpec{keysAfterKeyword("STREAMS", 4, -1, 2, KeyRO|KeyAccess)}, Group: "stream", Since: "5.0.0", Summary: "Reads entries for a consumer of a group: new ones, or its own pending ones, optionally waiting for new ones.", keysFn: xreadgroupKeys},
	{Name: "xack", Arity: -4, Flags: wr | fast, ACL: []string{"stream"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate)}, Group: "stream", Since: "5.0.0", Summary: "Acknowledges entries: removes them from a consumer group's pending list."},
	{Name: "xpending", Arity: -3, Flags: ro, ACL: []string{"stream"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "stream", Since: "5.0.0", Summary: "Describes the entries a consumer group delivered and nobody acknowledged yet."},
	{Name: "xclaim", Arity: -6, Flags: wr | fast, ACL: []string{"stream"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate)}, Group: "stream", Since: "5.0.0", Summary: "Gives pending entries, chosen by id, to another consumer."},
	{Name: "xautoclaim", Arity: -6, Flags: wr | fast, ACL: []string{"stream"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyDelete)}, Group: "stream", Since: "6.2.0", Summary: "Gives pending entries idle for long enough to another consumer, scanning from a cursor."},
	{Name: "xinfo", Arity: -2, Group: "stream", Since: "5.0.0", Summary: "Describes streams and their consumer groups.", Subs: []*Command{
		{Name: "stream", Arity: -3, Flags: ro, ACL: []string{"stream"}, KeySpecs: []KeySpec{keyAt(2, KeyRO|KeyAccess)}, Summary: "Describes a stream, or with FULL, its entries and groups."},
		{Name: "groups", Arity: 3, Flags: ro, ACL: []string{"stream"}, KeySpecs: []KeySpec{keyAt(2, KeyRO|KeyAccess)}, Summary: "Describes a stream's consumer groups."},
		{Name: "consumers", Arity: 4, Flags: ro, ACL: []string{"stream"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(2, KeyRO|KeyAccess)}, Summary: "Describes the consumers of a stream's consumer group."},
		{Name: "help", Arity: 2, Flags: ls, ACL: []string{"stream"}, Since: "5.0.0", Summary: "Lists XINFO's subcommands."},
	}},

	// keyspace
	{Name: "del", Arity: -2, Flags: wr, ACL: []string{"keyspace"}, Tips: []string{tipRequestMulti, tipAggSum}, KeySpecs: []KeySpec{keysFrom(1, -1, 1, KeyRM|KeyDelete)}, Group: "generic", Since: "1.0.0", Summary: "Deletes keys."},
	{Name: "unlink", Arity: -2, Flags: wr | fast, ACL: []string{"keyspace"}, Tips: []string{tipRequestMulti, tipAggSum}, KeySpecs: []KeySpec{keysFrom(1, -1, 1, KeyRM|KeyDelete)}, Group: "generic", Since: "4.0.0", Summary: "Deletes keys, reclaiming memory in the background."},
	{Name: "exists", Arity: -2, Flags: ro | fast, ACL: []string{"keyspace"}, Tips: []string{tipRequestMulti, tipAggSum}, KeySpecs: []KeySpec{keysFrom(1, -1, 1, KeyRO)}, Group: "generic", Since: "1.0.0", Summary: "Counts how many of the given keys exist."},
	{Name: "touch", Arity: -2, Flags: ro | fast, ACL: []string{"keyspace"}, Tips: []string{tipRequestMulti, tipAggSum}, KeySpecs: []KeySpec{keysFrom(1, -1, 1, KeyRO)}, Group: "generic", Since: "3.2.1", Summary: "Refreshes keys' access times and counts the existing ones."},
	{Name: "type", Arity: 2, Flags: ro | fast, ACL: []string{"keyspace"}, KeySpecs: []KeySpec{keyAt(1, KeyRO)}, Group: "generic", Since: "1.0.0", Summary: "Returns the type of a key's value."},
	{Name: "expire", Arity: -3, Flags: wr | fast, ACL: []string{"keyspace"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate)}, Group: "generic", Since: "1.0.0", Summary: "Sets a TTL in seconds."},
	{Name: "pexpire", Arity: -3, Flags: wr | fast, ACL: []string{"keyspace"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate)}, Group: "generic", Since: "2.6.0", Summary: "Sets a TTL in milliseconds."},
	{Name: "expireat", Arity: -3, Flags: wr | fast, ACL: []string{"keyspace"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate)}, Group: "generic", Since: "1.2.0", Summary: "Sets an expiry as a Unix time in seconds."},
	{Name: "pexpireat", Arity: -3, Flags: wr | fast, ACL: []string{"keyspace"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate)}, Group: "generic", Since: "2.6.0", Summary: "Sets an expiry as a Unix time in milliseconds."},
	{Name: "ttl", Arity: 2, Flags: ro | fast, ACL: []string{"keyspace"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "generic", Since: "1.0.0", Summary: "Returns the remaining TTL in seconds."},
	{Name: "pttl", Arity: 2, Flags: ro | fast, ACL: []string{"keyspace"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "generic", Since: "2.6.0", Summary: "Returns the remaining TTL in milliseconds."},
	{Name: "expiretime", Arity: 2, Flags: ro | fast, ACL: []string{"keyspace"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "generic", Since: "7.0.0", Summary: "Returns the expiry as a Unix time in seconds."},
	{Name: "pexpiretime", Arity: 2, Flags: ro | fast, ACL: []string{"keyspace"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "generic", Since: "7.0.0", Summary: "Returns the expiry as a Unix time in milliseconds."},
	{Name: "persist", Arity: 2, Flags: wr | fast, ACL: []string{"keyspace"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyUpdate)}, Group: "generic", Since: "2.2.0", Summary: "Removes a key's TTL."},
	{Name: "keys", Arity: 2, Flags: ro, ACL: []string{"keyspace", "dangerous"}, Tips: []string{tipRequestAllShards, tipNondetOrder}, Group: "generic", Since: "1.0.0", Summary: "Lists the keys matching a glob pattern."},
	{Name: "scan", Arity: -2, Flags: ro, ACL: []string{"keyspace"}, Tips: []string{tipNondetOutput, tipRequestSpecial}, Group: "generic", Since: "2.8.0", Summary: "Iterates over the keyspace with a cursor."},
	{Name: "sort", Arity: -2, Flags: rw | FlagMovableKeys, ACL: []string{"set", "sortedset", "list", "dangerous"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess),
		keysUnknown(KeyRO|KeyAccess, "BY and GET patterns name keys built from the elements."),
		keysUnknown(KeyOW|KeyUpdate, "STORE may name its destination anywhere among the options.")}, Group: "generic", Since: "1.0.0", Summary: "Sorts a list, set or sorted set, optionally by or fetching other keys, and returns or stores the result.", keysFn: sortKeys},
	{Name: "sort_ro", Arity: -2, Flags: ro | FlagMovableKeys, ACL: []string{"set", "sortedset", "list", "dangerous"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess),
		keysUnknown(KeyRO|KeyAccess, "BY and GET patterns name keys built from the elements.")}, Group: "generic", Since: "7.0.0", Summary: "Sorts a list, set or sorted set, optionally by or fetching other keys, without STORE."},
	{Name: "randomkey", Arity: 1, Flags: ro, ACL: []string{"keyspace"}, Tips: []string{tipRequestAllShards, tipNondetOutput}, Group: "generic", Since: "1.0.0", Summary: "Returns a random key."},
	{Name: "rename", Arity: 3, Flags: wr, ACL: []string{"keyspace"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyDelete), keyAt(2, KeyOW|KeyUpdate)}, Group: "generic", Since: "1.0.0", Summary: "Renames a key, replacing the destination."},
	{Name: "renamenx", Arity: 3, Flags: wr | fast, ACL: []string{"keyspace"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyDelete), keyAt(2, KeyOW|KeyInsert)}, Group: "generic", Since: "1.0.0", Summary: "Renames a key only when the destination does not exist."},
	{Name: "copy", Arity: -3, Flags: rw, ACL: []string{"keyspace"}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess), keyAt(2, KeyOW|KeyUpdate)}, Group: "generic", Since: "6.2.0", Summary: "Copies a key's value, optionally to another database."},
	{Name: "dump", Arity: 2, Flags: ro, ACL: []string{"keyspace"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(1, KeyRO|KeyAccess)}, Group: "generic", Since: "2.6.0", Summary: "Serializes a key's value in the RDB format RESTORE reads."},
	{Name: "restore", Arity: -4, Flags: rw, ACL: []string{"keyspace", "dangerous"}, KeySpecs: []KeySpec{keyAt(1, KeyOW|KeyUpdate)}, Group: "generic", Since: "2.6.0", Summary: "Creates a key from a value serialized by DUMP."},
	{Name: "restore-asking", Arity: -4, Flags: rw | FlagAsking, ACL: []string{"keyspace", "dangerous"}, KeySpecs: []KeySpec{keyAt(1, KeyOW|KeyUpdate)}, Group: "server", Since: "3.0.0", Summary: "RESTORE sent by MIGRATE to a node importing the key's slot."},
	{Name: "migrate", Arity: -6, Flags: wr | FlagMovableKeys, ACL: []string{"keyspace", "dangerous"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(3, KeyRW|KeyAccess|KeyDelete), keysAfterKeyword("KEYS", -2, -1, 0, KeyRW|KeyAccess|KeyDelete|KeyIncomplete)}, Group: "generic", Since: "2.6.0", Summary: "Moves keys to another server.", keysFn: migrateKeys},
	{Name: "move", Arity: 3, Flags: wr | fast, ACL: []string{"keyspace"}, KeySpecs: []KeySpec{keyAt(1, KeyRW|KeyAccess|KeyUpdate)}, Group: "generic", Since: "1.0.0", Summary: "Moves a key to another database."},
	{Name: "swapdb", Arity: 3, Flags: wr | fast, ACL: []string{"keyspace", "dangerous"}, Group: "server", Since: "4.0.0", Summary: "Exchanges the contents of two databases."},
	{Name: "dbsize", Arity: 1, Flags: ro | fast, ACL: []string{"keyspace"}, Tips: []string{tipRequestAllShards, tipAggSum}, Group: "server", Since: "1.0.0", Summary: "Returns the number of keys in the database."},
	{Name: "flushdb", Arity: -1, Flags: wr, ACL: []string{"keyspace", "dangerous"}, Tips: []string{tipRequestAllShards, tipAllSucceeded}, Group: "server", Since: "1.0.0", Summary: "Deletes every key of the selected database."},
	{Name: "flushall", Arity: -1, Flags: wr, ACL: []string{"keyspace", "dangerous"}, Tips: []string{tipRequestAllShards, tipAllSucceeded}, Group: "server", Since: "1.0.0", Summary: "Deletes every key of every database."},
	{Name: "object", Arity: -2, Group: "generic", Since: "2.2.3", Summary: "Inspects how a value is stored.", Subs: []*Command{
		{Name: "encoding", Arity: 3, Flags: ro, ACL: []string{"keyspace"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(2, KeyRO)}, Summary: "Returns the internal encoding of a value."},
		{Name: "refcount", Arity: 3, Flags: ro, ACL: []string{"keyspace"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(2, KeyRO)}, Summary: "Returns the reference count of a value."},
		{Name: "idletime", Arity: 3, Flags: ro, ACL: []string{"keyspace"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(2, KeyRO)}, Summary: "Returns seconds since the key was last accessed."},
		{Name: "freq", Arity: 3, Flags: ro, ACL: []string{"keyspace"}, Tips: []string{tipNondetOutput}, KeySpecs: []KeySpec{keyAt(2, KeyRO)}, Since: "4.0.0", Summary: "Returns the key's access frequency counter (LFU policies only)."},
		{Name: "help", Arity: 2, Flags: ls, ACL: []string{"keyspace"}, Since: "6.2.0", Summary: "Lists OBJECT's subcommands."},
	}},

	// server
	{Name: "info", Arity: -1, Flags: ls, ACL: []string{"dangerous"}, Tips: []string{tipNondetOutput, tipRequestAllShards, tipResponseSpecial}, Group: "server", Since: "1.0.0", Summary: "Reports server state and statistics by section."},
	{Name: "config", Arity: -2, Group: "server", Since: "2.0.0", Summary: "Reads and changes configuration at run time.", Subs: []*Command{
		{Name: "get", Arity: -3, Flags: adm, Summary: "Returns parameters matching glob patterns."},
		{Name: "set", Arity: -4, Flags: adm, Tips: []string{tipRequestAllNodes, tipAllSucceeded}, Summary: "Changes parameters, all or none."},
		{Name: "resetstat", Arity: 2, Flags: adm, Summary: "Resets the statistics INFO reports."},
		{Name: "rewrite", Arity: 2, Flags: adm, Since: "2.8.0", Summary: "Writes the running configuration to the config file."},
		{Name: "help", Arity: 2, Flags: ls, Since: "5.0.0", Summary: "Lists CONFIG's subcommands."},
	}},
	{Name: "cluster", Arity: -2, Group: "cluster", Since: "3.0.0", Summary: "Runs Redis Cluster's node and slot commands.", Subs: []*Command{
		{Name: "addslots", Arity: -3, Flags: clusterAdm, Summary: "Assigns slots to this node."},
		{Name: "addslotsrange", Arity: -4, Flags: clusterAdm, Since: "7.0.0", Summary: "Assigns ranges of slots to this node."},
		{Name: "bumpepoch", Arity: 2, Flags: clusterAdm, Tips: []string{tipNondetOutput}, Summary: "Gives this node a new, highest config epoch."},
		{Name: "count-failure-reports", Arity: 3, Flags: FlagAdmin | FlagStale, Tips: []string{tipNondetOutput}, Summary: "Counts the masters that report a node as failing."},
		{Name: "countkeysinslot", Arity: 3, Flags: FlagStale, Summary: "Counts this node's keys in a slot."},
		{Name: "delslots", Arity: -3, Flags: clusterAdm, Summary: "Unassigns slots."},
		{Name: "delslotsrange", Arity: -4, Flags: clusterAdm, Since: "7.0.0", Summary: "Unassigns ranges of slots."},
		{Name: "flushslots", Arity: 2, Flags: clusterAdm, Summary: "Unassigns every slot of this node, which must be empty."},
		{Name: "forget", Arity: 3, Flags: clusterAdm, Summary: "Removes a node from this node's table."},
		{Name: "getkeysinslot", Arity: 4, Flags: FlagStale, Tips: []string{tipNondetOutput}, Summary: "Returns this node's keys in a slot."},
		{Name: "info", Arity: 2, Flags: FlagStale, Tips: []string{tipNondetOutput}, Summary: "Describes the cluster's state."},
		{Name: "keyslot", Arity: 3, Flags: FlagStale, Summary: "Returns the hash slot of a key."},
		{Name: "meet", Arity: -4, Flags: clusterAdm, Summary: "Introduces this node to another node by address."},
		{Name: "myid", Arity: 2, Flags: FlagStale, Summary: "Returns this node's id."},
		{Name: "nodes", Arity: 2, Flags: FlagStale, Tips: []string{tipNondetOutput}, Summary: "Lists the nodes as this node knows them."},
		{Name: "replicate", Arity: 3, Flags: clusterAdm, Summary: "Makes this node a replica of a master."},
		{Name: "replicas", Arity: 3, Flags: FlagAdmin | FlagStale, Tips: []string{tipNondetOutput}, Since: "5.0.0", Summary: "Lists the replicas of a master."},
		{Name: "slaves", Arity: 3, Flags: FlagAdmin | FlagStale, Tips: []string{tipNondetOutput}, Summary: "Lists the replicas of a master (old name of REPLICAS)."},
		{Name: "failover", Arity: -2, Flags: clusterAdm, Summary: "Makes this replica take its master's slots."},
		{Name: "reset", Arity: -2, Flags: FlagAdmin | FlagNoScript | FlagStale, Summary: "Forgets the other nodes and the slots."},
		{Name: "saveconfig", Arity: 2, Flags: clusterAdm, Summary: "Writes the node table to cluster-config-file."},
		{Name: "setslot", Arity: -4, Flags: clusterAdm, Summary: "Moves a slot: marks it importing or migrating, or gives it to a node."},
		{Name: "set-config-epoch", Arity: 3, Flags: clusterAdm, Summary: "Sets the config epoch of a new node."},
		{Name: "shards", Arity: 2, Flags: FlagStale, Tips: []string{tipNondetOutput}, Since: "7.0.0", Summary: "Lists the shards with their slots and nodes."},
		{Name: "slots", Arity: 2, Flags: FlagStale, Tips: []string{tipNondetOutput}, Summary: "Lists the slot ranges with their nodes."},
		{Name: "help", Arity: 2, Flags: ls, Since: "5.0.0", Summary: "Lists CLUSTER's subcommands."},
	}},
	{Name: "readonly", Arity: 1, Flags: ls | fast, ACL: []string{"connection"}, Group: "cluster", Since: "3.0.0", Summary: "Lets a cluster replica's connection read."},
	{Name: "readwrite", Arity: 1, Flags: ls | fast, ACL: []string{"connection"}, Group: "cluster", Since: "3.0.0", Summary: "Ends READONLY."},
	{Name: "asking", Arity: 1, Flags: fast, ACL: []string{"connection"}, Group: "cluster", Since: "3.0.0", Summary: "Lets the next command reach a slot this node imports."},
	{Name: "acl", Arity: -2, Group: "server", Since: "6.0.0", Summary: "Manages users and their permissions.", Subs: []*Command{
		{Name: "cat", Arity: -2, Flags: FlagNoScript | ls, Summary: "Lists the ACL categories, or the commands in one."},
		{Name: "deluser", Arity: -3, Flags: adm, Summary: "Deletes users and disconnects their connections."},
		{Name: "dryrun", Arity: -4, Flags: adm, Since: "7.0.0", Summary: "Says whether a user could run a command line, without running it."},
		{Name: "genpass", Arity: -2, Flags: FlagNoScript | ls, Summary: "Returns a random password."},
		{Name: "getuser", Arity: 3, Flags: adm, Summary: "Describes a user's flags, passwords and permissions."},
		{Name: "list", Arity: 2, Flags: adm, Summary: "Lists the users as ACL file lines."},
		{Name: "load", Arity: 2, Flags: adm, Summary: "Replaces the users with those of the ACL file."},
		{Name: "log", Arity: -2, Flags: adm, Summary: "Lists refused commands and failed authentications, or forgets them."},
		{Name: "save", Arity: 2, Flags: adm, Summary: "Writes the users to the ACL file."},
		{Name: "setuser", Arity: -3, Flags: adm, Summary: "Creates or changes a user by rules."},
		{Name: "users", Arity: 2, Flags: adm, Summary: "Lists the user names."},
		{Name: "whoami", Arity: 2, Flags: FlagNoScript | ls, Summary: "Returns the connection's user name."},
		{Name: "help", Arity: 2, Flags: ls, Summary: "Lists ACL's subcommands."},
	}},
	{Name: "time", Arity: 1, Flags: ls | fast, Tips: []string{tipNondetOutput}, Group: "server", Since: "2.6.0", Summary: "Returns the server's clock."},
	{Name: "debug", Arity: -2, Flags: adm, Group: "server", Since: "1.0.0", Summary: "Debugging aids (SLEEP, OBJECT, SET-ACTIVE-EXPIRE, RELOAD, LOADAOF, PROTOCOL, DIGEST, DIGEST-VALUE)."},
	{Name: "slowlog", Arity: -2, Group: "server", Since: "2.2.12", Summary: "Reads and clears the log of slow commands.", Subs: []*Command{
		{Name: "get", Arity: -2, Flags: FlagAdmin | ls, Tips: []string{tipRequestAllNodes, tipNondetOutput}, Summary: "Returns the newest slow log entries."},
		{Name: "len", Arity: 2, Flags: FlagAdmin | ls, Tips: []string{tipRequestAllNodes, tipAggSum, tipNondetOutput}, Summary: "Returns the number of slow log entries."},
		{Name: "reset", Arity: 2, Flags: FlagAdmin | ls, Tips: []string{tipRequestAllNodes, tipAllSucceeded}, Summary: "Empties the slow log."},
		{Name: "help", Arity: 2, Flags: ls, Since: "6.2.0", Summary: "Lists SLOWLOG's subcommands."},
	}},
	{Name: "latency", Arity: -2, Group: "server", Since: "2.8.13", Summary: "Reads and resets latency spikes and per-command latency histograms.", Subs: []*Command{
		{Name: "latest", Arity: 2, Flags: adm, Tips: []string{tipNondetOutput, tipRequestAllNodes, tipResponseSpecial}, Summary: "Returns the latest spike of every latency event."},
		{Name: "history", Arity: 3, Flags: adm, Tips: []string{tipNondetOutput, tipRequestAllNodes, tipResponseSpecial}, Summary: "Returns the spikes recorded for one latency event."},
		{Name: "reset", Arity: -2, Flags: adm, Tips: []string{tipRequestAllNodes, tipAllSucceeded}, Summary: "Forgets the spikes of some or all latency events."},
		{Name: "histogram", Arity: -2, Flags: adm, Tips: []string{tipNondetOutput, tipRequestAllNodes, tipResponseSpecial}, Since: "7.0.0", Summary: "Returns cumulative latency histograms of commands."},
		{Name: "doctor", Arity: 2, Flags: adm, Tips: []string{tipNondetOutput, tipRequestAllNodes, tipResponseSpecial}, Summary: "Describes the recorded latency spikes in words."},
		{Name: "help", Arity: 2, Flags: ls, Summary: "Lists LATENCY's subcommands."},
	}},
	{Name: "monitor", Arity: 1, Flags: adm, Group: "server", Since: "1.0.0", Summary: "Streams every command the server runs to this connection."},
	{Name: "memory", Arity: -2, Group: "server", Since: "4.0.0", Summary: "Reports on memory use.", Subs: []*Command{
		{Name: "usage", Arity: -3, Flags: ro, KeySpecs: []KeySpec{keyAt(2, KeyRO)}, Summary: "Estimates the bytes a key and its value use."},
		{Name: "stats", Arity: 2, Tips: []string{tipNondetOutput, tipRequestAllShards, tipResponseSpecial}, Summary: "Returns memory figures of the server."},
		{Name: "doctor", Arity: 2, Tips: []string{tipNondetOutput, tipRequestAllShards, tipResponseSpecial}, Summary: "Describes memory problems in words."},
		{Name: "help", Arity: 2, Flags: ls, Summary: "Lists MEMORY's subcommands."},
	}},
	{Name: "save", Arity: 1, Flags: FlagAdmin | FlagNoScript | FlagNoAsyncLoading | FlagNoMulti, Group: "server", Since: "1.0.0", Summary: "Writes a snapshot of the dataset to the RDB file and waits for it."},
	{Name: "bgsave", Arity: -1, Flags: FlagAdmin | FlagNoScript | FlagNoAsyncLoading, Group: "server", Since: "1.0.0", Summary: "Writes a snapshot of the dataset to the RDB file in the background."},
	{Name: "bgrewriteaof", Arity: 1, Flags: FlagAdmin | FlagNoScript | FlagNoAsyncLoading, Group: "server", Since: "1.0.0", Summary: "Rewrites the append-only file from a snapshot, in the background."},
	{Name: "wait", Arity: 3, Flags: FlagNoScript, ACL: []string{"connection"}, Tips: []string{tipRequestAllShards, tipAggMin}, Group: "generic", Since: "3.0.0", Summary: "Waits until replicas acknowledged the connection's writes."},
	{Name: "psync", Arity: -3, Flags: FlagAdmin | FlagNoScript | FlagNoAsyncLoading | FlagNoMulti, Group: "server", Since: "2.8.0", Summary: "Turns the connection into a replica's: a full or partial sync, then the stream."},
	{Name: "sync", Arity: 1, Flags: FlagAdmin | FlagNoScript | FlagNoAsyncLoading | FlagNoMulti, Group: "server", Since: "1.0.0", Summary: "Turns the connection into a replica's with a full sync (the old protocol)."},
	{Name: "replconf", Arity: -1, Flags: adm | FlagAllowBusy, Group: "server", Since: "3.0.0", Summary: "Tells the master about a replica before it syncs."},
	{Name: "replicaof", Arity: 3, Flags: FlagAdmin | FlagNoScript | FlagStale | FlagNoAsyncLoading, Group: "server", Since: "5.0.0", Summary: "Makes the server a replica of another, or a master again (NO ONE)."},
	{Name: "slaveof", Arity: 3, Flags: FlagAdmin | FlagNoScript | FlagStale | FlagNoAsyncLoading, Group: "server", Since: "1.0.0", Summary: "Makes the server a replica of another, or a master again (NO ONE)."},
	{Name: "role", Arity: 1, Flags: FlagNoScript | ls | fast, ACL: []string{"admin", "dangerous"}, Group: "server", Since: "2.8.12", Summary: "Returns the replication role: master with its replicas, or replica with its master."},
	{Name: "lastsave", Arity: 1, Flags: ls | fast, Tips: []string{tipNondetOutput}, ACL: []string{"admin", "dangerous"}, Group: "server", Since: "1.0.0", Summary: "Returns the Unix time of the last successful save."},
	{Name: "shutdown", Arity: -1, Flags: adm | FlagNoMulti | FlagAllowBusy, Group: "server", Since: "1.0.0", Summary: "Stops the server."},
	{Name: "command", Arity: -1, Flags: ls, ACL: []string{"connection"}, Tips: []string{tipNondetOrder}, Group: "server", Since: "2.8.13", Summary: "Describes the commands the server knows.", Subs: []*Command{
		{Name: "count", Arity: 2, Flags: ls, ACL: []string{"connection"}, Summary: "Returns the number of commands."},
		{Name: "info", Arity: -2, Flags: ls, ACL: []string{"connection"}, Tips: []string{tipNondetOrder}, Summary: "Describes the given commands, or all."},
		{Name: "docs", Arity: -2, Flags: ls, ACL: []string{"connection"}, Tips: []string{tipNondetOrder}, Since: "7.0.0", Summary: "Documents the given commands, or all."},
		{Name: "list", Arity: -2, Flags: ls, ACL: []string{"connection"}, Tips: []string{tipNondetOrder}, Since: "7.0.0", Summary: "Lists command names, optionally filtered."},
		{Name: "getkeys", Arity: -4, Flags: ls, ACL: []string{"connection"}, Summary: "Extracts the keys from a full command line."},
		{Name: "help", Arity: 2, Flags: ls, ACL: []string{"connection"}, Since: "5.0.0", Summary: "Lists COMMAND's subcommands."},
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
	// Cached: the dispatcher records the name of every command it runs (CLIENT LIST).
	c.fullName = c.FullName()
	c.id = len(all)
	all = append(all, c)
	c.shard = shard.Lookup(c.FullName())
	c.multi = multiHandlers[c.FullName()]
	c.client = clientHandlers[c.FullName()]
	c.barrier = c.client != nil && c.Name != "ping" && c.Name != "echo"
	c.pipelined = pipelinedMulti[c.FullName()]
	if c.FirstKey != 0 || c.LastKey != 0 || c.Step != 0 {
		panic(fmt.Sprintf("BUG: table row %s sets FirstKey/LastKey/Step; write KeySpecs instead", c.FullName()))
	}
	c.FirstKey, c.LastKey, c.Step = keyRange(c.FullName(), c.KeySpecs)
	for _, k := range c.KeySpecs {
		if k.Keyword != "" && (c.Flags&FlagMovableKeys == 0 || c.keysFn == nil) {
			panic(fmt.Sprintf("BUG: table row %s searches a keyword but has no keysFn", c.FullName()))
		}
		if !k.KeyNum {
			continue
		}
		if c.Flags&FlagMovableKeys == 0 {
			panic(fmt.Sprintf("BUG: table row %s counts its keys but is not movablekeys", c.FullName()))
		}
		if c.keysFn == nil {
			c.keysFn = specKeys(c.KeySpecs)
		}
	}
	c.categories = c.aclCategories()
}

// keyRange folds key specs into the one range of COMMAND INFO's legacy first key, last
// key and step fields, which routing also reads. Key-count specs are left out, as Redis
// leaves them out (their commands route with a keysFn). Basalt's commands have a single
// range spec or range specs for adjacent single keys, the last of which may run to the
// end of the line; anything else is a bug in the table until routing learns to read key
// specs.
func keyRange(name string, specs []KeySpec) (first, last, step int) {
	var ranges []KeySpec
	for _, k := range specs {
		if !k.KeyNum && !k.Unknown && k.Keyword == "" {
			ranges = append(ranges, k)
		}
	}
	specs = ranges
	if len(specs) == 1 {
		k := specs[0]
		last = k.LastKey
		if last >= 0 {
			last += k.BeginIndex
		}
		return k.BeginIndex, last, k.KeyStep
	}
	for i, k := range specs {
		// The last spec may run to the end of the line (SINTERSTORE's sources).
		open := i == len(specs)-1 && k.LastKey < 0
		if (k.LastKey != 0 && !open) || k.KeyStep != 1 || (i > 0 && k.BeginIndex != last+1) {
			panic(fmt.Sprintf("BUG: the key specs of %s are not adjacent single keys", name))
		}
		if i == 0 {
			first = k.BeginIndex
		}
		last, step = k.BeginIndex, 1
		if open {
			last = k.LastKey
		}
	}
	return first, last, step
}

// specKeys returns the keysFn of a command with a key-count spec. It finds keys the way
// redis-server's getkeys procedures for such commands do (COMMAND GETKEYS shows them):
// range specs as usual; a count spec's keys when the count, read like C's atoi, is at
// least 1 and that many arguments follow, and else no keys at all, leaving the error to
// the command.
func specKeys(specs []KeySpec) func(a [][]byte) []int {
	return func(a [][]byte) []int {
		var pos []int
		for _, k := range specs {
			if k.Unknown {
				continue
			}
			if !k.KeyNum {
				last := k.LastKey
				if last < 0 {
					last += len(a)
				} else {
					last += k.BeginIndex
				}
				for i := k.BeginIndex; i <= last && i < len(a); i += k.KeyStep {
					pos = append(pos, i)
				}
				continue
			}
			at, first := k.BeginIndex+k.KeyNumIdx, k.BeginIndex+k.FirstKey
			if at >= len(a) {
				return nil
			}
			num := atoi(a[at])
			if num < 1 || num > int64((len(a)-first)/k.KeyStep) {
				return nil
			}
			for i := range int(num) {
				pos = append(pos, first+i*k.KeyStep)
			}
		}
		return pos
	}
}

// atoi reads a number as C's atoi does: leading spaces, an optional sign, then digits
// up to the first other byte; 0 when there are none. It saturates instead of
// overflowing.
func atoi(b []byte) int64 {
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var n int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if n < (1<<62)/10 {
			n = n*10 + int64(b[i]-'0')
		}
	}
	if neg {
		return -n
	}
	return n
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

// commandCache looks commands up by name and remembers the last name it resolved, as
// sent: a pipeline repeats one command, and hashing and comparing in the name map were
// 3-4% of a pipelined GET profile.
type commandCache struct {
	scratch [32]byte
	last    [32]byte
	n       int
	cmd     *Command
}

func (cc *commandCache) lookup(name []byte) *Command {
	if cc.cmd != nil && string(name) == string(cc.last[:cc.n]) {
		return cc.cmd
	}
	c := lookupCommand(name, &cc.scratch)
	if c != nil {
		cc.n = copy(cc.last[:], name)
		cc.cmd = c
	}
	return c
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
// imply, as Redis derives them, and, unless c is a container, those its group implies;
// in Redis's order.
func (c *Command) aclCategories() []string {
	has := map[string]bool{}
	if c.Flags&FlagWrite != 0 {
		has["write"] = true
	}
	// As in Redis, read-only scripting commands (EVAL_RO, FCALL_RO) are not @read.
	if c.Flags&FlagReadonly != 0 && !slices.Contains(c.ACL, "scripting") {
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
	if len(c.Subs) == 0 {
		switch c.Group {
		case "string":
			has["string"] = true
		case "connection":
			has["connection"] = true
		}
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
