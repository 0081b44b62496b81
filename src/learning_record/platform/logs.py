"""Logs as events with fields, in JSON (one object per line) or as text, by ``LR_LOG_FORMAT``.

Our log calls read ``log.info("event_name key=%s other=%s", …)``; the JSON formatter turns the
rendered message back into ``{"event": "event_name", "key": …, "other": …}``, so call sites stay
the same in both formats. Messages of other libraries (Faust, aiokafka) keep their text in
``message``. The request id and the tenant of the request being served are added to every line
logged while serving it. No secret and no personal data: the call sites log ids, tenants and
reasons, never keys' secrets, statements or learners' identifiers.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
from typing import Any

import orjson

from learning_record.platform import metrics
from learning_record.platform.settings import Settings

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
tenant: contextvars.ContextVar[str | None] = contextvars.ContextVar("tenant", default=None)

_EVENT = re.compile(r"^([a-z][a-z0-9_]*)(?: (.*))?$", re.S)
_FIELD = re.compile(r"([a-z_][a-z0-9_]*)=(.*?)(?= [a-z_][a-z0-9_]*=|$)", re.S)
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s%(context)s"


def event_fields(message: str) -> dict[str, Any]:
    """``"event k=v k2=v w"`` as ``{"event": "event", "k": "v", "k2": "v w"}``; a message of
    another shape as ``{"message": …}``."""
    matched = _EVENT.match(message)
    if matched is None:
        return {"message": message}
    event, rest = matched.group(1), matched.group(2) or ""
    fields: dict[str, Any] = {"event": event}
    if rest:
        pairs = _FIELD.findall(rest)
        if " ".join(f"{k}={v}" for k, v in pairs) != rest:
            return {"message": message}
        fields.update(pairs)
    return fields


class ContextFilter(logging.Filter):
    """Puts the component, request id and tenant on every record."""

    def __init__(self, component: str) -> None:
        super().__init__()
        self.component = component

    def filter(self, record: logging.LogRecord) -> bool:
        record.component = self.component
        record.request_id = request_id.get()
        record.tenant = tenant.get()
        context = [
            f"{name}={value}"
            for name in ("request_id", "tenant")
            if (value := getattr(record, name))
        ]
        record.context = (" " + " ".join(context)) if context else ""
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "component": getattr(record, "component", None),
        }
        line.update(event_fields(record.getMessage()))
        for name in ("request_id", "tenant"):
            value = getattr(record, name, None)
            if value:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class KafkaErrorCounter(logging.Handler):
    """Counts the errors the Kafka client logs (it retries on its own, and raises little)."""

    def __init__(self, component: str) -> None:
        super().__init__(logging.ERROR)
        self.component = component

    def emit(self, record: logging.LogRecord) -> None:
        metrics.KAFKA_ERRORS.labels(self.component, "client").inc()


def logging_config(settings: Settings, component: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the API or the worker (Faust takes it as is)."""
    formatter: dict[str, Any] = (
        {"()": JsonFormatter} if settings.log_format == "json" else {"format": _TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter, "component": component}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
                "filters": ["context"],
            },
            "kafka_errors": {"()": KafkaErrorCounter, "component": component},
        },
        "loggers": {"aiokafka": {"handlers": ["kafka_errors"]}},
        "root": {"level": settings.log_level.upper(), "handlers": ["default"]},
    }
