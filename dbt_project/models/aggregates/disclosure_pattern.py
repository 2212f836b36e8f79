"""Which published cells are secret: the `disclosure` package's primary and secondary
suppression over every mart at once (relations between marts included), proven by its audit.

One row per secret cell: the mart, the cell's number in the mart's aggregate and the figure.
Every mart's aggregate is read here by name: dbt needs each ref written out, and a mart whose
aggregate is missing here fails (tests/dbt/test_secrecy.py), since its cells would have no
protection at all.
"""

import os


def model(dbt, session):
    dbt.config(materialized="table")
    import pandas as pd

    from disclosure.pattern import protect
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
    frames = {}
    for mart, spec in specs.items():
        frames[mart] = aggregates[spec.aggregate].df().sort_values("cell_number").reset_index(drop=True)
    k = int(os.environ.get("MGREEN_MIN_CELL_SIZE") or 5)
    protection = protect(specs, frames, k=k, income_k=max(11, k))
    secrets = protection.secrets()
    out = pd.DataFrame(
        {
            "mart": pd.Series(secrets["mart"], dtype="string"),
            "cell_number": pd.Series(
                [int(frames[m]["cell_number"].iloc[int(r)]) for m, r in zip(secrets["mart"], secrets["row"])],
                dtype="int64",
            ),
            "figure": pd.Series(secrets["figure"], dtype="string"),
        }
    )
    return out
