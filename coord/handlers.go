package coord

import "github.com/basaltdb/basalt/shard"

// The coordinator-side handlers, by full command name. Shard handlers register
// themselves in package shard; a test checks that every table row has a handler and
// every handler a row.

var clientHandlers = map[string]clientHandler{
	"ping":            pingCmd,
	"echo":            echoCmd,
	"hello":           helloCmd,
	"auth":            authCmd,
	"select":          selectCmd,
	"quit":            quitCmd,
	"reset":           resetCmd,
	"client|id":       clientIDCmd,
	"client|setname":  clientSetnameCmd,
	"client|getname":  clientGetnameCmd,
	"client|list":     clientListCmd,
	"client|info":     clientInfoCmd,
	"client|kill":     clientKillCmd,
	"client|reply":    clientReplyCmd,
	"client|no-evict": clientNoEvictCmd,
	"client|no-touch": clientNoTouchCmd,
	"client|setinfo":  clientSetinfoCmd,
	"client|help":     clientHelpCmd,
	"client|unblock":  clientUnblockCmd,

	"blpop":      blpopCmd(true),
	"brpop":      blpopCmd(false),
	"blmove":     blmoveCmd,
	"brpoplpush": brpoplpushCmd,
	"blmpop":     blmpopCmd,

	"multi":   multiCmd,
	"exec":    execCmd,
	"discard": discardCmd,
	"watch":   watchCmd,
	"unwatch": unwatchCmd,

	"keys":      keysCmd,
	"scan":      scanCmd,
	"randomkey": randomkeyCmd,
	"dbsize":    dbsizeCmd,
	"flushdb":   flushCmd(false),
	"flushall":  flushCmd(true),
	"swapdb":    swapdbCmd,

	"info":             infoCmd,
	"config|get":       configGetCmd,
	"config|set":       configSetCmd,
	"config|resetstat": configResetstatCmd,
	"config|help":      configHelpCmd,
	"time":             timeCmd,
	"debug":            debugCmd,
	"shutdown":         shutdownCmd,
	"command":          commandCmd,
	"command|count":    commandCountCmd,
	"command|info":     commandInfoCmd,
	"command|docs":     commandDocsCmd,
	"command|list":     commandListCmd,
	"command|getkeys":  commandGetkeysCmd,
	"command|help":     commandHelpCmd,
}

var multiHandlers = map[string]multiHandler{
	"mget":     mgetMulti,
	"mset":     msetMulti,
	"msetnx":   msetnxMulti,
	"del":      countKeys(removeKey),
	"unlink":   countKeys(removeKey),
	"exists":   countKeys(existsKey),
	"touch":    countKeys(touchKey),
	"rename":   renameMulti(false),
	"renamenx": renameMulti(true),
	"copy":     copyMulti,
	"lcs":      lcsMulti,

	"lmove":     lmoveMulti(3, 4),
	"rpoplpush": lmoveMulti(0, 0),
	"lmpop":     lmpopMulti,

	"smove":       smoveMulti,
	"sinter":      algebraMulti(shard.SetInter),
	"sunion":      algebraMulti(shard.SetUnion),
	"sdiff":       algebraMulti(shard.SetDiff),
	"sinterstore": algebraStoreMulti(shard.SetInter),
	"sunionstore": algebraStoreMulti(shard.SetUnion),
	"sdiffstore":  algebraStoreMulti(shard.SetDiff),
	"sintercard":  sintercardMulti,

	"zrangestore": zrangestoreMulti,
	"zmpop":       zmpopMulti,
	"zunion":      zalgebraMulti(shard.ZUnion, false),
	"zinter":      zalgebraMulti(shard.ZInter, false),
	"zdiff":       zalgebraMulti(shard.ZDiff, false),
	"zunionstore": zalgebraMulti(shard.ZUnion, true),
	"zinterstore": zalgebraMulti(shard.ZInter, true),
	"zdiffstore":  zalgebraMulti(shard.ZDiff, true),
	"zintercard":  zintercardMulti,
}
