"""Who this process is, for heartbeats, and where other processes reach its ``/metrics``."""

from __future__ import annotations

import os
import socket

PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}"

# A server bound to every interface is not reached at these: others use the machine's name.
_WILDCARDS = frozenset({"", "0.0.0.0", "::"})


def metrics_url(bind_host: str, port: int, *, tls: bool = False) -> str:
    """The URL of the ``/metrics`` served on ``bind_host:port``, as another machine spells it."""
    host = socket.gethostname() if bind_host in _WILDCARDS else bind_host
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"{'https' if tls else 'http'}://{host}:{port}/metrics"
