package coord_test

// Invariant stress tests of the coordinator (DESIGN.md, "Multi-shard commands"). Many
// connections hammer a Basalt with 4 shards for -stress.duration each; every test uses
// many distinct keys, so that every command spans several shards whatever they hash to.
// A violation stops the test and reports the seed and the state that showed it.
//
//	go test ./coord/ -race -run Stress -stress.duration=30s
//	go test ./coord/ -run Stress -stress.seed=42
//	go test ./coord/ -run Stress -stress.redis     (checks the tests: redis-server passes)
//
// The seed fixes each worker's choices (keys, orders, amounts), not the interleaving.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

var (
	stressDuration = flag.Duration("stress.duration", 2*time.Second, "how long each invariant stress test runs")
	stressSeed     = flag.Uint64("stress.seed", 0, "seed of the stress tests' random choices (0: from the clock)")
	stressRedis    = flag.Bool("stress.redis", false, "run the invariant stress tests against redis-server instead of Basalt, to check the tests themselves")
)

// stressThreads is the number of shards of the Basalt under stress.
const stressThreads = 4

// stress is one run of an invariant stress test: the server under test, the workers
// and the first violation. Workers run on their own goroutines; the test goroutine
// starts them with workers and waits with wait.
type stress struct {
	t        *testing.T
	addr     string
	seed     uint64
	deadline time.Time
	stopped  atomic.Bool
	wg       sync.WaitGroup
	nextID   int // worker ids, for seeds and RESP versions; test goroutine only
	groups   []*stressGroup
	failOnce sync.Once
}

// stressGroup counts the steps that one kind of worker completed.
type stressGroup struct {
	name  string
	steps atomic.Int64
}

func newStress(t *testing.T) *stress {
	t.Helper()
	seed := *stressSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	s := &stress{t: t, seed: seed}
	if *stressRedis {
		s.addr = startRedis(t)
	} else {
		s.addr = startBasalt(t, stressThreads)
	}
	t.Logf("seed %d (rerun with -stress.seed=%d); running %v", seed, seed, *stressDuration)
	return s
}

// client returns a client with exactly one connection, which it keeps for all its
// commands, WATCH and MULTI/EXEC included, and never retries a command (a retried
// write could apply twice). Odd ids speak RESP3.
func (s *stress) client(id int) *redis.Client {
	c := redis.NewClient(&redis.Options{
		Addr:                     s.addr,
		Protocol:                 2 + id%2,
		DisableIdentity:          true,
		PoolSize:                 1,
		PipelinePoolSize:         -1,
		MaxRetries:               -1,
		ReadTimeout:              10 * time.Second,
		WriteTimeout:             10 * time.Second,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	s.t.Cleanup(func() { c.Close() })
	return c
}

// setup returns a client for the test goroutine's own commands.
func (s *stress) setup() *redis.Client {
	s.nextID++
	return s.client(s.nextID)
}

// workers starts n workers of one kind. Each has its own client (one connection) and
// random source, and calls step until the duration has passed or a violation stopped
// the test. A step reports a violation (or an unexpected error) by returning it; the
// error should show the state that broke the invariant.
func (s *stress) workers(name string, n int, step func(ctx context.Context, c *redis.Client, rng *rand.Rand) error) *stressGroup {
	g := &stressGroup{name: name}
	s.groups = append(s.groups, g)
	if s.deadline.IsZero() {
		s.deadline = time.Now().Add(*stressDuration)
	}
	for w := 0; w < n; w++ {
		s.nextID++
		id := s.nextID
		c := s.client(id)
		rng := rand.New(rand.NewPCG(s.seed, uint64(id)))
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			ctx := context.Background()
			for !s.stopped.Load() && time.Now().Before(s.deadline) {
				if err := step(ctx, c, rng); err != nil {
					s.fail("%s worker %d: %v", name, id, err)
					return
				}
				g.steps.Add(1)
			}
		}()
	}
	return g
}

// fail reports the first violation with the seed and stops every worker.
func (s *stress) fail(format string, args ...any) {
	s.stopped.Store(true)
	s.failOnce.Do(func() {
		s.t.Errorf("seed %d: %s", s.seed, fmt.Sprintf(format, args...))
	})
}

// wait waits for every worker and checks that each kind made progress. It returns
// false when the test has failed, so that final checks are skipped.
func (s *stress) wait() bool {
	s.t.Helper()
	s.wg.Wait()
	var counts []string
	for _, g := range s.groups {
		counts = append(counts, fmt.Sprintf("%s=%d", g.name, g.steps.Load()))
	}
	s.t.Logf("steps: %s", strings.Join(counts, " "))
	if s.t.Failed() {
		return false
	}
	for _, g := range s.groups {
		if g.steps.Load() == 0 {
			s.t.Errorf("no %s step completed in %v", g.name, *stressDuration)
		}
	}
	return !s.t.Failed()
}

// stressKeys returns n key names prefix0, prefix1, ... Many distinct names without a
// hash tag spread over every shard.
func stressKeys(prefix string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = prefix + strconv.Itoa(i)
	}
	return keys
}

