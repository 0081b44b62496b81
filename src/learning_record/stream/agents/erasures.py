"""Carry out the erasures asked on the erasures topic (docs/privacy.md), one at a time.

An erasure opens the learner's IFI with their own key, then, in the view, retracts from the
indicators every statement their key sealed (exactly, as a void does), purges those statements,
puts a placeholder in the statements that only mention them, and deletes the names and identity
kept with their IFI. It then deletes their keys: what the log keeps of them can never be read
again. A second run over the view follows, for what the API or another worker wrote with the
key while the deletion reached every process. Last, the erasure is ``done``, in Redis and on the
topic.

Each step is idempotent and the record is committed only after the last one, so an erasure
interrupted (a worker restart, Redis away: every Redis step waits for it) runs again from the
start; one whose keys are already gone finished everything that needs them, and is marked done.
"""

from __future__ import annotations

from functools import partial

from faust.types import EventT, StreamT
from pydantic import ValidationError

from learning_record.domain import sealing
from learning_record.domain.erasure import (
    PASSES,
    SEALED_IFI_PLACE,
    ErasureRecord,
    owned_by,
    retraction_origin,
)
from learning_record.domain.errors import DomainError
from learning_record.domain.ingest import iso_millis
from learning_record.domain.tenants import checked_tenant
from learning_record.domain.xapi.attachments import referenced_sha2s
from learning_record.platform import logs
from learning_record.platform.clock import now_utc
from learning_record.store.attachments import forget_attachments, release_attachments
from learning_record.store.document_log import documents_about, forget_in_view
from learning_record.store.learner_erasure import (
    ErasedLearner,
    forget_identity,
    forget_retired,
    forget_statements,
    learner_statements,
    retired_retractions,
    retractions,
    set_state,
)
from learning_record.store.retired_statements import retired_statements
from learning_record.stream import dead_letters, instruments
from learning_record.stream.app import app, settings
from learning_record.stream.batching import batches
from learning_record.stream.learner_keys import learner_keys, with_keys
from learning_record.stream.operations_out import send_operations
from learning_record.stream.partitioning import partition_of
from learning_record.stream.redis_client import redis, with_retries
from learning_record.stream.topics import attachments_topic, documents_topic, erasures_topic

log = logs.get_logger(__name__)


async def _learner_ifi(record: ErasureRecord) -> str | None:
    """The IFI the erasure names, or None once the learner's keys are gone."""
    assert record.agent is not None, "a requested erasure carries its sealed IFI"
    part = record.agent
    keys = await with_keys(partial(learner_keys.opening_keys, record.tenant, [part.ref]), "erase")
    key = keys.get(part.ref)
    if key is None:
        return None
    return sealing.opened_part(record.tenant, key, part, SEALED_IFI_PLACE).decode()


async def _forget(
    record: ErasureRecord, learner: ErasedLearner, event: EventT[bytes], run: int
) -> tuple[int, int]:
    """One run over the view, in passes until it names the learner no more; how many
    statements were purged and how many kept a placeholder."""
    purged = replaced = 0
    for pass_ in range(PASSES):
        forgotten = await _forget_once(record, learner, event, (run, pass_))
        if forgotten is None:
            break
        purged, replaced = purged + forgotten[0], replaced + forgotten[1]
    return purged, replaced


async def _forget_once(
    record: ErasureRecord, learner: ErasedLearner, event: EventT[bytes], turn: tuple[int, int]
) -> tuple[int, int] | None:
    """Retract, purge, replace, forget; None when the view names the learner no more, and
    retention kept nothing of theirs."""
    tenant, message = record.tenant, event.message
    statements = await with_retries(partial(learner_statements, redis, tenant, learner), "erasure")
    retired = await with_retries(
        partial(retired_statements, redis, tenant, learner.learner_id), "erasure"
    )
    if not statements and not retired:
        return None
    owned = [s for s in statements if owned_by(s.document, learner.ifi)]
    run, pass_ = turn
    log.info(
        "erasure_pass",
        tenant=tenant,
        erasure=record.id,
        run=run,
        pass_number=pass_,
        owned=len(owned),
        retired=len(retired),
    )

    def origin_of(sequence: int) -> tuple[int, int]:
        return retraction_origin(message.partition, message.offset, run, pass_, sequence)

    in_view = await with_retries(
        partial(retractions, redis, tenant, owned, origin_of, learner_keys.pseudonymiser(tenant)),
        "erasure",
    )
    # One source partition's operations reach a value in origin order: by sequence, whether
    # the view still holds the statement or retention kept what it needed of it.
    operations = sorted(
        [*in_view, *retired_retractions(tenant, retired, origin_of)], key=lambda op: op.origin
    )
    # The view forgets the statements only once their retractions cannot be lost.
    await send_operations(operations, durable=True)
    sha2s = [
        *referenced_sha2s(s.document for s in owned),
        *(x for r in retired for x in r.attachments),
    ]
    await _forget_attachments(tenant, learner, list(dict.fromkeys(sha2s)))
    purged, replaced = await with_retries(
        partial(forget_statements, redis, tenant, learner, statements), "erasure"
    )
    forget_read = partial(forget_retired, redis, tenant, learner, [r.statement_id for r in retired])
    await with_retries(forget_read, "erasure")
    await with_retries(partial(forget_identity, redis, tenant, learner), "erasure")
    return purged + len(retired), replaced


