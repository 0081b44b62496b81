-- Write statements into the view and its indexes; first write wins (store.statements.write_view).
--
-- KEYS: sequence, last mark, order, stored times, stored marks, expiry, then per statement:
--       document, claim, voided-by, targeted-by, [claim, voided-by and targeted-by of the
--       statement its StatementRef object points to, when it has one], its n index keys; then
--       the keys found in the data that an earlier answer asked for (see below).
-- ARGV: per statement: id, document, digest, stored (Unix ms), voiding ("1"/"0"), n, the id its
--       StatementRef object points to ("" when none).
-- Returns {"done", written, {ids not written: held for other content}, {ids already in the view
-- with other content: left alone}}, or {"undeclared", written, {keys}}: call again with these
-- keys added.
--
-- A statement without a claim (produced straight to Kafka) gets its sequence now. One whose id
-- is claimed for other content is not written.
--
-- A statement whose object is a StatementRef matches every filter its target matches (xAPI
-- Communication 2.1.3.s3, recursively): it is indexed under its own terms and its target's.
-- Each statement's targeted-by set keeps what it needs to pass terms it gets later (on arrival,
-- or from its own target arriving) on to those pointing to it.
--
-- Keys found in the data: writing a statement also touches its target's index keys (its claim
-- lists them) and the claim, voided-by and targeted-by of the statements pointing to it,
-- transitively (their targeted-by members name them). store.keys built them all when they were
-- stored. Redis Cluster needs every key a script touches in KEYS, so before writing a statement
-- the script looks for those keys, reading only declared ones, and stops when one is missing:
-- the caller calls again with them; the statements written meanwhile are in the view and are
-- left alone the second time.

local sequence_key, last_mark_key, order_key = KEYS[1], KEYS[2], KEYS[3]
local stored_times_key, stored_marks_key, expiry_key = KEYS[4], KEYS[5], KEYS[6]

local declared = {}
for _, key in ipairs(KEYS) do declared[key] = true end

