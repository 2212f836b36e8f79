"""The disclosure package on small tables built for it: the spec's refusals, primary rules,
secondary suppression over each kind of relation, and the audit that proves (or refutes) it.

Each protection is checked by the audit itself (``failures`` empty) and by exact intervals: a
secret count can be moved by at least k, an amount by at least p % of itself.
"""

import numpy as np
import pandas as pd
import pytest

from disclosure import audit
from disclosure.cells import build
from disclosure.pattern import protect
from disclosure.spec import SpecError, parse

K, INCOME_K = 5, 11


def spec(mart="mart_t", **meta):
    base = {"aggregate": "agg_t", "period": "month", "grain": "month", "figures": {}}
    return parse(mart, {**base, **meta})


def counts(name="n", **extra):
    return {name: {"kind": "count", "base": name}, **extra}


def frame(rows, columns):
    df = pd.DataFrame(rows, columns=columns)
    df["month"] = pd.to_datetime(df["month"])
    df.insert(0, "cell_number", range(len(df)))
    return df


def secret_values(p, s, df, figure="n"):
    published = p.published(s, df)
    return sorted(df.loc[published[figure + "_secret"].to_numpy(), figure].tolist())


def proven(specs, frames, p):
    """The audit's verdict on the protection, and every secret count's exact width."""
    system = build(specs, frames, K, INCOME_K)
    secret = np.zeros(len(system), dtype=bool)
    for i in range(len(system)):
        flags = p.flags[system.mart[i]]
        column = system.figure[i] + "_secret"
        if column in flags.columns:
            secret[i] = bool(flags[column].iloc[system.row[i]])
    wanted = audit.targets(system, secret)
    widths = {i: interval.width for i, interval in audit.intervals(system, secret, wanted).items()}
    return audit.failures(system, secret), widths, system, secret


@pytest.mark.parametrize(
    "meta, message",
    [
        ({"figures": {"n": {"kind": "count"}}}, "declares its base"),
        ({"figures": {"x": {"kind": "amount", "base": "x__persons"}}}, "two largest contributions"),
        ({"figures": {"r": {"kind": "ratio"}}}, "computed of"),
        ({"figures": counts(), "grain": "week"}, "grain must be"),
        ({"figures": counts(), "dimensions": {"d": "sometimes"}}, "additive, overlapping or fixed"),
        ({"figures": counts(), "parts": [{"whole": "n", "parts": ["m"]}]}, "not a figure"),
    ],
)
def test_a_spec_without_what_protection_needs_is_refused_with_the_marts_name(meta, message):
    with pytest.raises(SpecError, match=message) as exc:
        spec(**meta)
    assert "mart_t" in str(exc.value)


def test_a_small_cell_hides_a_second_one_and_the_audit_proves_the_pair():
    s = spec(dimensions={"d": "additive"}, figures=counts())
    df = frame(
        [("2026-01-01", "Tous", 40), ("2026-01-01", "a", 20), ("2026-01-01", "b", 3), ("2026-01-01", "c", 17)],
        ["month", "d", "n"],
    )
    p = protect({"mart_t": s}, {"mart_t": df}, K, INCOME_K)
    assert p.primary == 1 and p.secondary == 1
    assert secret_values(p, s, df) == [3, 17]
    failing, widths, _, _ = proven({"mart_t": s}, {"mart_t": df}, p)
    assert failing == [] and widths and min(widths.values()) >= K


def test_primary_suppression_alone_is_refuted_by_the_audit():
    s = spec(dimensions={"d": "additive"}, figures=counts())
    df = frame(
        [("2026-01-01", "Tous", 40), ("2026-01-01", "a", 20), ("2026-01-01", "b", 3), ("2026-01-01", "c", 17)],
        ["month", "d", "n"],
    )
    system = build({"mart_t": s}, {"mart_t": df}, K, INCOME_K)
    secret = np.array([system.row[i] == 2 for i in range(len(system))])
    assert [system.row[i] for i in audit.failures(system, secret)] == [2]


def test_zero_is_published_and_an_income_breakdown_needs_eleven():
    s = spec(income_breakdown=True, dimensions={"mpr_income_category": "additive"}, figures=counts())
    df = frame(
        [("2026-01-01", "Tous", 30), ("2026-01-01", "bleu", 0), ("2026-01-01", "jaune", 8), ("2026-01-01", "rose", 22)],
        ["month", "mpr_income_category", "n"],
    )
    p = protect({"mart_t": s}, {"mart_t": df}, K, INCOME_K)
    hidden = secret_values(p, s, df)
    assert 8 in hidden and 0 not in hidden and len(hidden) >= 2
    failing, widths, _, _ = proven({"mart_t": s}, {"mart_t": df}, p)
    assert failing == [] and min(widths.values()) >= INCOME_K


