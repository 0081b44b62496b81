"""Attachment headers carried by a statement (xAPI 2.4.11); the payloads travel separately."""

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
