"""Caliper 1.1 and 1.2 terms, and the xAPI verbs and activity types they become.

Written by us from the Caliper Analytics 1.1 and 1.2 definitions of actions and entities, and
aligned with the DASES templates (``rules/dases.json``) where one describes the same event: a
NavigatedTo is DASES's "accessed", a posted Message its "created" post. An action or an entity
type with no established xAPI equivalent keeps its Caliper meaning under a Caliper IRI
(``CALIPER_ACTION`` + action, ``CALIPER_ENTITY`` + type), rather than being forced onto a verb
that means something else.
"""

from typing import Final

CONTEXTS: Final = {
    "http://purl.imsglobal.org/ctx/caliper/v1p1": "1.1",
    "http://purl.imsglobal.org/ctx/caliper/v1p2": "1.2",
}

CALIPER_ACTION: Final = "http://purl.imsglobal.org/vocab/caliper/v1/action#"
CALIPER_ENTITY: Final = "http://purl.imsglobal.org/caliper/"

ADL = "http://adlnet.gov/expapi/verbs/"
ADL_V = "https://w3id.org/xapi/adl/verbs/"
AS = "http://activitystrea.ms/"
TINCAN = "http://id.tincanapi.com/verb/"
VIDEO = "https://w3id.org/xapi/video/verbs/"

# Action -> (verb IRI, English display).
VERBS: Final[dict[str, tuple[str, str]]] = {
    "Abandoned": (f"{ADL_V}abandoned", "abandoned"),
    "Accepted": (f"{AS}accept", "accepted"),
    "Bookmarked": (f"{TINCAN}bookmarked", "bookmarked"),
    "Commented": (f"{ADL}commented", "commented"),
    "Completed": (f"{ADL}completed", "completed"),
    "Ended": (f"{ADL}terminated", "terminated"),
    "Graded": (f"{ADL}scored", "scored"),
    "LoggedIn": (f"{ADL_V}logged-in", "logged in"),
    "LoggedOut": (f"{ADL_V}logged-out", "logged out"),
    "NavigatedTo": ("https://w3id.org/xapi/netc/verbs/accessed", "accessed"),
    "Paused": (f"{ADL}suspended", "suspended"),
    "Posted": ("https://w3id.org/xapi/dod-isd/verbs/created", "created"),
    "Resumed": (f"{ADL}resumed", "resumed"),
    "Returned": (f"{AS}return", "returned"),
    "Searched": (f"{AS}search", "searched"),
    "Shared": (f"{AS}share", "shared"),
    "Skipped": (f"{TINCAN}skipped", "skipped"),
    "Started": (f"{AS}start", "started"),
    "Submitted": (f"{AS}submit", "submitted"),
    "Tagged": (f"{AS}tag", "tagged"),
    # A session ended by the system, not the learner: cmi5's "abandoned".
    "TimedOut": (f"{ADL_V}abandoned", "abandoned"),
    "Used": (f"{AS}use", "used"),
    "Viewed": (f"{TINCAN}viewed", "viewed"),
}

# (event type, action) -> verb, where the event type changes what the action means.
VERBS_BY_EVENT: Final[dict[tuple[str, str], tuple[str, str]]] = {
    # Completing an item is answering a question (DASES "answered-question").
    ("AssessmentItemEvent", "Completed"): (f"{ADL}answered", "answered"),
    # Submitting an assessment is DASES's "completed": all the questions needed were answered.
    ("AssessmentEvent", "Submitted"): (f"{ADL}completed", "completed"),
    # The xAPI video profile's verbs, as FUN-MOOC sends them.
    ("MediaEvent", "Started"): (f"{VIDEO}played", "played"),
    ("MediaEvent", "Resumed"): (f"{VIDEO}played", "played"),
    ("MediaEvent", "Paused"): (f"{VIDEO}paused", "paused"),
    ("MediaEvent", "JumpedTo"): (f"{VIDEO}seeked", "seeked"),
    ("MediaEvent", "ForwardedTo"): (f"{VIDEO}seeked", "seeked"),
    ("MediaEvent", "Ended"): (f"{ADL}completed", "completed"),
}

COURSE = "http://adlnet.gov/expapi/activities/course"

# Entity type -> xAPI activity type.
ACTIVITY_TYPES: Final[dict[str, str]] = {
    "Assessment": "http://adlnet.gov/expapi/activities/assessment",
    "AssessmentItem": "http://adlnet.gov/expapi/activities/question",
    "AudioObject": "https://w3id.org/xapi/audio/activity-type/audio",
    "CourseOffering": COURSE,
    "CourseSection": COURSE,
    "DigitalResource": "http://activitystrea.ms/file",
    "Document": "http://id.tincanapi.com/activitytype/document",
    "Forum": "http://id.tincanapi.com/activitytype/community-site",
    "MediaObject": "http://adlnet.gov/expapi/activities/media",
    "Message": "https://w3id.org/xapi/acrossx/activities/message",
    "Thread": "http://id.tincanapi.com/activitytype/discussion",
    "VideoObject": "https://w3id.org/xapi/video/activity-type/video",
    "WebPage": "https://w3id.org/xapi/acrossx/activities/webpage",
}

# Caliper's role terms (lis v2 vocabulary) -> the DASES "role" extension's words.
ROLE_EXTENSION: Final = "http://schema.dases.eu/xapi/profile/common/extension/role"
ROLES: Final[dict[str, str]] = {
    "Learner": "learner",
    "Instructor": "teacher",
    "Administrator": "admin",
    "ContentDeveloper": "staff",
    "Manager": "manager",
    "Member": "learner",
    "Mentor": "teacher",
    "TeachingAssistant": "teacher",
}

# The video profile's playhead position, in seconds, for media events.
VIDEO_TIME_EXTENSION: Final = "https://w3id.org/xapi/video/extensions/time"
# Where the event's own ``extensions`` object is kept (its keys need not be IRIs).
CALIPER_EXTENSIONS: Final = f"{CALIPER_ENTITY}extensions"


def verb_of(event_type: str, action: str) -> tuple[str, str]:
    """The xAPI verb IRI and display of a Caliper action in an event of ``event_type``."""
    return (
        VERBS_BY_EVENT.get((event_type, action))
        or VERBS.get(action)
        or (f"{CALIPER_ACTION}{action}", action)
    )


def activity_type_of(entity_type: str) -> str:
    return ACTIVITY_TYPES.get(entity_type) or f"{CALIPER_ENTITY}{entity_type}"
