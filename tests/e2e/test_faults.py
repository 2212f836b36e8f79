"""The nightly run's word: one instant per run, and a fault at any step fails the night cleanly.

Every run here goes through `mgreen run`'s own function (orchestration.cli.run.run_nightly) on a CRM
that ends the day before the last day of last month, as of that day's last second in Paris
(a month other than the real clock's: any part that read the clock would show).

The faults are injected one night after the other, in the order of the night's steps: each
night must end with exit 1 (2 for a bad configuration) and a message naming the step, and leave
the published file and the kept history byte for byte. Because each fault sits at a later step
than the one before, the night after a fault runs normally through the step that failed, from
the state that failure left, until its own fault; the last night runs whole and must publish
exactly what the uninterrupted night published, with the same record of removals.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from dagster import DagsterInstance

from orchestration.project import DBT_PROJECT_DIR
from synthetic_crm.engine import generate
from tests.support.places import SMALL, make_place
from tests.support.tables import table_rows

pytestmark = pytest.mark.e2e
PARIS = ZoneInfo("Europe/Paris")


def last_second_of_previous_month(today: date) -> datetime:
    """23:59:59 in Paris on the last day of the month before ``today``'s, as aware UTC."""
    month_start = datetime(today.year, today.month, 1, tzinfo=PARIS)
    return (month_start - timedelta(seconds=1)).astimezone(UTC)


# The month end: always in the past, and a month other than the real clock's.
INSTANT = last_second_of_previous_month(datetime.now(PARIS).date())
CRM = dataclasses.replace(
    SMALL, start=INSTANT.date() - timedelta(days=1 + 1423), end=INSTANT.astimezone(PARIS).date() - timedelta(days=1)
)


@pytest.fixture(scope="module")
def month_end_source(tmp_path_factory):
    place = make_place(tmp_path_factory.mktemp("month-end-crm"))
    generate(CRM, place.source_url, place.web_dir)
    return place


@pytest.fixture(scope="module")
def sandbox_project(tmp_path_factory):
    """A copy of the dbt project that faults may edit (MGREEN_DBT_PROJECT_DIR)."""
    copy = tmp_path_factory.mktemp("dbt") / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    return copy


def fresh_place(root: Path, source) -> object:
    place = make_place(root)
    place.sqlite.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source.sqlite, place.sqlite)
    shutil.copytree(source.web_dir, place.web_dir)
    return place


def use(monkeypatch, place, project: Path) -> None:
    for name, value in place.environ().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DAGSTER_HOME", str(place.root / "dagster"))
    monkeypatch.setenv("MGREEN_DBT_PROJECT_DIR", str(project))


def night(capsys, as_of: datetime = INSTANT) -> tuple[int, str]:
    """`mgreen run` in this process, as of ``as_of``: (exit code, what it printed). Dagster's
    instance is in memory here: the runs' SQLite storage is `mgreen run`'s own concern, tested
    through the command itself (test_nightly, test_daemon), and costs seconds a run."""
    from orchestration.cli.run import run_nightly

    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(DagsterInstance, "get", staticmethod(DagsterInstance.ephemeral))
        try:
            code = run_nightly(as_of=as_of)
        except SystemExit as exc:
            code = exc.code
    out = capsys.readouterr()
    return code, out.out + out.err


def marts(path: Path) -> dict[str, list]:
    tables = [r[0] for r in table_rows(path, "select table_name from information_schema.tables order by 1")]
    return {t: table_rows(path, f"select * from {t} order by all") for t in tables if t.startswith("mart_")}


def removals(warehouse: Path) -> list[tuple]:
    """Everything the nights recorded as removed, summed (the DPO's record)."""
    return table_rows(
        warehouse, "select kind, rule, table_name, sum(rows_removed) from ops.gdpr_events group by all order by all"
    )


def kept_state(published: Path) -> dict[str, bytes]:
    """The published file and every kept file, byte for byte, by name."""
    folder = published.parent
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def reference(month_end_source, sandbox_project, tmp_path_factory):
    """An uninterrupted first night on the CRM, as of one second before the month's last."""
    with pytest.MonkeyPatch.context() as mp:
        place = fresh_place(tmp_path_factory.mktemp("reference"), month_end_source)
        use(mp, place, sandbox_project)
        from orchestration.cli.run import run_nightly

        assert run_nightly(as_of=INSTANT - timedelta(seconds=1)) == 0
    return SimpleNamespace(place=place, marts=marts(place.published), removals=removals(place.warehouse))


@pytest.fixture(scope="module")
def faulty_place(reference, tmp_path_factory):
    """The reference's place copied, with its publication also kept in history."""
    place = make_place(tmp_path_factory.mktemp("faults"))
    shutil.copytree(reference.place.root, place.root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("dagster"))
    history = place.published.parent / "history"
    history.mkdir(exist_ok=True)
    shutil.copyfile(place.published, history / "marts-kept.duckdb")
    return place


