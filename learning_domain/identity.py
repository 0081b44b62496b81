"""Who a learner is: a canonical key from the Inverse Functional Identifier (xAPI 2.4.2.3).

The name of an Agent is not part of its identity: the same account sent with two different
names is the same learner. Values are kept as sent (an mbox is not lowercased, since only its
domain part is case-insensitive), except the SHA-1 hex digest, whose case carries no meaning.
"""

import hashlib
from collections.abc import Mapping
from typing import Any

from learning_domain.errors import UnidentifiedActor
from learning_domain.xapi.agents import Agent, Group


def ifi_of(agent: Agent | Group) -> str:
    """The canonical IFI string: "mbox:mailto:…", "mbox_sha1sum:<hex>", "openid:<iri>" or
    "account:<homePage>|<name>".

    Raises ``UnidentifiedActor`` for an anonymous Group, which has no IFI.
    """
    if agent.mbox is not None:
        return f"mbox:{agent.mbox}"
    if agent.mbox_sha1sum is not None:
        return f"mbox_sha1sum:{agent.mbox_sha1sum.lower()}"
    if agent.openid is not None:
        return f"openid:{agent.openid}"
    if agent.account is not None:
        return f"account:{agent.account.home_page}|{agent.account.name}"
    raise UnidentifiedActor("an anonymous Group has no inverse functional identifier")


def ifi_of_raw(actor: Mapping[str, Any]) -> str:
    """``ifi_of`` for an actor document that has already been validated (a hot-path shortcut).

    Gives the same string as ``ifi_of`` on the parsed Agent or Group.
    """
    if "mbox" in actor:
        return f"mbox:{actor['mbox']}"
    if "mbox_sha1sum" in actor:
        return f"mbox_sha1sum:{actor['mbox_sha1sum'].lower()}"
    if "openid" in actor:
        return f"openid:{actor['openid']}"
    if "account" in actor:
        account = actor["account"]
        return f"account:{account['homePage']}|{account['name']}"
    raise UnidentifiedActor("an anonymous Group has no inverse functional identifier")


def learner_key(agent: Agent | Group) -> str:
    """The key under which a learner's data is kept: their canonical IFI (see ``ifi_of``)."""
    return ifi_of(agent)


def learner_id(agent: Agent | Group) -> str:
    """A stable opaque id for a learner, safe to show: 32 hex digits of SHA-256 of the IFI."""
    return learner_id_of_ifi(ifi_of(agent))


def learner_id_of_ifi(ifi: str) -> str:
    """``learner_id`` from an IFI string already computed (by ``ifi_of`` or ``ifi_of_raw``)."""
    return hashlib.sha256(ifi.encode()).hexdigest()[:32]
