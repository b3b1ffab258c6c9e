package coord

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/basaltdb/basalt/shard"
)

// Config is the server's configuration: every supported redis.conf directive.
//
// Values come from three places, in this order: the defaults of the directive table
// (DefaultConfig), a config file (ParseConfigFile), and "--name value" arguments
// (ApplyArgs); at run time CONFIG GET and CONFIG SET read and change them through Get
// and Set. The directive table (directives, below) is the single description of every
// parameter: its names, kind of value, default, range and whether it may change at run
// time.
//
// Concurrency: the fields are written at start-up and by CONFIG SET, which holds mu;
// readers on other loops take mu too, except for values mirrored into atomics
// (shard.Settings) that the hot path reads. Every method takes mu; OnChange runs with mu
// held.
type Config struct {
	mu sync.Mutex

	// OnChange, if set, is called once for every parameter a successful Set (CONFIG
	// SET) assigned, with the parameter's canonical name ("hz", "requirepass",
	// "proto-max-bulk-len", ...), after all parameters of the command are in place. It
	// is how the server mirrors new values into shard settings. It runs on the goroutine
	// that called Set with c.mu held, so it may read the fields directly but must not
	// call methods of c (that would deadlock) and must not block. It is not called for
	// values applied at start-up (ApplyDirective, ParseConfigFile, ApplyArgs).
	OnChange func(name string)
	// userLines, set by the server, lists its users as config file lines, for CONFIG
	// REWRITE (acl.go).
	userLines func() []string

	Port        int
	Bind        []string
	Databases   int
	RequirePass string
	// ACLFile is aclfile, the file ACL LOAD and SAVE use; Users are the user directives,
	// each a name and its rules, applied at start-up; ACLPubsubDefault is
	// acl-pubsub-default, the channels of new users (acl.go).
	ClusterEnabled     bool
	ClusterConfigFile  string
	ClusterNodeTimeout int // milliseconds
	ClusterPort        int // 0: port + 10000
	// Cluster behaviour (cluster.go): whether an unserved slot takes the cluster down,
	// whether reads go on while it is down, whether a replica fails over by itself,
	// and what the node announces of itself on the bus (empty or 0: what it has).
	ClusterRequireFullCoverage bool
	ClusterAllowReadsWhenDown  bool
	ClusterReplicaNoFailover   bool
	ClusterAnnounceIP          string
	ClusterAnnouncePort        int
	ClusterAnnounceBusPort     int
	// ACLLogMaxLen is acllog-max-len, the entries ACL LOG keeps (acl_cmds.go).
	ACLLogMaxLen     int64
	ACLFile          string
	Users            [][]string
	ACLPubsubDefault string
	MaxClients       int
	Timeout          int // seconds; 0 = never close idle clients

	// TrackingTableMaxKeys caps the keys the client-side caching table remembers
	// (tracking-table-max-keys; 0 = no cap).
	TrackingTableMaxKeys int

	// BusyReplyThreshold is busy-reply-threshold (alias lua-time-limit), in ms: how
	// long a script runs before other clients get BUSY replies (coord/lua_busy.go).
	BusyReplyThreshold     int
	TCPKeepalive           int // seconds
	LogLevel               string
	LogFile                string
	Dir                    string
	Threads                int // number of shards and event loops; 0 = CPU count
	Hz                     int // kept within 1..500, as redis-server clamps it
	ProtoMaxBulkLen        int64
	ClientQueryBufferLimit int64
	// ClientOutputBufferLimit is client-output-buffer-limit as CONFIG GET shows it:
	// "normal hard soft seconds slave ... pubsub ...". A file line or CONFIG SET names
	// only some classes; the others keep their limits (see applyObufLimits).
	ClientOutputBufferLimit string
	// obufLive holds the parsed limits for the write path, which reads them without mu.
	obufLive               atomic.Pointer[[numObufClasses]obufLimit]
	ActiveExpireEffort     int
	ListMaxListpackSize    int
	HashMaxListpackEntries int
	HashMaxListpackValue   int64
	SetMaxIntsetEntries    int
	SetMaxListpackEntries  int
	SetMaxListpackValue    int
	ZSetMaxListpackEntries int
	ZSetMaxListpackValue   int
	StreamNodeMaxEntries   int
	StreamNodeMaxBytes     int64
	HLLSparseMaxBytes      int64

	// Accepted and stored so that redis.conf files and clients that read or write them
	// work; the server may or may not act on them.

	Daemonize     bool   // always false: only "daemonize no" is accepted
	ProtectedMode bool   // protected-mode
	TCPBacklog    int    // tcp-backlog
	Save          string // save, normalized "seconds changes ..." pairs; "" = off
	AppendOnly    bool   // appendonly
	// The append-only file: its directory and file prefix (fixed at start-up), the fsync
	// policy, and when a rewrite starts by itself. The base is always an RDB snapshot;
	// aof-use-rdb-preamble is accepted for redis.conf files. A truncated last command is
	// cut off at load with aof-load-truncated yes and stops start-up with no.
	AppendFilename           string
	AppendDirName            string
	AppendFsync              string
	AOFTimestampEnabled      bool
	AOFUseRDBPreamble        bool
	AOFLoadTruncated         bool
	AutoAOFRewritePercentage int
	AutoAOFRewriteMinSize    int64
	DBFilename               string // dbfilename, a bare file name inside Dir
	// EnableDebugCommand allows DEBUG: "no" (Redis 7's default), "yes", or "local"
	// (only from loopback connections).
	EnableDebugCommand string
	// EnableProtectedConfigs lets CONFIG SET change dir and dbfilename: "no", "yes" or
	// "local" (treated as yes: clients are not told apart by address).
	EnableProtectedConfigs string
	RDBCompression         bool   // rdbcompression: LZF for long strings in RDB files
	RDBChecksum            bool   // rdbchecksum: a CRC64 ends RDB files (else zero)
	StopWritesOnBgsaveErr  bool   // stop-writes-on-bgsave-error
	MaxMemory              int64  // maxmemory in bytes; 0 = no limit
	MaxMemoryPolicy        string // maxmemory-policy
	MaxMemorySamples       int    // maxmemory-samples: keys sampled per eviction round
	MaxMemoryTenacity      int    // maxmemory-eviction-tenacity, 0..100
	UnixSocket             string // unixsocket; always "": unix sockets are unsupported
	Supervised             string // supervised: no, upstart, systemd or auto
	PidFile                string // pidfile
	AlwaysShowLogo         bool   // always-show-logo
	SetProcTitle           bool   // set-proc-title
	LazyfreeLazyEviction   bool   // lazyfree-lazy-eviction
	LazyfreeLazyExpire     bool   // lazyfree-lazy-expire
	LazyfreeLazyServerDel  bool   // lazyfree-lazy-server-del
	LazyfreeLazyUserDel    bool   // lazyfree-lazy-user-del
	LazyfreeLazyUserFlush  bool   // lazyfree-lazy-user-flush
	LatencyTracking        bool   // latency-tracking
	SlowlogLogSlowerThan   int64  // slowlog-log-slower-than, microseconds; -1 = off
	SlowlogMaxLen          int64  // slowlog-max-len
	NotifyKeyspaceEvents   string // notify-keyspace-events, normalized class letters
	LFULogFactor           int    // lfu-log-factor
	LFUDecayTime           int    // lfu-decay-time, minutes

	// LatencyMonitorThreshold is latency-monitor-threshold in milliseconds; 0 = off.
	LatencyMonitorThreshold int64
	// LatencyTrackingInfoPercentiles are the percentiles INFO latencystats shows.
	LatencyTrackingInfoPercentiles []string
	// MetricsPort is the Prometheus /metrics HTTP port (0 = no listener) and
	// MetricsBind its address ("" = every interface); Basalt's own directives.
	MetricsPort int
	MetricsBind string
	// MetricsPprof serves Go's /debug/pprof profiles on the metrics listener
	// (metrics-pprof); off by default, as a CPU profile is costly to whoever can reach it.
	MetricsPprof bool

	// MinReplicasToWrite and MinReplicasMaxLag are min-replicas-to-write and
	// min-replicas-max-lag: with both above zero, writes are refused with NOREPLICAS
	// while fewer online replicas than the first ACKed within the second's seconds
	// (repl.go: updateGoodReplicas).
	MinReplicasToWrite int
	MinReplicasMaxLag  int

	// File is the absolute path of the config file the server started with, for CONFIG
	// REWRITE ("" for none or standard input).
	File string

	// ReplicaOf is replicaof ("host port"; empty: a master), MasterAuth and MasterUser
	// masterauth and masteruser, ReplBacklogSize repl-backlog-size (repl.go, replica.go).
	ReplicaOf       string
	MasterAuth      string
	MasterUser      string
	ReplBacklogSize int64
	// ReplicaReadOnly, ReplPingReplicaPeriod (seconds), ReplTimeout (seconds) and
	// ReplicaPriority are replica-read-only, repl-ping-replica-period, repl-timeout and
	// replica-priority.
	ReplicaReadOnly bool
	// ReplicaServeStaleData is replica-serve-stale-data: with no, a replica whose link
	// is down answers MASTERDOWN to commands without the stale flag.
	ReplicaServeStaleData bool
	ReplPingReplicaPeriod int
	ReplTimeout           int
	ReplicaPriority       int

	// OOMScoreAdj is oom-score-adj (no, yes, relative or absolute) and OOMScoreAdjValues
	// its three values (master, replica, background child); Basalt uses the first.
	OOMScoreAdj       string
	OOMScoreAdjValues []string
	// oomBase is the process's oom_score_adj from before Basalt first changed it, once
	// oomSaved is set.
	oomBase  int
	oomSaved bool

	// Inert holds directives of the stock redis.conf that tune what Basalt does not have
	// (replication, allocator and rehashing internals, list compression, parts of
	// cluster mode):
	// stored and shown by CONFIG GET, so that the file loads and tools that set them
	// work, but nothing reads them. The README lists them.
	Inert inertSettings

	// saveSeen records that a start-up directive already set save: like redis-server,
	// the first "save" line replaces the default and later ones add to it.
	saveSeen bool
}

