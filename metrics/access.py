"""Who sees what: the access policy (config/access.yaml) and the viewer it makes of a user.

A role names the pages it sees, the metrics it sees and a row scope (dimension -> values). A user
(by email) or a group (a claim of the identity token) is granted roles, and may narrow the rows
further. ``Viewer.scoped(catalog, q)`` is the one place a scope meets a query: it refuses metrics
the viewer may not see and puts the row scope on the ``Query``, where the filter builder ANDs it
with every other filter as bound parameters, so no filter (a hand-edited URL) can widen it.

The company rallies around its North Star: ``settings.company_wide`` lists metrics whose
company-level total and trend (no split, no filter) a role with ``company_wide: true`` may see
unscoped when a page asks for it explicitly (``scoped(..., company=True)``); everything else,
those metrics included, is scoped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pydantic

from metrics import home
from metrics.catalog import Catalog
from metrics.errors import ConfigError, MetricsError
from metrics.located_yaml import KeyPath, LocatedYaml, did_you_mean, read_located
from metrics.policy_file import EMAIL, PAGES, Grant, PolicyFile, Rows
from metrics.policy_hazards import check_hazards
from metrics.pydantic_messages import describe_error
from metrics.sqlgen import Query

Scope = tuple[tuple[str, tuple[str, ...]], ...]


class AccessError(MetricsError):
    """A viewer asked for something outside what the policy grants."""


@dataclass(frozen=True)
class Viewer:
    """What one person (or a kiosk link) may see. ``None`` for pages/metrics means all."""

    email: str
    name: str
    roles: tuple[str, ...] = ()
    pages: frozenset[str] | None = None
    metrics: frozenset[str] | None = None
    hidden: frozenset[str] = frozenset()
    scope: Scope = ()
    company_wide: frozenset[str] = frozenset()
    data_health: bool = True
    signed_in: bool = True

    def sees_page(self, page: str) -> bool:
        return self.pages is None or page in self.pages

    def sees_metric(self, catalog: Catalog, name: str) -> bool:
        """Granted, not hidden, and split by every dimension the row scope restricts (a metric
        whose rows cannot be scoped is not shown rather than shown whole)."""
        if name in self.hidden or (self.metrics is not None and name not in self.metrics):
            return False
        offered = catalog.dimensions_of(name)
        return all(dim in offered for dim, _ in self.scope)

    def visible_metrics(self, catalog: Catalog) -> list[str]:
        return [m for m in catalog.metrics if self.sees_metric(catalog, m)]

    def scoped(self, catalog: Catalog, q: Query, *, company: bool = False) -> Query:
        """``q`` as this viewer may ask it, with their row scope; refused if it names a metric they
        may not see. ``company=True`` asks for a company-wide metric's company-level total or
        trend (no split, no filter), unscoped, which roles with ``company_wide`` may see."""
        if company:
            outside = [m for m in q.metrics if m not in self.company_wide]
            if outside or q.by or q.where:
                raise AccessError(
                    f"{self.who} may see only the company-level total and trend of"
                    f" {', '.join(sorted(self.company_wide)) or 'no metric'}, without splits or filters"
                )
            return q.replace(scope=())
        for name in q.metrics:
            if not self.sees_metric(catalog, name):
                raise AccessError(f"{self.who} may not see the metric '{name}'")
        return q.replace(scope=self.scope)

    def customer_scope(self) -> Scope:
        """The row scope as filters on customers; refused when it restricts anything else."""
        from metrics.query import CUSTOMER_DIMS

        other = [d for d, _ in self.scope if d not in CUSTOMER_DIMS]
        if other:
            raise AccessError(
                f"{self.who} sees rows by {', '.join(other)}, which customers do not have"
            )
        return self.scope

    @property
    def who(self) -> str:
        return self.email or self.name

    def describe(self) -> list[tuple[str, str]]:
        """What this viewer may see, in words (for ``northstar access`` and the pages)."""
        rows = "; ".join(f"{d} = {', '.join(v)}" for d, v in self.scope) or "all rows"
        return [
            ("user", f"{self.name} <{self.email}>" if self.email else self.name),
            ("roles", ", ".join(self.roles) or "-"),
            ("pages", "all" if self.pages is None else ", ".join(sorted(self.pages)) or "none"),
            ("metrics", _metrics_text(self)),
            ("rows", rows),
            ("company-wide", ", ".join(sorted(self.company_wide)) or "none"),
            ("load log and rejects", "yes" if self.data_health else "no"),
        ]


def _metrics_text(v: Viewer) -> str:
    text = "all" if v.metrics is None else ", ".join(sorted(v.metrics))
    return text + (f" except {', '.join(sorted(v.hidden))}" if v.hidden else "")


def kiosk_viewer(label: str, scope: Scope) -> Viewer:
    """What a kiosk link opens: the wall screen only, read-only, with the link's row scope."""
    return Viewer(
        email="",
        name=f"wall screen '{label}'",
        roles=("kiosk",),
        pages=frozenset({"sop-wall"}),
        scope=scope,
        data_health=False,
    )


