"""Running the nightly job in a test: in process, on an ephemeral Dagster instance, on a place."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from tests.support.places import Place, copy_source


def run_nightly(place: Place, run_config: dict | None = None, as_of: datetime | None = None):
    """The nightly job, in process, on an ephemeral Dagster instance (settings from the env);
    ``as_of`` (naive UTC) pins the run's instant, otherwise the run's creation."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.lib.run_instant import AS_OF_TAG

    job = defs().resolve_job_def("nightly")
    tags = {AS_OF_TAG: as_of.isoformat()} if as_of else None
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config, tags=tags)
        from orchestration.lib.run_report import explain_failure

        return result, (None if result.success else explain_failure(instance, result.run_id))


def run_in_place(place: Place, k: int = 5, as_of: datetime | None = None) -> None:
    """The nightly job with the place's settings (session fixtures cannot use monkeypatch)."""
    saved = dict(os.environ)
    os.environ.update(place.environ(k))
    os.environ["DAGSTER_HOME"] = str(place.root / "dagster")
    try:
        result, reason = run_nightly(place, as_of=as_of)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert result.success, reason


def published_copy(root: Path, source: Place, k: int = 5) -> Place:
    """A copy of ``source``'s CRM and logs under ``root``, and a nightly run on it with k."""
    place = copy_source(source, root)
    run_in_place(place, k)
    return place
