"""View entries built by hand, so that a script test says exactly which keys it expects."""

from __future__ import annotations

from learning_record.store.statement_entries import ViewEntry

TENANT = "t1"
OTHER_TENANT = "t2"


def entry(
    statement_id: str,
    stored_ms: int = 1_000,
    terms: tuple[str, ...] = ("verb:v",),
    *,
    voids: str | None = None,
    refers_to: str | None = None,
    digest: str | None = None,
) -> ViewEntry:
    """A statement with id ``statement_id``; a voiding one points to the one it voids."""
    return ViewEntry(
        statement_id=statement_id,
        document=f'{{"id":"{statement_id}"}}'.encode(),
        digest=digest or f"digest-{statement_id}",
        stored_ms=stored_ms,
        voids=voids,
        refers_to=voids or refers_to,
        terms=list(terms),
    )