# Everyone, when no sign-in is configured: the app runs open and says so.
OPEN = Viewer(email="", name="everyone (access control is off)", signed_in=False)


@dataclass(frozen=True)
class Policy:
    spec: PolicyFile
    source: str
    by_email: dict[str, Grant] = field(default_factory=dict)

    def viewer(self, email: str, groups: tuple[str, ...] = ()) -> Viewer | None:
        """The viewer a signed-in user is, or None when the policy grants them nothing."""
        email = (email or "").strip().lower()
        grants = [g for g in (self.by_email.get(email),) if g]
        grants += [self.spec.groups[g] for g in groups if g in self.spec.groups]
        if not grants:
            return None
        return combine(self.spec, email, grants)


def combine(spec: PolicyFile, email: str, grants: list[Grant]) -> Viewer:
    """One viewer from every grant: pages and metrics add up; rows too, but only when each grant
    restricts the same single dimension (anything else could widen a scope, and is refused)."""
    roles = [r for g in grants for r in g.roles]
    specs = [spec.roles[r] for r in roles]
    pages = (
        None
        if any(r.pages == "all" for r in specs)
        else frozenset(p for r in specs for p in r.pages)
    )
    metrics = (
        None
        if any(r.metrics == "all" for r in specs)
        else frozenset(m for r in specs for m in r.metrics)
    )
    hidden = frozenset.intersection(*(frozenset(r.hide_metrics) for r in specs))
    scopes = [_grant_rows(spec, g) for g in grants]
    name = next((g.name for g in grants if g.name), None) or email
    return Viewer(
        email=email,
        name=name,
        roles=tuple(dict.fromkeys(roles)),
        pages=pages,
        metrics=metrics,
        hidden=hidden,
        scope=_union(email, scopes),
        company_wide=(
            frozenset(spec.settings.company_wide)
            if any(r.company_wide for r in specs)
            else frozenset()
        ),
        data_health=any(r.data_health for r in specs) and not any(scopes),
    )


def _grant_rows(spec: PolicyFile, grant: Grant) -> dict[str, tuple[str, ...]]:
    """A grant's row scope: each role's rows, narrowed by the grant's own (intersections)."""
    rows: dict[str, set[str]] = {}
    for part in [*(spec.roles[r].rows for r in grant.roles), grant.rows or {}]:
        if part == "all":
            continue
        for dim, values in part.items():
            rows[dim] = rows[dim] & set(values) if dim in rows else set(values)
    return {d: tuple(sorted(v)) for d, v in rows.items()}


def _union(email: str, scopes: list[dict[str, tuple[str, ...]]]) -> Scope:
    if any(not s for s in scopes):
        return ()
    dims = {tuple(s) for s in scopes}
    if len(dims) > 1 or len(next(iter(dims))) > 1:
        raise AccessError(
            f"{email} holds grants whose row scopes cannot be combined safely ({_list(scopes)});"
            " give them one role with one scope"
        )
    dim = next(iter(dims))[0]
    return ((dim, tuple(sorted({v for s in scopes for v in s[dim]}))),)


def _list(scopes) -> str:
    return " | ".join("; ".join(f"{d}={','.join(v)}" for d, v in s.items()) for s in scopes)


