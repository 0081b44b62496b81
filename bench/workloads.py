"""The statements the suite sends: the FUN-MOOC dataset as it is, copies of it under new ids,
a synthetic workload with 5 % voids, and one heavy learner's history."""

from __future__ import annotations

import gzip
import random
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from bench import REPOSITORY

DATASET = REPOSITORY / "tests" / "data" / "fun-mooc-video-statements.json.gz"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
_COPY_NAMESPACE = uuid.UUID("0f6c7d38-2b1a-4f43-9a55-64b0c0b1e7a1")

Statement = dict[str, Any]


def fun_mooc() -> list[Statement]:
    """The 22,000 FUN-MOOC statements (tests/data/README.md), in file order."""
    with gzip.open(DATASET) as lines:
        return [orjson.loads(line) for line in lines]


def with_new_ids(statements: Sequence[Statement], copy: str) -> list[Statement]:
    """The same statements under ids of their own, stable for a given ``copy`` label."""
    return [
        {**statement, "id": str(uuid.uuid5(_COPY_NAMESPACE, f"{copy}:{statement['id']}"))}
        for statement in statements
    ]


def batch_bodies(statements: Sequence[Statement], size: int) -> list[bytes]:
    """JSON arrays of ``size`` statements, serialised once before any clock starts."""
    return [orjson.dumps(list(statements[i : i + size])) for i in range(0, len(statements), size)]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def synthetic_with_voids(
    count: int, *, seed: int, learners: int = 2_000, activities: int = 200, void_share: float = 0.05
) -> list[Statement]:
    """``count`` statements, ``void_share`` of them voiding an earlier one of the workload:
    learners and activities drawn at random, results with durations, scores, success and
    completion, event times over the last 40 days."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    statements: list[Statement] = []
    counted: list[str] = []
    for _ in range(count):
        statement_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if counted and rng.random() < void_share:
            target = counted.pop(rng.randrange(len(counted)))
            statements.append(_void(statement_id, target, now))
            continue
        statements.append(_learning(rng, statement_id, now, learners, activities))
        counted.append(statement_id)
    return statements


def _learning(
    rng: random.Random, statement_id: str, now: datetime, learners: int, activities: int
) -> Statement:
    verb = rng.choice(["experienced", "attempted", "answered", "completed", "passed", "failed"])
    result: dict[str, Any] = {"duration": f"PT{rng.randint(0, 40)}M{rng.randint(0, 59)}S"}
    if rng.random() < 0.5:
        result["score"] = {"scaled": round(rng.uniform(0, 1), 2)}
        result["success"] = rng.random() < 0.6
    if rng.random() < 0.2:
        result["completion"] = True
    return {
        "id": statement_id,
        "actor": {"mbox": f"mailto:learner-{rng.randrange(learners)}@example.org"},
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
        "object": {"id": f"https://example.org/courses/c1/unit-{rng.randrange(activities)}"},
        "result": result,
        "timestamp": _iso(now - timedelta(seconds=rng.uniform(0, 40 * 86400))),
    }


def _void(statement_id: str, target: str, now: datetime) -> Statement:
    return {
        "id": statement_id,
        "actor": {"mbox": "mailto:admin@example.org"},
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": target},
        "timestamp": _iso(now),
    }


def heavy_learner(count: int, *, seed: int, activities: int = 50) -> Iterator[Statement]:
    """One learner's ``count`` statements, in time order over the last 30 days (one every few
    seconds to minutes), on ``activities`` activities: a learner with a long history. Each is
    stored a second after it happened, as if the API had accepted it then."""
    rng = random.Random(seed)
    moment = datetime.now(UTC) - timedelta(days=30)
    step_s = 30 * 86400 / max(count, 1)
    for _ in range(count):
        moment += timedelta(seconds=rng.uniform(0, 2 * step_s))
        yield {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": {"mbox": "mailto:heavy@example.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
            "object": {"id": f"https://example.org/courses/c1/unit-{rng.randrange(activities)}"},
            "result": {
                "duration": f"PT{rng.randint(1, 300)}S",
                "score": {"scaled": round(rng.uniform(0, 1), 2)},
                "success": rng.random() < 0.7,
            },
            "timestamp": _iso(moment),
            "stored": _iso(moment + timedelta(seconds=1)),
        }
