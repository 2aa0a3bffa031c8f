/**
 * The Lua scripts of redis-state.ts: each check-and-change runs atomically in the store.
 * Sorted sets hold failures (scored by time) and session slots (scored by expiry).
 */
/** Reserves a verification: KEYS ban, fails, inflight; ARGV now, window, max, inflight ttl. */
export const RESERVE = `
if redis.call('PTTL', KEYS[1]) > 0 then return 0 end
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))
local n = redis.call('ZCARD', KEYS[2]) + tonumber(redis.call('GET', KEYS[3]) or '0')
if n >= tonumber(ARGV[3]) then return 0 end
redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return 1`;

/** Ends one: ARGV now, window, max, ban ms, reserved, failed, unique member. 1 = a ban began. */
export const SETTLE = `
if ARGV[5] == '1' and redis.call('DECR', KEYS[3]) <= 0 then redis.call('DEL', KEYS[3]) end
if ARGV[6] ~= '1' then return 0 end
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))
redis.call('ZADD', KEYS[2], now, ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) and redis.call('PTTL', KEYS[1]) <= 0 then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[4])
  redis.call('DEL', KEYS[2])
  return 1
end
return 0`;

/** Token bucket: ARGV now, tokens per ms, burst, take. 0 = taken, else seconds to wait. */
export const BUCKET = `
local b = redis.call('HMGET', KEYS[1], 't', 'a')
local now = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + (now - at) * perMs)
if tokens < 1 then return math.max(1, math.ceil((1 - tokens) / perMs / 1000)) end
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], 't', tostring(tokens - 1), 'a', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil(burst / perMs) + 1000)
end
return 0`;

/**
 * Session slot: KEYS ip set, user set; ARGV now, expiry, member, per-ip, per-user, has user,
 * take, key ttl. Answers 'ok', 'ip' or 'user'.
 */
export const SLOT = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 'ip' end
if ARGV[6] == '1' then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then return 'user' end
end
if ARGV[7] ~= '1' then return 'ok' end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
if ARGV[6] == '1' then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
end
return 'ok'`;
