"""The marts' figures against the same figures computed from the CRM in pandas, without dbt.

Each test recomputes one mart's figures from the CRM's tables by the documented definitions and
compares every cell of the mart's aggregate (the restricted warehouse's `aggregates` schema:
each mart publishes its aggregate's rows, with the secret ones emptied), so that secret cells
are checked too. A period the mart leaves out, because retention has cut into it, is simply not
compared; a published period must be whole. The last test checks that every figure published
is its aggregate's cell. The monthly totals of orders also have an oracle in test_nightly.py;
here they are compared broken down.
"""

import dataclasses
import json
import sqlite3
from collections.abc import Callable
from contextlib import contextmanager
from functools import cache

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from text_unidecode import unidecode

from orchestration.project import DBT_PROJECT_DIR
from tests.support.crm_oracle import crm_persons, is_cancelled

pytestmark = pytest.mark.e2e

PARIS = "Europe/Paris"
# The CRM's documented codes, as the staging models accept them (check constraints of their contracts).
INVOICE_STATUSES = {"emise", "payee", "partiellement_payee", "en_retard", "annulee"}
REQUEST_KINDS = {"contact", "devis", "rendez_vous"}
FORMS = ("simulation", "devis", "contact", "rendez_vous")
AID_SCHEMES = {"maprimerenov", "cee", "eco_ptz"}
AID_STATUSES = {"deposee", "accordee", "refusee", "versee"}
ILE_DE_FRANCE = {"75", "77", "78", "91", "92", "93", "94", "95"}
DEVICES = {"mobile", "desktop", "tablet"}


@pytest.fixture(scope="module")
def place(published_place):
    return published_place


@dataclasses.dataclass
class Readers:
    """What the oracles read from a published place: the CRM, the published file and the
    warehouse's aggregates (SQL to a DataFrame), and each contact's person, resolved once in
    Python (tests/support/crm_oracle.py); a contact the CRM does not know (an order's orphan
    contact id) is its own person."""

    crm: Callable[[str], pd.DataFrame]
    published: Callable[[str], pd.DataFrame]
    cells: Callable[[str], pd.DataFrame]
    person_of: Callable[[pd.Series], list[str]]


@contextmanager
def readers(place):
    source = sqlite3.connect(place.sqlite)
    published = duckdb.connect(str(place.published), read_only=True)
    warehouse = duckdb.connect(str(place.warehouse), read_only=True)
    person = crm_persons(source)
    try:
        yield Readers(
            crm=lambda sql: pd.read_sql_query(sql, source),
            published=lambda sql: published.execute(sql).df(),
            cells=lambda sql: warehouse.execute(sql).df(),
            person_of=lambda contact_ids: [person.get(c, f"orphan:{c}") for c in contact_ids],
        )
    finally:
        warehouse.close()
        published.close()
        source.close()


def time_of_run(published) -> pd.Timestamp:
    """When the run computed its figures, in UTC as the CRM's times (its publication, seconds
    later, stands for it)."""
    return pd.Timestamp(published("select published_at from publication").published_at.iloc[0])


@pytest.fixture(scope="module")
def read(place):
    with readers(place) as found:
        yield found


@pytest.fixture(scope="module")
def crm(read):
    return read.crm


@pytest.fixture(scope="module")
def aggregate(read):
    return read.cells


@pytest.fixture(scope="module")
def person_of(read):
    return read.person_of


@pytest.fixture(scope="module")
def published(read):
    return read.published


@pytest.fixture(scope="module")
def run_at(published) -> pd.Timestamp:
    return time_of_run(published)


@pytest.fixture(scope="module")
def run_paris(run_at) -> pd.Timestamp:
    return run_at.tz_localize("UTC").tz_convert(PARIS).tz_localize(None)


@pytest.fixture(scope="module")
def run_month(run_at) -> pd.Timestamp:
    """The run's month in Paris: the marts count nothing dated after it."""
    return paris_month(pd.Series([run_at])).iloc[0]


@cache
def dbt_var(name: str) -> list[str]:
    """A list the dbt project declares (its documented codes), as the models read it."""
    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"][name]


def paris_time(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, utc=True, format="mixed").dt.tz_convert(PARIS).dt.tz_localize(None)


def paris_month(column: pd.Series) -> pd.Series:
    return paris_time(column).dt.to_period("M").dt.to_timestamp()


