"""Bounded extremes hold the true maximum (minimum) of a multiset under any insertions and
removals, or say that they must be recounted; a recount gives back an exact top."""

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from learning_record.domain.indicators import extremes

# (insert?, value): removals only ever take back a value inserted before, as retractions do.
steps = st.lists(st.tuples(st.booleans(), st.integers(0, 12)), max_size=60)


@given(steps, st.sampled_from(["highest", "lowest"]))
def test_top_holds_the_true_extreme_or_knows_it_is_stale(
    script: list[tuple[bool, int]], direction: extremes.Direction
) -> None:
    top: extremes.Top = []
    multiset: Counter[int] = Counter()
    pick = max if direction == "highest" else min
    for insert, value in script:
        if insert:
            extremes.insert(top, direction, value)
            multiset[value] += 1
        elif multiset[value]:
            extremes.remove(top, value)
            multiset[value] -= 1
        present = +multiset
        if extremes.stale(top):
            assert present, "stale only when values remain that the top no longer holds"
            top = extremes.rebuilt(direction, present.elements())
        expected = pick(present) if present else None
        assert extremes.best(top) == expected
        assert len(top) <= extremes.TOP_SIZE + 1


def test_a_top_evicts_its_worst_into_the_cut_and_ignores_values_at_or_below_it() -> None:
    top: extremes.Top = []
    for value in (5, 1, 4, 2, 3):
        extremes.insert(top, "highest", value)
    assert top == [1, [5, 1], [4, 1], [3, 1], [2, 1]]
    extremes.insert(top, "highest", 1)  # at the cut: not held, never wrongly counted
    assert top == [1, [5, 1], [4, 1], [3, 1], [2, 1]]
    for value in (5, 4, 3, 2):
        extremes.remove(top, value)
    assert extremes.stale(top)
    assert extremes.best(top) is None


def test_rebuilt_keeps_the_best_values_with_their_counts() -> None:
    assert extremes.rebuilt("lowest", [3, 1, 1, 7, 2, 9, 5]) == [7, [1, 2], [2, 1], [3, 1], [5, 1]]
    assert extremes.rebuilt("highest", [2, 2]) == [None, [2, 2]]
    assert extremes.rebuilt("highest", []) == []
