-- Take the lease of one document for a write, and read the document it will change
-- (store.documents.TakeDocumentLease). One write per document at a time: the write that holds
-- the lease appends to Kafka, then writes Redis (write_document.lua), so the topic and Redis
-- see the writes of a document in the same order.
--
-- KEYS: the document, its lease, its context's index.
-- ARGV: the lease token, the lease's lifetime (ms).
-- Returns {0} when another write holds the lease; else {1, documents in the context} when the
-- document does not exist, {1, documents in the context, type, content, updated} when it does.

local document_key, lease_key, ids_key = KEYS[1], KEYS[2], KEYS[3]
local token, lifetime_ms = ARGV[1], ARGV[2]

if not redis.call('SET', lease_key, token, 'NX', 'PX', lifetime_ms) then return {0} end
local count = redis.call('ZCARD', ids_key)
local held = redis.call('HMGET', document_key, 'type', 'content', 'updated')
if not held[1] then return {1, count} end
return {1, count, held[1], held[2], held[3]}
