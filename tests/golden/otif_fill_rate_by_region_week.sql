-- params: {"as_of": "2026-03-15", "date_from": "2026-01-01", "due_basis": "requested", "late_tolerance_days": 0, "reporting_currency": "EUR", "w0_0": "retail", "w0_1": "key account"}
WITH lines AS (
WITH line_fx AS (  -- each rate with the day the next rate of its currency starts
  SELECT currency, valid_from, rate,
         lead(valid_from) OVER (PARTITION BY currency ORDER BY valid_from) AS valid_until
  FROM fx_rates
),
line_price_fx AS (  -- the rate of each currency-day of the orders (see Money, top of file)
  SELECT d.currency, d.order_date, line_fx.rate
  FROM (SELECT DISTINCT currency, order_date FROM orders
        WHERE currency <> $reporting_currency) d
  JOIN line_fx ON line_fx.currency = d.currency AND line_fx.valid_from <= d.order_date
         AND (line_fx.valid_until IS NULL OR d.order_date < line_fx.valid_until)
),
line_freight_fx AS (
  SELECT d.currency, d.ship_date, line_fx.rate
  FROM (SELECT DISTINCT currency, ship_date FROM shipments
        WHERE currency <> $reporting_currency) d
  JOIN line_fx ON line_fx.currency = d.currency AND line_fx.valid_from <= d.ship_date
         AND (line_fx.valid_until IS NULL OR d.ship_date < line_fx.valid_until)
),
due AS (
  SELECT o.*,
         CASE WHEN coalesce(o.currency, $reporting_currency) = $reporting_currency
              THEN o.unit_price ELSE o.unit_price * r.rate END AS reporting_unit_price,
         CASE WHEN $due_basis = 'promised' THEN coalesce(o.promised_date, o.requested_date)
              ELSE o.requested_date END AS due_date
  FROM orders o
  LEFT JOIN line_price_fx r ON r.currency = o.currency AND r.order_date = o.order_date
  WHERE coalesce(o.status, 'open') <> 'cancelled' AND o.qty_ordered > 0
),
measured AS (SELECT * FROM due WHERE due_date <= $as_of),
ship AS (
  SELECT s.order_id, s.line_id,
         sum(s.qty_shipped) AS qty_shipped,
         sum(s.qty_shipped) FILTER (WHERE s.delivered_date <= $as_of) AS qty_delivered,
         sum(s.qty_shipped) FILTER (WHERE s.delivered_date <= $as_of
             AND s.delivered_date <= m.due_date + $late_tolerance_days::INTEGER) AS qty_delivered_by_due,
         sum(s.qty_shipped) FILTER (WHERE s.ship_date <= m.planned_ship_date) AS qty_shipped_by_plan,
         sum(coalesce(s.qty_damaged, 0)) FILTER (WHERE s.delivered_date <= $as_of) AS qty_damaged,
         sum(coalesce(CASE WHEN coalesce(s.currency, $reporting_currency) = $reporting_currency
                           THEN s.freight_cost ELSE s.freight_cost * r.rate END, 0)) AS freight_cost,
         max(s.delivered_date) FILTER (WHERE s.delivered_date <= $as_of) AS last_delivered_date,
         -- the carrier of the latest shipment (ship date, then shipment id; dates are 10 characters)
         arg_max(s.carrier, CAST(s.ship_date AS VARCHAR) || s.shipment_id) AS carrier
  FROM shipments s
  JOIN measured m USING (order_id, line_id)
  LEFT JOIN line_freight_fx r ON r.currency = s.currency AND r.ship_date = s.ship_date
  WHERE s.ship_date <= $as_of
  GROUP BY s.order_id, s.line_id
),
facts AS (
  SELECT m.*,
         coalesce(sh.qty_shipped, 0) AS qty_shipped,
         coalesce(sh.qty_delivered, 0) AS qty_delivered,
         coalesce(sh.qty_delivered_by_due, 0) AS qty_delivered_by_due,
         coalesce(sh.qty_shipped_by_plan, 0) AS qty_shipped_by_plan,
         coalesce(sh.qty_damaged, 0) AS qty_damaged,
         coalesce(sh.freight_cost, 0) AS freight_cost,
         sh.last_delivered_date,
         sh.carrier
  FROM measured m LEFT JOIN ship sh USING (order_id, line_id)
)
SELECT f.order_id, f.line_id, f.customer_id, f.sku, f.site, f.channel,
       f.order_date, f.requested_date, f.promised_date, f.planned_ship_date, f.due_date,
       f.qty_ordered, coalesce(f.reporting_unit_price, 0) AS unit_price,
       f.qty_shipped, f.qty_delivered, f.qty_delivered_by_due, f.qty_damaged,
       f.freight_cost, f.last_delivered_date, f.carrier,
       f.last_delivered_date IS NOT NULL
         AND f.last_delivered_date <= f.due_date + $late_tolerance_days::INTEGER AS on_time,
       f.qty_delivered >= f.qty_ordered AS in_full,
       f.qty_delivered_by_due >= f.qty_ordered AS otif,
       f.promised_date IS NULL OR f.promised_date <= f.requested_date AS promise_kept,
       CASE
         WHEN f.qty_delivered_by_due >= f.qty_ordered THEN NULL
         WHEN f.qty_shipped = 0 THEN 'not_shipped'
         WHEN f.qty_shipped < f.qty_ordered THEN 'short_shipped'
         WHEN f.promised_date > f.requested_date THEN 'promised_late'
         WHEN f.planned_ship_date IS NOT NULL AND f.qty_shipped_by_plan < f.qty_ordered THEN 'late_dispatch'
         WHEN f.qty_delivered < f.qty_shipped THEN 'in_transit'
         ELSE 'late_transit'
       END AS miss_reason,
       f.qty_delivered_by_due < f.qty_ordered AND f.qty_delivered < f.qty_ordered AS miss_open,
       c.region, c.segment, c.portfolio, c.portfolio_manager
FROM facts f LEFT JOIN customers c USING (customer_id)
),
customer_orders AS (
WITH open_lines AS (
  SELECT order_id,
         max(CASE WHEN $due_basis = 'promised' THEN coalesce(promised_date, requested_date)
                  ELSE requested_date END) AS last_due
  FROM orders
  WHERE coalesce(status, 'open') <> 'cancelled' AND qty_ordered > 0
  GROUP BY order_id
  HAVING last_due <= $as_of
),
order_fx AS (  -- as in lines: each rate with the day the next one starts
  SELECT currency, valid_from, rate,
         lead(valid_from) OVER (PARTITION BY currency ORDER BY valid_from) AS valid_until
  FROM fx_rates
),
order_freight_fx AS (
  SELECT d.currency, d.ship_date, order_fx.rate
  FROM (SELECT DISTINCT currency, ship_date FROM shipments
        WHERE currency <> $reporting_currency) d
  JOIN order_fx ON order_fx.currency = d.currency AND order_fx.valid_from <= d.ship_date
         AND (order_fx.valid_until IS NULL OR d.ship_date < order_fx.valid_until)
),
freight AS (
  SELECT s.order_id,
         sum(coalesce(CASE WHEN coalesce(s.currency, $reporting_currency) = $reporting_currency
                           THEN s.freight_cost ELSE s.freight_cost * r.rate END, 0)) AS freight_cost
  FROM shipments s JOIN open_lines USING (order_id)
  LEFT JOIN order_freight_fx r ON r.currency = s.currency AND r.ship_date = s.ship_date
  WHERE s.ship_date <= $as_of
  GROUP BY s.order_id
),
first_miss AS (  -- the miss reason of the order's first missed line (numeric line ids first)
  SELECT order_id, miss_reason,
         row_number() OVER (PARTITION BY order_id
                            ORDER BY try_cast(line_id AS BIGINT) NULLS LAST, line_id) AS pos
  FROM lines
  WHERE miss_reason IS NOT NULL
)
SELECT l.order_id,
       any_value(l.customer_id) AS customer_id,
       any_value(l.channel) AS channel,
       max(l.due_date) AS due_date,
       count(*) AS lines,
       bool_and(l.otif) AS otif,
       bool_and(l.on_time) AS on_time,
       bool_and(l.in_full) AS in_full,
       bool_and(l.otif) AND sum(l.qty_damaged) = 0 AS perfect,
       sum(l.qty_damaged) AS qty_damaged,
       coalesce(any_value(fr.freight_cost), 0) AS freight_cost,
       sum(l.qty_ordered * l.unit_price) AS order_value,
       max(fm.miss_reason) AS miss_reason,
       NOT bool_and(l.otif) AND bool_or(l.miss_open) AS miss_open,
       any_value(l.region) AS region, any_value(l.segment) AS segment,
       any_value(l.portfolio) AS portfolio, any_value(l.portfolio_manager) AS portfolio_manager
FROM lines l JOIN open_lines USING (order_id)
LEFT JOIN freight fr USING (order_id)
LEFT JOIN first_miss fm ON fm.order_id = l.order_id AND fm.pos = 1
GROUP BY l.order_id
),
part_customer_orders AS (
SELECT
  CAST(date_trunc('week', due_date) AS DATE) AS period,
  region,
  count(*) FILTER (WHERE otif) AS otif__num,
  count(*) AS otif__den,
  count(*) AS otif__n,
  NULL AS fill_rate__num,
  NULL AS fill_rate__den,
  NULL AS fill_rate__n
FROM customer_orders
WHERE due_date >= $date_from AND segment IN ($w0_0, $w0_1)
GROUP BY CAST(date_trunc('week', due_date) AS DATE), region
),
part_lines AS (
SELECT
  CAST(date_trunc('week', due_date) AS DATE) AS period,
  region,
  NULL AS otif__num,
  NULL AS otif__den,
  NULL AS otif__n,
  sum(least(qty_shipped, qty_ordered)) AS fill_rate__num,
  sum(qty_ordered) AS fill_rate__den,
  count(*) AS fill_rate__n
FROM lines
WHERE due_date >= $date_from AND segment IN ($w0_0, $w0_1)
GROUP BY CAST(date_trunc('week', due_date) AS DATE), region
),
combined AS (
SELECT period, region, max(otif__num) AS otif__num, max(otif__den) AS otif__den, max(otif__n) AS otif__n, max(fill_rate__num) AS fill_rate__num, max(fill_rate__den) AS fill_rate__den, max(fill_rate__n) AS fill_rate__n FROM (SELECT period, region, otif__num, otif__den, otif__n, fill_rate__num, fill_rate__den, fill_rate__n FROM part_customer_orders
UNION ALL
SELECT period, region, otif__num, otif__den, otif__n, fill_rate__num, fill_rate__den, fill_rate__n FROM part_lines) AS parts GROUP BY period, region
)
SELECT period, region, otif__num / NULLIF(otif__den, 0) AS otif, otif__n AS otif__n, otif__num, otif__den, fill_rate__num / NULLIF(fill_rate__den, 0) AS fill_rate, fill_rate__n AS fill_rate__n, fill_rate__num, fill_rate__den
FROM combined
ORDER BY period NULLS LAST, region NULLS LAST
