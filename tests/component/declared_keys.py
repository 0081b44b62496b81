"""A check that a script touches only the keys in its KEYS, which Redis Cluster requires and
Redis itself does not enforce (a key of the same slot that is not declared goes through).

The script's own text runs with every ``redis.call`` first asking Redis which of its arguments
are keys (``COMMAND GETKEYS``, the server's own key specs) and failing on one not in KEYS: keys
read from the data (index lists, targeted-by members) are checked as well as literal ones."""

from __future__ import annotations

GUARD = """
local declared_keys = {}
for _, key in ipairs(KEYS) do declared_keys[key] = true end
local function declared_call(command, ...)
  local touched = redis.pcall('COMMAND', 'GETKEYS', command, ...)
  if not touched.err then  -- an error: a command without keys (TIME)
    for _, key in ipairs(touched) do
      if not declared_keys[key] then error('undeclared key ' .. key .. ' in ' .. command) end
    end
  end
  return redis.call(command, ...)
end
"""


def guarded(source: str) -> str:
    """``source`` with every Redis call checked against KEYS."""
    if "redis.pcall" in source:
        raise ValueError("the guard covers redis.call only")
    return GUARD + source.replace("redis.call(", "declared_call(")
