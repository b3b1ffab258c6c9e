package coord

// Access control lists: users, their passwords and the commands, keys and channels they
// may use, as Redis 7.2 defines them (ACL SETUSER's rule language, AUTH, NOPERM).
//
// Users are shared by every loop, so a user's permissions are an immutable value: a
// change builds a new aclUser and publishes it in the user's slot, and a connection
// holds the slot, reading the current value once per command. The default user of a
// server without ACL rules allows everything, which the check sees in one flag.
//
// The command rules are kept as the user wrote them, after the leading +@all or -@all
// (Redis 7.2's form): a rule replaces an earlier one for the same command or category,
// and a rule for a whole command replaces those for its subcommands. redis-server 7.0
// instead describes the bitmap afresh, best-fitting categories and listing single
// commands in hash-table order, which no other process can reproduce.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/basaltdb/basalt/shard"
)

// Reasons a command is refused, ordered as Redis ranks them when several selectors
// refuse it for different reasons (the highest is reported).
const (
	aclOK = iota
	aclDeniedCmd
	aclDeniedKey
	aclDeniedAuth
	aclDeniedChannel
)

// Contexts of ACL LOG entries.
const (
	aclCtxToplevel = iota
	aclCtxMulti
	aclCtxLua
)

// Key permissions of a key pattern.
const (
	aclKeyRead = 1 << iota
	aclKeyWrite
	aclKeyAll = aclKeyRead | aclKeyWrite
)

// aclKeyPattern is one ~pattern (both permissions) or %R~ / %W~ / %RW~ pattern.
type aclKeyPattern struct {
	pattern string
	pat     []byte // pattern, for matching without a conversion
	// prefix is set for the common "literal*" pattern, matched without the glob engine.
	prefix []byte
	perm   int
}

// globPrefix returns the literal part of a pattern that is a literal followed by one
// '*', and whether it is one.
func globPrefix(p string) ([]byte, bool) {
	lit, ok := strings.CutSuffix(p, "*")
	if !ok || strings.ContainsAny(lit, "*?[]\\") {
		return nil, false
	}
	return []byte(lit), true
}

func (p *aclKeyPattern) match(key []byte) bool {
	if p.prefix != nil {
		// As Redis's glob, "*" does not match the empty key.
		return len(key) > 0 && bytes.HasPrefix(key, p.prefix)
	}
	return shard.Match(p.pat, key, false)
}

func (p aclKeyPattern) String() string {
	switch p.perm {
	case aclKeyRead:
		return "%R~" + p.pattern
	case aclKeyWrite:
		return "%W~" + p.pattern
	}
	return "~" + p.pattern
}

// aclSelector is one set of permissions: a user's root selector or one of the
// (...) selectors added to it. A command is allowed when one selector allows the
// command, all its keys and all its channels.
type aclSelector struct {
	// cmds has a bit per command id (subcommands have their own); allCmds is set while
	// no bit was cleared since +@all, so the check can skip the bitmap; future is the
	// +@all / -@all the rules start from.
	cmds    []uint64
	allCmds bool
	future  bool
	// firstArgs lists, by command id, first arguments allowed for an otherwise denied
	// command that has no subcommands (+select|0, deprecated by Redis but accepted).
	firstArgs map[int][]string
	// rules are the command rules after the leading +@all / -@all, in order.
	rules []string

	allKeys     bool
	keys        []aclKeyPattern
	allChannels bool
	channels    []string
	// channelPats are the channels as bytes, for matching; set by seal.
	channelPats [][]byte
}

func newSelector(allChannels bool) *aclSelector {
	return &aclSelector{cmds: make([]uint64, (len(all)+63)/64), allChannels: allChannels}
}

func (s *aclSelector) clone() *aclSelector {
	c := *s
	c.cmds = slices.Clone(s.cmds)
	c.rules = slices.Clone(s.rules)
	c.keys = slices.Clone(s.keys)
	c.channels = slices.Clone(s.channels)
	if s.firstArgs != nil {
		c.firstArgs = make(map[int][]string, len(s.firstArgs))
		for id, a := range s.firstArgs {
			c.firstArgs[id] = slices.Clone(a)
		}
	}
	return &c
}

