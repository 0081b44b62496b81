"""A step that fails for a group is taken again record by record: only the culprit is given up."""

from __future__ import annotations

from collections.abc import Sequence

from learning_record.stream.isolation import isolating


async def test_only_the_records_that_fail_alone_are_given_up_and_the_others_go_through() -> None:
    attempts: list[list[int]] = []
    given_up: list[tuple[int, str]] = []

    async def store(group: Sequence[int]) -> list[str]:
        attempts.append(list(group))
        if any(item % 3 == 0 for item in group):
            raise ValueError(f"{group[0]} cannot be stored")
        return [f"stored {item}" for item in group]

    async def park(item: int, error: Exception) -> None:
        given_up.append((item, str(error)))

    results = await isolating([1, 2, 3, 4, 6], store, park)

    assert results == ["stored 1", "stored 2", "stored 4"]
    assert given_up == [(3, "3 cannot be stored"), (6, "6 cannot be stored")]
    assert attempts == [[1, 2, 3, 4, 6], [1], [2], [3], [4], [6]]


async def test_a_group_that_goes_through_is_taken_once() -> None:
    attempts: list[list[int]] = []

    async def store(group: Sequence[int]) -> list[int]:
        attempts.append(list(group))
        return list(group)

    async def park(item: int, error: Exception) -> None:
        raise AssertionError("nothing failed")

    assert await isolating([1, 2], store, park) == [1, 2]
    assert attempts == [[1, 2]]
