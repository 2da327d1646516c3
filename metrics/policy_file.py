"""The shape of config/access.yaml as strict models: settings, roles, and the grants to users
(by email) and groups (by a claim of the identity token). Checked further by ``metrics.access``
(names) and ``metrics.policy_hazards`` (what reads narrower than it grants)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# The pages a policy can grant, by the name in the page's address ("review" is the home page).
PAGES = (
    "review",
    "pairs",
    "explore",
    "data",
    "portfolio",
    "contact-center",
    "at-risk",
    "sop-wall",
    "account",
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccessSettings(_Strict):
    group_claim: str = Field(
        "groups", description="The identity-token claim holding the user's group names."
    )
    company_wide: list[str] = Field(
        default_factory=list,
        description="Metrics whose company-level total and trend roles with company_wide may see.",
    )


Rows = Literal["all"] | dict[str, list[str]]


class Role(_Strict):
    label: str | None = None
    pages: Literal["all"] | list[str] = "all"
    metrics: Literal["all"] | list[str] = "all"
    hide_metrics: list[str] = Field(default_factory=list)
    rows: Rows = "all"
    company_wide: bool = False
    data_health: bool = Field(False, description="May see the load log and rejected rows.")


class Grant(_Strict):
    name: str | None = None
    roles: list[str] = Field(min_length=1)
    rows: dict[str, list[str]] | None = None


class PolicyFile(_Strict):
    settings: AccessSettings = AccessSettings()
    roles: dict[str, Role]
    users: dict[str, Grant] = Field(default_factory=dict)
    groups: dict[str, Grant] = Field(default_factory=dict)