func (s *aclSelector) bit(id int) bool { return s.cmds[id/64]&(1<<(id%64)) != 0 }

func (s *aclSelector) setBit(id int, on bool) {
	if on {
		s.cmds[id/64] |= 1 << (id % 64)
		return
	}
	s.cmds[id/64] &^= 1 << (id % 64)
	s.allCmds = false
}

// permit allows or denies c and, for a container, all its subcommands.
func (s *aclSelector) permit(c *Command, on bool) {
	s.setBit(c.id, on)
	delete(s.firstArgs, c.id)
	for _, sub := range c.Subs {
		s.setBit(sub.id, on)
	}
}

// permitCategory allows or denies every command of category cat.
func (s *aclSelector) permitCategory(cat int, on bool) {
	masks := aclCategoryMasks()
	for _, c := range table {
		if masks[c.id]&(1<<cat) != 0 {
			s.permit(c, on)
		}
		for _, sub := range c.Subs {
			if masks[sub.id]&(1<<cat) != 0 {
				s.setBit(sub.id, on)
			}
		}
	}
}

// setAll is +@all (on) or -@all: every bit, and the rules start over.
func (s *aclSelector) setAll(on bool) {
	var word uint64
	if on {
		word = ^uint64(0)
	}
	for i := range s.cmds {
		s.cmds[i] = word
	}
	s.allCmds, s.future, s.rules, s.firstArgs = on, on, nil, nil
}

// addRule records a command rule (lower case, with its sign), replacing the rules for
// the same command or category and, for a whole command, those for its subcommands.
func (s *aclSelector) addRule(rule string) {
	name := rule[1:]
	s.rules = slices.DeleteFunc(s.rules, func(r string) bool {
		old := r[1:]
		return old == name || strings.HasPrefix(old, name+"|")
	})
	s.rules = append(s.rules, rule)
}

// prune drops the command rules that later ones made redundant: a rule goes when the
// remaining ones allow exactly the same commands. The rules stay in the order written,
// and the simple cases read as redis-server 7.0 describes them ("-@all +@hash" after
// "-get +@hash").
func (s *aclSelector) prune() {
	for i := 0; i < len(s.rules); {
		trial := slices.Delete(slices.Clone(s.rules), i, i+1)
		if s.sameAs(trial) {
			s.rules = trial
			continue
		}
		i++
	}
}

// sameAs reports whether replaying rules from the selector's +@all / -@all gives its
// command permissions.
func (s *aclSelector) sameAs(rules []string) bool {
	r := newSelector(false)
	r.setAll(s.future)
	for _, rule := range rules {
		if r.apply(rule) != nil {
			return false
		}
	}
	if !slices.Equal(r.cmds, s.cmds) || len(r.firstArgs) != len(s.firstArgs) {
		return false
	}
	for id, a := range s.firstArgs {
		if !slices.Equal(r.firstArgs[id], a) {
			return false
		}
	}
	return true
}

// aclRuleError is a rule that ACL SETUSER refuses, with Redis's explanation.
type aclRuleError string

func (e aclRuleError) Error() string { return string(e) }

const (
	errACLSyntax      aclRuleError = "Syntax error"
	errACLUnknown     aclRuleError = "Unknown command or category name in ACL"
	errACLKeyAfterAll aclRuleError = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
	errACLChanAfter   aclRuleError = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
	errACLNoSuchPass  aclRuleError = "The password you are trying to remove from the user does not exist"
	errACLBadHash     aclRuleError = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
	errACLSubFirstArg aclRuleError = "Allowing first-arg of a subcommand is not supported"
)

