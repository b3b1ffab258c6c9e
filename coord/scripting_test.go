package coord_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/basaltdb/basalt/coord"
)

// scriptClient is a one-connection client that never retries (a retried script could
// apply twice).
func scriptClient(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{
		Addr: addr, DisableIdentity: true, PoolSize: 1, MaxRetries: -1,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// transferScript moves ARGV[1] units from KEYS[1] to KEYS[2] if KEYS[1] has them.
const transferScript = `
local from = tonumber(redis.call('get', KEYS[1]) or '0')
local amount = tonumber(ARGV[1])
if from < amount then return 0 end
redis.call('decrby', KEYS[1], amount)
redis.call('incrby', KEYS[2], amount)
return 1`

// sumScript reads every key it is given and returns the total.
const sumScript = `
local total = 0
for _, k in ipairs(KEYS) do total = total + tonumber(redis.call('get', k) or '0') end
return total`

// Many clients run read-modify-write scripts over keys on different shards while
// others read all of them in one script: no update is lost and no reader ever sees a
// transfer half done.
func TestScriptTransfersKeepTheTotal(t *testing.T) {
	addr := startBasalt(t, 4)
	ctx := context.Background()
	setup := scriptClient(t, addr)
	const accounts, initial = 16, 100
	keys := make([]string, accounts)
	for i := range keys {
		keys[i] = fmt.Sprintf("acct:%d", i)
		if err := setup.Set(ctx, keys[i], initial, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := 0; w < 6; w++ {
		c := scriptClient(t, addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				a, b := keys[(w*7+i)%accounts], keys[(w*3+i*5+1)%accounts]
				if a == b {
					continue
				}
				if err := c.Eval(ctx, transferScript, []string{a, b}, 1+i%3).Err(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for r := 0; r < 2; r++ {
		c := scriptClient(t, addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				total, err := c.Eval(ctx, sumScript, keys).Int()
				if err != nil {
					errs <- err
					return
				}
				if total != accounts*initial {
					errs <- fmt.Errorf("a script saw a total of %d, want %d", total, accounts*initial)
					return
				}
				vals, err := c.MGet(ctx, keys...).Result()
				if err != nil {
					errs <- err
					return
				}
				sum := 0
				for _, v := range vals {
					var n int
					fmt.Sscan(v.(string), &n)
					sum += n
				}
				if sum != accounts*initial {
					errs <- fmt.Errorf("MGET saw a total of %d, want %d", sum, accounts*initial)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// Concurrent increments through a script lose no update, whether the script declares
// its key or reaches an undeclared one.
func TestScriptIncrementsAreNotLost(t *testing.T) {
	addr := startBasalt(t, 4)
	ctx := context.Background()
	const workers, each = 4, 150
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		c := scriptClient(t, addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				v := c.Eval(ctx, "local v = tonumber(redis.call('get', KEYS[1]) or '0') redis.call('set', KEYS[1], v + 1) return v", []string{"declared"})
				u := c.Eval(ctx, "local v = tonumber(redis.call('get', 'undeclared:'..ARGV[1]) or '0') redis.call('set', 'undeclared:'..ARGV[1], v + 1) return v", nil, "x")
				if v.Err() != nil || u.Err() != nil {
					errs <- fmt.Errorf("%v %v", v.Err(), u.Err())
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c := scriptClient(t, addr)
	for _, k := range []string{"declared", "undeclared:x"} {
		if n, _ := c.Get(ctx, k).Int(); n != workers*each {
			t.Errorf("%s = %d, want %d", k, n, workers*each)
		}
	}
}

// A script that ran once with only declared keys claims just those; when it later
// touches another key before writing, it restarts claiming every shard, invisibly.
func TestScriptUndeclaredKeyRestarts(t *testing.T) {
	addr := startBasalt(t, 4)
	ctx := context.Background()
	c := scriptClient(t, addr)
	script := "if ARGV[1] == 'other' then redis.call('set', 'elsewhere', 1) end return redis.call('incr', KEYS[1])"
	for i, arg := range []string{"plain", "plain", "other", "plain"} {
		n, err := c.Eval(ctx, script, []string{"mine"}, arg).Int()
		if err != nil || n != i+1 {
			t.Fatalf("run %d: %d, %v", i, n, err)
		}
	}
	if v, _ := c.Get(ctx, "elsewhere").Result(); v != "1" {
		t.Fatalf("elsewhere = %q", v)
	}
	// An undeclared key after a write fails that one run, then the script works.
	after := "redis.call('incr', KEYS[1]) if ARGV[1] == 'other' then redis.call('set', 'elsewhere2', 1) end return 1"
	for _, arg := range []string{"plain", "plain"} {
		if err := c.Eval(ctx, after, []string{"mine2"}, arg).Err(); err != nil {
			t.Fatal(err)
		}
	}
	err := c.Eval(ctx, after, []string{"mine2"}, "other").Err()
	if err == nil || !strings.Contains(err.Error(), "did not declare") {
		t.Fatalf("undeclared key after a write: %v", err)
	}
	if err := c.Eval(ctx, after, []string{"mine2"}, "other").Err(); err != nil {
		t.Fatalf("next run: %v", err)
	}
}

// A job queue in the style of common Redis job libraries: enqueue, claim with a lease,
// acknowledge; keys share a hash tag or not, as real deployments do.
func TestScriptJobQueue(t *testing.T) {
	addr := startBasalt(t, 4)
	ctx := context.Background()
	c := scriptClient(t, addr)
	enqueue := redis.NewScript(`
local id = redis.call('incr', KEYS[1])
redis.call('hset', KEYS[2] .. id, 'payload', ARGV[1], 'state', 'waiting')
redis.call('rpush', KEYS[3], id)
return id`)
	claim := redis.NewScript(`
local id = redis.call('lpop', KEYS[1])
if not id then return false end
redis.call('zadd', KEYS[2], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
redis.call('hset', KEYS[3] .. id, 'state', 'active')
return {id, redis.call('hget', KEYS[3] .. id, 'payload')}`)
	ack := redis.NewScript(`
if redis.call('zrem', KEYS[1], ARGV[1]) == 0 then return redis.error_reply('job not active') end
redis.call('hset', KEYS[2] .. ARGV[1], 'state', 'done')
return redis.status_reply('OK')`)
	for i := 0; i < 5; i++ {
		if err := enqueue.Run(ctx, c, []string{"q:seq", "q:job:", "q:wait"}, fmt.Sprintf("job-%d", i)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5; i++ {
		res, err := claim.Run(ctx, c, []string{"q:wait", "q:active", "q:job:"}, 1000, 30).Slice()
		if err != nil {
			t.Fatal(err)
		}
		if res[1] != fmt.Sprintf("job-%d", i) {
			t.Fatalf("claimed %v", res)
		}
		if err := ack.Run(ctx, c, []string{"q:active", "q:job:"}, res[0]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := claim.Run(ctx, c, []string{"q:wait", "q:active", "q:job:"}, 1000, 30).Err(); err != redis.Nil {
		t.Fatalf("empty queue: %v", err)
	}
	if err := ack.Run(ctx, c, []string{"q:active", "q:job:"}, "1").Err(); err == nil || err.Error() != "job not active" {
		t.Fatalf("double ack: %v", err)
	}
	if st, _ := c.HGet(ctx, "q:job:3", "state").Result(); st != "done" {
		t.Fatalf("state %q", st)
	}
}

// A sliding-window rate limiter in the style of common libraries, by EVALSHA.
func TestScriptRateLimiter(t *testing.T) {
	addr := startBasalt(t, 4)
	ctx := context.Background()
	c := scriptClient(t, addr)
	limiter := redis.NewScript(`
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('zremrangebyscore', key, '-inf', now - window)
local count = redis.call('zcard', key)
if count >= limit then return {0, count} end
redis.call('zadd', key, now, ARGV[4])
redis.call('pexpire', key, window)
return {1, count + 1}`)
	allowed := 0
	for i := 0; i < 8; i++ {
		res, err := limiter.Run(ctx, c, []string{"rl:user"}, 1000+i, 100, 5, fmt.Sprint(i)).Int64Slice()
		if err != nil {
			t.Fatal(err)
		}
		allowed += int(res[0])
	}
	if allowed != 5 {
		t.Fatalf("allowed %d of 8, want 5", allowed)
	}
	res, err := limiter.Run(ctx, c, []string{"rl:user"}, 1200, 100, 5, "late").Int64Slice()
	if err != nil || res[0] != 1 {
		t.Fatalf("after the window: %v %v", res, err)
	}
}

// SCRIPT KILL stops a read-only script; the killed client gets an error and the
// server keeps serving.
func TestScriptKill(t *testing.T) {
	addr := startBasalt(t, 2)
	ctx := context.Background()
	c := scriptClient(t, addr)
	admin := scriptClient(t, addr)
	if err := admin.ScriptKill(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOTBUSY") {
		t.Fatalf("kill with nothing running: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Eval(ctx, "while true do end", nil).Err() }()
	var err error
	for i := 0; i < 100; i++ {
		time.Sleep(20 * time.Millisecond)
		if err = admin.ScriptKill(ctx).Err(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("SCRIPT KILL: %v", err)
	}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("killed script: %v", err)
	}
	// A script that wrote cannot be killed.
	go func() {
		done <- c.Eval(ctx, "redis.call('set', KEYS[1], 1) local t0 = tonumber(redis.call('time')[1]) while tonumber(redis.call('time')[1]) - t0 < 2 do end return 1", []string{"w"}).Err()
	}()
	time.Sleep(100 * time.Millisecond)
	if err := admin.ScriptKill(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "UNKILLABLE") {
		t.Fatalf("kill of a writing script: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Scripts inside MULTI/EXEC run under EXEC's claims.
func TestScriptInsideExec(t *testing.T) {
	addr := startBasalt(t, 4)
	ctx := context.Background()
	c := scriptClient(t, addr)
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "a", 1, 0)
		p.Eval(ctx, "return redis.call('incr', KEYS[1]) + redis.call('incr', 'b')", []string{"a"})
		p.Get(ctx, "b")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := cmds[1].(*redis.Cmd).Int(); n != 3 {
		t.Fatalf("eval in exec: %v", cmds[1])
	}
}

// REDIS_VERSION (Redis 7.2, so not in the differential corpus) and the log levels.
func TestScriptRedisVersion(t *testing.T) {
	addr := startBasalt(t, 1)
	ctx := context.Background()
	c := scriptClient(t, addr)
	v, err := c.Eval(ctx, "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM, redis.LOG_WARNING}", nil).Slice()
	if err != nil || len(v) != 3 || !strings.HasPrefix(v[0].(string), "7.") || v[2].(int64) != 3 {
		t.Fatalf("%v %v", v, err)
	}
	if err := c.Eval(ctx, "return 1 +", nil).Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR Error compiling script (new function): user_script:1:") {
		t.Fatalf("compile error: %v", err)
	}
}

// BenchmarkEvalshaGetIncrExpire is the small script of the performance comparison.
func BenchmarkEvalshaGetIncrExpire(b *testing.B) {
	addr := startBasalt(b, 2)
	ctx := context.Background()
	c := scriptClient(b, addr)
	s := redis.NewScript("redis.call('get', KEYS[1]) local n = redis.call('incr', KEYS[1]) redis.call('expire', KEYS[1], 100) return n")
	if err := s.Run(ctx, c, []string{"bench"}).Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.EvalSha(ctx, c, []string{"bench"}).Err(); err != nil {
			b.Fatal(err)
		}
	}
}

// Past busy-reply-threshold, other clients get BUSY until the script is killed.
func TestScriptBusyReply(t *testing.T) {
	addr := startBasalt(t, 2)
	ctx := context.Background()
	c := scriptClient(t, addr)
	other := scriptClient(t, addr)
	if err := other.ConfigSet(ctx, "lua-time-limit", "100").Err(); err != nil {
		t.Fatal(err)
	}
	if v, _ := other.ConfigGet(ctx, "busy-reply-threshold").Result(); v["busy-reply-threshold"] != "100" {
		t.Fatalf("CONFIG GET: %v", v)
	}
	done := make(chan error, 1)
	go func() { done <- c.Eval(ctx, "while true do end", nil).Err() }()
	time.Sleep(300 * time.Millisecond)
	if err := other.Get(ctx, "x").Err(); err == nil || err.Error() != "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE." {
		t.Fatalf("GET during a busy script: %v", err)
	}
	if err := other.ScriptKill(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("killed script succeeded")
	}
	if err := other.Get(ctx, "x").Err(); err != redis.Nil {
		t.Fatalf("GET after kill: %v", err)
	}
}

// A script's writes are logged as one MULTI ... EXEC block (a single write alone), on
// the single-shard fast path and across shards, and replaying the AOF rebuilds them.
func TestScriptAOFBlocks(t *testing.T) {
	ctx := context.Background()
	var dir string
	srv, addr := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 3; cfg.AppendOnly = true; dir = cfg.Dir })
	c := scriptClient(t, addr)
	several := "for i, k in ipairs(KEYS) do redis.call('set', k, ARGV[1]) redis.call('incr', k .. ':n') end return #KEYS"
	// One shard (a hash tag), twice so that the second run takes the fast path.
	for _, v := range []string{"1", "2"} {
		if err := c.Eval(ctx, several, []string{"{t}a", "{t}b"}, v).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Keys on several shards, and keys the script did not declare.
	if err := c.Eval(ctx, several, []string{"x", "y", "z", "w"}, "3").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Eval(ctx, "redis.call('set', 'undeclared', 'u') redis.call('sadd', 's', 'a', 'b') return 1", nil).Err(); err != nil {
		t.Fatal(err)
	}
	// One write: no block. A read-only script: nothing.
	if err := c.Eval(ctx, "return redis.call('set', KEYS[1], 'single')", []string{"one"}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Eval(ctx, "return redis.call('get', KEYS[1])", []string{"one"}).Err(); err != nil {
		t.Fatal(err)
	}
	want := dataset(t, addr, true)
	srv.Stop()
	checkAOF(t, dir)
	incr, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof"))
	if err != nil {
		t.Fatal(err)
	}
	log := string(incr)
	if n := strings.Count(log, "MULTI\r\n"); n != 4 || strings.Count(log, "EXEC\r\n") != 4 {
		t.Errorf("want 4 MULTI/EXEC blocks, the AOF has %d:\n%q", n, log)
	}
	// The writes of one script are contiguous inside their block.
	if i := strings.Index(log, "MULTI"); i < 0 || !strings.Contains(log[i:], "$4\r\n{t}a\r\n") {
		t.Errorf("the first block does not hold the script's writes:\n%q", log)
	}
	_, addr2 := startBasaltWith(t, func(cfg *coord.Config) { cfg.Threads = 2; cfg.AppendOnly = true; cfg.Dir = dir })
	sameDataset(t, "Basalt replaying scripts from its AOF", want, dataset(t, addr2, true))
}

// A long script on the single-shard fast path moves off its loop at
// busy-reply-threshold, so a client of that same loop (with one thread, every client)
// gets BUSY and can SCRIPT KILL it.
func TestScriptBusySameLoop(t *testing.T) {
	addr := startBasalt(t, 1)
	ctx := context.Background()
	c := scriptClient(t, addr)
	other := scriptClient(t, addr)
	if err := other.ConfigSet(ctx, "busy-reply-threshold", "100").Err(); err != nil {
		t.Fatal(err)
	}
	src := "if ARGV[1] == 'spin' then while true do end end return redis.call('get', KEYS[1])"
	// The first run learns that the script keeps to its keys: the next takes the fast path.
	if err := c.Eval(ctx, src, []string{"k"}, "once").Err(); err != redis.Nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Eval(ctx, src, []string{"k"}, "spin").Err() }()
	time.Sleep(400 * time.Millisecond)
	if err := other.Get(ctx, "x").Err(); err == nil || !strings.HasPrefix(err.Error(), "BUSY") {
		t.Fatalf("GET from the script's loop: %v", err)
	}
	if err := other.ScriptKill(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "killed by user") {
		t.Fatalf("killed script: %v", err)
	}
	if err := other.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Eval(ctx, src, []string{"k"}, "again").Text(); err != nil || v != "v" {
		t.Fatalf("script after the kill: %q %v", v, err)
	}
}

// A script's time is EVAL's in INFO commandstats and the slow log, as in Redis, though
// it runs after EVAL's dispatch returned; the Lua between two calls is not the calls'.
func TestScriptCallsTimedAlone(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, startBasalt(t, 1))
	c.ConfigResetStat(ctx)
	c.ConfigSet(ctx, "slowlog-log-slower-than", "1000")
	script := "redis.call('set', KEYS[1], '1') local t = 0 for i = 1, 500000 do t = t + i end " +
		"redis.call('set', KEYS[1], '2') return t"
	if err := c.Eval(ctx, script, []string{"k"}).Err(); err != nil {
		t.Fatal(err)
	}
	stats := c.Info(ctx, "commandstats").Val()
	usec := func(cmd string) int64 {
		_, rest, ok := strings.Cut(stats, "cmdstat_"+cmd+":")
		if !ok {
			t.Fatalf("no cmdstat_%s in %s", cmd, stats)
		}
		_, rest, _ = strings.Cut(rest, "usec=")
		var n int64
		fmt.Sscan(strings.SplitN(rest, ",", 2)[0], &n)
		return n
	}
	set, eval := usec("set"), usec("eval")
	if eval < 1000 {
		t.Fatalf("the script's loop took %d us: too short to tell", eval)
	}
	if set*4 > eval {
		t.Errorf("two SETs from the script took %d us of the script's %d us", set, eval)
	}
	if n := c.SlowLogGet(ctx, 10).Val(); len(n) == 0 || n[0].Args[0] != "eval" {
		t.Errorf("the slow log (threshold 1 ms) misses a script of %d us: %v", eval, n)
	}
}

// Connection-side commands (PUBLISH, ECHO) that EXEC or a script runs count in INFO
// commandstats as the shard-side ones do, as in redis-server.
func TestCommandstatsCountTransactionAndScriptCalls(t *testing.T) {
	ctx := context.Background()
	for name, addr := range map[string]string{"redis": startRedis(t), "basalt": startBasalt(t, 2)} {
		t.Run(name, func(t *testing.T) {
			c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
			defer c.Close()
			c.ConfigResetStat(ctx)
			if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "a", "1", 0)
				p.Publish(ctx, "ch", "x")
				p.Echo(ctx, "e")
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			script := "redis.call('set','{a}b','1'); redis.call('publish','ch','y'); return redis.call('echo','z')"
			if err := c.Eval(ctx, script, nil).Err(); err != nil {
				t.Fatal(err)
			}
			fields := infoFields(c.Info(ctx, "commandstats").Val())
			for _, cmd := range []string{"set", "publish", "echo"} {
				if got := fields["cmdstat_"+cmd]; !strings.HasPrefix(got, "calls=2,") {
					t.Errorf("cmdstat_%s = %q, want calls=2", cmd, got)
				}
			}
		})
	}
}

// Errors inside scripts count in INFO errorstats, total_error_replies and commandstats
// as in redis-server: a call's error (or refusal) once, when the call makes it, and the
// script's own error reply only when no call counted it already (the error tables of
// redis.call and redis.pcall carry ignore_error_stats_update). Run with two shards, so
// that calls on the other shard's key count on that loop.
func TestScriptErrorsCounted(t *testing.T) {
	lib := "#!lua name=errlib\n" +
		"redis.register_function('fail', function(keys) return redis.call('incr', keys[1]) end)\n" +
		"redis.register_function('pfail', function(keys) return redis.pcall('incr', keys[1]) end)\n" +
		"redis.register_function{function_name='ro', callback=function(keys) return redis.call('set', keys[1], 'x') end, flags={'no-writes'}}\n" +
		"redis.register_function('raise', function() error('boom') end)\n"
	cases := [][]string{
		{"EVAL", "return redis.call('select',99)", "0"},
		{"EVAL", "local t = redis.pcall('select',99) return 1", "0"},
		{"EVAL", "return redis.pcall('select',99)", "0"},
		{"EVAL", "return redis.call('select','x')", "0"},
		{"EVAL", "redis.pcall('select',99) return redis.call('select',99)", "0"},
		{"EVAL", "return redis.error_reply('MY_ERR_CODE custom msg')", "0"},
		{"EVAL", "return redis.error_reply('')", "0"},
		{"EVAL", "return {err='X boom'}", "0"},
		{"EVAL", "return {err='ERR hi', ignore_error_stats_update=true}", "0"},
		{"EVAL", "error('boom')", "0"},
		{"EVAL", "return nosuch", "0"},
		{"EVAL", "return redis.call('nosuchcmd')", "0"},
		{"EVAL", "return redis.call('config', 'nosuchsub')", "0"},
		{"EVAL", "return redis.call('get')", "0"},
		{"EVAL", "return redis.call()", "0"},
		{"EVAL", "return redis.call({})", "0"},
		{"EVAL", "return redis.call('subscribe', 'x')", "0"},
		{"EVAL_RO", "return redis.call('set',KEYS[1],'y')", "1", "strkey"},
		{"EVAL", "return redis.call('incr', KEYS[1])", "1", "strkey"},
		{"EVAL", "return redis.pcall('incr', KEYS[1])", "1", "strkey"},
		{"EVAL", "local t = redis.pcall('incr', KEYS[1]) t.err = 'X changed' return t", "1", "strkey"},
		{"EVAL", "local t = redis.pcall('hset', KEYS[1], 'f', 'v') return 1", "1", "strkey"},
		{"EVAL", "return redis.pcall('mset', 'a', 1, 'b')", "0"},
		{"EVAL", "local t = redis.pcall('select',99) local n = 0 for k in pairs(t) do n = n + 1 end return n", "0"},
		{"EVALSHA", "0000000000000000000000000000000000000000", "0"},
		{"FCALL", "fail", "1", "strkey"},
		{"FCALL", "pfail", "1", "strkey"},
		{"FCALL_RO", "ro", "1", "strkey"},
		{"FCALL", "raise", "0"},
	}
	run := func(addr string) []string {
		c := dialRaw(t, addr)
		if rep := c.do("FUNCTION", "LOAD", "REPLACE", lib); rep != "$6\r\nerrlib\r\n" {
			t.Fatalf("FUNCTION LOAD = %q", rep)
		}
		c.do("SET", "strkey", "abc")
		var out []string
		for _, args := range cases {
			c.do("CONFIG", "RESETSTAT")
			out = append(out, fmt.Sprint(args), c.do(args...))
			var lines []string
			for _, line := range strings.Split(c.do("INFO", "everything"), "\r\n") {
				switch {
				case strings.HasPrefix(line, "errorstat_"), strings.HasPrefix(line, "total_error_replies:"):
					lines = append(lines, line)
				case strings.HasPrefix(line, "cmdstat_") && !strings.HasPrefix(line, "cmdstat_config:"):
					name, rest, _ := strings.Cut(line, ":")
					calls, _, _ := strings.Cut(rest, ",")
					lines = append(lines, name+" "+calls+" "+rest[strings.Index(rest, "rejected_calls"):])
				}
			}
			sort.Strings(lines)
			out = append(out, lines...)
		}
		return out
	}
	want := run(startRedis(t))
	got := run(startBasalt(t, 2))
	for i := 0; i < max(len(want), len(got)); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Fatalf("line %d: basalt %q, redis %q\nbasalt: %q\nredis:  %q", i, g, w, got, want)
		}
	}
}
