"""The story's figures, recomputed with plain DuckDB SQL over a canonical generation.

Independent of the metric engine on purpose: it checks that the generated data
exhibits the story (tests, sample_data/README.md). Expects a `--layout canonical`
folder generated with `--bad-share 0`.
"""

from __future__ import annotations

from pathlib import Path

from generator.story import EFFECTS as E
from store.warehouse import in_memory

_VIEWS = """
create view o as select order_id, line_id, customer_id, site,
  requested_date::date as due, promised_date::date as promised, planned_ship_date::date as planned,
  qty_ordered::double as qty, lower(coalesce(status, 'open')) as status
  from read_csv('{d}/orders.csv', all_varchar = true, delim = ',', header = true);
create view s as select order_id, line_id, carrier, ship_date::date as ship_date,
  delivered_date::date as delivered, qty_shipped::double as qty
  from read_csv('{d}/shipments.csv', all_varchar = true, delim = ',', header = true);
create view c as select call_id, customer_id, order_id, queue, reason,
  started_at::timestamp as started_at, coalesce(abandoned::boolean, false) as abandoned,
  coalesce(resolved::boolean, false) as resolved,
  coalesce(talk_sec::double, 0) + coalesce(hold_sec::double, 0)
    + coalesce(acw_sec::double, 0) as ht
  from read_csv('{d}/calls.csv', all_varchar = true, delim = ',', header = true);
create view r as select order_id, call_id, touchpoint, responded_at::timestamp as responded_at,
  csat::int as csat, nps::int as nps from read_csv('{d}/surveys.csv', all_varchar = true, delim = ',', header = true);
create view cu as select customer_id, region
  from read_csv('{d}/customers.csv', all_varchar = true, delim = ',', header = true);
"""

_TABLES = """
create table as_of_date as select greatest(
  (select max(greatest(ship_date, coalesce(delivered, ship_date))) from s),
  (select max(started_at)::date from c), (select max(responded_at)::date from r)) as d;
create table l as select o.order_id, o.line_id, o.site, o.due, o.promised, o.qty, cu.region,
  coalesce(sum(s.qty) filter (where s.ship_date <= a.d), 0) as shipped,
  coalesce(sum(s.qty) filter (where s.delivered <= least(o.due, a.d)), 0) as by_due,
  arg_max(s.carrier, s.ship_date) as carrier, o.due <= a.d as measured
  from o cross join as_of_date a left join s using (order_id, line_id) join cu using (customer_id)
  where o.status <> 'cancelled' and o.qty > 0 group by all;
create table ord as select order_id, max(due) as due, bool_and(by_due >= qty) as otif,
  bool_and(measured) as measured from l group by order_id;
create table h as select *, started_at::date <= (select d from as_of_date) - 7 as measured,
  lead(started_at) over (partition by customer_id order by started_at)
    <= started_at + interval 7 day as repeat,
  started_at >= date '{pushed}' as after
  from c where customer_id is not null;
"""

_LINE_OTIF = "select avg((by_due >= qty)::int) from l where measured and "
_LANE = "carrier = '{carrier}' and region = '{region}'"
_AHT = "select avg(ht) from c where not abandoned and "
_REPEAT = "select avg(coalesce(repeat, false)::int) from h where measured and not abandoned and "
_CALL_CSAT = (
    "select avg((csat >= 4)::int) from r join c using (call_id) where csat is not null and "
)
_ORDER_CSAT = (
    "select avg((csat >= 4)::int) from r join ord using (order_id) where csat is not null and "
)
_ORDER_NPS = (
    "select 100 * (avg((nps >= 9)::int) - avg((nps <= 6)::int)) from r "
    "join ord using (order_id) where nps is not null and "
)
_GAPS = (
    "select count(*) from (select lead(started_at) over (partition by customer_id "
    "order by started_at) - started_at as gap from h) where "
)

