"""xAPI 1.0.3 statement models (spec part 2, "Experience API Data"), free of any I/O."""

from learning_record.domain.xapi.activities import (
    Activity,
    ActivityDefinition,
    InteractionComponent,
    InteractionType,
)
from learning_record.domain.xapi.agents import Account, Actor, Agent, Group
from learning_record.domain.xapi.attachments import Attachment
from learning_record.domain.xapi.common import (
    IRI,
    IRL,
    UUID,
    Duration,
    Extensions,
    LanguageMap,
    LanguageTag,
    Timestamp,
    duration_seconds,
)
from learning_record.domain.xapi.context import Context, ContextActivities
from learning_record.domain.xapi.results import Result, Score
from learning_record.domain.xapi.statements import (
    Statement,
    StatementRef,
    SubStatement,
    parse_statement,
    parse_statements,
)
from learning_record.domain.xapi.verbs import COMPLETED, PASSED, VOIDED, Verb

__all__ = [
    "COMPLETED",
    "IRI",
    "IRL",
    "PASSED",
    "UUID",
    "VOIDED",
    "Account",
    "Activity",
    "ActivityDefinition",
    "Actor",
    "Agent",
    "Attachment",
    "Context",
    "ContextActivities",
    "Duration",
    "Extensions",
    "Group",
    "InteractionComponent",
    "InteractionType",
    "LanguageMap",
    "LanguageTag",
    "Result",
    "Score",
    "Statement",
    "StatementRef",
    "SubStatement",
    "Timestamp",
    "Verb",
    "duration_seconds",
    "parse_statement",
    "parse_statements",
]
