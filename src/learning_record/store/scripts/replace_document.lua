-- Replace a statement's document by one where an erased learner is a placeholder, and take the
-- statement out of that learner's index keys (store.learner_erasure.replace_mentions).
--
-- KEYS: document, claim, then the index keys the statement leaves.
-- ARGV: id, the new document (JSON), its claim's index list as the caller read it (JSON, ""
--       when absent), the list it keeps (JSON).
-- Replaced only if the document is still there and its claim still lists what the caller read
-- (a statement pointing to it may have passed it terms since): otherwise left for the caller to
-- read again. Returns 1 when replaced.

local document_key, claim = KEYS[1], KEYS[2]
local id, document, indexes_read, indexes_kept = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local indexes = redis.call('HGET', claim, INDEXES) or ''
if indexes ~= indexes_read or redis.call('EXISTS', document_key) == 0 then
  return 0
end
redis.call('SET', document_key, document, 'KEEPTTL')
for i = 3, #KEYS do redis.call('ZREM', KEYS[i], id) end
redis.call('HSET', claim, INDEXES, indexes_kept)
return 1
