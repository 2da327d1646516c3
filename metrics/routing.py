"""Who receives an alert: the access policy and the metric owners decide, never an extract.

A ``portfolio_manager`` or ``site`` route goes to the users of the access policy whose own row
scope names that portfolio or site (a user who sees every row is nobody's manager); when no user
does, or there is no policy, to the metric's owner (metrics.yaml) at the address
``metrics.directory.email_for`` gives with alerts.yaml ``recipients:``. Under a policy every
recipient is a user it knows: other addresses are dropped, and an alert left with nobody still
fires and is recorded, with its owner, but is sent to no one. The records attached to an e-mail
are narrowed to the rows every recipient may see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from metrics.access import AccessError, Policy, Viewer
from metrics.catalog import Catalog
from metrics.directory import email_for
from metrics.sqlgen import Query

# The dimension whose value names the accountable person of each route.
ROUTE_DIMENSION = {"portfolio_manager": "portfolio", "site": "site"}


@dataclass(frozen=True)
class Route:
    owner: str  # the accountable name(s), joined
    recipients: tuple[str, ...]


class Router:
    """Routes and records of one alert run under ``policy`` (None: there is none), with
    alerts.yaml ``recipients:`` for the owners' addresses."""

    def __init__(
        self, policy: Policy | None, recipients: Mapping[str, str | list[str]] | None = None
    ) -> None:
        self.policy, self.recipients = policy, recipients or {}
        self.viewers: dict[str, Viewer] = {}
        for email in sorted(policy.by_email) if policy else ():
            try:
                self.viewers[email] = policy.viewer(email)
            except AccessError:  # grants that cannot be combined: nobody's recipient
                continue

    def route(self, route: str, value: object, *, owner: str) -> Route:
        """Who answers for an alert on ``route`` (owner, portfolio_manager, site) about
        ``value`` (the portfolio or site), and their addresses; ``owner``: the metric's owner."""
        dim = ROUTE_DIMENSION.get(route)
        managers = self.managers_of(dim, str(value)) if dim and value is not None else []
        if managers:
            names = ", ".join(dict.fromkeys(v.name for v in managers))
            return Route(names, tuple(v.email for v in managers))
        addresses = email_for(owner, self.recipients)
        if self.policy is not None:
            addresses = tuple(a for a in addresses if a.strip().lower() in self.viewers)
        return Route(owner, addresses)

    def managers_of(self, dim: str, value: str) -> list[Viewer]:
        """The users whose own row scope on ``dim`` names ``value`` (by address)."""
        return [v for v in self.viewers.values() if value in dict(v.scope).get(dim, ())]

    def records(self, catalog: Catalog, recipients: tuple[str, ...], q: Query) -> Query | None:
        """``q`` narrowed to the rows every recipient may see (their row scopes ANDed), or None
        (no attachment) when one may not see its metric. Without a policy, ``q`` as it is."""
        if self.policy is None:
            return q
        scope = q.scope
        for email in recipients:
            viewer = self.viewers.get(email.strip().lower())
            if viewer is None:
                return None
            try:
                scope += viewer.scoped(catalog, q).scope
            except AccessError:
                return None
        return q.replace(scope=tuple(dict.fromkeys(scope)))
