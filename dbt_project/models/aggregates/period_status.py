"""Each published period's status tonight (disclosure/history.py says when a period closes):

- ``frozen``: closed on an earlier night; the marts serve it from the history as published then;
- ``closing``: closed, not frozen yet (or under revision): computed in full tonight, under
  disclosure control, and frozen by the publication;
- ``open``: still moving; published as provisional headline figures, rounded;
- ``lost``: closed, never frozen, and no longer computable (retention cut into it first).

One row per mart and period, with the Paris day it closes on, and whether tonight answers a
revision of it (recomputed, or refused when its unit cannot be computed whole).
Every mart's aggregate is read here by name, as in disclosure_pattern.
"""

from datetime import datetime


def model(dbt, session):
    dbt.config(materialized="table")
    import pandas as pd

    from disclosure.history import statuses
    from disclosure.spec import from_rules_table

    aggregates = {
        "agg_orders_monthly": dbt.ref("agg_orders_monthly"),
        "agg_clients_monthly": dbt.ref("agg_clients_monthly"),
        "agg_funnel_cohorts": dbt.ref("agg_funnel_cohorts"),
        "agg_aid_dossiers_monthly": dbt.ref("agg_aid_dossiers_monthly"),
        "agg_aid_dossiers_quarterly": dbt.ref("agg_aid_dossiers_quarterly"),
        "agg_financing_monthly": dbt.ref("agg_financing_monthly"),
        "agg_unpaid_monthly": dbt.ref("agg_unpaid_monthly"),
        "agg_after_sales_monthly": dbt.ref("agg_after_sales_monthly"),
        "agg_satisfaction_monthly": dbt.ref("agg_satisfaction_monthly"),
        "agg_web_funnel_monthly": dbt.ref("agg_web_funnel_monthly"),
        "agg_web_funnel_daily": dbt.ref("agg_web_funnel_daily"),
        "agg_compliance_monthly": dbt.ref("agg_compliance_monthly"),
    }
    rules = dbt.ref("disclosure_rules").df()
    specs = from_rules_table(list(rules.itertuples(index=False, name=None)))
    missing = sorted(spec.aggregate for spec in specs.values() if spec.aggregate not in aggregates)
    if missing:
        raise RuntimeError(f"period_status does not read the aggregates {missing}: add them to its refs.")
    periods = {
        mart: [
            r[0]
            for r in aggregates[spec.aggregate]
            .query("cells", f'select distinct cast("{spec.period}" as date) from cells')
            .fetchall()
            if r[0] is not None
        ]
        for mart, spec in specs.items()
    }
    frozen = _read(session, "periods", "select mart, period from history.periods")
    revising = _read(session, "revisions", "select mart, period from history.revisions where done_at is null")
    rows = statuses(specs, periods, frozen, _as_of(dbt, session), revising)
    return pd.DataFrame(rows, columns=["mart", "period", "status", "closes_on", "revising"]).astype(
        {"mart": "string", "status": "string", "revising": "bool"}
    )


def _as_of(dbt, session) -> datetime:
    """The run's instant, as the run_as_of macro gives it (var as_of, else the run's)."""
    given = dbt.config.get("as_of")
    if given:
        return datetime.fromisoformat(str(given))
    return session.execute(
        "select cast(coalesce(getvariable('mgreen_run_as_of'), timezone('UTC', current_timestamp)) as timestamp)"
    ).fetchone()[0]


def _read(session, table: str, sql: str) -> dict:
    """Per mart, the periods ``sql`` lists (none before the history exists)."""
    exists = session.execute(
        "select count(*) from information_schema.tables where table_catalog = current_database() "
        "and table_schema = 'history' and table_name = ?",
        [table],
    ).fetchone()[0]
    if not exists:
        return {}
    out: dict = {}
    for mart, period in session.execute(sql).fetchall():
        out.setdefault(mart, set()).add(period)
    return out
