-- Shared by the statement scripts (store.lua puts it before each of them).
--
-- The fields of a statement's claim hash (store.keys.statement_claim). Their stored names are
-- short because there is one claim per statement; the names below say what they hold.
local DIGEST = 'd'         -- content digest (domain.statement_index.content_digest)
local SEQUENCE = 's'       -- sequence, handed out once per id
local STORED = 't'         -- stored (Unix ms)
local STORED_MARK = 'm'    -- max(stored, every earlier mark); STORED when absent
local VOIDS = 'v'          -- "1" when the statement voids another
local IN_VIEW = 'w'        -- "1" once the statement is in the view
local INDEXES = 'ix'       -- JSON list of the index keys the statement is in
local APPLIED_BY = 'a'     -- origin that applied it to the indicators ("void": voided first)
local RETRACTED_BY = 'x'   -- origin that retracted it from the indicators
local VOIDED_FIRST = 'void'  -- APPLIED_BY of a statement whose void was stored before it

-- Sequences are zset members in the stored-time zsets: padded so that they never collide with
-- a number Redis would print differently.
local function padded(sequence) return string.format('%015d', sequence) end

-- A JSON list (as the claim's INDEXES holds it) as a Lua list; an absent field is empty.
local function decoded_list(text)
  local list = {}
  for _, item in ipairs(cjson.decode(text or '[]')) do list[#list + 1] = item end
  return list
end
