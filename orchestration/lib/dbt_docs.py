"""dbt's documentation site (``make docs``): descriptions, columns, tests and lineage from the CRM's
sources to the dashboard pages (the exposures), built without the key or any data.

``dbt docs generate`` compiles the project and asks a warehouse for its catalog, so it needs a
connection, and the profile's plugin refuses a connection without a pseudonymisation key. Here
the connection is a throw-away empty DuckDB file and the key a throw-away random one, made for
this build, held in the child's environment only (never printed, never written: the models call
the HMAC by name, and the plugin reads the key outside ``env_var()``). The catalog is left empty
(``--empty-catalog``): the site describes the project, never what a warehouse holds. The
environment's other ``MGREEN_*`` settings are not passed on, so the site is the same on a
server and on a laptop (k at its default, 5).

dbt writes into ``<out>/build`` (its target and logs, kept for its partial parse), never into
the project's ``target/``, which Dagster reads; the site is one file, ``<out>/site/index.html``
(dbt's ``static_index.html``: manifest and catalog inlined), which a browser opens as it is.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from orchestration.lib.pseudonymisation import KEY_ENV


class DocsError(RuntimeError):
    """dbt could not build the documentation; the message has the end of dbt's output."""


@dataclass(frozen=True)
class DocsSite:
    index: Path  # the single-file site
    seconds: float

    @property
    def size_bytes(self) -> int:
        return self.index.stat().st_size


def docs_environ(warehouse: Path, key: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment dbt runs in: the caller's, without any ``MGREEN_*`` setting (no production
    path, key or k), with the empty warehouse and the throw-away key."""
    base = os.environ if environ is None else environ
    env = {name: value for name, value in base.items() if not name.startswith("MGREEN_")}
    env["MGREEN_WAREHOUSE_PATH"] = str(warehouse)
    env[KEY_ENV] = key
    return env


def build_docs(project_dir: Path, out_dir: Path, key: str | None = None) -> DocsSite:
    """Generate dbt's documentation of ``project_dir`` into ``out_dir/site/index.html``.

    ``key`` is for tests (to look for it in what was written); by default a random one."""
    started = time.monotonic()
    build = out_dir / "build"
    site = out_dir / "site"
    build.mkdir(parents=True, exist_ok=True)
    warehouse = build / "empty.duckdb"
    for stale in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        stale.unlink(missing_ok=True)
    dbt = Path(sys.executable).with_name("dbt")
    done = subprocess.run(
        [
            str(dbt),
            "docs",
            "generate",
            "--static",
            "--empty-catalog",
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
            "--target-path",
            str(build / "target"),
            "--log-path",
            str(build / "logs"),
        ],
        cwd=project_dir,
        env=docs_environ(warehouse, key or secrets.token_urlsafe(48)),
        capture_output=True,
        text=True,
        check=False,
    )
    warehouse.unlink(missing_ok=True)  # empty, and of no use once the catalog is written
    static = build / "target" / "static_index.html"
    if done.returncode != 0 or not static.exists():
        raise DocsError(f"dbt could not build the documentation:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    site.mkdir(parents=True, exist_ok=True)
    partial = site / ".index.html.tmp"
    shutil.copyfile(static, partial)
    os.replace(partial, site / "index.html")
    return DocsSite(site / "index.html", time.monotonic() - started)


def main() -> None:
    """``python -m orchestration.lib.dbt_docs [OUT_DIR]``: what ``make docs`` runs (default
    ``data/docs``)."""
    from orchestration.project import DATA_DIR, REPO_ROOT, dbt_project_dir

    out_dir = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else DATA_DIR / "docs"
    print("Building dbt's documentation (empty throw-away warehouse and key, no data)...", flush=True)
    try:
        docs = build_docs(dbt_project_dir(), out_dir)
    except DocsError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)

    def shown(path: Path) -> Path:
        return path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path

    index = docs.index
    print(
        f"Documentation built in {docs.seconds:.0f} s: {shown(index)} ({docs.size_bytes / 1e6:.1f} MB, one file).\n"
        f"Open it in a browser: {index.as_uri()}\n"
        f"or serve it (what `dbt docs serve` does): {shown(Path(sys.executable))} -m http.server 8080 "
        f"--directory {shown(index.parent)}, then http://localhost:8080"
    )


if __name__ == "__main__":
    main()