// inertSettings are the directives Config.Inert describes.
type inertSettings struct {
	ProcTitleTemplate            string
	RDBDelSyncFiles              bool
	ReplDisklessSync             bool
	ReplDisklessSyncDelay        int
	ReplDisklessSyncMaxReplicas  int
	ReplDisklessLoad             string
	ReplDisableTCPNoDelay        bool
	ReplicaLazyFlush             bool
	ClusterMigrationBarrier      int
	ClusterReplicaValidity       int
	ClusterLinkSendbufLimit      int64
	ClusterAnnounceHostname      string
	ClusterPreferredEndpoint     string
	ClusterAllowPubsubshardDown  bool
	ClusterAllowReplicaMigration bool
	DisableTHP                   bool
	NoAppendfsyncOnRewrite       bool
	ListCompressDepth            int
	ActiveRehashing              bool
	DynamicHz                    bool
	AOFRewriteIncrementalFsync   bool
	RDBSaveIncrementalFsync      bool
	JemallocBgThread             bool
}

// DefaultConfig returns redis-server's defaults (port 6379, 16 databases, ...), taken
// from the directive table.
func DefaultConfig() *Config {
	c := &Config{}
	for _, d := range directives {
		v, err := d.parse(d.splitValue(d.def))
		if err != nil {
			panic(fmt.Sprintf("BUG: default %q of %s: %v", d.def, d.name, err))
		}
		d.store(c, v)
	}
	return c
}

// valueKind says how a directive's arguments are parsed and its value is formatted.
type valueKind uint8

const (
	kindInt    valueKind = iota // a decimal integer within [min, max]
	kindBytes                   // a memory value: an integer with an optional unit, within [min, max]
	kindBool                    // yes or no
	kindString                  // one argument, stored as given (after normalize, if set)
	kindEnum                    // one of enum, matched case-insensitively
	kindList                    // one or more words
)

// directive is one row of the directive table: everything the file parser, the command
// line, CONFIG GET and CONFIG SET need to know about a parameter.
type directive struct {
	name    string   // canonical name, lower case
	aliases []string // other accepted names, lower case
	kind    valueKind
	def     string // default, written as in a config file
	// min and max bound kindInt and kindBytes values.
	min, max int64
	enum     []string // kindEnum: the accepted values, lower case
	mutable  bool     // CONFIG SET may change it
	// protected directives (where files go) change only with enable-protected-configs.
	protected bool

	// Exactly one accessor, matching kind, locates the field in Config: intp or int64p
	// for kindInt, int64p for kindBytes, boolp, strp (kindString and kindEnum), listp.
	intp   func(c *Config) *int
	int64p func(c *Config) *int64
	boolp  func(c *Config) *bool
	strp   func(c *Config) *string
	listp  func(c *Config) *[]string

	// normalize, if set, checks a kindString value and returns the form to store.
	normalize func(s string) (string, error)
	// apply, if set, runs after the new value is stored, with c.mu held, and may adjust
	// it (hz clamps) or act on it (dir changes directory). When it fails the previous
	// value is put back.
	apply func(c *Config) error
	// format, if set, replaces the kind's formatting for CONFIG GET.
	format func(c *Config) string
}

// Bounds shared by several rows, as redis-server declares them.
const (
	maxInt32  = math.MaxInt32
	maxUint32 = math.MaxUint32
	maxInt64  = math.MaxInt64
	mb        = 1 << 20
)

var maxMemoryPolicies = []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
	"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}

