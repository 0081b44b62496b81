"""The Lua scripts of the statement store. Each runs atomically on the tenant's slot: every key
it touches carries the tenant's hash tag. Keys come from ``store.keys`` through KEYS, or (for
un-indexing a voided statement) from the key list stored in its claim, itself built there.

Claim fields (``keys.statement_claim``): d content digest, s sequence, t stored (Unix ms),
m stored mark (see below; t when absent), v "1" when the statement voids another, w "1" once it
is in the view, ix its index keys (JSON).

Stored marks: whoever hands out a sequence also gives it a mark, max(stored, the last mark), so
marks never decrease along sequences and turn since/until into sequence bounds with one lookup.
The API hands out stored times that never decrease, so for its statements mark = stored; a
statement produced straight to Kafka keeps its record's timestamp as stored, which may be older.
"""

from __future__ import annotations

# Reserve a batch of ids for their content, all or nothing.
# KEYS: sequence, last stored, claim of each statement (n), claims of voided targets.
# ARGV: now (Unix ms), then per statement: digest, voiding ("1"/"0"), KEYS index of the
#       target's claim (0 when it voids nothing).
# Returns {"conflict", i} | {"voids_voiding", i} | {"ok", {{state, sequence, stored}, ...}}
# with state "new" (reserved now), "pending" (reserved earlier, not yet in the view) or
# "stored" (already in the view).
RESERVE = """
local n = (#ARGV - 1) / 3
for i = 1, n do
  local held = redis.call('HGET', KEYS[2 + i], 'd')
  if held and held ~= ARGV[3 * i - 1] then return {'conflict', i} end
  local target = tonumber(ARGV[3 * i + 1])
  if target > 0 and redis.call('HGET', KEYS[target], 'v') == '1' then
    return {'voids_voiding', i}
  end
end
local stored = math.max(tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[2]) or '0'))
local states = {}
for i = 1, n do
  local claim = KEYS[2 + i]
  local held = redis.call('HMGET', claim, 's', 't', 'w')
  if held[1] then
    states[i] = {held[3] and 'stored' or 'pending', tonumber(held[1]), tonumber(held[2])}
  else
    local sequence = redis.call('INCR', KEYS[1])
    redis.call('HSET', claim, 'd', ARGV[3 * i - 1], 's', sequence, 't', stored,
      'v', ARGV[3 * i])
    states[i] = {'new', sequence, stored}
  end
end
redis.call('SET', KEYS[2], stored)
return {'ok', states}
"""

