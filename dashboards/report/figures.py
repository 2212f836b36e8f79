"""What the Monday report says, read from the published file only (the dashboards' named
queries, without Streamlit's cache): the last complete month and the twelve complete months
to it against the same months a year before, and the running month apart, provisional."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from dashboards.lib import formatting as fmt
from dashboards.lib.compare import LikeForLike, add_months, like_for_like, total

PARIS = ZoneInfo("Europe/Paris")
STALE_AFTER_HOURS = 36


def _queries():
    """The dashboards' named queries, called directly (``__wrapped__``): no Streamlit runtime here,
    so Streamlit's warning that its cache has no runtime is silenced."""
    from streamlit import logger

    logger.set_log_level("error")
    from dashboards.lib import queries

    return queries


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    before: str  # the same period a year before, as published
    change: str  # "+5,2 %" or "" when nothing compares
    note: str = ""


@dataclass
class Report:
    data_as_of: datetime  # UTC
    month: date  # the last complete month
    running: date
    day: int  # how far the data reach into the running month
    month_figures: list[Figure] = field(default_factory=list)
    year_figures: list[Figure] = field(default_factory=list)
    running_figures: list[tuple[str, str]] = field(default_factory=list)
    orders: pd.DataFrame | None = None  # twelve complete months, for the chart
    orders_before: pd.DataFrame | None = None
    stale: bool = False
    k: int = 5
    month_provisional: bool = False  # the last complete month is not closed yet: rounded totals


def _change(figure: LikeForLike) -> str:
    return "" if figure.change is None else ("+" if figure.change > 0 else "") + fmt.percent(figure.change)


def _figure(label: str, figure: LikeForLike, before_total: float | None, formatter, months: int) -> Figure:
    """The period's published total, the year before's, and the change over the months
    published both years (said when that is fewer than the period's)."""
    note = ""
    if figure.change is None:
        note = "pas de comparaison : aucun mois publié les deux années"
    elif figure.months < months:
        note = (
            f"variation sur les {figure.months} mois publiés les deux années "
            f"({formatter(figure.now)} contre {formatter(figure.before)})"
        )
    before = fmt.NOT_PUBLISHED if before_total is None else formatter(before_total)
    return Figure(label, formatter(figure.value), before, _change(figure), note)


def read_report(published: Path, now: datetime | None = None) -> Report:
    q = _queries()
    from dashboards.lib.warehouse import stamp as stamp_of

    stamp = stamp_of(published)
    publication = q.publication.__wrapped__(stamp)
    as_of = publication["data_as_of"].to_pydatetime().replace(tzinfo=UTC)
    data_day = as_of.astimezone(PARIS).date()
    running = date(data_day.year, data_day.month, 1)
    month = add_months(running, -1)
    start = add_months(month, -11)
    now = now or datetime.now(UTC)
    report = Report(
        as_of,
        month,
        running,
        data_day.day,
        stale=(now - as_of).total_seconds() > STALE_AFTER_HOURS * 3600,
        k=int(publication["min_cell_size"]),
    )

    def over(query, first: date, last: date, *args) -> tuple[pd.DataFrame, pd.DataFrame]:
        return (
            query.__wrapped__(stamp, first, last, *args),
            query.__wrapped__(stamp, add_months(first, -12), add_months(last, -12), *args),
        )

    orders, orders_before = over(q.orders_monthly, start, month, "Tous", "Tous", "Tous")
    clients, clients_before = over(q.clients_monthly, start, month, "Tous")
    sessions, sessions_before = over(q.web_sessions_monthly, start, month)
    unpaid, unpaid_before = over(q.unpaid, month, month, "Tous")
    lines = (
        ("Commandes", orders, orders_before, "n_orders", fmt.number),
        ("Chiffre d'affaires HT", orders, orders_before, "revenue_excl_tax_eur", fmt.euros),
        ("Nouveaux clients", clients, clients_before, "n_new_clients", fmt.number),
        ("Sessions sur le site", sessions, sessions_before, "n_sessions", fmt.number),
    )
    for label, now_df, before_df, column, formatter in lines:
        last = now_df[pd.to_datetime(now_df["month"]).dt.date == month]
        last_before = before_df[pd.to_datetime(before_df["month"]).dt.date == add_months(month, -12)]
        month_figure = like_for_like(last, last_before, column, "month", 1)
        year_figure = like_for_like(now_df, before_df, column, "month", 12)
        report.month_figures.append(_figure(label, month_figure, total(last_before[column]), formatter, 1))
        report.year_figures.append(_figure(label, year_figure, total(before_df[column]), formatter, 12))
    report.month_figures.append(
        _figure(
            "Impayés en fin de mois (montant)",
            like_for_like(unpaid, unpaid_before, "amount_unpaid_eur", "month", 1),
            total(unpaid_before.amount_unpaid_eur),
            fmt.euros,
            1,
        )
    )
    running_orders = q.orders_monthly.__wrapped__(stamp, running, running, "Tous", "Tous", "Tous")
    running_clients = q.clients_monthly.__wrapped__(stamp, running, running, "Tous")
    report.running_figures = [
        ("Commandes", fmt.number(total(running_orders.n_orders))),
        ("Chiffre d'affaires HT", fmt.euros(total(running_orders.revenue_excl_tax_eur))),
        ("Nouveaux clients", fmt.number(total(running_clients.n_new_clients))),
    ]
    report.orders, report.orders_before = orders, orders_before
    periods = q.provisional_periods.__wrapped__(stamp, "mart_orders_monthly")
    report.month_provisional = month in set(pd.to_datetime(periods["period"]).dt.date)
    return report