// apply changes the selector by one rule that is not a user flag.
func (s *aclSelector) apply(op string) error {
	lower := strings.ToLower(op)
	switch {
	case lower == "allkeys" || op == "~*":
		s.allKeys, s.keys = true, nil
	case lower == "resetkeys":
		s.allKeys, s.keys = false, nil
	case lower == "allchannels" || op == "&*":
		s.allChannels, s.channels = true, nil
	case lower == "resetchannels":
		s.allChannels, s.channels = false, nil
	case lower == "allcommands" || lower == "+@all":
		s.setAll(true)
	case lower == "nocommands" || lower == "-@all":
		s.setAll(false)
	case op[0] == '~' || op[0] == '%':
		return s.addKeyPattern(op)
	case op[0] == '&':
		if s.allChannels {
			return errACLChanAfter
		}
		if hasSpaces(op[1:]) {
			return errACLSyntax
		}
		if !slices.Contains(s.channels, op[1:]) {
			s.channels = append(s.channels, op[1:])
		}
	case len(op) > 1 && (op[0] == '+' || op[0] == '-') && op[1] == '@':
		cat := slices.Index(aclOrder, lower[2:])
		if cat < 0 {
			return errACLUnknown
		}
		s.addRule(lower)
		s.permitCategory(cat, op[0] == '+')
	case op[0] == '+' || op[0] == '-':
		return s.applyCommandRule(op[0] == '+', lower[1:])
	default:
		return errACLSyntax
	}
	return nil
}

// addKeyPattern applies ~pattern or %R~ / %W~ / %RW~pattern.
func (s *aclSelector) addKeyPattern(op string) error {
	if s.allKeys {
		return errACLKeyAfterAll
	}
	perm, rest := aclKeyAll, op[1:]
	if op[0] == '%' {
		perm = 0
		i := 1
		for ; i < len(op); i++ {
			switch {
			case (op[i] == 'R' || op[i] == 'r') && perm&aclKeyRead == 0:
				perm |= aclKeyRead
				continue
			case (op[i] == 'W' || op[i] == 'w') && perm&aclKeyWrite == 0:
				perm |= aclKeyWrite
				continue
			case op[i] == '~' && perm != 0:
				i++
			default:
				return errACLSyntax
			}
			break
		}
		// "%R" alone is the empty pattern, as in Redis.
		rest = op[i:]
	}
	if hasSpaces(rest) {
		return errACLSyntax
	}
	for i := range s.keys {
		if s.keys[i].pattern == rest {
			s.keys[i].perm |= perm
			return nil
		}
	}
	kp := aclKeyPattern{pattern: rest, pat: []byte(rest), perm: perm}
	if pre, ok := globPrefix(rest); ok {
		kp.prefix = append([]byte{}, pre...) // non-nil even when empty ("*")
	}
	s.keys = append(s.keys, kp)
	return nil
}

// applyCommandRule applies +name, -name, +name|sub, or +name|first-arg.
func (s *aclSelector) applyCommandRule(allow bool, name string) error {
	// As Redis, the subcommand or first argument is what follows the last '|'.
	i := strings.LastIndexByte(name, '|')
	if i < 0 || !allow {
		c := aclLookup(name)
		if c == nil {
			return errACLUnknown
		}
		s.permit(c, allow)
		s.addRule(map[bool]string{true: "+", false: "-"}[allow] + c.FullName())
		return nil
	}
	base, sub := name[:i], name[i+1:]
	c := aclLookup(base)
	if c == nil {
		return errACLUnknown
	}
	if c.parent != nil {
		return errACLSubFirstArg
	}
	if sub == "" {
		return errACLSyntax
	}
	if len(c.Subs) > 0 {
		sc := lookupSub(c, []byte(sub))
		if sc == nil {
			return errACLUnknown
		}
		s.permit(sc, true)
	} else {
		if s.firstArgs == nil {
			s.firstArgs = map[int][]string{}
		}
		if !slices.ContainsFunc(s.firstArgs[c.id], func(a string) bool { return strings.EqualFold(a, sub) }) {
			s.firstArgs[c.id] = append(s.firstArgs[c.id], sub)
		}
	}
	s.addRule("+" + name)
	return nil
}

// aclLookup finds a command or "command|subcommand" by its lower-case name.
func aclLookup(name string) *Command {
	base, sub, ok := strings.Cut(name, "|")
	c := byName[base]
	if c == nil || !ok {
		return c
	}
	if strings.Contains(sub, "|") {
		return nil
	}
	return lookupSub(c, []byte(sub))
}

func hasSpaces(s string) bool {
	return strings.ContainsAny(s, " \t\r\n\x00")
}

