"""The retention rules of the privacy policy, in one readable table.

Each rule names the policy's sentence it implements (the retention section of the privacy
policy, summarised in docs/ingestion.md), its period, the SQL that selects what is past it and
the clocks that say what it keeps. The SQL reads the temp tables ``retention._prepare`` builds
for the run (``_contact_person``, ``_person_last_heard``, ``_client_persons``, ``_client_clock``,
``_clients_past_service``, ``_relationship_end``); ``retention.apply_retention`` applies the
rules and ``retention.record_status`` measures their clocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from orchestration.lib.forgetting import names_no_contact


@dataclass(frozen=True)
class RetentionRule:
    name: str
    policy: str
    months: int
    # SQL selecting contact ids to forget entirely (forget_contacts), given :cutoff.
    contacts_sql: str | None = None
    # Or plain deletions: (table, where clause given :cutoff).
    deletions: tuple[tuple[str, str], ...] = ()
    # A period the rule empties up to its cutoff whatever it deletes (log files older than the
    # cutoff are not even loaded): recorded as cut up to the cutoff, each night.
    empties: str | None = None
    # What the rule's clock reads on what it keeps: (table the SQL needs, SQL selecting one
    # ``clock`` per item the rule judges, a person or a row). Measured after the purge
    # (``retention_status``): the oldest is the one closest to going, and none may be past.
    clocks: tuple[tuple[str, str], ...] = ()


# The rules' version. A warehouse whose raw layer older rules purged is reloaded in full once
# (raw_layer.refresh_raw), so that what the current rules keep comes back from the CRM:
# 1 recorded the cuts (contacts judged one by one), 2 judges a person's contacts together, 3
# takes whoever was billed for a client.
RULES_VERSION = 3
# How ops.gdpr_events names a retention purge (kind; the rule is the rule's name).
RETENTION = "retention"

# A row whose contact id is missing or names no contact of raw.
_NO_CONTACT = names_no_contact()
# A quote of no contact that no order refers to, collected more than three years ago.
_QUOTE_NO_ORDER = f"{_NO_CONTACT} and quote_id not in (select quote_id from raw.orders where quote_id is not null)"
_UNLINKED_QUOTE = f"{_QUOTE_NO_ORDER} and least(created_at, updated_at) < $cutoff"

# The tables of a client's prospecting and loyalty data.
_PROSPECTING = ("consents", "requests", "calls", "simulations", "survey_responses")

RULES: tuple[RetentionRule, ...] = (
    RetentionRule(
        name="prospects",
        policy="Non-client prospects: 3 years from collection or from the prospect's last contact.",
        months=36,
        contacts_sql=(
            "select contact_id from _contact_person where person in ("
            "select person from _person_last_heard where last_heard < $cutoff "
            "and person not in (select person from _client_persons))"
        ),
        clocks=(
            (
                "contacts",
                "select last_heard as clock from _person_last_heard "
                "where person not in (select person from _client_persons)",
            ),
        ),
    ),
    # A client who contacts M'green again is heard from: as CNIL's référentiel on commercial
    # management counts the last contact coming from the client among the ends of the commercial
    # relationship, the clock runs from the later of the last delivery or service and the
    # person's last contact (the prospects' clock). Judged on deliveries alone, the request a
    # past client sent last month would go tonight.
    RetentionRule(
        name="client_prospecting",
        policy=(
            "Prospecting and loyalty data of clients: 3 years from the last delivery or the end of the last service."
        ),
        months=36,
        deletions=tuple(
            (table, "contact_id in (select contact_id from _clients_past_service)") for table in _PROSPECTING
        ),
        clocks=tuple(
            (
                table,
                "select c.clock from _client_clock c where c.person in (select p.person from _contact_person p "
                f"join raw.{table} t on t.contact_id = p.contact_id)",
            )
            for table in _PROSPECTING
        ),
    ),
    RetentionRule(
        name="billing",
        policy="Order, contract and billing data: the relationship plus 10 years.",
        months=120,
        contacts_sql=(
            "select contact_id from _contact_person where person in ("
            "select person from _relationship_end group by person having max(relationship_end) < $cutoff) "
            "union select contact_id from _relationship_end where person is null and relationship_end < $cutoff"
        ),
        clocks=(
            (
                "orders",
                "select max(relationship_end) as clock from _relationship_end where person is not null group by person "
                "union all select relationship_end from _relationship_end where person is null",
            ),
        ),
    ),
    RetentionRule(
        name="opposition_lists",
        policy="Opposition lists: 3 years from collection.",
        months=36,
        deletions=(("consents", "not granted and recorded_at < $cutoff"),),
        clocks=(("consents", "select recorded_at as clock from raw.consents where not granted"),),
    ),
    RetentionRule(
        name="browsing_data",
        policy="Cookies and browsing data: 13 months.",
        months=13,
        deletions=(
            ("web_sessions", "started_at < $cutoff"),
            ("web_sessions_quarantine", "source_file < strftime($cutoff, '%Y-%m-%d') || '.jsonl'"),
        ),
        empties="web_sessions.started_at",
        clocks=(
            ("web_sessions", "select started_at as clock from raw.web_sessions"),
            (
                "web_sessions_quarantine",
                # a log file is kept while its day has not wholly passed the cutoff
                "select try_strptime(source_file, '%Y-%m-%d.jsonl') + interval 1 day as clock "
                "from raw.web_sessions_quarantine",
            ),
        ),
    ),
    # The CRM's rows that no contact reaches: calls it could not match (the caller's number is a
    # direct identifier), simulations of visitors who stayed anonymous (their household's tax
    # income, postcode and home), and rows whose contact id names no contact of raw (the CRM's
    # dirty references, or a row the CRM sent again after retention purged its person). No
    # person carries them to a rule above, so they were kept for ever. Whoever called,
    # simulated, consented, asked or got a quote is at most a prospect to M'green: three years
    # from the collection (from when the CRM wrote the row when that date is later, a typing
    # error). A quote an order refers to is the order's, and stays. No mart counts these rows
    # (the funnel joins requests and quotes to their contact): no period is cut.
    RetentionRule(
        name="unlinked_prospects",
        policy="Non-client prospects: 3 years from collection or from the prospect's last contact.",
        months=36,
        deletions=(
            ("calls", f"{_NO_CONTACT} and least(started_at, updated_at) < $cutoff"),
            ("simulations", f"{_NO_CONTACT} and least(created_at, updated_at) < $cutoff"),
            ("consents", f"{_NO_CONTACT} and least(recorded_at, updated_at) < $cutoff"),
            ("requests", f"{_NO_CONTACT} and least(created_at, updated_at) < $cutoff"),
            ("quote_lines", f"quote_id in (select quote_id from raw.quotes where {_UNLINKED_QUOTE})"),
            ("quotes", _UNLINKED_QUOTE),
        ),
        clocks=(
            *(
                (table, f"select least({column}, updated_at) as clock from raw.{table} where {_NO_CONTACT}")
                for table, column in (
                    ("calls", "started_at"),
                    ("simulations", "created_at"),
                    ("consents", "recorded_at"),
                    ("requests", "created_at"),
                )
            ),
            (
                "quotes",
                f"select least(created_at, updated_at) as clock from raw.quotes where {_QUOTE_NO_ORDER}",
            ),
        ),
    ),
)


def cutoff(at: datetime, months: int) -> datetime:
    """``at`` minus whole months (the last day of the month when the day does not exist)."""
    year, month = divmod(at.year * 12 + at.month - 1 - months, 12)
    month += 1
    day = at.day
    while True:
        try:
            return at.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1
