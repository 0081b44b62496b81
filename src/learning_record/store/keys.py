"""The Redis key layout: the only place that builds a key string, for writers and readers alike.

Every key of a tenant carries the hash tag ``{t:<tenant>}``, so that the keys one operation
touches live in one slot on Redis Cluster and one Lua script or MULTI may span them (each
script declares all of them in its KEYS: docs/store.md).

    lr:{t:<tenant>}:stmt:<statement id>          statement document (JSON), first write wins
    lr:{t:<tenant>}:claim:<statement id>         hash: the id's reservation and bookkeeping
                                                 d=content digest, s=sequence, t=stored (Unix
                                                 ms), m=stored mark (t when absent), v=1 if it
                                                 voids, w=1 once in the view, ix=JSON list of
                                                 the index keys it is in
    lr:{t:<tenant>}:stmt-seq                     counter: the last sequence handed out
    lr:{t:<tenant>}:stmt-last-stored             the last stored mark handed out (Unix ms)
    lr:{t:<tenant>}:stmt-order                   zset: every queryable statement, member id,
                                                 score sequence (what a query without filter walks)
    lr:{t:<tenant>}:stmt-ix:<kind>:<value>       zset: statements matching one filter value
                                                 (statement_index.index_terms: agents by keyed
                                                 pseudonym, never IFI), member id, score
                                                 sequence
    lr:{t:<tenant>}:stmt-expiry                  zset: member statement id, score stored (Unix
                                                 ms): view retention purges from its low end
    lr:{t:<tenant>}:stmt-stored                  zset: member zero-padded sequence, score
                                                 stored (Unix ms): checks since/until
    lr:{t:<tenant>}:stmt-stored-mark             zset: member zero-padded sequence, score
                                                 max(stored, previous marks), never decreasing
                                                 along sequences: since/until to sequences
    lr:{t:<tenant>}:retired:<learner id>         hash: statement id -> what retention kept of
                                                 one statement of the learner it purged:
                                                 "<applying origin or -> <sequence> <JSON>"
                                                 (store.retired_statements), for an erasure
    lr:{t:<tenant>}:voided-by:<statement id>     id of the statement voiding this one
    lr:{t:<tenant>}:targeted-by:<statement id>   set: statements whose StatementRef points to
                                                 this one (JSON: id and their claim, voided-by,
                                                 targeted-by keys)
    lr:{t:<tenant>}:known-agent:<pseudonym>      zset: every name seen with one IFI, by its
                                                 keyed pseudonym (the Person of GET /agents),
                                                 score the stored time (Unix ms) of the first
                                                 statement giving it
    lr:{t:<tenant>}:known-activity:<id>          hash: the merged definition of one Activity
                                                 (GET /activities), by part (full_activity:
                                                 "type", "name:<lang>"...): "<rank> <JSON>",
                                                 rank the stored time and id of the statement
                                                 that gave it
    lr:{t:<tenant>}:attachment:<sha2>            hash: type=content type, data=raw content of
                                                 one attachment, by the lowercase hex SHA-2 of
                                                 its content; the serving copy of the record
                                                 "<tenant>|<sha2>" on the attachments topic
    lr:{t:<tenant>}:attachment-owners:<sha2>     set: the learner ids of the owners of the
                                                 statements that reference one attachment (an
                                                 erasure deletes content nobody else owns);
                                                 written before the statements, so it never
                                                 misses one
    lr:{t:<tenant>}:doc:<kind>:<context>:<slot>  hash: one State, Activity Profile or Agent
                                                 Profile document: type=content type,
                                                 content, etag, updated (Unix ms); <context> is
                                                 DocumentContext.digest, <slot> is
                                                 "<registration>|<document id>"
    lr:{t:<tenant>}:doc-ids:<kind>:<context>     zset: the slots of a context's documents,
                                                 score updated (Unix ms): listings and since
    lr:{t:<tenant>}:doc-lease:<kind>:<context>:<slot>
                                                 the token of the one write in progress on a
                                                 document (expires: docs/documents.md)
    lr:{t:<tenant>}:ind:<entity>:<entity id>     hash: the indicator state of one learner,
                                                 activity or learner-activity pair, mirrored
                                                 from the worker's tables: field "all" (lifetime),
                                                 "m:<minute>" and "h:<hour>" buckets, "agent"
                                                 (learners: the IFI properties)
    lr:{t:<tenant>}:ind:activity:<ref>:learners  hash: learner id -> statements on the activity
    lr:{t:<tenant>}:ind:activity:<ref>:completed hash: learner id -> completions on it; HLEN
                                                 of each is the activity's lifetime count
    lr:{t:<tenant>}:ind:learner:<id>:days        hash: UTC day -> the learner's statements
    lr:{t:<tenant>}:ind:learner:<id>:activities  hash: activity ref -> statements on it
    lr:{t:<tenant>}:ind:learner:<id>:completed   hash: activity ref -> completions on it
    lr:{t:<tenant>}:erasure:<erasure id>         hash: state (pending, done), requested and
                                                 finished (ISO 8601) of one erasure
    lr:keys:{k:<key id>}                         API key record (JSON), cache of the keys topic
    lr:keys:{k:<key id>}:changing                lock held while `lr keys` rotates or revokes
                                                 the key, so that changes of one key never race
    lr:ops:{g:<group>}:workers                   hash: worker id -> that worker's last heartbeat
                                                 (JSON: time, partitions, processed offsets,
                                                 /metrics URL) for the consumer group <group>
    lr:ops:{g:<group>}:api                       hash: API process id -> its last heartbeat
                                                 (JSON: time, /metrics URL), in front of <group>
"""