// aclCategoryMasks returns each command's ACL categories as a bit mask over aclOrder,
// by command id.
var aclCategoryMasks = sync.OnceValue(func() []uint32 {
	masks := make([]uint32, len(all))
	for _, c := range all {
		for _, name := range c.categories {
			masks[c.id] |= 1 << slices.Index(aclOrder, name)
		}
	}
	return masks
})

// commandRules describes the selector's command permissions as rules.
func (s *aclSelector) commandRules() string {
	head := "-@all"
	if s.future {
		head = "+@all"
	}
	if len(s.rules) == 0 {
		return head
	}
	return head + " " + strings.Join(s.rules, " ")
}

func (s *aclSelector) keysText() string {
	if s.allKeys {
		return "~*"
	}
	parts := make([]string, len(s.keys))
	for i, k := range s.keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, " ")
}

func (s *aclSelector) channelsText() string {
	if s.allChannels {
		return "&*"
	}
	parts := make([]string, len(s.channels))
	for i, c := range s.channels {
		parts[i] = "&" + c
	}
	return strings.Join(parts, " ")
}

// describe is the selector in ACL LIST's form: keys, channels, commands.
func (s *aclSelector) describe() string {
	var b strings.Builder
	if k := s.keysText(); k != "" {
		b.WriteString(k)
		b.WriteByte(' ')
	}
	if !s.allChannels {
		b.WriteString("resetchannels ")
	}
	if ch := s.channelsText(); ch != "" {
		b.WriteString(ch)
		b.WriteByte(' ')
	}
	b.WriteString(s.commandRules())
	return b.String()
}

// aclUser is one version of a user. Published values are never changed.
type aclUser struct {
	name      string
	enabled   bool
	nopass    bool
	sanitize  string // "", "sanitize-payload" or "skip-sanitize-payload"
	passwords []string
	selectors []*aclSelector // [0] is the root selector
	// open is set when the root selector allows every command, key and channel.
	open bool
}

func newUser(name string, allChannels bool) *aclUser {
	return &aclUser{name: name, selectors: []*aclSelector{newSelector(allChannels)}}
}

func (u *aclUser) clone() *aclUser {
	c := *u
	c.passwords = slices.Clone(u.passwords)
	c.selectors = make([]*aclSelector, len(u.selectors))
	for i, s := range u.selectors {
		c.selectors[i] = s.clone()
	}
	return &c
}

// seal computes the derived fields before the value is published.
func (u *aclUser) seal() *aclUser {
	for _, s := range u.selectors {
		s.prune()
		s.channelPats = make([][]byte, len(s.channels))
		for i, c := range s.channels {
			s.channelPats[i] = []byte(c)
		}
	}
	r := u.selectors[0]
	u.open = r.allCmds && r.allKeys && r.allChannels
	return u
}

// hashPassword is the form passwords are kept in: SHA-256, lower-case hex.
func hashPassword(p string) string {
	sum := sha256.Sum256([]byte(p))
	return hex.EncodeToString(sum[:])
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !('0' <= h[i] && h[i] <= '9' || 'a' <= h[i] && h[i] <= 'f') {
			return false
		}
	}
	return true
}

// apply changes the user by one rule; pubsubAll is acl-pubsub-default's allchannels.
func (u *aclUser) apply(op string, pubsubAll bool) error {
	if op == "" {
		return nil
	}
	switch lower := strings.ToLower(op); {
	case lower == "on":
		u.enabled = true
	case lower == "off":
		u.enabled = false
	case lower == "skip-sanitize-payload" || lower == "sanitize-payload":
		u.sanitize = lower
	case lower == "nopass":
		u.nopass, u.passwords = true, nil
	case lower == "resetpass":
		u.nopass, u.passwords = false, nil
	case op[0] == '>' || op[0] == '#':
		h := op[1:]
		if op[0] == '>' {
			h = hashPassword(h)
		} else if !validHash(h) {
			return errACLBadHash
		}
		if !slices.Contains(u.passwords, h) {
			u.passwords = append(u.passwords, h)
		}
		u.nopass = false
	case op[0] == '<' || op[0] == '!':
		h := op[1:]
		if op[0] == '<' {
			h = hashPassword(h)
		} else if !validHash(h) {
			return errACLBadHash
		}
		i := slices.Index(u.passwords, h)
		if i < 0 {
			return errACLNoSuchPass
		}
		u.passwords = slices.Delete(u.passwords, i, i+1)
	case op[0] == '(' && op[len(op)-1] == ')':
		s := newSelector(pubsubAll)
		for _, sub := range strings.Fields(op[1 : len(op)-1]) {
			if err := s.apply(sub); err != nil {
				return err
			}
		}
		u.selectors = append(u.selectors, s)
	case lower == "clearselectors":
		u.selectors = u.selectors[:1]
	case lower == "reset":
		root := newSelector(pubsubAll)
		u.nopass, u.passwords, u.enabled, u.sanitize = false, nil, false, "sanitize-payload"
		u.selectors = []*aclSelector{root}
	default:
		return u.selectors[0].apply(op)
	}
	return nil
}

