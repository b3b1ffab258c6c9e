package proto

// Client-visible error texts, exactly as redis-server words them. Handlers pass these to
// Writer.Error; keeping them here means one spelling for the whole server.
const (
	ErrSyntax          = "ERR syntax error"
	ErrWrongType       = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrNotInt          = "ERR value is not an integer or out of range"
	ErrNotFloat        = "ERR value is not a valid float"
	ErrOverflow        = "ERR increment or decrement would overflow"
	ErrNoSuchKey       = "ERR no such key"
	ErrInvalidExpire   = "ERR invalid expire time in '%s' command"
	ErrDBIndex         = "ERR DB index is out of range"
	ErrSameObject      = "ERR source and destination objects are the same"
	ErrNoAuth          = "NOAUTH Authentication required."
	ErrWrongPass       = "WRONGPASS invalid username-password pair or user is disabled."
	ErrAuthNoPass      = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	ErrStringTooLong   = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	ErrIncrFloatNaN    = "ERR increment would produce NaN or Infinity"
	ErrOffsetRange     = "ERR offset is out of range"
	ErrMaxClients      = "ERR max number of clients reached"
	ErrUnknownSubFmt   = "ERR unknown subcommand '%s'. Try %s HELP."
	ErrWrongArgsFmt    = "ERR wrong number of arguments for '%s' command"
	ErrUnknownCmdFmt   = "ERR unknown command '%s', with args beginning with: %s"
	ErrNoProto         = "NOPROTO unsupported protocol version"
	ErrCursor          = "ERR invalid cursor"
	ErrTimeoutNegative = "ERR timeout is negative"
	ErrLoading         = "LOADING Redis is loading the dataset in memory"
	ErrMisconf         = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."
)

// Errors of the string and keyspace commands (shard/strings.go, shard/keys.go).
const (
	ErrDecrOverflow      = "ERR decrement would overflow"
	ErrIntRange          = "ERR value is out of range, value must between -2147483648 and 2147483647"
	ErrExpireNXCompat    = "ERR NX and XX, GT or LT options at the same time are not compatible"
	ErrExpireGTLT        = "ERR GT and LT options at the same time are not compatible"
	ErrUnsupportedOptFmt = "ERR Unsupported option %s"
	ErrLCSNotString      = "ERR The specified keys must contain string values"
	ErrLCSLenAndIdx      = "ERR If you want both the length and indexes, please just use IDX."
	ErrLCSTooLong        = "ERR String too long for LCS"
	ErrLCSMemory         = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
	ErrLFUNotSelected    = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	ErrLFUSelected       = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
)

// Errors of the list commands (shard/lists.go).
const (
	ErrIndexRange      = "ERR index out of range"
	ErrMustBePositive  = "ERR value is out of range, must be positive"
	ErrLposRankZero    = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	ErrLposRankRange   = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	ErrLposCountNeg    = "ERR COUNT can't be negative"
	ErrLposMaxlenNeg   = "ERR MAXLEN can't be negative"
	ErrNumkeysPositive = "ERR numkeys should be greater than 0"
	ErrCountPositive   = "ERR count should be greater than 0"
)

// Errors of the hash commands (shard/hashes.go).
const (
	ErrHashNotInt      = "ERR hash value is not an integer"
	ErrHashNotFloat    = "ERR hash value is not a float"
	ErrNaNOrInfinity   = "ERR value is NaN or Infinity"
	ErrValueOutOfRange = "ERR value is out of range"
	// ErrLongRange is the range error of arguments that must fit -LONG_MAX..LONG_MAX.
	ErrLongRange = ErrLposRankRange
)

// Errors of the set commands (shard/sets.go).
const (
	ErrNumkeysOverArgs = "ERR Number of keys can't be greater than number of args"
	ErrLimitNegative   = "ERR LIMIT can't be negative"
)

// Errors of the sorted set commands (shard/zsets.go).
const (
	ErrZaddNXXX        = "ERR XX and NX options at the same time are not compatible"
	ErrZaddGTLTNX      = "ERR GT, LT, and/or NX options at the same time are not compatible"
	ErrZaddIncrPair    = "ERR INCR option supports a single increment-element pair"
	ErrZaddNaN         = "ERR resulting score is not a number (NaN)"
	ErrMinMaxFloat     = "ERR min or max is not a float"
	ErrMinMaxLex       = "ERR min or max not valid string range item"
	ErrZrangeLimit     = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	ErrZrangeLexScores = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	ErrZNumkeysFmt     = "ERR at least 1 input key is needed for '%s' command"
	ErrWeightNotFloat  = "ERR weight value is not a float"
)
