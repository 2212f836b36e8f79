"""Time helpers: instants are int64 seconds since the Unix epoch (UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np

DAY = 86_400
HOUR = 3_600
# An event that never happens: far beyond any projection instant, and safe to add delays to.
NEVER = np.int64(2**62)


def day_start(d: date) -> int:
    """The instant 00:00:00 UTC of ``d``."""
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def end_of_day(d: date) -> int:
    """The last second of ``d`` (UTC): the projection instant of a CRM 'as of d'."""
    return day_start(d) + DAY - 1


def month_of(seconds: np.ndarray) -> np.ndarray:
    """Calendar month (1-12) of instants."""
    months = seconds.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    return months % 12 + 1


def day_weights(days: np.ndarray, origin: int) -> np.ndarray:
    """Relative activity of each day (epoch day numbers): seasons, weekdays, growth.

    Renovation demand peaks from October to February, dips in August; weekends are quiet;
    the business grows about 12 % a year.
    """
    dt = days.astype("datetime64[D]")
    month = dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
    season = np.array([0, 1.20, 1.10, 1.00, 0.90, 0.80, 0.72, 0.62, 0.45, 0.95, 1.30, 1.40, 1.05])[month]
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    week = np.where(weekday < 5, 1.0, np.where(weekday == 5, 0.55, 0.30))
    growth = 1.12 ** ((days - origin) / 365.25)
    return season * week * growth


def business_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after midnight UTC for human activity in Paris (about 7h-21h local)."""
    hours = rng.choice(
        np.arange(5, 21),
        size=n,
        p=np.array([1, 3, 6, 8, 9, 9, 7, 7, 8, 8, 8, 7, 6, 6, 4, 3], dtype=float) / 100,
    )
    return hours * HOUR + rng.integers(0, HOUR, size=n)


def lognormal_seconds(rng: np.random.Generator, n: int, median_days: float, sigma: float) -> np.ndarray:
    """Delays with a long right tail, as human delays have."""
    return (rng.lognormal(np.log(median_days), sigma, size=n) * DAY).astype(np.int64)


def uniform_seconds(rng: np.random.Generator, n: int, low_days: float, high_days: float) -> np.ndarray:
    return (rng.uniform(low_days, high_days, size=n) * DAY).astype(np.int64)