def test_a_night_is_computed_as_of_its_one_instant_at_the_end_of_a_month(
    reference, faulty_place, sandbox_project, monkeypatch, capsys
):
    """A night as of 23:59:59 on the last day of a month publishes what the night as of 23:59:58
    published (the reference), stamped with its instant; no mart reaches into the next month, and
    retention records its cuts at the instant, whatever the real clock says."""
    use(monkeypatch, faulty_place, sandbox_project)
    code, said = night(capsys, INSTANT)
    assert code == 0, said[-3000:]
    assert marts(faulty_place.published) == reference.marts
    assert table_rows(faulty_place.published, "select data_as_of from publication") == [(INSTANT.replace(tzinfo=None),)]
    last_month = date(INSTANT.astimezone(PARIS).year, INSTANT.astimezone(PARIS).month, 1)
    for table in ("mart_clients_monthly", "mart_unpaid_monthly"):
        assert table_rows(faulty_place.published, f"select max(month) from {table}") == [(last_month,)]
    cuts = table_rows(reference.place.warehouse, "select distinct recorded_at from ops.retention_cuts")
    assert cuts == [((INSTANT - timedelta(seconds=1)).replace(tzinfo=None),)]


# ------------------------------------------------------------------ the fault matrix


def _fail_on_call(n: int, real, message: str):
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise RuntimeError(message)
        return real(*args, **kwargs)

    return wrapper


def _os_error_for(suffix_part: str, real):
    def replace(src, dst, *args, **kwargs):
        if suffix_part in str(src):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real(src, dst, *args, **kwargs)

    return replace


def crm_sqlite_missing(mp, place, project):
    mp.setenv("MGREEN_SOURCE_URL", f"sqlite:///{place.root / 'moved' / 'crm.sqlite'}")


def crm_postgres_down(mp, place, project):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.setenv("MGREEN_SOURCE_URL", f"postgresql://mgreen:secret-password@127.0.0.1:{port}/crm")


def load_interrupted(mp, place, project):
    import orchestration.lib.crm_loader as loader

    mp.setattr(loader, "_merge", _fail_on_call(6, loader._merge, "injected: the load stops in its sixth table"))


def erasures(mp, place, project):
    import orchestration.lib.raw_layer as raw_layer

    mp.setattr(raw_layer, "apply_erasures", _fail_on_call(2, raw_layer.apply_erasures, "injected: erasure pass"))


def retention(mp, place, project):
    import orchestration.lib.retention as retention_module

    # The second rule's purge: the first has committed (and recorded) its removals.
    mp.setattr(
        retention_module,
        "forget_contacts",
        _fail_on_call(2, retention_module.forget_contacts, "injected: retention's second rule"),
    )


def compaction(mp, place, project):
    from orchestration.lib.compaction import mark_needed
    from orchestration.lib.warehouse import writing

    with writing(place.warehouse) as conn:
        mark_needed(conn, "a night with rows forgotten")
    mp.setattr(os, "replace", _os_error_for(".compacting", os.replace))


def model_sql_fails(mp, place, project):
    mart = project / "models" / "marts" / "service" / "mart_satisfaction_monthly.sql"
    original = mart.read_text()
    # The mart is one call to published_mart: wrap it in a query that cannot bind.
    mart.write_text(f"select * from ({original.strip()}) as published where no_such_column\n")
    return lambda: mart.write_text(original)


# A model of the analyst's own, beside the aggregates (a mart would also need its disclosure spec).
ANALYSTS_MODEL = "models/aggregates/agg_satisfaction_copy.sql"


