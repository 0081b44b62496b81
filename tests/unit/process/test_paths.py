"""JSON paths as mappings and profile rules write them, read back into segments and values."""

# Case tables keep one case per line, hence the formatter fences and this exemption.
# ruff: noqa: E501

import pytest

from learning_record.domain.process.paths import WILDCARD, parse_path, values_at

DOCUMENT = {
    "context": {
        "contextActivities": {"category": [{"id": "a"}, {"id": "b"}]},
        "extensions": {"https://example.com/x.y": {"n": 1}},
    },
    "Column with spaces": "cell",
}


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("timestamp", ("timestamp",)),
        ("context.contextActivities.category[*].id", ("context", "contextActivities", "category", WILDCARD, "id")),
        ('context.extensions["https://example.com/x.y"].n', ("context", "extensions", "https://example.com/x.y", "n")),
        ('["Column with spaces"]', ("Column with spaces",)),
        ("items[0].name", ("items", 0, "name")),
    ],
)  # fmt: skip
def test_a_path_is_read_as_this_project_spells_error_paths(
    path: str, segments: tuple[object, ...]
) -> None:
    assert parse_path(path) == segments


@pytest.mark.parametrize("path", ["", "a[", "a..b", 'a["unterminated]', "a[-1]"])
def test_a_malformed_path_is_refused(path: str) -> None:
    with pytest.raises(ValueError, match="path"):
        parse_path(path)


def test_values_are_found_through_wildcards_and_names_applied_to_arrays() -> None:
    assert values_at(DOCUMENT, parse_path("context.contextActivities.category[*].id")) == ["a", "b"]
    # A name on an array applies to each item, as the profiles' JSONPath rules read it.
    assert values_at(DOCUMENT, parse_path("context.contextActivities.category.id")) == ["a", "b"]
    assert values_at(DOCUMENT, parse_path('context.extensions["https://example.com/x.y"].n')) == [1]
    assert values_at(DOCUMENT, parse_path('["Column with spaces"]')) == ["cell"]
    assert values_at(DOCUMENT, parse_path("context.missing[3]")) == []
