"""Dagster definitions, one folder per domain, loaded by ``orchestration/definitions.py``."""