# Write statements into the view and its indexes; first write wins.
# KEYS: sequence, last mark, order, stored times, stored marks, expiry, then per statement:
#       document, claim, voided-by and targeted-by of itself, [claim, voided-by and
#       targeted-by of the statement its StatementRef object points to, when it has one], its
#       n index keys.
# ARGV: per statement: id, document, digest, stored (Unix ms), voiding ("1"/"0"), n, the id its
#       StatementRef object points to ("" when none).
# A statement without a claim (produced straight to Kafka) gets its sequence now. One whose id
# is claimed for other content is not written. Returns {written, {ids not written: conflict}}.
#
# A statement whose object is a StatementRef matches every filter its target matches (xAPI
# Communication 2.1.3.s3, recursively): it is indexed under its own terms and its target's.
# Each statement's targeted-by set keeps what it needs to pass terms it gets later (on arrival,
# or from its own target arriving) on to those pointing to it (keys built by store.keys).
WRITE = """
local function pad(sequence) return string.format('%015d', sequence) end
local function decoded(text)
  local list = {}
  for _, item in ipairs(cjson.decode(text or '[]')) do list[#list + 1] = item end
  return list
end
local function unindex(claim, id)
  for _, key in ipairs(decoded(redis.call('HGET', claim, 'ix'))) do
    redis.call('ZREM', key, id)
  end
  redis.call('ZREM', KEYS[3], id)
end
local function is_voided(claim, voided_by)
  return redis.call('HGET', claim, 'v') ~= '1' and redis.call('EXISTS', voided_by) == 1
end
-- Pass terms on to the statements that point to one just written, and to theirs in turn.
local function pass_on(targeted_by, terms, seen)
  for _, member in ipairs(redis.call('SMEMBERS', targeted_by)) do
    local referrer = cjson.decode(member)
    local held = redis.call('HMGET', referrer.claim, 's', 'ix')
    if not held[1] then
      redis.call('SREM', targeted_by, member)  -- purged by retention: nothing to pass on
    elseif not seen[referrer.id] then
      seen[referrer.id] = true
      local has, added = {}, {}
      local all = decoded(held[2])
      for _, key in ipairs(all) do has[key] = true end
      for _, key in ipairs(terms) do
        if not has[key] then added[#added + 1] = key; all[#all + 1] = key end
      end
      if #added > 0 then
        redis.call('HSET', referrer.claim, 'ix', cjson.encode(all))
        if not is_voided(referrer.claim, referrer.voided_by) then
          for _, key in ipairs(added) do redis.call('ZADD', key, held[1], referrer.id) end
        end
        pass_on(referrer.targeted_by, added, seen)
      end
    end
  end
end
local written, conflicts = 0, {}
local k, a = 7, 1
while a <= #ARGV do
  local id, document, digest = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local stored, voiding, n = tonumber(ARGV[a + 3]), ARGV[a + 4], tonumber(ARGV[a + 5])
  local target_id = ARGV[a + 6]
  a = a + 7
  local doc_key, claim, voided_by, targeted_by = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  k = k + 4
  local target_claim, target_voided_by, target_targeted_by
  if target_id ~= '' then
    target_claim, target_voided_by, target_targeted_by = KEYS[k], KEYS[k + 1], KEYS[k + 2]
    k = k + 3
  end
  local terms, has = {}, {}
  for j = 1, n do terms[j] = KEYS[k + j - 1]; has[terms[j]] = true end
  k = k + n
  local held = redis.call('HMGET', claim, 'd', 's', 't', 'w', 'm')
  if held[4] then
    -- already in the view
  elseif held[1] and held[1] ~= digest then
    conflicts[#conflicts + 1] = id
  else
    local sequence, at = tonumber(held[2]), tonumber(held[3])
    local mark = tonumber(held[5]) or at
    if not sequence then
      sequence, at = redis.call('INCR', KEYS[1]), stored
      mark = math.max(stored, tonumber(redis.call('GET', KEYS[2]) or '0'))
      redis.call('SET', KEYS[2], mark)
      redis.call('HSET', claim, 'd', digest, 's', sequence, 't', at, 'm', mark, 'v', voiding)
    end
    redis.call('SET', doc_key, document, 'NX')
    redis.call('ZADD', KEYS[6], at, id)
    redis.call('ZADD', KEYS[4], at, pad(sequence))
    redis.call('ZADD', KEYS[5], mark, pad(sequence))
    if target_id ~= '' then
      local target = redis.call('HMGET', target_claim, 'ix')
      for _, key in ipairs(decoded(target[1])) do
        if not has[key] then terms[#terms + 1] = key; has[key] = true end
      end
      -- Remembered even when the target is in the view: its own target may arrive later.
      redis.call('SADD', target_targeted_by, cjson.encode({
        id = id, claim = claim, voided_by = voided_by, targeted_by = targeted_by}))
    end
    redis.call('HSET', claim, 'w', '1', 'ix', cjson.encode(terms))
    if voiding == '1' or redis.call('EXISTS', voided_by) == 0 then
      for _, key in ipairs(terms) do redis.call('ZADD', key, sequence, id) end
      redis.call('ZADD', KEYS[3], sequence, id)
    end
    if voiding == '1' then
      local target = redis.call('HMGET', target_claim, 'v', 'w')
      if target[1] ~= '1' then
        redis.call('SET', target_voided_by, id, 'NX')
        if target[2] then unindex(target_claim, target_id) end
      end
    end
    pass_on(targeted_by, terms, {[id] = true})
    written = written + 1
  end
end
return {written, conflicts}
"""

# Forget the statements stored before a time (view retention; Kafka keeps them).
# KEYS: order, stored times, stored marks, expiry.
# ARGV: the tenant's key prefix (store.keys.tenant_prefix), cutoff (Unix ms), most to purge.
# Keys of a purged statement are built here from the prefix, as store.keys builds them.
# Returns how many were purged.
PURGE = """
local function pad(sequence) return string.format('%015d', sequence) end
local prefix = ARGV[1]
local ids = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[2], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(ids) do
  local claim = prefix .. ':claim:' .. id
  local held = redis.call('HMGET', claim, 's', 'ix')
  for _, key in ipairs(cjson.decode(held[2] or '[]')) do redis.call('ZREM', key, id) end
  redis.call('ZREM', KEYS[1], id)
  if held[1] then
    redis.call('ZREM', KEYS[2], pad(tonumber(held[1])))
    redis.call('ZREM', KEYS[3], pad(tonumber(held[1])))
  end
  redis.call('DEL', prefix .. ':stmt:' .. id, claim, prefix .. ':voided-by:' .. id,
    prefix .. ':targeted-by:' .. id)
  redis.call('ZREM', KEYS[4], id)
end
return #ids
"""

