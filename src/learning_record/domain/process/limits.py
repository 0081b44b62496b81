"""Upper bounds on the work one item can cause (docs/process.md, "Bounds").

Checked once, before any conversion, by a single iterative walk that stops at the first bound
exceeded: a hostile item costs at most ``MAX_NODES`` steps, whatever its shape.
"""

from collections.abc import Iterable

from learning_record.domain.process.errors import InputTooLarge

# JSON nesting deeper than any real statement or Caliper event (xAPI nests at most about 8).
MAX_DEPTH = 32
# Values (objects, arrays, scalars) in one item: a Caliper envelope of 100 rich events fits.
MAX_NODES = 50_000
# Characters in one string, and in a CSV document or a mapping file.
MAX_STRING = 64 * 1024
MAX_TEXT = 1024 * 1024
# Statements one item may produce: events of an envelope, records of a CSV export.
MAX_STATEMENTS = 1_000


def check_bounds(data: object) -> None:
    """Raise ``InputTooLarge`` when ``data`` is deeper, larger or longer than the bounds.

    ``data`` is decoded JSON (object keys are strings), or text for a CSV mapping.
    """
    if isinstance(data, str):
        if len(data) > MAX_TEXT:
            raise InputTooLarge(f"a text input of more than {MAX_TEXT} characters")
        return
    # Only containers are pushed; their scalars are counted and checked in place (hot path).
    pending: list[tuple[object, int]] = [(data, 1)]
    nodes = 1
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise InputTooLarge(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            if value and max(map(len, value)) > MAX_STRING:
                raise _long_string()
            items: Iterable[object] = value.values()
        elif isinstance(value, list):
            items = value
        else:
            continue  # a number, boolean or null at the root
        nodes += len(value)
        if nodes > MAX_NODES:
            raise InputTooLarge(f"more than {MAX_NODES} JSON values in one item")
        for item in items:
            if isinstance(item, dict | list):
                pending.append((item, depth + 1))
            elif isinstance(item, str) and len(item) > MAX_STRING:
                raise _long_string()


def check_statement_count(count: int) -> None:
    if count > MAX_STATEMENTS:
        raise InputTooLarge(f"{count} statements from one item; at most {MAX_STATEMENTS}")


def _long_string() -> InputTooLarge:
    return InputTooLarge(f"a string of more than {MAX_STRING} characters")