// shuffled returns the keys in a random order, so that concurrent multi-key commands
// name the same keys in different orders (a coordinator must not deadlock on that).
func shuffled(rng *rand.Rand, keys []string) []string {
	out := append([]string(nil), keys...)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// pairsOf interleaves keys with values for MSET.
func pairsOf(keys []string, value func(i int) string) []any {
	out := make([]any, 0, 2*len(keys))
	for i, k := range keys {
		out = append(out, k, value(i))
	}
	return out
}

// showMGet renders an MGET reply as key=value pairs.
func showMGet(keys []string, vals []any) string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		if i < len(vals) && vals[i] != nil {
			fmt.Fprintf(&b, "%s=%v", k, vals[i])
		} else {
			fmt.Fprintf(&b, "%s=nil", k)
		}
	}
	return b.String()
}

// Invariant 1: concurrent MSETs of the same 16 keys, each writing one value to all of
// them, and MGETs of all 16: every MGET sees one MSET entirely, never a mix.
func TestStressMSetMGetAllOrNothing(t *testing.T) {
	s := newStress(t)
	ctx := context.Background()
	keys := stressKeys("mset:", 16)
	if err := s.setup().MSet(ctx, pairsOf(keys, func(int) string { return "initial" })...).Err(); err != nil {
		t.Fatal(err)
	}
	var msetID atomic.Int64
	s.workers("MSET", 4, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
		v := "v" + strconv.FormatInt(msetID.Add(1), 10)
		return c.MSet(ctx, pairsOf(shuffled(rng, keys), func(int) string { return v })...).Err()
	})
	s.workers("MGET", 8, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
		order := shuffled(rng, keys)
		vals, err := c.MGet(ctx, order...).Result()
		if err != nil {
			return err
		}
		for i := range vals {
			if vals[i] == nil || vals[i] != vals[0] {
				return fmt.Errorf("MGET saw a partial MSET: %s", showMGet(order, vals))
			}
		}
		return nil
	})
	s.wait()
}