# One page of a query, walking the smallest of the candidate indexes and checking the others.
# KEYS: sequence, stored times, stored marks, then the indexes every statement must be in (the
#       order zset when the query has no filter).
# ARGV: ascending ("1"/"0"), after, bound ("" on the first page), limit, since, until, and the
#       mark up to which statements stored until "until" are looked for (Unix ms or "").
# Returns {bound, id, sequence, id, sequence, ...}: up to limit + 1 statements, so the caller
# knows whether a page follows.
PAGE = """
local function pad(sequence) return string.format('%015d', sequence) end
local ascending, limit = ARGV[1] == '1', tonumber(ARGV[4])
local bound = tonumber(ARGV[3]) or tonumber(redis.call('GET', KEYS[1]) or '0')
local low, high = 1, bound
local after = tonumber(ARGV[2])
if after then
  if ascending then low = after + 1 else high = after - 1 end
end
local since, until_ = tonumber(ARGV[5]), tonumber(ARGV[6])
if since then
  local first = redis.call('ZRANGE', KEYS[3], '(' .. ARGV[5], '+inf', 'BYSCORE', 'LIMIT', 0, 1)
  if #first == 0 then return {bound} end
  low = math.max(low, tonumber(first[1]))
end
if until_ then
  local last = redis.call('ZRANGE', KEYS[3], ARGV[7], '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 1)
  if #last == 0 then return {bound} end
  high = math.min(high, tonumber(last[1]))
end
local walk, smallest = 4, nil
for i = 4, #KEYS do
  local size = redis.call('ZCARD', KEYS[i])
  if not smallest or size < smallest then walk, smallest = i, size end
end
local found = {bound}
local chunk = math.max(limit + 1, 100)
while #found <= limit * 2 + 1 and low <= high do
  local rows
  if ascending then
    rows = redis.call('ZRANGE', KEYS[walk], low, high, 'BYSCORE', 'LIMIT', 0, chunk, 'WITHSCORES')
  else
    rows = redis.call('ZRANGE', KEYS[walk], high, low, 'BYSCORE', 'REV', 'LIMIT', 0, chunk,
      'WITHSCORES')
  end
  if #rows == 0 then break end
  for j = 1, #rows, 2 do
    local id, sequence = rows[j], tonumber(rows[j + 1])
    if ascending then low = sequence + 1 else high = sequence - 1 end
    local matches = true
    for i = 4, #KEYS do
      if i ~= walk and not redis.call('ZSCORE', KEYS[i], id) then matches = false break end
    end
    if matches and (since or until_) then
      local at = tonumber(redis.call('ZSCORE', KEYS[2], pad(sequence)))
      matches = (not since or at > since) and (not until_ or at <= until_)
    end
    if matches then
      found[#found + 1] = id
      found[#found + 1] = sequence
      if #found > limit * 2 + 1 then break end
    end
  end
end
return found
"""

# Decide, once per statement, whether it counts in the indicators (xAPI voiding, duplicates).
# KEYS: per request, two keys: for an application, the statement's claim and voided-by; for a
#       void, its target's claim and document.
# ARGV: per request, kind ("a": apply the statement, "v": retract the target) and the origin
#       asking ("<input partition>:<position>").
# Claim fields: a = the origin that applied the statement ("void" when it was voided before it
# counted), x = the origin that retracted it. The first origin decides; the same origin asking
# again (a redelivery) gets the same answer; another one (a duplicate) gets nothing.
# Returns per request: 1 (apply) or 0; for a void, {target document, origin that applied it}
# (retract it) or 0.
ROUTE = """
local answers = {}
local k = 1
for i = 1, #ARGV, 2 do
  local kind, origin = ARGV[i], ARGV[i + 1]
  local claim, other = KEYS[k], KEYS[k + 1]
  k = k + 2
  local answer = 0
  if kind == 'a' then
    local applied = redis.call('HGET', claim, 'a')
    if not applied then
      if redis.call('EXISTS', other) == 1 then
        redis.call('HSET', claim, 'a', 'void')
      else
        redis.call('HSET', claim, 'a', origin)
        answer = 1
      end
    elseif applied == origin then
      answer = 1
    end
  else
    local held = redis.call('HMGET', claim, 'a', 'x')
    if held[1] and held[1] ~= 'void' and (not held[2] or held[2] == origin) then
      local document = redis.call('GET', other)
      if document then
        if not held[2] then redis.call('HSET', claim, 'x', origin) end
        answer = {document, held[1]}
      end
    end
  end
  answers[#answers + 1] = answer
end
return answers
"""
