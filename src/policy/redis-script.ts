/**
 * The Lua script behind {@link RedisStore}: one script call decides a batch of one or more
 * decisions, in the order given, each exactly as MemoryStore.evaluate would (phase 1 checks every
 * limiter of the decision, phase 2 consumes all or none and reports). The script runs atomically,
 * so a batch is the same as its decisions sent one by one back to back; it only saves the
 * per-command work of the client and of Redis. Time is passed in per decision (never Redis TIME)
 * so an injected clock and the mock's time travel work. Keys are physically expired `ttl slack`
 * after they stop mattering on the caller's clock; expiry is garbage collection only, correctness
 * never relies on it.
 *
 * KEYS: per decision, its limiter keys 1..n, then its usage hash when m > 0 (a decision's keys
 *       share one hash tag; on a Cluster the whole batch is in one slot).
 * ARGV: the number of decisions, then per decision: now, consume (1/0), n, m, per limiter kind
 *       (f|s|c|g), limit, windowMs (strings built once per compiled operation), then the m meter
 *       names. (One argument per field, not one string of all limiters: splitting a string in Lua
 *       cost more in Redis, about 3 µs per limiter, than the extra arguments cost the client.)
 * Reply: per decision, allowed, then per limiter admitted, remaining, resetAt (ms, ceil), then
 *        the m usage values: 1 + 3n + m integers each, one flat array. A decision whose commands
 *        fail (a key of another type) answers -1 and zeros instead; the rest of its batch is
 *        decided as usual.
 * The TTL slack is part of the script text ({@link evaluateLua}), not an argument.
 * @module
 */

/** The evaluate script for a store whose keys outlive their state by `slackMs`. */
export function evaluateLua(slackMs: number): string {
  return EVALUATE_LUA.replace('__SLACK_MS__', String(Math.ceil(slackMs)));
}

