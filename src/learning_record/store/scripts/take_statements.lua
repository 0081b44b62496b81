-- Count a batch of statements in a key's monthly quota, unless that would pass it
-- (store.rate_limits.RateLimiter.take_statements).
--
-- KEYS: the key's statement count of the month.
-- ARGV: statements in the batch, the monthly quota.
-- Returns {allowed 0/1, count after}.

local quota_key = KEYS[1]
local wanted, quota = tonumber(ARGV[1]), tonumber(ARGV[2])
-- Longer than any month, so that a month's count outlives it and then goes.
local KEPT_S = 40 * 24 * 3600

local count = tonumber(redis.call('GET', quota_key) or '0')
if count + wanted > quota then
  return {0, count}
end
count = redis.call('INCRBY', quota_key, wanted)
redis.call('EXPIRE', quota_key, KEPT_S)
return {1, count}
