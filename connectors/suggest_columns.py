"""What each column of an export holds, for ``sources suggest``: date, timestamp, duration
and number formats, null markers, and the canonical column each header most likely feeds.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import Counter

from connectors.columns import find_header
from connectors.suggest_sniff import SAMPLE, Guess, Suggestion
from metrics.schema import TABLES


def _norm(s: str) -> str:
    s = s.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return re.sub(r"[^0-9a-z]", "", s)


# Vendor names for canonical columns (normalised as by _norm), per table.
_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "orders": {
        "order_id": ("vbeln", "salesorder", "salesdocument", "salesdoc", "orderno", "ordernumber",
                     "auftrag", "auftragsnummer", "beleg", "order"),
        "line_id": ("posnr", "item", "itemno", "lineno", "line", "pos", "position", "lineid"),
        "customer_id": ("kunnr", "soldto", "soldtoparty", "customer", "customerno",
                        "customernumber", "kunde", "kundennummer", "debitor", "accountnumber"),
        "sku": ("matnr", "material", "materialnumber", "article", "artikel", "product",
                "productcode", "itemcode"),
        "site": ("werks", "plant", "werk", "warehouse", "lager"),
        "channel": ("vtweg", "distributionchannel", "distrchannel", "vertriebsweg"),
        "order_date": ("audat", "erdat", "documentdate", "orderdate", "auftragsdatum",
                       "createdon", "belegdatum"),
        "requested_date": ("vdatu", "reqdelivdate", "requesteddeliverydate", "wunschtermin",
                           "wunschlieferdatum", "requestedate"),
        "promised_date": ("edatu", "confdelivdate", "confirmeddate", "confirmeddeliverydate",
                          "bestaetigt", "bestaetigtertermin", "promiseddate"),
        "planned_ship_date": ("wadat", "plannedgidate", "plannedgoodsissue", "plannedshipdate"),
        "qty_ordered": ("kwmeng", "orderqty", "orderquantity", "quantity", "menge", "qty",
                        "auftragsmenge"),
        "unit_price": ("netpr", "netprice", "preis", "price", "unitprice", "nettopreis"),
        "status": ("abgru", "rejectionreason", "reasonforrejection", "absagegrund"),
        "currency": ("waerk", "curr", "waehrung", "documentcurrency", "currencycode"),
    },
    "shipments": {
        "shipment_id": ("vbeln", "delivery", "deliveryno", "deliverynumber", "lieferung",
                        "shipment", "shipmentno"),
        "order_id": ("vgbel", "salesorder", "orderno", "ordernumber", "referencedocument"),
        "line_id": ("vgpos", "orderitem", "referenceitem", "orderline"),
        "carrier": ("tdlnr", "forwardingagent", "spediteur", "carriername"),
        "ship_date": ("wadatist", "actualgidate", "actualgoodsissue", "goodsissuedate",
                      "shipdate", "warenausgang"),
        "delivered_date": ("podat", "poddate", "proofofdelivery", "deliverydate",
                           "delivereddate"),
        "qty_shipped": ("lfimg", "deliveryqty", "deliveryquantity", "qtyshipped", "liefermenge"),
        "qty_damaged": ("damaged", "qtydamaged"),
        "freight_cost": ("freight", "freightcost", "frachtkosten"),
    },
    "calls": {
        "call_id": ("conversationid", "callid", "contactid", "interactionid", "ticketid", "id"),
        "started_at": ("conversationstart", "date", "createdat", "starttime", "started",
                       "start", "calldate"),
        "agent_id": ("users", "userid", "agent", "agentid", "assignee", "assigneeid",
                     "agentname"),
        "queue": ("queue", "queueid", "queuename", "groupid", "group"),
        "customer_id": ("externalorg", "customernumber", "customerid", "accountnumber"),
        "order_id": ("ordernumber", "orderid", "orderno"),
        "wait_sec": ("totalqueue", "tacd", "queuetime", "waittime", "totalwait"),
        "talk_sec": ("totaltalk", "ttalk", "talktime", "talk"),
        "hold_sec": ("totalhold", "theld", "holdtime", "hold"),
        "acw_sec": ("totalacw", "tacw", "acwtime", "acw", "wrapuptime"),
        "abandoned": ("abandoned", "abandon"),
        "resolved": ("resolved", "status"),
        "reason": ("wrapup", "wrapupcode", "contactreason", "reason", "disposition"),
        "sale_amount": ("saleamount", "sales", "revenue"),
    },
    "surveys": {
        "response_id": ("responseid", "response", "id"),
        "responded_at": ("recordeddate", "enddate", "responsedate", "respondedat",
                         "submittedat", "date"),
        "customer_id": ("customerid", "customernumber", "accountnumber"),
        "order_id": ("orderid", "ordernumber"),
        "call_id": ("callid", "conversationid"),
        "touchpoint": ("touchpoint", "channel"),
        "nps": ("nps", "npsscore", "likelihoodtorecommend"),
        "csat": ("csat", "satisfaction"),
        "ces": ("ces", "effort", "customereffort"),
        "comment": ("comment", "comments", "feedback", "verbatim"),
    },
    "customers": {
        "customer_id": ("accountnumber", "customernumber", "kunnr", "kundennummer", "debitor",
                        "customerno", "customer"),
        "name": ("name", "accountname", "name1", "kundenname", "customername"),
        "segment": ("type", "segment", "customertype", "accounttype"),
        "region": ("billingcountry", "region", "country", "land"),
        "portfolio": ("portfolio", "portfolioc"),
        "portfolio_manager": ("accountowner", "portfoliomanager", "portfoliomanagerc", "owner"),
    },
}  # fmt: skip


_DATE_FORMATS = (
    ("%Y-%m-%d", re.compile(r"^\d{4}-\d{2}-\d{2}$")),
    ("%d.%m.%Y", re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$")),
    ("%Y%m%d", re.compile(r"^(19|20)\d{6}$")),
    ("%m/%d/%Y", re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")),
    ("%d/%m/%Y", re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")),
    ("%d.%m.%y", re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2}$")),
)
_ISO_TS = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s?(?P<zone>Z|[+-]\d{2}(:?\d{2})?)?$"
)
_DE_TS = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}(:\d{2})?$")
_DURATION = re.compile(r"^\d{1,3}:\d{2}:\d{2}$")
_NUM_COMMA = re.compile(r"^-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?-?$")
_NUM_POINT = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?-?$")
_NULL_DATE = ("00000000", "00.00.0000", "0000-00-00")
# Choice texts of common satisfaction scales (Qualtrics' 5-point default), as scores.
_CSAT_TEXT = {
    "Extremely dissatisfied": "1",
    "Somewhat dissatisfied": "2",
    "Neither satisfied nor dissatisfied": "3",
    "Somewhat satisfied": "4",
    "Extremely satisfied": "5",
}
_MS_HEADERS = {"tacd", "ttalk", "theld", "tacw", "tabandon", "thandle", "twait", "tivr"}


def column_values(headers: list[str], rows: list[list[str]]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {h: [] for h in headers}
    for r in rows[:SAMPLE]:
        for h, v in zip(headers, r, strict=False):
            if v.strip():
                values[h].append(v.strip())
    return values


def _date_format(vals: list[str]) -> str | None:
    """The one format that reads every value (ISO dates and timestamps count as ISO)."""
    vals = [v for v in vals if v not in _NULL_DATE]
    if not vals:
        return None
    if all(_ISO_TS.match(v) for v in vals):
        return "iso-ts"
    for fmt, rx in _DATE_FORMATS:
        try:
            if all(rx.match(v) and dt.datetime.strptime(v, fmt) for v in vals):
                return fmt
        except ValueError:
            continue
    if all(_DE_TS.match(v) for v in vals):
        return "%d.%m.%Y %H:%M:%S" if all(v.count(":") == 2 for v in vals) else "%d.%m.%Y %H:%M"
    # a column mixing formats (e.g. date cells and dates typed as text): each value in one
    fmts = []
    for v in vals:
        if _ISO_TS.match(v) and v.endswith("00:00:00"):
            v = v[:10]
        hit = next((f for f, rx in _DATE_FORMATS if rx.match(v) and _parses(v, f)), None)
        if hit is None:
            return None
        fmts.append(hit)
    return "|".join(dict.fromkeys(fmts))


def _parses(v: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(v, fmt)
        return True
    except ValueError:
        return False


def guess_numbers(s: Suggestion, values: dict[str, list[str]], kinds: dict[str, str]) -> None:
    comma = point = thousands_dot = thousands_comma = trailing = 0
    for h, vals in values.items():
        if kinds.get(h):  # dates, durations
            continue
        for v in vals:
            if not re.fullmatch(r"-?[\d.,]+-?", v) or not re.search(r"\d", v):
                continue
            if v.endswith("-") and len(v) > 1:
                trailing += 1
            if re.search(r"\d\.\d{3},\d|\d,\d{1,2}-?$|\d,\d{4,}-?$", v):
                comma += 1
            if re.search(r"\d,\d{3}\.\d|\d\.\d{1,2}-?$|\d\.\d{4,}-?$", v):
                point += 1
            if re.search(r"\d\.\d{3}(,|-?$)", v) and _NUM_COMMA.match(v):
                thousands_dot += 1
            if re.search(r"\d,\d{3}(\.|-?$)", v) and _NUM_POINT.match(v):
                thousands_comma += 1
    if comma > point or (comma and s.xlsx):
        s.decimal = ","
        s.thousands = "." if thousands_dot or comma else None
    elif thousands_comma and point:
        s.thousands = ","
    if trailing:
        s.negative = "trailing"


def guess_formats(s: Suggestion, values: dict[str, list[str]]) -> dict[str, str]:
    """Date, timestamp and duration kinds per header; fills date_format, null_values."""
    kinds: dict[str, str] = {}
    seen: Counter[str] = Counter()
    nulls: set[str] = set()
    for h, vals in values.items():
        if not vals:
            continue
        if all(_DURATION.match(v) for v in vals):
            kinds[h] = "duration"
            continue
        fmt = _date_format(vals)
        if fmt is None:
            continue
        kinds[h] = "ts" if fmt == "iso-ts" or "%H" in fmt else "date"
        nulls.update(v for v in vals if v in _NULL_DATE)
        if fmt == "iso-ts":
            if not all(_ISO_TS.match(v).group("zone") for v in vals):  # type: ignore[union-attr]
                kinds[h] = "ts-local"
            if all(v.endswith("00:00:00") for v in vals):
                kinds[h] = "date"
                seen["%Y-%m-%d"] += len(vals)
            continue
        for f in fmt.split("|"):
            seen[f] += 1
    formats = [f for f, _ in seen.most_common()]
    if formats and formats != ["%Y-%m-%d"]:
        s.date_formats = [f for f in formats if f != "%Y-%m-%d"] + (
            ["%Y-%m-%d"] if "%Y-%m-%d" in formats else []
        )
    s.null_values = sorted(nulls)
    return kinds


def header_score(col: str, header: str, table: str, text: str = "") -> tuple[float, str]:
    h = _norm(header)
    if not h:
        return 0.0, ""
    if find_header(col, [header]) or h == _norm(col):
        return 1.0, "same name"
    names = _synonyms(table, col)
    if h in names:  # the earlier a name stands in the list, the likelier
        return 0.95 - 0.001 * names.index(h), "a common name for it"
    t = text.lower()
    if table == "surveys" and t and not h.endswith("npsgroup"):
        if col == "nps" and "recommend" in t:
            return 0.8, "the question asks how likely to recommend"
        if col == "csat" and "satisf" in t:
            return 0.8, "the question asks how satisfied"
        if col == "ces" and ("easy" in t or "effort" in t):
            return 0.8, "the question asks how easy"
        if col == "comment" and re.search(r"\b(why|better|comment|tell us|improve)\b", t):
            return 0.7, "a free-text question"
    close = max(
        (difflib.SequenceMatcher(None, h, _norm(n)).ratio() for n in (col, *names)),
        default=0.0,
    )
    return (close * 0.8, f"similar to {col!r}") if close >= 0.75 else (0.0, "")


def _synonyms(table: str, col: str) -> tuple[str, ...]:
    return _SYNONYMS.get(table, {}).get(col, ())


def assign(s: Suggestion, table: str) -> list[Guess]:
    texts = s.texts
    cands = []
    for col in TABLES[table].column_names + (["currency"] if table == "orders" else []):
        for h in s.headers:
            score, why = header_score(col, h, table, texts.get(h, ""))
            if score:
                cands.append((score, col, h, why))
    cands.sort(key=lambda c: (-c[0], s.headers.index(c[2])))
    guesses: dict[str, Guess] = {}
    used: set[str] = set()
    for score, col, h, why in cands:
        if col in guesses or h in used:
            continue
        guesses[col] = Guess(col, h, score >= 0.9, why)
        used.add(h)
    order = TABLES[table].column_names + ["currency"]
    return sorted(guesses.values(), key=lambda g: order.index(g.column))


def refine(s: Suggestion, values: dict[str, list[str]], kinds: dict[str, str]) -> None:
    """Per-column options: strip_zeros, durations, units, value maps, patterns, expr."""
    ids = {"order_id", "line_id", "customer_id", "sku", "shipment_id", "carrier"}
    by_norm = {_norm(h): h for h in s.headers}
    for g in s.guesses:
        vals = values.get(g.header, [])
        hn = _norm(g.header)
        if g.column in ids and any(re.fullmatch(r"0+\d+", v) for v in vals):
            g.options["strip_zeros"] = True
        if g.column.endswith("_sec"):
            if kinds.get(g.header) == "duration":
                g.options["duration"] = "hh:mm:ss"
            elif hn in _MS_HEADERS or re.search(r"\bms\b|millis", g.header.lower()):
                g.options["unit"] = "ms"
                g.note = g.note or "milliseconds, as the t* metrics of Genesys are"
            elif vals:
                g.note = g.note or "seconds? else add unit: ms, min or h"
        if g.column == "unit_price" and "kpein" in by_norm:
            g.expr = f"num({g.header}) / nullif(num({by_norm['kpein']}), 0)"
            g.note = "the price is per KPEIN units (1, 100, 1000)"
        if g.column == "status" and hn == "abgru":
            g.options["map"] = {"": "open", "*": "cancelled"}
            g.note = "any reason for rejection cancels the line"
        if g.column == "resolved" and hn == "status":
            g.options["map"] = {"solved": "true", "closed": "true", "*": "false"}
            g.certain = False
            g.note = "which statuses mean resolved?"
        if g.column in ("nps", "csat", "ces") and any(re.match(r"^\d+ - ", v) for v in vals):
            g.options["pattern"] = "^(\\d+)"
        if g.column == "csat" and vals and not any(re.fullmatch(r"\d+", v) for v in vals):
            if set(vals) <= set(_CSAT_TEXT):
                g.options["map"] = dict(_CSAT_TEXT)
                g.note = "the scale's choice texts as scores"
            else:
                g.note = 'choice text: add map: {"Extremely satisfied": "5", ...}'
            g.certain = False
        if g.column == "abandoned" and hn == "tabandon":
            g.expr = f"CASE WHEN coalesce({g.header}, '') = '' THEN 'false' ELSE 'true' END"
            g.note = "abandoned when the session has a tAbandon metric"
    got = {g.column: g for g in s.guesses}
    if s.table in ("calls", "surveys"):  # order numbers typed into a subject line
        for h in s.headers:
            if _norm(h) in ("subject", "title") and any(
                re.search(r"\d{5,}", v) for v in values.get(h, [])
            ):
                g = got.get("order_id") or Guess("order_id", h, False, "order numbers in the text")
                g.options = {
                    "from": [g.header, h] if g.header != h else h,
                    "pattern": "(\\d{5,})",
                    "strip_zeros": True,
                }
                where = f"{g.header}, else {h}" if g.header != h else h
                g.note = f"the first number of 5+ digits in {where}"
                if "order_id" not in got:
                    s.guesses.append(g)
                break
    order = [*TABLES[s.table].column_names, "currency"]
    s.guesses.sort(key=lambda g: order.index(g.column))
    if s.table == "surveys" and "Status" in s.headers:
        if any(v in ("Survey Preview", "Survey Test", "Spam") for v in values.get("Status", [])):
            s.where = "Status NOT IN ('Survey Preview', 'Survey Test', 'Spam')"
