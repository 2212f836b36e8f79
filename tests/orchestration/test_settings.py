import pytest

from orchestration.lib.settings import ConfigurationError, Settings
from orchestration.project import DATA_DIR


def test_defaults_live_under_data():
    s = Settings.from_env({})
    assert s.warehouse_path == DATA_DIR / "warehouse" / "warehouse.duckdb"
    assert s.published_path == DATA_DIR / "published" / "marts.duckdb"
    assert s.source_url == f"sqlite:///{DATA_DIR / 'source' / 'crm.sqlite'}"
    assert s.min_cell_size == 5


def test_environment_overrides_and_relative_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = Settings.from_env({"MGREEN_WAREHOUSE_PATH": "w.duckdb", "MGREEN_MIN_CELL_SIZE": "11"})
    assert s.warehouse_path == tmp_path / "w.duckdb" and s.min_cell_size == 11
    assert s.as_environment()["MGREEN_WAREHOUSE_PATH"] == str(tmp_path / "w.duckdb")


@pytest.mark.parametrize("value", ["abc", "1", "0"])
def test_bad_k_is_refused(value):
    with pytest.raises(ConfigurationError, match="MGREEN_MIN_CELL_SIZE"):
        Settings.from_env({"MGREEN_MIN_CELL_SIZE": value})
