"""Verbs (xAPI 2.4.3) and the verb IRIs the rest of the code base relies on."""

from learning_record.domain.xapi.common import IRI, LanguageMap, Omittable, XapiModel

# The only verb xAPI reserves (2.3.2): the statement voids the one its object refers to.
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
# ADL vocabulary verbs used by indicators.
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
FAILED = "http://adlnet.gov/expapi/verbs/failed"
# xAPI video profile (https://w3id.org/xapi/video), as sent by FUN-MOOC.
VIDEO_PLAYED = "https://w3id.org/xapi/video/verbs/played"


class Verb(XapiModel):
    """The action of the statement: an IRI, with display names that carry no meaning."""

    id: IRI
    display: Omittable[LanguageMap] = None