def nullable(value):
    """A CRM text as Python reads a NULL (pandas reads it as NaN)."""
    return value if isinstance(value, str) else None


def code(column: pd.Series, accepted: set[str]) -> pd.Series:
    """A CRM code as documented ('Accordée ' -> 'accordee'); anything else is 'inconnu'."""

    def fold(value):
        if not isinstance(value, str):
            return None
        plain = unidecode(value).strip().lower().replace(" ", "_")
        return plain if plain in accepted else "inconnu"

    return column.map(fold)


def compare(expected: pd.DataFrame, cells: pd.DataFrame, keys: list[str], measures: list[str]) -> int:
    """Every cell equals the CRM's figure (a cell the CRM has no row for is 0). Returns how many
    rows were compared."""
    cells = cells.copy()
    for key in keys:
        if key.endswith("month"):
            cells[key] = pd.to_datetime(cells[key])
    joined = cells.merge(expected, on=keys, how="left", suffixes=("", "_crm"))
    for measure in measures:
        published = joined[measure].astype(float)
        computed = joined[f"{measure}_crm"].astype(float)
        # A rate or sum of nothing (no answer, no request accepted) is empty on both sides.
        both_empty = published.isna() & computed.isna()
        differ = ~(np.isclose(published, computed.fillna(0), rtol=0, atol=0.005) | both_empty)
        assert not differ.any(), joined.loc[differ, keys + [measure, f"{measure}_crm"]].head(10).to_string()
    return len(joined)


def test_financing_by_month_equals_the_crm(crm, aggregate, run_month):
    requests = crm("select financing_id, status, requested_at, amount_eur from financing_requests")
    requests = requests.assign(
        requested_month=lambda d: paris_month(d.requested_at),
        status=lambda d: code(d.status, {"demandee", "acceptee", "refusee"}),
    )
    requests = requests[requests.requested_month <= run_month]
    expected = (
        requests.assign(
            accepted=requests.status == "acceptee",
            refused=requests.status == "refusee",
            accepted_amount=requests.amount_eur.where(requests.status == "acceptee"),
        )
        .groupby("requested_month")
        .agg(
            n_requests=("financing_id", "size"),
            n_accepted=("accepted", "sum"),
            n_refused=("refused", "sum"),
            amount_requested_eur=("amount_eur", "sum"),
            # a month with no request accepted has no accepted amount (NULL), not 0
            amount_accepted_eur=("accepted_amount", lambda amounts: amounts.sum(min_count=1)),
        )
        .reset_index()
    )
    cells = aggregate("select * from aggregates.agg_financing_monthly where financing_partner = 'Tous'")
    measures = ["n_requests", "n_accepted", "n_refused", "amount_requested_eur", "amount_accepted_eur"]
    assert compare(expected, cells, ["requested_month"], measures) >= 5


def test_after_sales_tickets_opened_and_closed_equal_the_crm(crm, aggregate, run_month):
    tickets = crm("select ticket_id, opened_at, closed_at from service_tickets")
    opened = paris_month(tickets.opened_at)
    closed = paris_month(tickets.closed_at.dropna())
    expected = (
        pd.concat(
            [
                opened[opened <= run_month].value_counts().rename("n_tickets_opened"),
                closed[closed <= run_month].value_counts().rename("n_tickets_closed"),
            ],
            axis=1,
            sort=True,
        )
        .fillna(0)
        .rename_axis("month")
        .reset_index()
    )
    cells = aggregate("select * from aggregates.agg_after_sales_monthly where ticket_category = 'Tous'")
    assert compare(expected, cells, ["month"], ["n_tickets_opened", "n_tickets_closed"]) >= 5


def test_satisfaction_answers_and_nps_equal_the_crm(crm, aggregate, run_month):
    answers = crm("select nps_score, answered_at from survey_responses where answered_at is not null")
    answers = answers[answers.nps_score.notna()].assign(month=lambda d: paris_month(d.answered_at))
    answers = answers[answers.month <= run_month]
    expected = (
        answers.assign(promoter=answers.nps_score >= 9, detractor=answers.nps_score <= 6)
        .groupby("month")
        .agg(n_answers=("nps_score", "size"), n_promoters=("promoter", "sum"), n_detractors=("detractor", "sum"))
        .reset_index()
    )
    expected["nps"] = (expected.n_promoters - expected.n_detractors) / expected.n_answers * 100
    cells = aggregate("select * from aggregates.agg_satisfaction_monthly where n_answers > 0")
    assert compare(expected, cells, ["month"], ["n_answers", "n_promoters", "n_detractors", "nps"]) >= 5


