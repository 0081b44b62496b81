"""What an erasure retracts of the statements view retention purged (store.learner_erasure):
each that counted, once, from the origin that applied it."""

from __future__ import annotations

from learning_record.domain.erasure import ERASURE_SOURCE
from learning_record.domain.indicators.contributions import Contribution
from learning_record.domain.indicators.operations import IndicatorOp
from learning_record.store.learner_erasure import retired_retractions
from learning_record.store.retired_statements import RetiredStatement

CONTRIBUTION = Contribution(
    "s",
    "learner",
    "https://example.org/a",
    "http://example.org/v",
    0,
    0,
    False,
    None,
    None,
    0,
    None,
)


Origin = tuple[int, int]


def retired(sequence: int, applied: Origin | None, retracted: Origin | None) -> RetiredStatement:
    return RetiredStatement(f"s{sequence}", sequence, applied, retracted, CONTRIBUTION, ())


def test_each_counted_statement_is_retracted_once_from_the_origin_that_applied_it() -> None:
    by_erasure = (ERASURE_SOURCE, 77)
    statements = [
        retired(1, (0, 10), None),  # counted: retracted now
        retired(2, (0, 11), by_erasure),  # retracted by a run that stopped: the same again
        retired(3, (0, 12), (1, 40)),  # a void retracted it: nothing
        retired(4, None, None),  # never counted: nothing
    ]

    operations = retired_retractions(
        "acme", statements, lambda sequence: (ERASURE_SOURCE, sequence)
    )

    assert operations == [
        IndicatorOp("retract", (ERASURE_SOURCE, 1), "acme", CONTRIBUTION, (0, 10)),
        IndicatorOp("retract", by_erasure, "acme", CONTRIBUTION, (0, 11)),
    ]
