"""The binaries a test tier needs (PostgreSQL, Chromium): found, or the tier skips (fails in CI)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def require_binary(path_or_name: str, why: str) -> str:
    """The binary a test tier needs: in CI (MGREEN_CI=1) its absence fails, elsewhere it skips."""
    found = shutil.which(path_or_name) or (path_or_name if Path(path_or_name).exists() else None)
    if found:
        return found
    message = f"{path_or_name} is not installed ({why}); .ci/run installs it with apt-get."
    if os.environ.get("MGREEN_CI"):
        pytest.fail(message)
    pytest.skip(message)
