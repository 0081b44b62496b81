"""How a value of the indicator tables is keyed: the entity's routing key
(``<tenant>|<learner IFI>`` or ``<tenant>|<activity id>``), ``ROUTING_END``, then
``<entity>|<inner>|<kind>|<bucket>``. The worker's tables and their changelogs hold these keys;
``lr replay`` reads them back from the changelogs to rebuild the Redis mirror."""

from __future__ import annotations

from functools import lru_cache

from learning_record.domain.indicators import Entity
from learning_record.domain.indicators.batch import ValueKey

ROUTING_END = b"\x1f"


@lru_cache(maxsize=262_144)  # the same values change batch after batch; keys are short
def table_key(key: ValueKey) -> bytes:
    held = f"{key.entity.value}|{key.inner}|{key.kind}|{key.bucket}"
    return key.routing_key.encode() + ROUTING_END + held.encode()


@lru_cache(maxsize=262_144)
def value_key_of(table_key: bytes) -> ValueKey:
    """The ``ValueKey`` a table key was built from (``table_key``)."""
    routing, _, held = table_key.partition(ROUTING_END)
    tenant, _, subject = routing.decode().partition("|")  # tenants never hold "|"
    entity, _, rest = held.decode().partition("|")
    inner, kind, bucket = rest.rsplit("|", 2)
    return ValueKey(tenant, Entity(entity), subject, inner, kind, int(bucket))
