-- Decide, once per statement, whether it counts in the indicators (xAPI voiding, duplicates;
-- store.statements.route).
--
-- KEYS: per request, two keys: for an application, the statement's claim and voided-by; for a
--       void, its target's claim and document.
-- ARGV: per request, kind ("a": apply the statement, "v": retract the target) and the origin
--       asking ("<input partition>:<position>").
-- The first origin decides; the same origin asking again (a redelivery) gets the same answer;
-- another one (a duplicate) gets nothing.
-- Returns per request: 1 (apply) or 0; for a void, {target document, origin that applied it}
-- (retract it) or 0.

local APPLY = 'a'
local VOIDED_FIRST = 'void'  -- APPLIED_BY of a statement voided before it counted

-- An application: the first origin applies the statement, unless it is already voided.
local function apply(claim, voided_by, origin)
  local applied_by = redis.call('HGET', claim, APPLIED_BY)
  if not applied_by then
    if redis.call('EXISTS', voided_by) == 1 then
      redis.call('HSET', claim, APPLIED_BY, VOIDED_FIRST)
      return 0
    end
    redis.call('HSET', claim, APPLIED_BY, origin)
    return 1
  end
  return applied_by == origin and 1 or 0
end

-- A void: the first origin retracts its target, if the target was applied.
local function retract(target_claim, target_document_key, origin)
  local held = redis.call('HMGET', target_claim, APPLIED_BY, RETRACTED_BY)
  local applied_by, retracted_by = held[1], held[2]
  if not applied_by or applied_by == VOIDED_FIRST then return 0 end
  if retracted_by and retracted_by ~= origin then return 0 end
  local document = redis.call('GET', target_document_key)
  if not document then return 0 end
  if not retracted_by then redis.call('HSET', target_claim, RETRACTED_BY, origin) end
  return {document, applied_by}
end

local answers = {}
for i = 1, #ARGV, 2 do
  local kind, origin = ARGV[i], ARGV[i + 1]
  local claim, other = KEYS[i], KEYS[i + 1]
  if kind == APPLY then
    answers[#answers + 1] = apply(claim, other, origin)
  else
    answers[#answers + 1] = retract(claim, other, origin)
  end
end
return answers
