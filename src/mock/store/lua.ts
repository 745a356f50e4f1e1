/**
 * Lua for {@link RedisStateStore}. Every tenant script gets the tenant's whole fixed key set as
 * KEYS (all `{t:<tenant>}`-tagged, one Cluster slot), in this order:
 *
 *   1 meta (hash: plan)   2 caps (hash: cap → count)   3 seq (INCR counter, the cursor source)
 *   4 uses (hash: key id → last use ms)   5 idem (hash: answer JSON)   6 idemx (zset: expiry)
 *   7 + 2c  d:<collection c> (hash: id → JSON)     8 + 2c  i:<collection c> (zset: id by seq)
 *
 * Writes refresh the TTL of every key of the tenant (ARGV[1]), so a tenant's state expires as a
 * whole after that long without a write, never in parts.
 * @module
 */

/** Number of fixed keys before the collections. */
export const FIXED_KEYS = 6;

const TOUCH = `
local function touch(ttl)
  for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ttl) end
end
`;

/** ARGV: ttl, collection index, id, json, cap name ('' = none), keep (0 = all), then plan/limit pairs. Returns {1, seq} | {0} exists | {-1, limit, used}. */
export const INSERT_LUA = `${TOUCH}
local c = tonumber(ARGV[2])
local d, ix = KEYS[${FIXED_KEYS + 1} + 2 * c], KEYS[${FIXED_KEYS + 2} + 2 * c]
if redis.call('HEXISTS', d, ARGV[3]) == 1 then return {0} end
local cap = ARGV[5]
if cap ~= '' then
  local plan = redis.call('HGET', KEYS[1], 'plan')
  local limit = nil
  for i = 7, #ARGV, 2 do if ARGV[i] == plan then limit = tonumber(ARGV[i + 1]) end end
  local used = tonumber(redis.call('HGET', KEYS[2], cap) or '0')
  if limit ~= nil and used >= limit then return {-1, limit, used} end
  redis.call('HINCRBY', KEYS[2], cap, 1)
end
local seq = redis.call('INCR', KEYS[3])
redis.call('HSET', d, ARGV[3], ARGV[4])
redis.call('ZADD', ix, seq, ARGV[3])
local keep = tonumber(ARGV[6])
if keep > 0 then
  local extra = redis.call('ZCARD', ix) - keep
  if extra > 0 then
    local old = redis.call('ZRANGE', ix, 0, extra - 1)
    redis.call('ZREMRANGEBYRANK', ix, 0, extra - 1)
    redis.call('HDEL', d, unpack(old))
  end
end
touch(ARGV[1])
return {1, seq}
`;

/** ARGV: ttl, collection index, id, expected JSON, next JSON, cap to release ('' = none). Returns 1 written, 0 changed meanwhile, -1 absent. */
export const UPDATE_LUA = `${TOUCH}
local c = tonumber(ARGV[2])
local d = KEYS[${FIXED_KEYS + 1} + 2 * c]
local cur = redis.call('HGET', d, ARGV[3])
if not cur then return -1 end
if cur ~= ARGV[4] then return 0 end
redis.call('HSET', d, ARGV[3], ARGV[5])
if ARGV[6] ~= '' and tonumber(redis.call('HGET', KEYS[2], ARGV[6]) or '0') > 0 then redis.call('HINCRBY', KEYS[2], ARGV[6], -1) end
touch(ARGV[1])
return 1
`;

/** ARGV: ttl, collection index, id, cap to release ('' = none). Returns 1 removed, 0 absent. */
export const REMOVE_LUA = `${TOUCH}
local c = tonumber(ARGV[2])
local d, ix = KEYS[${FIXED_KEYS + 1} + 2 * c], KEYS[${FIXED_KEYS + 2} + 2 * c]
if redis.call('HDEL', d, ARGV[3]) == 0 then return 0 end
redis.call('ZREM', ix, ARGV[3])
if ARGV[4] ~= '' and tonumber(redis.call('HGET', KEYS[2], ARGV[4]) or '0') > 0 then redis.call('HINCRBY', KEYS[2], ARGV[4], -1) end
touch(ARGV[1])
return 1
`;

/**
 * KEYS: d, i of one collection. ARGV: 'a' | 'd', after (seq, '' = start), limit. Returns
 * seq, json pairs: up to limit + 1 of them (one more tells that more follow).
 */
export const LIST_LUA = `
local n = tonumber(ARGV[3]) + 1
local ids
if ARGV[1] == 'd' then
  local max = ARGV[2] == '' and '+inf' or '(' .. ARGV[2]
  ids = redis.call('ZREVRANGEBYSCORE', KEYS[2], max, '-inf', 'WITHSCORES', 'LIMIT', 0, n)
else
  local min = ARGV[2] == '' and '-inf' or '(' .. ARGV[2]
  ids = redis.call('ZRANGEBYSCORE', KEYS[2], min, '+inf', 'WITHSCORES', 'LIMIT', 0, n)
end
local out = {}
for i = 1, #ids, 2 do
  local doc = redis.call('HGET', KEYS[1], ids[i])
  if doc then out[#out + 1] = ids[i + 1]; out[#out + 1] = doc end
end
return out
`;

/**
 * ARGV: ttl, force ('1' | '0'), plan, projects count, unrevoked keys count, n projects, then n
 * (id, json) pairs, then (id, json) pairs of keys. Returns 1 seeded, 0 already there.
 */
export const SEED_LUA = `${TOUCH}
if ARGV[2] == '0' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 1, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('HSET', KEYS[1], 'plan', ARGV[3])
redis.call('HSET', KEYS[2], 'projects', ARGV[4], 'api_keys', ARGV[5], 'eval_rules', 0)
local projects = tonumber(ARGV[6])
local dp, ip = KEYS[${FIXED_KEYS + 1} + 2], KEYS[${FIXED_KEYS + 2} + 2]
local dk, ik = KEYS[${FIXED_KEYS + 1} + 4], KEYS[${FIXED_KEYS + 2} + 4]
for i = 7, #ARGV, 2 do
  local seq = redis.call('INCR', KEYS[3])
  if (i - 7) / 2 < projects then
    redis.call('HSET', dp, ARGV[i], ARGV[i + 1]); redis.call('ZADD', ip, seq, ARGV[i])
  else
    redis.call('HSET', dk, ARGV[i], ARGV[i + 1]); redis.call('ZADD', ik, seq, ARGV[i])
  end
end
touch(ARGV[1])
return 1
`;

/** KEYS: idem, idemx. ARGV: field, json, expires (real ms), now (real ms), ttl. Drops expired answers; keeps the first. */
export const KEEP_ANSWER_LUA = `
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[4], 'LIMIT', 0, 100)
if #old > 0 then redis.call('HDEL', KEYS[1], unpack(old)); redis.call('ZREM', KEYS[2], unpack(old)) end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[5]); redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
`;

/** KEYS: a string key. ARGV: expected ('' = absent), next. Returns 1 written, 0 changed meanwhile. */
export const CAS_LUA = `
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;