// Invariant 2: MULTI/EXEC transfers between 8 accounts (DECRBY one, INCRBY another)
// from many clients, while others read every account with MGET or with GETs inside
// MULTI/EXEC: every read sums to the total, and at the end each account holds its
// initial balance plus the transfers that EXEC confirmed.
func TestStressTransfersKeepTheTotal(t *testing.T) {
	s := newStress(t)
	ctx := context.Background()
	const initial = 1000
	accounts := stressKeys("acct:", 8)
	total := int64(initial * len(accounts))
	setup := s.setup()
	if err := setup.MSet(ctx, pairsOf(accounts, func(int) string { return strconv.Itoa(initial) })...).Err(); err != nil {
		t.Fatal(err)
	}
	var delta [8]atomic.Int64 // confirmed change of each account
	sum := func(vals []any) (int64, error) {
		var n int64
		for _, v := range vals {
			str, ok := v.(string)
			if !ok {
				return 0, fmt.Errorf("not a balance: %v", v)
			}
			x, err := strconv.ParseInt(str, 10, 64)
			if err != nil {
				return 0, err
			}
			n += x
		}
		return n, nil
	}
	s.workers("transfer", 6, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
		from := rng.IntN(len(accounts))
		to := (from + 1 + rng.IntN(len(accounts)-1)) % len(accounts)
		amount := int64(1 + rng.IntN(100))
		var dec, inc *redis.IntCmd
		_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			dec = p.DecrBy(ctx, accounts[from], amount)
			inc = p.IncrBy(ctx, accounts[to], amount)
			return nil
		})
		if err != nil {
			return fmt.Errorf("MULTI; DECRBY %s %d; INCRBY %s %d; EXEC: %w", accounts[from], amount, accounts[to], amount, err)
		}
		if dec.Err() != nil || inc.Err() != nil {
			return fmt.Errorf("transfer: DECRBY %v, INCRBY %v", dec.Err(), inc.Err())
		}
		delta[from].Add(-amount)
		delta[to].Add(amount)
		return nil
	})
	s.workers("MGET", 4, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
		order := shuffled(rng, accounts)
		vals, err := c.MGet(ctx, order...).Result()
		if err != nil {
			return err
		}
		n, err := sum(vals)
		if err != nil || n != total {
			return fmt.Errorf("MGET sums to %d (%v), want %d: %s", n, err, total, showMGet(order, vals))
		}
		return nil
	})
	s.workers("MULTI GET", 2, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
		order := shuffled(rng, accounts)
		gets := make([]*redis.StringCmd, len(order))
		if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range order {
				gets[i] = p.Get(ctx, k)
			}
			return nil
		}); err != nil {
			return fmt.Errorf("MULTI; GET...; EXEC: %w", err)
		}
		vals := make([]any, len(gets))
		for i, g := range gets {
			vals[i] = g.Val()
		}
		n, err := sum(vals)
		if err != nil || n != total {
			return fmt.Errorf("GETs inside MULTI/EXEC sum to %d (%v), want %d: %s", n, err, total, showMGet(order, vals))
		}
		return nil
	})
	if !s.wait() {
		return
	}
	vals, err := setup.MGet(ctx, accounts...).Result()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		if want := strconv.FormatInt(initial+delta[i].Load(), 10); v != want {
			t.Errorf("seed %d: after the run %s = %v, want %s (initial %d plus the confirmed transfers): %s",
				s.seed, accounts[i], v, want, initial, showMGet(accounts, vals))
		}
	}
}

// Invariant 3: one writer per group of 8 keys MSETs them all to generation 1, 2, 3, ...
// in turn. Once a reader has seen generation g on any key of a group, no later GET of
// any key of that group, on the same connection or on another of its connections,
// returns an older generation.
func TestStressMSetSeenEverywhere(t *testing.T) {
	s := newStress(t)
	ctx := context.Background()
	const groups = 4
	keys := make([][]string, groups)
	setup := s.setup()
	for g := range keys {
		keys[g] = stressKeys(fmt.Sprintf("gen:g%d:k", g), 8)
		if err := setup.MSet(ctx, pairsOf(keys[g], func(int) string { return "0" })...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for g := 0; g < groups; g++ {
		gen := 0
		s.workers(fmt.Sprintf("MSET g%d", g), 1, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
			gen++
			v := strconv.Itoa(gen)
			return c.MSet(ctx, pairsOf(shuffled(rng, keys[g]), func(int) string { return v })...).Err()
		})
	}
	// Each reader has a second connection (likely on another event loop) and keeps
	// what it has seen across steps.
	const readers = 8
	type readerState struct {
		other    *redis.Client
		seen     [groups]int
		seenFrom [groups]string
	}
	spare := make(chan *redis.Client, readers)
	for range readers {
		spare <- s.setup()
	}
	var mu sync.Mutex
	states := map[*redis.Client]*readerState{}
	s.workers("GET", readers, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
		mu.Lock()
		st := states[c]
		if st == nil {
			st = &readerState{other: <-spare}
			states[c] = st
		}
		mu.Unlock()
		for range 16 {
			g := rng.IntN(groups)
			k := keys[g][rng.IntN(len(keys[g]))]
			conn, which := c, "same connection"
			if rng.IntN(4) == 0 {
				conn, which = st.other, "other connection"
			}
			v, err := conn.Get(ctx, k).Result()
			if err != nil {
				return fmt.Errorf("GET %s: %w", k, err)
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("GET %s = %q", k, v)
			}
			if n < st.seen[g] {
				return fmt.Errorf("GET %s (%s) = generation %d after %s had shown generation %d of the same MSETs",
					k, which, n, st.seenFrom[g], st.seen[g])
			}
			if n > st.seen[g] {
				st.seen[g], st.seenFrom[g] = n, "GET "+k
			}
		}
		return nil
	})
	s.wait()
}