const EVALUATE_LUA = `
local slack = __SLACK_MS__
local EPS = 1e-6
local half = slack / 2
local out, o = {}, 0
local function put(v)
  o = o + 1
  out[o] = v
end

-- counterFreeAt of src/policy/counter.ts: when k more requests fit (start: window start, t: now)
local function counter_free_at(L, W, start, t, c, before, k)
  if k > L then return t end
  if c + k <= L then
    if before == 0 then return t end
    local e = W - math.floor(((L - c - k) * W) / before)
    if e < W then
      if start + e > t then return start + e end
      return t
    end
  end
  if c == 0 then return start + W end
  local e = W - math.floor(((L - k) * W) / c)
  if e < W then
    if e < 0 then e = 0 end
    return start + W + e
  end
  return start + 2 * W
end

-- One decision: its keys follow KEYS[kb], its arguments ARGV[ab]; appends its answer to out.
local function decide(kb, ab)
  local now = tonumber(ARGV[ab + 1])
  local consume = ARGV[ab + 2] == '1'
  local n = tonumber(ARGV[ab + 3])
  local m = tonumber(ARGV[ab + 4])
  local kind, limit, win, eff, cnt, first, prev = {}, {}, {}, {}, {}, {}, {}
  local allowed = true
  for i = 1, n do
    local a = ab + 2 + 3 * i
    kind[i], limit[i], win[i] = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  end
  for i = 1, n do
    local k, L, W = kind[i], limit[i], win[i]
    local key = KEYS[kb + i]
    if k == 's' then
      -- Exact log, sorted because stamps are max(now, newest stamp). Reads only: a refused
      -- request writes nothing (a flood costs no writes, no replication traffic).
      local t = now
      local last = redis.call('LINDEX', key, -1)
      local head = nil
      if last then
        last = tonumber(last)
        if last > t then t = last end
        local edge = t - W
        while true do
          local h = redis.call('LINDEX', key, 0)
          if not h then break end
          h = tonumber(h)
          if h > edge then
            head = h
            break
          end
          redis.call('LPOP', key)
        end
      end
      local count = 0
      if head then count = redis.call('LLEN', key) end
      eff[i], cnt[i], first[i], prev[i] = t, count, head, last
      if count >= L then allowed = false end
    elseif k == 'f' then
      -- value: '<window start> <count>'
      local v = redis.call('GET', key)
      local start = math.floor(now / W) * W
      local count = 0
      if v then
        local sp = string.find(v, ' ', 1, true)
        local s = tonumber(string.sub(v, 1, sp - 1))
        if s > start then start = s end
        if s == start then count = tonumber(string.sub(v, sp + 1)) end
      end
      eff[i], cnt[i] = start, count
      if count >= L then allowed = false end
    elseif k == 'c' then
      -- sliding-window counter (src/policy/counter.ts); value: '<window start> <count> <previous count>'
      local v = redis.call('GET', key)
      local start = math.floor(now / W) * W
      local count, before = 0, 0
      if v then
        local sp = string.find(v, ' ', 1, true)
        local sp2 = string.find(v, ' ', sp + 1, true)
        local s = tonumber(string.sub(v, 1, sp - 1))
        if s > start then start = s end
        if s == start then
          count = tonumber(string.sub(v, sp + 1, sp2 - 1))
          before = tonumber(string.sub(v, sp2 + 1))
        elseif s == start - W then
          before = tonumber(string.sub(v, sp + 1, sp2 - 1))
        end
      end
      local e = now - start
      if e < 0 then e = 0 end
      eff[i], cnt[i], prev[i], first[i] = start, count, before, e
      if (count + 1) * W + before * (W - e) > L * W then allowed = false end
    else
      -- value: '<theoretical arrival time> <latest clock seen>'
      local v = redis.call('GET', key)
      local t = now
      local tat = t
      if v then
        local sp = string.find(v, ' ', 1, true)
        local hw = tonumber(string.sub(v, sp + 1))
        if hw > t then t = hw end
        tat = tonumber(string.sub(v, 1, sp - 1))
        if tat < t then tat = t end
      end
      eff[i], cnt[i] = t, tat
      if tat + W / L - t > W + EPS then allowed = false end
    end
  end

  local cons = allowed and consume
  put(allowed and 1 or 0)
  for i = 1, n do
    local key, k, L, W, t, c = KEYS[kb + i], kind[i], limit[i], win[i], eff[i], cnt[i]
    if k == 's' then
      local after = c
      if cons then
        redis.call('RPUSH', key, t)
        after = c + 1
        if not first[i] or math.floor(t / half) ~= math.floor(prev[i] / half) then
          -- (re)arm the expiry for a new list, or when the newest stamp enters a new half-slack
          -- period: every stamp then expires at least W after it was pushed, at one PEXPIRE per
          -- slack/2 instead of one per request
          redis.call('PEXPIRE', key, math.ceil(t + W - now) + slack)
        end
      end
      local reset = t
      if after > 0 then
        local idx = after - L
        if idx > 0 then
          reset = tonumber(redis.call('LINDEX', key, idx)) + W
        else
          -- the oldest stamp: read in phase 1, or this request's own
          reset = (first[i] or t) + W
        end
      end
      local rem = L - after
      if rem < 0 then rem = 0 end
      put(c < L and 1 or 0)
      put(rem)
      put(math.ceil(reset))
    elseif k == 'f' then
      local after = c
      if cons then
        redis.call('SET', key, string.format('%d %d', t, c + 1), 'PX', math.ceil(t + W - now) + slack)
        after = c + 1
      end
      local rem = L - after
      if rem < 0 then rem = 0 end
      put(c < L and 1 or 0)
      put(rem)
      put(math.ceil(t + W))
    elseif k == 'c' then
      local before, e = prev[i], first[i]
      local admitted = (c + 1) * W + before * (W - e) <= L * W
      local after = c
      if cons then
        after = c + 1
        redis.call('SET', key, string.format('%d %d %d', t, after, before), 'PX', math.ceil(t + 2 * W - now) + slack)
      end
      local rem = math.floor((L * W - before * (W - e)) / W) - after
      if rem < 0 then rem = 0 end
      if rem > L then rem = L end
      put(admitted and 1 or 0)
      put(rem)
      put(math.ceil(counter_free_at(L, W, t, t + e, after, before, rem + 1)))
    else
      local interval = W / L
      local admitted = c + interval - t <= W + EPS
      local after = c
      if cons then
        after = c + interval
        -- %.17g keeps a fractional TAT exact; the clock reading is almost always whole ms, and %d is cheaper
        local seen = math.floor(t) == t and string.format('%d', t) or string.format('%.17g', t)
        redis.call('SET', key, string.format('%.17g ', after) .. seen, 'PX', math.ceil(after - now) + slack)
      end
      local rem = math.floor((W - (after - t)) / interval + EPS)
      if rem < 0 then rem = 0 end
      if rem > L then rem = L end
      local reset = t
      if rem < L then reset = after - W + (rem + 1) * interval end
      put(admitted and 1 or 0)
      put(rem)
      put(math.ceil(reset - EPS))
    end
  end

  if m > 0 then
    local names = {}
    for j = 1, m do names[j] = ARGV[ab + 4 + 3 * n + j] end
    local vals = redis.call('HMGET', KEYS[kb + n + 1], unpack(names))
    for j = 1, m do put(tonumber(vals[j]) or 0) end
  end
end

local kb, ab = 0, 1
for d = 1, tonumber(ARGV[1]) do
  local n, m = tonumber(ARGV[ab + 3]), tonumber(ARGV[ab + 4])
  local start = o
  if not pcall(decide, kb, ab) then
    -- This decision failed (a key of another type, say): its reply is -1 and zeros, the same
    -- length as an answer, so the others in the batch are still answered. What it wrote before
    -- the error stays, as it would have with a call of its own.
    o = start
    put(-1)
    for j = 1, 3 * n + m do put(0) end
  end
  kb = kb + n + (m > 0 and 1 or 0)
  ab = ab + 4 + 3 * n + m
end
return out
`;

/** Add usage deltas: KEYS[1] usage hash; ARGV ttlMs, then meter/delta pairs. Reply: new totals. */
export const RECORD_USAGE_LUA = `
local out = {}
for j = 2, #ARGV, 2 do
  out[#out + 1] = redis.call('HINCRBY', KEYS[1], ARGV[j], ARGV[j + 1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return out
`;
