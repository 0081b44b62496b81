-- Reserve a batch of statement ids for their content, all or nothing (store.statements.reserve).
--
-- KEYS: sequence, last stored, the claim of each of the n statements, then the claims of the
--       statements they void.
-- ARGV: now (Unix ms), then per statement: digest, voiding ("1"/"0"), the KEYS index of the
--       claim of the statement it voids (0 when it voids nothing).
-- Returns {"conflict", i} | {"voids_voiding", i} | {"ok", {{state, sequence, stored}, ...}} with
-- state "new" (reserved now), "pending" (reserved earlier, not yet in the view) or "stored"
-- (already in the view).

local sequence_key = KEYS[1]
local last_stored_key = KEYS[2]
local now_ms = tonumber(ARGV[1])
local count = (#ARGV - 1) / 3
local function claim_key(i) return KEYS[2 + i] end
local function digest(i) return ARGV[3 * i - 1] end
local function voiding(i) return ARGV[3 * i] end
local function voided_claim_index(i) return tonumber(ARGV[3 * i + 1]) end

-- Check every statement before reserving any: the batch is all or nothing.
for i = 1, count do
  local held_digest = redis.call('HGET', claim_key(i), DIGEST)
  if held_digest and held_digest ~= digest(i) then return {'conflict', i} end
  local voided = voided_claim_index(i)
  if voided > 0 and redis.call('HGET', KEYS[voided], VOIDS) == '1' then
    return {'voids_voiding', i}
  end
end

-- Stored times handed out never decrease, so the sequence order is the stored order.
local stored = math.max(now_ms, tonumber(redis.call('GET', last_stored_key) or '0'))
local states = {}
for i = 1, count do
  local held = redis.call('HMGET', claim_key(i), SEQUENCE, STORED, IN_VIEW)
  local held_sequence, held_stored, in_view = held[1], held[2], held[3]
  if held_sequence then
    states[i] = {in_view and 'stored' or 'pending', tonumber(held_sequence), tonumber(held_stored)}
  else
    local sequence = redis.call('INCR', sequence_key)
    redis.call('HSET', claim_key(i), DIGEST, digest(i), SEQUENCE, sequence, STORED, stored,
      VOIDS, voiding(i))
    states[i] = {'new', sequence, stored}
  end
end
redis.call('SET', last_stored_key, stored)
return {'ok', states}
