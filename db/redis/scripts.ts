import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script run by SHA (EVALSHA), loaded on first use or after a SCRIPT FLUSH / restart. */
export class Script {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return client.eval(this.source, keys.length, ...keys, ...args);
      throw error;
    }
  }
}

/**
 * Stream trimming that never drops an entry a consumer group still needs.
 *
 * The entries a group still needs are its pending ones (handed out, not acked) and those
 * after its last-delivered-id. The smallest such id over all groups is the floor: we trim
 * with XTRIM MINID to the first entry that is either inside the maxLen window or at/after
 * the floor, never with a blind MAXLEN. So a stream can stay longer than maxLen while a
 * group lags; it shrinks back as the group catches up. Work per call is bounded (CHUNK
 * entries); every publish continues where the last one stopped.
 */
const TRIM_LUA = `
local CHUNK = 1000
local function parse_id(id)
  local dash = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end
local function id_less(ams, aseq, bms, bseq)
  return ams < bms or (ams == bms and aseq < bseq)
end
local function trim(key, max_len)
  local len = redis.call('XLEN', key)
  if len <= max_len then return 0 end
  local floor_ms, floor_seq = nil, nil
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', key)) do
    local name, last
    for i = 1, #g, 2 do
      if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
    end
    local ms, seq = parse_id(last)
    seq = seq + 1
    if floor_ms == nil or id_less(ms, seq, floor_ms, floor_seq) then floor_ms, floor_seq = ms, seq end
    local summary = redis.call('XPENDING', key, name)
    if summary[1] > 0 then
      local pms, pseq = parse_id(summary[2])
      if id_less(pms, pseq, floor_ms, floor_seq) then floor_ms, floor_seq = pms, pseq end
    end
  end
  local drop = math.min(len - max_len, CHUNK)
  local head = redis.call('XRANGE', key, '-', '+', 'COUNT', drop + 1)
  for i = 1, #head do
    local ms, seq = parse_id(head[i][1])
    if i > drop or (floor_ms ~= nil and not id_less(ms, seq, floor_ms, floor_seq)) then
      if i == 1 then return 0 end
      return redis.call('XTRIM', key, 'MINID', head[i][1])
    end
  end
  return 0
end
`;

/** KEYS: stream. ARGV: payload, maxLen. Appends, then trims; returns the new id. */
export const publishScript = new Script(`${TRIM_LUA}
local id = redis.call('XADD', KEYS[1], '*', 'event', ARGV[1])
trim(KEYS[1], tonumber(ARGV[2]))
return id
`);

/** KEYS: stream. ARGV: maxLen. Returns how many entries were removed. */
export const trimScript = new Script(`${TRIM_LUA}
return trim(KEYS[1], tonumber(ARGV[1]))
`);

/**
 * KEYS: stream, dead-letter stream, error hash. ARGV: group, id, consumer, reason,
 * deliveries, payload, atMs, dead-letter maxLen, logical stream name.
 * Acks and records atomically; if the entry was already acked (another consumer settled
 * it) nothing is recorded, so an entry is dead-lettered at most once. Returns the dead id or false.
 */
export const deadLetterScript = new Script(`
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
if acked == 0 then return false end
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[8], '*',
  'originalId', ARGV[2], 'stream', ARGV[9], 'group', ARGV[1], 'consumer', ARGV[3],
  'reason', ARGV[4], 'deliveries', ARGV[5], 'payload', ARGV[6], 'atMs', ARGV[7])
`);

/**
 * Token bucket. KEYS: bucket. ARGV: capacity, refillPerSecond, cost.
 * Uses the Redis clock (TIME) so every process agrees on "now" whatever its own clock says.
 * Returns { allowed (0/1), retryAfterMs, tokens left as a string (Lua would truncate a number) }.
 */
export const takeTokensScript = new Script(`
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate / 1000)
  ts = now
end
tokens = math.min(tokens, capacity)
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = math.ceil((cost - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', string.format('%.3f', ts))
-- A full bucket carries no information: let it expire once it would have refilled.
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate) + 1000)
return { allowed, retry, string.format('%.6f', tokens) }
`);

/** KEYS: lock. ARGV: owner, ttlMs. Takes a free lease or extends our own. */
export const acquireScript = new Script(`
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if current then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`);

/** KEYS: lock. ARGV: owner, ttlMs. Extends only the owner's lease. */
export const renewScript = new Script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

/** KEYS: lock. ARGV: owner. Compare-and-delete: only the owner frees the lease. */
export const releaseScript = new Script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);