from __future__ import annotations

PREFIX = "lr"


class ClaimField:
    """Fields of a statement claim that Python reads (scripts/statement_claim.lua names them
    all). Short because there is one claim per statement."""

    SEQUENCE = "s"
    VOIDS = "v"
    INDEXES = "ix"
    APPLIED_BY = "a"
    RETRACTED_BY = "x"


def _tenant_tag(tenant: str) -> str:
    return f"{PREFIX}:{{t:{tenant}}}"


def statement(tenant: str, statement_id: str) -> str:
    return f"{_tenant_tag(tenant)}:stmt:{statement_id}"


def statement_claim(tenant: str, statement_id: str) -> str:
    return f"{_tenant_tag(tenant)}:claim:{statement_id}"


def statement_sequence(tenant: str) -> str:
    return f"{_tenant_tag(tenant)}:stmt-seq"


def statement_last_stored(tenant: str) -> str:
    return f"{_tenant_tag(tenant)}:stmt-last-stored"


def statement_order(tenant: str) -> str:
    return f"{_tenant_tag(tenant)}:stmt-order"


def statement_index(tenant: str, term: str) -> str:
    """The index of one filter term (``verb:<iri>``, ``agent:<pseudonym>``…)."""
    return f"{_tenant_tag(tenant)}:stmt-ix:{term}"


def statement_expiry(tenant: str) -> str:
    """zset: member statement id, score stored (Unix ms): what view retention purges first."""
    return f"{_tenant_tag(tenant)}:stmt-expiry"


def tenant_of_key(key: str) -> str:
    """The tenant a key belongs to (every tenant key carries ``{t:<tenant>}``)."""
    return key.split("{t:", 1)[1].split("}", 1)[0]


def statement_stored_times(tenant: str) -> str:
    return f"{_tenant_tag(tenant)}:stmt-stored"


def statement_stored_marks(tenant: str) -> str:
    return f"{_tenant_tag(tenant)}:stmt-stored-mark"


def retired(tenant: str, learner_id: str) -> str:
    """What view retention kept of the statements of one learner it purged."""
    return f"{_tenant_tag(tenant)}:retired:{learner_id}"


def targeted_by(tenant: str, statement_id: str) -> str:
    return f"{_tenant_tag(tenant)}:targeted-by:{statement_id}"


def voided_by(tenant: str, statement_id: str) -> str:
    return f"{_tenant_tag(tenant)}:voided-by:{statement_id}"


def known_agent(tenant: str, pseudonym: str) -> str:
    """The names seen with one agent, by the keyed pseudonym of its IFI."""
    return f"{_tenant_tag(tenant)}:known-agent:{pseudonym}"


def known_activity(tenant: str, activity_id: str) -> str:
    """The merged definition of one Activity."""
    return f"{_tenant_tag(tenant)}:known-activity:{activity_id}"


