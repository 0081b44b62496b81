"""Run the `lr` command line as an operator would, against the test stack."""

from __future__ import annotations

import asyncio
import os
import sys

from learning_record.cli.stack.local_stack import settings_env
from learning_record.platform.settings import Settings


async def run_lr(settings: Settings, *args: str, timeout_s: float = 120) -> str:
    """The command's standard output; fails the test with its standard error when it fails."""
    code, stdout, stderr = await run_lr_status(settings, *args, timeout_s=timeout_s)
    assert code == 0, f"lr {' '.join(args)} failed:\n{stderr}"
    return stdout


async def run_lr_status(
    settings: Settings, *args: str, timeout_s: float = 120
) -> tuple[int | None, str, str]:
    """(exit code, standard output, standard error) of an `lr` command."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "learning_record.cli",
        *args,
        env={**os.environ, **settings_env(settings)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout_s)
    return process.returncode, stdout.decode(), stderr.decode()
