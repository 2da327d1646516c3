"""Policies that read narrower than they grant, refused by ``northstar check`` with file:line:
``rows: {}`` (every row), one address twice in different case (one grant would silently win), a
visible derived metric made of metrics the role does not see (it reveals them)."""

from __future__ import annotations

from metrics.catalog import Catalog
from metrics.located_yaml import KeyPath, LocatedYaml
from metrics.policy_file import PolicyFile, Role
from metrics.spec import DerivedMetric
from metrics.sql_parse import formula_refs


def check_hazards(
    spec: PolicyFile, doc: LocatedYaml, catalog: Catalog | None, problems: list[str]
) -> None:
    """What reads narrower than it grants: ``rows: {}`` (every row), one address given twice
    in different case (one grant would silently win), a visible derived metric made of metrics
    the role does not see (it reveals them)."""
    rows = [(("roles", n), r.rows) for n, r in spec.roles.items()]
    rows += [
        ((sec, k), g.rows) for sec in ("users", "groups") for k, g in getattr(spec, sec).items()
    ]
    for at, given in rows:
        if given == {}:
            problems.append(
                f"{doc.where(at + ('rows',))}: rows: {{}} names no dimension, so it grants every"
                " row; write rows: all if every row is meant, or name them, e.g."
                " rows: {portfolio: [Key Accounts]}"
            )
    seen: dict[str, str] = {}
    for key in spec.users:
        first = seen.setdefault(key.lower(), key)
        if first != key:
            problems.append(
                f"{doc.where(('users', key))}: '{key}' is '{first}' (line"
                f" {doc.line_of(('users', first))}) in other case; addresses match whatever"
                " their case, so one entry would silently override the other: keep one"
            )
    for name, role in spec.roles.items() if catalog else ():
        _check_derived(("roles", name), role, catalog, doc, problems)


def _check_derived(
    at: KeyPath, role: Role, catalog: Catalog, doc: LocatedYaml, problems: list[str]
) -> None:
    granted = catalog.metrics if role.metrics == "all" else role.metrics
    visible = [m for m in catalog.metrics if m in granted and m not in role.hide_metrics]
    for name in visible:
        for part in sorted(_parts(catalog, name) - set(visible)):
            shown = f"'{name}' ({catalog.metric(name).formula})"
            if part in role.hide_metrics:
                where = doc.where(at + ("hide_metrics", role.hide_metrics.index(part)))
                problems.append(
                    f"{where}: '{part}' is hidden, but {shown} stays visible and reveals it;"
                    f" hide '{name}' too"
                )
            else:
                where = doc.where(at + ("metrics", role.metrics.index(name)))
                problems.append(
                    f"{where}: {shown} reveals '{part}', which this role does not see;"
                    f" add '{part}' or remove '{name}'"
                )


def _parts(catalog: Catalog, name: str) -> set[str]:
    """Every metric a derived metric is computed from, through derived ones (none for others)."""
    metric = catalog.metric(name)
    if not isinstance(metric, DerivedMetric):
        return set()
    refs = formula_refs(metric.formula)
    return set(refs).union(*(_parts(catalog, r) for r in refs))
