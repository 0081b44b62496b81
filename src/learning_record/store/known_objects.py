"""What the statements tell of Agents and Activities, kept as they are written: for each agent
IFI the names seen with it (GET /agents), for each Activity its merged definition (GET
/activities). ``statements.write_view`` remembers them for every statement it stores, on the
API's, the worker's and ``lr replay``'s paths alike, so a replay rebuilds them.

Each read is one bounded key (at most ``MOST_NAMES`` names, ``MOST_DEFINITION_PARTS`` parts),
whatever the history; each statement adds at most what it carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import orjson
from redis.typing import EncodableT

from learning_record.store import keys, lua
from learning_record.store.connection import RedisClient
from learning_record.store.lua import LuaScript
from learning_record.store.statement_entries import ViewEntry

# Bounds of one Person's names and one Activity's definition parts: past them, new ones are
# dropped (docs/documents.md).
MOST_NAMES = 100
MOST_DEFINITION_PARTS = 500


def rank(entry: ViewEntry) -> str:
    """Orders statements by stored time, then id, as text (``remember_known_objects.lua``)."""
    return f"{entry.stored_ms:015d}:{entry.statement_id}"


@dataclass(frozen=True, slots=True)
class RememberKnownObjects:
    """Merge the names and definition parts of statements into the known Agents and
    Activities."""

    SCRIPT: ClassVar[LuaScript] = LuaScript("remember_known_objects")
    tenant: str
    entries: Sequence[ViewEntry]

    def keys(self) -> list[str]:
        declared: list[str] = []
        for entry in self.entries:
            declared += [keys.known_agent(self.tenant, learner) for learner, _ in entry.names]
            declared += [
                keys.known_activity(self.tenant, part.activity_id)
                for part in entry.definition_parts
            ]
        return declared

    def args(self) -> list[EncodableT]:
        args: list[EncodableT] = [MOST_NAMES, MOST_DEFINITION_PARTS]
        for entry in self.entries:
            args += [entry.stored_ms, rank(entry), len(entry.names), len(entry.definition_parts)]
            args += [name for _, name in entry.names]
            for part in entry.definition_parts:
                args += [part.field, part.value, "1" if part.first_wins else "0"]
        return args


async def remember(redis: RedisClient, tenant: str, entries: Sequence[ViewEntry]) -> int:
    """Remember what ``entries`` tell; the number of names and parts written."""
    telling = [entry for entry in entries if entry.names or entry.definition_parts]
    if not telling:
        return 0
    return int(await lua.run(redis, RememberKnownObjects(tenant, telling)))


async def names_of(redis: RedisClient, tenant: str, pseudonym: str) -> list[str]:
    """The names seen with an agent, by the pseudonym of its IFI, first seen first."""
    names = cast(list[bytes], await redis.zrange(keys.known_agent(tenant, pseudonym), 0, -1))
    return [name.decode() for name in names]


async def definition_of(redis: RedisClient, tenant: str, activity_id: str) -> dict[str, Any]:
    """The parts of an Activity's merged definition (field: value)."""
    held = cast(dict[bytes, bytes], await redis.hgetall(keys.known_activity(tenant, activity_id)))
    return {field.decode(): orjson.loads(value.partition(b" ")[2]) for field, value in held.items()}