// Invariant 4: optimistic increments (WATCH; GET; MULTI; SET v+1; EXEC, retried when
// EXEC answers nil) from many clients on 4 keys, one or two keys per transaction: no
// update is lost, each key ends at the number of EXECs that succeeded on it.
func TestStressWatchIncrementsLoseNothing(t *testing.T) {
	s := newStress(t)
	ctx := context.Background()
	keys := stressKeys("opt:", 4)
	setup := s.setup()
	if err := setup.MSet(ctx, pairsOf(keys, func(int) string { return "0" })...).Err(); err != nil {
		t.Fatal(err)
	}
	var committed [4]atomic.Int64
	var conflicts atomic.Int64
	s.workers("WATCH/EXEC", 8, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
		picked := []int{rng.IntN(len(keys))}
		if rng.IntN(2) == 0 {
			picked = append(picked, (picked[0]+1+rng.IntN(len(keys)-1))%len(keys))
		}
		names := make([]string, len(picked))
		for i, p := range picked {
			names[i] = keys[p]
		}
		err := c.Watch(ctx, func(tx *redis.Tx) error {
			vals := make([]int, len(names))
			for i, k := range names {
				n, err := tx.Get(ctx, k).Int()
				if err != nil {
					return fmt.Errorf("GET %s: %w", k, err)
				}
				vals[i] = n
			}
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				for i, k := range names {
					p.Set(ctx, k, vals[i]+1, 0)
				}
				return nil
			})
			return err
		}, names...)
		switch {
		case errors.Is(err, redis.TxFailedErr):
			conflicts.Add(1)
			return nil
		case err != nil:
			return fmt.Errorf("WATCH %v ... EXEC: %w", names, err)
		}
		for _, p := range picked {
			committed[p].Add(1)
		}
		return nil
	})
	if !s.wait() {
		return
	}
	t.Logf("%d EXECs answered nil (a watched key had changed)", conflicts.Load())
	vals, err := setup.MGet(ctx, keys...).Result()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		if want := strconv.FormatInt(committed[i].Load(), 10); v != want {
			t.Errorf("seed %d: %s = %v after %s successful EXECs that incremented it: updates were lost or invented",
				s.seed, keys[i], v, want)
		}
	}
}

