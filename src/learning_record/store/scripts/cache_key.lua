-- Cache an API key record unless a newer revision is cached (store.api_keys.cache_key).
--
-- KEYS: the key's cache entry.
-- ARGV: the record (JSON), its revision.
-- Returns 1 when written, 0 when the cache holds a newer revision.

local entry_key = KEYS[1]
local record, revision = ARGV[1], tonumber(ARGV[2])

local held = redis.call('GET', entry_key)
if held and (cjson.decode(held)['revision'] or 0) > revision then return 0 end
redis.call('SET', entry_key, record)
return 1
