"""Great Expectations plumbing: one ephemeral context per process, validating DataFrames
against suites with result formats that copy no value."""

from __future__ import annotations

import logging
import os
import threading

import pandas as pd

# GX must neither phone home nor draw progress bars in the nightly logs.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
_NO_VALUES = {"result_format": "BASIC", "partial_unexpected_count": 0, "include_unexpected_rows": False}


class Validator:
    """One ephemeral GX context; validates DataFrames against suites without copying values."""

    def __init__(self) -> None:
        import great_expectations as gx

        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        try:
            self.context.variables.progress_bars = {"globally": False, "metric_calculations": False}
        except Exception:  # progress bars are cosmetic; older configs may refuse the field
            pass
        source = self.context.data_sources.add_pandas(name="privacy_guard")
        # One asset and batch definition for every frame: adding assets rewrites GX's config.
        self.batches = source.add_dataframe_asset(name="frame").add_batch_definition_whole_dataframe(name="whole")
        self._n = 0

    def validate(self, df: pd.DataFrame, expectations: list, result_format: dict | None = None):
        """Validate ``df``; returns GX's result for each expectation, in order."""
        if not expectations:
            return []
        self._n += 1
        batch = self.batches.get_batch(batch_parameters={"dataframe": df})
        for position, expectation in enumerate(expectations):
            expectation.meta = {**(expectation.meta or {}), "position": position}
        suite = self.gx.ExpectationSuite(name=f"privacy_guard_{self._n}", expectations=expectations)
        result = batch.validate(suite, result_format=result_format or _NO_VALUES)
        # GX does not keep the suite's order: put each result back in its expectation's place.
        ordered = [None] * len(expectations)
        for item in result.results:
            ordered[item.expectation_config.meta["position"]] = item
        return ordered


_VALIDATOR: Validator | None = None
_VALIDATOR_LOCK = threading.Lock()


def shared_validator() -> Validator:
    """One GX context per process: creating it costs more than most validations."""
    global _VALIDATOR
    with _VALIDATOR_LOCK:
        if _VALIDATOR is None:
            _VALIDATOR = Validator()
        return _VALIDATOR


def prepare_in_background() -> threading.Thread:
    """Import Great Expectations and create the guard's context in a background thread (about
    3 s, single-threaded), for a caller that is about to wait on something else; the guard
    then finds them ready. An error there is left for the guard's own call to raise."""

    def prepare() -> None:
        try:
            shared_validator()
        except Exception:  # the guard creates the context again and raises it there
            pass

    thread = threading.Thread(target=prepare, name="guard-preparation", daemon=True)
    thread.start()
    return thread


def text_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if pd.api.types.is_string_dtype(df[c]) or df[c].dtype == object]


def integer_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if pd.api.types.is_integer_dtype(df[c])]


def pooled(validator: Validator, parts: dict, expectation) -> dict:
    """Each part (a column's values, or some of them) checked by ``expectation(column)``, as
    (passed, failing values): all parts validated at once as one column, and each part alone
    only when that fails."""
    if not parts:
        return {}
    everything = pd.concat(list(parts.values()), ignore_index=True).to_frame("values")
    if validator.validate(everything, [expectation("values")])[0].success:
        return {key: (True, 0) for key in parts}
    outcome = {}
    for key, values in parts.items():
        result = validator.validate(values.to_frame("values"), [expectation("values")])[0]
        outcome[key] = (bool(result.success), int(result.result.get("unexpected_count") or 0))
    return outcome
