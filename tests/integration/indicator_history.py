"""Generated statements that exercise every indicator: several IFI kinds, durations, scaled
scores, success and failure, completion, video and cmi5 progress, voids before and after their
targets, late arrivals, and timestamps over the last 40 days, so every window has something."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

LEARNERS: list[dict[str, Any]] = [
    {"objectType": "Agent", "mbox": "mailto:ada@example.org"},
    {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
    {"openid": "https://openid.example.org/grace"},
    {"account": {"homePage": "https://lms.example.org", "name": "u-17"}},
    {"account": {"homePage": "https://lms.example.org", "name": "u|42"}},
    {"objectType": "Agent", "mbox": "mailto:lin@example.org", "name": "Lin"},
]
ACTIVITIES = [f"https://example.org/courses/c1/unit-{n}" for n in range(5)]
VERBS = [
    "http://adlnet.gov/expapi/verbs/experienced",
    "http://adlnet.gov/expapi/verbs/attempted",
    "http://adlnet.gov/expapi/verbs/answered",
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/passed",
    "http://adlnet.gov/expapi/verbs/failed",
    "https://w3id.org/xapi/video/verbs/played",
]
VIDEO_PROGRESS = "https://w3id.org/xapi/video/extensions/progress"
CMI5_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"


@dataclass(frozen=True)
class History:
    voids_first: list[dict[str, Any]]  # voids sent before their targets
    statements: list[dict[str, Any]]  # in the order they are sent: late arrivals included
    voids_after: list[dict[str, Any]]  # voids sent after their targets

    @property
    def everything(self) -> list[dict[str, Any]]:
        return [*self.voids_first, *self.statements, *self.voids_after]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _result(rng: random.Random, verb: str) -> dict[str, Any] | None:
    if rng.random() < 0.2:
        return None
    result: dict[str, Any] = {}
    if rng.random() < 0.6:
        result["duration"] = f"PT{rng.randint(0, 40)}M{rng.randint(0, 59)}.{rng.randint(0, 9)}S"
    if rng.random() < 0.5:
        result["score"] = {"scaled": round(rng.uniform(-1, 1), 2)}
    if rng.random() < 0.5:
        result["success"] = rng.random() < 0.6
    if rng.random() < 0.2:
        result["completion"] = rng.random() < 0.5
    roll = rng.random()
    if roll < 0.25:
        result["extensions"] = {VIDEO_PROGRESS: round(rng.uniform(0, 1), 3)}
    elif roll < 0.4:
        result["extensions"] = {CMI5_PROGRESS: rng.randint(0, 100)}
    return result or None


def _statement(rng: random.Random, now: datetime) -> dict[str, Any]:
    verb = rng.choice(VERBS)
    statement: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": rng.choice(LEARNERS),
        "verb": {"id": verb},
        "object": {"objectType": "Activity", "id": rng.choice(ACTIVITIES)},
        # A tenth in the last hour, so that the 1h window has something to count too.
        "timestamp": _iso(now - timedelta(seconds=rng.uniform(0, _age_limit_s(rng)))),
    }
    if rng.random() < 0.03:  # not an Activity: counts for the learner only
        statement["object"] = {"objectType": "Agent", "mbox": "mailto:mentor@example.org"}
    result = _result(rng, verb)
    if result is not None:
        statement["result"] = result
    return statement


def _age_limit_s(rng: random.Random) -> float:
    return 3000.0 if rng.random() < 0.1 else 40 * 86400.0


def _void(rng: random.Random, target: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": {"mbox": "mailto:admin@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": target["id"]},
        "timestamp": _iso(now),
    }


def history(seed: int, count: int, now: datetime) -> History:
    rng = random.Random(seed)
    statements = [_statement(rng, now) for _ in range(count)]
    # Late arrivals: the oldest tenth is sent last, after newer statements.
    by_time = sorted(statements, key=lambda s: str(s["timestamp"]))
    late = by_time[: count // 10]
    late_ids = {s["id"] for s in late}
    ordered = [s for s in statements if s["id"] not in late_ids] + late
    targets = rng.sample(statements, k=max(2, count // 20))
    half = len(targets) // 2
    return History(
        voids_first=[_void(rng, t, now) for t in targets[:half]],
        statements=ordered,
        voids_after=[_void(rng, t, now) for t in targets[half:]],
    )
