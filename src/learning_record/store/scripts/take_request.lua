-- Count one request in a key's rate window, unless the window is full
-- (store.rate_limits.RateLimiter.take_request).
--
-- KEYS: the key's request window, holding "<window number>:<requests in it>".
-- ARGV: window length (ms), requests allowed per window.
-- One fixed window per key, on Redis's clock (API processes may disagree on theirs); a new
-- window starts the count again. Returns {allowed 0/1, count after this request, ms until the
-- window ends}.

local window_key = KEYS[1]
local window_ms, limit = tonumber(ARGV[1]), tonumber(ARGV[2])

local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = math.floor(now_ms / window_ms)
local reset_ms = (window + 1) * window_ms - now_ms
local count = 0
local state = redis.call('GET', window_key)
if state then
  local separator = string.find(state, ':', 1, true)
  if tonumber(string.sub(state, 1, separator - 1)) == window then
    count = tonumber(string.sub(state, separator + 1))
  end
end
if count >= limit then
  return {0, count, reset_ms}
end
count = count + 1
redis.call('SET', window_key, window .. ':' .. count, 'PX', reset_ms + window_ms)
return {1, count, reset_ms}
