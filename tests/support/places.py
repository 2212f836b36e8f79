"""Copies of a test place and the content of a published file, for tests that run more nights."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import Place, make_place, table_rows


def copy_place(src: Place, root: Path) -> Place:
    """The CRM, logs, warehouse and published file of ``src``, copied under ``root``."""
    place = make_place(root)
    for a, b in ((src.sqlite, place.sqlite), (src.warehouse, place.warehouse), (src.published, place.published)):
        b.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(a, b)
    shutil.copytree(src.web_dir, place.web_dir)
    return place


def marts_content(path: Path) -> dict[str, list]:
    """Every mart of a published file, its rows sorted."""
    tables = [
        r[0]
        for r in table_rows(
            path, "select table_name from information_schema.tables where table_name like 'mart_%' order by 1"
        )
    ]
    return {t: table_rows(path, f"select * from {t} order by all") for t in tables}