// directives is the directive table. Defaults are redis-server 7's, except threads
// (0 = one shard per CPU) and loglevel, which also accepts "nothing".
var directives = []*directive{
	{name: "port", kind: kindInt, def: "6379", min: 0, max: 65535,
		intp: func(c *Config) *int { return &c.Port }},
	{name: "bind", kind: kindList, def: "* -::*",
		listp: func(c *Config) *[]string { return &c.Bind }},
	{name: "databases", kind: kindInt, def: "16", min: 1, max: maxInt32,
		intp: func(c *Config) *int { return &c.Databases }},
	{name: "requirepass", kind: kindString, def: "", mutable: true,
		strp: func(c *Config) *string { return &c.RequirePass }},
	{name: "maxclients", kind: kindInt, def: "10000", min: 1, max: maxUint32, mutable: true,
		intp: func(c *Config) *int { return &c.MaxClients }},
	{name: "tracking-table-max-keys", kind: kindInt, def: "1000000", min: 0, max: maxInt64, mutable: true,
		intp: func(c *Config) *int { return &c.TrackingTableMaxKeys }},
	{name: "timeout", kind: kindInt, def: "0", min: 0, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.Timeout }},
	{name: "busy-reply-threshold", aliases: []string{"lua-time-limit"}, kind: kindInt, def: "5000", min: 0, max: maxInt64, mutable: true,
		intp: func(c *Config) *int { return &c.BusyReplyThreshold }},
	{name: "tcp-keepalive", kind: kindInt, def: "300", min: 0, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.TCPKeepalive }},
	{name: "loglevel", kind: kindEnum, def: "notice", mutable: true,
		enum: []string{"debug", "verbose", "notice", "warning", "nothing"},
		strp: func(c *Config) *string { return &c.LogLevel }},
	{name: "logfile", kind: kindString, def: "",
		strp:  func(c *Config) *string { return &c.LogFile },
		apply: checkLogFile},
	{name: "dir", kind: kindString, def: ".", mutable: true, protected: true,
		strp:   func(c *Config) *string { return &c.Dir },
		apply:  changeDir,
		format: func(c *Config) string { return absDir(c.Dir) }},
	{name: "threads", aliases: []string{"io-threads"}, kind: kindInt, def: "0", min: 0, max: 1024,
		intp: func(c *Config) *int { return &c.Threads }},
	{name: "hz", kind: kindInt, def: "10", min: 0, max: maxInt32, mutable: true,
		intp:  func(c *Config) *int { return &c.Hz },
		apply: clampHz},
	{name: "proto-max-bulk-len", kind: kindBytes, def: "512mb", min: mb, max: maxInt64, mutable: true,
		int64p: func(c *Config) *int64 { return &c.ProtoMaxBulkLen }},
	{name: "client-query-buffer-limit", kind: kindBytes, def: "1gb", min: mb, max: maxInt64, mutable: true,
		int64p: func(c *Config) *int64 { return &c.ClientQueryBufferLimit }},
	{name: "client-output-buffer-limit", kind: kindString, def: defaultObufLimits, mutable: true,
		strp:      func(c *Config) *string { return &c.ClientOutputBufferLimit },
		normalize: normalizeObufLimits,
		apply:     applyObufLimits},
	{name: "active-expire-effort", kind: kindInt, def: "1", min: 1, max: 10, mutable: true,
		intp: func(c *Config) *int { return &c.ActiveExpireEffort }},
	{name: "list-max-listpack-size", aliases: []string{"list-max-ziplist-size"}, kind: kindInt, def: "-2",
		min: math.MinInt32, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.ListMaxListpackSize }},
	{name: "hash-max-listpack-entries", aliases: []string{"hash-max-ziplist-entries"}, kind: kindInt,
		def: strconv.Itoa(shard.DefaultHashMaxListpackEntries), min: 0, max: maxInt64, mutable: true,
		intp: func(c *Config) *int { return &c.HashMaxListpackEntries }},
	{name: "hash-max-listpack-value", aliases: []string{"hash-max-ziplist-value"}, kind: kindBytes,
		def: strconv.Itoa(shard.DefaultHashMaxListpackValue), min: 0, max: maxInt64, mutable: true,
		int64p: func(c *Config) *int64 { return &c.HashMaxListpackValue }},
	{name: "set-max-intset-entries", kind: kindInt, def: "512", min: 0, max: maxInt64, mutable: true,
		intp: func(c *Config) *int { return &c.SetMaxIntsetEntries }},
	{name: "set-max-listpack-entries", kind: kindInt, def: "128", min: 0, max: maxInt64, mutable: true,
		intp: func(c *Config) *int { return &c.SetMaxListpackEntries }},
	{name: "set-max-listpack-value", kind: kindInt, def: "64", min: 0, max: maxInt64, mutable: true,
		intp: func(c *Config) *int { return &c.SetMaxListpackValue }},
	{name: "zset-max-listpack-entries", aliases: []string{"zset-max-ziplist-entries"}, kind: kindInt, def: "128",
		min: 0, max: maxInt64, mutable: true,
		intp: func(c *Config) *int { return &c.ZSetMaxListpackEntries }},
	{name: "zset-max-listpack-value", aliases: []string{"zset-max-ziplist-value"}, kind: kindInt, def: "64",
		min: 0, max: maxInt64, mutable: true,
		intp: func(c *Config) *int { return &c.ZSetMaxListpackValue }},
	{name: "stream-node-max-entries", kind: kindInt, def: "100", min: 0, max: maxInt64, mutable: true,
		intp: func(c *Config) *int { return &c.StreamNodeMaxEntries }},
	{name: "stream-node-max-bytes", kind: kindBytes, def: "4096", min: 0, max: maxInt64, mutable: true,
		int64p: func(c *Config) *int64 { return &c.StreamNodeMaxBytes }},
	{name: "hll-sparse-max-bytes", kind: kindBytes, def: "3000", min: 0, max: maxInt64, mutable: true,
		int64p: func(c *Config) *int64 { return &c.HLLSparseMaxBytes }},

	{name: "daemonize", kind: kindBool, def: "no",
		boolp: func(c *Config) *bool { return &c.Daemonize },
		apply: refuseDaemonize},
	{name: "protected-mode", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.ProtectedMode }},
	{name: "tcp-backlog", kind: kindInt, def: "511", min: 0, max: maxInt32,
		intp: func(c *Config) *int { return &c.TCPBacklog }},
	{name: "save", kind: kindString, def: "3600 1 300 100 60 10000", mutable: true,
		strp:      func(c *Config) *string { return &c.Save },
		normalize: normalizeSave},
	{name: "appendonly", kind: kindBool, def: "no", mutable: true,
		boolp: func(c *Config) *bool { return &c.AppendOnly }},
	{name: "appendfilename", kind: kindString, def: "appendonly.aof",
		strp: func(c *Config) *string { return &c.AppendFilename }, normalize: checkBaseName},
	{name: "appenddirname", kind: kindString, def: "appendonlydir",
		strp: func(c *Config) *string { return &c.AppendDirName }, normalize: checkBaseName},
	{name: "appendfsync", kind: kindEnum, def: "everysec", mutable: true, enum: []string{"always", "everysec", "no"},
		strp: func(c *Config) *string { return &c.AppendFsync }},
	{name: "aof-timestamp-enabled", kind: kindBool, def: "no", mutable: true,
		boolp: func(c *Config) *bool { return &c.AOFTimestampEnabled }},
	{name: "aof-use-rdb-preamble", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.AOFUseRDBPreamble }},
	{name: "aof-load-truncated", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.AOFLoadTruncated }},
	{name: "auto-aof-rewrite-percentage", kind: kindInt, def: "100", min: 0, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.AutoAOFRewritePercentage }},
	{name: "auto-aof-rewrite-min-size", kind: kindBytes, def: "64mb", min: 0, max: maxInt64, mutable: true,
		int64p: func(c *Config) *int64 { return &c.AutoAOFRewriteMinSize }},
	{name: "cluster-enabled", kind: kindBool, def: "no",
		boolp: func(c *Config) *bool { return &c.ClusterEnabled }},
	{name: "cluster-config-file", kind: kindString, def: "nodes.conf",
		strp: func(c *Config) *string { return &c.ClusterConfigFile }},
	{name: "cluster-node-timeout", kind: kindInt, def: "15000", min: 0, max: maxInt64, mutable: true,
		intp: func(c *Config) *int { return &c.ClusterNodeTimeout }},
	{name: "cluster-port", kind: kindInt, def: "0", min: 0, max: 65535,
		intp: func(c *Config) *int { return &c.ClusterPort }},
	{name: "cluster-require-full-coverage", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.ClusterRequireFullCoverage }},
	{name: "cluster-allow-reads-when-down", kind: kindBool, def: "no", mutable: true,
		boolp: func(c *Config) *bool { return &c.ClusterAllowReadsWhenDown }},
	{name: "cluster-replica-no-failover", aliases: []string{"cluster-slave-no-failover"}, kind: kindBool, def: "no", mutable: true,
		boolp: func(c *Config) *bool { return &c.ClusterReplicaNoFailover }},
	{name: "cluster-allow-replica-migration", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.Inert.ClusterAllowReplicaMigration }},
	{name: "cluster-announce-ip", kind: kindString, def: "", mutable: true,
		strp: func(c *Config) *string { return &c.ClusterAnnounceIP }},
	{name: "cluster-announce-port", kind: kindInt, def: "0", min: 0, max: 65535, mutable: true,
		intp: func(c *Config) *int { return &c.ClusterAnnouncePort }},
	{name: "cluster-announce-bus-port", kind: kindInt, def: "0", min: 0, max: 65535, mutable: true,
		intp: func(c *Config) *int { return &c.ClusterAnnounceBusPort }},
	{name: "cluster-migration-barrier", kind: kindInt, def: "1", min: 0, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.Inert.ClusterMigrationBarrier }},
	{name: "cluster-replica-validity-factor", aliases: []string{"cluster-slave-validity-factor"}, kind: kindInt, def: "10", min: 0, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.Inert.ClusterReplicaValidity }},
	{name: "cluster-link-sendbuf-limit", kind: kindBytes, def: "0", min: 0, max: maxInt64, mutable: true,
		int64p: func(c *Config) *int64 { return &c.Inert.ClusterLinkSendbufLimit }},
	{name: "cluster-announce-hostname", kind: kindString, def: "", mutable: true,
		strp: func(c *Config) *string { return &c.Inert.ClusterAnnounceHostname }},
	{name: "cluster-preferred-endpoint-type", kind: kindEnum, def: "ip", mutable: true, enum: []string{"ip", "hostname", "unknown-endpoint"},
		strp: func(c *Config) *string { return &c.Inert.ClusterPreferredEndpoint }},
	{name: "cluster-allow-pubsubshard-when-down", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.Inert.ClusterAllowPubsubshardDown }},
	{name: "aclfile", kind: kindString, def: "",
		strp: func(c *Config) *string { return &c.ACLFile }},
	{name: "acl-pubsub-default", kind: kindEnum, def: "resetchannels", mutable: true, enum: []string{"allchannels", "resetchannels"},
		strp: func(c *Config) *string { return &c.ACLPubsubDefault }},
	{name: "enable-debug-command", kind: kindEnum, def: "no", enum: []string{"no", "yes", "local"},
		strp: func(c *Config) *string { return &c.EnableDebugCommand }},
	{name: "enable-protected-configs", kind: kindEnum, def: "no", enum: []string{"no", "yes", "local"},
		strp: func(c *Config) *string { return &c.EnableProtectedConfigs }},
	{name: "rdbcompression", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.RDBCompression }},
	{name: "rdbchecksum", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.RDBChecksum }},
	{name: "stop-writes-on-bgsave-error", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.StopWritesOnBgsaveErr }},
	{name: "dbfilename", kind: kindString, def: "dump.rdb", mutable: true, protected: true,
		strp:      func(c *Config) *string { return &c.DBFilename },
		normalize: checkBaseName},
	{name: "maxmemory", kind: kindBytes, def: "0", min: 0, max: maxInt64, mutable: true,
		int64p: func(c *Config) *int64 { return &c.MaxMemory }},
	{name: "maxmemory-policy", kind: kindEnum, def: "noeviction", mutable: true,
		enum: maxMemoryPolicies,
		strp: func(c *Config) *string { return &c.MaxMemoryPolicy }},
	{name: "maxmemory-samples", kind: kindInt, def: "5", min: 1, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.MaxMemorySamples }},
	{name: "maxmemory-eviction-tenacity", kind: kindInt, def: "10", min: 0, max: 100, mutable: true,
		intp: func(c *Config) *int { return &c.MaxMemoryTenacity }},
	{name: "unixsocket", kind: kindString, def: "",
		strp:  func(c *Config) *string { return &c.UnixSocket },
		apply: refuseUnixSocket},
	{name: "supervised", kind: kindEnum, def: "no",
		enum: []string{"upstart", "systemd", "auto", "no"},
		strp: func(c *Config) *string { return &c.Supervised }},
	{name: "pidfile", kind: kindString, def: "",
		strp: func(c *Config) *string { return &c.PidFile }},
	{name: "always-show-logo", kind: kindBool, def: "no",
		boolp: func(c *Config) *bool { return &c.AlwaysShowLogo }},
	{name: "set-proc-title", kind: kindBool, def: "yes",
		boolp: func(c *Config) *bool { return &c.SetProcTitle }},
	{name: "lazyfree-lazy-eviction", kind: kindBool, def: "no", mutable: true,
		boolp: func(c *Config) *bool { return &c.LazyfreeLazyEviction }},
	{name: "lazyfree-lazy-expire", kind: kindBool, def: "no", mutable: true,
		boolp: func(c *Config) *bool { return &c.LazyfreeLazyExpire }},
	{name: "lazyfree-lazy-server-del", kind: kindBool, def: "no", mutable: true,
		boolp: func(c *Config) *bool { return &c.LazyfreeLazyServerDel }},
	{name: "lazyfree-lazy-user-del", kind: kindBool, def: "no", mutable: true,
		boolp: func(c *Config) *bool { return &c.LazyfreeLazyUserDel }},
	{name: "lazyfree-lazy-user-flush", kind: kindBool, def: "no", mutable: true,
		boolp: func(c *Config) *bool { return &c.LazyfreeLazyUserFlush }},
	{name: "latency-tracking", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.LatencyTracking }},
	{name: "slowlog-log-slower-than", kind: kindInt, def: "10000", min: -1, max: maxInt64, mutable: true,
		int64p: func(c *Config) *int64 { return &c.SlowlogLogSlowerThan }},
	{name: "slowlog-max-len", kind: kindInt, def: "128", min: 0, max: maxInt64, mutable: true,
		int64p: func(c *Config) *int64 { return &c.SlowlogMaxLen }},
	{name: "latency-monitor-threshold", kind: kindInt, def: "0", min: 0, max: maxInt64, mutable: true,
		int64p: func(c *Config) *int64 { return &c.LatencyMonitorThreshold }},
	{name: "latency-tracking-info-percentiles", kind: kindList, def: "50 99 99.9", mutable: true,
		listp: func(c *Config) *[]string { return &c.LatencyTrackingInfoPercentiles },
		apply: func(c *Config) error {
			_, err := parsePercentiles(c.LatencyTrackingInfoPercentiles)
			return err
		}},
	{name: "metrics-port", kind: kindInt, def: "9121", min: 0, max: 65535,
		intp: func(c *Config) *int { return &c.MetricsPort }},
	{name: "metrics-bind", kind: kindString, def: "",
		strp: func(c *Config) *string { return &c.MetricsBind }},
	{name: "metrics-pprof", kind: kindBool, def: "no",
		boolp: func(c *Config) *bool { return &c.MetricsPprof }},
	{name: "notify-keyspace-events", kind: kindString, def: "", mutable: true,
		strp:      func(c *Config) *string { return &c.NotifyKeyspaceEvents },
		normalize: normalizeKeyspaceEvents,
		format:    func(c *Config) string { return formatKeyspaceEvents(c.NotifyKeyspaceEvents) }},
	{name: "min-replicas-to-write", aliases: []string{"min-slaves-to-write"}, kind: kindInt, def: "0", min: 0, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.MinReplicasToWrite }},
	{name: "min-replicas-max-lag", aliases: []string{"min-slaves-max-lag"}, kind: kindInt, def: "10", min: 0, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.MinReplicasMaxLag }},
	{name: "replicaof", aliases: []string{"slaveof"}, kind: kindString, def: "",
		strp: func(c *Config) *string { return &c.ReplicaOf },
		normalize: func(v string) (string, error) {
			f := strings.Fields(v)
			if len(f) == 0 {
				return "", nil
			}
			if len(f) != 2 {
				return "", errors.New("replicaof takes a host and a port")
			}
			if p, err := strconv.Atoi(f[1]); err != nil || p < 0 || p > 65535 {
				return "", errors.New("invalid master port")
			}
			return f[0] + " " + f[1], nil
		}},
	{name: "masterauth", kind: kindString, def: "", mutable: true,
		strp: func(c *Config) *string { return &c.MasterAuth }},
	{name: "masteruser", kind: kindString, def: "", mutable: true,
		strp: func(c *Config) *string { return &c.MasterUser }},
	{name: "repl-backlog-size", kind: kindBytes, def: "1048576", min: 1, max: maxInt64, mutable: true,
		int64p: func(c *Config) *int64 { return &c.ReplBacklogSize }},
	{name: "oom-score-adj", kind: kindEnum, def: "no", mutable: true,
		enum:  []string{"no", "yes", "relative", "absolute"},
		strp:  func(c *Config) *string { return &c.OOMScoreAdj },
		apply: applyOOMScoreAdj},
	{name: "oom-score-adj-values", kind: kindList, def: "0 200 800", mutable: true,
		listp: func(c *Config) *[]string { return &c.OOMScoreAdjValues },
		apply: applyOOMScoreAdj},

	// Inert directives (Config.Inert), with redis-server 7's names, defaults and bounds.
	{name: "proc-title-template", kind: kindString, def: "{title} {listen-addr} {server-mode}", mutable: true,
		strp: func(c *Config) *string { return &c.Inert.ProcTitleTemplate }},
	{name: "rdb-del-sync-files", kind: kindBool, def: "no", mutable: true,
		boolp: func(c *Config) *bool { return &c.Inert.RDBDelSyncFiles }},
	{name: "replica-serve-stale-data", aliases: []string{"slave-serve-stale-data"}, kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.ReplicaServeStaleData }},
	{name: "replica-read-only", aliases: []string{"slave-read-only"}, kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.ReplicaReadOnly }},
	{name: "repl-diskless-sync", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.Inert.ReplDisklessSync }},
	{name: "repl-diskless-sync-delay", kind: kindInt, def: "5", min: 0, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.Inert.ReplDisklessSyncDelay }},
	{name: "repl-diskless-sync-max-replicas", kind: kindInt, def: "0", min: 0, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.Inert.ReplDisklessSyncMaxReplicas }},
	{name: "repl-diskless-load", kind: kindEnum, def: "disabled", mutable: true,
		enum: []string{"disabled", "on-empty-db", "swapdb"},
		strp: func(c *Config) *string { return &c.Inert.ReplDisklessLoad }},
	{name: "repl-disable-tcp-nodelay", kind: kindBool, def: "no", mutable: true,
		boolp: func(c *Config) *bool { return &c.Inert.ReplDisableTCPNoDelay }},
	{name: "repl-ping-replica-period", aliases: []string{"repl-ping-slave-period"}, kind: kindInt, def: "10", min: 1, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.ReplPingReplicaPeriod }},
	{name: "repl-timeout", kind: kindInt, def: "60", min: 1, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.ReplTimeout }},
	{name: "replica-priority", aliases: []string{"slave-priority"}, kind: kindInt, def: "100", min: 0, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.ReplicaPriority }},
	{name: "replica-lazy-flush", aliases: []string{"slave-lazy-flush"}, kind: kindBool, def: "no", mutable: true,
		boolp: func(c *Config) *bool { return &c.Inert.ReplicaLazyFlush }},
	{name: "acllog-max-len", kind: kindInt, def: "128", min: 0, max: maxInt64, mutable: true,
		int64p: func(c *Config) *int64 { return &c.ACLLogMaxLen }},
	{name: "disable-thp", kind: kindBool, def: "yes",
		boolp: func(c *Config) *bool { return &c.Inert.DisableTHP }},
	{name: "no-appendfsync-on-rewrite", kind: kindBool, def: "no", mutable: true,
		boolp: func(c *Config) *bool { return &c.Inert.NoAppendfsyncOnRewrite }},
	{name: "list-compress-depth", kind: kindInt, def: "0", min: 0, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.Inert.ListCompressDepth }},
	{name: "activerehashing", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.Inert.ActiveRehashing }},
	{name: "dynamic-hz", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.Inert.DynamicHz }},
	{name: "aof-rewrite-incremental-fsync", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.Inert.AOFRewriteIncrementalFsync }},
	{name: "rdb-save-incremental-fsync", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.Inert.RDBSaveIncrementalFsync }},
	{name: "jemalloc-bg-thread", kind: kindBool, def: "yes", mutable: true,
		boolp: func(c *Config) *bool { return &c.Inert.JemallocBgThread }},

	{name: "lfu-log-factor", kind: kindInt, def: "10", min: 0, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.LFULogFactor }},
	{name: "lfu-decay-time", kind: kindInt, def: "1", min: 0, max: maxInt32, mutable: true,
		intp: func(c *Config) *int { return &c.LFUDecayTime }},
}

