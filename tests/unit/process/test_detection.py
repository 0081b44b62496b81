"""Which format reads an input, and why each format rejects one that none reads."""
# Case tables keep one case per line, hence the formatter fences and this exemption.
# ruff: noqa: E501

import pytest

from learning_record.domain.process import (
    InputTooLarge,
    UndetectableInput,
    load_mapping,
    process,
)
from learning_record.domain.process.limits import MAX_DEPTH, MAX_STATEMENTS, MAX_STRING
from tests.unit.factories import REMOVE, make_statement
from tests.unit.process.support import DATA, SECRET, load

REASONS = [
    ("xapi", "the object has no verb (an xAPI statement has actor, verb, object)"),
    ("caliper", "no '@context' naming the Caliper 1.1 or 1.2 context"),
    ("scorm", "no 'cmi.' data model element"),
    ("custom", "no mapping was given (custom records are read through one)"),
]


def test_undetectable_input_is_refused_with_each_formats_reason() -> None:
    with pytest.raises(UndetectableInput) as caught:
        process({"actor": "someone", "object": "something"}, tenant_secret=SECRET)
    assert [(r.input_format, r.reason) for r in caught.value.rejections] == REASONS


def test_text_without_a_mapping_is_refused_by_every_format() -> None:
    with pytest.raises(UndetectableInput) as caught:
        process("a,b\n1,2\n", tenant_secret=SECRET)
    assert [r.input_format for r in caught.value.rejections] == [
        "xapi",
        "caliper",
        "scorm",
        "custom",
    ]
    assert caught.value.rejections[0].reason == "the object is not a JSON object"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(make_statement(), "xapi", id="xapi"),
        pytest.param([make_statement(), make_statement(id="e05aa883-acaf-40ad-bf54-02c8ce485fb1")], "xapi", id="xapi-array"),
        pytest.param(load("caliper-1.1/view.json"), "caliper", id="caliper-event"),
        pytest.param(load("caliper-1.2-envelope.json"), "caliper", id="caliper-envelope"),
        pytest.param(load("scorm-2004/passed.json"), "scorm", id="scorm"),
    ],
)  # fmt: skip
def test_each_format_is_detected_without_being_named(data: object, expected: str) -> None:
    assert process(data, tenant_secret=SECRET).meta.input_format == expected


def test_a_named_format_is_the_only_one_tried() -> None:
    with pytest.raises(UndetectableInput) as caught:
        process(load("caliper-1.2/view.json"), input_format="scorm", tenant_secret=SECRET)
    assert [(r.input_format, r.reason) for r in caught.value.rejections] == [
        ("scorm", "no 'cmi.' data model element")
    ]


def test_an_unknown_format_name_is_refused_with_the_known_ones() -> None:
    with pytest.raises(UndetectableInput) as caught:
        process(make_statement(), input_format="tincan", tenant_secret=SECRET)
    assert (
        caught.value.rejections[0].reason
        == "unknown input format; one of xapi, caliper, scorm, custom"
    )


def test_an_xapi_statement_passes_through_validated_with_its_array_shape_kept() -> None:
    result = process([make_statement()], tenant_secret=SECRET)
    assert isinstance(result.output_trace, list)
    assert result.output_trace[0]["object"] == make_statement()["object"]
    assert result.meta.input_version is None


def test_a_given_mapping_is_tried_first() -> None:
    mapping = load_mapping((DATA / "custom" / "lms-export.yaml").read_text())
    text = (DATA / "custom" / "lms-export.csv").read_text()
    assert process(text, tenant_secret=SECRET, mapping=mapping).meta.input_format == "custom"


def nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(nested(MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels", id="depth"),
        pytest.param({"k": "x" * (MAX_STRING + 1)}, f"a string of more than {MAX_STRING} characters", id="string"),
        pytest.param([0] * 50_000, "more than 50000 JSON values in one item", id="nodes"),
    ],
)  # fmt: skip
def test_an_item_past_a_bound_is_refused_before_any_conversion(data: object, reason: str) -> None:
    with pytest.raises(InputTooLarge, match=reason):
        process(data, tenant_secret=SECRET)


def test_an_item_giving_too_many_statements_is_refused() -> None:
    statements = [make_statement(id=REMOVE) for _ in range(MAX_STATEMENTS + 1)]
    with pytest.raises(InputTooLarge, match=f"at most {MAX_STATEMENTS}"):
        process(statements, tenant_secret=SECRET)