def policy_path(config: Path | None = None) -> Path:
    """``$NORTHSTAR_ACCESS``, else access.yaml beside metrics.yaml (``config``, else the
    project's config/metrics.yaml)."""
    env = os.environ.get("NORTHSTAR_ACCESS")
    return Path(env) if env else Path(config or home.metrics_config()).with_name("access.yaml")


def viewer_as(path: Path, catalog: Catalog, email: str) -> Viewer:
    """The viewer ``email`` is under the policy at ``path`` (for ``--as``); a user the policy
    does not know is an error."""
    if not path.exists():
        raise MetricsError(
            f"--as needs an access policy, and there is none at {path}"
            " (create config/access.yaml, or set NORTHSTAR_ACCESS)"
        )
    policy = load_policy(path, catalog)
    found = policy.viewer(email)
    if found is None:
        known = sorted(policy.by_email)
        raise AccessError(
            f"the access policy {path} does not know '{email}'"
            f"{did_you_mean(email.lower(), known)}; it names: {', '.join(known) or 'nobody'}"
        )
    return found


def load_policy(path: Path | str, catalog: Catalog | None = None) -> Policy:
    return parse_policy(read_located(Path(path)), catalog)


def parse_policy(doc: LocatedYaml, catalog: Catalog | None = None) -> Policy:
    """The validated policy; every problem at once with its file and line (ConfigError).
    With ``catalog``, metric and dimension names are checked against it too."""
    problems: list[str] = []
    if not isinstance(doc.data, dict):
        raise ConfigError([f"{doc.source}: expected a mapping with settings, roles, users, groups"])
    try:
        spec = PolicyFile.model_validate(doc.data)
    except pydantic.ValidationError as err:
        raise ConfigError([describe_error(e, doc, PolicyFile) for e in err.errors()]) from None
    _check_names(spec, doc, catalog, problems)
    check_hazards(spec, doc, catalog, problems)
    if problems:
        raise ConfigError(problems)
    return Policy(spec, doc.source, {e.lower(): g for e, g in spec.users.items()})


def _check_names(spec: PolicyFile, doc: LocatedYaml, catalog: Catalog | None, problems: list[str]):
    def bad(at: KeyPath, what: str, name: str, options) -> None:
        problems.append(
            f"{doc.where(at)}: unknown {what} '{name}'{did_you_mean(name, options)}"
            f" (known: {', '.join(options)})"
        )

    metrics = list(catalog.metrics) if catalog else None
    dims = (
        sorted({d for m in catalog.metrics for d in catalog.dimensions_of(m)}) if catalog else None
    )
    for name, role in spec.roles.items():
        at = ("roles", name)
        for i, page in enumerate([] if role.pages == "all" else role.pages):
            if page not in PAGES:
                bad(at + ("pages", i), "page", page, PAGES)
        for key in ("metrics", "hide_metrics"):
            listed = getattr(role, key)
            for i, m in enumerate([] if listed == "all" else listed):
                if metrics is not None and m not in metrics:
                    bad(at + (key, i), "metric", m, metrics)
        _check_rows(at, role.rows, dims, bad)
    for section in ("users", "groups"):
        for key, grant in getattr(spec, section).items():
            at = (section, key)
            if section == "users" and not EMAIL.match(key):
                problems.append(f"{doc.where(at)}: '{key}' is not an email address")
            for i, r in enumerate(grant.roles):
                if r not in spec.roles:
                    bad(at + ("roles", i), "role", r, list(spec.roles))
            _check_rows(at, grant.rows or "all", dims, bad)
            if not problems:
                try:
                    combine(spec, key, [grant])
                except AccessError as exc:
                    problems.append(f"{doc.where(at)}: {exc}")
    for i, m in enumerate(spec.settings.company_wide):
        if metrics is not None and m not in metrics:
            bad(("settings", "company_wide", i), "metric", m, metrics)


def _check_rows(at: KeyPath, rows: Rows, dims: list[str] | None, bad) -> None:
    if rows == "all" or dims is None:
        return
    for dim in rows:
        if dim not in dims:
            bad(at + ("rows", dim), "dimension", dim, dims)
