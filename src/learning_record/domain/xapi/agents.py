"""Agents and Groups: who did something, who taught it, who vouches for it (xAPI 2.4.2)."""

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, model_validator

from learning_record.domain.xapi.common import (
    IRI,
    IRL,
    MailtoIRI,
    NonEmptyStr,
    Omittable,
    Sha1Hex,
    XapiModel,
    rule_error,
)

# The four Inverse Functional Identifiers (2.4.2.3), by their JSON names.
IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")


class Account(XapiModel):
    """A user account on an existing system (2.4.2.4)."""

    home_page: IRL = Field(alias="homePage")
    name: NonEmptyStr


class _Identified(XapiModel):
    """The properties that Agents and Groups share: a name and the IFIs."""

    name: Omittable[str] = None
    mbox: Omittable[MailtoIRI] = None
    mbox_sha1sum: Omittable[Sha1Hex] = None
    openid: Omittable[IRI] = None
    account: Omittable[Account] = None

    @property
    def ifi_names(self) -> list[str]:
        """The JSON names of the Inverse Functional Identifiers this object carries."""
        return [name for name in IFI_PROPERTIES if getattr(self, name) is not None]


class Agent(_Identified):
    """An individual: a person or a system (2.4.2.1), identified by exactly one IFI."""

    object_type: Omittable[Literal["Agent"]] = Field(None, alias="objectType")

    @model_validator(mode="after")
    def _has_exactly_one_ifi(self) -> "Agent":
        found = self.ifi_names
        if len(found) != 1:
            raise rule_error(
                "an Agent must have exactly one inverse functional identifier "
                f"(one of {', '.join(IFI_PROPERTIES)}); found {_listed(found)}"
            )
        return self


def _reject_nested_group(value: Any) -> Any:
    if isinstance(value, dict) and value.get("objectType") == "Group":
        raise rule_error(
            "a Group's members must be Agents; Groups cannot be nested (2.4.2.2.s4.b2)",
            at="objectType",
        )
    return value


GroupMember = Annotated[Agent, BeforeValidator(_reject_nested_group)]


class Group(_Identified):
    """A collection of Agents (2.4.2.2).

    An identified Group has exactly one IFI and may list members; an anonymous Group has no IFI
    and must list its members.
    """

    object_type: Literal["Group"] = Field(alias="objectType")
    member: Omittable[list[GroupMember]] = None

    @property
    def is_anonymous(self) -> bool:
        return not self.ifi_names

    @model_validator(mode="after")
    def _is_identified_or_lists_members(self) -> "Group":
        found = self.ifi_names
        if len(found) > 1:
            raise rule_error(
                "an identified Group must have exactly one inverse functional identifier; "
                f"found {_listed(found)}"
            )
        if not found and self.member is None:
            raise rule_error(
                "an anonymous Group (one without mbox, mbox_sha1sum, openid or account) "
                "must list its Agents in 'member'",
                at="member",
            )
        return self


def _listed(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def agent_or_group_tag(value: Any) -> str:
    """Discriminator for an Agent-or-Group position: objectType, Agent when absent."""
    if isinstance(value, dict):
        object_type = value.get("objectType", "Agent")
        # A non-string objectType is left to the Agent model, which names the property.
        return object_type if isinstance(object_type, str) else "Agent"
    if isinstance(value, Group):
        return "Group"
    return "Agent"


# Actor, instructor: an Agent, or a Group when objectType says so (2.4.2).
Actor = Annotated[
    Annotated[Agent, Tag("Agent")] | Annotated[Group, Tag("Group")],
    Discriminator(agent_or_group_tag),
]
