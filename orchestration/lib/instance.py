"""The Dagster instance settings the nightly job relies on, written into ``$DAGSTER_HOME``.

The nightly job is launched by Dagster's daemon (schedule ``nightly_at_two``) and relies on
three instance settings that Dagster leaves off by default:

- ``run_monitoring``: the daemon stops a run past its ``dagster/max_runtime`` tag (one hour on
  the nightly job) only when run monitoring is on; without it a hung night (a CRM connection
  that never answers) would hold the warehouse's lock until someone kills it;
- ``concurrency.runs.max_concurrent_runs: 1``: the warehouse has one writer, so a run launched
  from the UI while the nightly runs waits in the queue instead of failing on the lock;
- ``telemetry`` off: nothing leaves the machine.

An operator's ``dagster.yaml`` is kept as written: a setting it already has (even a different
value) is left alone, and only the missing ones are appended, with their reason. The run limit
counts as set when the file configures the queue in any of Dagster's ways (``concurrency``, or
the older ``run_queue`` and ``run_coordinator``, which Dagster refuses alongside it).
"""

from __future__ import annotations

from pathlib import Path

import yaml

# Each setting: the top-level keys of dagster.yaml that already settle it, and what is appended
# when none is there.
REQUIRED: dict[str, tuple[tuple[str, ...], str]] = {
    "telemetry": (("telemetry",), "telemetry:\n  enabled: false\n"),
    "run_monitoring": (
        ("run_monitoring",),
        "# The daemon stops a run past its dagster/max_runtime tag only with run monitoring on.\n"
        "run_monitoring:\n  enabled: true\n",
    ),
    "concurrency": (
        ("concurrency", "run_queue", "run_coordinator"),
        "# One writer on the warehouse: a run launched while another runs waits in the queue.\n"
        "concurrency:\n  runs:\n    max_concurrent_runs: 1\n",
    ),
}


class InstanceConfigError(ValueError):
    """The instance's dagster.yaml cannot be read."""


def prepare_dagster_home(home: Path) -> list[str]:
    """Create ``home`` and add the settings its ``dagster.yaml`` lacks; returns their names."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    text = config.read_text(encoding="utf-8") if config.exists() else ""
    try:
        present = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise InstanceConfigError(f"{config} is not valid YAML: {exc}") from exc
    if not isinstance(present, dict):
        raise InstanceConfigError(f"{config} must be a mapping of Dagster instance settings")
    missing = [name for name, (keys, _) in REQUIRED.items() if not any(k in present for k in keys)]
    if missing:
        separator = "" if not text or text.endswith("\n") else "\n"
        config.write_text(text + separator + "".join(REQUIRED[name][1] for name in missing), encoding="utf-8")
    return missing
