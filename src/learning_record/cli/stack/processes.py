"""Child processes that die with their launcher: no orphan broker, Redis or worker."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: ask Linux to SIGTERM it when the launcher dies,
    # even when the launcher itself is SIGKILLed and gets no chance to clean up.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class ManagedProcess:
    """A named child process whose output goes to ``log_path``."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                list(self.argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,  # Ctrl-C reaches the launcher only; it stops us in order.
                preexec_fn=_die_with_parent,
            )

    def start_and_wait(self, timeout_s: float) -> None:
        """Run a one-shot command to completion; raise with its log tail when it fails."""
        self.start()
        assert self.popen is not None
        if self.popen.wait(timeout_s) != 0:
            raise RuntimeError(f"{self.name} failed:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        if self.popen is None:
            raise RuntimeError(f"{self.name} was not started")
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum: int) -> None:
        if self.alive():
            os.killpg(self.pid, signum)

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after ``timeout_s``."""
        if self.popen is None:
            return
        if self.alive():
            os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait(5)
        self._reap_group()

    def kill(self) -> None:
        """SIGKILL at once, as a crash would."""
        if self.popen is None:
            return
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)
        self.popen.wait(10)
        self._reap_group()

    def _reap_group(self) -> None:
        # Grandchildren (if any) share the session: make sure none outlive us.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def wait_until(
    condition_name: str,
    check: Callable[[], bool],
    timeout_s: float,
    proc: ManagedProcess | None = None,
) -> None:
    """Poll ``check()`` until it returns true; fail early when ``proc`` has died."""
    deadline = time.monotonic() + timeout_s
    while True:
        if proc is not None and not proc.alive():
            raise RuntimeError(
                f"{proc.name} exited while waiting for {condition_name}:\n{proc.log_tail()}"
            )
        if check():
            return
        if time.monotonic() > deadline:
            tail = f":\n{proc.log_tail()}" if proc else ""
            raise TimeoutError(f"{condition_name} not reached in {timeout_s:.0f}s{tail}")
        time.sleep(0.1)
