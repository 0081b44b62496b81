"""``lr replay`` with a view retention: a statement past it is not written back to the view,
but what it told of its Agents and Activities is remembered, as the live view remembers it."""

from __future__ import annotations

from typing import Any

from learning_record.cli.replay import _replayed
from learning_record.cli.statement_log import LoggedRecord
from tests.pseudonyms import learner_ids

DAY_MS = 86_400_000
NOW_MS = 1_796_300_000_000  # 2026-12-03
LEARNER_ID = learner_ids("t1")
ADA = LEARNER_ID("mbox:mailto:ada@example.org")  # the view names agents by pseudonym


def statement(stored: str, name: str) -> dict[str, Any]:
    return {
        "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
        "actor": {"mbox": "mailto:ada@example.org", "name": name},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://example.org/activities/1"},
        "stored": stored,
        "timestamp": stored,
        "authority": {"mbox": "mailto:lrs@example.org"},
        "version": "1.0.3",
    }


def test_a_statement_past_the_retention_is_remembered_but_not_viewed() -> None:
    old = statement("2026-10-01T00:00:00.000Z", "Ada of October")
    recent = statement("2026-12-02T00:00:00.000Z", "Ada of December")
    record = LoggedRecord("t1", [(0, old), (1, recent)], partition=0, offset=7)

    replayed = _replayed(record, NOW_MS - 30 * DAY_MS, LEARNER_ID)

    assert [(r.in_view, r.request is not None) for r in replayed] == [(False, False), (True, True)]
    assert [r.entry.names for r in replayed] == [
        ((ADA, "Ada of October"),),
        ((ADA, "Ada of December"),),
    ]
    assert all(r.in_view for r in _replayed(record, None, LEARNER_ID))