// directiveByName maps every canonical name and alias to its row.
var directiveByName = func() map[string]*directive {
	m := make(map[string]*directive)
	for _, d := range directives {
		for _, n := range append([]string{d.name}, d.aliases...) {
			if m[n] != nil {
				panic("BUG: directive " + n + " declared twice")
			}
			m[n] = d
		}
	}
	return m
}()

func lookupDirective(name string) *directive {
	return directiveByName[strings.ToLower(name)]
}

// value is a parsed directive value; which field is meaningful depends on the kind.
type value struct {
	n    int64
	b    bool
	s    string
	list []string
}

// Reasons a value is rejected, worded as redis-server words them: CONFIG SET reports
// them after "CONFIG SET failed (possibly related to argument '...') - ".
const (
	reasonNotInt    = "argument couldn't be parsed into an integer"
	reasonNotMemory = "argument must be a memory value"
	reasonNotBool   = "argument must be 'yes' or 'no'"
	reasonRangeFmt  = "argument must be between %d and %d inclusive"
	reasonEnumFmt   = "argument(s) must be one of the following: %s"
	reasonSave      = "Invalid save parameters"
	reasonBaseName  = "dbfilename can't be a path, just a filename"
	reasonEvents    = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
)

// CONFIG SET replies, exactly as redis-server words them.
const (
	errSetUnknownFmt   = "ERR Unknown option or number of arguments for CONFIG SET - '%s'"
	errSetFailedFmt    = "ERR CONFIG SET failed (possibly related to argument '%s') - %s"
	reasonImmutable    = "can't set immutable config"
	reasonProtected    = "can't set protected config"
	reasonDuplicateArg = "duplicate parameter"
)

