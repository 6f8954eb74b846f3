package state

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// The pace of a platform's pushes, shared by every replica (jobs.PaceStore). Under
// pace:{key}: it keeps "next", the first free send slot; "pause", the end of a back-off the
// platform asked for; and "chat:<id>", when a chat may next be sent to. Times are microseconds
// on the Redis server's clock (TIME), so the replicas' clocks need not agree; every key expires
// shortly after the time it holds, so nothing is left behind. The braces make one pace's keys
// hash together, as a script's keys must on a cluster.

// takeSlotScript: KEYS next, pause, chat; ARGV interval and per-chat interval in µs. It returns
// {0, wait} when paused or the chat is not due yet, else {1, wait until the slot taken}.
var takeSlotScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local block = tonumber(redis.call('GET', KEYS[2]) or '0')
local chat = tonumber(redis.call('GET', KEYS[3]) or '0')
if chat > block then block = chat end
if block > now then
  return {0, block - now}
end
local interval, perChat = tonumber(ARGV[1]), tonumber(ARGV[2])
local at = tonumber(redis.call('GET', KEYS[1]) or '0')
if at < now then at = now end
if interval > 0 then
  redis.call('SET', KEYS[1], string.format('%.0f', at + interval), 'PX', math.floor((at + interval - now) / 1000) + 1000)
end
if perChat > 0 then
  redis.call('SET', KEYS[3], string.format('%.0f', at + perChat), 'PX', math.floor((at + perChat - now) / 1000) + 1000)
end
return {1, at - now}
`)

// extendScript sets KEYS[1] to now + ARGV[1] µs unless it holds a later time.
var extendScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local till = now + tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[1]) or '0') >= till then
  return 0
end
redis.call('SET', KEYS[1], string.format('%.0f', till), 'PX', math.floor(tonumber(ARGV[1]) / 1000) + 1000)
return 1
`)

// remainingScript returns how many µs remain until the time KEYS[1] holds (0 when past).
var remainingScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v > now then return v - now end
return 0
`)

func (r *Redis) paceKey(key, part string) string { return r.k("pace:{" + key + "}:" + part) }

func us(d time.Duration) int64 { return max(d.Microseconds(), 0) }

// TakeSlot implements jobs.PaceStore.
func (r *Redis) TakeSlot(ctx context.Context, key, chat string, interval, perChat time.Duration) (time.Duration, bool, error) {
	keys := []string{r.paceKey(key, "next"), r.paceKey(key, "pause"), r.paceKey(key, "chat:"+chat)}
	res, err := takeSlotScript.Run(ctx, r.client, keys, us(interval), us(perChat)).Int64Slice()
	if err != nil {
		return 0, false, fmt.Errorf("state: take slot %s: %w", key, err)
	}
	if len(res) != 2 {
		return 0, false, fmt.Errorf("state: take slot %s: unexpected answer %v", key, res)
	}
	return time.Duration(res[1]) * time.Microsecond, res[0] == 1, nil
}

// PausedFor implements jobs.PaceStore.
func (r *Redis) PausedFor(ctx context.Context, key string) (time.Duration, error) {
	n, err := remainingScript.Run(ctx, r.client, []string{r.paceKey(key, "pause")}).Int64()
	if err != nil {
		return 0, fmt.Errorf("state: paused %s: %w", key, err)
	}
	return time.Duration(n) * time.Microsecond, nil
}

// PauseFor implements jobs.PaceStore.
func (r *Redis) PauseFor(ctx context.Context, key string, d time.Duration) error {
	if err := extendScript.Run(ctx, r.client, []string{r.paceKey(key, "pause")}, us(d)).Err(); err != nil {
		return fmt.Errorf("state: pause %s: %w", key, err)
	}
	return nil
}

// ChatSent implements jobs.PaceStore.
func (r *Redis) ChatSent(ctx context.Context, key, chat string, perChat time.Duration) error {
	if err := extendScript.Run(ctx, r.client, []string{r.paceKey(key, "chat:"+chat)}, us(perChat)).Err(); err != nil {
		return fmt.Errorf("state: chat sent %s: %w", key, err)
	}
	return nil
}
