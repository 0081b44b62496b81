"""Who a learner is: a canonical key from the Inverse Functional Identifier (xAPI 2.4.2.3).

The name of an Agent is not part of its identity: the same account sent with two different
names is the same learner. Values are kept as sent (an mbox is not lowercased, since only its
domain part is case-insensitive), except the SHA-1 hex digest, whose case carries no meaning.

The key is injective: two different IFIs never share it. An account's two parts are joined by
``|``, and every value has ``%``, ``|`` and the control characters percent-encoded, so no
homePage can end where another account's name begins (``http://a|b`` + ``c`` and ``http://a`` +
``b|c`` were once the same learner), and no key holds the worker's routing separators. Values
without those characters, which is nearly all of them, read exactly as sent.
"""

import re
from collections.abc import Mapping
from typing import Any, cast

import orjson
from pydantic import TypeAdapter, ValidationError

from learning_record.domain.errors import UnidentifiedActor, first_validation_message
from learning_record.domain.xapi.agents import Actor, Agent, Group

_RESERVED = re.compile(r"[%|\x00-\x1f\x7f]")


def _escaped(value: str) -> str:
    """``value`` with ``%``, ``|`` and control characters as ``%XX``: an injective encoding,
    since every ``%`` it leaves starts an escape."""
    if _RESERVED.search(value) is None:
        return value
    return _RESERVED.sub(lambda match: f"%{ord(match.group()):02X}", value)


def _ifi(
    mbox: str | None, mbox_sha1sum: str | None, openid: str | None, account: tuple[str, str] | None
) -> str:
    if mbox is not None:
        return f"mbox:{_escaped(mbox)}"
    if mbox_sha1sum is not None:
        return f"mbox_sha1sum:{_escaped(mbox_sha1sum.lower())}"
    if openid is not None:
        return f"openid:{_escaped(openid)}"
    if account is not None:
        home_page, name = account
        return f"account:{_escaped(home_page)}|{_escaped(name)}"
    raise UnidentifiedActor("an anonymous Group has no inverse functional identifier")


def ifi_of(agent: Agent | Group) -> str:
    """The canonical IFI string: "mbox:mailto:…", "mbox_sha1sum:<hex>", "openid:<iri>" or
    "account:<homePage>|<name>", each value escaped (see the module's docstring).

    Raises ``UnidentifiedActor`` for an anonymous Group, which has no IFI.
    """
    account = agent.account
    return _ifi(
        agent.mbox,
        agent.mbox_sha1sum,
        agent.openid,
        (account.home_page, account.name) if account is not None else None,
    )


def ifi_of_raw(actor: Mapping[str, Any]) -> str:
    """``ifi_of`` for an actor document that has already been validated (a hot-path shortcut).

    Gives the same string as ``ifi_of`` on the parsed Agent or Group.
    """
    account = actor.get("account")
    return _ifi(
        actor.get("mbox"),
        actor.get("mbox_sha1sum"),
        actor.get("openid"),
        (account["homePage"], account["name"]) if account is not None else None,
    )


_IFI_PROPERTIES = ("objectType", "mbox", "mbox_sha1sum", "openid", "account")


def ifi_properties(actor: Mapping[str, Any]) -> dict[str, Any]:
    """The identifying part of an actor document (no name, no members): what may be shown of a
    learner by its opaque id."""
    return {name: actor[name] for name in _IFI_PROPERTIES if name in actor}


# Actor is an Annotated union, which TypeAdapter's signature does not describe.
_ACTOR = cast("TypeAdapter[Agent | Group]", TypeAdapter(Actor))


def ifi_of_json(value: str | Mapping[str, Any]) -> str:
    """The IFI of an Agent or identified Group given as JSON text or a decoded object, as query
    parameters carry them; ``ValueError`` saying what is wrong otherwise."""
    try:
        decoded = orjson.loads(value) if isinstance(value, str) else value
        actor = _ACTOR.validate_python(decoded)
    except orjson.JSONDecodeError:
        raise ValueError("must be an Agent or identified Group as JSON") from None
    except ValidationError as error:
        reason = first_validation_message(error)
        raise ValueError(f"is not a valid Agent or Group: {reason}") from None
    try:
        return ifi_of(actor)
    except UnidentifiedActor:
        raise ValueError("must identify an Agent or Group; an anonymous Group has no IFI") from None