// Invariant 5: clients RENAME (or RENAMENX) a value back and forth between the two keys
// of a pair, 4 pairs, while readers check each pair with one EXISTS and one MGET: at
// every moment exactly one key of a pair exists and holds the payload. At the end the
// payload still has its TTL.
func TestStressRenamePingPong(t *testing.T) {
	s := newStress(t)
	ctx := context.Background()
	const pairs = 4
	type pair struct{ a, b, payload string }
	ps := make([]pair, pairs)
	setup := s.setup()
	for i := range ps {
		ps[i] = pair{fmt.Sprintf("ping:%d", i), fmt.Sprintf("pong:%d", i), fmt.Sprintf("payload %d", i)}
		if err := setup.Set(ctx, ps[i].a, ps[i].payload, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var renamed atomic.Int64
	s.workers("RENAME", 12, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
		p := ps[rng.IntN(pairs)]
		src, dst := p.a, p.b
		if rng.IntN(2) == 0 {
			src, dst = dst, src
		}
		var err error
		if rng.IntN(3) == 0 {
			var ok bool
			ok, err = c.RenameNX(ctx, src, dst).Result()
			if err == nil && !ok {
				// The source existed, so the destination did not: RENAMENX must succeed.
				return fmt.Errorf("RENAMENX %s %s answered 0: both keys existed", src, dst)
			}
		} else {
			err = c.Rename(ctx, src, dst).Err()
		}
		switch {
		case err == nil:
			renamed.Add(1)
		case err.Error() != "ERR no such key": // the value is on the other side: fine
			return fmt.Errorf("RENAME %s %s: %w", src, dst, err)
		}
		return nil
	})
	s.workers("EXISTS/MGET", 4, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
		p := ps[rng.IntN(pairs)]
		n, err := c.Exists(ctx, p.a, p.b).Result()
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("EXISTS %s %s = %d, want 1", p.a, p.b, n)
		}
		vals, err := c.MGet(ctx, p.a, p.b).Result()
		if err != nil {
			return err
		}
		if !((vals[0] == p.payload && vals[1] == nil) || (vals[0] == nil && vals[1] == p.payload)) {
			return fmt.Errorf("MGET saw %s, want the payload %q in exactly one key", showMGet([]string{p.a, p.b}, vals), p.payload)
		}
		return nil
	})
	if !s.wait() {
		return
	}
	t.Logf("%d renames succeeded", renamed.Load())
	for _, p := range ps {
		vals, err := setup.MGet(ctx, p.a, p.b).Result()
		if err != nil {
			t.Fatal(err)
		}
		var holder string
		switch {
		case vals[0] == p.payload && vals[1] == nil:
			holder = p.a
		case vals[0] == nil && vals[1] == p.payload:
			holder = p.b
		default:
			t.Errorf("seed %d: after the run MGET saw %s, want %q in exactly one key", s.seed, showMGet([]string{p.a, p.b}, vals), p.payload)
			continue
		}
		if ttl := setup.TTL(ctx, holder).Val(); ttl <= 0 || ttl > time.Hour {
			t.Errorf("seed %d: after the run TTL %s = %v, want the hour set at the start", s.seed, holder, ttl)
		}
	}
}

// Global commands fan out to every shard, and must still see every MSET and DEL whole:
// writers MSET 8 fresh keys per generation (km:wW:G:0..7) and DEL the generation before
// the previous one, while readers run KEYS km:*, KEYS of one recent generation and
// DBSIZE: each generation shows 0 or 8 keys, DBSIZE is a multiple of 8.
func TestStressKeysSeeWholeMSets(t *testing.T) {
	s := newStress(t)
	const writers, perGen = 4, 8
	var latest [writers]atomic.Int64
	gen := func(w int, g int64) []string {
		return stressKeys(fmt.Sprintf("km:w%d:%d:", w, g), perGen)
	}
	for me := 0; me < writers; me++ {
		var g int64
		s.workers(fmt.Sprintf("MSET/DEL w%d", me), 1, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
			g++
			if err := c.MSet(ctx, pairsOf(shuffled(rng, gen(me, g)), func(i int) string { return strconv.Itoa(i) })...).Err(); err != nil {
				return err
			}
			latest[me].Store(g)
			if g > 2 {
				if n, err := c.Del(ctx, shuffled(rng, gen(me, g-2))...).Result(); err != nil || n != perGen {
					return fmt.Errorf("DEL of generation %d deleted %d keys (%v), want %d", g-2, n, err, perGen)
				}
			}
			return nil
		})
	}
	s.workers("KEYS km:*", 2, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
		all, err := c.Keys(ctx, "km:*").Result()
		if err != nil {
			return err
		}
		count := map[string]int{}
		for _, k := range all {
			count[k[:strings.LastIndexByte(k, ':')]]++
		}
		var partial []string
		for prefix, n := range count {
			if n != perGen {
				partial = append(partial, fmt.Sprintf("%s:* has %d keys", prefix, n))
			}
		}
		if len(partial) > 0 {
			sort.Strings(partial)
			return fmt.Errorf("KEYS km:* saw partial MSETs or DELs: %s", strings.Join(partial, ", "))
		}
		return nil
	})
	s.workers("KEYS one generation", 2, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
		me := rng.IntN(writers)
		g := latest[me].Load() + int64(rng.IntN(3)) - 1 // the one being written, done or deleted
		pattern := fmt.Sprintf("km:w%d:%d:*", me, g)
		got, err := c.Keys(ctx, pattern).Result()
		if err != nil {
			return err
		}
		if len(got) != 0 && len(got) != perGen {
			sort.Strings(got)
			return fmt.Errorf("KEYS %s returned %d keys, want 0 or %d: %v", pattern, len(got), perGen, got)
		}
		return nil
	})
	s.workers("DBSIZE", 2, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
		n, err := c.DBSize(ctx).Result()
		if err != nil {
			return err
		}
		if n%perGen != 0 {
			return fmt.Errorf("DBSIZE = %d, not a multiple of %d: it saw part of an MSET or a DEL", n, perGen)
		}
		return nil
	})
	s.wait()
}