def analyst_adds_a_mart(project) -> None:
    """Before the fault below: an analyst's new model, built by a normal night."""
    from orchestration.cli.run import run_nightly

    (project / ANALYSTS_MODEL).write_text("select * from {{ ref('agg_satisfaction_monthly') }}\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(DagsterInstance, "get", staticmethod(DagsterInstance.ephemeral))
        assert run_nightly(as_of=INSTANT) == 0
    assert ("agg_satisfaction_copy",) in table_rows(
        Path(os.environ["MGREEN_WAREHOUSE_PATH"]), "select table_name from information_schema.tables"
    )


def model_removed_after_loading(mp, place, project):
    """The daemon's case: definitions loaded, then the analyst deletes that model before the run.
    (With definitions loaded after the deletion, the night publishes without it: the last
    night below, whose marts equal the reference's.)"""
    import orchestration.definitions as definitions

    loaded = definitions.defs()
    (project / ANALYSTS_MODEL).unlink()
    mp.setattr(definitions, "defs", lambda: loaded)


model_removed_after_loading.prepare = analyst_adds_a_mart


def guard(mp, place, project):
    import orchestration.defs.guard.checks as checks

    mp.setattr(checks, "run_guard", _fail_on_call(1, checks.run_guard, "injected: the guard's GX context failed"))


def candidate_disk_full(mp, place, project):
    import orchestration.defs.publication.assets as publication

    real = publication.write_candidate

    def write_then_fail(conn, candidate, **kwargs):
        real(conn, candidate, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device", str(candidate))

    mp.setattr(publication, "write_candidate", write_then_fail)


def rename(mp, place, project):
    mp.setattr(os, "replace", _os_error_for(".candidate", os.replace))


def key_missing(mp, place, project):
    mp.delenv("MGREEN_PSEUDONYMISATION_KEY")


def key_gone_during_the_night(mp, place, project):
    """The key file is deleted after the load, before dbt reads it."""
    import orchestration.defs.ingestion.assets as raw_layer

    key_file = place.root / "key.txt"
    key_file.write_text(os.environ["MGREEN_PSEUDONYMISATION_KEY"])
    mp.delenv("MGREEN_PSEUDONYMISATION_KEY")
    mp.setenv("MGREEN_PSEUDONYMISATION_KEY_FILE", str(key_file))
    real = raw_layer.refresh_raw

    def then_lose_the_key(*args, **kwargs):
        result = real(*args, **kwargs)
        key_file.unlink()
        return result

    mp.setattr(raw_layer, "refresh_raw", then_lose_the_key)


# In the order of the night's steps: (fault, exit code, words the message must hold: the step,
# or the setting to fix).
FAULTS = [
    (key_missing, 2, ["MGREEN_PSEUDONYMISATION_KEY"]),
    (crm_sqlite_missing, 1, ["raw_layer", "crm.sqlite"]),
    (crm_postgres_down, 1, ["raw_layer", "Cannot connect to the PostgreSQL CRM"]),
    (load_interrupted, 1, ["raw_layer", "sixth table"]),
    (erasures, 1, ["raw_layer", "erasure pass"]),
    (retention, 1, ["raw_layer", "second rule"]),
    (compaction, 1, ["ops__warehouse_compaction", "No space left"]),
    (key_gone_during_the_night, 1, ["dbt_models", "MGREEN_PSEUDONYMISATION_KEY_FILE"]),
    (model_removed_after_loading, 1, ["dbt_models", "changed after this run's definitions were loaded"]),
    (model_sql_fails, 1, ["mart_satisfaction_monthly", "no_such_column"]),
    (guard, 1, ["privacy_guard", "GX context failed"]),
    (candidate_disk_full, 1, ["published__marts", "No space left"]),
    (rename, 1, ["published__marts", "No space left"]),
]


@pytest.mark.parametrize("fault, code, words", FAULTS, ids=[f.__name__ for f, _, _ in FAULTS])
def test_a_fault_fails_the_night_and_keeps_the_publication(
    fault, code, words, faulty_place, sandbox_project, monkeypatch, capsys
):
    place = faulty_place
    use(monkeypatch, place, sandbox_project)
    if hasattr(fault, "prepare"):
        fault.prepare(sandbox_project)
    before = kept_state(place.published)
    with pytest.MonkeyPatch.context() as mp:
        undo = fault(mp, place, sandbox_project)
        try:
            got, said = night(capsys)
        finally:
            if undo:
                undo()
    assert got == code, said[-3000:]
    for word in words:
        assert word in said, (word, said[-3000:])
    assert "secret-password" not in said and os.environ["MGREEN_PSEUDONYMISATION_KEY"] not in said
    assert "Published" not in said
    assert kept_state(place.published) == before
    assert not list(place.published.parent.glob("*.candidate*"))


def test_the_night_after_the_faults_publishes_what_an_uninterrupted_night_did(
    reference, faulty_place, sandbox_project, monkeypatch, capsys
):
    """And verify last: the file renamed into place is byte for byte the file the guard read."""
    import orchestration.defs.publication.assets as publication

    use(monkeypatch, faulty_place, sandbox_project)
    verified = []
    real = publication.verify_candidate

    def verify_and_remember(conn, candidate, rows, guard):
        report = real(conn, candidate, rows, guard)
        verified.append(hashlib.sha256(candidate.read_bytes()).hexdigest())
        return report

    monkeypatch.setattr(publication, "verify_candidate", verify_and_remember)
    code, said = night(capsys)
    assert code == 0, said[-3000:]
    assert marts(faulty_place.published) == reference.marts
    assert removals(faulty_place.warehouse) == reference.removals
    assert verified == [hashlib.sha256(faulty_place.published.read_bytes()).hexdigest()]


def test_a_new_key_is_a_rotation_not_a_fault(reference, faulty_place, sandbox_project, monkeypatch, capsys):
    """Every pseudonym changes with the key (docs/operations.md); no published figure does."""
    use(monkeypatch, faulty_place, sandbox_project)
    monkeypatch.setenv("MGREEN_PSEUDONYMISATION_KEY", "another-test-key-9876543210-zyxwvutsrqponmlkjih-NOT-REAL")
    code, said = night(capsys)
    assert code == 0, said[-3000:]
    assert marts(faulty_place.published) == reference.marts
