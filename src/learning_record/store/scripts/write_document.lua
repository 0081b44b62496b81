-- Write or delete one document under its lease, if it still has the ETag the write was decided
-- on (store.documents.WriteDocument); the lease is released whatever the outcome.
--
-- KEYS: the document, its lease, its context's index.
-- ARGV: the lease token, the ETag the write expects ('' when it expects no document), the
--       operation ('put', 'delete' or 'release'), the document's slot in the index; for 'put'
--       also its content type, content, ETag and updated time (Unix ms).
-- Returns 'written', 'released', 'changed' (the document's ETag is not the expected one:
-- nothing written) or 'lease_lost' (the lease expired, or is another write's: nothing written).

local document_key, lease_key, ids_key = KEYS[1], KEYS[2], KEYS[3]
local token, expected_etag, operation, slot = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

if redis.call('GET', lease_key) ~= token then return 'lease_lost' end
redis.call('DEL', lease_key)
if operation == 'release' then return 'released' end

local current_etag = redis.call('HGET', document_key, 'etag') or ''
if current_etag ~= expected_etag then return 'changed' end

if operation == 'delete' then
  redis.call('DEL', document_key)
  redis.call('ZREM', ids_key, slot)
else
  local content_type, content, etag, updated_ms = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
  redis.call('DEL', document_key)
  redis.call('HSET', document_key,
    'type', content_type, 'content', content, 'etag', etag, 'updated', updated_ms)
  redis.call('ZADD', ids_key, updated_ms, slot)
end
return 'written'