// splitValue turns one CONFIG SET argument into the directive's arguments: list kinds
// take several words in one string, quoted as in a config file.
func (d *directive) splitValue(s string) []string {
	if d.kind != kindList {
		return []string{s}
	}
	words, err := SplitArgs(s)
	if err != nil {
		return []string{s} // parse reports the stray quote as part of the value
	}
	return words
}

// parse checks args against the directive's kind and bounds; it does not touch any
// Config.
func (d *directive) parse(args []string) (value, error) {
	if d.kind == kindList {
		var words []string
		for _, a := range args {
			words = append(words, strings.Fields(a)...)
		}
		if len(words) == 0 {
			return value{}, errors.New("at least one value is required")
		}
		return value{list: words}, nil
	}
	if len(args) != 1 {
		return value{}, fmt.Errorf("wrong number of arguments for '%s'", d.name)
	}
	s := args[0]
	switch d.kind {
	case kindInt:
		n, ok := parseStrictInt(s)
		if !ok {
			return value{}, configReason(reasonNotInt)
		}
		if n < d.min || n > d.max {
			return value{}, fmt.Errorf(reasonRangeFmt, d.min, d.max)
		}
		return value{n: n}, nil
	case kindBytes:
		n, ok := parseBytes(s)
		if !ok {
			return value{}, configReason(reasonNotMemory)
		}
		if n < d.min || n > d.max {
			return value{}, fmt.Errorf(reasonRangeFmt, d.min, d.max)
		}
		return value{n: n}, nil
	case kindBool:
		switch strings.ToLower(s) {
		case "yes":
			return value{b: true}, nil
		case "no":
			return value{b: false}, nil
		}
		return value{}, configReason(reasonNotBool)
	case kindEnum:
		for _, e := range d.enum {
			if strings.EqualFold(s, e) {
				return value{s: e}, nil
			}
		}
		return value{}, fmt.Errorf(reasonEnumFmt, strings.Join(d.enum, ", "))
	case kindString:
		if d.normalize != nil {
			n, err := d.normalize(s)
			if err != nil {
				return value{}, err
			}
			s = n
		}
		return value{s: s}, nil
	}
	panic("BUG: directive " + d.name + " has no kind")
}

