"""Which published cells are secret: the `disclosure` package's primary and secondary
suppression over every mart at once (relations between marts included), proven by its audit.

One row per secret cell: the mart, the cell's number in the mart's aggregate and the figure.
Only tonight's closing periods (period_status) are protected in full: frozen ones are served
as published when they closed, and no relation ties a period to one of another status
(disclosure/history.py). Open periods publish their headline row only, rounded
(disclosure/provisional.py): there, an amount or a median passes the primary rules or is secret.
Every mart's aggregate is read here by name: dbt needs each ref written out, and a mart whose
aggregate is missing here fails (tests/dbt/test_secrecy.py), since its cells would have no
protection at all.
"""

import os


def model(dbt, session):
    dbt.config(materialized="table")
    import pandas as pd

    from disclosure.audit import P_PERCENT
    from disclosure.pattern import primary_mask, protect
    from disclosure.provisional import headline
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
        raise RuntimeError(f"disclosure_pattern does not read the aggregates {missing}: add them to its refs.")
    status = dbt.ref("period_status").df()
    status["period"] = pd.to_datetime(status["period"]).dt.date
    closing, open_ = {}, {}
    for mart, spec in specs.items():
        frame = aggregates[spec.aggregate].df()
        periods = pd.to_datetime(frame[spec.period]).dt.date
        of_mart = status[status["mart"] == mart]
        wanted = set(of_mart.loc[of_mart["status"] == "closing", "period"])
        closing[mart] = frame[periods.isin(wanted)].sort_values("cell_number").reset_index(drop=True)
        running = set(of_mart.loc[of_mart["status"] == "open", "period"])
        open_[mart] = headline(spec, frame[periods.isin(running)]).sort_values("cell_number").reset_index(drop=True)
    k = int(os.environ.get("MGREEN_MIN_CELL_SIZE") or 5)
    protection = protect(specs, closing, k=k, income_k=max(11, k))
    secrets = protection.secrets()
    parts = [
        pd.DataFrame(
            {
                "mart": secrets["mart"],
                "cell_number": [
                    int(closing[m]["cell_number"].iloc[int(r)]) for m, r in zip(secrets["mart"], secrets["row"])
                ],
                "figure": secrets["figure"],
            }
        )
    ]
    for mart, frame in open_.items():
        spec = specs[mart]
        for figure, rows in primary_mask(spec, frame, k, max(11, k), P_PERCENT).items():
            if spec.figure(figure).kind != "amount":
                continue  # counts are rounded instead; medians and ratios wait for the period to close
            numbers = frame["cell_number"].to_numpy()[rows]
            parts.append(pd.DataFrame({"mart": mart, "cell_number": numbers, "figure": figure}))
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"mart": "string", "cell_number": "int64", "figure": "string"})
