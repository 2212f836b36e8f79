from datetime import date, datetime

import pandas as pd

from dashboards.lib import formatting as fmt
from dashboards.lib.compare import add_months, like_for_like
from dashboards.lib.filters import Filters, comparison, period_for
from dashboards.lib.page import paired_rate, secret_cells, sums, with_notes

NB = "\u00a0"


def test_french_number_money_percent_and_dates():
    assert fmt.number(1234567.8) == f"1{NB}234{NB}568"
    assert fmt.number(1234.5, 2) == f"1{NB}234,50"
    assert fmt.euros(1234567) == f"1{NB}234{NB}567{NB}€"
    assert fmt.percent(0.125) == f"12,5{NB}%"
    assert fmt.number(-4200) == f"-4{NB}200"
    assert fmt.score(42) == "+42" and fmt.score(-3) == "-3"
    assert fmt.day(date(2026, 11, 25)) == "25/11/2026"
    assert fmt.day_time(datetime(2026, 11, 25, 7, 5)) == "25/11/2026 07:05"
    assert fmt.month(date(2026, 2, 1)) == "févr. 2026"


def test_suppressed_values_are_secret_never_zero():
    for value in (None, float("nan"), pd.NA):
        assert fmt.number(value) == fmt.euros(value) == fmt.percent(value) == "secret statistique"
    assert fmt.number(0) == "0"


def test_notes_pass_through_every_formatter_and_small_secrets_read_below_k():
    for formatter in (fmt.number, fmt.euros, fmt.percent, fmt.days, fmt.score):
        assert formatter(fmt.RETENTION) == fmt.RETENTION and formatter(fmt.NO_VALUE) == fmt.NO_VALUE
    assert fmt.below(5) == f"<{NB}5"


def test_cells_are_read_from_their_own_secret_flags():
    df = pd.DataFrame(
        {
            "dep": ["75", "75", "91", "91"],
            "n": pd.array([7, None, None, 0], dtype="Int64"),
            "n_secret": [False, True, False, False],
            "rate": [0.5, None, None, 1.0],
            "rate_secret": [False, False, True, False],
        }
    )
    assert secret_cells(df) == 2 and secret_cells(df, ["n"]) == 1
    shown = with_notes(df, {"n": fmt.NOT_PUBLISHED})
    assert list(shown.columns) == ["dep", "n", "rate"]
    # Secret where flagged; NULL without the flag is not secret: it reads its note.
    assert list(shown.n) == [7, fmt.SECRET, fmt.NOT_PUBLISHED, 0]
    assert list(shown.rate)[1:3] == [fmt.NO_VALUE, fmt.SECRET]
    totals = sums(df, "dep", ["n"])
    assert list(totals.n) == [7, 0] and list(totals["Cellules en secret"]) == [1, 0]
    assert sums(df[df.dep == "75"].iloc[1:], "dep", ["n"]).n.isna().all()  # every cell secret: no total
    # A rate adds up the rows where both its part and its whole are published.
    pairs = pd.DataFrame(
        {"part": pd.array([1, None, 3], dtype="Int64"), "whole": pd.array([4, 5, None], dtype="Int64")}
    )
    assert paired_rate(pairs, "part", "whole") == 0.25
    assert paired_rate(pairs.iloc[1:], "part", "whole") is None


def test_period_presets_are_whole_months_relative_to_the_data():
    ref = date(2026, 11, 25)
    assert period_for("Mois en cours", ref) == (date(2026, 11, 1), date(2026, 11, 1))
    assert period_for("12 derniers mois", ref) == (date(2025, 12, 1), date(2026, 11, 1))
    assert period_for("Année en cours", ref) == (date(2026, 1, 1), date(2026, 11, 1))
    assert period_for("Année précédente", ref) == (date(2025, 1, 1), date(2025, 12, 1))
    assert period_for("Personnalisée", ref, date(2026, 5, 20), date(2026, 3, 2)) == (date(2026, 3, 1), date(2026, 5, 1))


def test_comparisons_take_complete_months_against_the_same_months_a_year_before():
    day = date(2026, 12, 3)
    twelve = comparison(Filters("12 derniers mois", *period_for("12 derniers mois", day)), day)
    assert (twelve.start, twelve.end, twelve.running, twelve.day) == (
        date(2026, 1, 1),
        date(2026, 11, 1),
        date(2026, 12, 1),
        3,
    )
    assert twelve.before == (date(2025, 1, 1), date(2025, 11, 1))
    assert twelve.describe() == "janv. 2026 – nov. 2026 (11 mois complets) comparé aux mêmes mois un an avant"
    last_year = comparison(Filters("Année précédente", *period_for("Année précédente", day)), day)
    assert (last_year.start, last_year.end, last_year.running) == (date(2025, 1, 1), date(2025, 12, 1), None)
    running = comparison(Filters("Mois en cours", *period_for("Mois en cours", day)), day)
    assert (running.start, running.end, running.running) == (None, None, date(2026, 12, 1))
    assert running.describe() == "aucun mois complet dans la période"
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)


def test_like_for_like_compares_only_the_months_published_both_years():
    now = pd.DataFrame(
        {"month": [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)], "n_orders": [10.0, None, 30.0]}
    )
    before = pd.DataFrame(
        {"month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]), "n_orders": [8.0, 9.0, None]}
    )
    figure = like_for_like(now, before, "n_orders", "month", 3)
    # The period's value adds its published months; the change pairs January only.
    assert (figure.value, figure.now, figure.before, figure.months, figure.of) == (40.0, 10.0, 8.0, 1, 3)
    assert figure.change == 0.25
    nothing = like_for_like(now, before.iloc[0:0], "n_orders", "month", 3)
    assert nothing.change is None and nothing.value == 40.0