// load returns the directive's current value in c.
func (d *directive) load(c *Config) value {
	switch {
	case d.intp != nil:
		return value{n: int64(*d.intp(c))}
	case d.int64p != nil:
		return value{n: *d.int64p(c)}
	case d.boolp != nil:
		return value{b: *d.boolp(c)}
	case d.strp != nil:
		return value{s: *d.strp(c)}
	case d.listp != nil:
		return value{list: *d.listp(c)}
	}
	panic("BUG: directive " + d.name + " has no accessor")
}

// store writes v into c's field, without the apply hook.
func (d *directive) store(c *Config, v value) {
	switch {
	case d.intp != nil:
		*d.intp(c) = int(v.n)
	case d.int64p != nil:
		*d.int64p(c) = v.n
	case d.boolp != nil:
		*d.boolp(c) = v.b
	case d.strp != nil:
		*d.strp(c) = v.s
	case d.listp != nil:
		*d.listp(c) = v.list
	default:
		panic("BUG: directive " + d.name + " has no accessor")
	}
}

// formatValue renders the current value as CONFIG GET shows it.
func (d *directive) formatValue(c *Config) string {
	if d.format != nil {
		return d.format(c)
	}
	v := d.load(c)
	switch d.kind {
	case kindInt, kindBytes:
		return strconv.FormatInt(v.n, 10)
	case kindBool:
		if v.b {
			return "yes"
		}
		return "no"
	case kindList:
		return strings.Join(v.list, " ")
	}
	return v.s
}

// assign stores v and runs the apply hook; if the hook fails, the old value is back in
// place when it returns.
func (d *directive) assign(c *Config, v value) error {
	old := d.load(c)
	d.store(c, v)
	if d.apply == nil {
		return nil
	}
	if err := d.apply(c); err != nil {
		d.store(c, old)
		return err
	}
	return nil
}

// ApplyDirective sets one directive from a config file line or the command line: name
// is the directive's name or alias in any case, args its arguments. Unlike CONFIG SET it
// may set immutable directives. The error names the directive and, for a bad value, the
// value and the reason: "invalid value "abc" for 'port': argument couldn't be parsed
// into an integer".
//
// As in redis-server, "save" accumulates at start-up: the first save directive replaces
// the default schedule, later ones add their pairs, and save "" clears it. Every other
// directive takes the last value given.
func (c *Config) ApplyDirective(name string, args []string) error {
	if strings.EqualFold(name, "user") {
		// "user name rule ...": one per user, applied when the server starts (acl.go).
		if len(args) < 1 || args[0] == "" {
			return fmt.Errorf("wrong number of arguments for 'user'")
		}
		for _, u := range c.Users {
			if u[0] == args[0] {
				return fmt.Errorf("duplicate user '%s': a user can only be defined once in config files", args[0])
			}
		}
		c.mu.Lock()
		c.Users = append(c.Users, slices.Clone(args))
		c.mu.Unlock()
		return nil
	}
	d := lookupDirective(name)
	if d == nil {
		return fmt.Errorf("unknown directive '%s'", name)
	}
	given := strings.Join(args, " ") // for error messages
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.name == "save" && len(args) > 0 {
		// Pairs may come as separate arguments or in one quoted argument.
		joined := strings.Join(args, " ")
		if c.saveSeen && strings.TrimSpace(joined) != "" {
			joined = c.Save + " " + joined
		}
		args = []string{joined}
	}
	if d.name == "client-output-buffer-limit" || d.name == "replicaof" {
		// "client-output-buffer-limit pubsub 32mb 8mb 60": four words on one line.
		args = []string{strings.Join(args, " ")}
	}
	if d.kind != kindList && len(args) != 1 {
		return fmt.Errorf("wrong number of arguments for '%s'", d.name)
	}
	v, err := d.parse(args)
	if err == nil {
		err = d.assign(c, v)
	}
	if err != nil {
		return fmt.Errorf("invalid value %q for '%s': %w", given, d.name, err)
	}
	if d.name == "save" {
		c.saveSeen = true
	}
	return nil
}

// Get answers CONFIG GET: the name and value of every parameter that matches one of the
// patterns. A pattern without glob characters (*, ? or [) names one parameter, canonical
// or alias, in any case, and is answered with the name as the client spelled it, as
// redis-server 7.0 does; a glob pattern matches case-insensitively against every name
// and alias. Each name appears once, in the order the patterns found them. Values are
// formatted as redis-server formats them: memory values as plain byte counts, booleans
// as yes/no, lists space-separated.
func (c *Config) Get(patterns []string) [][2]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out [][2]string
	seen := make(map[string]bool)
	add := func(name string, d *directive) {
		key := strings.ToLower(name)
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, [2]string{name, d.formatValue(c)})
	}
	for _, p := range patterns {
		if !strings.ContainsAny(p, "*?[") {
			if d := lookupDirective(p); d != nil {
				add(p, d)
			}
			continue
		}
		for _, d := range directives {
			for _, n := range append([]string{d.name}, d.aliases...) {
				if shard.Match([]byte(p), []byte(n), true) {
					add(n, d)
				}
			}
		}
	}
	return out
}