def test_an_amount_one_contributor_dominates_is_secret_whatever_its_base():
    figures = {
        "n": {"kind": "count", "base": "n"},
        "x": {"kind": "amount", "base": "n", "top": ["x__top1", "x__top2"]},
    }
    s = spec(figures=figures)
    # 12 contributors; the largest is 9,000 of 10,000, the second 200: the others (800) are
    # less than 10 % of the largest, so the total tells it within 10 %.
    df = frame(
        [("2026-01-01", 12, 10000.0, 9000.0, 200.0), ("2026-02-01", 12, 6000.0, 900.0, 800.0)],
        ["month", "n", "x", "x__top1", "x__top2"],
    )
    p = protect({"mart_t": s}, {"mart_t": df}, K, INCOME_K)
    assert p.published(s, df)["x_secret"].tolist() == [True, False]


def test_a_stock_and_its_flow_cannot_be_differenced():
    """Clients to date are last month's plus the month's new clients: a secret flow is given
    back by two published stocks, so a stock goes secret with it."""
    s = spec(
        figures=counts("n_new", n_to_date={"kind": "count", "base": "n_to_date"}),
        cumulative={"stock": "n_to_date", "flow": "n_new"},
    )
    df = frame(
        [("2026-01-01", 20, 20), ("2026-02-01", 2, 22), ("2026-03-01", 9, 31), ("2026-04-01", 6, 37)],
        ["month", "n_new", "n_to_date"],
    )
    p = protect({"mart_t": s}, {"mart_t": df}, K, INCOME_K)
    flags = p.published(s, df)
    assert flags["n_new_secret"].tolist()[1] and flags["n_to_date_secret"].any()
    failing, widths, _, _ = proven({"mart_t": s}, {"mart_t": df}, p)
    assert failing == [] and min(widths.values()) >= K


def test_days_add_up_to_their_month_in_another_mart():
    monthly = spec("mart_m", aggregate="agg_m", figures=counts())
    daily = spec(
        "mart_d",
        aggregate="agg_d",
        period="day",
        grain="day",
        figures=counts(),
        rollup={"into": "mart_m", "grain": "month", "figures": {"n": "n"}},
    )
    months = frame([("2026-01-01", 30)], ["month", "n"])
    days = frame(
        [("2026-01-01", "2026-01-01", 12), ("2026-01-01", "2026-01-02", 3), ("2026-01-01", "2026-01-03", 15)],
        ["month", "day", "n"],
    ).drop(columns="month")
    days["day"] = pd.to_datetime(days["day"])
    specs, frames = {"mart_m": monthly, "mart_d": daily}, {"mart_m": months, "mart_d": days}
    p = protect(specs, frames, K, INCOME_K)
    assert p.flags["mart_d"]["n_secret"].sum() >= 2 or p.flags["mart_m"]["n_secret"].any()
    failing, widths, _, _ = proven(specs, frames, p)
    assert failing == [] and min(widths.values()) >= K


def test_a_remainder_of_parts_is_protected_though_never_published():
    """Answers = promoters + detractors + passives: with passives unpublished, two published
    parts still give it; a small remainder makes a part secret, and the passives' interval is
    then as wide as k."""
    figures = {
        "n_answers": {"kind": "count", "base": "n_answers"},
        "n_promoters": {"kind": "count", "base": "n_promoters"},
        "n_detractors": {"kind": "count", "base": "n_detractors"},
        "n_passives": {"kind": "count", "base": "n_passives", "virtual": True},
    }
    s = spec(
        figures=figures, parts=[{"whole": "n_answers", "parts": ["n_promoters", "n_detractors"], "rest": "n_passives"}]
    )
    df = frame([("2026-01-01", 30, 20, 8, 2)], ["month", "n_answers", "n_promoters", "n_detractors", "n_passives"])
    p = protect({"mart_t": s}, {"mart_t": df}, K, INCOME_K)
    shown = p.published(s, df)
    assert shown[["n_answers_secret", "n_promoters_secret", "n_detractors_secret"]].to_numpy().any()
    failing, widths, _, _ = proven({"mart_t": s}, {"mart_t": df}, p)
    assert failing == [] and min(widths.values()) >= K


def test_a_long_chain_of_secondary_suppression_reaches_its_fixpoint():
    """A two-dimensional table where each hidden cell forces another, across rows and columns:
    however many rounds that takes, the audit of the result passes."""
    rng = np.random.default_rng(3)
    rows = []
    values = rng.integers(5, 40, size=(6, 6))
    values[rng.integers(0, 6, 8), rng.integers(0, 6, 8)] = rng.integers(1, 5, 8)
    names = [f"v{i}" for i in range(6)]
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            rows.append(("2026-01-01", a, b, int(values[i, j])))
        rows.append(("2026-01-01", a, "Tous", int(values[i].sum())))
    for j, b in enumerate(names):
        rows.append(("2026-01-01", "Tous", b, int(values[:, j].sum())))
    rows.append(("2026-01-01", "Tous", "Tous", int(values.sum())))
    s = spec(dimensions={"a": "additive", "b": "additive"}, figures=counts())
    df = frame(rows, ["month", "a", "b", "n"])
    p = protect({"mart_t": s}, {"mart_t": df}, K, INCOME_K)
    assert p.primary >= 5 and p.secondary >= p.primary // 2
    failing, widths, _, _ = proven({"mart_t": s}, {"mart_t": df}, p)
    assert failing == [] and min(widths.values()) >= K
