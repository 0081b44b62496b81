"""The one deadline on a wait for Kafka: past it, or on any Kafka error, the caller gets
``DependencyUnavailable`` (503): a broker that is down or frozen never holds a caller longer
than the deadline (the API's writes, the learners' keys)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka.errors import KafkaError

from learning_record.domain.errors import DependencyUnavailable


@asynccontextmanager
async def kafka_deadline(deadline_s: float, waiting_for: str) -> AsyncIterator[None]:
    """Kafka's errors, and no ``waiting_for`` within ``deadline_s``, as
    ``DependencyUnavailable``."""
    try:
        async with asyncio.timeout(deadline_s):
            yield
    except TimeoutError as error:
        raise DependencyUnavailable("kafka", f"no {waiting_for} in {deadline_s:g} s") from error
    except KafkaError as error:
        raise DependencyUnavailable("kafka", type(error).__name__) from error
