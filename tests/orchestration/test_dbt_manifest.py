"""dbt's manifest follows the project's files: any change of paths or contents is seen."""

import shutil

import pytest

from orchestration.lib.dbt_manifest import project_fingerprint
from orchestration.project import DBT_PROJECT_DIR


@pytest.fixture
def project(tmp_path):
    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    return copy


MART = "models/marts/service/mart_satisfaction_monthly.sql"
YAML = "models/marts/service/_service__models.yml"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda p: (p / MART).unlink(), id="model deleted"),
        pytest.param(lambda p: (p / MART).rename(p / MART.replace("satisfaction", "satisfaction_v2")), id="renamed"),
        pytest.param(lambda p: (p / "models/marts/mart_copy.sql").write_text("select 1 as x"), id="model added"),
        pytest.param(lambda p: (p / YAML).write_text((p / YAML).read_text() + "\n# reviewed\n"), id="yaml only"),
        pytest.param(lambda p: (p / MART).write_text((p / MART).read_text() + "\n-- reviewed\n"), id="sql edited"),
        pytest.param(
            lambda p: (p / "macros" / "new_macro.sql").write_text("{% macro m() %}1{% endmacro %}"), id="macro"
        ),
    ],
)
def test_every_change_of_the_project_changes_its_fingerprint(project, change):
    before = project_fingerprint(project)
    change(project)
    assert project_fingerprint(project) != before


def test_what_dbt_writes_does_not_change_the_fingerprint(project):
    """dbt's own output (target/, logs/, .user.yml) is not the project: a parse or a build
    must not make the manifest look stale."""
    before = project_fingerprint(project)
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text("{}")
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("log")
    (project / ".user.yml").write_text("id: x")
    assert project_fingerprint(project) == before