// describe is the user in ACL LIST's and the ACL file's form, after "user name ".
func (u *aclUser) describe() string {
	var b strings.Builder
	if u.enabled {
		b.WriteString("on ")
	} else {
		b.WriteString("off ")
	}
	if u.nopass {
		b.WriteString("nopass ")
	}
	if u.sanitize != "" {
		b.WriteString(u.sanitize + " ")
	}
	for _, p := range u.passwords {
		b.WriteString("#" + p + " ")
	}
	b.WriteString(u.selectors[0].describe())
	for _, s := range u.selectors[1:] {
		b.WriteString(" (" + s.describe() + ")")
	}
	return b.String()
}

// checkPassword reports whether pass opens u.
func (u *aclUser) checkPassword(pass []byte) bool {
	if !u.enabled {
		return false
	}
	if u.nopass {
		return true
	}
	h := hashPassword(string(pass))
	return slices.Contains(u.passwords, h)
}

// deniedKey walks the command's keys with the permission each needs, and returns the
// position of the first one denied refuses (0: none). Reading the value needs read;
// changing, adding to or deleting it needs write; a key the command only looks at
// (EXISTS, TYPE) needs neither, only a matching pattern. Only the commands with their
// own keysFn allocate.
func (c *Command) deniedKey(line [][]byte, denied func(key []byte, perm int) bool) int {
	specs := c.KeySpecs
	if len(specs) == 0 {
		return 0
	}
	check := func(pos int, f KeyFlag) bool {
		if f&KeyVariableFlags != 0 {
			f = variableKeyFlags(c, line, f)
		}
		perm := 0
		if f&KeyAccess != 0 {
			perm |= aclKeyRead
		}
		if f&(KeyInsert|KeyDelete|KeyUpdate) != 0 {
			perm |= aclKeyWrite
		}
		return denied(line[pos], perm)
	}
	if c.keysFn != nil && slices.ContainsFunc(specs, func(k KeySpec) bool { return k.Keyword != "" || k.Unknown }) {
		for _, p := range c.keysFn(line) {
			// The first spec owns its single key, the last one the others (SORT's
			// STORE, GEORADIUS's STORE, XREAD's streams).
			f := specs[len(specs)-1].Flags
			if len(specs) > 1 && specs[0].BeginIndex == p && !specs[0].KeyNum && specs[0].LastKey == 0 {
				f = specs[0].Flags
			}
			if check(p, f) {
				return p
			}
		}
		return 0
	}
	for _, k := range specs {
		if k.Unknown || k.Flags&KeyNotKey != 0 {
			// A shard channel is no key: the channel rules check it.
			continue
		}
		if k.KeyNum {
			at, first := k.BeginIndex+k.KeyNumIdx, k.BeginIndex+k.FirstKey
			if at >= len(line) {
				continue
			}
			num := atoi(line[at])
			if num < 1 || num > int64((len(line)-first)/k.KeyStep) {
				continue
			}
			for i := range int(num) {
				if p := first + i*k.KeyStep; check(p, k.Flags) {
					return p
				}
			}
			continue
		}
		last := k.LastKey
		if last < 0 {
			last += len(line)
			if k.Limit > 1 {
				last = k.BeginIndex + (last-k.BeginIndex+1)/k.Limit - 1
			}
		} else {
			last += k.BeginIndex
		}
		for i := k.BeginIndex; i <= last && i < len(line); i += k.KeyStep {
			if check(i, k.Flags) {
				return i
			}
		}
	}
	return 0
}

