"""Bounded extremes: the few best values of a multiset that only ever needs its maximum (or
minimum), kept exactly under insertion and removal in constant space.

A ``Top`` holds the ``TOP_SIZE`` best distinct values seen, each with how many statements carry
it, and a ``cut``: the best value ever evicted. Every value strictly better than the cut is
held, with its exact count, so the best held value is the true extreme. A removal that takes
the last held value away while values were evicted leaves the top *stale*: only a recount from
the statements (``rebuilt``) can tell the new extreme. That takes ``TOP_SIZE`` removals of the
very best values in a row, with no better value added between them.

A top is a JSON-ready list: ``[cut, [value, count], ...]``, best first; ``cut`` is None while
nothing was evicted. ``highest`` tops keep the largest values, ``lowest`` the smallest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, Literal

TOP_SIZE = 4

Direction = Literal["highest", "lowest"]
Top = list[Any]


def _better(direction: Direction, a: float, b: float) -> bool:
    return a > b if direction == "highest" else a < b


def insert(top: Top, direction: Direction, value: float) -> None:
    """Add a statement's value: held when better than the cut, evicting the worst if full."""
    cut = top[0] if top else None
    if cut is not None and not _better(direction, value, cut):
        return
    if not top:
        top.append(None)
    for position in range(1, len(top)):
        entry = top[position]
        if entry[0] == value:
            entry[1] += 1
            return
        if _better(direction, value, entry[0]):
            top.insert(position, [value, 1])
            break
    else:
        top.append([value, 1])
    if len(top) > TOP_SIZE + 1:
        top[0] = top.pop()[0]


def remove(top: Top, value: float) -> None:
    """Take a statement's value back out; a value at or below the cut was not held."""
    for position in range(1, len(top)):
        entry = top[position]
        if entry[0] == value:
            entry[1] -= 1
            if not entry[1]:
                del top[position]
            return


def best(top: Top) -> float | None:
    """The extreme held, or None when nothing is held (see ``stale``)."""
    return top[1][0] if len(top) > 1 else None


def stale(top: Top) -> bool:
    """Whether values were evicted and every held value was removed since: recount."""
    return len(top) == 1 and top[0] is not None


def rebuilt(direction: Direction, values: Iterable[float]) -> Top:
    """A top recounted from every value the multiset holds."""
    counts = Counter(values)
    ordered = sorted(counts, reverse=direction == "highest")
    kept = [[value, counts[value]] for value in ordered[:TOP_SIZE]]
    cut = ordered[TOP_SIZE] if len(ordered) > TOP_SIZE else None
    return [cut, *kept] if kept or cut is not None else []