// Set answers CONFIG SET: it assigns every (name, value) pair or, if any is unknown,
// immutable, repeated or invalid, none of them. The error text is the reply, exactly as
// redis-server words it ("ERR CONFIG SET failed (possibly related to argument 'hz') -
// argument couldn't be parsed into an integer"). On success OnChange is called once per
// pair, in order, with the canonical name.
func (c *Config) Set(pairs [][2]string) error {
	rows := make([]*directive, len(pairs))
	seen := make(map[string]bool, len(pairs))
	for i, p := range pairs {
		d := lookupDirective(p[0])
		if d == nil {
			return fmt.Errorf(errSetUnknownFmt, p[0])
		}
		name := strings.ToLower(p[0])
		if !d.mutable {
			return fmt.Errorf(errSetFailedFmt, name, reasonImmutable)
		}
		if d.protected && !c.protectedAllowed() {
			return fmt.Errorf(errSetFailedFmt, name, reasonProtected)
		}
		if seen[name] {
			return fmt.Errorf(errSetFailedFmt, name, reasonDuplicateArg)
		}
		seen[name] = true
		rows[i] = d
	}
	values := make([]value, len(pairs))
	for i, p := range pairs {
		v, err := rows[i].parse(rows[i].splitValue(p[1]))
		if err != nil {
			return fmt.Errorf(errSetFailedFmt, strings.ToLower(p[0]), err)
		}
		values[i] = v
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	olds := make([]value, len(pairs))
	for i, d := range rows {
		olds[i] = d.load(c)
	}
	for i, d := range rows {
		if err := d.assign(c, values[i]); err != nil {
			// Undo the pairs already assigned, newest first, running their hooks
			// again so that side effects (the working directory) follow.
			for j := i - 1; j >= 0; j-- {
				_ = rows[j].assign(c, olds[j])
			}
			return fmt.Errorf(errSetFailedFmt, strings.ToLower(pairs[i][0]), err)
		}
	}
	if c.OnChange != nil {
		for _, d := range rows {
			c.OnChange(d.name)
		}
	}
	return nil
}

// Apply hooks and value checks named in the table.

// applyOOMScoreAdj sets the process's oom_score_adj as oom-score-adj asks: the first of
// oom-score-adj-values added to the value the process started with (yes, relative) or
// as is (absolute), within -1000..1000. no puts the starting value back.
func applyOOMScoreAdj(c *Config) error {
	if len(c.OOMScoreAdjValues) != 3 {
		return errors.New("wrong number of arguments")
	}
	var vals [3]int
	for i, w := range c.OOMScoreAdjValues {
		n, ok := parseStrictInt(w)
		if !ok || n < -2000 || n > 2000 {
			return configReason("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
		}
		vals[i] = int(n)
	}
	const path = "/proc/self/oom_score_adj"
	if !c.oomSaved {
		if c.OOMScoreAdj == "no" {
			return nil // never changed: nothing to put back
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return errOOMScoreAdj
		}
		base, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return errOOMScoreAdj
		}
		c.oomBase, c.oomSaved = base, true
	}
	v := c.oomBase
	switch c.OOMScoreAdj {
	case "yes", "relative":
		v += vals[0]
	case "absolute":
		v = vals[0]
	}
	v = max(-1000, min(1000, v))
	if err := os.WriteFile(path, []byte(strconv.Itoa(v)), 0); err != nil {
		return errOOMScoreAdj
	}
	return nil
}

// errOOMScoreAdj is redis-server's CONFIG SET reason when the kernel refuses the value.
var errOOMScoreAdj error = configReason("Failed to set current oom_score_adj. Check server logs.")

// clampHz keeps hz within 1..500, as redis-server does for any value it accepts.
func clampHz(c *Config) error {
	c.Hz = min(max(c.Hz, 1), 500)
	return nil
}

// changeDir makes the process's working directory c.Dir and stores its absolute path.
func changeDir(c *Config) error {
	if err := os.Chdir(c.Dir); err != nil {
		return errnoText(err)
	}
	if wd, err := os.Getwd(); err == nil {
		c.Dir = wd
	}
	return nil
}

// absDir reports dir as an absolute path, as CONFIG GET dir does.
func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// checkLogFile makes sure a configured log file can be opened for appending.
func checkLogFile(c *Config) error {
	if c.LogFile == "" {
		return nil
	}
	f, err := os.OpenFile(c.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("cannot open log file: %w", err)
	}
	return f.Close()
}

func refuseDaemonize(c *Config) error {
	if c.Daemonize {
		return errors.New("basalt-server does not daemonize; run it in the foreground " +
			"under a supervisor (systemd, a container runtime) and set daemonize no")
	}
	return nil
}

func refuseUnixSocket(c *Config) error {
	if c.UnixSocket != "" {
		return errors.New("unix sockets are not supported; listen on TCP (bind, port)")
	}
	return nil
}

// errnoText unwraps a *PathError to its bare reason ("No such file or directory"
// style), as redis-server reports a failed chdir.
func errnoText(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		msg := pe.Err.Error()
		if msg != "" {
			return errors.New(strings.ToUpper(msg[:1]) + msg[1:])
		}
	}
	return err
}