def attachment(tenant: str, sha2: str) -> str:
    """One attachment's content and content type; ``sha2`` is lowercase hex."""
    return f"{_tenant_tag(tenant)}:attachment:{sha2}"


def attachment_owners(tenant: str, sha2: str) -> str:
    """The learner ids whose statements reference one attachment."""
    return f"{_tenant_tag(tenant)}:attachment-owners:{sha2}"


def document(tenant: str, kind: str, context: str, slot: str) -> str:
    """One document of the document resources; ``context`` is ``DocumentContext.digest``."""
    return f"{_tenant_tag(tenant)}:doc:{kind}:{context}:{slot}"


def document_ids(tenant: str, kind: str, context: str) -> str:
    """The slots of one context's documents, by when each last changed."""
    return f"{_tenant_tag(tenant)}:doc-ids:{kind}:{context}"


def document_lease(tenant: str, kind: str, context: str, slot: str) -> str:
    """The token of the write in progress on a document."""
    return f"{_tenant_tag(tenant)}:doc-lease:{kind}:{context}:{slot}"


def document_patterns(tenant: str = "*") -> list[str]:
    """SCAN patterns of every document key of one tenant, or of all with ``*``: what
    ``lr replay`` rebuilds from the documents topic."""
    return [f"{_tenant_tag(tenant)}:doc*"]


def api_key(key_id: str) -> str:
    return f"{PREFIX}:keys:{{k:{key_id}}}"


def api_key_change_lock(key_id: str) -> str:
    return f"{api_key(key_id)}:changing"


def request_window(tenant: str, key_id: str) -> str:
    """``<window number>:<requests in it>`` of one key's rate limit (gateway)."""
    return f"{_tenant_tag(tenant)}:rate:{key_id}"


def statement_quota(tenant: str, key_id: str, month: str) -> str:
    """Statements one key wrote in a calendar month ``YYYY-MM`` (gateway)."""
    return f"{_tenant_tag(tenant)}:quota:{key_id}:{month}"


def indicator_mirror_patterns(tenant: str = "*") -> list[str]:
    """SCAN patterns of the indicator mirror of one tenant, or of all with ``*``: what
    ``lr replay`` rebuilds from the indicator tables' changelogs."""
    return [f"{_tenant_tag(tenant)}:ind:*"]


def statement_view_patterns(tenant: str = "*") -> list[str]:
    """SCAN patterns of every key of the statement view (documents, claims, indexes, voiding
    links, the names and definitions they gave, the owners of attachments, what retention kept)
    of one tenant, or of all with ``*``: what ``lr replay`` rebuilds from the topic."""
    tag = _tenant_tag(tenant)
    return [
        f"{tag}:stmt*",
        f"{tag}:claim:*",
        f"{tag}:voided-by:*",
        f"{tag}:targeted-by:*",
        f"{tag}:known-*",
        f"{tag}:attachment-owners:*",
        f"{tag}:retired:*",
    ]


def indicators(tenant: str, entity: str, entity_id: str) -> str:
    """The mirrored indicator state of one entity (``learner``, ``activity``,
    ``learner-activity``); ``entity_id`` is opaque (see store.indicators)."""
    return f"{_tenant_tag(tenant)}:ind:{entity}:{entity_id}"


def worker_heartbeats(group: str) -> str:
    """Heartbeats of the workers of one consumer group (the Faust app id), by worker id."""
    return f"{PREFIX}:ops:{{g:{group}}}:workers"


def api_heartbeats(group: str) -> str:
    """Heartbeats of the API processes in front of one consumer group, by process id."""
    return f"{PREFIX}:ops:{{g:{group}}}:api"


def indicator_members(tenant: str, entity: str, entity_id: str, which: str) -> str:
    """A member hash of an entity, whose size is one of its lifetime distinct counts: an
    activity's ``learners`` or ``completed`` (by learner id), a learner's ``days`` (by day
    number), ``activities`` or ``completed`` (by activity ref)."""
    return f"{indicators(tenant, entity, entity_id)}:{which}"


def erasure(tenant: str, erasure_id: str) -> str:
    """hash: the state of one erasure (docs/privacy.md): state, requested, finished."""
    return f"{_tenant_tag(tenant)}:erasure:{erasure_id}"