// variableKeyFlags resolves the key flags of the commands whose flags depend on their
// arguments, as Redis's key procedures for them do: SET writes without reading unless
// GET is given, and a BITFIELD of GET operations only reads.
func variableKeyFlags(c *Command, line [][]byte, f KeyFlag) KeyFlag {
	switch c.Name {
	case "set":
		for _, a := range line[3:] {
			if strings.EqualFold(string(a), "get") {
				return KeyRW | KeyAccess | KeyUpdate
			}
		}
		return KeyOW | KeyUpdate
	case "bitfield":
		for _, a := range line[2:] {
			switch strings.ToLower(string(a)) {
			case "set", "incrby":
				return KeyRW | KeyAccess | KeyUpdate
			}
		}
		return KeyRO | KeyAccess
	}
	return f
}

// deniedChannel returns the position of the first channel of a command that
// publishes or subscribes which the patterns do not allow (0: none).
func deniedChannel(c *Command, line [][]byte, patterns [][]byte) int {
	switch c.FullName() {
	case "publish", "spublish":
		if !channelAllowed(patterns, line[1], false) {
			return 1
		}
	case "subscribe", "ssubscribe", "psubscribe":
		for i := 1; i < len(line); i++ {
			if !channelAllowed(patterns, line[i], c.Name == "psubscribe") {
				return i
			}
		}
	}
	return 0
}

// checkCommand decides whether the selector allows the command line; when not, it
// returns the reason and the argument at fault (0 for the command itself).
func (s *aclSelector) checkCommand(c *Command, line [][]byte) (int, int) {
	if !s.allCmds && c.Flags&FlagNoAuth == 0 && !s.bit(c.id) {
		args := s.firstArgs[c.id]
		idx := 1
		if c.parent != nil {
			idx = 2
		}
		if len(args) == 0 || len(line) <= idx || !slices.ContainsFunc(args, func(a string) bool { return strings.EqualFold(a, string(line[idx])) }) {
			return aclDeniedCmd, 0
		}
	}
	if !s.allKeys {
		if p := c.deniedKey(line, func(key []byte, perm int) bool { return !s.keyAllowed(key, perm) }); p > 0 {
			return aclDeniedKey, p
		}
	}
	if !s.allChannels {
		if p := deniedChannel(c, line, s.channelPats); p > 0 {
			return aclDeniedChannel, p
		}
	}
	return aclOK, 0
}

func (s *aclSelector) keyAllowed(key []byte, perm int) bool {
	for i := range s.keys {
		if p := &s.keys[i]; p.perm&perm == perm && p.match(key) {
			return true
		}
	}
	return false
}

// channelAllowed: a channel must match one of the patterns; a PSUBSCRIBE pattern must
// be one of them, letter for letter.
func channelAllowed(patterns [][]byte, ch []byte, isPattern bool) bool {
	for _, p := range patterns {
		if isPattern && string(p) == string(ch) || !isPattern && shard.Match(p, ch, false) {
			return true
		}
	}
	return false
}

// check decides whether u may run the command line: aclOK, or the most relevant reason
// any selector gave and the argument at fault.
func (u *aclUser) check(c *Command, line [][]byte) (reason, pos int) {
	if u.open {
		return aclOK, 0
	}
	reason = aclDeniedCmd
	for _, s := range u.selectors {
		r, p := s.checkCommand(c, line)
		if r == aclOK {
			return aclOK, 0
		}
		if r > reason || r == reason && p > pos {
			reason, pos = r, p
		}
	}
	return reason, pos
}

// channelPermitted reports whether u may still use a channel (or pattern) it is
// subscribed to.
func (u *aclUser) channelPermitted(ch string, isPattern bool) bool {
	for _, s := range u.selectors {
		if s.allChannels || channelAllowed(s.channelPats, []byte(ch), isPattern) {
			return true
		}
	}
	return false
}

// aclSlot is a named user as connections see it: its current permissions, or nil
// once deleted.
type aclSlot struct {
	name string
	cur  atomic.Pointer[aclUser]
}

