"""The FUN-MOOC dataset: 22,000 real-shaped statements (see tests/data/README.md)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson

DATASET = Path(__file__).resolve().parents[1] / "data" / "fun-mooc-video-statements.json.gz"


def fun_mooc_statements() -> list[dict[str, Any]]:
    with gzip.open(DATASET) as lines:
        return [orjson.loads(line) for line in lines]
