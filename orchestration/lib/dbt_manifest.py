"""dbt's manifest, kept in step with the project's files.

dagster-dbt builds the job's assets and checks from ``target/manifest.json`` when the
definitions load. A manifest older than the project describes models that are gone (a model
deleted or renamed) or misses new ones; the job then plans steps dbt will never run. File
times cannot tell: a deleted file has no time, and a checkout or a copy sets any time it likes.
So the manifest is stamped with a fingerprint of the project's files (every path and its
content) when dbt parses it, and parsed again whenever the project's fingerprint differs.

Measured on this machine (docs/decisions/0001-one-instant-and-a-fresh-manifest.md): ``dbt
parse`` takes about 5 s with nothing changed (its partial parse), the fingerprint about 20 ms;
so the project is parsed only when it changed, never on every load.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from filelock import FileLock

# Folders dbt writes into, or that no parse reads; dot files (dbt's .user.yml) likewise.
IGNORED_DIRS = frozenset({"target", "logs", "dbt_packages", "dbt_internal_packages", "__pycache__"})
FINGERPRINT_FILE = "mgreen_fingerprint.txt"


class ManifestError(RuntimeError):
    """dbt could not parse the project; the message has dbt's own words."""


def project_files(project_dir: Path) -> list[Path]:
    """Every file dbt may read to parse the project, in a stable order."""
    files = []
    for root, dirs, names in os.walk(project_dir):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS and not d.startswith("."))
        files += [Path(root) / n for n in sorted(names) if not n.startswith(".")]
    return files


def project_fingerprint(project_dir: Path) -> str:
    """A digest of the project's files: their paths and contents (adding, deleting, renaming or
    changing any file changes it)."""
    digest = hashlib.sha256()
    for path in project_files(project_dir):
        digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def manifest_path(project_dir: Path) -> Path:
    return project_dir / "target" / "manifest.json"


def manifest_fingerprint(project_dir: Path) -> str | None:
    """The fingerprint of the project the current manifest was parsed from (None: no manifest,
    or one this module did not parse)."""
    stamp = project_dir / "target" / FINGERPRINT_FILE
    if not manifest_path(project_dir).exists() or not stamp.exists():
        return None
    return stamp.read_text().strip() or None


def ensure_manifest(project_dir: Path) -> str:
    """Parse the project unless its manifest matches its files; returns the fingerprint the
    manifest now matches. Processes that load the definitions at once (the daemon's code
    server, a run worker) parse one at a time."""
    target = project_dir / "target"
    target.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target / ".parse.lock")):
        current = project_fingerprint(project_dir)
        if manifest_fingerprint(project_dir) == current:
            return current
        dbt = Path(sys.executable).with_name("dbt")
        done = subprocess.run(
            [str(dbt), "parse", "--quiet"], cwd=project_dir, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise ManifestError(
                f"dbt could not parse the project {project_dir}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
        stamp = target / FINGERPRINT_FILE
        partial = stamp.with_suffix(".tmp")
        partial.write_text(current + "\n")
        os.replace(partial, stamp)
        return current


def main() -> None:
    """``python -m orchestration.lib.dbt_manifest``: what ``make install`` runs."""
    from orchestration.project import dbt_project_dir

    try:
        ensure_manifest(dbt_project_dir())
    except ManifestError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
