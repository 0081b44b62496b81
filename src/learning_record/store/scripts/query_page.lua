-- One page of a statement query, walking the smallest of the candidate indexes and checking
-- the others (store.statement_query).
--
-- KEYS: sequence, stored times, stored marks, then the indexes every statement must be in (the
--       order zset when the query has no filter).
-- ARGV: ascending ("1"/"0"), after, bound ("" on the first page), limit, since, until, the
--       mark up to which statements stored until "until" are looked for (Unix ms or ""), and
--       the most candidates this call may examine.
-- Returns {bound, resume, id, sequence, id, sequence, ...}: up to limit + 1 statements, so the
-- caller knows whether a page follows; resume is the last sequence examined when the budget
-- ran out before the walk ended ("" when it ended), for the next call to go on from. However
-- sparse the matches, one call never holds Redis for more than its budget of candidates.

local sequence_key, stored_times_key, stored_marks_key = KEYS[1], KEYS[2], KEYS[3]
local FIRST_INDEX = 4
local ascending, after, limit = ARGV[1] == '1', tonumber(ARGV[2]), tonumber(ARGV[4])
local since, until_, until_mark = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local budget = tonumber(ARGV[8])

-- The first page fixes the highest sequence of the query, so that statements arriving while a
-- client pages never shift, repeat or skip entries.
local bound = tonumber(ARGV[3]) or tonumber(redis.call('GET', sequence_key) or '0')
local low, high = 1, bound
if after then
  if ascending then low = after + 1 else high = after - 1 end
end
-- Stored marks never decrease along sequences: since/until become sequence bounds.
if since then
  local first = redis.call('ZRANGE', stored_marks_key, '(' .. ARGV[5], '+inf', 'BYSCORE',
    'LIMIT', 0, 1)
  if #first == 0 then return {bound, ''} end
  low = math.max(low, tonumber(first[1]))
end
if until_ then
  local last = redis.call('ZRANGE', stored_marks_key, until_mark, '-inf', 'BYSCORE', 'REV',
    'LIMIT', 0, 1)
  if #last == 0 then return {bound, ''} end
  high = math.min(high, tonumber(last[1]))
end

local walked, smallest = FIRST_INDEX, nil
for i = FIRST_INDEX, #KEYS do
  local size = redis.call('ZCARD', KEYS[i])
  if not smallest or size < smallest then walked, smallest = i, size end
end

local function matches(id, sequence)
  for i = FIRST_INDEX, #KEYS do
    if i ~= walked and not redis.call('ZSCORE', KEYS[i], id) then return false end
  end
  if since or until_ then
    local stored = tonumber(redis.call('ZSCORE', stored_times_key, padded(sequence)))
    return (not since or stored > since) and (not until_ or stored <= until_)
  end
  return true
end

local found = {bound, ''}
local examined, last_examined = 0, nil
local chunk = math.max(limit + 1, 100)
while #found <= limit * 2 + 2 and low <= high and examined < budget do
  local rows
  local size = math.min(chunk, budget - examined)
  if ascending then
    rows = redis.call('ZRANGE', KEYS[walked], low, high, 'BYSCORE', 'LIMIT', 0, size,
      'WITHSCORES')
  else
    rows = redis.call('ZRANGE', KEYS[walked], high, low, 'BYSCORE', 'REV', 'LIMIT', 0, size,
      'WITHSCORES')
  end
  if #rows == 0 then low, high = 1, 0; break end
  for j = 1, #rows, 2 do
    local id, sequence = rows[j], tonumber(rows[j + 1])
    examined, last_examined = examined + 1, sequence
    if ascending then low = sequence + 1 else high = sequence - 1 end
    if matches(id, sequence) then
      found[#found + 1] = id
      found[#found + 1] = sequence
      if #found > limit * 2 + 2 then break end
    end
  end
end
if examined >= budget and low <= high then found[2] = last_examined end
return found
