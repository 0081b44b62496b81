"""IMS Caliper Analytics 1.1 and 1.2 events, single or in an envelope, to xAPI statements.

Every event of an envelope becomes a statement; the envelope's other items (entity describes)
are reported as skipped. Each statement keeps its event's UUID as its id, so that converting the
same event twice gives the same statement. Terms are translated by ``caliper_vocabulary``.
"""

from typing import Any, TypeGuard

from learning_record.domain.process import caliper_vocabulary as vocabulary
from learning_record.domain.process.conversion import (
    UNDETERMINED,
    Converted,
    Document,
    Produced,
    Skipped,
    at,
    origin,
    required_text,
)
from learning_record.domain.process.errors import ConversionFailed
from learning_record.domain.xapi.common import duration_seconds

NAME = "caliper"
_TIMED = ("Attempt", "Session")
_URN_UUID = "urn:uuid:"


def rejection(data: object) -> str | None:
    """Why ``data`` is not a Caliper 1.1 or 1.2 event or envelope; None when it is one."""
    if not isinstance(data, dict):
        return "not a JSON object (a Caliper event or envelope)"
    if "dataVersion" in data:
        if _context_version(data.get("dataVersion")) is None:
            return "an envelope whose dataVersion is not the Caliper 1.1 or 1.2 context"
        if not isinstance(data.get("data"), list):
            return "an envelope without a 'data' array"
        return None
    if _context_version(data.get("@context")) is None:
        return "no '@context' naming the Caliper 1.1 or 1.2 context"
    if not _is_event(data):
        return "'type' is not a Caliper event type (…Event)"
    return None


def convert(data: dict[str, Any]) -> Converted:
    if "dataVersion" not in data:
        version = _context_version(data.get("@context"))
        return Converted([Produced(_statement(data, ""), "")], version, collection=False)
    produced: list[Produced] = []
    skipped: list[Skipped] = []
    for index, item in enumerate(data["data"]):
        where = f"data[{index}]"
        if isinstance(item, dict) and _is_event(item):
            produced.append(Produced(_statement(item, where), where))
        else:
            skipped.append(Skipped(where, "not a Caliper event (an entity describe or other)"))
    if not produced:
        raise ConversionFailed(NAME, "data", "the envelope holds no event")
    return Converted(produced, _context_version(data["dataVersion"]), True, skipped)


def _context_version(context: object) -> str | None:
    # "@context" is one IRI, or an array whose first item is the Caliper context.
    first = context[0] if isinstance(context, list) and context else context
    return vocabulary.CONTEXTS.get(first) if isinstance(first, str) else None


def _is_event(item: dict[str, Any]) -> bool:
    kind = item.get("type")
    return isinstance(kind, str) and kind.endswith("Event")


# --- One event ----------------------------------------------------------------------------------


def _statement(event: dict[str, Any], where: str) -> Document:
    event_type = required_text(NAME, event, "type", where)
    action = required_text(NAME, event, "action", where)
    actor = _entity(event.get("actor"), at(where, "actor"))
    target = _entity(event.get("object"), at(where, "object"))
    edapp = _optional_entity(event.get("edApp"))
    instructor = None
    # When the system acts (a session timed out), the statement is about the session's user.
    user = _optional_entity(target.get("user"))
    if actor.get("type") == "SoftwareApplication" and user is not None:
        actor = user
    if event_type == "GradeEvent":
        # The grader scores a learner's Attempt: xAPI's "scored" is said of the learner.
        assignee = _optional_entity(target.get("assignee"))
        if assignee is not None:
            instructor = actor if actor.get("type") == "Person" else None
            actor = assignee
        target = _optional_entity(target.get("assignable")) or target
    verb_id, display = vocabulary.verb_of(event_type, action)
    statement: Document = {
        "actor": _agent(actor, edapp),
        "verb": {"id": verb_id, "display": {"en-US": display}},
        "object": _activity(target),
        "timestamp": required_text(NAME, event, "eventTime", where),
    }
    event_id = event.get("id")
    if isinstance(event_id, str) and event_id.startswith(_URN_UUID):
        statement["id"] = event_id.removeprefix(_URN_UUID)
    result = _result(event_type, event, where)
    if result:
        statement["result"] = result
    context = _context(event, edapp, instructor, target)
    if context:
        statement["context"] = context
    return statement


def _entity(value: object, where: str) -> dict[str, Any]:
    entity = _optional_entity(value)
    if entity is None:
        raise ConversionFailed(NAME, where, "must be an entity: an object with an 'id', or an IRI")
    return entity


def _optional_entity(value: object) -> dict[str, Any] | None:
    # Caliper lets an entity be referenced by its IRI alone.
    if isinstance(value, str):
        return {"id": value}
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value
    return None


