"""One instant per run: read from the run's tag, or the run's creation; never the future."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from orchestration.lib.run_instant import AS_OF_TAG, RunInstantError, parse_instant, run_instant

CREATED = datetime(2026, 12, 31, 22, 59, 59, 654321, tzinfo=UTC)


def test_without_a_tag_the_instant_is_the_runs_creation_to_the_second():
    assert run_instant({}, CREATED) == datetime(2026, 12, 31, 22, 59, 59)
    paris = timezone(timedelta(hours=1))
    assert run_instant({}, CREATED.astimezone(paris)) == datetime(2026, 12, 31, 22, 59, 59)


def test_a_tag_gives_the_instant_in_utc_whatever_its_offset():
    assert run_instant({AS_OF_TAG: "2026-12-31T23:59:58+01:00"}, CREATED) == datetime(2026, 12, 31, 22, 59, 58)
    assert run_instant({AS_OF_TAG: "2026-12-31T22:59:58Z"}, CREATED) == datetime(2026, 12, 31, 22, 59, 58)
    assert run_instant({AS_OF_TAG: "2026-12-31 22:59:58"}, CREATED) == datetime(2026, 12, 31, 22, 59, 58)


def test_an_instant_after_the_runs_creation_is_refused():
    with pytest.raises(RunInstantError, match="after the run was created"):
        run_instant({AS_OF_TAG: "2027-01-01T00:00:00Z"}, CREATED)


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", ""])
def test_a_malformed_tag_says_what_it_expects(text):
    with pytest.raises(RunInstantError, match="ISO 8601"):
        parse_instant(text)
