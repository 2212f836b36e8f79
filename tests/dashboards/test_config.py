"""The dashboards' own configuration reads the file the pipeline publishes."""

import pytest

from dashboards.lib import config
from orchestration.lib.settings import Settings


@pytest.mark.parametrize("published", [None, "elsewhere/marts.duckdb", "/srv/mgreen/published/marts.duckdb"])
def test_the_dashboards_open_the_file_the_pipeline_publishes(monkeypatch, tmp_path, published):
    monkeypatch.chdir(tmp_path)
    environ = {} if published is None else {config.PUBLISHED_ENV: published}
    monkeypatch.delenv(config.PUBLISHED_ENV, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert config.published_path() == Settings.from_env(environ).published_path
    assert config.published_path().is_absolute()


def test_the_accounts_file_defaults_beside_the_data_and_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(config.AUTH_FILE_ENV, raising=False)
    assert config.auth_file() == config.DATA_DIR / "dashboards" / "auth.yaml"
    monkeypatch.setenv(config.AUTH_FILE_ENV, str(tmp_path / "comptes.yaml"))
    assert config.auth_file() == tmp_path / "comptes.yaml"
