package state

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"windowbot/bot"
	"windowbot/flows"
)

// Redis is the State for production: sessions, locks, dedupe keys and counters in one Redis that
// every replica shares. Every key is written under the prefix it was given.
type Redis struct {
	client redis.UniversalClient
	prefix string
	owned  bool
}

var _ flows.State = (*Redis)(nil)

// Lock waiting backs off from lockBackoffMin to lockBackoffMax between attempts.
const (
	lockBackoffMin = 5 * time.Millisecond
	lockBackoffMax = 100 * time.Millisecond
	// unlockTimeout bounds a release, which runs on its own context: the turn's context may have
	// ended, and the lock must still go.
	unlockTimeout = 2 * time.Second
)

// saveScript stores ARGV[2] under KEYS[1] for ARGV[3] ms only if the stored value's top-level
// "version" is ARGV[1] (0 when nothing, or nothing readable, is stored). Reading the version from
// the JSON itself keeps a session one plain value under one key.
var saveScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
local v = 0
if cur then
  local ok, obj = pcall(cjson.decode, cur)
  if ok and type(obj) == 'table' and type(obj['version']) == 'number' then
    v = obj['version']
  end
end
if v ~= tonumber(ARGV[1]) then
  return v
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return -1
`)

// unlockScript deletes KEYS[1] only while it holds this holder's token ARGV[1].
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// holdScript takes the lock KEYS[1] with token ARGV[1] for ARGV[2] ms if it is free, and then
// returns {1, session} (or {1} when KEYS[2] holds nothing); {0} while somebody else holds it.
// Lock and load in one round trip.
var holdScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {0}
end
local v = redis.call('GET', KEYS[2])
if v then
  return {1, v}
end
return {1}
`)

// commitScript ends a held turn in one round trip: with ARGV[1] "save", it stores ARGV[3] under
// KEYS[1] for ARGV[4] ms if the stored version is ARGV[2] (saveScript's check); with "delete", it
// deletes KEYS[1]. Either way it then releases the lock KEYS[2] if it still holds this holder's
// token ARGV[5]. It returns -1, or the stored version that refused the save.
var commitScript = redis.NewScript(`
local res = -1
if ARGV[1] == 'delete' then
  redis.call('DEL', KEYS[1])
else
  local cur = redis.call('GET', KEYS[1])
  local v = 0
  if cur then
    local ok, obj = pcall(cjson.decode, cur)
    if ok and type(obj) == 'table' and type(obj['version']) == 'number' then
      v = obj['version']
    end
  end
  if v ~= tonumber(ARGV[2]) then
    res = v
  else
    redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
  end
end
if redis.call('GET', KEYS[2]) == ARGV[5] then
  redis.call('DEL', KEYS[2])
end
return res
`)

