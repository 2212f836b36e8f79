"""The Dagster instance settings `mgreen` writes into $DAGSTER_HOME (orchestration/lib/instance.py)."""

import pytest
import yaml

from orchestration.lib.instance import REQUIRED, InstanceConfigError, prepare_dagster_home


def test_instance_settings_are_added_once_and_never_overwritten(tmp_path):
    home = tmp_path / "home"
    assert prepare_dagster_home(home) == list(REQUIRED)
    first = (home / "dagster.yaml").read_text()
    assert yaml.safe_load(first) == {
        "telemetry": {"enabled": False},
        "run_monitoring": {"enabled": True},
        "concurrency": {"runs": {"max_concurrent_runs": 1}},
    }
    assert prepare_dagster_home(home) == []
    assert (home / "dagster.yaml").read_text() == first
    # An operator's file, without a final newline and with a choice of their own.
    (home / "dagster.yaml").write_text("# ours\nconcurrency:\n  runs:\n    max_concurrent_runs: 3")
    assert prepare_dagster_home(home) == ["telemetry", "run_monitoring"]
    text = (home / "dagster.yaml").read_text()
    assert text.startswith("# ours\nconcurrency:\n  runs:\n    max_concurrent_runs: 3\n")
    assert yaml.safe_load(text)["concurrency"] == {"runs": {"max_concurrent_runs": 3}}


@pytest.mark.parametrize("older", ["run_queue:\n  max_concurrent_runs: 2\n", "run_coordinator:\n  module: x\n"])
def test_a_queue_configured_the_older_way_is_left_as_it_is(tmp_path, older):
    """Dagster refuses `concurrency` beside `run_queue` or `run_coordinator`: adding it would
    stop every run from starting."""
    (tmp_path / "dagster.yaml").write_text(older)
    assert prepare_dagster_home(tmp_path) == ["telemetry", "run_monitoring"]
    assert "concurrency" not in yaml.safe_load((tmp_path / "dagster.yaml").read_text())


def test_the_settings_added_make_an_instance_dagster_accepts(tmp_path):
    from dagster import DagsterInstance

    prepare_dagster_home(tmp_path)
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_monitoring_enabled
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1


@pytest.mark.parametrize("content", ["run_queue: [unclosed\n", "- a list\n"])
def test_an_unreadable_instance_file_is_refused_and_left_as_it_was(tmp_path, content):
    (tmp_path / "dagster.yaml").write_text(content)
    with pytest.raises(InstanceConfigError, match="dagster.yaml"):
        prepare_dagster_home(tmp_path)
    assert (tmp_path / "dagster.yaml").read_text() == content
