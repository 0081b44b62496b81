"""Attachment headers carried by a statement (xAPI 2.4.11); the payloads travel separately."""

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pydantic import Field

from learning_record.domain.xapi.common import (
    IRI,
    IRL,
    LanguageMap,
    MediaType,
    NonEmptyStr,
    Omittable,
    XapiModel,
)


class Attachment(XapiModel):
    usage_type: IRI = Field(alias="usageType")
    display: LanguageMap
    description: Omittable[LanguageMap] = None
    content_type: MediaType = Field(alias="contentType")
    length: int = Field(ge=0)  # octets
    sha2: NonEmptyStr  # SHA-2 hash of the payload; required even when fileUrl is given
    file_url: Omittable[IRL] = Field(None, alias="fileUrl")


def referenced_sha2s(documents: Iterable[Mapping[str, Any]]) -> list[str]:
    """The lowercase SHA-2 of each attachment of the statements and of their SubStatements,
    once each, in order of appearance (Data 2.4.11)."""
    return list(dict.fromkeys(_sha2s(documents)))


def _sha2s(documents: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    for document in documents:
        target = document.get("object")
        holders = [document]
        if isinstance(target, dict) and target.get("objectType") == "SubStatement":
            holders.append(target)
        for holder in holders:
            for attachment in holder.get("attachments") or ():
                yield str(attachment["sha2"]).lower()
