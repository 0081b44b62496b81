-- Cache an API key record unless the cached one supersedes it (store.api_keys.cache_key,
-- domain.access.supersedes): a newer revision, or a revocation of the same revision, so that a
-- rotation racing a revocation never brings a revoked key back.
--
-- KEYS: the key's cache entry.
-- ARGV: the record (JSON), its revision, "1" if it is revoked.
-- Returns 1 when written, 0 when the cached record supersedes it. A cached entry that cannot
-- be read is replaced.

local entry_key = KEYS[1]
local record, revision, revoked = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1'

local held = redis.call('GET', entry_key)
if held then
  local ok, cached = pcall(cjson.decode, held)
  if ok and type(cached) == 'table' then
    local cached_revision = tonumber(cached['revision']) or 0
    if cached_revision > revision then return 0 end
    if cached_revision == revision and cached['revoked'] == true and not revoked then
      return 0
    end
  end
end
redis.call('SET', entry_key, record)
return 1
