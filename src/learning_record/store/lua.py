"""The store's Lua scripts: each lives in ``store/scripts/<name>.lua`` (package data), names its
KEYS and ARGV at its top, and has one Python description (a ``ScriptCall``) that builds them in
that order, so no caller lines up positional lists by hand.

Redis Cluster needs every key a script touches in its KEYS, all in one slot: the descriptions
take their keys from ``store.keys``, whose hash tags put the keys of one tenant in one slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any, ClassVar, Protocol

from redis.typing import EncodableT

from learning_record.store.connection import RedisClient


@dataclass(frozen=True)
class LuaScript:
    """A script file, with the shared files put before it (Redis scripts cannot include)."""

    name: str
    shared: tuple[str, ...] = ()

    @cached_property
    def source(self) -> str:
        return "\n".join(_read(name) for name in (*self.shared, self.name))


def _read(name: str) -> str:
    scripts = resources.files("learning_record.store").joinpath("scripts")
    return scripts.joinpath(f"{name}.lua").read_text(encoding="utf-8")


class ScriptCall(Protocol):
    """One run of a script: its KEYS and ARGV, in the order its file names them."""

    SCRIPT: ClassVar[LuaScript]

    def keys(self) -> list[str]: ...

    def args(self) -> list[EncodableT]: ...


async def run(redis: RedisClient, call: ScriptCall) -> Any:
    """Run the script (EVALSHA, loading it on a server that does not know it yet)."""
    script = redis.register_script(call.SCRIPT.source)
    return await script(keys=call.keys(), args=call.args())
