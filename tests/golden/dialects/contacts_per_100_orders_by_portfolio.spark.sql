WITH line_fx AS (
  SELECT
    currency,
    valid_from,
    rate,
    LEAD(valid_from) OVER (PARTITION BY currency ORDER BY valid_from NULLS LAST) AS valid_until
  FROM fx_rates
), line_price_fx AS (
  SELECT
    d.currency,
    d.order_date,
    line_fx.rate
  FROM (
    SELECT DISTINCT
      currency,
      order_date
    FROM orders
    WHERE
      currency <> :reporting_currency
  ) AS d
  JOIN line_fx
    ON line_fx.currency = d.currency
    AND line_fx.valid_from <= d.order_date
    AND (
      line_fx.valid_until IS NULL OR d.order_date < line_fx.valid_until
    )
), line_freight_fx AS (
  SELECT
    d.currency,
    d.ship_date,
    line_fx.rate
  FROM (
    SELECT DISTINCT
      currency,
      ship_date
    FROM shipments
    WHERE
      currency <> :reporting_currency
  ) AS d
  JOIN line_fx
    ON line_fx.currency = d.currency
    AND line_fx.valid_from <= d.ship_date
    AND (
      line_fx.valid_until IS NULL OR d.ship_date < line_fx.valid_until
    )
), due AS (
  SELECT
    o.*,
    CASE
      WHEN COALESCE(o.currency, :reporting_currency) = :reporting_currency
      THEN o.unit_price
      ELSE o.unit_price * r.rate
    END AS reporting_unit_price,
    CASE
      WHEN :due_basis = 'promised'
      THEN COALESCE(o.promised_date, o.requested_date)
      ELSE o.requested_date
    END AS due_date
  FROM orders AS o
  LEFT JOIN line_price_fx AS r
    ON r.currency = o.currency AND r.order_date = o.order_date
  WHERE
    COALESCE(o.status, 'open') <> 'cancelled' AND o.qty_ordered > 0
), measured AS (
  SELECT
    *
  FROM due
  WHERE
    due_date <= :as_of
), ship AS (
  SELECT
    s.order_id,
    s.line_id,
    SUM(s.qty_shipped) AS qty_shipped,
    SUM(s.qty_shipped) FILTER(WHERE
      s.delivered_date <= :as_of) AS qty_delivered,
    SUM(s.qty_shipped) FILTER(WHERE
      s.delivered_date <= :as_of
      AND s.delivered_date <= m.due_date + CAST(:late_tolerance_days AS INT)) AS qty_delivered_by_due,
    SUM(s.qty_shipped) FILTER(WHERE
      s.ship_date <= m.planned_ship_date) AS qty_shipped_by_plan,
    SUM(COALESCE(s.qty_damaged, 0)) FILTER(WHERE
      s.delivered_date <= :as_of) AS qty_damaged,
    SUM(
      COALESCE(
        CASE
          WHEN COALESCE(s.currency, :reporting_currency) = :reporting_currency
          THEN s.freight_cost
          ELSE s.freight_cost * r.rate
        END,
        0
      )
    ) AS freight_cost,
    MAX(s.delivered_date) FILTER(WHERE
      s.delivered_date <= :as_of) AS last_delivered_date,
    MAX_BY(s.carrier, CAST(s.ship_date AS STRING) || s.shipment_id) AS carrier /* the carrier of the latest shipment (ship date, then shipment id; dates are 10 characters) */
  FROM shipments AS s
  JOIN measured AS m
    USING (order_id, line_id)
  LEFT JOIN line_freight_fx AS r
    ON r.currency = s.currency AND r.ship_date = s.ship_date
  WHERE
    s.ship_date <= :as_of
  GROUP BY
    s.order_id,
    s.line_id
), facts AS (
  SELECT
    m.*,
    COALESCE(sh.qty_shipped, 0) AS qty_shipped,
    COALESCE(sh.qty_delivered, 0) AS qty_delivered,
    COALESCE(sh.qty_delivered_by_due, 0) AS qty_delivered_by_due,
    COALESCE(sh.qty_shipped_by_plan, 0) AS qty_shipped_by_plan,
    COALESCE(sh.qty_damaged, 0) AS qty_damaged,
    COALESCE(sh.freight_cost, 0) AS freight_cost,
    sh.last_delivered_date,
    sh.carrier
  FROM measured AS m
  LEFT JOIN ship AS sh
    USING (order_id, line_id)
), lines AS (
  SELECT
    f.order_id,
    f.line_id,
    f.customer_id,
    f.sku,
    f.site,
    f.channel,
    f.order_date,
    f.requested_date,
    f.promised_date,
    f.planned_ship_date,
    f.due_date,
    f.qty_ordered,
    COALESCE(f.reporting_unit_price, 0) AS unit_price,
    f.qty_shipped,
    f.qty_delivered,
    f.qty_delivered_by_due,
    f.qty_damaged,
    f.freight_cost,
    f.last_delivered_date,
    f.carrier,
    NOT f.last_delivered_date IS NULL
    AND f.last_delivered_date <= f.due_date + CAST(:late_tolerance_days AS INT) AS on_time,
    f.qty_delivered >= f.qty_ordered AS in_full,
    f.qty_delivered_by_due >= f.qty_ordered AS otif,
    f.promised_date IS NULL OR f.promised_date <= f.requested_date AS promise_kept,
    CASE
      WHEN f.qty_delivered_by_due >= f.qty_ordered
      THEN NULL
      WHEN f.qty_shipped = 0
      THEN 'not_shipped'
      WHEN f.qty_shipped < f.qty_ordered
      THEN 'short_shipped'
      WHEN f.promised_date > f.requested_date
      THEN 'promised_late'
      WHEN NOT f.planned_ship_date IS NULL AND f.qty_shipped_by_plan < f.qty_ordered
      THEN 'late_dispatch'
      WHEN f.qty_delivered < f.qty_shipped
      THEN 'in_transit'
      ELSE 'late_transit'
    END AS miss_reason,
    f.qty_delivered_by_due < f.qty_ordered AND f.qty_delivered < f.qty_ordered AS miss_open,
    c.region,
    c.segment,
    c.portfolio,
    c.portfolio_manager
  FROM facts AS f
  LEFT JOIN customers AS c
    USING (customer_id)
), open_lines AS (
  SELECT
    order_id,
    MAX(
      CASE
        WHEN :due_basis = 'promised'
        THEN COALESCE(promised_date, requested_date)
        ELSE requested_date
      END
    ) AS last_due
  FROM orders
  WHERE
    COALESCE(status, 'open') <> 'cancelled' AND qty_ordered > 0
  GROUP BY
    order_id
  HAVING
    last_due <= :as_of
), order_fx AS (
  SELECT
    currency,
    valid_from,
    rate,
    LEAD(valid_from) OVER (PARTITION BY currency ORDER BY valid_from NULLS LAST) AS valid_until
  FROM fx_rates
), order_freight_fx AS (
  SELECT
    d.currency,
    d.ship_date,
    order_fx.rate
  FROM (
    SELECT DISTINCT
      currency,
      ship_date
    FROM shipments
    WHERE
      currency <> :reporting_currency
  ) AS d
  JOIN order_fx
    ON order_fx.currency = d.currency
    AND order_fx.valid_from <= d.ship_date
    AND (
      order_fx.valid_until IS NULL OR d.ship_date < order_fx.valid_until
    )
), freight AS (
  SELECT
    s.order_id,
    SUM(
      COALESCE(
        CASE
          WHEN COALESCE(s.currency, :reporting_currency) = :reporting_currency
          THEN s.freight_cost
          ELSE s.freight_cost * r.rate
        END,
        0
      )
    ) AS freight_cost
  FROM shipments AS s
  JOIN open_lines
    USING (order_id)
  LEFT JOIN order_freight_fx AS r
    ON r.currency = s.currency AND r.ship_date = s.ship_date
  WHERE
    s.ship_date <= :as_of
  GROUP BY
    s.order_id
), first_miss AS (
  SELECT
    order_id,
    miss_reason,
    ROW_NUMBER() OVER (
      PARTITION BY order_id
      ORDER BY TRY_CAST(line_id AS BIGINT) NULLS LAST, line_id NULLS LAST
    ) AS pos
  FROM lines
  WHERE
    NOT miss_reason IS NULL
), customer_orders AS (
  SELECT
    l.order_id,
    ANY_VALUE(l.customer_id) IGNORE NULLS AS customer_id,
    ANY_VALUE(l.channel) IGNORE NULLS AS channel,
    MAX(l.due_date) AS due_date,
    COUNT(*) AS lines,
    BOOL_AND(l.otif) AS otif,
    BOOL_AND(l.on_time) AS on_time,
    BOOL_AND(l.in_full) AS in_full,
    BOOL_AND(l.otif) AND SUM(l.qty_damaged) = 0 AS perfect,
    SUM(l.qty_damaged) AS qty_damaged,
    COALESCE(ANY_VALUE(fr.freight_cost) IGNORE NULLS, 0) AS freight_cost,
    SUM(l.qty_ordered * l.unit_price) AS order_value,
    MAX(fm.miss_reason) AS miss_reason,
    NOT BOOL_AND(l.otif) AND BOOL_OR(l.miss_open) AS miss_open,
    ANY_VALUE(l.region) IGNORE NULLS AS region,
    ANY_VALUE(l.segment) IGNORE NULLS AS segment,
    ANY_VALUE(l.portfolio) IGNORE NULLS AS portfolio,
    ANY_VALUE(l.portfolio_manager) IGNORE NULLS AS portfolio_manager
  FROM lines AS l
  JOIN open_lines
    USING (order_id)
  LEFT JOIN freight AS fr
    USING (order_id)
  LEFT JOIN first_miss AS fm
    ON fm.order_id = l.order_id AND fm.pos = 1
  GROUP BY
    l.order_id
), ctc AS (
  SELECT
    k.*,
    CAST(k.started_at AS DATE) AS contact_date,
    LEAD(k.started_at) OVER (PARTITION BY k.customer_id ORDER BY k.started_at NULLS LAST, k.call_id NULLS LAST) AS next_started_at
  FROM calls AS k
  WHERE
    CAST(k.started_at AS DATE) <= :as_of
), contacts AS (
  SELECT
    k.call_id,
    k.customer_id,
    k.order_id,
    k.queue,
    k.agent_id,
    k.reason,
    k.started_at,
    k.contact_date,
    NOT COALESCE(k.abandoned, FALSE) AS handled,
    COALESCE(k.abandoned, FALSE) AS abandoned,
    COALESCE(k.resolved, FALSE) AS resolved,
    COALESCE(k.wait_sec, 0) AS wait_sec,
    COALESCE(k.talk_sec, 0) + COALESCE(k.hold_sec, 0) + COALESCE(k.acw_sec, 0) AS handle_sec,
    NOT COALESCE(k.talk_sec, k.hold_sec, k.acw_sec) IS NULL AS handle_known,
    COALESCE(k.sale_amount, 0) AS sale_amount,
    COALESCE(NOT co.otif, FALSE) AS about_broken_promise,
    NOT COALESCE(k.abandoned, FALSE)
    AND NOT k.customer_id IS NULL
    AND k.contact_date <= :as_of - CAST(CEIL(:fcr_window_hours / 24) AS INT) AS fcr_measured,
    k.next_started_at IS NULL
    OR k.next_started_at > k.started_at + INTERVAL '1' HOUR * :fcr_window_hours AS no_repeat,
    c.region,
    c.segment,
    c.portfolio,
    c.portfolio_manager
  FROM ctc AS k
  LEFT JOIN customers AS c
    ON c.customer_id = k.customer_id
  LEFT JOIN customer_orders AS co
    ON co.order_id = k.order_id
), part_customer_orders AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', due_date) AS DATE) AS period,
    portfolio,
    COUNT(*) AS measured_orders__val,
    COUNT(*) AS measured_orders__n,
    NULL AS contacts__val,
    NULL AS contacts__n
  FROM customer_orders
  GROUP BY
    CAST(DATE_TRUNC('MONTH', due_date) AS DATE),
    portfolio
), part_contacts AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', contact_date) AS DATE) AS period,
    portfolio,
    NULL AS measured_orders__val,
    NULL AS measured_orders__n,
    COUNT(*) AS contacts__val,
    COUNT(*) AS contacts__n
  FROM contacts
  GROUP BY
    CAST(DATE_TRUNC('MONTH', contact_date) AS DATE),
    portfolio
), combined AS (
  SELECT
    period,
    portfolio,
    MAX(measured_orders__val) AS measured_orders__val,
    MAX(measured_orders__n) AS measured_orders__n,
    MAX(contacts__val) AS contacts__val,
    MAX(contacts__n) AS contacts__n
  FROM (
    SELECT
      period,
      portfolio,
      measured_orders__val,
      measured_orders__n,
      contacts__val,
      contacts__n
    FROM part_customer_orders
    UNION ALL
    SELECT
      period,
      portfolio,
      measured_orders__val,
      measured_orders__n,
      contacts__val,
      contacts__n
    FROM part_contacts
  ) AS parts
  GROUP BY
    period,
    portfolio
)
SELECT
  period,
  portfolio,
  100 * (
    COALESCE(contacts__val, 0)
  ) / NULLIF((
    COALESCE(measured_orders__val, 0)
  ), 0) AS contacts_per_100_orders,
  LEAST(COALESCE(measured_orders__n, 0), COALESCE(contacts__n, 0)) AS contacts_per_100_orders__n
FROM combined
ORDER BY
  period NULLS LAST,
  portfolio NULLS LAST
