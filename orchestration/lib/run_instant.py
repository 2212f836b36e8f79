"""The run's instant: taken once, when the run is created, and used by every step.

Everything a night computes depends on "now": the session logs' look-back, the retention
cutoffs and the periods they cut, the last month the marts publish, the publication's "data as
of". A run that read the clock in each step would compute them at different instants: one that
starts at 23:59:59 on the last day of a month would load and purge in December and build the
marts in January. So a run has one instant, read from the run itself: the ``mgreen/as_of`` tag
when it carries one (tests, a replay), otherwise the moment Dagster created the run. Both are
stored with the run, so every step, in any process, reads the same value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

AS_OF_TAG = "mgreen/as_of"
# The dbt plugin reads the instant from this variable of dbt's environment (never dbt's own
# ``--vars``: a new value each night would cost dbt a full parse, docs/decisions).
AS_OF_ENV = "MGREEN_RUN_AS_OF"


class RunInstantError(ValueError):
    """The run's ``mgreen/as_of`` tag is unusable; the message says why."""


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant as naive UTC (the CRM's convention); no offset means UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise RunInstantError(
            f"The run's {AS_OF_TAG} tag must be an ISO 8601 instant such as 2026-12-31T23:59:59Z, got {text!r}."
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def run_instant(tags: Mapping[str, str], created_at: datetime) -> datetime:
    """The instant of a run with these tags, created at ``created_at`` (aware), as naive UTC to
    the second. An instant after the run's creation is refused: retention at a future instant
    would purge rows their periods still keep."""
    created = created_at.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    if AS_OF_TAG not in tags:
        return created
    instant = parse_instant(tags[AS_OF_TAG]).replace(microsecond=0)
    if instant > created:
        raise RunInstantError(
            f"The run's {AS_OF_TAG} tag ({instant.isoformat()} UTC) is after the run was created "
            f"({created.isoformat()} UTC): a night cannot be computed as of the future."
        )
    return instant


def as_text(instant: datetime) -> str:
    """The instant as dbt's plugin and the run's metadata read it."""
    return instant.strftime("%Y-%m-%d %H:%M:%S")