async def _forget_attachments(tenant: str, learner: ErasedLearner, sha2s: list[str]) -> None:
    """Take the learner off the owners of the attachments their statements reference; tombstone
    the content nobody owns any more on the attachments topic, where the API keyed it
    ``<tenant>|<sha2>`` (acknowledged), then delete it from the view. Content that another
    learner's statement references too is kept (docs/privacy.md)."""
    release = partial(release_attachments, redis, tenant, learner.learner_id, sha2s)
    unowned = await with_retries(release, "erasure")
    for sha2 in unowned:
        key = f"{tenant}|{sha2}".encode()
        await (await attachments_topic.send(key=key, value=None, partition=partition_of(key)))
    await with_retries(partial(forget_attachments, redis, tenant, unowned), "erasure")


async def _forget_documents(tenant: str, ifi: str) -> int:
    """Tombstone the State and Agent Profile documents about the learner on the documents
    topic (acknowledged: a replay does not write them back), then delete them from the view;
    how many."""
    records = await with_keys(partial(documents_about, settings.kafka, tenant, ifi), "documents")
    for partition, key in records:
        await (await documents_topic.send(key=key, value=None, partition=partition))
    await with_retries(partial(forget_in_view, redis, records), "erasure")
    return len(records)


async def _erase(event: EventT[bytes], record: ErasureRecord) -> None:
    tenant = record.tenant
    ifi = await _learner_ifi(record)
    if ifi is not None:
        await with_retries(
            partial(set_state, redis, tenant, record.id, "pending", record.at), "erasure"
        )
        learner = ErasedLearner(ifi, learner_keys.pseudonymiser(tenant)(ifi))
        purged, replaced = await _forget(record, learner, event, run=0)
        await with_keys(partial(learner_keys.erase, tenant, learner.learner_id), "erase")
        late_purged, late_replaced = await _forget(record, learner, event, run=1)
        purged, replaced = purged + late_purged, replaced + late_replaced
        documents = await _forget_documents(tenant, ifi)
    else:
        log.info("erasure_keys_gone_already", tenant=tenant, erasure=record.id)
        purged = replaced = documents = 0
    finished = iso_millis(now_utc())
    await with_retries(partial(set_state, redis, tenant, record.id, "done", finished), "erasure")
    done = ErasureRecord(
        kind="done",
        id=record.id,
        tenant=tenant,
        at=finished,
        statements=purged,
        mentions=replaced,
        documents=documents,
    )
    await erasures_topic.send(key=record.id.encode(), value=done.model_dump_json().encode())
    log.info(
        "learner_erased",
        tenant=tenant,
        erasure=record.id,
        statements=purged,
        mentions=replaced,
        documents=documents,
    )


async def _handled(event: EventT[bytes]) -> None:
    try:
        record = ErasureRecord.model_validate_json(event.message.value or b"")
        checked_tenant(record.tenant)
        if record.kind == "requested" and (record.agent is None or record.learner is None):
            raise DomainError("a requested erasure names its learner and carries their sealed IFI")
    except (ValidationError, DomainError) as error:
        await dead_letters.park(event, "", f"not an erasure record: {error}"[:500])
        return
    if record.kind == "requested":
        try:
            await _erase(event, record)
        except DomainError as error:  # a sealed IFI that does not open: altered, or misplaced
            await dead_letters.park(event, record.tenant, f"erasure cannot be carried out: {error}")
        except Exception as error:  # a bug: park it (`lr dlq retry` runs it again), never stop
            log.exception("erasure_failed", tenant=record.tenant, erasure=record.id)
            reason = f"erasure failed: {type(error).__name__}"
            await dead_letters.park(event, record.tenant, reason)


@app.agent(erasures_topic)
@instruments.crash_counted
async def erase_learners(stream: StreamT[bytes]) -> None:
    async for events in batches(stream):
        for event in events:
            await _handled(event)