// normalizeSave checks a "seconds changes [seconds changes ...]" schedule (seconds at
// least 1, changes at least 0) and returns it with single spaces and plain decimals;
// an empty schedule turns snapshots off.
func normalizeSave(s string) (string, error) {
	words := strings.Fields(s)
	if len(words)%2 != 0 {
		return "", configReason(reasonSave)
	}
	for i, w := range words {
		n, err := strconv.ParseInt(w, 10, 64)
		if err != nil || (i%2 == 0 && n < 1) || n < 0 {
			return "", configReason(reasonSave)
		}
		words[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(words, " "), nil
}

func checkBaseName(s string) (string, error) {
	if strings.ContainsAny(s, `/\`) {
		return "", configReason(reasonBaseName)
	}
	return s, nil
}

// Keyspace event classes. eventClassesAll are the classes 'A' stands for, in the order
// CONFIG GET lists them.
const (
	eventClassesAll = "g$lshzxetd"
	eventLetters    = "Ag$lshzxetdnKEm"
)

// normalizeKeyspaceEvents checks the class letters and returns them in a fixed order:
// "A" or the single classes, then n, K, E and m.
func normalizeKeyspaceEvents(s string) (string, error) {
	var set [256]bool
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if strings.IndexByte(eventLetters, ch) < 0 {
			return "", configReason(reasonEvents)
		}
		if ch == 'A' {
			for j := 0; j < len(eventClassesAll); j++ {
				set[eventClassesAll[j]] = true
			}
			continue
		}
		set[ch] = true
	}
	var b strings.Builder
	all := true
	for i := 0; i < len(eventClassesAll); i++ {
		all = all && set[eventClassesAll[i]]
	}
	if all {
		b.WriteByte('A')
	} else {
		for i := 0; i < len(eventClassesAll); i++ {
			if set[eventClassesAll[i]] {
				b.WriteByte(eventClassesAll[i])
			}
		}
	}
	for _, ch := range []byte("nKEm") {
		if set[ch] {
			b.WriteByte(ch)
		}
	}
	return b.String(), nil
}

// formatKeyspaceEvents renders stored classes as redis-server 7.0 reports them: with
// 'A' present it leaves out 'n' (the class stays in effect).
func formatKeyspaceEvents(s string) string {
	if strings.HasPrefix(s, "A") {
		return strings.Replace(s, "n", "", 1)
	}
	return s
}

// parseStrictInt parses a decimal integer as redis-server's integer parameters do: an
// optional '-', no '+', no leading zeros, no spaces, within int64.
func parseStrictInt(s string) (int64, bool) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || (digits[0] == '0' && len(s) > 1) {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// parseBytes parses a memory value: decimal digits followed by an optional unit, case
// insensitive: b (1), k (1000), kb (1024), m (1000²), mb (1024²), g (1000³), gb (1024³).
// Overflowing int64 is an error.
func parseBytes(s string) (int64, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	var mul int64
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1 << 10
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1 << 20
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1 << 30
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n > math.MaxInt64/mul {
		return 0, false
	}
	return n * mul, true
}

// SplitArgs splits a config line into arguments with redis-cli's quoting rules:
// arguments are separated by white space; "double quotes" allow the escapes \n \r \t
// \b \a \xHH and \<any char>; 'single quotes' allow only \'; a quote may open in the
// middle of an argument, but a closing quote must be followed by white space or the
// end of the line.
func SplitArgs(line string) ([]string, error) {
	var args []string
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return args, nil
		}
		var arg []byte
		for i < len(line) && !isSpace(line[i]) {
			switch line[i] {
			case '"':
				end, err := appendDoubleQuoted(&arg, line, i+1)
				if err != nil {
					return nil, err
				}
				i = end
			case '\'':
				end, err := appendSingleQuoted(&arg, line, i+1)
				if err != nil {
					return nil, err
				}
				i = end
			default:
				arg = append(arg, line[i])
				i++
			}
		}
		args = append(args, string(arg))
	}
}

var (
	errUnbalancedQuotes = errors.New("unbalanced quotes")
	errAfterQuote       = errors.New("closing quote must be followed by a space")
)

// appendDoubleQuoted decodes a "..." argument whose body starts at line[i], appending to
// arg; it returns the index after the closing quote.
func appendDoubleQuoted(arg *[]byte, line string, i int) (int, error) {
	for i < len(line) {
		ch := line[i]
		switch {
		case ch == '"':
			if i+1 < len(line) && !isSpace(line[i+1]) {
				return 0, errAfterQuote
			}
			return i + 1, nil
		case ch == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
			b, _ := strconv.ParseUint(line[i+2:i+4], 16, 8)
			*arg = append(*arg, byte(b))
			i += 4
		case ch == '\\' && i+1 < len(line):
			esc := line[i+1]
			switch esc {
			case 'n':
				esc = '\n'
			case 'r':
				esc = '\r'
			case 't':
				esc = '\t'
			case 'b':
				esc = '\b'
			case 'a':
				esc = '\a'
			}
			*arg = append(*arg, esc)
			i += 2
		default:
			*arg = append(*arg, ch)
			i++
		}
	}
	return 0, errUnbalancedQuotes
}

// appendSingleQuoted decodes a '...' argument whose body starts at line[i], appending to
// arg; it returns the index after the closing quote.
func appendSingleQuoted(arg *[]byte, line string, i int) (int, error) {
	for i < len(line) {
		ch := line[i]
		switch {
		case ch == '\'':
			if i+1 < len(line) && !isSpace(line[i+1]) {
				return 0, errAfterQuote
			}
			return i + 1, nil
		case ch == '\\' && i+1 < len(line) && line[i+1] == '\'':
			*arg = append(*arg, '\'')
			i += 2
		default:
			*arg = append(*arg, ch)
			i++
		}
	}
	return 0, errUnbalancedQuotes
}

func isSpace(ch byte) bool {
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f'
}

func isHex(ch byte) bool {
	return ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F'
}

// maxIncludeDepth bounds nested include directives, which catches include cycles.
const maxIncludeDepth = 16

// ParseConfigFile applies the directives of a redis.conf-style file to c, in order, so
// the last occurrence of a directive wins (save accumulates, see ApplyDirective). Lines
// are "name arg ...", split by SplitArgs; blank lines and lines whose first non-blank
// character is '#' are skipped; directive names are case-insensitive. "include path"
// reads another file at that point; as in redis-server a relative path is relative to
// the working directory (which a dir directive changes), and a path with glob
// characters includes every match in name order. path "-" reads standard input.
//
// The first bad line stops parsing with an error that names file and line:
// "basalt.conf:12: unknown directive 'foo'".
func ParseConfigFile(c *Config, path string) error {
	if path == "-" {
		return parseConfig(c, os.Stdin, "stdin", 0)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read config file: %w", err)
	}
	defer f.Close()
	return parseConfig(c, f, path, 0)
}

// parseConfig applies the lines read from r; name labels errors and depth counts the
// includes that led here.
func parseConfig(c *Config, r io.Reader, name string, depth int) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		args, err := SplitArgs(line)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, lineNo, err)
		}
		if len(args) == 0 {
			continue
		}
		if strings.EqualFold(args[0], "include") {
			if len(args) != 2 {
				return fmt.Errorf("%s:%d: wrong number of arguments for 'include'", name, lineNo)
			}
			if err := includeConfig(c, args[1], name, lineNo, depth+1); err != nil {
				return err
			}
			continue
		}
		if err := c.ApplyDirective(args[0], args[1:]); err != nil {
			return fmt.Errorf("%s:%d: %w", name, lineNo, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: cannot read config file: %w", name, lineNo+1, err)
	}
	return nil
}

// includeConfig applies the file, or every file matching the glob, at pattern; from
// and line locate the include directive for error messages.
func includeConfig(c *Config, pattern, from string, line, depth int) error {
	if depth > maxIncludeDepth {
		return fmt.Errorf("%s:%d: include %q: includes nested more than %d deep",
			from, line, pattern, maxIncludeDepth)
	}
	paths := []string{pattern}
	if strings.ContainsAny(pattern, "*?[") {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			return fmt.Errorf("%s:%d: include %q: %w", from, line, pattern, err)
		}
		paths = matches // sorted by name
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("%s:%d: include %q: %w", from, line, p, err)
		}
		err = parseConfig(c, f, p, depth)
		f.Close()
		if err != nil {
			return fmt.Errorf("%w (included from %s:%d)", err, from, line)
		}
	}
	return nil
}

// ApplyArgs applies command-line directives: "--name value ..." groups, each value list
// running until the next argument that starts with "--". A directive given without
// values gets one empty value ("--save" turns snapshots off, as "--save "" does).
func ApplyArgs(c *Config, args []string) error {
	for i := 0; i < len(args); {
		flag := args[i]
		if !strings.HasPrefix(flag, "--") || len(flag) == 2 {
			return fmt.Errorf("unexpected argument %q: directives are given as --name value", flag)
		}
		j := i + 1
		for j < len(args) && !strings.HasPrefix(args[j], "--") {
			j++
		}
		values := args[i+1 : j]
		if len(values) == 0 {
			values = []string{""}
		}
		if err := c.ApplyDirective(flag[2:], values); err != nil {
			return fmt.Errorf("%s: %w", flag, err)
		}
		i = j
	}
	return nil
}

// ConfigFromArgs builds the configuration basalt-server runs with from its arguments
// (program name excluded), as redis-server reads its own: "[config-file] [--name value
// ...]". The defaults come first, then the file if the first argument does not start
// with "--" ("-" reads standard input), then the directives, which therefore win.
func ConfigFromArgs(args []string) (*Config, error) {
	c := DefaultConfig()
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		if args[0] != "-" {
			// Before the file runs: a dir directive changes the working directory.
			abs, err := filepath.Abs(args[0])
			if err != nil {
				return nil, err
			}
			c.File = abs
		}
		if err := ParseConfigFile(c, args[0]); err != nil {
			return nil, err
		}
		args = args[1:]
	}
	if err := ApplyArgs(c, args); err != nil {
		return nil, err
	}
	return c, nil
}

// configReason is a client-visible explanation of a rejected value, worded as
// redis-server words it (hence capitalized, unlike Go error strings).
type configReason string

func (r configReason) Error() string { return string(r) }

// client-output-buffer-limit: three classes, each with a hard limit, a soft limit and
// the seconds the soft limit may be exceeded (pubsub.go enforces them).

const defaultObufLimits = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"

var obufClassNames = [numObufClasses]string{"normal", "slave", "pubsub"}

// parseObufLimits reads "class hard soft seconds" groups into limits, leaving the
// classes it does not name as they are. Memory values take units (32mb).
func parseObufLimits(s string, limits *[numObufClasses]obufLimit) error {
	words := strings.Fields(s)
	if len(words)%4 != 0 {
		return configReason("Wrong number of arguments in buffer limit configuration.")
	}
	for i := 0; i < len(words); i += 4 {
		class := -1
		switch strings.ToLower(words[i]) {
		case "normal":
			class = obufNormal
		case "slave", "replica":
			class = obufReplica
		case "pubsub":
			class = obufPubsub
		default:
			return configReason("Invalid client class specified in buffer limit configuration.")
		}
		hard, ok1 := parseBytes(words[i+1])
		soft, ok2 := parseBytes(words[i+2])
		secs, ok3 := parseStrictInt(words[i+3])
		if !ok1 || !ok2 || !ok3 || secs < 0 {
			return configReason("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
		}
		limits[class] = obufLimit{hard: hard, soft: soft, softSeconds: secs}
	}
	return nil
}

// normalizeObufLimits checks a value; the stored form is made by applyObufLimits.
func normalizeObufLimits(s string) (string, error) {
	var scratch [numObufClasses]obufLimit
	return s, parseObufLimits(s, &scratch)
}

// applyObufLimits merges the classes just assigned into the current limits and stores
// the full three-class form that CONFIG GET shows.
func applyObufLimits(c *Config) error {
	limits := c.obufLimits()
	if err := parseObufLimits(c.ClientOutputBufferLimit, &limits); err != nil {
		return err
	}
	c.obufLive.Store(&limits)
	var b strings.Builder
	for class, l := range limits {
		if class > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s %d %d %d", obufClassNames[class], l.hard, l.soft, l.softSeconds)
	}
	c.ClientOutputBufferLimit = b.String()
	return nil
}

// obufLimits returns the limits in force. Safe without mu: until the first assignment
// they are the defaults.
func (c *Config) obufLimits() [numObufClasses]obufLimit {
	if l := c.obufLive.Load(); l != nil {
		return *l
	}
	var l [numObufClasses]obufLimit
	if err := parseObufLimits(defaultObufLimits, &l); err != nil {
		panic("BUG: default client-output-buffer-limit: " + err.Error())
	}
	c.obufLive.CompareAndSwap(nil, &l)
	return l
}
