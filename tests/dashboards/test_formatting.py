from datetime import date, datetime

import pandas as pd

from dashboards.lib import formatting as fmt
from dashboards.lib.filters import Filters, add_months, period_for

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


def test_period_presets_are_whole_months_relative_to_the_data():
    ref = date(2026, 11, 25)
    assert period_for("Mois en cours", ref) == (date(2026, 11, 1), date(2026, 11, 1))
    assert period_for("12 derniers mois", ref) == (date(2025, 12, 1), date(2026, 11, 1))
    assert period_for("Année en cours", ref) == (date(2026, 1, 1), date(2026, 11, 1))
    assert period_for("Année précédente", ref) == (date(2025, 1, 1), date(2025, 12, 1))
    assert period_for("Personnalisée", ref, date(2026, 5, 20), date(2026, 3, 2)) == (date(2026, 3, 1), date(2026, 5, 1))


def test_previous_period_has_the_same_length():
    f = Filters("12 derniers mois", date(2025, 12, 1), date(2026, 11, 1))
    assert f.months == 12 and f.previous() == (date(2024, 12, 1), date(2025, 11, 1))
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
