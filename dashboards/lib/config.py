"""What the dashboards and the Monday report read, and where: the published file and the
accounts file, from the environment, with defaults under the repository's ``data/``.

The dashboards need nothing else of the warehouse's configuration, and import nothing of the
pipeline: they meet it only through the published file.
"""

from __future__ import annotations

import os
from pathlib import Path

PUBLISHED_ENV = "MGREEN_PUBLISHED_PATH"
AUTH_FILE_ENV = "MGREEN_DASHBOARD_AUTH_FILE"
# The repository's data folder (dashboards/lib/config.py -> the repository).
DATA_DIR = Path(__file__).resolve().parents[2] / "data"


def _path(name: str, default: Path) -> Path:
    # A relative path given in the environment is taken from the current directory, as the
    # pipeline's settings take it.
    value = os.environ.get(name, "").strip()
    return Path(value).absolute() if value else default


def published_path() -> Path:
    """The published marts file (``MGREEN_PUBLISHED_PATH``), the only data the dashboards open."""
    return _path(PUBLISHED_ENV, DATA_DIR / "published" / "marts.duckdb")


def auth_file() -> Path:
    """The accounts file (``MGREEN_DASHBOARD_AUTH_FILE``), written by ``mgreen users``."""
    return _path(AUTH_FILE_ENV, DATA_DIR / "dashboards" / "auth.yaml")