// aclState is the server's users and ACL log.
type aclState struct {
	mu    sync.Mutex
	users map[string]*aclSlot // guarded by mu
	// def is the default user's slot, never deleted.
	def *aclSlot
	// pass is the requirepass the default user last took.
	pass string

	logMu  sync.Mutex
	log    []*aclLogEntry // newest first
	nextID int64

	// denied counts refusals by reason (INFO stats).
	denied [aclDeniedChannel + 1]atomic.Int64
	// maxLen is acllog-max-len, copied from the configuration by applySettings: the
	// loops and script runs that log must not read the Config unlocked.
	maxLen atomic.Int64
}

// defaultUser is the user of a fresh server: everything allowed, no password.
func defaultUser() *aclUser {
	u := newUser("default", true)
	u.enabled, u.nopass = true, true
	u.selectors[0].setAll(true)
	u.selectors[0].allKeys = true
	return u.seal()
}

func (a *aclState) init() {
	a.users = map[string]*aclSlot{}
	a.def = &aclSlot{name: "default"}
	a.def.cur.Store(defaultUser())
	a.users["default"] = a.def
}

// lookup returns the slot of a user, nil when there is no such user.
func (a *aclState) lookup(name string) *aclSlot {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.users[name]
}

// names lists the users in name order, as Redis's radix tree keeps them.
func (a *aclState) sorted() []*aclSlot {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*aclSlot, 0, len(a.users))
	for _, s := range a.users {
		out = append(out, s)
	}
	slices.SortFunc(out, func(x, y *aclSlot) int { return strings.Compare(x.name, y.name) })
	return out
}

// setUser applies rules to a copy of the user (a new one when missing) and publishes
// it only if every rule applies. It returns the slot, the user before (nil when new)
// and the error text for ACL SETUSER.
func (a *aclState) setUser(name string, rules []string, pubsubAll bool) (*aclSlot, *aclUser, error) {
	merged, err := mergeSelectorArgs(rules)
	if err != nil {
		return nil, nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	slot := a.users[name]
	var before, u *aclUser
	if slot != nil {
		before = slot.cur.Load()
		u = before.clone()
	} else {
		u = newUser(name, pubsubAll)
	}
	for _, r := range merged {
		if err := u.apply(r, pubsubAll); err != nil {
			return nil, nil, errors.New("ERR Error in ACL SETUSER modifier '" + r + "': " + err.Error())
		}
	}
	if slot == nil {
		slot = &aclSlot{name: name}
		a.users[name] = slot
	}
	slot.cur.Store(u.seal())
	return slot, before, nil
}

// mergeSelectorArgs joins the words of a selector split across arguments:
// "(+get" "~k*)" is one rule.
func mergeSelectorArgs(args []string) ([]string, error) {
	var out []string
	open := -1
	var cur string
	for i, a := range args {
		if open < 0 && strings.HasPrefix(a, "(") && !strings.HasSuffix(a, ")") {
			open, cur = i, a
			continue
		}
		if open >= 0 {
			cur += " " + a
			if strings.HasSuffix(a, ")") {
				out = append(out, cur)
				open = -1
			}
			continue
		}
		out = append(out, a)
	}
	if open >= 0 {
		return nil, errors.New("ERR Unmatched parenthesis in acl selector starting at '" + args[open] + "'.")
	}
	return out, nil
}

// setDefaultPassword makes requirepass the default user's only password (none: nopass).
func (a *aclState) setDefaultPassword(pass string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pass = pass
	u := a.def.cur.Load().clone()
	u.passwords = nil
	if pass == "" {
		u.nopass = true
	} else {
		u.nopass = false
		u.passwords = []string{hashPassword(pass)}
	}
	a.def.cur.Store(u.seal())
}

// authRequired reports whether a connection that never authenticated must now: the
// default user has a password or is off.
func (a *aclState) authRequired() bool {
	u := a.def.cur.Load()
	return !u.nopass || !u.enabled
}

// syncPassword gives the default user requirepass when it changed since last time.
func (a *aclState) syncPassword(pass string) {
	a.mu.Lock()
	same := a.pass == pass
	a.mu.Unlock()
	if !same {
		a.setDefaultPassword(pass)
	}
}
