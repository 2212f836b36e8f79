"""The N-1 series of the monthly charts: the same months a year before, read from the
published file and moved onto this year's; never a zero where a month was not published."""

from datetime import date

import pandas as pd

from dashboards.lib import charts
from dashboards.lib.page import year_before


def test_the_months_a_year_before_are_asked_for_and_moved_onto_this_year():
    asked = []

    def query(stamp, start, end, departement):
        asked.append((stamp, start, end, departement))
        return pd.DataFrame(
            {
                "order_month": [date(2025, 3, 1), date(2025, 4, 1)],
                "n_orders": [12, None],
                "n_orders_secret": [False, True],
            }
        )

    moved = year_before(query, "stamp", date(2026, 3, 1), date(2026, 4, 1), "91", month="order_month")
    assert asked == [("stamp", date(2025, 3, 1), date(2025, 4, 1), "91")]
    assert list(moved.order_month) == [date(2026, 3, 1), date(2026, 4, 1)]
    assert moved.n_orders.isna().tolist() == [False, True]


def test_the_chart_draws_this_year_as_bars_and_the_year_before_as_a_line():
    this_year = pd.DataFrame({"month": [date(2026, 3, 1), date(2026, 4, 1)], "n_orders": [20, None]})
    before = pd.DataFrame({"month": [date(2026, 3, 1), date(2026, 4, 1)], "n_orders": [15, None]})
    spec = charts.monthly_bars(this_year, "n_orders", "Commandes", previous=before).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["bar", "line"]
    datasets = list(spec["datasets"].values())
    drawn = {row["Série"]: row["n_orders"] for rows in datasets for row in rows if row["n_orders"] is not None}
    assert drawn == {"N": 20, "N-1": 15}
    # A month not published a year before is not drawn (no zero on the line).
    assert all(row["n_orders"] != 0 for rows in datasets for row in rows)
    assert "layer" not in charts.monthly_bars(this_year, "n_orders", "Commandes").to_dict()


def test_months_are_labelled_in_french_on_every_month_of_the_period():
    months = [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    data = pd.DataFrame({"month": months, "n_orders": [20, None, 3]})
    spec = charts.monthly_bars(data, "n_orders", "Commandes").to_dict()
    x = spec["encoding"]["x"]
    # December reads "déc. 2026" (a time axis labelled its bar "01/2027"); the secret November
    # keeps its place, empty.
    assert (x["type"], x["scale"]["domain"]) == ("ordinal", ["oct. 2026", "nov. 2026", "déc. 2026"])
    drawn = [row["Mois"] for rows in spec["datasets"].values() for row in rows]
    assert drawn == ["oct. 2026", "déc. 2026"]


def test_lines_break_at_a_secret_month_instead_of_joining_its_neighbours():
    months = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    data = pd.DataFrame({"month": months * 2, "scheme": ["a"] * 3 + ["b"] * 3, "n": [5, None, 7, 6, 6, 6]})
    spec = charts.monthly_lines(data, "n", "scheme", "Dossiers", {"a": "MaPrimeRénov'"}).to_dict()
    # The secret February stays in the data as NULL, and NULL breaks the line (no zero either).
    assert spec["mark"]["invalid"] == "break-paths-show-domains"
    rows = [row for rows in spec["datasets"].values() for row in rows]
    assert [(r["Mois"], r["n"]) for r in rows if r["Série"] == "MaPrimeRénov'"] == [
        ("janv. 2026", 5),
        ("févr. 2026", None),
        ("mars 2026", 7),
    ]
