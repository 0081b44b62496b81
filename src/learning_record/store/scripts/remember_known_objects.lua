-- Remember the names and definition parts statements give (store.known_objects.remember): the
-- Persons of GET /agents and the Activities of GET /activities. Every write is a merge that
-- gives the same result whatever order the statements come in, and again for a statement seen
-- twice (redelivery, replay).
--
-- KEYS: per statement, the known-agent key of each name it gives, then the known-activity key
--       of each definition part it gives.
-- ARGV: most names per agent, most parts per activity, then per statement: stored (Unix ms),
--       rank (stored time and id: orders statements), how many names, how many parts; then per
--       name: the name; per part: field, JSON value, "1" when the first statement's stays
--       ("0": the newest statement's wins).
-- Returns the number of names and parts written.
--
-- A name keeps the stored time of the first statement giving it (ZADD LT). A part is held as
-- "<rank> <JSON value>" and replaced only by one of a lower rank (first wins) or a higher one
-- (newest wins). Past the bounds, new names and parts are dropped: reads stay bounded.

local most_names, most_parts = tonumber(ARGV[1]), tonumber(ARGV[2])

-- Byte order, whatever the server's locale: Lua's < on strings follows strcoll, and Redis takes
-- LC_COLLATE from its environment, so two servers could order the same ranks differently.
local function before(x, y)
  for i = 1, math.min(#x, #y) do
    local a, b = string.byte(x, i), string.byte(y, i)
    if a ~= b then return a < b end
  end
  return #x < #y
end

local function held_rank(held)
  return string.sub(held, 1, string.find(held, ' ', 1, true) - 1)
end

local written, k, a = 0, 1, 3
while a <= #ARGV do
  local stored, rank = ARGV[a], ARGV[a + 1]
  local name_count, part_count = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  a = a + 4
  for _ = 1, name_count do
    local agent_key, name = KEYS[k], ARGV[a]
    k, a = k + 1, a + 1
    if redis.call('ZSCORE', agent_key, name) or redis.call('ZCARD', agent_key) < most_names then
      written = written + redis.call('ZADD', agent_key, 'LT', 'CH', stored, name)
    end
  end
  for _ = 1, part_count do
    local activity_key, field, value, first_wins = KEYS[k], ARGV[a], ARGV[a + 1], ARGV[a + 2]
    k, a = k + 1, a + 3
    local held = redis.call('HGET', activity_key, field)
    local wins
    if held then
      local other = held_rank(held)
      if first_wins == '1' then wins = before(rank, other) else wins = before(other, rank) end
    else
      wins = redis.call('HLEN', activity_key) < most_parts
    end
    if wins then
      redis.call('HSET', activity_key, field, rank .. ' ' .. value)
      written = written + 1
    end
  end
end
return written