def test_unpaid_invoices_at_each_month_end_equal_the_crm(crm, aggregate, run_paris, run_month):
    """docs/glossary.md, unpaid invoices: at each month's end (the current month's at the run), invoices past
    their due day, not cancelled, issued before and not fully paid by then, and what remains
    due on them after the payments made by then."""
    invoices = crm("select invoice_id, issued_at, due_on, amount_incl_tax_eur, status, updated_at from invoices")
    invoices = invoices.assign(
        status=lambda d: code(d.status, INVOICE_STATUSES),
        amount=lambda d: d.amount_incl_tax_eur.where(d.amount_incl_tax_eur >= 0),
        issued=lambda d: paris_time(d.issued_at),
        due=lambda d: pd.to_datetime(d.due_on, errors="coerce"),
    )
    payments = crm("select payment_id, invoice_id, paid_at, amount_eur from payments").assign(
        paid=lambda d: pd.to_datetime(d.paid_at, format="mixed")
    )
    # Paid when the payments cover the amount (at the first payment that does); marked paid
    # without payment rows: at its last update.
    running = payments.sort_values(["invoice_id", "paid", "payment_id"])
    running["so_far"] = running.groupby("invoice_id").amount_eur.cumsum()
    running = running.merge(invoices[["invoice_id", "amount"]], on="invoice_id")
    settled = running[running.so_far >= running.amount - 0.005].groupby("invoice_id").paid.min()
    paid_at = invoices.invoice_id.map(settled)
    updated = pd.to_datetime(invoices.updated_at, format="mixed")
    invoices["paid"] = paid_at.where(paid_at.notna(), updated.where(invoices.status == "payee"))
    invoices["paid"] = paris_time(invoices.paid)
    payments["paid"] = paris_time(payments.paid_at)
    live = invoices[(invoices.status != "annulee") & invoices.amount.notna()]

    rows = []
    for month in pd.date_range(paris_month(invoices.issued_at).min(), run_month, freq="MS"):
        ends_at = min(month + pd.offsets.MonthBegin(1), run_paris)
        unpaid = live[
            (live.due < ends_at.normalize()) & (live.issued < ends_at) & (live.paid.isna() | (live.paid >= ends_at))
        ]
        paid_by_then = payments[payments.paid < ends_at].groupby("invoice_id").amount_eur.sum()
        remaining = unpaid.amount - unpaid.invoice_id.map(paid_by_then).fillna(0)
        rows.append((month, len(unpaid), remaining.sum()))
    expected = pd.DataFrame(rows, columns=["month", "n_invoices_unpaid", "amount_unpaid_eur"])
    cells = aggregate("select * from aggregates.agg_unpaid_monthly where departement = 'Tous'")
    assert compare(expected, cells, ["month"], ["n_invoices_unpaid", "amount_unpaid_eur"]) >= 5


