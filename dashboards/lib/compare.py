"""Comparisons of published figures, with no Streamlit: the dashboards and the Monday report
both add up published cells and compare like with like (the same months a year before)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd


def add_months(d: date, months: int) -> date:
    year, month = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(year, month + 1, 1)


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def total(series: pd.Series) -> float | None:
    """Sum of the published cells (a secret cell is NULL, so it adds nothing); None when every
    cell is secret, or there is none. ``secret_note`` says how many cells a total leaves out."""
    values = series.dropna()
    return None if values.empty else float(values.sum())


@dataclass(frozen=True)
class LikeForLike:
    """A figure over a period's complete months and the same months a year before, on the
    months published both years only (a secret or unpublished month on either side leaves
    the comparison, not a gap that reads as a fall)."""

    value: float | None  # over every published month of the period
    now: float | None  # over the months published both years
    before: float | None
    months: int  # months compared
    of: int  # months in the period

    @property
    def change(self) -> float | None:
        if self.now is None or self.before in (None, 0):
            return None
        return (self.now - self.before) / abs(self.before)


def months_of(df: pd.DataFrame, month: str) -> list[date]:
    return [t.date() for t in pd.to_datetime(df[month])]


def same_months(now: pd.DataFrame, before: pd.DataFrame, columns: list[str], month: str) -> pd.DataFrame:
    """Rows of ``now`` and ``before`` (a year earlier) side by side by month, suffixes ``_n`` and
    ``_n1``, only the months where every one of ``columns`` is published both years."""
    if now.empty or before.empty:
        return pd.DataFrame(columns=[month] + [c + s for c in columns for s in ("_n", "_n1")])
    moved = before[[month, *columns]].assign(**{month: [add_months(m, 12) for m in months_of(before, month)]})
    paired = now[[month, *columns]].assign(**{month: months_of(now, month)})
    paired = paired.merge(moved, on=month, suffixes=("_n", "_n1"))
    return paired.dropna(subset=[c + s for c in columns for s in ("_n", "_n1")])


def like_for_like(now: pd.DataFrame, before: pd.DataFrame, column: str, month: str, months: int) -> LikeForLike:
    """The sum of ``column`` over the period and, on the months published both years, against a year before."""
    paired = same_months(now, before, [column], month)
    if paired.empty:
        return LikeForLike(total(now[column]) if not now.empty else None, None, None, 0, months)
    return LikeForLike(
        total(now[column]),
        float(paired[column + "_n"].sum()),
        float(paired[column + "_n1"].sum()),
        len(paired),
        months,
    )
