"""The configuration contract (README.md, "Configuration"), read from the environment at run time.

Defaults live under ``data/`` in the repository. Relative paths given in the environment are
taken from the current directory, as a shell user expects.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestration.project import DATA_DIR


class ConfigurationError(ValueError):
    """A setting is missing or unusable; the message says which and how to fix it."""


DEFAULTS: dict[str, str] = {
    "MGREEN_SOURCE_URL": f"sqlite:///{DATA_DIR / 'source' / 'crm.sqlite'}",
    "MGREEN_WEB_SESSIONS_DIR": str(DATA_DIR / "source" / "web_sessions"),
    "MGREEN_WAREHOUSE_PATH": str(DATA_DIR / "warehouse" / "warehouse.duckdb"),
    "MGREEN_PUBLISHED_PATH": str(DATA_DIR / "published" / "marts.duckdb"),
    "MGREEN_MIN_CELL_SIZE": "5",
}


@dataclass(frozen=True)
class Settings:
    source_url: str
    web_sessions_dir: Path
    warehouse_path: Path
    published_path: Path
    min_cell_size: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            value = env.get(name, "").strip()
            return value or DEFAULTS[name]

        raw_k = get("MGREEN_MIN_CELL_SIZE")
        try:
            k = int(raw_k)
        except ValueError:
            raise ConfigurationError(f"MGREEN_MIN_CELL_SIZE must be a whole number, got {raw_k!r}.") from None
        if k < 2:
            raise ConfigurationError(f"MGREEN_MIN_CELL_SIZE must be at least 2 (statistical secrecy), got {k}.")
        return cls(
            source_url=get("MGREEN_SOURCE_URL"),
            web_sessions_dir=Path(get("MGREEN_WEB_SESSIONS_DIR")).absolute(),
            warehouse_path=Path(get("MGREEN_WAREHOUSE_PATH")).absolute(),
            published_path=Path(get("MGREEN_PUBLISHED_PATH")).absolute(),
            min_cell_size=k,
        )

    @property
    def dbt_target_path(self) -> Path:
        """dbt's artifacts of the nightly runs on this warehouse (no data, no key): one folder
        per warehouse, so that its partial-parse state and run results are not overwritten by
        runs on another warehouse (tests, benchmarks)."""
        return self.warehouse_path.parent / "dbt-target"

    def as_environment(self) -> dict[str, str]:
        """The same settings, absolute, for a child process such as dbt."""
        return {
            "MGREEN_SOURCE_URL": self.source_url,
            "MGREEN_WEB_SESSIONS_DIR": str(self.web_sessions_dir),
            "MGREEN_WAREHOUSE_PATH": str(self.warehouse_path),
            "MGREEN_PUBLISHED_PATH": str(self.published_path),
            "MGREEN_MIN_CELL_SIZE": str(self.min_cell_size),
        }