def test_new_cumulative_and_active_clients_equal_the_crm(crm, person_of, aggregate, run_month):
    """docs/glossary.md, clients: persons (resolved in Python, tests/support/crm_oracle.py) with an order
    that was not cancelled; new in the month of the first such order; active in a month with an
    order, a completed installation, a ticket opened or an invoice issued, once a client."""
    orders = crm("select order_id, contact_id, ordered_at, status, cancelled_at from orders")
    orders["person"] = person_of(orders.contact_id)
    orders["month"] = paris_month(orders.ordered_at)
    kept = [not is_cancelled(nullable(s), nullable(c)) for s, c in zip(orders.status, orders.cancelled_at)]
    first = orders[kept].groupby("person").month.min()
    first = first[first <= run_month]

    installed = crm(
        "select o.contact_id, i.completed_at from installations i join orders o using (order_id) "
        "where i.completed_at is not null"
    )
    tickets = crm("select t.contact_id, t.opened_at from service_tickets t join contacts c using (contact_id)")
    invoiced = crm("select o.contact_id, i.issued_at from invoices i join orders o using (order_id)")
    activity = pd.concat(
        [
            orders[["person", "month"]],
            pd.DataFrame({"person": person_of(installed.contact_id), "month": paris_month(installed.completed_at)}),
            pd.DataFrame({"person": person_of(tickets.contact_id), "month": paris_month(tickets.opened_at)}),
            pd.DataFrame({"person": person_of(invoiced.contact_id), "month": paris_month(invoiced.issued_at)}),
        ]
    ).drop_duplicates()
    activity = activity.merge(first.rename("first_month").rename_axis("person").reset_index(), on="person")
    activity = activity[(activity.month >= activity.first_month) & (activity.month <= run_month)]

    months = pd.date_range(first.min(), run_month, freq="MS")
    new = first.value_counts().reindex(months, fill_value=0)
    active = activity.groupby("month").size().reindex(months, fill_value=0)
    expected = pd.DataFrame(
        {
            "month": months,
            "n_new_clients": new.values,
            "n_active_clients": active.values,
        }
    )
    cells = aggregate("select * from aggregates.agg_clients_monthly where departement = 'Tous'")
    assert compare(expected, cells, ["month"], ["n_new_clients", "n_active_clients"]) >= 40
    assert "n_clients_to_date" not in cells.columns  # a stock beside frozen flows: decision 0003


@pytest.fixture(scope="module")
def first_contacts(crm, person_of, run_at) -> pd.DataFrame:
    """Each person's first contact (a creation date after the run comes first only when all of
    the person's are), with its channel as documented, 'inconnu' when unknown or missing."""
    contacts = crm("select contact_id, acquisition_channel, created_at from contacts")
    contacts["person"] = person_of(contacts.contact_id)
    contacts["created"] = pd.to_datetime(contacts.created_at, format="mixed")
    contacts["future"] = contacts.created > run_at
    first = contacts.sort_values(["future", "created", "contact_id"]).drop_duplicates("person")
    return first.assign(
        cohort_month=paris_month(first.created_at),
        acquisition_channel=code(
            first.acquisition_channel, {"formulaire_web", "telephone", "apporteur", "parrainage", "salon"}
        ).fillna("inconnu"),
    )


def test_funnel_cohorts_equal_the_crm(crm, person_of, first_contacts, aggregate, run_month):
    """docs/glossary.md, funnel: a person's cohort is the month of their first contact (a creation
    date after the run does not count as first), their channel that contact's; each stage
    counts the cohort's persons who ever reached it: a request for a quote or a visit, a quote
    sent, a quote signed, an installation completed, an invoice paid."""
    first = first_contacts[~first_contacts.future & (first_contacts.cohort_month <= run_month)]

    def reached(rows: pd.DataFrame) -> set[str]:
        return set(person_of(rows.contact_id))

    requests = crm("select contact_id, kind from requests")
    invoices = crm("select o.contact_id, i.status from invoices i join orders o using (order_id)")
    stages = {
        "prospect": set(first.person),
        "demande": reached(requests[code(requests.kind, REQUEST_KINDS).isin(["devis", "rendez_vous"])]),
        "devis_envoye": reached(crm("select contact_id from quotes where sent_at is not null")),
        "devis_signe": reached(crm("select contact_id from quotes where signed_at is not null")),
        "installe": reached(
            crm(
                "select o.contact_id from installations i join orders o using (order_id) "
                "where i.completed_at is not null"
            )
        ),
        "paye": reached(invoices[code(invoices.status, INVOICE_STATUSES) == "payee"]),
    }
    counts = []
    for stage, persons in stages.items():
        cohort = first[first.person.isin(persons)]
        name = "n_prospects" if stage == "prospect" else f"n_{stage}"
        by_channel = cohort.groupby(["cohort_month", "acquisition_channel"]).size().rename(name)
        overall = cohort.groupby("cohort_month").size().rename(name).to_frame().assign(acquisition_channel="Tous")
        counts.append(pd.concat([by_channel, overall.set_index("acquisition_channel", append=True)[name]]))
    expected = pd.concat(counts, axis=1).fillna(0).reset_index()
    measures = [c for c in expected.columns if c.startswith("n_")]
    cells = aggregate("select * from aggregates.agg_funnel_cohorts")
    assert compare(expected, cells, ["cohort_month", "acquisition_channel"], measures) >= 100