// incrScript counts and starts the window on the first increment, in one step so a crash between
// the two can never leave a counter without expiry. A counter found without one gets it.
var incrScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
`)

// Redis deployments OpenRedisHA connects to.
const (
	ModeSingle   = "single"   // one server (or a proxy in front of several)
	ModeSentinel = "sentinel" // a master and its replicas, found and failed over by Sentinel
	ModeCluster  = "cluster"  // Redis Cluster: keys spread over several masters by hash slot
)

// RedisOptions names a Redis deployment that is not one URL: Sentinel or Cluster.
type RedisOptions struct {
	// Mode is ModeSingle, ModeSentinel or ModeCluster.
	Mode string
	// Addrs are host:port pairs: the sentinels in sentinel mode, some of the cluster's nodes
	// (any will do, the rest are discovered) in cluster mode, the server in single mode.
	Addrs []string
	// MasterName is the name the sentinels monitor the master under (sentinel mode).
	MasterName string
	// Username and Password authenticate to the data servers (not to the sentinels).
	Username, Password string
	// SentinelPassword authenticates to the sentinels, when they require it.
	SentinelPassword string
	// DB is the database number (not in cluster mode, which has only 0).
	DB int
}

// OpenRedisHA connects to a Redis deployment of any mode through go-redis's universal client,
// checks that it answers, and keeps every multi-key script of this package within one hash slot
// (the keys of one pace, of one conversation, share a hash tag), so Cluster mode serves them.
// After a Sentinel failover the client asks the sentinels for the new master and goes on; the
// commands in flight during the switch fail, and the dialogs answer "busy" once.
func OpenRedisHA(ctx context.Context, o RedisOptions, prefix string) (*Redis, error) {
	if len(o.Addrs) == 0 {
		return nil, errors.New("state: redis: no addresses")
	}
	var c redis.UniversalClient
	switch o.Mode {
	case ModeSingle, "":
		c = redis.NewClient(&redis.Options{Addr: o.Addrs[0], Username: o.Username, Password: o.Password, DB: o.DB})
	case ModeSentinel:
		if o.MasterName == "" {
			return nil, errors.New("state: redis sentinel mode needs the master's name")
		}
		c = redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: o.MasterName, SentinelAddrs: o.Addrs, SentinelPassword: o.SentinelPassword,
			Username: o.Username, Password: o.Password, DB: o.DB,
		})
	case ModeCluster:
		if o.DB != 0 {
			return nil, errors.New("state: redis cluster has only database 0")
		}
		c = redis.NewClusterClient(&redis.ClusterOptions{Addrs: o.Addrs, Username: o.Username, Password: o.Password})
	default:
		return nil, fmt.Errorf("state: redis mode %q (want single, sentinel or cluster)", o.Mode)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("state: redis %s %s: %w", o.Mode, strings.Join(o.Addrs, ","), err)
	}
	r := NewRedis(c, prefix)
	r.owned = true
	return r, nil
}

// OpenRedis connects to the Redis at rawURL (redis://, rediss:// or unix://) and checks that it
// answers. Close closes the connection.
func OpenRedis(ctx context.Context, rawURL, prefix string) (*Redis, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		// The parser's message may quote the URL, password and all: say only what is wrong.
		return nil, fmt.Errorf("state: redis url %s is not a valid redis://, rediss:// or unix:// URL", redactURL(rawURL))
	}
	c := redis.NewClient(opt)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("state: redis %s: %w", redactURL(rawURL), err)
	}
	r := NewRedis(c, prefix)
	r.owned = true
	return r, nil
}

// redactURL hides a password in a Redis URL, which may be logged with the error.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		return "***" + s[i:]
	}
	return s
}

// NewRedis uses client (a single-server, Sentinel or Cluster client), which the caller keeps:
// Close leaves it open.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// Client returns the underlying client, for parts that share the connection (a platform's token
// cache, job claims). Their keys are not prefixed for them.
func (r *Redis) Client() redis.UniversalClient { return r.client }

// Prefix returns the prefix put before every key.
func (r *Redis) Prefix() string { return r.prefix }

func (r *Redis) k(key string) string { return r.prefix + key }

// ms converts a ttl to whole milliseconds, at least one: Redis refuses PX 0.
func ms(ttl time.Duration) int64 {
	return max(ttl.Milliseconds(), 1)
}

// Load implements flows.SessionStore.
func (r *Redis) Load(ctx context.Context, key string) ([]byte, error) {
	b, err := r.client.Get(ctx, r.k(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, bot.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("state: load %s: %w", key, err)
	}
	return b, nil
}

// Save implements flows.SessionStore.
func (r *Redis) Save(ctx context.Context, key string, expect int64, data []byte, ttl time.Duration) error {
	if err := checkTTL("save", key, ttl); err != nil {
		return err
	}
	cur, err := saveScript.Run(ctx, r.client, []string{r.k(key)}, expect, data, ms(ttl)).Int64()
	if err != nil {
		return fmt.Errorf("state: save %s: %w", key, err)
	}
	if cur != -1 {
		return fmt.Errorf("%w: %s is at version %d, not %d", flows.ErrConflict, key, cur, expect)
	}
	return nil
}

// Delete implements flows.SessionStore.
func (r *Redis) Delete(ctx context.Context, key string) error {
	if err := r.client.Del(ctx, r.k(key)).Err(); err != nil {
		return fmt.Errorf("state: delete %s: %w", key, err)
	}
	return nil
}

// Lock implements bot.Locker with SET NX PX and a random token; waiting retries with a short,
// growing, jittered backoff until ctx ends.
func (r *Redis) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	if err := checkTTL("lock", key, ttl); err != nil {
		return nil, err
	}
	token := newToken()
	full := r.k(key)
	wait := lockBackoffMin
	for {
		ok, err := r.client.SetNX(ctx, full, token, time.Duration(ms(ttl))*time.Millisecond).Result()
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("state: lock %s: %w", key, ctx.Err())
			}
			return nil, fmt.Errorf("state: lock %s: %w", key, err)
		}
		if ok {
			var once sync.Once
			return func() {
				once.Do(func() {
					uctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
					defer cancel()
					// A failed release is not fatal: the lock lapses after ttl.
					_ = unlockScript.Run(uctx, r.client, []string{full}, token).Err()
				})
			}, nil
		}
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("state: lock %s: %w", key, ctx.Err())
		case <-t.C:
		}
		wait = min(wait*2, lockBackoffMax)
	}
}

// Hold implements flows.Holder: the lock of Lock and the session's GET in one script, retried
// with Lock's backoff while somebody else holds the lock.
func (r *Redis) Hold(ctx context.Context, lockKey, key string, ttl time.Duration) (flows.Held, []byte, error) {
	if err := checkTTL("lock", lockKey, ttl); err != nil {
		return nil, nil, err
	}
	token := newToken()
	keys := []string{r.k(lockKey), r.k(key)}
	wait := lockBackoffMin
	for {
		res, err := holdScript.Run(ctx, r.client, keys, token, ms(ttl)).Slice()
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, fmt.Errorf("state: lock %s: %w", lockKey, ctx.Err())
			}
			return nil, nil, fmt.Errorf("state: lock %s: %w", lockKey, err)
		}
		if n, _ := res[0].(int64); n == 1 {
			h := &redisHeld{r: r, keys: keys, token: token, key: key}
			if len(res) > 1 {
				v, _ := res[1].(string)
				return h, []byte(v), nil
			}
			return h, nil, nil
		}
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, fmt.Errorf("state: lock %s: %w", lockKey, ctx.Err())
		case <-t.C:
		}
		wait = min(wait*2, lockBackoffMax)
	}
}

// redisHeld is a session held by Hold: keys are the lock's and the session's, prefixed.
type redisHeld struct {
	r     *Redis
	keys  []string // lock, session
	token string
	key   string
	done  atomic.Bool
}

func (h *redisHeld) commit(ctx context.Context, op string, expect int64, data []byte, ttl time.Duration) (int64, error) {
	if h.done.Swap(true) {
		return 0, fmt.Errorf("state: %s %s: the lock was already released", op, h.key)
	}
	return commitScript.Run(ctx, h.r.client, []string{h.keys[1], h.keys[0]}, op, expect, data, ms(ttl), h.token).Int64()
}

// Save implements flows.Held.
func (h *redisHeld) Save(ctx context.Context, expect int64, data []byte, ttl time.Duration) error {
	if err := checkTTL("save", h.key, ttl); err != nil {
		h.Release()
		return err
	}
	cur, err := h.commit(ctx, "save", expect, data, ttl)
	if err != nil {
		h.releaseAfter(err)
		return fmt.Errorf("state: save %s: %w", h.key, err)
	}
	if cur != -1 {
		return fmt.Errorf("%w: %s is at version %d, not %d", flows.ErrConflict, h.key, cur, expect)
	}
	return nil
}

// Delete implements flows.Held.
func (h *redisHeld) Delete(ctx context.Context) error {
	if _, err := h.commit(ctx, "delete", 0, nil, time.Millisecond); err != nil {
		h.releaseAfter(err)
		return fmt.Errorf("state: delete %s: %w", h.key, err)
	}
	return nil
}

// releaseAfter tries the release on its own context after a commit that failed (the turn's
// context may have ended): the lock must not wait for its ttl when it need not.
func (h *redisHeld) releaseAfter(error) {
	uctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	_ = unlockScript.Run(uctx, h.r.client, []string{h.keys[0]}, h.token).Err()
}

// Release implements flows.Held.
func (h *redisHeld) Release() {
	if h.done.Swap(true) {
		return
	}
	h.releaseAfter(nil)
}

// Claim implements bot.Deduper with SET NX and a ttl.
func (r *Redis) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := checkTTL("claim", key, ttl); err != nil {
		return false, err
	}
	ok, err := r.client.SetNX(ctx, r.k(key), "1", time.Duration(ms(ttl))*time.Millisecond).Result()
	if err != nil {
		return false, fmt.Errorf("state: claim %s: %w", key, err)
	}
	return ok, nil
}

// Has reports whether key holds a value of any kind (EXISTS).
func (r *Redis) Has(ctx context.Context, key string) (bool, error) {
	n, err := r.client.Exists(ctx, r.k(key)).Result()
	if err != nil {
		return false, fmt.Errorf("state: has %s: %w", key, err)
	}
	return n > 0, nil
}

// Get implements bot.KV.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := r.client.Get(ctx, r.k(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, bot.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("state: get %s: %w", key, err)
	}
	return b, nil
}

// Set implements bot.KV.
func (r *Redis) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkTTL("set", key, ttl); err != nil {
		return err
	}
	if err := r.client.Set(ctx, r.k(key), value, time.Duration(ms(ttl))*time.Millisecond).Err(); err != nil {
		return fmt.Errorf("state: set %s: %w", key, err)
	}
	return nil
}

// SetGet stores value under key for ttl and then reads other, in one pipelined round trip (the
// WeChat channel keeps an answer and looks for a hand-over so). other's absence is
// bot.ErrNotFound.
func (r *Redis) SetGet(ctx context.Context, key string, value []byte, ttl time.Duration, other string) ([]byte, error, error) {
	if err := checkTTL("set", key, ttl); err != nil {
		return nil, err, err
	}
	var set *redis.StatusCmd
	var get *redis.StringCmd
	_, _ = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		set = p.Set(ctx, r.k(key), value, time.Duration(ms(ttl))*time.Millisecond)
		get = p.Get(ctx, r.k(other))
		return nil
	})
	var setErr, getErr error
	if err := set.Err(); err != nil {
		setErr = fmt.Errorf("state: set %s: %w", key, err)
	}
	b, err := get.Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		getErr = bot.ErrNotFound
	case err != nil:
		getErr = fmt.Errorf("state: get %s: %w", other, err)
	}
	return b, setErr, getErr
}

// Incr implements flows.Counter.
func (r *Redis) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	if err := checkTTL("incr", key, ttl); err != nil {
		return 0, err
	}
	n, err := incrScript.Run(ctx, r.client, []string{r.k(key)}, ms(ttl)).Int64()
	if err != nil {
		if strings.Contains(err.Error(), "not an integer") {
			return 0, fmt.Errorf("%w: incr %s", ErrNotInteger, key)
		}
		return 0, fmt.Errorf("state: incr %s: %w", key, err)
	}
	return n, nil
}

// Ping implements flows.State.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("state: redis ping: %w", err)
	}
	return nil
}

// Close implements flows.State: it closes the client opened by OpenRedis, and leaves a client
// handed to NewRedis to its owner.
func (r *Redis) Close() error {
	if !r.owned {
		return nil
	}
	return r.client.Close()
}

// RouteRedisLogs sends go-redis's own log lines (pool and reconnection notices, which it prints
// to stderr unstructured by default) to logger at warn. go-redis keeps one logger per process:
// call this once, at start-up, before any client exists.
func RouteRedisLogs(logger *slog.Logger) { redis.SetLogger(redisLog{logger}) }

type redisLog struct{ l *slog.Logger }

func (r redisLog) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}
