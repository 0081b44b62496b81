"""bench.sealing's helpers: the records it produces are read by the worker as the API's, the
in-process figures seal and open real statements, the kinds take turns, and the report judges
the ratio the issue bounds. No speed is asserted here: bench/ measures it."""

from __future__ import annotations

from bench.sealing import (
    STACK_PARTS,
    InProcess,
    Sizes,
    Stream,
    alternated,
    api_documents,
    batched,
    in_process,
    record_headers,
    render,
)
from bench.workloads import fun_mooc
from learning_record.domain import ingest
from learning_record.domain.data_keys import learner_pseudonym
from learning_record.store.sealed_records import is_sealed

SIGNING_KEY = b"bench-signing-key"


def test_records_of_both_kinds_are_the_apis_and_only_the_sealed_ones_say_so() -> None:
    for sealed in (False, True):
        headers = dict(record_headers(SIGNING_KEY, "t1", b"[]", sealed=sealed))

        assert ingest.signed_by_api(SIGNING_KEY, headers, "t1", b"[]")
        assert ingest.defines(headers)
        assert ingest.record_tenant(headers, "default") == "t1"
        assert is_sealed(headers) is sealed


def test_the_in_process_figures_seal_and_open_statements_as_the_api_stored_them() -> None:
    statements = fun_mooc()[:150]
    statements[0] = {
        **statements[0],
        "context": {"instructor": {"mbox": "mailto:teacher@example.org"}},
    }
    documents = api_documents(statements, "key1", "2026-01-01T00:00:00.000Z")
    shown: list[str] = []

    # It checks that every batch opens to the statements sealed, and raises otherwise.
    figures = in_process(
        documents, "t1", lambda ifi: learner_pseudonym(b"s", ifi), 2, progress=shown.append
    )

    assert [len(batch) for batch in batched(documents)] == [100, 50]
    assert documents[0]["authority"]["account"]["name"] == "key1"
    assert all(document["stored"] == "2026-01-01T00:00:00.000Z" for document in documents)
    for steps in (figures.api, figures.worker):
        assert all(len(runs) == 2 and min(runs) > 0 for runs in steps.values())
        assert steps["total"][0] >= max(v[0] for step, v in steps.items() if step != "total")
    assert set(figures.api) == {"cut", "keys", "seal", "clear", "total"}
    assert set(figures.worker) == {"parse", "keys", "open", "clear", "total"}
    assert len(shown) == 2


def test_each_round_runs_both_kinds_and_the_first_kind_alternates() -> None:
    runs = list(alternated(3))

    assert runs == [
        (1, "clear"),
        (1, "sealed"),
        (2, "sealed"),
        (2, "clear"),
        (3, "clear"),
        (3, "sealed"),
    ]


def made_up_stream(clear: list[float], sealed: list[float]) -> Stream:
    stream = Stream()
    stream.rates.update(clear=clear, sealed=sealed)
    stream.others.update(clear=[0.1] * len(clear), sealed=[0.5] * len(sealed))
    for kind, worker in (("clear", 600.0), ("sealed", 630.0)):
        for part in STACK_PARTS:
            stream.cpu_us[kind][part] = [worker if part == "worker" else 100.0] * len(clear)
    return stream


def made_up_in_process() -> InProcess:
    figures = InProcess()
    for side, values in (
        (figures.api, {"cut": 3.0, "keys": 0.7, "seal": 6.0, "clear": 0.7}),
        (figures.worker, {"parse": 1.4, "keys": 2.0, "open": 24.0, "clear": 15.8}),
    ):
        for step, value in values.items():
            side[step] = [value]
        side["total"] = [sum(v for step, v in values.items() if step != "clear")]
    return figures


def test_the_report_gives_the_ratio_and_judges_it_against_ten_percent() -> None:
    sizes = Sizes(statements=2_000, rounds=2, repetitions=1)
    figures = made_up_in_process()

    within = render(figures, made_up_stream([1000, 1100], [950, 1030]), sizes, "a machine", "0")
    beyond = render(figures, made_up_stream([1000, 1100], [850, 900]), sizes, "a machine", "0")

    assert "a machine" in within
    assert "| **sealed / in clear** | **0.943** | 1.050 | 1.033 |" in within
    assert "round by round: 0.95, 0.94, median 0.94" in within
    assert "within the 10 % allowed." in within
    assert "**not** within the 10 % allowed." in beyond
    assert "| 2 | 1,100 | 1,030 | 0.94 | 0.10 / 0.50 |" in within
    assert "own spread" not in within + beyond  # rounds within 0.1 of each other
    # 11.6 µs more to open, on the worker's 600 µs per statement in clear: 1.9 %, 98 % kept.
    assert "to the 600 µs of worker CPU" in within
    assert "(1.9 %): a worker bound by its CPU keeps **98 %**" in within
    assert "went from 600 to 630 µs (+30," in within
    spread = render(figures, made_up_stream([1000, 1000], [1100, 900]), sizes, "a", "0")
    assert "The rounds' own spread (0.90-1.10) is wider than the 10 % at stake" in spread
    assert "| API | **added by sealing** (sealed minus in clear) | **9.0** |" in within
    assert "| worker | **added by sealing** (sealed minus in clear) | **11.6** |" in within