def departement(*postcodes) -> str:
    """The first postcode that is one (five digits) gives the département: its code in
    Île-de-France, 'hors_idf' elsewhere; 'inconnu' without any."""
    for postcode in postcodes:
        text = postcode.strip(" ") if isinstance(postcode, str) else ""
        if len(text) == 5 and text.isascii() and text.isdigit():
            return text[:2] if text[:2] in ILE_DE_FRANCE else "hors_idf"
    return "inconnu"


def test_orders_by_departement_category_and_channel_equal_the_crm(crm, person_of, first_contacts, aggregate, run_month):
    """docs/glossary.md, orders and revenue, broken down: an order's département is its site's (the
    order's postcode, else its quote's, else its contact's); its channel, the acquisition
    channel of its person's first contact; its categories, those of its quote's lines, each
    counted once, beside the all-categories total. Each dimension has its 'Tous' line. Revenue
    is the quote's amount excluding tax when known and not negative."""
    orders = crm(
        "select o.order_id, o.contact_id, o.ordered_at, o.status, o.cancelled_at, o.site_postcode, "
        "q.site_postcode as quote_postcode, c.postcode as contact_postcode, q.total_excl_tax_eur "
        "from orders o left join quotes q using (quote_id) left join contacts c on c.contact_id = o.contact_id"
    )
    orders = orders.assign(
        person=person_of(orders.contact_id),
        order_month=paris_month(orders.ordered_at),
        departement=[
            departement(*p) for p in zip(orders.site_postcode, orders.quote_postcode, orders.contact_postcode)
        ],
        cancelled=[is_cancelled(nullable(s), nullable(c)) for s, c in zip(orders.status, orders.cancelled_at)],
        revenue=orders.total_excl_tax_eur.where(orders.total_excl_tax_eur >= 0),
    )
    orders = orders[orders.order_month <= run_month]
    channel = first_contacts.set_index("person").acquisition_channel
    orders["acquisition_channel"] = orders.person.map(channel).fillna("inconnu")
    categories = dbt_var("product_categories")
    lines = crm(
        "select o.order_id, p.product_code, p.category from orders o "
        "join quote_lines l on l.quote_id = o.quote_id left join products p on p.product_code = l.product_code"
    )
    # A line whose product or category is missing is 'non_renseignee', an undocumented one 'inconnu'.
    lines["product_category"] = (
        code(lines.category, set(categories)).where(lines.product_code.notna()).fillna("non_renseignee")
    )
    by_category = orders.merge(lines[["order_id", "product_category"]].drop_duplicates(), on="order_id", how="left")
    by_category["product_category"] = by_category.product_category.fillna("non_renseignee")
    rows = pd.concat([by_category, orders.assign(product_category="Tous")])
    rows = rows.assign(
        kept=~rows.cancelled,
        kept_revenue=rows.revenue.where(~rows.cancelled),
        unknown=~rows.cancelled & rows.revenue.isna(),
    )
    expected = []
    for dims in (["departement", "acquisition_channel"], ["departement"], ["acquisition_channel"], []):
        grouped = rows.groupby(["order_month", "product_category", *dims])
        cells = pd.DataFrame(
            {
                "n_orders": grouped.kept.sum(),
                "n_orders_cancelled": grouped.cancelled.sum(),
                "revenue_excl_tax_eur": grouped.kept_revenue.sum(min_count=1),
                "n_orders_revenue_unknown": grouped.unknown.sum(),
            }
        ).reset_index()
        expected.append(cells.assign(**{d: "Tous" for d in {"departement", "acquisition_channel"} - set(dims)}))
    expected = pd.concat(expected)
    keys = ["order_month", "product_category", "departement", "acquisition_channel"]
    cells = aggregate("select * from aggregates.agg_orders_monthly")
    assert compare(expected, cells, keys, ["n_orders", "revenue_excl_tax_eur", "n_orders_revenue_unknown"]) >= 100
    # Where retention has begun to purge prospects' cancelled orders, their count is not
    # published: the other months are whole.
    whole = cells[cells.n_orders_cancelled.notna()]
    assert compare(expected, whole, keys, ["n_orders_cancelled"]) >= 100