-- The keys writing one statement would touch that are in the data but not in KEYS.
local function undeclared(target_claim, targeted_by)
  local missing, listed = {}, {}
  local function need(key)
    if not declared[key] and not listed[key] then
      listed[key] = true
      missing[#missing + 1] = key
    end
  end
  if target_claim then
    for _, key in ipairs(decoded_list(redis.call('HGET', target_claim, INDEXES))) do need(key) end
  end
  local sets, visited = {targeted_by}, {}
  while #sets > 0 do
    for _, member in ipairs(redis.call('SMEMBERS', table.remove(sets))) do
      local referrer = cjson.decode(member)
      if not visited[referrer.id] then
        visited[referrer.id] = true
        need(referrer.claim)
        need(referrer.voided_by)
        need(referrer.targeted_by)
        -- An undeclared set is read on the next call, once declared.
        if declared[referrer.targeted_by] then sets[#sets + 1] = referrer.targeted_by end
      end
    end
  end
  return missing
end

local function unindex(claim, id)
  for _, key in ipairs(decoded_list(redis.call('HGET', claim, INDEXES))) do
    redis.call('ZREM', key, id)
  end
  redis.call('ZREM', order_key, id)
end

local function is_voided(claim, voided_by)
  return redis.call('HGET', claim, VOIDS) ~= '1' and redis.call('EXISTS', voided_by) == 1
end

-- Pass terms on to the statements that point to one just written, and to theirs in turn.
local function pass_on(targeted_by, terms, seen)
  for _, member in ipairs(redis.call('SMEMBERS', targeted_by)) do
    local referrer = cjson.decode(member)
    local held = redis.call('HMGET', referrer.claim, SEQUENCE, INDEXES)
    local referrer_sequence, referrer_indexes = held[1], held[2]
    if not referrer_sequence then
      redis.call('SREM', targeted_by, member)  -- purged by retention: nothing to pass on
    elseif not seen[referrer.id] then
      seen[referrer.id] = true
      local has, added = {}, {}
      local all = decoded_list(referrer_indexes)
      for _, key in ipairs(all) do has[key] = true end
      for _, key in ipairs(terms) do
        if not has[key] then added[#added + 1] = key; all[#all + 1] = key end
      end
      if #added > 0 then
        redis.call('HSET', referrer.claim, INDEXES, cjson.encode(all))
        if not is_voided(referrer.claim, referrer.voided_by) then
          for _, key in ipairs(added) do redis.call('ZADD', key, referrer_sequence, referrer.id) end
        end
        pass_on(referrer.targeted_by, added, seen)
      end
    end
  end
end

local written, conflicts, differing = 0, {}, {}
local k, a = 7, 1
while a <= #ARGV do
  local id, document, digest = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local stored, voiding, term_count = tonumber(ARGV[a + 3]), ARGV[a + 4], tonumber(ARGV[a + 5])
  local target_id = ARGV[a + 6]
  a = a + 7
  local document_key, claim, voided_by, targeted_by = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  k = k + 4
  local target_claim, target_voided_by, target_targeted_by
  if target_id ~= '' then
    target_claim, target_voided_by, target_targeted_by = KEYS[k], KEYS[k + 1], KEYS[k + 2]
    k = k + 3
  end
  local terms, has = {}, {}
  for j = 1, term_count do terms[j] = KEYS[k + j - 1]; has[terms[j]] = true end
  k = k + term_count

  local held = redis.call('HMGET', claim, DIGEST, SEQUENCE, STORED, IN_VIEW, STORED_MARK)
  local held_digest, held_sequence, held_stored, in_view, held_mark =
    held[1], held[2], held[3], held[4], held[5]
  if in_view then
    if held_digest ~= digest then differing[#differing + 1] = id end
  elseif held_digest and held_digest ~= digest then
    conflicts[#conflicts + 1] = id
  else
    local missing = undeclared(target_claim, targeted_by)
    if #missing > 0 then return {'undeclared', written, missing} end
    local sequence, at = tonumber(held_sequence), tonumber(held_stored)
    local mark = tonumber(held_mark) or at
    if not sequence then
      sequence, at = redis.call('INCR', sequence_key), stored
      mark = math.max(stored, tonumber(redis.call('GET', last_mark_key) or '0'))
      redis.call('SET', last_mark_key, mark)
      redis.call('HSET', claim, DIGEST, digest, SEQUENCE, sequence, STORED, at, STORED_MARK, mark,
        VOIDS, voiding)
    end
    redis.call('SET', document_key, document, 'NX')
    redis.call('ZADD', expiry_key, at, id)
    redis.call('ZADD', stored_times_key, at, padded(sequence))
    redis.call('ZADD', stored_marks_key, mark, padded(sequence))
    if target_id ~= '' then
      for _, key in ipairs(decoded_list(redis.call('HGET', target_claim, INDEXES))) do
        if not has[key] then terms[#terms + 1] = key; has[key] = true end
      end
      -- Remembered even when the target is in the view: its own target may arrive later.
      redis.call('SADD', target_targeted_by, cjson.encode({
        id = id, claim = claim, voided_by = voided_by, targeted_by = targeted_by}))
    end
    redis.call('HSET', claim, IN_VIEW, '1', INDEXES, cjson.encode(terms))
    if voiding == '1' or redis.call('EXISTS', voided_by) == 0 then
      for _, key in ipairs(terms) do redis.call('ZADD', key, sequence, id) end
      redis.call('ZADD', order_key, sequence, id)
    end
    if voiding == '1' then
      local target = redis.call('HMGET', target_claim, VOIDS, IN_VIEW)
      local target_voids, target_in_view = target[1], target[2]
      if target_voids ~= '1' then
        redis.call('SET', target_voided_by, id, 'NX')
        if target_in_view then unindex(target_claim, target_id) end
      end
    end
    pass_on(targeted_by, terms, {[id] = true})
    written = written + 1
  end
end
return {'done', written, conflicts, differing}
