-- Mark, once per statement, the first origin that routes it (store.statements.route); the rule
-- that reads the marks is domain.indicators.routing.
--
-- KEYS: per request, two keys: for an application, the statement's claim and voided-by; for a
--       void, its target's claim and document.
-- ARGV: per request, kind ("a": an application, "v": a void) and the origin asking
--       ("<input partition>:<position>").
-- An application marks APPLIED_BY with its origin, or with "void" when a void of the statement
-- is already stored; a void marks an applied target's RETRACTED_BY with its origin. A mark
-- once set stays: later origins only read it.
-- Returns per request, read after marking: for an application, APPLIED_BY; for a void,
-- {APPLIED_BY, RETRACTED_BY, target document} (nil where absent).

local APPLY = 'a'

local function mark_application(claim, voided_by, origin)
  local applied_by = redis.call('HGET', claim, APPLIED_BY)
  if applied_by then return applied_by end
  if redis.call('EXISTS', voided_by) == 1 then applied_by = VOIDED_FIRST else applied_by = origin end
  redis.call('HSET', claim, APPLIED_BY, applied_by)
  return applied_by
end

-- Only an applied target takes a retractor: a claim is never created for a target never stored.
local function mark_void(target_claim, target_document_key, origin)
  local held = redis.call('HMGET', target_claim, APPLIED_BY, RETRACTED_BY)
  local applied_by, retracted_by = held[1], held[2]
  if applied_by and applied_by ~= VOIDED_FIRST and not retracted_by then
    retracted_by = origin
    redis.call('HSET', target_claim, RETRACTED_BY, retracted_by)
  end
  return {applied_by, retracted_by, redis.call('GET', target_document_key)}
end

local answers = {}
for i = 1, #ARGV, 2 do
  local kind, origin = ARGV[i], ARGV[i + 1]
  local claim, other = KEYS[i], KEYS[i + 1]
  if kind == APPLY then
    answers[#answers + 1] = mark_application(claim, other, origin)
  else
    answers[#answers + 1] = mark_void(claim, other, origin)
  end
end
return answers
