"""The pure parts of ``lr privacy reseal`` (cli/reseal.py, cli/topic_copy.py): when a copy or a
swap is refused, the headers a resealed record gets, which records share the anonymous key, and
which topic configs a copy takes. The copies themselves run on the real broker
(tests/integration/test_reseal.py)."""

from learning_record.cli.reseal import (
    anonymised,
    interrupted_swap,
    resealed_headers,
    start_refusal,
    swap_refusal,
)
from learning_record.cli.topic_copy import configs_set_on_topic, ends_of
from learning_record.domain import ingest
from learning_record.domain.process.privacy import ANONYMOUS_HOME_PAGE
from learning_record.domain.sealing import SEALED_HEADER
from tests.unit.factories import REMOVE, make_agent, make_statement

KEY = b"signing key"
STAGED = {0: (0, 5), 1: (0, 0), 2: (0, 7)}


def test_a_topic_whose_log_starts_after_offset_0_is_not_copied() -> None:
    assert start_refusal({0: (0, 5), 1: (0, 0)}) is None
    assert start_refusal({0: (0, 5), 1: (3, 9)}) == (
        "its log starts after offset 0 (partition: log start offset {1: 3})"
    )


def test_the_copy_replaces_the_topic_it_was_made_of() -> None:
    assert swap_refusal(STAGED, STAGED) is None


def test_a_swap_stopped_midway_is_taken_again_from_the_copy() -> None:
    assert swap_refusal(STAGED, {}) is None  # the topic was deleted, not created again yet
    assert swap_refusal(STAGED, {0: (0, 5), 1: (0, 0), 2: (0, 3)}) is None  # copied in part


def test_a_new_copy_never_replaces_the_only_whole_one() -> None:
    """After a swap stopped midway, the staging topic is the only whole copy of the log."""
    assert interrupted_swap(STAGED, STAGED) is None  # a copy of the topic as it is
    assert interrupted_swap(STAGED, {0: (0, 5), 1: (0, 1), 2: (0, 7)}) is None  # written since
    assert interrupted_swap(STAGED, {}) == (
        "the statements topic ends before it (end offsets {}, the staging topic's "
        "{0: 5, 1: 0, 2: 7}): a swap stopped midway; run lr privacy reseal --swap --yes again"
    )
    assert interrupted_swap(STAGED, {0: (0, 5), 1: (0, 0), 2: (0, 3)}) is not None


def test_a_topic_written_to_since_the_copy_is_left_as_it_is() -> None:
    assert swap_refusal(STAGED, {0: (0, 5), 1: (0, 1), 2: (0, 7)}) == (
        "it holds records the staging topic does not (end offsets {1: 1}, the staging topic's "
        "{0: 5, 1: 0, 2: 7}): was it written to since? run lr privacy reseal again"
    )


def test_a_topic_of_other_partitions_is_left_as_it_is() -> None:
    assert swap_refusal(STAGED, {0: (0, 5), 1: (0, 0)}) == (
        "partitions [0, 1], the staging topic's [0, 1, 2]"
    )


def test_a_copy_that_does_not_start_at_offset_0_replaces_nothing() -> None:
    assert swap_refusal({0: (2, 5)}, {0: (0, 5)}) == "the staging topic does not start at offset 0"


def test_a_resealed_record_is_signed_as_the_api_signs_and_keeps_only_its_define_header() -> None:
    value = b'[{"body": {}}]'
    original = {
        ingest.TENANT_HEADER: b"other",
        ingest.DEFINE_HEADER: b"0",
        "x-producer-note": b"ada@example.org",
    }

    headers = resealed_headers(original, "acme", value, KEY)

    assert headers == [
        (ingest.TENANT_HEADER, b"acme"),
        (ingest.SOURCE_HEADER, ingest.SOURCE_API),
        (ingest.SIGNATURE_HEADER, ingest.signature(KEY, "acme", value)),
        (ingest.DEFINE_HEADER, b"0"),
        (SEALED_HEADER, b"1"),
    ]
    assert ingest.signed_by_api(KEY, dict(headers), "acme", value)
    assert not ingest.defines(dict(headers))


def test_a_direct_record_resealed_has_no_define_header_and_so_still_defines() -> None:
    headers = dict(resealed_headers({}, "acme", b"[]", KEY))

    assert ingest.DEFINE_HEADER not in headers
    assert ingest.defines(headers)


def anonymous(name: str) -> dict[str, object]:
    return make_agent(
        mbox=REMOVE, name=REMOVE, account={"homePage": ANONYMOUS_HOME_PAGE, "name": name}
    )


def test_statements_of_anonymised_actors_only_share_the_anonymous_key() -> None:
    assert anonymised([make_statement(actor=anonymous("a")), make_statement(actor=anonymous("b"))])
    # Another stand-in, an account of the LRS, stays in the owner's part.
    assert anonymised(
        [make_statement(actor=anonymous("a"), context={"instructor": anonymous("b")})]
    )


def test_a_record_naming_any_person_gets_their_keys() -> None:
    assert not anonymised([make_statement(actor=anonymous("a")), make_statement()])
    assert not anonymised(
        [make_statement(actor=anonymous("a"), context={"instructor": make_agent()})]
    )


def test_a_copy_takes_the_configs_set_on_the_topic_not_the_brokers() -> None:
    entries: list[tuple[str, str, bool, int, bool, list[object]]] = [
        ("retention.ms", "-1", False, 1, False, []),
        ("max.message.bytes", "33554432", False, 1, False, []),
        ("segment.bytes", "1073741824", False, 5, False, []),  # the brokers' default
        ("min.insync.replicas", "1", False, 4, False, []),  # the brokers' static config
    ]

    assert configs_set_on_topic(entries) == {
        "retention.ms": "-1",
        "max.message.bytes": "33554432",
    }


def test_ends_of_offsets() -> None:
    assert ends_of(STAGED) == {0: 5, 1: 0, 2: 7}
