"""remember_known_objects.lua, through ``statements.write_view``: the names and definition
parts statements give, merged so that the result depends on the statements only, not on the
order they are written in nor on how often (redelivery, replay); bounded; and nothing from a
statement stored without the define scope (xAPI Communication 4.2)."""

from __future__ import annotations

from itertools import permutations
from typing import Any

import orjson

from learning_record.domain.indicators.windows import iso_utc
from learning_record.store import known_objects
from learning_record.store.connection import RedisClient
from learning_record.store.statement_entries import ViewEntry, view_entry
from learning_record.store.statements import write_view
from tests.component.scripts.entries import TENANT
from tests.pseudonyms import learner_ids

# The names of an agent are kept by the keyed pseudonym of its IFI.
ADA = learner_ids(TENANT)("mbox:mailto:ada@example.com")
QUESTION = "https://x.org/q"


def told(
    statement_id: str, stored_ms: int, name: str, definition: dict[str, Any], defines: bool = True
) -> ViewEntry:
    document = {
        "id": statement_id,
        "stored": iso_utc(stored_ms),
        "actor": {"mbox": "mailto:ada@example.com", "name": name},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": QUESTION, "definition": definition},
    }
    return view_entry(
        document, orjson.dumps(document), defines=defines, learner_id=learner_ids(TENANT)
    )


FIRST = told(
    "00000000-0000-4000-8000-000000000001",
    1_000,
    "Ada",
    {
        "name": {"en": "Question", "fr": "Question"},
        "type": "https://x.org/types/first",
        "interactionType": "true-false",
        "correctResponsesPattern": ["true"],
        "extensions": {"https://x.org/e": 1},
    },
)
SECOND = told(
    "00000000-0000-4000-8000-000000000002",
    2_000,
    "Ada L.",
    {
        "name": {"en": "The question"},
        "type": "https://x.org/types/second",
        "interactionType": "choice",
        "choices": [{"id": "yes"}],
        "correctResponsesPattern": ["yes"],
    },
)
# Stored in the same millisecond as SECOND: its id, greater, makes it the newer one.
THIRD = told(
    "00000000-0000-4000-8000-000000000003",
    2_000,
    "Ada",
    {"description": {"en": "Is it true?"}, "moreInfo": "https://x.org/more"},
)

MERGED = {
    "name:en": "The question",  # newest wins: a correction (Data 2.4.4.1.s4.b4)
    "name:fr": "Question",
    "description:en": "Is it true?",
    "moreInfo": "https://x.org/more",
    "extensions:https://x.org/e": 1,
    "type": "https://x.org/types/first",  # first stays: significant (2.4.4.1.s4.b5)
    "interaction": {"interactionType": "true-false", "correctResponsesPattern": ["true"]},
}


async def test_the_merge_is_the_same_in_every_order_of_writing(script_redis: RedisClient) -> None:
    for number, order in enumerate(permutations([FIRST, SECOND, THIRD])):
        tenant = f"order{number}"
        for entry in order:
            await write_view(script_redis, tenant, [entry])

        assert await known_objects.definition_of(script_redis, tenant, QUESTION) == MERGED
        # Names by the stored time of the first statement giving each.
        assert await known_objects.names_of(script_redis, tenant, ADA) == ["Ada", "Ada L."]


async def test_writing_statements_again_changes_nothing(script_redis: RedisClient) -> None:
    await write_view(script_redis, TENANT, [FIRST, SECOND, THIRD])

    again = await known_objects.remember(script_redis, TENANT, [THIRD, FIRST, SECOND])

    assert again == 0
    assert await known_objects.definition_of(script_redis, TENANT, QUESTION) == MERGED


async def test_a_statement_stored_without_define_changes_no_person_nor_activity(
    script_redis: RedisClient,
) -> None:
    await write_view(script_redis, TENANT, [FIRST])
    undefined = told(
        "00000000-0000-4000-8000-000000000009",
        9_000,
        "Mallory",
        {"name": {"en": "Renamed"}, "description": {"en": "Defaced"}},
        defines=False,
    )

    await write_view(script_redis, TENANT, [undefined])

    assert (undefined.names, undefined.definition_parts) == ((), ())
    assert await known_objects.names_of(script_redis, TENANT, ADA) == ["Ada"]
    definition = await known_objects.definition_of(script_redis, TENANT, QUESTION)
    assert (definition["name:en"], "description:en" in definition) == ("Question", False)


async def test_a_statement_whose_id_holds_other_content_tells_nothing(
    script_redis: RedisClient,
) -> None:
    await write_view(script_redis, TENANT, [FIRST])
    impostor = told(FIRST.statement_id, 5_000, "Impostor", {"name": {"de": "Frage"}})

    outcome = await write_view(script_redis, TENANT, [impostor])

    assert outcome.conflicts == []  # first write wins: the view keeps FIRST
    assert await known_objects.names_of(script_redis, TENANT, ADA) == ["Ada"]
    assert "name:de" not in await known_objects.definition_of(script_redis, TENANT, QUESTION)


async def test_names_and_parts_past_the_bounds_are_dropped(script_redis: RedisClient) -> None:
    many = [
        told(
            f"00000000-0000-4000-8000-{index:012d}",
            1_000 + index,
            f"Name {index:03d}",
            {"extensions": {f"https://x.org/e/{index}/{k}": k for k in range(6)}},
        )
        for index in range(known_objects.MOST_NAMES + 1)
    ]

    await write_view(script_redis, TENANT, many)

    names = await known_objects.names_of(script_redis, TENANT, ADA)
    parts = await known_objects.definition_of(script_redis, TENANT, QUESTION)
    assert names == [f"Name {index:03d}" for index in range(known_objects.MOST_NAMES)]
    assert len(parts) == known_objects.MOST_DEFINITION_PARTS
    assert "extensions:https://x.org/e/100/0" not in parts
