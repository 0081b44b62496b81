"""Scenario 3, the peer: ralph-malph 5.1.0 (openfun's LRS) with its file backend, installed in
a virtualenv of its own under the bench's temporary folder and started on a free port.

Its file backend refuses a write to an existing file unless the operation is an append, and
the LRS asks for its default operation: the launcher below sets
``FSLRSBackend.default_operation_type`` to append before starting uvicorn, as a deployment of
it would have to. Nothing of ours is patched. ``ralph auth`` needs the ``[cli]`` extra, which is
not installed, so the launcher writes the credentials file the way ``ralph auth -w`` does:
one user with scope ``all`` and a bcrypt hash of its password.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from learning_record.cli.stack.processes import ManagedProcess, wait_until
from tests.ports import free_ports

RALPH = "ralph-malph[lrs]==5.1.0"
USER, PASSWORD = "bench", "bench-secret"

LAUNCHER = '''\
"""Start ralph's LRS with the file backend appending to its one file (written by the bench)."""
import json
import os
import sys

import bcrypt
import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

user, password, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
credentials = [{
    "username": user,
    "hash": bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode("ascii"),
    "scopes": ["all"],
    "agent": {"objectType": "Agent", "mbox": "mailto:bench@example.org"},
}]
with open(os.environ["RALPH_AUTH_FILE"], "w") as auth_file:
    json.dump(credentials, auth_file)
uvicorn.run("ralph.api:app", host="127.0.0.1", port=port, log_level="warning")
'''


class RalphInstall:
    """The peer's virtualenv and launcher in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.venv = folder / "ralph-venv"
        self.launcher = folder / "ralph_launcher.py"

    def install(self) -> str:
        """Create the virtualenv and install the peer; its installed version."""
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
        pip = [str(self.venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        subprocess.run(
            [*pip, "install", "--quiet", "--progress-bar", "off", RALPH, "requests"], check=True
        )
        self.launcher.write_text(LAUNCHER)
        shown = subprocess.run(
            [*pip, "show", "ralph-malph"], check=True, capture_output=True, text=True
        ).stdout
        return next(
            line.split(":", 1)[1].strip() for line in shown.splitlines() if "Version" in line
        )

    @contextmanager
    def serving(self, store: Path) -> Iterator[str]:
        """The LRS on a fresh store in ``store``; yields its statements URL."""
        store.mkdir(parents=True)
        (port,) = free_ports(1)
        env = {
            "PATH": f"{self.venv / 'bin'}:/usr/bin:/bin",
            "RALPH_APP_DIR": str(store / "app"),
            "RALPH_AUTH_FILE": str(store / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(store),
        }
        process = ManagedProcess(
            "ralph",
            [str(self.venv / "bin" / "python"), str(self.launcher), USER, PASSWORD, str(port)],
            store / "ralph.log",
            env=env,
            cwd=store,
        )
        process.start()
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until("ralph heartbeat", lambda: _ok(f"{base}/__heartbeat__"), 60, process)
            # One authenticated read first, as ours gets before its clock starts: its
            # credentials are checked (bcrypt) and cached before the timed requests.
            _ok(f"{base}/xAPI/statements?limit=1", auth_headers())
            yield f"{base}/xAPI/statements"
        finally:
            process.stop()


def statements_stored(store: Path) -> int:
    """Lines of the peer's one file: what it holds after its 200s."""
    with (store / "fs_lrs.jsonl").open("rb") as lines:
        return sum(1 for _ in lines)


def auth_headers() -> dict[str, str]:
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}


def _ok(url: str, headers: dict[str, str] | None = None) -> bool:
    try:
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=10) as response:
            return bool(response.status == 200)
    except OSError:
        return False
