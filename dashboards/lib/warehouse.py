"""The published file, opened read-only for each query; never the warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from dashboards.lib.config import published_path


class NotPublishedError(RuntimeError):
    """No published file yet."""


def stamp(path: Path | None = None) -> tuple[str, int, int]:
    """Identifies the publication on disk: a new file (rename) gives a new stamp, which
    invalidates every cached query."""
    path = path or published_path()
    try:
        info = path.stat()
    except FileNotFoundError:
        raise NotPublishedError(
            f"Aucune publication n'est disponible ({path}) : la première exécution nocturne n'a pas encore eu lieu."
        ) from None
    return str(path), info.st_ino, info.st_mtime_ns


def read(published: tuple[str, int, int], sql: str, params: list | None = None) -> pd.DataFrame:
    """Run one named query's SQL with bind parameters on the published file."""
    conn = duckdb.connect(published[0], read_only=True)
    try:
        return conn.execute(sql, params or []).df()
    finally:
        conn.close()
