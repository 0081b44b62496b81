"""Logs as events with fields, through structlog, as JSON or key=value lines (``LR_LOG_FORMAT``).

Our code logs events with fields: ``log.info("statement_rejected", tenant=t, reason=r)``, on a
logger from ``get_logger(__name__)``. The std-lib loggers of the libraries (aiohttp, aiokafka,
Faust) go through the same processors, so every line has the same shape: ``ts``, ``level``,
``logger``, ``component``, ``event`` and the fields; a library's message is its ``event``. What
the API binds while it serves a request (``bind_request``: the request id, then the tenant) is
on every line logged meanwhile, ours or a library's, because it lives in context variables.

No secret and no personal data: events carry ids, tenants, counts and reasons, never keys'
secrets, statements or learners' identifiers (names, e-mail addresses, accounts).
"""

from __future__ import annotations

import logging
import logging.config
from typing import Any

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from learning_record.platform import metrics
from learning_record.platform.settings import Settings

# The order of a key=value line: what a reader scans for first.
_KEY_ORDER = ["ts", "level", "logger", "component", "event", "request_id", "tenant"]


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)


def bind_request(**context: str) -> None:
    """Put ``context`` (``request_id``, ``tenant``) on every line logged from here on in this
    task: each request is served in a task of its own, which copied the context it started in."""
    structlog.contextvars.bind_contextvars(**context)


def _with_component(component: str) -> Processor:
    def add_component(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
        event.setdefault("component", component)
        return event

    return add_component


def _shared(component: str) -> list[Processor]:
    """What every line gets, logged through structlog or through the std-lib."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _with_component(component),
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
    ]


def _renderer(settings: Settings) -> Processor:
    if settings.log_format == "json":
        return structlog.processors.JSONRenderer(
            serializer=lambda event, **_: orjson.dumps(event, default=str).decode()
        )
    return structlog.processors.LogfmtRenderer(key_order=_KEY_ORDER, drop_missing=True)


def configure_structlog(settings: Settings, component: str) -> None:
    """Our loggers hand their events to the std-lib, whose handler renders them (see
    ``logging_config``): one place writes every line."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,  # before any work on a line nobody will see
            *_shared(component),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


class KafkaErrorCounter(logging.Handler):
    """Counts the errors the Kafka client logs (it retries on its own, and raises little)."""

    def __init__(self, component: str) -> None:
        super().__init__(logging.ERROR)
        self.component = component

    def emit(self, record: logging.LogRecord) -> None:
        metrics.KAFKA_ERRORS.labels(self.component, "client").inc()


def logging_config(settings: Settings, component: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the API or the worker (Faust takes it as is)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": _shared(component),
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    _renderer(settings),
                ],
            }
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
            },
            "kafka_errors": {"()": KafkaErrorCounter, "component": component},
        },
        "loggers": {"aiokafka": {"handlers": ["kafka_errors"]}},
        "root": {"level": settings.log_level.upper(), "handlers": ["default"]},
    }


def configure(settings: Settings, component: str) -> None:
    """Both halves, for a process that configures the std-lib itself (the API; Faust calls
    ``dictConfig`` with ``logging_config`` on its own)."""
    configure_structlog(settings, component)
    logging.config.dictConfig(logging_config(settings, component))
