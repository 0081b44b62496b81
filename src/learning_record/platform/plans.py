"""Usage plans: how many requests a key may make per second, and how many statements it may
write per calendar month (UTC). ``None`` means unlimited."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class UsagePlan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    requests_per_s: int | None = Field(default=None, ge=1)
    statements_per_month: int | None = Field(default=None, ge=0)
    description: str = ""


CUSTOM = "custom"

# The product's published plans. ``custom`` takes its limits from the key itself.
DEFAULT_PLANS: dict[str, UsagePlan] = {
    "basic": UsagePlan(requests_per_s=1, statements_per_month=100, description="non-commercial"),
    "pro": UsagePlan(requests_per_s=5, statements_per_month=10_000),
    "ultra": UsagePlan(requests_per_s=25, statements_per_month=100_000),
    CUSTOM: UsagePlan(description="limits set per key; unlimited when unset"),
}