_FIGURES = {
    "as_of": "select d::varchar from as_of_date",
    "fill_rate": "select sum(least(shipped, qty)) / sum(qty) from l where measured",
    "otif": "select avg(otif::int) from ord where measured",
    "otif_line": _LINE_OTIF + "true",
    "on_time_shipment": "select avg((ship_date <= planned)::int) from s "
    "join o using (order_id, line_id) where planned is not null",
    "promise_kept": "select avg((promised is null or promised <= due)::int) from l where measured",
    "aht_first_month": _AHT + "started_at < date '2025-12-01'",
    "aht_last_month": _AHT + "started_at >= date '2026-10-01' and started_at < date '2026-11-01'",
    "fcr": "select 1 - avg(coalesce(repeat, false)::int) from h where measured and not abandoned",
    "fcr_agent": "select avg(resolved::int) from c where not abandoned",
    "late_lane_otif_before": _LINE_OTIF + _LANE + " and due < date '{late}'",
    "late_lane_otif_after": _LINE_OTIF + _LANE + " and due >= date '{late}' + 7",
    "other_lanes_otif_after": _LINE_OTIF + f"not ({_LANE})" + " and due >= date '{late}' + 7",
    "split_site_otif_before": _LINE_OTIF + "site = '{site}' and due < date '{split}'",
    "split_site_otif_after": _LINE_OTIF + "site = '{site}' and due >= date '{split}' + 14",
    "split_site_rows_per_line": "select count(*) / count(distinct (order_id, line_id)) from s "
    "join o using (order_id, line_id) "
    "where site = '{site}' and ship_date >= date '{split}'",
    "promised_late_share": "select avg((promised > due)::int) from l where measured",
    "pushed_aht_before": _AHT + "queue = '{queue}' and started_at < date '{pushed}'",
    "pushed_aht_after": _AHT + "queue = '{queue}' and started_at >= date '{pushed}'",
    "pushed_repeat_before": _REPEAT + "queue = '{queue}' and not after",
    "pushed_repeat_after": _REPEAT + "queue = '{queue}' and after",
    "other_repeat_after": _REPEAT + "queue <> '{queue}' and after",
    "pushed_resolved_after": "select avg(resolved::int) from c where not abandoned "
    "and queue = '{queue}' and started_at >= date '{pushed}'",
    "pushed_csat_before": _CALL_CSAT + "queue = '{queue}' and started_at < date '{pushed}'",
    "pushed_csat_after": _CALL_CSAT + "queue = '{queue}' and started_at >= date '{pushed}'",
    "csat": "select avg((csat >= 4)::int) from r where csat is not null",
    "nps": "select 100 * (avg((nps >= 9)::int) - avg((nps <= 6)::int)) from r where nps is not null",
    "csat_otif_orders": _ORDER_CSAT + "otif",
    "csat_failed_orders": _ORDER_CSAT + "not otif",
    "nps_otif_orders": _ORDER_NPS + "otif",
    "nps_failed_orders": _ORDER_NPS + "not otif",
    "wismo_on_failed_orders": "select avg((not otif)::int) from c join ord using (order_id) "
    "where reason = 'where_is_my_order'",
    "repeat_gaps_6_5_to_7_days": _GAPS + "gap >= interval 156 hour and gap < interval 168 hour",
    "repeat_gaps_7_to_7_5_days": _GAPS + "gap >= interval 168 hour and gap < interval 180 hour",
}


def story_figures(folder: Path) -> dict[str, float | str]:
    """Every figure of the story, by name, from a canonical bad-share-0 generation."""
    con = in_memory()
    try:
        params = {"d": Path(folder).as_posix(), "pushed": E.pushed_since.isoformat()}
        con.execute(_VIEWS.format(**params))
        con.execute(_TABLES.format(**params))
        subs = {
            "carrier": E.late_carrier,
            "region": E.late_region,
            "late": E.late_since,
            "site": E.split_site,
            "split": E.split_since,
            "queue": E.pushed_queue,
            **params,
        }
        return {k: con.execute(q.format(**subs)).fetchall()[0][0] for k, q in _FIGURES.items()}
    finally:
        con.close()
