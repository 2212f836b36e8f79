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
        "run_queue": {"max_concurrent_runs": 1},
    }
    assert prepare_dagster_home(home) == []
    assert (home / "dagster.yaml").read_text() == first
    # An operator's file, without a final newline and with a choice of their own.
    (home / "dagster.yaml").write_text("# ours\nrun_queue:\n  max_concurrent_runs: 3")
    assert prepare_dagster_home(home) == ["telemetry", "run_monitoring"]
    text = (home / "dagster.yaml").read_text()
    assert text.startswith("# ours\nrun_queue:\n  max_concurrent_runs: 3\n")
    assert yaml.safe_load(text)["run_queue"] == {"max_concurrent_runs": 3}


@pytest.mark.parametrize("content", ["run_queue: [unclosed\n", "- a list\n"])
def test_an_unreadable_instance_file_is_refused_and_left_as_it_was(tmp_path, content):
    (tmp_path / "dagster.yaml").write_text(content)
    with pytest.raises(InstanceConfigError, match="dagster.yaml"):
        prepare_dagster_home(tmp_path)
    assert (tmp_path / "dagster.yaml").read_text() == content
