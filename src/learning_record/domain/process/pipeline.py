"""``process``: one input, in any supported format, to protected, profiled, valid xAPI.

convert → validate → protect → detect the profile and enrich → validate again. Validation is the
statements resource's own (``parse_statement``), before protection so that protection walks a
known shape, and after, so that nothing leaves that is not valid xAPI.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict

from learning_record.domain.errors import StatementInvalid
from learning_record.domain.process import profiles
from learning_record.domain.process.conversion import Document, Produced
from learning_record.domain.process.errors import ConversionFailed
from learning_record.domain.process.formats import converted
from learning_record.domain.process.limits import check_bounds, check_statement_count
from learning_record.domain.process.mapping import RecordMapping
from learning_record.domain.process.privacy import (
    PSEUDONYM_HOME_PAGE,
    Privacy,
    PrivacyMode,
    protect,
)
from learning_record.domain.xapi.common import join_path
from learning_record.domain.xapi.statements import parse_statement

_OUTPUT = ConfigDict(extra="forbid", strict=True, frozen=True)


class PrivacyReport(BaseModel):
    model_config = _OUTPUT

    mode: PrivacyMode
    touched: list[str]


class SkippedPart(BaseModel):
    model_config = _OUTPUT

    source: str
    reason: str


class ProcessMeta(BaseModel):
    """What was done. ``profile``, like ``output_trace``, is one value or an array of them."""

    model_config = _OUTPUT

    input_format: str
    input_version: str | None
    output_format: Literal["xapi"] = "xapi"
    profile: str | list[str | None] | None
    privacy: PrivacyReport
    enriched: list[str]
    skipped: list[SkippedPart]


class ProcessResult(BaseModel):
    """The response of /process for one input."""

    model_config = _OUTPUT

    output_trace: Document | list[Document]
    recommendations: list[profiles.Recommendation]
    meta: ProcessMeta

    @property
    def statements(self) -> list[Document]:
        """``output_trace`` as an array whatever its shape: what the raw stream forwards."""
        trace = self.output_trace
        return trace if isinstance(trace, list) else [trace]


def process(
    data: object,
    *,
    input_format: str | None = None,
    mode: PrivacyMode | str = PrivacyMode.PSEUDONYMISE,
    tenant_secret: bytes,
    mapping: RecordMapping | None = None,
    pseudonym_home_page: str = PSEUDONYM_HOME_PAGE,
) -> ProcessResult:
    """Convert ``data`` (decoded JSON, or CSV text read by ``mapping``) to xAPI and protect it.

    Raises ``UndetectableInput`` (each format's reason), ``ConversionFailed`` (the format, the
    path in the input, why), ``InputTooLarge`` (past a bound of ``limits``), and ``ValueError``
    for an unknown mode, a secret too short for keyed pseudonymisation, or a home page that is
    not an IRI.
    """
    # The mode's plain name ("anonymise", from a request or a setting) is accepted too.
    privacy = Privacy(PrivacyMode(mode), tenant_secret, pseudonym_home_page)
    check_bounds(data)
    name, conversion = converted(data, input_format, mapping)
    check_statement_count(len(conversion.statements))
    rules = profiles.dases_rules()
    outputs: list[Document] = []
    labels: list[str | None] = []
    recommendations: list[profiles.Recommendation] = []
    touched: list[str] = []
    enriched: list[str] = []
    for index, produced in enumerate(conversion.statements):
        prefix = f"[{index}]" if conversion.collection or len(conversion.statements) > 1 else ""
        document = _validated(produced, name)
        touched += [join_path(prefix, path) for path in protect(document, privacy)]
        match = profiles.detect(document, rules)
        if match is not None:
            enriched += [join_path(prefix, path) for path in profiles.enrich(document, match)]
            recommendations += [
                found.model_copy(update={"path": join_path(prefix, found.path)})
                for found in profiles.recommendations(document, match)
            ]
        _check_still_valid(document, produced.source, name)
        outputs.append(document)
        labels.append(None if match is None else match.label)
    single = len(outputs) == 1 and not conversion.collection
    return ProcessResult(
        output_trace=outputs[0] if single else outputs,
        recommendations=recommendations,
        meta=ProcessMeta(
            input_format=name,
            input_version=conversion.version,
            profile=labels[0] if single else labels,
            privacy=PrivacyReport(mode=privacy.mode, touched=touched),
            enriched=enriched,
            skipped=[SkippedPart(source=s.source, reason=s.reason) for s in conversion.skipped],
        ),
    )


def _validated(produced: Produced, input_format: str) -> Document:
    """The statement as the statements resource would store it; ``ConversionFailed`` if invalid."""
    try:
        return parse_statement(produced.document).to_document()
    except StatementInvalid as error:
        raise _invalid(error, produced.source, input_format) from None


def _check_still_valid(document: Document, source: str, input_format: str) -> None:
    # Protection and enrichment edit a document already in stored shape: validating it again is
    # enough, and it is returned as it is.
    try:
        parse_statement(document)
    except StatementInvalid as error:
        raise _invalid(error, source, input_format) from None


def _invalid(error: StatementInvalid, source: str, input_format: str) -> ConversionFailed:
    where = f" at {error.path}" if error.path else ""
    reason = f"the xAPI statement made from it is invalid{where}: {error.reason}"
    return ConversionFailed(input_format, source, reason)