@pytest.fixture(scope="module")
def log_sessions(place, crm) -> list[dict]:
    """The sessions of the log files, read with Python's json. A line that is not a session
    (broken, no id or start) is not one; a session written on two days' files (it crossed
    midnight) is one; the sessions of persons whose erasure the CRM executed are forgotten."""
    erased = set(
        crm("select contact_id from privacy_requests where kind = 'effacement' and completed_at is not null").contact_id
    )
    sessions = {}
    for path in sorted(place.web_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and record.get("session_id") and record.get("started_at"):
                sessions[record["session_id"]] = record
    return [s for s in sessions.values() if s.get("contact_id") not in erased]


def log_frame(sessions: list[dict]) -> pd.DataFrame:
    """The sessions' day and month (Paris), source, device and form as documented."""
    sources = set(dbt_var("web_sources"))

    def source(value):
        return value if isinstance(value, str) and value.strip(" ") else "direct"

    started = paris_time(pd.Series([s["started_at"] for s in sessions]))
    return pd.DataFrame(
        {
            "session_date": started.dt.normalize(),
            "session_month": started.dt.to_period("M").dt.to_timestamp(),
            "utm_source": code(pd.Series([source(s.get("utm_source")) for s in sessions]), sources | {"direct"}),
            "device": code(pd.Series([s.get("device") for s in sessions], dtype=object), DEVICES).fillna("inconnu"),
            "form": code(pd.Series([s.get("form") for s in sessions], dtype=object), set(FORMS)),
        }
    )


def test_web_funnel_by_day_equals_the_log_files(log_sessions, aggregate):
    """Web funnel: sessions per day (Paris), and those with a submitted form."""
    frame = log_frame(log_sessions)
    grouped = frame.assign(with_form=frame.form.notna()).groupby("session_date")
    expected = pd.DataFrame(
        {"n_sessions": grouped.size(), "n_sessions_with_form": grouped.with_form.sum()}
    ).reset_index()
    cells = aggregate("select * from aggregates.agg_web_funnel_daily where n_sessions > 0")
    cells["session_date"] = pd.to_datetime(cells.session_date)
    assert compare(expected, cells, ["session_date"], ["n_sessions", "n_sessions_with_form"]) >= 50


def test_web_funnel_by_source_and_device_equals_the_log_files(log_sessions, aggregate):
    """Web funnel by `utm_source` and by `device`, per month (Paris), one dimension at a time: a
    session without a source came direct, an undocumented source or device is 'inconnu';
    sessions, those with a form, and each form."""
    frame = log_frame(log_sessions)
    frame = frame.assign(with_form=frame.form.notna(), **{f"form_{f}": frame.form == f for f in FORMS})
    counts = []
    for dims in (["utm_source"], ["device"], []):
        grouped = frame.groupby(["session_month", *dims])
        cells = pd.DataFrame(
            {
                "n_sessions": grouped.size(),
                "n_sessions_with_form": grouped.with_form.sum(),
                **{f"n_form_{f}": grouped[f"form_{f}"].sum() for f in FORMS},
            }
        ).reset_index()
        counts.append(cells.assign(**{d: "Tous" for d in {"utm_source", "device"} - set(dims)}))
    expected = pd.concat(counts)
    cells = aggregate("select * from aggregates.agg_web_funnel_monthly")
    measures = ["n_sessions", "n_sessions_with_form", *(f"n_form_{f}" for f in FORMS)]
    assert compare(expected, cells, ["session_month", "utm_source", "device"], measures) >= 20


def test_aid_dossiers_equal_the_crm(crm, person_of, aggregate, run_month):
    """Aids: dossiers by scheme and month of submission (Paris): submitted, granted (accordée or
    versée), refused, paid; amounts requested, and granted over granted dossiers; median days
    from submission to decision (calendar days, over decided dossiers). The income categories
    themselves have a dbt unit test at the ceilings' edges (income_category_at_the_threshold_edges)."""
    dossiers = crm(
        "select application_id, contact_id, scheme, status, requested_eur, granted_eur, submitted_at, decided_at "
        "from aid_applications where submitted_at is not null"
    )
    dossiers = dossiers.assign(
        submitted_month=paris_month(dossiers.submitted_at),
        aid_scheme=code(dossiers.scheme, AID_SCHEMES),
        status=code(dossiers.status, AID_STATUSES),
        days=(
            pd.to_datetime(dossiers.decided_at, format="mixed").dt.normalize()
            - pd.to_datetime(dossiers.submitted_at, format="mixed").dt.normalize()
        ).dt.days,
    )
    dossiers = dossiers[dossiers.submitted_month <= run_month].assign(
        granted=lambda d: d.status.isin(["accordee", "versee"]),
        refused=lambda d: d.status == "refusee",
        paid=lambda d: d.status == "versee",
    )
    dossiers["granted_amount"] = dossiers.granted_eur.where(dossiers.granted)
    expected = []
    for dims in (["aid_scheme"], []):
        grouped = dossiers.groupby(["submitted_month", *dims])
        cells = pd.DataFrame(
            {
                "n_dossiers_submitted": grouped.size(),
                "n_dossiers_granted": grouped.granted.sum(),
                "n_dossiers_refused": grouped.refused.sum(),
                "n_dossiers_paid": grouped.paid.sum(),
                "requested_eur": grouped.requested_eur.sum(min_count=1),
                "granted_eur": grouped.granted_amount.sum(min_count=1),
                "median_days_to_decision": grouped.days.median(),
            }
        ).reset_index()
        expected.append(cells if dims else cells.assign(aid_scheme="Tous"))
    cells = aggregate("select * from aggregates.agg_aid_dossiers_monthly where n_dossiers_submitted > 0")
    measures = [c for c in expected[0].columns if c not in ("submitted_month", "aid_scheme")]
    assert compare(pd.concat(expected), cells, ["submitted_month", "aid_scheme"], measures) >= 20


def test_every_published_figure_is_its_aggregates_cell(published, aggregate):
    """Each mart publishes its aggregate's rows, each once, every figure its cell's where not
    secret, and NULL where secret: the oracles above hold for what is published. A provisional
    period publishes its headline row only, counts rounded to 2 × k, amounts to 10,000 € (or
    secret), and no ratio or median (docs/operations.md)."""
    rules = published("select mart, rules from disclosure_rules")
    periods = published("select mart, period, status from publication_periods")
    k = int(published("select min_cell_size from publication").min_cell_size.iloc[0])
    compared = provisional_rows = 0
    for mart, text in zip(rules.mart, rules.rules):
        spec = json.loads(text)
        dimensions = spec.get("dimensions") or {}
        keys = [spec["period"], *dimensions]
        shown = published(f"select * from {mart}")
        cells = aggregate(f"select * from aggregates.{spec['aggregate']}")
        open_ = set(pd.to_datetime(periods[(periods.mart == mart) & (periods.status == "provisoire")].period))
        is_open = pd.to_datetime(cells[spec["period"]]).isin(open_)
        headline = np.ones(len(cells), dtype=bool)
        for dimension, how in dimensions.items():
            if how != "fixed":
                headline &= (cells[dimension] == "Tous").to_numpy()
        expected_rows = cells[~is_open | headline]
        assert len(shown) == len(expected_rows) and not shown.duplicated(keys).any(), mart
        joined = shown.merge(expected_rows, on=keys, suffixes=("", "_cell"), validate="one_to_one")
        rounded = pd.to_datetime(joined[spec["period"]]).isin(open_).to_numpy()
        provisional_rows += int(rounded.sum())
        step = 2 * (max(11, k) if spec.get("income_breakdown") else k)
        for figure, declared in spec["figures"].items():
            if declared.get("virtual"):
                continue
            secret = joined[f"{figure}_secret"].astype(bool).to_numpy()
            assert joined.loc[secret, figure].isna().all(), (mart, figure)
            shown_value = joined[figure].astype(float).to_numpy()
            cell = joined[f"{figure}_cell"].astype(float).to_numpy()
            if declared["kind"] == "count":
                cell = np.where(rounded, np.floor(cell / step + 0.5) * step, cell)
            elif declared["kind"] == "amount":
                cell = np.where(rounded, np.floor(cell / 10_000 + 0.5) * 10_000, cell)
            else:
                cell = np.where(rounded, np.nan, cell)
            same = np.isclose(shown_value, cell, rtol=1e-9, atol=1e-6) | (np.isnan(shown_value) & np.isnan(cell))
            assert same[~secret].all(), (mart, figure)
            compared += int((~secret).sum())
    assert provisional_rows > 10
    assert compared > 10_000