// Invariant 7: pipelines of multi-shard commands (MSET, MGET, DEL, EXISTS), which run
// concurrently on one connection. Shared keys: each MSET, DEL and MGET stays
// all-or-nothing, and nothing deadlocks although every pipeline's writes hold claims
// until their replies' turn. Private keys: a connection reads its own pipelined writes
// in order.
func TestStressPipelinedMultiShard(t *testing.T) {
	s := newStress(t)
	shared := stressKeys("pipe:", 12)
	var msetID atomic.Int64
	allOrNothing := func(keys []string, vals []any) error {
		for i := range vals {
			if vals[i] != vals[0] {
				return fmt.Errorf("MGET in a pipeline saw a partial write: %s", showMGet(keys, vals))
			}
		}
		return nil
	}
	s.workers("shared", 6, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
		p := c.Pipeline()
		type read struct {
			keys []string
			cmd  *redis.SliceCmd
		}
		var reads []read
		var counts []*redis.IntCmd
		for range 4 + rng.IntN(12) {
			switch keys := shuffled(rng, shared); rng.IntN(4) {
			case 0, 1:
				v := "v" + strconv.FormatInt(msetID.Add(1), 10)
				p.MSet(ctx, pairsOf(keys, func(int) string { return v })...)
			case 2:
				reads = append(reads, read{keys, p.MGet(ctx, keys...)})
			default:
				if rng.IntN(2) == 0 {
					counts = append(counts, p.Del(ctx, keys...))
				} else {
					counts = append(counts, p.Exists(ctx, keys...))
				}
			}
		}
		if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		for _, r := range reads {
			if err := allOrNothing(r.keys, r.cmd.Val()); err != nil {
				return err
			}
		}
		for _, n := range counts {
			if v := n.Val(); v != 0 && v != int64(len(shared)) {
				return fmt.Errorf("%v = %d: a partial MSET or DEL", n.Args()[0], v)
			}
		}
		return nil
	})
	var round atomic.Int64
	s.workers("private", 4, func(ctx context.Context, c *redis.Client, rng *rand.Rand) error {
		own := stressKeys(fmt.Sprintf("own:%d:", round.Add(1)), 6)
		p := c.Pipeline()
		var want []string
		var got []*redis.SliceCmd
		for i := range 8 {
			v := strconv.Itoa(i)
			p.MSet(ctx, pairsOf(own, func(int) string { return v })...)
			got = append(got, p.MGet(ctx, own...))
			want = append(want, v)
			if rng.IntN(3) == 0 {
				p.Del(ctx, own...)
				got = append(got, p.MGet(ctx, own...))
				want = append(want, "")
			}
		}
		if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		for i, cmd := range got {
			for _, v := range cmd.Val() {
				if (want[i] == "" && v != nil) || (want[i] != "" && v != want[i]) {
					return fmt.Errorf("read %d of the pipeline: MGET = %s, want every key %q", i, showMGet(own, cmd.Val()), want[i])
				}
			}
		}
		return c.Del(ctx, own...).Err()
	})
	s.wait()
}
