-- Forget statements stored before a time (view retention: Kafka keeps them;
-- store.statements.purge_view), or erased ones whenever stored (store.statements.erase_statements).
--
-- KEYS: order, stored times, stored marks, expiry, then per statement: document, claim,
--       voided-by, targeted-by, its owner's retired hash, and the n index keys its claim listed
--       when the caller read it.
-- ARGV: cutoff (Unix ms), keep claims ("1": an erasure keeps each claim without its index list,
--       so that the id stays taken and a redelivered record neither writes the statement again
--       nor is counted twice), then per statement: id, its claim's index list as the caller read
--       it (JSON, "" when absent), n, what to keep of it once retention purges it (JSON, ""
--       for nothing: store.retired_statements).
-- Retention keeps, in the owner's retired hash, the origin that applied the statement to the
-- indicators and the one that retracted it ("-" for none), its sequence and the JSON given:
-- what an erasure needs to retract it exactly and to find its attachments, once its claim is
-- gone.
-- A statement is purged only if it is still due and its claim still lists exactly the index
-- keys declared (a statement pointing to it may have passed it terms since): otherwise it is
-- left for the next purge, which reads it again. Returns how many were purged.

local order_key, stored_times_key, stored_marks_key, expiry_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local cutoff_ms, keep_claims = tonumber(ARGV[1]), ARGV[2] == '1'

local purged = 0
local k = 5
for a = 3, #ARGV, 4 do
  local id, indexes_read, index_count = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
  local kept = ARGV[a + 3]
  local document_key, claim, voided_by, targeted_by = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local retired = KEYS[k + 4]
  local first_index = k + 5
  k = first_index + index_count
  local stored = tonumber(redis.call('ZSCORE', expiry_key, id))
  local held = redis.call('HMGET', claim, SEQUENCE, INDEXES, APPLIED_BY, RETRACTED_BY)
  local sequence, indexes = held[1], held[2] or ''
  if stored and stored < cutoff_ms and indexes == indexes_read then
    if kept ~= '' and not keep_claims then
      local applied_by, retracted_by = held[3], held[4] or '-'
      if not applied_by or applied_by == VOIDED_FIRST then applied_by = '-' end
      redis.call('HSET', retired, id,
        applied_by .. ' ' .. retracted_by .. ' ' .. (sequence or '0') .. ' ' .. kept)
    end
    for i = first_index, first_index + index_count - 1 do redis.call('ZREM', KEYS[i], id) end
    redis.call('ZREM', order_key, id)
    if sequence then
      redis.call('ZREM', stored_times_key, padded(tonumber(sequence)))
      redis.call('ZREM', stored_marks_key, padded(tonumber(sequence)))
    end
    if keep_claims then
      redis.call('HDEL', claim, INDEXES)
      redis.call('DEL', document_key, voided_by, targeted_by)
    else
      redis.call('DEL', document_key, claim, voided_by, targeted_by)
    end
    redis.call('ZREM', expiry_key, id)
    purged = purged + 1
  end
end
return purged
