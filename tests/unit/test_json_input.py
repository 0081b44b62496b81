"""JSON from outside is refused when a later step could not honour it (issue #10)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learning_record.domain.json_input import JsonRejected, loads_bounded


@pytest.mark.parametrize("number", [2**64, -(2**63) - 1, 10**30])
def test_an_integer_beyond_64_bits_is_refused_not_rounded(number: int) -> None:
    with pytest.raises(JsonRejected, match="beyond 64 bits"):
        loads_bounded(f'{{"result": {{"extensions": {{"http://x.org/n": {number}}}}}}}')


@given(st.integers(min_value=-(2**63), max_value=2**64 - 1))
def test_every_64_bit_integer_comes_back_exact(number: int) -> None:
    assert loads_bounded(f"[{number}]") == [number]


def test_long_digit_runs_inside_strings_are_just_text() -> None:
    assert loads_bounded(b'{"name": "123456789012345678901234567890"}') == {
        "name": "123456789012345678901234567890"
    }


def test_malformed_json_is_refused_with_the_parser_reason() -> None:
    with pytest.raises(JsonRejected, match="invalid JSON: unexpected character"):
        loads_bounded(b"{not json")