def _agent(person: dict[str, Any], edapp: dict[str, Any] | None) -> Document:
    # The account is the person's id on the system that emitted the event: the edApp when the
    # event names one, else the host of the person's IRI.
    home_page = (edapp or {}).get("id") or origin(person["id"]) or vocabulary.CALIPER_ENTITY
    agent: Document = {
        "objectType": "Agent",
        "account": {"homePage": home_page, "name": person["id"]},
    }
    if isinstance(person.get("name"), str):
        agent["name"] = person["name"]
    return agent


def _activity(entity: dict[str, Any]) -> Document:
    definition: Document = {}
    if isinstance(entity.get("name"), str):
        definition["name"] = {UNDETERMINED: entity["name"]}
    # A Message's body is its description: free text, scrubbed like any description.
    description = entity.get("description") or entity.get("body")
    if isinstance(description, str):
        definition["description"] = {UNDETERMINED: description}
    if isinstance(entity.get("type"), str):
        definition["type"] = vocabulary.activity_type_of(entity["type"])
    activity: Document = {"objectType": "Activity", "id": entity["id"]}
    if definition:
        activity["definition"] = definition
    return activity


# --- Result and context ---------------------------------------------------------------------------


def _result(event_type: str, event: dict[str, Any], where: str) -> Document:
    result: Document = {}
    generated = _optional_entity(event.get("generated")) or {}
    target = _optional_entity(event.get("object")) or {}
    if generated.get("type") == "Score":
        result["score"] = _score(generated, at(where, "generated"))
    response = _response_text(generated)
    if response is not None:
        result["response"] = response
    # An Attempt's or a Session's duration is the time the learner spent (ISO 8601 in both); a
    # video's duration is its length, not the learner's time.
    timed = [entity for entity in (generated, target) if entity.get("type") in _TIMED]
    duration = timed[0].get("duration") if timed else None
    if isinstance(duration, str):
        _check_duration(duration, at(where, "generated.duration"))
        result["duration"] = duration
    location = _optional_entity(event.get("target")) or {}
    if event_type == "MediaEvent" and isinstance(location.get("currentTime"), str):
        seconds = _check_duration(location["currentTime"], at(where, "target.currentTime"))
        result["extensions"] = {vocabulary.VIDEO_TIME_EXTENSION: seconds}
    return result


def _score(score: dict[str, Any], where: str) -> Document:
    given, maximum = score.get("scoreGiven"), score.get("maxScore")
    if not _is_number(given):
        raise ConversionFailed(NAME, at(where, "scoreGiven"), "must be a number")
    converted: Document = {"raw": given}
    if _is_number(maximum):
        converted |= {"min": 0, "max": maximum}
        if maximum > 0:
            converted["scaled"] = round(given / maximum, 4)
    return converted


def _response_text(generated: dict[str, Any]) -> str | None:
    """The learner's own words or choices in what the event generated, as xAPI response text."""
    query = _optional_entity(generated.get("query")) or {}
    for holder, name in (
        (generated, "value"),
        (generated, "selectionText"),
        (generated, "bookmarkNotes"),
        (generated, "searchTerms"),
        (query, "searchTerms"),
    ):
        if isinstance(holder.get(name), str):
            return str(holder[name])
    for name in ("values", "selections", "tags"):
        items = generated.get(name)
        if isinstance(items, list) and all(isinstance(item, str) for item in items):
            # "[,]" separates the items of a response (xAPI Data 2.4.4.1.s10, "Response Patterns").
            return "[,]".join(items)
    return None


def _context(
    event: dict[str, Any],
    edapp: dict[str, Any] | None,
    instructor: dict[str, Any] | None,
    target: dict[str, Any],
) -> Document:
    context: Document = {}
    activities: Document = {}
    parent = _optional_entity(target.get("isPartOf"))
    if parent is not None:
        activities["parent"] = [_activity(parent)]
    group = _optional_entity(event.get("group"))
    if group is not None:
        activities["grouping"] = [_activity(group)]
    if activities:
        context["contextActivities"] = activities
    if instructor is not None:
        context["instructor"] = _agent(instructor, edapp)
    if edapp is not None:
        context["platform"] = edapp.get("name") or edapp["id"]
    extensions: Document = {}
    role = _role(event.get("membership"))
    if role is not None:
        extensions[vocabulary.ROLE_EXTENSION] = role
    if isinstance(event.get("extensions"), dict) and event["extensions"]:
        extensions[vocabulary.CALIPER_EXTENSIONS] = event["extensions"]
    if extensions:
        context["extensions"] = extensions
    return context


def _role(membership: object) -> str | None:
    roles = membership.get("roles") if isinstance(membership, dict) else None
    if not isinstance(roles, list):
        return None
    for role in roles:
        # Sub-roles read "Instructor#TeachingAssistant": the main role decides.
        if isinstance(role, str) and role.split("#")[0] in vocabulary.ROLES:
            return vocabulary.ROLES[role.split("#")[0]]
    return None


def _check_duration(duration: str, where: str) -> float:
    try:
        return duration_seconds(duration)
    except ValueError as error:
        raise ConversionFailed(NAME, where, str(error)) from None


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
