"""When a load must fail for its rejected rows: any one under ``--strict``, else a file rejecting
more than its ``max_reject_share`` (default 5%) of the rows its ``where:`` kept, not counting
the rows ``duplicates: keep_first|keep_last`` set aside on purpose."""

from __future__ import annotations

from connectors.plan import Planned
from connectors.sources import DEFAULT_MAX_REJECT_SHARE
from connectors.upsert import FileReport


def limit_failure(
    planned: list[Planned],
    reports: list[FileReport],
    *,
    strict: bool,
    limit: float | None = None,
) -> str | None:
    """Why the load must fail: a rejected row under ``strict``, else a file rejecting more than
    ``limit`` (default: its mapping's ``max_reject_share``) of its rows; None when it may go on."""
    if strict:
        return _strict_message(reports) if sum(r.rows_rejected for r in reports) else None
    over = []
    for item, report in zip(planned, reports):
        share = limit if limit is not None else getattr(item.mapping, "max_reject_share", None)
        share = DEFAULT_MAX_REJECT_SHARE if share is None else share
        if reject_share(report) > share:
            over.append((report, share))
    return _message(over) if over else None


def reject_share(r: FileReport) -> float:
    """The share of a file's rows rejected for breaking a rule: of the rows its where: kept,
    not counting those ``duplicates: keep_first|keep_last`` set aside as superseded."""
    kept = r.rows_read - r.rows_filtered
    return r.refused / kept if kept > 0 else 0.0


def _message(over: list[tuple[FileReport, float]]) -> str:
    lines = []
    for r, limit in over:
        rules = ", ".join(f"{k}: {n:,}" for k, n in r.top_rules if k != "superseded")
        kept = r.rows_read - r.rows_filtered
        lines.append(
            f"{r.file}: {r.refused:,} of {kept:,} rows rejected "
            f"({reject_share(r):.1%}), more than max_reject_share {limit:g} "
            f"({limit:.1%}); top reasons: {rules}"
        )
    lines.append(
        "nothing was loaded: fix the file or its mapping, or set max_reject_share for the "
        "table in sources.yaml ('northstar load --dry-run PATH...' lists the rejected rows)"
    )
    return "\n".join(lines)


def _strict_message(reports: list[FileReport]) -> str:
    lines = [
        f"--strict: {sum(r.rows_rejected for r in reports)} row(s) rejected; nothing was loaded"
    ]
    for r in reports:
        if r.rows_rejected:
            rules = ", ".join(f"{k}: {n}" for k, n in r.top_rules)
            lines.append(f"  {r.file}: {r.rows_rejected} rejected ({rules})")
    lines.append("  see the reasons with a load without --strict, then 'northstar rejects'")
    return "\n".join(lines)


# --------------------------------------------------------------------------- dry run
